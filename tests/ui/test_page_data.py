"""Data page: uploads validated with the CLI's messages beside the offending rows; templates; sources."""

from __future__ import annotations

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
