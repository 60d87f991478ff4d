"""Why an allocation cannot exist, in words and numbers: what is needed, what is allowed, and the smallest
change that would make it feasible (the pool to reach, the floors or minimums to lower, the caps to raise).

Feasibility of {lo ≤ x ≤ hi, Σ x = B, gmin_g ≤ Σ_{i∈g} x_i ≤ gmax_g} (zero-target regions held at their
floor) is decided in three steps:

1. each region: lo_i ≤ hi_i;
2. each group alone: gmin ≤ gmax, gmin ≤ Σ_{i∈g} hi_i, gmax ≥ Σ_{i∈g} lo_i;
3. the pool: B must lie in [T_min, T_max], the smallest and largest totals the bounds and groups allow. For
   disjoint groups T_min = Σ_{i∉groups} lo_i + Σ_g max(gmin_g, Σ_{i∈g} lo_i) and T_max likewise with hi and
   gmax (exact arithmetic); for nested or overlapping groups T_min and T_max come from two LPs (HiGHS). If the
   groups cannot hold together at any total, a deletion filter over the groups names a smallest conflicting
   set.
The amounts are whole units (floors rounded up, caps and group maxima down, group minima up) as the final
table must be.

The largest feasible floor ratio (:func:`largest_floor_ratio`). A hold-harmless floor of ratio r gives each
region with a last-year amount L_i the floor lo_i(r) = ⌈max(f_i, r·L_i)⌉ (f_i: its other floors, locks,
exclusions). Raising r only raises floors, so the settings are feasible for r ∈ [0, r*] and infeasible above
(monotone); r* is found by bisection on the grid r = k·step (step 0.0001 = 0.01 %), each point decided by
:func:`diagnose` above — the same test as the allocation itself, so the figure is feasible by construction.
Hand-worked (tests/test_feasibility_ratio.py): L = (100, 200, 300) 万元, pool 540 万元 → r* = 0.9
(90 + 180 + 270 = 540; at 0.9001 the floors round up to 91 + 181 + 271 = 543)."""

from __future__ import annotations

import math

import numpy as np

from ..problems import Problem
from . import highs
from .constrained import disjoint, human

LP_SLACK = 1e-11  # relative float error allowed in the feasibility LP's optimal sums (see diagnose)


def _pct(v: float, budget: float) -> str:
    """A share of the budget: '60%', or '50.004%' when a whole percent would hide the difference."""
    if not budget:
        return "–"
    p = v / budget * 100
    return f"{round(p)}%" if abs(p - round(p)) < 0.0005 else f"{p:.3f}".rstrip("0") + "%"


