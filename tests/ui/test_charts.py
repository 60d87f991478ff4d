"""Charts that work (issue #12): the Vega-Lite specs themselves are checked — encodings, label fields, legend
domains, projections, number of labelled marks — not only that a page renders. Chart functions are called
directly (no page run) except where the page decides what is drawn (county data, sensitivity labels)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ok, page

from compensation.compare import BUCKETS
from compensation.data import DEFAULT_REGIONS, MAP_TOPOJSON, MARITIME_GEOJSON
from ui import charts
from ui.i18n import S
from ui.state import Keys


@pytest.fixture(scope="module")
def shapes():
    return (json.loads(MAP_TOPOJSON.read_text(encoding="utf-8")),
            json.loads(MARITIME_GEOJSON.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def provinces():
    r = pd.read_csv(DEFAULT_REGIONS, dtype={"adcode": str})
    return pd.DataFrame({"adcode": r["adcode"], "label": r["name_zh"]})


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setattr("ui.i18n.lang", lambda: "en")


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def page_chart_data(element, name: str) -> pd.DataFrame:
    """A named dataset of a chart on a page (Streamlit sends the data as Arrow beside the spec)."""
    import pyarrow as pa

    data = {d.name: d for d in element.proto.datasets}[name]
    return pa.ipc.open_stream(data.data.data).read_pandas()


def colour_layers(spec: dict) -> list[dict]:
    return [lay for lay in layers(spec) if "color" in lay.get("encoding", {})]


def fractions(topo, lon, lat):
    """(x, y) of a point as fractions of the main frame (0..1 inside it), from the frame's fit points."""
    feature, _ = charts.main_fit(topo)
    xy = [charts.project(*p) for p in feature["geometry"]["coordinates"]]
    x0, x1 = min(p[0] for p in xy), max(p[0] for p in xy)
    y0, y1 = min(p[1] for p in xy), max(p[1] for p in xy)
    x, y = charts.project(lon, lat)
    return (x - x0) / (x1 - x0), (y - y0) / (y1 - y0)


# --- the map: 南海诸岛 inset, China filling the frame -------------------------------------------------------------

def test_projection_formula_matches_d3_conic_equal_area():
    # reference values from d3-geo 3 itself (the projection Vega draws with), scale 1, translate 0:
    # d3.geoConicEqualArea().parallels([25, 47]).rotate([-105, 0]).scale(1).translate([0, 0])(p)
    d3 = {(105, 0): (0.0, 0.5646117594536106), (120, 30): (0.2231517158806906, 0.04767028172822818),
          (90, 30): (-0.22315171588069097, 0.04767028172822796), (134.8, 47.7): (0.345806304146046, -0.30084719414471484),
          (73.5, 39.5): (-0.40995771895283367, -0.16964327526207734)}
    # by hand: n = (sin 25° + sin 47°)/2 = (0.422618 + 0.731354)/2 = 0.576986
    assert (math.sin(math.radians(25)) + math.sin(math.radians(47))) / 2 == pytest.approx(0.576986, abs=1e-6)
    shift = {charts.project(*p)[1] - y for p, (_, y) in d3.items()}
    for p, (x, _) in d3.items():
        assert charts.project(*p)[0] == pytest.approx(x, abs=1e-12)
    assert max(shift) - min(shift) < 1e-12  # y equal up to one translation (which the fit sets)


def test_main_frame_is_fitted_to_china_without_the_south_china_sea(shapes):
    topo, _ = shapes
    feature, aspect = charts.main_fit(topo)
    pts = feature["geometry"]["coordinates"]
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    # the extreme points of the shapes: 新疆's west (~73.5°E), 黑龙江's east (~134.8°E), 漠河 (~53.6°N), 海南's
    # south tip (~18.2°N), and the sea corner that makes room for the inset
    assert min(lons) == pytest.approx(73.5, abs=0.5) and max(lons) <= charts.MAIN_EXTENT[2]
    assert max(lats) == pytest.approx(53.5, abs=0.3)
    assert min(lats) == pytest.approx(18.1, abs=0.2)
    assert list(charts.INSET_ROOM) in pts
    assert 0.6 < aspect < 0.9
    # the islands south of Hainan fall outside the frame (below it), Taiwan and Hainan inside
    assert fractions(topo, 112.3, 16.8)[1] > 1  # 永兴岛 (西沙)
    assert fractions(topo, 112.3, 4.0)[1] > 1  # 曾母暗沙
    for lon, lat in [(121.0, 23.7), (109.8, 19.2), (87.6, 43.8), (126.6, 45.8)]:  # 台湾, 海南, 乌鲁木齐, 哈尔滨
        fx, fy = fractions(topo, lon, lat)
        assert 0 <= fx <= 1 and 0 <= fy <= 1


