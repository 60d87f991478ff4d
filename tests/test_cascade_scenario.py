"""The ``cascade:`` scenario section: validated like the other sections, run into province and county tables,
explained through both tiers on the command line, compared county by county."""

from __future__ import annotations

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
    # 海南's measure finds no eligible synthetic county: declared, and its amount held at province level
    hn = prov.set_index("adcode").loc["460000"]
    assert hn["tier2_status"] == "infeasible" and hn["held"] == hn["final"] and "海南省" in hn["message_zh"]
    assert r.cascade.failed == ["460000"]


def test_explain_a_county_on_the_command_line(shipped, capsys):
    t = shipped.results[2023].cascade.counties
    wuyuan = t[t["adcode"] == "361130"].iloc[0]
    assert main(["explain", "cascade_2023", "--region", "361130"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("一级(中央对省):江西省(360000)") and "二级(省对县,jiangxi_basin):婺源县(361130)" in out
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
