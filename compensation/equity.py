"""Equity measures of a payment distribution: Gini, Theil T, coefficient of variation.

Each is computed over regions (unweighted) on a per-unit payment, e.g. payment per capita or per km² of
red line. Regions with zero denominator are left out."""

from __future__ import annotations

import numpy as np


def gini(x) -> float:
    """Gini coefficient of non-negative values: Σ_i Σ_j |x_i − x_j| / (2 n² mean). 0 = equal."""
    v = np.sort(np.asarray(x, dtype=float))
    n = v.size
    if n == 0 or v.sum() == 0:
        return 0.0
    # closed form on sorted values: G = Σ (2i − n − 1) x_i / (n Σ x), i = 1..n
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * v) / (n * v.sum()))


def theil(x) -> float:
    """Theil T index: (1/n) Σ (x_i/μ) ln(x_i/μ), with 0 ln 0 = 0. 0 = equal, ln n = one region has all."""
    v = np.asarray(x, dtype=float)
    if v.size == 0 or v.sum() == 0:
        return 0.0
    r = v / v.mean()
    terms = np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)
    return float(terms.mean())


def cv(x) -> float:
    """Coefficient of variation: population standard deviation / mean."""
    v = np.asarray(x, dtype=float)
    if v.size == 0 or v.mean() == 0:
        return 0.0
    return float(v.std() / v.mean())


def per_unit(amount, denominator):
    """Payment per unit of ``denominator`` for regions where it is positive."""
    a = np.asarray(amount, dtype=float)
    d = np.asarray(denominator, dtype=float)
    keep = np.nan_to_num(d) > 0
    return a[keep] / d[keep]


def measures(values) -> dict[str, float]:
    return {"gini": gini(values), "theil": theil(values), "cv": cv(values)}
