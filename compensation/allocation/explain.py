"""Plain-language explanations of an allocation, and marginal figures (per km² of red line, per capita)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema
from ..money import UNITS
from .constrained import human
from .methods import component_labels

BINDING = {
    "floor": ("raised to its floor", "受下限约束上调"),
    "cap": ("held down by its cap", "受上限约束下调"),
    "locked": ("locked at a fixed amount", "金额已锁定"),
    "excluded": ("excluded from this allocation", "本次分配不含该地区"),
    "zero_target": ("held at its floor because its target is zero", "目标为零,保持在下限"),
}


def _group_text(res, moved: str, zh: bool) -> list[str]:
    """'raised by group 'west' minimum of 60% (6,546亿元)' for each group bound that moved the region."""
    groups = {g["name"]: g for g in res.solver_info.get("groups", [])}
    out = []
    for item in str(moved).split(","):
        if ":" not in item:
            continue
        side, name = item.split(":", 1)
        g = groups.get(name, {})
        amount = g.get(side)
        share = f"{amount / res.budget:.4g}".rstrip("0").rstrip(".") if amount is not None else ""
        if zh:
            what = "最低份额" if side == "min" else "最高份额"
            how = "上调" if side == "min" else "下调"
            out.append(f"受组「{name}」{what}" + (f" {float(share) * 100:g}%({human(amount, res.unit)})" if share
                                               else "") + f"约束{how}")
        else:
            what = "minimum share" if side == "min" else "maximum share"
            how = "raised by" if side == "min" else "held down by"
            out.append(f"{how} group '{name}' {what}" + (f" of {float(share) * 100:g}% ({human(amount, res.unit)})"
                                                          if share else ""))
    return out


def _row(res, region) -> int:
    t = res.table
    key = str(region)
    for col in ("adcode", "name_zh", "name_en"):
        if col in t and (t[col].astype(str) == key).any():
            return int(np.flatnonzero(t[col].astype(str).to_numpy() == key)[0])
    from ..problems import InputError

    raise InputError(f"no region with adcode or name '{region}' in this allocation",
                     f"本次分配中没有代码或名称为 '{region}' 的地区")


def _num(regions, col, i):
    if col not in regions:
        return None
    v = pd.to_numeric(regions[col], errors="coerce").iloc[i]
    return None if pd.isna(v) else float(v)


def explain(res, region, lang: str = "zh") -> str:
    """E.g. '云南省 (530000): red line 118,400 km², 62% biodiversity … → target 54.3亿元; held down by its cap
    (110% of last year 47.4亿元) → 52.1亿元; rounding +0; final 521,400万元 = 4.78% of the budget.'"""
    zh = lang == "zh"
    i = _row(res, region)
    t, reg, unit = res.table, res.regions, res.unit
    name = t["name_zh"].iloc[i] if zh or not str(t["name_en"].iloc[i]) else t["name_en"].iloc[i]
    parts = []
    red = _num(reg, "redline_total_km2", i)
    if red is not None:
        splits = []
        for key, (fzh, fen) in schema.FUNCTION_TYPES.items():
            a = _num(reg, schema.function_column(key), i)
            if a and red > 0:
                splits.append((a / red, fzh if zh else fen))
        splits.sort(reverse=True)
        detail = ("、" if zh else ", ").join(f"{s:.0%} {lab}" if not zh else f"{lab} {s:.0%}" for s, lab in splits[:3])
        parts.append((f"生态保护红线 {red:,.0f} km²" + (f"(其中 {detail})" if detail else "")) if zh else
                     (f"red line {red:,.0f} km²" + (f" ({detail})" if detail else "")))
    pop = _num(reg, "population_10k", i)
    if pop is not None:
        parts.append(f"人口 {pop:,.0f} 万人" if zh else f"population {pop / 100:,.2f} million")
    if not res.trace.get("eligible", np.ones(len(t), bool))[i]:
        parts.append("不符合本方法的资格条件" if zh else "not eligible under this method")
    labels = component_labels(res.method)
    comps = [c for c in labels if c in t and abs(t[c].iloc[i]) > 0]
    comp_txt = ("、" if zh else ", ").join(
        f"{labels[c][0 if zh else 1]} {human(t[c].iloc[i], unit)}" for c in comps)
    method_label = res.method.label_zh if zh else res.method.label_en
    target = t["target"].iloc[i]
    line = ";".join(parts) if zh else "; ".join(parts)
    if zh:
        text = f"{name}({t['adcode'].iloc[i]}):{line} → 按「{method_label}」目标 {human(target, unit)}"
        text += f"({comp_txt})" if len(comps) > 1 else ""
    else:
        text = f"{name} ({t['adcode'].iloc[i]}): {line} → target {human(target, unit)} by '{method_label}'"
        text += f" ({comp_txt})" if len(comps) > 1 else ""
    fallbacks = res.trace.get("fallbacks", [])
    if fallbacks:
        used = ("、" if zh else ", ").join(f"{f['input']} ← {f['stands_in']}" for f in fallbacks)
        text += (f"(本方法在这些数据上使用了声明的替代:{used})" if zh else
                 f" (declared fallbacks used on this data: {used})")
    exact_names = [c for c in getattr(res, "exact_components", []) if c in t and abs(t[c].iloc[i]) > 0]
    if exact_names:  # paid at a published rate or a declared amount, not scaled with the pool
        what = ("、" if zh else ", ").join(f"{labels[c][0 if zh else 1]} {human(t[c].iloc[i], unit)}"
                                         for c in exact_names)
        text += (f";其中按公布标准或核定金额全额支付:{what},其余按公式分配" if zh else
                 f"; of which paid exactly at a published rate or declared amount: {what}; the rest by the formula")
    if "final" not in t:
        return text + ("。分配不可行,见诊断信息。" if zh else ". The allocation is infeasible: see the diagnostics.")
    b = t["binding"].iloc[i]
    alloc = t["allocated"].iloc[i]
    if b in BINDING:
        why = BINDING[b][1 if zh else 0]
        bound = t["lower"].iloc[i] if b == "floor" else t["upper"].iloc[i]
        last = t["last_year"].iloc[i] if "last_year" in t else np.nan
        rel = (f"(上年 {human(last, unit)} 的 {bound / last:.0%})" if zh else
               f" ({bound / last:.0%} of last year's {human(last, unit)})") if b in ("floor", "cap") and last > 0 else ""
        text += (f";{why}{rel} → {human(alloc, unit)}" if zh else f"; {why}{rel} → {human(alloc, unit)}")
    elif "binding_groups" in t and str(t["binding_groups"].iloc[i]):
        why = _group_text(res, t["binding_groups"].iloc[i], zh)
        text += (f";{'、'.join(why)} → {human(alloc, unit)}" if zh else f"; {', '.join(why)} → {human(alloc, unit)}")
    elif abs(t["adj_constraints"].iloc[i]) > 0.5:
        d = t["adj_constraints"].iloc[i]
        text += (f";为满足其他地区的上下限或分组份额按比例调整 {d:+,.0f}{unit} → {human(alloc, unit)}" if zh else
                 f"; adjusted in proportion by {d:+,.0f} {unit} for other regions' bounds or group shares → {human(alloc, unit)}")
    r = t["adj_rounding"].iloc[i]
    final = int(t["final"].iloc[i])
    if "carried_out" in t and t["carried_out"].iloc[i] > 0:
        d = int(t["carried_out"].iloc[i])
        text += (f";扣减 {d:,}{unit} 转入下一年度资金池" if zh else
                 f"; {d:,} {unit} deducted and carried to next year's pool")
    if zh:
        text += f";取整 {r:+.2f}{unit};最终 {final:,}{unit},占预算 {t['share'].iloc[i]:.2%}。"
    else:
        text += f"; rounding {r:+.2f} {unit}; final {final:,} {unit}, {t['share'].iloc[i]:.2%} of the budget."
    return text


