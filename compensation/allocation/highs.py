"""Allocation models built as arrays and passed to HiGHS (highspy) directly: the convex QP of the proportional
objective, the LP / MILP of ``min_abs`` and ``minimax``, and the small LPs of the feasibility diagnosis.

Every model has the same rows: the total Σ x_i = B and, per group g, gmin_g ≤ Σ_{i∈g} x_i ≤ gmax_g; the
columns x_i have bounds lo_i ≤ x_i ≤ hi_i (regions with a zero target are held at their floor by the caller).

- **QP** (``proportional`` with nested or overlapping groups, the fallback of :mod:`.dual_groups`): minimise
  Σ_{t_i>0} (x_i − t_i)² / t_i. HiGHS minimises ½ zᵀQz + cᵀz; in units of the mean target S, t' = t/S and
  x' = t' + √t'·z, the objective is S·Σ z², so Q = 2I and c = 0, and the rows are Σ √t'_i z_i = B/S − Σ t'_i
  (groups alike): the Hessian is the identity whatever the targets or the unit.
- **min_abs**: minimise Σ d_i with d_i ≥ x_i − t_i, d_i ≥ t_i − x_i (columns x, then d).
- **minimax**: minimise z with |x_i − t_i| ≤ z t_i for t_i > 0 (columns x, then z).
Both LPs are scaled by 1/B (x/B, d/B) for the same reason; ``integer`` makes x whole (a MILP in whole units
of the output unit: then x is not rescaled).

Building the arrays is O(n) numpy work, so 284,800 regions take a fraction of a second where a PuLP model
takes seconds; the time limit given covers build and solve (the solver gets what is left)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .solver_libs import highspy

INF = float("inf")  # = highspy.kHighsInf (tested); not read from highspy here, so that it loads only to solve


@dataclass
class HighsResult:
    x: np.ndarray | None  # the region amounts (first n columns), None without a usable solution
    status: str  # "optimal" | "time_limited" | "infeasible" | "error"
    runtime: float  # build + solve, seconds
    gap: float | None  # MIP gap (0 for a proven optimum; None when unknown)
    objective: float | None
    row_dual: np.ndarray | None = None  # duals of [total, group rows…] (QP/LP), in the model's scaling
    message: str = ""


def _csc(n_cols: int, coo):
    """Column-wise sparse arrays from (row, column, value) triples."""
    rows, cols, vals = (np.asarray(a) for a in coo)
    order = np.lexsort((rows, cols))
    start = np.zeros(n_cols + 1, dtype=np.int64)
    np.add.at(start, cols.astype(np.int64) + 1, 1)
    return np.cumsum(start).astype(np.int32), rows[order].astype(np.int32), vals[order].astype(float)


class Rows:
    """A constraint matrix built row block by row block as (row, column, value) triples, with row bounds."""

    def __init__(self):
        self.r, self.c, self.v, self.lo, self.hi = [], [], [], [], []
        self.n = 0

    def add(self, row_of_entry, cols, vals, lower, upper) -> None:
        """Rows n … n+k−1: entry j goes to row n + row_of_entry[j]; bounds per new row."""
        row_of_entry = np.asarray(row_of_entry, dtype=np.int64)
        k = int(row_of_entry.max()) + 1 if row_of_entry.size else 1
        lower = np.broadcast_to(np.asarray(lower, dtype=float), (k,))
        self.r.append(self.n + np.asarray(row_of_entry, dtype=np.int64))
        self.c.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.broadcast_to(np.asarray(vals, dtype=float), np.shape(cols)))
        self.lo.append(lower)
        self.hi.append(np.broadcast_to(np.asarray(upper, dtype=float), (k,)))
        self.n += lower.size

    def coo(self):
        return np.concatenate(self.r), np.concatenate(self.c), np.concatenate(self.v)

    def bounds(self):
        return np.concatenate(self.lo), np.concatenate(self.hi)


def run(cost, col_lower, col_upper, rows: Rows, integrality=None, hessian_diag=None, time_limit: float | None = None, t_start: float | None = None,
        n_out: int | None = None, mip_rel_gap: float | None = None, presolve: bool = True,
        on_incumbent=None) -> HighsResult:
    """Solve min cᵀx (+ ½ xᵀ diag(h) x) s.t. the rows' bounds on A x and the column bounds.

    ``t_start`` (a perf_counter value) is when the caller began building: the time limit counts from there.
    With a limit, HiGHS gets what is left as ``time_limit`` and an interrupt callback (simplex, IPM, MIP) stops
    it at the deadline too; ``on_incumbent(columns, gap, objective)`` is called with each improving MIP solution
    (all columns, original model) as HiGHS finds it. Neither can stop a presolve that does not yield: that is
    what the worker process of :mod:`.deadline` is for."""
    t_start = time.perf_counter() if t_start is None else t_start
    n = len(cost)
    start, index, value = _csc(n, rows.coo())
    row_lower, row_upper = rows.bounds()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if not presolve:  # HiGHS's presolve does not watch the clock: off for models too simple to need it
        h.setOptionValue("presolve", "off")
    if mip_rel_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    lower = np.where(np.isfinite(col_lower), col_lower, -INF).astype(float)
    upper = np.where(np.isfinite(col_upper), col_upper, INF).astype(float)
    rl = np.where(np.isfinite(row_lower), row_lower, -INF).astype(float)
    ru = np.where(np.isfinite(row_upper), row_upper, INF).astype(float)
    args = [n, rows.n, int(index.size), int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize),
            0.0, np.asarray(cost, dtype=float), lower, upper, rl, ru, start, index, value]
    h.passModel(*args, np.zeros(n, dtype=np.int32) if integrality is None else np.asarray(integrality, dtype=np.int32))
    if hessian_diag is not None:
        # HiGHS regularises QPs by 1e-7 by default, which moves the optimum by about that much: off, with
        # tighter tolerances, so that the QP path is exact to ~1e-10 of the budget (checked by the tests)
        h.setOptionValue("qp_regularization_value", 0.0)
        for opt in ("primal_feasibility_tolerance", "dual_feasibility_tolerance", "optimality_tolerance"):
            h.setOptionValue(opt, 1e-10)
        q = np.asarray(hessian_diag, dtype=float)
        nz = np.flatnonzero(q != 0)
        q_start = np.searchsorted(nz, np.arange(n + 1)).astype(np.int32)
        h.passHessian(n, int(nz.size), int(highspy.HessianFormat.kTriangular), q_start, nz.astype(np.int32), q[nz])
    if time_limit is not None:
        left = float(time_limit) - (time.perf_counter() - t_start)
        if left <= 0:
            return HighsResult(None, "time_limited", time.perf_counter() - t_start, None, None,
                               message="the time limit was used up while building the model")
        h.setOptionValue("time_limit", left)
        stop_at = time.perf_counter() + left

        def interrupt(e):
            if time.perf_counter() >= stop_at:
                e.interrupt()

        h.cbSimplexInterrupt += interrupt
        h.cbIpmInterrupt += interrupt
        h.cbMipInterrupt += interrupt
    if on_incumbent is not None:
        def improved(e):
            d = e.data_out
            on_incumbent(np.array(d.mip_solution, dtype=float), float(d.mip_gap), float(d.objective_function_value))

        h.cbMipImprovingSolution += improved
    h.run()
    runtime = time.perf_counter() - t_start
    ms = h.getModelStatus()
    info = h.getInfo()
    sol = h.getSolution()
    has_x = bool(sol.value_valid) and info.primal_solution_status == 2  # 2 = feasible
    n_out = n if n_out is None else n_out
    x = np.asarray(sol.col_value, dtype=float)[:n_out] if has_x else None
    is_mip = integrality is not None and np.any(np.asarray(integrality) != 0)
    gap = None
    if is_mip:
        g = float(info.mip_gap)
        gap = g if np.isfinite(g) else None
    if ms == highspy.HighsModelStatus.kOptimal:
        status, gap = "optimal", (gap if is_mip else 0.0)
    elif ms in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit,
                highspy.HighsModelStatus.kInterrupt):
        status = "time_limited"
    elif ms == highspy.HighsModelStatus.kInfeasible:
        status, x = "infeasible", None
    elif ms in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        status, x = "unbounded" if ms == highspy.HighsModelStatus.kUnbounded else "infeasible", None
    else:
        status = "error"
        x = None
    dual = np.asarray(sol.row_dual, dtype=float) if sol.dual_valid else None
    obj = float(info.objective_function_value) if x is not None else None
    return HighsResult(x, status, runtime, gap, obj, dual, message=h.modelStatusToString(ms))


def _total_and_groups(groups, weights, total: float, scale: float) -> Rows:
    """The total row Σ w_i x_i = total/scale and one row per group, over the first n columns."""
    n = weights.size
    rows = Rows()
    rows.add(np.zeros(n), np.arange(n), weights, total / scale, total / scale)
    for _, m, gmin, gmax in groups:
        idx = np.flatnonzero(m)
        rows.add(np.zeros(idx.size), idx, weights[idx], gmin / scale, gmax / scale)
    return rows


def qp_proportional(t, lo, hi, total: float, groups=(), time_limit: float | None = None,
                    t_start: float | None = None) -> HighsResult:
    """The minimiser of Σ_{t_i>0} (x_i − t_i)²/t_i under bounds, the total and any groups (convex QP).

    Well scaled: in units of the mean target S (t' = t/S, mostly O(1)) with x' = t' + √t'·z the objective is
    S·Σ z², so the Hessian is 2I whatever the targets, and bounds and coefficients are O(1) (the model in
    s = x/t had Hessian diag(2t/B), down to 10⁻⁶ for small regions, on which HiGHS stalled until its time limit
    on 200-region problems; in budget shares the z bounds fell to 10⁻⁷ and HiGHS ended 2,848 regions with a
    'solve error'). The rows become Σ √t'_i z_i = B/S − Σ t'_i, and alike for the groups. Regions with t_i = 0 are held at lo_i (they are not
    columns of the model). ``x`` is returned in amounts; ``objective`` is Σ (x − t)² / t at the solution;
    ``row_dual`` holds the multipliers in the scale form: λ = 1 + y_0/2 and ν_g = y_g/2 (x_i = t_i·clip(λ +
    Σ_{g∋i} ν_g) for a region within its bounds)."""
    t_start = time.perf_counter() if t_start is None else t_start
    t = np.asarray(t, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    pos = t > 0
    S = float(t[pos].sum()) / int(pos.sum()) if pos.any() else 1.0  # the mean target: every number O(1)
    tp = t[pos] / S
    r = np.sqrt(tp)
    rows = Rows()
    rest = (float(total) - float(lo[~pos].sum())) / S - float(tp.sum())
    rows.add(np.zeros(tp.size), np.arange(tp.size), r, rest, rest)
    for _, m, gmin, gmax in groups:
        m = np.asarray(m, dtype=bool)
        held = float(lo[m & ~pos].sum())
        mp = m[pos]
        base = float(tp[mp].sum())
        rows.add(np.zeros(int(mp.sum())), np.flatnonzero(mp), r[mp], (gmin - held) / S - base,
                 (gmax - held) / S - base if np.isfinite(gmax) else np.inf)
    res = run(np.zeros(tp.size), (lo[pos] / S - tp) / r, (hi[pos] / S - tp) / r, rows,
              hessian_diag=np.full(tp.size, 2.0), time_limit=time_limit, t_start=t_start)
    if res.x is not None:
        x = lo.copy()
        x[pos] = np.clip((tp + r * res.x) * S, lo[pos], hi[pos])
        res.x = x
        res.objective = float(np.sum((x[pos] - t[pos]) ** 2 / t[pos]))
        if res.row_dual is not None:
            res.row_dual = res.row_dual / 2.0
            res.row_dual[0] += 1.0
    return res


def deviation(x, t, objective: str) -> float:
    """Σ |x − t| (min_abs) or max |x − t| / t over t > 0 (minimax)."""
    if objective == "min_abs":
        return float(np.abs(x - t).sum())
    pos = t > 0
    return float(np.max(np.abs(x[pos] - t[pos]) / t[pos])) if pos.any() else 0.0


def _incumbents(on_incumbent, to_x, t, lo, hi, total: float, groups, objective: str):
    """The hook for :func:`run`: columns → amounts; passed on only when they meet the total, the bounds and the
    groups (to 1e-6 of the budget), as (amounts, gap or None, objective in amounts)."""
    if on_incumbent is None:
        return None

    def hook(cols, gap, _obj):
        x = to_x(cols)
        tol = 1e-6 * max(1.0, abs(total))
        if abs(x.sum() - total) > tol or (x < lo - tol).any() or (x > hi + tol).any():
            return
        if any(not gmin - tol <= x[m].sum() <= gmax + tol for _, m, gmin, gmax in groups):
            return
        on_incumbent(x, gap if np.isfinite(gap) else None, deviation(x, t, objective))

    return hook


def lp_deviation(t, lo, hi, total: float, groups=(), objective: str = "min_abs", integer: bool = False,
                 time_limit: float | None = None, t_start: float | None = None, on_incumbent=None) -> HighsResult:
    """min_abs (Σ |x − t|) or minimax (max |x − t| / t over t > 0), LP or MILP in whole units; arrays.

    ``on_incumbent(x, gap, objective)`` gets each improving MIP solution that meets every constraint, in amounts."""
    t_start = time.perf_counter() if t_start is None else t_start
    t = np.asarray(t, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    n = t.size
    s = 1.0 if integer or total <= 0 else float(total)  # LP in budget shares; MILP in whole units
    rows = _total_and_groups(groups, np.ones(n), float(total), s)
    if objective == "min_abs":
        return _min_abs(t, lo, hi, float(total), groups, integer, time_limit, t_start, on_incumbent)
    elif objective == "minimax":
        pos = np.flatnonzero(t > 0)
        k = pos.size
        cost = np.concatenate([np.zeros(n), [1.0]])
        col_lo = np.concatenate([lo / s, [0.0]])
        col_hi = np.concatenate([hi / s, [np.inf]])
        cols = np.column_stack([pos, np.full(k, n)]).ravel()
        tk = t[pos] / s
        rows.add(np.repeat(np.arange(k), 2), cols, np.column_stack([np.ones(k), -tk]).ravel(), -np.inf, tk)
        rows.add(np.repeat(np.arange(k), 2), cols, np.column_stack([np.ones(k), tk]).ravel(), tk, np.inf)
        integrality = np.concatenate([np.ones(n), [0]]) if integer else None
    else:
        raise ValueError(f"unknown objective {objective}")
    hook = _incumbents(on_incumbent, lambda cols: np.rint(cols[:n]) if integer else cols[:n] * s, t, lo, hi,
                       float(total), groups, objective)
    res = run(cost, col_lo, col_hi, rows, integrality=integrality, time_limit=time_limit, t_start=t_start, n_out=n,
              on_incumbent=hook)
    if res.x is not None:
        res.x = res.x * s
        if integer:
            res.x = np.rint(res.x)
        res.objective = deviation(res.x, t, objective)  # of the amounts returned (z may sit above it)
    return res


def _min_abs(t, lo, hi, total: float, groups, integer: bool, time_limit, t_start, on_incumbent=None) -> HighsResult:
    """min Σ |x − t| with x = b + Σ(moves): one row for the total and one per group, none per region.

    Each region starts at a base b_i inside its bounds and moves up by u_i or down by v_i, each at a constant
    cost per unit: |x − t| is piecewise linear, convex, with a kink at t, so
    - LP: b = clip(t, lo, hi); u ∈ [0, hi − b], v ∈ [0, b − lo], both at cost 1 (moving away from b moves away
      from t, because b is t unless t lies outside the bounds);
    - MILP (whole units): b = clip(⌊t⌋, lo, hi); when b = ⌊t⌋ the first unit up crosses t and costs
      1 − 2 frac(t) (u1 ∈ {0, 1}), every further unit 1 (u2), every unit down 1 (v); when b is a bound beyond t,
      every move costs 1. Convexity (1 − 2 frac ≤ 1) makes the solver fill u1 before u2.
    The objective is Σ |b − t| + Σ cost × moves; with a single total row (or laminar groups) the LP relaxation
    already has whole-unit vertices, so the MILP is solved at the root."""
    n = t.size
    sc = 1.0
    if integer:
        fl = np.floor(t)
        b = np.clip(fl, lo, hi)
        cross = b == fl
        room_up = np.where(np.isfinite(hi), hi - b, np.inf)
        u1_hi = np.minimum(1.0, room_up)
        u1_cost = np.where(cross, 1.0 - 2.0 * (t - fl), 1.0)
        cost = np.concatenate([u1_cost, np.ones(n), np.ones(n)])
        col_lo = np.zeros(3 * n)
        col_hi = np.concatenate([u1_hi, np.maximum(room_up - 1.0, 0.0), b - lo])
        coef = np.concatenate([np.ones(2 * n), -np.ones(n)])
        cols_of = [np.arange(n), n + np.arange(n), 2 * n + np.arange(n)]
        integrality = np.ones(3 * n)
    else:  # in units of the mean target, so that every number is O(1) whatever the money unit
        sc = max(1.0, total / n)
        t, lo, hi, total = t / sc, lo / sc, hi / sc, total / sc
        b = np.clip(t, lo, hi)
        cost = np.ones(2 * n)
        col_lo = np.zeros(2 * n)
        col_hi = np.maximum(np.concatenate([np.where(np.isfinite(hi), hi - b, np.inf), b - lo]), 0.0)
        coef = np.concatenate([np.ones(n), -np.ones(n)])
        cols_of = [np.arange(n), n + np.arange(n)]
        integrality = None
    k = len(cols_of)
    rows = Rows()
    every = np.arange(k * n)
    rows.add(np.zeros(k * n), every, coef, total - b.sum(), total - b.sum())
    for _, m, gmin, gmax in groups:
        idx = np.flatnonzero(m)
        cols = np.concatenate([c[idx] for c in cols_of])
        gb = float(b[idx].sum())
        rows.add(np.zeros(cols.size), cols, np.concatenate([np.full(idx.size, coef[j * n]) for j in range(k)]),
                 gmin / sc - gb, gmax / sc - gb)
    # the LP relaxation first: a vertex of it is whole when the groups are laminar (one row, or nested/disjoint
    # rows of ±1), and a whole LP optimum is a MILP optimum; the MILP runs only when it is not
    res = run(cost, col_lo, col_hi, rows, time_limit=time_limit, t_start=t_start)
    if integer and res.x is not None and np.abs(res.x - np.rint(res.x)).max() > 1e-6:
        def to_x(cols):
            moves = np.rint(cols).reshape(k, n)
            return b + moves[:-1].sum(axis=0) - moves[-1]

        hook = _incumbents(on_incumbent, to_x, t, lo, hi, total, groups, "min_abs")
        res = run(cost, col_lo, col_hi, rows, integrality=integrality, time_limit=time_limit, t_start=t_start,
                  on_incumbent=hook)
    elif integer and res.x is not None:
        res.x, res.gap = np.rint(res.x), 0.0
    if res.x is not None:
        moves = res.x.reshape(k, n)
        x = b + moves[:-1].sum(axis=0) - moves[-1]
        res.x = np.rint(x) if integer else x * sc
        res.objective = float(np.abs(res.x - (t if integer else t * sc)).sum())
    return res


def feasible_range(lo, hi, groups=(), time_limit: float | None = 10) -> tuple[float | None, float | None]:
    """(smallest, largest) total Σ x reachable under the bounds and the groups (two LPs); (None, None) when the
    bounds and groups cannot hold together at any total."""
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    n = lo.size
    scale = max(1.0, float(np.abs(lo).sum()), float(np.abs(hi[np.isfinite(hi)]).sum()))
    out = []
    for sign in (1.0, -1.0):
        rows = Rows()
        rows.add(np.zeros(n), np.arange(n), 1.0, -np.inf, np.inf)  # placeholder total row (free)
        for _, m, gmin, gmax in groups:
            idx = np.flatnonzero(m)
            rows.add(np.zeros(idx.size), idx, 1.0, gmin / scale, gmax / scale)
        res = run(np.full(n, sign), lo / scale, hi / scale, rows, time_limit=time_limit)
        if res.status == "infeasible":
            return None, None
        if res.status == "unbounded":
            out.append(np.inf)
        else:
            out.append(None if res.x is None else float(res.x.sum()) * scale)
    return out[0], out[1]
