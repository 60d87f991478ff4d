"""The proportional allocation of :mod:`compensation.allocation.constrained`, vectorised over many draws.

Each row of the (draws × regions) arrays is one allocation problem

    minimise Σ_i (x_i − t_i)² / t_i   subject to   lo_i ≤ x_i ≤ hi_i,   Σ_i x_i = B   (+ disjoint group totals)

whose solution is x_i = clip(λ t_i, lo_i, hi_i) for one scale factor λ per row (and per pinned group).
S(λ) = Σ clip(λ t_i, lo_i, hi_i) is piecewise linear and non-decreasing with breakpoints lo_i/t_i and
hi_i/t_i; sorting the 2n breakpoints of every row at once (one ``argsort`` along the rows), accumulating the
fixed part and the slope after each breakpoint, and finding the first breakpoint where S reaches B gives λ
exactly, as :func:`constrained.water_fill` does for one row. Ties between breakpoints give the same S, so the
sort need not be stable.

Rounding is the project's one rule, largest remainder (:func:`compensation.money.largest_remainder`) within
integer bounds, with equal remainders broken by adcode order (:func:`constrained.round_block`): each value is
floored and kept within its bounds; the units still missing go one each to the largest fractional remainders
(ties to the earlier adcode) among the values that can still take one (or, when the floors overshoot, are
taken one each from the smallest remainders). Per row that is a top-k selection: the k-th largest remainder
is found by one sort of the rows, every remainder above it is chosen, and among those equal to it the first
ones by adcode. The result is the same integer table as ``allocate()`` gives draw by draw (the test suite
checks this for hundreds of draws over several methods with floors, caps and groups).

Groups (disjoint, each with whole-unit minimum and maximum totals) use the closed form of
:func:`constrained.closed_form`: each member's bounds are tightened to the water-filling solution of its group
alone at the group's minimum and at its maximum, then one water-filling over all regions gives the exact
optimum. Rows with groups are then settled in whole units by :func:`constrained.settle` itself, row by row
(the group-aware rule); rows without groups by the vectorised largest remainder below, which is the same
rule when no group bound applies."""

from __future__ import annotations

import numpy as np

# binding codes in the (draws × regions) int8 matrix; 0 is "not at a bound"
FLOOR, CAP, LOCKED, EXCLUDED = 1, 2, 3, 4
BINDING_NAMES = {0: "", FLOOR: "floor", CAP: "cap", LOCKED: "locked", EXCLUDED: "excluded"}


