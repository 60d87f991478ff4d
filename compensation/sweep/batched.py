"""The proportional allocation of :mod:`compensation.allocation.constrained`, vectorised over many draws.

Each row of the (draws × regions) arrays is one allocation problem

    minimise Σ_i (x_i − t_i)² / t_i   subject to   lo_i ≤ x_i ≤ hi_i,   Σ_i x_i = B   (+ disjoint group totals)

whose solution is x_i = clip(λ t_i, lo_i, hi_i) for one scale factor λ per row (and per pinned group).
S(λ) = Σ clip(λ t_i, lo_i, hi_i) is piecewise linear and non-decreasing with breakpoints lo_i/t_i and
hi_i/t_i. λ is found by a safeguarded Newton iteration on all rows at once (:func:`newton_scale`): at λ the
regions strictly inside their bounds give the slope T = Σ_free t and the others the fixed part C, and
λ' = (B − C)/T solves that linear piece exactly; the iteration stops when a step no longer moves λ, i.e.
when λ lies on the piece it solves. Steps that leave the bracket [a, b] with S(a) < B ≤ S(b) become secant
steps through the bracket's ends, flat pieces step to the next breakpoint or to the piece's left end (the λ
:func:`constrained.water_fill` returns). Each step is a few passes over the (draws × regions) arrays; rows
settle in 4–6 steps at county scale, against one sort of the 2n breakpoints per row plus cumulative sums and
gathers for the sorted path (:func:`_water_fill_sorted`, kept for the rows Newton does not settle within
``NEWTON_ITERATIONS`` and for infeasible rows; measured 3–4× slower). Both give λ to rounding error (a test
compares them on rows built to hit the corner cases), and the final integers equal ``allocate()``'s.

Rounding is the project's one rule, largest remainder (:func:`compensation.money.largest_remainder`) within
integer bounds, with equal remainders broken by adcode order (:func:`constrained.round_block`): each value is
floored and kept within its bounds; the units still missing go one each to the largest fractional remainders
(ties to the earlier adcode) among the values that can still take one (or, when the floors overshoot, are
taken one each from the smallest remainders). Per row that is a top-k selection: the k-th largest remainder
is found by one sort of the rows, every remainder above it is chosen, and among those equal to it the first
ones by adcode. The result is the same integer table as ``allocate()`` gives draw by draw (the test suite
checks this for hundreds of draws over several methods with floors, caps and groups).

Groups (disjoint, each with whole-unit minimum and maximum totals) use the closed form of
:func:`constrained.closed_form`: each member's bounds are tightened to the water-filling solution of its group
alone at the group's minimum and at its maximum, then one water-filling over all regions gives the exact
optimum. Rows with groups are then settled in whole units by :func:`constrained.settle` itself, row by row
(the group-aware rule); rows without groups by the vectorised largest remainder below, which is the same
rule when no group bound applies."""

from __future__ import annotations

import os
import threading

import numpy as np

# binding codes in the (draws × regions) int8 matrix; 0 is "not at a bound"
FLOOR, CAP, LOCKED, EXCLUDED = 1, 2, 3, 4
BINDING_NAMES = {0: "", FLOOR: "floor", CAP: "cap", LOCKED: "locked", EXCLUDED: "excluded"}


NEWTON_ITERATIONS = 50  # a safeguarded Newton step settles a row in a few; the rest take the sort

_KERNELS: list = []  # [module or None] once loaded
_LOCK = threading.Lock()
# draws × regions from which a sweep loads the compiled kernels: numba's start (~0.7–0.9 s once per process)
# against ~6e-8 s of wall saved per cell on 2 threads (10,000 × 2,848 county draws: 1.5–2.1 s) breaks even at
# ~11–15 million cells; measured slower with them at 2,000 × 2,848 (1.84 s against 1.65 s, bench_sweep --numpy)
KERNEL_MIN_CELLS = 15_000_000


def kernels():
    """The compiled row kernels (:mod:`compensation.sweep.kernels`) once :func:`load_kernels` has loaded them,
    else None (also when numba is not installed or ``ECOCOMP_NUMBA=0``). Where it says None the numpy code
    of this module runs: the same integers (tested)."""
    return _KERNELS[0] if _KERNELS else None


