"""A scenario made ready for many draws: everything that does not change between draws is computed once
(region table, bounds, groups, budgets, the initial last-year amounts), and the method's targets are written
as one matrix operation where the method allows it.

Targets by matrix. ``allocate()`` scales the method's raw amounts r(p) to the budget: t = B · r / Σ r. Only
the direction of r matters, so when r is affine in the varied inputs p (a weight inside a weighted sum, a pool
share, the budget of a pooled component), r(p) = r₀ + Σ_k (p_k − c_k)/h_k · Δ_k with Δ_k = r(c + h_k e_k) −
r(c) from k + 1 evaluations of the method at the centre c of the ranges. Whether the method *is* affine in
the chosen inputs is not assumed: the matrix targets are compared with the method's own targets, before the
sweep, at 16 draws spread evenly over it (at most 1e-9 of the largest target apart, and zero exactly where the
method gives zero). A method that fails the check (ratios of the varied inputs,
tiers, non-linear factors, uncertain region data) gets its targets draw by draw from the method itself — the
water-filling and rounding stay batched either way."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..allocation.api import LAST_YEAR, Constraints, build_bounds, group_shares
from ..allocation.methods import compute_targets, total_target
from ..allocation.params import Method, load_method
from ..money import UNITS
from ..problems import InputError, Report
from ..scenario import Scenario, _rel, budget_for_years, overrides_for_year
from .batched import EXCLUDED, LOCKED
from .spec import SweepSpec

CHECK_TOL = 1e-9


@dataclass
class YearModel:
    year: int
    budget: int  # the scenario's budget, whole output units
    overrides: dict  # the scenario's overrides in force this year
    basis: np.ndarray | None = None  # (1 + k, n) affine basis of the raw amounts, None: draw by draw
    centre: np.ndarray | None = None
    half: np.ndarray | None = None
    rejected: str = ""  # why the matrix targets were not used
    basis_sorted: np.ndarray | None = None  # the basis in adcode order (once the basis is accepted)


@dataclass
class SweepProblem:
    """Everything a chunk of draws needs; pickled once to each worker."""

    scenario: str
    file: str
    method: Method
    unit: str
    objective: str
    time_limit: float | None
    regions: pd.DataFrame  # in the scenario's order, with the initial last-year column set
    order: np.ndarray  # permutation into adcode order (every matrix of a chunk is in that order)
    adcodes: np.ndarray  # in adcode order
    names: np.ndarray
    years: list[YearModel]
    constraints: Constraints
    carry: bool
    lo_abs: np.ndarray  # bounds without ratios, adcode order, output unit (unrounded)
    hi_abs: np.ndarray
    fixed: np.ndarray  # int8 codes LOCKED / EXCLUDED, adcode order
    groups: list  # (name, mask in adcode order, min share, max share) of the budget
    points: pd.DataFrame  # one row per draw: the varied inputs
    param_cols: list[str]  # varied method parameters
    data_noise: dict[str, np.ndarray] = field(default_factory=dict)  # column -> ± fraction per region (orig order)
    seed: int = 0
    budget_unit: str = "万元"
    per_draw: str = ""  # why every draw goes through run.compute (components paid exactly or carried over)
    source: Scenario | None = None
    last_sorted: np.ndarray | None = None  # last year's amount (万元, NaN: none) in adcode order, read once

    @property
    def n(self) -> int:
        return len(self.adcodes)

    @property
    def draws(self) -> int:
        return len(self.points)

    @property
    def batched_targets(self) -> bool:
        return all(y.basis is not None for y in self.years)


def _raw(method: Method, regions: pd.DataFrame, budget_yuan: float, year: int, ov: dict) -> np.ndarray:
    comp, _ = compute_targets(method, regions, budget_yuan, year, ov)
    return total_target(comp)


def to_target(raw: np.ndarray, budget, unit: str) -> np.ndarray:
    """allocate()'s scaling of the raw amounts (元) to the budget (whole output units), row by row."""
    raw = np.atleast_2d(raw)
    budget = np.asarray(budget, dtype=float).reshape(-1, 1)
    scale = budget * UNITS[unit] / raw.sum(axis=1, keepdims=True)
    return raw * (scale / UNITS[unit])


