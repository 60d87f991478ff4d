"""Column headers as people write them: the schema's own names, its Chinese or English labels, both at once
(``行政区划代码 / adcode``, as ecocomp's own bilingual workbooks and templates write them), common short forms
(``人口``, ``红线面积``), each optionally with a unit in brackets (``红线面积(km²)``, ``人口(万人)``,
``陆域面积(公顷)``).

A stated unit is understood when it measures the same thing as the schema's unit and is converted to it
(``公顷`` × 0.01 → km², ``人`` × 0.0001 → 万人, ``万元`` × 0.0001 → 亿元); a unit of another kind (``人口(km²)``)
or one not known is an error naming the column, never a silent factor. A header without a unit is taken in the
schema's unit (the templates state it). One place for the rule; ``validate.validate_regions`` applies it.

Where a header names a quantity that is commonly written in several units (area: km²/公顷/亩; population:
人/万人; money: 元/万元/亿元) and states none, :func:`unitless_headers` lists it so that a front end can ask;
:func:`with_units` writes the answer into the header (``陆域面积`` → ``陆域面积(公顷)``) before validation, so
the conversion is the one above."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schema import COLUMNS, label

# For each schema unit: the units a header may state and the factor to the schema's unit.
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "km²": {"km²": 1.0, "km2": 1.0, "km^2": 1.0, "平方公里": 1.0, "平方千米": 1.0, "万km²": 1e4, "万平方公里": 1e4,
            "公顷": 0.01, "ha": 0.01, "hm²": 0.01, "万公顷": 100.0, "亩": 1 / 1500, "万亩": 10_000 / 1500},
    "万人": {"万人": 1.0, "人": 1e-4, "千人": 0.1, "亿人": 1e4, "10k": 1.0, "10k persons": 1.0},
    "亿元": {"亿元": 1.0, "万元": 1e-4, "元": 1e-8, "100m cny": 1.0, "100m yuan": 1.0},
    "万元": {"万元": 1.0, "亿元": 1e4, "元": 1e-4, "10k cny": 1.0, "10k yuan": 1.0},
    "个": {"个": 1.0}, "人": {"人": 1.0, "万人": 1e4}, "分": {"分": 1.0}, "0/1": {"0/1": 1.0},
}

# Short forms seen in ministry and provincial spreadsheets, beside the schema's labels.
ALIASES: dict[str, tuple[str, ...]] = {
    "adcode": ("代码", "区划代码", "行政区划代码", "地区代码", "code", "administrative code"),
    "name_zh": ("地区", "地区名称", "名称", "省份", "区县", "行政区", "name"),
    "name_en": ("英文名", "英文名称", "地区(英文)", "english name"),
    "level": ("层级", "级别", "行政级别"),
    "region_group": ("区域", "地带", "四大区域"),
    "land_area_km2": ("面积", "陆域面积", "国土面积", "土地面积", "land area"),
    "redline_total_km2": ("红线面积", "生态红线面积", "生态保护红线面积", "红线总面积"),
    "population_10k": ("人口", "常住人口", "年末常住人口", "population"),
    "gdp_100m_cny": ("gdp", "生产总值", "地区生产总值"),
    "last_year_amount_10k_cny": ("上年补助额", "上年金额", "上年分配额"),
}

_BRACKET = re.compile(r"^(.*?)\s*[(（\[【]\s*([^()（）\[\]【】]*?)\s*[)）\]】]\s*$")
_UNIT_WORD = re.compile(r"^(?:单位[::]\s*)?(.*)$")


@dataclass(frozen=True)
class HeaderMatch:
    column: str  # schema column
    factor: float = 1.0  # multiply the header's numbers by this to get the schema's unit
    unit: str = ""  # the unit the header stated ("" = none)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\ufeff", "").replace("\u3000", " ")).strip().lower()


def _lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, col in COLUMNS.items():
        for key in (name, col.label_zh, col.label_en, label(name, "zh"), label(name, "en")):
            out.setdefault(_norm(key), name)
    for name, words in ALIASES.items():
        for w in words:
            out.setdefault(_norm(w), name)
    return out


_LOOKUP = _lookup()


def _split_unit(part: str) -> tuple[str, str]:
    m = _BRACKET.match(part)
    if not m:
        return part, ""
    return m.group(1), _UNIT_WORD.match(m.group(2)).group(1).strip()


def match_header(header: str) -> HeaderMatch | str | None:
    """The schema column a header names (with the factor of its stated unit); None when it names none;
    a message (str) when it names a column but states a unit that cannot be converted to the column's."""
    text = _norm(header)
    if text in _LOOKUP:
        return HeaderMatch(_LOOKUP[text])
    parts = [p for p in re.split(r"\s*/\s*(?![^()（）]*[)）])", text) if p] if "/" in text else [text]
    column = next((_LOOKUP[p] for p in parts if p in _LOOKUP), None)  # a part naming a column exactly wins
    unit = ""
    for part in parts:
        base, stated = _split_unit(part)
        if base in _LOOKUP and (column is None or _LOOKUP[base] == column):
            column, unit = _LOOKUP[base], unit or stated
    if column is None:
        return None
    if not unit:
        return HeaderMatch(column)
    expected = COLUMNS[column].unit
    factors = UNIT_FACTORS.get(expected, {expected: 1.0} if expected else {})
    for u, f in factors.items():
        if _norm(u) == _norm(unit):
            return HeaderMatch(column, f, unit)
    return (f"unit '{unit}' cannot be converted to {expected or 'this column (it has no unit)'}; "
            f"use one of: {', '.join(factors) or 'no unit'}")


