"""Benchmark: closed-form proportional allocation (floors, caps, integer rounding) vs PuLP + HiGHS LP and MILP.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/bench_allocation.py [--scales 1 10] [--time-limit 300]
      PYTHONPATH=. .venv/bin/python benchmarks/bench_allocation.py --api-only [--api-repeat 50]

``allocate()`` end to end (method evaluation, bounds, solve, the full result table) against its core
(``constrained.proportional``: water-filling + exact rounding on the same targets and bounds), measured
alternately in the same run after a warm-up, medians of ``--api-repeat`` calls each, with the machine load
(``os.getloadavg()``) and where the time goes (``solver_info['phases']``); on this benchmark's own settings
and on the ``county_2023`` scenario's (floor 95%, cap 120%, default method, its 1,091亿元 budget).

Data: the synthetic county set (compensation.synth, 2,848 counties; scale 10 splits each into 10 units).
Targets come from the default method; bounds are 95%–110% of last year's amount; the budget is 103% of last
year's total (so both bounds bind somewhere). Amounts in 万元."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.instances

import numpy as np  # noqa: E402

from compensation.allocation import (  # noqa: E402
    Constraints,
    allocate,
    constrained,
    dual_groups,
    feasibility,
    highs,
    solver,
)
from compensation.synth import synthetic_counties  # noqa: E402
from tests.instances import overlapping_groups  # noqa: E402  the generator the dual-method test uses


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def check(final, lo, hi, budget) -> str:
    ok = int(np.sum(final)) == budget and (final >= lo - 1e-9).all() and (final <= hi + 1e-9).all()
    return "total exact, bounds respected" if ok else "CHECK FAILED"


def end_to_end(label: str, call, repeat: int, warmup: int = 10) -> None:
    """``call()`` (an allocate() call) against the core on the same problem, timed alternately: medians of
    ``repeat`` calls each after ``warmup`` calls of each, the ratio, and the median of each phase of allocate()."""
    res = call()
    tab = res.table
    target, lo, hi = (tab[k].to_numpy() for k in ("target", "lower", "upper"))
    keys = tab["adcode"].to_numpy(dtype=str)
    budget = int(tab["final"].sum())

    def core():
        return constrained.proportional(target, lo, hi, budget, keys=keys)

    x, final, _ = core()
    assert np.array_equal(final, tab["final"].to_numpy()), "the core does not reproduce allocate()'s amounts"
    for _ in range(warmup):
        call(), core()
    t_api, t_core, phases, outside = [], [], [], []
    load = os.getloadavg()
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = call()
        t1 = time.perf_counter()
        core()
        t2 = time.perf_counter()
        t_api.append(t1 - t0)
        t_core.append(t2 - t1)
        phases.append(r.solver_info["phases"])
        outside.append(t_api[-1] - sum(v for k, v in phases[-1].items() if k != "table_construction"))
    api, base = statistics.median(t_api), statistics.median(t_core)
    parts = {k: statistics.median(p[k] for p in phases) for k in phases[0]}
    print(f"\n-- {label}: {len(tab):,} regions, {int((tab['binding'] == 'floor').sum()):,} at floor, "
          f"{int((tab['binding'] == 'cap').sum()):,} at cap; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"medians of {repeat} after {warmup} warm-up calls")
    print(f"closed form (water-filling + rounding): {base * 1000:8.2f} ms   [{check(final, lo, hi, budget)}]")
    print(f"allocate() end to end (method + bounds + table): {api * 1000:8.2f} ms   = {api / base:.2f}× the core "
          f"(target ≤ 3×)")
    print("  of which " + ", ".join(f"{k.replace('_', ' ')} {v * 1000:.2f} ms" for k, v in parts.items())
          + f"; outside the phases (result, call) {statistics.median(outside) * 1000:.2f} ms")
    print("  (medians of each; prepare: arguments, method file, own frame, adcode ranks; method: evaluation and "
          "scaling to the budget; bounds: bounds and the feasibility diagnosis; solve: the core in allocate() "
          "(adcode ranks as keys); table: binding, columns and the DataFrame, of which table construction the "
          "DataFrame itself)")


def county_2023_call():
    """allocate() exactly as ``ecocomp run county_2023`` calls it (the scenario's data, budget, constraints and
    method, captured from one run of the scenario)."""
    import compensation.allocation as allocation
    from compensation.run import compute
    from compensation.scenario import load_scenario

    calls = []
    real = allocation.allocate

    def recording(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    allocation.allocate = recording
    try:
        compute(load_scenario("county_2023"))
    finally:
        allocation.allocate = real
    args, kwargs = calls[0]
    return lambda: real(*args, **kwargs)


def run(scale: int, time_limit: float, repeat: int, api_repeat: int = 50, api_only: bool = False) -> None:
    regions = synthetic_counties(scale=scale)
    n = len(regions)
    last = regions["last_year_amount_10k_cny"].to_numpy(dtype=float)
    budget = int(round(last.sum() * 1.03))
    c = Constraints(floor_ratio=0.95, cap_ratio=1.10)
    end_to_end("bounds 95%–110% of last year, budget 103% of last year's total",
               lambda: allocate(regions, budget=budget, budget_unit="万元", unit="万元", constraints=c), api_repeat)
    if scale == 1:
        end_to_end("county_2023 scenario (floor 95%, cap 120%, default method)", county_2023_call(), api_repeat)
    if api_only:
        return
    res = allocate(regions, budget=budget, budget_unit="万元", unit="万元", constraints=c)
    tab = res.table
    target, lo, hi = (tab[k].to_numpy() for k in ("target", "lower", "upper"))
    keys = tab["adcode"].to_numpy(dtype=str)
    (x, final, _), t_closed = timed(lambda: constrained.proportional(target, lo, hi, budget, keys=keys), repeat)
    print(f"\n== {n:,} regions, budget {budget:,} 万元, bounds 95%–110% of last year "
          f"({int((tab['binding'] == 'floor').sum()):,} at floor, {int((tab['binding'] == 'cap').sum()):,} at cap)")
    print(f"closed form (water-filling + rounding): {t_closed * 1000:8.2f} ms   [{check(final, lo, hi, budget)}]")
    dev_closed = np.abs(x - target).sum()
    for objective, integer in (("min_abs", False), ("min_abs", True), ("minimax", False), ("minimax", True)):
        label = "MILP" if integer else "LP"
        sol = solver.solve(target, lo, hi, budget, objective=objective, integer=integer, time_limit=time_limit)
        if sol.x is None:
            print(f"PuLP + {sol.solver} {label}: {sol.status} after {sol.runtime:.2f} s (no solution)")
            continue
        f = sol.x.astype(np.int64) if integer else constrained.round_block(sol.x, budget, lo, hi, keys)
        gap = "" if sol.gap is None else f", gap {sol.gap:.2g}"
        print(f"PuLP + {sol.solver} {label} ({objective}): {sol.runtime * 1000:10.1f} ms  status {sol.status}{gap}  "
              f"ratio to closed form {sol.runtime / t_closed:8.0f}×  [{check(f, lo, hi, budget)}]; "
              f"abs deviation {np.abs(sol.x - target).sum():,.0f} vs closed form {dev_closed:,.0f}")


def two_groups(keys: np.ndarray, free: np.ndarray, budget: int) -> list:
    """Two disjoint groups that bind: the east (adcodes 1xxxxx–3xxxxx) at most 99% of what it gets without
    groups, the west (5xxxxx–6xxxxx) at least 101% of it. Bounds in whole units (minimum up, maximum down)."""
    first = np.array([k[0] for k in keys])
    east, west = np.isin(first, list("123")), np.isin(first, list("56"))
    return [("east", east, 0, int(np.floor(0.99 * free[east].sum()))),
            ("west", west, int(np.ceil(1.01 * free[west].sum())), budget)]


def run_groups(scale: int, time_limit: float, repeat: int, qp_regions: list[int]) -> None:
    """Issue #9's figures: the closed form with two groups against the PuLP MILP on the same problem, and
    the general path (nested/overlapping groups) on the first n regions for each n in ``qp_regions``."""
    regions = synthetic_counties(scale=scale)
    last = regions["last_year_amount_10k_cny"].to_numpy(dtype=float)
    budget = int(round(last.sum() * 1.03))
    tab = allocate(regions, budget=budget, budget_unit="万元", unit="万元",
                   constraints=Constraints(floor_ratio=0.95, cap_ratio=1.10)).table
    target, lo, hi = (tab[k].to_numpy() for k in ("target", "lower", "upper"))
    keys = tab["adcode"].to_numpy(dtype=str)
    groups = two_groups(keys, tab["final"].to_numpy(dtype=float), budget)
    (x, final, info), t_closed = timed(
        lambda: constrained.proportional(target, lo, hi, budget, groups=groups, keys=keys), repeat)
    sums = {name: int(final[m].sum()) for name, m, *_ in groups}
    ok = all(g_lo <= sums[name] <= g_hi for name, _, g_lo, g_hi in groups)
    print(f"\n== two groups, {len(target):,} regions (east ≤ 99% of its amount without groups, west ≥ 101%)")
    print(f"closed form with groups ({info['path']}): {t_closed * 1000:8.2f} ms   [{check(final, lo, hi, budget)}; "
          f"group bounds {'met' if ok else 'NOT MET'}]")
    sol = solver.solve(target, lo, hi, budget, groups=groups, objective="min_abs", integer=True,
                       time_limit=time_limit, backend="pulp")
    print(f"PuLP + {sol.solver} MILP (min_abs, same groups): {sol.runtime * 1000:10.1f} ms  status {sol.status}  "
          f"ratio to closed form {sol.runtime / t_closed:8.0f}×")
    for n in qp_regions:
        general_path(target, lo, hi, keys, n, time_limit, repeat)


def general_groups(free: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list:
    """Three groups that nest and overlap and bind, on n regions whose amounts without groups are ``free``:
    A = the first 60% of regions, at most its amount without groups less 30% of the room A∖B has above its
    floors; B = the first 30% (inside A), at least its amount plus 30% of the room A's maximum and B's caps leave;
    C = every third region (across A, B and the rest), at most its amount less 20% of its room. Whole units."""
    n = free.size
    idx = np.arange(n)
    A, B, C = idx < int(0.6 * n), idx < int(0.3 * n), idx % 3 == 0
    a_max = np.floor(free[A].sum() - 0.3 * (free[A & ~B].sum() - lo[A & ~B].sum()))
    room_b = min(hi[B].sum(), a_max - lo[A & ~B].sum()) - free[B].sum()
    b_min = np.ceil(free[B].sum() + 0.3 * max(room_b, 0.0))
    c_max = np.floor(free[C].sum() - 0.2 * (free[C].sum() - lo[C].sum()))
    return [("A", A, 0.0, float(a_max)), ("B", B, float(b_min), float(hi.sum())), ("C", C, 0.0, float(c_max))]


def general_path(target, lo, hi, keys, n: int, time_limit: float, repeat: int) -> None:
    """The general path (nested and overlapping groups) on the first ``n`` regions: the dual active-set method
    (constrained.proportional, settling included) against the well-scaled HiGHS QP on the same problem."""
    n = min(n, len(target))
    t, lo, hi, keys = target[:n], lo[:n], hi[:n], keys[:n]
    budget = int(round(np.clip(t, lo, hi).sum()))
    budget = int(min(max(budget, np.ceil(lo.sum())), np.floor(hi.sum())))
    free = constrained.water_fill(t, lo, hi, budget)[0]
    groups = general_groups(free, lo, hi)
    problems = feasibility.diagnose(t, lo, hi, budget, groups, list(keys), "万元")
    if problems:
        print(f"general path, {n:,} regions: infeasible groups ({problems[0].message_en})")
        return
    (x, final, info), t_dual = timed(lambda: constrained.proportional(t, lo, hi, budget, groups, keys=keys), repeat)
    sums = [int(final[m].sum()) for _, m, *_ in groups]
    ok = all(g_lo <= s <= g_hi for (_, _, g_lo, g_hi), s in zip(groups, sums, strict=True))
    binding = int(np.count_nonzero(info.get("multipliers", [])))
    t0 = time.perf_counter()
    res = highs.qp_proportional(t, lo, hi, float(budget), groups, time_limit=time_limit)
    t_qp = time.perf_counter() - t0
    diff = "" if res.objective is None else \
        f", objective vs QP {abs(info['objective'] - res.objective) / max(res.objective, 1e-300):.1e} relative"
    print(f"general path ({info['path']}, {info.get('iterations')} steps, {binding}/3 groups binding) on "
          f"{n:,} regions: {t_dual * 1000:8.2f} ms  [{check(final, lo, hi, budget)}; group bounds "
          f"{'met' if ok else 'NOT MET'}]; HiGHS QP (scaled) {t_qp * 1000:8.1f} ms, status {res.status}{diff}")


def random_groups(draws: int, seed: int, time_limit: float) -> None:
    """Many random overlapping groups: 50, 500 or 3,000 regions (lognormal targets, floors 50–100% and caps
    100–160% of target, budget Σt), 5–24 groups of random members; 40% get a maximum 20% of the way from their
    amount without groups down to their floors, 40% a minimum 20% of the way up to their caps. The dual method
    against the well-scaled HiGHS QP; infeasible draws are skipped."""
    rng = np.random.default_rng(seed)
    print(f"\n== random overlapping groups ({draws} draws, seed {seed})")
    for _ in range(draws):
        n, n_groups = int(rng.choice([50, 500, 3000])), int(rng.integers(5, 25))
        t, lo, hi, budget, groups = overlapping_groups(rng, n, n_groups)
        if feasibility.diagnose(t, lo, hi, budget, groups, [str(i) for i in range(n)], "元"):
            print(f"{n:6,} regions, {len(groups):2} groups: infeasible draw, skipped")
            continue
        t0 = time.perf_counter()
        res = dual_groups.solve(t, lo, hi, budget, groups)
        t_dual = time.perf_counter() - t0
        qp = highs.qp_proportional(t, lo, hi, budget, groups, time_limit=time_limit)
        obj = float(np.sum((res.x - t) ** 2 / t)) if res.x is not None else None
        diff = "" if obj is None or qp.objective is None or qp.status != "optimal" else \
            f", objective vs QP {abs(obj - qp.objective) / qp.objective:.1e} relative"
        print(f"{n:6,} regions, {len(groups):2} groups: dual {'verified' if res.verified else 'NOT VERIFIED'} in "
              f"{res.iterations:2} steps, {t_dual * 1000:7.1f} ms, {np.count_nonzero(res.nu):2} groups binding; "
              f"HiGHS QP {qp.runtime:6.2f} s {qp.status}{diff}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--time-limit", type=float, default=300)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--api-repeat", type=int, default=50, help="allocate() end to end: calls timed (≥ 30)")
    ap.add_argument("--api-only", action="store_true", help="only allocate() end to end against its core")
    ap.add_argument("--qp-regions", type=int, nargs="+", default=[31, 200, 300, 2848],
                    help="region counts for the general path (nested/overlapping groups), default 31 200 300 2848")
    ap.add_argument("--groups-only", action="store_true", help="only the two-group figures of issue #9")
    ap.add_argument("--random-groups", type=int, default=0, metavar="DRAWS",
                    help="only the random overlapping-groups stress test, with this many draws")
    args = ap.parse_args()
    if args.random_groups:
        random_groups(args.random_groups, 1, args.time_limit)
        return
    for scale in args.scales:
        if not args.groups_only:
            run(scale, args.time_limit, args.repeat, max(args.api_repeat, 30), args.api_only)
        if args.api_only:
            continue
        run_groups(scale, args.time_limit, args.repeat, args.qp_regions)


if __name__ == "__main__":
    main()
