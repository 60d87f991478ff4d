"""The fast XLSX writer (compensation.xlsx, engine "xml", the default of io.write_xlsx): every value and type,
number format, header style, width and sheet name read back by openpyxl (and pandas with openpyxl and
calamine) on a table of hostile cells; the package structure (content types, relationships, well-formed XML);
the same cells as xlsxwriter except where xlsxwriter loses float digits. Expected values are worked out by
hand from the table written (each case says what it checks)."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
import pytest

from compensation import io as cio
from compensation.xlsx import MAX_TEXT, column_letters, excel_width

LONG = "长" * (MAX_TEXT + 10)
TEXT = ["云南省", "=1+1", "@SUM(A1)", "-x", "-0.5", "<a & b>\"'", "a\x00b\x1fc", "line1\r\nline2\tend",
        "_x0041_ literal", "  padded  ", LONG, "", None, "+5", "http://example.com/x"]
N = len(TEXT)
# what a reader must get back for TEXT, by hand: formulas get an apostrophe (io.escape_formula), a plain
# number such as '-0.5' stays text as it is, '' and None are empty cells, control characters (stored as
# Excel's _xHHHH_ escapes, as xlsxwriter does) and a literal '_x0041_' come back as written (calamine and
# Excel undo the escapes; openpyxl, whose cells cannot hold control characters, keeps _x0000_ and _x000D_),
# text past Excel's 32,767-character cell limit is cut there.
TEXT_BACK = ["云南省", "'=1+1", "'@SUM(A1)", "'-x", "-0.5", "<a & b>\"'", "a\x00b\x1fc", "line1\r\nline2\tend",
             "_x0041_ literal", "  padded  ", "长" * MAX_TEXT, None, None, "+5", "http://example.com/x"]
OPENPYXL_BACK = [*TEXT_BACK[:6], "a_x0000_b_x001F_c", "line1_x000D_\nline2\tend", *TEXT_BACK[8:]]
FLOATS = [0.1 + 0.2, 1e16, 1e-7, 5e-324, 1.7976931348623157e308, 2.5, 570.0, np.nan, np.inf, -np.inf,
          -1234.5678, 0.0, 1 / 3, 123456789.125, -2.0]
INTS = [0, 1, -1, 2**53, -(2**53), 10_910_000, 276_316, 7, 8, 9, 10, 11, 12, 13, 14]


def hostile() -> pd.DataFrame:
    return pd.DataFrame({
        "name_zh": pd.array(TEXT, dtype="string"),
        "final": np.array(INTS, dtype=np.int64),
        "target": np.array(FLOATS, dtype=float),
        "share": np.linspace(0, 1, N),
        "flag": [k % 2 == 0 for k in range(N)],
        "maybe_int": pd.array([1, None, *range(N - 2)], dtype="Int64"),
        "maybe_bool": pd.array([True, None, *([False] * (N - 2))], dtype="boolean"),
        "mixed": [1, 2.5, "x", True, None, np.nan, np.int64(3), pd.Timestamp("2023-01-01"), np.inf, "=cmd",
                  "", np.float64(0.25), -7, "文本", np.bool_(False)],
        "=HYPERLINK(\"x\")": ["t"] * N,  # a header that looks like a formula
    })


def write(sheets, engine="xml") -> bytes:
    buf = io.BytesIO()
    cio._write_workbook(sheets, buf, engine)
    return buf.getvalue()


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_every_hostile_cell_reads_back_as_written():
    df = hostile()
    ws = load(write({"t": df}))["t"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == N and ws.max_column == len(df.columns)
    assert [r[0] for r in rows] == OPENPYXL_BACK
    assert [r[1] for r in rows] == INTS and all(type(r[1]) is int for r in rows)
    # floats come back exactly (shortest round-trip text); NaN and ±inf are empty cells. A whole float such as
    # 570.0 is stored as '570' (the number is the same; openpyxl gives an int for it).
    expect = [None if not np.isfinite(x) else x for x in FLOATS]
    got = [r[2] for r in rows]
    assert got == expect and got[0] == 0.30000000000000004 and got[3] == 5e-324
    assert all(isinstance(v, float) for v, x in zip(got, FLOATS, strict=True) if np.isfinite(x) and x != int(x))
    assert [r[3] for r in rows] == list(np.linspace(0, 1, N))
    assert [r[4] for r in rows] == [k % 2 == 0 for k in range(N)] and all(type(r[4]) is bool for r in rows)
    assert [r[5] for r in rows] == [1, None, *range(N - 2)]
    assert [r[6] for r in rows] == [True, None, *([False] * (N - 2))]
    # the mixed column typed value by value: text, number, bool, empty; other objects as their (escaped) text
    assert [r[7] for r in rows] == [1, 2.5, "x", True, None, None, 3, "2023-01-01 00:00:00", None, "'=cmd",
                                    None, 0.25, -7, "文本", False]
    header = [c.value for c in ws[1]]
    assert header == ["name_zh", "final", "target", "share", "flag", "maybe_int", "maybe_bool", "mixed",
                      "'=HYPERLINK(\"x\")"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" and c.hyperlink is None for c in cells)  # no formula, no link anywhere


def test_number_formats_header_style_and_widths():
    df = hostile()
    ws = load(write({"t": df}))["t"]
    fmts = {ws.cell(1, j + 1).value: ws.cell(4, j + 1).number_format for j in range(len(df.columns))}
    assert fmts["final"] == "#,##0" and fmts["maybe_int"] == "#,##0"  # integers (nullable too)
    assert fmts["target"] == "#,##0.00" and fmts["share"] == "0.0%"  # floats; a share column in percent
    assert fmts["flag"] == "General" and fmts["name_zh"] == "General"
    for c in ws[1]:
        assert c.font.b and c.alignment.horizontal == "center" and c.alignment.vertical == "top"
        assert {c.border.left.style, c.border.right.style, c.border.top.style, c.border.bottom.style} == {"thin"}
    assert not ws.cell(2, 1).font.b
    for j, col in enumerate(cio.escape_formulas(df).columns):
        letter = column_letters(j + 1)[-1]
        assert ws.column_dimensions[letter].width == excel_width(cio._width(cio.escape_formulas(df), col))
    # the widths Excel stores for 10 and 40 characters (xlsxwriter computes the same: 10 → 10.7109375)
    assert (excel_width(10), excel_width(40)) == (10.7109375, 40.7109375)


def test_same_cells_and_formats_as_xlsxwriter_except_lost_float_digits():
    """xlsxwriter writes floats with %.16G, which loses the 17th digit of some (0.1 + 0.2 reads back as 0.3):
    where it does, its value is ours rounded to 16 digits; everything else is the same."""
    # xlsxwriter cannot write inf in an object column nor NA in a nullable boolean one (TypeError)
    df = hostile().drop(columns=["mixed", "maybe_bool"])
    df["name_zh"] = df["name_zh"].str.slice(0, 100)
    ours = load(write({"t": df, "second": df.head(2)}))
    theirs = load(write({"t": df, "second": df.head(2)}, "xlsxwriter"))
    lost = []
    for a, b in zip(ours.worksheets, theirs.worksheets, strict=True):
        assert a.title == b.title
        for ra, rb in zip(a.iter_rows(), b.iter_rows(), strict=True):
            for ca, cb in zip(ra, rb, strict=True):
                assert ca.number_format == cb.number_format, ca.coordinate
                assert type(ca.value) is type(cb.value) or {type(ca.value), type(cb.value)} == {int, float}
                if ca.value != cb.value:
                    assert isinstance(ca.value, float) and cb.value == float(f"{ca.value:.16G}"), ca.coordinate
                    lost.append(ca.coordinate)
    assert "C2" in lost  # 0.1 + 0.2: 0.30000000000000004 here, 0.3 from xlsxwriter


def test_sheet_titles_are_excel_safe_and_unique():
    names = ["a/b:c*d?[e]\\f", "x" * 40, "History", "Dup", "dup", "'quoted'"]
    wb = load(write({n: pd.DataFrame({"v": [1]}) for n in names}))
    assert wb.sheetnames == ["a_b_c_d__e__f", "x" * 31, "history_", "Dup", "dup~2", "quoted"]


def test_pandas_reads_it_with_openpyxl_and_calamine():
    df = pd.DataFrame({"adcode": pd.array(["110101", "=1", None], dtype="string"), "final": [1, 2, 3],
                       "share": [0.5, 0.25, np.nan], "名称": pd.array(["北京", "<&>", "x"], dtype="string")})
    data = write({"表": df})
    engines = ["openpyxl"]
    try:
        import python_calamine  # noqa: F401
        engines.append("calamine")
    except ImportError:  # pragma: no cover - the test extra installs it
        pass
    for engine in engines:
        back = pd.read_excel(io.BytesIO(data), sheet_name="表", engine=engine, dtype={"adcode": str})
        assert back["adcode"].tolist()[:2] == ["110101", "'=1"] and pd.isna(back["adcode"].iloc[2])
        assert back["final"].tolist() == [1, 2, 3]
        assert back["share"].tolist()[:2] == [0.5, 0.25] and np.isnan(back["share"].iloc[2])
        assert back["名称"].tolist() == ["北京", "<&>", "x"]
    if "calamine" in engines:  # the hostile text, control characters included, exactly as written
        back = pd.read_excel(io.BytesIO(write({"t": hostile()})), engine="calamine", dtype=str)
        assert [None if pd.isna(v) else v for v in back["name_zh"]] == TEXT_BACK


def test_package_structure_is_complete_and_well_formed():
    data = write({"a": hostile(), "b": pd.DataFrame({"x": []}), "c": pd.DataFrame()})
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    for name in names:  # every part is well-formed XML (control characters were escaped)
        ElementTree.fromstring(zf.read(name))
    types = ElementTree.fromstring(zf.read("[Content_Types].xml"))
    overrides = {e.get("PartName").lstrip("/") for e in types if e.tag.endswith("Override")}
    defaults = {e.get("Extension") for e in types if e.tag.endswith("Default")}
    assert overrides == {n for n in names if not n.endswith(".rels")} - {"[Content_Types].xml"} and defaults == {"rels", "xml"}
    for rels in [n for n in names if n.endswith(".rels")]:
        base = rels.replace("_rels/", "").removesuffix(".rels")
        folder = base.rsplit("/", 1)[0] + "/" if "/" in base else ""
        for rel in ElementTree.fromstring(zf.read(rels)):
            assert folder + rel.get("Target") in names, (rels, rel.get("Target"))
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    assert [s.get("name") for s in book.iter() if s.tag.endswith("}sheet")] == ["a", "b", "c"]
    wb = load(data)
    assert wb["b"]["A1"].value == "x" and wb["b"].max_row == 1 and wb["c"].max_row == 1


def test_bytes_are_deterministic_and_shared_strings_counted():
    df = hostile()
    data = write({"t": df})
    assert data == write({"t": df})  # no timestamps: the same tables give the same file
    sst = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml").decode()
    count, unique = map(int, re.search(r'count="(\d+)" uniqueCount="(\d+)"', sst).groups())
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert count == sheet.count('t="s"') and unique == sst.count("<si>") <= count


def test_unknown_engine_and_row_limit_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown XLSX engine"):
        write({"t": pd.DataFrame({"a": [1]})}, engine="nope")
    big = pd.DataFrame({"x": np.zeros(cio.XLSX_MAX_ROWS + 1, dtype=np.int64)})
    with pytest.raises(cio.InputError, match="limited to 100,000 rows"):
        cio.write_xlsx({"t": big}, tmp_path / "big.xlsx")
    assert not list(tmp_path.iterdir())


def test_column_letters():
    assert column_letters(28)[-3:] == ["Z", "AA", "AB"] and column_letters(703)[-1] == "AAA"


def test_repeated_column_names_keep_each_columns_type_and_format():
    df = pd.DataFrame([[1, "a", 2.5], [2, "b", 0.5]], columns=["x", "x", "share"])
    ws = load(write({"t": df}))["t"]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [["x", "x", "share"], [1, "a", 2.5], [2, "b", 0.5]]
    assert [ws.cell(2, j).number_format for j in (1, 2, 3)] == ["#,##0", "General", "0.0%"]


def test_other_dtypes_are_written_as_numbers_or_text():
    """float32 as the double Excel holds (0.1f = 0.10000000149011612, as xlsxwriter wrote it), nullable
    floats, uint64, categoricals (escaped), datetimes and complex numbers as text, NaT empty."""
    df = pd.DataFrame({"f32": np.array([0.1, 2.5], dtype=np.float32), "F": pd.array([1.5, None], dtype="Float64"),
                       "u": np.array([2**63 + 1, 0], dtype=np.uint64), "cat": pd.Categorical(["=a", "b"]),
                       "dt": pd.to_datetime(["2023-01-01", None]), "c": np.array([1 + 2j, 3 + 0j])})
    ws = load(write({"t": df}))["t"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == [
        [0.10000000149011612, 1.5, 2**63 + 1, "'=a", "2023-01-01 00:00:00", "(1+2j)"],
        [2.5, None, 0, "b", None, "(3+0j)"]]


def test_columns_with_nothing_in_them_are_empty_cells():
    df = pd.DataFrame({"s": pd.array([None, None], dtype="string"), "f": [np.nan, np.inf],
                       "e": pd.array(["", ""], dtype="string"), "o": [None, np.nan], "x": [1, 2]})
    ws = load(write({"t": df}))["t"]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [["s", "f", "e", "o", "x"], [None] * 4 + [1],
                                                             [None] * 4 + [2]]
