"""Two-tier allocation (compensation/cascade.py): a hand-worked case checked to the unit at both tiers, a
property test of exact conservation, per-province infeasibility, and agreement with the allocation API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compensation.allocation import Constraints
from compensation.cascade import HELD_LEVEL, Tier2, province_allocation, retained_amount, run_cascade
from compensation.problems import InputError

SHARE_METHOD = """
name: share_of_redline
label: {zh: 按红线面积占比, en: share of red-line area}
jurisdiction: {zh: 测试, en: test}
description: the budget in proportion to red-line area (a test method)
sources: {t: {title: test, date: "2024"}}
parameters:
  pool.all:
    label: {zh: 资金占比, en: share of the budget}
    unit: "1"
    source: t
    values: {"2015-01-01": {value: 1.0, status: assumption}}
components:
  - name: redline
    type: weighted_share
    label: {zh: 红线补助, en: red-line part}
    pool: pool.all
    indicators:
      - {name: redline, weight: 1.0, normalise: share, value: {column: redline_total_km2}}
"""


@pytest.fixture(scope="module")
def share_method(tmp_path_factory):
    p = tmp_path_factory.mktemp("methods") / "share_of_redline.yaml"
    p.write_text(SHARE_METHOD, encoding="utf-8")
    return str(p)


def _counties(redline, last=None, provinces=("110000", "120000")):
    """Three counties per province (codes p[:2] + '01NN'), red-line areas as given."""
    codes, parents = [], []
    for p in provinces:
        for k in (1, 2, 5):
            codes.append(f"{p[:2]}01{k:02d}")
            parents.append(p)
    df = pd.DataFrame({"adcode": codes, "name_zh": [f"县{c}" for c in codes], "parent_adcode": parents,
                       "level": "county", "land_area_km2": 1000.0, "redline_total_km2": np.asarray(redline, float)})
    if last is not None:
        df["last_year_amount_10k_cny"] = np.asarray(last, float)
    return df


def test_hand_worked_two_provinces_three_counties(share_method):
    """Worked by hand.
    Tier 1: red line 北京 10+30+60 = 100 km², 天津 50+50+100 = 200 km²; pool 3,000万元 → 1,000 and 2,000.
    Retention: 北京 10% → 100 kept, 900 to counties; 天津 5% → 100 kept, 1,900 to counties.
    北京 counties: targets 90, 270, 540; 110101 has a floor of 150 → 150; the other 750 go 30:60 → 250, 500.
    天津 counties: targets 475, 475, 950; floor 90% of last year (600, 400, 1,000) → 540, 360, 900: 120101 is
    raised to 540; the other 1,360 go 50:100 → 453⅓, 906⅔ (both above their floors) → rounded 453, 907."""
    counties = _counties([10, 30, 60, 50, 50, 100], last=[100, 100, 100, 600, 400, 1000])
    t2 = Tier2(default_method=share_method, retention={"110000": 0.10, "default": 0.05},
               constraints=Constraints(floor_ratio=0.9, floors={"110101": 150}))
    res = run_cascade(counties, 3000, "万元", 2023, share_method, "counties", tier2=t2)
    assert res.ok and res.amounts == {"110000": 1000, "120000": 2000}
    o1, o2 = res.outcomes["110000"], res.outcomes["120000"]
    assert (o1.retained, o1.to_counties, o2.retained, o2.to_counties) == (100, 900, 100, 1900)
    final = res.counties.set_index("adcode")["final"].to_dict()
    assert {k: final[k] for k in ("110101", "110102", "110105")} == {"110101": 150, "110102": 250, "110105": 500}
    assert {k: final[k] for k in ("120101", "120102", "120105")} == {"120101": 540, "120102": 453, "120105": 907}
    b = res.counties.set_index("adcode")["binding"]
    assert b["110101"] == "floor" and b["120101"] == "floor" and b["120102"] == ""
    # the held lines carry the retention, so the county table adds up to the pool exactly
    held = res.counties[res.counties["level"] == HELD_LEVEL].set_index("adcode")["final"].to_dict()
    assert held == {"110000": 100, "120000": 100}
    assert int(res.counties["final"].sum()) == 3000
    prov = res.provinces.set_index("adcode")
    assert prov.loc["110000", "final"] == 1000 and prov.loc["120000", "county_sum"] == 1900


def test_retention_rounds_half_up():
    assert retained_amount(1005, 0.1) == 101  # 100.5 → 101
    assert retained_amount(1004, 0.1) == 100  # 100.4 → 100
    assert retained_amount(7, 0.0) == 0


def test_infeasible_province_is_reported_in_words_and_the_others_still_run(share_method):
    """天津's floors (90% of 3,000 + 3,000 + 3,000 = 8,100) exceed its 1,900 for counties: 天津 is reported in
    words and its 1,900 held at province level; 北京 is allocated as before."""
    counties = _counties([10, 30, 60, 50, 50, 100], last=[100, 100, 100, 3000, 3000, 3000])
    t2 = Tier2(default_method=share_method, retention={"110000": 0.10, "default": 0.05},
               constraints=Constraints(floor_ratio=0.9, floors={"110101": 150}))
    res = run_cascade(counties, 3000, "万元", 2023, share_method, "counties", tier2=t2)
    assert res.failed == ["120000"]
    msg = [p.message_zh for p in res.diagnostics if p.severity == "error"]
    assert any(m.startswith("天津市:各县下限合计 8,100万元,超过拨付县级金额 1,900万元") for m in msg), msg
    final = res.counties.set_index("adcode")["final"]
    assert final["110102"] == 250 and "120101" not in final.index
    assert final["120000"] == 2000  # 100 retained + 1,900 held because tier 2 failed
    assert int(res.counties["final"].sum()) == 3000


def test_no_eligible_county_is_declared_not_zeroed(share_method):
    """hainan_non_kefz pays only counties outside the national key zones; if every county is a key-zone
    county the province says so and holds the money, rather than paying zeros."""
    counties = _counties([10, 30, 60, 50, 50, 100], provinces=("460000", "120000"))
    counties["kefz_county"] = 1.0
    for col in ("population_10k", "redline_water_conservation_km2", "forest_parks_km2", "redline_coastal_km2",
                "national_reserves_km2", "eco_quality_score"):
        counties[col] = 10.0
    res = run_cascade(counties, 3000, "万元", 2023, share_method, "counties",
                      tier2=Tier2(default_method=share_method, by_province={"460000": "hainan_non_kefz"}))
    assert res.failed == ["460000"]
    err = " ".join(p.message_en for p in res.diagnostics if p.severity == "error")
    assert "海南省: no county is eligible under 'hainan_non_kefz'" in err
    assert int(res.counties["final"].sum()) == 3000


def test_given_tier1_amounts_run_only_those_provinces(share_method):
    """A published table: 天津 gets 1,234 whatever the method says; 北京 is not in the table, so not run."""
    counties = _counties([10, 30, 60, 50, 50, 100])
    res = run_cascade(counties, 0, "万元", 2023, share_method, "counties", amounts={"120000": 1234},
                      tier2=Tier2(default_method=share_method))
    assert res.pool == 1234 and list(res.outcomes) == ["120000"] and res.basis == "given (counties)"
    final = res.counties.set_index("adcode")["final"]
    # 1,234 by red line 50:50:100 → 308.5, 308.5, 617 → ties broken by code: 120101 gets the unit
    assert final.loc[["120101", "120102", "120105"]].tolist() == [309, 308, 617]


def test_bad_county_key_and_province_code_are_input_errors(share_method):
    counties = _counties([10, 30, 60, 50, 50, 100])
    with pytest.raises(InputError, match="no county with code 999999"):
        run_cascade(counties, 3000, "万元", 2023, share_method, tier2=Tier2(
            default_method=share_method, constraints=Constraints(floors={"999999": 5})))
    with pytest.raises(InputError, match="'990000' is not a province code"):
        run_cascade(counties, 3000, "万元", 2023, share_method, tier2=Tier2(by_province={"990000": share_method}))


@pytest.fixture(scope="module")
def synthetic():
    from compensation.synth import synthetic_counties

    return synthetic_counties()


def test_tier2_equals_the_allocation_api_for_every_province(synthetic):
    """The cascade's closed form per province gives the same integers as allocate() on that province."""
    t2 = Tier2(by_province={"360000": "jiangxi_basin"}, retention=0.05,
               constraints=Constraints(floor_ratio=0.5, cap_ratio=3.0))
    res = run_cascade(synthetic, 10_910_000, "万元", 2023, "redline_function_weighted", "counties", tier2=t2)
    ok = [p for p, o in res.outcomes.items() if o.status == "optimal"]
    assert len(ok) >= 25
    final = res.counties.set_index("adcode")["final"]
    for p in ok:
        a = province_allocation(res, p)
        assert a.table.set_index("adcode")["final"].equals(final.loc[a.table["adcode"]].rename("final")), p


