"""Horizontal: agreements with their rules, editable monitoring inputs, the amounts owed, the settlement as a flow
chart and a table, and net positions on the map (central pool of the 2020 scenario + horizontal transfers)."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pandas as pd
import streamlit as st

from compensation.data import DATA_DIR
from compensation.horizontal import list_agreements, load_agreement, read_monitoring, run_horizontal
from compensation.horizontal.agreements import RULE_TYPES
from compensation.horizontal.monitoring import CLASS_NAMES
from compensation.problems import InputError, Report
from compensation.run import net_positions
from ui import charts
from ui.downloads import download_chart_data, download_table
from ui.format import wan
from ui.i18n import lang, t
from ui.loading import default_regions, map_shapes, scenario, scenario_run
from ui.results import problem_text, show_problems
from ui.settings import editor, widget
from ui.state import Keys
from ui.tables import column_label, show_table

MONITORING = DATA_DIR / "monitoring" / "illustrative_monitoring.csv"
SCENARIO = "horizontal_2020"

st.title(t("h.title"))
st.caption(t("h.intro"))


@st.cache_resource(show_spinner=False)
def _agreements() -> pd.DataFrame:
    return list_agreements()


@st.cache_resource(show_spinner=False)
def _agreement(name: str):
    return load_agreement(name)


@st.cache_data(show_spinner=False)
def _monitoring_raw() -> pd.DataFrame:
    return pd.read_csv(MONITORING, dtype={"water_class": str}, encoding="utf-8-sig").fillna({"water_class": ""})


@st.cache_data(show_spinner=False)
def _run(agreement_ids: tuple[str, ...], mon_csv: str, year: int, objective: str):
    mon = read_monitoring(pd.read_csv(io.StringIO(mon_csv), dtype=str, keep_default_na=False),
                          agreements=list(agreement_ids), name=t("h.monitoring_name"))
    return run_horizontal(list(agreement_ids), mon, year, regions=default_regions(), unit="万元", objective=objective)


ags = _agreements()
sc = scenario(SCENARIO)
c = st.columns([1, 3, 1])
year = widget(c[0].number_input, Keys.H_YEAR, sc.years[0], t("h.year"), min_value=2012, max_value=2030, step=1)
in_force = [r.id for r in ags.itertuples() if _agreement(r.id).covers(int(year))]
default_ids = [a for a in sc.spec["horizontal"]["agreements"] if a in in_force] or in_force[:3]
chosen = widget(c[1].multiselect, Keys.H_AGREEMENTS, default_ids, t("h.agreements"), list(ags["id"]),
                format_func=lambda a: f"{a}: {_agreement(a).title_zh if lang() == 'zh' else _agreement(a).title_en}")
objective = widget(c[2].selectbox, Keys.H_OBJECTIVE, "money", t("h.objective"), ["money", "transfers"],
                   format_func=lambda x: t("h.obj." + x))
not_in_force = [a for a in chosen if a not in in_force]
if not_in_force:
    st.warning(t("h.not_in_force", year=year, ids=", ".join(not_in_force)))
chosen = [a for a in chosen if a in in_force]

with st.expander(t("h.rules"), expanded=False):
    view = ags.copy()
    view["rule_text"] = [RULE_TYPES[r][0 if lang() == "zh" else 1] for r in view["rule"]]
    show_table(view[["id", "title_zh", "rule_text", "period", "parties", "assumptions", "source"]], hide_index=True,
                 width="stretch")
    download_table(ags, "agreements", "h_agreements")
    for a in chosen:
        ag = _agreement(a)
        st.markdown(f"**{ag.title_zh}** — {RULE_TYPES[ag.rule][0 if lang() == 'zh' else 1]}")
        params = pd.DataFrame([{"parameter": k, "value": str(p.get("value")), "unit": p.get("unit", ""),
                                "status": p.get("status", ""), "note": p.get("note", "")} for k, p in ag.params.items()])
        show_table(params, hide_index=True, width="stretch")

if not chosen:
    st.info(t("h.none"))
    st.stop()

sections = [s["id"] for a in chosen for s in _agreement(a).sections]
raw = _monitoring_raw()
subset = raw[raw["section"].isin(sections) & (raw["year"] == int(year))].reset_index(drop=True)
subset.index = pd.RangeIndex(1, len(subset) + 1, name=t("col.row"))  # the row numbers shown in the editor
st.subheader(t("h.monitoring"))
st.caption(t("h.monitoring_help"))
# bounds in the cells: a negative or impossible value is refused where it is typed (the core checks again)
LIMITS = {"codmn_mg_l": 100.0, "cod_mg_l": 1000.0, "nh3n_mg_l": 100.0, "tp_mg_l": 50.0, "tn_mg_l": 100.0,
          "bod5_mg_l": 1000.0, "ph": 14.0, "inflow_100m_m3": 20000.0}
mon_config = {
    "section": st.column_config.TextColumn(column_label("section")),
    "year": st.column_config.NumberColumn(column_label("year"), format="%d"),
    "month": st.column_config.NumberColumn(column_label("month"), format="%d"),
    "water_class": st.column_config.SelectboxColumn(column_label("water_class"), options=["", *CLASS_NAMES]),
    # no minus sign is accepted in the cell; a value above its ceiling is refused below with a message (a
    # max_value in the cell would silently clamp a typed 150 to 100)
    **{c: st.column_config.NumberColumn(column_label(c), min_value=0.0, format="%.3f",
                                        help=t("h.ceiling", v=f"{hi:g}"))
       for c, hi in LIMITS.items() if c in subset.columns},
}
ed_key = f"{Keys.H_MONITORING}_{int(year)}_{'_'.join(sorted(chosen))}"
edited = editor(ed_key, subset, hide_index=False, num_rows="fixed", disabled=["section", "year", "month"],
                column_config=mon_config)


def _on_screen(p, table: pd.DataFrame):
    """A problem of the edited table named by the row as shown in the editor (its row number, section and
    month), not the spreadsheet row of the CSV the core reads (header = row 1)."""
    if p.row is None or not 0 <= p.row - 2 < len(table):
        return p
    r = table.iloc[p.row - 2]
    return dataclasses.replace(p, row=p.row - 1, file="", region=f"{r['section']} {int(r['year'])}-{int(r['month']):02d}")


def _above_ceiling(table: pd.DataFrame) -> None:
    """Values no monitoring can give (pH above 14, concentrations above LIMITS) are refused with the row and
    column, as the core refuses negative values (rows numbered as in the CSV the core reads; header = row 1)."""
    rep = Report()
    for c, hi in LIMITS.items():
        if c in table.columns:
            v = pd.to_numeric(table[c], errors="coerce")
            for i in np.flatnonzero((v > hi).to_numpy()):
                rep.error(f"{v.iat[i]:g} is above the largest possible value {hi:g}",
                          f"{v.iat[i]:g} 超过可能的最大值 {hi:g}", row=i + 2, column=c,
                          region=str(table["section"].iat[i]), expected=f"≤ {hi:g}", found=f"{v.iat[i]:g}")
    rep.raise_if_errors()


LAST_GOOD = "_h_last_good"  # {editor key + objective: monitoring CSV} of the last edit that computed
run_key = f"{ed_key}|{objective}"
try:
    _above_ceiling(edited)
    mon_csv = edited.to_csv(index=False)
    h = _run(tuple(chosen), mon_csv, int(year), objective)
    st.session_state.setdefault(LAST_GOOD, {})[run_key] = mon_csv
except InputError as exc:  # refused with the row as shown; the results of the last valid values stay visible
    st.error(t("msg.input_error"), icon=":material/error:")
    show_problems([_on_screen(p, edited) for p in exc.report.problems])
    good = st.session_state.get(LAST_GOOD, {}).get(run_key, subset.to_csv(index=False))
    try:
        h = _run(tuple(chosen), good, int(year), objective)
    except InputError:
        st.stop()
    st.info(t("h.last_valid"), icon=":material/history:")

st.subheader(t("h.owed"))
if h.status != "optimal":
    st.warning(t("h.status", status=h.status))
for d in h.diagnostics:
    st.caption("• " + problem_text(d))
ledger = h.ledger
show_table(ledger, hide_index=True, width="stretch",
             column_config={"amount": st.column_config.NumberColumn(t("col.amount"), format="localized")})
download_table(ledger, f"horizontal_ledger_{year}", "h_ledger")

st.subheader(t("h.settlement"))
settle = h.settlement
if len(settle):
    st.altair_chart(charts.flow(settle, "万元"), width="stretch")
    show_table(settle, hide_index=True, width="stretch",
                 column_config={"amount": st.column_config.NumberColumn(t("col.amount"), format="localized")})
    download_table(settle, f"horizontal_settlement_{year}", "h_settle")
else:
    st.info(t("h.no_transfers"))

st.subheader(t("h.net"))
central = scenario_run(SCENARIO).results.get(int(year))
if central is not None:
    net = net_positions(central.allocation.table, h)
    st.caption(t("h.net_help_central", scenario=SCENARIO, year=year))
else:
    net = None
    st.caption(t("h.net_help_only"))
hnet = h.net_positions
show_horizontal_only = net is None or st.toggle(t("h.map_horizontal_only"), value=True, key="h_map_horizontal_only")
mdf = (hnet if show_horizontal_only else net)[["adcode", "name_zh", "net"]].rename(columns={"net": "value"})
mdf["label"] = mdf["name_zh"]
prov = mdf[mdf["adcode"].astype(str).str.endswith("0000")]
if show_horizontal_only:
    prov = prov[prov["value"] != 0]
st.vega_lite_chart(charts.choropleth(prov, t("h.map_value", unit="万元"), map_shapes(), diverging=show_horizontal_only,
                                  title=t("h.map_title", year=year)), width="stretch")
city = mdf[~mdf["adcode"].astype(str).str.endswith("0000")]
if len(city):
    st.caption(t("h.city_note", names=", ".join(f"{r.name_zh} {wan(r.value)}" for r in city.itertuples())))
download_chart_data(prov[["adcode", "label", "value"]], f"net_map_{year}", "h_map")
show_table(hnet, hide_index=True, width="stretch")
download_table(hnet, f"horizontal_net_positions_{year}", "h_hnet")
if net is not None:
    st.markdown(t("h.net_total"))
    show_table(net, hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(column_label(c), format="localized") for c in
        ("central", "horizontal_in", "horizontal_out", "central_topup", "net")})
    download_table(net, f"net_positions_{year}", "h_net")