def test_the_inset_covers_no_land_of_the_main_frame(shapes):
    topo, _ = shapes
    x0, y0, x1, y1 = charts.MAIN_EXTENT
    bx0, by0, _, _ = charts.INSET_BOX
    under = []
    for lon, lat in charts.topo_points(topo):
        if x0 <= lon <= x1 and y0 <= lat <= y1:
            fx, fy = fractions(topo, lon, lat)
            if fx > bx0 and fy > by0:
                under.append((round(lon, 2), round(lat, 2)))
    assert not under, under[:5]


def test_choropleth_has_main_frame_and_boxed_inset_with_the_dashed_line(shapes, provinces):
    spec = charts.choropleth(provinces.assign(value=np.arange(31)), "x", shapes)
    lay = spec["layer"]
    projs = [json.dumps(v["projection"], sort_keys=True) for v in lay if "projection" in v]
    assert len(projs) == 6 and len(set(projs)) == 2  # base, values, dashed line — in each of the two views
    main, inset = (json.loads(p) for p in dict.fromkeys(projs))
    assert main["type"] == inset["type"] == "conicEqualArea"
    for p in (main, inset):
        assert {"fit", "extent", "clipExtent"} <= set(p)
        assert "width" in p["extent"]["expr"] and "height" in p["clipExtent"]["expr"]
    assert main["fit"]["geometry"]["coordinates"] == charts.main_fit(shapes[0])[0]["geometry"]["coordinates"]
    inset_lats = [c[1] for c in inset["fit"]["geometry"]["coordinates"]]
    assert min(inset_lats) < 4 and max(inset_lats) > 20  # 曾母暗沙 (~4°N) up to the Guangdong coast
    sea = [v for v in lay if v.get("data", {}).get("name") == charts.SEA_NAME]
    assert len(sea) == 2 and all(v["mark"]["strokeDash"] for v in sea)  # the dashed line in both views
    frame = [v for v in lay if v.get("mark", {}).get("type") == "rect"]
    assert len(frame) == 1 and frame[0]["mark"]["stroke"]
    text = [v for v in lay if v.get("mark", {}).get("type") == "text"]
    assert [v["encoding"]["text"]["value"] for v in text] == ["南海诸岛"]
    assert {charts.TOPO_NAME, charts.SEA_NAME} <= set(spec["datasets"])


def test_inset_caption_in_english(shapes, provinces, english):
    spec = charts.choropleth(provinces.assign(value=np.arange(31)), "x", shapes)
    assert [v["encoding"]["text"]["value"] for v in spec["layer"] if v.get("mark", {}).get("type") == "text"] == \
        ["South China Sea\nIslands"]


# --- one colour definition for differences; zero-width ranges -------------------------------------------------

def test_difference_map_and_gain_loss_bars_share_the_diverging_palette(shapes, provinces):
    d = provinces.assign(value=np.linspace(-300, 100, 31))
    spec = charts.choropleth(d, "diff", shapes, diverging=True)
    scales = [lay["encoding"]["color"]["scale"] for lay in colour_layers(spec)]
    assert len(scales) == 2  # the value layer of the main frame and of the inset: one scale
    for sc in scales:
        assert sc["range"] == charts.DIVERGING
        assert sc["domain"][0] == -300 and sc["domain"][-1] == 300 and sc["domain"][5] == 0  # white at zero
    bdf = pd.DataFrame({"bucket": [zh for _, zh in BUCKETS], "value": [3, 5, 0, 8, 15]})
    bars = charts.gain_loss(bdf, "地区数").to_dict()
    colour = bars["layer"][0]["encoding"]["color"]["scale"]
    assert colour["domain"] == [zh for _, zh in BUCKETS]
    # losing more than 5 % is the map's red, gaining more than 5 % its blue, unchanged its white centre
    assert colour["range"] == [charts.DIVERGING[1], charts.DIVERGING[3], charts.DIVERGING[5], charts.DIVERGING[7],
                               charts.DIVERGING[9]]
    assert colour["range"][2] == sc["range"][5]