def test_explain_names_both_tiers(synthetic):
    res = run_cascade(synthetic, 10_910_000, "万元", 2023, "redline_function_weighted", "counties",
                      tier2=Tier2(by_province={"360000": "jiangxi_basin"}, retention=0.1))
    county = res.counties[(res.counties["parent_adcode"] == "360000") & (res.counties["level"] == "county")].iloc[0]
    text = res.explain(county["adcode"])
    assert text.startswith("一级(中央对省):江西省(360000)") and "省级统筹 10%" in text
    assert f"二级(省对县,按「江西省流域生态补偿」):{county['name_zh']}" in text
    assert f"该县最终得到 {int(county['final']):,}万元" in text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_province_adds_up_exactly(data, share_method):
    """Random counties, pools, retention shares, per-province methods and floors: every province's county
    amounts plus what it holds equal its tier-1 amount, and the county table adds up to the pool."""
    provs = ["110000", "120000", "130000", "360000"]
    n = data.draw(st.lists(st.integers(1, 6), min_size=4, max_size=4))
    rows = []
    for p, k in zip(provs, n, strict=True):
        for j in range(k):
            rows.append({"adcode": f"{p[:2]}01{j + 1:02d}", "parent_adcode": p})
    df = pd.DataFrame(rows)
    m = len(df)
    df["name_zh"] = df["adcode"]
    df["level"] = "county"
    df["land_area_km2"] = 1000.0
    df["redline_total_km2"] = data.draw(st.lists(st.floats(0.5, 5000), min_size=m, max_size=m))
    for col in ("redline_water_conservation_km2", "redline_biodiversity_km2", "redline_soil_conservation_km2",
                "redline_sand_fixation_km2", "redline_coastal_km2"):
        df[col] = df["redline_total_km2"] / 5
    df["budget_revenue_100m_cny"] = data.draw(st.lists(st.floats(1, 100), min_size=m, max_size=m))
    df["budget_expenditure_100m_cny"] = data.draw(st.lists(st.floats(1, 300), min_size=m, max_size=m))
    df["population_10k"] = data.draw(st.lists(st.floats(1, 200), min_size=m, max_size=m))
    df["last_year_amount_10k_cny"] = data.draw(st.lists(st.floats(0, 500), min_size=m, max_size=m))
    pool = data.draw(st.integers(1, 10**7))
    methods = {p: data.draw(st.sampled_from([share_method, "redline_function_weighted"])) for p in provs}
    retention = {p: data.draw(st.floats(0, 0.3)) for p in provs}
    floor = data.draw(st.sampled_from([None, 0.5, 0.95]))
    res = run_cascade(df, pool, "万元", 2023, share_method, "counties",
                      tier2=Tier2(by_province=methods, retention=retention,
                                  constraints=Constraints(floor_ratio=floor)))
    assert sum(res.amounts.values()) == pool
    t = res.counties
    assert t["final"].dtype == np.int64 and (t["final"] >= 0).all()
    assert int(t["final"].sum()) == pool
    by_p = t.groupby("parent_adcode")["final"].sum()
    for p, o in res.outcomes.items():
        assert int(by_p.get(p, 0)) == o.amount
        if o.status == "optimal":
            assert int(t[(t["parent_adcode"] == p) & (t["level"] == "county")]["final"].sum()) == o.to_counties


