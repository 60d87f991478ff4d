"""The dual active-set method for the proportional objective under nested or overlapping groups
(compensation/allocation/dual_groups.py): hand-worked optima with their multipliers, degenerate cases found by
the property test (dependent rows, a zig-zag between two bounds, a line search ending exactly at a breakpoint,
a group whose only member is pushed to its floor), the QP fallback, and the general path's speed on the
benchmark problem that made the old HiGHS QP stall."""

import numpy as np
import pytest
from instances import overlapping_groups

from compensation.allocation import Constraints, allocate, constrained, dual_groups, highs
from compensation.allocation.feasibility import diagnose


def _obj(x, t):
    pos = t > 0
    return float(np.sum((x[pos] - t[pos]) ** 2 / t[pos]))


def _nested():
    # 3 regions with targets 100 (budget 300); A = {R0, R1} ≤ 150, B = {R0} ≤ 40 (nested).
    # B binds: x0 = 40. Without A the other 260 would be shared equally, 130 each, so A (40 + 130 > 150) binds:
    # x1 = 110, x2 = 150. Scales: R2 moved by no group → λ = 150/100 = 1.5; R1 = λ + ν_A = 1.1 → ν_A = −0.4;
    # R0 = λ + ν_A + ν_B = 0.4 → ν_B = −0.7 (both ≤ 0: maximums). Objective (60² + 10² + 50²)/100 = 62.
    t = np.array([100.0, 100.0, 100.0])
    groups = [("A", np.array([True, True, False]), 0.0, 150.0), ("B", np.array([True, False, False]), 0.0, 40.0)]
    return t, np.zeros(3), np.full(3, np.inf), 300.0, groups


def test_nested_maximums_worked_by_hand():
    t, lo, hi, budget, groups = _nested()
    res = dual_groups.solve(t, lo, hi, budget, groups)
    assert res.verified
    np.testing.assert_allclose(res.x, [40, 110, 150], rtol=1e-12)
    assert res.lam == pytest.approx(1.5, rel=1e-12)
    np.testing.assert_allclose(res.nu, [-0.4, -0.7], rtol=1e-12)
    assert _obj(res.x, t) == pytest.approx(62, rel=1e-12)
    moved = dual_groups.moved_by(res.x, t, lo, hi, groups, res.lam, res.nu)
    assert moved.tolist() == ["max:A,max:B", "max:A", ""]


def test_nested_groups_through_allocate_name_both_groups_in_the_explanation():
    # the same shape through allocate, in 万元: targets equal (1,000 / 3 each), A = {R0, R1} ≤ 50 % = 500,
    # B = {R0} ≤ 10 % = 100. B binds: R0 = 100; the other 900 would be shared 450 / 450, so A binds: R1 = 400,
    # R2 = 500. R0 is moved by both maximums and its explanation names both; R2 by neither.
    from test_allocation_constrained import _regions

    res = allocate(_regions([1, 1, 1]), budget=1000, budget_unit="万元", unit="万元",
                   constraints=Constraints(groups=[{"name": "A", "members": ["R0", "R1"], "max_share": 0.5},
                                                   {"name": "B", "members": ["R0"], "max_share": 0.1}]))
    assert res.solver_info["path"] == "dual active set" and 1 <= res.solver_info["iterations"] <= 10
    assert res.solver_info["name"] == "dual active-set Newton + exact KKT polish"
    assert res.table["final"].tolist() == [100, 400, 500]
    assert res.table["binding_groups"].tolist() == ["max:A,max:B", "max:A", ""]
    text = res.explain("R0", lang="en")
    assert "'A'" in text and "'B'" in text
    assert "'A'" not in res.explain("R2", lang="en")


