"""io.write_parquet gives the bytes of pandas' ``to_parquet(index=False)`` (after the run's rule: object columns
as their text), for every table of a county run and for awkward tables; the run folder's Parquet files are these."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from compensation.io import write_parquet


def _pandas_bytes(df: pd.DataFrame, path) -> bytes:
    # what run.write_run did before io.write_parquet: a copy, object columns as str, pandas' writer
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].astype(str)
    out.to_parquet(path, index=False)
    return path.read_bytes()


def _same(df: pd.DataFrame, tmp_path) -> None:
    write_parquet(df, tmp_path / "new.parquet")
    assert (tmp_path / "new.parquet").read_bytes() == _pandas_bytes(df, tmp_path / "old.parquet")


def test_every_table_of_a_county_run(tmp_path):
    from compensation.run import compute
    from compensation.scenario import load_scenario

    sc = load_scenario("county_2023")
    tables = compute(sc, sc.years).tables()
    assert len(tables) >= 5
    for name, df in tables.items():
        _same(df, tmp_path)
        back = pq.read_table(tmp_path / "new.parquet").to_pandas()
        pd.testing.assert_frame_equal(back, df.reset_index(drop=True), check_dtype=False, obj=name)


def test_awkward_tables(tmp_path):
    n = 7
    df = pd.DataFrame({
        "mixed": np.array([1, "x", None, 2.5, True, np.nan, "名称"], dtype=object),
        "text": pd.array(["a", None, "", "=1+1", "云南", "b", "c"], dtype="string"),
        "str": ["a", "b", None, "d", "e", "f", "g"],
        "int": np.arange(n, dtype=np.int64),
        "float": [0.1, np.nan, np.inf, -0.0, 1e300, 5e-324, 2.0],
        "flag": [True, False] * 3 + [True],
        "nullable": pd.array([1, None, 3, 4, 5, 6, 7], dtype="Int64"),
        "day": pd.to_datetime(["2023-01-01", None, "2023-03-01", "2023-04-01", "2023-05-01", "2023-06-01",
                               "2023-07-01"]),
    }, index=np.arange(10, 10 + n))  # an index that is not written
    _same(df, tmp_path)
    df.attrs = {"source": "test", "n": 3}
    _same(df, tmp_path)  # attrs go into the schema metadata as pandas puts them
    assert b"PANDAS_ATTRS" in pq.read_schema(tmp_path / "new.parquet").metadata
    _same(df.iloc[:0], tmp_path)  # no rows
    assert df["mixed"].tolist()[1] == "x"  # the caller's table is not changed
