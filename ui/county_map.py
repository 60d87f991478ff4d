"""The county map of one province (示意图): the shipped county TopoJSON, filtered to the province, coloured by the
core's county amounts. Like ui/charts.py it lays out what the core computed and computes no amount.

Two things are done to the shapes on the way (``province_shapes``): rings are rewound as d3 draws them (125
exterior rings of the simplified county file are wound the other way and one has no area; d3 reads such a ring as
"the whole sphere minus this island", which filled the whole frame of e.g. 北京 and 江苏), and a province's counties
south of SOUTH_OF (海南's 西沙区 and 南沙区) are kept apart, to be drawn in a boxed inset as on official maps."""

from __future__ import annotations

import json
import math
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from compensation.data import COUNTY_MAP_TOPOJSON, MARITIME_GEOJSON

from . import charts
from .charts import NO_DATA
from .i18n import t

COUNTY_TOPO = "china_counties_topo"
SOUTH_OF = 17.5  # counties whose polygons lie (area-weighted) south of this latitude go into the inset
COUNTY_INSET_BOX = (0.70, 0.35, 1.0, 1.0)  # fractions of the main frame: the sea south-east of Hainan Island
MERCATOR = {"type": "mercator"}


@st.cache_resource(show_spinner=False)
def county_shapes() -> dict:
    """The 2,848 county shapes (1.5 MB), read once per process."""
    return json.loads(Path(COUNTY_MAP_TOPOJSON).read_text(encoding="utf-8"))


@st.cache_resource(show_spinner=False)
def maritime_line() -> dict:
    """The South China Sea dashed line (GeoJSON feature), for the inset of 海南's county map."""
    return json.loads(Path(MARITIME_GEOJSON).read_text(encoding="utf-8"))


def _decode(arc: list, transform: dict) -> list[tuple[float, float]]:
    """A quantized, delta-encoded TopoJSON arc as (lon, lat) points."""
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    x = y = 0
    out = []
    for dx, dy in arc:
        x, y = x + dx, y + dy
        out.append((x * sx + tx, y * sy + ty))
    return out


def _ring(ring: list[int], coords: list) -> list[tuple[float, float]]:
    """The points of a ring given as arc indices (a negative index ~i is arc i reversed)."""
    pts: list[tuple[float, float]] = []
    for i in ring:
        part = coords[i] if i >= 0 else coords[~i][::-1]
        pts.extend(part if not pts else part[1:])
    return pts


def ring_area(pts) -> float:
    """Signed planar area in lon/lat (shoelace): negative = clockwise with north up."""
    return sum(pts[i][0] * pts[i + 1][1] - pts[i + 1][0] * pts[i][1] for i in range(len(pts) - 1)) / 2


def rewind(polygon: list[list[int]], coords: list) -> list[list[int]]:
    """A polygon's rings wound as d3 draws them (and as the rest of the file is): the exterior clockwise, holes
    anticlockwise. A ring the other way round is reversed — in TopoJSON, its arcs in reverse order, each inverted;
    a ring without area is dropped (a polygon whose exterior has none is dropped whole)."""
    out = []
    for k, ring in enumerate(polygon):
        a = ring_area(_ring(ring, coords))
        if a == 0:
            if k == 0:
                return []
            continue
        out.append(ring if (a < 0) == (k == 0) else [~i for i in reversed(ring)])
    return out


@st.cache_resource(show_spinner=False)
def province_shapes(province: str) -> dict:
    """The province's counties only, as a TopoJSON with the arcs it uses (so the page sends kilobytes, not the
    whole country): arcs are renumbered, shared borders stay shared, rings rewound (``rewind``). Object
    ``counties`` holds the counties north of SOUTH_OF; object ``far`` the counties south of it (海南's 西沙区 and
    南沙区, by the area-weighted latitude of their polygons), only where there are any."""
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

    remapped = [{**g, "arcs": remap(g["arcs"])} for g in geoms]
    arcs = [None] * len(used)
    for old, new in used.items():
        arcs[new] = topo["arcs"][old]
    coords = [_decode(a, topo["transform"]) for a in arcs]
    north, far = [], []
    for g in remapped:
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        polys = [q for q in (rewind(poly, coords) for poly in polys) if q]
        if not polys:
            continue
        rings = [_ring(q[0], coords) for q in polys]
        weights = [-ring_area(r) for r in rings]  # exterior rings are clockwise now: −area > 0
        lat = sum(w * sum(p[1] for p in r) / len(r) for w, r in zip(weights, rings, strict=True)) / sum(weights)
        (far if lat < SOUTH_OF else north).append({**g, "type": "MultiPolygon", "arcs": polys})
    objects = {"counties": {"type": "GeometryCollection", "geometries": north}}
    if far:
        objects["far"] = {"type": "GeometryCollection", "geometries": far}
    return {"type": "Topology", "transform": topo["transform"], "arcs": arcs, "objects": objects}


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """Mercator up to scale (x = λ, y = −ln tan(π/4 + φ/2), pointing down the page)."""
    return math.radians(lon), -math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def object_points(topo: dict, obj: str):
    """The exterior-ring points of every polygon of object ``obj``."""
    coords = [_decode(a, topo["transform"]) for a in topo["arcs"]]
    for g in topo["objects"][obj]["geometries"]:
        for poly in g["arcs"]:
            yield from _ring(poly[0], coords)


