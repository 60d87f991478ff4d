"""Component types: small vectorised functions over all regions at once.

Each component type takes its spec (from the model file) and a :class:`Context` and returns one amount per
region in 元 (float). A spec refers to parameters by path (a string); numbers in specs are structural only.

Types: ``weighted_share`` (a pool divided by a key of normalised indicators and factors), ``gap_coefficient``
(max(0, expenditure − revenue) × a tiered coefficient), ``unit_rate`` (count or area × rate), ``fixed``
(given amounts per region), ``reward_penalty`` (a rate by assessment class or score applied to other
components)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import schema
from ..money import UNITS
from ..problems import InputError, Problem
from .inputs import RegionColumns


def safe_divide(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = np.zeros(np.broadcast(a, b).shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


def share(v):
    """Share of the total; all zero if the total is zero."""
    v = np.asarray(v, dtype=float)
    return safe_divide(v, v.sum())


def floor_shares(s, floor: float):
    """Raise shares below ``floor`` to it and scale the others down so the shares still add up to 1."""
    s = np.asarray(s, dtype=float)
    fixed = np.zeros(s.size, dtype=bool)
    for _ in range(s.size):
        low = ~fixed & (s < floor) & (s > 0)
        if not low.any():
            break
        fixed |= low
        free = ~fixed
        rest = 1.0 - floor * fixed.sum()
        s = np.where(fixed, floor, share(np.where(free, s, 0.0)) * rest)
    return s


def money_factor(unit: str) -> float:
    """Size in 元 of the money unit at the start of a unit text ('万元/人/年' -> 10,000)."""
    for name in sorted(UNITS, key=len, reverse=True):
        if str(unit).startswith(name):
            return float(UNITS[name])
    raise ValueError(f"not a money unit: {unit}")


@dataclass
class Context:
    method: str
    regions: pd.DataFrame
    params: dict  # path -> {"value", "status", ...}
    budget_yuan: float
    diagnostics: list[Problem] = field(default_factory=list)
    trace: dict = field(default_factory=dict)  # intermediate arrays by name, for explanations
    done: dict = field(default_factory=dict)  # component name -> amounts (元)
    used_columns: set = field(default_factory=set)
    exact: list = field(default_factory=list)  # components paid exactly (rates, declared amounts)
    carry: list = field(default_factory=list)  # deductions carried to next year's pool
    not_in_force: list = field(default_factory=list)  # components outside their in_force years
    columns: RegionColumns | None = None  # the region columns as arrays, each read once (made if not given)
    totals: np.ndarray | None = None  # Σ of all components per region, once evaluated (methods.row_sums)

    def __post_init__(self):
        if self.columns is None or self.columns.frame is not self.regions:
            self.columns = RegionColumns(self.regions)

    @property
    def n(self) -> int:
        return self.columns.n

    def warn(self, en: str, zh: str) -> None:
        if not any(p.message_en == en for p in self.diagnostics):
            self.diagnostics.append(Problem("warning", en, zh))

    def info(self, en: str, zh: str) -> None:
        if not any(p.message_en == en for p in self.diagnostics):
            self.diagnostics.append(Problem("info", en, zh))

    def value(self, ref, where: str):
        """A parameter's value when ``ref`` is a parameter path, else the literal itself."""
        if isinstance(ref, str):
            if ref not in self.params:
                raise InputError(f"method '{self.method}', {where}: refers to undefined parameter '{ref}'",
                                 f"方法 '{self.method}',{where}:引用了未定义的参数 '{ref}'")
            return self.params[ref]["value"]
        return ref

    def num(self, ref, where: str) -> float:
        v = self.value(ref, where)
        try:
            return float(v)
        except (TypeError, ValueError):
            raise InputError(f"method '{self.method}', {where}: parameter '{ref}' should be a number, found {v!r}",
                             f"方法 '{self.method}',{where}:参数 '{ref}' 应为数字,实际 {v!r}") from None

    def column(self, spec, where: str, optional: bool = False) -> np.ndarray:
        """A numeric column as floats (NaN -> 0, with a warning). ``spec`` is a name or {column, fallback}."""
        if isinstance(spec, dict):
            name, fallback = spec["column"], spec.get("fallback")
        else:
            name, fallback = spec, None
        cols = self.columns
        if not cols.present(name):
            if fallback is not None and fallback in cols:
                self.warn(
                    f"method '{self.method}', {where}: column '{name}' is absent; using '{fallback}' instead "
                    f"(an assumption declared in the model file)",
                    f"方法 '{self.method}',{where}:缺少列 '{name}',按模型文件声明的假设改用 '{fallback}'")
                name = fallback
            elif optional:
                self.warn(f"method '{self.method}', {where}: optional column '{name}' is absent; counted as 0",
                          f"方法 '{self.method}',{where}:可选列 '{name}' 缺失,按 0 计")
                return np.zeros(self.n)
            else:
                raise InputError(
                    f"method '{self.method}', {where}: needs column '{name}', which the region data lacks"
                    + (f" (and its fallback '{fallback}')" if fallback else ""),
                    f"方法 '{self.method}',{where}:需要列 '{name}',但地区数据中没有",
                    column=name)
        self.used_columns.add(name)
        v = cols.floats(name)
        if np.isnan(v.sum()) and np.isnan(v).any():  # a sum that is not NaN: no empty value (one pass)
            self.warn(f"method '{self.method}', {where}: column '{name}' has {int(np.isnan(v).sum())} empty "
                      f"value(s); counted as 0",
                      f"方法 '{self.method}',{where}:列 '{name}' 有 {int(np.isnan(v).sum())} 个空值,按 0 计")
            v = np.nan_to_num(v)
        return v

    def money_column(self, spec, where: str, optional: bool = False) -> np.ndarray:
        """A money column converted to 元 by the unit the schema gives it."""
        v = self.column(spec, where, optional)
        name = spec["column"] if isinstance(spec, dict) else spec
        col = schema.COLUMNS.get(name)
        unit = col.unit if col else "万元"
        return v * money_factor(unit)


