"""Region page: data with statuses and sources, waterfall, history, what-if sliders."""

from __future__ import annotations

from conftest import english, metric, ok, page, table_with

from ui.state import Keys


def test_loads_qinghai_with_sources_and_explanation():
    at = ok(page("region").run())
    data = table_with(at, "column", "label", "value", "status", "source")
    numeric = data.set_index("column").loc[["land_area_km2", "redline_total_km2", "population_10k"]]
    assert (numeric["status"] != "").all() and (numeric["source"] != "").all()
    assert "示意" in set(data["status"])  # the function split is marked illustrative (in words)
    assert any("青海省" in i.value and "km²" in i.value for i in at.info)


def test_redline_plus_10_percent_raises_the_region_and_lowers_the_others():
    at = ok(page("region").run())
    at.slider(key=Keys.REGION_REDLINE_PCT).set_value(10).run()
    ok(at)
    mine = [m for m in at.metric if "青海省" in m.label][0]
    assert mine.delta.startswith("+")
    assert metric(at, "其他地区合计")
    others = [m for m in at.metric if m.label.startswith("其他地区合计")][0]
    assert others.delta.startswith("-")


def test_other_region_and_history_scenario():
    at = page("region").run()
    at.selectbox(key=Keys.REGION).set_value("540000").run()
    at.selectbox(key=Keys.REGION_HISTORY).set_value("hold_harmless_2024_2027").run()
    ok(at)
    assert any("西藏" in i.value for i in at.info)


def test_english():
    english(page("region", {Keys.LANG: "en"}).run(), "reg.title")
