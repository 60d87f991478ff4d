"""Running a scenario: annual payment tables, horizontal settlement, net positions, summary, and a run folder
that can be reproduced (hash of every input, atomic writes, never overwriting an earlier run)."""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .cache import installed_version
from .equity import measures, per_unit
from .formats import DEFAULT_FORMATS, FORMATS
from .io import (
    FolderExists,
    atomic_folder,
    atomic_write_bytes,
    check_name,
    inside,
    write_csv,
    write_parquet,
    write_xlsx,
)
from .money import UNITS
from .notice import write_run_notice
from .problems import InputError, Report
from .progress import Progress
from .scenario import (
    Scenario,
    _rel,
    budget_for_years,
    check_region_refs,
    input_hash,
    load_scenario,
    overrides_for_year,
    resolve_path,
    sha256_file,
)

LAST_YEAR_COL = "last_year_amount_10k_cny"
LAST_YEAR_UNIT = "万元"


@dataclass
class YearResult:
    year: int
    budget: int
    allocation: object  # compensation.allocation.AllocationResult
    horizontal: object | None = None  # compensation.horizontal result
    net: pd.DataFrame | None = None
    seconds: float = 0.0
    cascade: object | None = None  # compensation.cascade.CascadeResult of a two-tier scenario


@dataclass
class RunResult:
    scenario: Scenario
    years: list[int]
    unit: str
    results: dict[int, YearResult] = field(default_factory=dict)
    hash: str = ""
    hashed: dict = field(default_factory=dict)
    carry_source: dict = field(default_factory=dict)  # how earlier years a subset depends on were obtained

    @classmethod
    def from_allocation(cls, res, year: int, name: str = "current", spec: dict | None = None,
                        input_hash: str = "") -> RunResult:
        """A one-year run made of an allocation computed elsewhere (e.g. the front end's current edits), so it
        goes through the same summary, tables and comparison as a scenario run."""
        sc = Scenario(name, spec or {"scenario": {"name": name}}, None, [])
        yr = YearResult(int(year), res.budget, res, None, net_positions(res.table, None))
        return cls(sc, [int(year)], res.unit, {int(year): yr}, input_hash)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([year_summary(r, self.unit) for r in self.results.values()])

    @property
    def parameters(self) -> pd.DataFrame:
        frames = []
        for y, r in self.results.items():
            t = r.allocation.parameters_table()
            t.insert(0, "year", y)
            frames.append(t)
            frames.append(pd.DataFrame([{
                "year": y, "parameter": "budget", "value": str(r.budget), "unit": self.unit, "status": "scenario",
                "effective": "", "label_zh": "预算总额", "label_en": "budget",
                "source": "scenario file; a base × growth budget is rounded half-up to a whole unit",
            }, {
                "year": y, "parameter": "rounding", "value": "largest_remainder", "unit": self.unit,
                "status": "scenario", "effective": "", "label_zh": "取整规则", "label_en": "rounding",
                "source": "final amounts are whole units; remainders go to the largest fractions within bounds",
            }]))
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return out.astype({"value": str}) if len(out) else out

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every output table by file stem, in a stable order; unrounded intermediate amounts (targets,
        adjustments, shares) are shown to 6 decimals, the final amounts are integers."""
        return {k: _no_negative_zero(v.round(6)) for k, v in self._tables().items()}

    def _tables(self) -> dict[str, pd.DataFrame]:
        out = {"summary": self.summary}
        for y, r in self.results.items():
            if r.cascade is not None:  # two tiers: the province table (tier 1 + tier-2 totals) and the counties
                out[f"allocation_province_{y}"] = r.cascade.provinces
                out[f"allocation_county_{y}"] = r.cascade.counties
            else:
                out[f"allocation_{y}"] = r.allocation.table
            out[f"marginal_{y}"] = r.allocation.marginal
            by_function = r.allocation.marginal_by_function
            if len(by_function):
                out[f"marginal_by_function_{y}"] = by_function
            if r.horizontal is not None:
                out[f"horizontal_ledger_{y}"] = r.horizontal.ledger
                out[f"horizontal_settlement_{y}"] = r.horizontal.settlement
            out[f"net_positions_{y}"] = r.net
        out["parameters"] = self.parameters
        return out


def _no_negative_zero(df: pd.DataFrame) -> pd.DataFrame:
    """−1e-12 rounds to −0.0; adding 0.0 makes it 0.0, so exported tables never show "-0.0". Adding 0.0 changes
    no other value, so only the columns that hold a −0.0 are replaced (most hold none)."""
    fixed = {}
    for col in df.select_dtypes("float").columns:
        v = df[col].to_numpy()
        if np.any((v == 0) & np.signbit(v)):
            fixed[col] = v + 0.0
    return df.assign(**fixed) if fixed else df


# --- computing ------------------------------------------------------------------------------------------

def scenario_regions(sc: Scenario) -> pd.DataFrame:
    from .data import load_regions
    from .synth import synthetic_counties

    data = sc.spec.get("data", "default")
    if data == "default":
        return load_regions()
    if isinstance(data, dict):
        s = data.get("synthetic", {})
        return synthetic_counties(seed=int(s.get("seed", 2023)), scale=int(s.get("scale", 1)))
    return load_regions(resolve_path(data, sc))


def _constraints(c: dict):
    from .allocation import Constraints

    return Constraints(
        floor_ratio=c.get("floor_ratio"), cap_ratio=c.get("cap_ratio"),
        floors={str(k): v for k, v in (c.get("floors") or {}).items()},
        caps={str(k): v for k, v in (c.get("caps") or {}).items()},
        locks={str(k): v for k, v in (c.get("locks") or {}).items()},
        exclude=[str(x) for x in c.get("exclude") or []], groups=list(c.get("groups") or []),
    )


def _initial_last_year(sc: Scenario, regions: pd.DataFrame) -> pd.Series | None:
    """Last year's amounts (万元) for the first year: from the data, or from another scenario's result."""
    c = sc.spec.get("constraints") or {}
    ref = c.get("initial_last_year", "data")
    if ref == "data":
        return regions[LAST_YEAR_COL] if LAST_YEAR_COL in regions else None
    base = load_scenario(ref["scenario"]) if not isinstance(ref["scenario"], Scenario) else ref["scenario"]
    year = int(ref.get("year", base.years[-1]))
    res = compute(base, [year])
    final = res.results[year].allocation.table.set_index("adcode")["final"]
    return regions["adcode"].map(final * UNITS[res.unit] / UNITS[LAST_YEAR_UNIT])


def _chained(sc: Scenario) -> tuple[bool, bool]:
    """(last year's amounts bound the next year, deductions are carried to the next year's pool)."""
    from .allocation import load_method
    from .allocation.exact_parts import carries

    c = sc.spec.get("constraints") or {}
    bounds = bool(c.get("carry_over", "floor_ratio" in c or "cap_ratio" in c))
    pool = any(carries(s) for s in load_method(sc.spec["method"]).components)
    return bounds, pool


def years_needed(sc: Scenario, years: list[int], after: int | None = None) -> list[int]:
    """The years to compute so that ``years`` come out exactly as in the full run: when one year depends on the
    one before (carry-over of amounts or of deductions), every scenario year up to the last one asked for
    (after ``after``, a year read from an earlier run); otherwise just ``years``."""
    if not any(_chained(sc)):
        return sorted(set(years))
    last = max(years)
    return sorted({y for y in sc.years if y <= last and (after is None or y > after)} | set(years))


def read_previous_year(folder, sc: Scenario, before: int) -> dict:
    """The last year before ``before`` from an earlier run folder of the same scenario, checked: same resolved
    scenario, same input files and code (so its amounts are the full run's), table hash as in its manifest.
    Returns {"year", "final" (adcode → amount), "carried_out", "folder", "table_sha256"}."""
    folder = Path(folder)
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        raise InputError(f"{folder} is not a run folder (no manifest.json)", f"{folder} 不是运行结果文件夹(缺少 manifest.json)",
                         file=str(folder), key="--from-run")
    try:
        man = json.loads(mpath.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError("manifest.json is not valid JSON", "manifest.json 不是有效的 JSON", file=str(mpath),
                         key="--from-run") from None
    _, hashed = input_hash(sc, [])
    same = (man.get("scenario") == sc.name
            and json.loads(json.dumps(man.get("resolved_scenario"), default=str)) ==
            json.loads(json.dumps(sc.spec, default=str))
            and man.get("inputs") == hashed["files"] and man.get("code_sha256") == hashed["code"])
    if not same:
        raise InputError(f"{folder} is a run of different inputs (scenario, input files or code differ from "
                         f"'{sc.name}' now): its amounts would not be the full run's; compute the earlier years instead",
                         f"{folder} 的输入(情景、输入文件或代码)与当前 '{sc.name}' 不同,不能作为上一年度结果",
                         file=str(mpath), key="--from-run")
    earlier = [int(y) for y in man.get("years", []) if int(y) < before]
    if not earlier:
        raise InputError(f"{folder} has no year before {before} (it has {man.get('years')})",
                         f"{folder} 中没有 {before} 年之前的年份", file=str(mpath), key="--from-run", year=before)
    y0 = max(earlier)
    name = f"allocation_{y0}.csv"
    path = folder / name
    if not path.is_file() or sha256_file(path) != (man.get("tables") or {}).get(name):
        raise InputError(f"{name} is missing or differs from the hash in manifest.json (edited after the run?)",
                         f"{name} 缺失或与 manifest.json 中的哈希不一致", file=str(path), key="--from-run")
    table = pd.read_csv(path, encoding="utf-8-sig", dtype={"adcode": str})
    carried = int(table["carried_out"].sum()) if "carried_out" in table else 0
    return {"year": y0, "final": table.set_index("adcode")["final"].astype(np.int64), "carried_out": carried,
            "folder": str(folder), "table_sha256": man["tables"][name], "unit": man.get("unit")}


def compute(sc: Scenario, years: list[int] | None = None, progress=None, regions: pd.DataFrame | None = None,
            overrides: dict | None = None, from_run=None) -> RunResult:
    """Compute a scenario's years in order (each year's result bounds the next when carry-over is on, and
    deductions carried to next year's pool go there).

    A subset of years gives exactly the full run's amounts: the years it depends on are computed too (and left
    out of the result), or, with ``from_run`` (an earlier run folder of the same inputs), the year before is read
    from there. ``result.carry_source`` records which (written to the manifest).

    ``overrides`` (parameter path → value) are applied on top of the scenario's own, for every year (used by
    sweeps and the front end). Raises InputError naming the scenario and year if a year cannot be allocated."""
    from .allocation import allocate

    years = sorted(set(years or sc.years))
    if sc.spec.get("cascade"):
        return compute_cascade(sc, years, progress, regions, overrides)
    unit = sc.unit
    file = _rel(sc.files[-1]) if sc.files else sc.name
    regions = scenario_regions(sc) if regions is None else regions
    c = sc.spec.get("constraints") or {}
    carry, carry_pool = _chained(sc)
    regions = regions.copy()
    carried_in = 0
    previous = None
    if from_run is not None and (carry or carry_pool):
        previous = read_previous_year(from_run, sc, min(years))
        if previous["unit"] != unit:
            raise InputError(f"{from_run} is in {previous['unit']}, the scenario in {unit}",
                             f"{from_run} 的单位为 {previous['unit']},情景为 {unit}", key="--from-run")
    todo = years_needed(sc, years, previous["year"] if previous else None)
    rep = Report()
    budgets = budget_for_years(sc.spec, todo, unit, file, rep)
    rep.raise_if_errors()
    if previous is not None:
        regions[LAST_YEAR_COL] = regions["adcode"].astype(str).map(previous["final"]).to_numpy(dtype=float) \
            * UNITS[unit] / UNITS[LAST_YEAR_UNIT]
        carried_in = previous["carried_out"]
    else:
        last = _initial_last_year(sc, regions)
        if last is not None:
            regions[LAST_YEAR_COL] = last.to_numpy(dtype=float)
        elif carry:
            regions[LAST_YEAR_COL] = np.nan  # first year unbounded by ratios; later years carry the results
    check_region_refs(sc.spec, regions, file).raise_if_errors()
    constraints = _constraints(c)
    horizontal = _horizontal_inputs(sc)
    out = RunResult(sc, list(years), unit)
    extra = [y for y in todo if y not in years]
    out.carry_source = ({"from_run": {k: previous[k] for k in ("folder", "year", "table_sha256")}} if previous
                        else {"computed_years": extra} if extra else {})
    for y in todo:
        t0 = time.perf_counter()
        ov = overrides_for_year(sc.spec.get("overrides") or {}, y)
        ov.update(overrides or {})
        try:
            res = allocate(regions, method=sc.spec["method"], budget=budgets[y], budget_unit=unit, unit=unit,
                           year=y, constraints=constraints, objective=sc.spec.get("objective", "proportional"),
                           overrides=ov, time_limit=sc.spec.get("time_limit", 30),
                           carried_in=carried_in if carry_pool else 0)
        except InputError as exc:  # found while computing: say which scenario file and year
            raise exc.located(file=file, year=y) from None
        if res.status == "infeasible":
            bad = Report()
            for p in res.diagnostics:
                if p.severity == "error":
                    bad.error(p.message_en, p.message_zh, file=file, key="constraints", year=y)
            if not bad.errors:
                bad.error("the allocation is infeasible", "分配方案不可行", file=file, key="constraints", year=y)
            raise InputError(bad)
        hres = None
        if horizontal is not None:
            hres = _run_horizontal(horizontal, y, regions, unit)
        yr = YearResult(y, budgets[y], res, hres, net_positions(res.table, hres), time.perf_counter() - t0)
        if y in years:
            out.results[y] = yr
        if carry:
            final = res.table.set_index("adcode")["final"]
            regions[LAST_YEAR_COL] = regions["adcode"].map(final).to_numpy(dtype=float) * UNITS[unit] / \
                UNITS[LAST_YEAR_UNIT]
        carried_in = res.carried_out
        if progress and y in years:
            progress(sc.name, y, yr.seconds)
    out.hash, out.hashed = input_hash(sc, list(years))
    return out


def compute_cascade(sc: Scenario, years: list[int], progress=None, regions: pd.DataFrame | None = None,
                    overrides: dict | None = None) -> RunResult:
    """A two-tier scenario (``cascade:`` section): central pool → provinces → counties, year by year from the
    scenario's first year (with ``cascade.carry_over`` each year's county amounts are next year's "last year").

    The scenario's ``method``, ``constraints``, ``objective`` and ``overrides`` are tier 1's; ``data`` is the
    county data. A tier-1 allocation that is infeasible stops the run (as in a one-tier run); an infeasible
    province at tier 2 is reported in the province table and held at province level."""
    from .cascade import counties_by_province, run_cascade, tier1_amounts_from_section, tier2_from_section

    c = sc.spec["cascade"]
    unit = sc.unit
    file = _rel(sc.files[-1]) if sc.files else sc.name
    todo = [y for y in sc.years if y <= max(years)] if c.get("carry_over") else list(years)
    given = c.get("tier1_amounts")
    rep = Report()
    budgets = {} if given else budget_for_years(sc.spec, todo, unit, file, rep)
    rep.raise_if_errors()
    counties = (scenario_regions(sc) if regions is None else regions).copy()
    tier2 = tier2_from_section(c)
    constraints = _constraints(sc.spec.get("constraints") or {})
    split = counties_by_province(counties)
    out = RunResult(sc, list(years), unit)
    for y in todo:
        t0 = time.perf_counter()
        ov = overrides_for_year(sc.spec.get("overrides") or {}, y)
        ov.update(overrides or {})
        try:
            amounts = None
            if given:
                path = resolve_path(given["file"], sc) if given.get("file") else None
                amounts = tier1_amounts_from_section(given, unit, y, path)
            res = run_cascade(counties, budgets.get(y, 0), unit, y, sc.spec["method"],
                              c.get("tier1_basis", "counties"), constraints,
                              sc.spec.get("objective", "proportional"), ov, amounts, tier2,
                              time_limit=sc.spec.get("time_limit", 30), split=split)
        except InputError as exc:
            raise exc.located(file=file, year=y) from None
        if not res.tier1.ok:
            bad = Report()
            for p in res.diagnostics:
                if p.severity == "error":
                    bad.error(p.message_en, p.message_zh, file=file, key="constraints", year=y)
            if not bad.errors:
                bad.error("tier 1 of the cascade is infeasible", "一级分配不可行", file=file, key="constraints", year=y)
            raise InputError(bad)
        yr = YearResult(y, res.pool, res.tier1, None, net_positions(res.provinces, None), time.perf_counter() - t0,
                        cascade=res)
        if y in years:
            out.results[y] = yr
        if c.get("carry_over"):
            final = res.counties.set_index("adcode")["final"]
            counties[LAST_YEAR_COL] = counties["adcode"].astype(str).map(final).to_numpy(dtype=float) \
                * UNITS[unit] / UNITS[LAST_YEAR_UNIT]
            split = counties_by_province(counties)
        if progress and y in years:
            progress(sc.name, y, yr.seconds)
    out.hash, out.hashed = input_hash(sc, list(years))
    return out


def _horizontal_inputs(sc: Scenario):
    h = sc.spec.get("horizontal")
    if not h:
        return None
    from .horizontal import load_agreement

    agreements = [load_agreement(a) for a in h.get("agreements") or []]
    # the monitoring file is read and validated by run_horizontal (it may hold other agreements' sections)
    monitoring = str(resolve_path(h["monitoring"], sc)) if h.get("monitoring") else None
    return {"agreements": agreements, "monitoring": monitoring, **{k: v for k, v in h.items()
                                                                   if k not in ("agreements", "monitoring")}}


def _run_horizontal(h: dict, year: int, regions: pd.DataFrame, unit: str):
    from .horizontal import run_horizontal

    active = [a for a in h["agreements"] if a.covers(year)] if h["agreements"] else []
    kwargs = {k: h[k] for k in ("capacity_ratio", "links", "objective", "time_limit") if k in h}
    return run_horizontal(active, h["monitoring"], year, regions=regions, unit=unit, **kwargs)


def net_positions(table: pd.DataFrame, hres) -> pd.DataFrame:
    """Each region's net position: central allocation + horizontal in − horizontal out + central top-up +
    central money named in an agreement (e.g. Xin'an round 1's 3亿元 a year to Anhui)."""
    flows = ["horizontal_in", "horizontal_out", "central_topup", "central_agreement"]
    if hres is None:  # no horizontal flows: the columns built directly (the same table as the general path)
        central = table["final"].to_numpy().astype(np.int64)
        zero = np.zeros(len(table), dtype=np.int64)
        base = pd.DataFrame({"adcode": table["adcode"].to_numpy(), "name_zh": table["name_zh"].to_numpy(),
                             "central": central, **{f: zero for f in flows}, "net": central + zero})
        base = base.astype({"adcode": table["adcode"].dtype, "name_zh": table["name_zh"].dtype})
        if base["adcode"].is_monotonic_increasing:  # already in code order: a stable sort would change nothing
            return base
        return base.sort_values("adcode", kind="stable").reset_index(drop=True)
    base = table[["adcode", "name_zh", "final"]].rename(columns={"final": "central"})
    if hres is None:
        base = base.assign(**dict.fromkeys(flows, 0))
    else:
        h = hres.net_positions.copy()
        for col in flows:
            if col not in h:
                h[col] = 0
        base = base.merge(h[["adcode", "name_zh", *flows]], on="adcode", how="outer", suffixes=("", "_h"))
        base["name_zh"] = base["name_zh"].fillna(base.pop("name_zh_h"))
        base = base.fillna(dict.fromkeys(["central", *flows], 0))
    for col in ("central", *flows):
        base[col] = base[col].astype(np.int64)
    base["net"] = (base["central"] + base["horizontal_in"] - base["horizontal_out"] + base["central_topup"]
                   + base["central_agreement"])
    return base.sort_values("adcode", kind="stable").reset_index(drop=True)


def year_summary(r: YearResult, unit: str) -> dict:
    t = r.allocation.table
    regions = r.allocation.regions
    final = t["final"].to_numpy(dtype=float)
    yuan = final * UNITS[unit]
    pop = regions["population_10k"].to_numpy(dtype=float) * 1e4
    red = regions["redline_total_km2"].to_numpy(dtype=float)
    per_capita = per_unit(yuan, pop)
    per_km2 = per_unit(yuan, red)
    row = {
        "year": r.year,
        "unit": unit,
        "budget": int(r.budget),
        "allocated": int(t["final"].sum()),
        "regions": int(len(t)),
        "regions_funded": int((t["final"] > 0).sum()),
        "redline_km2": float(red.sum()),
        "yuan_per_capita": float(yuan.sum() / pop.sum()) if pop.sum() else 0.0,
        "yuan_per_km2_redline": float(yuan.sum() / red.sum()) if red.sum() else 0.0,
        "status": r.allocation.status,
        "objective": r.allocation.objective,
    }
    if "carried_out" in t:  # a method that carries deductions to next year's pool: allocated = budget + in − out
        row["carried_in"] = int(r.allocation.carried_in)
        row["carried_out"] = int(r.allocation.carried_out)
    for name, values in (("per_capita", per_capita), ("per_km2", per_km2)):
        for k, v in measures(values).items():
            row[f"{k}_{name}"] = round(v, 6)
    if r.horizontal is not None:
        row["horizontal_obligations"] = int(r.horizontal.ledger["amount"].sum()) if len(r.horizontal.ledger) else 0
        s = r.horizontal.settlement
        row["horizontal_moved"] = int(s["amount"].sum()) if len(s) else 0
        row["horizontal_status"] = r.horizontal.status
    if r.cascade is not None:
        from .cascade import summary_row

        row.update(summary_row(r.cascade))
    return row  # timings go to manifest.json only, so that tables are byte-identical between runs


# --- writing ----------------------------------------------------------------------------------------------

HEADERS_ZH = {
    "adcode": "行政区划代码", "name_zh": "地区", "name_en": "地区(英文)", "target": "测算目标", "final": "最终金额",
    "share": "占比", "adj_constraints": "约束调整", "adj_rounding": "取整调整", "central": "中央转移支付",
    "horizontal_in": "横向补偿收入", "horizontal_out": "横向补偿支出", "central_topup": "中央兜底",
    "net": "净额", "central_agreement": "协议中央资金", "year": "年份", "budget": "预算", "allocated": "已分配", "regions": "地区数",
    "regions_funded": "获补地区数", "payer": "付款方", "payee": "收款方", "amount": "金额",
    "agreement": "协议", "basis": "依据", "parameter": "参数", "value": "取值", "unit": "单位", "status": "状态",
    "source": "来源", "baseline": "基线", "scenario": "情景", "difference": "差额", "pct_change": "变化率",
    "bucket": "分组", "carried_in": "上年结转", "carried_out": "结转下年", "exact": "按标准全额支付",
}


def bilingual(df: pd.DataFrame) -> pd.DataFrame:
    """Headers '中文 / english' for the workbook (CSV and Parquet keep the plain English names)."""
    return df.rename(columns={c: f"{HEADERS_ZH[c]} / {c}" for c in df.columns if c in HEADERS_ZH})


def versions() -> dict:
    """Versions of what computed a run (for its manifest), read from the installed packages' metadata: the
    solver libraries are not imported just to name them."""
    from . import __version__

    out = {"ecocomp": __version__, "python": platform.python_version(), "pandas": pd.__version__,
           "numpy": np.__version__}
    for name in ("pulp", "highspy"):
        out[name] = installed_version(name)
    return out


def run_folder(out_root: Path, result: RunResult | None = None, formats=DEFAULT_FORMATS, name: str = "",
               digest: str = "") -> Path:
    """``<out>/<scenario>-<hash>``, with ``-<formats>`` appended when the formats are not the default three
    (the formats are part of a run's identity: a csv-only folder is never taken for a complete one). The
    scenario name was checked on loading; the folder is checked again to lie inside ``out_root``."""
    name = result.scenario.name if result is not None else name
    digest = result.hash if result is not None else digest
    check_name(name, "scenario name", key="scenario.name")
    wanted = [f for f in FORMATS if f in formats]
    tail = "" if wanted == list(DEFAULT_FORMATS) else "-" + "+".join(wanted)
    return inside(Path(out_root) / f"{name}-{digest}{tail}", out_root)


def write_run(result: RunResult, out_root: Path, formats=("csv", "xlsx", "parquet"),
              _after_table=None) -> tuple[Path, bool]:
    """Write the run folder atomically: everything goes into a hidden temporary folder that is renamed into
    place at the end, so an interrupted run leaves no half-written table. Returns (folder, written); if a
    folder with the same inputs exists already it is left as it is and ``written`` is False."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError(f"unknown output format(s) {', '.join(map(str, unknown))}: use {', '.join(FORMATS)}",
                         "未知的输出格式")
    final = run_folder(out_root, result, formats)
    if (final / "manifest.json").exists():
        return final, False
    if final.exists():
        raise InputError(f"{final} exists but has no manifest.json (an unknown folder); move it away",
                         f"{final} 已存在但没有 manifest.json;请先移走", file=str(final))
    try:
        _write_run_folder(result, final, formats, _after_table)
    except FolderExists:  # an identical run finished first: same inputs, same tables
        return final, False
    return final, True