# ----------------------------------------------------------------------------------------------- values

def indicator_value(spec, ctx: Context, where: str) -> np.ndarray:
    """Raw indicator: {column}, {weighted_sum: {column: weight}}, {ratio: [num, den]}, {constant: 1}."""
    if isinstance(spec, str):
        return ctx.column(spec, where)
    if "column" in spec:
        return ctx.column(spec, where, spec.get("optional", False))
    if "weighted_sum" in spec:
        parts = [ctx.column(c, where) * ctx.num(w, where) for c, w in spec["weighted_sum"].items()]
        return np.sum(parts, axis=0)
    if "ratio" in spec:
        a, b = spec["ratio"]
        return safe_divide(indicator_value(a, ctx, where), indicator_value(b, ctx, where))
    if "constant" in spec:
        return np.full(ctx.n, float(spec["constant"]))
    raise InputError(f"method '{ctx.method}', {where}: unknown indicator spec {spec}",
                     f"方法 '{ctx.method}',{where}:未知的指标定义 {spec}")


def eligibility(spec, ctx: Context, where: str) -> np.ndarray:
    """Boolean mask from {column, equals|min|max|above|below|in}, {ratio, min|max|above|below}, {any: [...]},
    {all: [...]}; ``if_missing: all``."""
    if not spec:
        return np.ones(ctx.n, dtype=bool)
    if "any" in spec:
        return np.logical_or.reduce([eligibility(s, ctx, where) for s in spec["any"]])
    if "all" in spec:
        return np.logical_and.reduce([eligibility(s, ctx, where) for s in spec["all"]])
    if "ratio" in spec:
        return _compare(indicator_value({"ratio": spec["ratio"]}, ctx, where), spec, ctx, where)
    name = spec["column"]
    if not ctx.columns.present(name):
        if spec.get("if_missing") == "all":
            ctx.warn(f"method '{ctx.method}', {where}: eligibility column '{name}' is absent; every region is "
                     f"treated as eligible (an assumption declared in the model file)",
                     f"方法 '{ctx.method}',{where}:缺少资格列 '{name}',按模型文件声明的假设视所有地区为符合条件")
            return np.ones(ctx.n, dtype=bool)
        raise InputError(f"method '{ctx.method}', {where}: eligibility needs column '{name}', which the region "
                         f"data lacks", f"方法 '{ctx.method}',{where}:资格条件需要列 '{name}',但地区数据中没有",
                         column=name)
    if "in" in spec:
        ctx.used_columns.add(name)
        allowed = ctx.value(spec["in"], where)
        return ctx.columns.series(name).astype(str).isin([str(a) for a in allowed]).to_numpy()
    return _compare(ctx.column(name, where), spec, ctx, where)


def _compare(v, spec, ctx: Context, where: str) -> np.ndarray:
    """``equals``; ``min`` / ``max`` include the bound (≥, ≤); ``above`` / ``below`` exclude it (>, <), for rules
    worded "over 70%" (Portugal's Natura share)."""
    mask = np.ones(ctx.n, dtype=bool)
    if "equals" in spec:
        mask &= v == ctx.num(spec["equals"], where)
    if "min" in spec:
        mask &= v >= ctx.num(spec["min"], where)
    if "max" in spec:
        mask &= v <= ctx.num(spec["max"], where)
    if "above" in spec:
        mask &= v > ctx.num(spec["above"], where)
    if "below" in spec:
        mask &= v < ctx.num(spec["below"], where)
    return mask


