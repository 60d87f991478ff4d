"""The county map of one province (示意图): the shipped county TopoJSON, filtered to the province, coloured by the
core's county amounts. Like ui/charts.py it lays out what the core computed and computes no amount."""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from compensation.data import COUNTY_MAP_TOPOJSON

from .charts import NO_DATA
from .i18n import t

COUNTY_TOPO = "china_counties_topo"


@st.cache_resource(show_spinner=False)
def county_shapes() -> dict:
    """The 2,848 county shapes (1.5 MB), read once per process."""
    return json.loads(Path(COUNTY_MAP_TOPOJSON).read_text(encoding="utf-8"))


@st.cache_resource(show_spinner=False)
def province_shapes(province: str) -> dict:
    """The province's counties only, as a TopoJSON with the arcs it uses (so the page sends kilobytes, not the
    whole country): arcs are renumbered, shared borders stay shared."""
    topo = county_shapes()
    geoms = [g for g in topo["objects"]["counties"]["geometries"] if g["properties"]["province"] == province]
    used: dict[int, int] = {}

    def remap(a):
        if isinstance(a, list):
            return [remap(x) for x in a]
        i = a if a >= 0 else ~a
        if i not in used:
            used[i] = len(used)
        return used[i] if a >= 0 else ~used[i]

    out = [{**g, "arcs": remap(g["arcs"])} for g in geoms]
    arcs = [None] * len(used)
    for old, new in used.items():
        arcs[new] = topo["arcs"][old]
    return {"type": "Topology", "transform": topo["transform"], "arcs": arcs,
            "objects": {"counties": {"type": "GeometryCollection", "geometries": out}}}


def county_choropleth(values: pd.DataFrame, province: str, title: str, fmt: str = ",.0f") -> dict:
    """A schematic county map of ``province``: ``values`` has columns adcode, value, label."""
    name = f"{COUNTY_TOPO}_{province}"
    data = alt.NamedData(name=name, format=alt.DataFormat(type="topojson", feature="counties"))
    df = values[["adcode", "value", "label"]].copy()
    df["adcode"] = df["adcode"].astype(str)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    proj = {"type": "mercator"}
    base = alt.Chart(data).mark_geoshape(fill=NO_DATA, stroke="white", strokeWidth=0.4).encode(
        tooltip=[alt.Tooltip("properties.name:N", title=t("map.region"))]).project(**proj)
    layer = alt.Chart(data).mark_geoshape(stroke="white", strokeWidth=0.4).encode(
        color=alt.Color("value:Q", title=t("dd.col.final"), scale=alt.Scale(scheme="yellowgreenblue"),
                        legend=alt.Legend(format=fmt, orient="left")),
        tooltip=[alt.Tooltip("label:N", title=t("map.region")),
                 alt.Tooltip("value:Q", title=t("dd.col.final"), format=fmt)],
    ).transform_lookup(
        lookup="properties.adcode", from_=alt.LookupData(data=df, key="adcode", fields=["value", "label"])
    ).transform_filter("isValid(datum.value)").project(**proj)
    chart = alt.layer(base, layer).properties(
        width=560, height=460, title=alt.TitleParams(title, subtitle=[t("map.schematic"), t("map.attribution")],
                                                     anchor="start", fontSize=14, subtitleFontSize=11))
    spec = chart.to_dict()
    spec.setdefault("datasets", {})[name] = province_shapes(province)
    return spec
