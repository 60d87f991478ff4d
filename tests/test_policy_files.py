"""Policy files checked against their documents (issue #9, "policy files that do not match their documents").
Each expected number is worked by hand from the document the file cites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compensation.allocation import load_method
from compensation.allocation.methods import compute_targets
from compensation.horizontal import load_agreement, run_horizontal
from compensation.horizontal.monitoring import monthly_table
from compensation.scenario import budget_for_years, load_scenario


def test_horizontal_2020_pool_is_794_5_yi():
    # 2020 KEFZ total = cumulative 2008–2020 (6,035.5亿) − cumulative 2008–2019 (5,241亿) = 794.5亿 = 7,945,000万
    sc = load_scenario("horizontal_2020")
    assert budget_for_years(sc.spec, [2020], "万元") == {2020: 7_945_000}


def _portugal_regions(natura_a: float, natura_b: float) -> pd.DataFrame:
    return pd.DataFrame({"adcode": ["A", "B"], "population_10k": [1.0, 1.0], "land_area_km2": [100.0, 100.0],
                         "natura_km2": [natura_a, natura_b]})


def test_portugal_weight_switch_is_over_70_percent_not_at():
    # Lei 73/2013: municipalities with MORE than 70% Natura/protected: area 20% + Natura 10% (else 25% + 5%).
    # A has exactly 70% → ordinary weights; B has 71% → the other weights. By hand (equal 5%, population 65%,
    # each half of the equal, population and area totals; Natura shares 70/141 and 71/141):
    #   key A = 0.05·½ + 0.65·½ + 0.25·½ + 0.05·70/141 = 0.475 + 3.5/141
    #   key B = 0.05·½ + 0.65·½ + 0.20·½ + 0.10·71/141 = 0.450 + 7.1/141
    m = load_method("portugal_fgm")
    comp, _ = compute_targets(m, _portugal_regions(70.0, 71.0), 1e6, 2023)
    key_a, key_b = 0.475 + 3.5 / 141, 0.450 + 7.1 / 141
    got = comp["fgm"].to_numpy()
    assert got == pytest.approx(1e6 * np.array([key_a, key_b]) / (key_a + key_b), rel=1e-12)
    # at 70.01% both municipalities are over the line: the same (other) weights for both
    comp2, _ = compute_targets(m, _portugal_regions(70.01, 71.0), 1e6, 2023)
    key_a2, key_b2 = 0.45 + 0.1 * 70.01 / 141.01, 0.45 + 0.1 * 71 / 141.01
    assert comp2["fgm"].to_numpy() == pytest.approx(1e6 * np.array([key_a2, key_b2]) / (key_a2 + key_b2), rel=1e-12)


def test_xinan_round2_transfer_is_marked_conflicting_and_warned():
    # sources report round 2's transfer both as 2亿 and as 1亿: the file says so, and a run warns about it
    ag = load_agreement("xinan_round2")
    assert ag.params["transfer"]["status"] == "conflicting"
    assert ag.value("transfer") == 20000
    mon = monthly_table("街口", 2016, codmn=2.0, nh3n=0.10, tn=1.30, tp=0.030)
    res = run_horizontal(["xinan_round2"], mon, 2016)
    warned = [p.message_en for p in res.diagnostics if p.severity == "warning"]
    assert any("xinan_round2: published sources disagree on 'transfer'" in w for w in warned)
    # P = 0.89 × Σ 0.25 × 1 = 0.89 ≤ 1 → 浙江 pays 安徽 the 2亿 reading
    assert res.ledger["amount"].tolist() == [20000]


def test_parana_p_is_an_assumption():
    m = load_method("parana_icms_ecologico")
    assert [s for (_, _, s) in m.parameters["weights.ccb"].values] == ["assumption"]
    assert "weights.ccb" in m.summary()["assumption_parameters"]


# --- horizontal agreements -------------------------------------------------------------------------------

def test_snwd_henan_source_area_case_to_the_hundredth_of_a_wan():
    # published study case: 24,387.43万 for the Henan source area, paid 北京 19.5%, 天津 10.5%, 河北 31.5%,
    # 河南 38.5% (河南 pays its own source area, a party of its own: "410000/水源区"). By hand:
    # 24,387.43 × .195 = 4,755.55; × .105 = 2,560.68; × .315 = 7,682.04; × .385 = 9,389.16 (万元, to 0.01)
    res = run_horizontal(["snwd_henan_source_area"], None, 2020, unit="元")  # no monitoring data needed
    got = {r.payer: r.amount for r in res.ledger.itertuples()}
    assert set(res.ledger["payee"]) == {"410000/水源区"}
    assert {k: round(v / 1e4, 2) for k, v in got.items()} == {
        "110000": 4755.55, "120000": 2560.68, "130000": 7682.04, "410000": 9389.16}
    assert sum(got.values()) == 243_874_300  # 24,387.43万 exactly, in 元
    pos = res.net_positions.set_index("adcode")
    assert pos.loc["410000/水源区", "net"] == 243_874_300 and pos.loc["410000", "net"] == -93_891_605
    assert res.status == "optimal"


def test_monitoring_needed_only_by_rules_that_read_it():
    from compensation.problems import InputError

    with pytest.raises(InputError, match="monitoring data are needed by lushui"):
        run_horizontal(["lushui", "snwd_henan_source_area"], None, 2020)


def _ting(year_classes: dict[int, list[str]]) -> pd.DataFrame:
    return pd.concat([monthly_table("汀江跨省断面", y, water_class=c) for y, c in year_classes.items()],
                     ignore_index=True)


FJ, GD = "350000", "440000"


def test_tingjiang_stable_water_with_one_bad_month_downstream_pays():
    # 11 months class II and one class IV: the year's class (median month) is II, stable at standard → 广东 pays
    # 福建 the 1亿 (before: the 100% monthly target made one bad month send 1亿 the other way)
    mon = _ting({2016: ["II"] * 11 + ["IV"]})
    res = run_horizontal(["tingjiang_hanjiang"], mon, 2016)
    assert [(r.payer, r.payee, r.amount) for r in res.ledger.itertuples()] == [(GD, FJ, 10000)]


def test_tingjiang_deteriorating_upstream_pays_improving_downstream_pays():
    # 2017 class IV all year after a class-III 2016: deteriorating → 福建 pays 广东 1亿
    mon = _ting({2016: ["III"] * 12, 2017: ["IV"] * 12})
    res = run_horizontal(["tingjiang_hanjiang"], mon, 2017)
    assert [(r.payer, r.payee, r.amount) for r in res.ledger.itertuples()] == [(FJ, GD, 10000)]
    # 2017 still class IV but better than a class-V 2016, pass rate 3/12 ≥ 0/12: improving → 广东 pays 福建
    mon = _ting({2016: ["V"] * 12, 2017: ["IV"] * 9 + ["III"] * 3})
    res = run_horizontal(["tingjiang_hanjiang"], mon, 2017)
    assert [(r.payer, r.payee, r.amount) for r in res.ledger.itertuples()] == [(GD, FJ, 10000)]
    assert "improving" in res.ledger["basis"].iloc[0]


def test_jiuzhou_round2_section_is_shanjiao_with_five_indicators():
    ag = load_agreement("jiuzhou_round2")
    assert [(s["id"], s["indicators"]) for s in ag.sections] == [("山角", ["ph", "codmn", "nh3n", "tp", "bod5"])]


def test_jiuzhou_ph_and_bod5_decide_the_class():
    # by hand (GB 3838-2002): CODMn 4 (II), NH3-N 0.5 (II), TP 0.1 (II) → class II on three indicators;
    # BOD5 3.5 mg/L is class III (II ≤ 3, III ≤ 4) → the month is class III: meets the class-III target.
    # pH 9.2 is outside 6–9 → 劣V: the month fails. 2018 target 75%: 9 months pass = 75% → target met,
    # 广东 pays 广西 1亿; with 4 months at pH 9.2 (8 of 12 = 66.7%) → 广西 pays 广东.
    base = {"codmn": 4.0, "nh3n": 0.5, "tp": 0.1, "bod5": 3.5}
    ok = monthly_table("山角", 2018, ph=[7.5] * 9 + [9.2] * 3, **base)
    res = run_horizontal(["jiuzhou_round2"], ok, 2018)
    assert [(r.payer, r.payee, r.amount) for r in res.ledger.itertuples()] == [("440000", "450000", 10000)]
    bad = monthly_table("山角", 2018, ph=[7.5] * 8 + [9.2] * 4, **base)
    res = run_horizontal(["jiuzhou_round2"], bad, 2018)
    assert [(r.payer, r.payee, r.amount) for r in res.ledger.itertuples()] == [("450000", "440000", 10000)]
    # BOD5 4.5 (class IV) every month: no month passes
    worse = monthly_table("山角", 2018, ph=7.5, **{**base, "bod5": 4.5})
    assert "pass rate 0.0%" in run_horizontal(["jiuzhou_round2"], worse, 2018).ledger["basis"].iloc[0]


def _india_regions() -> pd.DataFrame:
    # per-capita income (gdp / population) 10, 8, 6, 4, 2 with populations 1, 2, 3, 4, 5
    pop = np.array([1.0, 2, 3, 4, 5])
    return pd.DataFrame({"adcode": list("ABCDE"), "population_10k": pop, "gdp_100m_cny": pop * [10, 8, 6, 4, 2],
                         "budget_revenue_100m_cny": pop * [10, 8, 6, 4, 2] * [0.1, 0.2, 0.1, 0.1, 0.05],
                         "land_area_km2": [10.0, 10, 10, 10, 10], "redline_total_km2": [1.0, 1, 1, 1, 1]})


def test_india_income_distance_from_the_third_highest_income():
    # FC-XV: distance from the state with the third-highest per-capita GSDP (Haryana; Goa and Sikkim set aside).
    # By hand: benchmark = 6 → distances 0, 0, 0, 2, 4; × population → 0, 0, 0, 8, 20 → shares 0,0,0,8/28,20/28
    _, ctx = compute_targets(load_method("india_fc15"), _india_regions(), 1e6, 2023)
    np.testing.assert_allclose(ctx.trace["devolution.income_distance"], [0, 0, 0, 8 / 28, 20 / 28], rtol=1e-12)


def test_india_tax_effort_is_tax_over_gsdp_times_population():
    # FC-XV: tax effort = (own tax revenue / GSDP) × population. By hand: ratios .1, .2, .1, .1, .05;
    # × population 1..5 → .1, .4, .3, .4, .25 (sum 1.45) → shares .1/1.45, .4/1.45, .3/1.45, .4/1.45, .25/1.45
    _, ctx = compute_targets(load_method("india_fc15"), _india_regions(), 1e6, 2023)
    np.testing.assert_allclose(ctx.trace["devolution.tax_effort"], np.array([.1, .4, .3, .4, .25]) / 1.45, rtol=1e-12)
    assert any("'own_tax_revenue_100m_cny' is absent; using 'budget_revenue_100m_cny'" in p.message_en
               for p in ctx.diagnostics)


def test_horizontal_command_without_monitoring(tmp_path, capsys):
    from compensation.cli import main

    assert main(["horizontal", "--agreements", "snwd_henan_source_area", "--year", "2020", "--unit", "元",
                 "--out", str(tmp_path / "a")]) == 0
    ledger = pd.read_csv(tmp_path / "a" / "ledger.csv", encoding="utf-8-sig", dtype=str)
    assert ledger["amount"].astype(int).sum() == 243_874_300
    assert main(["horizontal", "--agreements", "lushui", "--year", "2020", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "monitoring data are needed by lushui (sections 金鱼石)" in err and "Traceback" not in err
