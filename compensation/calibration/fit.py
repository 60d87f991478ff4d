"""Calibration: estimate a method's unpublished parameters from a published allocation table.

Let θ ∈ R^k be the free parameters (by default those the method marks ``assumption``), with bounds
l ≤ θ ≤ u, and ŝ(θ) the method's shares of the n published regions on the table's basis, y the published
shares (see published.py). The fit solves

    L1:  min_θ Σ_i |ŝ_i(θ) − y_i|          L2:  min_θ Σ_i (ŝ_i(θ) − y_i)²        subject to l ≤ θ ≤ u.

Parameter groups that must add up to 1 (``checks: sum_to_one``) keep doing so: the last free member of a
group is not searched but set to 1 − Σ(other members), and its bounds become the linear constraint
l_d ≤ 1 − Σ θ_g ≤ u_d. A group with a single free member has nothing to fit (it is fixed by the others).
Parameters whose change moves no share (e.g. a reward rate when the data have no assessment classes) are
not identifiable from the table and are left at their values, with a note.

**Linear case (an LP).** If ŝ is affine in θ — shares of pools with fixed totals, weights of share-normalised
indicators within a pool of fixed size — then ŝ(θ) = ŝ(θ₀) + J (θ − θ₀), with J exact from one finite
difference per parameter. Affinity is tested numerically (mid-points of random feasible pairs must map to
mid-points of their shares, to 1e-9). L1 is then the LP

    min Σ e_i   s.t.  e_i ≥ ŝ_i(θ₀) + J_i(θ − θ₀) − y_i,   e_i ≥ −(ŝ_i(θ₀) + J_i(θ − θ₀) − y_i),   bounds,

solved by PuLP with HiGHS; its optimum is global.

**Otherwise** (e.g. a pool share together with the weights inside that pool, which multiply; tier
coefficients, which enter a ratio) a bounded derivative-free search: SciPy's differential evolution (a
global, population-based search over the box; seeded, so deterministic), then Nelder–Mead from the best
point within the same bounds. Neither is proven optimal; the result says which was used.

**Out-of-sample error.** Leave-one-out (n ≤ 30 regions) or 10-fold: refit without the held-out regions and
predict them (the LP again, or Nelder–Mead started from the full fit); Spearman ρ and the mean absolute share error of these predictions are what the calibration
claims for regions it did not see."""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import differential_evolution, minimize

from ..allocation.inputs import apply_fallbacks, method_refs
from ..allocation.methods import compute_targets, total_target
from ..allocation.params import MODELS_DIR, Method, load_method
from ..allocation.solver import pick_solver
from ..allocation.solver_libs import pulp  # loaded on first use, HiGHS's banner swallowed
from ..problems import InputError
from .published import Published, statistics

LOSSES = ("l1", "l2")
BUDGET = 1e10  # any positive amount: shares do not depend on it for pool methods
LINEAR_TOL = 1e-9


@dataclass
class Free:
    """One searched number: a scalar parameter, or the coefficient of tier ``index`` of a tier list."""

    path: str
    index: int | None
    lo: float
    hi: float
    start: float

    @property
    def label(self) -> str:
        return self.path if self.index is None else f"{self.path}[{self.index}]"


@dataclass
class Calibration:
    method: Method
    year: int
    loss: str
    free: list[Free]
    dependent: dict  # label -> (group labels) of members set to 1 − Σ others
    values: dict  # label -> fitted value (free and dependent)
    overrides: dict  # parameter path -> value for the method
    solver: str  # "LP (PuLP + HiGHS)" or "differential evolution + Nelder–Mead (SciPy)"
    status: str
    fit: dict
    cv: dict
    shares: np.ndarray  # fitted shares of the published regions
    cv_shares: np.ndarray  # out-of-sample predictions of the published regions
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        rows = []
        for f in self.free:
            rows.append({"parameter": f.label, "value": self.values[f.label], "lower": f.lo, "upper": f.hi,
                         "start": f.start, "role": "free"})
        for label, (lo, hi, start) in self.dependent.items():
            rows.append({"parameter": label, "value": self.values[label], "lower": lo, "upper": hi, "start": start,
                         "role": "1 − others in its sum-to-one group"})
        return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------- free parameters

