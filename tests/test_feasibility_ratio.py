"""The largest feasible floor ratio (allocation/feasibility.largest_floor_ratio), worked out by hand.

Three regions with last year's amounts L = (100, 200, 300) 万元 and a pool of 540 万元:
- no other floor: the floors r·L add up to 600·r ≤ 540 → r* = 0.9 (90 + 180 + 270 = 540); at 0.9001 they round
  up to 91 + 181 + 271 = 543 > 540;
- A also has a floor of 120 万元: 120 + 500·r ≤ 540 → r* = 0.84 (120 + 168 + 252 = 540; at 0.8401 B and C round
  up to 169 + 253);
- group {B, C} at most 50 % of the pool (270 万元): 500·r ≤ 270 → r* = 0.54 (108 + 162 = 270).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compensation.allocation import Constraints, allocate
from compensation.allocation.feasibility import largest_floor_ratio

LAST = np.array([100.0, 200.0, 300.0])
T = np.array([1.0, 1.0, 1.0]) * 180  # formula targets (any positive split)
INF = np.full(3, np.inf)


def test_floors_alone():
    assert largest_floor_ratio(T, np.zeros(3), LAST, INF, 540, [], upper=0.95) == pytest.approx(0.9, abs=1e-12)


def test_with_an_absolute_floor():
    lo = np.array([120.0, 0.0, 0.0])
    assert largest_floor_ratio(T, lo, LAST, INF, 540, [], upper=0.95) == pytest.approx(0.84, abs=1e-12)


def test_with_a_group_maximum():
    group = ("BC", np.array([False, True, True]), 0.0, 270.0)
    assert largest_floor_ratio(T, np.zeros(3), LAST, INF, 540, [group], upper=0.95) == pytest.approx(0.54, abs=1e-12)


def test_no_ratio_helps_when_a_cap_is_the_fault():
    # caps add up to 500 < 540: infeasible at any floor ratio, so the ratio is not what is at fault
    hi = np.array([100.0, 200.0, 200.0])
    assert largest_floor_ratio(T, np.zeros(3), LAST, hi, 540, [], upper=0.95) is None


def test_region_without_last_year_gets_no_ratio_floor():
    # C has no last-year amount: 300·r ≤ 540 → any r up to the upper bound 1.5 works (150 + 300 = 450 ≤ 540)
    last = np.array([100.0, 200.0, np.nan])
    assert largest_floor_ratio(T, np.zeros(3), last, INF, 540, [], upper=1.5) == pytest.approx(1.5)


def _regions() -> pd.DataFrame:
    from compensation.data import load_regions

    out = load_regions().head(3).copy()  # 北京, 天津, 河北 with last year's amounts L
    out["last_year_amount_10k_cny"] = LAST
    return out


def test_allocate_names_the_largest_floor_ratio_in_both_languages():
    res = allocate(_regions(), method="redline_function_weighted", budget=540, budget_unit="万元", unit="万元",
                   constraints=Constraints(floor_ratio=0.95))
    assert res.status == "infeasible"
    assert res.solver_info["largest_floor_ratio"] == pytest.approx(0.9, abs=1e-12)
    fix = [p for p in res.diagnostics if p.key == "constraints.floor_ratio"]
    assert len(fix) == 1
    assert "90.00%" in fix[0].message_en and "95%" in fix[0].message_en
    assert "90.00%" in fix[0].message_zh and "下限比例" in fix[0].message_zh
    # and the figure works: at 90 % the same allocation is feasible, every region at its floor
    ok = allocate(_regions(), method="redline_function_weighted", budget=540, budget_unit="万元", unit="万元",
                  constraints=Constraints(floor_ratio=0.9))
    assert ok.ok and ok.table["final"].tolist() == [90, 180, 270]