def _multipoint(coords) -> dict:
    return {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPoint", "coordinates": coords}}


def county_frames(topo: dict) -> tuple[dict, float, dict] | None:
    """For a province with polygons south of SOUTH_OF (object ``far``): the main frame's fit (the corners of the
    other polygons, plus a sea corner to the east that leaves room for the inset), its aspect ratio, and the
    inset's fit (the corners of the southern polygons). None for every other province (one view, fitted to all
    its counties)."""
    if "far" not in topo["objects"]:
        return None
    north, south = list(object_points(topo, "counties")), list(object_points(topo, "far"))
    lon0, lon1 = min(p[0] for p in north), max(p[0] for p in north)
    lat0, lat1 = min(p[1] for p in north), max(p[1] for p in north)
    corners = [[lon0, lat0], [lon1, lat1], [lon1 + 0.5 * (lon1 - lon0), lat0]]
    xy = [_mercator(*c) for c in corners]
    aspect = (max(y for _, y in xy) - min(y for _, y in xy)) / (max(x for x, _ in xy) - min(x for x, _ in xy))
    inset = [[min(p[0] for p in south), min(p[1] for p in south)], [max(p[0] for p in south), max(p[1] for p in south)]]
    return _multipoint(corners), aspect, _multipoint(inset)


def county_choropleth(values: pd.DataFrame, province: str, title: str, fmt: str = ",.0f") -> dict:
    """A schematic county map of ``province``: ``values`` has columns adcode, value, label. A province with islands
    far to the south (海南: 西沙区, 南沙区) shows them in a boxed inset at the lower right, as on official maps, so
    that the main island fills the frame."""
    name = f"{COUNTY_TOPO}_{province}"
    df = values[["adcode", "value", "label"]].copy()
    df["adcode"] = df["adcode"].astype(str)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    topo = province_shapes(province)

    def view(proj: dict, obj: str = "counties") -> list:
        # one data set name per object (Vega-Lite refuses one name read with two formats); the islands of the
        # inset get a dark outline, or they would be a few pale pixels
        data = alt.NamedData(name=f"{name}_{obj}", format=alt.DataFormat(type="topojson", feature=obj))
        stroke = {"stroke": "white", "strokeWidth": 0.4} if obj == "counties" else {"stroke": "#555555",
                                                                                     "strokeWidth": 0.7}
        base = alt.Chart(data).mark_geoshape(fill=NO_DATA, **stroke).encode(
            tooltip=[alt.Tooltip("properties.name:N", title=t("map.region"))]).project(**proj)
        layer = alt.Chart(data).mark_geoshape(**stroke).encode(
            color=alt.Color("value:Q", title=t("dd.col.final"), scale=alt.Scale(scheme="yellowgreenblue"),
                            legend=alt.Legend(format=fmt, orient="left")),
            tooltip=[alt.Tooltip("label:N", title=t("map.region")),
                     alt.Tooltip("value:Q", title=t("dd.col.final"), format=fmt)],
        ).transform_lookup(
            lookup="properties.adcode", from_=alt.LookupData(data=df, key="adcode", fields=["value", "label"])
        ).transform_filter("isValid(datum.value)").project(**proj)
        return [base, layer]

    frames = county_frames(topo)
    height = 460
    if frames is None:
        layers = view(MERCATOR)
    else:
        main_fit, aspect, inset_fit = frames
        main = {**MERCATOR, "fit": main_fit, "extent": charts.frame_box(aspect, (0, 0, 1, 1), 2),
                "clipExtent": charts.frame_box(aspect, (0, 0, 1, 1))}
        inset = {**MERCATOR, "fit": inset_fit, "extent": charts.frame_box(aspect, COUNTY_INSET_BOX, 6),
                 "clipExtent": charts.frame_box(aspect, COUNTY_INSET_BOX, 1)}
        frame, caption = charts.inset_frame(aspect, COUNTY_INSET_BOX)
        line = alt.Chart(alt.NamedData(name=charts.SEA_NAME)).mark_geoshape(
            filled=False, stroke="#555555", strokeWidth=1.0, strokeDash=[4, 3]).project(**inset)
        layers = [*view(main), frame, *view(inset, "far"), line, caption]
        height = min(460, round(560 * frames[1]) + 20)  # the frame's aspect at the spec's width: no blank band
    chart = alt.layer(*layers).properties(
        width=560, height=height, title=alt.TitleParams(title, subtitle=[t("map.schematic"), t("map.attribution")],
                                                     anchor="start", fontSize=14, subtitleFontSize=11))
    spec = chart.to_dict()
    spec.setdefault("datasets", {}).update({f"{name}_{obj}": topo for obj in topo["objects"]})
    if frames is not None:
        spec["datasets"][charts.SEA_NAME] = [maritime_line()]
    return spec