def _is_tiers(v) -> bool:
    return isinstance(v, list) and v and all(isinstance(t, list | tuple) and len(t) == 2 for t in v)


def _default_bounds(method: Method, path: str, value: float, tier: bool) -> tuple[float, float]:
    if tier:
        return 0.0, 2.0
    if method.parameters[path].unit == "1" and 0 <= value <= 1:
        return 0.0, 1.0
    return (min(0.0, 2 * value), max(0.0, 2 * value)) if value else (0.0, 1.0)


def free_parameters(method: Method, year: int, names: list[str] | None = None,
                    bounds: dict | None = None) -> tuple[list[Free], list[str]]:
    """The numbers to search and notes on what was left out. ``names``: parameter paths (default: every
    parameter whose value in force in ``year`` is an assumption). ``bounds``: label or path -> (lo, hi)."""
    params = method.values(year)
    bounds = dict(bounds or {})
    notes = []
    if names:
        unknown = [n for n in names if n.split("[")[0] not in params]
        if unknown:
            raise InputError(f"method '{method.name}': unknown parameter(s) {', '.join(unknown)}; known: "
                             f"{', '.join(params)}", f"方法 '{method.name}':未知参数 {', '.join(unknown)}",
                             key="--free")
        chosen = [n.split("[")[0] for n in names]
    else:
        chosen = [p for p, v in params.items() if v["status"] == "assumption"]
    out = []
    for path in dict.fromkeys(chosen):
        v = params[path]["value"]
        if isinstance(v, bool):
            continue
        if isinstance(v, int | float):
            lo, hi = bounds.get(path, _default_bounds(method, path, float(v), False))
            out.append(Free(path, None, float(lo), float(hi), float(v)))
        elif _is_tiers(v):
            # with a residual pool only the ratios of tier coefficients matter: the top tier keeps its value
            for k, (_, c) in enumerate(v[:-1]):
                label = f"{path}[{k}]"
                lo, hi = bounds.get(label, bounds.get(path, _default_bounds(method, path, float(c), True)))
                out.append(Free(path, k, float(lo), float(hi), float(c)))
            notes.append(f"{path}: the top tier's coefficient stays at {v[-1][1]} (only ratios of coefficients "
                         f"change shares)")
        else:
            notes.append(f"{path}: not a number or a tier list; left at its value")
    for label, (lo, hi) in bounds.items():
        if not lo <= hi:
            raise InputError(f"bounds of '{label}': lower {lo} > upper {hi}", f"'{label}' 的下限大于上限",
                             key="--bound")
    for f in out:
        if not f.lo <= f.start <= f.hi:
            f.start = min(max(f.start, f.lo), f.hi)
    return out, notes


# ------------------------------------------------------------------------------------------------- model

