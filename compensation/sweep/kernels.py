"""Compiled row kernels of the batched sweep (numba): the same arithmetic as the numpy code of
:mod:`compensation.sweep.batched` and :mod:`compensation.sweep.stats`, one row at a time in one pass over its
columns instead of several whole-array passes with temporaries.

* :func:`solve_rows` — the whole allocation of a row (feasibility, λ, x, whole units, binding codes) in one
  call for the sweep's usual case (proportional, no groups, every target positive, finite caps, no locked
  or excluded region), from the row functions below; rows it does not settle go to the numpy code.
* :func:`newton_rows` / :func:`newton_row` — λ per row with Σ_j clip(λ t_j, lo_j, hi_j) = B by the safeguarded Newton iteration
  of :func:`batched.newton_scale`: at λ the free set F = {j : lo_j < λ t_j < hi_j} gives the slope
  T = Σ_F t_j and the rest the fixed part C = Σ_{j∉F} clip(λ t_j, lo_j, hi_j); the step λ' = (B − C)/T
  solves that linear piece, and a row is settled when |λ' − λ| ≤ 10⁻¹⁵ λ. A step outside the bracket
  [a, b] with S(a) < B ≤ S(b) becomes the secant through the bracket's ends, else bisection. A flat piece
  (T = 0), a row with a floor above its cap or a non-finite step is *not* settled here: such rows go to the
  numpy iteration (which handles flat pieces) and, failing that, to the sorted path — so the kernel only
  ever answers the rows whose answer is the fixed point of the same iteration. Each step is one pass over
  the row; a row stops as soon as it is settled (the numpy iteration steps every row until the last settles).
  A row starts from the previous row's λ (draws of one chunk are alike), which changes the path, not the
  fixed point: at the end C and T are sums over the final piece's own sets, whatever λ led there.
  The sums run left to right instead of numpy's pairwise order, so λ may differ in its last bits; x is then
  clip(λ t, lo, hi) in both, and the whole-unit amounts are the same (tests compare them with ``allocate()``
  and with the numpy path).
* :func:`round_rows_whole` / :func:`round_row` — largest remainder within whole bounds (:func:`batched.round_rows` with
  ``within``): base_j = clip(⌊x_j + 10⁻⁹⌋, lo_j, hi_j); the k = B − Σ base missing units go one each to the
  k largest remainders x_j − base_j among the columns below their cap (equal remainders to the earlier
  column), or, when the floors overshoot, are taken from the k smallest remainders among those above their
  floor. The k-th largest remainder is found by a selection (quickselect with three-way partitions,
  :func:`kth_largest`) instead of a sort. Whole numbers stay in float64 (exact below 2⁵³), so Σ base is
  exact in any order. Identical integers to the numpy rule, ties included (tested).
* :func:`rank_runs` — the ranks of :func:`stats.ranks` from the sorted packed keys: walking each sorted row
  from its end, the rank of a position is n − (last position of its run of equal amounts);
  :func:`rank_stats` gives a chunk's best and worst ranks and rank changes the same way without writing the
  ranks, and :func:`column_stats` its integer sums, minima, maxima and floor/cap counts in one pass.
* :func:`floor_bounds` — per-draw whole-unit floors ⌈max(ratio·last, 0, absolute floor) − 10⁻⁹⌉ in one pass.
* :func:`binding_clipped` — :func:`batched.binding_codes` with ``clipped``: floor code where the scaled target
  λ t < lo − 10⁻⁶ max(|lo|, 1), cap code where λ t > hi + 10⁻⁶ max(|hi|, 1), element by element with the
  same floating-point operations (identical codes).

Bounds (``lo``/``hi``) are passed as writable C-ordered (1, n) or (m, n) arrays (:func:`batched.row_bounds`):
one row serves every draw when the bounds do not vary, and every call has the same argument types, so each
kernel is compiled for one signature. Compiled once and cached beside this file (``cache=True``; numba falls
back to a user cache folder where that is not writable); ``nogil`` lets the local engine's threads run them
in parallel. :func:`batched.load_kernels` imports this module (``run_sweep`` does so for sweeps of at least
``batched.KERNEL_MIN_CELLS`` draw × region cells: numba costs about 0.6 s to start in each process);
without numba, or with ``ECOCOMP_NUMBA=0``, the numpy code runs, with the same integer results."""

from __future__ import annotations

import numba
import numpy as np

_JIT = {"cache": True, "nogil": True}


