"""Horizontal page: agreements, editable monitoring, amounts owed, settlement, net positions; bad input shown."""

from __future__ import annotations

import pandas as pd
from conftest import ROOT, english, no_exception, ok, page, table_with

from ui.state import Keys

AGREEMENTS = ["xinan_round3", "chishui", "lushui"]
EDITOR = f"{Keys.H_MONITORING}_2020_{'_'.join(sorted(AGREEMENTS))}"


def monitoring_2020() -> pd.DataFrame:
    m = pd.read_csv(ROOT / "data" / "monitoring" / "illustrative_monitoring.csv", dtype={"water_class": str},
                    encoding="utf-8-sig").fillna({"water_class": ""})
    sections = ["街口", "清水铺", "鲢鱼溪", "茅台上游", "金鱼石"]  # the sections of the three agreements
    return m[m["section"].isin(sections) & (m["year"] == 2020)].reset_index(drop=True)


def test_loads_2020_with_ledger_settlement_and_net():
    at = ok(page("horizontal").run())
    ledger = table_with(at, "payer", "payee", "amount", "basis")
    xinan = ledger[ledger["agreement"] == "xinan_round3"].iloc[0]
    assert (xinan["payer"], xinan["payee"]) == ("330000", "340000")  # clean water: 浙江 pays 安徽
    table_with(at, "from", "to", "amount")
    net = table_with(at, "adcode", "central", "horizontal_in", "horizontal_out", "net")
    assert net["central"].sum() > 0


def test_worse_water_reverses_the_xinan_payment():
    worse = monitoring_2020()
    rows = worse["section"] == "街口"
    for c in ("codmn_mg_l", "nh3n_mg_l", "tn_mg_l", "tp_mg_l"):
        worse.loc[rows, c] = worse.loc[rows, c] * 2
    at = ok(page("horizontal", {Keys.PERSIST: {EDITOR: worse}}).run())
    ledger = table_with(at, "payer", "payee", "amount", "basis")
    xinan = ledger[ledger["agreement"] == "xinan_round3"].iloc[0]
    assert (xinan["payer"], xinan["payee"]) == ("340000", "330000")


def test_bad_monitoring_value_is_a_message():
    bad = monitoring_2020()
    bad.loc[0, "codmn_mg_l"] = -1.0
    at = page("horizontal", {Keys.PERSIST: {EDITOR: bad}}).run()
    no_exception(at)
    # named by the row as shown in the editor (row 1: the first row of the table, 街口 2020-01), not the CSV's row 2
    first = f"{bad.loc[0, 'section']} 2020-{int(bad.loc[0, 'month']):02d}"
    assert any("为负" in e.value and "第 1 行" in e.value and first in e.value for e in at.error), \
        [e.value for e in at.error]
    # the results stay visible, computed for the last valid values (here: the table as shipped)
    assert any("最近一次有效" in i.value for i in at.info)
    ledger = table_with(at, "payer", "payee", "amount", "basis")
    good = ok(page("horizontal").run())
    assert ledger.equals(table_with(good, "payer", "payee", "amount", "basis"))


def test_agreement_out_of_force_is_said():
    at = page("horizontal").run()
    at.multiselect(key=Keys.H_AGREEMENTS).set_value(["xinan_round3", "xinan_round1"]).run()
    ok(at)
    assert any("xinan_round1" in w.value for w in at.warning)


def test_english():
    english(page("horizontal", {Keys.LANG: "en"}).run(), "h.title")


def test_impossible_value_is_refused_with_the_row_and_results_stay():
    """pH 15 in the 3rd row (街口, March) — above the physical ceiling of 14 — is refused by the page with the row
    as shown in the editor; the ledger stays, for the last valid values."""
    bad = monitoring_2020()
    bad.loc[2, "ph"] = 15.0
    at = page("horizontal", {Keys.PERSIST: {EDITOR: bad}}).run()
    no_exception(at)
    row = f"{bad.loc[2, 'section']} 2020-{int(bad.loc[2, 'month']):02d}"
    assert any("第 3 行" in e.value and row in e.value and "超过可能的最大值 14" in e.value for e in at.error), \
        [e.value for e in at.error]
    assert any("最近一次有效" in i.value for i in at.info)
    table_with(at, "payer", "payee", "amount", "basis")
