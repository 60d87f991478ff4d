"""Closed-form water-filling, exact rounding, the PuLP objectives, infeasibility and time-limit messages."""

import numpy as np
import pandas as pd
import pytest

from compensation.allocation import Constraints, allocate, constrained, solver


def _regions(targets, last=None, groups=None):
    """A table on which redline_function_weighted gives targets proportional to ``targets``:
    only biodiversity red line (weight 1.2), so the key is 1.2 × area."""
    n = len(targets)
    df = pd.DataFrame({
        "adcode": [f"{110000 + 10000 * i}" for i in range(n)],
        "name_zh": [f"地区{i}" for i in range(n)],
        "name_en": [f"R{i}" for i in range(n)],
        "redline_biodiversity_km2": np.asarray(targets, dtype=float),
        "redline_total_km2": np.asarray(targets, dtype=float),
        "population_10k": np.full(n, 10.0),
    })
    for k in ("water_conservation", "soil_conservation", "sand_fixation", "coastal"):
        df[f"redline_{k}_km2"] = 0.0
    if last is not None:
        df["last_year_amount_10k_cny"] = np.asarray(last, dtype=float)
    if groups is not None:
        df["region_group"] = groups
    return df


def test_water_fill_cap_worked_by_hand():
    # worked by hand: targets 100, 200, 700, budget 1000, cap C ≤ 600. The 100 freed by the cap goes to A and B in
    # proportion: 100λ + 200λ + 600 = 1000 → λ = 4/3 → A 133.33, B 266.67, C 600.
    # Rounding: floors 133 + 266 + 600 = 999; largest remainder .667 (B) takes the last unit → 133, 267, 600.
    res = allocate(_regions([100, 200, 700]), budget=1000, budget_unit="万元", unit="万元",
                   constraints=Constraints(caps={"R2": 600}))
    t = res.table
    assert res.status == "optimal"
    np.testing.assert_allclose(t["target"], [100, 200, 700])
    np.testing.assert_allclose(t["allocated"], [400 / 3, 800 / 3, 600])
    assert t["final"].tolist() == [133, 267, 600]
    assert t["binding"].tolist() == ["", "", "cap"]
    np.testing.assert_allclose(t["adj_constraints"], [100 / 3, 200 / 3, -100])
    assert t["final"].dtype == np.int64


def test_water_fill_floor_worked_by_hand():
    # worked by hand: targets 100, 200, 700, budget 1000, floor A ≥ 150: 150 + 900λ = 1000 → λ = 0.9444…
    # B = 188.89, C = 661.11; floors 150 + 188 + 661 = 999; remainder .889 (B) → 150, 189, 661.
    res = allocate(_regions([100, 200, 700]), budget=1000, budget_unit="万元", unit="万元",
                   constraints=Constraints(floors={"110000": 150}))
    assert res.table["final"].tolist() == [150, 189, 661]
    assert res.table["binding"].tolist() == ["floor", "", ""]


def test_ratio_bounds_relative_to_last_year_worked_by_hand():
    # worked by hand: targets 100, 300, 600 (budget 1000), last year 200, 300, 400 万元, floor 95 %, cap 110 %:
    # caps are 110 % of last year: 220 + 330 + 440 = 990 < budget 1000 → infeasible, short by 10.
    res = allocate(_regions([100, 300, 600], last=[200, 300, 400]), budget=1000, budget_unit="万元",
                   unit="万元", constraints=Constraints(floor_ratio=0.95, cap_ratio=1.10))
    assert res.status == "infeasible"
    text = " ".join(p.message_en for p in res.diagnostics)
    assert "caps add up to 990万元 < budget 1,000万元 (the budget exceeds what caps allow by 10万元)" in text
    assert "final" not in res.table
    # with a 120 % cap (A 240, B 360, C 480): A floor 190, C cap 480, B = 1000 − 190 − 480 = 330 (no bound binds B).
    res = allocate(_regions([100, 300, 600], last=[200, 300, 400]), budget=1000, budget_unit="万元",
                   unit="万元", constraints=Constraints(floor_ratio=0.95, cap_ratio=1.20))
    assert res.table["final"].tolist() == [190, 330, 480]
    assert res.table["binding"].tolist() == ["floor", "", "cap"]
    assert "上年" in res.explain("地区2") and "120%" in res.explain("R2", "en")


