"""Settlement: conservation, capacities, infeasibility with a cause, netting, MILP status, end-to-end run."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation.horizontal import run_horizontal, settle
from compensation.horizontal.monitoring import monthly_table


def ledger(rows):
    return pd.DataFrame(rows, columns=["payer", "payee", "amount"])


def check_conservation(res, ob):
    s, pos = res.settlement, res.net_positions.set_index("adcode")
    hor = s[s["kind"] == "horizontal"]
    top = s[s["kind"] == "central_topup"]
    # money paid by regions = money received by regions
    assert hor["amount"].sum() == pos["horizontal_in"].sum() == pos["horizontal_out"].sum()
    # every receiver gets exactly its net claim: from regions plus the central top-up
    for _code, r in pos.iterrows():
        if r["claim"] > 0:
            assert r["horizontal_in"] - r["horizontal_out"] + r["central_topup"] == r["claim"]
        if r["claim"] < 0:
            assert r["horizontal_out"] - r["horizontal_in"] + r["unpaid"] == -r["claim"]
    assert top["amount"].sum() == pos["central_topup"].sum() == pos["unpaid"].sum()
    assert s["amount"].dtype == np.int64


def test_simple_plan_by_hand():
    # worked by hand: A→B 900, B→A 300 net to A→B 600; C→B 70; no capacity limit → transfers A→B 600, C→B 70
    res = settle(ledger([("A", "B", 900), ("B", "A", 300), ("C", "B", 70)]))
    assert res.status == "optimal"
    got = {(r["from"], r["to"]): r["amount"] for _, r in res.settlement.iterrows()}
    assert got == {("A", "B"): 600, ("C", "B"): 70}
    check_conservation(res, None)


def test_capacity_respected_and_topup_per_region():
    # worked by hand: A owes B 650 (after netting) but can pay 500 → central tops up B by 150
    res = settle(ledger([("A", "B", 900), ("B", "A", 250), ("C", "B", 20)]), capacity=pd.Series({"A": 500, "C": 100}))
    pos = res.net_positions.set_index("adcode")
    assert pos.loc["A", "horizontal_out"] == 500 and pos.loc["A", "unpaid"] == 150
    assert pos.loc["B", "central_topup"] == 150
    assert res.settlement.query("kind == 'central_topup'")["amount"].tolist() == [150]
    assert any("can pay at most 500" in m for m in (p.message_en for p in res.diagnostics))
    check_conservation(res, None)


def test_capacity_from_budget_revenue():
    # worked by hand: A's budget revenue 10 亿元 × 1% = 0.1 亿元 = 1000 万元 capacity; A owes 1500 → 500 topped up
    regions = pd.DataFrame({"adcode": ["100000", "200000"], "name_zh": ["甲", "乙"],
                            "budget_revenue_100m_cny": [10.0, 50.0]})
    res = settle(ledger([("100000", "200000", 1500)]), regions=regions, capacity_ratio=0.01)
    pos = res.net_positions.set_index("adcode")
    assert pos.loc["100000", "horizontal_out"] == 1000 and pos.loc["200000", "central_topup"] == 500
    assert pos.loc["200000", "name_zh"] == "乙"


def test_infeasible_reports_cause():
    res = settle(ledger([("A", "B", 900)]), capacity=pd.Series({"A": 100}), central_budget=50)
    assert res.status == "infeasible"
    assert res.settlement.empty
    assert "central budget for top-ups is only 50" in res.diagnostics[0].message_en
    assert any("can pay at most 100" in m for m in (p.message_en for p in res.diagnostics))


def test_no_permitted_link_is_explained():
    links = pd.DataFrame({"from": ["C"], "to": ["B"]})
    res = settle(ledger([("A", "B", 100), ("C", "B", 10)]), links=links)
    assert any("A owes 100" in m and "no permitted link" in m for m in (p.message_en for p in res.diagnostics))
    assert res.net_positions.set_index("adcode").loc["B", "central_topup"] == 100


def test_transshipment_along_declared_links_only():
    # A owes C 100 but the only links are A–B and B–C: the money goes A→B→C (moved 200)
    links = pd.DataFrame({"from": ["A", "B"], "to": ["B", "C"]})
    res = settle(ledger([("A", "C", 100)]), links=links)
    got = {(r["from"], r["to"]): r["amount"] for _, r in res.settlement.iterrows()}
    assert got == {("A", "B"): 100, ("B", "C"): 100}
    check_conservation(res, None)


def test_multilateral_cycle_clears_without_transfers():
    # A→B 100, B→C 100, C→A 100: everyone's net position is 0, so nothing needs to move
    res = settle(ledger([("A", "B", 100), ("B", "C", 100), ("C", "A", 100)]), links="any")
    assert res.settlement.empty and res.solver_info["money_moved"] == 0


def test_milp_minimises_number_of_transfers():
    # A owes C 60 and D 1; B owes D 40 and C 1. Net positions (by hand): A −61, B −41, C +61, D +41. One transfer
    # cannot clear four non-zero positions and no payer's amount equals the sum of both receivers', so the
    # optimum is exactly 2 transfers: A→C 61 and B→D 41 (a 4-node problem: proven optimal well within 10 s).
    ob = ledger([("A", "C", 60), ("B", "D", 40), ("A", "D", 0 + 1), ("B", "C", 1)])
    res = settle(ob, links="any", objective="transfers", time_limit=10)
    assert res.status == "optimal"
    assert res.solver_info["transfers"] == 2
    assert res.solver_info["gap"] == 0.0
    got = {(r["from"], r["to"]): r["amount"] for _, r in res.settlement.iterrows()}
    assert got == {("A", "C"): 61, ("B", "D"): 41}
    check_conservation(res, None)


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 10**6)), min_size=1, max_size=25),
       st.lists(st.integers(0, 2 * 10**6), min_size=6, max_size=6))
@settings(max_examples=40, deadline=None)
def test_conservation_and_capacity_property(rows, caps):
    ob = ledger([(f"R{a}", f"R{b}", x) for a, b, x in rows if a != b] or [("R0", "R1", 5)])
    cap = pd.Series({f"R{i}": c for i, c in enumerate(caps)})
    res = settle(ob, capacity=cap, links="any")
    assert res.status == "optimal"
    check_conservation(res, ob)
    pos = res.net_positions.set_index("adcode")
    paid = pos["horizontal_out"] - pos["horizontal_in"]
    for code, p in paid.items():
        if p > 0:
            assert p <= cap[code]
    # settlement never moves more money than the netted ledger
    assert res.solver_info["money_moved"] <= res.netted["amount"].sum() <= ob["amount"].sum()


def test_run_horizontal_end_to_end_by_hand():
    # worked by hand: Xin'an round 3 clean year → 浙江 owes 安徽 20000万; Lushui 12 good months → 株洲 owes 萍乡
    # 1200万; in 亿元: 2 and 0.12 → ledger rounds per agreement: 2 亿 and 0 亿
    base = {"codmn": 2.0, "nh3n": 0.10, "tn": 1.30, "tp": 0.030}
    mon = pd.concat([monthly_table("街口", 2019, **base), monthly_table("金鱼石", 2019, water_class="II")])
    res = run_horizontal(["xinan_round3", "lushui"], mon, 2019)
    assert res.status == "optimal"
    assert res.ledger[["payer", "payee", "amount"]].values.tolist() == [["330000", "340000", 20000],
                                                                       ["430200", "360300", 1200]]
    assert res.ledger["basis"].iloc[0].endswith("浙江 pays 安徽")
    pos = res.net_positions.set_index("adcode")
    assert pos.loc["340000", "net"] == 20000 and pos.loc["330000", "net"] == -20000
    res = run_horizontal(["xinan_round3", "lushui"], mon, 2019, unit="亿元")
    assert res.ledger["amount"].tolist() == [2]
    assert res.unit == "亿元"


def test_run_horizontal_central_agreement_funds():
    # Xin'an round 1 names central funds of 3亿/yr to Anhui: they appear in net positions, not in the ledger
    base = {"codmn": 2.0, "nh3n": 0.10, "tn": 1.30, "tp": 0.030}
    res = run_horizontal("xinan_round1", monthly_table("街口", 2013, **base), 2013)
    pos = res.net_positions.set_index("adcode")
    assert pos.loc["340000", "central_agreement"] == 30000
    assert pos.loc["340000", "net"] == 10000 + 30000


def test_run_horizontal_illustrative_file_balances():
    res = run_horizontal(["xinan_round3", "lushui", "jiuzhou_round2", "chishui", "miyun_chaobai", "snwd_middle_route"],
                         "data/monitoring/illustrative_monitoring.csv", 2020)
    assert res.status == "optimal"
    assert res.net_positions["net"].sum() == res.net_positions["central_topup"].sum() == 0
    assert res.solver_info["money_moved"] <= res.ledger["amount"].sum()


def test_unknown_objective_is_input_error():
    from compensation.problems import InputError
    with pytest.raises(InputError):
        settle(ledger([("A", "B", 1)]), objective="fewest")
