"""Sensitivity: sweeps (grid) and Monte Carlo over the method's weights around the current settings: per-region
ranges of the final amount and how often each region sits at a floor or a cap."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from compensation.compare import parse_vary, sweep_points, sweep_summary
from compensation.problems import InputError
from ui import charts
from ui.downloads import download_chart_data, download_table
from ui.i18n import t
from ui.loading import method, names
from ui.results import param_label, provenance, run_allocation, show_report
from ui.settings import settings, widget
from ui.state import Keys

st.title(t("s.title"))
st.caption(t("s.intro"))
s = settings()
m = method(s.method)
weights = [p for p in s.params if p.startswith("weights.") and p != "weights.redline"]


@st.cache_data(show_spinner=False, max_entries=8)
def _sweep(spec_json: str, varies_json: str, samples: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every point through the core's allocate (the settings' other inputs unchanged)."""
    varies = [(p, tuple(v) if isinstance(v, list) and len(v) == 2 and samples else v)
              for p, v in json.loads(varies_json)]
    points = sweep_points(varies, samples=samples or None, seed=0)
    frames = []
    for k, point in enumerate(points.to_dict("records")):
        o = run_allocation(s, extra_overrides=point)
        if o.res is None:
            raise InputError(o.report)
        if not o.res.ok:
            continue
        tab = o.res.table[["adcode", "name_zh", "final", "binding"]].copy()
        tab.insert(0, "point", k)
        frames.append(tab)
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["point", "adcode", "name_zh", "final", "binding"])
    return points, long, sweep_summary(long) if len(long) else pd.DataFrame()


with st.form("s_form"):
    c = st.columns([3, 1, 1, 1])
    chosen = widget(c[0].multiselect, Keys.S_PARAMS, weights[:2], t("s.params"), weights,
                    format_func=lambda p: param_label(m, p))
    spread = widget(c[1].slider, Keys.S_SPREAD, 50, t("s.spread"), min_value=5, max_value=90, step=5, format="±%d%%")
    mode = widget(c[2].selectbox, Keys.S_MODE, "grid", t("s.mode"), ["grid", "monte_carlo"],
                  format_func=lambda x: t("s.mode." + x))
    samples = widget(c[3].number_input, Keys.S_SAMPLES, 40, t("s.samples"), min_value=5, max_value=400, step=5,
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
    varies = [parse_vary(x) for x in specs]
    n = int(samples) if mode == "monte_carlo" else 0
    with st.spinner(t("s.running")):
        points, long, summary = _sweep(s.spec_json(), json.dumps(varies), n)
except InputError as exc:
    show_report(exc.report)
    st.stop()
st.caption(t("s.done", points=len(points), spec="; ".join(specs), mode=t("s.mode." + mode)))
if summary.empty:
    st.warning(t("s.no_feasible"))
    st.stop()
label = names(summary)
summary = summary.assign(label=summary["adcode"].astype(str).map(label))
st.subheader(t("s.ranges"))
st.altair_chart(charts.ranges(summary, t("col.final")), width="stretch")
download_chart_data(summary, "sweep_ranges", "s_ranges")
st.subheader(t("s.bounds"))
if not (s.floor_ratio or s.cap_ratio or (s.bounds is not None)):
    st.caption(t("s.no_bounds"))
st.dataframe(summary.drop(columns=["label"]), hide_index=True, width="stretch", column_config={
    **{c: st.column_config.NumberColumn(c, format="localized") for c in ("min", "p05", "p25", "median", "p75", "p95",
                                                                          "max")},
    "at_floor": st.column_config.NumberColumn(t("col.at_floor"), format="percent"),
    "at_cap": st.column_config.NumberColumn(t("col.at_cap"), format="percent")})
download_table(summary.drop(columns=["label"]), "sweep_summary", "s_summary")
with st.expander(t("s.points")):
    st.dataframe(points, hide_index=True, width="stretch")
    download_table(points, "sweep_points", "s_points")
    download_table(long, "sweep_results", "s_long", xlsx=False)
