"""Other objectives: minimise total absolute deviation or the largest relative deviation from the targets,
under bounds, the exact total and group shares, as an LP or (integer amounts) a MILP.

Two modelling layers, one result shape (:class:`Solution`):
- **PuLP** (small problems, up to ``PULP_MAX_REGIONS``, and custom models): HiGHS (through highspy) first; CBC
  only if PuLP reports it available. Expressions are built in bulk with LpAffineExpression. PuLP may say
  "Optimal" after a time limit, so the solution status and HiGHS's own model status are checked.
- **arrays** (larger problems): the same model built as numpy arrays and passed to highspy directly
  (:mod:`.highs`): at 284,800 regions a PuLP model takes seconds to build, the arrays a fraction of that.
The time limit covers build and solve in both: the solver gets what the build left, and a build that uses it
all up returns ``time_limited`` with no solution.

**A hard limit** (:mod:`.deadline`): with a time limit, the arrays path runs in a worker process (the inputs
are sent, the worker builds and solves, incumbents come back as HiGHS finds them) that is killed at the
deadline + ``deadline.GRACE`` if HiGHS has not stopped by then (its presolve and root LP do not always yield).
A killed solve is ``time_limited`` with the last incumbent received (whole amounts meeting every constraint;
the gap HiGHS reported with it) or with no solution. ``isolate`` chooses: None (default) asks
:func:`wants_worker` (above 5,000 regions, or above 1,000 with a limit of 5 s or less), True always, False
never."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np

from . import deadline
from .solver_libs import pulp

OBJECTIVES = ("min_abs", "minimax")
PULP_MAX_REGIONS = 5_000
WORKER_MIN_REGIONS = 5_000  # with a time limit, larger problems are solved in a worker process (deadline.py)
SHORT_LIMIT = 5.0  # seconds; with a limit this short, problems above SHORT_MIN_REGIONS use the worker too
SHORT_MIN_REGIONS = 1_000


def wants_worker(n: int, time_limit: float | None) -> bool:
    """Whether a solve of ``n`` regions under ``time_limit`` runs in a worker process by default: above
    WORKER_MIN_REGIONS, or above SHORT_MIN_REGIONS when the limit is at most SHORT_LIMIT. Measured in process
    on the shared machine: 2,848 regions overran a 0.5 s limit by up to 2.3 s (PuLP build + HiGHS), 5,000 a 2 s
    limit by 1.1 s; below 1,000 regions a solve takes milliseconds. A worker costs ~0.1 ms per call when warm
    and 1.3–2 s to start (inside the limit)."""
    if time_limit is None:
        return False
    return n > WORKER_MIN_REGIONS or (n > SHORT_MIN_REGIONS and float(time_limit) <= SHORT_LIMIT)
MILP_MAX_AMOUNT = 1e9  # output units; above it a MILP in whole units is numerically unreliable
BACKENDS = ("auto", "pulp", "arrays")


@dataclass
class Solution:
    x: np.ndarray | None  # amounts (float, or whole numbers for a MILP), None when no solution
    status: str  # "optimal" | "time_limited" | "infeasible" | "error"
    solver: str
    runtime: float
    gap: float | None
    objective: float | None
    message: str = ""
    backend: str = "pulp"  # "pulp" | "arrays"


@functools.lru_cache(maxsize=1)
def available_solvers() -> tuple[str, ...]:
    """PuLP's available solvers, asked once per process (each ask probes every solver: ~7 ms)."""
    return tuple(pulp.listSolvers(onlyAvailable=True))


def pick_solver(integer: bool, time_limit: float | None):
    available = available_solvers()
    if "HiGHS" in available:
        return "HiGHS", pulp.HiGHS(msg=False, mip=integer, timeLimit=time_limit)
    if "HiGHS_CMD" in available:
        return "HiGHS_CMD", pulp.HiGHS_CMD(msg=False, mip=integer, timeLimit=time_limit)
    if "PULP_CBC_CMD" in available:
        return "PULP_CBC_CMD", pulp.PULP_CBC_CMD(msg=False, mip=integer, timeLimit=time_limit)
    raise RuntimeError("no LP solver available to PuLP: install highspy")


def status_of(prob: pulp.LpProblem, solver_name: str) -> str:
    """Map PuLP's (status, sol_status) and HiGHS's model status to optimal / time_limited / infeasible."""
    if solver_name == "HiGHS" and getattr(prob, "solverModel", None) is not None:
        import highspy

        ms = prob.solverModel.getModelStatus()
        if ms == highspy.HighsModelStatus.kTimeLimit:
            return "time_limited"
        if ms == highspy.HighsModelStatus.kInfeasible:
            return "infeasible"
    return status_from_codes(prob.status, prob.sol_status)


