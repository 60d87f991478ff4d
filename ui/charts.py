"""Altair charts of the front end. Chart functions only lay out what the core computed (positions of bars and
arrows); they compute no amount. Every chart's data is also offered as CSV beside it."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .i18n import t

MAP_WIDTH = 640
MAP_HEIGHT = 520
PROJECTION = {"type": "conicEqualArea", "rotate": [-105, 0, 0], "parallels": [25, 47]}
NO_DATA = "#e6e6e6"


TOPO_NAME = "china_provinces_topo"
SEA_NAME = "china_maritime_line"


def _topo_data():
    # named data: the 91 kB TopoJSON goes into the spec's top-level ``datasets`` unvalidated (validating it as
    # Altair inline data takes ~0.4 s per chart)
    return alt.NamedData(name=TOPO_NAME, format=alt.DataFormat(type="topojson", feature="provinces"))


def choropleth(values: pd.DataFrame, value_title: str, shapes: tuple[dict, dict], fmt: str = ",.0f",
               diverging: bool = False, scheme: str = "yellowgreenblue", title: str = "") -> dict:
    """A schematic province map (示意图) as a Vega-Lite spec built with Altair (draw with st.vega_lite_chart):
    ``values`` has columns adcode, value, label (display name).

    All 34 features are drawn (Taiwan, Hong Kong and Macao in grey where the data has no value) and the South
    China Sea line on top. ``diverging`` centres a red–blue scale at zero (for differences)."""
    topo, maritime = shapes
    df = values[["adcode", "value", "label"]].copy()
    df["adcode"] = df["adcode"].astype(str)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    base = alt.Chart(_topo_data()).mark_geoshape(fill=NO_DATA, stroke="white", strokeWidth=0.6).encode(
        tooltip=[alt.Tooltip("properties.name:N", title=t("map.region")),
                 alt.Tooltip("nodata:N", title=" ")]
    ).transform_calculate(nodata=f"'{t('map.no_data')}'").project(**PROJECTION)
    if diverging:
        bound = float(df["value"].abs().max() or 1.0)
        scale = alt.Scale(scheme="redblue", domain=[-bound, bound], domainMid=0)
    else:
        scale = alt.Scale(scheme=scheme)
    layer = alt.Chart(_topo_data()).mark_geoshape(stroke="white", strokeWidth=0.6).encode(
        color=alt.Color("value:Q", title=value_title, scale=scale, legend=alt.Legend(format=fmt, orient="left")),
        tooltip=[alt.Tooltip("label:N", title=t("map.region")),
                 alt.Tooltip("value:Q", title=value_title, format=fmt)],
    ).transform_lookup(
        lookup="properties.adcode", from_=alt.LookupData(data=df, key="adcode", fields=["value", "label"])
    ).transform_filter("isValid(datum.value)").project(**PROJECTION)
    line = alt.Chart(alt.NamedData(name=SEA_NAME)).mark_geoshape(
        filled=False, stroke="#555555", strokeWidth=1.0, strokeDash=[4, 3]).project(**PROJECTION)
    chart = alt.layer(base, layer, line).properties(
        width=MAP_WIDTH, height=MAP_HEIGHT,
        title=alt.TitleParams(title or value_title, subtitle=[t("map.schematic"), t("map.attribution")],
                              anchor="start", fontSize=14, subtitleFontSize=11))
    spec = chart.to_dict()
    spec.setdefault("datasets", {}).update({TOPO_NAME: topo, SEA_NAME: [maritime]})
    return spec


def ranked_bars(df: pd.DataFrame, value_title: str, fmt: str = ",.0f", color: str | None = None,
                height_per_row: int = 21) -> alt.Chart:
    """Horizontal bars, largest first: df has label, value and optionally the ``color`` column."""
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


TOP_N = 30
ALL_UP_TO = 34  # province scale (31 provinces, or 34 units with 兵团 and separately listed cities) is shown whole


def top(df: pd.DataFrame, show_all: bool, n: int = TOP_N) -> pd.DataFrame:
    """The ``n`` largest rows by value unless all are asked for or the table is at province scale (ranked bars
    of 2,800 counties are unreadable)."""
    return df if show_all or len(df) <= ALL_UP_TO else df.nlargest(n, "value")


def grouped_bars(df: pd.DataFrame, value_title: str, fmt: str = ",.0f") -> alt.Chart:
    """Per-region bars side by side, one per scenario (df: label, scenario, value)."""
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


def waterfall(steps: pd.DataFrame, value_title: str, fmt: str = ",.0f") -> alt.Chart:
    """Steps (label, amount, kind: 'component' | 'adjustment' | 'total'): bars from the running level."""
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
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("label:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelAngle=0, labelLimit=160)),
        y=alt.Y("start:Q", title=value_title, axis=alt.Axis(format=fmt)), y2="end:Q",
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["component", "adjustment", "total"],
                                                              range=["#4c78a8", "#f58518", "#54a24b"]),
                        legend=alt.Legend(labelExpr=f"datum.label == 'component' ? '{t('wf.component')}' : "
                                                    f"datum.label == 'adjustment' ? '{t('wf.adjustment')}' : "
                                                    f"'{t('wf.total')}'")),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("amount:Q", title=value_title, format=fmt)],
    )
    text = alt.Chart(df).mark_text(dy=-8).encode(
        x=alt.X("label:N", sort=alt.SortField("order")), y="end:Q", text=alt.Text("amount:Q", format=fmt))
    return (bars + text).properties(height=320)


def lines(df: pd.DataFrame, x: str, x_title: str, value_title: str, series: str | None = None,
          fmt: str = ",.0f") -> alt.Chart:
    enc = {"x": alt.X(f"{x}:O", title=x_title), "y": alt.Y("value:Q", title=value_title, axis=alt.Axis(format=fmt)),
           "tooltip": [alt.Tooltip(f"{x}:O", title=x_title), alt.Tooltip("value:Q", title=value_title, format=fmt)]}
    if series:
        enc["color"] = alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="top", labelLimit=600))
        enc["tooltip"].append(alt.Tooltip(f"{series}:N", title=" "))
    return alt.Chart(df).mark_line(point=True).encode(**enc).properties(height=280)


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
    y = alt.Y("label:N", sort=alt.SortField("median", order="descending"), title=None)
    tip = [alt.Tooltip("label:N", title=t("map.region"))] + [
        alt.Tooltip(f"{c}:Q", format=fmt, title=c) for c in ("min", "p25", "median", "p75", "max")]
    whisker = alt.Chart(df).mark_rule(color="#888").encode(
        y=y, x=alt.X("min:Q", title=value_title, axis=alt.Axis(format=fmt)), x2="max:Q", tooltip=tip)
    box = alt.Chart(df).mark_bar(height=9, color="#4c78a8").encode(y=y, x="p25:Q", x2="p75:Q", tooltip=tip)
    mid = alt.Chart(df).mark_tick(color="white", thickness=2, size=9).encode(y=y, x="median:Q", tooltip=tip)
    return (whisker + box + mid).properties(height=max(220, 16 * len(df)))
