"""Exact allocation under bounds and groups: the proportional objective's closed form, its QP path, and the
integer settling rule that turns any float solution into whole units adding up to the budget.

**Objective.** Minimise Σ_{t_i>0} (x_i − t_i)² / t_i subject to lo_i ≤ x_i ≤ hi_i, Σ x_i = B and, per group g,
gmin_g ≤ Σ_{i∈g} x_i ≤ gmax_g. Regions with t_i = 0 are held at lo_i (under every objective).

**Optimality conditions (KKT).** With a multiplier λ for the total and ν_g for each group bound that binds
(ν_g ≥ 0 at a minimum, ≤ 0 at a maximum), x_i = clip((λ + Σ_{g∋i} ν_g) t_i, lo_i, hi_i): every region is its
target times one scale factor, clipped to its own bounds, and a binding group shifts the scale of its members.

**No groups: water-filling** (:func:`water_fill`). S(λ) = Σ clip(λ t_i, lo_i, hi_i) is piecewise linear and
non-decreasing with breakpoints lo_i/t_i and hi_i/t_i; one sort and two cumulative sums give S at every
breakpoint and λ is solved exactly on its segment, O(n log n). No tolerance is used to pick the segment.

**Disjoint groups: still closed form** (:func:`closed_form`). For a group g alone, its total as a function of
the common λ is S_g(λ) clipped to [gmin_g, gmax_g]. Because S_g is monotone this equals S_g(clip(λ, a_g, b_g))
where S_g(a_g) = gmin_g and S_g(b_g) = gmax_g, and for each member clip(clip(λ, a_g, b_g) t_i, lo_i, hi_i) =
clip(λ t_i, lo'_i, hi'_i) with lo'_i = clip(a_g t_i, lo_i, hi_i), hi'_i = clip(b_g t_i, lo_i, hi_i) — which are
just the water-filling solutions of the group alone at totals gmin_g and gmax_g. So: tighten each member's
bounds to those two group solutions, then water-fill once over all regions. Members whose tightened floor
binds were raised by the group minimum (λ < a_g); members held at the tightened cap by the group maximum.
This is exact (the KKT conditions hold by construction), not an active-set iteration.

**Nested or overlapping groups: exact dual active-set method** (:mod:`.dual_groups`): Newton ascent on the
dual over the 1 + #groups coupling rows with exact line searches, then the identified active set is solved
exactly and accepted only when KKT is verified; if it is not, a well-scaled HiGHS QP
(:func:`highs.qp_proportional`) solves it and the result says so. ``info["path"]`` names what ran:
``closed form``, ``dual active set`` or ``QP``.

**Integer settling** (:func:`settle`). Final amounts are whole units: y_i = ⌊x_i⌋ (within the integer
bounds), then the missing units are added — first to groups still below their (whole) minimum, smaller groups
first, then to all regions — one unit at a time in order of the largest remainder x_i − y_i (ties by key), to
regions whose cap and groups' maxima leave room. The total is settled in exact integer arithmetic, so no
tolerance scales with the budget. Group bounds are whole: a minimum of 5,000.4 means at least 5,001. If this
greedy rule cannot meet every bound (only possible with overlapping groups), a small MILP in whole units finds
the closest feasible integers, or proves there are none."""

from __future__ import annotations

import time

import numpy as np

from . import highs


