"""Chunks of draws: computing one chunk (a pure function of the problem and the draw indices), and running
all chunks on this machine's cores or on a Dask cluster.

Every chunk is computed by :func:`run_chunk` wherever it runs, and its partial statistics are merged in chunk
order by :class:`~compensation.sweep.stats.Accumulator`; the draws of a chunk depend only on the seed and the
draw index (never on the engine, the worker or the chunk size), so the local and the Dask engine give
bit-identical statistics. A chunk lost with a worker is recomputed by Dask from the same inputs; results are
keyed by chunk index, so nothing is lost or counted twice."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from ..allocation import solver
from ..allocation.api import LAST_YEAR_UNIT, group_bounds
from ..allocation.constrained import round_block
from ..money import UNITS
from ..problems import InputError
from .batched import (
    CAP,
    KERNEL_MIN_CELLS,
    NEWTON_ITERATIONS,
    binding_codes,
    feasible_rows,
    kernels,
    load_kernels,
    proportional_rows,
    row_bounds,
)
from .problem import (
    SweepProblem,
    YearModel,
    draw_budgets,
    exact_raw,
    matrix_raw,
    to_target,
    to_target_inplace,
)

# draws × regions per chunk. Small on purpose: arrays of a few MB stay in the allocator's pools, while large
# ones are mapped fresh from the kernel each time (measured: an element-wise multiply costs 8.4 ns/element on
# 500 × 5,696 arrays, 1.5 ns on 128 × 5,696).
CHUNK_ELEMENTS = 300_000
ENGINES = ("local", "dask")


_MALLOC_TUNED = False


def tune_malloc() -> bool:
    """Keep the chunk's temporary arrays (a few MB each) on the heap and freed memory in the process, instead of
    glibc mapping every such array fresh from the kernel and returning it on free (each reuse then page-faults
    the array in again): mallopt(M_MMAP_THRESHOLD, 32 MB) and mallopt(M_TRIM_THRESHOLD, 128 MB), once per
    process. Measured 10–20 % less CPU per draw at county scale. At most 128 MB of freed memory stays with the
    process. glibc only; elsewhere (or when ECOCOMP_MALLOC=default) nothing is changed. Returns whether it ran."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED or os.environ.get("ECOCOMP_MALLOC") == "default":
        return _MALLOC_TUNED
    _MALLOC_TUNED = True
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)) and bool(mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024))