def to_target_inplace(raw: np.ndarray, budget, unit: str) -> np.ndarray:
    """:func:`to_target` overwriting ``raw`` (m, n) (the same arithmetic, without a temporary)."""
    budget = np.asarray(budget, dtype=float).reshape(-1, 1)
    scale = budget * UNITS[unit] / raw.sum(axis=1, keepdims=True)
    return np.multiply(raw, scale / UNITS[unit], out=raw)


def draw_budgets(problem: SweepProblem, year: YearModel, rows: pd.DataFrame) -> np.ndarray:
    """Budget of each draw in whole output units: the varied ``budget`` (budget unit, rounded half-up) for the
    swept (last) year, the scenario's budget otherwise."""
    if "budget" in rows and year is problem.years[-1]:
        v = rows["budget"].to_numpy(dtype=float) * UNITS[problem.budget_unit] / UNITS[problem.unit]
        return np.floor(v + 0.5).astype(np.int64)
    return np.full(len(rows), year.budget, dtype=np.int64)


def year_overrides(year: YearModel, row: dict, param_cols: list[str]) -> dict:
    ov = dict(year.overrides)
    ov.update({p: float(row[p]) for p in param_cols})
    return ov


def build_problem(sc: Scenario, spec: SweepSpec, points: pd.DataFrame, year: int | None = None,
                  regions: pd.DataFrame | None = None) -> SweepProblem:
    """Check the varied inputs against the scenario and its method, and prepare the years up to ``year``."""
    from ..run import _constraints, _initial_last_year, scenario_regions

    file = _rel(sc.files[-1]) if sc.files else sc.name
    if sc.spec.get("cascade"):
        raise InputError("sweeps of a two-tier (cascade) scenario are not supported: sweep its central tier by "
                         "a scenario without the cascade section", "暂不支持对两级(cascade)情景做扫描",
                         file=file, key="cascade")
    years = sc.years
    year = year or years[0]
    if year not in years:
        raise InputError(f"year {year} is not one of the scenario's years ({years[0]}–{years[-1]})",
                         f"{year} 年不在情景年份内", file=file, key="years", year=year)
    method = load_method(sc.spec["method"])
    unit = sc.unit
    c = sc.spec.get("constraints") or {}
    carry = bool(c.get("carry_over", "floor_ratio" in c or "cap_ratio" in c))
    chain = [y for y in years if y <= year] if carry else [year]
    rep = Report()
    budgets = budget_for_years(sc.spec, chain, unit, file, rep)
    rep.raise_if_errors()
    budget_unit = (sc.spec.get("budget") or {}).get("unit", unit)
    param_cols = []
    for v in spec.varies:
        if v.path in ("constraints.floor_ratio", "constraints.cap_ratio"):
            lo, hi = v.span()
            if lo < 0 or hi > 100:
                raise InputError(f"{v.path} must lie between 0 and 100, the range is {lo:g}–{hi:g}",
                                 f"{v.path} 须在 0 到 100 之间", key=f"--vary {v.path}")
            continue
        if v.path == "budget":
            if v.span()[0] <= 0:
                raise InputError("a varied budget must be positive", "扫描的预算必须为正数", key="--vary budget")
            continue
        if v.path not in method.parameters:
            known = ", ".join(sorted(p for p in method.parameters))
            raise InputError(f"'{v.path}' is neither a parameter of method '{method.name}' nor budget / "
                             f"constraints.floor_ratio / constraints.cap_ratio; parameters: {known}",
                             f"'{v.path}' 不是方法 '{method.name}' 的参数,也不是 budget 或上下限比例",
                             key=f"--vary {v.path}", file=file)
        current = method.parameters[v.path].at(year, method.name)[0]
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise InputError(f"parameter '{v.path}' of method '{method.name}' is not a single number "
                             f"({type(current).__name__}); only numbers can be varied",
                             f"参数 '{v.path}' 不是单个数值,无法扫描", key=f"--vary {v.path}", file=file)
        param_cols.append(v.path)
    paths = [v.path for v in spec.varies]
    dup = sorted({p for p in paths if paths.count(p) > 1})
    if dup:
        raise InputError(f"{', '.join(dup)} varied more than once", f"{', '.join(dup)} 被重复扫描", key="--vary")

    regions = scenario_regions(sc) if regions is None else regions
    regions = regions.reset_index(drop=True).copy()
    regions["adcode"] = regions["adcode"].astype(str)
    last = _initial_last_year(sc, regions)
    if last is not None:
        regions[LAST_YEAR] = last.to_numpy(dtype=float)
    elif carry:
        regions[LAST_YEAR] = np.nan
    constraints = _constraints(c)
    ratios = constraints.floor_ratio is not None or constraints.cap_ratio is not None or any(
        v.path in ("constraints.floor_ratio", "constraints.cap_ratio") for v in spec.varies)
    if ratios and LAST_YEAR not in regions:
        raise InputError(f"floor or cap ratios need column '{LAST_YEAR}' (last year's amount, 万元)",
                         f"按上年比例设上下限需要列 '{LAST_YEAR}'(上年补助额,万元)", column=LAST_YEAR, file=file)
    order = np.argsort(regions["adcode"].to_numpy(dtype=str), kind="stable")
    diag: list = []
    abs_c = Constraints(floors=constraints.floors, caps=constraints.caps, locks=constraints.locks,
                        exclude=constraints.exclude)
    lo_abs, hi_abs, fixed = build_bounds(abs_c, regions, unit, diag)
    codes = np.where(fixed == "locked", LOCKED, np.where(fixed == "excluded", EXCLUDED, 0)).astype(np.int8)
    groups = group_shares(constraints, regions) if constraints.groups else []
    if groups and sc.spec.get("objective", "proportional") == "proportional":
        overlap = sum(g[1].astype(int) for g in groups)
        if np.max(overlap) > 1:
            raise InputError("the proportional objective needs groups that do not overlap",
                             "按比例目标要求各组互不重叠", file=file, key="constraints.groups")
    groups = [(name, m[order], smin, smax) for name, m, smin, smax in groups]  # shares (Decimal; max may be None)
    names = (regions["name_zh"].astype(str) if "name_zh" in regions else pd.Series([""] * len(regions)))
    models = [YearModel(y, budgets[y], overrides_for_year(sc.spec.get("overrides") or {}, y)) for y in chain]
    problem = SweepProblem(sc.name, file, method, unit, sc.spec.get("objective", "proportional"),
                           sc.spec.get("time_limit", 30), regions, order,
                           regions["adcode"].to_numpy(dtype=str)[order], names.to_numpy(dtype=str)[order], models,
                           constraints, carry, lo_abs[order], hi_abs[order], codes[order], groups,
                           points.reset_index(drop=True), param_cols, seed=spec.seed,
                           budget_unit=str(budget_unit))
    _check_draws(problem)
    problem.source = sc
    if LAST_YEAR in regions:
        problem.last_sorted = pd.to_numeric(regions[LAST_YEAR], errors="coerce").to_numpy(dtype=float)[order]
    for ym in models:
        _, ctx = compute_targets(method, regions, ym.budget * UNITS[unit], ym.year, ym.overrides)
        special = list(getattr(ctx, "exact", [])) + list(getattr(ctx, "carry", []))
        if special:
            problem.per_draw = (f"method '{method.name}' pays {', '.join(special)} exactly or carries it over: "
                                f"every draw runs run.compute")
    if spec.data:
        problem.data_noise = data_noise(method, regions, spec, models[-1], param_cols, unit)
    for ym in models:
        _fit_year(problem, ym, spec)
    return problem


