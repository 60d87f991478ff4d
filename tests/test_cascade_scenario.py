"""The ``cascade:`` scenario section: validated like the other sections, run into province and county tables,
explained through both tiers on the command line, compared county by county."""

from __future__ import annotations

import numpy as np
import pytest

from compensation.cli.main import main
from compensation.problems import InputError
from compensation.run import compute
from compensation.scenario import load_scenario


def _scenario(tmp_path, body: str, name: str = "c.yaml"):
    p = tmp_path / name
    p.write_text("scenario:\n  extends: cascade_2023\n" + body, encoding="utf-8")
    return p


@pytest.mark.parametrize("body, key, words", [
    ("cascade:\n  retention: {360000: 1.5}\n", "cascade.retention.360000", "retention share"),
    ("cascade:\n  by_province: {990000: jiangxi_basin}\n", "cascade.by_province.990000", "not a province code"),
    ("cascade:\n  by_province: {360000: jiangxi_basn}\n", "cascade.by_province.360000", "unknown method"),
    ("cascade:\n  tier1_basis: towns\n", "cascade.tier1_basis", "unknown tier-1 basis"),
    ("cascade:\n  retension: 0.1\n", "cascade.retension", "did you mean 'retention'"),
    ("cascade:\n  county_constraints: {floor_ratio: 1.2, cap_ratio: 1.1}\n", "cascade.county_constraints.floor_ratio",
     "floor ratio is above the cap ratio"),
    ("cascade:\n  county_constraints: {floors: {Wuyuan: 10}}\n", "cascade.county_constraints.floors.Wuyuan",
     "keyed by county code"),
    ("cascade:\n  tier1_amounts: {values: {360000: 20.9}, file: x.csv}\n", "cascade.tier1_amounts",
     "either 'file' or 'values'"),
    ("cascade:\n  county_constraints: {by_province: {360000: {floor: 0.9}}}\n",
     "cascade.county_constraints.by_province.360000.floor", "unknown key 'floor'"),
])
def test_bad_sections_are_errors_naming_file_and_key(tmp_path, body, key, words):
    with pytest.raises(InputError) as exc:
        load_scenario(_scenario(tmp_path, body))
    errors = exc.value.report.errors
    assert any(p.key == key and words in p.message_en and p.file.endswith("c.yaml") for p in errors), \
        [(p.key, p.message_en) for p in errors]


def test_cli_validate_exits_2_without_traceback(tmp_path, capsys):
    assert main(["validate", str(_scenario(tmp_path, "cascade:\n  retention: -0.1\n"))]) == 2
    err = capsys.readouterr().err
    assert "cascade.retention" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def shipped():
    return compute(load_scenario("cascade_2023"))


def test_shipped_scenario_conserves_at_both_tiers(shipped):
    r = shipped.results[2023]
    prov, counties = r.cascade.provinces, r.cascade.counties
    assert int(prov["final"].sum()) == 10_910_000 == int(counties["final"].sum())
    by_p = counties.groupby("parent_adcode")["final"].sum()
    assert (by_p.reindex(prov["adcode"]).to_numpy() == prov["final"].to_numpy()).all()
    assert set(prov.loc[prov["adcode"] == "360000", "tier2_method"]) == {"jiangxi_basin"}
    # 海南 pays its counties outside the key zones under its own measure (10 of its 26 synthetic counties are
    # not flagged kefz_county; synth flags key-zone counties province by province): only they get money
    hn = prov.set_index("adcode").loc["460000"]
    assert hn["tier2_status"] == "optimal" and hn["held"] == hn["retained"] and r.cascade.failed == []
    hn_counties = counties[counties["parent_adcode"] == "460000"]
    hn_counties = hn_counties[hn_counties["level"] == "county"]
    assert len(hn_counties) == 26
    # the 16 key-zone counties have no target under 海南's measure and are held at their floor (30% of last
    # year); the 10 others share the rest above their floors
    zero = hn_counties["target"] == 0
    assert int(zero.sum()) == 16 and (hn_counties.loc[zero, "binding"] == "floor").all()
    assert (hn_counties.loc[~zero, "final"] > hn_counties.loc[~zero, "lower"]).all()
    assert int(hn_counties["final"].sum()) == int(hn["to_counties"])