def test_gain_loss_labels_are_on_the_axis_and_every_bar_has_its_count():
    bdf = pd.DataFrame({"bucket": [zh for _, zh in BUCKETS], "value": [13, 5, 0, 8, 5]})
    spec = charts.gain_loss(bdf, "地区数").to_dict()
    bar, text = spec["layer"]
    assert bar["encoding"]["y"]["field"] == "bucket"  # names down the axis: no overlap however narrow
    assert bar["encoding"]["y"]["axis"]["labelOverlap"] is False
    assert bar["encoding"]["y"]["sort"] == [zh for _, zh in BUCKETS]
    assert bar["encoding"]["x"]["scale"]["domain"][0] == 0  # counts: the axis starts at 0, room right for the text
    assert text["mark"]["type"] == "text" and text["encoding"]["text"]["field"] == "value"
    data = next(iter(spec["datasets"].values()))
    assert [r["value"] for r in data] == [13, 5, 0, 8, 5]  # five labelled marks, the empty bucket included


def test_all_zero_difference_has_a_one_colour_no_change_legend(shapes, provinces):
    spec = charts.choropleth(provinces.assign(value=0), "diff", shapes, diverging=True)
    colours = [lay["encoding"]["color"] for lay in colour_layers(spec)]
    for c in colours:
        assert c["type"] == "nominal" and c["field"] == "flat"
        assert c["scale"] == {"domain": ["无变化(全部为 0)"], "range": [charts.ZERO_COLOUR]}
        assert c["legend"]["orient"] == "bottom-left"
    lookup = next(lay for lay in colour_layers(spec))["transform"][0]
    assert "flat" in lookup["from"]["fields"]


def test_equal_values_have_a_one_colour_legend_with_the_value(shapes, provinces, english):
    spec = charts.choropleth(provinces.assign(value=1234.0), "amount", shapes)
    c = colour_layers(spec)[0]["encoding"]["color"]
    assert c["scale"]["domain"] == ["all equal: 1,234"] and c["scale"]["range"] == [charts.FLAT_COLOUR]
    spec = charts.choropleth(provinces.assign(value=0), "diff", shapes, diverging=True)
    assert colour_layers(spec)[0]["encoding"]["color"]["scale"]["domain"] == ["no change (all 0)"]
    # one region differing is a range again: a gradient legend
    spec = charts.choropleth(provinces.assign(value=[0] * 30 + [5]), "diff", shapes, diverging=True)
    c = colour_layers(spec)[0]["encoding"]["color"]
    assert c["type"] == "quantitative" and c["scale"]["domain"][-1] == 5


# --- multi-year chart for one year, waterfall, ranges ----------------------------------------------------------

def test_multi_year_chart_with_one_year_draws_labelled_bars():
    df = pd.DataFrame({"year": [2023] * 3, "scenario": ["baseline_2023", "water", "当前设置"],
                       "value": [10_910_000] * 3})
    spec = charts.lines(df, "year", "年份", "已分配", series="scenario").to_dict()
    bar, text = spec["layer"]
    assert bar["mark"]["type"] == "bar" and bar["encoding"]["x"]["field"] == "scenario"
    assert bar["encoding"]["x"]["title"] == "年份 2023"
    assert text["mark"]["type"] == "text" and text["encoding"]["text"]["field"] == "value"
    # with two years it is a line with points
    two = pd.concat([df, df.assign(year=2024)])
    spec = charts.lines(two, "year", "年份", "已分配", series="scenario").to_dict()
    assert spec["mark"]["type"] == "line" and spec["mark"]["point"]