class Model:
    """ŝ(θ) for a method on a region table: the method's shares of the published regions."""

    def __init__(self, method: Method, regions: pd.DataFrame, year: int, free: list[Free]):
        self.method, self.year = method, year
        regions = regions.reset_index(drop=True).copy()
        regions.attrs = {}
        filled, _ = apply_fallbacks(method, regions)  # once, not per evaluation
        # only the columns the method reads, numbers as float64: each evaluation then costs less
        refs = method_refs(method)
        wanted = [r["column"] for r in refs] + [r["fallback"] for r in refs if r["fallback"]]
        cols = ["adcode", *[c for c in dict.fromkeys(wanted) if c in filled]]
        for c in ("name_zh", "region_group"):
            if c in filled and c not in cols:
                cols.append(c)
        slim = pd.DataFrame({c: (filled[c].to_numpy(dtype=float) if pd.api.types.is_numeric_dtype(filled[c])
                                 else filled[c].astype(object).to_numpy()) for c in cols})
        self.regions = slim
        self.base = method.values(year)
        self.free = list(free)
        self.groups = []  # (dependent Free, [other members: Free or fixed value])
        by_path = {f.path: f for f in self.free if f.index is None}
        drop = set()
        for group in method.sum_to_one:
            members = [by_path[p] for p in group if p in by_path]
            if not members:
                continue
            if len(members) == 1:
                drop.add(members[0].label)
                continue
            dep = members[-1]
            fixed = sum(float(self.base[p]["value"]) for p in group if p not in by_path)
            self.groups.append((dep, [m for m in members[:-1]], 1.0 - fixed))
        dependents = {g[0].label for g in self.groups}
        self.dropped = sorted(drop)
        self.search = [f for f in self.free if f.label not in drop and f.label not in dependents]

    def overrides(self, theta) -> dict:
        values = {f.label: float(x) for f, x in zip(self.search, theta, strict=True)}
        for dep, others, rest in self.groups:
            values[dep.label] = rest - sum(values[o.label] for o in others)
        out = {}
        for f in self.free:
            if f.label not in values:
                continue
            if f.index is None:
                out[f.path] = values[f.label]
            else:
                tiers = out.get(f.path) or [list(t) for t in self.base[f.path]["value"]]
                tiers[f.index][1] = values[f.label]
                out[f.path] = tiers
        return out, values

    def violation(self, theta) -> float:
        """How far the dependent members are outside their bounds (0 when feasible)."""
        _, values = self.overrides(theta)
        return sum(max(0.0, d.lo - values[d.label]) + max(0.0, values[d.label] - d.hi) for d, _, _ in self.groups)

    def amounts(self, theta) -> np.ndarray:
        ov, _ = self.overrides(theta)
        table, _ = compute_targets(self.method, self.regions, BUDGET, self.year, ov)
        return total_target(table)

    def shares(self, theta, published: Published) -> np.ndarray:
        return published.model_shares(self.amounts(theta))

    @property
    def lower(self) -> np.ndarray:
        return np.array([f.lo for f in self.search])

    @property
    def upper(self) -> np.ndarray:
        return np.array([f.hi for f in self.search])


def _loss(s, y, loss: str) -> float:
    r = np.asarray(s) - y
    return float(np.abs(r).sum() if loss == "l1" else (r * r).sum())


def is_affine(model: Model, published: Published, rng: np.random.Generator, trials: int = 3) -> bool:
    """ŝ is affine in θ on the box: mid-points of random pairs map to mid-points of their shares."""
    lo, hi = model.lower, model.upper

    def point():
        for _ in range(500):  # rejection sampling: the dependent members must stay within their bounds
            x = lo + (hi - lo) * rng.random(lo.size)
            if model.violation(x) == 0:
                return x
        return None

    for _ in range(trials):
        a, b = point(), point()
        if a is None or b is None:
            return False
        try:
            sa, sb, sm = (model.shares(x, published) for x in (a, b, 0.3 * a + 0.7 * b))
        except InputError:
            return False
        if not np.allclose(sm, 0.3 * sa + 0.7 * sb, rtol=0, atol=LINEAR_TOL):
            return False
    return True