def test_explain_a_county_on_the_command_line(shipped, capsys):
    t = shipped.results[2023].cascade.counties
    wuyuan = t[t["adcode"] == "361130"].iloc[0]
    assert main(["explain", "cascade_2023", "--region", "361130"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("一级(中央对省):江西省(360000)") and "二级(省对县,按「江西省流域生态补偿」):婺源县(361130)" in out
    assert f"该县最终得到 {int(wuyuan['final']):,}万元" in out
    assert main(["explain", "cascade_2023", "--region", "朝阳区"]) == 2  # two counties share the name
    assert "110105 (北京市), 220104 (吉林省)" in capsys.readouterr().err


def test_given_tier1_amounts_and_county_comparison(tmp_path, shipped):
    """江西 runs its own tier 2 on a given central amount (20.9亿元, inline); compared with the shipped run,
    江西's counties all gain and the other provinces are not in the scenario."""
    from compensation.compare import compare_runs

    sc = load_scenario(_scenario(tmp_path, "cascade:\n  tier1_amounts: {values: {360000: 20.9}, unit: 亿元}\n"))
    run = compute(sc)
    r = run.results[2023].cascade
    assert r.pool == 209_000 and list(r.outcomes) == ["360000"] and r.basis == "given (counties)"
    assert int(r.counties["final"].sum()) == 209_000
    c = compare_runs(shipped, run)
    jx = c["county_buckets"][c["county_buckets"]["parent_adcode"] == "360000"].set_index("bucket")["counties"]
    assert jx["gain >5%"] == 100 and jx.drop("gain >5%").sum() == 0


def test_published_partial_table_as_tier1_amounts(tmp_path):
    """The shipped 2020 partial table (财预〔2020〕49号, 13 provinces + a national-total line that is skipped):
    each province of the table runs its tier 2 on its real central amount, e.g. 四川 44.45亿元 = 444,500万元."""
    sc = load_scenario(_scenario(tmp_path, "years: [2020]\ncascade:\n  tier1_amounts: {file: "
                                 "data/kefz_2020_by_province_partial.csv, column: kefz_transfer_100m_cny, unit: 亿元}\n"))
    r = compute(sc).results[2020].cascade
    assert r.amounts["510000"] == 444_500 and "100000" not in r.amounts and len(r.amounts) == 13
    assert int(r.counties["final"].sum()) == r.pool == sum(r.amounts.values())


def test_bad_tier1_amounts_file_names_file_row_and_column(tmp_path):
    f = tmp_path / "t1.csv"
    f.write_text("adcode,amount\n360000,20.9\n36000,5\n420000,abc\n", encoding="utf-8")
    sc = load_scenario(_scenario(tmp_path, f"cascade:\n  tier1_amounts: {{file: {f}, unit: 亿元}}\n"))
    with pytest.raises(InputError) as exc:
        compute(sc)
    errs = {(p.row, p.column) for p in exc.value.report.errors}
    assert errs == {(3, "adcode"), (4, "amount")}, exc.value.report.render()


def test_carry_over_bounds_next_year_by_this_years_county_amounts(tmp_path):
    """2023 then 2024, same pool, county floor 100% of last year carried over. A province allocated in 2023
    has floors in 2024 equal to its 2023 county amounts, which add up to its unchanged amount for counties: by
    hand, every county gets exactly its 2023 amount. With a smaller 2024 pool and a 90% floor, every county
    with a 2023 amount gets at least 90% of it."""
    sc = load_scenario(_scenario(tmp_path, "years: [2023, 2024]\nbudget: {unit: 亿元, amounts: {2023: 1091, "
                                 "2024: 1091}}\ncascade:\n  carry_over: true\n  county_constraints: {floor_ratio: 1.0}\n"))
    run = compute(sc)
    r23, r24 = run.results[2023].cascade, run.results[2024].cascade
    ok23 = [p for p, o in r23.outcomes.items() if o.status == "optimal"]
    assert ok23 and all(r24.outcomes[p].status == "optimal" for p in ok23)
    a = r23.counties[r23.counties["parent_adcode"].isin(ok23)].set_index("adcode")["final"]
    b = r24.counties.set_index("adcode")["final"].loc[a.index]
    assert a.equals(b)
    sc2 = load_scenario(_scenario(tmp_path, "years: [2023, 2024]\nbudget: {unit: 亿元, amounts: {2023: 1091, "
                                  "2024: 1000}}\ncascade:\n  carry_over: true\n  county_constraints: {floor_ratio: 0.9}\n",
                                  "c2.yaml"))
    r = compute(sc2).results[2024].cascade
    t = r.counties[r.counties["level"] == "county"].set_index("adcode")
    ok = t["last_year"].notna()
    assert ok.any() and (t.loc[ok, "final"] >= np.ceil(0.9 * t.loc[ok, "last_year"] - 1e-9)).all()


def test_province_data_is_refused_with_a_clear_error(tmp_path, capsys):
    p = _scenario(tmp_path, "data: default\n")
    assert main(["run", str(p), "--out", str(tmp_path / "runs"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "needs county data" in err and "parent_adcode" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_county_sweep_draws_are_the_scenario_with_the_values_set(tmp_path, shipped):
    """Each draw of a two-tier sweep is the scenario run in full with the drawn values: the draw with 10%
    retention everywhere equals a scenario file that says so, county by county; 海南's 16 key-zone counties
    sit at their floor in every draw (its measure gives them no target)."""
    import pandas as pd

    from compensation.cascade_sweep import county_sweep

    points = pd.DataFrame({"cascade.retention": [0.0, 0.1]})
    out = county_sweep(load_scenario("cascade_2023"), points)
    direct = compute(load_scenario(_scenario(tmp_path, "cascade:\n  retention: 0.1\n"))).results[2023].cascade
    want = direct.counties[direct.counties["level"] == "county"].set_index("adcode")["final"]
    got = out["draws"][out["draws"]["draw"] == 1].set_index("adcode")["final"]
    assert got.sort_index().equals(want.sort_index())
    s = out["summary"].set_index("adcode")
    hn = s[s["parent_adcode"] == "460000"]
    assert len(hn) == 26 and (hn["allocated"] == 1).all() and int((hn["at_floor"] == 1).sum()) == 16
    jx = s[s["parent_adcode"] == "360000"]
    assert (jx["allocated"] == 1).all() and (jx["min"] <= jx["scenario"]).all() and (jx["scenario"] <= jx["max"]).all()
    with pytest.raises(InputError, match="cannot be varied in a two-tier sweep"):
        county_sweep(load_scenario("cascade_2023"), pd.DataFrame({"cascade.tier2_method": [1.0]}))


def test_cli_sweep_of_a_two_tier_scenario_is_county_by_county(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "runs"
    assert main(["sweep", "cascade_2023", "--vary", "cascade.retention=0,0.2", "--out", str(out), "--quiet"]) == 0
    s = pd.read_csv(next(out.glob("sweep-cascade_2023-*")) / "sweep_summary.csv", dtype={"adcode": str,
                                                                                        "parent_adcode": str})
    assert len(s) == 2848 and set(s["parent_adcode"].str[2:]) == {"0000"}
    wy = s.set_index("adcode").loc["361130"]
    assert wy["min"] < wy["max"] and wy["allocated"] == 1.0  # 20% retention leaves 婺源县 less than 0%
    assert "per draw (two tiers)" in capsys.readouterr().out
