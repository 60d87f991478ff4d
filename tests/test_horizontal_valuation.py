"""Valuation methods worked by hand from the verified rows of the factor table (D = 3,406.50 元/hm²)."""

import numpy as np
import pandas as pd
import pytest

from compensation.horizontal import valuation as val
from compensation.problems import InputError


def test_factor_table_verified_rows_match_reference():
    f = val.load_factors()
    assert len(f) == 14 and set(f["status"]) == {"verified", "recalled"}
    verified = set(f.index[f["status"] == "verified"])
    assert verified == {"dry_cropland", "paddy", "broadleaf", "shrub", "wetland", "bare", "water"}
    assert f.loc["water", list(val.SERVICES)].tolist() == [0.80, 0.23, 8.29, 0.77, 2.29, 5.55, 102.24, 0.93, 0.07,
                                                           2.55, 1.89]
    assert val.standard_value() == 3406.50


def test_esv_dry_cropland_and_water_by_hand():
    # worked by hand: dry cropland Σ E = .85+.40+.02+.67+.36+.10+.27+1.03+.12+.13+.06 = 4.01
    #   100 hm² → 100 × 4.01 × 3406.50 = 1,366,006.5 元; market (food .85 + raw .40 + water .02 = 1.27) → 432,625.5;
    #   non-market 2.74 × 340,650 = 933,381.0
    # water Σ E = 125.61 → 10 hm² × 125.61 × 3406.50 = 4,278,904.65 元; market 9.32 × 34,065 = 317,485.8;
    #   non-market 116.29 × 34,065 = 3,961,418.85
    areas = pd.DataFrame({"dry_cropland": [100.0, 0.0], "water": [0.0, 10.0]}, index=["A", "B"])
    out = val.esv(areas)
    assert out.loc["A", "esv_total"] == pytest.approx(1_366_006.5)
    assert out.loc["A", "esv_market"] == pytest.approx(432_625.5)
    assert out.loc["A", "esv_nonmarket"] == pytest.approx(933_381.0)
    assert out.loc["B", "esv_total"] == pytest.approx(4_278_904.65)
    assert out.loc["B", "esv_nonmarket"] == pytest.approx(3_961_418.85)
    assert out.loc["B", "hydrological_regulation"] == pytest.approx(10 * 102.24 * 3406.5)
    assert out.attrs["unverified"] == []


def test_esv_paddy_negative_water_supply_and_km2():
    # worked by hand: paddy Σ E = 1.36+.09−2.63+1.11+.57+.17+2.72+.01+.19+.21+.09 = 3.89; 0.01 km² = 1 hm²
    #   → 3.89 × 3406.50 = 13,251.285 元; water supply −2.63 × 3406.50 = −8,959.095 元
    out = val.esv(pd.DataFrame({"paddy": [0.01]}, index=["A"]), area_unit="km2")
    assert out.loc["A", "esv_total"] == pytest.approx(13_251.285)
    assert out.loc["A", "water_supply"] == pytest.approx(-8_959.095)


def test_esv_flags_unverified_rows_and_bad_input():
    assert val.esv(pd.DataFrame({"meadow": [1.0]}, index=["A"])).attrs["unverified"] == ["meadow"]
    with pytest.raises(InputError, match="unknown ecosystem"):
        val.esv(pd.DataFrame({"forest": [1.0]}, index=["A"]))
    with pytest.raises(InputError) as exc:
        val.esv(pd.DataFrame({"water": [-1.0]}, index=["A"]))
    assert exc.value.report.errors[0].column == "water"


def test_ecps_and_rank_by_hand():
    # worked by hand: A 933,381 元 / (0.01 亿元 = 1,000,000 元) = 0.933381; B 3,961,418.85 / 1e8 = 0.0396 → A first
    got = val.ecps(pd.Series({"A": 933_381.0, "B": 3_961_418.85}), pd.Series({"A": 0.01, "B": 1.0}))
    assert got.loc["A", "ecps"] == pytest.approx(0.933381)
    assert got.loc["B", "ecps"] == pytest.approx(0.0396141885)
    assert got["rank"].tolist() == [1, 2]


def test_payment_capacity_pearl_by_hand():
    # worked by hand: En = 0.30 × 0.6 + 0.40 × 0.4 = 0.34
    #   weighted: r = 1 / (1 + e^−0.34) = 1 / 1.711770 = 0.584191
    #   inverse: t = 1/0.34 − 3 = −0.058824 → r = 1 / (1 + e^0.058824) = 1 / 2.060588 = 0.485299
    assert val.payment_capacity(0.30, 0.40, 0.6) == pytest.approx(0.584191, abs=1e-6)
    assert val.payment_capacity(0.30, 0.40, 0.6, "inverse") == pytest.approx(0.485299, abs=1e-6)
    r = val.payment_capacity([0.3, 0.5], [0.4, 0.6], [0.6, 0.2], "inverse")
    assert r[0] > r[1]  # richer (lower Engel coefficient) pays a larger share


def test_compensation_interval_by_hand():
    # worked by hand: opportunity cost = (50,000 − 40,000) × 1,000 + (20,000 − 15,000) × 2,000 = 20,000,000 元
    # added ESV of 100 hm² dry cropland → broadleaf: broadleaf Σ E = 22.95; (22.95 − 4.01) × 100 × 3406.50
    #   = 18.94 × 340,650 = 6,451,911 元 < 20,000,000 → the interval is empty (reported, not clipped)
    oc = val.opportunity_cost(50_000, 40_000, 1_000, 20_000, 15_000, 2_000)
    assert oc == pytest.approx(20_000_000)
    now = val.esv(pd.DataFrame({"broadleaf": [100.0]}, index=["A"]))["esv_total"]
    base = val.esv(pd.DataFrame({"dry_cropland": [100.0]}, index=["A"]))["esv_total"]
    iv = val.compensation_interval(pd.Series({"A": float(oc)}), now, base)
    assert iv.loc["A", "upper"] == pytest.approx(6_451_911.0)
    assert not iv.loc["A", "consistent"]


def test_spillover_obligations_by_hand():
    # worked by hand: upstream U's non-market value 10,000,000 元 = 1,000 万元; downstream D uses 30% → D pays U
    #   300 万元; with D's payment capacity 0.5 → 150 万元
    flows = pd.DataFrame({"provider": ["U"], "user": ["D"], "share": [0.3]})
    ob = val.spillover_obligations([10_000_000.0, 0.0], flows, ["U", "D"])
    assert ob[["payer", "payee"]].values.tolist() == [["D", "U"]] and ob["amount"].iloc[0] == pytest.approx(300.0)
    ob = val.spillover_obligations([10_000_000.0, 0.0], flows, ["U", "D"], capacity=[1.0, 0.5])
    assert ob["amount"].iloc[0] == pytest.approx(150.0)


def test_spillover_rejects_shares_over_one():
    with pytest.raises(InputError, match="at most 1"):
        val.spillover_obligations([1.0, 1.0], np.array([[0, 0.7], [1.2, 0]]), ["U", "D"])


def test_spillover_feeds_run_horizontal():
    from compensation.horizontal import run_horizontal
    flows = pd.DataFrame({"provider": ["520000"], "user": ["510000"], "share": [0.25]})
    ob = val.spillover_obligations([40_000_000.0, 0.0], flows, ["520000", "510000"])  # 4000万 × 25% = 1000万
    res = run_horizontal([], None, 2020, extra_obligations=ob)
    assert res.ledger[["payer", "payee", "amount"]].values.tolist() == [["510000", "520000", 1000]]
    assert res.settlement["amount"].tolist() == [1000]
