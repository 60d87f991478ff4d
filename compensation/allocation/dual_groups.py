"""The exact proportional allocation under any groups (disjoint, nested, overlapping): a dual active-set
Newton method over the few coupling rows, an exact polish of the identified active set, and a KKT check.

**Problem.** Minimise Σ_{t_i>0} (x_i − t_i)² / t_i subject to lo_i ≤ x_i ≤ hi_i, Σ x_i = B and, per group g,
l_g ≤ Σ_{i∈g} x_i ≤ u_g (regions with t_i = 0 are held at lo_i and taken off the rows' bounds). With the scale
s_i = x_i / t_i the objective is Σ t_i (s_i − 1)² and the bounds are a_i = lo_i/t_i ≤ s_i ≤ b_i = hi_i/t_i.

**Only m = 1 + #groups rows couple the regions.** Let A be the m × n membership matrix (row 0 = every region,
row r = group r) and v ∈ ℝᵐ one multiplier per row (v_0 = λ, the common scale; v_r = ν_g, group g's shift).
For given v the Lagrangian separates by region and its minimiser is

    s_i(v) = clip((Aᵀv)_i, a_i, b_i) = clip(λ + Σ_{g∋i} ν_g, a_i, b_i),

so each region is its target times one scale, clipped to its own bounds (the closed form's rule, with one
shift per group). Up to a factor 2 and a constant the dual function is

    q(v) = min_{a ≤ s ≤ b} Σ_i t_i (s_i − 1)² − 2 Σ_r y_r (z_r(s) − β_r),   y = v − e_0,
    z_r(s) = Σ_{i∈r} t_i s_i,   β_r = l_r if y_r > 0, u_r if y_r < 0 (β_0 = B),

(the minimum is attained at s(v)): concave and piecewise quadratic, with (super)gradient 2 (β_r − z_r(s(v)))
in row r — the row's residual. A group's multiplier is ≥ 0 when its minimum binds, ≤ 0 when its maximum binds
and 0 (with l_r ≤ z_r ≤ u_r) when neither does; at y_r = 0 q has a kink (the two sides' β differ). The dual optimum v* gives the primal
optimum x* = t · s(v*) (strong duality; the primal is strictly convex in the regions with t > 0).

**Ascent.** Each group row is *pinned* (v_r = 0) or *open* with a side (+ at its minimum, − at its maximum);
a pinned row opens when its sum leaves [l_r, u_r], on the side it violates. On the open rows F the Hessian of
q is −2 M_F with M_F[r, q] = Σ_{i free, i∈r∩q} t_i (free: a_i < (Aᵀv)_i < b_i), so the Newton step is
d = M_F⁺ g_F plus the gradient's component in M_F's null space (rows with no free member have zero curvature:
there the step follows the gradient to the next breakpoint). If the step would push a just-opened multiplier
across zero, the projected gradient is used instead. Either way gᵀd > 0.

**Exact line search.** Along v + αd each region's scale is clip(p_i + α δ_i, a_i, b_i) (δ = Aᵀd), so the
directional derivative is Σ_r d_r β_r − Σ_i t_i δ_i clip(p_i + α δ_i, a_i, b_i), non-increasing and piecewise
linear in α with breakpoints where a region reaches a bound: the root is found exactly after one sort, by the
same water-filling as the no-group case (constrained.water_fill, with weights t_i δ_i² and breakpoints
(a_i − p_i)/δ_i, (b_i − p_i)/δ_i). The step stops earlier where an open multiplier reaches 0 (it is then
pinned). On a quadratic piece the Newton step with this line search lands on the piece's maximum exactly, and
q increases strictly at every step, so the iteration visits finitely many pieces.

**Polish and verify.** After every step the current active set — regions at their floor, at their cap or
free, and the rows that bind (the total and each group with v_r ≠ 0, at its minimum or maximum) — is solved
exactly: the free regions' scales are Aᵀv on the binding rows, so the rows give the small linear system
M_E v_E = β_E − Σ_{clipped i} t_i s_i (one refinement step). The result is accepted only if it satisfies KKT:
every region within its bounds, each region at a bound wanting to go beyond it (complementary slackness:
(Aᵀv)_i ≤ a_i at the floor, ≥ b_i at the cap), every group sum within its bounds, the total equal to B, each
binding group's multiplier of the right sign. Row sums are checked to 10⁻¹⁴·B·log₂n + 10⁻⁹ (well under one
unit up to 10¹³ units), scales to 10⁻⁹ relative. If no verified point is found within the iteration limit the
caller falls back to the HiGHS QP (:func:`.highs.qp_proportional`) and says so.

Cost: O(n·m) per step plus one sort per line search; a handful of steps in practice (see docs/allocation.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .constrained import water_fill

EPS = np.finfo(float).eps
_TRACE = None


@dataclass
class DualResult:
    x: np.ndarray | None  # the amounts (all regions), None when no verified optimum was found
    lam: float | None  # v_0: the common scale λ
    nu: np.ndarray = field(default_factory=lambda: np.zeros(0))  # one multiplier per group (0 = not binding)
    verified: bool = False
    iterations: int = 0
    message: str = ""


def _rows(t, lo, hi, total, groups):
    """The positive-target regions' data in budget shares: t, a, b, the membership matrix and row bounds."""
    pos = t > 0
    scale = max(1.0, float(abs(total)), float(t[pos].sum()))
    tp = t[pos] / scale
    a = lo[pos] / t[pos]
    b = hi[pos] / t[pos]
    held = lo[~pos]
    rows = [np.ones(tp.size, dtype=bool)]
    lower = [(float(total) - float(held.sum())) / scale]
    upper = [lower[0]]
    for _, m, gmin, gmax in groups:
        m = np.asarray(m, dtype=bool)
        h = float(lo[m & ~pos].sum())
        rows.append(m[pos])
        lower.append((float(gmin) - h) / scale)
        upper.append((float(gmax) - h) / scale if np.isfinite(gmax) else np.inf)
    return pos, scale, tp, a, b, np.array(rows), np.array(lower), np.array(upper)


