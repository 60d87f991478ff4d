"""Monitoring data for horizontal agreements: one row per section and month, validated like region data.

Columns (English or the Chinese header in brackets):
  section [断面] · year [年] · month [月] (1–12) · water_class [水质类别] (I, II, III, IV, V, 劣V; optional when
  concentrations are given) · codmn_mg_l [高锰酸盐指数] · cod_mg_l [化学需氧量] · nh3n_mg_l [氨氮] · tp_mg_l [总磷] ·
  tn_mg_l [总氮] · bod5_mg_l [五日生化需氧量] · ph [pH值] · inflow_100m_m3 [入境水量] (亿m³ in the month; for quantity
  rules).
Classes follow GB 3838-2002 (地表水环境质量标准), table 1; a month's class from concentrations is the worst
class over the indicators an agreement names."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io import read_table
from ..problems import InputError, Report

INDICATORS = ("codmn", "cod", "nh3n", "tp", "tn", "bod5", "ph")
CONC_COLUMNS = {**{k: f"{k}_mg_l" for k in INDICATORS if k != "ph"}, "ph": "ph"}  # pH has no unit
# GB 3838-2002 table 1 upper limits (mg/L) for classes I..V; a value above the class V limit is 劣V (class 6).
# TP: river limits; TN: the standard's lake/reservoir limits (the only TN limits it gives).
GB3838_LIMITS = {
    "codmn": (2.0, 4.0, 6.0, 10.0, 15.0),
    "cod": (15.0, 15.0, 20.0, 30.0, 40.0),
    "nh3n": (0.15, 0.5, 1.0, 1.5, 2.0),
    "tp": (0.02, 0.1, 0.2, 0.3, 0.4),
    "tn": (0.2, 0.5, 1.0, 1.5, 2.0),
    "bod5": (3.0, 3.0, 4.0, 6.0, 10.0),
}
# pH: GB 3838-2002 gives 6–9 for every class I–V; outside that range the water fails every class (劣V).
PH_RANGE = (6.0, 9.0)
CLASS_NAMES = ("I", "II", "III", "IV", "V", "劣V")
_ROMAN = str.maketrans({"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "Ⅴ": "V"})
_CLASS_ALIASES = {**{name: i + 1 for i, name in enumerate(CLASS_NAMES)}, **{str(i): i for i in range(1, 7)}}


def parse_class(text: str) -> int:
    """'III', 'Ⅲ类', '3', '劣V', '劣Ⅴ类' → 1–6; '' → 0 (not given); anything else → -1."""
    t = str(text).strip().translate(_ROMAN).replace("类", "").upper().replace("劣5", "劣V")
    if not t:
        return 0
    return _CLASS_ALIASES.get(t, -1)


HEADER_ALIASES = {
    "断面": "section", "年": "year", "年份": "year", "月": "month", "月份": "month", "水质类别": "water_class",
    "高锰酸盐指数": "codmn_mg_l", "化学需氧量": "cod_mg_l", "氨氮": "nh3n_mg_l", "总磷": "tp_mg_l", "总氮": "tn_mg_l",
    "五日生化需氧量": "bod5_mg_l", "pH值": "ph", "入境水量": "inflow_100m_m3",
}
NUMERIC = [*CONC_COLUMNS.values(), "inflow_100m_m3"]


def class_name(num: int) -> str:
    return CLASS_NAMES[int(num) - 1]


def concentration_class(indicator: str, conc) -> np.ndarray:
    """GB 3838-2002 class (1 = I … 6 = 劣V) of concentrations; a value exactly at a limit belongs to that class.
    pH within 6–9 meets every class (1); outside it, 劣V (6)."""
    if indicator == "ph":
        v = np.round(np.asarray(conc, dtype=float), 9)
        return np.where((v >= PH_RANGE[0]) & (v <= PH_RANGE[1]), 1, 6)
    limits = np.asarray(GB3838_LIMITS[indicator])
    # round away float noise of averaging (12 × 0.1 / 12 = 0.10000000000000002 is still at the class-II limit)
    return np.searchsorted(limits, np.round(np.asarray(conc, dtype=float), 9), side="left") + 1


def worst_class(df: pd.DataFrame, indicators) -> np.ndarray:
    """Row-wise worst class over the given indicators' concentration columns (NaN rows → 0 = unknown)."""
    classes = np.column_stack([
        np.where(df[CONC_COLUMNS[k]].isna(), 0, concentration_class(k, df[CONC_COLUMNS[k]].fillna(0)))
        for k in indicators])
    unknown = df[[CONC_COLUMNS[k] for k in indicators]].isna().any(axis=1).to_numpy()
    return np.where(unknown, 0, classes.max(axis=1))