def test_floors_exceed_budget_message():
    # worked by hand: floors 95 % of last year 600 + 600 = 1,140亿 > budget 1,091亿 (short by 49亿)
    res = allocate(_regions([1, 1], last=[600 * 10_000, 600 * 10_000]), budget=1091, budget_unit="亿元",
                   unit="万元", constraints=Constraints(floor_ratio=0.95))
    assert res.status == "infeasible"
    reason = [p for p in res.diagnostics if p.severity == "error"][-1]
    assert reason.message_en == ("floors add up to 1,140亿元 > budget 1,091亿元 (short by 49亿元); the pool "
                                 "must be at least 1,140亿元, or the floors lowered by 49亿元 in total")
    assert "缺口 49亿元" in reason.message_zh
    # and the largest floor ratio that works: 1,091 / 1,200 = 0.90916… → 90.91 % on the 0.01 % grid
    assert res.diagnostics[-1].key == "constraints.floor_ratio"
    assert "90.91%" in res.diagnostics[-1].message_en and res.solver_info["largest_floor_ratio"] == 0.9091


def test_group_caps_message():
    # worked by hand: west = regions 0 and 1, capped at 300 + 250 = 550 of a budget of 1,000 (55 %), needs ≥ 60 %
    regions = _regions([1, 1, 1], groups=["west", "west", "east"])
    res = allocate(regions, budget=1000, budget_unit="万元", unit="万元",
                   constraints=Constraints(caps={"R0": 300, "R1": 250},
                                           groups=[{"name": "west", "members": {"region_group": "west"},
                                                    "min_share": 0.6}]))
    assert res.status == "infeasible"
    assert res.diagnostics[-1].message_en == (
        "group 'west' needs ≥ 60% (600万元) but its caps allow at most 55% (550万元); lower the minimum to 550万元 "
        "or raise its members' caps by 50万元")


def test_group_min_share_closed_form_and_pulp():
    # worked by hand: targets 100, 100, 800; group {0, 1} needs ≥ 40 % = 400. Pinned: 400 split 1:1 → 200, 200;
    # the rest 600 goes to region 2 alone.
    regions = _regions([100, 100, 800], groups=["west", "west", "east"])
    c = Constraints(groups=[{"name": "west", "members": ["R0", "R1"], "min_share": 0.4}])
    res = allocate(regions, budget=1000, budget_unit="万元", unit="万元", constraints=c)
    assert res.table["final"].tolist() == [200, 200, 600]
    for objective in ("min_abs", "minimax"):
        r = allocate(regions, budget=1000, budget_unit="万元", unit="万元", constraints=c, objective=objective)
        assert r.status == "optimal"
        assert int(r.table["final"].sum()) == 1000
        assert r.table["final"].iloc[:2].sum() >= 400


def test_locks_and_exclusions():
    res = allocate(_regions([100, 200, 700]), budget=1000, budget_unit="万元", unit="万元",
                   constraints=Constraints(locks={"R0": 500}, exclude=["R2"]))
    assert res.table["final"].tolist() == [500, 500, 0]
    assert res.table["binding"].tolist() == ["locked", "", "excluded"]


def test_unknown_region_in_constraints_raises():
    from compensation.problems import InputError

    with pytest.raises(InputError, match="no region with adcode or name 'XX'"):
        allocate(_regions([1, 2]), budget=10, budget_unit="万元", unit="万元", constraints=Constraints(caps={"XX": 1}))


def test_budget_not_whole_in_unit_raises():
    from compensation.problems import InputError

    with pytest.raises(InputError, match="not a whole number"):
        allocate(_regions([1, 2]), budget=10.5, budget_unit="万元", unit="万元")


