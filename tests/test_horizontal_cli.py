"""`ecocomp horizontal` and `ecocomp agreements` end to end (exit codes, files, errors without tracebacks)."""

import json

import pandas as pd

from compensation.cli.horizontal import _overrides, cmd_agreements, cmd_horizontal, register


def run(argv):
    import argparse

    p = argparse.ArgumentParser()
    register(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    from compensation.problems import InputError

    try:
        return args.func(args)
    except InputError as exc:
        return exc


def test_horizontal_writes_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    rc = run(["horizontal", "--agreements", "xinan_round3,lushui", "chishui", "--monitoring",
              "data/monitoring/illustrative_monitoring.csv", "--year", "2020", "--out", str(out),
              "--set", "xinan_round3.k0=0.85"])
    assert rc == 0
    ledger = pd.read_csv(out / "ledger.csv", dtype=str, encoding="utf-8-sig")
    assert set(ledger["agreement"]) == {"xinan_round3", "lushui", "chishui"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal" and summary["overrides"] == {"xinan_round3": {"k0": 0.85}}
    assert "status: optimal" in capsys.readouterr().out
    # a second run refuses to overwrite
    err = run(["horizontal", "--agreements", "lushui", "--monitoring", "data/monitoring/illustrative_monitoring.csv",
               "--year", "2020", "--out", str(out)])
    assert "exists already" in str(err)


def test_horizontal_bad_monitoring_is_input_error(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("section,year,month,water_class\n金鱼石,2020,1,VII\n", encoding="utf-8")
    err = run(["horizontal", "--agreements", "lushui", "--monitoring", str(bad), "--year", "2020",
               "--out", str(tmp_path / "o")])
    text = err.report.render()
    assert "row 2" in text and "water_class" in text and "missing month" in text


def test_set_syntax():
    import pytest

    from compensation.problems import InputError

    assert _overrides(["a.k0=0.9", "a.w={x: 1}"]) == {"a": {"k0": 0.9, "w": {"x": 1}}}
    with pytest.raises(InputError, match="AGREEMENT.PARAM=VALUE"):
        _overrides(["k0=0.9"])


def test_agreements_listing(capsys):
    import argparse

    assert cmd_agreements(argparse.Namespace(json=True)) == 0
    rows = json.loads(capsys.readouterr().out)
    ids = {r["id"] for r in rows}
    assert {"xinan_round1", "xinan_round2", "xinan_round3", "yellow_river_henan_shandong", "lushui", "jiuzhou_round2",
            "tingjiang_hanjiang", "dongjiang", "chishui", "miyun_chaobai", "snwd_middle_route"} <= ids
    assert all(r["source"] for r in rows)
    assert cmd_horizontal  # registered handler exists
