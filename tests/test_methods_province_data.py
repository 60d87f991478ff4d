"""Every shipped method runs on the embedded province data for every year it covers, with its fallbacks
declared in the method file and named in the explanation and parameters.csv (issue #11, part 1)."""

from __future__ import annotations

import pandas as pd
import pytest

from compensation.allocation.inputs import apply_fallbacks, check_fallbacks, input_table
from compensation.allocation.params import MODELS_DIR, load_method
from compensation.cli.main import main
from compensation.data import load_regions, reference_status_counts
from compensation.run import compute
from compensation.scenario import Scenario

METHODS = sorted(p.stem for p in MODELS_DIR.glob("*.yaml"))
LAST_YEAR = 2025


def years_covered(name: str) -> list[int]:
    """From the first year in which every parameter has a value to LAST_YEAR."""
    m = load_method(name)
    first = max(min(d.year for d, _, _ in p.values) for p in m.parameters.values())
    return list(range(first, LAST_YEAR + 1))


@pytest.mark.parametrize("name", METHODS)
def test_every_method_runs_on_province_data_every_year(name):
    years = years_covered(name)
    spec = {"scenario": {"name": name}, "data": "default", "method": name, "years": years,
            "budget": {"unit": "亿元", "amounts": dict.fromkeys(years, 1091)}, "unit": "万元"}
    res = compute(Scenario(f"all_years_{name}", spec, None, []))
    assert sorted(res.results) == years
    for y, r in res.results.items():
        t = r.allocation.table
        assert int(t["final"].sum()) == 10_910_000, (name, y)
        assert (t["final"] >= 0).all() and (t["final"] > 0).sum() >= 2, (name, y)
    # every fallback used is named in parameters.csv and in the explanation
    inputs = input_table(load_method(name), load_regions())
    assert not (inputs["source"] == "missing").any()
    used = set(inputs.loc[inputs["source"] == "fallback", "input"])
    params = res.parameters
    last = res.results[years[-1]].allocation
    named = set(params.loc[params["year"] == years[-1], "parameter"].str.removeprefix("fallback:"))
    assert used <= named
    if used:
        text = last.explain("530000", lang="en")
        assert all(u in text for u in used), text


def test_method_files_declare_well_formed_fallbacks():
    for name in METHODS:
        check_fallbacks(load_method(name))  # raises InputError on a malformed declaration


def test_forest_park_weight_moves_to_reserves():
    """cn_kefz_2022's prohibited part: reserve area 0.4 + park area 0.2 → area weight 0.6 on reserve area,
    count weight 0.2 + 0.2 = 0.4 on the reserve count (hand-worked from the method file's weights)."""
    regions = load_regions()
    filled, used = apply_fallbacks(load_method("cn_kefz_2022"), regions)
    assert {u["input"] for u in used} >= {"forest_parks_km2", "forest_parks_n"}
    assert "forest_parks_km2" not in regions.columns  # the input table is not changed
    from compensation.allocation import allocate

    res = allocate(regions, "cn_kefz_2022", budget=1000, budget_unit="亿元", unit="万元", year=2023)
    area = regions["national_reserves_km2"] / regions["national_reserves_km2"].sum()
    count = regions["national_reserves_n"] / regions["national_reserves_n"].sum()
    expected = (0.6 * area + 0.4 * count) * 0.15 * 1000 * 10_000  # pool 15% of the budget, in 万元
    got = res.table["prohibited"] / res.table["target"].sum() * 1000 * 10_000
    assert (got - expected).abs().max() < 1e-6


def test_missing_input_is_reported_not_zeroed(tmp_path, capsys):
    regions = load_regions().drop(columns=["national_reserves_km2"])
    t = input_table(load_method("cn_kefz_2022"), regions)
    assert t.set_index("input").loc["national_reserves_km2", "source"] == "missing"
    f = tmp_path / "no_reserves.csv"
    regions.to_csv(f, index=False)
    assert main(["methods", "cn_kefz_2022", "--data", str(f)]) == 1
    out = capsys.readouterr().out
    assert "cannot run" in out and "national_reserves_km2" in out
    assert main(["allocate", "--method", "cn_kefz_2022", "--budget", "1", "--budget-unit", "亿元", "--data",
                 str(f), "--out", str(tmp_path / "a.csv")]) == 2
    assert "national_reserves_km2" in capsys.readouterr().err


def test_methods_data_table_on_embedded_data(capsys):
    assert main(["methods", "--data"]) == 0
    out = capsys.readouterr().out
    assert out.count("runs 可运行") == len(METHODS)
    assert "forest_parks_km2" in out and "fallback ← column national_reserves_km2" in out


def test_reference_tables_shipped_with_status():
    counts = reference_status_counts()
    # rows counted by hand in ../shared/reference: 248 indicator rows, 45 amount rows (2 not found), 14 rows of
    # the 2020 table (13 provinces and the total)
    assert sum(counts["province_indicators"].values()) == 248
    assert counts["kefz_amounts_by_year"]["not_found"] == 2 and sum(counts["kefz_amounts_by_year"].values()) == 45
    assert counts["kefz_2020_by_province_partial"] == {"verified": 14}
    r = load_regions()
    # national nature reserves: 2008 areas (NBS) sum to 9,120.2 万公顷 = 912,020 km²; c.2019 counts to 469
    assert abs(r["national_reserves_km2"].sum() - 912_020) < 1e-6
    assert r["national_reserves_n"].sum() == 469
    src = r.attrs["sources"]
    newer = src[(src["column"] == "redline_total_km2") & src["adcode"].isin(["120000", "340000", "500000",
                                                                             "520000"])]
    assert set(newer["vintage"]) <= {"2023", "2024"} and (newer["status"] == "verified").all()
    assert r.set_index("adcode").loc["520000", "redline_total_km2"] == 40800
    assert isinstance(src, pd.DataFrame)