def load_kernels():
    """Import the compiled kernels (numba); each is then loaded from its on-disk cache at its first call
    (about 0.6 s in all once per process, most of it numba's own start; a first compilation takes longer).
    Returns the module, or None when numba is missing or turned off."""
    if _KERNELS:
        return _KERNELS[0]
    with _LOCK:
        if not _KERNELS:
            mod = None
            if os.environ.get("ECOCOMP_NUMBA", "1") != "0":
                try:
                    from . import kernels as mod
                except ImportError:  # numba missing (or not built for this platform)
                    mod = None
            _KERNELS.append(mod)
    return _KERNELS[0]


def row_bounds(a, m: int, n: int) -> np.ndarray:
    """A bound for the kernels, always a writable C-ordered float64 array (one compiled signature): (1, n) when
    every row is the same (a 1-d array or a row broadcast over the draws), else (m, n)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a.reshape(1, n)
    elif a.shape[0] > 1 and m > 1 and a.strides[0] == 0:
        a = a[:1]
    a = np.ascontiguousarray(a)
    return a if a.flags.writeable else a.copy()


def _events_min(mask, num, den):
    """Row-wise min of num/den over mask (inf where none)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mask, num / np.where(mask, den, 1.0), np.inf).min(axis=1)


def _events_max(mask, num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mask, num / np.where(mask, den, 1.0), -np.inf).max(axis=1)


def newton_scale(tp, lp, hp, rest) -> tuple[np.ndarray, np.ndarray]:
    """λ per row: the smallest λ with Σ clip(λ tp, lp, hp) ≥ rest, as ``constrained.water_fill`` picks it
    (columns with tp = 0 must have lp = hp = 0). Returns (λ, settled); rows not settled after
    ``NEWTON_ITERATIONS`` steps are left to the sorted path.

    S(λ) = Σ clip(λ t, lo, hi) is linear between breakpoints; at λ the regions strictly between their bounds
    (the free set F) give its slope T = Σ_F t and the rest its fixed part C, and the Newton step
    λ' = (rest − C) / T solves the piece exactly. A step that leaves the bracket [a, b] (S(a) < rest ≤ S(b))
    is replaced by the secant through the bracket's ends (exact when S is linear between them), else by
    bisection; flat pieces (T = 0) step to the next breakpoint or to the piece's left end. A row is settled
    when the step no longer moves λ (|λ' − λ| ≤ 1e-15 λ): λ' then solves the piece λ lies on."""
    m, n = tp.shape
    T0 = tp.sum(axis=1)
    lam = rest / np.where(T0 > 0, T0, 1.0)
    done = np.zeros(m, dtype=bool)
    settled = np.zeros(m, dtype=bool)
    a = np.zeros(m)
    b = np.full(m, np.inf)
    sa = np.full(m, np.nan)  # S at a and at b (NaN: not evaluated)
    sb = np.full(m, np.nan)
    y = np.empty((m, n))
    free = np.empty((m, n), dtype=bool)
    tmp = np.empty((m, n), dtype=bool)
    for _ in range(NEWTON_ITERATIONS):
        np.multiply(lam[:, None], tp, out=y)
        np.clip(y, lp, hp, out=y)
        np.greater(y, lp, out=free)
        np.less(y, hp, out=tmp)
        free &= tmp
        T = np.where(free, tp, 0.0).sum(axis=1)
        C = np.where(free, 0.0, y).sum(axis=1)
        S = C + lam * T
        below = S < rest
        A = np.where(below, np.maximum(a, lam), a)
        B = np.where(below, b, np.minimum(b, lam))
        SA = np.where(below, S, sa)
        SB = np.where(below, sb, S)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = (rest - C) / T
        fin = (T > 0) & (np.abs(new - lam) <= 1e-15 * np.abs(lam))
        step = (T > 0) & (new > A) & (new < B)
        flat = (T == 0) & ~done
        if flat.any():  # every region at a bound: decide by the breakpoints lo/t and hi/t themselves
            f = np.flatnonzero(flat)
            tf, lf, hf, Lf = tp[f], lp[f], hp[f], lam[f][:, None]
            pos = tf > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                ev_lo = np.where(pos, lf / np.where(pos, tf, 1.0), np.inf)
                ev_hi = np.where(pos, hf / np.where(pos, tf, 1.0), np.inf)
            below_f = below[f]
            # at or above the total on a flat piece: its left end (the last cap breakpoint at or below λ, else
            # the first breakpoint), which is where constrained.water_fill stops
            left = np.where((ev_hi <= Lf) & (ev_lo < ev_hi), ev_hi, -np.inf).max(axis=1)
            left = np.where(np.isfinite(left), left, ev_lo.min(axis=1))
            exact = ~below_f & (S[f] == rest[f])
            # below the total: the segment just to the right (regions with lo/t ≤ λ < hi/t), else the next
            # breakpoint up
            right = (ev_lo <= Lf) & (Lf < ev_hi)
            Tr = np.where(right, tf, 0.0).sum(axis=1)
            Cr = np.where(right, 0.0, np.where(ev_lo > Lf, lf, hf)).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                nr = (rest[f] - Cr) / Tr
            nxt = np.where(ev_lo > Lf, ev_lo, np.inf).min(axis=1)
            nb = np.where(Tr > 0, nr, nxt)
            Bf = np.where(below_f | exact, B[f], np.minimum(B[f], left))
            SB[f] = np.where(Bf == B[f], SB[f], S[f])  # S is flat from left to λ
            B[f] = Bf
            new[f] = np.where(below_f, nb, np.where(exact, left, 0.5 * (A[f] + Bf)))
            step[f] = np.where(below_f, np.isfinite(nb) & (nb > A[f]) & (nb < Bf), True)
            fin[f] = exact
        # a step that leaves the bracket (Newton cycling between two pieces): the secant through the bracket's
        # ends, which is exact when S is linear between them; else bisection
        with np.errstate(divide="ignore", invalid="ignore"):
            sec = A + (rest - SA) * (B - A) / (SB - SA)
        sec = np.where(np.isfinite(sec) & (sec > A) & (sec < B), sec, 0.5 * (A + B))
        new = np.where(step | fin, new, sec)
        live = ~done
        a, b = np.where(live, A, a), np.where(live, B, b)
        sa, sb = np.where(live, SA, sa), np.where(live, SB, sb)
        lam = np.where(live & np.isfinite(new), new, lam)
        settled |= live & fin
        done |= fin | ~np.isfinite(new)  # no finite step (an infeasible row): left to the sorted path
        if done.all():
            break
    return lam, settled


