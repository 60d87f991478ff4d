"""Method composition: run a method's components over the region table and return target amounts (元)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..problems import InputError
from . import components as C
from .exact_parts import carries, is_exact
from .inputs import RegionColumns, apply_fallbacks
from .params import Method


def compute_targets(method: Method, regions: pd.DataFrame, budget_yuan: float, year: int,
                    overrides: dict | None = None):
    """Amounts per component in 元 (one column per component, in the method's order) and the context
    (effective parameters, diagnostics, traces).

    Components paid exactly (a published rate or a declared amount: ``fixed``, ``unit_rate`` without a pool, or
    ``exact: true``; see exact_parts.py) come first; the *formula pool* is the budget less their total.
    Components with a ``pool`` divide that fraction of the formula pool; a ``pool: residual`` component divides
    what the other components (except rewards and penalties) leave; other components give absolute amounts.
    Rewards and penalties then apply to their base components. A component with ``in_force: {from, until}``
    (years) outside ``year`` is not computed (all zero) and an info line says so. ``ctx.exact`` lists the exact
    components, ``ctx.carry`` the deductions carried to next year's pool."""
    regions = regions.reset_index(drop=True)  # a new frame: dropping its attrs (sources, problems) leaves the
    regions.attrs = {}  # caller's alone and spares pandas deep-copying them on every column read
    amounts, ctx = evaluate(method, RegionColumns(regions), budget_yuan, year, overrides)
    return component_table(amounts, ctx.n), ctx


def component_table(amounts: dict, n: int) -> pd.DataFrame:
    """The amounts of :func:`evaluate` as a table (one float column per component, in the method's order)."""
    return pd.DataFrame(amounts, index=pd.RangeIndex(n))


def evaluate(method: Method, columns: RegionColumns, budget_yuan: float, year: int,
             overrides: dict | None = None) -> tuple[dict, C.Context]:
    """:func:`compute_targets` over the region columns (each read once): the amounts per component in 元 as
    {name: float array} in the method's order, and the context. The arithmetic is the same."""
    params = method.values(year, overrides)
    regions = columns.frame
    filled, fallbacks = apply_fallbacks(method, regions, columns)  # declared stand-ins for absent inputs
    if filled is not regions:
        columns = RegionColumns(filled)
    ctx = C.Context(method.name, filled, params, float(budget_yuan), columns=columns)
    ctx.trace["fallbacks"] = fallbacks
    for f in fallbacks:
        if f["declared"]:  # inline fallbacks warn where the column is read
            ctx.warn(f"method '{method.name}': input '{f['input']}' is absent; {f['stands_in']} stands in "
                     f"(declared in the model file): {f['note_en']}",
                     f"方法 '{method.name}':缺少输入 '{f['input']}',按模型文件声明以 {f['stands_in']} 代替:{f['note_zh']}")
    base_mask = C.eligibility(method.eligible, ctx, "method eligibility")
    ctx.trace["eligible"] = base_mask
    masks, residual = {}, []
    for spec in method.components:
        kind = spec.get("type")
        if kind not in C.TYPES:
            raise InputError(f"method '{method.name}': component '{spec.get('name')}' has unknown type '{kind}'; "
                             f"known: {', '.join(C.TYPES)}",
                             f"方法 '{method.name}':组成部分 '{spec.get('name')}' 的类型 '{kind}' 未知")
        name = spec["name"]
        if not _in_force(spec, year, ctx):
            ctx.not_in_force.append(name)
            masks[name] = np.zeros(ctx.n, dtype=bool)
            continue
        masks[name] = base_mask & C.eligibility(spec.get("eligible"), ctx, f"component '{name}' eligibility")
        if is_exact(spec):
            ctx.done[name] = C.TYPES[kind](spec, ctx, masks[name])
            ctx.exact.append(name)
        elif carries(spec):
            ctx.carry.append(name)
    exact_total = float(sum(ctx.done[n].sum() for n in ctx.exact))
    ctx.budget_yuan = max(float(budget_yuan) - exact_total, 0.0)  # the formula pool
    for spec in method.components:
        kind, name = spec["type"], spec["name"]
        if kind == "reward_penalty" or name in ctx.exact or name in ctx.not_in_force:
            continue
        raw = C.TYPES[kind](spec, ctx, masks[name])
        if spec.get("pool") == "residual":
            residual.append((name, raw))
            continue
        pool = C.pool_amount(spec, ctx, f"component '{name}'")
        ctx.done[name] = raw if pool is None else pool * C.share(raw)
        if pool is not None and raw.sum() <= 0 and pool > 0:
            ctx.warn(f"method '{method.name}': component '{name}' has a pool but no region scores above zero; "
                     f"its pool goes to the other components",
                     f"方法 '{method.name}':组成部分 '{name}' 有资金池但没有地区得分大于零,资金转入其他部分")
    if len(residual) > 1:
        raise InputError(f"method '{method.name}': at most one component may take the residual pool",
                         f"方法 '{method.name}':最多只能有一个组成部分使用剩余资金池")
    for name, raw in residual:
        left = ctx.budget_yuan - sum(v.sum() for k, v in ctx.done.items() if k not in ctx.exact)
        if left < 0:
            ctx.warn(f"method '{method.name}': the other components already exceed the budget; "
                     f"'{name}' gets nothing", f"方法 '{method.name}':其他组成部分已超过预算,'{name}' 为零")
        ctx.done[name] = max(left, 0.0) * C.share(raw)
        ctx.trace[f"{name}.pool"] = max(left, 0.0)
    for spec in method.components:
        if spec["type"] == "reward_penalty" and spec["name"] not in ctx.not_in_force:
            ctx.done[spec["name"]] = C.reward_penalty(spec, ctx, masks[spec["name"]])
    amounts = {s["name"]: ctx.done.get(s["name"], np.zeros(ctx.n)) for s in method.components}
    ctx.totals = row_sums(list(amounts.values()), ctx.n)  # Σ of all components per region (NaN if one is)
    sums = ctx.totals if not np.isnan(ctx.totals).any() else row_sums(list(amounts.values()), ctx.n, skipna=True)
    negative = int((sums < -1e-9).sum())
    if negative:
        ctx.warn(f"method '{method.name}': {negative} region(s) have a negative "
                 f"amount (a deduction larger than the amount); their targets are set to 0",
                 f"方法 '{method.name}':{negative} 个地区金额为负(扣减超过补助额),目标设为 0")
    return amounts, ctx


def row_sums(arrays: list, n: int, skipna: bool = False) -> np.ndarray:
    """Σ over the arrays for each region, added in the order and memory layout a DataFrame of them uses
    (one float block, ``DataFrame.to_numpy().sum(axis=1)``), so the sums are bit for bit those of the table;
    ``skipna`` counts NaN as 0 (``DataFrame.sum(axis=1)``)."""
    if not arrays:
        return np.zeros(n)
    if len(arrays) == 1 and not skipna:  # one column: its sum from 0.0 (−0.0 → 0.0), without the stacking
        return np.asarray(arrays[0], dtype=float) + 0.0
    block = np.vstack([np.asarray(a, dtype=float) for a in arrays]).T
    sums = block.sum(axis=1)
    if skipna and np.isnan(sums).any():  # a NaN somewhere (an empty value, or inf − inf): as pandas, NaN as 0
        sums = np.where(np.isnan(block), 0.0, block).sum(axis=1)
    return sums


def _in_force(spec: dict, year: int, ctx) -> bool:
    """``in_force: {from: 2017, until: 2019, note_en, note_zh}``: the years a component is part of the method."""
    span = spec.get("in_force")
    if not span:
        return True
    start, end = int(span.get("from", 0)), int(span.get("until", 9999))
    if start <= int(year) <= end:
        return True
    label = spec.get("label", {})
    ctx.info(f"method '{ctx.method}': component '{spec['name']}' ({label.get('en', spec['name'])}) is in force "
             f"{start if start else '…'}–{end if end < 9999 else '…'}, not in {year}: not computed"
             + (f" ({span['note_en']})" if span.get("note_en") else ""),
             f"方法 '{ctx.method}':组成部分「{label.get('zh', spec['name'])}」适用于 {start if start else '…'}–"
             f"{end if end < 9999 else '…'} 年,{year} 年不计算" + (f"({span['note_zh']})" if span.get("note_zh") else ""))
    return False


def component_labels(method: Method) -> dict[str, tuple[str, str]]:
    return {s["name"]: (s.get("label", {}).get("zh", s["name"]), s.get("label", {}).get("en", s["name"]))
            for s in method.components}


def total_target(table, n: int | None = None) -> np.ndarray:
    """Σ of the components per region, never below 0 (``table``: a DataFrame, or a list of float arrays over
    ``n`` regions)."""
    if isinstance(table, pd.DataFrame):
        return np.maximum(table.to_numpy(dtype=float).sum(axis=1), 0.0)
    return np.maximum(row_sums(table, n), 0.0)
