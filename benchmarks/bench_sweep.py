"""Benchmark: the batched sweep (compensation.sweep) against per-draw sweeps, in the same run.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/bench_sweep.py [--draws 10000] [--scale 1 10] [--rounds 3]
                                  [--baseline-draws 30] [--issue-baseline [REV]] [--issue-draws 30]
                                  [--numpy] [--dask] [--processes]
      PYTHONPATH=. .venv/bin/python benchmarks/bench_sweep.py --sensitivity   # the Sensitivity page's sweep

Workload (issue #14): Monte Carlo draws of two function weights and the floor ratio over the synthetic county
set (2,848 counties; ``--scale 10`` splits each into 10 units), floors 95 % / caps 120 % of last year's amount,
proportional objective, exact integer amounts in 万元.

Two baselines, each measured in the same run (and, with ``--rounds N``, in the same interleaved rounds) as the
batched path:

* **today's per-draw path** — what a per-draw sweep costs with today's code: ``run.compute`` of the scenario
  for every draw (the floor ratio set in the scenario, the weights as overrides), then the draw's table, as the
  earlier ``ecocomp sweep`` did; ``--baseline-draws`` draws, each timed.
* **the issue's per-draw path** (``--issue-baseline [REV]``) — the per-draw ``ecocomp sweep`` of the code base
  the issue measured (217 ms per draw then). ``REV`` defaults to 2605369, the head of main when issue #14 was
  filed (the last commit before the round that built the sweep package in 8251f7f; that commit's parent
  33643e7 holds the same per-draw sweep plus that round's other work, and can be named instead). The tree is
  extracted with ``git archive`` into a temporary folder and ITS ``cmd_sweep`` runs in a subprocess
  (``PYTHONPATH`` = that tree, this interpreter and venv) on the same synthetic county set (seed 2023) for
  ``--issue-draws`` draws, with a progress hook timing each draw and a wrapper timing the final writing of its
  tables (CSV and XLSX of every draw's rows). Its settings, as close as that version allows: the two weights
  drawn uniformly on the same ranges (its own sampler, seed 1), floors 95 % / caps 120 % from the scenario,
  proportional — it cannot vary ``constraints.floor_ratio`` (its overrides reach only method parameters), so
  the floor ratio stays 0.95 instead of being drawn on 0.9–1.0 (the cost of a draw does not depend on it).

Before any measurement an untimed small sweep loads the compiled row kernels, so that a fresh checkout compiles
them into numba's cache then (about 5 s, once after an install) and not inside a timed run.

Per-draw figures are medians over the timed draws after ``WARMUP`` warm-up draws, extrapolated linearly to
``--draws``; the issue's line also gives its end-to-end cost per draw (its loop plus writing its tables,
divided by the draws) — at 10,000 draws that version crashed at the end (an XLSX sheet past Excel's row
limit), so the ratio uses its computing only. Each measurement runs in a fresh process (peak memory
ru_maxrss is its own) and records the 1-minute load average (``os.getloadavg()``) before it ran: the machine
is shared, and a load above the core count means the figures are pessimistic. With ``--rounds N`` the
measurements are repeated in N interleaved rounds and the summary gives medians over the rounds.

``--numpy`` adds the batched path without the compiled row kernels (``ECOCOMP_NUMBA=0``: the numpy code, the
same statistics) in the same rounds, to show what the kernels bring. The batched line breaks its time down:
preparation (with numba's import), the scenario's own draw (with the kernels' first load: numba's start),
the chunks and the final statistics (exact quantiles).

The Dask line runs the same draws on a LocalCluster of 2 single-threaded workers, checks that its statistics
equal the local engine's bit for bit, and reports the overhead per chunk (wall × workers − compute, per chunk).
``--processes`` adds the local engine with a pool of 2 worker processes instead of 2 threads (same statistics,
checked).

``--sensitivity``: the computation behind the Streamlit Sensitivity page (ui/pages/sensitivity.py calls
run_sweep with workers=1 on the current settings), here on the province scenario baseline_2023 with the
page's default inputs — the first two weights ±50 % — and 1,000 Monte Carlo draws, timed end to end (problem
preparation, the batched draws, the statistics and the per-input influence), best of 5 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ISSUE_REV = "2605369"  # main when issue #14 was filed (its per-draw `ecocomp sweep`)
WARMUP = 3  # draws left out of the per-draw medians
VARIES = ["weights.biodiversity=0.6:2.4", "weights.water_conservation=0.6:2.4", "constraints.floor_ratio=0.9:1.0"]

CHILD = r"""
import json, resource, sys, time
import numpy as np
from compensation.scenario import load_scenario
from compensation.sweep import SweepSpec, parse_vary, run_sweep

