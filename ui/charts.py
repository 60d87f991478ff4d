"""Altair charts of the front end. Chart functions only lay out what the core computed (positions of bars and
arrows); they compute no amount. Every chart's data is also offered as CSV beside it."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from . import i18n
from .i18n import t

MAP_WIDTH = 640
MAP_HEIGHT = 420
NO_DATA = "#e6e6e6"

# The map of China as on official maps: the main frame cropped to the mainland, Hainan and Taiwan (what lies in
# lon 73–135°E, lat 18–54°N), so that China fills it, and the South China Sea islands (南海诸岛) with the dashed
# line in a boxed inset at its lower right. Both views use the same equal-area conic projection, each fitted to
# its own box (Vega's fitExtent) and clipped to it. The main frame is fitted to the extreme points of the shapes
# inside MAIN_EXTENT and placed at the top of the view with their aspect ratio, so the clip is the frame and
# nothing south of it shows; positions are expressions of the view's width and height, so the layout holds at
# any width the page gives the chart.
PROJECTION = {"type": "conicEqualArea", "rotate": [-105, 0, 0], "parallels": [25, 47]}
MAIN_EXTENT = (73.0, 18.0, 135.5, 54.0)    # lon, lat of what the main frame shows
INSET_EXTENT = (106.0, 2.5, 124.0, 24.5)   # lon, lat of the inset: the islands and the dashed line
INSET_BOX = (0.80, 0.58, 1.0, 1.0)         # inset box as fractions of the main frame (x0, y0, x1, y1)
INSET_ROOM = (133.0, 18.1)  # the frame reaches this sea point at its lower right, so the inset covers no land


def project(lon: float, lat: float) -> tuple[float, float]:
    """PROJECTION up to scale and translation (d3's conicEqualArea: n = (sin φ0 + sin φ1)/2,
    C = 1 + sin φ0 (2n − sin φ0), ρ(φ) = √(C − 2n sin φ)/n, x = ρ sin(nλ), y = −ρ cos(nλ) pointing down the page
    after d3's flip; λ = lon − 105°)."""
    p0, p1 = (math.radians(v) for v in PROJECTION["parallels"])
    n = (math.sin(p0) + math.sin(p1)) / 2
    c = 1 + math.sin(p0) * (2 * n - math.sin(p0))
    rho = math.sqrt(c - 2 * n * math.sin(math.radians(lat))) / n
    lam = math.radians(lon + PROJECTION["rotate"][0])
    return rho * math.sin(n * lam), rho * math.cos(n * lam)


def topo_points(topo: dict):
    """Every vertex of a quantized TopoJSON (delta-encoded arcs) as (lon, lat)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    for arc in topo["arcs"]:
        x = y = 0
        for dx, dy in arc:
            x, y = x + dx, y + dy
            yield x * sx + tx, y * sy + ty


_FITS: dict[int, tuple[dict, float]] = {}


def main_fit(topo: dict) -> tuple[dict, float]:
    """The main frame's fit: the four extreme points (in PROJECTION) of the shapes inside MAIN_EXTENT and the sea
    corner INSET_ROOM as a GeoJSON MultiPoint, and the frame's aspect ratio (height / width). Cached per shapes
    object (loaded once per process)."""
    key = id(topo)
    if key not in _FITS:
        x0, y0, x1, y1 = MAIN_EXTENT
        pts = [(lon, lat) for lon, lat in topo_points(topo) if x0 <= lon <= x1 and y0 <= lat <= y1]
        xy = [project(lon, lat) for lon, lat in pts]
        ext = [min(range(len(xy)), key=lambda i: xy[i][k] * sign) for k in (0, 1) for sign in (1, -1)]
        corners = [list(pts[i]) for i in ext] + [list(INSET_ROOM)]
        xs, ys = zip(*(project(lon, lat) for lon, lat in corners), strict=True)
        feature = {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPoint", "coordinates": corners}}
        _FITS[key] = (feature, (max(ys) - min(ys)) / (max(xs) - min(xs)))
    return _FITS[key]


def frame_point(aspect: float, fx: float, fy: float, pad: float = 0.0) -> tuple[str, str]:
    """Pixel position (Vega expressions) of the point at fractions (fx, fy) of the main frame, moved by pad. The
    frame is as wide as the view allows at its aspect ratio, centred, at the top."""
    mw, mh = f"min(width, height / {aspect:.6f})", f"min(height, width * {aspect:.6f})"
    return f"(width - {mw}) / 2 + {mw} * {fx} + {pad}", f"{mh} * {fy} + {pad}"


def frame_box(aspect: float, fractions: tuple[float, float, float, float], pad: float = 0.0) -> dict:
    x0, y0 = frame_point(aspect, fractions[0], fractions[1], pad)
    x1, y1 = frame_point(aspect, fractions[2], fractions[3], -pad)
    return {"expr": f"[[{x0}, {y0}], [{x1}, {y1}]]"}


def inset_frame(aspect: float, box: tuple[float, float, float, float]) -> tuple[alt.Chart, alt.Chart]:
    """The inset's white box with its border, and its caption (南海诸岛) in the lower right corner: two layers to
    put between the main frame's layers and the inset's."""
    (fx0, fy0), (fx1, fy1) = frame_point(aspect, *box[:2], 1), frame_point(aspect, *box[2:], -1)
    pos = {"x": alt.XValue(alt.ExprRef(fx0)), "x2": alt.X2Value(alt.ExprRef(fx1)),
           "y": alt.YValue(alt.ExprRef(fy0)), "y2": alt.Y2Value(alt.ExprRef(fy1))}
    one = alt.InlineData(values=[{"inset": 1}])
    frame = alt.Chart(one).mark_rect(fill="white", stroke="#555555", strokeWidth=0.8).encode(**pos)
    tx, ty = frame_point(aspect, *box[2:], -4)
    caption = alt.Chart(one).mark_text(align="right", baseline="bottom", fontSize=10, color="#333333",
                                       lineBreak="\n").encode(
        x=alt.XValue(alt.ExprRef(tx)), y=alt.YValue(alt.ExprRef(ty)), text=alt.TextValue(t("map.inset")))
    return frame, caption


def projections(topo: dict) -> tuple[dict, dict]:
    """The main frame's and the inset's projections (Vega-Lite projection objects)."""
    feature, aspect = main_fit(topo)
    x0, y0, x1, y1 = INSET_EXTENT
    inset = [[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) / 2, y0]]  # the southern edge bulges
    main = {**PROJECTION, "fit": feature, "extent": frame_box(aspect, (0, 0, 1, 1), 2),
            "clipExtent": frame_box(aspect, (0, 0, 1, 1))}
    box = {**PROJECTION, "extent": frame_box(aspect, INSET_BOX, 6), "clipExtent": frame_box(aspect, INSET_BOX, 1),
           "fit": {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPoint", "coordinates": inset}}}
    return main, box


# One diverging palette for every difference (map, gain/loss buckets, net positions): ColorBrewer RdBu, red for
# less, white at zero, blue for more. The map interpolates it over [−max|d|, +max|d|]; the five buckets take
# every second colour, so "loses > 5 %" is drawn in the map's red and "gains > 5 %" in its blue.
DIVERGING = ["#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de", "#4393c3",
             "#2166ac", "#053061"]
ZERO_COLOUR = DIVERGING[5]
BUCKET_COLOURS = [DIVERGING[1], DIVERGING[3], ZERO_COLOUR, DIVERGING[7], DIVERGING[9]]  # lose >5% … gain >5%
SEQUENTIAL = "yellowgreenblue"
FLAT_COLOUR = "#41b6c4"  # the middle of yellowgreenblue: a map whose values are all equal


def diverging_scale(bound: float) -> alt.Scale:
    """The diverging palette spread evenly over [−bound, +bound] (piecewise linear), 0 at its white centre."""
    n = len(DIVERGING) - 1
    return alt.Scale(domain=[-bound + 2 * bound * i / n for i in range(n + 1)], range=DIVERGING, clamp=True)


TOPO_NAME = "china_provinces_topo"
SEA_NAME = "china_maritime_line"


def _topo_data():
    # named data: the 91 kB TopoJSON goes into the spec's top-level ``datasets`` unvalidated (validating it as
    # Altair inline data takes ~0.4 s per chart)
    return alt.NamedData(name=TOPO_NAME, format=alt.DataFormat(type="topojson", feature="provinces"))


def map_colour(values: pd.Series, value_title: str, fmt: str, diverging: bool, scheme: str = SEQUENTIAL):
    """The colour encoding of a choropleth, and whether its range has zero width. Values all equal (all 0 for a
    difference: nothing changed) would give an empty gradient legend; they get one colour and a one-entry legend
    saying so ("无变化 / no change", or "all = value")."""
    v = pd.to_numeric(values, errors="coerce").astype(float).dropna()
    if len(v) and float(v.min()) == float(v.max()):
        level = float(v.iloc[0])
        if diverging and level == 0:
            word, colour = t("map.no_change"), ZERO_COLOUR
        else:
            word = t("map.all_equal", value=format(level, fmt.replace("~", "")))
            colour = (DIVERGING[9] if level > 0 else DIVERGING[1]) if diverging else FLAT_COLOUR
        legend = alt.Legend(orient="bottom-left", symbolType="square", symbolSize=200, symbolStrokeColor="#888888",
                            symbolStrokeWidth=0.8, labelLimit=300)
        return alt.Color("flat:N", title=value_title, scale=alt.Scale(domain=[word], range=[colour]),
                         legend=legend), word
    if diverging:
        bound = float(v.abs().max()) if len(v) else 1.0
        scale = diverging_scale(bound)
    else:
        scale = alt.Scale(scheme=scheme)
    return alt.Color("value:Q", title=value_title, scale=scale, legend=alt.Legend(
        format=fmt, orient="bottom-left", gradientLength=110, offset=4, padding=22, labelLimit=120)), None


def choropleth(values: pd.DataFrame, value_title: str, shapes: tuple[dict, dict], fmt: str = ",.0f",
               diverging: bool = False, scheme: str = SEQUENTIAL, title: str = "", height: int = MAP_HEIGHT) -> dict:
    """The map spec (see :func:`_choropleth`), built once per input and language and kept (``st.cache_data``):
    building and validating the layered spec takes 0.1–0.4 s, a page switch to a map page would pay it every
    time. The shapes (TopoJSON, sea line) are attached after the cache, by reference."""
    spec = _choropleth_cached(values, value_title, shapes, fmt, diverging, scheme, title, height, i18n.lang())
    topo, maritime = shapes
    return {**spec, "datasets": {**spec.get("datasets", {}), TOPO_NAME: topo, SEA_NAME: [maritime]}}


@st.cache_data(show_spinner=False, max_entries=64)
def _choropleth_cached(values: pd.DataFrame, value_title: str, _shapes: tuple[dict, dict], fmt: str,
                       diverging: bool, scheme: str, title: str, height: int, lang_: str) -> dict:
    """``lang_`` keys the cache (the spec's titles and tooltips are in the reader's language); the shapes are
    the same for every call (map_shapes(), loaded once) and not hashed."""
    return _choropleth(values, value_title, _shapes, fmt, diverging, scheme, title, height)


def _choropleth(values: pd.DataFrame, value_title: str, shapes: tuple[dict, dict], fmt: str = ",.0f",
                diverging: bool = False, scheme: str = SEQUENTIAL, title: str = "", height: int = MAP_HEIGHT) -> dict:
    """A schematic province map (示意图) as a Vega-Lite spec built with Altair (draw with st.vega_lite_chart):
    ``values`` has columns adcode, value, label (display name).

    All 34 features are drawn (Taiwan, Hong Kong and Macao in grey where the data has no value) and the South
    China Sea line on top, in the main frame and again in the 南海诸岛 inset. ``diverging`` spreads the shared
    red–white–blue palette over ±max|value| (for differences); a zero-width range has a one-colour legend."""
    topo, maritime = shapes
    df = values[["adcode", "value", "label"]].copy()
    df["adcode"] = df["adcode"].astype(str)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    colour, flat = map_colour(df["value"], value_title, fmt, diverging, scheme)
    if flat is not None:
        df["flat"] = flat

    def view(projection: dict) -> list:
        base = alt.Chart(_topo_data()).mark_geoshape(fill=NO_DATA, stroke="white", strokeWidth=0.6).encode(
            tooltip=[alt.Tooltip("properties.name:N", title=t("map.region")),
                     alt.Tooltip("nodata:N", title=" ")]
        ).transform_calculate(nodata=f"'{t('map.no_data')}'").project(**projection)
        fields = ["value", "label"] + (["flat"] if flat is not None else [])
        layer = alt.Chart(_topo_data()).mark_geoshape(
            stroke="#bbbbbb" if flat is not None else "white", strokeWidth=0.6).encode(
            color=colour,
            tooltip=[alt.Tooltip("label:N", title=t("map.region")),
                     alt.Tooltip("value:Q", title=value_title, format=fmt)],
        ).transform_lookup(
            lookup="properties.adcode", from_=alt.LookupData(data=df, key="adcode", fields=fields)
        ).transform_filter("isValid(datum.value)").project(**projection)
        line = alt.Chart(alt.NamedData(name=SEA_NAME)).mark_geoshape(
            filled=False, stroke="#555555", strokeWidth=1.0, strokeDash=[4, 3]).project(**projection)
        return [base, layer, line]

    main, inset = projections(topo)
    frame, caption = inset_frame(main_fit(topo)[1], INSET_BOX)
    chart = alt.layer(*view(main), frame, *view(inset), caption).properties(
        width=MAP_WIDTH, height=height,
        title=alt.TitleParams(title or value_title, subtitle=[t("map.schematic"), t("map.attribution")],
                              anchor="start", fontSize=14, subtitleFontSize=11))
    return chart.to_dict()  # the shapes are attached by choropleth()


def ranked_bars(df: pd.DataFrame, value_title: str, fmt: str = ",.0f", color: str | None = None,
                height_per_row: int = 21) -> alt.Chart:
    """Horizontal bars, largest first: df has label, value and optionally adcode and the ``color`` column. Labels
    that repeat (county names such as 城关区 recur across provinces) get their code, so that no two bars merge."""
    df = unique_labels(df)
    enc = {
        "y": alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=160)),
        "x": alt.X("value:Q", title=value_title, axis=alt.Axis(format=fmt)),
        "tooltip": [alt.Tooltip("label:N", title=t("map.region")),
                    alt.Tooltip("value:Q", title=value_title, format=fmt)],
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=t("chart.binding"))
        enc["tooltip"].append(alt.Tooltip(f"{color}:N", title=t("chart.binding")))
    return alt.Chart(df).mark_bar().encode(**enc).properties(height=max(200, height_per_row * len(df)))


def unique_labels(df: pd.DataFrame) -> pd.DataFrame:
    """``label`` made unique per region: a label shared by two or more codes gets the code, "城关区 (620102)" (a
    region repeated in long form — one row per scenario — keeps its label)."""
    if "adcode" not in df or not len(df):
        return df
    codes = df["adcode"].astype(str)
    per = codes.groupby(df["label"].to_numpy()).nunique()
    clash = df["label"].isin(set(per[per > 1].index))
    if not clash.any():
        return df
    return df.assign(label=df["label"].where(~clash, df["label"].astype(str) + " (" + codes + ")"))


# Streamlit draws charts with autosize "fit" (contains: padding): the height given is the whole chart's, axis and
# its title included, so charts sized by their number of rows add this much for the x axis
AXIS_ROOM = 60

TOP_N = 30
ALL_UP_TO = 34  # province scale (31 provinces, or 34 units with 兵团 and separately listed cities) is shown whole


def top(df: pd.DataFrame, show_all: bool, n: int = TOP_N) -> pd.DataFrame:
    """The ``n`` largest rows by value unless all are asked for or the table is at province scale (ranked bars
    of 2,800 counties are unreadable)."""
    return df if show_all or len(df) <= ALL_UP_TO else df.nlargest(n, "value")


def grouped_bars(df: pd.DataFrame, value_title: str, fmt: str = ",.0f") -> alt.Chart:
    """Per-region bars side by side, one per scenario (df: label, scenario, value, optionally adcode)."""
    df = unique_labels(df)
    order = list(dict.fromkeys(df["scenario"]))
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=None),
        x=alt.X("value:Q", title=value_title, axis=alt.Axis(format=fmt)),
        yOffset=alt.YOffset("scenario:N", sort=order),
        color=alt.Color("scenario:N", title=t("chart.scenario"), sort=order, legend=alt.Legend(orient="top",
                                                                                               labelLimit=600)),
        tooltip=[alt.Tooltip("label:N", title=t("map.region")), alt.Tooltip("scenario:N", title=t("chart.scenario")),
                 alt.Tooltip("value:Q", title=value_title, format=fmt)],
    ).properties(height=max(300, 9 * len(df)))


def waterfall(steps: pd.DataFrame, value_title: str, fmt: str = ",.0f", unit: str = "") -> alt.Chart:
    """Steps (label, amount, kind: 'component' | 'adjustment' | 'total'), one horizontal bar each from the running
    level, top to bottom in the given order: the step's name on the axis (never hidden or cut) and its amount
    written beside the bar with its sign and ``unit`` (adjustments as +/−, components and the total as they are)."""
    df = steps.reset_index(drop=True).copy()
    level, starts, ends = 0.0, [], []
    for amount, kind in zip(df["amount"], df["kind"], strict=True):
        if kind == "total":
            starts.append(0.0)
            ends.append(float(amount))
            level = float(amount)
        else:
            starts.append(level)
            level += float(amount)
            ends.append(level)
    df["start"], df["end"], df["order"] = starts, ends, range(len(df))
    df["right"] = df[["start", "end"]].max(axis=1)
    # whole amounts as whole numbers; a fractional step (rounding to whole units moves < 1) with 2 decimals
    number = df["amount"].map(lambda v: format(float(v), fmt if float(v) == round(float(v)) else ",.2f"))
    lo, hi = min(0.0, float(df[["start", "end"]].min().min())), max(0.0, float(df["right"].max()))
    sign = [("+" if v > 0 else "±" if v == 0 else "") if k == "adjustment" else "" for v, k in
            zip(df["amount"], df["kind"], strict=True)]
    df["text"] = [f"{s_}{n}" + (f" {unit}" if unit else "") for s_, n in zip(sign, number, strict=True)]
    y = alt.Y("label:N", sort=alt.SortField("order"), title=None,
              axis=alt.Axis(labelOverlap=False, labelLimit=260, labelFontSize=12))
    bars = alt.Chart(df).mark_bar(height=18).encode(
        y=y, x=alt.X("start:Q", title=value_title, axis=alt.Axis(format=fmt),
                             scale=alt.Scale(domain=[lo, hi + 0.45 * (hi - lo or 1.0)])), x2="end:Q",
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["component", "adjustment", "total"],
                                                              range=["#4c78a8", "#f58518", "#54a24b"]),
                        legend=alt.Legend(orient="top", labelExpr=(
                            f"datum.label == 'component' ? '{t('wf.component')}' : "
                            f"datum.label == 'adjustment' ? '{t('wf.adjustment')}' : '{t('wf.total')}'"))),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("text:N", title=value_title)],
    )
    text = alt.Chart(df).mark_text(align="left", dx=4, fontSize=11, color="#333333").encode(
        y=y, x="right:Q", text="text:N")
    return (bars + text).properties(height=34 * len(df) + AXIS_ROOM + 30)


def lines(df: pd.DataFrame, x: str, x_title: str, value_title: str, series: str | None = None,
          fmt: str = ",.0f") -> alt.Chart:
    """Values over years (one line per ``series``). With a single year a line has nothing to join: the series are
    drawn as labelled bars side by side, the year named in the axis title."""
    if df[x].nunique() == 1:
        only = df[x].iloc[0]
        cat = series or x
        order = list(dict.fromkeys(df[cat].astype(str)))
        d = df.assign(**{cat: df[cat].astype(str)})
        enc_x = alt.X(f"{cat}:N", sort=order, title=f"{x_title} {only}",
                      axis=alt.Axis(labelAngle=0, labelLimit=220, labelOverlap=False))
        bar = alt.Chart(d).mark_bar(size=36).encode(
            x=enc_x, y=alt.Y("value:Q", title=value_title, axis=alt.Axis(format=fmt)),
            color=alt.Color(f"{cat}:N", sort=order, title=None, legend=None),
            tooltip=[alt.Tooltip(f"{cat}:N", title=" "), alt.Tooltip(f"{x}:O", title=x_title),
                     alt.Tooltip("value:Q", title=value_title, format=fmt)])
        text = alt.Chart(d).mark_text(dy=-7, fontSize=11, color="#333333").encode(
            x=alt.X(f"{cat}:N", sort=order), y="value:Q", text=alt.Text("value:Q", format=fmt))
        return (bar + text).properties(height=280)
    enc = {"x": alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
           "y": alt.Y("value:Q", title=value_title, axis=alt.Axis(format=fmt)),
           "tooltip": [alt.Tooltip(f"{x}:O", title=x_title), alt.Tooltip("value:Q", title=value_title, format=fmt)]}
    if series:
        enc["color"] = alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="top", labelLimit=600))
        enc["tooltip"].append(alt.Tooltip(f"{series}:N", title=" "))
    return alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=60)).encode(**enc).properties(height=280)


def gain_loss(df: pd.DataFrame, value_title: str) -> alt.Chart:
    """Regions per winners/losers bucket (df: bucket — the five labels in order from the largest loss to the
    largest gain —, value = number of regions): horizontal bars, the bucket names on the axis (no overlap at any
    width) and the count beside each bar, coloured from the map's diverging palette (BUCKET_COLOURS)."""
    d = df.reset_index(drop=True).copy()
    order = list(d["bucket"])
    y = alt.Y("bucket:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220, labelFontSize=12))
    bar = alt.Chart(d).mark_bar(stroke="#999999", strokeWidth=0.5, height=20).encode(
        y=y, x=alt.X("value:Q", title=value_title, axis=alt.Axis(format="d", tickMinStep=1),
                     scale=alt.Scale(domain=[0, max(1, int(d["value"].max() or 0)) * 1.15])),
        color=alt.Color("bucket:N", sort=order, scale=alt.Scale(domain=order, range=BUCKET_COLOURS[:len(order)]),
                        legend=None),
        tooltip=[alt.Tooltip("bucket:N", title=" "), alt.Tooltip("value:Q", title=value_title)])
    text = alt.Chart(d).mark_text(align="left", dx=4, fontSize=12, color="#333333").encode(
        y=y, x="value:Q", text=alt.Text("value:Q", format="d"))
    return (bar + text).properties(height=32 * len(d) + AXIS_ROOM)


def bars(df: pd.DataFrame, x: str, x_title: str, value_title: str, fmt: str = ",.0f", color: str | None = None,
         sort=None) -> alt.Chart:
    enc = {"x": alt.X(f"{x}:N", title=x_title, sort=sort, axis=alt.Axis(labelAngle=0, labelLimit=200,
                                                                          labelOverlap=False)),
           "y": alt.Y("value:Q", title=value_title, axis=alt.Axis(format=fmt)),
           "tooltip": [alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip("value:Q", title=value_title, format=fmt)]}
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None, legend=None)
    return alt.Chart(df).mark_bar().encode(**enc).properties(height=260)


def weight_shares(df: pd.DataFrame) -> alt.Chart:
    """Normalised weights (label, share): one bar per weight with its share written beside it, what the sliders
    mean relative to each other."""
    d = df[["label", "share"]].reset_index(drop=True).copy()
    d["share"] = d["share"].astype(float)
    order = list(d["label"])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    bar = alt.Chart(d).mark_bar(color="#4c78a8").encode(
        y=y, x=alt.X("share:Q", title=t("alloc.weight_share"), scale=alt.Scale(domain=[0, 1]),
                     axis=alt.Axis(format=".0%")),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("share:Q", format=".1%", title=t("alloc.weight_share"))])
    text = bar.mark_text(align="left", dx=4, fontSize=11, color="#333").encode(text=alt.Text("share:Q", format=".0%"))
    return (bar + text).properties(height=24 * len(d))