def _function_weights(res) -> dict[str, float]:
    out = {}
    for key in schema.FUNCTION_TYPES:
        p = res.parameters.get(f"weights.{key}")
        if p is not None:
            out[key] = float(p["value"])
    return out


def marginal(res) -> pd.DataFrame:
    """Per region: final amount per km² of red line (in the output unit), per capita (元 per person), and, for
    methods that weight red line by function type, the payment per km² of each function type."""
    t, reg = res.table, res.regions
    out = t[["adcode", "name_zh"]].copy()
    final = t["final"].to_numpy(dtype=float) if "final" in t else t["target"].to_numpy(dtype=float)
    _per_unit(out, final, reg, res.unit)
    weights = _function_weights(res)
    cols = [schema.function_column(k) for k in weights]
    if weights and all(c in reg for c in cols):
        areas = np.column_stack([pd.to_numeric(reg[c], errors="coerce").fillna(0).to_numpy() for c in cols])
        w = np.array(list(weights.values()))
        weighted = areas @ w
        per_weighted = np.where(weighted > 0, final / np.where(weighted > 0, weighted, 1), np.nan)
        for k, wk in weights.items():
            out[f"per_km2_{k}_{res.unit}"] = per_weighted * wk
    return out


def _per_unit(out: pd.DataFrame, final: np.ndarray, reg: pd.DataFrame, unit: str) -> None:
    """Adds per km² of red line (in ``unit``) and per capita (元 per person) of ``final`` to ``out`` (NaN where the
    area or the population is not positive)."""
    if "redline_total_km2" in reg:
        red = pd.to_numeric(reg["redline_total_km2"], errors="coerce").to_numpy(dtype=float)
        out[f"per_km2_redline_{unit}"] = np.where(red > 0, final / np.where(red > 0, red, 1), np.nan)
    if "population_10k" in reg:
        pop = pd.to_numeric(reg["population_10k"], errors="coerce").to_numpy(dtype=float) * 1e4
        out["per_capita_yuan"] = np.where(pop > 0, final * UNITS[unit] / np.where(pop > 0, pop, 1), np.nan)


