"""run_sweep(): a scenario's amounts under many draws of its uncertain inputs, as per-region statistics."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..problems import InputError
from ..scenario import Scenario
from . import engine as E
from .batched import kernels
from .problem import build_problem
from .spec import MAX_POINTS, SweepSpec, sweep_points
from .stats import Accumulator


@dataclass
class SweepResult:
    scenario: str
    year: int
    points: pd.DataFrame  # one row per draw: the varied inputs, and whether the draw was feasible
    tables: dict[str, pd.DataFrame]  # summary, influence, input_influence, invalid_draws
    info: dict = field(default_factory=dict)
    accumulator: Accumulator | None = None  # holds the spilled draws until close()

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables["summary"]

    def close(self) -> None:
        if self.accumulator is not None:
            self.accumulator.close()
            self.accumulator = None


def run_sweep(sc: Scenario, spec: SweepSpec, year: int | None = None, max_points: int = MAX_POINTS,
              engine: str = "local", scheduler: str | None = None, workers: int | None = None, progress=None,
              keep_draws: bool = False, client=None, regions: pd.DataFrame | None = None,
              chunk: int | None = None, pool: str | None = None) -> SweepResult:
    """Draw the points, prepare the problem, run the chunks on ``engine`` and merge their statistics.

    The result keeps the spilled draws (for :func:`write_draws`) until ``close()`` when ``keep_draws``."""
    if engine not in E.ENGINES:
        raise InputError(f"unknown engine '{engine}': use {' or '.join(E.ENGINES)}", f"未知的计算引擎 '{engine}'",
                         key="--engine")
    if not spec.varies and not spec.data:
        raise InputError("nothing to vary: give --vary PARAM=… or a sweep.data section with ± fractions",
                         "没有要扫描的输入:请给出 --vary 或 sweep.data", key="--vary")
    if spec.data and spec.samples is None:
        raise InputError("uncertain region data need a Monte Carlo sample: give --samples N",
                         "数据不确定性需要蒙特卡洛抽样:请给出 --samples", key="--samples")
    t0 = time.perf_counter()
    points = sweep_points(spec, max_points)  # the size is checked before anything is built
    if sc.spec.get("cascade"):  # two tiers: each draw run in full, county by county (compensation/cascade_sweep.py)
        return _cascade_sweep(sc, spec, points, year, regions, keep_draws, t0)
    problem = build_problem(sc, spec, points, year, regions)
    # large sweeps: the compiled row kernels, loaded before the chunks start (loading them in a thread beside
    # the chunks was measured 3× slower for both: the import holds the GIL)
    E.prepare_kernels(problem)
    t_build = time.perf_counter() - t0
    t_base = time.perf_counter()
    base = E.evaluate(problem, problem.points.iloc[:1], as_is=True)  # also loads the compiled kernels, once
    t_base = time.perf_counter() - t_base
    if not base["valid"][0]:
        raise InputError("the scenario itself cannot be allocated in this year", "情景本身在该年份不可分配",
                         file=problem.file, year=problem.years[-1].year)
    base_final = base["final"][0]
    plan = E.chunks(problem, chunk)
    acc = Accumulator(problem, base_final, keep_binding=keep_draws)
    matrix = []

    def on_result(res):
        acc.add(res)
        matrix.append(bool(res["matrix"]))
        if progress:
            progress(res)

    t1 = time.perf_counter()
    try:
        if engine == "dask":
            info = E.run_dask(problem, plan, base_final, on_result, scheduler, workers, client)
        else:
            info = E.run_local(problem, plan, base_final, on_result, workers, pool)
        wall = time.perf_counter() - t1
        t_finish = time.perf_counter()
        tables = acc.finish()
        t_finish = time.perf_counter() - t_finish
    except BaseException:
        acc.close()
        raise
    invalid = set(tables["invalid_draws"]["draw"])
    pts = problem.points.copy()
    pts.insert(0, "draw", np.arange(len(pts), dtype=np.int64))
    pts["feasible"] = ~pts["draw"].isin(invalid)
    info.update({
        "draws": int(problem.draws), "feasible_draws": int(problem.draws - len(invalid)), "regions": int(problem.n),
        "chunks": len(plan), "chunk_size": int(plan[0][2] - plan[0][1]) if plan else 0,
        "targets": "matrix" if all(matrix) else ("draw by draw" if not any(matrix) else "mixed"),
        "targets_note": problem.per_draw or "; ".join(sorted({y.rejected for y in problem.years if y.rejected})),
        "objective": problem.objective, "years": [y.year for y in problem.years],
        "row_kernels": "compiled (numba)" if kernels() is not None else "numpy",
        "seconds_prepare": round(t_build, 3), "seconds_scenario_draw": round(t_base, 3),
        "seconds_chunks": round(wall, 3), "seconds_statistics": round(t_finish, 3),
        "seconds_compute_sum": round(acc.seconds, 3),
        "overhead_per_chunk_s": round(max(0.0, wall * info.get("workers", 1) - acc.seconds) / max(1, len(plan)), 4),
    })
    result = SweepResult(sc.name, problem.years[-1].year, pts, tables, info, acc)
    if not keep_draws:
        result.close()
    return result


def _cascade_sweep(sc: Scenario, spec: SweepSpec, points: pd.DataFrame, year: int | None, regions, keep_draws: bool,
                   t0: float) -> SweepResult:
    from ..cascade_sweep import county_sweep

    if spec.data:
        raise InputError("uncertain region data are not swept for two-tier scenarios: vary parameters, the "
                         "budget, ratios or cascade.retention (or pass --no-data-uncertainty)",
                         "两级分配情景不支持数据不确定性扫描", key="sweep.data")
    year = year or sc.years[0]
    out = county_sweep(sc, points, year, regions=regions)
    invalid = set(out["invalid_draws"]["draw"])
    pts = points.reset_index(drop=True).copy()
    pts.insert(0, "draw", np.arange(len(pts), dtype=np.int64))
    pts["feasible"] = ~pts["draw"].isin(invalid)
    info = {"engine": "per draw (two tiers)", "workers": 1, "draws": len(pts), "feasible_draws": len(pts) - len(invalid),
            "regions": len(out["summary"]), "chunks": len(pts), "targets": "draw by draw",
            "targets_note": "two-tier scenario: every draw runs both tiers in full (compensation/cascade_sweep.py)",
            "objective": sc.spec.get("objective", "proportional"), "years": [year],
            "seconds_chunks": round(time.perf_counter() - t0, 3)}
    tables = {"summary": out["summary"], "influence": pd.DataFrame(), "input_influence": pd.DataFrame(),
              "invalid_draws": out["invalid_draws"]}
    if keep_draws:
        tables["draws"] = out["draws"]
    return SweepResult(sc.name, year, pts, tables, info)


def write_draws(result: SweepResult, path: str | Path) -> int:
    """Every feasible draw of every region as Parquet (draw, adcode, final, binding), written chunk by chunk
    (never XLSX). Returns the number of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..io import atomic_write

    acc = result.accumulator
    if acc is None and "draws" in result.tables:  # a two-tier sweep keeps its draws as one table
        from ..io import atomic_write as _aw

        draws = result.tables["draws"]
        _aw(path, lambda fh: pq.write_table(pa.Table.from_pandas(draws, preserve_index=False), fh))
        return len(draws)
    if acc is None:
        raise ValueError("the sweep was run without keep_draws")
    rows = 0

    def writer(fh):
        nonlocal rows
        w = None
        for i in sorted(acc.parts):
            table = pa.Table.from_pandas(acc.draws_frame(i), preserve_index=False)
            if w is None:
                w = pq.ParquetWriter(fh, table.schema)
            w.write_table(table)
            rows += table.num_rows
        if w is not None:
            w.close()

    atomic_write(path, writer)
    return rows


def sweep_id(sc: Scenario, spec: SweepSpec, year: int) -> str:
    payload = {"scenario": sc.spec, "year": year, "vary": [(v.path, v.values, v.low, v.high) for v in spec.varies],
               "samples": spec.samples, "seed": spec.seed, "data": spec.data, "columns": spec.data_columns}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:10]
