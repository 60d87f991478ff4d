"""The batched sweep path equals allocate() draw by draw, final amounts exact.

Expected values are not typed in: each draw is recomputed independently by the project's own per-draw path
(``run.compute`` / ``allocation.allocate`` with the draw's overrides, budget and ratios), and the batched
water-filling and rounding are compared with ``constrained.water_fill`` / ``constrained.proportional`` on
random and adversarial small problems (ties, zero targets, locked regions, infinite caps, tight groups)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from compensation.allocation import Constraints, allocate
from compensation.allocation.constrained import proportional, water_fill
from compensation.run import compute, scenario_regions
from compensation.scenario import load_scenario
from compensation.sweep import SweepSpec, parse_vary, sweep_points
from compensation.sweep.batched import proportional_rows, water_fill_rows
from compensation.sweep.engine import evaluate
from compensation.sweep.problem import build_problem


def _random_problem(rng, n, kind):
    t = rng.uniform(0.5, 100.0, n)
    if kind == "ties":
        t = np.round(t / 10) * 10  # many equal targets, hence equal breakpoints and remainders
    if kind == "zeros":
        t[rng.random(n) < 0.3] = 0.0
    last = rng.uniform(1.0, 100.0, n)
    lo = np.ceil(rng.uniform(0.8, 1.0) * last - 1e-9)
    hi = np.floor(rng.uniform(1.05, 1.4) * last + 1e-9)
    if kind == "inf":
        hi[rng.random(n) < 0.5] = np.inf
    if kind == "locked":
        k = rng.random(n) < 0.2
        lo[k] = hi[k] = np.round(last[k])
    movable = np.where(t > 0, np.where(np.isfinite(hi), hi, 2 * last), lo)  # zero targets stay at their floor
    budget = float(np.round(rng.uniform(lo.sum(), movable.sum())))
    return t, lo, hi, budget


@pytest.mark.parametrize("kind", ["plain", "ties", "zeros", "inf", "locked"])
def test_water_fill_rows_equals_water_fill(kind):
    rng = np.random.default_rng(11)
    n, m = 40, 60
    probs = [_random_problem(rng, n, kind) for _ in range(m)]
    t = np.array([p[0] for p in probs])
    lo = np.array([p[1] for p in probs])
    hi = np.array([p[2] for p in probs])
    budget = np.array([p[3] for p in probs])
    x, scale = water_fill_rows(t, lo, hi, budget)
    for i in range(m):
        xi, si = water_fill(t[i], lo[i], hi[i], budget[i])
        np.testing.assert_allclose(x[i], xi, rtol=1e-12, atol=1e-9)
        assert abs(x[i].sum() - budget[i]) <= 1e-6 * budget[i]


@pytest.mark.parametrize("kind", ["plain", "ties", "zeros", "inf", "locked"])
def test_proportional_rows_equals_proportional_with_groups(kind):
    rng = np.random.default_rng(5)
    n, m = 30, 200
    g1 = np.zeros(n, dtype=bool)
    g1[:8] = True
    g2 = np.zeros(n, dtype=bool)
    g2[20:] = True
    compared = 0
    for i in range(m):
        t, lo, hi, budget = _random_problem(rng, n, kind)
        b = float(budget)
        # shares that bind often: a minimum above the group's natural share, a maximum below it
        nat1, nat2 = t[g1].sum() / t.sum(), t[g2].sum() / t.sum()
        groups = [("a", g1, min(b * (nat1 + 0.05), (np.where(np.isfinite(hi), hi, b))[g1].sum()), b),
                  ("b", g2, max(0.0, lo[g2].sum()), max(lo[g2].sum(), b * (nat2 - 0.05)))]
        from compensation.allocation.constrained import diagnose

        if diagnose(t, lo, hi, b, groups, [str(k) for k in range(n)], "万元"):
            continue
        keys = np.array([f"{k:03d}" for k in range(n)])
        rows_groups = [(nm, msk, np.array([gmin]), np.array([gmax])) for nm, msk, gmin, gmax in groups]
        x2, f2, s2, ok = proportional_rows(t[None], lo[None], hi[None], np.array([int(round(b))]), rows_groups)
        try:
            x1, f1, s1 = proportional(t, lo, hi, b, groups, integer=True, keys=keys)
        except ValueError:  # a block that cannot be rounded within its bounds: the batched row says so too
            assert not ok[0]
            continue
        assert ok[0]
        assert f2[0].sum() == int(round(b))  # exact total, always
        if f1.sum() != int(round(b)):
            # constrained.proportional rounds each pinned block's total on its own and can miss the budget by a
            # unit (allocate() then fails its own check); the batched path gives the rest what is left
            continue
        assert np.array_equal(f2[0], f1), (kind, i)
        compared += 1
    assert compared >= 30


def _sweep_rows(sc, varies, samples, seed=3, year=None):
    spec = SweepSpec([parse_vary(v) for v in varies], samples=samples, seed=seed)
    points = sweep_points(spec)
    problem = build_problem(sc, spec, points, year)
    out = evaluate(problem, problem.points)
    return problem, points, out


def _per_draw(sc, row, regions, year):
    """The project's per-draw path for one draw: allocate() with the draw's overrides, budget and ratios (or
    compute() over the years of a carry-over chain)."""
    from compensation.run import _constraints
    from compensation.scenario import budget_for_years, overrides_for_year

    sc2 = copy.deepcopy(sc)
    c = sc2.spec.setdefault("constraints", {})
    overrides = {}
    budget = None
    for key, value in row.items():
        if key.startswith("constraints."):
            c[key.split(".", 1)[1]] = float(value)
        elif key == "budget":
            budget = int(np.floor(float(value) * 10_000 + 0.5))  # 亿元 → whole 万元, half-up (as documented)
        else:
            overrides[key] = float(value)
    if c.get("carry_over"):
        res = compute(sc2, [y for y in sc2.years if y <= year], regions=regions, overrides=overrides)
        return res.results[year].allocation.table.sort_values("adcode", kind="stable")
    if budget is None:
        budget = budget_for_years(sc2.spec, [year], "万元")[year]
    ov = overrides_for_year(sc2.spec.get("overrides") or {}, year)
    ov.update(overrides)
    res = allocate(regions, method=sc2.spec["method"], budget=budget, budget_unit="万元", unit="万元", year=year,
                   constraints=_constraints(c), objective=sc2.spec.get("objective", "proportional"), overrides=ov)
    return res.table.sort_values("adcode", kind="stable")


def test_county_matrix_path_equals_allocate_draw_by_draw():
    """2,848 counties, floors 95% / caps 120% of last year, two weights and the floor ratio varied."""
    sc = load_scenario("county_2023")
    problem, points, out = _sweep_rows(sc, ["weights.biodiversity=0.6:2.4", "weights.water_conservation=0.6:2.4",
                                            "constraints.floor_ratio=0.9:1.0"], samples=120)
    assert problem.batched_targets  # the method is affine in these weights: one matrix operation
    assert out["valid"].all()
    regions = scenario_regions(sc)
    for d in range(0, 120, 4):  # 30 full per-draw computations at county scale
        table = _per_draw(sc, points.iloc[d].to_dict(), regions, 2023)
        assert np.array_equal(out["final"][d], table["final"].to_numpy()), d
        codes = pd.Series(out["binding"][d]).map({0: "", 1: "floor", 2: "cap", 3: "locked", 4: "excluded"})
        assert (codes.to_numpy() == table["binding"].to_numpy()).all(), d


def test_groups_and_budget_equal_allocate_draw_by_draw(tmp_path):
    """Provinces with a binding west-group minimum and east-group maximum; the budget and a weight varied."""
    path = tmp_path / "grouped.yaml"
    path.write_text("scenario: {title: grouped, extends: baseline_2023}\n"
                    "constraints:\n  groups:\n"
                    "    - {name: west, members: {region_group: west}, min_share: 0.83}\n"
                    "    - {name: east, members: {region_group: east}, max_share: 0.05}\n", encoding="utf-8")
    sc = load_scenario(path)
    # whole 亿元 budgets keep the group totals whole 万元 (allocate() rounds each block's total on its own)
    problem, points, out = _sweep_rows(sc, ["weights.biodiversity=0.6:2.4:24", "budget=900,1000,1091,1200,1300"],
                                       samples=None)
    assert out["valid"].all() and len(points) == 120
    regions = scenario_regions(sc)
    for d in range(120):
        table = _per_draw(sc, points.iloc[d].to_dict(), regions, 2023)
        assert np.array_equal(out["final"][d], table["final"].to_numpy()), d
    # both groups bind in every draw (natural shares: west 79%, east 6.5%): before rounding each group total
    # sits at its bound; in whole units the bound holds and rounding (one pass over all regions, largest
    # remainder) moves each member by less than one unit, so a group total is within its member count of it
    group = regions.set_index("adcode").loc[problem.adcodes, "region_group"].to_numpy()
    budget = np.floor(points["budget"].to_numpy() * 10_000 + 0.5)
    west = out["final"][:, group == "west"].sum(axis=1)
    east = out["final"][:, group == "east"].sum(axis=1)
    west_min, east_max = np.ceil(0.83 * budget - 1e-6), np.floor(0.05 * budget + 1e-6)
    assert (west >= west_min).all() and (west - west_min < (group == "west").sum()).all()
    assert (east <= east_max).all() and (east_max - east < (group == "east").sum()).all()


def test_other_method_and_carry_over_equal_allocate():
    """cn_kefz_2022 at county scale (a pool share and a weight varied) and a carry-over chain (2024–2025)."""
    sc = load_scenario("county_2023")
    sc.spec["method"] = "cn_kefz_2022"
    problem, points, out = _sweep_rows(sc, ["prohibited.pool=0.05:0.3", "prohibited.weight_reserve_area=0.2:0.6"],
                                       samples=40)
    assert "guiding" in problem.per_draw  # a component paid exactly: these draws go through run.compute
    regions = scenario_regions(sc)
    for d in range(40):
        table = _per_draw(sc, points.iloc[d].to_dict(), regions, 2023)
        assert np.array_equal(out["final"][d], table["final"].to_numpy()), d
    hh = load_scenario("hold_harmless_2024_2027")
    problem, points, out = _sweep_rows(hh, ["weights.water_conservation=1.0:3.6"], samples=25, year=2025)
    assert [y.year for y in problem.years] == [2024, 2025]
    regions = scenario_regions(hh)
    for d in range(25):
        table = _per_draw(hh, points.iloc[d].to_dict(), regions, 2025)
        assert np.array_equal(out["final"][d], table["final"].to_numpy()), d


def test_min_abs_objective_falls_back_to_the_solver_draw_by_draw():
    sc = load_scenario("baseline_2023")
    sc.spec["objective"] = "min_abs"
    sc.spec["constraints"] = {"floors": {"530000": 400000}}
    problem, points, out = _sweep_rows(sc, ["weights.biodiversity=0.6:2.4"], samples=4)
    regions = scenario_regions(sc)
    for d in range(4):
        res = allocate(regions, method=sc.spec["method"], budget=1091, budget_unit="亿元", unit="万元", year=2023,
                       constraints=Constraints(floors={"530000": 400000}), objective="min_abs",
                       overrides={"weights.biodiversity": float(points.iloc[d, 0])})
        table = res.table.sort_values("adcode", kind="stable")
        assert np.array_equal(out["final"][d], table["final"].to_numpy()), d


def test_newton_water_fill_equals_the_sorted_breakpoints_on_hard_rows():
    """The Newton iteration (the batched default) against the sorted-breakpoint path it replaced, on rows
    built to hit its corner cases: budgets exactly at a breakpoint sum (flat pieces, where water_fill takes
    the left end), locked regions, zero targets, infinite caps, equal targets; the scale λ must agree to
    1e-12 and x to 1e-9, and every row must be settled by Newton (none left to the fallback)."""
    from compensation.sweep.batched import _water_fill_sorted, newton_scale

    rng = np.random.default_rng(2024)
    rows = []
    for kind in ["plain", "ties", "zeros", "inf", "locked"] * 40:
        t, lo, hi, budget = _random_problem(rng, 25, kind)
        if (lo > hi).any():
            continue
        movable = np.where(t > 0, np.where(np.isfinite(hi), hi, 2 * lo + 10), lo)
        pick = rng.integers(0, 3)
        if pick == 1:  # the budget exactly at S(breakpoint): S is flat or kinked there
            lam = rng.choice(np.concatenate([lo[t > 0] / t[t > 0], hi[t > 0] / t[t > 0]]))
            budget = float(np.where(t > 0, np.clip(lam * t, lo, hi), lo).sum())
        elif pick == 2:
            budget = float(lo.sum()) if rng.random() < 0.5 else float(movable.sum())
        if not lo.sum() <= budget <= movable.sum():
            continue
        rows.append((t, lo, np.where(t > 0, hi, lo), budget))
    t, lo, hi, budget = (np.array([r[k] for r in rows]) for k in range(4))
    pos = t > 0
    rest = budget - np.where(~pos, lo, 0.0).sum(axis=1)
    lam, settled = newton_scale(np.where(pos, t, 0.0), np.where(pos, lo, 0.0), np.where(pos, hi, 0.0), rest)
    ok = pos.any(axis=1)
    assert settled[ok].all()
    xs, ss = _water_fill_sorted(t, lo, hi, budget)
    x = np.where(pos, np.clip(lam[:, None] * t, lo, hi), lo)
    np.testing.assert_allclose(x[ok], xs[ok], rtol=1e-12, atol=1e-9)
    # λ itself is only ambiguous when every region sits at its cap (the budget is Σ caps): then any λ past the
    # last cap breakpoint solves it, and which one the sorted path returns depends on float noise at a locked
    # region's breakpoint (seen once here); everywhere else the two agree to 1e-12
    all_capped = np.isclose(budget, hi.sum(axis=1), rtol=0, atol=1e-9)
    same = np.isclose(lam, ss, rtol=1e-12, atol=0)
    assert (same | all_capped)[ok].all()
    assert same[ok].sum() > 150


def test_fast_binding_codes_equal_the_general_rule():
    """binding_codes(clipped=True) — two threshold comparisons — against the general test on the same x."""
    from compensation.sweep.batched import binding_codes

    rng = np.random.default_rng(8)
    m, n = 50, 60
    t = rng.uniform(0, 10, (m, n))
    t[:, ::7] = 0.0
    lo = np.floor(rng.uniform(0, 20, (m, n)))
    hi = lo + np.floor(rng.uniform(0, 15, n))  # some locked (hi == lo)
    hi[:, ::5] = np.inf
    scale = rng.uniform(0.5, 3.0, m)
    scale[::4] = (lo / np.where(t > 0, t, 1))[::4, 3]  # exactly at a floor breakpoint
    x = np.where(t > 0, np.clip(scale[:, None] * t, lo, hi), lo)
    fixed = np.zeros(n, dtype=np.int8)
    fixed[2] = 3
    a = binding_codes(x, t, scale, lo, hi, fixed)
    b = binding_codes(x, t, scale, lo, hi, fixed, clipped=True)
    assert np.array_equal(a, b)
    assert set(np.unique(a)) == {0, 1, 2, 3}


def test_packed_ranks_equal_argsort_ranks():
    from compensation.sweep.stats import _ranks_argsort, ranks

    rng = np.random.default_rng(4)
    for trial in range(60):
        m, n = int(rng.integers(1, 12)), int(rng.integers(1, 400))
        f = rng.integers(-5, 12 if trial % 2 else 10**9, (m, n))  # many ties, then few
        assert np.array_equal(ranks(f), _ranks_argsort(f))
    f = np.array([[0, 2**61, 5, 5]])  # too far apart to pack: the argsort path
    assert ranks(f).tolist() == [[4, 1, 2, 2]]
