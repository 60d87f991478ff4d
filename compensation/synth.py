"""Synthetic county-level region data: seeded, deterministic, and consistent with the province figures.

The 2,848 mainland county codes and polygon areas (data/counties_skeleton.csv) are the skeleton. Every summed
quantity (land area, red-line area by function type and in total, population, GDP, budget revenue and
expenditure) is split among a province's counties by random weights and rounded to 0.01 by the largest
remainder within each province, so the counties add up to the province exactly. Columns that have no
province figure (standard revenue, reserves, rangers, assessment class, last year's amount) are drawn from
plausible ranges. Every row says ``data_status = synthetic``: none of it is a real county figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import FUNCTION_COLUMNS, QUALITY_CLASSES

SUMMED = ["land_area_km2", *FUNCTION_COLUMNS, "population_10k", "gdp_100m_cny", "budget_revenue_100m_cny",
          "budget_expenditure_100m_cny"]
# Generator settings (synthetic, not policy parameters).
REDLINE_INTENSITY = (0.6, 1.4)  # a county's red-line intensity relative to its province
FUNCTION_NOISE = (0.8, 1.2)
KEFZ_SHARE = 0.285  # share of counties flagged as key ecological function zone counties (≈ 810 of 2,848)
KEFZ_PROVINCE_SHARE = (0.05, 0.85)  # bounds on one province's share of key-zone counties (synthetic)
QUALITY_PROBS = (0.05, 0.10, 0.15, 0.45, 0.12, 0.08, 0.05)
QUALITY_DELTA = ((4, 6), (2, 4), (1, 2), (-1, 1), (-2, -1), (-4, -2), (-6, -4))
LAST_YEAR_TOTAL_10K_CNY = 10_000_000  # 1,000亿元 spread over the counties as a synthetic "last year"


def _split_exact(group: np.ndarray, totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split integer ``totals[g]`` among the rows of each group g by ``weights``; exact per group.

    Largest remainder within each group, ties by row order."""
    n = group.size
    wsum = np.bincount(group, weights, minlength=totals.size)
    share = np.divide(weights, wsum[group], out=np.zeros(n), where=wsum[group] > 0)
    quota = totals[group] * share
    base = np.floor(quota).astype(np.int64)
    short = totals - np.bincount(group, base, minlength=totals.size).astype(np.int64)
    order = np.lexsort((np.arange(n), -(quota - base), group))
    g_sorted = group[order]
    first = np.searchsorted(g_sorted, g_sorted, side="left")
    rank = np.arange(n) - first
    base[order[rank < short[g_sorted]]] += 1
    return base


def _flag_kefz(group: np.ndarray, noisy_share: np.ndarray, red: np.ndarray, land: np.ndarray) -> np.ndarray:
    """Flag key-ecological-function-zone counties province by province.

    Province p flags the k_p counties with the highest (noisy) red-line share, where
    k_p = round(s_p · n_p) and s_p = clip(c · r_p / r, KEFZ_PROVINCE_SHARE) with r_p the province's red-line
    share of its land, r the national one, and c set by bisection so that Σ k_p ≈ KEFZ_SHARE · n: provinces with more red line have more key-zone
    counties, and every province keeps some counties on each side (as every province's own measure for
    counties outside the key zones, such as Hainan's, needs). A synthetic rule, not a policy figure."""
    groups = int(group.max()) + 1 if group.size else 0
    red_p = np.bincount(group, red.astype(float), minlength=groups)
    land_p = np.bincount(group, land.astype(float), minlength=groups)
    n_p = np.bincount(group, minlength=groups)
    ratio = np.divide(red_p, land_p, out=np.zeros(groups), where=land_p > 0) / max(red.sum() / max(land.sum(), 1), 1e-12)
    want = KEFZ_SHARE * group.size
    lo, hi = 0.0, 1.0 / max(ratio.min(initial=1.0), 1e-6) + 1.0
    for _ in range(60):  # the scale c with Σ_p round(clip(c · r_p / r) · n_p) ≈ KEFZ_SHARE · n (monotone in c)
        c = (lo + hi) / 2
        k_p = np.round(np.clip(c * ratio, *KEFZ_PROVINCE_SHARE) * n_p).astype(np.int64)
        lo, hi = (c, hi) if k_p.sum() < want else (lo, c)
    order = np.lexsort((np.arange(group.size), -noisy_share, group))
    g_sorted = group[order]
    rank = np.arange(group.size) - np.searchsorted(g_sorted, g_sorted, side="left")
    flag = np.zeros(group.size, dtype=bool)
    flag[order[rank < k_p[g_sorted]]] = True
    return flag


