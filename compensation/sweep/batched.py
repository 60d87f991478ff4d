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

Groups (disjoint, each with a minimum and maximum total) use the same active-set rule as
:func:`constrained.proportional`: a group whose share falls outside its bounds is pinned to the bound and
filled on its own, the others share the rest, repeated until no group is violated; here the pins are a
(draws × groups) matrix and each row stops changing once it has converged."""

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
    goal = rest - 1e-9 * np.maximum(1.0, np.abs(rest))
    k = (s_at < goal[:, None]).sum(axis=1)  # = searchsorted(side="left") on the non-decreasing S
    del s_at
    L = lam.shape[1]
    rows = np.arange(m)
    km1 = np.clip(k - 1, 0, L - 1)
    kk = np.clip(k, 0, L - 1)
    c_prev, s_prev = const[rows, km1], slope[rows, km1]
    with np.errstate(invalid="ignore", divide="ignore"):
        inner = np.where(s_prev > 0, (rest - c_prev) / np.where(s_prev > 0, s_prev, 1.0), lam[rows, kk])
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
    """Rows that :func:`constrained.diagnose` would find no problem with (floors ≤ caps, floors ≤ budget ≤
    movable caps, each group's bounds reachable)."""
    t = np.asarray(t, dtype=float)
    m, n = t.shape
    lo = np.broadcast_to(lo, (m, n))
    hi = np.broadcast_to(hi, (m, n))
    budget = np.asarray(budget, dtype=float)
    ok = ~(lo > hi + 1e-9).any(axis=1)
    ok &= ~(lo.sum(axis=1) > budget + 1e-9)
    movable = np.where(t > 0, hi, lo)
    ok &= ~(movable.sum(axis=1) < budget - 1e-9)
    mins = np.zeros(m)
    for _name, mask, gmin, gmax in groups:
        gmin = np.broadcast_to(np.asarray(gmin, dtype=float), (m,))
        gmax = np.broadcast_to(np.asarray(gmax, dtype=float), (m,))
        ok &= ~(gmin > movable[:, mask].sum(axis=1) + 1e-9)
        ok &= ~(gmax < lo[:, mask].sum(axis=1) - 1e-9)
        ok &= ~(gmin > gmax + 1e-9)
        mins = mins + gmin
    ok &= ~(mins > budget + 1e-9)
    return ok


def proportional_rows(t, lo, hi, budget, groups=()):
    """Row-wise :func:`constrained.proportional` with ``integer=True``, columns in adcode order.

    ``t``: (m, n) targets; ``lo``/``hi``: (m, n) or (n,) whole-unit bounds; ``budget``: (m,) integer
    totals; ``groups``: (name, member mask (n,), min totals (m,), max totals (m,)). Returns (x, final int64,
    scale of the rest block (m,), ok (m,)); rows with ok False could not be rounded within their bounds."""
    t = np.asarray(t, dtype=float)
    m, n = t.shape
    lo = np.broadcast_to(np.asarray(lo, dtype=float), (m, n))
    hi = np.broadcast_to(np.asarray(hi, dtype=float), (m, n))
    budget = np.asarray(budget, dtype=float).reshape(m)
    G = len(groups)
    masks = np.array([g[1] for g in groups], dtype=bool).reshape(G, n)
    gmin = np.array([np.broadcast_to(np.asarray(g[2], dtype=float), (m,)) for g in groups]).reshape(G, m).T
    gmax = np.array([np.broadcast_to(np.asarray(g[3], dtype=float), (m,)) for g in groups]).reshape(G, m).T
    pinned = np.zeros((m, G), dtype=bool)
    pin_total = np.zeros((m, G))
    active = np.ones(m, dtype=bool)
    x = np.empty((m, n))
    scale_rest = np.ones(m)
    for _ in range(G + 1):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        rest_member = ~(pinned[rows].astype(np.int64) @ masks.astype(np.int64)).astype(bool) if G else \
            np.ones((rows.size, n), dtype=bool)
        rest_total = budget[rows] - np.where(pinned[rows], pin_total[rows], 0.0).sum(axis=1) if G else budget[rows]
        xr, sr = water_fill_rows(t[rows], lo[rows], hi[rows], rest_total, rest_member)
        xr = np.where(rest_member, xr, 0.0)
        for g in range(G):
            sub = np.flatnonzero(pinned[rows, g])
            if sub.size:
                r = rows[sub]
                xg, _ = water_fill_rows(t[r], lo[r], hi[r], pin_total[r, g], masks[g])
                xr[sub] = np.where(masks[g], xg, xr[sub])
        x[rows] = xr
        scale_rest[rows] = sr
        newly = np.zeros((rows.size, G), dtype=bool)
        for g in range(G):
            s = xr[:, masks[g]].sum(axis=1)
            tol = 1e-7 * np.maximum(1.0, budget[rows])
            low = ~pinned[rows, g] & (s < gmin[rows, g] - tol)
            high = ~pinned[rows, g] & ~low & (s > gmax[rows, g] + tol)
            pin_total[rows[low], g] = gmin[rows[low], g]
            pin_total[rows[high], g] = gmax[rows[high], g]
            newly[:, g] = low | high
        pinned[rows] |= newly
        active[rows] = newly.any(axis=1)
    # integer rounding block by block: each pinned group, then the rest
    final = np.zeros((m, n), dtype=np.int64)
    ok = np.ones(m, dtype=bool)
    in_pinned = (pinned.astype(np.int64) @ masks.astype(np.int64)).astype(bool) if G else np.zeros((m, n), bool)
    # whole-unit block totals that add up to the budget exactly: each pinned group's total rounded, the rest
    # takes what is left (rounding every block on its own could lose or add a unit)
    pinned_int = np.where(pinned, np.round(pin_total), 0.0).sum(axis=1) if G else np.zeros(m)
    rest_int = np.round(budget).astype(np.int64) - pinned_int.astype(np.int64)
    fr, okr = round_rows(x, rest_int, lo, hi, ~in_pinned)
    final = np.where(~in_pinned, fr, final)
    ok &= okr
    for g in range(G):
        r = np.flatnonzero(pinned[:, g])
        if r.size:
            fg, okg = round_rows(x[r], np.round(pin_total[r, g]).astype(np.int64), lo[r], hi[r], masks[g])
            final[r] = np.where(masks[g], fg, final[r])
            ok[r] &= okg
    return x, final, scale_rest, ok


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
