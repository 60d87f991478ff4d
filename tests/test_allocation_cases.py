"""Regression tests for the wrong amounts of issue #9 (items 1–5 and 9) and for explanations naming the group
bounds that moved a region. Every expected number is worked by hand in the comment above it."""

import numpy as np
import pytest
from instances import county_like
from test_allocation_constrained import _regions

from compensation.allocation import Constraints, allocate, constrained, highs
from compensation.allocation.feasibility import diagnose

OBJECTIVES = ("proportional", "min_abs", "minimax")


def _groups(*specs):
    return Constraints(groups=[dict(zip(("name", "members", "min_share", "max_share"), s, strict=True)) for s in specs])


def test_item1_groups_under_proportional_are_optimal():
    # Targets 1亿 each (budget 3亿, unit 万元: 10,000 each); A = {R0} ≤ 30 %, B = {R1} ≥ 2/3.
    # B must take 20,000 (2/3 of 30,000 = 19,999.99… as a float share → at least 20,000 whole 万元). The other
    # 10,000 is shared by R0 and R2 in proportion to equal targets → 5,000 each; A's 5,000 ≤ 9,000 does not bind.
    # Σ (x − t)²/t = (25e6 + 1e8 + 25e6) / 1e4 = 15,000, less than the old [9,000, 20,000, 1,000]'s
    # (1e6 + 1e8 + 81e6) / 1e4 = 18,200.
    res = allocate(_regions([1, 1, 1]), budget=3, budget_unit="亿元", unit="万元",
                   constraints=_groups(("A", ["R0"], 0, 0.3), ("B", ["R1"], 2 / 3, None)))
    assert res.table["final"].tolist() == [5000, 20000, 5000]
    assert res.solver_info["path"] == "closed form"
    assert res.solver_info["objective_value"] == pytest.approx(15_000, rel=1e-12)
    assert res.table["binding_groups"].tolist() == ["", "min:B", ""]


def test_item1_nested_groups_take_the_dual_path():
    # 4 regions, targets 250 each, budget 1,000; W = {R0, R1, R2} ≥ 70 %, W1 = {R0} ≤ 10 % (nested).
    # R0 is held at 100; the other 900 is shared by R1, R2, R3 equally → 300 each (W = 700 holds exactly,
    # without pushing). Objective: (150² + 3·50²)/250 = (22,500 + 7,500)/250 = 120.
    res = allocate(_regions([1, 1, 1, 1]), budget=1000, budget_unit="万元", unit="万元",
                   constraints=_groups(("W", ["R0", "R1", "R2"], 0.7, None), ("W1", ["R0"], 0, 0.1)))
    assert res.solver_info["path"] == "dual active set"
    assert res.table["final"].tolist() == [100, 300, 300, 300]
    assert res.solver_info["objective_value"] == pytest.approx(120, rel=1e-9)
    assert res.table["binding_groups"].iloc[0] == "max:W1"


def test_item1_overlapping_groups_dual_path():
    # Overlapping groups are no longer refused: X = {R0, R1} ≥ 60 %, Y = {R1, R2} ≤ 30 %; targets 100, 200, 300,
    # 400 (budget 1,000). Worked by hand from the KKT conditions: R1 belongs to both; the optimum is
    # R0 = 600 − R1, R2 = 300 − R1, R3 = 1,000 − 600 − R2 = 100 + R1, with R1 minimising
    # (500 − R1)²/100 + (R1 − 200)²/200 + (100 − R1)²/300 + (R1 − 300)²/400 → derivative zero at
    # R1 = (10 + 2 + 2/3 + 1.5)/(1/50 + 1/100 + 1/150 + 1/200) = 14.1667/0.041667 = 340; R2 = −40 < 0, so R2
    # is held at its floor 0: then R1 ≤ 300 and R0 = 600 − R1 ≥ 300, R3 = 400; minimise
    # (500 − R1)²/100 + (R1 − 200)²/200 with R1 ≤ 300 → R1 = (10 + 1)/(1/50 + 1/100) = 366.7 → capped by Y at 300.
    # So [300, 300, 0, 400].
    res = allocate(_regions([100, 200, 300, 400]), budget=1000, budget_unit="万元", unit="万元",
                   constraints=_groups(("X", ["R0", "R1"], 0.6, None), ("Y", ["R1", "R2"], 0, 0.3)))
    assert res.solver_info["path"] == "dual active set"
    assert res.table["final"].tolist() == [300, 300, 0, 400]


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_item2_rounding_with_group_minimums_keeps_total_and_bounds(objective):
    # 5 regions of equal target 2,000万 (budget 1亿 = 10,000万); A = {R0, R1} ≥ 50.004 % = 5,000.4 → at least
    # 5,001 whole 万元; B = {R2, R3} ≥ 30.004 % = 3,000.4 → at least 3,001. Proportional: A binds (2,500.2 each
    # before rounding, its 5,000.4 raised to a whole 5,001); B would get 3,332.9 without its minimum, so it does
    # not bind. Every objective: Σ = 10,000 exactly, A ≥ 5,001, B ≥ 3,001.
    res = allocate(_regions([1] * 5), budget=1, budget_unit="亿元", unit="万元", objective=objective,
                   constraints=_groups(("A", ["R0", "R1"], 0.50004, None), ("B", ["R2", "R3"], 0.30004, None)))
    f = res.table["final"].to_numpy()
    assert res.status == "optimal" and f.sum() == 10_000
    assert f[:2].sum() >= 5_001 and f[2:4].sum() >= 3_001
    if objective == "proportional":
        # floats 2,500.5, 2,500.5, 1,666.33 ×3 → floors 2,500 ×2 + 1,666 ×3 = 9,998; the two .5 remainders
        # take the 2 missing units → [2,501, 2,501, 1,666, 1,666, 1,666]
        assert f.tolist() == [2501, 2501, 1666, 1666, 1666]