def water_fill_rows(t, lo, hi, total, member=None) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise x = clip(λ t, lo, hi) with Σ x = total over the columns where ``member`` is True; regions with
    t ≤ 0 stay at lo. ``t``: (m, n); ``lo``/``hi``: (m, n) or (n,); ``total``: (m,). Returns (x, λ) with x
    equal to ``lo`` outside ``member``. Rows are assumed feasible (Σ lo ≤ total ≤ Σ movable hi)."""
    t = np.asarray(t, dtype=float)
    m, n = t.shape
    lo = np.broadcast_to(np.asarray(lo, dtype=float), (m, n))
    hi = np.broadcast_to(np.asarray(hi, dtype=float), (m, n))
    total = np.asarray(total, dtype=float).reshape(m)
    member = np.ones((m, n), dtype=bool) if member is None else np.broadcast_to(member, (m, n))
    pos = (t > 0) & member
    rest = total - np.where(member & ~pos, lo, 0.0).sum(axis=1)
    safe_t = np.where(pos, t, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        events = np.concatenate([np.where(pos, lo / safe_t, np.inf), np.where(pos, hi / safe_t, np.inf)], axis=1)
        d_const = np.concatenate([np.where(pos, -lo, 0.0), np.where(pos, hi, 0.0)], axis=1)
    d_slope = np.concatenate([np.where(pos, t, 0.0), np.where(pos, -t, 0.0)], axis=1)
    order = np.argsort(events, axis=1)  # ties give the same S: no stable sort needed
    lam = np.take_along_axis(events, order, axis=1)
    del events
    const = np.where(pos, lo, 0.0).sum(axis=1)[:, None] + np.cumsum(np.take_along_axis(d_const, order, axis=1),
                                                                    axis=1)
    slope = np.cumsum(np.take_along_axis(d_slope, order, axis=1), axis=1)
    del d_const, d_slope, order
    with np.errstate(invalid="ignore"):  # inf caps give inf − inf at the last breakpoints
        s_at = np.where(np.isfinite(lam), const + np.where(slope != 0, lam * slope, 0.0), np.inf)
    s_at = np.maximum.accumulate(s_at, axis=1)  # S is non-decreasing; as constrained.water_fill
    k = (s_at < rest[:, None]).sum(axis=1)  # = searchsorted(side="left"), no tolerance (constrained.water_fill)
    del s_at
    L = lam.shape[1]
    rows = np.arange(m)
    km1 = np.clip(k - 1, 0, L - 1)
    kk = np.clip(k, 0, L - 1)
    c_prev, s_prev = const[rows, km1], slope[rows, km1]
    with np.errstate(invalid="ignore", divide="ignore"):
        inner = np.where(s_prev > 0, (rest - c_prev) / np.where(s_prev > 0, s_prev, 1.0), lam[rows, kk])
    inner = np.minimum(np.maximum(inner, lam[rows, km1]), lam[rows, kk])
    scale = np.where(k == 0, lam[:, 0], np.where(k >= L, lam[:, -1], inner))
    any_pos = pos.any(axis=1)
    scale = np.where(any_pos, scale, 1.0)
    with np.errstate(invalid="ignore"):
        x = np.where(pos, np.clip(scale[:, None] * t, lo, hi), lo)
    return x, scale


def integer_bounds(lo, hi, total) -> tuple[np.ndarray, np.ndarray]:
    """Whole-unit bounds as :func:`constrained.round_block` makes them (an infinite cap becomes the total)."""
    total = np.asarray(total, dtype=float)
    lo_i = np.ceil(np.asarray(lo, dtype=float) - 1e-9)
    hi = np.asarray(hi, dtype=float)
    cap_total = np.maximum(total, 0.0)[:, None] if total.ndim else max(float(total), 0.0)
    hi_i = np.where(np.isfinite(hi), np.floor(hi + 1e-9), cap_total)
    return lo_i, hi_i


def _select_rows(score, k, eligible) -> np.ndarray:
    """Per row, the ``k`` largest ``score`` among ``eligible`` columns, equal scores to the earlier column
    (what ``np.lexsort((arange, -score))`` filtered by ``eligible`` then cut at k gives)."""
    m, n = score.shape
    chosen = np.zeros((m, n), dtype=bool)
    need = k > 0
    if not need.any():
        return chosen
    idx = np.flatnonzero(need)
    s = np.where(eligible[idx], score[idx], -np.inf)
    kk = np.minimum(k[idx], eligible[idx].sum(axis=1))  # fewer candidates than needed: the row is not ok
    desc = -np.sort(-s, axis=1)
    v = desc[np.arange(idx.size), np.maximum(kk, 1) - 1][:, None]
    v = np.where(kk[:, None] > 0, v, np.inf)
    above = s > v
    equal = (s == v) & eligible[idx]
    take_eq = (kk - above.sum(axis=1))[:, None]
    chosen[idx] = above | (equal & (np.cumsum(equal, axis=1) <= take_eq))
    return chosen


def round_rows(x, total, lo, hi, member=None) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise largest remainder: integers adding up to ``total`` (m,) over the ``member`` columns, each
    within its whole-unit bounds. Columns must already be in adcode order (ties go to the earlier column).
    Returns (int64 array, ok per row); a row that cannot reach its total within the bounds has ok False."""
    x = np.asarray(x, dtype=float)
    m, n = x.shape
    total = np.asarray(total, dtype=np.int64).reshape(m)
    member = np.ones((m, n), dtype=bool) if member is None else np.broadcast_to(member, (m, n))
    lo_i, hi_i = integer_bounds(np.broadcast_to(lo, (m, n)), np.broadcast_to(hi, (m, n)), total.astype(float))
    x = np.clip(x, lo_i, hi_i)
    lo_n, hi_n = lo_i.astype(np.int64), hi_i.astype(np.int64)
    base = np.floor(x + 1e-9).astype(np.int64)
    base = np.minimum(np.maximum(base, lo_n), hi_n)
    missing = total - np.where(member, base, 0).sum(axis=1)
    frac = x - base
    up = _select_rows(frac, np.maximum(missing, 0), member & (base < hi_n))
    down = _select_rows(-frac, np.maximum(-missing, 0), member & (base > lo_n))
    ok = (up.sum(axis=1) == np.maximum(missing, 0)) & (down.sum(axis=1) == np.maximum(-missing, 0))
    out = base + up - down
    return np.where(member, out, 0), ok


