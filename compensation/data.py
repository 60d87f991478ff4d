"""Loading region data: the embedded default (31 provinces) or a user's CSV/XLSX, always validated."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from .io import read_table
from .problems import Report
from .schema import COLUMNS, STATUSES
from .validate import validate_regions

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
MODELS_DIR = ROOT / "models"
SCENARIOS_DIR = ROOT / "scenarios"
DEFAULT_REGIONS = DATA_DIR / "provinces.csv"
COUNTY_SKELETON = DATA_DIR / "counties_skeleton.csv"
MAP_TOPOJSON = DATA_DIR / "map" / "china_provinces_simplified.topo.json"
MARITIME_GEOJSON = DATA_DIR / "map" / "china_maritime_boundary.geojson"
COUNTY_MAP_TOPOJSON = DATA_DIR / "map" / "china_counties_simplified.topo.json"  # data/map/build_county_map.py
# Reference tables shipped beside the region data: one value per row with its year, status and source.
REFERENCE_TABLES = {
    "province_indicators": DATA_DIR / "province_indicators.csv",
    "kefz_amounts_by_year": DATA_DIR / "kefz_amounts_by_year.csv",
    "kefz_2020_by_province_partial": DATA_DIR / "kefz_2020_by_province_partial.csv",
}
KEFZ_2020_TABLE = REFERENCE_TABLES["kefz_2020_by_province_partial"]


@lru_cache(maxsize=1)
def province_codes() -> frozenset[str]:
    """Codes of the 31 mainland provinces (known parents for county files)."""
    return frozenset(pd.read_csv(DEFAULT_REGIONS, dtype=str, usecols=["adcode"])["adcode"])


def province_names() -> dict[str, str]:
    """Chinese names of the 31 mainland provinces by code, read from the embedded default without validating
    the whole table (the 分配情况表 of a county run needs only these names; ~1 ms against ~80 ms)."""
    return dict(_province_names())


@lru_cache(maxsize=1)
def _province_names() -> tuple[tuple[str, str], ...]:
    t = pd.read_csv(DEFAULT_REGIONS, dtype=str, usecols=["adcode", "name_zh"], keep_default_na=False)
    return tuple(zip(t["adcode"].str.strip().tolist(), t["name_zh"].str.strip().tolist(), strict=True))


def sources_path(path: Path) -> Path:
    """The sources file that belongs to a region file: ``<stem>_sources.csv`` beside it."""
    return path.with_name(f"{path.stem}_sources.csv")


def check_regions(source=None, name: str | None = None, function_tolerance: float = 0.01,
                  function_mismatch: str = "warning") -> tuple[pd.DataFrame, Report]:
    """Read and validate a region table; return (table, report) without raising on errors.

    ``source``: None (the default data), a path, bytes/file-like with ``name`` (an upload), or a table already
    read by ``io.read_table`` (so that an upload is parsed once)."""
    path = DEFAULT_REGIONS if source is None else source
    try:
        raw = source if isinstance(source, pd.DataFrame) else read_table(path, name=name)  # a table read once
    except Exception as exc:  # InputError from reading: turn it into a report
        from .problems import InputError

        if isinstance(exc, InputError):
            return pd.DataFrame(), exc.report
        raise
    label = name or (str(Path(path).relative_to(ROOT)) if source is None else str(path))
    table, report = validate_regions(raw, file=label, function_tolerance=function_tolerance,
                                     function_mismatch=function_mismatch, known_codes=set(province_codes()))
    if isinstance(path, str | Path) and sources_path(Path(path)).exists():
        table.attrs["sources"] = pd.read_csv(sources_path(Path(path)), dtype=str, keep_default_na=False)
    return table, report


def load_regions(path=None, name: str | None = None, function_tolerance: float = 0.01,
                 function_mismatch: str = "warning") -> pd.DataFrame:
    """The validated region table (the embedded default when ``path`` is None).

    Raises ``compensation.problems.InputError`` carrying every problem if there is any error; warnings are
    kept in ``table.attrs['problems']``; per-value sources, where a sources file exists, in
    ``table.attrs['sources']``."""
    if path is None:  # the embedded default never changes while the program runs: read it once
        table, report = _load_default(function_tolerance, function_mismatch)
    else:
        table, report = check_regions(path, name, function_tolerance, function_mismatch)
    report.raise_if_errors()
    out = table.copy()
    out.attrs = dict(table.attrs)
    out.attrs["problems"] = list(report.problems)
    return out


@lru_cache(maxsize=4)
def _load_default(tol, mismatch):
    return check_regions(None, None, tol, mismatch)


def status_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many values are verified, recalled, estimate, illustrative (or synthetic); {} when unknown."""
    counts = dict.fromkeys(STATUSES, 0)
    if table.attrs.get("sources") is None and "data_status" not in table.columns:
        return {}
    sources = table.attrs.get("sources")
    if sources is not None and len(sources):
        for status, n in sources["status"].value_counts().items():
            counts[status] = counts.get(status, 0) + int(n)
    elif "data_status" in table.columns:
        numeric = [c for c in table.columns if c in COLUMNS and COLUMNS[c].numeric]
        filled = table[numeric].notna().sum(axis=1)
        for status, n in filled.groupby(table["data_status"]).sum().items():
            counts[status] = counts.get(status, 0) + int(n)
    return {k: v for k, v in counts.items() if v or k in ("verified", "recalled", "estimate", "illustrative")}


def load_reference(name: str) -> pd.DataFrame:
    """A shipped reference table by name (see REFERENCE_TABLES), codes kept as text."""
    if name not in REFERENCE_TABLES:
        from .problems import InputError

        raise InputError(f"unknown reference table '{name}'; known: {', '.join(REFERENCE_TABLES)}",
                         f"未知的参考数据表 '{name}'")
    return pd.read_csv(REFERENCE_TABLES[name], dtype={"adcode": str, "year": str})


def reference_status_counts() -> dict[str, dict[str, int]]:
    """Per reference table: how many values have each status; rows kept only to show a gap (no value,
    status ``not_found``) are counted as ``not_found``."""
    out = {}
    for name in REFERENCE_TABLES:
        t = load_reference(name)
        value_col = "value" if "value" in t.columns else next(c for c in t.columns if c.endswith("_cny"))
        status = t["status"].where(t[value_col].notna(), "not_found")
        out[name] = {k: int(v) for k, v in status.value_counts().items()}
    return out


def summary(table: pd.DataFrame) -> dict:
    """Headline figures of a region table (for `ecocomp data show` and the front end)."""

    def total(col):
        return float(table[col].sum()) if col in table.columns else None

    return {
        "regions": int(len(table)),
        "levels": {k: int(v) for k, v in table["level"].value_counts().items()},
        "land_area_km2": total("land_area_km2"),
        "redline_total_km2": total("redline_total_km2"),
        "redline_share_of_land": (total("redline_land_km2") or total("redline_total_km2")) / total("land_area_km2"),
        "population_10k": total("population_10k"),
        "gdp_100m_cny": total("gdp_100m_cny"),
        "budget_revenue_100m_cny": total("budget_revenue_100m_cny"),
        "budget_expenditure_100m_cny": total("budget_expenditure_100m_cny"),
        "status": status_counts(table),
    }