# The units offered when a header states none: the schema's unit first (the default), then the common others.
UNIT_CHOICES: dict[str, tuple[str, ...]] = {
    "km²": ("km²", "公顷", "亩", "万亩"),
    "万人": ("万人", "人"),
    "亿元": ("亿元", "万元", "元"),
    "万元": ("万元", "亿元", "元"),
}


def unitless_headers(headers) -> dict[str, str]:
    """{header: schema column} for the headers that name a quantity with several usual units (UNIT_CHOICES)
    without stating one. A header carrying the schema's own name (``land_area_km2``, ``陆域面积 / land_area_km2``)
    states its unit by that name and is not listed."""
    out = {}
    for h in headers:
        m = match_header(h)
        if not isinstance(m, HeaderMatch) or m.unit or COLUMNS[m.column].unit not in UNIT_CHOICES:
            continue
        text = _norm(h)
        parts = re.split(r"\s*/\s*", text)
        if m.column in parts or any(_split_unit(p)[1] for p in parts):  # named by the schema, or a unit stated
            continue
        out[str(h)] = m.column
    return out


def with_units(headers, units: dict[str, str]) -> list[str]:
    """The headers with the chosen units written in (``陆域面积`` + 公顷 → ``陆域面积(公顷)``); headers not in
    ``units`` are unchanged. A unit not offered for the header's column is a ValueError (a programming error:
    the page offers only UNIT_CHOICES)."""
    out = []
    for h in headers:
        u = units.get(str(h))
        if u is None:
            out.append(h)
            continue
        m = match_header(h)
        if not isinstance(m, HeaderMatch) or u not in UNIT_CHOICES.get(COLUMNS[m.column].unit, ()):
            raise ValueError(f"unit {u!r} is not offered for header {h!r}")
        out.append(f"{str(h).strip()}({u})")
    return out


def match_headers(headers) -> tuple[dict[str, str], dict[str, HeaderMatch], dict[str, str]]:
    """(rename {header: column}, matches {column: HeaderMatch}, problems {header: message}) for a table's
    headers; headers naming nothing are left as they are (validation reports them as unknown)."""
    rename, matches, problems = {}, {}, {}
    for h in headers:
        m = match_header(h)
        if isinstance(m, str):
            problems[h] = m
        elif m is not None:
            rename[h] = m.column
            matches[m.column] = m
    return rename, matches, problems
