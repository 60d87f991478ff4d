"""Sweeps of a two-tier scenario, county by county: each draw is the scenario itself with the varied inputs set,
computed in full by :func:`compensation.run.compute` (both tiers), then summarised per county.

A draw sets tier-1 method parameters (as overrides), the pool (``budget``, in the scenario's budget unit),
tier-1 ratio bounds (``constraints.floor_ratio`` / ``cap_ratio``), the retention share of every province
(``cascade.retention``) or the county ratio bounds (``cascade.county_constraints.floor_ratio`` / ``cap_ratio``).
The batched matrix engine of single-tier sweeps does not apply (each province's county shares are a separate
problem whose amount depends on tier 1): this is the per-draw path, about one cascade run per draw.

Per county the summary gives the amount in the scenario as it is, the minimum, quantiles, maximum, mean and
standard deviation over the draws in which its province's tier 2 was feasible, how often it sat at a floor or a
cap, and ``allocated`` — the share of draws in which its province could allocate at all (a draw where a
province is infeasible holds the money at province level; that county then has no amount in that draw)."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd

from .cascade import HELD_LEVEL, check_section
from .problems import InputError, Report

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_NAMES = ("p05", "p25", "median", "p75", "p95")
SETTABLE = ("budget", "constraints.floor_ratio", "constraints.cap_ratio", "cascade.retention",
            "cascade.county_constraints.floor_ratio", "cascade.county_constraints.cap_ratio")


def draw_scenario(sc, row: dict, years: list[int]):
    """(scenario with the draw's values set, method overrides) for one draw."""
    from .allocation import load_method

    spec = copy.deepcopy(sc.spec)
    params = load_method(spec["method"]).parameters
    overrides = {}
    for path, value in row.items():
        v = float(value)
        if path in params:
            overrides[path] = v
        elif path == "budget":
            b = spec.setdefault("budget", {})
            b["amounts"] = dict.fromkeys(years, v)
            b.pop("base", None)
        elif path.startswith("constraints."):
            spec.setdefault("constraints", {})[path.split(".", 1)[1]] = v
        elif path == "cascade.retention":
            spec["cascade"]["retention"] = v
        elif path.startswith("cascade.county_constraints."):
            spec["cascade"].setdefault("county_constraints", {})[path.rsplit(".", 1)[1]] = v
        else:
            raise InputError(f"'{path}' cannot be varied in a two-tier sweep: use a parameter of method "
                             f"'{spec['method']}' or one of {', '.join(SETTABLE)}",
                             f"两级分配扫描不能改变 '{path}'", key=f"--vary {path}")
    rep = Report()
    check_section(spec["cascade"], f"{sc.name} (draw)", rep)
    rep.raise_if_errors()
    return dataclasses.replace(sc, spec=spec), overrides


def county_sweep(sc, points: pd.DataFrame, year: int | None = None, progress=None,
                 regions: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Per-county statistics of a two-tier scenario over ``points`` (one row per draw, one column per varied
    input). Returns {"summary", "draws" (draw, adcode, final, binding), "invalid_draws"}."""
    from .run import compute, scenario_regions

    if not sc.spec.get("cascade"):
        raise InputError("not a two-tier scenario (no cascade: section)", "不是两级分配情景(没有 cascade: 部分)")
    year = year or sc.years[0]
    years = [y for y in sc.years if y <= year]
    regions = scenario_regions(sc) if regions is None else regions
    base_res = compute(sc, years, regions=regions).results[year].cascade
    province_zh = dict(zip(base_res.provinces["adcode"].astype(str), base_res.provinces["name_zh"], strict=True))
    base = base_res.counties[base_res.counties["level"] != HELD_LEVEL]
    frames, invalid = [], []
    for i, row in enumerate(points.to_dict("records")):
        draw_sc, overrides = draw_scenario(sc, row, years)
        try:
            res = compute(draw_sc, years, regions=regions, overrides=overrides).results[year].cascade
        except InputError:  # tier 1 infeasible in this draw
            invalid.append(i)
            continue
        t = res.counties[res.counties["level"] != HELD_LEVEL][["adcode", "final", "binding"]].copy()
        t.insert(0, "draw", i)
        frames.append(t)
        if progress:
            progress(i + 1, len(points))
    draws = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["draw", "adcode", "final",
                                                                                      "binding"])
    n_ok = len(points) - len(invalid)
    g = draws.groupby("adcode", sort=False)
    q = g["final"].quantile(list(QUANTILES)).unstack() if len(draws) else pd.DataFrame(columns=QUANTILES)
    q.columns = list(QUANTILE_NAMES)
    stats = pd.concat([
        g["final"].min().rename("min"), q, g["final"].max().rename("max"), g["final"].mean().rename("mean"),
        g["final"].std(ddof=0).rename("std"),
        g["binding"].apply(lambda s: float((s == "floor").mean())).rename("at_floor"),
        g["binding"].apply(lambda s: float((s == "cap").mean())).rename("at_cap"),
        (g.size() / max(n_ok, 1)).rename("allocated")], axis=1) if len(draws) else pd.DataFrame()
    everyone = pd.concat([base[["adcode", "name_zh", "parent_adcode", "province_zh", "final"]],
                          regions[["adcode", "name_zh", "parent_adcode"]].astype(str)]).drop_duplicates("adcode")
    summary = everyone.rename(columns={"final": "scenario"}).merge(stats, left_on="adcode", right_index=True,
                                                                     how="left")
    summary["allocated"] = summary["allocated"].fillna(0.0)
    summary["province_zh"] = summary["parent_adcode"].map(province_zh)
    summary = summary.sort_values(["parent_adcode", "adcode"], kind="stable").reset_index(drop=True)
    return {"summary": summary, "draws": draws, "invalid_draws": pd.DataFrame({"draw": np.array(invalid, dtype=np.int64)})}