@pytest.mark.parametrize("integer", [True, False])
def test_min_abs_cross_check_against_closed_form(integer):
    # The min_abs optimum is never worse than the closed form in total absolute deviation; both meet the bounds
    # and the total; with no binding bound both equal the (integer) targets.
    rng = np.random.default_rng(7)
    targets = rng.uniform(10, 100, 40)
    last = targets * rng.uniform(0.8, 1.2, 40) * (10_000 / targets.sum())
    regions = _regions(targets, last=last)
    c = Constraints(floor_ratio=0.97, cap_ratio=1.05)
    closed = allocate(regions, budget=10_000, budget_unit="万元", unit="万元", constraints=c)
    lp = allocate(regions, budget=10_000, budget_unit="万元", unit="万元", constraints=c, objective="min_abs",
                  integer=integer)
    for r in (closed, lp):
        t = r.table
        assert r.status == "optimal"
        assert int(t["final"].sum()) == 10_000
        assert (t["final"] >= t["lower"]).all() and (t["final"] <= t["upper"]).all()
    dev_closed = (closed.table["allocated"] - closed.table["target"]).abs().sum()
    dev_lp = (lp.table["allocated"] - lp.table["target"]).abs().sum()
    assert dev_lp <= dev_closed + 1e-6
    # no binding bound: targets 1000, 2000, 7000 are whole, both paths give them exactly
    free = _regions([1000, 2000, 7000])
    for objective in ("proportional", "min_abs", "minimax"):
        r = allocate(free, budget=10_000, budget_unit="万元", unit="万元", objective=objective, integer=integer)
        assert r.table["final"].tolist() == [1000, 2000, 7000]


def test_water_fill_matches_bisection():
    rng = np.random.default_rng(3)
    t = rng.uniform(0, 10, 500)
    lo = t * rng.uniform(0.5, 1.0, 500)
    hi = t * rng.uniform(1.0, 1.5, 500) + 0.1
    total = float(t.sum() * 1.1)
    x, lam = constrained.water_fill(t, lo, hi, total)
    a, b = 0.0, 10.0
    for _ in range(200):
        mid = (a + b) / 2
        a, b = (mid, b) if np.clip(mid * t, lo, hi).sum() < total else (a, mid)
    assert lam == pytest.approx(a, rel=1e-9)
    assert x.sum() == pytest.approx(total, rel=1e-12)


def test_status_codes_time_limit_and_infeasible():
    import pulp

    # PuLP can report "Optimal" with a solution status of "integer feasible" after a time limit
    assert solver.status_from_codes(pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible) == "time_limited"
    assert solver.status_from_codes(pulp.LpStatusOptimal, pulp.LpSolutionOptimal) == "optimal"
    assert solver.status_from_codes(pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible) == "infeasible"
    assert solver.status_from_codes(pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound) == "time_limited"


def test_time_limit_reported(monkeypatch):
    # A solve interrupted by the time limit: forced by making the solver report HiGHS's time-limit outcome.
    real = solver.solve

    def limited(*args, **kwargs):
        sol = real(*args, **kwargs)
        sol.status, sol.gap = "time_limited", 0.0123
        return sol

    monkeypatch.setattr(solver, "solve", limited)
    res = allocate(_regions([1, 2, 3]), budget=600, budget_unit="万元", unit="万元", objective="minimax",
                   time_limit=5)
    assert res.status == "time_limited"
    msg = res.diagnostics[-1].message_en
    assert "stopped at the time limit (5s, model build included)" in msg and "not proven optimal (gap 1.23%)" in msg
    assert "时间上限" in res.diagnostics[-1].message_zh


def test_real_time_limit_on_synthetic_counties():
    # a real HiGHS run stopped by a 1 ms limit before it found any point: reported as time-limited, never as
    # optimal, and nothing is paid (issue #9 item 9: "no solution within N s"; no substitute allocation)
    from compensation.synth import synthetic_counties

    d = synthetic_counties()
    budget = int(round(d["last_year_amount_10k_cny"].sum() * 1.03))
    res = allocate(d, budget=budget, budget_unit="万元", unit="万元", objective="minimax", integer=False,
                   constraints=Constraints(floor_ratio=0.95, cap_ratio=1.10), time_limit=0.001)
    assert res.status == "time_limited" and not res.ok
    assert any(p.severity == "error" and p.message_en.startswith("no solution within 0.001s") and
               "nothing is paid" in p.message_en for p in res.diagnostics)
    assert "final" not in res.table and res.table["target"].sum() == pytest.approx(budget)
