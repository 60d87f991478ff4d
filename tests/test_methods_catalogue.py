"""Every encoded method reproduces numbers worked by hand from its rules (POLICY.md), on small tables."""

import numpy as np
import pandas as pd
import pytest

from compensation.allocation import allocate, list_methods, load_method
from compensation.allocation.components import floor_shares
from compensation.problems import InputError

ZERO_COLS = ["land_area_km2", "redline_total_km2", "redline_water_conservation_km2", "redline_biodiversity_km2",
             "redline_soil_conservation_km2", "redline_sand_fixation_km2", "redline_coastal_km2", "population_10k",
             "gdp_100m_cny", "budget_revenue_100m_cny", "budget_expenditure_100m_cny", "std_revenue_100m_cny",
             "std_expenditure_100m_cny", "eco_std_expenditure_100m_cny", "national_reserves_n",
             "national_reserves_km2", "forest_parks_n", "forest_parks_km2", "forest_rangers_n", "kefz_county",
             "eco_quality_score"]


def table(n, **cols):
    df = pd.DataFrame({"adcode": [f"{360100 + i}" for i in range(n)], "name_zh": [f"县{i}" for i in range(n)],
                       "name_en": [f"C{i}" for i in range(n)]})
    for c in ZERO_COLS:
        df[c] = 0.0
    df["eco_quality_class"] = "基本稳定"
    for c, v in cols.items():
        df[c] = v
    return df


def run(df, method, budget=1000, year=2023, **kw):
    return allocate(df, method, budget=budget, budget_unit="万元", unit="万元", year=year, **kw)


def kefz_table():
    return table(
        3, kefz_county=[1.0, 1, 1], land_area_km2=[100.0, 100, 100], redline_total_km2=[50.0, 10, 30],
        national_reserves_km2=[100.0, 100, 0], national_reserves_n=[1.0, 1, 0], forest_parks_km2=[0.0, 100, 100],
        forest_parks_n=[0.0, 1, 1], forest_rangers_n=[10000.0, 0, 20000], std_expenditure_100m_cny=[50.0, 30, 20],
        eco_std_expenditure_100m_cny=[10.0, 0, 0], std_revenue_100m_cny=[20.0, 20, 30],
        eco_quality_class=["明显变好", "基本稳定", "明显变差"])


def test_cn_kefz_2017_worked_by_hand():
    # worked by hand, 2018, budget 100亿 = 1,000,000万元:
    # rangers are paid exactly at 10,000 元/人: 10,000 and 20,000 rangers → [10000, 0, 20000]万 (3亿);
    # the formula shares the rest, 1,000,000 − 30,000 = 970,000万:
    # prohibited pool 15% × 970,000 = 145,500; key 0.4×[.5,.5,0] + 0.2×[.5,.5,0] + 0.2×[0,.5,.5] + 0.2×[0,.5,.5]
    #   = [.3,.5,.2] → [43,650, 72,750, 29,100]
    # key subsidy takes the residual 970,000 − 145,500 = 824,500 by gap × coefficient:
    #   gaps 50 + 10 − 20 = 40, 30 − 20 = 10, 20 − 30 → 0; red-line shares .5, .1, .3 → tiers 1.0, 0.6, 0.8
    #   → keys 40, 6, 0 → [824,500×40/46, 824,500×6/46, 0]
    # reward: 明显变好 +5% of R0's key; 明显变差 −10% of R2's key 0 → 0
    # the formula parts add up to 970,000 + reward > 970,000: they scale by 970,000 / (970,000 + reward);
    # the rangers do not scale.
    res = run(kefz_table(), "cn_kefz_2017", budget=1_000_000, year=2018)
    key = np.array([824500 * 40 / 46, 824500 * 6 / 46, 0])
    raw = {"prohibited": [43650, 72750, 29100], "key": key, "reward": [0.05 * key[0], 0, 0]}
    scale = 970_000 / sum(np.sum(v) for v in raw.values())
    for comp, v in raw.items():
        np.testing.assert_allclose(res.table[comp], np.array(v) * scale, rtol=1e-9)
    assert res.table["rangers"].tolist() == [10000, 0, 20000]
    assert res.table["exact"].tolist() == [10000, 0, 20000]
    assert int(res.table["final"].sum()) == 1_000_000
    assert abs(res.table["final"] - res.table["target"]).max() < 1
    assert res.parameters["rangers.rate"] == {**res.parameters["rangers.rate"], "value": 10000, "status": "published"}
    with pytest.raises(InputError, match="no value in force in 2016"):
        run(kefz_table(), "cn_kefz_2017", year=2016)


