"""Compare page: scenarios by name, differences, buckets, the plain-language list of changes, multi-year totals."""

from __future__ import annotations

from conftest import english, no_exception, ok, page, table_with

from ui.state import Keys


def test_loads_water_priority_against_baseline():
    at = ok(page("compare").run())
    d = table_with(at, "adcode", "baseline", "scenario", "difference", "bucket")
    d = d.set_index("adcode")
    assert d.loc["630000", "difference"] > 0  # 青海: red line mostly water conservation
    assert d["difference"].sum() == 0  # same pool: money moves between regions
    md = "\n".join(m.value for m in at.markdown)
    assert "水源涵养功能权重" in md and "1.2 → 2.4" in md  # what changed, in words


def test_current_edits_are_a_scenario():
    at = ok(page("compare", {Keys.PERSIST: {Keys.param("weights.biodiversity"): 2.0}}).run())
    at.selectbox(key="cmp_diff_target").set_value("__current__").run()
    ok(at)
    md = "\n".join(m.value for m in at.markdown)
    assert "生物多样性维护功能权重" in md and "1.2 → 2.0" in md


def test_multi_year_scenario_listed_in_totals():
    at = page("compare").run()
    at.multiselect(key=Keys.CMP_SCENARIOS).set_value(["water_priority_2023", "hold_harmless_2024_2027"]).run()
    ok(at)
    assert any("hold_harmless_2024_2027" in i.value for i in at.info)  # no 2023: said so
    totals = table_with(at, "scenario", "budget", "allocated", "years")
    row = totals.set_index("scenario").loc["hold_harmless_2024_2027"]
    assert row["years"] == "2024–2027" and row["allocated"] == row["budget"]


def test_no_scenario_chosen():
    at = page("compare").run()
    at.checkbox(key=Keys.CMP_CURRENT).uncheck().run()
    at.multiselect(key=Keys.CMP_SCENARIOS).set_value([]).run()
    no_exception(at)
    assert any("至少" in i.value for i in at.info)


def test_english():
    english(page("compare", {Keys.LANG: "en"}).run(), "cmp.title")


def test_change_list_is_text_with_the_users_file_name(tmp_path):
    from conftest import ROOT

    from ui.format import md_text
    from ui.loading import save_upload
    from ui.state import Keys as K

    assert md_text("预算 [2023]: 1 → 2 *a*") == "预算 \\[2023\\]: 1 → 2 \\*a\\*"  # shown as written, no link
    up = save_upload((ROOT / "data" / "provinces.csv").read_bytes(), "我的数据.csv")
    at = page("compare", {K.UPLOAD: up}).run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "我的数据.csv" in text and up["path"] not in text and "ecocomp-ui" not in text
