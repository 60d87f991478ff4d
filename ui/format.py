"""Numbers as people read them: thousands separators and money units (万元, 亿元) everywhere."""

from __future__ import annotations

import math

from compensation.money import convert


def num(value, digits: int = 0) -> str:
    """1234567.8 → '1,234,568'; None/NaN → '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):,.{digits}f}"


def wan(value, digits: int = 0) -> str:
    """An amount in 万元: '1,075,078 万元'."""
    return f"{num(value, digits)} 万元"


def yi_from_wan(value, digits: int = 2) -> str:
    """An amount held in 万元 shown in 亿元: 10,910,000 万元 → '1,091.00 亿元'."""
    if value is None:
        return "—"
    return f"{num(convert(float(value), '万元', '亿元'), digits)} 亿元"


def amount(value, unit: str = "万元") -> str:
    """Big amounts in 亿元 with the exact 万元 figure after it: '107.51 亿元 (1,075,078 万元)'."""
    if unit == "万元" and value is not None and abs(float(value)) >= 10_000:
        return f"{yi_from_wan(value)} ({wan(value)})"
    return f"{num(value)} {unit}"


def pct(value, digits: int = 1, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):{'+' if signed else ''}.{digits}%}"


def signed_wan(value) -> str:
    return f"{float(value):+,.0f} 万元"


def km2(value) -> str:
    return f"{num(value)} km²"


_MD_SPECIAL = "\\`*_[]<>|~$"  # what would turn plain text into links, emphasis, code, HTML, tables or maths


def md_text(text) -> str:
    """Text shown through st.markdown as written: '[2023]' stays '[2023]', not a link; '*' is not emphasis."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))
