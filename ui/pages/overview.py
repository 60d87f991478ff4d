"""Overview: a few big numbers, the schematic map (payment, per km² of red line, per capita), a ranked bar chart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from compensation.allocation.explain import by_province, is_province_table
from compensation.run import RunResult
from ui import charts
from ui.downloads import download_chart_data, download_table
from ui.format import num, yi_from_wan
from ui.i18n import t
from ui.loading import default_regions, map_shapes, names
from ui.results import (
    caption_illustrative,
    provenance,
    provenance_items,
    run_allocation,
    show_problems,
    show_report,
    status_line,
)
from ui.settings import widget
from ui.state import Keys
from ui.tables import show_table

MEASURES = ("payment", "per_km2", "per_capita")

st.title(t("ov.title"))
st.caption(t("ov.intro"))
o = run_allocation()
if o.res is None:
    show_report(o.report)
    st.stop()
res = o.res
provenance(o)
if not res.ok:
    status_line(res)
    show_problems(res.diagnostics)
    st.stop()

s = RunResult.from_allocation(res, o.settings.year).summary.iloc[0].to_dict()
c = st.columns(4)
c[0].metric(t("ov.pool"), yi_from_wan(s["budget"]), help=t("ov.pool_help"))
c[1].metric(t("ov.funded"), f"{s['regions_funded']:,} / {s['regions']:,}")
funded = res.table["final"].to_numpy() > 0
red = pd.to_numeric(res.regions["redline_total_km2"], errors="coerce").fillna(0).to_numpy()
c[2].metric(t("ov.redline"), f"{num(red[funded].sum())} km²", help=t("ov.redline_help"))
c[3].metric(t("ov.gini"), f"{s['gini_per_km2']:.3f}", help=t("ov.gini_help", gini_pc=f"{s['gini_per_capita']:.3f}",
                                                             theil=f"{s['theil_per_km2']:.3f}"))

measure = widget(st.segmented_control, Keys.MAP_MEASURE, "payment", t("ov.measure"), MEASURES,
                 format_func=lambda m: t("ov.m." + m), required=True)
label = names(res.table)
marg = res.marginal
if measure == "per_km2":
    values = marg[f"per_km2_redline_{res.unit}"]
    title, fmt = t("ov.m.per_km2") + f" ({res.unit}/km²)", ",.2f"
elif measure == "per_capita":
    values = marg["per_capita_yuan"]
    title, fmt = t("ov.m.per_capita") + " (元/人)", ",.1f"
else:
    values = res.table["final"]
    title, fmt = t("ov.m.payment") + f" ({res.unit})", ",.0f"
df = pd.DataFrame({"adcode": res.table["adcode"].astype(str), "label": res.table["adcode"].astype(str).map(label),
                   "value": values.to_numpy()})
if is_province_table(res.table):
    mdf = df
else:  # county (or other sub-province) data: the map shows the core's sums by province
    prov = by_province(res)
    col = {"payment": "final", "per_km2": f"per_km2_redline_{res.unit}", "per_capita": "per_capita_yuan"}[measure]
    mdf = pd.DataFrame({"adcode": prov["adcode"], "label": prov["adcode"].map(names(default_regions())),
                        "value": prov[col].to_numpy(), "regions": prov["regions"]})
left, right = st.columns([3, 2])
with left:
    st.vega_lite_chart(charts.choropleth(mdf, title, map_shapes(), fmt=fmt), width="stretch")
    st.caption(t("map.caption") + ("" if mdf is df else " " + t("map.counties_summed")))
    download_chart_data(mdf, f"map_{measure}", "ov_map")
with right:
    ranked = df.assign(binding=res.table["binding"].replace("", t("chart.unbound")).to_numpy())
    show_all = len(ranked) <= charts.ALL_UP_TO or st.toggle(t("chart.show_all", n=len(ranked)), key="ov_show_all_bars")
    st.altair_chart(charts.ranked_bars(charts.top(ranked, show_all), title, fmt, color="binding"), width="stretch")
    download_chart_data(ranked, f"ranking_{measure}", "ov_rank")
caption_illustrative()

if st.toggle(t("ov.table"), key="ov_show_table"):
    table = res.table[["adcode", "name_zh", "name_en", "target", "final", "share", "binding"]].merge(
        marg, on=["adcode", "name_zh"])
    table.attrs = {}
    show_table(table, hide_index=True, width="stretch",
                 column_config={"final": st.column_config.NumberColumn(t("col.final"), format="localized"),
                                "target": st.column_config.NumberColumn(t("col.target"), format="localized"),
                                "share": st.column_config.NumberColumn(t("col.share"), format="percent")})
    download_table(table, f"allocation_{o.settings.year}_{o.hash}", "ov_table",
                       provenance=provenance_items(o))
show_problems([p for p in res.diagnostics if p.severity != "info"])
