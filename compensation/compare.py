"""Comparing scenarios. Pure functions over run results; writing happens in the CLI. (Sweeps live in
:mod:`compensation.sweep`.)"""

from __future__ import annotations

import numpy as np
import pandas as pd

BUCKETS = [
    ("lose >5%", "减少超过5%"),
    ("lose ≤5%", "减少不超过5%"),
    ("unchanged", "不变"),
    ("gain ≤5%", "增加不超过5%"),
    ("gain >5%", "增加超过5%"),
]
BUCKET_LABELS = [b[0] for b in BUCKETS]


def bucket(difference, baseline) -> np.ndarray:
    """Winners/losers bucket of each region (PolicyEngine's five buckets, on the final amount)."""
    d = np.asarray(difference, dtype=float)
    b = np.asarray(baseline, dtype=float)
    pct = np.divide(d, b, out=np.where(d > 0, np.inf, np.where(d < 0, -np.inf, 0.0)), where=b != 0)
    lose_big, lose_small, unchanged, gain_small, gain_big = BUCKET_LABELS
    return np.select([d == 0, pct < -0.05, pct < 0, pct <= 0.05], [unchanged, lose_big, lose_small, gain_small],
                     default=gain_big)


def region_diff(base: pd.DataFrame, scen: pd.DataFrame, value: str = "final") -> pd.DataFrame:
    """{baseline, scenario, difference, pct_change, bucket} per region, outer-joined on adcode."""
    left = base[["adcode", "name_zh", value]].rename(columns={value: "baseline"})
    right = scen[["adcode", "name_zh", value]].rename(columns={value: "scenario"})
    d = left.merge(right, on="adcode", how="outer", suffixes=("", "_s"))
    d["name_zh"] = d["name_zh"].fillna(d.pop("name_zh_s"))
    d[["baseline", "scenario"]] = d[["baseline", "scenario"]].fillna(0).astype(np.int64)
    d["difference"] = d["scenario"] - d["baseline"]
    d["pct_change"] = np.where(d["baseline"] != 0, d["difference"] / d["baseline"].where(d["baseline"] != 0, 1),
                               np.nan)
    d["bucket"] = bucket(d["difference"], d["baseline"])
    return d.sort_values("adcode", kind="stable").reset_index(drop=True)


def compare_runs(base, scen) -> dict[str, pd.DataFrame]:
    """Per-year region differences, bucket counts, and multi-year totals of two RunResults."""
    years = [y for y in scen.years if y in base.results]
    frames, buckets = [], []
    for y in years:
        d = region_diff(base.results[y].allocation.table, scen.results[y].allocation.table)
        d.insert(0, "year", y)
        frames.append(d)
        counts = d.groupby("bucket")["difference"].agg(["size", "sum"]).reindex(BUCKET_LABELS).fillna(0)
        for label, zh in BUCKETS:
            buckets.append({"year": y, "bucket": label, "bucket_zh": zh, "regions": int(counts.loc[label, "size"]),
                            "difference": int(counts.loc[label, "sum"])})
    diffs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(diffs):
        totals = diffs.groupby(["adcode", "name_zh"], as_index=False)[["baseline", "scenario", "difference"]].sum()
        totals["pct_change"] = np.where(totals["baseline"] != 0, totals["difference"] /
                                        totals["baseline"].where(totals["baseline"] != 0, 1), np.nan)
        totals["bucket"] = bucket(totals["difference"], totals["baseline"])
    else:
        totals = pd.DataFrame()
    out = {"differences": diffs, "buckets": pd.DataFrame(buckets), "multi_year_totals": totals,
           "changes": pd.DataFrame(describe_changes(base.scenario.spec, scen.scenario.spec)
                                   + parameter_changes(base, scen),
                                   columns=["key", "baseline", "scenario", "change_en", "change_zh"])}
    cascades = [y for y in years if getattr(base.results[y], "cascade", None) is not None
                and getattr(scen.results[y], "cascade", None) is not None]
    if cascades:
        out.update(county_comparison({y: base.results[y].cascade.counties for y in cascades},
                                     {y: scen.results[y].cascade.counties for y in cascades}))
    return out