def _known_sections(agreements) -> dict[str, str]:
    from .agreements import load_agreement

    out = {}
    for ag in agreements or []:
        ag = load_agreement(ag)
        for s in ag.sections:
            out[str(s["id"])] = ag.id
    return out


def read_monitoring(source, agreements=None, name: str | None = None) -> pd.DataFrame:
    """Read and validate a monitoring table (path, bytes or DataFrame). Raises InputError listing every problem,
    each naming file, row and column. ``agreements`` (ids or Agreement objects) give the known sections."""
    if isinstance(source, pd.DataFrame):
        raw = source.copy()
        name = name or "<monitoring table>"
        raw = raw.astype(object).where(raw.notna(), "").astype(str)
    else:
        name = name or str(source)
        raw = read_table(source, name=name)
    raw.columns = [HEADER_ALIASES.get(str(c).strip(), str(c).strip().lower()) for c in raw.columns]
    rep = Report()
    for col in ("section", "year", "month"):
        if col not in raw.columns:
            rep.error(f"missing column '{col}'", f"缺少列 '{col}'", file=name, column=col)
    rep.raise_if_errors()
    rows = np.arange(len(raw)) + 2  # spreadsheet rows: header is row 1
    df = pd.DataFrame({"section": raw["section"].astype(str).str.strip(), "row": rows})
    for col, lo, hi in (("year", 1900, 2100), ("month", 1, 12)):
        val = pd.to_numeric(raw[col].astype(str).str.strip(), errors="coerce")
        bad = val.isna() | (val != val.round()) | (val < lo) | (val > hi)
        for i in np.flatnonzero(bad.to_numpy()):
            rep.error(f"{col} must be a whole number from {lo} to {hi}", f"{col} 应为 {lo}–{hi} 的整数",
                      file=name, row=int(rows[i]), column=col, region=df["section"].iat[i], found=raw[col].iat[i])
        df[col] = val.fillna(0).astype(np.int64)
    for i in np.flatnonzero((df["section"] == "").to_numpy()):
        rep.error("section is empty", "断面名称为空", file=name, row=int(rows[i]), column="section")
    known = _known_sections(agreements)
    if known:
        unknown = df[~df["section"].isin(list(known)) & (df["section"] != "")]
        for sec, rows_of in unknown.groupby("section", sort=False)["row"]:
            more = f" and {len(rows_of) - 1} more row(s)" if len(rows_of) > 1 else ""
            rep.error(f"unknown section '{sec}' (first at this row{more})", f"未知断面 '{sec}'", file=name,
                      row=int(rows_of.iloc[0]), column="section", expected=", ".join(known), found=sec)
    for col in NUMERIC:
        text = raw[col].astype(str).str.strip() if col in raw.columns else pd.Series("", index=raw.index)
        val = pd.to_numeric(text.replace("", np.nan), errors="coerce")
        notnum = val.isna() & (text != "") & text.notna()
        for i in np.flatnonzero(notnum.to_numpy()):
            rep.error("not a number", "不是数字", file=name, row=int(rows[i]), column=col,
                      region=df["section"].iat[i], found=text.iat[i])
        for i in np.flatnonzero((val < 0).to_numpy()):
            rep.error("negative value: concentrations and flows cannot be below zero", "数值为负:浓度和水量不能小于零",
                      file=name, row=int(rows[i]), column=col, region=df["section"].iat[i], found=text.iat[i])
        df[col] = val.astype(float)
    if "water_class" in raw.columns:
        cls = raw["water_class"].map(parse_class)
        for i in np.flatnonzero((cls < 0).to_numpy()):
            rep.error("water-quality class must be one of I, II, III, IV, V, 劣V", "水质类别应为 I、II、III、IV、V、劣V 之一",
                      file=name, row=int(rows[i]), column="water_class", region=df["section"].iat[i],
                      expected="I–劣V", found=raw["water_class"].iat[i])
        df["class_num"] = cls.clip(lower=0).astype(np.int64)
    else:
        df["class_num"] = np.zeros(len(df), dtype=np.int64)
    # month completeness on the rows whose year and month are usable (all problems are reported together)
    ok = df[(df["month"].between(1, 12)) & (df["year"].between(1900, 2100)) & (df["section"] != "")]
    dup = ok.duplicated(["section", "year", "month"], keep="first")
    for i in np.flatnonzero(dup.to_numpy()):
        rep.error(f"duplicate row for section '{ok['section'].iat[i]}' {ok['year'].iat[i]}-{ok['month'].iat[i]:02d}",
                  "同一断面同一月份出现重复行", file=name, row=int(ok["row"].iat[i]), column="month")
    months = ok.groupby(["section", "year"])["month"].agg(lambda m: sorted(set(m)))
    first_row = ok.groupby(["section", "year"])["row"].min()
    for (sec, yr), got in months.items():
        missing = sorted(set(range(1, 13)) - set(got))
        if missing:
            rep.error(f"section '{sec}' year {yr}: missing month(s) {', '.join(map(str, missing))}",
                      f"断面 '{sec}' {yr} 年缺少月份 {', '.join(map(str, missing))}", file=name,
                      row=int(first_row[(sec, yr)]), column="month", region=sec, expected="months 1–12",
                      found=f"{len(got)} month(s)")
    rep.raise_if_errors()
    df = df.sort_values(["section", "year", "month"], kind="stable").reset_index(drop=True)
    df.attrs["file"] = name
    return df


