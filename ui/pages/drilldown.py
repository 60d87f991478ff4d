"""Province drill-down (省内分配): a two-tier scenario's central amounts by province on the map; one province's
counties in a county map and a table; that province's tier-2 method and retention share editable (its tier 2 is
recomputed by the core, compensation.cascade.with_province, its central amount unchanged)."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from compensation.allocation import list_methods
from compensation.cascade import HELD_LEVEL, with_province
from compensation.schema import COLUMNS, label
from ui import charts
from ui.county_map import county_choropleth
from ui.downloads import download_table
from ui.format import num, pct, wan
from ui.i18n import lang, t
from ui.loading import map_shapes, scenario, scenario_names, scenario_run
from ui.settings import widget
from ui.state import Keys

LAST_PICK = "_dd_last_pick"  # the last province clicked on the map (applied once per click)


def readable(text: str) -> str:
    """Column names that an explanation quotes (e.g. a method's declared stand-ins) shown by their labels."""
    return re.sub(r"\b[a-z][a-z0-9_]*_[a-z0-9_]+\b",
                  lambda m: label(m.group(0), lang()) if m.group(0) in COLUMNS else m.group(0), text)


@st.cache_resource(show_spinner="…", max_entries=32)
def cascade_of(name: str, year: int, province: str, method: str, retention_pct: float):
    """The scenario's cascade for ``year``, with ``province`` redone if its method or retention differs."""
    res = scenario_run(name).results[year].cascade
    o = res.outcomes[province]
    t2 = res.inputs["tier2"]
    if method == t2.method_for(province) and abs(retention_pct / 100 - o.retention_rate) < 1e-12:
        return res, False
    return with_province(res, province, method=method, retention_rate=retention_pct / 100), True


st.title(t("dd.title"))
st.caption(t("dd.intro"))
two_tier = [n for n in scenario_names() if scenario(n).spec.get("cascade")]
if not two_tier:
    st.info(t("dd.none"))
    st.stop()
top = st.columns([2, 1])
with top[0]:
    name = widget(st.selectbox, Keys.DD_SCENARIO, "cascade_2023" if "cascade_2023" in two_tier else two_tier[0],
                  t("dd.scenario"), two_tier, format_func=lambda n: f"{n}: {scenario(n).title}")
run = scenario_run(name)
years = list(run.results)
with top[1]:
    year = widget(st.selectbox, Keys.DD_YEAR, years[0], t("dd.year"), years)
if year not in run.results:
    year = years[0]
base = run.results[year].cascade
prov = base.provinces
codes = [str(c) for c in prov["adcode"]]
pname = dict(zip(codes, prov["name_zh"].astype(str), strict=True))
if lang() == "en" and "name_en" in prov:
    pname = {c: (e or pname[c]) for c, e in zip(codes, prov["name_en"].fillna("").astype(str), strict=True)}

# the province map: a click on a province chooses it
values = pd.DataFrame({"adcode": codes, "value": prov["final"].to_numpy(), "label": [pname[c] for c in codes]})
spec = charts.choropleth(values, t("dd.map_provinces"), map_shapes())
layer = spec["layer"][1]
layer.setdefault("transform", []).append({"calculate": "datum.properties.adcode", "as": "code"})
layer["params"] = [{"name": "pick", "select": {"type": "point", "fields": ["code"]}}]
event = st.vega_lite_chart(spec, on_select="rerun", selection_mode="pick", key=Keys.DD_MAP)
picked = [p.get("code") for p in (event.get("selection", {}).get("pick") or []) if isinstance(p, dict)] \
    if event else []
if picked and picked[0] in codes and st.session_state.get(LAST_PICK) != picked[0]:
    st.session_state[LAST_PICK] = picked[0]
    st.session_state[Keys.DD_PROVINCE] = picked[0]

province = widget(st.selectbox, Keys.DD_PROVINCE, "360000" if "360000" in codes else codes[0], t("dd.province"),
                  codes, format_func=lambda a: f"{pname.get(a, a)} ({a})")
if province not in codes:
    province = codes[0]
o0 = base.outcomes[province]
catalogue = {m["name"]: m for m in list_methods()}
methods = sorted(set(catalogue) | {base.inputs["tier2"].method_for(province)})  # a scenario's own method file too
edit = st.columns(2)
with edit[0]:
    method = widget(st.selectbox, f"{Keys.DD_METHOD}_{province}", base.inputs["tier2"].method_for(province),
                    t("dd.method"), methods,
                    format_func=lambda n: catalogue[n][f"label_{lang()}"] if n in catalogue else n)
with edit[1]:
    retention = widget(st.slider, f"{Keys.DD_RETENTION}_{province}", round(o0.retention_rate * 100, 2),
                       t("dd.retention"), 0.0, 30.0, step=0.5)
res, edited = cascade_of(name, year, province, method, float(retention))
o = res.outcomes[province]
if edited:
    st.info(t("dd.edited"), icon=":material/edit:")

m = st.columns(4)
m[0].metric(t("dd.central"), wan(o.amount))
m[1].metric(t("dd.retained"), wan(o.retained), help=f"{t('dd.retention')}: {pct(o.retention_rate, 1)}")
m[2].metric(t("dd.to_counties"), wan(o.to_counties))
m[3].metric(t("dd.counties"), num(len(res.inputs["split"].get(province, ()))))
if o.status != "optimal":
    msg = "；".join((p.message_zh if lang() == "zh" else p.message_en) for p in o.problems if p.severity == "error")
    st.warning(t("dd.infeasible", msg=msg), icon=":material/warning:")

rows = res.counties[res.counties["parent_adcode"] == province]
counties = rows[rows["level"] != HELD_LEVEL]
if len(counties):
    left, right = st.columns([3, 2], gap="large")
    with left:
        cv = pd.DataFrame({"adcode": counties["adcode"], "value": counties["final"], "label": counties["name_zh"]})
        st.vega_lite_chart(county_choropleth(cv, province, t("dd.map_counties", province=pname[province])))
    with right:
        clist = list(counties["adcode"].astype(str))
        cname = dict(zip(clist, counties["name_zh"].astype(str), strict=True))
        county = widget(st.selectbox, f"{Keys.DD_COUNTY}_{province}", clist[0], t("dd.county"), clist,
                        format_func=lambda a: f"{cname.get(a, a)} ({a})")
        if county not in clist:
            county = clist[0]
        final = int(counties.set_index("adcode").loc[county, "final"])
        st.metric(t("dd.county_final"), wan(final))
        st.markdown(f"**{t('dd.explain')}**")
        st.info(readable(res.explain(county, lang())), icon=":material/chat:")

st.subheader(t("dd.table"))
show = rows.copy()
binding = show["binding"].fillna("").astype(str)
show["binding"] = binding.map(lambda b: t("binding." + b) if b in ("floor", "cap", "locked", "excluded") else
                              t("dd.binding.retained") if b == "retained" else
                              t("dd.binding.held") if b.startswith("held") else "")
cols = {"adcode": t("dd.col.adcode"), "name_zh": t("dd.col.name"), "last_year": t("dd.col.last_year"),
        "target": t("dd.col.target"), "final": t("dd.col.final"), "share_of_province": t("dd.col.share"),
        "binding": t("dd.col.binding")}
table = show[[c for c in cols if c in show]].rename(columns=cols)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={t("dd.col.share"): st.column_config.NumberColumn(format="percent"),
                            t("dd.col.final"): st.column_config.NumberColumn(format="localized")})
download_table(rows.drop(columns=["province_zh"], errors="ignore"), f"allocation_county_{province}_{year}",
               "dd_counties")
st.caption(t("dd.synthetic"))
st.caption(t("note.illustrative"))
