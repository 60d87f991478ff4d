"""The "分配情况表" export (compensation/notice.py): official order, 2-decimal 亿元 rows that add up exactly, the
component columns and the print-ready workbook written by `ecocomp run … --formats notice`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from compensation.notice import (
    ADJUSTMENT_LABEL,
    TOTAL_LABEL,
    notice_table,
    official_order_key,
    write_notice,
)

ROOT = Path(__file__).resolve().parents[1]


def _table():
    # deliberately out of order; finals in 万元 add up to 100,000 万元 = 10.00 亿元
    return pd.DataFrame({
        "adcode": ["660000", "650000", "210200", "110000", "210000"],
        "name_zh": ["新疆生产建设兵团", "新疆维吾尔自治区", "大连市", "北京市", "辽宁省"],
        "final": [150, 62_405, 5_050, 12_345, 20_050],
    })


def test_official_order_cities_after_their_province_bingtuan_after_xinjiang():
    codes = ["660000", "650000", "210200", "110000", "210000", "440300", "440000", "450000"]
    assert sorted(codes, key=official_order_key) == \
        ["110000", "210000", "210200", "440000", "440300", "450000", "650000", "660000"]
    # 兵团 recognised by name too, whatever code the data gives it
    assert official_order_key("659000", "新疆生产建设兵团") > official_order_key("650000")


def test_rows_in_yi_add_up_exactly_by_largest_remainder():
    """Worked by hand. In 0.01 亿元 (= 100 万元) the rows are 123.45, 200.50, 50.50, 624.05, 1.50 (official
    order 北京, 辽宁, 大连, 新疆, 兵团); floors 123+200+50+624+1 = 998, 2 steps missing; the largest remainders
    are the three .50s, ties by position: 辽宁 and 大连 get one each. Rounding each row half-up instead would
    give 1.23+2.01+0.51+6.24+0.02 = 10.01 亿元, one step more than the pool."""
    n = notice_table(_table(), "万元", "亿元")
    v = n.values()
    assert list(v["地区"]) == [TOTAL_LABEL, "北京市", "辽宁省", "大连市", "新疆维吾尔自治区", "新疆生产建设兵团"]
    assert list(n.table["合计"]) == [1000, 123, 201, 51, 624, 1]
    assert v["合计"].tolist() == pytest.approx([10.00, 1.23, 2.01, 0.51, 6.24, 0.01])
    assert n.unit == "亿元" and n.decimals == 2


def test_wan_notice_keeps_the_run_integers():
    n = notice_table(_table(), "万元", "万元")
    assert list(n.table["合计"]) == [100_000, 12_345, 20_050, 5_050, 62_405, 150]
    assert n.decimals == 0


def test_component_columns_and_the_adjustment_make_every_row_add_up():
    t = _table().assign(key=[100.0, 40_000.0, 5_000.0, 10_000.0, 15_000.0],
                        guide=[49.0, 22_000.0, 50.0, 2_000.0, 5_000.0])
    n = notice_table(t, "万元", "亿元", {"key": "重点补助", "guide": "引导性补助"})
    tab = n.table.set_index("地区")
    assert list(tab.columns) == ["合计", "其中:重点补助", "其中:引导性补助", ADJUSTMENT_LABEL]
    # 北京: key 10,000 万元 → 100 steps, guide 2,000 → 20 steps, total 123 steps → adjustment 3
    assert tab.loc["北京市"].tolist() == [123, 100, 20, 3]
    # 兵团: key 100 → 1 step, guide 49 → 0.49 step → 0, total 1 → adjustment 0
    assert tab.loc["新疆生产建设兵团"].tolist() == [1, 1, 0, 0]
    body = n.table.iloc[1:]
    assert (body["合计"] == body.iloc[:, 2:].sum(axis=1)).all()
    assert (n.table.iloc[0, 1:] == body.iloc[:, 1:].sum()).all()
    # one component is no breakdown at all
    assert list(notice_table(t, "万元", "亿元", {"key": "重点补助"}).table.columns) == ["地区", "合计"]


def test_counties_are_summed_to_their_provinces_separate_cities_kept():
    t = pd.DataFrame({"adcode": ["110101", "110102", "210200", "210211"],
                      "name_zh": ["东城区", "西城区", "大连市", "甘井子区"], "final": [300, 700, 500, 250]})
    regions = t[["adcode"]].assign(level=["county", "county", "prefecture", "county"])
    n = notice_table(t, "万元", "万元", regions=regions, province_names={"110000": "北京市", "210000": "辽宁省"})
    assert n.table.values.tolist() == [[TOTAL_LABEL, 1750], ["北京市", 1000], ["辽宁省", 250], ["大连市", 500]]


def test_workbook_layout_and_formula_text_is_not_run(tmp_path):
    t = _table()
    t.loc[3, "name_zh"] = "=HYPERLINK(\"http://x\")"
    path = tmp_path / "n.xlsx"
    write_notice([notice_table(t, "万元", "亿元", title="2023年测试分配情况表")], path, {"运行哈希 / run hash": "abc"})
    wb = openpyxl.load_workbook(path)
    ws = wb["2023年分配情况表"]
    assert ws["A1"].value == "2023年测试分配情况表" and "A1:B1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["B2"].value == "单位:亿元"
    assert [ws["A3"].value, ws["B3"].value] == ["地区", "合计"]
    assert ws["A4"].value == TOTAL_LABEL and ws["B4"].value == pytest.approx(10.0)
    assert ws["B4"].number_format == "#,##0.00"
    assert ws["A5"].value.startswith("'=")  # shown as text, never evaluated
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert wb["说明"]["B2"].value == "abc"


def test_cli_run_formats_notice(tmp_path):
    """`ecocomp run baseline_2023 --formats csv,notice`: the notice's 31 rows are the CSV's integer 万元
    amounts on the 0.01 亿元 grid (each within one step) and add up to 1,091.00 亿元 exactly."""
    out = subprocess.run([sys.executable, "-m", "compensation.cli", "run", "baseline_2023", "--out", str(tmp_path),
                          "--formats", "csv,notice", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    folder = next(tmp_path.glob("baseline_2023-*"))
    alloc = pd.read_csv(folder / "allocation_2023.csv", dtype={"adcode": str})
    ws = openpyxl.load_workbook(folder / "notice.xlsx")["2023年分配情况表"]
    assert ws["A1"].value == "2023年中央对地方生态保护补偿转移支付分配情况表"
    rows = [(ws.cell(i, 1).value, ws.cell(i, 2).value) for i in range(4, 4 + 32)]
    assert rows[0] == (TOTAL_LABEL, pytest.approx(1091.0))
    names = [r[0] for r in rows[1:]]
    assert names == list(alloc.sort_values("adcode")["name_zh"])  # 31 provinces: code order is the official one
    steps = np.array([round(r[1] * 100) for r in rows[1:]])
    assert steps.sum() == 109_100
    wan = alloc.sort_values("adcode")["final"].to_numpy()
    assert np.all(np.abs(steps - wan / 100) < 1)
    assert ws.cell(36, 1).value is None  # nothing after the 31 provinces but notes


def test_workbook_print_layout_and_styles(tmp_path):
    """The print-ready layout, cell by cell: bold 14-point merged title, right-aligned unit, bold centred
    bordered header, 地方合计 bold, every table cell bordered, amounts #,##0.00 in 亿元, notes under the table,
    header repeated on each page, print area = title to last row, A4 landscape fitted to one page wide,
    centred, panes frozen below the header and right of the names, the 说明 sheet's provenance."""
    t = _table()
    path = tmp_path / "n.xlsx"
    n = notice_table(t, "万元", "亿元", title="2023年测试分配情况表", notes=["注:测试。", "=不是公式"])
    write_notice([n, n], path, {"运行哈希 / run hash": "abc", "=k": "@v"})
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["2023年分配情况表", "2023年分配情况表2", "说明"]
    ws = wb["2023年分配情况表"]
    last = 3 + len(n.table)
    assert ws["A1"].font.b and ws["A1"].font.sz == 14 and ws["A1"].alignment.horizontal == "center"
    assert ws["B2"].alignment.horizontal == "right"
    for c in ("A3", "B3"):
        assert ws[c].font.b and ws[c].alignment.horizontal == "center" and ws[c].alignment.wrap_text
    assert ws["A4"].font.b and ws["B4"].font.b and not ws["A5"].font.b and not ws["B5"].font.b
    assert ws["A5"].alignment.horizontal == "left"
    for i in range(3, last + 1):
        for j in (1, 2):
            b = ws.cell(i, j).border
            assert {b.left.style, b.right.style, b.top.style, b.bottom.style} == {"thin"}, (i, j)
    assert all(ws.cell(i, 2).number_format == "#,##0.00" for i in range(4, last + 1))
    assert [ws.cell(i, 1).value for i in (last + 2, last + 3)] == ["注:测试。", "'=不是公式"]
    assert ws.print_area == f"'2023年分配情况表'!$A$1:$B${last}"
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_options.horizontalCentered and ws.freeze_panes == "B4"
    assert ws.column_dimensions["A"].width > ws.column_dimensions["B"].width > 14
    info = wb["说明"]
    assert [[c.value for c in r] for r in info.iter_rows()] == [
        ["项目 / item", "内容 / value"], ["运行哈希 / run hash", "abc"], ["'=k", "'@v"]]
    assert all(c.data_type != "f" for w in wb.worksheets for r in w.iter_rows() for c in r)


