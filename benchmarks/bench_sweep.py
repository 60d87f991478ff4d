"""Benchmark: the batched sweep (compensation.sweep) against the per-draw path it replaces, in the same run.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/bench_sweep.py [--draws 10000] [--scale 1 10] [--dask]
                                                              [--processes] [--baseline-draws 20]
      PYTHONPATH=. .venv/bin/python benchmarks/bench_sweep.py --sensitivity   # the Sensitivity page's sweep

Workload (issue #14): Monte Carlo draws of two function weights and the floor ratio over the synthetic county
set (2,848 counties; ``--scale 10`` splits each into 10 units), floors 95 % / caps 120 % of last year's amount,
proportional objective, exact integer amounts in 万元.

Baseline, measured in the same run: today's per-draw path (the earlier ``ecocomp sweep``: ``run.compute`` of
the scenario for every draw, then the draw's table), timed on ``--baseline-draws`` draws and extrapolated
linearly to ``--draws``. Each measurement runs in a fresh process, so peak memory (ru_maxrss) is its own.
The Dask line runs the same draws on a LocalCluster of 2 single-threaded workers, checks that its statistics
equal the local engine's bit for bit, and reports the overhead per chunk (wall × workers − compute, per chunk).
``--processes`` adds the local engine with a pool of 2 worker processes instead of 2 threads (same statistics,
checked). Every line gives the 1-minute load average before it ran: the machine is shared, and a load above
the core count means the figures are pessimistic.

``--sensitivity``: the computation behind the Streamlit Sensitivity page (ui/pages/sensitivity.py calls
run_sweep with workers=1 on the current settings), here on the province scenario baseline_2023 with the
page's default inputs — the first two weights ±50 % — and 1,000 Monte Carlo draws, timed end to end (problem
preparation, the batched draws, the statistics and the per-input influence), best of 5 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
import numpy as np
from compensation.scenario import load_scenario
from compensation.sweep import SweepSpec, parse_vary, run_sweep

mode, draws, scale = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sc = load_scenario("county_2023")
sc.spec["data"] = {"synthetic": {"seed": 2023, "scale": scale}}
varies = ["weights.biodiversity=0.6:2.4", "weights.water_conservation=0.6:2.4", "constraints.floor_ratio=0.9:1.0"]
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
    for i, row in pts.iterrows():
        sc2 = copy.deepcopy(sc)
        sc2.spec["constraints"]["floor_ratio"] = float(row["constraints.floor_ratio"])
        res = compute(sc2, regions=regions, overrides={p: float(row[p]) for p in ("weights.biodiversity",
                                                                               "weights.water_conservation")})
        t = res.results[2023].allocation.table[["adcode", "name_zh", "final", "binding"]].copy()
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


def child(mode: str, draws: int, scale: int) -> dict:
    load = os.getloadavg()[0]
    code = SENSITIVITY if mode == "sensitivity" else CHILD
    r = subprocess.run([sys.executable, "-c", code, mode, str(draws), str(scale)], capture_output=True, text=True,
                       check=False)
    if r.returncode:
        raise SystemExit(r.stderr[-3000:])
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["load"] = load
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--scale", type=int, nargs="+", default=[1])
    ap.add_argument("--baseline-draws", type=int, default=20)
    ap.add_argument("--dask", action="store_true", help="also run the Dask engine on a LocalCluster of 2 workers")
    ap.add_argument("--processes", action="store_true", help="also run the local engine on 2 worker processes")
    ap.add_argument("--sensitivity", action="store_true", help="only the Sensitivity page's sweep (1,000 draws)")
    a = ap.parse_args()
    print(f"# bench_sweep  {time.strftime('%Y-%m-%d %H:%M')}  draws={a.draws}  cores={os.cpu_count()}")
    if a.sensitivity:
        s = child("sensitivity", 1000, 1)
        print(f"Sensitivity page computation, {s['regions']} regions, 1,000 draws of {', '.join(s['specs'])}: "
              f"{s['seconds']:.3f} s (best of 5; all: {', '.join(f'{x:.3f}' for x in s['all'])}); targets "
              f"{s['targets']}; load before {s['load']:.2f}")
        for row in s["influence"]:
            print(f"  {row['input']}: variance share {row['variance_share']:.1%}, moves {row['regions_most_moved']} "
                  f"regions most")
        return
    for scale in a.scale:
        base = child("per_draw", a.baseline_draws, scale)
        per = base["seconds"] / a.baseline_draws
        print(f"scale {scale} ({base['regions']:,} regions)")
        print(f"  per-draw path (baseline): {per * 1000:,.1f} ms/draw on {a.baseline_draws} draws → "
              f"{per * a.draws:,.0f} s for {a.draws:,} (extrapolated); peak {base['peak_mb']:,.0f} MB; "
              f"load before {base['load']:.2f}")
        loc = child("local", a.draws, scale)
        info = loc["info"]
        print(f"  batched, local engine (2 threads): {loc['seconds']:,.2f} s for {a.draws:,} draws "
              f"({loc['seconds'] / a.draws * 1000:.3f} ms/draw; targets {info['targets']}, {info['chunks']} chunks "
              f"of {info['chunk_size']}; prepare {info['seconds_prepare']:.2f} s, chunks {info['seconds_chunks']:.2f} s, "
              f"compute summed over threads {info['seconds_compute_sum']:.2f} s); peak {loc['peak_mb']:,.0f} MB; "
              f"{per * a.draws / loc['seconds']:,.0f}× faster than per-draw; load before {loc['load']:.2f}")
        if a.processes:
            pr = child("processes", a.draws, scale)
            same = "bit-identical" if pr["summary_sha"] == loc["summary_sha"] else "DIFFERENT"
            print(f"  batched, local engine (2 processes): {pr['seconds']:,.2f} s (chunks "
                  f"{pr['info']['seconds_chunks']:.2f} s); statistics {same} to the threads'; peak "
                  f"{pr['peak_mb']:,.0f} MB parent + {pr['peak_children_mb']:,.0f} MB largest worker; "
                  f"{per * a.draws / pr['seconds']:,.0f}× faster than per-draw; load before {pr['load']:.2f}")
        if a.dask:
            d = child("dask", a.draws, scale)
            same = "bit-identical" if d["summary_sha"] == loc["summary_sha"] else "DIFFERENT"
            print(f"  batched, Dask (LocalCluster, 2 workers): {d['seconds']:,.2f} s (incl. cluster start), "
                  f"statistics {same} to the local engine; overhead "
                  f"{d['info']['overhead_per_chunk_s'] * 1000:.1f} ms/chunk; {d['info']['chunks']} chunks; "
                  f"load before {d['load']:.2f}")


if __name__ == "__main__":
    main()