def _rows(t, lo, hi, total):
    """The water-filling arguments as floats: ``t`` (m, n), ``lo`` and ``hi`` broadcast to (m, n) (views),
    ``total`` (m,)."""
    t = np.asarray(t, dtype=float)
    m, n = t.shape
    lo = np.broadcast_to(np.asarray(lo, dtype=float), (m, n))
    hi = np.broadcast_to(np.asarray(hi, dtype=float), (m, n))
    return t, lo, hi, np.asarray(total, dtype=float).reshape(m)


def water_fill_rows(t, lo, hi, total, member=None) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise x = clip(λ t, lo, hi) with Σ x = total over the columns where ``member`` is True; regions with
    t ≤ 0 stay at lo. ``t``: (m, n); ``lo``/``hi``: (m, n) or (n,); ``total``: (m,). Returns (x, λ) with x
    equal to ``lo`` outside ``member``. Rows are assumed feasible (Σ lo ≤ total ≤ Σ movable hi); a row that
    is not (or that the Newton iteration does not settle) takes the sorted path, as ``water_fill`` does."""
    t, lo, hi, total = _rows(t, lo, hi, total)
    m, n = t.shape
    pos = t > 0 if member is None else (t > 0) & np.broadcast_to(member, (m, n))
    k = kernels()
    if k is not None and pos.all() and m:
        # every target positive (the sweep's usual case): the compiled iteration, row by row; the rows it does
        # not settle (flat pieces, floors above caps) take the numpy path below, exactly as before
        x = np.empty((m, n))
        scale = np.empty(m)
        settled = np.zeros(m, dtype=bool)
        k.newton_rows(np.ascontiguousarray(t), row_bounds(lo, m, n), row_bounds(hi, m, n),
                      np.ascontiguousarray(total), NEWTON_ITERATIONS, scale, settled, x)
        left = np.flatnonzero(~settled)
        if left.size:
            sub = None if member is None else np.broadcast_to(member, (m, n))[left]
            x[left], scale[left] = _water_fill_numpy(t[left], lo[left], hi[left], total[left], sub)
        return x, scale
    return _water_fill_numpy(t, lo, hi, total, member)


def _water_fill_numpy(t, lo, hi, total, member=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`water_fill_rows` by the numpy iteration :func:`newton_scale` (and the sorted path for the rows
    it leaves)."""
    t, lo, hi, total = _rows(t, lo, hi, total)
    m, n = t.shape
    pos = t > 0 if member is None else (t > 0) & np.broadcast_to(member, (m, n))
    if pos.all():
        rest, tp, lp, hp = total, t, lo, hi
    else:
        other = ~pos if member is None else np.broadcast_to(member, (m, n)) & ~pos
        rest = total - np.where(other, lo, 0.0).sum(axis=1)
        tp, lp, hp = np.where(pos, t, 0.0), np.where(pos, lo, 0.0), np.where(pos, hi, 0.0)
    scale, done = newton_scale(tp, lp, hp, rest)
    done &= ~(lp > hp).any(axis=1) & pos.any(axis=1)
    x = np.empty((m, n))
    with np.errstate(invalid="ignore"):
        np.multiply(scale[:, None], t, out=x)
        np.clip(x, lo, hi, out=x)
    if not pos.all():
        x = np.where(pos, x, lo)
    rest_rows = np.flatnonzero(~done)
    if rest_rows.size:
        sub = None if member is None else np.broadcast_to(member, (m, n))[rest_rows]
        xs, ss = _water_fill_sorted(t[rest_rows], lo[rest_rows], hi[rest_rows], total[rest_rows], sub)
        x[rest_rows] = xs
        scale[rest_rows] = ss
    return x, scale