mode, draws, scale, varies = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
sc = load_scenario("county_2023")
sc.spec["data"] = {"synthetic": {"seed": 2023, "scale": scale}}
spec = SweepSpec([parse_vary(v) for v in varies], samples=draws, seed=1)
from compensation.run import scenario_regions
regions = scenario_regions(sc)
out = {}
t0 = time.perf_counter()
if mode == "per_draw":
    import copy
    from compensation.run import compute
    from compensation.sweep import sweep_points
    pts = sweep_points(spec)
    per = []
    for i, row in pts.iterrows():
        ta = time.perf_counter()
        sc2 = copy.deepcopy(sc)
        sc2.spec["constraints"]["floor_ratio"] = float(row["constraints.floor_ratio"])
        res = compute(sc2, regions=regions, overrides={p: float(row[p]) for p in ("weights.biodiversity",
                                                                               "weights.water_conservation")})
        t = res.results[2023].allocation.table[["adcode", "name_zh", "final", "binding"]].copy()
        per.append(time.perf_counter() - ta)
    out["per_draw"] = per
else:
    engine, pool = ("local", "processes") if mode == "processes" else (mode, "threads" if mode == "local" else None)
    res = run_sweep(sc, spec, regions=regions, engine=engine, workers=2, pool=pool)
    out["info"] = res.info
    out["summary_sha"] = __import__("hashlib").sha256(
        res.summary.to_csv(index=False).encode() + res.tables["influence"].to_csv(index=False).encode()).hexdigest()