def test_overlapping_minimum_and_maximum_worked_by_hand():
    # targets 100, 200, 300, 400 (budget 1,000); X = {R0, R1} ≥ 600, Y = {R1, R2} ≤ 300 (overlapping; worked
    # in test_allocation_cases: [300, 300, 0, 400]). R3 is moved by no group: λ = 400/400 = 1. R2 would want
    # λ + ν_Y = 0 − it is at its floor 0; R1 = 300 = 200 (λ + ν_X + ν_Y) and R0 = 300 = 100 (λ + ν_X) → ν_X = 2,
    # ν_Y = 1.5 − 3 = −1.5 (X's minimum ≥ 0, Y's maximum ≤ 0); R2's own scale λ + ν_Y = −0.5 ≤ 0 (wants below
    # its floor: complementary slackness holds).
    t = np.array([100.0, 200.0, 300.0, 400.0])
    groups = [("X", np.array([1, 1, 0, 0], bool), 600.0, 1000.0), ("Y", np.array([0, 1, 1, 0], bool), 0.0, 300.0)]
    res = dual_groups.solve(t, np.zeros(4), np.full(4, np.inf), 1000.0, groups)
    assert res.verified
    np.testing.assert_allclose(res.x, [300, 300, 0, 400], rtol=1e-12, atol=1e-9)
    assert res.lam == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(res.nu, [2.0, -1.5], rtol=1e-12)


# Instances of the property test (tests/test_allocation_optimality.py) on which early versions failed; each
# is compared with the HiGHS QP's objective. Numbers copied from instance(seed).
CASES = {
    # two groups equal to all positive-target regions plus a one-region group fixed at 1: dependent rows,
    # multipliers not unique (the polish keeps the ascent's own ones)
    "dependent rows": (np.array([1.709822, 0.643485, 2.139909, 0.506784, 0.0]), np.zeros(5),
                       np.array([np.inf] * 4 + [0.0]), 5.0,
                       [("g0", [0, 1, 1, 1, 1], 0.0, 5.0), ("g1", [0, 0, 0, 1, 0], 1.0, 1.0),
                        ("g2", [1, 1, 1, 0, 0], 0.0, 4.0), ("g3", [0, 0, 1, 1, 0], 3.0, 5.0)]),
    # a maximum that opens and closes at every step under the projected gradient (39 steps before the rule
    # that opens a bound only when Newton moves it to its side)
    "zig-zag": (np.array([0.0, 2.536841, 114.146099, 21.555858, 12.347089, 2.414112]),
                np.array([0.0, 0.0, 0.0, 22.0, 0.0, 1.0]), np.array([0.0, np.inf, 119.0, 24.0, np.inf, np.inf]),
                153.0, [("g0", [0, 0, 0, 1, 1, 1], 0.0, 41.0), ("g1", [1, 0, 0, 0, 0, 1], 5.0, 153.0),
                        ("g2", [1, 0, 1, 0, 1, 0], 114.0, 116.0)]),
    # a group maximum of 0 on a region with a target: the line search ends exactly at its floor
    "breakpoint": (np.array([0.0, 2.565496, 1.945341, 0.095456, 0.960589, 0.433119]),
                   np.array([0.0, 2.0, 0, 0, 0, 0]), np.array([0.0, 2.0, np.inf, np.inf, 1.0, 0.0]), 6.0,
                   [("g0", [0, 0, 0, 0, 1, 1], 0.0, 0.0), ("g1", [0, 0, 0, 1, 1, 0], 0.0, 6.0)]),
    # nested groups fixed at the whole budget (three dependent equality rows) and a cap of 0 on a region with a
    # target: 150 steps without a verified point, until cancelling shifts (ν_A − ν_B on A ∩ B) were made exactly 0
    "equality chain": (np.array([0.10766005799672532, 0.3006787907706813, 2.0703181242421973, 2.9638683750908097,
                                 0.04112533853254728, 1.4798709602855196, 0.0364783530815197]),
                       np.array([0.0, 0, 0, 3, 0, 0, 0]), np.array([np.inf, 0, np.inf, np.inf, np.inf, 2, np.inf]),
                       7.0, [("g0", [1] * 7, 7.0, 7.0), ("g1", [1, 1, 1, 1, 1, 1, 0], 7.0, 7.0),
                             ("g2", [1, 1, 1, 1, 1, 0, 0], 7.0, 7.0), ("g3", [1, 1, 1, 1, 0, 0, 0], 0.0, 4.0)]),
    # every amount fixed by the rows (x = [0, 2, 1, 1]): the line search met rounding noise in cancelling shifts
    "fully determined": (np.array([0.5604893387867619, 0.7914780835473076, 1.5177451954034455, 1.130287382262485]),
                         np.array([0.0, 0, 1, 0]), np.array([0.0, np.inf, np.inf, 1.0]), 4.0,
                         [("g0", [1, 1, 1, 1], 0.0, 4.0), ("g1", [1, 1, 1, 0], 3.0, 3.0),
                          ("g2", [1, 1, 0, 0], 2.0, 2.0)]),
}