@numba.njit(**_JIT, fastmath={"reassoc"})
def newton_row(tp, lp, hp, i, li, hi_, r, lam0, iterations):
    """(λ, settled) of row i (bounds rows li and hi_) for the total r, starting from ``lam0`` when it is
    finite (else r / Σ t). Not settled: a floor above a cap, no positive target, a flat piece, a non-finite
    step, or no fixed point within ``iterations`` steps."""
    n = tp.shape[1]
    t0 = 0.0
    crossed = False
    for j in range(n):
        t0 += tp[i, j]
        crossed |= lp[li, j] > hp[hi_, j]
    if crossed or not t0 > 0.0:
        return (r / t0 if t0 > 0.0 else 1.0), False
    lam = lam0 if np.isfinite(lam0) else r / t0
    a = 0.0
    b = np.inf
    sa = np.nan
    sb = np.nan
    for _ in range(iterations):
        big_t = 0.0
        c = 0.0
        for j in range(n):
            tj = tp[i, j]
            lo = lp[li, j]
            hi = hp[hi_, j]
            y = min(max(lam * tj, lo), hi)
            free = y > lo and y < hi
            big_t += tj if free else 0.0  # selects, not branches: the free set is unpredictable
            c += 0.0 if free else y
        s = c + lam * big_t
        if s < r:
            lo_b, hi_b, s_lo, s_hi = max(a, lam), b, s, sb
        else:
            lo_b, hi_b, s_lo, s_hi = a, min(b, lam), sa, s
        if not big_t > 0.0:  # a flat piece: the numpy iteration decides by the breakpoints
            return lam, False
        new = (r - c) / big_t
        if not np.isfinite(new):
            return lam, False
        if abs(new - lam) <= 1e-15 * abs(lam):
            return new, True
        if not (new > lo_b and new < hi_b):  # outside the bracket: secant through its ends, else bisection
            new = lo_b + (r - s_lo) * (hi_b - lo_b) / (s_hi - s_lo)
            if not (np.isfinite(new) and new > lo_b and new < hi_b):
                new = 0.5 * (lo_b + hi_b)
            if not np.isfinite(new):
                return lam, False
        a, b, sa, sb = lo_b, hi_b, s_lo, s_hi
        lam = new
    return lam, False


@numba.njit(**_JIT)
def newton_rows(tp, lp, hp, rest, iterations, lam_out, settled, x_out):
    """λ per row (``lam_out``) and x = clip(λ tp, lp, hp) (``x_out``) for the rows the iteration settles
    (``settled`` True); other rows keep ``settled`` False and their x is not written. Every tp must be > 0.
    Each row starts from the previous row's λ when that one settled (draws of a chunk are alike: 3.7 steps
    a row instead of 4.4)."""
    m, n = tp.shape
    prev = np.nan
    for i in range(m):
        li = i if lp.shape[0] > 1 else 0
        hi_ = i if hp.shape[0] > 1 else 0
        lam, ok = newton_row(tp, lp, hp, i, li, hi_, rest[i], prev, iterations)
        lam_out[i] = lam
        settled[i] = ok
        prev = lam if ok else np.nan
        if ok:
            for j in range(n):
                x_out[i, j] = min(max(lam * tp[i, j], lp[li, j]), hp[hi_, j])


@numba.njit(**_JIT, fastmath={"reassoc"})
def solve_rows(t, lo, hi, budget, total, iterations, cap_code, final, binding, lam_out, status):
    """The whole proportional allocation of each row without groups, every target positive and every cap
    finite, in one pass per step over the row: feasibility as :func:`batched.feasible_rows` (no floor above
    its cap, Σ lo ≤ B ≤ Σ hi — whole numbers, so the sums are exact in any order), λ by :func:`newton_row`,
    x = clip(λ t, lo, hi), the whole units by :func:`round_row` and the binding codes as
    :func:`binding_clipped`. ``status`` per row: 1 infeasible (row left at zero), 2 solved, 3 solved but not
    roundable within its bounds, 0 not settled here (the caller runs the numpy code on it)."""
    m, n = t.shape
    x = np.empty(n)
    frac = np.empty(n)
    buf = np.empty(n + 1)
    out = np.empty((1, n))
    prev = np.nan
    for i in range(m):
        li = i if lo.shape[0] > 1 else 0
        hi_ = i if hi.shape[0] > 1 else 0
        s_lo = 0.0
        s_hi = 0.0
        crossed = False
        for j in range(n):
            s_lo += lo[li, j]
            s_hi += hi[hi_, j]
            crossed |= lo[li, j] > hi[hi_, j]
        r = budget[i]
        if crossed or not (s_lo <= r and r <= s_hi):
            status[i] = 1
            continue
        lam, ok = newton_row(t, lo, hi, i, li, hi_, r, prev, iterations)
        lam_out[i] = lam
        if not ok:
            status[i] = 0
            prev = np.nan
            continue
        prev = lam
        for j in range(n):
            x[j] = min(max(lam * t[i, j], lo[li, j]), hi[hi_, j])
        rounded = round_row(x, total[i], lo, hi, li, hi_, out, frac, buf, final[i])
        status[i] = 2 if rounded else 3
        for j in range(n):
            binding[i, j] = binding_code(t[i, j] * lam, lo[li, j], hi[hi_, j], cap_code)