def flow(settlement: pd.DataFrame, value_title: str, fmt: str = ",.0f") -> alt.Chart:
    """Settlement as a flow chart: payers on the left, payees on the right, one arrow per transfer whose width
    follows the amount (settlement columns from_name, to_name, amount)."""
    s = settlement.reset_index(drop=True)
    payers = list(dict.fromkeys(s["from_name"]))
    payees = list(dict.fromkeys(s["to_name"]))
    ypay = {n: i for i, n in enumerate(payers)}
    yrec = {n: i * (max(len(payers), 1) - 1) / max(len(payees) - 1, 1) if len(payees) > 1 else
            (len(payers) - 1) / 2 for i, n in enumerate(payees)}
    edges = pd.DataFrame({"from": s["from_name"], "to": s["to_name"], "amount": s["amount"].astype(float),
                          "x": 0.0, "x2": 1.0, "y": s["from_name"].map(ypay).astype(float),
                          "y2": s["to_name"].map(yrec).astype(float)})
    nodes = pd.concat([pd.DataFrame({"name": payers, "x": 0.0, "y": [ypay[n] for n in payers], "side": "payer"}),
                       pd.DataFrame({"name": payees, "x": 1.0, "y": [yrec[n] for n in payees], "side": "payee"})],
                      ignore_index=True)
    xs = alt.Scale(domain=[-0.45, 1.45])
    ys = alt.Scale(domain=[-0.6, max(len(payers), len(payees)) - 0.4], reverse=True)
    rule = alt.Chart(edges).mark_rule(color="#4c78a8", opacity=0.6).encode(
        x=alt.X("x:Q", scale=xs, axis=None), x2="x2:Q", y=alt.Y("y:Q", scale=ys, axis=None), y2="y2:Q",
        strokeWidth=alt.StrokeWidth("amount:Q", scale=alt.Scale(range=[1.5, 14]), legend=None),
        tooltip=[alt.Tooltip("from:N", title=t("h.payer")), alt.Tooltip("to:N", title=t("h.payee")),
                 alt.Tooltip("amount:Q", title=value_title, format=fmt)])
    label = alt.Chart(edges).mark_text(dy=-6, fontSize=11).encode(
        x=alt.X("mid_x:Q", scale=xs), y=alt.Y("mid_y:Q", scale=ys), text=alt.Text("amount:Q", format=fmt)
    ).transform_calculate(mid_x="(datum.x + datum.x2) / 2", mid_y="(datum.y + datum.y2) / 2")
    arrow = alt.Chart(edges).mark_point(shape="triangle-right", filled=True, size=120, color="#4c78a8").encode(
        x=alt.X("x2:Q", scale=xs), y=alt.Y("y2:Q", scale=ys))
    dots = alt.Chart(nodes).mark_circle(size=160).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys),
        color=alt.Color("side:N", scale=alt.Scale(domain=["payer", "payee"], range=["#e45756", "#54a24b"]),
                        legend=alt.Legend(title=None, orient="top", labelExpr=(
                            f"datum.label == 'payer' ? '{t('h.payer')}' : '{t('h.payee')}'"))))
    names_left = alt.Chart(nodes[nodes["side"] == "payer"]).mark_text(align="right", dx=-12, fontSize=12).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), text="name:N")
    names_right = alt.Chart(nodes[nodes["side"] == "payee"]).mark_text(align="left", dx=12, fontSize=12).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), text="name:N")
    return alt.layer(rule, arrow, label, dots, names_left, names_right).properties(
        height=max(160, 60 * max(len(payers), len(payees))))