def normalise(raw, spec, ctx: Context, where: str, mask) -> np.ndarray:
    """Normalised indicator over eligible regions (shares adding up to 1)."""
    how = spec.get("normalise", "share")
    v = np.where(mask, raw, 0.0)
    if how == "equal":
        s = share(mask.astype(float))
    elif how == "share":
        s = share(v)
    elif how == "intensity":
        s = share(np.where(mask, safe_divide(raw, indicator_value(spec["per"], ctx, where)), 0.0))
    elif how == "inverse":
        s = share(np.where(mask, safe_divide(1.0, raw), 0.0))
    elif how == "distance":
        bench = spec.get("benchmark", "max")
        if isinstance(bench, dict) and "rank" in bench:
            k = int(ctx.num(bench["rank"], where))
            ordered = np.sort(raw[mask])[::-1]
            b = ordered[min(k, ordered.size) - 1]
        elif bench == "max":
            b = raw[mask].max()
        else:
            b = ctx.num(bench, where)
        d = np.where(mask, np.maximum(b - raw, 0.0), 0.0)
        ctx.trace[f"{where}.distance"] = d
        s = share(d)
    else:
        raise InputError(f"method '{ctx.method}', {where}: unknown normalisation '{how}'",
                         f"方法 '{ctx.method}',{where}:未知的标准化方式 '{how}'")
    if "times" in spec:
        s = share(s * indicator_value(spec["times"], ctx, where))
    if "floor_share" in spec:
        floor = ctx.num(spec["floor_share"], where)
        if floor * int((s > 0).sum()) >= 1:
            raise InputError(
                f"method '{ctx.method}', {where}: a floor of {floor:.1%} on each of {int((s > 0).sum())} regions' "
                f"shares adds up to 100% or more; the method suits fewer regions (or lower the floor)",
                f"方法 '{ctx.method}',{where}:{int((s > 0).sum())} 个地区每个份额下限 {floor:.1%},合计达到或超过 "
                f"100%;该方法适用于较少地区(或降低下限)")
        s = floor_shares(s, floor)
    return s


def factor(spec, ctx: Context, where: str) -> np.ndarray:
    """A multiplicative factor on a key: ratio_power, class_map, step, column."""
    kind = spec["type"]
    if kind == "ratio_power":
        exponent = ctx.num(spec["exponent"], where)
        if exponent == 0:
            return np.ones(ctx.n)
        ratio = safe_divide(ctx.column(spec["numerator"], where), ctx.column(spec["denominator"], where))
        return np.where(ratio > 0, np.power(np.where(ratio > 0, ratio, 1.0), exponent), 0.0)
    if kind == "class_map":
        table = ctx.value(spec["map"], where)
        default = ctx.num(spec.get("default", 1.0), where)
        if all(float(v) == default for v in table.values()):
            return np.full(ctx.n, default)
        name = spec["column"]
        if name not in ctx.columns:
            if spec.get("optional"):
                ctx.warn(f"method '{ctx.method}', {where}: column '{name}' is absent; factor set to {default}",
                         f"方法 '{ctx.method}',{where}:缺少列 '{name}',系数取 {default}")
                return np.full(ctx.n, default)
            raise InputError(f"method '{ctx.method}', {where}: needs column '{name}', which the region data lacks",
                             f"方法 '{ctx.method}',{where}:需要列 '{name}',但地区数据中没有", column=name)
        ctx.used_columns.add(name)
        mapped = ctx.columns.series(name).map(lambda c: table.get(c, default) if isinstance(c, str) else default)
        return mapped.to_numpy(dtype=float)
    if kind == "step":
        v = ctx.column(spec["column"], where)
        return np.where(v >= ctx.num(spec["threshold"], where), ctx.num(spec["above"], where),
                        ctx.num(spec["below"], where))
    if kind == "column":
        return ctx.column(spec["column"], where) * ctx.num(spec.get("scale", 1.0), where)
    raise InputError(f"method '{ctx.method}', {where}: unknown factor type '{kind}'",
                     f"方法 '{ctx.method}',{where}:未知的系数类型 '{kind}'")


def pool_amount(spec, ctx: Context, where: str) -> float | None:
    """A component's pool in 元: a fraction of the formula pool (the budget less the amounts paid exactly),
    'residual', or None (absolute amounts)."""
    pool = spec.get("pool")
    if pool is None:
        return None
    if pool == "residual":
        return None  # resolved by the method after the other components
    return ctx.num(pool, where) * ctx.budget_yuan


# ------------------------------------------------------------------------------------------ component types

