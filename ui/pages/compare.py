"""Compare: a baseline against scenarios from scenarios/ and the current edits — grouped bars labelled with each
scenario's name, a difference map centred at zero, winners/losers, multi-year totals, what changed in words."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from compensation.allocation.explain import is_province_table, province_sums
from compensation.compare import BUCKETS, compare_runs, region_diff
from compensation.run import RunResult
from ui import charts
from ui.downloads import download_chart_data, download_table
from ui.format import md_text, pct, signed_wan, yi_from_wan
from ui.i18n import lang, t
from ui.loading import default_regions, map_shapes, names, scenario, scenario_names, scenario_run
from ui.results import provenance, run_allocation, show_report
from ui.settings import BASELINE, widget
from ui.state import Keys
from ui.tables import show_table

CURRENT = "__current__"
st.title(t("cmp.title"))
st.caption(t("cmp.intro"))


def title_of(name: str) -> str:
    if name == CURRENT:
        return t("cmp.current_title")
    sc = scenario(name)
    head = sc.spec.get("scenario", {})
    return f"{name}: {head.get('title' if lang() == 'zh' else 'title_en', sc.title)}"


def short(name: str) -> str:
    return t("cmp.current_title") if name == CURRENT else name


all_names = scenario_names()
c = st.columns([2, 3, 1])
base_name = widget(c[0].selectbox, Keys.CMP_BASE, BASELINE, t("cmp.baseline"), all_names, format_func=title_of)
others = [n for n in all_names if n != base_name]
chosen = widget(c[1].multiselect, Keys.CMP_SCENARIOS, ["water_priority_2023"], t("cmp.scenarios"), others,
                format_func=title_of)
chosen = [n for n in chosen if n != base_name]
use_current = widget(c[2].checkbox, Keys.CMP_CURRENT, True, t("cmp.include_current"), help=t("cmp.current_help"))

try:
    base = scenario_run(base_name)
    runs = {n: scenario_run(n) for n in chosen}
except Exception as exc:
    from compensation.problems import InputError

    if isinstance(exc, InputError):
        show_report(exc.report)
        st.stop()
    raise
current = run_allocation() if use_current else None
if current is not None:
    with st.expander(t("cmp.current_inputs")):
        provenance(current)
    if current.res is None or not current.res.ok:
        st.warning(t("cmp.current_unusable"))
        current = None
if current is not None:  # the current settings as a one-year run, so that the core compares it like a scenario
    cs = current.settings
    spec = cs.spec()
    if spec.get("data") != "default":  # the user's file name, never the server's path of the kept upload
        spec["data"] = cs.data_label
    current_run = RunResult.from_allocation(current.res, cs.year, "current", spec, current.hash)

years = sorted(set(base.years))
year = widget(st.selectbox, Keys.CMP_YEAR, years[0], t("cmp.year"), years)
if year not in years:
    year = years[0]
tables: dict[str, pd.DataFrame] = {}
missing = []
for n, r in runs.items():
    if year in r.results:
        tables[n] = r.results[year].allocation.table
    else:
        missing.append(n)
if current is not None:
    if current.settings.year == year:
        tables[CURRENT] = current.res.table
    else:
        missing.append(CURRENT)
if missing:
    st.info(t("cmp.missing_year", year=year, names=", ".join(short(n) for n in missing)))

base_table = base.results[year].allocation.table
label = names(base_table)
diffs = {n: region_diff(base_table, tab) for n, tab in tables.items()}
for d in diffs.values():
    d["label"] = d["adcode"].astype(str).map(label).fillna(d["name_zh"])

# --- grouped bars -------------------------------------------------------------------------------------
st.subheader(t("cmp.bars", year=year))
long = [pd.DataFrame({"adcode": base_table["adcode"].astype(str), "label": base_table["adcode"].astype(str).map(label),
                      "scenario": short(base_name), "value": base_table["final"]})]
for n, tab in tables.items():
    long.append(pd.DataFrame({"adcode": tab["adcode"].astype(str),
                              "label": tab["adcode"].astype(str).map(label).fillna(tab["name_zh"]),
                              "scenario": short(n), "value": tab["final"]}))
long_df = pd.concat(long, ignore_index=True)
if long_df["adcode"].nunique() > 40:
    keep = set(base_table.nlargest(30, "final")["adcode"].astype(str))
    long_df = long_df[long_df["adcode"].isin(keep)]
    st.caption(t("cmp.top30"))
st.altair_chart(charts.grouped_bars(long_df, t("col.final")), width="stretch")
download_chart_data(long_df, f"compare_bars_{year}", "cmp_bars")

if not diffs:
    st.info(t("cmp.nothing"))
    st.stop()

# --- difference map, buckets, table ---------------------------------------------------------------------
target = st.selectbox(t("cmp.diff_for"), list(diffs), format_func=short, key="cmp_diff_target")
d = diffs[target]
tot = int(d["difference"].abs().sum()) // 2
st.caption(t("cmp.moved", amount=yi_from_wan(tot), name=short(target), base=short(base_name)))
left, right = st.columns([3, 2])
with left:
    if is_province_table(d):
        mdf = pd.DataFrame({"adcode": d["adcode"].astype(str), "label": d["label"], "value": d["difference"]})
    else:  # county (or other sub-province) data: the differences summed to provinces by the core
        prov = province_sums(d, ["baseline", "scenario", "difference"])
        mdf = pd.DataFrame({"adcode": prov["adcode"], "label": prov["adcode"].map(names(default_regions())),
                            "value": prov["difference"], "regions": prov["regions"]})
    st.vega_lite_chart(charts.choropleth(mdf, t("cmp.diff_title", unit="万元"), map_shapes(), diverging=True,
                                         title=t("cmp.diff_map", name=short(target), base=short(base_name))),
                       width="stretch")
    if not is_province_table(d):
        st.caption(t("cmp.diff_summed"))
    download_chart_data(mdf, f"difference_map_{target}_{year}", "cmp_map")
with right:
    counts = d["bucket"].value_counts()
    bdf = pd.DataFrame({"bucket": [zh if lang() == "zh" else en for en, zh in BUCKETS],
                        "value": [int(counts.get(en, 0)) for en, _ in BUCKETS], "order": range(len(BUCKETS))})
    st.altair_chart(charts.gain_loss(bdf, t("cmp.regions")), width="stretch")
    download_chart_data(bdf, f"buckets_{target}_{year}", "cmp_buckets")
    winners = d.nlargest(3, "difference")
    losers = d.nsmallest(3, "difference")
    st.markdown(t("cmp.winners") + "  \n" + "  \n".join(
        f"{r.label}: {signed_wan(r.difference)} ({pct(r.pct_change, signed=True)})" for r in winners.itertuples()
        if r.difference > 0) or "—")
    st.markdown(t("cmp.losers") + "  \n" + "  \n".join(
        f"{r.label}: {signed_wan(r.difference)} ({pct(r.pct_change, signed=True)})" for r in losers.itertuples()
        if r.difference < 0) or "—")

show_table(d.drop(columns=["label"]), hide_index=True, width="stretch", column_config={
    "baseline": st.column_config.NumberColumn(t("col.baseline"), format="localized"),
    "scenario": st.column_config.NumberColumn(t("col.scenario"), format="localized"),
    "difference": st.column_config.NumberColumn(t("col.difference"), format="localized"),
    "pct_change": st.column_config.NumberColumn(t("col.pct_change"), format="percent")})
download_table(d.drop(columns=["label"]), f"difference_{target}_{year}", "cmp_table")

# --- what changed -----------------------------------------------------------------------------------------
st.subheader(t("cmp.changes"))
for n in [*runs, *([CURRENT] if current is not None else [])]:
    changes = compare_runs(base, current_run if n == CURRENT else runs[n])["changes"]
    st.markdown(f"**{title_of(n)}**")
    if len(changes):
        col = "change_zh" if lang() == "zh" else "change_en"
        st.markdown("\n".join(f"- {md_text(line)}" for line in changes[col]))
    else:
        st.markdown(t("cmp.no_changes"))

# --- multi-year totals ------------------------------------------------------------------------------------
st.subheader(t("cmp.multi_year"))
frames = []
for n, r in [(base_name, base), *runs.items()]:
    sm = r.summary[["year", "budget", "allocated", "regions_funded", "gini_per_capita", "gini_per_km2"]].copy()
    sm.insert(0, "scenario", n)
    frames.append(sm)
if current is not None:
    row = RunResult.from_allocation(current.res, current.settings.year).summary.iloc[0].to_dict()
    frames.append(pd.DataFrame([{"scenario": t("cmp.current_title"), **{k: row[k] for k in (
        "year", "budget", "allocated", "regions_funded", "gini_per_capita", "gini_per_km2")}}]))
multi = pd.concat(frames, ignore_index=True)
totals = multi.groupby("scenario", sort=False)[["budget", "allocated"]].sum().reset_index()
totals["years"] = multi.groupby("scenario", sort=False)["year"].apply(
    lambda y: f"{min(y)}–{max(y)}" if len(y) > 1 else str(min(y))).to_numpy()
show_table(totals, hide_index=True, width="stretch", column_config={
    "budget": st.column_config.NumberColumn(t("col.budget_total"), format="localized"),
    "allocated": st.column_config.NumberColumn(t("col.allocated_total"), format="localized")})
st.altair_chart(charts.lines(multi.rename(columns={"allocated": "value"}), "year", t("cmp.year"), t("col.allocated"),
                             series="scenario"), width="stretch")
download_table(multi, "multi_year_summary", "cmp_multi")
