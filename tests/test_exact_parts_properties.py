"""Property test of amounts paid exactly (exact_parts.py) under floors, caps and objectives: on random
instances, every exact amount is paid in full, Σ final = budget exactly, every bound holds in whole units; and
when the exact parts exceed the pool or a cap is below an exact amount, the result is infeasible with a message
(never an exception, never a silently rescaled exact amount)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compensation.allocation import Constraints, allocate
from compensation.allocation.params import parse_method


def method(amounts: dict) -> object:
    doc = {
        "name": "exact_test", "label": {"zh": "测试", "en": "test"}, "jurisdiction": {"zh": "", "en": ""},
        "sources": {"t": {"title": "test"}},
        "parameters": {
            "fixed.amounts": {"unit": "万元", "source": "t",
                              "values": {"2000-01-01": {"value": amounts, "status": "assumption"}}},
            "pool.formula": {"unit": "1", "source": "t", "values": {"2000-01-01": {"value": 1.0, "status": "assumption"}}},
        },
        "components": [
            {"name": "formula", "type": "weighted_share", "pool": "pool.formula",
             "indicators": [{"name": "x", "weight": 1.0, "normalise": "share", "value": {"column": "x"}}]},
            {"name": "declared", "type": "fixed", "amounts": "fixed.amounts"},
        ],
    }
    return parse_method(doc)


@st.composite
def instances(draw):
    n = draw(st.integers(2, 8))
    x = draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n))
    if sum(x) == 0:
        x[0] = 1
    exact = draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n))
    budget = draw(st.integers(1, 40_000))
    floors = {str(i): draw(st.integers(0, 6000)) for i in range(n) if draw(st.booleans()) and draw(st.booleans())}
    caps = {str(i): draw(st.integers(0, 20_000)) for i in range(n) if draw(st.booleans()) and draw(st.booleans())}
    objective = draw(st.sampled_from(["proportional", "min_abs", "minimax"]))
    return x, exact, budget, floors, caps, objective


@given(instances())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_exact_amounts_paid_in_full_and_budget_exact(case):
    x, exact, budget, floors, caps, objective = case
    n = len(x)
    regions = pd.DataFrame({"adcode": [str(i) for i in range(n)], "x": np.array(x, dtype=float)})
    m = method({str(i): e for i, e in enumerate(exact)})
    res = allocate(regions, m, budget=budget, budget_unit="万元", unit="万元", objective=objective,
                   constraints=Constraints(floors=floors, caps=caps), time_limit=10)
    e = np.array(exact)
    cap = np.array([caps.get(str(i), np.inf) for i in range(n)])
    if e.sum() > budget or (cap < e).any():
        assert res.status == "infeasible" and "final" not in res.table
        msgs = " ".join(p.message_en for p in res.diagnostics if p.severity == "error")
        assert ("more than the pool" in msgs) if e.sum() > budget else ("owed at published rates" in msgs)
        return
    if res.status == "infeasible":  # floors and caps that cannot hold the rest: reported, not raised
        assert any(p.severity == "error" for p in res.diagnostics)
        return
    final = res.table["final"].to_numpy()
    assert int(final.sum()) == budget
    assert (final >= e).all()  # every declared amount paid in full
    assert (res.table["declared"].to_numpy() == e).all()
    lo = np.array([floors.get(str(i), 0) for i in range(n)])
    assert (final >= lo).all() and (final <= cap).all()
    if objective == "proportional" and not floors and not caps:
        # no bounds: the formula part is the rest of the pool shared by x, within one unit (largest remainder)
        rest = (budget - e.sum()) * np.array(x) / sum(x)
        assert np.abs(final - e - rest).max() < 1