out["seconds"] = time.perf_counter() - t0
out["regions"] = len(regions)
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["peak_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out, default=str))
"""

# The issue's per-draw sweep: that tree's own cmd_sweep (compensation/cli_scenario.py there), run as its CLI
# would, with its progress bar replaced by a recorder of each draw's end and its table writer timed.
ISSUE_CHILD = r"""
import json, resource, sys, time
draws, scale, out_dir, varies = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
t_import = time.perf_counter()
from compensation import cli, cli_scenario
import compensation.scenario as S
stamps, write = [], {}
class Recorder(cli_scenario.Progress):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        stamps.append(time.perf_counter())
    def step(self, *a, **k):
        stamps.append(time.perf_counter())
_write = cli_scenario._write_tables
def timed_write(*a, **k):
    t = time.perf_counter()
    r = _write(*a, **k)
    write["seconds"] = time.perf_counter() - t
    return r
cli_scenario.Progress = Recorder
cli_scenario._write_tables = timed_write
_load = S.load_scenario
def load(ref):
    sc = _load(ref)
    sc.spec["data"] = {"synthetic": {"seed": 2023, "scale": scale}}
    return sc
S.load_scenario = load
argv = ["sweep", "county_2023", "--samples", str(draws), "--seed", "1", "--out", out_dir, "--quiet",
        "--max-points", str(max(draws, 1))]
for v in varies:
    argv += ["--vary", v]
args = cli.build_parser().parse_args(argv)
t0 = time.perf_counter()
rc = args.func(args)
total = time.perf_counter() - t0
per = [b - a for a, b in zip(stamps[:-1], stamps[1:])]
print(json.dumps({"rc": rc, "per_draw": per, "seconds_loop": stamps[-1] - stamps[0], "seconds_setup": stamps[0] - t0,
                  "seconds_write": write.get("seconds"), "seconds": total, "imports": t0 - t_import,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# Untimed, before any measurement: a small sweep with the compiled kernels forced on, so that a fresh checkout
# compiles them into numba's cache here (about 5 s once) and no timed run pays for that.
WARM = r"""
import json, time
t0 = time.perf_counter()
from compensation.scenario import load_scenario
from compensation.sweep import SweepSpec, parse_vary, run_sweep
from compensation.sweep import engine as E
E.KERNEL_MIN_CELLS = 0
sc = load_scenario("county_2023")
res = run_sweep(sc, SweepSpec([parse_vary(v) for v in json.loads(__import__("sys").argv[1])], samples=50, seed=1),
                workers=2)
print(json.dumps({"seconds": time.perf_counter() - t0, "kernels": res.info["row_kernels"]}))
"""

SENSITIVITY = r"""
import json, time
import numpy as np
from compensation.allocation.params import load_method
from compensation.run import scenario_regions
from compensation.scenario import load_scenario
from compensation.sweep import SweepSpec, parse_vary, run_sweep

sc = load_scenario("baseline_2023")
regions = scenario_regions(sc)
m = load_method(sc.spec["method"])
weights = [p for p in m.parameters if p.startswith("weights.") and p != "weights.redline"][:2]
specs = []
for p in weights:
    v = m.parameters[p].at(2023, m.name)[0]
    specs.append(f"{p}={v * 0.5:.6g}:{v * 1.5:.6g}")
times = []
for _ in range(5):
    t0 = time.perf_counter()
    res = run_sweep(sc, SweepSpec([parse_vary(x) for x in specs], samples=1000, seed=0), 2023, regions=regions,
                    workers=1)
    times.append(time.perf_counter() - t0)
inf = res.tables["input_influence"]
print(json.dumps({"seconds": min(times), "all": times, "regions": len(regions), "specs": specs,
                  "targets": res.info["targets"], "influence": inf.to_dict("records")}, default=str))
"""


def _run(args: list[str], env: dict | None = None, cwd: str | None = None) -> dict:
    load = os.getloadavg()[0]
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False, env=env, cwd=cwd)
    if r.returncode:
        raise SystemExit(r.stderr[-3000:])
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["load"] = load
    return out


def child(mode: str, draws: int, scale: int, numpy_only: bool = False) -> dict:
    code = SENSITIVITY if mode == "sensitivity" else CHILD
    env = dict(os.environ, ECOCOMP_NUMBA="0") if numpy_only else None
    return _run(["-c", code, mode, str(draws), str(scale), json.dumps(VARIES)], env=env)


def per_draw_median(out: dict) -> float:
    """Median seconds per draw after the warm-up draws (all draws when there are too few)."""
    per = out["per_draw"]
    return statistics.median(per[WARMUP:] if len(per) > WARMUP + 2 else per)


def extract_tree(rev: str) -> Path:
    """``git archive REV`` of this repository into a temporary folder (the caller removes it)."""
    repo = Path(__file__).resolve().parent.parent
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", f"{rev}^{{commit}}"], capture_output=True,
                         text=True, check=False)
    if sha.returncode:
        raise SystemExit(f"--issue-baseline: '{rev}' is not a commit of {repo}")
    tree = Path(tempfile.mkdtemp(prefix="ecocomp-issue-baseline-"))
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", sha.stdout.strip()],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def issue_child(tree: Path, draws: int, scale: int) -> dict:
    """That tree's per-draw sweep in a fresh interpreter (this one) with only that tree on the path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tree)
    out_dir = tempfile.mkdtemp(prefix="ecocomp-issue-sweep-")
    try:
        # the weights only: that version's sweep cannot vary constraints.floor_ratio (see the module docstring)
        return _run(["-c", ISSUE_CHILD, str(draws), str(scale), out_dir, json.dumps(VARIES[:2])], env=env,
                    cwd=str(tree))
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--scale", type=int, nargs="+", default=[1])
    ap.add_argument("--baseline-draws", type=int, default=30, help="draws of today's per-draw path (each timed)")
    ap.add_argument("--issue-baseline", nargs="?", const=ISSUE_REV, default=None, metavar="REV",
                    help=f"also time the per-draw sweep of commit REV (default {ISSUE_REV}, the code issue #14 "
                         "measured)")
    ap.add_argument("--issue-draws", type=int, default=30, help="draws of the issue's per-draw path")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds of every measurement (medians)")
    ap.add_argument("--numpy", action="store_true",
                    help="also run the batched path without the compiled kernels (ECOCOMP_NUMBA=0)")
    ap.add_argument("--dask", action="store_true", help="also run the Dask engine on a LocalCluster of 2 workers")
    ap.add_argument("--processes", action="store_true", help="also run the local engine on 2 worker processes")
    ap.add_argument("--sensitivity", action="store_true", help="only the Sensitivity page's sweep (1,000 draws)")
    a = ap.parse_args()
    print(f"# bench_sweep  {time.strftime('%Y-%m-%d %H:%M')}  draws={a.draws}  cores={os.cpu_count()}  "
          f"rounds={a.rounds}  load {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if a.sensitivity:
        s = child("sensitivity", 1000, 1)
        print(f"Sensitivity page computation, {s['regions']} regions, 1,000 draws of {', '.join(s['specs'])}: "
              f"{s['seconds']:.3f} s (best of 5; all: {', '.join(f'{x:.3f}' for x in s['all'])}); targets "
              f"{s['targets']}; load before {s['load']:.2f}")
        for row in s["influence"]:
            print(f"  {row['input']}: variance share {row['variance_share']:.1%}, moves {row['regions_most_moved']} "
                  f"regions most")
        return
    warm = _run(["-c", WARM, json.dumps(VARIES)])
    print(f"(untimed warm-up: row kernels {warm['kernels']}, {warm['seconds']:.1f} s including any first compilation)")
    tree = extract_tree(a.issue_baseline) if a.issue_baseline else None
    try:
        for scale in a.scale:
            measure(a, scale, tree)
    finally:
        if tree is not None:
            shutil.rmtree(tree, ignore_errors=True)


def measure(a, scale: int, tree: Path | None) -> None:
    today, issue, batched, procs, dasks, plain = [], [], [], [], [], []
    for r in range(a.rounds):
        base = child("per_draw", a.baseline_draws, scale)
        today.append(per_draw_median(base))
        if r == 0:
            print(f"scale {scale} ({base['regions']:,} regions)")
        loads = [base["load"]]
        line = f"  round {r + 1}: today's per-draw {today[-1] * 1000:,.1f} ms/draw"
        if tree is not None:
            old = issue_child(tree, a.issue_draws, scale)
            issue.append((per_draw_median(old), old))
            loads.append(old["load"])
            line += f"; issue's per-draw {issue[-1][0] * 1000:,.1f} ms/draw"
        loc = child("local", a.draws, scale)
        batched.append(loc)
        loads.append(loc["load"])
        line += f"; batched {loc['seconds']:,.2f} s"
        if a.numpy:
            plain.append(child("local", a.draws, scale, numpy_only=True))
            loads.append(plain[-1]["load"])
            line += f"; batched numpy code {plain[-1]['seconds']:,.2f} s"
        if a.processes:
            procs.append(child("processes", a.draws, scale))
            loads.append(procs[-1]["load"])
            line += f"; batched 2 processes {procs[-1]['seconds']:,.2f} s"
        if a.dask:
            dasks.append(child("dask", a.draws, scale))
            loads.append(dasks[-1]["load"])
            line += f"; Dask {dasks[-1]['seconds']:,.2f} s"
        print(line + f"  (load before each: {', '.join(f'{x:.2f}' for x in loads)})")
    n = a.draws
    med = statistics.median
    per = med(today)
    t_batched = med(x["seconds"] for x in batched)
    info = batched[-1]["info"]
    shas = {x["summary_sha"] for x in batched}
    many = f" (median of {a.rounds} rounds)" if a.rounds > 1 else ""
    rounds_b = ", ".join(f"{x['seconds']:.2f}" for x in batched)
    print(f"  summary{many}:")
    print(f"  batched, local engine (2 threads): {t_batched:,.2f} s for {n:,} draws "
          f"({t_batched / n * 1000:.3f} ms/draw; all rounds {rounds_b} s; "
          f"targets {info['targets']}, {info['chunks']} chunks of {info['chunk_size']}, row kernels "
          f"{info.get('row_kernels', '?')}; last round: prepare {info['seconds_prepare']:.2f} s, the scenario's own "
          f"draw {info.get('seconds_scenario_draw', 0):.2f} s (with the kernels' first load), chunks "
          f"{info['seconds_chunks']:.2f} s, statistics {info.get('seconds_statistics', 0):.2f} s; compute summed "
          f"over threads {info['seconds_compute_sum']:.2f} s); peak {max(x['peak_mb'] for x in batched):,.0f} MB; "
          f"statistics {'identical in every round' if len(shas) == 1 else 'DIFFERENT between rounds'}")
    if plain:
        t_plain = med(x["seconds"] for x in plain)
        same = "bit-identical" if all(x["summary_sha"] in shas for x in plain) else "DIFFERENT"
        rounds_p = ", ".join(f"{x['seconds']:.2f}" for x in plain)
        print(f"  batched without the compiled kernels (ECOCOMP_NUMBA=0, numpy code): {t_plain:,.2f} s (rounds "
              f"{rounds_p}); statistics {same} to the kernels'; the kernels make it "
              f"{t_plain / t_batched:.2f}× faster")
    print(f"  today's per-draw path (run.compute + the draw's table, this code): {per * 1000:,.1f} ms/draw "
          f"(median of {a.baseline_draws} draws after {WARMUP} warm-up; rounds "
          f"{', '.join(f'{x * 1000:.1f}' for x in today)}) → {per * n:,.0f} s for {n:,} (extrapolated); batched is "
          f"{per * n / t_batched:,.1f}× faster")
    if issue:
        p_issue = med(x[0] for x in issue)
        last = issue[-1][1]
        e2e = med((x[1]["seconds_loop"] + (x[1]["seconds_write"] or 0.0)) / a.issue_draws for x in issue)
        print(f"  the issue's per-draw path (`ecocomp sweep` of {a.issue_baseline}, its own cmd_sweep): "
              f"{p_issue * 1000:,.1f} ms/draw computing (median of {a.issue_draws} draws after {WARMUP} warm-up; "
              f"rounds {', '.join(f'{x[0] * 1000:.1f}' for x in issue)}) → {p_issue * n:,.0f} s for {n:,} "
              f"(extrapolated); batched is {p_issue * n / t_batched:,.0f}× faster. End to end with writing its "
              f"{a.issue_draws} draws' tables: {e2e * 1000:,.1f} ms/draw (last round: loop "
              f"{last['seconds_loop']:.2f} s, writing {last['seconds_write'] or 0:.2f} s, set-up "
              f"{last['seconds_setup']:.2f} s; peak {last['peak_mb']:,.0f} MB)")
    if procs:
        same = "bit-identical" if all(x["summary_sha"] in shas for x in procs) else "DIFFERENT"
        t = med(x["seconds"] for x in procs)
        print(f"  batched, local engine (2 processes): {t:,.2f} s (last: chunks {procs[-1]['info']['seconds_chunks']:.2f} "
              f"s); statistics {same} to the threads'; peak {procs[-1]['peak_mb']:,.0f} MB parent + "
              f"{procs[-1]['peak_children_mb']:,.0f} MB largest worker; {per * n / t:,.1f}× today's per-draw path")
    if dasks:
        same = "bit-identical" if all(x["summary_sha"] in shas for x in dasks) else "DIFFERENT"
        d = dasks[-1]
        print(f"  batched, Dask (LocalCluster, 2 workers): {med(x['seconds'] for x in dasks):,.2f} s (incl. cluster "
              f"start), statistics {same} to the local engine; overhead "
              f"{d['info']['overhead_per_chunk_s'] * 1000:.1f} ms/chunk; {d['info']['chunks']} chunks")


if __name__ == "__main__":
    main()
