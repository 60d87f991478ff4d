"""Validation of region tables: every problem found at once, each naming file, row, region, column,
what was expected and what was found. The CLI, the Python API and the front end all call ``validate_regions``."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .headers import match_headers
from .problems import Report
from .schema import COLUMNS, FUNCTION_COLUMNS, LEVELS, REQUIRED

CODE_RE = re.compile(r"^\d{6}$|^\d{9}$")
THOUSANDS_RE = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
PLAIN_COLUMN_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:\n-?[0-9]+(?:\.[0-9]+)?)*")  # cells joined by newlines
LEVEL_ALIASES = {"省": "province", "省级": "province", "地级": "prefecture", "市": "prefecture",
                 "县": "county", "县级": "county", "乡镇": "township"}
FLAG_VALUES = {"1": 1.0, "0": 0.0, "true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0, "是": 1.0, "否": 0.0}
ABS_TOL_KM2 = 0.05  # absolute slack for area comparisons (values are given to 0.01 km²)


def _row_number(i: int) -> int:
    """Spreadsheet row of data row i (0-based): the header is row 1."""
    return int(i) + 2


def _plain_column(raw: pd.Series) -> bool:
    """True when every cell is text of a plain decimal number (``-?[0-9]+[.[0-9]+]``: no blank, no space, no
    thousands separator, no exponent): then the general rules of ``_parse_numbers`` change nothing before
    ``pd.to_numeric``, so they can be skipped. One regular-expression pass over the column joined by newlines
    (fast in C) instead of several string operations per cell; a cell holding a newline itself is caught by
    the count of separators."""
    if not len(raw):
        return False
    try:
        joined = "\n".join(raw.to_numpy(dtype=object))
    except TypeError:  # a cell that is not text (a number, the NaN of an empty cell): the general path
        return False
    return joined.count("\n") == len(raw) - 1 and PLAIN_COLUMN_RE.fullmatch(joined) is not None


def _parse_numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse text cells to floats. Returns (values, blank mask, unparsable mask).

    A column of plain decimals goes straight to ``pd.to_numeric`` on the same text the general path would give
    it (stripping, blank and thousands-separator rules are no-ops there), so the values are the same bit for
    bit (tests/test_data_validation.py compares both paths)."""
    if _plain_column(raw):
        values = pd.to_numeric(raw.astype(str), errors="coerce").astype(float)
        return values, pd.Series(False, index=raw.index), values.isna()
    return _parse_numbers_general(raw)