def feasible_rows(t, lo, hi, budget, groups=()) -> np.ndarray:
    """Rows that :func:`compensation.allocation.feasibility.diagnose` finds no problem with, for disjoint
    groups: floors ≤ caps; each group's bounds reachable by its members; and the budget within
    [T_min, T_max] = [Σ_rest lo + Σ_g max(gmin, Σ_g lo), Σ_rest movable + Σ_g min(gmax, Σ_g movable)]."""
    t = np.asarray(t, dtype=float)
    m, n = t.shape
    lo = np.broadcast_to(lo, (m, n))
    hi = np.broadcast_to(hi, (m, n))
    budget = np.asarray(budget, dtype=float)
    ok = ~(lo > hi).any(axis=1)
    movable = np.where(t > 0, hi, lo)
    in_any = np.zeros(n, dtype=bool)
    t_min = np.zeros(m)
    t_max = np.zeros(m)
    for _name, mask, gmin, gmax in groups:
        gmin = np.broadcast_to(np.asarray(gmin, dtype=float), (m,))
        gmax = np.broadcast_to(np.asarray(gmax, dtype=float), (m,))
        g_lo, g_hi = lo[:, mask].sum(axis=1), movable[:, mask].sum(axis=1)
        ok &= ~(gmin > g_hi) & ~(gmax < g_lo) & ~(gmin > gmax)
        t_min += np.maximum(gmin, g_lo)
        t_max += np.minimum(gmax, g_hi)
        in_any |= mask
    t_min += lo[:, ~in_any].sum(axis=1)
    t_max += movable[:, ~in_any].sum(axis=1)
    ok &= (t_min <= budget) & (budget <= t_max)
    return ok


def proportional_rows(t, lo, hi, budget, groups=()):
    """Row-wise :func:`constrained.proportional` with ``integer=True`` (disjoint groups), columns in adcode
    order.

    ``t``: (m, n) targets; ``lo``/``hi``: (m, n) or (n,) whole-unit bounds; ``budget``: (m,) integer
    totals; ``groups``: (name, member mask (n,), whole min totals (m,), whole max totals (m,)). Returns (x,
    final int64, common scale λ (m,), ok (m,)); rows with ok False could not be settled within their bounds."""
    from ..allocation.constrained import settle

    t = np.asarray(t, dtype=float)
    m, n = t.shape
    lo = np.broadcast_to(np.asarray(lo, dtype=float), (m, n))
    hi = np.broadcast_to(np.asarray(hi, dtype=float), (m, n))
    hi = np.where(t > 0, hi, lo)  # zero targets stay at their floor
    budget = np.asarray(budget, dtype=float).reshape(m)
    lo2, hi2 = lo.copy(), hi.copy()
    for _name, mask, gmin, gmax in groups:
        gmin = np.broadcast_to(np.asarray(gmin, dtype=float), (m,))
        gmax = np.broadcast_to(np.asarray(gmax, dtype=float), (m,))
        raise_rows = np.flatnonzero(gmin > lo[:, mask].sum(axis=1))
        if raise_rows.size:
            xg, _ = water_fill_rows(t[raise_rows], lo[raise_rows], hi[raise_rows], gmin[raise_rows], mask)
            lo2[np.ix_(raise_rows, np.flatnonzero(mask))] = xg[:, mask]
        cap_rows = np.flatnonzero(gmax < hi[:, mask].sum(axis=1))
        if cap_rows.size:
            xg, _ = water_fill_rows(t[cap_rows], lo[cap_rows], hi[cap_rows], gmax[cap_rows], mask)
            hi2[np.ix_(cap_rows, np.flatnonzero(mask))] = xg[:, mask]
    x, scale = water_fill_rows(t, lo2, hi2, budget)
    total = np.round(budget).astype(np.int64)
    if not groups:
        final, ok = round_rows(x, total, lo, hi)
        return x, final, scale, ok
    final = np.zeros((m, n), dtype=np.int64)
    ok = np.ones(m, dtype=bool)
    for i in range(m):
        g = [(name, mask, float(np.broadcast_to(gmin, (m,))[i]), float(np.broadcast_to(gmax, (m,))[i]))
             for name, mask, gmin, gmax in groups]
        f = settle(x[i], int(total[i]), lo[i], hi[i], g)
        if f is None:
            ok[i] = False
        else:
            final[i] = f
    return x, final, scale, ok


def binding_codes(x, target, scale_rest, lo, hi, fixed_codes=None) -> np.ndarray:
    """The ``binding`` column of ``allocate()`` as int8 codes: a region at its floor whose scaled target is
    below it, or at its cap whose scaled target is above it; locked and excluded regions keep their kind."""
    ref = target * scale_rest[:, None]
    tol = 1e-6 * np.maximum(1.0, np.abs(x))
    code = np.where((np.abs(x - lo) <= tol) & (ref < lo - tol), FLOOR,
                    np.where((np.abs(x - hi) <= tol) & (ref > hi + tol), CAP, 0)).astype(np.int8)
    if fixed_codes is not None:
        code = np.where(fixed_codes > 0, fixed_codes, code).astype(np.int8)
    return code
