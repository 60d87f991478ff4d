"""Golden files: every example scenario has its committed expected output, diffed table by table.

After an intended change of results, regenerate with
    ECOCOMP_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
and review the diff of tests/golden/ before committing it."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from compensation.data import SCENARIOS_DIR
from compensation.run import compute, write_run
from compensation.scenario import load_scenario

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = sorted(p.stem for p in SCENARIOS_DIR.glob("*.yaml"))


def test_every_scenario_has_golden_files():
    assert SCENARIOS and sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()) == SCENARIOS


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_matches_golden(name, tmp_path):
    folder, _ = write_run(compute(load_scenario(name)), tmp_path, formats=("csv",))
    expected_dir = GOLDEN / name
    if os.environ.get("ECOCOMP_UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        expected_dir.mkdir(parents=True)
        for f in folder.glob("*.csv"):
            shutil.copyfile(f, expected_dir / f.name)
    got = sorted(f.name for f in folder.glob("*.csv"))
    assert got == sorted(f.name for f in expected_dir.glob("*.csv"))
    for fname in got:
        a = (expected_dir / fname).read_text(encoding="utf-8-sig").splitlines()
        b = (folder / fname).read_text(encoding="utf-8-sig").splitlines()
        if a != b:
            diff = "\n".join(list(difflib.unified_diff(a, b, f"golden/{name}/{fname}", "this run", lineterm=""))[:40])
            pytest.fail(f"{name}/{fname} differs from the golden file:\n{diff}")