def test_cn_kefz_2017_rangers_paid_at_the_rate_whatever_the_pool():
    # the case: at a larger pool the rangers were rescaled with it (10,055 元 per person); paid exactly,
    # each ranger gets 10,000 元 = 1万元 at any pool: 10,000 rangers → 10,000万, 20,000 → 20,000万 (2019)
    for budget in (1_000_000, 1_091_000, 5_000_000):
        res = run(kefz_table(), "cn_kefz_2017", budget=budget, year=2019)
        assert res.table["rangers"].tolist() == [10000, 0, 20000]
        assert int(res.table["final"].sum()) == budget


def test_cn_kefz_2017_without_rangers_from_2020_and_says_so():
    # rangers move to the forestry fund from 2020: the 2017 method for 2020+ does not compute them, says so, and
    # the formula shares the whole budget (as cn_kefz_2022 does: same numbers)
    res = run(kefz_table(), "cn_kefz_2017", budget=1_000_000, year=2020)
    assert res.table["rangers"].tolist() == [0, 0, 0] and "exact" not in res.table
    info = [p.message_en for p in res.diagnostics if p.severity == "info"]
    assert any("component 'rangers' (ecological forest ranger subsidy) is in force …–2019, not in 2020" in m
               for m in info)
    same = run(kefz_table(), "cn_kefz_2022", budget=1_000_000, year=2023)
    assert res.table["final"].tolist() == same.table["final"].tolist()


def test_exact_parts_exceeding_the_pool_are_reported():
    # 30,000万 of rangers (2019) against a pool of 20,000万: infeasible, short by 10,000万, the minimum pool named
    res = run(kefz_table(), "cn_kefz_2017", budget=20_000, year=2019)
    assert res.status == "infeasible" and "final" not in res.table
    msg = " ".join(p.message_en for p in res.diagnostics if p.severity == "error")
    assert "ecological forest ranger subsidy" in msg and "raise the pool to at least 30,000 万元" in msg
    # a cap below a region's exact amount is named with the region and the amount owed
    from compensation.allocation import Constraints

    res = run(kefz_table(), "cn_kefz_2017", budget=1_000_000, year=2019,
              constraints=Constraints(caps={"360102": 15_000}))
    msg = " ".join(p.message_en for p in res.diagnostics if p.severity == "error")
    assert res.status == "infeasible" and "360102 县2" in msg and "at least 20,000 万元" in msg


def test_cn_kefz_2022_worked_by_hand():
    # worked by hand: as 2017 without rangers: residual 100 − 15 = 85亿 → key [85×40/46, 85×6/46, 0]
    # = [73.913, 11.087, 0]; reward +5% × 73.913 = 3.696; raw total 103.696亿.
    res = run(kefz_table(), "cn_kefz_2022", budget=1_000_000, year=2023)
    raw = {"prohibited": [45000, 75000, 30000], "key": [850000 * 40 / 46, 850000 * 6 / 46, 0],
           "reward": [0.05 * 850000 * 40 / 46, 0, 0]}
    scale = 1_000_000 / sum(np.sum(v) for v in raw.values())
    for comp, v in raw.items():
        np.testing.assert_allclose(res.table[comp], np.array(v) * scale, rtol=1e-9)
    assert "rangers" not in res.table


def test_cn_kefz_falls_back_only_as_declared():
    # province-like data: no standard revenue/expenditure, no key-county flag → declared fallbacks, each said
    df = kefz_table().drop(columns=["std_revenue_100m_cny", "std_expenditure_100m_cny",
                                    "eco_std_expenditure_100m_cny", "kefz_county"])
    df["budget_revenue_100m_cny"] = [20.0, 20, 30]
    df["budget_expenditure_100m_cny"] = [60.0, 30, 20]
    res = run(df, "cn_kefz_2022", budget=1_000_000)
    text = " ".join(p.message_en for p in res.diagnostics)
    assert "'std_revenue_100m_cny' is absent; using 'budget_revenue_100m_cny'" in text
    assert "every region is treated as eligible" in text
    # same gaps (60 − 20 = 40, 10, 0) → the same key amounts as with standard figures
    np.testing.assert_allclose(res.table["key"], run(kefz_table(), "cn_kefz_2022", budget=1_000_000).table["key"])
    # a column with no declared fallback is an error naming method, component and column
    with pytest.raises(InputError) as e:
        run(df.drop(columns=["national_reserves_km2"]), "cn_kefz_2022")
    assert "cn_kefz_2022" in str(e.value) and "prohibited" in str(e.value) and "national_reserves_km2" in str(e.value)