def diagnose(t, lo, hi, budget: float, groups, labels, unit: str) -> list[Problem]:
    """Plain-language reasons why no allocation can meet the bounds and groups; empty when feasible."""
    t = np.asarray(t, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    out: list[Problem] = []
    bad = np.flatnonzero(lo > hi)
    for i in bad[:10]:
        out.append(Problem(
            "error",
            f"{labels[i]}: floor {human(lo[i], unit)} is above cap {human(hi[i], unit)}; lower the floor by "
            f"{human(lo[i] - hi[i], unit)} or raise the cap",
            f"{labels[i]}:下限 {human(lo[i], unit)} 高于上限 {human(hi[i], unit)};需将下限降低 "
            f"{human(lo[i] - hi[i], unit)} 或提高上限", region=labels[i]))
    if bad.size > 10:
        out.append(Problem("error", f"… and {bad.size - 10} more regions whose floor is above their cap",
                           f"……另有 {bad.size - 10} 个地区下限高于上限"))
    if bad.size:
        return out
    movable = np.where(t > 0, hi, lo)
    for name, m, gmin, gmax in groups:
        g_hi = float(movable[m].sum())
        g_lo = float(lo[m].sum())
        if gmin > gmax:
            out.append(Problem(
                "error", f"group '{name}': minimum {_pct(gmin, budget)} ({human(gmin, unit)}) is above its maximum "
                         f"{_pct(gmax, budget)} ({human(gmax, unit)})",
                f"组 '{name}':最低 {_pct(gmin, budget)}({human(gmin, unit)})高于最高 {_pct(gmax, budget)}"
                f"({human(gmax, unit)})"))
            continue
        if gmin > g_hi:
            out.append(Problem(
                "error",
                f"group '{name}' needs ≥ {_pct(gmin, budget)} ({human(gmin, unit)}) but its caps allow at most "
                f"{_pct(g_hi, budget)} ({human(g_hi, unit)}); lower the minimum to {human(g_hi, unit)} or raise "
                f"its members' caps by {human(gmin - g_hi, unit)}",
                f"组 '{name}' 需要 ≥ {_pct(gmin, budget)}({human(gmin, unit)}),但其上限最多允许 "
                f"{_pct(g_hi, budget)}({human(g_hi, unit)});需将最低额降至 {human(g_hi, unit)} 或将成员上限提高 "
                f"{human(gmin - g_hi, unit)}"))
        if gmax < g_lo:
            out.append(Problem(
                "error",
                f"group '{name}' may take at most {_pct(gmax, budget)} ({human(gmax, unit)}) but its floors need "
                f"{_pct(g_lo, budget)} ({human(g_lo, unit)}); raise the maximum to {human(g_lo, unit)} or lower "
                f"its members' floors by {human(g_lo - gmax, unit)}",
                f"组 '{name}' 最多 {_pct(gmax, budget)}({human(gmax, unit)}),但其下限合计需要 "
                f"{_pct(g_lo, budget)}({human(g_lo, unit)});需将最高额提高至 {human(g_lo, unit)} 或将成员下限降低 "
                f"{human(g_lo - gmax, unit)}"))
    if out:
        return out
    if not groups:
        t_min, t_max = float(lo.sum()), float(movable.sum())
        raised, held = [], []
    elif disjoint(groups):
        in_any = np.zeros(t.size, dtype=bool)
        t_min = t_max = 0.0
        raised, held = [], []
        for name, m, gmin, gmax in groups:
            in_any |= m
            g_lo, g_hi = float(lo[m].sum()), float(movable[m].sum())
            t_min += max(gmin, g_lo)
            t_max += min(gmax, g_hi)
            if gmin > g_lo:
                raised.append((name, gmin))
            if gmax < g_hi:
                held.append((name, gmax))
        t_min += float(lo[~in_any].sum())
        t_max += float(movable[~in_any].sum())
    else:
        # no amount can exceed the pool (floors are ≥ 0): capping at the pool keeps both LPs bounded
        capped = np.minimum(movable, max(float(budget), float(lo.max())))
        pairs = _nested_pairs(lo, capped, groups, budget, unit)  # exact: an LP's tolerance can hide one unit
        if pairs:
            return pairs
        t_min, t_max = highs.feasible_range(lo, capped, groups)
        if t_min is None:
            return [_conflict(lo, capped, groups, budget, unit)]
        # the LP's optimal sums carry float error (2,119.0000000000005 for floors adding up to exactly the
        # budget): within LP_SLACK of the budget the budget counts as reachable, and the exact whole-unit steps
        # after the solve (settling, the group sums checked in integers) decide
        slack = LP_SLACK * max(1.0, abs(float(budget)), float(lo.sum()))
        t_min = float(budget) if budget < t_min <= budget + slack else t_min
        t_max = float(budget) if budget - slack <= t_max < budget else t_max
        raised = [(n, gmin) for n, m, gmin, _ in groups if gmin > float(lo[m].sum())]
        held = [(n, gmax) for n, m, _, gmax in groups if gmax < float(movable[m].sum())]
    if t_min > budget:
        short = t_min - budget
        if not raised:
            out.append(Problem(
                "error",
                f"floors add up to {human(t_min, unit)} > budget {human(budget, unit)} (short by {human(short, unit)}); "
                f"the pool must be at least {human(t_min, unit)}, or the floors lowered by {human(short, unit)} in total",
                f"各地下限合计 {human(t_min, unit)},超过预算 {human(budget, unit)}(缺口 {human(short, unit)});"
                f"资金池至少需要 {human(t_min, unit)},或将下限合计降低 {human(short, unit)}"))
        else:
            names = ", ".join(f"'{n}' ≥ {_pct(v, budget)} ({human(v, unit)})" for n, v in raised)
            names_zh = "、".join(f"'{n}' ≥ {_pct(v, budget)}({human(v, unit)})" for n, v in raised)
            out.append(Problem(
                "error",
                f"floors and group minimums ({names}) need at least {human(t_min, unit)} > budget "
                f"{human(budget, unit)} (short by {human(short, unit)}); the pool must be at least "
                f"{human(t_min, unit)}, or the group minimums and floors lowered by {human(short, unit)} in total",
                f"各地下限与组最低额({names_zh})至少需要 {human(t_min, unit)},超过预算 {human(budget, unit)}"
                f"(缺口 {human(short, unit)});资金池至少需要 {human(t_min, unit)},或将组最低额与下限合计降低 "
                f"{human(short, unit)}"))
    if t_max < budget:
        over = budget - t_max
        zero = int(((t <= 0) & (hi > lo)).sum())  # held at their floor (said in the message)
        extra = f"; {zero} region(s) with a zero target are held at their floor" if zero else ""
        extra_zh = f";{zero} 个目标为零的地区保持在下限" if zero else ""
        if not held:
            out.append(Problem(
                "error",
                f"caps add up to {human(t_max, unit)} < budget {human(budget, unit)} (the budget exceeds what caps "
                f"allow by {human(over, unit)}){extra}; the pool may be at most {human(t_max, unit)}, or the caps "
                f"raised by {human(over, unit)} in total",
                f"各地上限合计 {human(t_max, unit)},低于预算 {human(budget, unit)}(超出 {human(over, unit)})"
                f"{extra_zh};资金池最多为 {human(t_max, unit)},或将上限合计提高 {human(over, unit)}"))
        else:
            names = ", ".join(f"'{n}' ≤ {_pct(v, budget)} ({human(v, unit)})" for n, v in held)
            names_zh = "、".join(f"'{n}' ≤ {_pct(v, budget)}({human(v, unit)})" for n, v in held)
            out.append(Problem(
                "error",
                f"caps and group maximums ({names}) allow at most {human(t_max, unit)} < budget "
                f"{human(budget, unit)} (the budget exceeds what they allow by {human(over, unit)}){extra}; the pool "
                f"may be at most {human(t_max, unit)}, or the group maximums and caps raised by "
                f"{human(over, unit)} in total",
                f"各地上限与组最高额({names_zh})最多允许 {human(t_max, unit)},低于预算 {human(budget, unit)}"
                f"(超出 {human(over, unit)}){extra_zh};资金池最多为 {human(t_max, unit)},或将组最高额与上限合计提高 "
                f"{human(over, unit)}"))
    return out


def largest_floor_ratio(t, lo, last, hi, budget: float, groups, exact=None, upper: float = 3.0,
                        step: float = 1e-4) -> float | None:
    """The largest floor ratio r ≤ ``upper`` on the grid k·``step`` for which the floors ⌈max(lo_i, r·last_i)⌉
    (no ratio floor where ``last`` is NaN), the caps ``hi`` and the ``groups`` admit an allocation of
    ``budget``; None when the settings are infeasible even at r = 0 (the floor ratio is not what is at fault).

    ``t`` the formula targets, ``lo``/``hi`` the bounds without the ratio floor (whole units), ``exact`` amounts
    paid exactly (taken off bounds, budget and groups as the allocation does, ``exact_parts.shift``)."""
    from .exact_parts import shift

    t = np.asarray(t, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    last = np.asarray(last, dtype=float)
    has = ~np.isnan(last)
    e = np.zeros(t.size) if exact is None else np.asarray(exact, dtype=float)
    labels = [str(i) for i in range(t.size)]

    def feasible(k: int) -> bool:
        r = k * step
        lo_r = np.where(has, np.maximum(lo, r * np.nan_to_num(last)), lo)
        lo_r = np.ceil(lo_r - 1e-9)
        lo_y, hi_y, b_y, g_y, problems = shift(e, lo_r, hi, int(round(budget)), groups, labels, "元", "")
        return not problems and not diagnose(t, lo_y, hi_y, b_y, g_y, labels, "元")

    if not feasible(0):
        return None
    good, bad = 0, int(math.floor(upper / step + 1e-9))
    if feasible(bad):
        return bad * step
    while bad - good > 1:  # feasible(good), not feasible(bad)
        mid = (good + bad) // 2
        if feasible(mid):
            good = mid
        else:
            bad = mid
    return round(good * step, 10)


def _whole(amount: float, unit: str) -> str:
    """An amount in whole output units, every digit shown: '4,751,118,360万元' (a one-unit gap stays visible)."""
    return f"{round(float(amount)):,}{unit}"


def _nested_pairs(lo, movable, groups, budget: float, unit: str) -> list[Problem]:
    """Exact checks for each pair of groups g ⊆ h (identical member sets included): g's minimum plus the floors
    of h's other members must fit under h's maximum, and h's minimum must be reachable with g at its maximum and
    h's other members at their caps. Whole units in floats (exact below 2⁵³), so a conflict of one unit that
    the feasibility LP's tolerance would hide is named."""
    out = []
    for j, (name_g, mg, gmin_g, gmax_g) in enumerate(groups):
        for k, (name_h, mh, gmin_h, gmax_h) in enumerate(groups):
            if j == k or not mg.any() or (mg & ~mh).any() or (k < j and not (mh & ~mg).any()):
                continue  # g ⊆ h only (an identical pair once)
            rest = mh & ~mg
            floor_rest, cap_rest = float(lo[rest].sum()), float(movable[rest].sum())
            if gmin_g + floor_rest > gmax_h:
                need, allowed = gmin_g + floor_rest, gmax_h
                what = (f"group '{name_g}' needs ≥ {_whole(gmin_g, unit)}" +
                        (f" and the other members of '{name_h}' have floors of {_whole(floor_rest, unit)}"
                         if floor_rest else "") + f", together {_whole(need, unit)}, but '{name_h}' may take "
                        f"at most {_whole(allowed, unit)}")
                what_zh = (f"组 '{name_g}' 需要 ≥ {_whole(gmin_g, unit)}" +
                           (f",'{name_h}' 其余成员下限合计 {_whole(floor_rest, unit)}" if floor_rest else "") +
                           f",共 {_whole(need, unit)},但 '{name_h}' 最多 {_whole(allowed, unit)}")
            elif gmax_g + cap_rest < gmin_h:
                need, allowed = gmin_h, gmax_g + cap_rest
                what = (f"group '{name_h}' needs ≥ {_whole(need, unit)} but '{name_g}' may take at most "
                        f"{_whole(gmax_g, unit)}" + (f" and the other members' caps allow {_whole(cap_rest, unit)}"
                                                    if (mh & ~mg).any() else "") +
                        f", together {_whole(allowed, unit)}")
                what_zh = (f"组 '{name_h}' 需要 ≥ {_whole(need, unit)},但 '{name_g}' 最多 {_whole(gmax_g, unit)}" +
                           (f",其余成员上限合计 {_whole(cap_rest, unit)}" if (mh & ~mg).any() else "") +
                           f",共 {_whole(allowed, unit)}")
            else:
                continue
            short = need - allowed
            out.append(Problem(
                "error", f"{what} (short by {_whole(short, unit)}): lower one of these minimums or raise one of these "
                         f"maximums by {_whole(short, unit)}",
                f"{what_zh}(缺口 {_whole(short, unit)}):需降低一个组的最低额或提高另一个组的最高额 {_whole(short, unit)}"))
    return out


def _conflict(lo, movable, groups, budget: float, unit: str) -> Problem:
    """Deletion filter: drop each group in turn while the rest stay infeasible; what remains conflicts."""
    keep = list(range(len(groups)))
    for k in list(keep):
        trial = [j for j in keep if j != k]
        lo_t, _ = highs.feasible_range(lo, movable, [groups[j] for j in trial])
        if lo_t is None:
            keep = trial
    parts = [f"'{groups[j][0]}' {_pct(groups[j][2], budget)}–{_pct(groups[j][3], budget)} "
             f"({human(groups[j][2], unit)}–{human(groups[j][3], unit)})" for j in keep]
    return Problem(
        "error",
        f"groups {', '.join(parts)} cannot all hold at once, whatever the pool, given their members' floors and "
        f"caps: widen one of these groups' shares",
        f"组 {'、'.join(parts)} 无论资金池多少都无法同时满足(考虑成员的上下限):请放宽其中一个组的份额")
