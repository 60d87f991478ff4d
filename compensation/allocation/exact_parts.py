"""Amounts paid exactly, and deductions carried to next year's pool.

Some components of a method are not a share of a pool but an amount fixed by a published rate or a declared
amount: forest rangers at 10,000 元 per person (财预〔2017〕126号), a county's declared base amount (江西省流域生态
补偿办法), guiding amounts, fixed payments. They are *paid exactly*; only the rest of the pool is shared by the
formula, under the constraints. With e_i the exact amount of region i (whole output units), B the pool and the
formula's target t_i for the rest, the allocation solves, for the formula part y_i = x_i − e_i,

    minimise  Σ f(y_i, t_i)   subject to   Σ y_i = B − Σ e_i,
              max(0, lo_i − e_i) ≤ y_i ≤ hi_i − e_i,   G_min − Σ_{i∈G} e_i ≤ Σ_{i∈G} y_i ≤ G_max − Σ_{i∈G} e_i,

i.e. the same problem as without exact parts with the budget, every bound and every group bound shifted by the
exact amounts (so the existing solvers apply unchanged) and the formula part never negative. It is infeasible
when Σ e_i > B (the exact parts exceed the pool) or when a cap (or lock) is below a region's exact amount; both
are reported with the numbers.

A component is exact when its type is ``fixed``, or ``unit_rate`` without a ``pool`` (rates in a money unit per
thing), or when its spec says ``exact: true``. Exact amounts are rounded to whole output units (half up) — a
warning says by how much when a rate does not give whole units.

Deductions with ``carry: next_year`` (Jiangxi: a major pollution incident deducts 30–50% of that year's amount
and the deduction goes to next year's pool) do not change this year's targets: after the allocation, region i
loses d_i = ⌊r_i × s_i × final_i + ½⌋ whole units, where r_i is its deduction rate and s_i the share of its
target that the deduction's base components make up (1 when the base is every component); Σ d_i is this
year's ``carried_out`` and is added to the next year's pool (``carried_in``) in multi-year runs. So
Σ final = B + carried_in − carried_out exactly."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..money import UNITS
from ..problems import Problem
from .constrained import human


def is_exact(spec: dict) -> bool:
    """Is a component paid exactly (a rate or a declared amount) rather than a share of the pool?"""
    if "exact" in spec:
        return bool(spec["exact"])
    return spec.get("type") == "fixed" or (spec.get("type") == "unit_rate" and spec.get("pool") is None)


def carries(spec: dict) -> bool:
    """Is a component a deduction carried to next year's pool?"""
    return spec.get("type") == "reward_penalty" and spec.get("carry") == "next_year"


@dataclass
class ExactParts:
    names: list[str]  # exact components
    amounts: np.ndarray  # whole output units per region (int64)
    diagnostics: list[Problem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return int(self.amounts.sum())


def exact_amounts(comp: pd.DataFrame, names: list[str], labels: dict, unit: str) -> ExactParts:
    """Sum of the exact components per region in whole ``unit`` (half up), with a warning if rounding moved any."""
    if not names:
        return ExactParts([], np.zeros(len(comp), dtype=np.int64))
    yuan = comp[names].to_numpy(dtype=float).sum(axis=1)
    per_unit = yuan / UNITS[unit]
    amounts = np.floor(per_unit + 0.5 + 1e-9).astype(np.int64)
    diags = []
    moved = np.abs(amounts - per_unit)
    if (moved > 1e-6).any():
        parts = ", ".join(labels.get(n, (n, n))[1] for n in names)
        diags.append(Problem(
            "warning", f"amounts paid at a published rate or declared amount ({parts}) are not whole {unit} for "
                       f"{int((moved > 1e-6).sum())} region(s); each is paid to the nearest {unit} (largest change "
                       f"{moved.max():.4f} {unit})",
            f"按公布标准或核定金额支付的部分({parts})有 {int((moved > 1e-6).sum())} 个地区不是整{unit},"
            f"按四舍五入支付(最大变动 {moved.max():.4f}{unit})"))
    return ExactParts(list(names), amounts, diags)


def shift(exact: np.ndarray, lo, hi, pool: int, groups, labels, unit: str, component_text: str):
    """The formula part's problem: bounds, budget and groups less the exact amounts; problems when infeasible.

    Returns (lo_y, hi_y, budget_y, groups_y, problems). With nothing paid exactly (every amount 0) the
    subtractions are left out: x − 0.0 is x for every float, −0.0 and NaN included."""
    some = bool(exact.any())
    e = exact.astype(float) if some else None
    problems = []
    total = int(exact.sum()) if some else 0
    if total > pool:
        problems.append(Problem(
            "error", f"the amounts paid at published rates or declared amounts ({component_text}) add up to "
                     f"{human(total, unit)}, more than the pool {human(pool, unit)} (short by "
                     f"{human(total - pool, unit)}): raise the pool to at least {total:,} {unit} or lower the "
                     f"declared amounts",
            f"按公布标准或核定金额支付的部分({component_text})合计 {human(total, unit)},超过资金总额 "
            f"{human(pool, unit)}(缺口 {human(total - pool, unit)}):请将资金总额提高到至少 {total:,}{unit},"
            f"或降低核定金额", expected=f"≤ {pool:,}", found=f"{total:,}"))
    below = np.flatnonzero(hi < (e - 1e-9 if some else -1e-9))
    for i in below[:10]:
        owed = float(exact[i])
        problems.append(Problem(
            "error", f"{labels[i]}: its cap (or lock) {human(hi[i], unit)} is below the {human(owed, unit)} it is "
                     f"owed at published rates or declared amounts ({component_text}); raise the cap to at least "
                     f"{int(exact[i]):,} {unit}",
            f"{labels[i]}:上限(或锁定额){human(hi[i], unit)} 低于按公布标准或核定金额应付的 {human(owed, unit)};"
            f"请将上限提高到至少 {int(exact[i]):,}{unit}", region=labels[i], expected=f"≥ {int(exact[i]):,}",
            found=f"{hi[i]:,.0f}"))
    if len(below) > 10:
        problems.append(Problem("error", f"… and {len(below) - 10} more region(s) whose cap is below their exact amount",
                                f"……另有 {len(below) - 10} 个地区的上限低于其应付的固定金额"))
    if not some:
        return (np.maximum(lo, 0.0), np.maximum(hi, 0.0), float(pool),
                [(name, m, gmin - 0.0, gmax - 0.0) for name, m, gmin, gmax in groups], problems)
    lo_y = np.maximum(lo - e, 0.0)
    hi_y = np.maximum(hi - e, 0.0)
    groups_y = [(name, m, gmin - float(e[m].sum()), gmax - float(e[m].sum())) for name, m, gmin, gmax in groups]
    return lo_y, hi_y, float(pool - total), groups_y, problems


def carried_deductions(final: np.ndarray, share: np.ndarray) -> np.ndarray:
    """d_i = ⌊share_i × final_i + ½⌋ whole units (share_i ≥ 0 is the deducted share of region i's amount)."""
    share = np.clip(np.asarray(share, dtype=float), 0.0, 1.0)
    d = np.floor(share * np.asarray(final, dtype=float) + 0.5 + 1e-9).astype(np.int64)
    return np.minimum(d, np.asarray(final, dtype=np.int64))
