"""Overview page: big numbers, the map measure switch, English, the app's navigation entry."""

from __future__ import annotations

from conftest import ROOT, TIMEOUT, info_text, metric, ok, page
from streamlit.testing.v1 import AppTest

from ui.state import Keys


def test_loads_with_big_numbers():
    at = ok(page("overview").run())
    assert metric(at, "资金池") == "1,091.00 亿元"
    assert metric(at, "获得补助的地区") == "31 / 31"
    assert metric(at, "覆盖的红线面积").endswith("km²")
    assert 0 <= float(metric(at, "公平指数")) < 1
    assert "输入哈希" in info_text(at)
    assert any("示意" in c.value for c in at.caption)  # illustrative split and schematic map are labelled


def test_map_measure_switch():
    at = ok(page("overview").run())
    for measure in ("per_km2", "per_capita", "payment"):
        at.segmented_control(key=Keys.MAP_MEASURE).set_value(measure).run()
        ok(at)


def test_follows_the_settings_made_on_allocate():
    at = ok(page("overview", {Keys.PERSIST: {Keys.POOL: 1500.0}}).run())
    assert metric(at, "资金池") == "1,500.00 亿元"


def test_english():
    at = ok(page("overview", {Keys.LANG: "en"}).run())
    assert metric(at, "pool") == "1,091.00 亿元"


def test_app_entry_runs_the_overview_and_switches_pages():
    at = AppTest.from_file(str(ROOT / "app_streamlit.py"), default_timeout=TIMEOUT).run()
    ok(at)
    assert at.title[0].value.startswith("生态保护补偿转移支付")
    at.sidebar.radio(key=Keys.LANG).set_value("en").run()
    ok(at)
    assert at.title[0].value.startswith("Eco-compensation transfers")
    at.switch_page("ui/pages/data.py").run()
    ok(at)
    assert at.title[0].value == "Data"


def test_ranked_bars_show_the_top_30_unless_all_are_asked_for():
    import pandas as pd

    from ui import charts

    df = pd.DataFrame({"label": [f"r{i}" for i in range(40)], "value": list(range(40))})
    assert list(charts.top(df, False)["value"]) == list(range(39, 9, -1))
    assert len(charts.top(df, True)) == 40 and len(charts.top(df.head(31), False)) == 31
