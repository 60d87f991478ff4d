"""CSV text of a table, byte for byte what pandas ``to_csv(index=False, lineterminator="\\n")`` writes, built
column by column with arrow string kernels instead of pandas' row-by-row writer.

**What pandas writes** (and so what this module writes). Each column becomes text: integers in decimal, floats
as numpy's ``astype(str)`` (the shortest text that reads back as the same double — identical to Python's
``repr``, which ``float_texts`` reproduces with arrow's C++ cast), NaN as '', booleans ``True``/``False``, text as it
is and missing text as ''. Python's ``csv`` writer (``QUOTE_MINIMAL``, quote char ``"`` doubled inside a
field) then encloses a field in quotes when it contains a character that needs it — the delimiter, the quote
char or a character of the line terminator, on the Python this runs on (the set is asked of the ``csv``
module once, not assumed) — and joins fields with ',' and rows with '\\n'.

**Where it steps aside.** Anything else — a single column (Python's writer quotes a lone empty field), object
columns holding other than text, datetimes, categoricals, nullable integer or boolean columns with missing
values — returns None and the caller uses pandas itself. ``tests/test_csv_encode.py`` compares the bytes with
pandas' on hostile tables (every character that could need quoting, NaN, ±inf, −0.0, extreme floats) and the
golden files are these bytes."""

from __future__ import annotations

import csv
import io
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .xlsx import _joined


@lru_cache(maxsize=1)
def _quote_chars() -> str:
    """Characters that make Python's csv writer (as pandas configures it) quote a field, asked of the module."""
    need = []
    for code in [*range(0x80), 0x85, 0x2028, 0x2029]:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n", delimiter=",", quoting=csv.QUOTE_MINIMAL, doublequote=True,
                   escapechar=None, quotechar='"').writerow([f"a{chr(code)}b", "x"])
        if buf.getvalue().startswith('"'):
            need.append(chr(code))
    return "".join(need)


def _quoted(texts: pa.Array) -> pa.Array:
    """Fields quoted where the csv writer would: found by one RE2 pass (characters written as \\x{..})."""
    pattern = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _quote_chars()) + "]"
    needs = pc.match_substring_regex(texts, pattern)
    if not pc.any(needs).as_py():
        return texts
    wrapped = pc.binary_join_element_wise('"', pc.replace_substring(texts, '"', '""'), '"', "")
    return pc.if_else(needs, wrapped, texts)


def _text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in _quote_chars()) else value


def float_texts(values: np.ndarray) -> pa.Array:
    """``repr`` of each double (NaN as ''), computed in C++ where that is the same text.

    Arrow's cast to string writes the same shortest round-trip digits as ``repr`` (both pick the shortest digit
    string that reads back as the same double, the nearest one on a tie). ``repr`` writes plain positional
    notation exactly when 1e-4 ≤ |x| < 1e16 (or x = ±0), always with a decimal point ("570.0"); arrow writes
    "570" and, for some of those values, an exponent ("1e+15"). So: arrow's text, with ".0" added where it has no
    point, for the values in that range that arrow writes without an exponent; ``repr`` for the rest (tiny,
    huge, ±inf, and those arrow writes with an exponent — rare in money tables). ``tests/test_csv_encode.py``
    compares with ``repr`` on millions of doubles (random bit patterns, rounded and scaled values)."""
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        plain = (magnitude < 1e16) & ((magnitude >= 1e-4) | (magnitude == 0))  # NaN and ±inf are not plain
    texts = pa.array(values).cast(pa.string())
    if not plain.all():  # arrow's text stays where repr would also write positional notation
        keep = pc.and_(pa.array(plain), pc.invert(pc.match_substring(texts, "e")))
    else:
        keep = pc.invert(pc.match_substring(texts, "e"))
    whole = pc.invert(pc.match_substring(texts, "."))
    texts = pc.if_else(whole, pc.binary_join_element_wise(texts, ".0", ""), texts)
    if keep.false_count:
        other = np.flatnonzero(~keep.to_numpy(zero_copy_only=False))
        fixed = [repr(v) if v == v else "" for v in values[other].tolist()]
        texts = pc.replace_with_mask(texts, pc.invert(keep), pa.array(fixed, type=pa.string()))
    return texts


def _column(s: pd.Series) -> pa.Array | None:
    """The CSV text of one column (no nulls), or None if pandas must write it."""
    dtype = s.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iu":
            return pa.array(s.to_numpy()).cast(pa.string())
        if dtype == np.float64:
            return float_texts(s.to_numpy())
        if dtype.kind == "b":
            return pc.if_else(pa.array(s.to_numpy()), "True", "False")
        if dtype.kind != "O":
            return None
    elif not isinstance(dtype, pd.StringDtype):
        return None
    try:
        arr = pa.array(s, type=pa.string(), from_pandas=True)  # text or missing only; anything else raises
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return _quoted(pc.fill_null(arr, ""))


def encode(df: pd.DataFrame) -> bytes | None:
    """The UTF-8 CSV text of ``df`` (header, then a line per row, each ending in '\\n'), exactly as pandas
    writes it without the index; None where this module steps aside (see the module's notes)."""
    if len(df.columns) < 2 or not all(isinstance(c, str) for c in df.columns):
        return None
    header = ",".join(_text(c) for c in df.columns) + "\n"
    if not len(df):
        return header.encode("utf-8")
    columns = []
    for j in range(len(df.columns)):
        col = _column(df.iloc[:, j])
        if col is None:
            return None
        columns.append(col)
    rows = pc.binary_join_element_wise(*columns, ",")
    lines = pc.binary_join_element_wise(rows, "", "\n")  # row + '\n' + ''
    return header.encode("utf-8") + _joined(lines)
