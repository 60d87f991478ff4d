"""Back-test page: the statistics are those of `ecocomp backtest`, and the reform's gains and losses are the
numbers `ecocomp compare current_practice_2023 redline_reform_2023` prints (same core functions)."""

from __future__ import annotations

from conftest import metric, ok, page, table_with

from compensation.calibration import read_published
from compensation.calibration.backtest import backtest
from compensation.compare import region_diff
from compensation.data import KEFZ_2020_TABLE, load_regions
from compensation.gains import gains_losses
from compensation.run import compute
from compensation.scenario import load_scenario


def test_backtest_statistics_equal_the_command():
    at = ok(page("backtest").run())
    regions = load_regions()
    bt = backtest("cn_kefz_2017_calibrated_kefz_2020_by_province_partial", regions,
                  read_published(KEFZ_2020_TABLE, regions), 2020)
    assert metric(at, "平均绝对份额误差") == f"{bt.stats['mae_pp']:.2f} pp"
    assert metric(at, "Spearman") == f"{bt.stats['spearman']:.3f}"
    t = table_with(at, "adcode", "residual_pp")
    assert len(t) == 13 and abs(t["residual_pp"].abs().mean() - bt.stats["mae_pp"]) < 1e-9


def test_method_switch_changes_the_backtest():
    at = ok(page("backtest").run())
    at.selectbox(key="bt_method").set_value("redline_function_weighted").run()
    ok(at)
    assert metric(at, "最大份额误差") == "14.10 pp"  # 内蒙古 +14.10 pp (docs/calibration.md)


def test_reform_gains_and_losses_equal_the_compare_command():
    at = ok(page("backtest").run())
    base = compute(load_scenario("current_practice_2023")).results[2023].allocation.table
    scen = compute(load_scenario("redline_reform_2023")).results[2023].allocation.table
    g = gains_losses(region_diff(base, scen), "万元")
    assert metric(at, "增加的地区") == str(g["gainers"]) and metric(at, "减少的地区") == str(g["losers"])
    assert any(i.value == g["text_zh"] for i in at.info)
    assert g["gainers"] + g["losers"] + g["unchanged"] == 31
