"""One small pure function per horizontal rule type, vectorised over numpy arrays (many years or scenarios at
once). Money in and out in the same unit (the agreement files use 万元); no amounts live here.

Sign convention for two-party rules: a positive amount is paid by the downstream (benefiting) party to the
upstream (protecting) party; a negative amount is paid by the upstream party to the downstream party."""

from __future__ import annotations

import numpy as np

TOL = 1e-9  # comparisons at a boundary (P exactly 1, a rate exactly at its target) count as on the boundary


# 1. index threshold (Xin'an) ------------------------------------------------------------------------------

def pollution_index(conc, baseline, weights, k0) -> np.ndarray:
    """P = k0 × Σ_i k_i × C_i / C_i0 over the last axis (indicators)."""
    conc = np.asarray(conc, dtype=float)
    return float(k0) * np.sum(np.asarray(weights, dtype=float) * conc / np.asarray(baseline, dtype=float), axis=-1)


def index_threshold(p, transfer, threshold=1.0) -> np.ndarray:
    """P ≤ threshold: downstream pays upstream ``transfer`` (+); P > threshold: upstream pays downstream (−)."""
    p = np.asarray(p, dtype=float)
    return np.where(p <= threshold + TOL, 1.0, -1.0) * float(transfer)


# 2. class step with a capped change term (Yellow River) --------------------------------------------------

def class_step(annual_class, amount_per_class, pivot_class=3) -> np.ndarray:
    """B = amount_per_class × (pivot − c): better than the pivot class → downstream pays (+)."""
    return float(amount_per_class) * (float(pivot_class) - np.asarray(annual_class, dtype=float))


def composite_index(conc, standard) -> np.ndarray:
    """Mean over indicators (last axis) of concentration / standard."""
    return np.mean(np.asarray(conc, dtype=float) / np.asarray(standard, dtype=float), axis=-1)


def improvement_points(index_prev, index_now) -> np.ndarray:
    """Improvement in percentage points: (I_prev − I_now) / I_prev × 100 (negative when worse)."""
    index_prev = np.asarray(index_prev, dtype=float)
    return (index_prev - np.asarray(index_now, dtype=float)) / index_prev * 100.0


def change_term(points, rate_per_point, cap) -> np.ndarray:
    """V = rate × Δ, clipped to [−cap, cap]: improvement → downstream pays (+)."""
    return np.clip(float(rate_per_point) * np.asarray(points, dtype=float), -float(cap), float(cap))


# 3. monthly compliance count (Lushui) ---------------------------------------------------------------------

def monthly_compliance(month_class, target_class, amount_per_month) -> tuple[np.ndarray, np.ndarray]:
    """(downstream pays, upstream pays) over the last axis (months): each month at or better than the target
    class → downstream pays the amount; each failing month → upstream pays it."""
    ok = np.asarray(month_class) <= target_class
    n_ok = ok.sum(axis=-1)
    n_fail = ok.shape[-1] - n_ok
    return n_ok * float(amount_per_month), n_fail * float(amount_per_month)


# 4. pass-rate target (Jiuzhou, Tingjiang–Hanjiang, Dongjiang) ---------------------------------------------

def pass_rate(month_class, target_class) -> np.ndarray:
    """Share of months (last axis) at or better than the target class."""
    return np.mean(np.asarray(month_class) <= target_class, axis=-1)


def pass_rate_settlement(rate, target_rate, annual_ok, transfer, partial_rule="all_or_nothing"):
    """(downstream pays, upstream pays).

    all_or_nothing: target met (annual class ok and rate ≥ target) → downstream pays the whole transfer,
    otherwise upstream pays it. pro_rata: completion = min(1, rate / target) (0 if the annual class fails);
    downstream pays transfer × completion, upstream pays transfer × (1 − completion)."""
    rate = np.asarray(rate, dtype=float)
    target_rate = np.asarray(target_rate, dtype=float)
    annual_ok = np.asarray(annual_ok, dtype=bool)
    if partial_rule == "all_or_nothing":
        completion = (annual_ok & (rate >= target_rate - TOL)).astype(float)
    elif partial_rule == "pro_rata":
        completion = np.where(annual_ok, np.minimum(1.0, rate / np.maximum(target_rate, TOL)), 0.0)
        completion = np.where(rate >= target_rate - TOL, np.where(annual_ok, 1.0, 0.0), completion)
    else:
        raise ValueError(f"unknown partial rule '{partial_rule}': use all_or_nothing or pro_rata")
    return float(transfer) * completion, float(transfer) * (1.0 - completion)