def _check_draws(problem: SweepProblem) -> None:
    """Every draw's parameters must be acceptable to the method (e.g. weights that must add up to 1).

    The method's checks of a single override (a finite number, a weight not negative) look at each value on
    its own, so when no varied parameter is in a sum-to-one group, the draw made of every column's minimum
    and the draw made of every column's maximum pass exactly when all draws do (NaN reaches both); only then
    is the per-draw loop skipped. When one of them fails, the loop finds the first failing draw."""
    if not problem.param_cols:
        return
    pts = problem.points[problem.param_cols]
    grouped = {p for group in problem.method.sum_to_one for p in group}
    if len(pts) > 2 and not grouped & set(problem.param_cols):
        extremes = [{p: float(pts[p].to_numpy(dtype=float).min()) for p in problem.param_cols},
                    {p: float(pts[p].to_numpy(dtype=float).max()) for p in problem.param_cols}]
        try:
            for ym in problem.years:
                for row in extremes:
                    problem.method.values(ym.year, year_overrides(ym, row, problem.param_cols))
            return
        except InputError:
            pass  # the loop below names the first failing draw
    for ym in problem.years:
        for i, row in enumerate(pts.to_dict("records")):
            try:
                problem.method.values(ym.year, year_overrides(ym, row, problem.param_cols))
            except InputError as exc:
                p = exc.report.errors[0]
                raise InputError(f"draw {i}: {p.message_en}", f"第 {i} 次抽样:{p.message_zh}", file=problem.file,
                                 key="--vary", year=ym.year) from None


