"""Benchmark: wall time of ``ecocomp run county_2023 --formats csv,xlsx,parquet,notice`` in a fresh process,
with a phase breakdown, against a baseline measured in the same run.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/bench_run.py [--repeat 7] [--scenario county_2023]

- **Baseline** (the floor no ecocomp command can go below): a fresh interpreter that only does
  ``import pandas, numpy``. Every figure is also printed as a ratio to it.
- **CLI, warm cache**: the real command (``python -m compensation.cli run … --quiet``) in a fresh process, a new
  output folder each time (an existing run folder would be reused, not written), the cache
  (``compensation/cache.py``: the synthetic county set, the parsed model and scenario files) filled by the
  warm-up run. **Cold cache**: the same with an empty cache folder each time (the synthetic county set built and
  validated, the YAML files parsed).
- **Phases**: a fresh process that does what ``ecocomp run`` does step by step, timing each step with
  ``time.perf_counter``: imports, scenario loading and input hash, region data, compute, output tables, and each
  format written on its own (``write_run`` with one format, so each includes building the output tables).
  The interpreter's own start is ``python -c pass``.

Each figure is the median of ``--repeat`` rounds after one warm-up round, each round running every
measurement once (interleaved, so a change of load affects all alike); the machine load (``os.getloadavg()``) is
printed before and after, since the machine may be shared. Python's bytecode is cached in a temporary
``PYTHONPYCACHEPREFIX`` (as for an installed package, whose ``.pyc`` files pip writes at install time), even
if ``PYTHONDONTWRITEBYTECODE`` is set in the calling environment; ``--no-bytecode`` measures without it."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = "csv,xlsx,parquet,notice"

PHASES = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy, pandas  # noqa: E401,F401
t1 = time.perf_counter()
from pathlib import Path
import compensation.cli.main  # noqa: F401  (what the command imports before it runs)
from compensation import run as R
from compensation.scenario import input_hash, load_scenario
t2 = time.perf_counter()
ref, out, formats = sys.argv[1], Path(sys.argv[2]), sys.argv[3].split(",")
sc = load_scenario(ref)
input_hash(sc, sc.years)
t3 = time.perf_counter()
regions = R.scenario_regions(sc)
t4 = time.perf_counter()
res = R.compute(sc, sc.years, regions=regions)
t5 = time.perf_counter()
res.tables()
t6 = time.perf_counter()
times = {"import pandas, numpy": t1 - t0, "import ecocomp (cli, run)": t2 - t1,
         "load scenario + input hash": t3 - t2, "region data": t4 - t3, "compute": t5 - t4,
         "output tables": t6 - t5}
for f in formats:
    s = time.perf_counter()
    R.write_run(res, out / f, (f,))
    times[f"write {f} (incl. tables)"] = time.perf_counter() - s
print(json.dumps(times))
"""


