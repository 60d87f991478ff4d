"""Data page: uploads validated with the CLI's messages beside the offending rows; templates; sources."""

from __future__ import annotations

import pytest
from conftest import ROOT, english, no_exception, ok, page, table_with

from ui.state import Keys

GOOD = (ROOT / "data" / "provinces.csv").read_text(encoding="utf-8-sig")


def test_default_data_with_sources_and_statuses():
    at = ok(page("data").run())
    src = table_with(at, "adcode", "column", "vintage", "status", "source")
    assert {"已核实", "示意"} <= set(src["status"])  # verified, illustrative: statuses in words
    assert any("31" in i.value for i in at.info)


def test_bad_paste_shows_messages_beside_rows():
    lines = GOOD.splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("land_area_km2")] = "abc"
    bad = "\n".join([lines[0], lines[1], lines[2], ",".join(row)])
    at = page("data").run()
    at.text_area(key=Keys.D_PASTE).input(bad).run()
    no_exception(at)
    assert any("错误" in e.value for e in at.error)
    assert any("land_area_km2" in e.value and "第 4 行" in e.value for e in at.error)
    offending = table_with(at, "行", "adcode", "land_area_km2")
    assert list(offending["行"]) == [4] and offending["land_area_km2"].iloc[0] == "abc"


def test_not_a_table_is_a_message():
    at = page("data").run()
    at.text_area(key=Keys.D_PASTE).input("just some words").run()
    no_exception(at)
    assert at.error


def test_good_upload_can_be_used_everywhere():
    at = page("data").run()
    at.text_area(key=Keys.D_PASTE).input(GOOD).run()
    ok(at)
    assert any("校验通过" in s.value for s in at.success)
    at.button(key=Keys.D_USE).click().run()
    ok(at)
    assert at.session_state[Keys.UPLOAD]["name"] == "pasted.csv"
    assert any("pasted.csv" in i.value for i in at.info)


def test_file_uploader_with_an_error():
    lines = GOOD.splitlines()
    bad = "\n".join([lines[0], lines[1].replace(",province,", ",planet,", 1)]).encode("utf-8")
    at = page("data").run()
    at.file_uploader(key=Keys.D_UPLOAD).set_value(("regions.csv", bad, "text/csv")).run()
    no_exception(at)
    assert any("regions.csv" in e.value for e in at.error)
    assert any("level" in e.value and "第 2 行" in e.value for e in at.error)


def test_english():
    english(page("data", {Keys.LANG: "en"}).run(), "d.title")


def test_messages_in_chinese_mode_have_no_english_prefix():
    from compensation.problems import Problem
    from ui.results import problem_text

    p = Problem("error", "negative value", "数值为负", file="a.csv", row=4, column="land_area_km2",
                region="110000 北京市", expected="≥ 0", found="-1")
    text = problem_text(p)  # outside a session the language is Chinese
    assert text == "错误:a.csv，第 4 行，(110000 北京市)，列“陆域面积 (km²)”(land_area_km2):数值为负(应为 ≥ 0;实际 -1)"
    assert "ERROR" not in text and "row" not in text
    q = Problem("error", "unknown scenario", "找不到情景", key="constraints.initial_last_year.scenario")
    assert problem_text(q) == "错误:“上年金额所取情景”:找不到情景"


def _chinese_without_units() -> str:
    """The default table with Chinese headers and no units; land area written in 万亩 (1 km² = 1,500 亩 = 0.15 万亩)."""
    import pandas as pd

    from compensation.data import load_regions

    base = load_regions()
    df = pd.DataFrame({"代码": base["adcode"], "地区": base["name_zh"], "级别": base["level"],
                       "陆域面积": base["land_area_km2"] * 0.15,
                       "生态保护红线面积": base["redline_total_km2"], "人口": base["population_10k"]})
    return df.to_csv(index=False)