def weighted_share(spec, ctx: Context, mask) -> np.ndarray:
    """Key = (Σ_k w_k × normalised indicator_k) × Π factors (w_k may differ by region through ``alt_weight`` /
    ``alt_when``); the method divides the component's pool by the key's shares."""
    name = spec["name"]
    parts = []
    for ind in spec["indicators"]:
        where = f"component '{name}', indicator '{ind['name']}'"
        w = ctx.num(ind["weight"], where)  # one weight for all (w × s: the products of a full array of w)
        if "alt_weight" in ind:  # a different weight for regions meeting a condition (Portugal's Natura > 70 %)
            w = np.where(eligibility(ind["alt_when"], ctx, where), ctx.num(ind["alt_weight"], where), w)
        s = normalise(indicator_value(ind["value"], ctx, where), ind, ctx, where, mask)
        ctx.trace[f"{name}.{ind['name']}"] = s
        parts.append(w * s)
    # Σ_k as np.sum(parts, axis=0) adds it (from 0.0: −0.0 becomes 0.0); one part: that sum without the stacking
    key = parts[0] + 0.0 if len(parts) == 1 else np.sum(parts, axis=0)
    for f in spec.get("factors", []):
        key = key * factor(f, ctx, f"component '{name}', factor '{f.get('name', f['type'])}'")
    key = np.where(mask, key, 0.0)
    ctx.trace[f"{name}.key"] = key
    return key


def gap_coefficient(spec, ctx: Context, mask) -> np.ndarray:
    """max(0, Σ expenditure − Σ revenue) × coefficient, the coefficient chosen by tiers of an indicator."""
    where = f"component '{spec['name']}'"
    exp = np.sum([ctx.money_column(c, where, optional=isinstance(c, dict) and c.get("optional", False))
                  for c in spec["expenditure"]], axis=0)
    rev = np.sum([ctx.money_column(c, where) for c in spec["revenue"]], axis=0)
    gap = np.maximum(exp - rev, 0.0)
    coef_spec = spec["coefficient"]
    if "tiers" in coef_spec:
        tiers = ctx.value(coef_spec["tiers"], where)  # [[lower bound, coefficient], ...] ascending
        bounds = np.array([float(t[0]) for t in tiers])
        coefs = np.array([float(t[1]) for t in tiers])
        x = indicator_value(coef_spec["of"], ctx, where)
        idx = np.clip(np.searchsorted(bounds, x, side="right") - 1, 0, len(tiers) - 1)
        coef = coefs[idx]
    else:
        coef = np.full(ctx.n, ctx.num(coef_spec["value"], where))
    ctx.trace[f"{spec['name']}.gap"] = gap
    ctx.trace[f"{spec['name']}.coefficient"] = coef
    return np.where(mask, gap * coef, 0.0)


def unit_rate(spec, ctx: Context, mask) -> np.ndarray:
    """Σ count-or-area × rate. Rates are in a money unit per thing (元/人/年) unless the component has a
    pool, in which case they are relative weights."""
    where = f"component '{spec['name']}'"
    total = np.zeros(ctx.n)
    for term in spec["terms"]:
        rate = ctx.num(term["rate"], where)
        if spec.get("pool") is None:
            rate *= money_factor(ctx.params[term["rate"]]["unit"])
        total = total + ctx.column(term["column"], where, term.get("optional", False)) * rate
    return np.where(mask, total, 0.0)


def fixed(spec, ctx: Context, mask) -> np.ndarray:
    """Given amounts: a money column, or a parameter mapping adcode -> amount in the parameter's unit."""
    where = f"component '{spec['name']}'"
    if "column" in spec:
        return np.where(mask, ctx.money_column(spec["column"], where, spec.get("optional", False)), 0.0)
    table = ctx.value(spec["amounts"], where) or {}
    factor_ = money_factor(ctx.params[spec["amounts"]]["unit"])
    codes = ctx.columns.series("adcode").astype(str)
    return np.where(mask, codes.map(lambda c: float(table.get(c, 0.0))).to_numpy(dtype=float) * factor_, 0.0)


def reward_penalty(spec, ctx: Context, mask) -> np.ndarray:
    """Base (the sum of named components) × a rate by assessment class (class_map) or incident flag."""
    where = f"component '{spec['name']}'"
    base = np.sum([ctx.done[b] for b in spec["base"]], axis=0)
    rate = np.zeros(ctx.n)
    for r in spec["rates"]:
        if r["type"] == "class_map":
            rate = rate + factor({**r, "default": r.get("default", 0.0)}, ctx, where)
        elif r["type"] == "flag":
            rate = rate + ctx.column(r["column"], where, r.get("optional", False)) * ctx.num(r["rate"], where)
    rate = np.maximum(rate, -1.0)
    ctx.trace[f"{spec['name']}.rate"] = rate
    return np.where(mask, base * rate, 0.0)


TYPES = {
    "weighted_share": weighted_share,
    "gap_coefficient": gap_coefficient,
    "unit_rate": unit_rate,
    "fixed": fixed,
    "reward_penalty": reward_penalty,
}
