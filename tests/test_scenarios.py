"""Scenario files, runs, reproducibility, comparisons and sweeps."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compensation.cli import main
from compensation.compare import bucket, compare_runs, describe_changes
from compensation.problems import InputError
from compensation.run import compute, write_run
from compensation.scenario import budget_for_years, load_scenario, overrides_for_year, parse_years
from compensation.sweep import SweepSpec, parse_vary, sweep_points

TINY_REGIONS = """adcode,name_zh,level,land_area_km2,redline_total_km2,redline_water_conservation_km2,\
redline_biodiversity_km2,redline_soil_conservation_km2,redline_sand_fixation_km2,redline_coastal_km2,population_10k
110000,甲,province,1000,100,100,0,0,0,0,10
120000,乙,province,1000,100,0,100,0,0,0,10
130000,丙,province,1000,200,0,0,200,0,0,10
"""


def scenario_file(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path) -> Path:
    (tmp_path / "tiny.csv").write_text(TINY_REGIONS, encoding="utf-8")
    return scenario_file(tmp_path, """\
        scenario: {title: tiny three-region case}
        data: tiny.csv
        method: redline_function_weighted
        years: 2023-2025
        budget: {unit: 万元, base: 440, base_year: 2023, growth: 0.05}
        unit: 万元
        overrides:
          weights.water_conservation: {"2023-01-01": 1.2, "2024-01-01": 2.4}
          weights.biodiversity: 1.2
          weights.soil_conservation: 1.0
        constraints: {floor_ratio: 0.95, cap_ratio: 1.10, carry_over: true}
        """, "tiny.yaml")


def test_multi_year_growth_cap_carries_bounds_worked_by_hand(tiny):
    # Worked by hand. Keys: 2023 甲 100×1.2 = 120, 乙 100×1.2 = 120, 丙 200×1.0 = 200 (Σ 440); budget 440
    # → 120 / 120 / 200 (no last-year amount in 2023, so no bounds).
    # 2024: budget 440×1.05 = 462; water weight 2.4 → keys 240 / 120 / 200 (Σ 560) → targets 198 / 99 / 165.
    #   bounds from 2023: 甲 [114, 132], 乙 [114, 132], 丙 [190, 220]. 甲 is capped at 132; the other two
    #   share 330 as λ·99 + λ·165 = 330 → λ = 1.25 → 乙 123.75, 丙 206.25 (inside their bounds);
    #   largest remainder: 123 + 206 + 132 = 461, one unit to 乙 (.75 > .25) → 132 / 124 / 206.
    # 2025: budget 440×1.05² = 485.1 → 485 (half-up to whole 万元); targets 207.86 / 103.93 / 173.21;
    #   bounds from 2024: 甲 [125.4, 145.2] → whole units [126, 145]; 乙 [117.8, 136.4]; 丙 [195.7, 226.6].
    #   甲 capped at 145; 乙 + 丙 = 340 → λ = 340 / 277.14 → 127.5 / 212.5 → tie broken by order → 128 / 212.
    res = compute(load_scenario(tiny))
    finals = {y: r.allocation.table.set_index("name_zh")["final"].to_dict() for y, r in res.results.items()}
    assert finals[2023] == {"甲": 120, "乙": 120, "丙": 200}
    assert finals[2024] == {"甲": 132, "乙": 124, "丙": 206}
    assert finals[2025] == {"甲": 145, "乙": 128, "丙": 212}
    assert res.results[2025].budget == 485
    assert res.results[2024].allocation.table.set_index("name_zh").loc["甲", "binding"] == "cap"


def test_parse_years_and_dated_overrides():
    assert parse_years("2024-2027") == [2024, 2025, 2026, 2027]
    assert parse_years([2025, 2023]) == [2023, 2025]
    assert parse_years(2023) == [2023]
    ov = {"a": {"2025-01-01": 2.0, "2020-01-01": 1.0}, "b": 3}
    assert overrides_for_year(ov, 2019) == {"b": 3}
    assert overrides_for_year(ov, 2024) == {"a": 1.0, "b": 3}
    assert overrides_for_year(ov, 2026) == {"a": 2.0, "b": 3}


def test_budget_growth_rounds_half_up_to_whole_units():
    # 1,091亿 × 1.05³ = 1,262.968875亿 = 12,629,688.75万 → 12,629,689万 (half-up), worked by hand
    spec = {"budget": {"unit": "亿元", "base": 1091, "base_year": 2023, "growth": 0.05}}
    b = budget_for_years(spec, [2023, 2026], "万元")
    assert b == {2023: 10_910_000, 2026: 12_629_689}


@pytest.mark.parametrize("text,words,key", [
    ("budgt: {unit: 亿元, amounts: {2023: 1}}\n", "unknown key 'budgt' (did you mean 'budget'?)", "budgt"),
    ("method: no_such_method\n", "no_such_method", "method"),
    ("years: [1999]\n", "year out of range", "years"),
    ("constraints: {floors: {'110000': 20000000}}\n", "short by 9,090,000", "constraints.floors"),
    ("overrides: {weights.watr_conservation: 2}\n", "did you mean 'weights.water_conservation'", None),
    ("constraints: {floor_ratio: 1.2, cap_ratio: 1.1}\n", "floor ratio is above the cap ratio", None),
    # India's 15th Finance Commission weights must add up to 1: 0.45 + 0.15 + 0.20 + 0.10 + 0.125 + 0.025 = 1.05
    ("method: india_fc15\noverrides: {weights.area: 0.2}\n", "must add up to 1 in 2023, they add up to 1.05",
     "overrides"),
])
def test_bad_scenarios_give_clear_errors(tmp_path, text, words, key):
    path = scenario_file(tmp_path, "scenario: {extends: baseline_2023}\n" + text)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    message = str(err.value)
    assert words in message and "s.yaml" in message
    if key:
        assert f"key '{key}" in message


def test_budget_below_floors_names_the_year(tmp_path):
    path = scenario_file(tmp_path, """\
        scenario: {extends: baseline_2023}
        years: [2023, 2024]
        budget: {unit: 亿元, amounts: {2023: 1091, 2024: 100}}
        constraints: {floors: {'540000': 1500000}}
        """)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert "year 2024" in str(err.value) and "year 2023" not in str(err.value)


def test_cli_validate_and_run_errors_exit_2(tmp_path, capsys):
    path = scenario_file(tmp_path, "scenario: {extends: baseline_2023}\nunits: 元\n")
    assert main(["validate", str(path)]) == 2
    assert main(["run", str(path), "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'units' (did you mean 'unit'?)" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_extends_merges_and_any_scenario_can_be_a_baseline():
    sc = load_scenario("water_priority_2023")
    assert sc.spec["method"] == "redline_function_weighted" and sc.spec["budget"]["amounts"] == {2023: 1091}
    assert sc.spec["overrides"] == {"weights.water_conservation": 2.4}
    assert [p.stem for p in sc.files] == ["baseline_2023", "water_priority_2023"]
    assert describe_changes(load_scenario("baseline_2023").spec, sc.spec) == []  # overrides: see below
    base, scen = compute(load_scenario("baseline_2023")), compute(sc)
    changes = compare_runs(base, scen)["changes"]
    assert changes["change_en"].tolist() == ["method parameter weights.water_conservation: 1.2 → 2.4 in 2023"]


def test_compound_scenarios(tmp_path):
    path = scenario_file(tmp_path, """\
        scenario: {extends: [hold_harmless_2024_2027, water_priority_2023]}
        """)
    sc = load_scenario(path)
    assert sc.years == [2024, 2025, 2026, 2027]  # from the first
    assert sc.spec["overrides"]["weights.water_conservation"] == 2.4  # the second replaces the dated value


def test_same_inputs_same_hash_and_bytes_changed_input_new_folder(tmp_path):
    sc = load_scenario("water_priority_2023")
    a, _ = write_run(compute(sc), tmp_path / "a")
    b, _ = write_run(compute(sc), tmp_path / "b")
    assert a.name == b.name
    for f in sorted(a.glob("*.csv")):
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name
    again, written = write_run(compute(sc), tmp_path / "a")
    assert again == a and not written  # never overwritten
    changed = scenario_file(tmp_path, "scenario: {extends: water_priority_2023, name: water_priority_2023}\n"
                                      "overrides: {weights.water_conservation: 2.5}\n")
    c, written = write_run(compute(load_scenario(changed)), tmp_path / "a")
    assert written and c != a and c.name.startswith("water_priority_2023-")


def test_changed_data_file_changes_the_hash(tiny, tmp_path):
    h1 = compute(load_scenario(tiny)).hash
    (tmp_path / "tiny.csv").write_text(TINY_REGIONS.replace("1000,200", "1000,210"), encoding="utf-8")
    assert compute(load_scenario(tiny)).hash != h1


def test_interrupted_run_leaves_no_half_written_table(tmp_path):
    res = compute(load_scenario("baseline_2023"))

    def boom(name):
        if name == "allocation_2023":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_run(res, tmp_path, _after_table=boom)
    assert list(tmp_path.iterdir()) == []  # neither the run folder nor a temporary one is left
    folder, written = write_run(res, tmp_path)
    assert written and (folder / "manifest.json").exists()


def test_killed_process_leaves_no_run_folder(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "compensation.cli", "run", "county_2023", "--out", str(out),
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.glob(".county_2023-*.tmp-*")) and proc.poll() is None:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = [p for p in out.glob("county_2023-*")] if out.exists() else []
    for folder in finished:  # if it won the race, the folder must be complete
        assert (folder / "manifest.json").exists()
    if not finished:
        assert not list(out.glob("county_2023-*/*.csv"))
    # the next run cleans the dead run's temporary folder and completes
    assert main(["run", "county_2023", "--out", str(out), "--quiet"]) == 0
    assert not list(out.glob(".county_2023-*"))


def test_buckets():
    got = bucket([-10, -3, 0, 2, 8, 5], [100, 100, 100, 100, 100, 0])
    assert list(got) == ["lose >5%", "lose ≤5%", "unchanged", "gain ≤5%", "gain >5%", "gain >5%"]


def test_compare_command(tmp_path, capsys):
    assert main(["compare", "baseline_2023", "water_priority_2023", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "weights.water_conservation: 1.2 → 2.4" in out
    folder = next(tmp_path.glob("compare-baseline_2023-*"))
    diffs = pd.read_csv(folder / "differences_water_priority_2023.csv", encoding="utf-8-sig", dtype={"adcode": str})
    assert (diffs["scenario"] - diffs["baseline"] == diffs["difference"]).all()
    assert diffs["difference"].sum() == 0  # same pool, so gains and losses cancel exactly
    qh = diffs.set_index("adcode").loc["630000"]  # 青海: 65% water conservation red line → gains
    assert qh["difference"] > 0 and qh["bucket"] == "gain >5%"


def test_sweep_grid_and_monte_carlo(tmp_path):
    v = parse_vary("weights.water_conservation=1:2:3")
    assert v.path == "weights.water_conservation" and v.values == [1.0, 1.5, 2.0]
    grid = sweep_points(SweepSpec([parse_vary("a=1,2"), parse_vary("b=0:1:2")]))
    assert len(grid) == 4
    mc = sweep_points(SweepSpec([parse_vary("a=1:2")], samples=50, seed=1))
    assert len(mc) == 50 and mc["a"].between(1, 2).all()
    assert main(["sweep", "hold_harmless_2024_2027", "--vary", "weights.water_conservation=1.2:3.6:3",
                 "--year", "2025", "--out", str(tmp_path), "--quiet"]) == 0
    folder = next(tmp_path.glob("sweep-hold_harmless_2024_2027-*"))
    summary = pd.read_csv(folder / "sweep_summary.csv", encoding="utf-8-sig", dtype={"adcode": str})
    assert len(summary) == 31 and (summary["min"] <= summary["median"]).all()
    # doubling (2.4) and tripling (3.6) the water weight push 青海 (65% water-conservation red line) to its 110%
    # cap; the unchanged weight (1.2) does not: 2 of 3 points. With those weights 青海 is at its cap in 2024
    # too: its 2023 amount is 1,077,715万 (tests/golden/baseline_2023/allocation_2023.csv), the 2024 cap
    # ⌊1.1 × 1,077,715⌋ = 1,185,486 and the 2025 cap ⌊1.1 × 1,185,486⌋ = ⌊1,304,034.6⌋ = 1,304,034.
    qh = summary.set_index("adcode").loc["630000"]
    assert qh["at_cap"] == pytest.approx(2 / 3, abs=1e-12) and qh["at_floor"] == 0
    assert qh["max"] == 1_304_034 and qh["median"] == 1_304_034
    # fractions of 3 points are multiples of 1/3
    for col in ("at_floor", "at_cap"):
        assert np.allclose(summary[col] * 3, (summary[col] * 3).round(), atol=1e-9)


def test_explain_command(capsys):
    assert main(["explain", "baseline_2023", "--region", "云南省", "--year", "2023"]) == 0
    out = capsys.readouterr().out
    assert "云南省" in out and "118,400" in out