def test_jiangxi_basin_worked_by_hand():
    # worked by hand (declared proxies): water quality & red line 0.5 × [30, 10]/40 = [.375, .125];
    # governance 0.2 × [60, 40]/100 = [.12, .08]; forest 0.2 × [0, 50]/50 = [0, .2];
    # water resources 0.1 × [10, 10]/20 = [.05, .05] → [.545, .455] → 1000万: 545, 455.
    df = table(2, redline_total_km2=[30.0, 10], eco_quality_score=[60.0, 40], forest_parks_km2=[0.0, 50],
               redline_water_conservation_km2=[10.0, 10])
    assert run(df, "jiangxi_basin").table["final"].tolist() == [545, 455]
    # a major incident in C0 deducts 30% of its amount, carried to next year's pool (not shared this year):
    # 0.3 × 545 = 163.5 → 164 (half up); C0 gets 545 − 164 = 381, C1 455; carried out 164 = 1000 − 836.
    df["major_incident"] = [1.0, 0]
    res = run(df, "jiangxi_basin")
    assert res.table["final"].tolist() == [381, 455]
    assert res.table["carried_out"].tolist() == [164, 0] and res.carried_out == 164
    assert res.table["incident"].tolist() == [-164, 0]
    # next year's pool gets the 164: with carried_in=164 and no incident, 1,164 shared .545/.455:
    # 634.38, 529.62 → 634, 530
    df["major_incident"] = [0.0, 0]
    nxt = run(df, "jiangxi_basin", carried_in=164)
    assert nxt.table["final"].tolist() == [634, 530] and nxt.carried_in == 164


def test_jiangxi_declared_base_paid_exactly():
    # the case: a declared 5,000万 base was rescaled with the pool (4,883万). Paid as declared, the
    # factors share the rest: budget 10,000万, C0 base 5,000 → factors 5,000 × [.545, .455] = [2,725, 2,275];
    # C0 = 5,000 + 2,725 = 7,725, C1 = 2,275.
    df = table(2, redline_total_km2=[30.0, 10], eco_quality_score=[60.0, 40], forest_parks_km2=[0.0, 50],
               redline_water_conservation_km2=[10.0, 10])
    res = run(df, "jiangxi_basin", budget=10_000, overrides={"base.amounts": {"360100": 5000}})
    assert res.table["base"].tolist() == [5000, 0]
    assert res.table["final"].tolist() == [7725, 2275]


def test_hainan_non_kefz_worked_by_hand():
    # worked by hand: C2 is a national key county, not eligible. Basic part (50% = 500):
    # 0.20×[.25,.75] + 0.25×[.5,.5] + 0.20×[0,1] + 0.20×[1,0] + 0.15×[.75,.25] = [.4875, .5125] → [243.75, 256.25];
    # incentive part (500) by score [80, 20] → [400, 100]; totals 643.75, 356.25 → largest remainder: 644, 356, 0.
    df = table(3, kefz_county=[0.0, 0, 1], redline_water_conservation_km2=[10.0, 30, 99],
               forest_parks_km2=[50.0, 50, 99], redline_coastal_km2=[0.0, 20, 99], national_reserves_km2=[100.0, 0, 99],
               population_10k=[30.0, 10, 99], eco_quality_score=[80.0, 20, 99])
    assert run(df, "hainan_non_kefz").table["final"].tolist() == [644, 356, 0]


def test_national_parks_worked_by_hand():
    # worked by hand: 0.4×[.75,.25] + 0.3×[.5,.5] + 0.2×[.25,.75] + 0.1×[.9,.1] = [.59, .41] → 590, 410
    df = table(2, national_reserves_km2=[300.0, 100], redline_biodiversity_km2=[50.0, 50], population_10k=[10.0, 30],
               eco_quality_score=[90.0, 10])
    assert run(df, "national_parks").table["final"].tolist() == [590, 410]


def test_protected_area_score_worked_by_hand():
    # worked by hand: eligible C0 (F 95 ≥ 90) and C1 (F 70 ≥ 60, improved); not C2 (70, worse) nor C3 (50).
    # R × F / 100: C0 1.5 × 0.95 = 1.425, C1 1.0 × 0.70 = 0.70; A = 1000 / 2.125
    # → C0 670.588, C1 329.412 → 671, 329, 0, 0.
    df = table(4, eco_quality_score=[95.0, 70, 70, 50], national_reserves_n=[1.0, 0, 2, 3],
               eco_quality_class=["基本稳定", "一般变好", "轻微变差", "明显变好"])
    res = run(df, "protected_area_score")
    assert res.table["final"].tolist() == [671, 329, 0, 0]
    assert "不符合" in res.explain("县2")


