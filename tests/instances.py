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
