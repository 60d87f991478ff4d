"""The solver libraries load on first use (compensation/allocation/solver_libs.py), and HiGHS's banner never
reaches stdout, whichever way a solver is made: PuLP (allocate --objective min_abs), the HiGHS arrays
(feasible_range), the horizontal settlement MILP. Each check runs in a fresh interpreter with stdout on a pipe
(block-buffered, as when output is redirected to a file), because the banner is printed once per process."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANNER = "Running HiGHS"


def _fresh(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=180)
    assert r.returncode == 0, r.stderr
    return r


def test_highspy_prints_its_banner_on_stdout_when_nothing_swallows_it():
    # the behaviour the module works around; if a highspy release stops printing it, this test says so
    r = _fresh(["-c", "import highspy\nhighspy.Highs()\nprint('made')"])
    assert BANNER in r.stdout and r.stdout.rstrip().endswith("made")


def test_the_allocation_package_loads_no_solver_library_until_one_is_used():
    r = _fresh(["-c", "import sys\nimport compensation.allocation\nfrom compensation.allocation import highs, solver\n"
                "print(sorted(m for m in ('pulp', 'highspy') if m in sys.modules))\n"
                "print(repr(solver.pulp))\n"
                "solver.available_solvers()\n"
                "print(sorted(m for m in ('pulp', 'highspy') if m in sys.modules), repr(solver.pulp))"])
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "[]"
    assert lines[1] == "<lazy module 'pulp' (not loaded yet)>"
    assert lines[2] == "['highspy', 'pulp'] <lazy module 'pulp' (loaded)>"
    assert BANNER not in r.stdout


def test_the_stand_in_hands_on_the_real_attributes_and_inf_is_highs_infinity():
    import highspy
    import pulp

    from compensation.allocation import highs, solver

    assert solver.pulp.LpProblem is pulp.LpProblem and solver.pulp.LpStatusOptimal == pulp.LpStatusOptimal
    assert highs.highspy.HighsModelStatus is highspy.HighsModelStatus
    assert highs.INF == highspy.kHighsInf and math.isinf(highs.INF) and highs.INF > 0


def test_allocate_with_a_pulp_objective_prints_no_banner(tmp_path):
    out = tmp_path / "a.csv"
    r = _fresh(["-m", "compensation.cli", "allocate", "--budget", "1000000", "--objective", "min_abs",
                "--out", str(out)])
    assert "PuLP + HiGHS" in r.stdout  # the solver did run
    assert BANNER not in r.stdout and BANNER not in r.stderr
    assert out.exists()


def test_the_highs_arrays_outside_the_command_line_print_no_banner():
    # a script or notebook: no command-line start-up, the first solver made by highs.feasible_range
    r = _fresh(["-c", "from compensation.allocation import highs\n"
                "print(highs.feasible_range([1.0, 2.0], [5.0, 4.0], time_limit=None))"])
    assert r.stdout.strip().splitlines() == ["(3.0, 9.0)"]


def test_a_horizontal_run_prints_no_banner(tmp_path):
    r = _fresh(["-m", "compensation.cli", "run", "horizontal_2020", "--out", str(tmp_path), "--formats", "csv"])
    assert "horizontal_2020: wrote" in r.stdout
    assert BANNER not in r.stdout
    folder = next(tmp_path.iterdir())
    assert any(folder.glob("horizontal_settlement_*.csv"))


def test_a_process_without_stdout_still_solves():
    # a service or pythonw process may run with file descriptor 1 closed: the banner is then not redirected
    r = _fresh(["-c", "import os, sys\nos.close(1)\nfrom compensation.allocation import highs\n"
                "print(highs.feasible_range([1.0, 2.0], [5.0, 4.0], time_limit=None), file=sys.stderr)"])
    assert r.stderr.strip().splitlines()[-1] == "(3.0, 9.0)"
