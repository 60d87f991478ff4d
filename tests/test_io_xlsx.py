"""XLSX output: the fast writer keeps what the slow one wrote (values, number formats, no formulas) and refuses
sheets past the row limit before writing anything."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from compensation.io import XLSX_MAX_ROWS, _write_workbook, write_xlsx, xlsx_bytes
from compensation.problems import InputError


def _read(engine: str, sheets) -> list[list[tuple]]:
    buf = io.BytesIO()
    _write_workbook(sheets, buf, engine)
    buf.seek(0)
    wb = openpyxl.load_workbook(buf)
    return [[tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets], wb


def test_xlsxwriter_and_openpyxl_write_the_same_cells():
    df = pd.DataFrame({"adcode": ["530000", "=1+1", "@SUM(A1)"], "final": np.array([1, 22, 333], dtype=np.int64),
                       "share": [0.5, np.nan, 0.25], "target": [1.25, 2.5, 3.75], "flag": [True, False, True], "name_zh": ["云南省", None, "-x"]})
    fast, wb_fast = _read("xlsxwriter", {"t": df, "second": df.head(1)})
    slow, _ = _read("openpyxl", {"t": df, "second": df.head(1)})
    assert fast == slow
    ws = wb_fast["t"]
    assert ws["A3"].value == "'=1+1" and ws["A3"].data_type == "s"  # escaped, written as text
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)  # no formula anywhere
    assert ws["B2"].number_format == "#,##0" and ws["C2"].number_format == "0.0%"
    assert ws["D2"].number_format == "#,##0.00"
    inf, _ = _read("xlsxwriter", {"t": df.assign(target=[1.0, np.inf, -np.inf])})
    assert [row[3] for row in inf[0][1:]] == [1.0, None, None]  # infinities: empty cells (openpyxl writes 'inf')


def test_sheets_past_the_row_limit_are_refused_before_writing(tmp_path):
    big = pd.DataFrame({"x": np.zeros(XLSX_MAX_ROWS + 1, dtype=np.int64)})
    with pytest.raises(InputError, match="use CSV or Parquet"):
        write_xlsx({"draws": big}, tmp_path / "out.xlsx")
    assert not list(tmp_path.iterdir())
    write_xlsx({"ok": big.head(XLSX_MAX_ROWS)}, tmp_path / "ok.xlsx")  # exactly the limit is fine
    assert (tmp_path / "ok.xlsx").stat().st_size > 0
    with pytest.raises(InputError, match="'draws' has 100,001 rows"):  # downloads (io.xlsx_bytes): the same limit
        xlsx_bytes({"draws": big})