def test_waterfall_names_every_step_on_the_axis_with_signed_amounts_and_unit():
    steps = pd.DataFrame({"label": ["红线功能加权补助", "约束调整", "取整调整", "最终金额"],
                          "amount": [1_077_715.23, 50_000.0, -0.23, 1_127_715.0],
                          "kind": ["component", "adjustment", "adjustment", "total"]})
    spec = charts.waterfall(steps, "金额 (万元)", unit="万元").to_dict()
    bars, text = spec["layer"]
    y = bars["encoding"]["y"]
    assert y["field"] == "label" and y["axis"]["labelOverlap"] is False and y["axis"]["labelLimit"] >= 200
    assert bars["encoding"]["x"]["title"] == "金额 (万元)"
    data = next(iter(spec["datasets"].values()))
    # worked by hand: the running level 0 → 1,077,715.23 → 1,127,715.23 → 1,127,715.00; the total from 0
    assert [(r["start"], r["end"]) for r in data] == [(0.0, 1_077_715.23), (1_077_715.23, 1_127_715.23),
                                                     (1_127_715.23, 1_127_715.0), (0.0, 1_127_715.0)]
    assert [r["text"] for r in data] == ["1,077,715.23 万元", "+50,000 万元", "-0.23 万元", "1,127,715 万元"]
    assert text["encoding"]["text"]["field"] == "text" and len(data) == 4
    legend = bars["encoding"]["color"]["legend"]["labelExpr"]
    assert "测算组成" in legend and "最终金额" in legend


def test_waterfall_on_the_region_page_in_both_languages():
    for lang, words in (("zh", ["约束调整", "取整调整", "最终金额"]), ("en", ["constraints", "rounding", "final amount"])):
        at = ok(page("region", {Keys.LANG: lang}).run())
        elements = at.get("vega_lite_chart")
        specs = [json.loads(e.proto.spec) for e in elements]
        k = next(i for i, s in enumerate(specs) if any(
            lay.get("mark", {}).get("type") == "bar" and "x2" in lay.get("encoding", {}) for lay in s.get("layer", [])))
        wf = specs[k]
        assert wf["layer"][0]["encoding"]["x"]["title"] == ("金额 (万元)" if lang == "zh" else "amount (万元)")
        assert [lay["encoding"]["y"]["field"] for lay in wf["layer"]] == ["label", "label"]
        data = page_chart_data(elements[k], wf["data"]["name"])
        assert list(data["label"])[1:] == words  # after the method's component(s)
        assert data["text"].str.endswith(" 万元").all()


def test_ranges_label_every_region():
    df = pd.DataFrame({"label": [f"省{i}" for i in range(31)], "min": 1.0, "p25": 2.0, "median": 3.0, "p75": 4.0,
                       "max": 5.0})
    spec = charts.ranges(df, "最终金额").to_dict()
    for lay in spec["layer"]:
        assert lay["encoding"]["y"]["axis"]["labelOverlap"] is False
    assert spec["height"] >= 20 * 31  # ≥ 20 px a row: 31 of 31 labels fit at 11 px


def test_repeated_county_names_get_their_code():
    df = pd.DataFrame({"adcode": ["620102", "630102", "110101"], "label": ["城关区", "城关区", "东城区"],
                       "value": [3, 2, 1]})
    out = charts.unique_labels(df)
    assert list(out["label"]) == ["城关区 (620102)", "城关区 (630102)", "东城区"]
    spec = charts.ranked_bars(df, "x").to_dict()
    assert len({r["label"] for r in next(iter(spec["datasets"].values()))}) == 3


# --- pages: county data on Overview; the sensitivity page's labels -----------------------------------------------

@pytest.fixture(scope="module")
def county_upload(tmp_path_factory):
    from compensation.data import COUNTY_SKELETON, load_regions
    from compensation.synth import generate_counties
    from ui.loading import save_upload

    counties = generate_counties(load_regions(), pd.read_csv(COUNTY_SKELETON, dtype={"adcode": str}), seed=2023)
    path = tmp_path_factory.mktemp("c") / "counties.csv"
    counties.to_csv(path, index=False, encoding="utf-8-sig")
    return save_upload(path.read_bytes(), "县级测试.csv")


