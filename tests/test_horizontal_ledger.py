"""Ledger rounding (exact per agreement) and netting of mutual obligations."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation.horizontal.ledger import build_ledger, net_obligations, positions, round_amounts


def test_round_amounts_keeps_agreement_total():
    # worked by hand: 9036.1446 + 963.8554 = 10000 → floors 9036 + 963 = 9999; the one missing unit goes to the
    # larger remainder (.8554) → 9036 + 964
    assert round_amounts([9036.144578, 963.855422], "万元", "万元").tolist() == [9036, 964]
    # in 亿元: 0.9036 + 0.0964 = 1 → 1 + 0
    assert round_amounts([9036.144578, 963.855422], "万元", "亿元").tolist() == [1, 0]
    # in 元: exact
    assert round_amounts([1.23456, 2.0], "万元", "元").tolist() == [12346, 20000]


def test_build_ledger_names_and_int64():
    ob = pd.DataFrame({"payer": ["440000", "450000"], "payee": ["450000", "440000"],
                       "amount": [9036.144578, 963.855422], "agreement": ["j", "j"], "basis": ["a", "b"]})
    led = build_ledger(ob, {"440000": "广东省", "450000": "广西壮族自治区"})
    assert led["amount"].dtype == np.int64 and led["amount"].sum() == 10000
    assert led["payer_name"].tolist() == ["广东省", "广西壮族自治区"]


def test_netting_by_hand():
    # worked by hand: A→B 900, B→A 300, A→C 50, C→A 50 → A→B 600 (A–C cancels); moved 1300 → 600
    led = pd.DataFrame({"payer": list("ABAC"), "payee": list("BACA"), "amount": [900, 300, 50, 50]})
    net = net_obligations(led)
    assert net.to_dict("records") == [{"payer": "A", "payee": "B", "amount": 600}]


pairs = st.lists(st.tuples(st.sampled_from("ABCDE"), st.sampled_from("ABCDE"), st.integers(1, 10**9)),
                 min_size=1, max_size=40)


@given(pairs)
@settings(max_examples=200, deadline=None)
def test_netting_never_increases_money_moved_and_keeps_positions(rows):
    led = pd.DataFrame([r for r in rows if r[0] != r[1]] or [("A", "B", 1)], columns=["payer", "payee", "amount"])
    net = net_obligations(led)
    assert net["amount"].sum() <= led["amount"].sum()
    assert (net["amount"] > 0).all()
    assert positions(net).reindex(list("ABCDE"), fill_value=0).equals(
        positions(led).reindex(list("ABCDE"), fill_value=0))
