"""Sensitivity: sweeps (grid) and Monte Carlo over the method's weights around the current settings: per-region
ranges of the final amount, how often each region sits at a floor or a cap, and which input moves each region
most. Every draw goes through the core's batched sweep (compensation.sweep), the same path as `ecocomp sweep`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from compensation.problems import InputError
from compensation.scenario import Scenario
from compensation.sweep import SweepSpec, parse_vary, run_sweep
from ui import charts
from ui.downloads import download_chart_data, download_table
from ui.i18n import t
from ui.loading import method, names, regions_in_use
from ui.results import param_label, provenance, run_allocation, show_report, with_last_year
from ui.settings import settings, widget
from ui.state import Keys
from ui.tables import column_label, show_table

st.title(t("s.title"))
st.caption(t("s.intro"))
s = settings()
m = method(s.method)
weights = [p for p in s.params if p.startswith("weights.") and p != "weights.redline"]
MAX_SAMPLES = 5000
STAT_COLUMNS = ("scenario", "min", "p05", "p25", "median", "p75", "p95", "max", "mean", "std")


@st.cache_data(show_spinner=False, max_entries=8)
def _sweep(spec_json: str, specs: tuple[str, ...], samples: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                                        dict]:
    """The current settings as an in-memory scenario, swept by the core's batched path (``spec_json`` is the
    cache key; the settings' other inputs are unchanged)."""
    spec = s.spec()
    c = spec.get("constraints") or {}
    c.pop("initial_last_year", None)  # last year's amounts are already in the table (with_last_year)
    regions, _ = with_last_year(regions_in_use()[0], s)
    sweep = SweepSpec([parse_vary(x) for x in specs], samples=samples or None, seed=0)
    res = run_sweep(Scenario("current", spec, None, []), sweep, int(s.year), regions=regions, workers=1)
    return res.points, res.summary, res.tables["input_influence"], res.info


with st.form("s_form"):
    c = st.columns([3, 1, 1, 1])
    chosen = widget(c[0].multiselect, Keys.S_PARAMS, weights[:2], t("s.params"), weights,
                    format_func=lambda p: param_label(m, p))
    spread = widget(c[1].slider, Keys.S_SPREAD, 50, t("s.spread"), min_value=5, max_value=90, step=5, format="±%d%%")
    mode = widget(c[2].selectbox, Keys.S_MODE, "grid", t("s.mode"), ["grid", "monte_carlo"],
                  format_func=lambda x: t("s.mode." + x))
    samples = widget(c[3].number_input, Keys.S_SAMPLES, 200, t("s.samples"), min_value=5, max_value=MAX_SAMPLES, step=5,
                     help=t("s.samples_help"))
    st.form_submit_button(t("s.run"), key=Keys.S_RUN)

provenance(run_allocation(s))
if not chosen:
    st.info(t("s.none"))
    st.stop()
specs = []
for p in chosen:
    v = s.params[p]
    lo, hi = v * (1 - spread / 100), v * (1 + spread / 100)
    specs.append(f"{p}={lo:.6g}:{hi:.6g}:3" if mode == "grid" else f"{p}={lo:.6g}:{hi:.6g}")
try:
    n = int(samples) if mode == "monte_carlo" else 0
    with st.spinner(t("s.running")):
        points, summary, influence, info = _sweep(s.spec_json(), tuple(specs), n)
except InputError as exc:
    show_report(exc.report)
    st.stop()
described = "; ".join(f"{param_label(m, x.split('=', 1)[0])} = {x.split('=', 1)[1]}" for x in specs)
st.caption(t("s.done", points=len(points), spec=described, mode=t("s.mode." + mode)))
if "min" not in summary:
    st.warning(t("s.no_feasible"))
    st.stop()
if info["feasible_draws"] < info["draws"]:
    st.warning(t("s.infeasible", n=info["draws"] - info["feasible_draws"]))
# --- display (labels in the reader's language; every region labelled, the top 30 at county scale) ---------
label = names(regions_in_use()[0])  # the data's names: English ones in English mode where the data have them
codes = summary["adcode"].astype(str)
summary = charts.unique_labels(summary.assign(label=codes.map(label).fillna(summary["name_zh"].astype(str))))
st.subheader(t("s.ranges"))
shown = summary
if len(summary) > charts.ALL_UP_TO:
    if not st.toggle(t("chart.show_all", n=len(summary)), key="s_show_all_ranges"):
        shown = summary.nlargest(charts.TOP_N, "median")
        st.caption(t("s.top_n", n=charts.TOP_N))
st.altair_chart(charts.ranges(shown, t("col.final")), width="stretch")
download_chart_data(summary.drop(columns=["label"]), "sweep_ranges", "s_ranges")
if len(influence):
    st.subheader(t("s.influence"))
    st.caption(t("s.influence_help"))
    inf = influence.assign(label=influence["input"].map(lambda p: param_label(m, p) if p in s.params else p))
    st.altair_chart(charts.influence(inf, t("col.variance_share"), t("col.regions_most_moved")), width="stretch")
    download_table(influence, "sweep_input_influence", "s_influence")
st.subheader(t("s.bounds"))
if not (s.floor_ratio or s.cap_ratio or (s.bounds is not None)):
    st.caption(t("s.no_bounds"))
view = summary.drop(columns=["label"])
if "top_input" in view:
    view = view.assign(top_input=view["top_input"].map(lambda p: param_label(m, p) if p in s.params else p))
show_table(view, column_config={
    **{c: st.column_config.NumberColumn(column_label(c), format="localized") for c in STAT_COLUMNS if c in view},
    **{c: st.column_config.NumberColumn(column_label(c), format="percent") for c in (
        "at_floor", "at_cap", "rank_changed") if c in view},
    "top_input_r2": st.column_config.NumberColumn(column_label("top_input_r2"), format="%.2f")})
download_table(summary.drop(columns=["label"]), "sweep_summary", "s_summary")
with st.expander(t("s.points")):
    show_table(points.rename(columns={p: param_label(m, p) for p in points.columns if p in s.params}))
    download_table(points, "sweep_points", "s_points")
    st.caption(t("s.engine", seconds=info["seconds_chunks"], targets=info["targets"]))