def _cents(values) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) * 100).astype(np.int64)


def _fmt_cents(c: np.ndarray) -> pd.Series:
    """Whole cents as text with two decimals: ``f"{v // 100}.{v % 100:02d}"`` for every v (floor division, as
    Python's), built column-wise with Arrow's string kernels (about 4× faster than the per-value f-string)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    c = np.asarray(c, dtype=np.int64)
    whole = pc.cast(pa.array(c // 100), pa.string())
    cents = pc.take(pa.array([f"{i:02d}" for i in range(100)]), pa.array(c % 100))
    return pd.Series(pc.binary_join_element_wise(whole, cents, ".").to_pylist())


def generate_counties(provinces: pd.DataFrame, skeleton: pd.DataFrame, seed: int = 2023,
                      scale: int = 1) -> pd.DataFrame:
    """A synthetic county table (text cells, ready to write) whose sums match ``provinces`` exactly.

    ``scale`` > 1 splits every county into ``scale`` units (9-digit codes, level 'township') for benchmarks."""
    rng = np.random.default_rng(seed)
    sk = skeleton.sort_values("adcode", kind="stable").reset_index(drop=True)
    area = sk["area_km2_polygon"].astype(float).to_numpy()
    codes = sk["adcode"].astype(str).to_numpy()
    names = sk["county"].astype(str).to_numpy()
    level = "county"
    if scale > 1:
        k = np.tile(np.arange(1, scale + 1), len(sk))
        codes = np.char.add(np.repeat(codes, scale).astype(str), np.char.zfill(k.astype(str), 3))
        names = np.char.add(np.char.add(np.repeat(names, scale).astype(str), "·"), k.astype(str))
        area = np.repeat(area, scale) * rng.uniform(0.5, 1.5, area.size * scale)
        level = "township"
    prov = provinces.set_index("adcode")
    pcode = np.array([c[:2] + "0000" for c in codes])
    prov_order = prov.index.to_numpy()
    group = np.searchsorted(prov_order, pcode)
    n = codes.size

    out = {"adcode": pd.Series(codes), "name_zh": pd.Series(names), "name_en": "", "parent_adcode": pd.Series(pcode),
           "level": level, "region_group": prov.loc[pcode, "region_group"].to_numpy()}
    cents = {}
    cents["land_area_km2"] = _split_exact(group, _cents(prov["land_area_km2"]), area)
    intensity = rng.uniform(*REDLINE_INTENSITY, n)
    land = cents["land_area_km2"].astype(float)
    for col in FUNCTION_COLUMNS:
        w = land * intensity * rng.uniform(*FUNCTION_NOISE, n)
        cents[col] = _split_exact(group, _cents(prov[col].fillna(0.0)), w)
    cents["redline_total_km2"] = sum(cents[c] for c in FUNCTION_COLUMNS)
    pop_w = area ** 0.35 * rng.lognormal(0.0, 0.5, n)
    cents["population_10k"] = _split_exact(group, _cents(prov["population_10k"]), pop_w)
    pop = cents["population_10k"].astype(float) + 1.0
    cents["gdp_100m_cny"] = _split_exact(group, _cents(prov["gdp_100m_cny"]), pop * rng.lognormal(0.0, 0.4, n))
    gdp = cents["gdp_100m_cny"].astype(float) + 1.0
    cents["budget_revenue_100m_cny"] = _split_exact(group, _cents(prov["budget_revenue_100m_cny"]),
                                                    gdp * rng.lognormal(0.0, 0.3, n))
    cents["budget_expenditure_100m_cny"] = _split_exact(
        group, _cents(prov["budget_expenditure_100m_cny"]), pop ** 0.8 * area ** 0.1 * rng.lognormal(0.0, 0.2, n))

    # columns without a province figure
    rev = cents["budget_revenue_100m_cny"]
    exp_ = cents["budget_expenditure_100m_cny"]
    red = cents["redline_total_km2"]
    share = red / np.maximum(cents["land_area_km2"], 1)
    noisy = share * rng.uniform(0.8, 1.2, n)
    rng.uniform(0.8, 1.2, n)  # a draw the generator has always made; kept so every later column is unchanged
    kefz = _flag_kefz(group, noisy, cents["redline_total_km2"], cents["land_area_km2"])
    cents["std_revenue_100m_cny"] = np.round(rev * rng.uniform(0.92, 1.08, n)).astype(np.int64)
    cents["std_expenditure_100m_cny"] = np.round(exp_ * rng.uniform(0.85, 1.0, n)).astype(np.int64)
    cents["eco_std_expenditure_100m_cny"] = np.round(red / 100 * 0.0008 * 100 * rng.uniform(0.5, 1.5, n)
                                                     ).astype(np.int64)
    reserves_n = rng.poisson(red / 100 / np.where(kefz, 2000.0, 5000.0))
    cents["national_reserves_km2"] = np.where(reserves_n > 0, np.round(red * rng.uniform(0.1, 0.5, n)), 0
                                              ).astype(np.int64)
    parks_n = rng.poisson(0.3, n)
    cents["forest_parks_km2"] = np.minimum(np.round(parks_n * rng.uniform(50, 300, n) * 100),
                                           cents["land_area_km2"] // 10).astype(np.int64)
    rangers = np.where(kefz, np.round(cents["population_10k"] / 100 * rng.uniform(10, 50, n)), 0).astype(np.int64)
    cls = rng.choice(len(QUALITY_CLASSES), size=n, p=QUALITY_PROBS)
    lo, hi = np.array(QUALITY_DELTA).T
    delta = rng.uniform(lo[cls], hi[cls])
    score = np.clip(np.round((75 + 5 * delta) * 100), 0, 10000).astype(np.int64)
    last_w = red.astype(float) * np.where(kefz, 2.0, 1.0) * rng.uniform(0.7, 1.3, n)
    last_w += 0.2 * last_w.mean()  # every county had some transfer last year (hundreds of 万元 at least)
    last = _split_exact(np.zeros(n, dtype=np.int64), np.array([LAST_YEAR_TOTAL_10K_CNY * 100]), last_w)

    for col in ["land_area_km2", "redline_total_km2", *FUNCTION_COLUMNS, "population_10k", "gdp_100m_cny",
                "budget_revenue_100m_cny", "budget_expenditure_100m_cny", "std_revenue_100m_cny",
                "std_expenditure_100m_cny", "eco_std_expenditure_100m_cny"]:
        out[col] = _fmt_cents(cents[col])
    out["national_reserves_n"] = reserves_n.astype(str)
    out["national_reserves_km2"] = _fmt_cents(cents["national_reserves_km2"])
    out["forest_parks_n"] = parks_n.astype(str)
    out["forest_parks_km2"] = _fmt_cents(cents["forest_parks_km2"])
    out["forest_rangers_n"] = rangers.astype(str)
    out["kefz_county"] = kefz.astype(int).astype(str)
    out["eco_quality_class"] = np.array(QUALITY_CLASSES)[cls]
    out["eco_quality_score"] = _fmt_cents(score)
    out["last_year_amount_10k_cny"] = _fmt_cents(last)
    out["data_status"] = "synthetic"
    return pd.DataFrame(out)


def build_synthetic(seed: int = 2023, scale: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(text table as written to CSV, validated typed table) built from the embedded province data."""
    from .data import COUNTY_SKELETON, load_regions, province_codes
    from .validate import validate_regions

    raw = generate_counties(load_regions(), pd.read_csv(COUNTY_SKELETON, dtype=str), seed=seed, scale=scale)
    table, report = validate_regions(raw, file=f"synthetic(seed={seed}, scale={scale})",
                                     known_codes=set(province_codes()))
    report.raise_if_errors()
    table.attrs["problems"] = list(report.problems)
    return raw, table


def synthetic_counties(seed: int = 2023, scale: int = 1) -> pd.DataFrame:
    """The validated synthetic county table (2,848 counties; ``scale`` × as many units).

    Read from the content-addressed cache (``compensation/cache.py``) when this code, these data files and
    these library versions built it before; otherwise built by ``build_synthetic`` and stored. Either way the
    same table (tests/test_cache.py compares the two exactly)."""
    from .cache import cached_table
    from .data import COUNTY_SKELETON, DEFAULT_REGIONS

    return cached_table("synthetic_counties", {"seed": int(seed), "scale": int(scale)},
                        [DEFAULT_REGIONS, COUNTY_SKELETON], lambda: build_synthetic(seed, scale)[1])