def test_overview_with_county_data_maps_the_counties_summed_to_provinces(county_upload):
    import pyarrow as pa

    at = ok(page("overview", {Keys.UPLOAD: county_upload}).run())
    elements = at.get("vega_lite_chart")
    specs = [json.loads(e.proto.spec) for e in elements]
    k = next(i for i, s in enumerate(specs) if "projection" in s["layer"][0])
    lookup = colour_layers(specs[k])[0]["transform"][0]
    assert lookup["lookup"] == "properties.adcode" and lookup["from"]["key"] == "adcode"
    data = {d.name: d for d in elements[k].proto.datasets}[lookup["from"]["data"]["name"]]
    mapped = pa.ipc.open_stream(data.data.data).read_pandas()
    assert any("按省汇总" in c.value for c in at.caption)
    at.toggle(key="ov_show_table").set_value(True).run()
    table = next(d.value for d in at.dataframe if {"adcode", "final"} <= set(d.value.columns))
    assert len(table) == 2848
    sums = table.assign(p=table["adcode"].astype(str).str[:2] + "0000").groupby("p")["final"].sum()
    # the map's values are the counties' amounts summed by province: 31 provinces, none missing (no grey map,
    # no NaN legend), adding up to the pool of 1,091亿元 = 10,910,000 万元
    assert len(mapped) == 31 and mapped["value"].notna().all()
    assert mapped["adcode"].str.fullmatch(r"\d{2}0000").all()
    assert dict(zip(mapped["adcode"], mapped["value"].astype("int64"), strict=True)) == sums.to_dict()
    assert int(mapped["value"].sum()) == 10_910_000
    assert mapped.set_index("adcode").loc["630000", "label"] == "青海省"
    # the ranked bars: the top 30 counties unless "show all"
    bars = next(s for s in specs if s.get("mark", {}).get("type") == "bar" or
                any(lay.get("mark", {}).get("type") == "bar" for lay in s.get("layer", [])))
    assert bars["height"] == max(200, 21 * 30)


def test_by_province_sums_counties_exactly():
    from types import SimpleNamespace

    from compensation.allocation.explain import by_province, is_province_table

    table = pd.DataFrame({"adcode": ["110101", "110102", "120101"], "final": [600, 400, 250]})
    regions = pd.DataFrame({"redline_total_km2": [10.0, 30.0, 0.0], "population_10k": [1.0, 1.0, 2.0]})
    out = by_province(SimpleNamespace(table=table, regions=regions, unit="万元")).set_index("adcode")
    # by hand: 北京 600 + 400 = 1,000 万元 over 40 km² = 25 万元/km², over 20,000 persons = 500 元/人;
    # 天津 250 万元, no red line (NaN), 20,000 persons: 125 元/人
    assert out.loc["110000", "final"] == 1000 and out.loc["110000", "regions"] == 2
    assert out.loc["110000", "per_km2_redline_万元"] == 25.0 and out.loc["110000", "per_capita_yuan"] == 500.0
    assert np.isnan(out.loc["120000", "per_km2_redline_万元"]) and out.loc["120000", "per_capita_yuan"] == 125.0
    assert out["final"].dtype.kind == "i" and int(out["final"].sum()) == 1250
    assert not is_province_table(table) and is_province_table(pd.DataFrame({"adcode": ["110000", "650000"]}))


def test_sensitivity_page_labels_tables_and_axes_in_both_languages():
    for lang in ("zh", "en"):
        at = ok(page("sensitivity", {Keys.LANG: lang}).run())
        i = 0 if lang == "zh" else 1
        summary = next(d for d in at.dataframe if "median" in d.value.columns)
        cfg = json.loads(summary.proto.columns)
        for col in ("adcode", "name_zh", "scenario", "min", "p05", "median", "max", "mean", "std", "at_floor",
                    "rank_changed", "top_input", "top_input_r2"):
            assert cfg[col]["label"] == (S[f"col.{col}"][i] if f"col.{col}" in S else cfg[col]["label"]), col
            assert cfg[col]["label"] != col, col
        specs = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
        rng = specs[0]
        for lay in rng["layer"]:
            assert lay["encoding"]["y"]["field"] == "label" and lay["encoding"]["y"]["axis"]["labelOverlap"] is False
        assert rng["height"] >= 20 * 31
        tips = [tip["title"] for tip in rng["layer"][0]["encoding"]["tooltip"]]
        assert S["col.median"][i] in tips and "median" not in tips
        inf = specs[1]
        assert inf["layer"][0]["encoding"]["x"]["title"] == S["col.variance_share"][i]
        assert inf["layer"][1]["mark"]["type"] == "text"
        assert not any("weights." in c.value for c in at.caption)


def test_sensitivity_with_county_data_draws_the_top_30_unless_all_are_asked_for(county_upload):
    at = page("sensitivity", {Keys.UPLOAD: county_upload})
    at.run(timeout=120)
    ok(at)
    rng = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert rng["height"] == max(220, 20 * 30 + charts.AXIS_ROOM)
    assert any("30" in c.value for c in at.caption)
    at.toggle(key="s_show_all_ranges").set_value(True).run(timeout=120)
    rng = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert rng["height"] == 20 * 2848 + charts.AXIS_ROOM


