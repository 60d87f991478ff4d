"""A published allocation table and how well a method's shares reproduce it (back-test statistics).

A published table has one amount per region for some of the regions, and possibly a total for all regions
(a row with code 100000 or a name such as 全国 / 地方合计 / total). Targets are shares:

    y_i = a_i / A          where A is the published total if given, else Σ_{i in table} a_i,

and a method's shares are compared on the same basis: ŝ_i = T_i / Σ_{all regions} T_j when the table gives
the total, else T_i / Σ_{i in table} T_j. Statistics over the n regions of the table:

    mean absolute share error  MAE = (100 / n) Σ |ŝ_i − y_i|     (percentage points)
    Spearman ρ                  = Pearson correlation of the ranks of ŝ and y (ties get their mean rank)

and the regions with the largest residuals ŝ_i − y_i. Reading refuses, naming the file and row: an unknown
region, a region listed twice, a missing or non-positive amount, a zero total, fewer than 3 regions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ..io import read_table
from ..money import UNITS, unit_name
from ..problems import InputError, Report

TOTAL_CODES = {"100000", "000000", "0"}
TOTAL_NAMES = {"全国", "地方合计", "合计", "总计", "total", "national", "all"}
CODE_COLUMNS = ("adcode", "code", "region_code", "行政区划代码", "代码")
NAME_COLUMNS = ("name_zh", "name", "region", "name_en", "地区", "名称", "省份")
AMOUNT_SUFFIXES = {"_100m_cny": "亿元", "_10k_cny": "万元", "_cny": "元"}
MIN_REGIONS = 3


@dataclass
class Published:
    """Amounts (元) of the regions in the table, by row of the region data, and the published total (元)."""

    name: str  # the table's file stem, e.g. kefz_2020_by_province_partial
    rows: np.ndarray  # index into the region table, one per published region
    amounts: np.ndarray  # 元
    total: float | None  # 元, the published total for all regions, or None
    year: int | None
    unit: str

    @property
    def targets(self) -> np.ndarray:
        """Published shares y_i."""
        return self.amounts / (self.total if self.total else self.amounts.sum())

    def model_shares(self, amounts_all: np.ndarray) -> np.ndarray:
        """A method's shares of the published regions, on the table's basis (see the module text)."""
        a = np.asarray(amounts_all, dtype=float)
        denom = a.sum() if self.total else a[self.rows].sum()
        return a[self.rows] / denom if denom > 0 else np.zeros(len(self.rows))


def _pick(columns, candidates) -> str | None:
    low = {str(c).strip().lower(): c for c in columns}
    for c in candidates:
        if c.lower() in low:
            return low[c.lower()]
    return None


def read_published(path, regions: pd.DataFrame, name: str | None = None) -> Published:
    """Read and check a published table (CSV/XLSX) against the region table ``regions``."""
    label = name or str(path)
    raw = read_table(path, name=name)
    rep = Report()
    code_col, name_col = _pick(raw.columns, CODE_COLUMNS), _pick(raw.columns, NAME_COLUMNS)
    amount_col = _pick(raw.columns, ("amount", "金额", "value"))
    unit = None
    if amount_col is None:
        for c in raw.columns:
            for suffix, u in AMOUNT_SUFFIXES.items():
                if str(c).endswith(suffix):
                    amount_col, unit = c, u
                    break
            if amount_col is not None:
                break
    if code_col is None and name_col is None:
        rep.error("the table needs a region column (adcode or name_zh)", "表格需要地区列(adcode 或 name_zh)",
                  file=label)
    if amount_col is None:
        rep.error("the table needs an amount column ('amount' with a 'unit' column, or e.g. "
                  "'..._100m_cny')", "表格需要金额列", file=label)
    rep.raise_if_errors()
    unit_col = _pick(raw.columns, ("unit", "单位"))
    year_col = _pick(raw.columns, ("year", "年度", "年份"))
    index = {}
    for col in ("adcode", "name_zh", "name_en"):
        if col in regions:
            for i, v in enumerate(regions[col].astype(str)):
                index[v.strip()] = i
    rows, amounts, total, seen, years = [], [], None, {}, set()
    for r, rec in enumerate(raw.to_dict(orient="records"), start=2):
        key = str(rec.get(code_col) or "").strip() if code_col else ""
        nm = str(rec.get(name_col) or "").strip() if name_col else ""
        who = key or nm
        text = str(rec.get(amount_col) or "").strip()
        u = unit or (str(rec.get(unit_col) or "").strip() if unit_col else "") or "元"
        try:
            factor = UNITS[unit_name(u)]
        except (InputError, KeyError):
            rep.error(f"unknown unit '{u}'", f"未知单位 '{u}'", file=label, row=r, column=unit_col or amount_col)
            continue
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            rep.error(f"amount '{text}' is not a number", f"金额 '{text}' 不是数字", file=label, row=r,
                      column=amount_col, region=who)
            continue
        if year_col and str(rec.get(year_col) or "").strip():
            years.add(str(rec.get(year_col)).strip())
        if key in TOTAL_CODES or (not key and nm.lower() in TOTAL_NAMES) or nm in TOTAL_NAMES and key not in index:
            if total is not None:
                rep.error("the table has two total rows", "表格有两行合计", file=label, row=r)
            total = value * factor
            continue
        i = index.get(key, index.get(nm))
        if i is None:
            rep.error(f"unknown region '{who}' (not in the region data)", f"未知地区 '{who}'(地区数据中没有)",
                      file=label, row=r, region=who)
            continue
        if i in seen:
            rep.error(f"region '{who}' appears twice (rows {seen[i]} and {r})", f"地区 '{who}' 重复出现",
                      file=label, row=r, region=who)
            continue
        if not value > 0:
            rep.error(f"amount of '{who}' must be positive, found {text}", f"'{who}' 的金额必须大于零",
                      file=label, row=r, region=who, column=amount_col)
            continue
        seen[i] = r
        rows.append(i)
        amounts.append(value * factor)
    if total is not None and not total > 0:
        rep.error("the total must be positive", "合计必须大于零", file=label)
    if not rep.errors and len(rows) < MIN_REGIONS:
        rep.error(f"the table has {len(rows)} region(s); at least {MIN_REGIONS} are needed",
                  f"表格只有 {len(rows)} 个地区,至少需要 {MIN_REGIONS} 个", file=label)
    if not rep.errors and total is not None and sum(amounts) > total * (1 + 1e-9):
        rep.error("the regions add up to more than the total", "各地区合计超过总额", file=label)
    if len(years) > 1:
        rep.error(f"the table mixes years {sorted(years)}", f"表格混有多个年度 {sorted(years)}", file=label)
    rep.raise_if_errors()
    year = int(next(iter(years))) if years and next(iter(years)).isdigit() else None
    return Published(Path(str(name or path)).stem, np.array(rows, dtype=int), np.array(amounts, dtype=float), total,
                     year, unit or "元")


def statistics(published: Published, shares: np.ndarray, top: int = 5) -> dict:
    """Fit statistics of model shares ``shares`` (of the published regions) against the published ones."""
    y = published.targets
    s = np.asarray(shares, dtype=float)
    resid = s - y
    rho = float(spearmanr(s, y).statistic) if np.ptp(s) > 0 and np.ptp(y) > 0 else float("nan")
    order = np.argsort(-np.abs(resid))[:top]
    return {"regions": int(len(y)), "spearman": rho, "mae_pp": float(np.abs(resid).mean() * 100),
            "max_abs_pp": float(np.abs(resid).max() * 100), "largest": [int(published.rows[k]) for k in order]}


def residual_table(published: Published, regions: pd.DataFrame, shares: np.ndarray,
                   loo_shares: np.ndarray | None = None) -> pd.DataFrame:
    """One row per published region: published and model shares (%), the residual (pp), the amounts in 亿元
    (the model's amount = its share × the published total, or × the table's sum)."""
    base = published.total if published.total else published.amounts.sum()
    t = pd.DataFrame({
        "adcode": regions["adcode"].astype(str).to_numpy()[published.rows],
        "name_zh": regions["name_zh"].astype(str).to_numpy()[published.rows] if "name_zh" in regions else "",
        "published_100m_cny": published.amounts / UNITS["亿元"],
        "model_100m_cny": np.asarray(shares) * base / UNITS["亿元"],
        "published_share_pct": published.targets * 100,
        "model_share_pct": np.asarray(shares) * 100,
    })
    t["residual_pp"] = t["model_share_pct"] - t["published_share_pct"]
    if loo_shares is not None:
        t["loo_share_pct"] = np.asarray(loo_shares) * 100
        t["loo_residual_pp"] = t["loo_share_pct"] - t["published_share_pct"]
    return t