def test_groups_infeasible_by_one_unit_are_named_exactly():
    # seed 57064: the same region in g0 ≤ 475,111,835万元 and g1 ≥ 475,111,836万元 — one unit apart, which the
    # feasibility LP's tolerance (relative to ~10⁹) did not see; the solver then failed. Now diagnosed exactly.
    t = np.array([5.1650869857119805e+08, 0.0, 1.6069630763389838e+08, 1.5457341679490361e+08])
    lo = np.array([0.0, 0.0, 145440013.0, 0.0])
    hi = np.array([754873313.0, 0.0, 145440013.0, np.inf])
    groups = [("g0", np.array([1, 0, 0, 0], bool), 0.0, 475111835.0),
              ("g1", np.array([1, 0, 0, 0], bool), 475111836.0, 563529881.0)]
    problems = diagnose(t, lo, hi, 831778423.0, groups, ["R0", "R1", "R2", "R3"], "万元")
    assert len(problems) == 1 and problems[0].severity == "error"
    assert "'g1' needs ≥ 475,111,836万元" in problems[0].message_en
    assert "at most 475,111,835万元" in problems[0].message_en and "short by 1万元" in problems[0].message_en


@pytest.mark.parametrize("name", sorted(CASES))
def test_degenerate_cases_match_the_qp(name):
    t, lo, hi, budget, groups = CASES[name]
    groups = [(g, np.array(m, bool), gmin, gmax) for g, m, gmin, gmax in groups]
    res = dual_groups.solve(t, lo, hi, budget, groups)
    assert res.verified, res.message
    assert res.iterations <= 10
    ref = highs.qp_proportional(t, lo, hi, budget, groups)
    assert ref.status == "optimal"
    assert _obj(res.x, t) == pytest.approx(ref.objective, rel=1e-9, abs=1e-12)
    assert res.x.sum() == pytest.approx(budget, rel=1e-14)
    for _, m, gmin, gmax in groups:
        assert gmin - 1e-9 <= res.x[m].sum() <= gmax + 1e-9


def test_a_group_maximum_on_a_member_pushed_to_its_floor_is_at_its_bound():
    # seed 22731: group g2 = {R1} (plus zero-target regions) at most 1,245,113,802 元. An early version
    # accepted a point with ν(g2) ≠ 0 but R1 at its floor 0 (the group below its maximum — complementary
    # slackness broken) and an objective 4 % above the optimum. The optimum pays R1 exactly the maximum.
    t = np.array([6.702674e+09, 4.846744e+10, 9.032567e+11, 3.056670e+11, 1.193660e+11, 0.0, 0.0])
    lo = np.array([0, 0, 0, 3.141864e+11, 0, 0, 0])
    hi = np.array([np.inf, np.inf, 8.392893e+11, 3.141864e+11, 1.713745e+11, 0, 0])
    groups = [("g0", np.array([1, 1, 1, 1, 0, 0, 0], bool), 1086015927887.0, 1272644652309.0),
              ("g1", np.array([0, 0, 1, 1, 1, 1, 0], bool), 0.0, 1320097322788.0),
              ("g2", np.array([0, 1, 0, 0, 0, 1, 1], bool), 0.0, 1245113802.0),
              ("g3", np.array([1, 0, 1, 0, 1, 1, 1], bool), 882647340117.0, 1119772346536.0)]
    res = dual_groups.solve(t, lo, hi, 1383459780747.0, groups)
    assert res.verified
    assert res.x[1] == pytest.approx(1245113802.0, rel=1e-12)
    ref = highs.qp_proportional(t, lo, hi, 1383459780747.0, groups)
    assert _obj(res.x, t) == pytest.approx(ref.objective, rel=1e-9)