def _scales(u, a, b):
    return np.minimum(np.maximum(u, a), b)


def solve(t, lo, hi, total: float, groups=(), max_iter: int | None = None,
          deadline: float | None = None) -> DualResult:
    """The minimiser of Σ_{t>0} (x − t)²/t under the bounds, the total and the groups, verified by KKT.
    ``hi`` must already hold zero-target regions at their floor (as constrained.proportional does).
    ``deadline`` (a time.perf_counter() value) stops the ascent after the step that passes it."""
    t = np.asarray(t, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    pos, scale, tp, a, b, A, lower, upper = _rows(t, lo, hi, total, groups)
    m = A.shape[0]
    n = tp.size
    x = lo.copy()
    if n == 0:
        return DualResult(x, 1.0, np.zeros(m - 1), True, 0, "no region with a positive target")
    Af = A.astype(float)
    T = A * tp  # row r, region i: t_i if i ∈ r
    group_lo = np.array([float((tp * a)[A[r]].sum()) for r in range(m)])
    group_hi = np.array([float((tp * b)[A[r]].sum()) for r in range(m)])  # inf when a member has no cap
    # a bound that cannot bind (below the members' floors, above their caps) is dropped: its row stays pinned
    lower[1:] = np.where(lower[1:] <= group_lo[1:], -np.inf, lower[1:])
    upper[1:] = np.where(upper[1:] >= group_hi[1:], np.inf, upper[1:])
    tol_row = 1e-14 * max(1.0, np.log2(max(n, 2))) + 1e-9 / scale  # in shares of the budget
    v = np.zeros(m)
    v[0] = water_fill(tp, a * tp, b * tp, float(lower[0]))[1]
    max_iter = 50 + 20 * m if max_iter is None else max_iter
    msg = ""
    it = 0
    for it in range(1, max_iter + 1):
        u = v @ Af
        s = _scales(u, a, b)
        z = T @ s
        side = np.zeros(m)  # +1 at the minimum, −1 at the maximum, 0 pinned; row 0 is an equality (+1)
        side[0] = 1.0
        side[1:] = np.where(v[1:] > 0, 1.0, np.where(v[1:] < 0, -1.0,
                            np.where(z[1:] < lower[1:] - tol_row, 1.0, np.where(z[1:] > upper[1:] + tol_row,
                                                                                 -1.0, 0.0))))
        beta = np.where(side > 0, lower, upper)
        done = _polish(v, side, a, b, Af, T, lower, upper, tol_row)
        if done is not None:
            v_star, s_star = done
            x[pos] = np.clip(t[pos] * s_star, lo[pos], hi[pos])
            return DualResult(x, float(v_star[0]), v_star[1:], True, it, "KKT verified")
        free = (u > a) & (u < b)
        d = _direction(v, side, beta - z, free, T, Af, tol_row)
        # the step length at which an open multiplier reaches 0 (it is then pinned)
        shrink = (v != 0) & (d * v < 0)
        alpha_max = float(np.min(-v[shrink] / d[shrink])) if shrink.any() else np.inf
        delta = d @ Af
        delta[np.abs(delta) <= 1e-13 * np.abs(d).max()] = 0.0  # shifts that cancel (ν_A − ν_B on A ∩ B) are 0
        alpha = _line_search(u, delta, a, b, tp, float(d[d != 0] @ beta[d != 0]), alpha_max)
        if _TRACE is not None:
            _TRACE.append((it, v.copy(), side.copy(), (z - lower).copy(), (upper - z).copy(), d.copy(), alpha, alpha_max, free.sum()))
        if alpha is None:
            msg = "the dual is unbounded along the search direction (the groups cannot hold at this total)"
            break
        if not 0 < alpha < np.inf:
            msg = f"no progress at step {it}" if not alpha > 0 else "the line search found no finite step"
            break
        if alpha >= alpha_max:  # the first open multiplier to reach 0 is pinned there exactly
            hit = np.flatnonzero(shrink)[np.argmin(-v[shrink] / d[shrink])]
            v = v + alpha * d
            v[hit] = 0.0
        else:
            v = v + alpha * d
        if deadline is not None and time.perf_counter() > deadline:
            msg = f"the time limit was reached after {it} steps"
            break
    else:
        msg = f"no verified optimum after {max_iter} steps"
    return DualResult(None, None, np.zeros(m - 1), False, it, msg)


def _direction(v, side, g, free, T, Af, tol_row) -> np.ndarray:
    """The ascent direction: Newton on the open rows. A pinned row whose sum left its bounds is opened only if
    the Newton step moves its multiplier to its side; otherwise the other rows step first, and when they are
    already stationary the most violated row alone is opened (its own Newton component then has the right
    sign, M being positive definite on it); the projected gradient is the last resort."""
    m = v.size
    rows = np.arange(m)
    kept = (rows == 0) | (v != 0)
    opened = ~kept & (side != 0)

    def newton(F):
        d = np.zeros(m)
        d[F] = _newton((T[F] * free) @ Af[F].T, g[F], tol_row)  # M_F: sums of t over free members
        return d

    d = newton(np.flatnonzero(kept | opened))
    if not opened.any() or (d[opened] * side[opened] >= 0).all():
        return d
    if np.abs(g[kept]).max() > tol_row:
        return newton(np.flatnonzero(kept))
    worst = np.flatnonzero(opened)[np.argmax(np.abs(g[opened]))]
    d = newton(np.flatnonzero(kept | (rows == worst)))
    if d[worst] * side[worst] > 0:
        return d
    d = np.where(kept | opened, g, 0.0)  # projected gradient: every opened row moves to its side
    return d


def _newton(M: np.ndarray, g: np.ndarray, tol: float) -> np.ndarray:
    """The Newton step M⁻¹g; where M is singular, g's component in M's null space first (along it q is linear
    up to the next breakpoint, so the line search follows the gradient there until curvature appears)."""
    if M.size == 0:
        return g.copy()
    w, Q = np.linalg.eigh(M)
    big = w > 1e-13 * max(float(w.max()), 1e-300)
    c = Q.T @ g
    null = np.where(big, 0.0, c)
    if np.linalg.norm(null) > max(1e-12 * np.linalg.norm(g), tol):  # not rounding noise
        return Q @ null
    return Q @ np.where(big, c / np.where(big, w, 1.0), 0.0)


def _line_search(u, delta, a, b, tp, c_beta: float, alpha_max: float) -> float | None:
    """The α ∈ (0, alpha_max] maximising q(v + αd): the root of Σ_r d_r β_r − Σ_i t_i δ_i s_i(α) (exact)."""
    mv = delta != 0
    dl, k = delta[mv], tp[mv] * delta[mv] ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        e_a = (a[mv] - u[mv]) / dl
        e_b = (b[mv] - u[mv]) / dl
    e1 = np.maximum(np.minimum(e_a, e_b), 0.0)  # a region's scale moves with α between e1 and e2
    e2 = np.maximum(e_a, e_b)
    e2 = np.where(np.isnan(e2), np.inf, e2)  # b = inf and u = inf cannot both occur; guard anyway
    moving = e2 > e1
    # D(α) = Σ_i t_i δ_i s_i(α) = D(0) + Σ k_i (clip(α, e1, e2) − e1): find D(α) = c_beta
    s0 = _scales(u, a, b)
    d0 = float(np.sum(tp * delta * s0))
    need = c_beta - d0  # > 0 (an ascent direction)
    k, e1, e2 = k[moving], e1[moving], e2[moving]
    if need <= 0:
        return 0.0
    if np.isfinite(alpha_max):
        reach = float(np.sum(k * (np.clip(alpha_max, e1, e2) - e1)))
        if reach <= need:
            return alpha_max
    elif k.size == 0 or float(np.sum(k * (e2 - e1))) < need * (1 - 1e-9):
        return None  # q rises without bound: no multipliers can meet the rows (cannot happen when feasible)
    alpha = water_fill(k, k * e1, k * e2, need + float(np.sum(k * e1)))[1]
    return float(min(alpha, alpha_max))


def _polish(v, side, a, b, Af, T, lower, upper, tol_row):
    """Solve the active set read off v exactly and check KKT; (v*, s*) when it holds, else None."""
    m = v.size
    u = v @ Af
    at_lo = u <= a
    at_hi = ~at_lo & (u >= b)
    free = ~at_lo & ~at_hi
    E = np.flatnonzero((np.arange(m) == 0) | (v != 0))
    beta = np.where(side > 0, lower, upper)
    if not np.isfinite(beta[E]).all():
        return None
    fixed_s = np.where(at_lo, a, np.where(at_hi, b, 0.0))
    AE, TE = Af[E], T[E]
    M = (TE * free) @ AE.T
    vE = v[E].copy()
    for _ in range(2):  # solve, then one refinement step on the residual
        s = np.where(free, vE @ AE, fixed_s)
        r = beta[E] - TE @ s
        # the smallest correction: when rows are dependent (say a group and its complement) the multipliers
        # are not unique, and the ascent's own ones (with their signs) are kept
        vE = vE + np.linalg.lstsq(M, r, rcond=1e-13)[0]
    v2 = np.zeros(m)
    v2[E] = vE
    v2[1:][np.abs(v2[1:]) <= 1e-13 * max(1.0, abs(v2[0]))] = 0.0  # rounding noise is not a binding group
    u2 = v2 @ Af
    s = np.where(free, u2, fixed_s)
    tol_s_a = 1e-9 * np.maximum(1.0, np.abs(a))
    tol_s_b = 1e-9 * np.maximum(1.0, np.where(np.isfinite(b), np.abs(b), 1.0))
    locked = a == b
    ok = ((s >= a - tol_s_a) & (s <= b + tol_s_b)).all()  # within the region bounds
    ok &= (locked | ~at_lo | (u2 <= a + tol_s_a)).all()  # at the floor: wants to go lower
    ok &= (locked | ~at_hi | (u2 >= b - tol_s_b)).all()  # at the cap: wants to go higher
    if not ok:
        return None
    s = np.minimum(np.maximum(s, a), b)
    z = T @ s
    if (np.abs(z[E] - beta[E]) > tol_row).any():  # the total, and every group with ν ≠ 0 at its bound
        return None
    if ((z[1:] < lower[1:] - tol_row) | (z[1:] > upper[1:] + tol_row)).any():
        return None
    if (v2[1:] * side[1:] < -1e-12).any():  # a binding minimum needs ν ≥ 0, a binding maximum ν ≤ 0
        return None
    return v2, s


def moved_by(x, t, lo, hi, groups, lam: float | None, nu) -> np.ndarray:
    """'min:NAME' / 'max:NAME' (comma-separated) for each region that a binding group bound moved: the region
    belongs to a group whose multiplier is nonzero and its amount differs from clip(λ t, lo, hi), where it
    would be without groups."""
    moved = np.full(np.size(t), "", dtype=object)
    if lam is None:
        return moved
    t = np.asarray(t, dtype=float)
    base = np.where(t > 0, np.clip(lam * t, lo, hi), lo)
    away = np.abs(np.asarray(x) - base) > 1e-9 * np.maximum(1.0, np.abs(base))
    for (name, m, _, _), nu_g in zip(groups, nu, strict=True):
        if nu_g == 0:
            continue
        who = np.asarray(m, dtype=bool) & away & (t > 0)
        tag = f"{'min' if nu_g > 0 else 'max'}:{name}"
        moved[who] = np.where(moved[who] == "", tag, moved[who] + "," + tag)
    return moved