# ---- per-section, per-year views used by the rules -------------------------------------------------------


def section_year(mon: pd.DataFrame, section: str, year: int) -> pd.DataFrame:
    sub = mon[(mon["section"] == section) & (mon["year"] == int(year))]
    if len(sub) != 12:
        raise InputError(f"no monitoring data for section '{section}' in {year} (12 months needed)",
                         f"缺少断面 '{section}' {year} 年的监测数据(需要 12 个月)",
                         file=mon.attrs.get("file", ""), column="section", region=section,
                         found=f"{len(sub)} month(s)")
    return sub


def annual_means(mon: pd.DataFrame, section: str, year: int, indicators) -> np.ndarray:
    """Annual mean concentration per indicator (order of ``indicators``); every month must have a value."""
    sub = section_year(mon, section, year)
    rep = Report()
    for k in indicators:
        col = CONC_COLUMNS[k]
        for r in sub.loc[sub[col].isna(), "row"]:
            rep.error(f"{k} concentration needed by the agreement is empty", f"协议需要的 {k} 浓度为空",
                      file=mon.attrs.get("file", ""), row=int(r), column=col, region=section)
    rep.raise_if_errors()
    return sub[[CONC_COLUMNS[k] for k in indicators]].mean().to_numpy(dtype=float)


def month_classes(mon: pd.DataFrame, section: str, year: int, indicators) -> np.ndarray:
    """Class (1–6) of each month: the water_class column where given, else the worst class of the indicators."""
    sub = section_year(mon, section, year)
    computed = worst_class(sub, indicators)
    cls = np.where(sub["class_num"].to_numpy() > 0, sub["class_num"].to_numpy(), computed)
    if (cls == 0).any():
        rows = sub["row"].to_numpy()[cls == 0]
        rep = Report()
        for r in rows:
            rep.error("the month has neither a water_class nor all concentrations the agreement needs",
                      "该月既没有水质类别,也缺少协议所需的浓度", file=mon.attrs.get("file", ""), row=int(r),
                      column="water_class", region=section, expected=f"water_class or {', '.join(indicators)}")
        rep.raise_if_errors()
    return cls.astype(np.int64)


def annual_class(mon: pd.DataFrame, section: str, year: int, indicators) -> int:
    """The year's class: the worst indicator class of the annual mean concentrations when every month has them;
    otherwise (classes only) the median monthly class, rounded towards the worse class [assumption]."""
    sub = section_year(mon, section, year)
    cols = [CONC_COLUMNS[k] for k in indicators]
    if not sub[cols].isna().any().any():
        means = sub[cols].mean().to_numpy(dtype=float)
        return int(max(concentration_class(k, m) for k, m in zip(indicators, means, strict=True)))
    return int(np.ceil(np.median(month_classes(mon, section, year, indicators))))


def monthly_table(section: str, year: int, water_class=None, inflow=None, **conc) -> pd.DataFrame:
    """A 12-month monitoring table for one section and year, built by hand (tests, examples).

    ``water_class``: one class for every month or 12 of them ('III', 3 ...); ``conc``: e.g. ``codmn=2.0`` or 12
    values per indicator; ``inflow``: monthly inflow in 亿m³ (one value or 12)."""
    df = pd.DataFrame({"section": section, "year": int(year), "month": np.arange(1, 13)})
    if water_class is not None:
        df["water_class"] = np.broadcast_to(np.asarray(water_class, dtype=object), 12)
    for k, v in conc.items():
        df[CONC_COLUMNS[k]] = np.broadcast_to(np.asarray(v, dtype=float), 12)
    if inflow is not None:
        df["inflow_100m_m3"] = np.broadcast_to(np.asarray(inflow, dtype=float), 12)
    return df