def test_india_fc15_worked_by_hand():
    # worked by hand, with the benchmark set to the highest income (rank 1; the method's own is the Commission's
    # third-highest, tested in test_policy_files): per-capita income 300/10 = 30, 100/10 = 10, 100/20 = 5;
    # distance × population: 0, 20×10 = 200, 25×20 = 500 → [0, 2/7, 5/7]
    # key = .45×[0, .2857, .7143] + .15×[.25,.25,.5] (population) + .15×[.1,.1,.8] (area)
    #     + .10×[0,.5,.5] (red line for forest) + .125×[.25,.25,.5] (population for demography)
    #     + .025×[.2,.4,.4] (tax effort: revenue/GDP .1, .2, .1 × population 10, 10, 20 = 1, 2, 2)
    #     = [.08875, .272321, .638929] → 10,000万: 887.5, 2723.21, 6389.29 → 888, 2723, 6389.
    df = table(3, gdp_100m_cny=[300.0, 100, 100], population_10k=[10.0, 10, 20], land_area_km2=[100.0, 100, 800],
               redline_total_km2=[0.0, 50, 50], budget_revenue_100m_cny=[30.0, 20, 10])
    res = run(df, "india_fc15", budget=10_000, overrides={"income.benchmark_rank": 1})
    assert res.table["final"].tolist() == [888, 2723, 6389]


def test_area_floor_share_worked_by_hand():
    # worked by hand: shares .005, .5, .495 with a 2% floor → .02, and the rest .98 × [.5, .495]/.995
    np.testing.assert_allclose(floor_shares([0.005, 0.5, 0.495], 0.02),
                               [0.02, 0.98 * 0.5 / 0.995, 0.98 * 0.495 / 0.995])
    with pytest.raises(InputError, match="adds up to 100% or more"):
        run(table(60, land_area_km2=1.0, population_10k=1.0, gdp_100m_cny=1.0), "india_fc15")


def test_parana_icms_ecologico_worked_by_hand():
    # worked by hand: CCB = Σ unit area / municipal area × Fc: C0 10×1.0/100 = .1, C1 100×0.7/400 = .175
    # → [.3636, .6364] of the conservation half (500) = [181.82, 318.18];
    # catchments 20/100 = .2, 20/400 = .05 → [.8, .2] of 500 = [400, 100]; totals 581.82, 418.18 → 582, 418.
    df = table(2, land_area_km2=[100.0, 400], national_reserves_km2=[10.0, 0], forest_parks_km2=[0.0, 100],
               redline_water_conservation_km2=[20.0, 20])
    assert run(df, "parana_icms_ecologico").table["final"].tolist() == [582, 418]


def test_portugal_fgm_worked_by_hand():
    # worked by hand: C0 is 80% Natura (> 70%) → area 20%, Natura 10%; C1 keeps 25% and 5%.
    # C0: .05×.5 + .65×.75 + .20×.5 + .10×(80/90) = .701389; C1: .05×.5 + .65×.25 + .25×.5 + .05×(10/90) = .318056
    # shares .701389/1.019444 = .688011 → 688.01, 311.99 → 688, 312.
    df = table(2, population_10k=[30.0, 10], land_area_km2=[100.0, 100], national_reserves_km2=[80.0, 10])
    assert run(df, "portugal_fgm").table["final"].tolist() == [688, 312]


def test_every_model_file_is_complete():
    names = {m["name"] for m in list_methods()}
    assert names >= {"redline_function_weighted", "cn_kefz_2017", "cn_kefz_2022", "jiangxi_basin", "hainan_non_kefz",
                     "national_parks", "protected_area_score", "india_fc15", "parana_icms_ecologico", "portugal_fgm"}
    for name in names:
        m = load_method(name)
        assert m.jurisdiction_zh and m.jurisdiction_en and m.sources
        for src in m.sources.values():
            assert src.get("title") and "http" not in str(src)  # documents, not mirror addresses
        for p in m.parameters.values():
            assert p.label_zh and p.label_en and p.source in m.sources
            assert all(status in ("published", "assumption", "calibrated") for _, _, status in p.values)