def is_province_table(table: pd.DataFrame) -> bool:
    """Every row is a province-level code (``xx0000``)."""
    return bool(table["adcode"].astype(str).str.fullmatch(r"\d{2}0000").all())


def province_sums(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows below a province (counties, prefectures, separately listed cities) summed to their province — the first
    two digits of ``adcode`` + ``0000`` —: columns adcode, regions (rows summed) and ``columns`` (sums; integer
    columns stay integers, so whole amounts stay whole). Province rows pass through as themselves."""
    key = table["adcode"].astype(str).str[:2] + "0000"
    df = table[columns].assign(adcode=key.to_numpy(), regions=1)
    return df.groupby("adcode", sort=True).agg({"regions": "sum", **{c: "sum" for c in columns}}).reset_index()


def by_province(res) -> pd.DataFrame:
    """The allocation at province level (:func:`province_sums` of final, red-line area and population), with per
    km² and per capita of those sums (the definitions of :func:`marginal`: Σ final / Σ km², Σ final / Σ persons).
    Columns adcode, regions, final, redline_total_km2, population_10k, per_km2_redline_<unit>, per_capita_yuan."""
    t, reg = res.table, res.regions
    parts = pd.DataFrame({"adcode": t["adcode"].to_numpy(), "final": t["final"].astype("int64").to_numpy(),
                          **{c: pd.to_numeric(reg[c], errors="coerce").to_numpy(dtype=float)
                             for c in ("redline_total_km2", "population_10k") if c in reg}})
    out = province_sums(parts, [c for c in parts.columns if c != "adcode"])
    _per_unit(out, out["final"].to_numpy(dtype=float), out, res.unit)
    return out


def marginal_by_function(res) -> pd.DataFrame:
    """Across all regions: payment attributed to each red-line function type and its amount per km²."""
    weights = _function_weights(res)
    reg = res.regions
    cols = [schema.function_column(k) for k in weights]
    if not weights or not all(c in reg for c in cols) or "final" not in res.table:
        return pd.DataFrame(columns=["function", "label_zh", "area_km2", "amount", "per_km2"])
    areas = np.column_stack([pd.to_numeric(reg[c], errors="coerce").fillna(0).to_numpy() for c in cols])
    w = np.array(list(weights.values()))
    weighted = areas @ w
    final = res.table["final"].to_numpy(dtype=float)
    attributed = areas * w * np.where(weighted > 0, final / np.where(weighted > 0, weighted, 1), 0)[:, None]
    rows = []
    for j, k in enumerate(weights):
        area = areas[:, j].sum()
        amount = attributed[:, j].sum()
        rows.append({"function": k, "label_zh": schema.FUNCTION_TYPES[k][0], "area_km2": area,
                     f"amount_{res.unit}": amount, f"per_km2_{res.unit}": amount / area if area > 0 else np.nan})
    return pd.DataFrame(rows)
