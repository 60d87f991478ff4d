"""Benchmark: the whole two-tier allocation (31 provinces, 2,848 counties), closed form, against the same
result obtained through 32 separate allocate() calls (tier 1 + one per province) — the baseline, measured in
the same run.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/bench_cascade.py [--repeat 7]

Data: the synthetic county set (compensation.synth, seed 2023); pool 1,091亿元 in 万元; tier 1 by the default
method on the counties summed by province; tier 2 by the default method, 江西 by jiangxi_basin, retention 5%,
county floors 30% of last year's synthetic amount (as scenarios/cascade_2023.yaml, without 海南's method, whose
tier 2 is infeasible on the synthetic data and so would skip its allocation).

Three timings (medians):
  closed form, both tiers — tier-1 water-filling + rounding over 31 provinces, retention, and 31 tier-2
      water-fillings + roundings over 2,848 counties, with targets and bounds already computed (the part the
      issue's ≤ 50 ms is about);
  whole cascade — run_cascade(): the methods evaluated (32 method runs), bounds, closed form, both tables;
  baseline — allocate() for tier 1 and then for each province's counties (the public API one tier at a time),
      giving the same integers (checked)."""

from __future__ import annotations

import argparse

import numpy as np
from bench_allocation import timed  # benchmarks/ is on sys.path when a script here runs

from compensation.allocation import Constraints, allocate
from compensation.allocation.constrained import proportional
from compensation.cascade import (
    Tier2,
    closed_form,
    counties_by_province,
    retained_amount,
    run_cascade,
    sum_by_province,
)
from compensation.data import load_regions
from compensation.synth import synthetic_counties

POOL = 10_910_000  # 1,091亿元 in 万元


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    counties = synthetic_counties()
    provinces = load_regions()
    split = counties_by_province(counties)
    tier2 = Tier2(by_province={"360000": "jiangxi_basin"}, retention=0.05,
                  constraints=Constraints(floor_ratio=0.3))

    def whole():
        return run_cascade(counties, POOL, "万元", 2023, "redline_function_weighted", "counties", tier2=tier2,
                           provinces=provinces, split=split)

    res, t_whole = timed(whole, args.repeat)
    assert res.ok and int(res.counties["final"].sum()) == POOL

    # the closed form alone: targets and bounds of both tiers as the run computed them
    t1 = res.tier1.table
    t1_args = (t1["target"].to_numpy(), t1["lower"].to_numpy(), t1["upper"].to_numpy())
    t1_keys = t1["adcode"].to_numpy(dtype=str)
    blocks = {p: (o.columns["target"], o.columns["lower"], o.columns["upper"],
                  np.where(o.columns["binding"] == "locked", "locked", ""), o.columns["adcode"])
              for p, o in res.outcomes.items()}

    def closed():
        _, amounts, _ = proportional(*t1_args, float(POOL), (), integer=True, keys=t1_keys)
        out = {}
        for p, a in zip(t1_keys, amounts, strict=True):
            target, lo, hi, fixed, keys = blocks[p]
            budget = int(a) - retained_amount(int(a), tier2.retention_for(p))
            out[p] = closed_form(target, lo, hi, fixed, budget, keys)[1]
        return out

    finals, t_closed = timed(closed, args.repeat * 3)
    cascade_final = res.counties.set_index("adcode")["final"]
    same_closed = all((cascade_final.loc[blocks[p][4]].to_numpy() == f).all() for p, f in finals.items())

    def baseline():
        r1 = allocate(sum_by_province(counties, provinces), method="redline_function_weighted", budget=POOL,
                      budget_unit="万元", unit="万元", year=2023)
        out = {}
        for p, a in zip(r1.table["adcode"], r1.table["final"], strict=True):
            budget = int(a) - retained_amount(int(a), tier2.retention_for(p))
            r2 = allocate(split[p], method=tier2.method_for(p), budget=budget, budget_unit="万元", unit="万元",
                          year=2023, constraints=Constraints(floor_ratio=0.3))
            out[p] = r2.table["final"].to_numpy()
        return out

    base, t_base = timed(baseline, max(3, args.repeat // 2))
    same_base = all((cascade_final.loc[blocks[p][4]].to_numpy() == f).all() for p, f in base.items())
    n = int((res.counties["level"] == "county").sum())
    print(f"two tiers: 1 pool → {len(res.outcomes)} provinces → {n:,} counties; pool {POOL:,} 万元 "
          f"(exact at both tiers: {int(res.counties['final'].sum()) == POOL})")
    print(f"closed form, both tiers (targets given):      {t_closed * 1000:8.2f} ms   "
          f"[{'≤' if t_closed <= 0.05 else '>'} 50 ms; same integers as the cascade: {same_closed}]")
    print(f"whole cascade, run_cascade() (methods + tables): {t_whole * 1000:8.2f} ms")
    print(f"baseline: 32 allocate() calls, one tier at a time: {t_base * 1000:8.2f} ms   "
          f"[same integers: {same_base}]")
    print(f"ratio baseline / whole cascade: {t_base / t_whole:5.1f}×; baseline / closed form: "
          f"{t_base / t_closed:6.0f}×")


if __name__ == "__main__":
    main()