def status_from_codes(status: int, sol_status: int) -> str:
    if status == pulp.LpStatusInfeasible or sol_status == pulp.LpSolutionInfeasible:
        return "infeasible"
    if sol_status == pulp.LpSolutionIntegerFeasible:
        return "time_limited"  # a solution, not proven optimal
    if status == pulp.LpStatusOptimal and sol_status == pulp.LpSolutionOptimal:
        return "optimal"
    if sol_status == pulp.LpSolutionNoSolutionFound:
        return "time_limited"
    return "error"


def solve(t, lo, hi, budget: float, groups=(), objective: str = "min_abs", integer: bool = True,
          time_limit: float | None = 30, backend: str = "auto", isolate: bool | None = None,
          on_incumbent=None) -> Solution:
    """Build and solve with PuLP (``backend='pulp'``, or 'auto' up to PULP_MAX_REGIONS regions) or as arrays.

    ``lo``/``hi`` are the bounds (hi may be inf); with ``integer`` they are made whole. Group bounds are used
    as given (the caller makes them whole). The time limit counts from this call and is hard when the solve
    runs in a worker process (``isolate``; by default :func:`wants_worker`). ``on_incumbent(x, gap,
    objective)`` (arrays path) gets each improving MIP solution."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend}")
    big = integer and float(budget) > MILP_MAX_AMOUNT
    pulp_path = not big and (backend == "pulp" or (backend == "auto" and np.size(t) <= PULP_MAX_REGIONS))
    isolate = wants_worker(int(np.size(t)), time_limit) if isolate is None else isolate
    if time_limit is not None and isolate and not deadline.in_worker():
        return solve_in_worker(t, lo, hi, budget, groups, objective, integer, time_limit, backend)
    if big:
        # HiGHS's MIP cannot hold integrality for values this large (its integer tolerance is relative to 1):
        # solve the LP and let the caller settle it in whole units (each region moves by < 1 unit)
        sol = solve(t, lo, hi, budget, groups, objective, False, time_limit, "arrays", isolate=False)  # scaled
        sol.message = (f"budget above {MILP_MAX_AMOUNT:.0e} units: LP solved, then settled in whole units "
                       f"(each amount moves by less than one unit from the LP optimum); {sol.message}")
        sol.gap = None
        return sol
    if pulp_path:
        return solve_pulp(t, lo, hi, budget, groups, objective, integer, time_limit)
    from . import highs

    t0 = time.perf_counter()
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    if integer:
        lo = np.ceil(lo - 1e-9)
        hi = np.where(np.isfinite(hi), np.floor(hi + 1e-9), hi)
    res = highs.lp_deviation(t, lo, hi, float(budget), groups, objective, integer, time_limit, t_start=t0,
                             on_incumbent=on_incumbent)
    return Solution(res.x, res.status if res.status != "unbounded" else "error", "HiGHS (arrays)", res.runtime,
                    res.gap, res.objective, message=res.message, backend="arrays")


def solve_pulp(t, lo, hi, budget: float, groups=(), objective: str = "min_abs", integer: bool = True,
               time_limit: float | None = 30) -> Solution:
    """Build and solve through PuLP. ``lo``/``hi`` are the bounds (hi may be inf); with ``integer`` they are
    made whole. The solver's time limit is what the model build left of ``time_limit``."""
    t = np.asarray(t, dtype=float)
    n = t.size
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    if integer:
        lo = np.ceil(lo - 1e-9)
        hi = np.where(np.isfinite(hi), np.floor(hi + 1e-9), hi)
    t0 = time.perf_counter()
    prob = pulp.LpProblem("allocation", pulp.LpMinimize)
    cat = pulp.LpInteger if integer else pulp.LpContinuous
    new_var = prob.add_variable if hasattr(prob, "add_variable") else pulp.LpVariable  # PuLP ≥ 3.3 / older
    x = [new_var(f"x{i}", float(lo[i]), float(hi[i]) if np.isfinite(hi[i]) else None, cat) for i in range(n)]
    prob.addConstraint(pulp.LpAffineExpression([(v, 1.0) for v in x]) == float(budget), "total")
    for k, (_name, m, gmin, gmax) in enumerate(groups):
        members = [(x[i], 1.0) for i in np.flatnonzero(m)]
        if integer:
            gmin, gmax = np.ceil(gmin - 1e-9), np.floor(gmax + 1e-9)
        if gmin > float(lo[m].sum()):
            prob.addConstraint(pulp.LpAffineExpression(members) >= float(gmin), f"group{k}_min")
        if gmax < float(hi[m].sum()):
            prob.addConstraint(pulp.LpAffineExpression(members) <= float(gmax), f"group{k}_max")
    if objective == "min_abs":
        d = [new_var(f"d{i}", 0.0) for i in range(n)]
        prob.setObjective(pulp.LpAffineExpression([(v, 1.0) for v in d]))
        for i in range(n):
            prob.addConstraint(pulp.LpAffineExpression([(d[i], 1.0), (x[i], -1.0)]) >= -t[i], f"up{i}")
            prob.addConstraint(pulp.LpAffineExpression([(d[i], 1.0), (x[i], 1.0)]) >= t[i], f"dn{i}")
    elif objective == "minimax":
        z = new_var("z", 0.0)
        prob.setObjective(pulp.LpAffineExpression([(z, 1.0)]))
        for i in np.flatnonzero(t > 0):
            prob.addConstraint(pulp.LpAffineExpression([(x[i], 1.0), (z, -t[i])]) <= t[i], f"up{i}")
            prob.addConstraint(pulp.LpAffineExpression([(x[i], 1.0), (z, t[i])]) >= t[i], f"dn{i}")
    else:
        raise ValueError(f"unknown objective {objective}")
    build = time.perf_counter() - t0
    left = None if time_limit is None else float(time_limit) - build
    if left is not None and left <= 0:
        return Solution(None, "time_limited", "PuLP", build, None, None,
                        message=f"the time limit was used up building the model ({build:.2f}s)")
    name, solver = pick_solver(integer, left)
    prob.solve(solver)
    runtime = time.perf_counter() - t0
    status = status_of(prob, name)
    gap = 0.0 if status == "optimal" else None
    if integer and name == "HiGHS" and getattr(prob, "solverModel", None) is not None:
        gap = float(prob.solverModel.getInfo().mip_gap)
        if not np.isfinite(gap):
            gap = None
    values = np.array([v.varValue if v.varValue is not None else np.nan for v in x], dtype=float)
    has_solution = status in ("optimal", "time_limited") and not np.isnan(values).any()
    if has_solution and status == "time_limited":  # an interrupted LP may hold an infeasible point
        tol = 1e-6 * max(1.0, float(budget))
        ok = abs(values.sum() - budget) <= tol and (values >= lo - tol).all() and (values <= hi + tol).all()
        ok = ok and all(gmin - tol <= values[m].sum() <= gmax + tol for _, m, gmin, gmax in groups)
        has_solution = bool(ok)
    if integer and has_solution:
        values = np.rint(values)
    return Solution(values if has_solution else None, status, name, runtime, gap,
                    pulp.value(prob.objective) if has_solution else None,
                    message=f"model built in {build:.3f}s")