def fit_lp(model: Model, published: Published, time_limit: float = 60) -> tuple[np.ndarray, str]:
    """The L1 fit as an LP (ŝ affine in θ): global optimum by HiGHS."""
    theta0 = np.array([f.start for f in model.search])  # the method's own values: a feasible point
    s0 = model.shares(theta0, published)
    jac = np.zeros((s0.size, theta0.size))
    for k in range(theta0.size):
        x = theta0.copy()
        h = (model.upper[k] - model.lower[k]) / 2
        x[k] = theta0[k] + h if theta0[k] + h <= model.upper[k] else theta0[k] - h
        if model.violation(x) > 0:  # keep the dependent member within its bounds: a smaller step
            h = 1e-3 * (model.upper[k] - model.lower[k])
            x[k] = theta0[k] + h if theta0[k] + h <= model.upper[k] else theta0[k] - h
        if x[k] != theta0[k]:
            jac[:, k] = (model.shares(x, published) - s0) / (x[k] - theta0[k])
    y = published.targets
    prob = pulp.LpProblem("calibrate_l1", pulp.LpMinimize)
    new_var = prob.add_variable if hasattr(prob, "add_variable") else pulp.LpVariable  # PuLP ≥ 3.3 / older
    th = [new_var(f"t{k}", lowBound=float(model.lower[k]), upBound=float(model.upper[k]))
          for k in range(theta0.size)]
    e = [new_var(f"e{i}", lowBound=0) for i in range(s0.size)]
    prob += pulp.lpSum(e)
    for i in range(s0.size):
        fitted = pulp.LpAffineExpression([(th[k], float(jac[i, k])) for k in range(theta0.size) if jac[i, k]],
                                         constant=float(s0[i] - jac[i] @ theta0 - y[i]))
        prob += e[i] >= fitted
        prob += e[i] >= -fitted
    pos = {f.label: k for k, f in enumerate(model.search)}
    for dep, others, rest in model.groups:
        expr = pulp.LpAffineExpression([(th[pos[o.label]], -1.0) for o in others], constant=rest)
        prob += expr >= dep.lo
        prob += expr <= dep.hi
    name, solver = pick_solver(False, time_limit)
    prob.solve(solver)
    from ..allocation.solver import status_of

    status = status_of(prob, name)
    if status == "infeasible":
        raise InputError("the bounds of the free parameters cannot be met together (check the sum-to-one "
                         "groups)", "自由参数的上下限无法同时满足(请检查和为 1 的参数组)")
    return np.array([v.value() or 0.0 for v in th]), status


def fit_search(model: Model, published: Published, loss: str, seed: int = 0, maxiter: int = 40,
               start: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """Bounded derivative-free search: differential evolution, then Nelder–Mead within the bounds."""
    y = published.targets
    box = list(zip(model.lower, model.upper, strict=True))

    def f(theta):
        v = model.violation(theta)
        try:
            s = model.shares(theta, published)
        except InputError:
            return 1e6
        return _loss(s, y, loss) + 1e3 * v

    fixed = [k for k, (a, b) in enumerate(box) if a == b]
    if len(fixed) == len(box):
        return model.lower.copy(), "fixed"
    res = differential_evolution(f, box, seed=seed, maxiter=maxiter, popsize=8, tol=1e-8, polish=False,
                                 init="sobol", x0=start)
    best = res.x
    nm = minimize(f, best, method="Nelder-Mead", bounds=box,
                  options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 200 * len(box)})
    if nm.fun <= res.fun:
        best = nm.x
    return np.clip(best, model.lower, model.upper), "searched (not proven optimal)"


def fit_local(model: Model, published: Published, loss: str, start: np.ndarray) -> tuple[np.ndarray, str]:
    """Nelder–Mead within the bounds from ``start`` (the refits of cross-validation start from the full fit)."""
    y = published.targets

    def f(theta):
        try:
            return _loss(model.shares(theta, published), y, loss) + 1e3 * model.violation(theta)
        except InputError:
            return 1e6

    box = list(zip(model.lower, model.upper, strict=True))
    nm = minimize(f, start, method="Nelder-Mead", bounds=box,
                  options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 150 * len(box)})
    return np.clip(nm.x, model.lower, model.upper), "local search"


def _fit(model: Model, published: Published, loss: str, linear: bool, seed: int, start=None):
    if linear and loss == "l1":
        return fit_lp(model, published)
    return fit_search(model, published, loss, seed, start=start)