def test_item2_whole_unit_group_minimum_forces_the_rest_down():
    # Same groups, but B's minimum binds too (targets 1, 1, 1, 1, 6 of 10,000 → 1,000 ×4 and 6,000):
    # the group bounds are whole before solving (A ≥ 5,001, B ≥ 3,001), leaving exactly 10,000 − 8,002 = 1,998
    # for R4. Before rounding A's members get 2,500.5 each and B's 1,500.5; floors 2,500 ×2 + 1,500 ×2 + 1,998
    # = 9,998; each group's missing unit goes to its first member by adcode (equal remainders) → R0, R2.
    res = allocate(_regions([1, 1, 1, 1, 6]), budget=1, budget_unit="亿元", unit="万元",
                   constraints=_groups(("A", ["R0", "R1"], 0.50004, None), ("B", ["R2", "R3"], 0.30004, None)))
    assert res.table["final"].tolist() == [2501, 2500, 1501, 1500, 1998]
    np.testing.assert_allclose(res.table["allocated"], [2500.5, 2500.5, 1500.5, 1500.5, 1998], rtol=1e-12)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_item3_group_max_and_cap_report_infeasible_with_the_fix(objective):
    # 2 regions, budget 1亿 = 10,000万; group A = {R0} ≤ 50 % (5,000), cap R1 = 4,000: at most 9,000 can be paid.
    res = allocate(_regions([1, 1]), budget=1, budget_unit="亿元", unit="万元", objective=objective,
                   constraints=Constraints(caps={"R1": 4000}, groups=[{"name": "A", "members": ["R0"],
                                                                       "max_share": 0.5}]))
    assert res.status == "infeasible" and "final" not in res.table
    msg = [p.message_en for p in res.diagnostics if p.severity == "error"]
    assert msg == ["caps and group maximums ('A' ≤ 50% (5,000万元)) allow at most 9,000万元 < budget 1亿元 (the "
                   "budget exceeds what they allow by 1,000万元); the pool may be at most 9,000万元, or the group "
                   "maximums and caps raised by 1,000万元 in total"]
    assert "overlap" not in " ".join(msg)


def test_item3_min_total_with_group_minimum_names_the_pool_needed():
    # floors R1 ≥ 6,000 and group A = {R0} ≥ 50 % of 10,000 (5,000): at least 11,000 needed, budget 10,000.
    res = allocate(_regions([1, 1]), budget=10_000, budget_unit="万元", unit="万元", objective="min_abs",
                   constraints=Constraints(floors={"R1": 6000}, groups=[{"name": "A", "members": ["R0"],
                                                                         "min_share": 0.5}]))
    assert res.status == "infeasible"
    assert res.diagnostics[-1].message_en == (
        "floors and group minimums ('A' ≥ 50% (5,000万元)) need at least 1.1亿元 > budget 1亿元 (short by 1,000万元); "
        "the pool must be at least 1.1亿元, or the group minimums and floors lowered by 1,000万元 in total")


