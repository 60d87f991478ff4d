"""compensation.csv_encode writes exactly pandas' CSV bytes (``to_csv(index=False, lineterminator='\\n')``):
checked on hostile tables and random ones (hypothesis), and it steps aside (None) where it does not cover a
column type, so that ``io.csv_bytes`` gives pandas' bytes in every case. The golden files are a third check."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation import io as cio
from compensation.csv_encode import _quote_chars, encode


def pandas_csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


EVERY_CHAR = [f"a{chr(c)}b" for c in [*range(0x80), 0x85, 0xA0, 0x2028, 0x2029, 0xFEFF]]


def test_hostile_table_gives_pandas_bytes():
    rng = np.random.default_rng(7)
    n = len(EVERY_CHAR)
    floats = np.concatenate([[np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 1e16, 1e15,
                              1e-5, 1e-4, 0.1 + 0.2, 570.0, 2.0**53],
                             rng.standard_normal(n - 14) * 10.0 ** rng.integers(-30, 30, n - 14)])
    df = pd.DataFrame({
        "text": pd.array(EVERY_CHAR, dtype="string"),
        "obj": pd.Series([None if k % 7 == 0 else np.nan if k % 11 == 0 else s for k, s in enumerate(EVERY_CHAR)],
                         dtype=object),
        "int": rng.integers(-(2**62), 2**62, n),
        "uint": np.full(n, 2**64 - 1, dtype=np.uint64),
        "float": floats,
        "flag": rng.random(n) < 0.5,
        "名称, \"quoted\"\nheader": pd.array(["", None, *(["云南省"] * (n - 2))], dtype="string"),
    })
    got = encode(df)
    assert got is not None and got == pandas_csv(df)
    assert {",", '"', "\n"} <= set(_quote_chars())  # the characters asked of the csv module include these


def test_steps_aside_where_pandas_must_write():
    base = {"a": [1, 2]}
    for other in (pd.array([1, None], dtype="Int64"), pd.to_datetime(["2023-01-01", None]),
                  pd.Categorical(["x", "y"]), np.array([0.1, 0.2], dtype=np.float32), [1, "x"],
                  pd.array([True, None], dtype="boolean"), np.array([1 + 2j, 3j])):
        df = pd.DataFrame({**base, "b": other})
        assert encode(df) is None
        assert cio.csv_bytes(df) == b"\xef\xbb\xbf" + pandas_csv(df)  # io falls back to pandas
    single = pd.DataFrame({"a": ["", "x"]})  # a lone empty field is quoted by Python's writer
    assert encode(single) is None and cio.csv_bytes(single) == b'\xef\xbb\xbfa\n""\nx\n'
    assert encode(pd.DataFrame({0: [1], 1: [2]})) is None  # non-text column names


def test_empty_table_is_its_header():
    df = pd.DataFrame({"a": pd.Series([], dtype=np.int64), "b,c": pd.Series([], dtype=float)})
    assert encode(df) == pandas_csv(df) == b'a,"b,c"\n'


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(TEXT, st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**63), 2**63 - 1),
                          st.booleans(), st.none() | TEXT), min_size=0, max_size=30))
def test_random_tables_give_pandas_bytes(rows):
    df = pd.DataFrame(rows, columns=["s", "f", "i", "b", "o"]).astype(
        {"s": "string", "f": np.float64, "i": np.int64, "b": bool, "o": object})
    got = encode(df)
    assert got is not None and got == pandas_csv(df)


def test_float_texts_are_repr_on_millions_of_doubles():
    # csv_encode.float_texts takes arrow's C++ text where it equals repr; checked against repr itself on
    # random bit patterns (every exponent, NaN payloads, subnormals), values rounded to 0-9 decimals as the
    # tables are, whole numbers around 1e15-1e16 (where arrow switches to an exponent), and the boundaries
    from compensation.csv_encode import float_texts

    rng = np.random.default_rng(2026)
    n = 200_000
    bits = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True).view(np.float64)
    rounded = np.concatenate([np.round(rng.normal(0, 10.0 ** k, n // 10), d)
                              for k, d in zip(range(-6, 14, 2), range(10), strict=True)])
    whole = rng.integers(-(10**17), 10**17, n).astype(float)
    edges = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e-4, np.nextafter(1e-4, 0), np.nextafter(1e-4, 1),
                      1e16, np.nextafter(1e16, 0), 1e15, 123456789012345.6, 5e-324, -5e-324, 2.0**53, 0.1 + 0.2,
                      1e22, 1e21, 1e-7, 570.0, -570.0])
    for values in (bits, rounded, whole, edges, -rounded):
        got = float_texts(values).to_pylist()
        want = [repr(v) if v == v else "" for v in values.tolist()]
        bad = [(v, g, w) for v, g, w in zip(values.tolist(), got, want, strict=True) if g != w]
        assert not bad, bad[:5]