def test_unverified_dual_falls_back_to_the_qp_and_says_so(monkeypatch):
    t, lo, hi, budget, groups = _nested()
    monkeypatch.setattr(dual_groups, "solve", lambda *a, **k: dual_groups.DualResult(None, None, message="test"))
    x, final, info = constrained.proportional(t, lo, hi, budget, groups)
    assert info["path"] == "QP" and "test" in info["fallback"]
    np.testing.assert_allclose(x, [40, 110, 150], rtol=1e-8)
    assert final.tolist() == [40, 110, 150]
    # the QP's duals, turned into the scale form, give the same multipliers and the same explanation
    assert info["scale"] == pytest.approx(1.5, rel=1e-6)
    assert info["moved_by"].tolist() == ["max:A,max:B", "max:A", ""]


@pytest.mark.parametrize("n", [200, 300])
def test_the_sizes_that_stalled_the_qp_solve_in_milliseconds(n):
    # benchmarks/bench_allocation.py --qp-regions 200 300 timed out (15 s / 120 s) on the old QP model. Here:
    # n regions with targets 1…n, bounds 90 %–120 % of target, budget 105 % of Σt. Without groups the first half
    # gets ≈ 25 % of the budget, the first quarter ≈ 6.25 %, every third region ≈ 33.4 %: nested maximums on the
    # first half (≤ 24 %) and quarter (≤ 5.8 %), an overlapping minimum on every third region (≥ 36 %), all
    # within what the members' floors and caps allow (feasibility checked). Exact: KKT verified; same objective
    # as the (well-scaled) HiGHS QP within 1e-9.
    t = np.arange(1, n + 1, dtype=float)
    lo, hi = 0.9 * t, 1.2 * t
    budget = 1.05 * t.sum()
    idx = np.arange(n)
    groups = [("half", idx < n // 2, 0.0, 0.24 * budget), ("quarter", idx < n // 4, 0.0, 0.058 * budget),
              ("third", idx % 3 == 0, 0.36 * budget, budget)]
    assert not diagnose(t, lo, hi, budget, groups, [str(i) for i in idx], "元")
    res = dual_groups.solve(t, lo, hi, budget, groups)
    assert res.verified and res.iterations <= 20
    ref = highs.qp_proportional(t, lo, hi, budget, groups, time_limit=60)
    assert ref.status == "optimal"
    assert _obj(res.x, t) == pytest.approx(ref.objective, rel=1e-9)
    assert (res.nu != 0).all()  # every group binds: this is not the no-group water-fill


def test_many_overlapping_groups_match_the_qp():
    # 500 regions (lognormal targets, floors 50–100 % and caps 100–160 % of target, budget Σt) and 15 random
    # overlapping groups: 40 % get a maximum 20 % of the way from their amount without groups down to their
    # floors, 40 % a minimum 20 % of the way up to their caps, the rest no bound. The dual method verifies KKT
    # and agrees with the HiGHS QP to 1e-9; most groups bind.
    n = 500
    t, lo, hi, budget, groups = overlapping_groups(np.random.default_rng(1), n, 15)
    assert len(groups) == 15
    assert not diagnose(t, lo, hi, budget, groups, [str(i) for i in range(n)], "元")
    res = dual_groups.solve(t, lo, hi, budget, groups)
    assert res.verified and res.iterations <= 30
    ref = highs.qp_proportional(t, lo, hi, budget, groups, time_limit=60)
    assert ref.status == "optimal"
    assert _obj(res.x, t) == pytest.approx(ref.objective, rel=1e-9)
    assert np.count_nonzero(res.nu) >= 8


def test_the_time_limit_covers_the_dual_steps_and_the_fallback():
    # the nested example needs more than one step (its first point, the water-fill without groups, breaks both
    # maximums): with a limit already used up after the first step the ascent stops, says so, and the QP
    # fallback gets no time left — the result is time-limited with nothing paid, never an unverified amount
    t, lo, hi, budget, groups = _nested()
    res = dual_groups.solve(t, lo, hi, budget, groups, deadline=0.0)
    assert not res.verified and res.iterations == 1 and "time limit" in res.message
    x, final, info = constrained.proportional(t, lo, hi, budget, groups, time_limit=1e-9)
    assert x is None and final is None
    assert info["status"] == "time_limited" and info["path"] == "QP" and "time limit" in info["fallback"]
    # with time to spare the same call is exact
    x, final, info = constrained.proportional(t, lo, hi, budget, groups, time_limit=60)
    assert info["path"] == "dual active set" and final.tolist() == [40, 110, 150]


# Found by benchmarks/bench_allocation.py (the first 31 of the 28,480 scale-10 units, bounds 95%–110% of last
# year in whole 万元): the budget equals the floors' sum exactly (2,119), and three overlapping groups (A = first
# 18, B = first 9 ⊂ A, C = every third) sit at their members' floors (A ≤ 1,069 = Σ floors of A, B ≥ 524 = Σ
# floors of B, C ≤ 740 = Σ floors of C). The only allocation is every region at its floor. HiGHS's feasibility LP
# returned a least total of 2,119.0000000000005 and the problem was declared infeasible ("short by 0元").
_EDGE_T = [2.7229027816573566, 2.2749038197180056, 1.652359807672413, 3.23490159530233, 4.3403535793085215,
           3.8574456073479224, 4.607989322804757, 2.472721543171745, 6.260349130477172, 2.8916296634267233,
           3.752718577284178, 7.854527254780837, 2.7636299600154794, 5.928713535275313, 4.823261551269121,
           7.6276186896427225, 4.735989026216002, 3.6072643688623103, 2.164358621317386, 9.256705823967637,
           50.98460913603295, 32.168652734580185, 45.934439019625714, 36.2122797287081, 18.193412389407168,
           69.24783954548259, 38.3475475083411, 63.674034278756636, 37.090823147576174, 38.20791146825612,
           23.07485562404504]
_EDGE_LO = [59, 57, 57, 57, 59, 58, 59, 57, 61, 58, 58, 66, 58, 61, 62, 62, 62, 58, 57, 66, 78, 71, 73, 75, 64, 132,
            76, 130, 92, 71, 65]
_EDGE_HI = [67, 65, 65, 65, 67, 66, 67, 65, 70, 66, 66, 75, 66, 69, 70, 70, 70, 66, 65, 75, 89, 81, 83, 86, 73, 151,
            87, 150, 106, 81, 74]


def _edge():
    t, lo, hi = np.array(_EDGE_T), np.array(_EDGE_LO, dtype=float), np.array(_EDGE_HI, dtype=float)
    idx = np.arange(31)
    groups = [("A", idx < 18, 0.0, 1069.0), ("B", idx < 9, 524.0, 2416.0), ("C", idx % 3 == 0, 0.0, 740.0)]
    return t, lo, hi, 2119, groups


def test_budget_equal_to_floors_with_overlapping_groups_is_feasible():
    t, lo, hi, budget, groups = _edge()
    assert lo.sum() == budget  # by construction: every region at its floor is the one allocation
    assert diagnose(t, lo, hi, budget, groups, [str(i) for i in range(31)], "万元") == []
    x, final, info = constrained.proportional(t, lo, hi, budget, groups, keys=np.array([f"{i:02d}" for i in range(31)]))
    assert info["status"] == "optimal"
    assert final.tolist() == _EDGE_LO  # worked out above: all at floor, Σ = 2,119 exactly


def test_feasibility_lp_slack_is_float_noise_only(monkeypatch):
    # the LP's least total a hair above the budget (float noise) counts as reachable; one whole unit above is a
    # real shortfall and is still reported, with the amount
    t, lo, hi, budget, groups = _edge()
    labels = [str(i) for i in range(31)]
    monkeypatch.setattr(highs, "feasible_range", lambda *a: (budget + 5e-13, budget + 95.0))
    assert diagnose(t, lo, hi, budget, groups, labels, "万元") == []
    monkeypatch.setattr(highs, "feasible_range", lambda *a: (budget + 1.0, budget + 95.0))
    (p,) = diagnose(t, lo, hi, budget, groups, labels, "万元")
    assert "short by" in p.message_en and "2,120万元" in p.message_en
    monkeypatch.setattr(highs, "feasible_range", lambda *a: (budget - 50.0, budget - 5e-13))
    assert diagnose(t, lo, hi, budget, groups, labels, "万元") == []
    monkeypatch.setattr(highs, "feasible_range", lambda *a: (budget - 50.0, budget - 1.0))
    (p,) = diagnose(t, lo, hi, budget, groups, labels, "万元")
    assert "2,118万元" in p.message_en