def test_item3_conflicting_overlapping_groups_are_named():
    # W = {R0, R1} ≥ 70 %, V = {R1, R2} ≤ 20 %, U = {R0} ≤ 45 %: W ≤ 45 % + 20 % = 65 % < 70 % at any pool.
    res = allocate(_regions([1, 1, 1, 1]), budget=1000, budget_unit="万元", unit="万元",
                   constraints=_groups(("W", ["R0", "R1"], 0.7, None), ("V", ["R1", "R2"], 0, 0.2),
                                       ("U", ["R0"], 0, 0.45)))
    assert res.status == "infeasible"
    msg = res.diagnostics[-1].message_en
    assert "'W' 70%–100%" in msg and "'V' 0%–20%" in msg and "'U' 0%–45%" in msg and "cannot all hold" in msg


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_item4_zero_targets_stay_at_their_floor(objective):
    # Three regions with no red line (target 0), targets 300 and 700, budget 1,000, cap R4 = 600: R4 is capped,
    # the 100 it frees can only go to R3 (zero-target regions stay at their floor 0) → [0, 0, 0, 400, 600].
    res = allocate(_regions([0, 0, 0, 300, 700]), budget=1000, budget_unit="万元", unit="万元", objective=objective,
                   constraints=Constraints(caps={"R4": 600}))
    assert res.table["final"].tolist() == [0, 0, 0, 400, 600]
    assert res.table["binding"].tolist()[:3] == ["zero_target"] * 3
    assert "target is zero" in res.explain("R0", "en")


@pytest.mark.parametrize("bound", ["cap", "floor"])
def test_item5_water_filling_near_a_breakpoint_in_yuan(bound):
    # 1,091亿 = 109,100,000,000 元 over two regions with targets 1/3 and 2/3: 36,366,666,666.67 and
    # 72,733,333,333.33 元. A cap 40 元 below R0's target: R0 = 36,366,666,626, R1 = the rest, 72,733,333,374.
    # A floor 40 元 above: R0 = 36,366,666,707, R1 = 72,733,333,293.
    if bound == "cap":
        c, expect = Constraints(caps={"R0": 36_366_666_626}), [36_366_666_626, 72_733_333_374]
    else:
        c, expect = Constraints(floors={"R0": 36_366_666_707}), [36_366_666_707, 72_733_333_293]
    res = allocate(_regions([1, 2]), budget=1091, budget_unit="亿元", unit="元", constraints=c)
    assert res.table["final"].tolist() == expect
    assert res.table["binding"].tolist() == [bound, ""]


def test_item5_water_fill_has_no_budget_relative_tolerance():
    # S(λ) breakpoints 40 units apart at 10¹¹: the segment is found exactly; Σ x within float noise.
    t = np.array([36_366_666_666.67, 72_733_333_333.33])
    x, lam = constrained.water_fill(t, np.zeros(2), np.array([t[0] - 40, np.inf]), 109_100_000_000.0)
    assert abs(x.sum() - 109_100_000_000.0) < 1e-3
    assert x[0] == t[0] - 40


def test_item9_a_build_that_uses_up_the_limit_is_time_limited():
    from compensation.allocation import solver

    t, lo, hi, budget = county_like(20_000)
    for backend in ("pulp", "arrays"):
        sol = solver.solve(t, lo, hi, budget, objective="minimax", integer=True, time_limit=1e-6, backend=backend)
        assert sol.status == "time_limited" and sol.x is None
        assert "time limit was used up" in sol.message


def test_explanation_names_group_bounds():
    res = allocate(_regions([1, 1, 1]), budget=3, budget_unit="亿元", unit="万元",
                   constraints=_groups(("A", ["R0"], 0, 0.3), ("B", ["R1"], 2 / 3, None)))
    en, zh = res.explain("R1", "en"), res.explain("R1")
    assert "raised by group 'B' minimum share of 66.67% (2亿元) → 2亿元" in en
    assert "受组「B」最低份额 66.67%(2亿元)约束上调" in zh
    # a group maximum that binds: A = {R0} ≤ 10 % (3,000) with B as before → R0 held down
    res = allocate(_regions([1, 1, 1]), budget=3, budget_unit="亿元", unit="万元",
                   constraints=_groups(("A", ["R0"], 0, 0.1), ("B", ["R1"], 2 / 3, None)))
    assert res.table["final"].tolist() == [3000, 20000, 7000]
    assert "held down by group 'A' maximum share of 10% (3,000万元)" in res.explain("R0", "en")


def test_feasibility_diagnosis_matches_an_lp_on_small_cases():
    # T_min/T_max of the closed formula (disjoint groups) equal those of the two LPs.
    rng = np.random.default_rng(11)
    for _ in range(30):
        n = 6
        lo = rng.integers(0, 5, n).astype(float)
        hi = lo + rng.integers(0, 10, n)
        m1 = np.array([1, 1, 0, 0, 0, 0], bool)
        m2 = np.array([0, 0, 1, 1, 0, 0], bool)
        groups = [("a", m1, float(rng.integers(0, 12)), float(rng.integers(8, 30))),
                  ("b", m2, float(rng.integers(0, 12)), float(rng.integers(8, 30)))]
        budget = float(rng.integers(5, 40))
        closed = diagnose(np.ones(n), lo, hi, budget, groups, list("abcdef"), "万元")
        t_min, t_max = highs.feasible_range(lo, hi, groups)
        feasible_lp = t_min is not None and t_min - 1e-9 <= budget <= t_max + 1e-9
        assert (not closed) == feasible_lp