def data_noise(method: Method, regions: pd.DataFrame, spec: SweepSpec, ym: YearModel, param_cols, unit):
    """± fraction per region for each numeric column the method uses, from each value's status (per-value
    sources file, else the row's ``data_status``); values of a status without a stated fraction stay fixed."""
    from .. import schema

    _, ctx = compute_targets(method, regions, ym.budget * UNITS[unit], ym.year, ym.overrides)
    used = sorted(ctx.used_columns)
    cols = spec.data_columns if spec.data_columns is not None else used
    out = {}
    sources = regions.attrs.get("sources")
    for col in cols:
        if col not in regions.columns:
            raise InputError(f"sweep.data_columns: no column '{col}' in the region data",
                             f"sweep.data_columns:地区数据中没有列 '{col}'", key="sweep.data_columns", column=col)
        info = schema.COLUMNS.get(col)
        if col == LAST_YEAR or (info is not None and not info.numeric):
            continue
        status = pd.Series([""] * len(regions))
        if sources is not None and len(sources) and col in set(sources["column"]):
            s = sources[sources["column"] == col].drop_duplicates("adcode", keep="last").set_index("adcode")
            status = regions["adcode"].map(s["status"]).fillna("")
        elif "data_status" in regions:
            status = regions["data_status"].astype(str)
        frac = status.map(lambda s: spec.data.get(s, 0.0)).to_numpy(dtype=float)
        if (frac > 0).any():
            out[col] = frac
    if not out:
        raise InputError("sweep.data: no value of the columns the method uses has a status with a stated ± "
                         f"fraction (columns: {', '.join(cols)}; fractions: {spec.data})",
                         "sweep.data:方法所用各列中没有任何取值的数据状态给出了浮动比例", key="sweep.data")
    return out


def _fit_year(problem: SweepProblem, ym: YearModel, spec: SweepSpec) -> None:
    """The affine basis of the raw amounts in the varied inputs, checked at up to 16 draws; None if it fails."""
    inputs = list(problem.param_cols)
    last = ym is problem.years[-1]
    if last and "budget" in problem.points:
        inputs.append("budget")
    if problem.data_noise:
        ym.rejected = "region data vary by draw"
        return
    spans = {v.path: v.span() for v in spec.varies}
    centre = np.array([(spans[p][0] + spans[p][1]) / 2 for p in inputs])
    half = np.array([(spans[p][1] - spans[p][0]) / 2 for p in inputs])
    regions = problem.regions

    def raw_at(values: np.ndarray) -> np.ndarray:
        ov = dict(ym.overrides)
        budget = ym.budget
        for p, v in zip(inputs, values, strict=True):
            if p == "budget":
                budget = float(np.floor(v * UNITS[problem.budget_unit] / UNITS[problem.unit] + 0.5))
            else:
                ov[p] = float(v)
        return _raw(problem.method, regions, budget * UNITS[problem.unit], ym.year, ov)

    k = len(inputs)
    q = centre + half * np.random.default_rng(12345).uniform(-0.8, 0.8, k)  # one more probe, off the axes
    try:
        u0 = raw_at(centre)
        us = [raw_at(centre + half * np.eye(k)[j]) for j in range(k)]
        rq = raw_at(q) if k else u0
    except InputError as exc:  # a probe point the method refuses (e.g. weights that must add up to 1)
        ym.rejected = f"the method refuses a probe point: {exc.report.errors[0].message_en}"
        return
    # raw(p) = a(p) × s(p): a affine, s a scalar per point (a pool divided by shares keeps Σ raw fixed).
    # With a(c) = u0 and a(c + h e_j) = α_j u_j, the probe q fixes the α_j: raw(q) = β (a(c) + Σ t_j (α_j u_j −
    # u0)) is linear in (β, β α_j); least squares, exact when the model holds (checked below).
    alpha = np.ones(k)
    if k:
        tq = (q - centre) / half
        A = np.column_stack([(1 - tq.sum()) * u0, *[tq[j] * us[j] for j in range(k)]])
        sol, *_ = np.linalg.lstsq(A, rq, rcond=None)
        if sol[0] != 0 and np.isfinite(sol).all():
            alpha = sol[1:] / sol[0]
    deltas = [alpha[j] * us[j] - u0 for j in range(k)]
    basis = np.vstack([u0, *deltas]) if deltas else u0[None, :]
    ym.basis, ym.centre, ym.half = basis, centre, half
    pts = problem.points
    probe = check_draws(len(pts))
    for i in probe:
        row = pts.iloc[i]
        if not check_row(problem, ym, row):
            ym.basis = ym.centre = ym.half = None
            ym.rejected = f"targets are not affine in {', '.join(inputs) or 'nothing'} (checked at draw {i})"
            return
    ym.basis_sorted = np.ascontiguousarray(basis[:, problem.order])


