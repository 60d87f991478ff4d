"""Argument types for the command line: each refuses a bad value while the arguments are parsed, before
anything is read, computed or written. argparse turns the ``ArgumentTypeError`` into a message naming the
option (``argument --tolerance: ...``) and exit code 2, without a traceback.

Typed values that argparse would accept but ecocomp cannot use are the point: ``nan`` and ``inf`` are floats
to Python; ``--year 99999`` is an int; ``--scale 0`` is an int."""

from __future__ import annotations

import argparse
import math


def finite_float(text: str) -> float:
    """A finite number (NaN and infinities refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number / 不是数字") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number / 必须是有限数值")
    return value


def non_negative_float(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative; expected ≥ 0 / 不能为负数")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be greater than 0 / 必须大于 0")
    return value


def ratio(text: str) -> float:
    """A ratio of last year's amount: finite, 0 to 100."""
    value = finite_float(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"'{text}' is out of range; expected a ratio from 0 to 100, e.g. 0.95 "
                                         "/ 比例超出范围")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number / 不是整数") from None


def positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more / 必须 ≥ 1")
    return value


def synth_scale(text: str) -> int:
    """Units per county of the synthetic data: 1 to 100 (bounded: memory grows with it)."""
    from ..scenario import MAX_SYNTH_SCALE

    value = positive_int(text)
    if value > MAX_SYNTH_SCALE:
        raise argparse.ArgumentTypeError(f"'{text}' is above {MAX_SYNTH_SCALE} (2,848 counties × {MAX_SYNTH_SCALE} "
                                         f"units at most) / 不能超过 {MAX_SYNTH_SCALE}")
    return value


def non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative; expected ≥ 0 / 不能为负数")
    return value


def year(text: str) -> int:
    from ..scenario import YEAR_MAX, YEAR_MIN

    value = _int(text)
    if not YEAR_MIN <= value <= YEAR_MAX:
        raise argparse.ArgumentTypeError(f"year {value} is out of range ({YEAR_MIN}–{YEAR_MAX}) / 年份超出范围")
    return value


def years(text: str) -> list[int]:
    """'2024-2027', '2024,2026' or '2023' → the years, each in range."""
    from ..problems import InputError
    from ..scenario import YEAR_MAX, YEAR_MIN, parse_years

    try:
        out = parse_years(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.report.errors[0].message_en) from None
    if not out:
        raise argparse.ArgumentTypeError(f"'{text}' names no year / 未给出年份")
    for y in out:
        if not YEAR_MIN <= y <= YEAR_MAX:
            raise argparse.ArgumentTypeError(f"year {y} is out of range ({YEAR_MIN}–{YEAR_MAX}) / 年份超出范围")
    return out


def formats(text: str) -> tuple[str, ...]:
    """'csv,xlsx,parquet' or a subset (or 'notice'); an unknown format is refused (it would leave a folder
    without it)."""
    from ..formats import FORMATS

    items = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in items if f not in FORMATS]
    if unknown or not items:
        raise argparse.ArgumentTypeError(f"unknown format(s) {', '.join(unknown) or '(none given)'}; use a "
                                         f"comma-separated subset of {','.join(FORMATS)} / 未知的输出格式")
    return tuple(dict.fromkeys(items))