@numba.njit(**_JIT)
def kth_largest(buf, cnt, k):
    """(v, g): the k-th largest v of buf[:cnt] (1 ≤ k ≤ cnt) and the number g of values above it, reordering
    buf: quickselect with three-way partitions (many remainders are exactly 0 — regions at a whole bound — and
    a two-way partition degrades on repeats). Whatever lies left of the final range is above v, whatever lies
    right of it below v, so g is the final range's left end (or its '> pivot' part)."""
    lo = 0
    hi = cnt - 1
    want = k - 1  # position in descending order
    while True:
        if lo >= hi:
            return buf[lo], lo
        a, b, c = buf[lo], buf[(lo + hi) // 2], buf[hi]
        pivot = max(min(a, b), min(max(a, b), c))  # median of three
        # descending three-way partition of buf[lo..hi]: > pivot | == pivot | < pivot
        lt = lo
        gt = hi
        i = lo
        while i <= gt:
            v = buf[i]
            if v > pivot:
                buf[i] = buf[lt]
                buf[lt] = v
                lt += 1
                i += 1
            elif v < pivot:
                buf[i] = buf[gt]
                buf[gt] = v
                gt -= 1
            else:
                i += 1
        if want < lt:
            hi = lt - 1
        elif want > gt:
            lo = gt + 1
        else:
            return pivot, lt


@numba.njit(**_JIT, fastmath={"reassoc"})
def round_row(x, total, lo, hi, li, hi_, out, frac, buf, final):
    """One row of :func:`round_rows_whole`: ``x`` (n,) into ``final`` (n,) int64; scratch ``out`` (1, n),
    ``frac`` (n,), ``buf`` (n + 1,). Returns whether the row reached its total within its bounds."""
    n = x.shape[0]
    have = 0.0
    for j in range(n):
        v = x[j]
        b = np.floor(v + 1e-9)
        b = min(max(b, lo[li, j]), hi[hi_, j])
        out[0, j] = b
        frac[j] = v - b
        have += b  # whole numbers: exact in any order
    missing = total - np.int64(np.round(have))
    ok = True
    if missing != 0:
        ok = _settle_row(out, frac, buf, lo, hi, li, hi_, missing)
    for j in range(n):
        final[j] = np.int64(out[0, j])
    return ok


@numba.njit(**_JIT)
def round_rows_whole(x, total, lo, hi, final, ok):
    """Largest remainder row by row within whole bounds lo ≤ x ≤ hi (finite); ``final`` (int64) and ``ok``
    (the row reached its total within its bounds) are written."""
    m, n = x.shape
    frac = np.empty(n)
    buf = np.empty(n + 1)
    out = np.empty((1, n))  # the row's whole numbers, kept in float64 as the numpy rule keeps them
    for i in range(m):
        li = i if lo.shape[0] > 1 else 0
        hi_ = i if hi.shape[0] > 1 else 0
        ok[i] = round_row(x[i], total[i], lo, hi, li, hi_, out, frac, buf, final[i])


@numba.njit(**_JIT)
def _settle_row(out, frac, buf, lo, hi, li, hi_, missing):
    """The missing units of one row (see :func:`round_rows_whole`): one each to the largest eligible scores.
    Eligible: below the cap when units are missing (score = remainder), above the floor when the floors
    overshoot (score = −remainder); written as sign·value < sign·bound so one loop serves both."""
    n = out.shape[1]
    up = missing > 0
    sign = 1.0 if up else -1.0
    bound = hi[hi_] if up else lo[li]
    k = abs(missing)
    # the eligible scores: first only the positive ones, which hold the cut whenever there are at least k of
    # them (the usual case when units are missing)
    cnt = 0
    pos = 0
    for j in range(n):
        elig = sign * out[0, j] < sign * bound[j]
        s = sign * frac[j]
        buf[pos] = s
        pos += elig and s > 0.0
        cnt += elig
    kk = min(k, cnt)
    ok = kk == k  # fewer candidates than units to place: the row cannot reach its total
    if kk == 0:
        return ok
    if kk <= pos:  # the cut lies among the positive scores: every other eligible one is below it
        v, greater = kth_largest(buf, pos, kk)
    else:
        cnt = 0
        for j in range(n):
            buf[cnt] = sign * frac[j]
            cnt += sign * out[0, j] < sign * bound[j]
        v, greater = kth_largest(buf, cnt, kk)
    for j in range(n):  # every eligible score above the cut takes a unit
        take = sign * out[0, j] < sign * bound[j] and sign * frac[j] > v
        out[0, j] += sign if take else 0.0
    take_eq = kk - greater  # scores equal to the cut: the earlier columns first
    if take_eq > 0:
        for j in range(n):
            if sign * frac[j] == v and sign * (out[0, j]) < sign * bound[j]:
                out[0, j] += sign
                take_eq -= 1
                if take_eq == 0:
                    break
    return ok


@numba.njit(**_JIT)
def rank_stats(key, bits, base_rank, rank_min, rank_max, rank_changed):
    """The rank statistics of a chunk straight from each row's ascending packed keys (see :func:`rank_runs`):
    per column the best (smallest) and worst rank over the rows and how many rows rank it differently from
    ``base_rank``, without writing the ranks out."""
    m, n = key.shape
    mask = (1 << bits) - 1
    row = np.empty(n, dtype=np.int32)  # the row's ranks by column: one scattered write each, then one pass
    for i in range(m):
        end = n - 1
        for p in range(n - 1, -1, -1):
            if p < n - 1 and (key[i, p] >> bits) != (key[i, p + 1] >> bits):
                end = p
            row[key[i, p] & mask] = n - end
        for j in range(n):
            r = row[j]
            rank_min[j] = min(rank_min[j], r)
            rank_max[j] = max(rank_max[j], r)
            rank_changed[j] += r != base_rank[j]


@numba.njit(**_JIT)
def column_stats(final, binding, floor_code, cap_code, total, lo, hi, at_floor, at_cap):
    """Per column over the rows: sum, minimum, maximum (of ``final``) and the rows at floor and at cap (codes
    in ``binding``); integers, so the same as numpy's reductions in any order."""
    m, n = final.shape
    for j in range(n):
        lo[j] = final[0, j]
        hi[j] = final[0, j]
    for i in range(m):
        for j in range(n):
            v = final[i, j]
            total[j] += v
            lo[j] = min(lo[j], v)
            hi[j] = max(hi[j], v)
            c = binding[i, j]
            at_floor[j] += c == floor_code
            at_cap[j] += c == cap_code


@numba.njit(**_JIT)
def rank_runs(key, bits, out):
    """Ranks from each row's ascending packed keys ((amount − min) · 2^bits + column): rank = n − last
    position of the run of equal amounts, written at the key's column."""
    m, n = key.shape
    mask = (1 << bits) - 1
    for i in range(m):
        end = n - 1
        for p in range(n - 1, -1, -1):
            if p < n - 1 and (key[i, p] >> bits) != (key[i, p + 1] >> bits):
                end = p
            out[i, key[i, p] & mask] = n - end


@numba.njit(**_JIT)
def binding_code(ref, lo_j, hi_j, cap_code):
    """1 (floor) where the unclipped amount ``ref`` < lo − 1e-6·max(|lo|, 1), ``cap_code`` where ref > hi +
    1e-6·max(1, |hi|), else 0 (their sum if both: a floor above the cap). The one place of this rule in the
    kernels."""
    lo_thr = lo_j - max(abs(lo_j), 1.0) * 1e-6
    hi_thr = hi_j + 1e-6 * max(1.0, abs(hi_j))
    return (1 if ref < lo_thr else 0) + (cap_code if ref > hi_thr else 0)


@numba.njit(**_JIT)
def binding_clipped(target, scale, lo, hi, cap_code, out):
    """Binding codes of clipped rows: 1 (floor) where scale·target < lo − 1e-6·max(|lo|, 1), ``cap_code``
    where scale·target > hi + 1e-6·max(1, |hi|), else 0."""
    m, n = target.shape
    for i in range(m):
        li = i if lo.shape[0] > 1 else 0
        hi_ = i if hi.shape[0] > 1 else 0
        s = scale[i]
        for j in range(n):
            out[i, j] = binding_code(target[i, j] * s, lo[li, j], hi[hi_, j], cap_code)



@numba.njit(**_JIT)
def floor_bounds(ratio, known, lo_abs, lo):
    """Per-draw floors in whole units, as ``engine._bounds`` computes them with numpy:
    ⌈max(max(ratio_i · last_j, 0), lo_abs_j) − 10⁻⁹⌉ (no missing last-year amounts, no fixed regions)."""
    m, n = lo.shape
    for i in range(m):
        r = ratio[i]
        for j in range(n):
            v = max(max(r * known[j], 0.0), lo_abs[j])
            lo[i, j] = np.ceil(v - 1e-9)