def env_for(cache: Path, pycache: Path | None) -> dict:
    env = dict(os.environ, ECOCOMP_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    env.pop("ECOCOMP_CACHE", None)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


CPU = {}  # command key -> CPU seconds (user + system) of each run, from the children's resource usage


def wall(cmd: list[str], env: dict, key: str = "", cwd: Path = ROOT) -> float:
    """Wall time of ``cmd`` run in ``cwd`` (``python -m`` imports the package from there first)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    t = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(key, []).append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--scenario", default="county_2023")
    ap.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE as it is")
    ap.add_argument("--other", type=Path, default=None,
                    help="a checkout of another version (e.g. `git archive <commit> | tar -x -C /tmp/before`): its "
                         "`ecocomp run` measured in the same rounds, for a before/after ratio")
    a = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="ecocomp-bench-run-") as tmp:
        tmp = Path(tmp)
        pycache = None if a.no_bytecode else tmp / "pycache"
        warm_cache = tmp / "cache-warm"
        env = env_for(warm_cache, pycache)
        counter = iter(range(10**6))
        print(f"machine load (1, 5, 15 min) before: {os.getloadavg()}; {os.cpu_count()} cores; python {sys.version.split()[0]}")
        print("bytecode: " + ("not cached (PYTHONDONTWRITEBYTECODE as in the environment)" if pycache is None else
                              "cached in a temporary PYTHONPYCACHEPREFIX (as an installed package)"))

        def cli(cache: Path):
            out = tmp / f"out-{next(counter)}"
            return [py, "-m", "compensation.cli", "run", a.scenario, "--out", str(out), "--formats", FORMATS,
                    "--quiet"], env_for(cache, pycache)

        def warm():
            cmd, e = cli(warm_cache)
            return wall(cmd, e, "warm")

        def cold():
            cmd, e = cli(tmp / f"cache-cold-{next(counter)}")
            return wall(cmd, e, "cold")

        def phases():
            out = tmp / f"phases-{next(counter)}"
            r = subprocess.run([py, "-c", PHASES, a.scenario, str(out), FORMATS], env=env, check=True, cwd=ROOT,
                               capture_output=True, text=True)
            return json.loads(r.stdout.strip().splitlines()[-1])

        def other():
            cmd, e = cli(tmp / "cache-other")
            e["PYTHONPATH"] = str(a.other)
            return wall(cmd, e, "other", cwd=a.other)

        steps = {"base": lambda: wall([py, "-c", "import pandas, numpy"], env, "base"),
                 "interp": lambda: wall([py, "-c", "pass"], env),
                 "help": lambda: wall([py, "-m", "compensation.cli", "--version"], env),
                 "warm": warm, "cold": cold, "phases": phases, **({"other": other} if a.other else {})}
        for fn in steps.values():  # warm-up: bytecode compiled, the warm cache filled
            fn()
        CPU.clear()
        runs = {k: [] for k in steps}
        for _ in range(a.repeat):  # interleaved, so a change of load affects every figure alike
            for k, fn in steps.items():
                runs[k].append(fn())
        med = {k: statistics.median(v) for k, v in runs.items() if k != "phases"}
        ratio = {k: statistics.median(x / b for x, b in zip(runs[k], runs["base"], strict=True))
                 for k in ("help", "warm", "cold", *(["other"] if a.other else []))}
        ph = {k: statistics.median(r[k] for r in runs["phases"]) for k in runs["phases"][0]}
        base = med["base"]

        cpu = {k: statistics.median(v) for k, v in CPU.items()}
        print(f"\nbaseline: fresh python, `import pandas, numpy`: {base:.3f} s wall (median of {a.repeat}; best "
              f"{min(runs['base']):.3f}, worst {max(runs['base']):.3f}); CPU {cpu['base']:.3f} s")
        print(f"`ecocomp --version` (fresh process):  {med['help']:.3f} s  = {ratio['help']:.2f}× baseline")
        print(f"`ecocomp run {a.scenario} --formats {FORMATS}` (fresh process, median of {a.repeat}; "
              "ratio = median of the per-round ratios):")
        for k, what in (("warm", "warm cache"), ("cold", "cold cache")):
            print(f"  {what}: {med[k]:.3f} s wall = {ratio[k]:.2f}× baseline (best {min(runs[k]):.3f} s = "
                  f"{min(runs[k]) / min(runs['base']):.2f}× the best baseline); CPU {cpu[k]:.3f} s = "
                  f"{cpu[k] / cpu['base']:.2f}× the baseline's")
        over = statistics.median(w - b for w, b in zip(runs["warm"], runs["base"], strict=True))
        print(f"  the run's own work over the baseline (warm cache, median of the per-round differences): "
              f"{over:.3f} s wall; CPU {cpu['warm'] - cpu['base']:.3f} s")
        print("  (cold: the synthetic county set built and validated, the model and scenario files parsed; CPU time "
              "is less sensitive to a shared machine than wall time)")
        if a.other:
            faster = statistics.median(o / w for o, w in zip(runs["other"], runs["warm"], strict=True))
            print(f"  the other checkout ({a.other}): {med['other']:.3f} s wall = {ratio['other']:.2f}× baseline "
                  f"(best {min(runs['other']):.3f} s); CPU {cpu['other']:.3f} s; it takes {faster:.2f}× this "
                  "checkout's warm-cache time (median of per-round ratios)")
        print(f"\nphases (median of {a.repeat} fresh processes, warm cache), seconds:")
        print(f"  {'interpreter start (python -c pass)':40s} {med['interp']:7.3f}")
        writes = 0.0
        for k, v in ph.items():
            print(f"  {k:40s} {v:7.3f}")
            if k.startswith("write "):
                writes += v
        own = sum(v for k, v in ph.items() if not k.startswith("write ") and k != "import pandas, numpy")
        print(f"  {'ecocomp before writing (not pandas)':40s} {own:7.3f}  (imports, scenario, data, compute, tables)")
        print(f"  {'everything but writing':40s} {med['interp'] + ph['import pandas, numpy'] + own:7.3f}")
        print(f"  {'writing, all formats (each incl. tables)':40s} {writes:7.3f}")
        print(f"\nmachine load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