def _subset(p: Published, keep: np.ndarray) -> Published:
    return Published(p.name, p.rows[keep], p.amounts[keep], p.total if p.total else None, p.year, p.unit)


def cross_validate(model: Model, published: Published, loss: str, linear: bool, seed: int,
                   start: np.ndarray) -> np.ndarray:
    """Out-of-sample share of every published region: fitted without it (leave-one-out, or 10-fold above
    30 regions), predicted on the table's basis."""
    n = len(published.rows)
    folds = np.arange(n) if n <= 30 else np.random.default_rng(seed).permutation(n) % 10
    pred = np.zeros(n)
    for k in np.unique(folds):
        held = folds == k
        train = _subset(published, ~held)
        if published.total is None:  # shares of the table's own sum: the held-out regions stay in the basis
            train = Published(published.name, published.rows[~held], published.amounts[~held],
                              None, published.year, published.unit)
        theta, _ = (_fit(model, train, loss, linear, seed, start) if linear and loss == "l1" else
                    fit_local(model, train, loss, start))
        amounts = model.amounts(theta)
        if published.total:
            pred[held] = amounts[published.rows[held]] / amounts.sum()
        else:
            pred[held] = amounts[published.rows[held]] / amounts[published.rows].sum()
    return pred


def calibrate(method, regions: pd.DataFrame, published: Published, year: int, free: list[str] | None = None,
              bounds: dict | None = None, loss: str = "l1", seed: int = 0, cv: bool = True) -> Calibration:
    """Fit the free parameters of ``method`` to ``published`` (see the module text)."""
    m = load_method(method)
    if loss not in LOSSES:
        raise InputError(f"unknown loss '{loss}': use l1 or l2", f"未知的损失函数 '{loss}':请用 l1 或 l2",
                         key="--loss")
    params, notes = free_parameters(m, year, free, bounds)
    if not params:
        raise InputError(f"method '{m.name}' has no free parameter to calibrate (none is an assumption, or "
                         f"none was named with --free)", f"方法 '{m.name}' 没有可校准的自由参数")
    model = Model(m, regions, year, params)
    # identifiability: a parameter that moves no share cannot be learnt from the table
    rng = np.random.default_rng(seed)
    mid = np.array([f.start for f in model.search])  # the method's own values: a feasible point
    s_mid = model.shares(mid, published)
    keep = []
    for k, f in enumerate(model.search):
        moved = False
        for h in (1e-3, -1e-3):
            x = mid.copy()
            x[k] = min(max(mid[k] + h * max(f.hi - f.lo, 1e-9), f.lo), f.hi)
            try:
                moved |= not np.allclose(model.shares(x, published), s_mid, rtol=0, atol=1e-13)
            except InputError:
                moved = True
        keep.append(moved)
    unidentified = [f.label for f, k in zip(model.search, keep, strict=True) if not k]
    if unidentified:
        notes.append("not identifiable from the table (changing them moves no share): "
                     + ", ".join(unidentified) + "; left at their values")
        params = [f for f in params if f.label not in unidentified]
        if not params:
            raise InputError(f"method '{m.name}': none of the free parameters changes the shares of the "
                             f"published regions", f"方法 '{m.name}':自由参数都不改变已公布地区的份额")
        model = Model(m, regions, year, params)
    if model.dropped:
        notes.append("fixed by their sum-to-one group (the only free member): " + ", ".join(model.dropped))
        params = [f for f in params if f.label not in model.dropped]
        model = Model(m, regions, year, params)
    k = len(model.search)
    n = len(published.rows)
    if n < k + 2:
        raise InputError(f"the table has {n} regions: too few for {k} free parameter(s) (at least {k + 2} "
                         f"are needed, so that one can be held out)",
                         f"表格只有 {n} 个地区,不足以估计 {k} 个自由参数(至少需要 {k + 2} 个)")
    linear = is_affine(model, published, rng)
    start = np.array([f.start for f in model.search])
    theta, status = _fit(model, published, loss, linear, seed, start)
    solver = "LP (PuLP + HiGHS)" if linear and loss == "l1" else "differential evolution + Nelder–Mead (SciPy)"
    ov, values = model.overrides(theta)
    shares = model.shares(theta, published)
    stats = statistics(published, shares)
    stats["loss"] = _loss(shares, published.targets, loss)
    cv_shares = cross_validate(model, published, loss, linear, seed, theta) if cv else np.full(n, np.nan)
    cv_stats = statistics(published, cv_shares) if cv else {}
    if cv:
        cv_stats["scheme"] = "leave-one-out" if n <= 30 else "10-fold"
    dependent = {d.label: (d.lo, d.hi, d.start) for d, _, _ in model.groups}
    return Calibration(m, year, loss, model.search, dependent, values, ov, solver, status, stats, cv_stats,
                       shares, cv_shares, notes)