def _write_run_folder(result: RunResult, final: Path, formats, _after_table) -> None:
    with atomic_folder(final) as tmp:
        tables = result.tables()
        files = {}
        for name, df in tables.items():
            if "csv" in formats:
                write_csv(df, tmp / f"{name}.csv")
                files[f"{name}.csv"] = sha256_file(tmp / f"{name}.csv")
            if "parquet" in formats:
                (tmp / "parquet").mkdir(exist_ok=True)
                write_parquet(df, tmp / "parquet" / f"{name}.parquet")
            if _after_table:
                _after_table(name)
        if "xlsx" in formats:
            write_xlsx({name: bilingual(df) for name, df in tables.items()}, tmp / "results.xlsx")
        if "notice" in formats:  # the Ministry's layout (分配情况表), one sheet per year
            write_run_notice(result, tmp / "notice.xlsx")
            files["notice.xlsx"] = sha256_file(tmp / "notice.xlsx")
        manifest = {
            "scenario": result.scenario.name,
            "title": result.scenario.title,
            "hash": result.hash,
            "years": result.years,
            "unit": result.unit,
            "inputs": {k: v for k, v in result.hashed["files"].items()},
            "scenario_files": [_rel(p) for p in result.scenario.files],
            "resolved_scenario": result.scenario.spec,
            "versions": versions(),
            "code_sha256": result.hashed.get("code"),
            "solver": {str(y): {"status": r.allocation.status, **{k: v for k, v in r.allocation.solver_info.items()
                                                                   if isinstance(v, str | int | float | None)}}
                       for y, r in result.results.items()},
            "horizontal_status": {str(y): r.horizontal.status for y, r in result.results.items()
                                  if r.horizontal is not None},
            "cascade_infeasible": {str(y): {p: r.cascade.outcomes[p].name_zh for p in r.cascade.failed}
                                   for y, r in result.results.items() if r.cascade is not None},
            "timings_s": {str(y): round(r.seconds, 4) for y, r in result.results.items()},
            "carry_over_source": result.carry_source or None,
            "tables": files,
            "formats": [f for f in FORMATS if f in formats],
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": " ".join(sys.argv),
        }
        atomic_write_bytes(tmp / "manifest.json",
                           json.dumps(manifest, ensure_ascii=False, indent=2, default=str).encode("utf-8"))


def run_one(ref: str, out_root: str, years: list[int] | None = None, formats=("csv", "xlsx", "parquet"),
            quiet: bool = False, from_run=None) -> tuple[str, str, bool]:
    """Load, validate, compute and write one scenario (a top-level function, so it can run in a process).
    ``from_run``: an earlier run folder of the same scenario to take the year before ``years`` from."""
    sc = load_scenario(ref)  # validated on loading
    years = years or sc.years
    bar = Progress(len(years), sc.name, enabled=not quiet)

    def progress(name, year, seconds):
        bar.step(f"{year} ({seconds:.2f} s)")

    digest, _ = input_hash(sc, list(years))
    existing = run_folder(Path(out_root), None, formats, sc.name, digest)
    if (existing / "manifest.json").exists():
        return sc.name, str(existing), False
    result = compute(sc, years, progress=progress, from_run=from_run)
    folder, written = write_run(result, Path(out_root), formats)
    return sc.name, str(folder), written