def county_comparison(base: dict, scen: dict) -> dict[str, pd.DataFrame]:
    """Two-tier runs: county differences (the lines a province holds included, so each province's rows still
    add up to its tier-1 difference) and winners/losers among counties per province, by year."""
    frames, rows = [], []
    for y in base:
        b, s = base[y], scen[y]
        d = region_diff(b, s)
        parent = pd.concat([b, s])[["adcode", "parent_adcode", "province_zh", "level"]].drop_duplicates("adcode")
        d = d.merge(parent, on="adcode", how="left")
        d.insert(0, "year", y)
        frames.append(d)
        c = d[d["level"] != "province_held"]
        counts = c.groupby(["parent_adcode", "province_zh", "bucket"])["difference"].agg(["size", "sum"])
        for p, name in c[["parent_adcode", "province_zh"]].drop_duplicates().itertuples(index=False):
            for label, zh in BUCKETS:
                n, total = (counts.loc[(p, name, label)] if (p, name, label) in counts.index else (0, 0))
                rows.append({"year": y, "parent_adcode": p, "province_zh": name, "bucket": label, "bucket_zh": zh,
                             "counties": int(n), "difference": int(total)})
    diffs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return {"county_differences": diffs, "county_buckets": pd.DataFrame(rows)}


def parameter_changes(base, scen) -> list[dict]:
    """Effective method parameters that differ between two runs, year by year; a change that is the same in
    every compared year is one line."""
    changes: dict[tuple, list[int]] = {}
    for y in scen.results:
        if y not in base.results:
            continue
        a, b = base.results[y].allocation.parameters, scen.results[y].allocation.parameters
        for key in sorted(set(a) | set(b)):
            va = a.get(key, {}).get("value")
            vb = b.get(key, {}).get("value")
            if va != vb:
                label = (b.get(key) or a.get(key) or {}).get("label_zh", "")
                changes.setdefault((key, repr(va), repr(vb), label), []).append(y)
    rows = []
    for (key, va, vb, label), years in changes.items():
        span = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
        rows.append({"key": f"parameter {key}", "baseline": va, "scenario": vb,
                     "change_en": f"method parameter {key}: {va} → {vb} in {span}",
                     "change_zh": f"方法参数「{label or key}」:{va} → {vb}({span}年)"})
    return rows


def _flatten(d, prefix="") -> dict:
    out = {}
    for k, v in (d or {}).items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v and not (prefix.startswith("overrides") and all(str(x)[:2] in ("19", "20")
                                                                                     for x in v)):
            out.update(_flatten(v, f"{path}."))
        else:
            out[path] = v
    return out


# Plain-language phrases for scenario keys: (English, Chinese), {v} is the scenario's value.
PHRASES = {
    "constraints.floor_ratio": ("hold-harmless floor: at least {v:.0%} of last year's amount",
                                "保底:不低于上年金额的 {v:.0%}"),
    "constraints.cap_ratio": ("growth cap: at most {v:.0%} of last year's amount", "封顶:不高于上年金额的 {v:.0%}"),
    "constraints.carry_over": ("each year's result bounds the next year", "逐年以上年结果作为约束基数"),
    "budget.growth": ("the pool grows {v:.1%} a year", "资金总额每年增长 {v:.1%}"),
    "budget.base": ("the pool starts from {v:,}", "资金基数为 {v:,}"),
    "method": ("allocation method: {v}", "分配方法:{v}"),
    "objective": ("objective: {v}", "优化目标:{v}"),
    "unit": ("money unit: {v}", "货币单位:{v}"),
    "years": ("years: {v}", "年份:{v}"),
    "data": ("region data: {v}", "地区数据:{v}"),
}


def _phrase(key: str, value) -> tuple[str, str] | None:
    if key not in PHRASES or value is None:
        return None
    en, zh = PHRASES[key]
    try:
        return en.format(v=value), zh.format(v=value)
    except (ValueError, TypeError):  # a value of another type than the phrase expects: say it plainly
        return None


def describe_changes(base: dict, scen: dict) -> list[dict]:
    """What a scenario changes against its baseline, one plain-language line per key."""
    skip = ("scenario.", "overrides.")  # parameter changes are reported from the effective values
    a = {k: v for k, v in _flatten(base).items() if not k.startswith(skip)}
    b = {k: v for k, v in _flatten(scen).items() if not k.startswith(skip)}
    rows = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key, None), b.get(key, None)
        if va == vb:
            continue
        phrase = _phrase(key, vb)
        if phrase and key in b:
            was = "not set" if key not in a else repr(va)
            was_zh = "未设置" if key not in a else repr(va)
            en, zh = f"{phrase[0]} (baseline: {was})", f"{phrase[1]}(基线:{was_zh})"
        elif key not in a:
            en, zh = f"{key}: set to {vb!r} (baseline: not set)", f"{key}:设为 {vb!r}(基线未设置)"
        elif key not in b:
            en, zh = f"{key}: removed (baseline: {va!r})", f"{key}:取消(基线为 {va!r})"
        else:
            en, zh = f"{key}: {va!r} → {vb!r}", f"{key}:{va!r} → {vb!r}"
        rows.append({"key": key, "baseline": repr(va), "scenario": repr(vb), "change_en": en, "change_zh": zh})
    return rows
