"""Region: one region's data with statuses and sources, its payment as a waterfall (components → constraints →
rounding → final), its history over a scenario's years, and what-if sliders (red-line area, population)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from compensation.allocation.methods import component_labels
from compensation.schema import COLUMNS, FUNCTION_COLUMNS, label
from ui import charts
from ui.downloads import download_chart_data, download_table
from ui.format import pct, signed_wan, wan
from ui.i18n import lang, t
from ui.loading import names, regions_in_use, scenario, scenario_names, scenario_run
from ui.results import caption_illustrative, provenance, run_allocation, show_problems, show_report
from ui.settings import settings, widget
from ui.state import Keys
from ui.tables import show_table, value_words

REDLINE_COLUMNS = ["redline_total_km2", "redline_land_km2", "redline_sea_km2", *FUNCTION_COLUMNS]

st.title(t("reg.title"))
regions, data_label, _ = regions_in_use()
label_of = names(regions)
codes = list(regions["adcode"].astype(str))
default = "630000" if "630000" in codes else codes[0]
code = widget(st.selectbox, Keys.REGION, default, t("reg.choose"), codes,
              format_func=lambda a: f"{label_of.get(a, a)} ({a})")
if code not in codes:
    code = default
o = run_allocation()
provenance(o)
if o.res is None:
    show_report(o.report)
    st.stop()
res = o.res
if not res.ok:
    show_problems(res.diagnostics)
    st.stop()
row = res.table.set_index(res.table["adcode"].astype(str)).loc[code]
i = codes.index(code)

st.markdown(f"#### {label_of[code]} · {wan(row['final'])} · {pct(row['share'], 2)}")
st.info(res.explain(code, lang()), icon=":material/chat:")

left, right = st.columns(2, gap="large")
with left:
    st.subheader(t("reg.waterfall"))
    comps = component_labels(res.method)
    steps = [{"label": comps[c][0 if lang() == "zh" else 1], "amount": float(row[c]), "kind": "component"}
             for c in comps if c in row.index]
    steps += [{"label": t("wf.adj_constraints"), "amount": float(row["adj_constraints"]), "kind": "adjustment"},
              {"label": t("wf.adj_rounding"), "amount": float(row["adj_rounding"]), "kind": "adjustment"},
              {"label": t("wf.final"), "amount": float(row["final"]), "kind": "total"}]
    wf = pd.DataFrame(steps)
    st.altair_chart(charts.waterfall(wf, t("wf.amount", unit=res.unit), unit=res.unit), width="stretch")
    if row["binding"]:
        st.caption(t("reg.binding", kind=t("binding." + str(row["binding"]))))
    download_chart_data(wf, f"waterfall_{code}_{o.hash}", "reg_wf")

with right:
    st.subheader(t("reg.history"))
    multi = [n for n in scenario_names() if len(scenario(n).years) > 1] or scenario_names()
    hist_name = widget(st.selectbox, Keys.REGION_HISTORY, multi[0], t("reg.history_scenario"), scenario_names(),
                       format_func=lambda n: f"{n}: {scenario(n).title}")
    run = scenario_run(hist_name)
    rows = []
    for y, r in run.results.items():
        tab = r.allocation.table.set_index(r.allocation.table["adcode"].astype(str))
        if code in tab.index:
            rows.append({"year": y, "series": hist_name, "value": int(tab.loc[code, "final"])})
    rows.append({"year": o.settings.year, "series": t("cmp.current_title"), "value": int(row["final"])})
    hist = pd.DataFrame(rows)
    if len(hist):
        st.altair_chart(charts.lines(hist, "year", t("cmp.year"), f"{t('col.final')}", series="series"),
                        width="stretch")
        download_chart_data(hist, f"history_{code}_{hist_name}", "reg_hist")
    else:
        st.info(t("reg.not_in_scenario"))

st.subheader(t("reg.whatif"))
st.caption(t("reg.whatif_help"))
w = st.columns(2)
red_pct = widget(w[0].slider, Keys.REGION_REDLINE_PCT, 0, t("reg.redline_pct"), min_value=-50, max_value=100, step=5,
                 format="%d%%")
pop_pct = widget(w[1].slider, Keys.REGION_POP_PCT, 0, t("reg.pop_pct"), min_value=-50, max_value=100, step=5,
                 format="%d%%")
if red_pct or pop_pct:
    changed = regions.copy()
    for col in REDLINE_COLUMNS:
        if col in changed:
            changed.loc[changed.index[i], col] = changed[col].iloc[i] * (1 + red_pct / 100)
    if "population_10k" in changed:
        changed.loc[changed.index[i], "population_10k"] = changed["population_10k"].iloc[i] * (1 + pop_pct / 100)
    w_o = run_allocation(settings(), changed)
    if w_o.res is None:
        show_report(w_o.report)
    elif not w_o.res.ok:
        show_problems(w_o.res.diagnostics)
    else:
        new = int(w_o.res.table["final"].iloc[i])
        others_before = int(res.table["final"].sum() - row["final"])
        others_after = int(w_o.res.table["final"].sum()) - new
        c = st.columns(2)
        c[0].metric(t("reg.whatif_amount", name=label_of[code]), wan(new), signed_wan(new - int(row["final"])))
        c[1].metric(t("reg.whatif_others"), wan(others_after), signed_wan(others_after - others_before))
        st.caption(t("reg.whatif_note", red=red_pct, pop=pop_pct))
else:
    st.caption(t("reg.whatif_none"))

st.subheader(t("reg.data"))
values = regions.iloc[i]
src = regions.attrs.get("sources")
src_rows = src[src["adcode"].astype(str) == code].set_index("column") if src is not None and len(src) else None
data_rows = []
for col in regions.columns:
    if col in ("adcode", "name_zh", "name_en"):
        continue
    entry = {"column": col, "label": label(col, lang()), "value": values[col]}
    if src_rows is not None and col in src_rows.index:
        entry.update(status=src_rows.loc[col, "status"], vintage=src_rows.loc[col, "vintage"],
                     source=src_rows.loc[col, "source"])
    elif "data_status" in regions:
        entry.update(status=values["data_status"], vintage="", source=data_label)
    else:
        entry.update(status="", vintage="", source="")
    data_rows.append(entry)
data_df = pd.DataFrame(data_rows)
data_df["value"] = [f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float) and COLUMNS.get(c) and
                    COLUMNS[c].numeric else value_words(c, pd.Series([str(v)])).iloc[0]
                    for c, v in zip(data_df["column"], data_df["value"], strict=True)]
show_table(data_df, hide_index=True, width="stretch", column_config={
    "column": t("col.column"), "label": t("col.label"), "value": t("col.value"), "status": t("col.status"),
    "vintage": t("col.vintage"), "source": t("col.source")})
caption_illustrative()
download_table(data_df, f"region_{code}", "reg_data")
