"""Streaming per-region statistics of a sweep, without keeping every draw's table in memory.

Each chunk gives its partial statistics (counts, integer sums, minima and maxima, draws at floor or cap,
best and worst rank, and the sums needed for correlations); they are merged in chunk order, so the result
does not depend on which worker computed which chunk. Quantiles are exact: each chunk's final amounts are
written to a spill file (int32 where the amounts fit), and at the end the quantiles are computed region block
by region block, so memory stays bounded by one chunk plus one block whatever the number of draws.

Influence of an input on a region's amount: Pearson's r between the input's draws and the region's final
amount; r² is that input's first-order share of the region's variance when the inputs are drawn
independently and the response is close to linear (a simple variance decomposition; Σ r² < 1 means
interactions or non-linearity). For uncertain region data the input of a region is its own value's draw."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .batched import CAP, FLOOR, kernels

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_NAMES = ("p05", "p25", "median", "p75", "p95")
BLOCK_ELEMENTS = 8_000_000  # draws × regions read at once (per thread) when computing quantiles


def ranks(final: np.ndarray) -> np.ndarray:
    """Competition rank of each region in each row: 1 + the number of regions with a larger amount (int32).

    Each amount is packed with its column into one int64 key ((amount − min) · 2^b + column), so one plain
    sort of the keys (several times cheaper than an argsort) gives both the sorted amounts and their columns;
    in ascending order the rank at a position is n − (last position of its run of equal amounts)."""
    final = np.asarray(final)
    m, n = final.shape
    if m == 0 or n == 0:
        return np.zeros((m, n), dtype=np.int32)
    packed = _sorted_keys(final)
    if packed is None:  # amounts too far apart to pack: argsort
        return _ranks_argsort(final)
    key, bits = packed
    k = kernels()
    if k is not None:
        out = np.empty((m, n), dtype=np.int32)
        k.rank_runs(key, np.int64(bits), out)
        return out
    cols = (key & ((1 << bits) - 1)).astype(np.int64)
    key >>= bits  # the sorted amounts
    pos = np.arange(n, dtype=np.int32)
    last = np.empty((m, n), dtype=np.int32)  # n at positions whose right neighbour is equal, else the position
    last[:, -1] = n - 1
    np.copyto(last[:, :-1], np.where(key[:, 1:] != key[:, :-1], pos[:-1], np.int32(n)))
    end = np.minimum.accumulate(last[:, ::-1], axis=1)[:, ::-1]  # last position of each run
    np.subtract(np.int32(n), end, out=last)
    out = np.empty((m, n), dtype=np.int32)
    cols += (np.arange(m, dtype=np.int64) * n)[:, None]
    out.ravel()[cols.ravel()] = last.ravel()
    return out


def _sorted_keys(final: np.ndarray):
    """(each row's packed keys (amount − min) · 2^bits + column, sorted ascending; bits), or None when the
    amounts are too far apart to pack. int32 keys when they fit in 31 bits, else int64."""
    m, n = final.shape
    bits = max(1, int(n - 1).bit_length())
    low = int(final.min())
    if int(final.max()) - low >= 2 ** (62 - bits):
        return None
    key = final - low
    if (int(final.max()) - low) < 2 ** (31 - bits):  # fits 31 bits: int32 keys sort about twice as fast
        key = key.astype(np.int32)
    key <<= bits
    key |= np.arange(n, dtype=key.dtype)
    key.sort(axis=1)
    return key, bits


def _ranks_argsort(final: np.ndarray) -> np.ndarray:
    m, n = final.shape
    order = np.argsort(-final, axis=1)
    srt = np.take_along_axis(final, order, axis=1)
    pos = np.broadcast_to(np.arange(n), (m, n))
    new_run = np.ones((m, n), dtype=bool)
    new_run[:, 1:] = srt[:, 1:] != srt[:, :-1]
    first = np.maximum.accumulate(np.where(new_run, pos, 0), axis=1)  # start of each run of equal amounts
    out = np.empty((m, n), dtype=np.int32)
    np.put_along_axis(out, order, first + 1, axis=1)
    return out


def sorted_quantiles(srt: np.ndarray, qs=QUANTILES) -> np.ndarray:
    """(k, len(qs)) quantiles of each row of an ascending-sorted (k, N) array by numpy's default 'linear'
    method, with numpy's own arithmetic: virtual index (N − 1)·q between the order statistics a = x[⌊·⌋] and
    b = x[⌊·⌋ + 1] at γ = the fractional part, a + (b − a)·γ, or b − (b − a)·(1 − γ) when γ ≥ 0.5 (the test
    suite checks equality with np.quantile bit for bit)."""
    N = srt.shape[1]
    virtual = (N - 1) * np.asarray(qs, dtype=float)
    prev = np.floor(virtual).astype(np.intp)
    nxt = np.minimum(prev + 1, N - 1)
    gamma = virtual - prev
    a = srt[:, prev].astype(np.float64)
    b = srt[:, nxt].astype(np.float64)
    diff = b - a
    out = a + diff * gamma
    upper = gamma >= 0.5
    out[:, upper] = (b - diff * (1 - gamma))[:, upper]
    return out


def partials(final, binding, valid, inputs, base_final, problem) -> dict:
    """Partial statistics of one chunk (valid draws only)."""
    every = bool(valid.all())
    f = final if every else final[valid]
    b = binding if every else binding[valid]
    n = final.shape[1]
    out = {"count": int(valid.sum()), "invalid_draws": np.flatnonzero(~valid)}
    if f.shape[0] == 0:
        return out
    base = np.zeros(n, dtype=np.int64) if base_final is None else base_final
    k = kernels()
    f64 = np.ascontiguousarray(f, dtype=np.int64)
    packed = _sorted_keys(f64) if k is not None else None
    if packed is not None:  # the compiled kernels: the same integers in two passes, no rank table
        out["sum"] = np.zeros(n, dtype=np.int64)
        out["min"], out["max"] = np.empty(n, dtype=f64.dtype), np.empty(n, dtype=f64.dtype)
        out["at_floor"], out["at_cap"] = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        k.column_stats(f64, np.ascontiguousarray(b), np.int8(FLOOR), np.int8(CAP), out["sum"], out["min"],
                       out["max"], out["at_floor"], out["at_cap"])
        rank_min = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
        rank_max = np.zeros(n, dtype=np.int32)
        changed = np.zeros(n, dtype=np.int64)
        base_rank = ranks(base[None, :])[0] if base_final is not None else np.zeros(n, dtype=np.int32)
        k.rank_stats(packed[0], np.int64(packed[1]), base_rank, rank_min, rank_max, changed)
        out["rank_min"], out["rank_max"] = rank_min, rank_max
        if base_final is not None:
            out["rank_changed"] = changed
    else:
        out["sum"] = f.sum(axis=0, dtype=np.int64)
        out["min"] = f.min(axis=0)
        out["max"] = f.max(axis=0)
        out["at_floor"] = (b == FLOOR).sum(axis=0, dtype=np.int64)
        out["at_cap"] = (b == CAP).sum(axis=0, dtype=np.int64)
        r = ranks(f)
        out["rank_min"] = r.min(axis=0)
        out["rank_max"] = r.max(axis=0)
        if base_final is not None:
            out["rank_changed"] = (r != ranks(base[None, :])[0]).sum(axis=0, dtype=np.int64)
    out["max_abs"] = max(abs(int(out["min"].min())), abs(int(out["max"].max())))
    y = f.astype(float)
    y -= base
    out["sy"] = y.sum(axis=0)
    out["syy"] = np.einsum("ij,ij->j", y, y)
    x = inputs["scalars"] if every else inputs["scalars"][valid]
    if x.shape[1]:
        out["sx"] = x.sum(axis=0)
        out["sxx"] = (x * x).sum(axis=0)
        out["sxy"] = x.T @ y
    for col, mat in inputs["per_region"].items():
        xm = mat[valid] - 1.0
        out[f"rx:{col}"] = xm.sum(axis=0)
        out[f"rxx:{col}"] = (xm * xm).sum(axis=0)
        out[f"rxy:{col}"] = (xm * y).sum(axis=0)
    return out


def _spill_rows(header: tuple, a: int, b: int) -> np.ndarray:
    """Rows a … b − 1 of a spilled C-order .npy file (header: path, rows, columns, dtype, data offset), read
    (not memory-mapped: mapped pages of every file would stay in the process's resident memory, 1.1 GB for
    10,000 draws × 28,480 regions)."""
    path, _, cols, dtype, offset = header
    return np.fromfile(path, dtype=dtype, count=(b - a) * cols, offset=offset + a * cols * dtype.itemsize).reshape(
        b - a, cols)


class Accumulator:
    """Collects chunk results in any order; :meth:`finish` merges them in chunk order."""

    def __init__(self, problem, base_final: np.ndarray, spill_dir: str | Path | None = None,
                 keep_binding: bool = False):
        self.problem = problem
        self.base = base_final
        self.parts: dict[int, dict] = {}
        self.owned = spill_dir is None
        self.dir = Path(tempfile.mkdtemp(prefix="ecocomp-sweep-")) if spill_dir is None else Path(spill_dir)
        self.keep_binding = keep_binding
        self.seconds = 0.0
        self.workers: set = set()
        n = problem.n
        self.pending: dict[int, dict] = {}  # chunks waiting for an earlier one before they are merged
        self.next = 0  # the next chunk to merge
        self.tot = {"count": 0, "sum": np.zeros(n, dtype=np.int64), "min": None, "max": None,
                    "at_floor": np.zeros(n, dtype=np.int64), "at_cap": np.zeros(n, dtype=np.int64),
                    "rank_changed": np.zeros(n, dtype=np.int64), "rank_min": None, "rank_max": None,
                    "invalid": [], "floats": {}}

    def add(self, res: dict) -> None:
        i = int(res["index"])
        if i in self.parts:  # a chunk recomputed after a lost worker: the first result counts once
            return
        f = res["final"]
        dtype = np.int32 if (f.size == 0 or (f.min() >= -2**31 and f.max() < 2**31)) else np.int64
        path = self.dir / f"final_{i:06d}.npy"
        spilled = np.ascontiguousarray(f.T.astype(dtype))
        np.save(path, spilled)
        # where the data start (the .npy header's end), known now: the quantile pass reads no header back
        header = (str(path), spilled.shape[0], spilled.shape[1], spilled.dtype,
                  path.stat().st_size - spilled.nbytes)
        if self.keep_binding:
            np.save(self.dir / f"binding_{i:06d}.npy", res["binding"])
        part = {k: v for k, v in res.items() if k not in ("final", "binding")}
        # what every later step needs stays; the per-region arrays are merged as soon as every earlier chunk
        # is in (chunk order, so the float sums do not depend on the order chunks finish in) and dropped:
        # memory holds the chunks that finished early, not all of them (1,000 chunks × 28,480 regions × ~15
        # arrays would be 3.4 GB)
        self.parts[i] = {k: part[k] for k in ("index", "start", "stop", "count", "invalid_draws") if k in part}
        self.parts[i]["valid"] = np.asarray(res["valid"], dtype=bool)  # one flag per draw: kept, not spilled
        self.parts[i]["spill"] = header
        self.pending[i] = part
        while self.next in self.pending:
            self._merge(self.pending.pop(self.next))
            self.next += 1
        self.seconds += float(res.get("seconds", 0.0))
        self.workers.add(res.get("worker"))

    def close(self) -> None:
        if self.owned:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- merging -----------------------------------------------------------------------------------------

    def _merge(self, p: dict) -> None:
        tot = self.tot
        start = int(p["start"])
        tot["invalid"].extend(int(start + j) for j in p["invalid_draws"])
        if not p["count"]:
            return
        tot["count"] += p["count"]
        tot["sum"] += p["sum"]
        for k, fn in (("min", np.minimum), ("max", np.maximum), ("rank_min", np.minimum),
                      ("rank_max", np.maximum)):
            tot[k] = p[k] if tot[k] is None else fn(tot[k], p[k])
        for k in ("at_floor", "at_cap", "rank_changed"):
            if k in p:
                tot[k] += p[k]
        floats = tot["floats"]
        for k, v in p.items():
            if k in ("sy", "syy", "sx", "sxx", "sxy") or k.startswith(("rx:", "rxx:", "rxy:")):
                floats[k] = v.copy() if k not in floats else floats[k] + v

    def merged(self) -> dict:
        if self.pending:  # a chunk is missing: the sweep did not finish
            missing = sorted(set(range(self.next, max(self.pending) + 1)) - set(self.pending))
            raise RuntimeError(f"sweep chunks {missing[:5]} never arrived")
        return self.tot

    def quantiles(self) -> np.ndarray:
        """(n, 5) exact quantiles of each region's final amount over the valid draws (linear interpolation,
        as numpy and pandas compute them). Region blocks are read from the spill files, sorted along the draws
        (a plain sort of int32 rows, several times cheaper than numpy's partition-based quantile) and
        interpolated by :func:`sorted_quantiles`; blocks run on the machine's cores (numpy sorts release the
        GIL)."""
        from concurrent.futures import ThreadPoolExecutor

        keys = sorted(self.parts)
        n = self.problem.n
        out = np.full((n, len(QUANTILES)), np.nan)
        count = sum(self.parts[i]["count"] for i in keys)
        if not count:
            return out
        block = max(1, BLOCK_ELEMENTS // max(1, count))
        valid = {i: (slice(None) if self.parts[i]["valid"].all() else self.parts[i]["valid"]) for i in keys}
        files = {i: self.parts[i]["spill"] for i in keys}

        def one(a: int) -> None:
            b = min(n, a + block)
            cols = np.concatenate([_spill_rows(files[i], a, b)[:, valid[i]] for i in keys], axis=1)
            cols.sort(axis=1)
            out[a:b] = sorted_quantiles(cols)

        starts = range(0, n, block)
        workers = min(len(starts), os.cpu_count() or 1)
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(one, starts))
        else:
            for a in starts:
                one(a)
        return out

    def finish(self) -> dict[str, pd.DataFrame]:
        """summary (one row per region), influence (region × input) and input_influence (per input)."""
        p = self.problem
        t = self.merged()
        N = t["count"]
        base = self.base
        summary = pd.DataFrame({"adcode": p.adcodes, "name_zh": p.names, "scenario": base})
        if N:
            q = self.quantiles()
            summary["min"] = t["min"]
            for j, name in enumerate(QUANTILE_NAMES):
                summary[name] = q[:, j]
            summary["max"] = t["max"]
            summary["mean"] = t["sum"] / N
            fl = t["floats"]
            var = np.maximum(fl["syy"] / N - (fl["sy"] / N) ** 2, 0.0)
            summary["std"] = np.sqrt(var)
            summary["at_floor"] = t["at_floor"] / N
            summary["at_cap"] = t["at_cap"] / N
            summary["rank_scenario"] = ranks(base[None, :])[0].astype(np.int64)
            summary["rank_best"] = t["rank_min"].astype(np.int64)
            summary["rank_worst"] = t["rank_max"].astype(np.int64)
            summary["rank_changed"] = t["rank_changed"] / N
        influence, per_input = self._influence(t)
        if len(influence):
            top = influence.sort_values(["adcode", "r2", "input"], ascending=[True, False, True],
                                        kind="stable").drop_duplicates("adcode")
            summary = summary.merge(top[["adcode", "input", "r2"]].rename(
                columns={"input": "top_input", "r2": "top_input_r2"}), on="adcode", how="left")
        return {"summary": summary, "influence": influence, "input_influence": per_input,
                "invalid_draws": pd.DataFrame({"draw": t["invalid"]}, dtype=np.int64)}

    def _influence(self, t) -> tuple[pd.DataFrame, pd.DataFrame]:
        p = self.problem
        N = t["count"]
        fl = t.get("floats", {})
        if not N or "sy" not in fl:
            return pd.DataFrame(), pd.DataFrame()
        sy, syy = fl["sy"], fl["syy"]
        vy = syy - sy * sy / N
        frames = []
        names = list(p.points.columns)

        def corr(sx, sxx, sxy):
            vx = sxx - sx * sx / N
            cov = sxy - sx * sy / N
            den = np.sqrt(np.maximum(vx, 0) * np.maximum(vy, 0))
            return np.divide(cov, den, out=np.zeros_like(cov, dtype=float), where=den > 1e-12 * np.maximum(1, vy))

        if "sx" in fl:
            for k, name in enumerate(names):
                r = corr(fl["sx"][k], fl["sxx"][k], fl["sxy"][k])
                frames.append(pd.DataFrame({"adcode": p.adcodes, "name_zh": p.names, "input": name, "r": r}))
        for col in p.data_noise:
            r = corr(fl[f"rx:{col}"], fl[f"rxx:{col}"], fl[f"rxy:{col}"])
            frames.append(pd.DataFrame({"adcode": p.adcodes, "name_zh": p.names, "input": f"data:{col}", "r": r}))
        if not frames:
            return pd.DataFrame(), pd.DataFrame()
        inf = pd.concat(frames, ignore_index=True)
        inf["r2"] = inf["r"] ** 2
        inf = inf.sort_values(["adcode", "input"], kind="stable").reset_index(drop=True)
        var = pd.Series(np.maximum(vy, 0) / N, index=p.adcodes)
        weights = inf["adcode"].map(var).to_numpy()
        total = float(var.sum())
        per = inf.assign(w=inf["r2"] * weights).groupby("input", sort=True)["w"].sum()
        per_input = pd.DataFrame({"input": per.index, "variance_share": (per / total).to_numpy() if total > 0 else 0.0,
                                  "regions_most_moved": [int(((inf["input"] == k) & (inf["r2"] > 0)).sum())
                                                         for k in per.index]})
        top = inf.sort_values(["adcode", "r2", "input"], ascending=[True, False, True],
                              kind="stable").drop_duplicates("adcode")
        per_input["regions_most_moved"] = per_input["input"].map(top["input"].value_counts()).fillna(0).astype(
            np.int64)
        return inf, per_input.sort_values("variance_share", ascending=False, kind="stable").reset_index(drop=True)

    def draws_frame(self, index: int) -> pd.DataFrame:
        """One row per valid draw and region of chunk ``index`` (for the optional Parquet of every draw)."""
        from .batched import BINDING_NAMES

        part = self.parts[index]
        f = np.load(self.dir / f"final_{index:06d}.npy").T
        valid = part["valid"]
        rows = np.flatnonzero(valid)
        n = self.problem.n
        df = pd.DataFrame({"draw": np.repeat(rows + int(part["start"]), n).astype(np.int64),
                           "adcode": np.tile(self.problem.adcodes, rows.size),
                           "final": f[rows].ravel().astype(np.int64)})
        if self.keep_binding:
            b = np.load(self.dir / f"binding_{index:06d}.npy")[rows].ravel()
            codes = np.array([BINDING_NAMES[k] for k in sorted(BINDING_NAMES)], dtype=object)
            df["binding"] = pd.Categorical.from_codes(b, categories=list(codes))
        return df
