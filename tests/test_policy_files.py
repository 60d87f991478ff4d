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