def _parse_numbers_general(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    text = raw.astype(str).str.strip()
    blank = text.eq("") | text.str.lower().isin(["nan", "na", "n/a", "null", "none", "-", "—"])
    cleaned = text.where(~text.str.match(THOUSANDS_RE), text.str.replace(",", "", regex=False))
    values = pd.to_numeric(cleaned.where(~blank, None), errors="coerce").astype(float)
    bad = values.isna() & ~blank
    return values, blank, bad


def validate_regions(
    raw: pd.DataFrame,
    file: str = "",
    function_tolerance: float = 0.01,
    function_mismatch: str = "warning",
    known_codes: set[str] | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Check a region table read as text; return (typed table, report).

    ``function_tolerance`` is the relative gap allowed between the sum of the function-type areas and the
    red-line total; ``function_mismatch`` ("warning" or "error") is the severity beyond it. ``known_codes``
    are codes that may be named as parents without being in the table (e.g. the 31 provinces)."""
    rep = Report()
    df = raw.copy()
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    # headers in Chinese, English or both, with units where stated (compensation/headers.py)
    rename, header_units, header_problems = match_headers(df.columns)
    for h, msg in header_problems.items():
        rep.error(msg, "表头中的单位无法换算", file=file, column=h)
    df = df.rename(columns=rename)
    twice = df.columns[df.columns.duplicated()].unique()
    for col in twice:
        rep.error("column appears more than once", "列名重复", file=file, column=col,
                  found=", ".join(repr(h) for h in raw.columns if rename.get(str(h).strip().lstrip("\ufeff")) == col
                                  or str(h).strip() == col))
    if len(twice):
        return df.loc[:, ~df.columns.duplicated()], rep
    names = df.get("name_zh", pd.Series([""] * len(df))).astype(str)
    codes_txt = df.get("adcode", pd.Series([""] * len(df))).astype(str).str.strip()
    region = (codes_txt + " " + names).str.strip().tolist()  # a list: one lookup per problem (150,000 in a file)

    def where(i, col=""):
        return {"file": file, "row": _row_number(i), "region": region[i], "column": col}

    # --- columns ------------------------------------------------------------------------------------
    for col in REQUIRED:
        if col not in df.columns:
            rep.error("required column is missing", "缺少必填列", file=file, column=col,
                      expected=f"a column named '{col}' ({COLUMNS[col].label_zh})")
    for col in df.columns:
        if col not in COLUMNS:
            rep.warning("unknown column, ignored", "未知列,已忽略", file=file, column=col)
    dup_cols = df.columns[df.columns.duplicated()].tolist()
    for col in dup_cols:
        rep.error("column appears more than once", "列名重复", file=file, column=col)
    if rep.errors:
        return df, rep
    out = pd.DataFrame(index=df.index)

    # --- codes --------------------------------------------------------------------------------------
    for col in ("adcode", "parent_adcode"):
        if col not in df.columns:
            continue
        codes = df[col].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
        bad = ~codes.str.match(CODE_RE) & (codes.ne("") | (col == "adcode"))
        for i in np.flatnonzero(bad.to_numpy()):
            rep.error("malformed administrative code" if codes.iloc[i] else "administrative code is missing",
                      "行政区划代码格式错误" if codes.iloc[i] else "缺少行政区划代码", **where(i, col),
                      expected="6 digits (GB/T 2260), e.g. 110000", found=repr(codes.iloc[i]))
        out[col] = codes
    dup = out["adcode"].duplicated(keep=False) & out["adcode"].ne("")
    for code, idx in out.index[dup].groupby(out["adcode"][dup]).items():
        rows = ", ".join(str(_row_number(i)) for i in idx)
        for i in idx[1:]:
            rep.error(f"duplicate administrative code (rows {rows})", f"行政区划代码重复(第 {rows} 行)",
                      **where(i, "adcode"), found=code)

    # --- text and categories ------------------------------------------------------------------------
    for col in df.columns:
        spec = COLUMNS.get(col)
        if spec is None or spec.kind not in ("text", "category"):
            continue
        text = df[col].astype(str).str.strip()
        if col == "level":
            text = text.replace(LEVEL_ALIASES)
        if spec.required:
            for i in np.flatnonzero(text.eq("").to_numpy()):
                rep.error("value is missing", "缺少数值", **where(i, col))
        if spec.allowed:
            bad = text.ne("") & ~text.isin(spec.allowed)
            for i in np.flatnonzero(bad.to_numpy()):
                rep.error("value not allowed", "取值不在允许范围内", **where(i, col),
                          expected="one of " + ", ".join(spec.allowed), found=repr(text.iloc[i]))
        out[col] = text

    # --- numbers ------------------------------------------------------------------------------------
    for col in df.columns:
        spec = COLUMNS.get(col)
        if spec is None or not spec.numeric:
            continue
        if spec.kind == "flag":
            text = df[col].astype(str).str.strip().str.lower()
            values = text.map(FLAG_VALUES).astype(float)
            blank = text.eq("")
            bad = values.isna() & ~blank
            for i in np.flatnonzero(bad.to_numpy()):
                rep.error("not a yes/no flag", "不是 是/否 标记", **where(i, col),
                          expected="1 or 0 (是/否)", found=repr(df[col].iloc[i]))
            out[col] = values
            continue
        values, blank, bad = _parse_numbers(df[col])
        for i in np.flatnonzero(bad.to_numpy()):
            rep.error("not a number", "不是数字", **where(i, col), expected=f"a number in {spec.unit or 'units'}",
                      found=repr(df[col].iloc[i]))
        if spec.required:
            for i in np.flatnonzero(blank.to_numpy()):
                rep.error("value is missing (blank or NaN)", "缺少数值(空白或 NaN)", **where(i, col),
                          expected=f"a number in {spec.unit or 'units'}", found=repr(df[col].iloc[i]))
        v = values.to_numpy(dtype=float)  # numpy from here: the same tests, without pandas' per-call overhead
        inf = np.isinf(v)
        for i in np.flatnonzero(inf):
            rep.error("value is infinite", "数值为无穷大", **where(i, col), found=repr(df[col].iloc[i]))
        with np.errstate(invalid="ignore"):
            for i in np.flatnonzero(v < 0):
                rep.error("negative value", "数值为负", **where(i, col), expected="≥ 0", found=repr(df[col].iloc[i]))
            if spec.kind == "integer":
                for i in np.flatnonzero(~np.isnan(v) & (np.mod(v, 1) != 0)):
                    rep.error("not a whole number", "不是整数", **where(i, col), found=repr(df[col].iloc[i]))
        factor = header_units[col].factor if col in header_units else 1.0
        v = np.where(inf, np.nan, v)
        out[col] = pd.Series(v * factor if factor != 1.0 else v, index=df.index)

    if rep.errors:
        return out, rep
    _check_areas(out, rep, where, function_tolerance, function_mismatch)
    _check_parents(out, rep, where, known_codes or set())
    return out, rep


def _check_areas(out, rep, where, tol, mismatch):
    total = out["redline_total_km2"]
    land = out["land_area_km2"]
    sea_red = out.get("redline_sea_km2", pd.Series(np.nan, index=out.index))
    land_red = out.get("redline_land_km2", pd.Series(np.nan, index=out.index))
    sea_area = out.get("sea_area_km2", pd.Series(np.nan, index=out.index))
    ceiling = land + sea_area.fillna(sea_red.fillna(0.0))
    for i in np.flatnonzero((total > ceiling + ABS_TOL_KM2).to_numpy()):
        rep.error("red-line area exceeds land + sea area", "生态保护红线面积超过陆域与海域面积之和",
                  **where(i, "redline_total_km2"), expected=f"≤ {ceiling.iloc[i]:,.2f} km²",
                  found=f"{total.iloc[i]:,.2f} km²")
    for i in np.flatnonzero((land_red > land + ABS_TOL_KM2).to_numpy()):
        rep.error("land red-line area exceeds land area", "陆域红线面积超过陆域面积",
                  **where(i, "redline_land_km2"), expected=f"≤ {land.iloc[i]:,.2f} km²",
                  found=f"{land_red.iloc[i]:,.2f} km²")
    for i in np.flatnonzero((sea_red > sea_area + ABS_TOL_KM2).to_numpy()):
        rep.error("sea red-line area exceeds sea area", "海洋红线面积超过管辖海域面积",
                  **where(i, "redline_sea_km2"), expected=f"≤ {sea_area.iloc[i]:,.2f} km²",
                  found=f"{sea_red.iloc[i]:,.2f} km²")
    # land + sea may exceed the total (overlap removed) but the total cannot exceed land + sea
    parts = land_red + sea_red
    for i in np.flatnonzero((total > parts + ABS_TOL_KM2).to_numpy()):
        rep.error("red-line total exceeds land + sea red-line areas", "红线总面积超过陆域与海洋红线面积之和",
                  **where(i, "redline_total_km2"), expected=f"≤ {parts.iloc[i]:,.2f} km²",
                  found=f"{total.iloc[i]:,.2f} km²")
    present = [c for c in FUNCTION_COLUMNS if c in out.columns]
    if not present:
        return
    funcs = out[present]
    given = funcs.notna().any(axis=1)
    fsum = funcs.sum(axis=1, min_count=1)
    gap = (fsum - total).abs()
    off = given & (gap > np.maximum(tol * total, ABS_TOL_KM2))
    for i in np.flatnonzero(off.to_numpy()):
        rep.add(mismatch, f"function-type areas add up to {fsum.iloc[i]:,.2f} km², not the red-line total "
                f"(off by {gap.iloc[i] / max(total.iloc[i], 1e-9):.1%}, tolerance {tol:.1%})",
                f"各功能类型红线面积之和为 {fsum.iloc[i]:,.2f} km²,与红线总面积不符",
                **where(i, "redline_total_km2"), expected=f"{total.iloc[i]:,.2f} km²",
                found=f"{fsum.iloc[i]:,.2f} km²")
    for i in np.flatnonzero((~given & (total > 0)).to_numpy()):
        rep.warning("no red-line split by function type: methods weighting function types give this region 0",
                    "缺少按功能类型划分的红线面积:按功能类型加权的方法将给该地区 0", **where(i, present[0]))


def _check_parents(out, rep, where, known_codes):
    if "level" not in out.columns:
        return
    codes = set(out["adcode"]) | set(known_codes)
    parent = out.get("parent_adcode", pd.Series("", index=out.index))
    lower = out["level"].isin([lv for lv in LEVELS if lv != "province"])
    for i in np.flatnonzero((lower & parent.eq("")).to_numpy()):
        rep.error(f"a {out['level'].iloc[i]} needs a parent code", "县级及以下地区需要填写上级代码",
                  **where(i, "parent_adcode"), expected="the code of its province or prefecture")
    unknown = lower & parent.ne("") & ~parent.astype(object).isin(codes)  # object: arrow isin is slow on big sets
    for i in np.flatnonzero(unknown.to_numpy()):
        rep.error("parent region is missing: its code is neither in this table nor a known province",
                  "上级地区不存在:代码既不在本表中,也不是已知省份", **where(i, "parent_adcode"),
                  found=parent.iloc[i])
    mismatch = lower & parent.ne("") & (parent.str[:2] != out["adcode"].str[:2])
    for i in np.flatnonzero(mismatch.to_numpy()):
        rep.warning("parent code is in another province than the region's own code",
                    "上级代码与本地区代码不属于同一省份", **where(i, "parent_adcode"),
                    found=f"{parent.iloc[i]} for {out['adcode'].iloc[i]}")