CHECKS = 16  # draws at which the matrix targets are checked against the method's own, spread over the sweep


def check_draws(draws: int) -> list[int]:
    """The draws whose matrix targets are compared with the method's: up to ``CHECKS``, evenly spread from
    the first to the last (they depend only on the number of draws, not on the chunks or the engine)."""
    return sorted({int(round(v)) for v in np.linspace(0, max(draws - 1, 0), min(CHECKS, max(draws, 1)))})


def basis_inputs(problem: SweepProblem, ym: YearModel) -> list[str]:
    inputs = list(problem.param_cols)
    if ym is problem.years[-1] and "budget" in problem.points:
        inputs.append("budget")
    return inputs


def matrix_raw(problem: SweepProblem, ym: YearModel, rows: pd.DataFrame, adcode_order: bool = False) -> np.ndarray:
    """Raw amounts (元) of many draws at once from the affine basis; (m, n), scenario order (adcode order with
    ``adcode_order``, from a basis permuted once, so the chunk's matrices are contiguous in that order)."""
    inputs = basis_inputs(problem, ym)
    basis = ym.basis
    if adcode_order:
        basis = ym.basis_sorted if ym.basis_sorted is not None else np.ascontiguousarray(basis[:, problem.order])
    if not inputs:
        return np.broadcast_to(basis[0], (len(rows), problem.n)).copy()
    vals = np.empty((len(rows), len(inputs)))
    for j, name in enumerate(inputs):  # column by column: selecting a sub-frame costs ~1.5 ms per chunk
        vals[:, j] = rows[name].to_numpy(dtype=float)
    if "budget" in inputs:
        j = inputs.index("budget")
        vals[:, j] = np.floor(vals[:, j] * UNITS[problem.budget_unit] / UNITS[problem.unit] + 0.5)
    coef = (vals - ym.centre) / ym.half
    out = coef @ basis[1:]
    out += basis[0]
    return out


def exact_raw(problem: SweepProblem, ym: YearModel, row, regions: pd.DataFrame | None = None) -> np.ndarray:
    """The method's own raw amounts (元) for one draw (scenario order)."""
    ov = year_overrides(ym, row, problem.param_cols)
    budget = draw_budgets(problem, ym, pd.DataFrame([row]))[0] if "budget" in row else ym.budget
    return _raw(problem.method, problem.regions if regions is None else regions, float(budget) * UNITS[problem.unit],
                ym.year, ov)


def check_row(problem: SweepProblem, ym: YearModel, row) -> bool:
    """The matrix targets of one draw agree with the method's own (and are zero exactly where it gives 0)."""
    exact = exact_raw(problem, ym, row)
    pred = np.maximum(matrix_raw(problem, ym, pd.DataFrame([row]))[0], 0.0)
    if not np.array_equal(exact > 0, pred > 0) or exact.sum() <= 0:
        return False
    te = exact / exact.sum()
    tp = pred / pred.sum()
    return bool(np.max(np.abs(te - tp)) <= CHECK_TOL * max(te.max(), 1e-300))