def stable_or_improving(annual_ok, rate, prev_rate, annual_class, prev_class) -> np.ndarray:
    """Two-way rule of Tingjiang–Hanjiang: the water is *stable at standard* (annual-mean class meets the target)
    or *improving* (monthly pass rate not below last year's and annual class not worse than last year's) →
    downstream pays (1); otherwise it deteriorates → upstream pays (0). A missing previous year (NaN) cannot show
    an improvement."""
    annual_ok = np.asarray(annual_ok, dtype=bool)
    prev_rate = np.asarray(prev_rate, dtype=float)
    prev_class = np.asarray(prev_class, dtype=float)
    improving = (~np.isnan(prev_rate) & ~np.isnan(prev_class)
                 & (np.asarray(rate, dtype=float) >= np.nan_to_num(prev_rate, nan=np.inf) - TOL)
                 & (np.asarray(annual_class, dtype=float) <= np.nan_to_num(prev_class, nan=-np.inf)))
    return (annual_ok | improving).astype(float)


# 5. pooled fund (Chishui) --------------------------------------------------------------------------------

def pooled_fund(pool, contribution_ratio, allocation_ratio, routes, failed, forfeit_routed=False,
                deduction_share=1.0):
    """(contributions, allocations) per party, arrays in party order.

    ``routes``: list of (from, {to_index: share}[, amount]) in the order they apply (upstream first);
    ``failed``: one bool per route (the route's section failed). When ``from`` is one party's index, a failing
    section deducts ``deduction_share`` of that party's allocation — its own ratio allocation, or
    (``forfeit_routed``) everything it holds at that point, including amounts routed to it by an earlier route —
    and moves it to the listed parties by share. When ``from`` is {index: share} (several parties answer for one
    section, e.g. Chishui's section above 茅台, Guizhou and Sichuan 50% each), the route's ``amount`` is deducted
    from them by those shares (each at most what it holds) and moved likewise."""
    contrib = float(pool) * np.asarray(contribution_ratio, dtype=float) / np.sum(contribution_ratio)
    base = float(pool) * np.asarray(allocation_ratio, dtype=float) / np.sum(allocation_ratio)
    alloc = base.copy()
    for route, fail in zip(routes, failed, strict=True):
        if not fail:
            continue
        src, shares = route[0], route[1]
        if isinstance(src, dict):
            amount = float(route[2])
            moved = 0.0
            for i, part in src.items():
                take = min(amount * float(part), alloc[i])
                alloc[i] -= take
                moved += take
        else:
            held = alloc[src] if forfeit_routed else min(base[src], alloc[src])
            moved = float(deduction_share) * held
            alloc[src] -= moved
        for dst, share in shares.items():
            alloc[dst] += moved * share
    return contrib, alloc


def pairwise_from_net(net) -> np.ndarray:
    """Split net positions (receipts − payments, summing to 0) into a payer × payee matrix: each net payer's
    amount goes to net receivers in proportion to what they receive. M[i, j] = amount i pays j."""
    net = np.asarray(net, dtype=float)
    out = np.maximum(-net, 0.0)
    inn = np.maximum(net, 0.0)
    total = inn.sum()
    if total <= TOL:
        return np.zeros((net.size, net.size))
    return np.outer(out, inn / total)


# 6. quantity plus quality (Miyun / Chaobai) ---------------------------------------------------------------

def quantity_payment(inflow, baseline, rate_per_unit, cap) -> np.ndarray:
    """More water, more reward: rate × max(0, inflow − baseline), at most ``cap``; downstream pays (+)."""
    excess = np.maximum(0.0, np.asarray(inflow, dtype=float) - float(baseline))
    return np.minimum(float(rate_per_unit) * excess, float(cap))


def quality_payment(indicator_class, target_class, amount_per_indicator) -> tuple[np.ndarray, np.ndarray]:
    """(downstream pays, upstream pays) over the last axis (indicators × sections flattened): each indicator
    meeting the target → downstream pays the amount; each failing → upstream pays it."""
    return monthly_compliance(indicator_class, target_class, amount_per_indicator)


# 7. beneficiary shares (South-to-North middle route) ------------------------------------------------------

def beneficiary_weights(water_use, econ_level, water_weight) -> np.ndarray:
    """w_j = α × water-use share + (1 − α) × economic-level share; sums to 1."""
    water = np.asarray(water_use, dtype=float)
    econ = np.asarray(econ_level, dtype=float)
    return float(water_weight) * water / water.sum() + (1.0 - float(water_weight)) * econ / econ.sum()


def beneficiary_shares(total, weights, source_shares) -> np.ndarray:
    """M[j, k] = total × w_j × s_k: beneficiary j pays source region k."""
    s = np.asarray(source_shares, dtype=float)
    return float(total) * np.outer(np.asarray(weights, dtype=float), s / s.sum())
