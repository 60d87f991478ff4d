"""Multi-year runs: a subset of years gives exactly the full run's amounts (issue #9 item 8), and deductions a
method carries to next year's pool arrive there (item 7, Jiangxi)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from compensation.cli import main
from compensation.run import compute, run_one, write_run
from compensation.scenario import Scenario, load_scenario

GOLDEN = Path(__file__).parent / "golden" / "hold_harmless_2024_2027"


def golden_final(year: int) -> pd.Series:
    t = pd.read_csv(GOLDEN / f"allocation_{year}.csv", encoding="utf-8-sig", dtype={"adcode": str})
    return t.set_index("adcode")["final"]


def test_years_subset_equals_the_full_run():
    # the committed golden files are the full 2024–2027 run; --years 2026 alone must give its 2026 amounts
    # (before the fix 2026 was bounded by the 2023 baseline: with 110% it was infeasible)
    sc = load_scenario("hold_harmless_2024_2027")
    res = compute(sc, [2026])
    assert res.years == [2026] and list(res.results) == [2026]
    got = res.results[2026].allocation.table.set_index("adcode")["final"]
    pd.testing.assert_series_equal(got, golden_final(2026), check_names=False)
    assert res.carry_source == {"computed_years": [2024, 2025]}
    assert int(got.loc["630000"]) == int(golden_final(2026).loc["630000"])  # 青海 included, to the unit


def test_years_subset_with_a_120_percent_cap(tmp_path):
    # the other case: a 120% cap; every 2026 amount of the subset run equals the full run's
    f = tmp_path / "hh120.yaml"
    f.write_text(textwrap.dedent("""
        scenario: {name: hh120, extends: hold_harmless_2024_2027}
        constraints: {cap_ratio: 1.2}
    """), encoding="utf-8")
    sc = load_scenario(f)
    full = compute(sc).results[2026].allocation.table["final"]
    part = compute(sc, [2026]).results[2026].allocation.table["final"]
    assert part.tolist() == full.tolist()


def test_years_subset_from_an_earlier_run_folder(tmp_path):
    out = tmp_path / "runs"
    _, first, _ = run_one("hold_harmless_2024_2027", str(out), [2024, 2025], formats=("csv",), quiet=True)
    _, folder, written = run_one("hold_harmless_2024_2027", str(out), [2026], formats=("csv",), quiet=True,
                                 from_run=first)
    assert written
    t = pd.read_csv(Path(folder) / "allocation_2026.csv", encoding="utf-8-sig", dtype={"adcode": str})
    pd.testing.assert_series_equal(t.set_index("adcode")["final"], golden_final(2026), check_names=False)
    man = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    src = man["carry_over_source"]["from_run"]
    assert src["folder"] == first and src["year"] == 2025
    assert len(src["table_sha256"]) == 64
    assert not (Path(folder) / "allocation_2025.csv").exists()


def test_from_run_of_other_inputs_is_refused(tmp_path, capsys):
    out = tmp_path / "runs"
    _, other, _ = run_one("growth_2024_2027", str(out), [2024, 2025], formats=("csv",), quiet=True)
    code = main(["run", "hold_harmless_2024_2027", "--years", "2026", "--from-run", other, "--out", str(out),
                 "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "is a run of different inputs" in err and "Traceback" not in err
    # an edited table is refused as well
    _, first, _ = run_one("hold_harmless_2024_2027", str(out), [2024, 2025], formats=("csv",), quiet=True)
    p = Path(first) / "allocation_2025.csv"
    p.write_text(p.read_text(encoding="utf-8-sig").replace("630000,", "630000,x", 1), encoding="utf-8-sig")
    assert main(["run", "hold_harmless_2024_2027", "--years", "2026", "--from-run", first, "--out",
                 str(tmp_path / "r2"), "--quiet"]) == 2
    assert "differs from the hash in manifest.json" in capsys.readouterr().err


def _jiangxi():
    from tests.test_methods_catalogue import table

    df = table(2, redline_total_km2=[30.0, 10], eco_quality_score=[60.0, 40], forest_parks_km2=[0.0, 50],
               redline_water_conservation_km2=[10.0, 10])
    df["major_incident"] = [1.0, 0]
    spec = {"scenario": {"name": "jx"}, "method": "jiangxi_basin", "years": [2023, 2024], "unit": "万元",
            "budget": {"unit": "万元", "amounts": {2023: 1000, 2024: 1000}}}
    return Scenario("jx", spec, None, []), df


def test_jiangxi_incident_deduction_goes_to_next_years_pool():
    # worked by hand: factor shares .545/.455 (test_methods_catalogue); C0 has an incident in both years.
    # 2023: pool 1,000 → 545, 455; deduction ⌊0.3 × 545 + ½⌋ = 164 → 381, 455; carried out 164.
    # 2024: pool 1,000 + 164 = 1,164 → 634.38, 529.62 → 634, 530; deduction ⌊0.3 × 634 + ½⌋ = 190 → 444, 530;
    # carried out 190; 444 + 530 = 974 = 1,000 + 164 − 190.
    sc, df = _jiangxi()
    res = compute(sc, regions=df)
    t23, t24 = (res.results[y].allocation.table for y in (2023, 2024))
    assert t23["final"].tolist() == [381, 455] and t23["carried_out"].tolist() == [164, 0]
    assert t24["final"].tolist() == [444, 530] and t24["carried_out"].tolist() == [190, 0]
    s = res.summary.set_index("year")
    assert s.loc[2023, ["budget", "carried_in", "carried_out", "allocated"]].tolist() == [1000, 0, 164, 836]
    assert s.loc[2024, ["budget", "carried_in", "carried_out", "allocated"]].tolist() == [1000, 164, 190, 974]
    # 2024 alone computes 2023 first: the same amounts
    alone = compute(sc, [2024], regions=df)
    assert alone.results[2024].allocation.table["final"].tolist() == [444, 530]
    assert alone.carry_source == {"computed_years": [2023]}


def test_independent_years_are_not_recomputed():
    # without carry-over a subset needs nothing else
    res = compute(load_scenario("growth_2024_2027"), [2026])
    assert res.carry_source == {} and list(res.results) == [2026]


@pytest.mark.parametrize("years", [[2025], [2025, 2027]])
def test_write_run_of_a_subset_writes_only_its_years(tmp_path, years):
    res = compute(load_scenario("hold_harmless_2024_2027"), years)
    folder, _ = write_run(res, tmp_path, formats=("csv",))
    assert sorted(p.name for p in folder.glob("allocation_*.csv")) == [f"allocation_{y}.csv" for y in years]
    for y in years:
        t = pd.read_csv(folder / f"allocation_{y}.csv", encoding="utf-8-sig", dtype={"adcode": str})
        pd.testing.assert_series_equal(t.set_index("adcode")["final"], golden_final(y), check_names=False)