def test_province_names_read_without_validation_equal_the_validated_table():
    """The notice of a county run names provinces from data.province_names() (the default file's two columns,
    not validated, for speed): they must be exactly the validated table's names."""
    from compensation.data import load_regions, province_names

    prov = load_regions()
    assert province_names() == dict(zip(prov["adcode"].astype(str), prov["name_zh"].astype(str), strict=True))
    assert len(province_names()) == 31


# --- the workbook written without xlsxwriter (compensation/notice_book.py) ---------------------------------

def _both_engines(tmp_path, notices, provenance):
    """The notice workbook by the XML writer and by xlsxwriter, with the same creation time: their bytes."""
    import datetime

    from compensation.notice import write_notice

    when = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
    write_notice(notices, tmp_path / "xml.xlsx", provenance, engine="xml", created=when)
    write_notice(notices, tmp_path / "xw.xlsx", provenance, engine="xlsxwriter", created=when)
    return (tmp_path / "xml.xlsx").read_bytes(), (tmp_path / "xw.xlsx").read_bytes()


@pytest.mark.parametrize("scenario", ["county_2023", "baseline_2023", "redline_transition_2024_2027", "cascade_2023"])
def test_the_notice_workbook_is_xlsxwriters_byte_for_byte(tmp_path, scenario):
    # one year and four, provinces and counties summed to provinces, component columns and none, two tiers
    from compensation.notice import run_notices
    from compensation.run import compute
    from compensation.scenario import load_scenario

    sc = load_scenario(scenario)
    notices, provenance = run_notices(compute(sc, sc.years))
    for unit in ("亿元", "万元"):
        if unit == "万元":
            notices, provenance = run_notices(compute(sc, sc.years[:1]), "万元")
        xml, xw = _both_engines(tmp_path, notices, provenance)
        assert xml == xw, (scenario, unit)