def water_fill(t, lo, hi, total: float) -> tuple[np.ndarray, float]:
    """x = clip(λ t, lo, hi) with Σ x = total; regions with t = 0 stay at lo. Returns (x, λ).

    Assumes Σ lo ≤ total ≤ Σ hi over the regions that can move (checked by the feasibility diagnosis); outside
    that range x is all floors or all caps. The segment is found by comparing the exact breakpoint sums with
    the total (no tolerance); float error in Σ x (≪ 1 unit below 10¹⁵) is settled later in whole units."""
    t = np.asarray(t, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    x = lo.copy()
    pos = t > 0
    if not pos.any():
        return x, 1.0
    rest = total - lo[~pos].sum()
    tp, lp, hp = t[pos], lo[pos], hi[pos]
    events = np.concatenate([lp / tp, hp / tp])
    d_const = np.concatenate([-lp, hp])
    d_slope = np.concatenate([tp, -tp])
    order = np.argsort(events)  # ties give the same S(λ): a stable sort (several times slower) is not needed
    lam = events[order]
    with np.errstate(invalid="ignore"):  # inf caps give inf − inf at the last breakpoints
        const = lp.sum() + np.cumsum(d_const[order])  # Σ of fixed parts just after each breakpoint
        slope = np.cumsum(d_slope[order])  # Σ t_i of the free regions just after each breakpoint
        s_at = np.where(np.isfinite(lam), const + np.where(slope != 0, lam * slope, 0.0), np.inf)
    s_at = np.maximum.accumulate(s_at)  # S is non-decreasing; keep float noise from breaking the search
    k = int(np.searchsorted(s_at, rest, side="left"))  # first breakpoint with S(λ_k) ≥ rest
    if k == 0:
        scale = lam[0]
    elif k >= lam.size:
        scale = lam[-1]
    else:
        scale = (rest - const[k - 1]) / slope[k - 1] if slope[k - 1] > 0 else lam[k]
        scale = min(max(scale, lam[k - 1]), lam[k])
    x[pos] = np.clip(scale * tp, lp, hp)
    return x, float(scale)


def disjoint(groups) -> bool:
    """True when no region belongs to two groups (the closed form is then exact)."""
    if len(groups) < 2:
        return True
    return int(np.max(np.sum([np.asarray(g[1], dtype=np.int64) for g in groups], axis=0))) <= 1


def closed_form(t, lo, hi, total: float, groups=()) -> tuple[np.ndarray, float, np.ndarray]:
    """The exact minimiser for disjoint groups (see the module docstring). Returns (x, λ, moved_by) where
    ``moved_by[i]`` is '' or 'min:NAME' / 'max:NAME' for a region moved by a group bound. ``hi`` must already
    hold zero-target regions at their floor."""
    t = np.asarray(t, dtype=float)
    lo2 = np.asarray(lo, dtype=float).copy()
    hi2 = np.asarray(hi, dtype=float).copy()
    lo0, hi0 = lo2.copy(), hi2.copy()
    tight = []
    for name, m, gmin, gmax in groups:
        m = np.asarray(m, dtype=bool)
        if gmin > lo0[m].sum():
            lo2[m] = water_fill(t[m], lo0[m], hi0[m], gmin)[0]
        if gmax < hi0[m].sum():
            hi2[m] = water_fill(t[m], lo0[m], hi0[m], gmax)[0]
        tight.append((name, m))
    x, lam = water_fill(t, lo2, hi2, total)
    moved = np.full(t.size, "", dtype=object)
    free = lam * t
    for name, m in tight:
        up = m & (lo2 > lo0) & (free < lo2) & (t > 0)
        down = m & (hi2 < hi0) & (free > hi2) & (t > 0)
        moved[up] = f"min:{name}"
        moved[down] = f"max:{name}"
    return x, lam, moved


def settle(x, total: int, lo, hi, groups=(), keys=None) -> np.ndarray | None:
    """The integer settling rule: whole amounts within the integer bounds and the (whole) group bounds, adding
    up to ``total`` exactly, as close to ``x`` as largest remainders allow. Returns None when the greedy rule
    cannot meet every bound (the caller then uses :func:`settle_milp`).

    ``lo``/``hi`` are made whole (floors up, caps down; hi may be inf) and so are the group bounds (min up,
    max down) — callers pass them whole already. Ties between equal remainders are broken by ``keys`` (e.g. adcodes), so reordering
    the regions only reorders the result."""
    total = int(total)
    x = np.asarray(x, dtype=float)
    n = x.size
    lo_i = np.ceil(np.asarray(lo, dtype=float) - 1e-9)  # whole bounds (a no-op for whole input)
    hi_f = np.floor(np.asarray(hi, dtype=float) + 1e-9)
    cap = max(total, int(lo_i.max()) if n else 0)
    hi_i = np.where(np.isfinite(hi_f), hi_f, cap).astype(np.int64)
    lo_i = lo_i.astype(np.int64)
    xc = np.clip(x, lo_i, hi_i)
    y = np.clip(np.floor(xc + 1e-9).astype(np.int64), lo_i, hi_i)  # 2.9999999999 from float noise is 3
    rank = np.arange(n) if keys is None else np.argsort(np.argsort(np.asarray(keys), kind="stable"), kind="stable")
    G = np.array([np.asarray(g[1], dtype=bool) for g in groups]).reshape(len(groups), n)
    gmin = np.array([int(np.ceil(g[2])) for g in groups], dtype=object)
    gmax = np.array([int(np.floor(g[3])) for g in groups], dtype=object)

    def gsum(v):
        return np.array([int(v[G[k]].sum()) for k in range(len(groups))], dtype=object)

    def move(y, count: int, members, sign: int) -> int:
        """Add (``sign`` = +1) or remove (−1) up to ``count`` units, one per region per pass, the region furthest
        from its float amount in that direction first; group bounds and region bounds respected. Returns units
        moved."""
        moved = 0
        while moved < count:
            room_g = gmax - gsum(y) if sign > 0 else gsum(y) - gmin
            ok = members & ((y < hi_i) if sign > 0 else (y > lo_i))
            for k in range(len(groups)):
                if room_g[k] <= 0:
                    ok &= ~G[k]
            cand = np.flatnonzero(ok)
            if cand.size == 0:
                break
            gap = xc[cand] - y[cand]
            cand = cand[np.lexsort((rank[cand], -gap if sign > 0 else gap))]
            take = _take(cand, count - moved, G, room_g)
            if take.size == 0:
                break
            y[take] += sign
            moved += int(take.size)
        return moved

    everyone = np.ones(n, dtype=bool)
    for k in sorted(range(len(groups)), key=lambda k: int(G[k].sum())):  # inner groups first
        deficit = int(gmin[k] - int(y[G[k]].sum()))
        if deficit > 0:
            move(y, deficit, G[k], +1)
    missing = total - int(y.sum())
    if missing > 0:
        move(y, missing, everyone, +1)
    elif missing < 0:
        move(y, -missing, everyone, -1)
    if int(y.sum()) != total or (y < lo_i).any() or (y > hi_i).any():
        return None
    sums = gsum(y)
    if any(sums[k] < gmin[k] or sums[k] > gmax[k] for k in range(len(groups))):
        return None
    return y


def _take(cand: np.ndarray, count: int, G: np.ndarray, room) -> np.ndarray:
    """The first ``count`` candidates (in order) such that no group receives more than its room; a group that
    fills up drops its remaining members. Vectorised: one cumulative sum per group that fills."""
    room = np.array([int(r) for r in room], dtype=np.int64) if len(room) else np.zeros(0, dtype=np.int64)
    taken = []
    while count > 0 and cand.size:
        c = cand[:count]
        if G.shape[0] == 0:
            taken.append(c)
            break
        cum = np.cumsum(G[:, c].astype(np.int64), axis=1)
        over = ((cum > room[:, None]) & (cum > 0)).any(axis=0)  # only groups that receive a unit
        if not over.any():
            taken.append(c)
            break
        j = int(np.argmax(over))
        taken.append(c[:j])
        count -= j
        room = room - (cum[:, j - 1] if j > 0 else 0)
        full = room <= 0
        rest = cand[j:]
        keep = ~G[full][:, rest].any(axis=0) if full.any() else np.ones(rest.size, dtype=bool)
        if j == 0 and keep.all():  # no progress possible (cannot happen with consistent rooms; never loop)
            break
        cand = rest[keep]
    return np.concatenate(taken) if taken else np.zeros(0, dtype=np.int64)


def settle_milp(x, total: int, lo, hi, groups=(), time_limit: float | None = 30) -> np.ndarray | None:
    """Whole amounts closest to ``x`` in Σ |y − x| meeting every bound (a MILP); None when none exist."""
    t = np.asarray(x, dtype=float)
    whole = [(name, m, float(np.ceil(gmin)), float(np.floor(gmax))) for name, m, gmin, gmax in groups]
    res = highs.lp_deviation(t, lo, hi, float(total), whole, "min_abs", integer=True, time_limit=time_limit)
    if res.x is None:
        return None
    y = res.x.astype(np.int64)
    return y if int(y.sum()) == int(total) else None


def proportional(t, lo, hi, budget: float, groups=(), integer: bool = True, keys=None,
                 time_limit: float | None = None):
    """The proportional allocation. Returns (x float, final int or None, info) where info has ``path``
    ('closed form', 'dual active set' or 'QP'), ``scale`` (λ, the scale of regions moved by no group), ``moved_by``
    (group bounds that moved each region), ``status`` ('optimal', 'time_limited', 'infeasible') and
    ``objective`` (Σ (x − t)² / t before rounding). Zero-target regions are held at their floor here."""
    t = np.asarray(t, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.where(t > 0, np.asarray(hi, dtype=float), lo)
    info = {"status": "optimal"}
    if disjoint(groups):
        x, lam, moved = closed_form(t, lo, hi, float(budget), groups)
        info.update(path="closed form", scale=lam)
    else:
        from . import dual_groups  # imports this module (water_fill): imported here, not at the top

        t0 = time.perf_counter()
        res = dual_groups.solve(t, lo, hi, float(budget), groups,
                                deadline=None if time_limit is None else t0 + float(time_limit))
        info.update(iterations=res.iterations)
        if res.verified:
            x, lam, nu = res.x, res.lam, res.nu
            info.update(path="dual active set", scale=lam, multipliers=nu)
        else:
            qp = highs.qp_proportional(t, lo, hi, float(budget), groups, time_limit=time_limit, t_start=t0)
            info.update(path="QP", runtime_qp=qp.runtime, solver_message=qp.message,
                        fallback=f"the dual active-set method found no verified optimum ({res.message}): "
                                 f"solved as a HiGHS QP")
            info["status"] = qp.status
            if qp.x is None:
                return None, None, info
            x = qp.x
            lam = float(qp.row_dual[0]) if qp.row_dual is not None else None
            nu = qp.row_dual[1:] if qp.row_dual is not None else np.zeros(len(groups))
            nu = np.where(np.abs(nu) > 1e-9, nu, 0.0)
            info["scale"] = lam
        moved = dual_groups.moved_by(x, t, lo, hi, groups, lam, nu)
    pos = t > 0
    info["objective"] = float(np.sum((x[pos] - t[pos]) ** 2 / t[pos]))
    info["moved_by"] = moved
    final = None
    if integer:
        final = settle(x, int(budget), lo, hi, groups, keys)
        if final is None:
            final = settle_milp(x, int(budget), lo, hi, groups, time_limit)
            info["settled_by"] = "MILP"
        if final is None:
            info["status"] = "infeasible_integer"
    return x, final, info


def diagnose(t, lo, hi, budget: float, groups, labels, unit: str):
    """Kept for callers of the old name: the diagnosis lives in :mod:`.feasibility`."""
    from .feasibility import diagnose as _diagnose

    return _diagnose(t, lo, hi, budget, groups, labels, unit)


def round_block(x, total: int, lo, hi, keys=None) -> np.ndarray:
    """Whole amounts adding up to ``total`` within integer bounds, no groups (the settling rule)."""
    out = settle(x, total, np.ceil(np.asarray(lo, dtype=float) - 1e-9),
                 np.where(np.isfinite(hi), np.floor(np.asarray(hi, dtype=float) + 1e-9), np.inf), (), keys)
    if out is None:
        raise ValueError(f"cannot reach total {total} within the bounds")
    return out


def human(amount: float, unit: str) -> str:
    """An amount in ``unit`` shown in the largest unit that keeps it ≥ 1: '1,143亿元', '5,200万元'."""
    from ..money import UNITS

    yuan = float(amount) * UNITS[unit]
    for name in ("亿元", "万元"):
        if abs(yuan) >= UNITS[name]:
            v = yuan / UNITS[name]
            return f"{v:,.0f}{name}" if abs(v - round(v)) < 0.05 or abs(v) >= 100 else f"{v:,.1f}{name}"
    return f"{yuan:,.0f}元"


