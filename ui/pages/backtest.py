"""Back-test and reform: a method against the published 2020 KEFZ allocation (statistics, scatter with the
diagonal, residual map — the same tables and charts as `ecocomp backtest`), and who gains and who loses when
the 2023 pool follows the red-line reform proposal instead of current practice (the same numbers as
`ecocomp compare current_practice_2023 redline_reform_2023`)."""

from __future__ import annotations

import math

import streamlit as st

from compensation.allocation import list_methods
from compensation.calibration import read_published
from compensation.calibration.backtest import backtest, residual_map, scatter
from compensation.compare import region_diff
from compensation.data import KEFZ_2020_TABLE, load_regions
from compensation.gains import gains_losses
from ui.downloads import download_table
from ui.i18n import lang, t
from ui.loading import scenario_run

KEY_METHOD = "bt_method"
CURRENT, REFORM, YEAR = "current_practice_2023", "redline_reform_2023", 2023
DEFAULT_METHOD = "cn_kefz_2017_calibrated_kefz_2020_by_province_partial"


@st.cache_data(show_spinner=False)
def _backtest(method: str):
    regions = load_regions()
    published = read_published(KEFZ_2020_TABLE, regions)
    m = [s for s in list_methods() if s["name"] == method][0]
    from compensation.allocation import load_method

    first = max(min(d.year for d, _, _ in p.values) for p in load_method(m["name"]).parameters.values())
    bt = backtest(method, regions, published, max(published.year, first))
    return bt.table, bt.stats, [f["input"] for f in bt.fallbacks], bt.year


@st.cache_data(show_spinner=False)
def _reform():
    base, scen = scenario_run(CURRENT), scenario_run(REFORM)
    diff = region_diff(base.results[YEAR].allocation.table, scen.results[YEAR].allocation.table)
    return diff, base.unit


st.title(t("bt.title"))
st.caption(t("bt.intro"))
methods = [s["name"] for s in list_methods()]
labels = {s["name"]: f"{s['name']}: {s['label_zh'] if lang() == 'zh' else s['label_en']}" for s in list_methods()}
method = st.selectbox(t("bt.method"), methods, index=methods.index(DEFAULT_METHOD) if DEFAULT_METHOD in methods else 0,
                      format_func=labels.get, key=KEY_METHOD)
table, stats, fallbacks, year = _backtest(method)
c = st.columns(4)
c[0].metric(t("bt.rho"), t("bt.undefined") if math.isnan(stats["spearman"]) else f"{stats['spearman']:.3f}")
c[1].metric(t("bt.mae"), f"{stats['mae_pp']:.2f} pp")
c[2].metric(t("bt.max"), f"{stats['max_abs_pp']:.2f} pp")
c[3].metric(t("bt.regions"), f"{stats['regions']}")
if fallbacks:
    st.caption(t("bt.fallbacks", used=", ".join(fallbacks)))
left, right = st.columns(2)
with left:
    st.subheader(t("bt.scatter"))
    st.altair_chart(scatter(table), width="stretch")
with right:
    st.subheader(t("bt.map"))
    st.altair_chart(residual_map(table), width="stretch")
st.subheader(t("bt.table"))
st.dataframe(table, hide_index=True, width="stretch")
download_table(table, f"backtest_{method}_{year}", "bt_download")

st.divider()
st.header(t("rf.title"))
st.caption(t("rf.intro"))
diff, unit = _reform()
g = gains_losses(diff, unit)
c = st.columns(3)
c[0].metric(t("rf.gainers"), f"{g['gainers']}")
c[1].metric(t("rf.losers"), f"{g['losers']}")
c[2].metric(t("rf.moved"), f"{g['moved'] / 10_000:,.2f} 亿元" if unit == "万元" else f"{g['moved']:,} {unit}")
st.info(g["text_zh"] if lang() == "zh" else g["text_en"], icon=":material/swap_vert:")
cols = ["adcode", "name_zh", "baseline", "scenario", "difference", "pct_change"]
left, right = st.columns(2)
with left:
    st.subheader(t("rf.gains"))
    st.dataframe(g["largest_gains"][cols], hide_index=True, width="stretch")
with right:
    st.subheader(t("rf.losses"))
    st.dataframe(g["largest_losses"][cols], hide_index=True, width="stretch")
st.subheader(t("rf.all"))
st.dataframe(diff, hide_index=True, width="stretch")
download_table(diff, "reform_current_vs_redline_2023", "rf_download")