def ranges(df: pd.DataFrame, value_title: str, fmt: str = ",.0f") -> alt.Chart:
    """Per-region ranges from a sweep (label, min, p25, median, p75, max): whisker min–max, box p25–p75."""
    y = alt.Y("label:N", sort=alt.SortField("median", order="descending"), title=None,
              axis=alt.Axis(labelOverlap=False, labelLimit=200, labelFontSize=11))
    tip = [alt.Tooltip("label:N", title=t("map.region"))] + [
        alt.Tooltip(f"{c}:Q", format=fmt, title=t("col." + c)) for c in ("min", "p25", "median", "p75", "max")]
    whisker = alt.Chart(df).mark_rule(color="#888").encode(
        y=y, x=alt.X("min:Q", title=value_title, axis=alt.Axis(format=fmt)), x2="max:Q", tooltip=tip)
    box = alt.Chart(df).mark_bar(height=9, color="#4c78a8").encode(y=y, x="p25:Q", x2="p75:Q", tooltip=tip)
    mid = alt.Chart(df).mark_tick(color="white", thickness=2, size=9).encode(y=y, x="median:Q", tooltip=tip)
    return (whisker + box + mid).properties(height=max(220, 20 * len(df) + AXIS_ROOM))


def influence(df: pd.DataFrame, share_title: str, moved_title: str) -> alt.Chart:
    """Which inputs move the amounts (df: label, variance_share, regions_most_moved): one bar per input, largest
    first, its name on the axis and its share written beside the bar."""
    d = df.reset_index(drop=True).copy()
    d["variance_share"] = pd.to_numeric(d["variance_share"], errors="coerce").astype(float)
    y = alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=260, labelFontSize=12))
    bar = alt.Chart(d).mark_bar(color="#4c78a8", height=18).encode(
        y=y, x=alt.X("variance_share:Q", title=share_title, axis=alt.Axis(format="%"),
                     scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("variance_share:Q", format=".1%", title=share_title),
                 alt.Tooltip("regions_most_moved:Q", title=moved_title)])
    text = alt.Chart(d).mark_text(align="left", dx=4, fontSize=11, color="#333333").encode(
        y=y, x="variance_share:Q", text=alt.Text("variance_share:Q", format=".1%"))
    return (bar + text).properties(height=34 * len(d) + AXIS_ROOM)
