"""CSV text of a table, byte for byte what pandas ``to_csv(index=False, lineterminator="\\n")`` writes, built
column by column with arrow string kernels instead of pandas' row-by-row writer.

**What pandas writes** (and so what this module writes). Each column becomes text: integers in decimal, floats
as numpy's ``astype(str)`` (the shortest text that reads back as the same double — identical to Python's
``repr``, which is used here at half the cost per value), NaN as '', booleans ``True``/``False``, text as it
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


def _column(s: pd.Series) -> pa.Array | None:
    """The CSV text of one column (no nulls), or None if pandas must write it."""
    dtype = s.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iu":
            return pa.array(s.to_numpy()).cast(pa.string())
        if dtype == np.float64:
            values = s.to_numpy()
            texts = [repr(v) for v in values.tolist()]
            nan = np.isnan(values)
            if nan.any():
                for k in np.flatnonzero(nan).tolist():
                    texts[k] = ""
            return pa.array(texts, type=pa.string())
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