def test_the_notice_workbook_matches_xlsxwriter_on_awkward_text_and_shapes(tmp_path):
    from compensation.notice import Notice

    rng = np.random.default_rng(5)
    hostile = ["=1+1", "+cmd|' /C calc'!A0", "-0.5", "@SUM(A1)", "a & b < c > d \"q\" 'a'", " leading", "trailing\t",
               "\x01ctl\x1f", "_x0041_ literal", "line\nbreak", "", "北京市", "😀" * 5, "x" * 40_000,
               "😀" * 20_000]  # the last two cut at 32,767 UTF-16 units, as xlsxwriter cuts them
    n = 40  # more than 16 rows, so row spans are computed per block of 16
    names = [hostile[k % len(hostile)] if k % 3 == 0 else f"地区{k}" for k in range(n)]
    comps = pd.DataFrame({"地区": ["地方合计", *names], "合计": rng.integers(0, 10**7, n + 1),
                          "其中:红线面积(很长的一个名称用来测试列宽上限)": rng.integers(0, 10**6, n + 1),
                          "其中:人口": rng.integers(0, 10**6, n + 1), "约束与取整调整": rng.integers(-99, 99, n + 1)})
    short = comps[["地区", "合计"]].head(3).copy()
    notices = [
        Notice("2023年标题 <&>", "万元", comps, 0, ["注:一", "=注二", ""]),
        Notice("2023年标题", "亿元", short, 2, [f"注{k}" for k in range(30)]),  # notes alone in later blocks
        Notice("无年份的标题", "亿元", short, 2, []),  # sheet 分配情况表, then 分配情况表2
        Notice("another title", "亿元", short.head(1), 2, []),  # the total row only
    ]
    provenance = {"项目": "值", "=key": "=value", " space ": "", "long": "y" * 33_000, "ctl": "\x07"}
    xml, xw = _both_engines(tmp_path, notices, provenance)
    assert xml == xw
    xml, xw = _both_engines(tmp_path, notices[:1], {})  # no provenance rows
    assert xml == xw
    xml, xw = _both_engines(tmp_path, [], {"only": "说明"})  # no notice: 说明 alone is the selected sheet
    assert xml == xw