def test_normalised_weights_draw_one_labelled_bar_per_weight():
    df = pd.DataFrame({"label": ["红线面积因素权重", "水源涵养功能权重", "海岸生态稳定功能权重"], "share": [0.5, 0.3, 0.2]})
    spec = charts.weight_shares(df).to_dict()
    bar, text = spec["layer"]
    assert bar["encoding"]["y"]["field"] == "label" and bar["encoding"]["y"]["sort"] == list(df["label"])
    assert bar["encoding"]["x"]["field"] == "share" and bar["encoding"]["x"]["scale"]["domain"] == [0, 1]
    assert text["mark"]["type"] == "text" and text["encoding"]["text"] == {"field": "share", "format": ".0%",
                                                                          "type": "quantitative"}
    assert [r["share"] for r in next(iter(spec["datasets"].values()))] == [0.5, 0.3, 0.2]


# --- county maps (Province drill-down) ----------------------------------------------------------------------------

def test_county_rings_are_wound_as_d3_draws_them_in_every_province():
    from ui import county_map as cm

    whole = cm.county_shapes()
    provinces = sorted({g["properties"]["province"] for g in whole["objects"]["counties"]["geometries"]})
    assert len(provinces) == 31
    bad_before = counties = 0
    coords_all = [cm._decode(a, whole["transform"]) for a in whole["arcs"]]
    for g in whole["objects"]["counties"]["geometries"]:
        for poly in (g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]):
            bad_before += cm.ring_area(cm._ring(poly[0], coords_all)) >= 0
    assert bad_before == 126  # 125 exterior rings anticlockwise + 1 without area in the shipped file
    for p in provinces:
        topo = cm.province_shapes(p)
        coords = [cm._decode(a, topo["transform"]) for a in topo["arcs"]]
        for obj in topo["objects"].values():
            for g in obj["geometries"]:
                counties += 1
                for poly in g["arcs"]:
                    areas = [cm.ring_area(cm._ring(r, coords)) for r in poly]
                    assert areas[0] < 0 and all(a > 0 for a in areas[1:]), (p, g["properties"]["name"])
    assert counties == 2848  # no county lost


def test_hainan_county_map_puts_xisha_and_nansha_in_an_inset():
    from ui import county_map as cm

    topo = cm.province_shapes("460000")
    far = [g["properties"]["name"] for g in topo["objects"]["far"]["geometries"]]
    assert far == ["西沙区", "南沙区"] and len(topo["objects"]["counties"]["geometries"]) == 24
    main_fit, aspect, inset_fit = cm.county_frames(topo)
    lats = [c[1] for c in main_fit["geometry"]["coordinates"]]
    assert min(lats) == pytest.approx(18.14, abs=0.05) and max(lats) == pytest.approx(20.16, abs=0.05)  # the island
    assert min(c[1] for c in inset_fit["geometry"]["coordinates"]) < 4  # 南沙 down to ~3.8°N
    g = topo["objects"]["counties"]["geometries"] + topo["objects"]["far"]["geometries"]
    values = pd.DataFrame({"adcode": [x["properties"]["adcode"] for x in g], "label": [x["properties"]["name"] for x in g],
                           "value": range(len(g))})
    spec = cm.county_choropleth(values, "460000", "海南")
    lay = spec["layer"]
    projs = {json.dumps(v["projection"], sort_keys=True) for v in lay if "projection" in v}
    assert len(projs) == 2
    assert [v["data"]["name"] for v in lay if "projection" in v] == \
        ["china_counties_topo_460000_counties"] * 2 + ["china_counties_topo_460000_far"] * 2 + [charts.SEA_NAME]
    assert [v["encoding"]["text"]["value"] for v in lay if v.get("mark", {}).get("type") == "text"] == ["南海诸岛"]
    assert spec["height"] == round(560 * aspect) + 20
    # 江西: one view fitted to its counties, nothing else
    spec = cm.county_choropleth(values.iloc[:0], "360000", "江西")
    assert len(spec["layer"]) == 2 and spec["layer"][0]["projection"] == {"type": "mercator"}