def _water_fill_sorted(t, lo, hi, total, member=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`water_fill_rows` by sorting the 2n breakpoints of every row (``constrained.water_fill`` row by
    row); used for the rows the Newton iteration leaves (none in practice) and for infeasible rows."""
    t, lo, hi, total = _rows(t, lo, hi, total)
    m, n = t.shape
    member = np.ones((m, n), dtype=bool) if member is None else np.broadcast_to(member, (m, n))
    pos = (t > 0) & member
    rest = total - np.where(member & ~pos, lo, 0.0).sum(axis=1)
    safe_t = np.where(pos, t, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        events = np.concatenate([np.where(pos, lo / safe_t, np.inf), np.where(pos, hi / safe_t, np.inf)], axis=1)
        d_const = np.concatenate([np.where(pos, -lo, 0.0), np.where(pos, hi, 0.0)], axis=1)
    d_slope = np.concatenate([np.where(pos, t, 0.0), np.where(pos, -t, 0.0)], axis=1)
    order = np.argsort(events, axis=1)  # ties give the same S: no stable sort needed
    lam = np.take_along_axis(events, order, axis=1)
    del events
    const = np.where(pos, lo, 0.0).sum(axis=1)[:, None] + np.cumsum(np.take_along_axis(d_const, order, axis=1),
                                                                    axis=1)
    slope = np.cumsum(np.take_along_axis(d_slope, order, axis=1), axis=1)
    del d_const, d_slope, order
    with np.errstate(invalid="ignore"):  # inf caps give inf − inf at the last breakpoints
        s_at = np.where(np.isfinite(lam), const + np.where(slope != 0, lam * slope, 0.0), np.inf)
    s_at = np.maximum.accumulate(s_at, axis=1)  # S is non-decreasing; as constrained.water_fill
    k = (s_at < rest[:, None]).sum(axis=1)  # = searchsorted(side="left"), no tolerance (constrained.water_fill)
    del s_at
    L = lam.shape[1]
    rows = np.arange(m)
    km1 = np.clip(k - 1, 0, L - 1)
    kk = np.clip(k, 0, L - 1)
    c_prev, s_prev = const[rows, km1], slope[rows, km1]
    with np.errstate(invalid="ignore", divide="ignore"):
        inner = np.where(s_prev > 0, (rest - c_prev) / np.where(s_prev > 0, s_prev, 1.0), lam[rows, kk])
    inner = np.minimum(np.maximum(inner, lam[rows, km1]), lam[rows, kk])
    scale = np.where(k == 0, lam[:, 0], np.where(k >= L, lam[:, -1], inner))
    any_pos = pos.any(axis=1)
    scale = np.where(any_pos, scale, 1.0)
    with np.errstate(invalid="ignore"):
        x = np.where(pos, np.clip(scale[:, None] * t, lo, hi), lo)
    return x, scale


def integer_bounds(lo, hi, total) -> tuple[np.ndarray, np.ndarray]:
    """Whole-unit bounds as :func:`constrained.round_block` makes them (an infinite cap becomes the total)."""
    total = np.asarray(total, dtype=float)
    lo_i = np.ceil(np.asarray(lo, dtype=float) - 1e-9)
    hi = np.asarray(hi, dtype=float)
    cap_total = np.maximum(total, 0.0)[:, None] if total.ndim else max(float(total), 0.0)
    hi_i = np.where(np.isfinite(hi), np.floor(hi + 1e-9), cap_total)
    return lo_i, hi_i


def _select_rows(score, k, eligible) -> np.ndarray:
    """Per row, the ``k`` largest ``score`` among ``eligible`` columns, equal scores to the earlier column
    (what ``np.lexsort((arange, -score))`` filtered by ``eligible`` then cut at k gives). Rows with k > 0
    only: the caller passes those."""
    m, n = score.shape
    s = np.where(eligible, score, -np.inf)
    kk = np.minimum(k, np.count_nonzero(eligible, axis=1))  # fewer candidates than needed: the row is not ok
    srt = np.sort(s, axis=1)  # ascending: the k-th largest is at n − k
    v = srt[np.arange(m), n - np.maximum(kk, 1)]
    v = np.where(kk > 0, v, np.inf)[:, None]
    chosen = s > v
    equal = (s == v) & eligible
    take_eq = kk - np.count_nonzero(chosen, axis=1)
    n_eq = np.count_nonzero(equal, axis=1)
    chosen |= equal & (n_eq <= take_eq)[:, None]  # every equal one is taken
    tie = np.flatnonzero(n_eq > take_eq)  # equal remainders at the cut: the earlier columns first
    if tie.size:
        e = equal[tie]
        chosen[tie] |= e & (np.cumsum(e, axis=1) <= take_eq[tie, None])
    return chosen


def round_rows(x, total, lo, hi, member=None, within: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise largest remainder: integers adding up to ``total`` (m,) over the ``member`` columns, each
    within its whole-unit bounds. Columns must already be in adcode order (ties go to the earlier column).
    Returns (int64 array, ok per row); a row that cannot reach its total within the bounds has ok False.

    ``within``: the bounds are whole already and every x lies within them (the water-filling's output), so
    making the bounds whole and clipping x to them are skipped (no-ops then). Whole numbers are kept in
    float64 (exact below 2⁵³) until the end, so the sums are exact."""
    x = np.asarray(x, dtype=float)
    m, n = x.shape
    total = np.asarray(total, dtype=np.int64).reshape(m)
    hi_a = np.asarray(hi, dtype=float)
    if within and np.isfinite(hi_a).all():
        lo_i, hi_i = np.broadcast_to(lo, (m, n)), np.broadcast_to(hi_a, (m, n))
        k = kernels()
        if k is not None and member is None and m:
            out = np.empty((m, n), dtype=np.int64)
            ok = np.empty(m, dtype=bool)
            k.round_rows_whole(np.ascontiguousarray(x), total, row_bounds(lo_i, m, n), row_bounds(hi_i, m, n), out, ok)
            return out, ok
        xc = x.copy()
    else:
        lo_i, hi_i = integer_bounds(np.broadcast_to(lo, (m, n)), np.broadcast_to(hi, (m, n)), total.astype(float))
        lo_i = np.broadcast_to(lo_i, (m, n))
        hi_i = np.broadcast_to(hi_i, (m, n))
        xc = np.clip(x, lo_i, hi_i)
    base = xc + 1e-9
    np.floor(base, out=base)
    np.clip(base, lo_i, hi_i, out=base)  # 2.9999999999 from float noise is 3
    if member is None:
        have = base.sum(axis=1)
    else:
        member = np.broadcast_to(member, (m, n))
        have = np.where(member, base, 0.0).sum(axis=1)
    missing = total - np.round(have).astype(np.int64)
    frac = np.subtract(xc, base, out=xc)
    ok = np.ones(m, dtype=bool)
    for sign, rows in ((1, np.flatnonzero(missing > 0)), (-1, np.flatnonzero(missing < 0))):
        if not rows.size:
            continue
        if rows.size == m:  # every row (the usual case for one side): views, no row copies
            rows = slice(None)
        b = base[rows]
        room = b < hi_i[rows] if sign > 0 else b > lo_i[rows]
        if member is not None:
            room &= member[rows]
        k = np.abs(missing[rows])
        pick = _select_rows(frac[rows] if sign > 0 else -frac[rows], k, room)
        ok[rows] = np.count_nonzero(pick, axis=1) == k
        if sign > 0:
            b += pick
        else:
            b -= pick
        base[rows] = b
    out = base.astype(np.int64)
    if member is not None:
        out[~member] = 0
    return out, ok


def feasible_rows(t, lo, hi, budget, groups=()) -> np.ndarray:
    """Rows that :func:`compensation.allocation.feasibility.diagnose` finds no problem with, for disjoint
    groups: floors ≤ caps; each group's bounds reachable by its members; and the budget within
    [T_min, T_max] = [Σ_rest lo + Σ_g max(gmin, Σ_g lo), Σ_rest movable + Σ_g min(gmax, Σ_g movable)]."""
    t = np.asarray(t, dtype=float)
    m, n = t.shape
    lo = np.broadcast_to(lo, (m, n))
    hi = np.broadcast_to(hi, (m, n))
    budget = np.asarray(budget, dtype=float)
    ok = ~(lo > hi).any(axis=1)
    movable = hi if (t > 0).all() else np.where(t > 0, hi, lo)
    in_any = np.zeros(n, dtype=bool)
    t_min = np.zeros(m)
    t_max = np.zeros(m)
    for _name, mask, gmin, gmax in groups:
        gmin = np.broadcast_to(np.asarray(gmin, dtype=float), (m,))
        gmax = np.broadcast_to(np.asarray(gmax, dtype=float), (m,))
        g_lo, g_hi = lo[:, mask].sum(axis=1), movable[:, mask].sum(axis=1)
        ok &= ~(gmin > g_hi) & ~(gmax < g_lo) & ~(gmin > gmax)
        t_min += np.maximum(gmin, g_lo)
        t_max += np.minimum(gmax, g_hi)
        in_any |= mask
    if in_any.any():
        t_min += lo[:, ~in_any].sum(axis=1)
        t_max += movable[:, ~in_any].sum(axis=1)
    else:  # no groups: the same sums without copying the columns out
        t_min += lo.sum(axis=1)
        t_max += movable.sum(axis=1)
    ok &= (t_min <= budget) & (budget <= t_max)
    return ok


def proportional_rows(t, lo, hi, budget, groups=(), whole: bool = False):
    """Row-wise :func:`constrained.proportional` with ``integer=True`` (disjoint groups), columns in adcode
    order.

    ``t``: (m, n) targets; ``lo``/``hi``: (m, n) or (n,) whole-unit bounds; ``budget``: (m,) integer
    totals; ``groups``: (name, member mask (n,), whole min totals (m,), whole max totals (m,)). Returns (x,
    final int64, common scale λ (m,), ok (m,)); rows with ok False could not be settled within their bounds.
    ``whole``: the bounds are whole units already (as the sweep's bounds are), which spares the rounding two
    passes."""
    from ..allocation.constrained import settle

    t = np.asarray(t, dtype=float)
    m, n = t.shape
    lo = np.broadcast_to(np.asarray(lo, dtype=float), (m, n))
    hi = np.broadcast_to(np.asarray(hi, dtype=float), (m, n))
    if not (t > 0).all():
        hi = np.where(t > 0, hi, lo)  # zero targets stay at their floor
    budget = np.asarray(budget, dtype=float).reshape(m)
    lo2, hi2 = lo, hi
    if groups:
        lo2, hi2 = lo.copy(), hi.copy()
    for _name, mask, gmin, gmax in groups:
        gmin = np.broadcast_to(np.asarray(gmin, dtype=float), (m,))
        gmax = np.broadcast_to(np.asarray(gmax, dtype=float), (m,))
        raise_rows = np.flatnonzero(gmin > lo[:, mask].sum(axis=1))
        if raise_rows.size:
            xg, _ = water_fill_rows(t[raise_rows], lo[raise_rows], hi[raise_rows], gmin[raise_rows], mask)
            lo2[np.ix_(raise_rows, np.flatnonzero(mask))] = xg[:, mask]
        cap_rows = np.flatnonzero(gmax < hi[:, mask].sum(axis=1))
        if cap_rows.size:
            xg, _ = water_fill_rows(t[cap_rows], lo[cap_rows], hi[cap_rows], gmax[cap_rows], mask)
            hi2[np.ix_(cap_rows, np.flatnonzero(mask))] = xg[:, mask]
    x, scale = water_fill_rows(t, lo2, hi2, budget)
    total = np.round(budget).astype(np.int64)
    if not groups:
        final, ok = round_rows(x, total, lo, hi, within=whole)
        return x, final, scale, ok
    final = np.zeros((m, n), dtype=np.int64)
    ok = np.ones(m, dtype=bool)
    for i in range(m):
        g = [(name, mask, float(np.broadcast_to(gmin, (m,))[i]), float(np.broadcast_to(gmax, (m,))[i]))
             for name, mask, gmin, gmax in groups]
        f = settle(x[i], int(total[i]), lo[i], hi[i], g)
        if f is None:
            ok[i] = False
        else:
            final[i] = f
    return x, final, scale, ok


def binding_codes(x, target, scale_rest, lo, hi, fixed_codes=None, clipped: bool = False) -> np.ndarray:
    """The ``binding`` column of ``allocate()`` as int8 codes: a region at its floor whose scaled target is
    below it, or at its cap whose scaled target is above it; locked and excluded regions keep their kind.

    ``clipped``: x is clip(scale_rest × target, lo, hi) itself (no group moved it). Then "at the floor and the
    scaled target below it by more than the tolerance" is just "scaled target < lo − tol(lo)", and likewise at
    the cap, so the codes need two comparisons instead of the general test (same codes)."""
    k = kernels()
    if clipped and k is not None:
        m, n = target.shape
        code = np.empty((m, n), dtype=np.int8)
        k.binding_clipped(np.ascontiguousarray(target), np.asarray(scale_rest, dtype=float), row_bounds(lo, m, n),
                          row_bounds(hi, m, n), np.int8(CAP), code)
        if fixed_codes is not None and (fixed_codes > 0).any():
            code = np.where(fixed_codes > 0, fixed_codes, code).astype(np.int8)
        return code
    ref = target * scale_rest[:, None]
    if clipped:
        m, n = ref.shape
        lo = np.broadcast_to(lo, (m, n))
        hi = np.asarray(hi, dtype=float)
        hi = hi[0] if hi.ndim == 2 and hi.strides[0] == 0 else hi  # one row of caps for every draw
        lo_thr = np.abs(lo)
        np.maximum(lo_thr, 1.0, out=lo_thr)
        lo_thr *= 1e-6
        np.subtract(lo, lo_thr, out=lo_thr)
        with np.errstate(invalid="ignore"):  # inf caps: inf + inf
            hi_thr = hi + 1e-6 * np.maximum(1.0, np.abs(hi))
        code = np.less(ref, lo_thr).view(np.int8)
        code += np.greater(ref, hi_thr).view(np.int8) * np.int8(CAP)
    else:
        tol = 1e-6 * np.maximum(1.0, np.abs(x))
        code = np.where((np.abs(x - lo) <= tol) & (ref < lo - tol), FLOOR,
                        np.where((np.abs(x - hi) <= tol) & (ref > hi + tol), CAP, 0)).astype(np.int8)
    if fixed_codes is not None and (fixed_codes > 0).any():
        code = np.where(fixed_codes > 0, fixed_codes, code).astype(np.int8)
    return code
