"""Money units and exact integer rounding. The one place for both rules.

Amounts are computed in floating point and made integers in a stated unit only at the end, by the largest
remainder method, so that a table's integer amounts add up exactly to its integer total."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

import numpy as np

from .problems import InputError, Problem

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


# The largest amount accepted, in the output unit: 10¹⁵ (e.g. 1,000万亿元 when the unit is 元). Every whole
# number up to 2⁵³ ≈ 9.007 × 10¹⁵ is exact in float64, so the float solve never loses a unit of a total below
# this limit. Larger amounts are refused with a message rather than silently changed.
MAX_AMOUNT = 10**15
BUDGET_ROUNDING = ("refuse", "half_up")


def parse_amount(value, key: str = "budget", allow_zero: bool = False, signed: bool = False) -> Decimal:
    """An amount typed, uploaded or written in a file, as an exact Decimal.

    Accepts ints, Decimals, floats (taken as their shortest decimal text: 1091.00045 is 1091.00045, not the
    nearest binary fraction) and numeric text ('1091', '1091.5', '1e3', '10_000'). Refuses booleans, NaN, ±inf,
    negative amounts (unless ``signed``), zero (unless ``allow_zero``), non-numeric text and amounts above 10²⁴ (far above any
    budget: the unit-dependent limit :data:`MAX_AMOUNT` is applied by :func:`whole_amount`). ``key`` names the
    flag, file key or field in the InputError."""
    if isinstance(value, bool) or value is None:
        raise InputError(f"{key}: expected an amount, found {value!r}", f"{key}:应为金额,实际为 {value!r}",
                         key=key, found=repr(value))
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int | np.integer):
        d = Decimal(int(value))
    elif isinstance(value, float | np.floating):
        d = Decimal(repr(float(value))) if np.isfinite(value) else Decimal(str(float(value)))
    else:
        text = str(value).strip().replace("_", "")
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise InputError(f"{key}: '{value}' is not a number", f"{key}:'{value}' 不是数字", key=key,
                             found=repr(value)) from None
    if not d.is_finite():
        raise InputError(f"{key}: the amount must be a finite number, found {value!r}",
                         f"{key}:金额必须是有限数值,实际为 {value!r}", key=key, found=repr(value))
    if (d < 0 and not signed) or (d == 0 and not allow_zero):
        raise InputError(f"{key}: the amount must be positive, found {value!r}",
                         f"{key}:预算必须大于零,实际为 {value!r}", key=key, found=repr(value))
    if abs(d) > Decimal(10) ** 24:
        raise InputError(f"{key}: {value!r} is beyond any budget (limit 10^24)", f"{key}:{value!r} 超出合理范围",
                         key=key, found=repr(value))
    return d


def _fmt_decimal(d: Decimal) -> str:
    s = f"{d:,f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def whole_amount(value, from_unit: str, to_unit: str, key: str = "budget", rounding: str = "refuse",
                 allow_zero: bool = False) -> tuple[int, Problem | None]:
    """An amount (any form :func:`parse_amount` accepts) in ``from_unit`` as an exact Python int of ``to_unit``.

    Converted in Decimal arithmetic, so nothing is lost at any size. If the amount is not a whole number of
    ``to_unit``: ``rounding='refuse'`` (the default) raises InputError saying what it is and how to round;
    ``rounding='half_up'`` rounds half up and returns a warning Problem saying by how much (else None).
    Amounts above :data:`MAX_AMOUNT` units of ``to_unit`` are refused."""
    if rounding not in BUDGET_ROUNDING:
        raise InputError(f"{key}: unknown rounding '{rounding}': use {' or '.join(BUDGET_ROUNDING)}",
                         f"{key}:未知的取整方式 '{rounding}'", key=key, found=repr(rounding))
    d = parse_amount(value, key, allow_zero)
    fu, tu = unit_name(from_unit), unit_name(to_unit)
    with localcontext() as ctx:
        ctx.prec = 80  # exact: 10^24 × 10^8 with any number of decimals a person would type
        exact = d * UNITS[fu] / UNITS[tu]
    def said() -> str:  # made only for a message (formatting cost more than the conversion)
        return f"{_fmt_decimal(d)} {fu} is" + ("" if fu == tu else f" {_fmt_decimal(exact)} {tu},")

    if exact > MAX_AMOUNT:
        raise InputError(
            f"{key}: {said()} above the limit of "
            f"{MAX_AMOUNT:,} {tu} (10^15 units, so that every amount stays exact in the solver)",
            f"{key}:{_fmt_decimal(d)}{fu} 即 {_fmt_decimal(exact)}{tu},超过上限 {MAX_AMOUNT:,}{tu}(10^15 个单位)",
            key=key, found=repr(value), expected=f"≤ {MAX_AMOUNT:,} {tu}")
    whole = int(exact.to_integral_value(rounding=ROUND_HALF_UP))
    if whole == exact:
        return whole, None
    diff = Decimal(whole) - exact
    if rounding == "refuse":
        raise InputError(
            f"{key}: {said()} not a whole number of {tu}; give a "
            f"whole amount, or allow rounding (CLI --round-budget, scenario budget.rounding: half_up) to use "
            f"{whole:,} {tu} ({'+' if diff > 0 else ''}{_fmt_decimal(diff)} {tu})",
            f"{key}:{_fmt_decimal(d)}{fu} 即 {_fmt_decimal(exact)}{tu},不是整数个{tu};请给出整数金额,或允许取整"
            f"(命令行 --round-budget,情景文件 budget.rounding: half_up),取整后为 {whole:,}{tu}",
            key=key, found=repr(value), expected=f"a whole number of {tu}")
    if whole <= 0 and not allow_zero:
        raise InputError(f"{key}: {_fmt_decimal(d)} {fu} rounds to 0 {tu}", f"{key}:{_fmt_decimal(d)}{fu} 取整后为 0{tu}",
                         key=key, found=repr(value))
    warn = Problem("warning",
                   f"{key}: {_fmt_decimal(d)} {fu} = {_fmt_decimal(exact)} {tu} rounded half up to {whole:,} {tu} "
                   f"({'+' if diff > 0 else ''}{_fmt_decimal(diff)} {tu})",
                   f"{key}:{_fmt_decimal(d)}{fu} = {_fmt_decimal(exact)}{tu},四舍五入为 {whole:,}{tu}"
                   f"({'+' if diff > 0 else ''}{_fmt_decimal(diff)}{tu})", key=key)
    return whole, warn


def to_integer_total(amount, from_unit: str, to_unit: str) -> int:
    """A budget as an exact integer in the output unit; refuses a budget that is not whole in that unit."""
    return whole_amount(amount, from_unit, to_unit)[0]


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