# ------------------------------------------------------------------------------------------ method file

def _clean(x):
    if isinstance(x, float | np.floating):
        return float(round(float(x), 6))
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def calibrated_name(method: Method, table: str) -> str:
    return f"{method.name}_calibrated_{table}"


def calibrated_method_doc(cal: Calibration, published: Published, today: dt.date | None = None) -> dict:
    """The method file with the fitted values, each ``status: calibrated`` and carrying the table, the date
    and the fit; a ``calibration:`` block records the whole fit."""
    today = today or dt.date.today()
    src = Path(cal.method.path)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(src.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    doc = copy.deepcopy(doc)
    name = calibrated_name(cal.method, published.name)
    doc["name"] = name
    doc["label"] = {"zh": f"{cal.method.label_zh}(按 {published.name} 校准)",
                    "en": f"{cal.method.label_en} (calibrated on {published.name})"}
    fit = {"table": f"{published.name}", "year": cal.year, "date": today.isoformat(), "loss": cal.loss,
           "spearman": _clean(cal.fit["spearman"]), "mae_pp": _clean(cal.fit["mae_pp"]),
           "cv_spearman": _clean(cal.cv.get("spearman", math.nan)), "cv_mae_pp": _clean(cal.cv.get("mae_pp", math.nan)),
           "cv": cal.cv.get("scheme", "none"), "solver": cal.solver}
    for path, value in cal.overrides.items():
        spec = doc["parameters"][path]
        first = min(str(d) for d in spec["values"])
        spec["values"] = {first: {"value": _clean(value), "status": "calibrated", "calibration": dict(fit)}}
    doc["description"] = (str(doc.get("description", "")).strip() + f" Calibrated on {published.name} "
                          f"({cal.year}): the parameters marked 'calibrated' were fitted to the published shares "
                          f"(see the calibration block).")
    doc["calibration"] = {
        **fit,
        "regions": int(len(published.rows)),
        "parameters": [{k: _clean(v) for k, v in r.items()} for r in cal.table().to_dict(orient="records")],
        "notes": list(cal.notes),
    }
    return doc


def write_calibrated(cal: Calibration, published: Published, out: str | Path | None = None,
                     overwrite: bool = False) -> Path:
    from ..io import atomic_write_bytes, ensure_new_file

    path = Path(out) if out else MODELS_DIR / f"{calibrated_name(cal.method, published.name)}.yaml"
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise InputError("the calibrated method file must end in .yaml", "校准后的方法文件须以 .yaml 结尾",
                         file=str(path))
    ensure_new_file(path, overwrite)
    doc = calibrated_method_doc(cal, published)
    head = (f"# Calibrated by `ecocomp calibrate {cal.method.name} --to {published.name}` on "
            f"{doc['calibration']['date']}: parameters with status 'calibrated' were fitted to the published "
            f"shares; see the calibration block at the end.\n")
    text = head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path
