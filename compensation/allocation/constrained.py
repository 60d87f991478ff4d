"""Exact closed-form allocation under bounds: water-filling on the scale factor, then integer rounding.

The proportional objective minimises Σ (x_i − t_i)² / t_i subject to lo_i ≤ x_i ≤ hi_i and Σ x_i = B.
Its optimality conditions give x_i = clip(λ t_i, lo_i, hi_i) for one scale factor λ: money freed by caps and
money needed by floors is spread in proportion to the targets. S(λ) = Σ clip(λ t_i, lo_i, hi_i) is piecewise
linear and non-decreasing with breakpoints lo_i/t_i and hi_i/t_i, so λ is found exactly after one sort."""

from __future__ import annotations

import numpy as np

from ..money import largest_remainder


def water_fill(t, lo, hi, total: float) -> tuple[np.ndarray, float]:
    """x = clip(λ t, lo, hi) with Σ x = total; regions with t = 0 stay at lo. Returns (x, λ).

    Assumes Σ lo ≤ total ≤ Σ hi over the regions that can move (checked by :func:`diagnose`)."""
    t = np.asarray(t, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    x = lo.copy()
    pos = t > 0
    rest = total - lo[~pos].sum()
    if not pos.any():
        return x, 1.0
    tp, lp, hp = t[pos], lo[pos], hi[pos]
    events = np.concatenate([lp / tp, hp / tp])
    d_const = np.concatenate([-lp, hp])
    d_slope = np.concatenate([tp, -tp])
    order = np.argsort(events)  # ties give the same S(λ): a stable sort (several times slower) is not needed
    lam = events[order]
    const = lp.sum() + np.cumsum(d_const[order])  # Σ of fixed parts just after each breakpoint
    slope = np.cumsum(d_slope[order])  # Σ t_i of the free regions just after each breakpoint
    with np.errstate(invalid="ignore"):  # inf caps give inf − inf at the last breakpoints
        s_at = np.where(np.isfinite(lam), const + np.where(slope != 0, lam * slope, 0.0), np.inf)
    k = int(np.searchsorted(s_at, rest - 1e-9 * max(1.0, abs(rest)), side="left"))
    if k == 0:
        scale = lam[0]
    elif k >= lam.size:
        scale = lam[-1]
    else:
        scale = (rest - const[k - 1]) / slope[k - 1] if slope[k - 1] > 0 else lam[k]
    x[pos] = np.clip(scale * tp, lp, hp)
    return x, float(scale)


def round_block(x, total: int, lo, hi, keys=None) -> np.ndarray:
    """Integers adding up to ``total`` exactly, each within its integer bounds (largest remainder).

    Equal remainders are broken by ``keys`` (e.g. adcodes) rather than by row position, so that reordering
    the regions reorders the result and nothing else."""
    lo_i = np.ceil(np.asarray(lo, dtype=float) - 1e-9)
    hi = np.asarray(hi, dtype=float)
    hi_i = np.where(np.isfinite(hi), np.floor(hi + 1e-9), float(max(total, 0)))
    x = np.clip(np.asarray(x, dtype=float), lo_i, hi_i)
    order = np.arange(x.size) if keys is None else np.argsort(np.asarray(keys), kind="stable")
    out = np.empty(x.size, dtype=np.int64)
    out[order] = largest_remainder(x[order], int(total), lower=lo_i[order].astype(np.int64),
                                   upper=hi_i[order].astype(np.int64))
    return out


def proportional(t, lo, hi, budget: float, groups=(), integer: bool = True, keys=None):
    """Closed-form proportional allocation with disjoint group totals.

    ``groups`` is a list of (name, mask, min_amount, max_amount). A group whose share falls outside its
    bounds is pinned to the bound and filled on its own; the others share the rest; repeated until no group
    is violated (an active-set method, exact for disjoint groups). Returns (x float, final int or None,
    scale factors by block)."""
    t = np.asarray(t, dtype=float)
    n = t.size
    pinned: dict[int, float] = {}
    for _ in range(len(groups) + 1):
        x = np.empty(n)
        blocks = []
        rest = np.ones(n, dtype=bool)
        for g, total in pinned.items():
            m = groups[g][1]
            rest &= ~m
            blocks.append((groups[g][0], m, total))
        blocks.append(("", rest, budget - sum(pinned.values())))
        scales = {}
        for name, m, total in blocks:
            x[m], scales[name] = water_fill(t[m], lo[m], hi[m], total)
        newly = {}
        for g, (_, m, gmin, gmax) in enumerate(groups):
            if g in pinned:
                continue
            s = x[m].sum()
            if s < gmin - 1e-7 * max(1.0, budget):
                newly[g] = gmin
            elif s > gmax + 1e-7 * max(1.0, budget):
                newly[g] = gmax
        if not newly:
            break
        pinned.update(newly)
    final = None
    if integer:
        final = np.empty(n, dtype=np.int64)
        for _, m, total in blocks:
            final[m] = round_block(x[m], int(round(total)), lo[m], hi[m], None if keys is None else keys[m])
    return x, final, scales


def human(amount: float, unit: str) -> str:
    """An amount in ``unit`` shown in the largest unit that keeps it ≥ 1: '1,143亿元', '5,200万元'."""
    from ..money import UNITS

    yuan = float(amount) * UNITS[unit]
    for name in ("亿元", "万元"):
        if abs(yuan) >= UNITS[name]:
            v = yuan / UNITS[name]
            return f"{v:,.0f}{name}" if abs(v - round(v)) < 0.05 or abs(v) >= 100 else f"{v:,.1f}{name}"
    return f"{yuan:,.0f}元"


def diagnose(t, lo, hi, budget: float, groups, labels, unit: str):
    """Plain-language reasons why no allocation can meet the bounds; empty when feasible."""
    from ..problems import Problem

    out = []
    bad = np.flatnonzero(lo > hi + 1e-9)
    for i in bad[:10]:
        out.append(Problem(
            "error",
            f"{labels[i]}: floor {human(lo[i], unit)} is above cap {human(hi[i], unit)}",
            f"{labels[i]}:下限 {human(lo[i], unit)} 高于上限 {human(hi[i], unit)}", region=labels[i]))
    if bad.size > 10:
        out.append(Problem("error", f"… and {bad.size - 10} more regions whose floor is above their cap",
                           f"……另有 {bad.size - 10} 个地区下限高于上限"))
    floors = float(lo.sum())
    if floors > budget + 1e-9:
        out.append(Problem(
            "error",
            f"floors add up to {human(floors, unit)} > budget {human(budget, unit)} "
            f"(short by {human(floors - budget, unit)})",
            f"各地下限合计 {human(floors, unit)},超过预算 {human(budget, unit)}(缺口 {human(floors - budget, unit)})"))
    movable = np.where(np.asarray(t) > 0, hi, lo)
    caps = float(movable.sum())
    if caps < budget - 1e-9:
        zero = int(((np.asarray(t) <= 0) & (hi > lo)).sum())
        extra = (f"; {zero} region(s) with a zero target are held at their floor" if zero else "")
        extra_zh = (f";{zero} 个目标为零的地区保持在下限" if zero else "")
        out.append(Problem(
            "error",
            f"caps add up to {human(caps, unit)} < budget {human(budget, unit)} "
            f"(the budget exceeds what caps allow by {human(budget - caps, unit)}){extra}",
            f"各地上限合计 {human(caps, unit)},低于预算 {human(budget, unit)}"
            f"(超出 {human(budget - caps, unit)}){extra_zh}"))
    mins = 0.0
    for name, m, gmin, gmax in groups:
        g_hi = float(movable[m].sum())
        g_lo = float(lo[m].sum())
        mins += gmin
        if gmin > g_hi + 1e-9:
            out.append(Problem(
                "error",
                f"group '{name}' needs ≥ {gmin / budget:.0%} ({human(gmin, unit)}) but its caps allow at most "
                f"{g_hi / budget:.0%} ({human(g_hi, unit)})",
                f"组 '{name}' 需要 ≥ {gmin / budget:.0%}({human(gmin, unit)}),但其上限最多允许 "
                f"{g_hi / budget:.0%}({human(g_hi, unit)})"))
        if gmax < g_lo - 1e-9:
            out.append(Problem(
                "error",
                f"group '{name}' may take at most {gmax / budget:.0%} ({human(gmax, unit)}) but its floors need "
                f"{g_lo / budget:.0%} ({human(g_lo, unit)})",
                f"组 '{name}' 最多 {gmax / budget:.0%}({human(gmax, unit)}),但其下限合计需要 "
                f"{g_lo / budget:.0%}({human(g_lo, unit)})"))
        if gmin > gmax + 1e-9:
            out.append(Problem("error", f"group '{name}': minimum share is above its maximum share",
                               f"组 '{name}':最低份额高于最高份额"))
    if mins > budget + 1e-9:
        out.append(Problem("error", f"group minimum shares add up to {mins / budget:.0%} of the budget (> 100%)",
                           f"各组最低份额合计为预算的 {mins / budget:.0%}(超过 100%)"))
    return out
