"""redline_function_weighted: numbers worked by hand, overrides, factors, parameters and explanations."""

import numpy as np
import pandas as pd
import pytest

from compensation.allocation import allocate, list_methods, load_method
from compensation.problems import InputError


def _table():
    return pd.DataFrame({
        "adcode": ["110000", "120000", "130000"],
        "name_zh": ["甲", "乙", "丙"],
        "name_en": ["A", "B", "C"],
        "redline_water_conservation_km2": [100.0, 0.0, 50.0],
        "redline_biodiversity_km2": [0.0, 100.0, 50.0],
        "redline_soil_conservation_km2": [0.0, 0.0, 100.0],
        "redline_sand_fixation_km2": [0.0, 0.0, 0.0],
        "redline_coastal_km2": [0.0, 0.0, 0.0],
        "redline_total_km2": [100.0, 100.0, 200.0],
        "population_10k": [10.0, 20.0, 40.0],
        "budget_revenue_100m_cny": [10.0, 10.0, 10.0],
        "budget_expenditure_100m_cny": [40.0, 10.0, 10.0],
        "eco_quality_class": ["明显变好", "基本稳定", "明显变差"],
    })


def test_default_weights_worked_by_hand():
    # worked by hand, default weights water 1.2, biodiversity 1.2, soil 1.0:
    # keys A 100×1.2 = 120, B 100×1.2 = 120, C 50×1.2 + 50×1.2 + 100×1.0 = 220; Σ 460.
    # budget 1,000万元: A = B = 1000 × 120/460 = 260.87, C = 478.26; floors 260 + 260 + 478 = 998;
    # remainders .870, .870, .261 → A and B take one each → 261, 261, 478.
    res = allocate(_table(), budget=1000, budget_unit="万元", unit="万元", year=2023)
    t = res.table
    np.testing.assert_allclose(t["redline"], [1000 * 120 / 460, 1000 * 120 / 460, 1000 * 220 / 460])
    assert t["final"].tolist() == [261, 261, 478]
    assert t["share"].sum() == pytest.approx(1.0)
    assert res.parameters["weights.water_conservation"]["status"] == "assumption"
    assert res.parameters["weights.water_conservation"]["value"] == 1.2
    # per km² of red line: A 261 / 100 = 2.61万元; per capita 261万元 / 10万人 = 26.1 元
    m = res.marginal
    assert m[m.adcode == "110000"]["per_km2_redline_万元"].item() == pytest.approx(2.61)
    assert m[m.adcode == "110000"]["per_capita_yuan"].item() == pytest.approx(26.1)
    # per km² by function: A's 261 over its weighted 120 → 2.175 per weighted km² → water 2.175 × 1.2 = 2.61
    assert m[m.adcode == "110000"]["per_km2_water_conservation_万元"].item() == pytest.approx(2.61)
    by_f = res.marginal_by_function.set_index("function")
    assert by_f.loc["soil_conservation", "area_km2"] == 100
    assert by_f["amount_万元"].sum() == pytest.approx(1000)


def test_overrides_and_factors_worked_by_hand():
    # worked by hand: biodiversity weight 2.4 → keys A 120, B 240, C 60 + 120 + 100 = 280; Σ 640;
    # fiscal-need exponent 1 → × expenditure/revenue: A 120 × 4 = 480, B 240, C 280; Σ 1000;
    # quality 明显变好 1.1, 明显变差 0.8 → A 528, B 240, C 224; Σ 992 → budget 992万元 gives 528, 240, 224 exactly.
    quality = {"明显变好": 1.1, "一般变好": 1.0, "轻微变好": 1.0, "基本稳定": 1.0, "轻微变差": 1.0, "一般变差": 1.0,
               "明显变差": 0.8}
    res = allocate(_table(), budget=992, budget_unit="万元", unit="万元",
                   overrides={"weights.biodiversity": 2.4, "fiscal_need.exponent": 1.0,
                              "quality.coefficients": quality})
    assert res.table["final"].tolist() == [528, 240, 224]
    assert res.parameters["weights.biodiversity"]["status"] == "override"


def test_unknown_override_and_missing_column():
    with pytest.raises(InputError, match="unknown parameter"):
        allocate(_table(), budget=10, budget_unit="万元", overrides={"weights.nope": 1})
    df = _table().drop(columns=["redline_soil_conservation_km2"])
    with pytest.raises(InputError) as e:
        allocate(df, budget=10, budget_unit="万元")
    msg = str(e.value)
    assert "redline_function_weighted" in msg and "redline_soil_conservation_km2" in msg and "redline_weighted" in msg


def test_year_before_first_value_raises():
    with pytest.raises(InputError, match="no value in force in 2010"):
        allocate(_table(), budget=10, budget_unit="万元", year=2010)


def test_explain_reads_like_a_sentence():
    res = allocate(_table(), budget=1000, budget_unit="万元", unit="万元")
    zh = res.explain("丙")
    assert zh.startswith("丙(130000):生态保护红线 200 km²(其中 水土保持 50%")
    assert "最终 478万元" in zh.replace(" ", "") or "最终 478 万元" in zh or "最终 478万元" in zh
    en = res.explain("130000", lang="en")
    assert "red line 200 km² (50% soil and water conservation" in en and "final 478 万元" in en


def test_method_metadata():
    m = load_method("redline_function_weighted")
    assert m.sources["guide2017"]["number"] == "环办生态〔2017〕48号"
    names = [s["name"] for s in list_methods()]
    assert "redline_function_weighted" in names
    for p in m.parameters.values():
        assert p.label_zh and p.label_en and p.unit and p.source in m.sources