def test_headers_without_units_are_asked_and_the_choice_is_applied_before_validation():
    import hashlib

    at = page("data").run()
    at.text_area(key=Keys.D_PASTE).input(_chinese_without_units()).run()
    no_exception(at)
    assert any("没有写明单位" in i.value for i in at.info)
    boxes = {b.label: b for b in at.selectbox if b.label.startswith("“")}
    assert set(boxes) == {"“陆域面积”的单位", "“生态保护红线面积”的单位", "“人口”的单位"}
    assert boxes["“陆域面积”的单位"].value == "km²"  # the default is the schema's unit
    # taken as km², 0.15 × the land area is below the red-line area of some regions: errors
    assert any("生态保护红线面积超过陆域与海域面积之和" in e.value for e in at.error)
    key = "d_unit_" + hashlib.sha1("陆域面积|land_area_km2".encode()).hexdigest()[:10]
    at.selectbox(key=key).set_value("万亩").run()
    ok(at)
    assert any("校验通过" in s.value for s in at.success)
    at.button(key=Keys.D_USE).click().run()
    ok(at)
    up = at.session_state[Keys.UPLOAD]
    assert up["units"] == {"陆域面积": "万亩"} and up["name"] == "pasted_with_units.csv"
    assert "表头单位 / header units: 陆域面积 万亩" in up["label"]  # recorded with the data (provenance)
    from compensation.data import load_regions

    kept = load_regions(up["path"])  # the kept file reads back in km² by the core alone (as the CLI would)
    assert kept["land_area_km2"].to_numpy() == pytest.approx(load_regions()["land_area_km2"].to_numpy(), rel=1e-12)


def test_150000_warnings_no_traceback_paged_and_downloadable():
    """A generated file whose 150,000 rows each carry a warning (function-type columns present but empty):
    no exception, at most 10 problems listed, the count said, the preview capped at 200 rows."""
    import time

    n = 150_000
    lines = ["adcode,name_zh,level,land_area_km2,redline_total_km2,population_10k,redline_water_conservation_km2"]
    lines += [f"{100000 + i},地区{i},province,100,10,1," for i in range(n)]
    at = page("data").run()
    t0 = time.perf_counter()
    at.text_area(key=Keys.D_PASTE).input("\n".join(lines)).run(timeout=120)
    first = time.perf_counter() - t0
    no_exception(at)
    assert any(f"{n} 个警告" in w.value for w in at.warning)
    listed = [w for w in at.warning if "缺少按功能类型划分的红线面积" in w.value]
    assert len(listed) == 10
    assert any("显示第 1–10 条,筛选后共 150000 条" in c.value for c in at.caption)
    preview = [df.value for df in at.dataframe if "行" in df.value.columns]
    assert preview and len(preview[0]) == 200
    # the problem table (150,000 rows) is offered as CSV; its XLSX button is disabled, saying why (the workbook
    # row limit, compensation.io.XLSX_MAX_ROWS = 100,000)
    buttons = {b.proto.label: b.proto for b in at.get("download_button") if b.proto.id.endswith("dl_csv_d_problems")
               or b.proto.id.endswith("dl_xlsx_d_problems")}
    assert set(buttons) == {"CSV", "XLSX"} and not buttons["CSV"].disabled and buttons["XLSX"].disabled
    assert buttons["XLSX"].help == "共 150,000 行,超过 XLSX 每个工作表 100,000 行的上限:请下载 CSV"
    # the next page is a rerun on the cached validation: far quicker than the first
    t0 = time.perf_counter()
    at.number_input(key="d_f_page").set_value(2).run(timeout=120)
    again = time.perf_counter() - t0
    no_exception(at)
    assert any("显示第 11–20 条" in c.value for c in at.caption)
    assert again < first / 2, (first, again)  # validation is not redone


def test_expected_values_are_said_in_chinese():
    from ui.results import expected_zh

    assert expected_zh("a number in 万人") == "以 万人 计的数字"
    assert expected_zh("a number in units") == "数字"
    assert expected_zh("one of province, prefecture, county") == "以下之一:province, prefecture, county"
    assert expected_zh("6 digits (GB/T 2260), e.g. 110000") == "6 位数字(GB/T 2260),如 110000"
    assert expected_zh("≤ 1,234.00 km²") == "≤ 1,234.00 km²"  # numbers stay as they are