def test_compare_with_county_data_maps_the_differences_summed_to_provinces(county_upload):
    state = {Keys.UPLOAD: county_upload, Keys.PERSIST: {Keys.CMP_BASE: "county_2023", Keys.CMP_SCENARIOS: []}}
    at = ok(page("compare", state).run(timeout=180))
    elements = at.get("vega_lite_chart")
    specs = [json.loads(e.proto.spec) for e in elements]
    k = next(i for i, s in enumerate(specs) if "layer" in s and "projection" in s["layer"][0])
    lookup = colour_layers(specs[k])[0]["transform"][0]
    mapped = page_chart_data(elements[k], lookup["from"]["data"]["name"])
    diff = next(d.value for d in at.dataframe if {"adcode", "baseline", "scenario", "difference"} <= set(d.value.columns))
    sums = diff.assign(p=diff["adcode"].astype(str).str[:2] + "0000").groupby("p")["difference"].sum()
    assert len(diff) == 2848 and len(mapped) == 31
    assert dict(zip(mapped["adcode"], mapped["value"].astype("int64"), strict=True)) == sums.to_dict()
    assert int(mapped["value"].sum()) == 0  # the same pool (1,091亿元) in both: money only moves
    assert any("各省所辖县差额之和" in c.value for c in at.caption)


def test_repeated_names_in_long_form_keep_one_label_per_region():
    df = pd.DataFrame({"adcode": ["620102", "630102", "620102", "630102", "110101", "110101"],
                       "label": ["城关区"] * 4 + ["东城区"] * 2, "scenario": ["a", "a", "b", "b", "a", "b"],
                       "value": [1, 2, 3, 4, 5, 6]})
    out = charts.unique_labels(df)
    assert list(out["label"]) == ["城关区 (620102)", "城关区 (630102)"] * 2 + ["东城区"] * 2
    spec = charts.grouped_bars(df, "x").to_dict()
    assert len({r["label"] for r in next(iter(spec["datasets"].values()))}) == 3


def test_compare_multi_year_chart_of_one_year_scenarios_is_labelled_bars():
    for lang, axis in (("zh", "年份 2023"), ("en", "year 2023")):
        at = ok(page("compare", {Keys.LANG: lang}).run())
        specs = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
        multi = specs[-1]  # the last chart of the page: totals over years
        bar, text = multi["layer"]
        assert bar["mark"]["type"] == "bar" and bar["encoding"]["x"]["field"] == "scenario"
        assert bar["encoding"]["x"]["title"] == axis and text["encoding"]["text"]["field"] == "value"


def test_region_history_of_a_one_year_scenario_is_labelled_bars():
    at = page("region").run()
    at.selectbox(key=Keys.REGION_HISTORY).set_value("baseline_2023").run()
    ok(at)
    elements = at.get("vega_lite_chart")
    specs = [json.loads(e.proto.spec) for e in elements]
    k = next(i for i, s in enumerate(specs) if s.get("layer") and s["layer"][0]["encoding"]["x"]["field"] == "series")
    hist = page_chart_data(elements[k], specs[k]["data"]["name"])
    assert list(hist["year"]) == [2023, 2023] and specs[k]["layer"][0]["mark"]["type"] == "bar"
    # the baseline's 2023 amount for 青海 and the current settings' (the defaults: the same scenario) agree
    assert hist["value"].nunique() == 1


def test_english_labels_fall_back_to_chinese_names_where_the_data_have_none(county_upload):
    # synthetic counties have an empty name_en: the English ranked bars must still name every county (an empty
    # label would merge all 30 bars into one)
    at = ok(page("overview", {Keys.UPLOAD: county_upload, Keys.LANG: "en"}).run())
    elements = at.get("vega_lite_chart")
    specs = [json.loads(e.proto.spec) for e in elements]
    k = next(i for i, s in enumerate(specs) if s.get("mark", {}).get("type") == "bar")
    bars = page_chart_data(elements[k], specs[k]["data"]["name"])
    assert len(bars) == 30 and bars["label"].nunique() == 30
    assert bars["label"].str.fullmatch(r"[\u4e00-\u9fff]+").all(), list(bars["label"])  # 双湖县, not "nan (540126)"
    # provinces with English names get them on the sensitivity chart
    at = ok(page("sensitivity", {Keys.LANG: "en"}).run())
    element = at.get("vega_lite_chart")[0]
    spec = json.loads(element.proto.spec)
    labels = set(page_chart_data(element, spec["data"]["name"])["label"])
    assert len(labels) == 31 and "Qinghai" in labels and "青海省" not in labels