def test_one_province_redone_leaves_the_others(share_method):
    """北京 at 20% retention instead of 10%: 200 kept, 800 for counties (floor 150 on 110101, the other 650
    go 30:60 → 216⅔, 433⅓ → 217, 433); 天津 unchanged; the pool still adds up."""
    from compensation.cascade import with_province

    counties = _counties([10, 30, 60, 50, 50, 100], last=[100, 100, 100, 600, 400, 1000])
    t2 = Tier2(default_method=share_method, retention={"110000": 0.10, "default": 0.05},
               constraints=Constraints(floor_ratio=0.9, floors={"110101": 150}))
    res = run_cascade(counties, 3000, "万元", 2023, share_method, "counties", tier2=t2)
    new = with_province(res, "110000", retention_rate=0.2)
    final = new.counties.set_index("adcode")["final"]
    assert final.loc[["110101", "110102", "110105", "110000"]].tolist() == [150, 217, 433, 200]
    assert final.loc[["120101", "120102", "120105"]].tolist() == [540, 453, 907]
    assert int(new.counties["final"].sum()) == 3000 and res.outcomes["110000"].retained == 100


def test_a_province_can_have_its_own_county_ratios(share_method):
    """As the hand-worked case, but 天津's own floor is 50% of last year (300, 200, 500): no floor binds, so its
    counties get their targets 475, 475, 950 exactly; 北京 keeps the common 90% and its 150 floor."""
    counties = _counties([10, 30, 60, 50, 50, 100], last=[100, 100, 100, 600, 400, 1000])
    t2 = Tier2(default_method=share_method, retention={"110000": 0.10, "default": 0.05},
               constraints=Constraints(floor_ratio=0.9, floors={"110101": 150}),
               ratios_by_province={"120000": {"floor_ratio": 0.5}})
    res = run_cascade(counties, 3000, "万元", 2023, share_method, "counties", tier2=t2)
    final = res.counties.set_index("adcode")["final"]
    assert final.loc[["120101", "120102", "120105"]].tolist() == [475, 475, 950]
    assert final.loc[["110101", "110102", "110105"]].tolist() == [150, 250, 500]
