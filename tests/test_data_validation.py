"""Every validation rule with a bad file: the message must name the file, the row and the column."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from compensation.cli import main
from compensation.data import DEFAULT_REGIONS, check_regions, load_regions
from compensation.problems import InputError


@pytest.fixture
def good() -> pd.DataFrame:
    return pd.read_csv(DEFAULT_REGIONS, dtype=str, keep_default_na=False)


def write(df: pd.DataFrame, tmp_path, name="bad.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    df.to_csv(path, index=False, encoding=encoding)
    return str(path)


def problems(path, **kw):
    _, report = check_regions(path, **kw)
    return report


def only(report, severity, column):
    found = [p for p in report.problems if p.severity == severity and p.column == column]
    assert found, report.render()
    return found


def test_default_data_is_clean():
    _, report = check_regions(None)
    assert report.errors == []


def test_missing_required_column(good, tmp_path):
    rep = problems(write(good.drop(columns=["redline_total_km2"]), tmp_path))
    p = only(rep, "error", "redline_total_km2")[0]
    assert "missing" in p.message_en and p.file.endswith("bad.csv")


def test_unknown_column_is_a_warning(good, tmp_path):
    good["favourite_colour"] = "green"
    rep = problems(write(good, tmp_path))
    assert rep.errors == []
    only(rep, "warning", "favourite_colour")
    assert rep.exit_code == 1


def test_duplicate_code_names_both_rows(good, tmp_path):
    good.loc[5, "adcode"] = good.loc[2, "adcode"]  # row 7 repeats row 4's code (header is row 1)
    rep = problems(write(good, tmp_path))
    p = only(rep, "error", "adcode")[0]
    assert p.row == 7 and "rows 4, 7" in p.message_en


def test_malformed_code(good, tmp_path):
    good.loc[0, "adcode"] = "11000"
    p = only(problems(write(good, tmp_path)), "error", "adcode")[0]
    assert p.row == 2 and "malformed" in p.message_en and "'11000'" in p.found


@pytest.mark.parametrize("value,words", [("abc", "not a number"), ("-5", "negative"), ("NaN", "missing"),
                                         ("", "missing")])
def test_bad_numbers(good, tmp_path, value, words):
    good.loc[3, "population_10k"] = value
    p = only(problems(write(good, tmp_path)), "error", "population_10k")[0]
    assert p.row == 5 and words in p.message_en and "山西" in p.region


def test_thousands_separators_are_read(good, tmp_path):
    good.loc[0, "land_area_km2"] = "16,410"
    table, rep = check_regions(write(good, tmp_path))
    assert rep.errors == [] and table.loc[0, "land_area_km2"] == 16410


def test_redline_above_land_plus_sea(good, tmp_path):
    # 北京: land 16,410 km², no sea: a red line of 20,000 km² cannot fit
    good.loc[0, ["redline_total_km2", "redline_land_km2"]] = ["20000", "4290"]
    rep = problems(write(good, tmp_path))
    p = [x for x in rep.errors if "exceeds land + sea area" in x.message_en][0]
    assert p.row == 2 and p.column == "redline_total_km2" and "16,410" in p.expected


def test_function_types_not_adding_up_warning_or_error(good, tmp_path):
    good.loc[1, "redline_biodiversity_km2"] = "900"  # 天津: types now add to 1,824 km² vs 1,393.79
    path = write(good, tmp_path)
    warn = problems(path)
    p = only(warn, "warning", "redline_total_km2")[0]
    assert p.row == 3 and "tolerance 1.0%" in p.message_en
    strict = problems(path, function_mismatch="error")
    assert only(strict, "error", "redline_total_km2")
    loose = problems(path, function_tolerance=0.5)  # 31% off is inside a 50% tolerance
    assert not [x for x in loose.problems if x.column == "redline_total_km2"]


def test_county_with_missing_parent(good, tmp_path):
    county = good.iloc[[0]].copy()
    county["adcode"], county["level"], county["parent_adcode"] = "110101", "county", ""
    other = county.copy()
    other["adcode"], other["parent_adcode"] = "110102", "990000"
    rep = problems(write(pd.concat([county, other]), tmp_path))
    rows = {p.row for p in rep.errors if p.column == "parent_adcode"}
    assert rows == {2, 3}
    assert any("parent region is missing" in p.message_en for p in rep.errors)


def test_gbk_file_is_read(good, tmp_path):
    path = write(good, tmp_path, encoding="gbk")
    table, rep = check_regions(path)
    assert rep.errors == [] and table.loc[0, "name_zh"] == "北京市"


def test_gb18030_file_is_read(good, tmp_path):
    table, rep = check_regions(write(good, tmp_path, encoding="gb18030"))
    assert rep.errors == [] and table.loc[30, "name_zh"] == "新疆维吾尔自治区"


def test_undecodable_file_is_rejected_clearly(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"adcode,name_zh\n110000,\xff\xfe\xfa\x80\x81\n")
    rep = problems(str(path))
    assert "cannot decode" in rep.errors[0].message_en and rep.errors[0].file.endswith("binary.csv")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert "empty" in problems(str(path)).errors[0].message_en
    path.write_text("adcode,name_zh\n")
    assert "no data rows" in problems(str(path)).errors[0].message_en


def test_xlsx_input(good, tmp_path):
    path = tmp_path / "regions.xlsx"
    good.to_excel(path, index=False)
    table, rep = check_regions(str(path))
    assert rep.errors == [] and len(table) == 31 and table["adcode"].iloc[0] == "110000"


def test_xlsx_bad_value_names_row(good, tmp_path):
    good.loc[9, "gdp_100m_cny"] = "n/a?"
    path = tmp_path / "regions.xlsx"
    good.to_excel(path, index=False)
    p = only(problems(str(path)), "error", "gdp_100m_cny")[0]
    assert p.row == 11 and p.file.endswith("regions.xlsx")


def test_all_problems_reported_at_once(good, tmp_path):
    good.loc[0, "population_10k"] = "x"
    good.loc[4, "land_area_km2"] = "-1"
    good.loc[7, "level"] = "planet"
    rep = problems(write(good, tmp_path))
    assert {(p.row, p.column) for p in rep.errors} >= {(2, "population_10k"), (6, "land_area_km2"), (9, "level")}


def test_load_regions_raises_with_the_report(good, tmp_path):
    good.loc[0, "population_10k"] = "x"
    with pytest.raises(InputError) as err:
        load_regions(write(good, tmp_path))
    assert "row 2" in str(err.value) and "population_10k" in str(err.value)


def test_upload_bytes(good):
    buf = io.BytesIO()
    good.to_csv(buf, index=False, encoding="gbk")
    table = load_regions(buf.getvalue(), name="upload.csv")
    assert len(table) == 31


def test_cli_exit_codes(good, tmp_path, capsys):
    assert main(["data", "check"]) == 0
    out = capsys.readouterr().out
    assert "178 verified" in out and "illustrative" in out and "province_indicators.csv: 248 rows" in out
    good["extra"] = "1"
    assert main(["data", "check", write(good, tmp_path, "warn.csv")]) == 1
    good.loc[0, "adcode"] = "abc"
    assert main(["data", "check", write(good, tmp_path, "err.csv")]) == 2
    out = capsys.readouterr().out
    assert "row 2" in out and "adcode" in out and "Traceback" not in out


def test_cli_missing_file_exit_2(capsys):
    assert main(["data", "show", "/nonexistent/regions.csv"]) == 2
    assert "file not found" in capsys.readouterr().err


# --- the fast path for plain decimal columns (validate._plain_column) gives what the general rules give ------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from compensation.validate import _parse_numbers, _parse_numbers_general, _plain_column  # noqa: E402

_PLAIN = st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{1,12})?", fullmatch=True)
_ODD = st.sampled_from(["", " 1", "1 ", "1,234.5", "1,23", "nan", "NA", "-", "—", "1e3", "inf", "-inf", "1\n2",
                        "３", "٣", "0x10", "1_000", "+1", ".5", "5.", "abc", "1.2.3", "\t7\t"])


def _same_parse(cells: list) -> None:
    raw = pd.Series(cells, dtype=object)
    fast, general = _parse_numbers(raw), _parse_numbers_general(raw)
    for a, b in zip(fast, general, strict=True):
        pd.testing.assert_series_equal(a, b, check_exact=True, check_names=False)
        assert a.to_numpy().tobytes() == b.to_numpy().tobytes()  # bit for bit, -0.0 and NaN included


@given(st.lists(_PLAIN, min_size=1, max_size=40))
def test_plain_decimal_columns_take_the_fast_path_and_parse_bit_for_bit_as_the_general_rules(cells):
    assert _plain_column(pd.Series(cells, dtype=object))
    _same_parse(cells)


@given(st.lists(_PLAIN, max_size=20), _ODD, st.lists(_PLAIN, max_size=20))
def test_one_odd_cell_sends_the_column_down_the_general_path(before, odd, after):
    cells = [*before, odd, *after]
    assert not _plain_column(pd.Series(cells, dtype=object))
    _same_parse(cells)


def test_non_text_cells_take_the_general_path():
    assert not _plain_column(pd.Series(["1", float("nan")], dtype=object))
    assert not _plain_column(pd.Series(["1", 2], dtype=object))
    assert not _plain_column(pd.Series([], dtype=object))
    _same_parse(["1", float("nan"), "2"])
