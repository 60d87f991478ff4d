"""Rebuild the embedded default data in data/ from the reference files in ../shared/reference/.

    python data/build_default.py [REFERENCE_DIR]

Writes provinces.csv (the region table), provinces_sources.csv (vintage, status and source document of every
value), the reference tables (province_indicators.csv, kefz_amounts_by_year.csv,
kefz_2020_by_province_partial.csv: one row per value with its year, status and source), counties_skeleton.csv (the county code list used by the synthetic generator) and the schematic map files.
The outputs are committed; this script documents how they were made and is re-run only when the reference
data change. Source documents are cited by title, number and date (not by the mirror addresses in the
reference files)."""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REF = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "reference"

FUNCTIONS = ["water_conservation", "biodiversity", "soil_conservation", "sand_fixation", "coastal"]
REF_FUNCTION = {
    "water_conservation": "km2_water_conservation",
    "biodiversity": "km2_biodiversity",
    "soil_conservation": "km2_soil_water_conservation",
    "sand_fixation": "km2_windbreak_sand_fixation",
    "coastal": "km2_coastal_marine",
}

SRC_POP = ("各省(区、市)2022年国民经济和社会发展统计公报 (provincial statistical communiqués 2022), "
           "year-end resident population; compiled from secondary reports")
SRC_GDP = "各省(区、市)2022年国民经济和社会发展统计公报 (provincial statistical communiqués 2022), GDP; secondary reports"
SRC_FISCAL = ("各省(区、市)2022年一般公共预算收支 (provincial final accounts 2022), recalled; sum checked against "
              "财政部《2022年财政收支情况》(2023-01-30) local totals")
SRC_LAND = "各省(区、市)人民政府公布的行政区域面积 (commonly cited official land area), recalled"
# Newer official red-line figures than redline_provinces.csv holds (province_indicators.csv, indicator
# redline_area / redline_sea_area): the State Council's approvals of the 2021–2035 territorial plans.
REDLINE_UPDATES = ("120000", "340000", "500000", "520000")
# Reference tables shipped as they are (each row already carries year, status and source).
REFERENCE_TABLES = ("province_indicators.csv", "kefz_amounts_by_year.csv", "kefz_2020_by_province_partial.csv")
SRC_NNR_AREA = ("国家统计局《中国统计年鉴2009》表11-40 各地区自然保护区基本情况 (2008年底), national-level reserve "
                "area, 万公顷 × 100 = km²; reserves made national after 2008 are missing from the areas")
SRC_NNR_COUNT = ("《中华人民共和国国家级自然保护区列表》 (zh.wikipedia, c.2019) as compiled in "
                 "RavenWang1103/wildlife-map data/reserves.json; sums to 469 vs the official 474 (end-2018)")
SRC_SPLIT = ("ecocomp heuristic split by function type, from the official type lists of each province's red-line "
             "scheme where known (生态保护红线划定指南, 环办生态〔2017〕48号, 2017-05-27); coastal = sea red line")


def status_of(text: str) -> str:
    t = text.strip().lower()
    if t.startswith("estimate"):
        return "estimate"
    if t.startswith("verified") or t.startswith("corrected"):
        return "verified"
    if t.startswith("recalled"):
        return "recalled"
    if "estimat" in t or "partly" in t:
        return "illustrative"
    raise ValueError(f"unknown status text: {text!r}")


def fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def read_reference(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a reference table. A few rows of kefz_amounts_by_year.csv have an unquoted comma
    inside their ``source`` text: those extra fields are joined back into ``source``."""
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], []
    at = header.index("source")
    for i, row in enumerate(rows[1:], start=2):
        extra = len(row) - len(header)
        if extra < 0:
            raise ValueError(f"{path.name} line {i}: {len(row)} fields, expected {len(header)}")
        if extra:
            row = row[:at] + [",".join(row[at:at + extra + 1])] + row[at + extra + 1:]
        body.append(row)
    return header, body


def indicator(rows, name: str, year: str) -> dict[str, dict]:
    """Province rows (not the national 100000) of one indicator and vintage in province_indicators.csv."""
    return {r["adcode"]: r for r in rows if r["indicator"] == name and r["year"] == year and r["adcode"] != "100000"}


def newer_redlines(rows, red: dict) -> None:
    """Replace the red lines of REDLINE_UPDATES by the newer official figure (in place). The sea part is
    updated where a newer one is given (天津); the land part becomes total − sea (status derived)."""
    for code in REDLINE_UPDATES:
        new = [r for r in rows if r["adcode"] == code and r["indicator"] == "redline_area"]
        sea = [r for r in rows if r["adcode"] == code and r["indicator"] == "redline_sea_area"]
        (n,) = new
        r = dict(red[code])
        r["redline_total_km2"] = n["value"]
        if sea:
            r["redline_sea_km2"] = sea[0]["value"]
        r["redline_land_km2"] = fmt(float(n["value"]) - float(r["redline_sea_km2"] or 0))
        r["vintage"], r["status"] = n["year"], "verified"
        r["source_doc"] = n["source"].split(" (")[0] if n["source"].startswith("国务院") else n["source"]
        r["land_status"] = "derived" if sea or float(r["redline_sea_km2"] or 0) else "verified"
        red[code] = r


def main() -> None:
    prov = {r["adcode"]: r for r in csv.DictReader(open(REF / "provinces_2022.csv", encoding="utf-8"))}
    red = {r["adcode"]: r for r in csv.DictReader(open(REF / "redline_provinces.csv", encoding="utf-8"))}
    ind_rows = list(csv.DictReader(open(REF / "province_indicators.csv", encoding="utf-8")))
    old_total = {code: float(r["redline_total_km2"]) for code, r in red.items()}
    newer_redlines(ind_rows, red)
    nnr_area = indicator(ind_rows, "nnr_area", "2008")
    nnr_count = indicator(ind_rows, "nnr_count", "2019")
    split = {r["adcode"]: r for r in csv.DictReader(open(REF / "redline_function_split_estimated.csv",
                                                         encoding="utf-8"))}
    rows, sources = [], []

    def src(code, column, vintage, status, source):
        sources.append({"adcode": code, "column": column, "vintage": vintage, "status": status, "source": source})

    for code, p in prov.items():
        r, s = red[code], split[code]
        total = float(r["redline_total_km2"])
        funcs = {f: round(float(s[REF_FUNCTION[f]]), 2) for f in FUNCTIONS}
        if total != old_total[code]:  # a newer red line: the same heuristic shares of the new land part
            sea = float(r["redline_sea_km2"] or 0)
            land_old = sum(v for f, v in funcs.items() if f != "coastal")
            funcs = {f: (sea if f == "coastal" else round(v / land_old * (total - sea), 2)) for f, v in funcs.items()}
        # The heuristic split is rounded to 0.1 km²; put the rounding residual into the largest type so that
        # the types add up to the total exactly (the split is illustrative either way).
        largest = max(funcs, key=funcs.get)
        funcs[largest] = round(funcs[largest] + total - sum(funcs.values()), 2)
        row = {
            "adcode": code,
            "name_zh": p["name_zh"],
            "name_en": p["name_en"],
            "parent_adcode": "",
            "level": "province",
            "region_group": p["region"],
            "land_area_km2": p["land_area_km2"],
            "redline_total_km2": fmt(total),
            "redline_land_km2": r["redline_land_km2"],
            "redline_sea_km2": r["redline_sea_km2"],
            **{f"redline_{f}_km2": fmt(v) for f, v in funcs.items()},
            "population_10k": p["population_2022_10k"],
            "gdp_100m_cny": p["gdp_2022_100m_cny"],
            "budget_revenue_100m_cny": p["budget_revenue_2022_100m_cny"],
            "budget_expenditure_100m_cny": p["budget_expenditure_2022_100m_cny"],
            "national_reserves_n": nnr_count[code]["value"],
            "national_reserves_km2": fmt(float(nnr_area[code]["value"]) * 100),
        }
        rows.append(row)
        src(code, "land_area_km2", "2022", status_of(p["land_area_status"]), SRC_LAND)
        red_status = status_of(r["status"])
        red_source = f"{r['source_doc']}; vintage {r['vintage']}"
        for col in ("redline_total_km2", "redline_land_km2", "redline_sea_km2"):
            status = r.get("land_status", red_status) if col == "redline_land_km2" else red_status
            src(code, col, r["vintage"], status,
                red_source + ("; land = total − sea" if status == "derived" else ""))
        for f in FUNCTIONS:
            src(code, f"redline_{f}_km2", r["vintage"], "illustrative", SRC_SPLIT)
        src(code, "population_10k", "2022", status_of(p["population_status"]),
            SRC_POP + ("; corrected a source typo (4027 → 1027)" if p["population_status"].startswith("corrected")
                       else ""))
        src(code, "gdp_100m_cny", "2022", status_of(p["gdp_status"]), SRC_GDP)
        for col in ("budget_revenue_100m_cny", "budget_expenditure_100m_cny"):
            src(code, col, "2022", status_of(p["fiscal_status"]), SRC_FISCAL)
        src(code, "national_reserves_n", "c.2019", nnr_count[code]["status"], SRC_NNR_COUNT)
        src(code, "national_reserves_km2", "2008", nnr_area[code]["status"], SRC_NNR_AREA)

    with open(HERE / "provinces.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    with open(HERE / "provinces_sources.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(sources[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(sources)
    with open(REF / "counties_cnmaps.csv", encoding="utf-8") as fh:
        counties = [c for c in csv.DictReader(fh) if c["mainland"] == "True"]
    with open(HERE / "counties_skeleton.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["adcode", "province", "city", "county", "area_km2_polygon"],
                           lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(counties)
    (HERE / "map").mkdir(exist_ok=True)
    for name in ("china_provinces_simplified.topo.json", "china_maritime_boundary.geojson"):
        shutil.copyfile(REF / name, HERE / "map" / name)
    for name in REFERENCE_TABLES:
        header, body = read_reference(REF / name)
        with open(HERE / name, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(body)
    print(f"wrote {len(rows)} provinces, {len(sources)} source rows, {len(counties)} counties")


if __name__ == "__main__":
    main()
