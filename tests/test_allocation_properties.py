"""Property tests (hypothesis) of the closed-form proportional allocation with the default method."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compensation.allocation import Constraints, allocate

FUNCS = ("water_conservation", "biodiversity", "soil_conservation", "sand_fixation", "coastal")


def _regions(areas, last=None):
    areas = np.asarray(areas, dtype=float).reshape(-1, len(FUNCS))
    n = areas.shape[0]
    df = pd.DataFrame({"adcode": [f"{100000 + i:06d}" for i in range(n)], "name_zh": [f"地区{i}" for i in range(n)],
                       "name_en": [f"R{i}" for i in range(n)]})
    for j, f in enumerate(FUNCS):
        df[f"redline_{f}_km2"] = areas[:, j]
    df["redline_total_km2"] = areas.sum(axis=1)
    df["population_10k"] = 1.0
    if last is not None:
        df["last_year_amount_10k_cny"] = np.asarray(last, dtype=float)
    return df


area = st.floats(0, 1e4, allow_nan=False, allow_infinity=False)


@st.composite
def tables(draw, min_n=1, max_n=25):
    n = draw(st.integers(min_n, max_n))
    areas = draw(st.lists(area, min_size=5 * n, max_size=5 * n))
    areas[draw(st.integers(0, 5 * n - 1))] += 1.0  # at least one region with red line
    return areas, n


cfg = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cfg
@given(tables(), st.integers(1, 10**9), st.floats(0.5, 1.0), st.floats(1.0, 2.0), st.integers(0, 2**31 - 1))
def test_total_conserved_and_bounds_respected(tab, budget, floor_ratio, cap_ratio, seed):
    areas, n = tab
    rng = np.random.default_rng(seed)
    last = rng.uniform(0.5, 1.5, n) * budget / n
    res = allocate(_regions(areas, last), budget=budget, budget_unit="万元", unit="万元",
                   constraints=Constraints(floor_ratio=floor_ratio, cap_ratio=cap_ratio))
    t = res.table
    if res.status == "infeasible":
        assert any(p.severity == "error" for p in res.diagnostics)
        # bounds are whole units (floor rounded up, cap down): infeasible only if, in whole units, some floor
        # is above its cap, the floors exceed the budget, or the caps fall short of it
        assert ((t["lower"] > t["upper"]).any() or t["lower"].sum() > budget
                or np.where(t["target"] > 0, t["upper"], t["lower"]).sum() < budget)
        return
    assert int(t["final"].sum()) == budget
    assert (t["final"] >= t["lower"]).all() and (t["final"] <= t["upper"]).all()


@cfg
@given(tables(min_n=2), st.integers(10**3, 10**9), st.data())
def test_monotone_in_own_redline_area(tab, budget, data):
    areas, n = tab
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, 4))
    extra = data.draw(st.floats(0.0, 1e4))
    grown = list(areas)
    grown[5 * i + j] += extra
    a = allocate(_regions(areas), budget=budget, budget_unit="万元", unit="万元").table
    b = allocate(_regions(grown), budget=budget, budget_unit="万元", unit="万元").table
    assert b["allocated"].iloc[i] >= a["allocated"].iloc[i] - 1e-9 * budget
    # integer rounding by largest remainder can move a single unit (the population paradox), never more
    assert b["final"].iloc[i] >= a["final"].iloc[i] - 1


@cfg
@given(tables(), st.integers(1, 10**9), st.randoms(use_true_random=False))
def test_permuting_regions_permutes_results(tab, budget, rnd):
    areas, n = tab
    df = _regions(areas)
    perm = list(range(n))
    rnd.shuffle(perm)
    a = allocate(df, budget=budget, budget_unit="万元", unit="万元").table.set_index("adcode")
    b = allocate(df.iloc[perm], budget=budget, budget_unit="万元", unit="万元").table.set_index("adcode")
    assert (b.loc[a.index, "final"] == a["final"]).all()


@cfg
@given(tables(), st.integers(1, 10**6), st.integers(2, 1000))
def test_unconstrained_targets_scale_with_budget(tab, budget, k):
    areas, _ = tab
    a = allocate(_regions(areas), budget=budget, budget_unit="万元", unit="万元").table
    b = allocate(_regions(areas), budget=budget * k, budget_unit="万元", unit="万元").table
    np.testing.assert_allclose(b["target"], a["target"] * k, rtol=1e-9, atol=1e-9 * budget * k)
    assert int(b["final"].sum()) == budget * k
