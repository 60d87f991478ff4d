"""Province drill-down page: 江西省's counties come from the core's cascade (same integers as the run), the
tier-2 retention is editable, and an infeasible province (天津市 at 30% retention) is a warning in words, not an error."""

from __future__ import annotations

from conftest import ok, page

from compensation.run import compute
from compensation.scenario import load_scenario
from ui.state import Keys


def _cli_county(code: str) -> int:
    t = compute(load_scenario("cascade_2023")).results[2023].cascade.counties
    return int(t.set_index("adcode").loc[code, "final"])


def test_jiangxi_county_amount_equals_the_run():
    at = ok(page("drilldown", {Keys.DD_PROVINCE: "360000", f"{Keys.DD_COUNTY}_360000": "361130"}).run())
    final = [m for m in at.metric if m.label == "该县最终金额"][0]
    assert final.value == f"{_cli_county('361130'):,} 万元"
    assert any("婺源县" in i.value and "二级(省对县,按「江西省流域生态补偿」)" in i.value for i in at.info)


def test_retention_edit_recomputes_the_province():
    at = ok(page("drilldown", {Keys.DD_PROVINCE: "360000"}).run())
    central = [m for m in at.metric if m.label == "中央资金"][0].value
    at.slider(key=f"{Keys.DD_RETENTION}_360000").set_value(20.0).run()
    ok(at)
    kept = [m for m in at.metric if m.label == "省级统筹留存"][0]
    amount = int(central.replace(",", "").split()[0])
    assert kept.value == f"{int(amount * 0.2 + 0.5):,} 万元"  # half-up, worked by hand from the central amount
    assert [m for m in at.metric if m.label == "中央资金"][0].value == central


def test_infeasible_province_is_a_warning_in_words():
    """At 30% retention 天津's counties get 3,661万元 against floors of 3,754万元 (30% of their synthetic
    last-year amounts; the same figures as `ecocomp run` of cascade_2023 with `cascade.retention: 0.3`)."""
    at = ok(page("drilldown", {Keys.DD_PROVINCE: "120000"}).run())
    assert not any("天津市" in w.value for w in at.warning)
    at.slider(key=f"{Keys.DD_RETENTION}_120000").set_value(30.0).run()
    ok(at)
    assert any("天津市" in w.value and "3,754万元" in w.value and "3,661万元" in w.value for w in at.warning), \
        [w.value for w in at.warning]
