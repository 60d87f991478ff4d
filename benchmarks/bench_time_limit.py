"""Benchmark: does a time limit hold? Wall time of allocate() from call to result, min_abs and minimax, MILP and
LP, against the limit (issue #9 item 9), and the worker process's own cost.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/bench_time_limit.py [--scales 10 100] [--limits 5 30 60]
      [--objectives min_abs minimax] [--kinds milp lp] [--in-process] [--overhead-only]

Data: the synthetic county set (compensation.synth; scale 10 = 28,480 regions, scale 100 = 284,800), built in
memory once per scale (the same rows as `ecocomp data synth --scale N`). Targets from the default method; bounds
90%–120% of last year (at scale 100, 95%–110% in whole 万元 puts 1,776 floors above their caps); budget 103% of
last year's total, in 万元.

Baseline, measured in the same run: the limit itself (ratio wall / limit; overshoot = wall − limit) and, with
--in-process, the same allocate() call with the worker switched off (solver.wants_worker answering no), i.e.
HiGHS's own time_limit and interrupt callbacks only. The overhead part times a cold worker start, a warm round
trip and a round trip carrying n-sized arrays (the inputs and the result of a solve)."""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from compensation.allocation import Constraints, allocate, deadline, solver
from compensation.synth import synthetic_counties


def overhead(sizes) -> None:
    deadline.shutdown()
    t0 = time.perf_counter()
    out = deadline.call(divmod, (7, 2), deadline=time.monotonic() + 120)
    cold = time.perf_counter() - t0
    assert out.result == (3, 1)
    warm = []
    for _ in range(20):
        t0 = time.perf_counter()
        deadline.call(divmod, (7, 2), deadline=time.monotonic() + 120)
        warm.append(time.perf_counter() - t0)
    print(f"worker: cold start (interpreter + package import) {cold * 1000:.0f} ms; "
          f"warm round trip {statistics.median(warm) * 1000:.2f} ms (median of 20)")
    rng = np.random.default_rng(0)
    for n in sizes:
        t, lo, hi = (rng.uniform(0, 100, n) for _ in range(3))
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            r = deadline.call(np.clip, (t, lo, hi), deadline=time.monotonic() + 120)  # 3 arrays in, 1 back
            times.append(time.perf_counter() - t0)
        assert r.status == "done" and r.result.shape == (n,)
        in_proc = min(_timed(np.clip, t, lo, hi) for _ in range(5))
        print(f"  {n:>9,} regions: round trip with 3 arrays in and 1 back {statistics.median(times) * 1000:7.1f} ms "
              f"(median of 5; the same np.clip in this process {in_proc * 1000:.2f} ms)")
    t0 = time.monotonic()
    k = deadline.call(time.sleep, (60,), deadline=t0 + 1.0)
    print(f"kill: a worker sleeping 60 s under a 1 s limit returned after {k.elapsed:.3f} s "
          f"(limit + GRACE {deadline.GRACE} s + kill and reap)")


def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def table(scales, limits, objectives, kinds, in_process: bool) -> None:
    default = solver.wants_worker
    modes = [("worker", default)] + ([("in-process", lambda n, limit: False)] if in_process else [])
    print("\n| regions | objective | kind | limit (s) | mode | wall (s) | wall − limit (s) | status | gap | how it ended |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for scale in scales:
        regions = synthetic_counties(scale=scale)
        n = len(regions)
        budget = int(round(regions["last_year_amount_10k_cny"].sum() * 1.03))
        c = Constraints(floor_ratio=0.90, cap_ratio=1.20)
        for objective in objectives:
            for kind in kinds:
                for limit in limits:
                    for mode, rule in modes:
                        solver.wants_worker = rule
                        deadline.prestart()  # as the CLI does while it reads the data
                        t0 = time.perf_counter()
                        res = allocate(regions, budget=budget, budget_unit="万元", unit="万元", constraints=c,
                                       objective=objective, integer=kind == "milp", time_limit=limit)
                        wall = time.perf_counter() - t0
                        info = res.solver_info
                        msg = str(info.get("solver_message", ""))
                        ended = ("killed at deadline + grace" if "did not stop" in msg else
                                 "HiGHS stopped itself" if res.status == "time_limited" else "solved")
                        if res.ok:
                            f = res.table["final"].to_numpy()
                            ok = int(f.sum()) == budget and (f >= res.table["lower"]).all() \
                                and (f <= res.table["upper"]).all()
                            ended += ", paid: total exact, bounds met" if ok else ", CHECK FAILED"
                        else:
                            ended += ", nothing paid"
                        gap = info.get("gap")
                        gap = "—" if gap is None or res.status != "time_limited" else f"{gap:.2%}"
                        print(f"| {n:,} | {objective} | {kind.upper()} | {limit:g} | {mode} | {wall:.2f} | "
                              f"{wall - limit:+.2f} | {res.status} | {gap} | {ended} |", flush=True)
    solver.wants_worker = default


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--limits", type=float, nargs="+", default=[5, 30, 60])
    ap.add_argument("--objectives", nargs="+", default=["min_abs", "minimax"], choices=["min_abs", "minimax"])
    ap.add_argument("--kinds", nargs="+", default=["milp", "lp"], choices=["milp", "lp"])
    ap.add_argument("--in-process", action="store_true", help="also run each case without the worker")
    ap.add_argument("--overhead-only", action="store_true")
    args = ap.parse_args()
    overhead([28_480, 284_800])
    if not args.overhead_only:
        table(args.scales, args.limits, args.objectives, args.kinds, args.in_process)
    deadline.shutdown()


if __name__ == "__main__":
    main()
