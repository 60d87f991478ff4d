"""Money units and exact integer rounding. The one place for both rules.

Amounts are computed in floating point and made integers in a stated unit only at the end, by the largest
remainder method, so that a table's integer amounts add up exactly to its integer total."""

from __future__ import annotations

import numpy as np

from .problems import InputError

# Size of each unit in 元 (yuan).
UNITS: dict[str, int] = {"元": 1, "万元": 10_000, "亿元": 100_000_000}
UNIT_ALIASES = {"yuan": "元", "cny": "元", "wan": "万元", "10k": "万元", "yi": "亿元", "100m": "亿元"}
UNIT_LABEL_EN = {"元": "yuan", "万元": "10k yuan", "亿元": "100m yuan"}


def unit_name(unit: str) -> str:
    """Normalise a unit name ('万元', 'wan', '10k' ...) to one of 元 / 万元 / 亿元."""
    u = str(unit).strip()
    u = UNIT_ALIASES.get(u.lower(), u)
    if u not in UNITS:
        raise InputError(f"unknown money unit '{unit}': use 元, 万元 or 亿元",
                         f"未知的货币单位 '{unit}':请用 元、万元 或 亿元")
    return u


def convert(amount, from_unit: str, to_unit: str):
    """Convert an amount (scalar or array) between money units, in floating point."""
    return np.asarray(amount, dtype=float) * (UNITS[unit_name(from_unit)] / UNITS[unit_name(to_unit)]) \
        if np.ndim(amount) else float(amount) * UNITS[unit_name(from_unit)] / UNITS[unit_name(to_unit)]


def to_integer_total(amount: float, from_unit: str, to_unit: str) -> int:
    """A budget as an exact integer in the output unit; refuses a budget that is not whole in that unit."""
    value = convert(amount, from_unit, to_unit)
    rounded = round(value)
    if abs(value - rounded) > 1e-6 * max(1.0, abs(value)):
        raise InputError(
            f"budget {amount} {from_unit} is not a whole number of {to_unit}",
            f"预算 {amount}{from_unit} 不是整数个 {to_unit}",
        )
    return int(rounded)


def largest_remainder(values, total: int, lower=None, upper=None) -> np.ndarray:
    """Round non-negative ``values`` to integers that add up to ``total`` exactly.

    Each value is first floored (and kept within the integer ``lower``/``upper`` bounds when given); the units
    still missing go one each to the largest fractional remainders, ties broken by position (stable), among
    the values that can still take one. Raises ValueError if ``total`` cannot be met within the bounds."""
    x = np.asarray(values, dtype=float)
    n = x.size
    lo = np.zeros(n, dtype=np.int64) if lower is None else np.asarray(lower, dtype=np.int64)
    hi = None if upper is None else np.asarray(upper, dtype=np.int64)
    base = np.floor(x + 1e-9).astype(np.int64)
    base = np.maximum(base, lo)
    if hi is not None:
        base = np.minimum(base, hi)
    missing = int(total) - int(base.sum())
    if missing == 0:
        return base
    frac = x - base
    if missing > 0:
        room = np.full(n, True) if hi is None else base < hi
        order = np.lexsort((np.arange(n), -frac))
        order = order[room[order]]
        if order.size < missing:
            if hi is None:
                # more than one unit per value is needed: spread whole units evenly first
                base += missing // n
                missing -= (missing // n) * n
                order = np.lexsort((np.arange(n), -frac))
            else:
                raise ValueError(f"cannot reach total {total} within upper bounds (short by {missing})")
        base[order[:missing]] += 1
    else:
        room = base > lo
        order = np.lexsort((np.arange(n), frac))
        order = order[room[order]]
        if order.size < -missing:
            raise ValueError(f"cannot reach total {total} within lower bounds (over by {-missing})")
        base[order[:-missing]] -= 1
    return base


def fmt_amount(value: float, unit: str = "万元", digits: int = 0) -> str:
    """Format with thousands separators and the unit, e.g. '1,091 亿元'."""
    return f"{value:,.{digits}f} {unit}"
