"""Shared random test instances (plain functions, imported by the test modules beside this file)."""

from __future__ import annotations

import numpy as np


def county_like(n: int, seed: int = 5):
    """A county-scale allocation: targets, floors at 95% and caps at 110% of a lognormal last year, and a
    budget 3% above last year's total. Returns (targets, lower, upper, budget)."""
    rng = np.random.default_rng(seed)
    last = rng.lognormal(6, 1, n).round()
    t = last * rng.uniform(0.85, 1.2, n)
    budget = int(round(last.sum() * 1.03))
    t *= budget / t.sum()
    return t, np.ceil(last * 0.95), np.floor(last * 1.10), budget


def overlapping_groups(rng, n: int, count: int):
    """``n`` regions (lognormal targets, floors 50–100 % and caps 100–160 % of target, budget Σt) and up to
    ``count`` random overlapping groups (a draw with no member is skipped): 40 % get a maximum 20 % of the way
    from their amount without groups down to their floors, 40 % a minimum 20 % of the way up to their caps, the
    rest no bound. Returns (targets, lower, upper, budget, groups). Used by tests/test_allocation_dual.py and
    benchmarks/bench_allocation.py."""
    from compensation.allocation import constrained

    t = rng.lognormal(0, 1, n)
    budget = float(t.sum())
    lo, hi = np.floor(t * rng.uniform(0.5, 1.0, n)), np.ceil(t * rng.uniform(1.0, 1.6, n))
    free = constrained.water_fill(t, lo, hi, budget)[0]
    groups = []
    for g in range(count):
        m = rng.random(n) < rng.uniform(0.05, 0.6)
        if not m.any():
            continue
        f, r = free[m].sum(), rng.random()
        if r < 0.4:
            groups.append((f"g{g}", m, 0.0, float(np.floor(f - 0.2 * (f - lo[m].sum())))))
        elif r < 0.8:
            groups.append((f"g{g}", m, float(np.ceil(f + 0.2 * (hi[m].sum() - f))), budget))
        else:
            groups.append((f"g{g}", m, 0.0, budget))
    return t, lo, hi, budget, groups
