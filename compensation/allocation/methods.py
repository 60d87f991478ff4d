"""Method composition: run a method's components over the region table and return target amounts (元)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..problems import InputError
from . import components as C
from .inputs import apply_fallbacks
from .params import Method


def compute_targets(method: Method, regions: pd.DataFrame, budget_yuan: float, year: int,
                    overrides: dict | None = None):
    """Amounts per component in 元 (one column per component, in the method's order) and the context
    (effective parameters, diagnostics, traces).

    Components with a ``pool`` divide that fraction of the budget; a ``pool: residual`` component divides what
    the other components (except rewards and penalties) leave; components without a pool give absolute
    amounts. Rewards and penalties then apply to their base components."""
    params = method.values(year, overrides)
    regions, fallbacks = apply_fallbacks(method, regions)  # declared stand-ins for absent inputs
    ctx = C.Context(method.name, regions.reset_index(drop=True), params, float(budget_yuan))
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
        masks[name] = base_mask & C.eligibility(spec.get("eligible"), ctx, f"component '{name}' eligibility")
        if kind == "reward_penalty":
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
        left = budget_yuan - sum(v.sum() for v in ctx.done.values())
        if left < 0:
            ctx.warn(f"method '{method.name}': the other components already exceed the budget; "
                     f"'{name}' gets nothing", f"方法 '{method.name}':其他组成部分已超过预算,'{name}' 为零")
        ctx.done[name] = max(left, 0.0) * C.share(raw)
        ctx.trace[f"{name}.pool"] = max(left, 0.0)
    for spec in method.components:
        if spec["type"] == "reward_penalty":
            ctx.done[spec["name"]] = C.reward_penalty(spec, ctx, masks[spec["name"]])
    table = pd.DataFrame({s["name"]: ctx.done[s["name"]] for s in method.components})
    if (table.sum(axis=1) < -1e-9).any():
        ctx.warn(f"method '{method.name}': {int((table.sum(axis=1) < -1e-9).sum())} region(s) have a negative "
                 f"amount (a deduction larger than the amount); their targets are set to 0",
                 f"方法 '{method.name}':{int((table.sum(axis=1) < -1e-9).sum())} 个地区金额为负(扣减超过补助额),目标设为 0")
    return table, ctx


def component_labels(method: Method) -> dict[str, tuple[str, str]]:
    return {s["name"]: (s.get("label", {}).get("zh", s["name"]), s.get("label", {}).get("en", s["name"]))
            for s in method.components}


def total_target(table: pd.DataFrame) -> np.ndarray:
    return np.maximum(table.to_numpy(dtype=float).sum(axis=1), 0.0)