def chunk_size(n_regions: int, draws: int) -> int:
    return int(max(8, min(draws, CHUNK_ELEMENTS // max(1, n_regions))))


def chunks(problem: SweepProblem, size: int | None = None) -> list[tuple[int, int, int]]:
    """(index, start, stop) of each chunk of draws."""
    size = size or chunk_size(problem.n, problem.draws)
    return [(i, a, min(a + size, problem.draws)) for i, a in enumerate(range(0, problem.draws, size))]


def draw_multipliers(problem: SweepProblem, draw: int) -> dict[str, np.ndarray]:
    """The region-data multipliers of one draw (1 ± status fraction × U(−1, 1)), seeded by (seed, draw)."""
    if not problem.data_noise:
        return {}
    rng = np.random.default_rng([problem.seed, 7919, draw])
    u = rng.uniform(-1.0, 1.0, (len(problem.data_noise), problem.n))
    return {col: 1.0 + frac * u[j] for j, (col, frac) in enumerate(problem.data_noise.items())}


def draw_regions(problem: SweepProblem, draw: int) -> pd.DataFrame:
    """The region table of one draw (scenario order) with the uncertain values drawn."""
    mult = draw_multipliers(problem, draw)
    if not mult:
        return problem.regions
    regions = problem.regions.copy()
    for col, f in mult.items():
        regions[col] = pd.to_numeric(regions[col], errors="coerce").to_numpy(dtype=float) * f
    return regions


def _targets(problem: SweepProblem, ym: YearModel, rows: pd.DataFrame, start: int, as_is: bool) -> tuple:
    """(targets (m, n) in adcode order, whether the matrix path was used)."""
    budgets = draw_budgets(problem, ym, rows) if not as_is else np.full(len(rows), ym.budget, dtype=np.int64)
    if as_is:
        raw = _as_is_raw(problem, ym)[None, :]
        return to_target(raw, budgets, problem.unit)[:, problem.order], budgets, False
    matrix = ym.basis is not None and not problem.data_noise  # checked at draws spread over the sweep
    if matrix:  # adcode order from the start: one contiguous (m, n) array, modified in place
        raw = matrix_raw(problem, ym, rows, adcode_order=True)
        np.maximum(raw, 0.0, out=raw)
        return to_target_inplace(raw, budgets, problem.unit), budgets, matrix
    else:
        raw = np.vstack([exact_raw(problem, ym, row, draw_regions(problem, start + i))
                         for i, (_, row) in enumerate(rows.iterrows())])
    return to_target(raw, budgets, problem.unit)[:, problem.order], budgets, matrix


def _as_is_raw(problem: SweepProblem, ym: YearModel) -> np.ndarray:
    from .problem import _raw

    return _raw(problem.method, problem.regions, ym.budget * UNITS[problem.unit], ym.year, ym.overrides)


def _bounds(problem: SweepProblem, rows: pd.DataFrame, last_col: np.ndarray, as_is: bool):
    """Per-draw bounds as ``build_bounds`` makes them, in whole output units; ``last_col`` (m, n) or (n,) is
    last year's amount in 万元 (NaN: none)."""
    unit = problem.unit
    m = len(rows)
    last = np.asarray(last_col, dtype=float) * UNITS[LAST_YEAR_UNIT] / UNITS[unit]
    missing = np.isnan(last)
    c = problem.constraints
    fr = None if c.floor_ratio is None else float(c.floor_ratio)
    cr = None if c.cap_ratio is None else float(c.cap_ratio)
    per_draw = last.ndim == 2
    if not as_is and "constraints.floor_ratio" in rows:
        fr = rows["constraints.floor_ratio"].to_numpy(dtype=float)[:, None]
        per_draw = True
    if not as_is and "constraints.cap_ratio" in rows:
        cr = rows["constraints.cap_ratio"].to_numpy(dtype=float)[:, None]
        per_draw = True
    shape = (m, problem.n) if per_draw else (problem.n,)  # the same bounds for every draw: one row
    # the arithmetic of build_bounds, in place on as few (m, n) arrays as possible
    known = np.nan_to_num(last)
    gaps = missing.any()
    fixed = problem.fixed > 0
    k = kernels()
    if k is not None and np.ndim(fr) == 2 and last.ndim == 1 and not gaps and not fixed.any():
        # a floor ratio per draw (the usual sweep): the same arithmetic in one pass per element
        lo = np.empty(shape)
        k.floor_bounds(np.ascontiguousarray(fr[:, 0]), np.ascontiguousarray(known),
                       np.ascontiguousarray(problem.lo_abs, dtype=float), lo)
    else:
        lo = _floors(problem, fr, known, missing if gaps else None, fixed, shape)
    if cr is not None:
        hi = cr * known
        if gaps:
            hi[np.broadcast_to(missing, hi.shape)] = np.inf
    else:
        hi = np.full(shape, np.inf)
    np.minimum(hi, problem.hi_abs, out=hi)
    if fixed.any():
        hi[..., fixed] = problem.hi_abs[fixed]
    finite = np.isfinite(hi)
    hi = np.where(finite, np.floor(hi + 1e-9), hi) if not finite.all() else np.floor(hi + 1e-9, out=hi)
    full = (m, problem.n)  # a per-draw array is returned as it is (writable), one row for all as a view
    return (lo if lo.shape == full else np.broadcast_to(lo, full)), (hi if hi.shape == full else
                                                                     np.broadcast_to(hi, full))


def _floors(problem: SweepProblem, fr, known: np.ndarray, missing, fixed: np.ndarray, shape) -> np.ndarray:
    """The floors as ``build_bounds`` makes them: ratio × last year's amount (0 where it is missing), at least
    the absolute floor, fixed regions at theirs, whole units up (with the 1e-9 tolerance)."""
    if fr is not None:
        lo = fr * known
        np.maximum(lo, 0.0, out=lo)
        if missing is not None:
            lo[np.broadcast_to(missing, lo.shape)] = 0.0
    else:
        lo = np.zeros(shape)
    np.maximum(lo, problem.lo_abs, out=lo)
    if fixed.any():
        lo[..., fixed] = problem.lo_abs[fixed]
    lo -= 1e-9
    np.ceil(lo, out=lo)
    return lo


def evaluate(problem: SweepProblem, rows: pd.DataFrame, start: int = 0, as_is: bool = False) -> dict:
    """Final amounts of draws ``start … start + len(rows)`` through the years of the chain.

    Returns {final (m, n) int64, binding (m, n) int8, valid (m,) bool, matrix (bool)}, columns in adcode
    order. ``as_is``: the scenario's own values (one row), none of the varied inputs applied."""
    if problem.per_draw:
        return _evaluate_by_compute(problem, rows, start, as_is)
    m = len(rows)
    # last year's amounts in adcode order (read once by build_problem; none: NaN)
    last_col = problem.last_sorted if problem.last_sorted is not None else np.full(problem.n, np.nan)
    valid = np.ones(m, dtype=bool)
    used_matrix = True
    final = np.zeros((m, problem.n), dtype=np.int64)
    binding = np.zeros((m, problem.n), dtype=np.int8)
    for ym in problem.years:
        t, budget, matrix = _targets(problem, ym, rows, start, as_is)
        used_matrix &= matrix
        lo, hi = _bounds(problem, rows, last_col, as_is)
        bf = budget.astype(float)
        # whole-unit group bounds per draw, by allocate()'s own rule (api.group_bounds: min up, max down)
        groups = []
        for name, mask, smin, smax in problem.groups:
            gb = np.array([group_bounds(smin, smax, int(b)) for b in budget], dtype=float).reshape(m, 2)
            groups.append((name, mask, gb[:, 0], gb[:, 1]))
        final = np.zeros((m, problem.n), dtype=np.int64)
        binding = np.zeros((m, problem.n), dtype=np.int8)
        k = kernels()
        hi_row = row_bounds(hi, m, problem.n) if k is not None else None
        if (k is not None and problem.objective == "proportional" and not groups and valid.all()
                and not (problem.fixed > 0).any() and np.isfinite(hi_row).all() and (t > 0).all()):
            # the usual sweep: each row solved whole by the compiled kernel; rows it leaves take the numpy code
            status = np.zeros(m, dtype=np.int8)
            k.solve_rows(np.ascontiguousarray(t), row_bounds(lo, m, problem.n), hi_row, bf, budget.astype(np.int64),
                         NEWTON_ITERATIONS, np.int8(CAP), final, binding, np.empty(m), status)
            ok = status == 2
            left = np.flatnonzero(status == 0)
            if left.size:
                f, b, ok_left = _solve_block(problem, t[left], lo[left], hi[left], budget[left], bf[left], [],
                                             valid[left])
                final[left], binding[left], ok[left] = f, b, ok_left
        else:
            final, binding, ok = _solve_block(problem, t, lo, hi, budget, bf, groups, valid)
        valid &= ok
        if problem.carry:
            last_col = final.astype(float) * UNITS[problem.unit] / UNITS[LAST_YEAR_UNIT]
    return {"final": final, "binding": binding, "valid": valid, "matrix": used_matrix}


def _solve_block(problem: SweepProblem, t, lo, hi, budget, bf, groups, valid):
    """(final, binding, ok) of a block of draws by the numpy code: feasibility, then the proportional rows
    (or the solver draw by draw for min_abs / minimax) on the feasible ones."""
    m, n = t.shape
    final = np.zeros((m, n), dtype=np.int64)
    binding = np.zeros((m, n), dtype=np.int8)
    ok = feasible_rows(t, lo, hi, bf, groups) & valid
    r = np.flatnonzero(ok)
    if r.size == m:  # every draw feasible (the usual case): no row copies
        r = slice(None)
    if ok.any():
        sub_groups = [(name, mask, gmin[r], gmax[r]) for name, mask, gmin, gmax in groups]
        tr, lr, hr = t[r], lo[r], hi[r]
        if problem.objective == "proportional":
            x, f, scale, rounded = proportional_rows(tr, lr, hr, budget[r], sub_groups, whole=True)
        else:
            x, f, scale, rounded = _solve_rows(problem, tr, lr, hr, budget[r], sub_groups)
        final[r] = f
        binding[r] = binding_codes(x, tr, scale, lr, hr, problem.fixed,
                                   clipped=problem.objective == "proportional" and not groups)
        ok[r] &= rounded
    return final, binding, ok


def _evaluate_by_compute(problem: SweepProblem, rows: pd.DataFrame, start: int, as_is: bool) -> dict:
    """Draw by draw through ``run.compute`` (the scenario with the draw's values set), for methods whose
    components are paid exactly or carried over, which the batched path does not model."""
    import copy

    from ..run import compute
    from .batched import BINDING_NAMES

    codes = {v: k for k, v in BINDING_NAMES.items()}
    m, n = len(rows), problem.n
    final = np.zeros((m, n), dtype=np.int64)
    binding = np.zeros((m, n), dtype=np.int8)
    valid = np.ones(m, dtype=bool)
    last = problem.years[-1].year
    for i, (_, row) in enumerate(rows.iterrows()):
        sc = copy.deepcopy(problem.source)
        overrides = {}
        if not as_is:
            c = sc.spec.setdefault("constraints", {})
            for key, value in row.items():
                if key.startswith("constraints."):
                    c[key.split(".", 1)[1]] = float(value)
                elif key == "budget":
                    b = sc.spec.setdefault("budget", {})
                    b["amounts"] = {**(b.get("amounts") or {}), last: float(value)}
                    b["rounding"] = "half_up"
                else:
                    overrides[key] = float(value)
        try:
            res = compute(sc, [y.year for y in problem.years], regions=draw_regions(problem, start + i),
                          overrides=overrides)
        except InputError:
            valid[i] = False
            continue
        t = res.results[last].allocation.table.set_index("adcode").loc[problem.adcodes]
        final[i] = t["final"].to_numpy(dtype=np.int64)
        binding[i] = t["binding"].map(codes).fillna(0).to_numpy(dtype=np.int8)
    return {"final": final, "binding": binding, "valid": valid, "matrix": False}


def _solve_rows(problem: SweepProblem, t, lo, hi, budget, groups):
    """min_abs / minimax: the LP or MILP of ``allocate()`` draw by draw (they cannot be batched)."""
    m, n = t.shape
    x = np.zeros((m, n))
    final = np.zeros((m, n), dtype=np.int64)
    ok = np.ones(m, dtype=bool)
    keys = problem.adcodes
    for i in range(m):
        g = [(name, mask, float(gmin[i]), float(gmax[i])) for name, mask, gmin, gmax in groups]
        sol = solver.solve(t[i], lo[i], hi[i], float(budget[i]), g, problem.objective, True, problem.time_limit)
        if sol.x is None:
            ok[i] = False
            continue
        x[i] = sol.x
        f = sol.x.astype(np.int64)
        if int(f.sum()) != int(budget[i]):
            f = round_block(sol.x, int(budget[i]), lo[i], hi[i], keys)
        final[i] = f
    return x, final, np.ones(m), ok


def prepare_kernels(problem: SweepProblem) -> None:
    """Load the compiled row kernels when the sweep is large enough to repay numba's start (about 0.6–0.7 s
    once per process): at least ``KERNEL_MIN_CELLS`` draw × region cells on the batched path. Small sweeps
    (the Sensitivity page's) keep the numpy code, which gives the same integers. Called before the chunks and
    by each chunk (a Dask worker or a spawned process loads them once; afterwards this is a lookup)."""
    if problem.draws * problem.n >= KERNEL_MIN_CELLS and not problem.per_draw:
        load_kernels()


def run_chunk(problem: SweepProblem, index: int, start: int, stop: int, base_final=None) -> dict:
    """One chunk: finals, binding codes, validity and its partial statistics (see stats.partials)."""
    from .stats import partials

    tune_malloc()
    prepare_kernels(problem)
    t0 = time.perf_counter()
    rows = problem.points.iloc[start:stop]
    out = evaluate(problem, rows, start)
    inputs = inputs_of(problem, rows, start)
    out.update(partials(out["final"], out["binding"], out["valid"], inputs, base_final, problem))
    out.update({"index": index, "start": start, "stop": stop, "seconds": time.perf_counter() - t0,
                "worker": os.getpid()})
    return out


def inputs_of(problem: SweepProblem, rows: pd.DataFrame, start: int) -> dict:
    """The inputs of each draw, for the influence statistics: varied scalars (m, k) and, per uncertain
    column, each region's own multiplier (m, n) in adcode order."""
    scalars = rows.to_numpy(dtype=float) if len(rows.columns) else np.zeros((len(rows), 0))
    per_region = {}
    if problem.data_noise:
        mats = [draw_multipliers(problem, start + i) for i in range(len(rows))]
        for col in problem.data_noise:
            per_region[col] = np.vstack([mm[col] for mm in mats])[:, problem.order]
    return {"scalars": scalars, "scalar_names": list(rows.columns), "per_region": per_region}


# --- engines ---------------------------------------------------------------------------------------------

_PROCESS_PROBLEM: dict = {}  # the problem of the process pool's workers (set once per worker by the initializer)


def _process_init(problem: SweepProblem, base_final) -> None:
    _PROCESS_PROBLEM["p"] = (problem, base_final)


def _process_chunk(index: int, start: int, stop: int) -> dict:
    problem, base_final = _PROCESS_PROBLEM["p"]
    return run_chunk(problem, index, start, stop, base_final)


def default_pool() -> str:
    """Threads. Measured on this 2-core machine (bench_sweep.py --processes, 10,000 county draws, 8 alternating
    pairs): at load ≈ 2.8 threads won every pair (4.80/5.66, 5.24/5.59, 5.81/6.41 s), at load 4.4–5.5
    processes won 4 of 5 (the threads then wait on the GIL for the many small per-row steps while other
    jobs hold the cores). An idle machine is the first case, so threads are the default; ``pool="processes"``
    forks workers instead (statistics bit-identical)."""
    return "threads"


def run_local(problem: SweepProblem, plan, base_final, on_result, workers: int | None = None,
              pool: str | None = None) -> dict:
    """Chunks on this machine's cores: in threads (``pool="threads"``, the default: numpy's sorts and
    arithmetic release the GIL, nothing is copied) or in worker processes (``pool="processes"``: forked where
    fork exists, so the problem is inherited by each worker; each chunk's amounts come back pickled).
    benchmarks/bench_sweep.py measures both; the statistics are the same bit for bit."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    pool = pool or default_pool()
    workers = max(1, int(workers or os.cpu_count() or 1))
    info = {"engine": "local", "workers": workers, "pool": pool if workers > 1 and len(plan) > 1 else "none"}
    if workers == 1 or len(plan) == 1:
        for i, a, b in plan:
            on_result(run_chunk(problem, i, a, b, base_final))
        return info
    if pool == "processes":
        import multiprocessing as mp

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")  # fork: no copy
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_process_init,
                                       initargs=(problem, base_final))

        def submit(args):
            return executor.submit(_process_chunk, *args)
    else:
        executor = ThreadPoolExecutor(max_workers=workers)

        def submit(args):
            return executor.submit(run_chunk, problem, *args, base_final)
    with executor:
        pending = set()
        it = iter(plan)
        for _ in range(2 * workers):
            nxt = next(it, None)
            if nxt is not None:
                pending.add(submit(nxt))
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                on_result(f.result())
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(submit(nxt))
    return info


def _dask_client(scheduler: str | None, workers: int | None):
    """(client, cluster or None): a client of the scheduler at ``scheduler``, or of a new LocalCluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a dependency
        raise InputError("the dask engine needs dask[distributed]: pip install 'dask[distributed]'",
                         "dask 引擎需要安装 dask[distributed]") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                             f"无法连接 Dask 调度器 {scheduler}", key="--scheduler") from None
    cluster = LocalCluster(n_workers=max(1, int(workers or 2)), threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=50)
    return Client(cluster), cluster


def dask_map(fn, calls: list[tuple], scheduler: str | None = None, workers: int | None = None) -> list:
    """``[fn(*args) for args in calls]`` as Dask tasks (in the order of ``calls``); a task whose worker dies is
    rerun elsewhere. Used by ``ecocomp run s1 s2 … --engine dask`` (the run folders are written by the workers,
    so ``--out`` must be on storage they share with the client)."""
    client, cluster = _dask_client(scheduler, workers)
    try:
        futures = [client.submit(fn, *args, pure=False, retries=2) for args in calls]
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_dask(problem: SweepProblem, plan, base_final, on_result, scheduler: str | None = None,
             workers: int | None = None, client=None) -> dict:
    """Chunks as Dask tasks: on the cluster at ``scheduler`` (tcp://host:8786), on a given ``client``, or on a
    LocalCluster of ``workers`` single-threaded worker processes. A task whose worker dies is rerun on
    another worker; tasks that raise are retried twice."""
    from distributed import as_completed

    own_client = own_cluster = None
    if client is None:
        client, own_cluster = _dask_client(scheduler, workers)
        own_client = client
    t0 = time.perf_counter()
    try:
        [pf] = client.scatter([problem], broadcast=True)
        [bf] = client.scatter([base_final], broadcast=True)
        run = uuid.uuid4().hex[:12]
        futures = [client.submit(run_chunk, pf, i, a, b, bf, key=f"ecocomp-sweep-{run}-{i}", retries=2, pure=False)
                   for i, a, b in plan]
        info = {"engine": "dask", "scheduler": scheduler or "LocalCluster",
                "workers": len(client.scheduler_info().get("workers", {})),
                "setup_seconds": round(time.perf_counter() - t0, 3)}
        for fut in as_completed(futures):
            on_result(fut.result())
            fut.release()
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
    return info