def _job(t, lo, hi, budget, groups, objective, integer, backend, stop_at: float) -> Solution:
    """In the worker: :func:`solve` with the time left until ``stop_at`` (time.monotonic()); incumbents are
    reported to the parent as HiGHS finds them, so that they outlive a kill."""
    left = stop_at - time.monotonic()
    if left <= 0:
        return Solution(None, "time_limited", "HiGHS", 0.0, None, None,
                        message="the time limit was used up before the solver process started")
    return solve(t, lo, hi, budget, groups, objective, integer, left, backend, isolate=False,
                 on_incumbent=lambda x, gap, obj: deadline.report((x, gap, obj)))


def solve_in_worker(t, lo, hi, budget: float, groups=(), objective: str = "min_abs", integer: bool = True,
                    time_limit: float = 30, backend: str = "auto") -> Solution:
    """:func:`solve` in a worker process killed at the deadline (+ ``deadline.GRACE``): see :mod:`.deadline`.
    Falls back to solving in this process (with a note) when no worker can be started."""
    t0 = time.perf_counter()
    stop_at = time.monotonic() + float(time_limit)
    args = (np.asarray(t, dtype=float), np.asarray(lo, dtype=float), np.asarray(hi, dtype=float), float(budget),
            [(name, np.asarray(m, dtype=bool), float(gmin), float(gmax)) for name, m, gmin, gmax in groups],
            objective, integer, backend, stop_at)
    try:
        out = deadline.call(_job, args, deadline=stop_at)
    except (OSError, AssertionError, ValueError) as exc:  # no worker: a daemonic host process, no resources
        sol = solve(t, lo, hi, budget, groups, objective, integer, time_limit - (time.perf_counter() - t0),
                    backend, isolate=False)
        sol.message = f"solved in this process (no solver process could be started: {exc}); {sol.message}"
        return sol
    runtime = time.perf_counter() - t0
    where = f"solver process {out.pid}"
    if out.status == "done":
        sol = out.result
        sol.runtime = runtime
        sol.message = f"{sol.message}; in {where}" if sol.message else f"in {where}"
        return sol
    if out.status == "error":
        return Solution(None, "error", "HiGHS", runtime, None, None, message=f"{where}: {out.message}",
                        backend="arrays")
    if out.incumbent is not None:  # killed at the deadline, with the best solution HiGHS had found by then
        x, gap, obj = out.incumbent
        return Solution(x, "time_limited", "HiGHS (arrays)", runtime, gap, obj, backend="arrays",
                        message=f"{out.message}; best incumbent kept (found before the limit)")
    return Solution(None, "time_limited", "HiGHS (arrays)", runtime, None, None, backend="arrays",
                    message=f"{out.message}; no feasible solution had been found")
