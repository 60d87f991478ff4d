"""Two-tier allocation: central pool → provinces → counties, each province with its own method, exact at both tiers.

Tier 1. The pool B (an integer in the output unit) is split among the provinces p by a method m₁ with the
allocation API (:func:`compensation.allocation.allocate`, any objective and constraints): integers A_p with
Σ_p A_p = B. The method runs on one of three bases:

* ``provinces``: the province data (``data/provinces.csv``);
* ``counties``: the county data summed by province (areas, population, money and counts add up; scores are
  averaged weighted by land area; category and 0/1 columns have no province value and are dropped);
* ``county_targets``: the Ministry's way, by county: the method runs over all counties of the country and
  each province receives the sum of its counties' integer amounts, A_p = Σ_{c∈p} a_c.

Or the A_p are given (a published table, or the user's own): then B = Σ_p A_p over the provinces given, and
only those provinces go on to tier 2.

Retention (省级统筹). Province p keeps R_p = ⌊r_p A_p + ½⌋ (half-up in whole units), 0 ≤ r_p < 1, and passes
C_p = A_p − R_p to its counties.

Tier 2. In each province on its own, the province's method m_p gives county targets u_c (scaled so that
Σ_{c∈p} u_c = C_p), and the county bounds lo_c ≤ x_c ≤ hi_c come from floor and cap ratios of last year's
county amounts L_c (hold-harmless, ``floor_ratio`` · L_c ≤ x_c ≤ ``cap_ratio`` · L_c) and absolute floors,
caps, locks and exclusions by county code. The allocation is the same closed form as in
:mod:`compensation.allocation.constrained`: minimise Σ_c (x_c − u_c)² / u_c subject to the bounds and
Σ_{c∈p} x_c = C_p, whose solution is x_c = clip(μ_p u_c, lo_c, hi_c) with one scale factor μ_p per province
(found after one sort), then the largest-remainder rounding inside the province: integers y_c with
Σ_{c∈p} y_c = C_p exactly. Provinces are independent problems, so this is also the optimum of the national
problem with one budget constraint per province.

Conservation. Every province's county amounts plus the amount it holds add up to its tier-1 amount:
Σ_{c∈p} y_c + H_p = A_p with H_p = R_p (+ C_p if its tier 2 failed); summed over provinces,
Σ_c y_c + Σ_p H_p = B. The county table carries one "held at province level" line per province with H_p > 0,
so the county table itself adds up to the pool exactly.

Infeasibility at tier 2 is per province: if Σ lo_c > C_p, Σ hi_c < C_p, or no county has a positive target
(e.g. no county is eligible under the province's method), the reasons are given in words naming the province
("江西省: county floors add up to 21.3亿元 > the amount for counties 20.9亿元"), the province's C_p is held at
province level (nothing is invented), and every other province is allocated as usual."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .allocation import Constraints, allocate
from .allocation.api import LAST_YEAR, build_bounds
from .allocation.constrained import human, proportional
from .allocation.feasibility import diagnose
from .allocation.methods import compute_targets, total_target
from .allocation.params import load_method
from .money import UNITS
from .problems import InputError, Problem, Report
from .schema import COLUMNS

BASES = ("counties", "provinces", "county_targets")
ADDITIVE_UNITS = {"km²", "万人", "亿元", "万元", "个", "人"}
HELD_LEVEL = "province_held"  # level of the county-table line for money a province holds


# --- inputs -------------------------------------------------------------------------------------------------

@dataclass
class Tier2:
    """Tier-2 settings: a default method, methods by province code, retention shares (a number for every
    province or a mapping with an optional ``default``), and county constraints (ratios of last year's county
    amount; absolute floors, caps, locks in the output unit and exclusions, keyed by county code), with a
    province's own floor and cap ratios in ``ratios_by_province`` ({province: {floor_ratio, cap_ratio}})."""

    default_method: str = "redline_function_weighted"
    by_province: dict = field(default_factory=dict)
    retention: float | dict = 0.0
    constraints: Constraints = field(default_factory=Constraints)
    ratios_by_province: dict = field(default_factory=dict)

    def constraints_for(self, province: str) -> Constraints:
        own = self.ratios_by_province.get(str(province)) or {}
        if not own:
            return self.constraints
        import dataclasses

        return dataclasses.replace(self.constraints, **{k: own[k] for k in ("floor_ratio", "cap_ratio") if k in own})

    def method_for(self, province: str) -> str:
        return str(self.by_province.get(str(province), self.default_method))

    def retention_for(self, province: str) -> float:
        r = self.retention
        if isinstance(r, dict):
            return float(r.get(str(province), r.get("default", 0.0)) or 0.0)
        return float(r or 0.0)


def half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def retained_amount(amount: int, rate: float) -> int:
    """R_p = ⌊r_p A_p + ½⌋, the one rounding of the retention (half-up in whole units)."""
    return half_up(float(rate) * int(amount))


def counties_by_province(counties: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The county table split by ``parent_adcode`` (6-digit province codes), each part re-indexed from 0."""
    if "parent_adcode" not in counties:
        raise InputError("a two-tier allocation needs county data: the region data has no 'parent_adcode' column "
                         "(the province of each county)", "两级分配需要县级数据:地区数据缺少 'parent_adcode' 列(所属省份)",
                         column="parent_adcode")
    parent = counties["parent_adcode"].astype(str).str.strip()
    bad = counties["adcode"].astype(str)[~parent.str.fullmatch(r"\d{6}")]
    if len(bad):
        raise InputError(f"a two-tier allocation needs county data with the province code of each county in "
                         f"'parent_adcode'; {len(bad)} row(s) have none (e.g. {bad.iloc[0]}): is this province data?",
                         f"两级分配需要县级数据,且每个县须在 'parent_adcode' 中给出所属省份代码;{len(bad)} 行没有"
                         f"(如 {bad.iloc[0]}),是否为省级数据?", column="parent_adcode")
    parent = counties["parent_adcode"].astype(str).str[:2] + "0000"
    return {p: g.reset_index(drop=True) for p, g in counties.groupby(parent.to_numpy(), sort=True)}


def sum_by_province(counties: pd.DataFrame, provinces: pd.DataFrame) -> pd.DataFrame:
    """Province rows made of their counties: additive columns summed, scores averaged by land area, category
    and 0/1 columns dropped (a province has no single value for them)."""
    parent = counties["parent_adcode"].astype(str).str[:2] + "0000"
    cols = [c for c in counties.columns if c in COLUMNS and COLUMNS[c].numeric and COLUMNS[c].kind != "flag"]
    add = [c for c in cols if COLUMNS[c].unit in ADDITIVE_UNITS]
    scores = [c for c in cols if c not in add]
    num = counties[cols].apply(pd.to_numeric, errors="coerce")
    out = num[add].groupby(parent.to_numpy()).sum(min_count=1)
    if scores:
        w = pd.to_numeric(counties["land_area_km2"], errors="coerce").fillna(0.0).to_numpy()
        for c in scores:
            v = num[c].to_numpy(dtype=float)
            ok = ~np.isnan(v)
            s = pd.Series(np.where(ok, v * w, 0.0)).groupby(parent.to_numpy()).sum()
            ws = pd.Series(np.where(ok, w, 0.0)).groupby(parent.to_numpy()).sum()
            out[c] = (s / ws.where(ws > 0)).reindex(out.index)
    out.index.name = "adcode"
    out = out.reset_index()
    prov = provinces.set_index(provinces["adcode"].astype(str))
    for col in ("name_zh", "name_en", "region_group"):
        if col in prov:
            out[col] = out["adcode"].map(prov[col]).fillna("")
    out["level"] = "province"
    missing = sorted(set(out["adcode"]) - set(prov.index))
    if missing:
        raise InputError(f"county data names provinces that do not exist: {', '.join(missing[:5])}",
                         f"县级数据中的省份代码不存在:{', '.join(missing[:5])}", column="parent_adcode")
    return out


def given_amounts(table: pd.DataFrame, unit: str, value_unit: str, file: str = "") -> dict[str, int]:
    """Tier-1 amounts from a table with ``adcode`` and ``amount`` columns (in ``value_unit``), as integers in
    ``unit``. Rows whose code is not a province code (e.g. a national total 100000) are refused; a value that
    is not a whole number of ``unit`` is refused."""
    rep = Report()
    if "adcode" not in table or "amount" not in table:
        raise InputError("a tier-1 amounts table needs columns 'adcode' and 'amount'",
                         "省级金额表需要 'adcode' 与 'amount' 两列", file=file)
    out: dict[str, int] = {}
    for i, (code, v) in enumerate(zip(table["adcode"].astype(str), table["amount"], strict=True)):
        row = i + 2
        if not (len(code) == 6 and code.isdigit() and code.endswith("0000") and code != "100000"):
            rep.error("not a province code (6 digits ending in 0000)", "不是省级行政区划代码", file=file, row=row,
                      column="adcode", found=code)
            continue
        try:
            x = float(v) * UNITS[value_unit] / UNITS[unit]
        except (TypeError, ValueError):
            rep.error("not a number", "不是数字", file=file, row=row, column="amount", found=repr(v))
            continue
        if not np.isfinite(x) or x < 0:
            rep.error("amount must be a non-negative number", "金额必须为非负数", file=file, row=row,
                      column="amount", found=repr(v))
            continue
        if abs(x - round(x)) > 1e-6 * max(1.0, abs(x)):
            rep.error(f"amount is not a whole number of {unit}", f"金额不是整数个{unit}", file=file, row=row,
                      column="amount", found=repr(v))
            continue
        if code in out:
            rep.error("province appears twice", "省份重复", file=file, row=row, column="adcode", found=code)
            continue
        out[code] = int(round(x))
    rep.raise_if_errors()
    if not out or sum(out.values()) <= 0:
        raise InputError("the tier-1 amounts add up to zero", "省级金额合计为零", file=file)
    return out


# --- tier 2 ---------------------------------------------------------------------------------------------------

@dataclass
class ProvinceOutcome:
    adcode: str
    name_zh: str
    method: str
    amount: int  # A_p, the tier-1 amount
    retention_rate: float
    retained: int  # R_p
    to_counties: int  # C_p
    status: str  # "optimal" | "infeasible" | "no_counties"
    problems: list[Problem] = field(default_factory=list)
    columns: dict | None = None  # county columns (numpy arrays: adcode, target, bounds, final ...) when allocated
    scale: float = float("nan")

    @property
    def table(self) -> pd.DataFrame | None:
        return None if self.columns is None else pd.DataFrame(self.columns)

    @property
    def held(self) -> int:
        return self.retained + (0 if self.status == "optimal" else self.to_counties)


def _county_constraints(c: Constraints, regions: pd.DataFrame) -> Constraints:
    """The part of county-level constraints that concerns one province's counties."""
    codes = set(regions["adcode"].astype(str))

    def pick(d):
        return {k: v for k, v in (d or {}).items() if str(k) in codes}

    return Constraints(floor_ratio=c.floor_ratio, cap_ratio=c.cap_ratio, floors=pick(c.floors), caps=pick(c.caps),
                       locks=pick(c.locks), exclude=[k for k in c.exclude or [] if str(k) in codes])


def closed_form(target, lo, hi, fixed, budget: int, keys):
    """x = clip(μ t, lo, hi) with Σ x = budget, the integers by largest remainder, and the bound each region
    sits at (as :func:`compensation.allocation.allocate` labels it). Returns (x, final, binding, μ)."""
    x, final, info = proportional(target, lo, hi, int(budget), (), integer=True, keys=keys)
    scale = float(info.get("scale") or 1.0)
    ref = target * scale
    tol = 1e-6 * np.maximum(1.0, np.abs(x))
    binding = np.where(fixed != "", fixed,
                       np.where((np.abs(x - lo) <= tol) & (ref < lo - tol), "floor",
                                np.where((np.abs(x - hi) <= tol) & (ref > hi + tol), "cap", "")))
    return x, final, binding, scale


def allocate_province(regions: pd.DataFrame, method: str, amount: int, unit: str, year: int,
                      constraints: Constraints, province: str = "", name: str = "",
                      retention_rate: float = 0.0) -> ProvinceOutcome:
    """Tier 2 of one province: retention, then its counties by its method, exact in whole units.

    Infeasible bounds or a method that gives every county a zero target do not raise: the outcome says so in
    words and holds the amount at province level."""
    m = load_method(method)
    retained = retained_amount(amount, retention_rate)
    budget = int(amount) - retained
    out = ProvinceOutcome(province, name, m.name, int(amount), float(retention_rate), retained, budget, "optimal")
    label = name or province
    if budget <= 0:
        n = len(regions)
        out.columns = {"adcode": regions["adcode"].astype(str).to_numpy(), "target": np.zeros(n),
                       "lower": np.zeros(n), "upper": np.zeros(n), "allocated": np.zeros(n),
                       "final": np.zeros(n, dtype=np.int64), "binding": np.full(n, "", dtype=object)}
        out.scale = 0.0
        return out
    regions = regions.reset_index(drop=True)
    comp, ctx = compute_targets(m, regions, budget * UNITS[unit], year)
    out.problems.extend(ctx.diagnostics)
    raw = total_target(comp)
    if raw.sum() <= 0:
        elig = ctx.trace.get("eligible")
        why = (f"no county is eligible under '{m.name}' ({len(regions)} counties, none qualifies)"
               if elig is not None and not np.asarray(elig).any() else
               f"'{m.name}' gives every one of its {len(regions)} counties a zero target")
        why_zh = (f"按「{m.label_zh}」没有符合条件的县({len(regions)} 个县均不符合)"
                  if elig is not None and not np.asarray(elig).any() else
                  f"按「{m.label_zh}」其 {len(regions)} 个县的测算目标均为零")
        out.status = "infeasible"
        out.problems.append(Problem(
            "error", f"{label}: {why}; its {human(budget, unit)} for counties is held at province level",
            f"{label}:{why_zh};拨付县级的 {human(budget, unit)} 暂留省级", region=province))
        return out
    target = raw * (budget / raw.sum())
    lo, hi, fixed = build_bounds(_county_constraints(constraints, regions), regions, unit, out.problems)
    lo, hi = np.ceil(lo - 1e-9), np.where(np.isfinite(hi), np.floor(hi + 1e-9), hi)
    names = regions["name_zh"].astype(str) if "name_zh" in regions else regions["adcode"].astype(str)
    labels = [f"{a} {b}" for a, b in zip(regions["adcode"].astype(str), names, strict=True)]
    problems = diagnose(target, lo, hi, float(budget), [], labels, unit)
    if problems:
        out.status = "infeasible"
        for p in problems:
            en = p.message_en.replace("budget", "the amount for counties").replace("floors add", "county floors add")
            zh = p.message_zh.replace("预算", "拨付县级金额").replace("各地下限", "各县下限")
            out.problems.append(Problem("error", f"{label}: {en}", f"{label}:{zh}", region=p.region or province))
        return out
    keys = regions["adcode"].astype(str).to_numpy()
    x, final, binding, out.scale = closed_form(target, lo, hi, fixed, budget, keys)
    cols = {"adcode": keys}
    if LAST_YEAR in regions:
        cols["last_year"] = pd.to_numeric(regions[LAST_YEAR], errors="coerce").to_numpy(dtype=float) \
            * UNITS["万元"] / UNITS[unit]
    cols.update({"target": target, "lower": lo, "upper": hi, "allocated": x, "final": final.astype(np.int64),
                 "binding": binding.astype(object)})
    assert int(final.sum()) == budget
    out.columns = cols
    return out


# --- the two tiers ------------------------------------------------------------------------------------------

@dataclass
class CascadeResult:
    """Both tiers of one year. ``tier1`` is the tier-1 AllocationResult (by province, or by county for the
    ``county_targets`` basis); ``provinces`` and ``counties`` are the output tables; ``outcomes`` the tier-2 result by province."""

    year: int
    unit: str
    pool: int
    basis: str
    tier1: object  # AllocationResult of tier 1 (given amounts are locks on it)
    amounts: dict[str, int]
    outcomes: dict[str, ProvinceOutcome]
    provinces: pd.DataFrame
    counties: pd.DataFrame
    diagnostics: list[Problem]
    inputs: dict = field(default_factory=dict, repr=False)  # what explain() needs to re-run one province
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(o.status == "optimal" for o in self.outcomes.values())

    @property
    def failed(self) -> list[str]:
        return [p for p, o in self.outcomes.items() if o.status != "optimal"]

    def explain(self, region, lang: str = "zh") -> str:
        return explain(self, region, lang)


def _province_names(provinces: pd.DataFrame) -> dict[str, str]:
    return dict(zip(provinces["adcode"].astype(str), provinces["name_zh"].astype(str), strict=True))


def run_cascade(counties: pd.DataFrame, pool: int, unit: str = "万元", year: int = 2023,
                method: str | None = "redline_function_weighted", basis: str = "counties",
                constraints: Constraints | None = None, objective: str = "proportional",
                overrides: dict | None = None, amounts: dict[str, int] | None = None, tier2: Tier2 | None = None,
                provinces: pd.DataFrame | None = None, time_limit: float | None = 30,
                split: dict[str, pd.DataFrame] | None = None) -> CascadeResult:
    """Both tiers for one year. ``pool`` is an integer in ``unit`` (ignored when ``amounts`` are given).

    Bad input (unknown method, basis, county code, province) raises InputError; an infeasible tier 1 returns a
    result with no province allocated (``tier1.status == 'infeasible'``); an infeasible province at tier 2 is
    reported in ``diagnostics`` and held at province level while the others are allocated. ``split`` (the
    counties by province, :func:`counties_by_province`) may be passed to save the split in repeated runs."""
    from .data import load_regions

    t_start = time.perf_counter()
    tier2 = tier2 or Tier2()
    provinces = load_regions() if provinces is None else provinces
    names = _province_names(provinces)
    split = split if split is not None else counties_by_province(counties)
    unknown = sorted(set(split) - set(names))
    if unknown:
        raise InputError(f"county data names provinces that do not exist: {', '.join(unknown[:5])}",
                         f"县级数据中的省份代码不存在:{', '.join(unknown[:5])}", column="parent_adcode")
    for p in tier2.by_province:
        if str(p) not in names:
            raise InputError(f"tier-2 methods: '{p}' is not a province code", f"省级办法:'{p}' 不是省级代码",
                             key="cascade.tier2.by_province")
    _check_county_keys(tier2.constraints, counties)
    diagnostics: list[Problem] = []
    if basis not in BASES:
        raise InputError(f"unknown tier-1 basis '{basis}': use {', '.join(BASES)}",
                         f"未知的一级分配基础 '{basis}'", key="cascade.tier1_basis")
    c1 = constraints or Constraints()
    given = amounts is not None
    if given:
        amounts = {str(k): int(v) for k, v in amounts.items()}
        unknown = sorted(set(amounts) - set(names))
        if unknown:
            raise InputError(f"tier-1 amounts: '{unknown[0]}' is not a province code", f"省级金额:'{unknown[0]}' 不是省级代码",
                             key="cascade.tier1_amounts")
        missing = sorted(set(amounts) - set(split))
        if missing:
            diagnostics.append(Problem(
                "warning", f"{len(missing)} province(s) of the tier-1 table have no counties in the county data "
                           f"({', '.join(names.get(p, p) for p in missing[:5])}): their amounts are held at "
                           f"province level", f"省级金额表中有 {len(missing)} 个省份在县级数据中没有县,其金额暂留省级"))
        pool = int(sum(amounts.values()))
        if basis == "county_targets":
            basis = "counties"
        # the given amounts are locks on the provinces of the table: tier 1 still goes through the API
        c1 = Constraints(locks=dict(amounts))
        objective = "proportional"
    if basis == "county_targets":
        tier1 = allocate(counties, method=method, budget=pool, budget_unit=unit, unit=unit, year=year,
                         constraints=c1, objective=objective, overrides=overrides, time_limit=time_limit)
    else:
        regions = sum_by_province(counties, provinces) if basis == "counties" else \
            provinces[provinces["adcode"].astype(str).isin(split)].reset_index(drop=True)
        if amounts is not None:
            regions = regions[regions["adcode"].astype(str).isin(amounts)].reset_index(drop=True)
            if basis == "provinces" and len(regions) < len(amounts):  # a province without counties
                regions = provinces[provinces["adcode"].astype(str).isin(amounts)].reset_index(drop=True)
        tier1 = allocate(regions, method=method, budget=pool, budget_unit=unit, unit=unit, year=year,
                         constraints=c1, objective=objective, overrides=overrides, time_limit=time_limit)
    diagnostics.extend(tier1.diagnostics)
    if not tier1.ok:
        return CascadeResult(year, unit, pool, basis, tier1, {}, {}, pd.DataFrame(), pd.DataFrame(),
                             diagnostics, seconds=time.perf_counter() - t_start)
    t = tier1.table
    if basis == "county_targets":
        parent = counties["parent_adcode"].astype(str).str[:2] + "0000"
        by_p = pd.Series(t["final"].to_numpy(), index=parent.to_numpy()).groupby(level=0).sum()
        amounts = {str(k): int(v) for k, v in by_p.items()}
    else:
        amounts = dict(zip(t["adcode"].astype(str), t["final"].astype(int), strict=True))
    if given:
        basis = f"given ({basis})"
    outcomes: dict[str, ProvinceOutcome] = {}
    for p, amount in amounts.items():
        if p not in split:
            outcomes[p] = ProvinceOutcome(p, names.get(p, p), tier2.method_for(p), amount, 0.0, 0, amount,
                                          "no_counties")
            continue
        o = allocate_province(split[p], tier2.method_for(p), amount, unit, year, tier2.constraints_for(p), p,
                              names.get(p, p), tier2.retention_for(p))
        outcomes[p] = o
        diagnostics.extend(x for x in o.problems if x.severity == "error")
    prov_table, county_table = _tables(outcomes, split, names, tier1, basis, pool, unit, counties)
    assert int(county_table["final"].sum()) == pool
    inputs = {"split": split, "tier2": tier2, "names": names, "counties": counties,
              "allocate": {"method": method, "constraints": constraints, "objective": objective,
                           "overrides": overrides}}
    return CascadeResult(year, unit, pool, basis, tier1, amounts, outcomes, prov_table, county_table,
                         _dedupe(diagnostics), inputs, time.perf_counter() - t_start)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        k = (p.severity, p.message_en)
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out


def _check_county_keys(c: Constraints, counties: pd.DataFrame) -> None:
    codes = set(counties["adcode"].astype(str))
    for what, keys in (("floors", c.floors), ("caps", c.caps), ("locks", c.locks), ("exclude", c.exclude)):
        bad = [str(k) for k in (keys or []) if str(k) not in codes]
        if bad:
            raise InputError(f"county {what}: no county with code {', '.join(bad[:5])} (county constraints are "
                             f"keyed by county code)", f"县级{what}:找不到县级代码 {', '.join(bad[:5])}",
                             key=f"cascade.county_constraints.{what}")


TIER2_COLUMNS = ["tier2_method", "retention_rate", "retained", "to_counties", "counties", "county_sum", "held",
                 "tier2_status", "message_en", "message_zh"]


def _province_base(tier1, basis: str, counties: pd.DataFrame, names: dict) -> pd.DataFrame:
    """Tier-1 columns by province: the tier-1 allocation table, or (by county) its counties summed."""
    t = tier1.table
    if basis != "county_targets":
        return t.copy()
    parent = counties["parent_adcode"].astype(str).str[:2] + "0000"
    cols = [c for c in ("target", "allocated", "final") if c in t]
    out = t[cols].groupby(parent.to_numpy()).sum()
    out.index.name = "adcode"
    out = out.reset_index()
    out.insert(1, "name_zh", out["adcode"].map(names).fillna(""))
    out["share"] = out["final"] / tier1.budget
    return out


def _tables(outcomes, split, names, tier1, basis, pool, unit, counties) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The province table (tier-1 columns + tier-2 totals) and the county table, built once from arrays."""
    rows = []
    parts: dict[str, list] = {k: [] for k in ("adcode", "name_zh", "parent_adcode", "province_zh", "level",
                                              "tier2_method", "last_year", "target", "lower", "upper",
                                              "allocated", "final", "share_of_province", "binding")}
    nan = np.nan

    def add(n, **cols):
        for k in parts:
            v = cols.get(k, nan)
            parts[k].append(v if isinstance(v, np.ndarray) else np.full(n, v, dtype=object if isinstance(v, str)
                                                                          else float))

    for p, o in outcomes.items():
        errors = [x for x in o.problems if x.severity == "error"]
        ok = o.status == "optimal" and o.columns is not None and p in split
        county_sum = int(o.columns["final"].sum()) if ok else 0
        rows.append({"adcode": p, "tier2_method": o.method, "retention_rate": o.retention_rate,
                     "retained": o.retained, "to_counties": o.to_counties, "counties": len(split.get(p, ())),
                     "county_sum": county_sum, "held": o.held, "tier2_status": o.status,
                     "message_en": "; ".join(x.message_en for x in errors[:3]),
                     "message_zh": ";".join(x.message_zh for x in errors[:3])})
        if ok:
            reg, c = split[p], o.columns
            n = len(c["adcode"])
            add(n, adcode=c["adcode"], parent_adcode=p, province_zh=names.get(p, p), tier2_method=o.method,
                name_zh=reg["name_zh"].astype(str).to_numpy() if "name_zh" in reg else "",
                level=reg["level"].astype(str).to_numpy() if "level" in reg else "county",
                **{k: c[k] for k in ("last_year", "target", "lower", "upper", "allocated") if k in c},
                final=c["final"].astype(float), binding=c["binding"],
                share_of_province=c["final"] / o.amount if o.amount else np.zeros(n))
        if o.held > 0:
            add(1, adcode=p, name_zh=f"{names.get(p, p)}(省级留存)", parent_adcode=p, province_zh=names.get(p, p),
                level=HELD_LEVEL, tier2_method=o.method, final=float(o.held),
                binding="retained" if o.status == "optimal" else "held: tier 2 infeasible",
                share_of_province=o.held / o.amount if o.amount else 0.0)
    base = _province_base(tier1, basis, counties, names)
    base.insert(1, "tier1_basis", basis)
    tier2 = pd.DataFrame(rows, columns=["adcode", *TIER2_COLUMNS])
    prov = base.merge(tier2, on="adcode", how="left", validate="one_to_one")
    prov = prov.sort_values("adcode", kind="stable").reset_index(drop=True)
    for col in ("retained", "to_counties", "counties", "county_sum", "held"):
        prov[col] = prov[col].fillna(0).astype(np.int64)
    data = {k: (np.concatenate(v) if v else np.array([])) for k, v in parts.items()}
    data["final"] = data["final"].astype(np.int64)
    for k in ("last_year", "target", "lower", "upper", "allocated", "share_of_province"):
        data[k] = data[k].astype(float) + 0.0
    if not any(LAST_YEAR_KEY in (o.columns or {}) for o in outcomes.values()):
        data.pop("last_year")
    level_rank = (data["level"] == HELD_LEVEL).astype(int)
    order = np.lexsort((data["adcode"].astype(str), level_rank, data["parent_adcode"].astype(str)))
    counties_t = pd.DataFrame({k: v[order] for k, v in data.items()})
    return prov, counties_t


LAST_YEAR_KEY = "last_year"


# --- explanations ---------------------------------------------------------------------------------------------

def find_county(res: CascadeResult, region) -> tuple[str, str]:
    """(county code, province code) of a county named by code or Chinese name; names must be unique."""
    t = res.counties[res.counties["level"] != HELD_LEVEL]
    key = str(region).strip()
    hit = t[t["adcode"].astype(str) == key]
    if not len(hit):
        hit = t[t["name_zh"].astype(str) == key]
    if len(hit) > 1:
        where = ", ".join(f"{r.adcode} ({r.province_zh})" for r in hit.itertuples())
        raise InputError(f"'{region}' names {len(hit)} counties: {where}; give the county code",
                         f"名称 '{region}' 对应 {len(hit)} 个县:{where};请给出县级代码")
    if len(hit):
        return str(hit["adcode"].iloc[0]), str(hit["parent_adcode"].iloc[0])
    counties = res.inputs.get("counties")
    if counties is not None:  # a county of a province whose tier 2 failed: not in the table
        c = counties[(counties["adcode"].astype(str) == key) | (counties["name_zh"].astype(str) == key)]
        if len(c) == 1:
            return str(c["adcode"].iloc[0]), str(c["parent_adcode"].iloc[0])[:2] + "0000"
    raise InputError(f"no county with code or name '{region}' in this cascade",
                     f"本次两级分配中没有代码或名称为 '{region}' 的县")


def province_allocation(res: CascadeResult, province: str):
    """The tier-2 allocation of one province through the allocation API (an AllocationResult with the full
    explanation machinery); its final amounts equal the cascade's (same targets, bounds, closed form)."""
    o = res.outcomes[province]
    regions = res.inputs["split"][province]
    c = _county_constraints(res.inputs["tier2"].constraints_for(province), regions)
    return allocate(regions, method=res.inputs["tier2"].method_for(province), budget=o.to_counties,
                    budget_unit=res.unit, unit=res.unit,
                    year=res.year, constraints=c)


def explain(res: CascadeResult, region, lang: str = "zh") -> str:
    """Both tiers for one county in one paragraph: how its province's central amount came about, the
    provincial retention, and the county's share by the province's method. A province code or name explains
    tier 1 and the retention only."""
    zh = lang == "zh"
    names = res.inputs.get("names", {})
    key = str(region).strip()
    prov_code = next((p for p, n in names.items() if key in (p, n)), None)
    if prov_code is not None and prov_code in res.outcomes:
        return _tier1_text(res, prov_code, zh) + _retention_text(res, prov_code, zh)
    county, prov_code = find_county(res, region)
    if prov_code not in res.outcomes:
        raise InputError(f"county {county}'s province {prov_code} is not part of this cascade",
                         f"县 {county} 所属省份 {prov_code} 不在本次两级分配中")
    o = res.outcomes[prov_code]
    text = _tier1_text(res, prov_code, zh) + _retention_text(res, prov_code, zh)
    if o.status != "optimal":
        msg = "; ".join(p.message_en for p in o.problems if p.severity == "error")
        msg_zh = ";".join(p.message_zh for p in o.problems if p.severity == "error")
        return text + (f"二级分配不可行:{msg_zh}。" if zh else f" Tier 2 is infeasible: {msg}.")
    a = province_allocation(res, prov_code)
    tier2 = a.explain(county, lang)
    final = int(res.counties.set_index("adcode").loc[county, "final"])
    share = final / o.amount if o.amount else 0.0
    if zh:
        return (text + f"二级(省对县,按「{a.method.label_zh}」):{tier2} 该县最终得到 {final:,}{res.unit},"
                f"占{names.get(prov_code, prov_code)}中央资金的 {share:.2%}。")
    return (text + f" Tier 2 (province to counties, by '{a.method.label_en}'): {tier2} The county finally receives "
            f"{final:,} {res.unit}, {share:.2%} of its province's central amount.")


def _tier1_text(res: CascadeResult, p: str, zh: bool) -> str:
    o = res.outcomes[p]
    name = res.inputs.get("names", {}).get(p, p)
    if res.basis.startswith("given"):
        return (f"一级(中央对省):{name}的中央资金 {o.amount:,}{res.unit} 取自给定的省级金额表"
                f"(合计 {res.pool:,}{res.unit})。" if zh else
                f"Tier 1 (central to province): {name}'s central amount {o.amount:,} {res.unit} is taken from "
                f"the given province table (total {res.pool:,} {res.unit}).")
    if res.basis == "county_targets":
        return (f"一级(中央对省,按县测算):中央按「{res.tier1.method.label_zh}」逐县测算,{name}各县合计 "
                f"{o.amount:,}{res.unit},占资金总额 {o.amount / res.pool:.2%}。" if zh else
                f"Tier 1 (central to province, computed by county): the Ministry's calculation by "
                f"'{res.tier1.method.label_en}' over every county gives {name}'s counties {o.amount:,} {res.unit} "
                f"in all, {o.amount / res.pool:.2%} of the pool.")
    body = res.tier1.explain(p, "zh" if zh else "en")
    return f"一级(中央对省):{body}" if zh else f"Tier 1 (central to province): {body}"


def _retention_text(res: CascadeResult, p: str, zh: bool) -> str:
    o = res.outcomes[p]
    if o.retained:
        return (f"省级统筹 {o.retention_rate:.0%}:留存 {o.retained:,}{res.unit},拨付各县 {o.to_counties:,}{res.unit}。"
                if zh else f" The province keeps {o.retention_rate:.0%} ({o.retained:,} {res.unit}) and passes "
                f"{o.to_counties:,} {res.unit} to its counties.")
    return (f"无省级统筹,全部 {o.to_counties:,}{res.unit} 拨付各县。" if zh else
            f" No provincial retention: all {o.to_counties:,} {res.unit} go to its counties.")


# --- the scenario section ---------------------------------------------------------------------------------------

SECTION_SPEC = {
    "tier1_basis": (str,), "tier1_amounts": {"file": (str,), "values": "map", "column": (str,), "unit": (str,)},
    "tier2_method": (str,), "by_province": "map", "retention": (int, float, dict),
    "county_constraints": {"floor_ratio": (int, float), "cap_ratio": (int, float), "floors": "map", "caps": "map",
                           "locks": "map", "exclude": (list,), "by_province": "map"},
    "carry_over": (bool,),
}


def _is_province_code(code) -> bool:
    from .data import province_codes

    return str(code) in province_codes()


def check_section(c: dict, file: str, rep: Report, exists=None) -> None:
    """Check a scenario's ``cascade:`` section (key names and types are checked with the rest of the
    scenario): basis, methods, province codes, retention shares, county constraints, tier-1 amounts.
    ``exists(path) -> bool`` checks a tier-1 amounts file relative to the scenario."""
    from .money import unit_name

    key = "cascade"
    if c.get("tier1_basis", "counties") not in BASES:
        rep.error(f"unknown tier-1 basis: use {', '.join(BASES)}", "未知的一级分配基础", file=file,
                  key=f"{key}.tier1_basis", found=repr(c.get("tier1_basis")))
    methods = [("tier2_method", c.get("tier2_method", Tier2.default_method))]
    for p, m in (c.get("by_province") or {}).items():
        if not _is_province_code(p):
            rep.error("not a province code (e.g. 360000)", "不是省级行政区划代码", file=file,
                      key=f"{key}.by_province.{p}", found=repr(p))
        methods.append((f"by_province.{p}", m))
    for k, m in methods:
        try:
            load_method(str(m))
        except InputError as exc:
            for p in exc.report.errors:
                rep.error(p.message_en, p.message_zh, file=file, key=f"{key}.{k}", found=repr(m))
    r = c.get("retention", 0.0)
    items = r.items() if isinstance(r, dict) else [("", r)]
    for p, v in items:
        where = f"{key}.retention" + (f".{p}" if p != "" else "")
        if p not in ("", "default") and not _is_province_code(p):
            rep.error("not a province code or 'default'", "不是省级代码或 default", file=file, key=where, found=repr(p))
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= float(v) < 1:
            rep.error("a retention share is a number from 0 to below 1 (e.g. 0.1 for 10%)",
                      "省级统筹比例应为 0 至 1(不含)之间的数", file=file, key=where, found=repr(v))
    cc = c.get("county_constraints") or {}
    for k in ("floor_ratio", "cap_ratio"):
        if k in cc and not 0 <= float(cc[k]) <= 100:
            rep.error("ratio out of range (0–100)", "比例超出范围", file=file, key=f"{key}.county_constraints.{k}",
                      found=repr(cc[k]))
    if "floor_ratio" in cc and "cap_ratio" in cc and float(cc["floor_ratio"]) > float(cc["cap_ratio"]):
        rep.error("floor ratio is above the cap ratio", "下限比例高于上限比例", file=file,
                  key=f"{key}.county_constraints.floor_ratio", found=f"{cc['floor_ratio']} > {cc['cap_ratio']}")
    for p, own in (cc.get("by_province") or {}).items():
        where = f"{key}.county_constraints.by_province.{p}"
        if not _is_province_code(p):
            rep.error("not a province code (e.g. 360000)", "不是省级行政区划代码", file=file, key=where, found=repr(p))
        if not isinstance(own, dict):
            rep.error("expected {floor_ratio, cap_ratio}", "应为 {floor_ratio, cap_ratio}", file=file, key=where,
                      found=repr(own))
            continue
        for k, v in own.items():
            if k not in ("floor_ratio", "cap_ratio"):
                rep.error(f"unknown key '{k}'", f"未知的键 '{k}'", file=file, key=f"{where}.{k}",
                          expected="floor_ratio, cap_ratio")
            elif isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= float(v) <= 100:
                rep.error("ratio out of range (0–100)", "比例超出范围", file=file, key=f"{where}.{k}", found=repr(v))
        lo = own.get("floor_ratio", cc.get("floor_ratio"))
        hi = own.get("cap_ratio", cc.get("cap_ratio"))
        if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
            rep.error("floor ratio is above the cap ratio", "下限比例高于上限比例", file=file, key=where,
                      found=f"{lo} > {hi}")
    for k in ("floors", "caps", "locks"):
        for code, v in (cc.get(k) or {}).items():
            where = f"{key}.county_constraints.{k}.{code}"
            if not (str(code).isdigit() and len(str(code)) in (6, 9)):
                rep.error("county constraints are keyed by county code (6 digits)", "县级约束须以县级代码为键",
                          file=file, key=where, found=repr(code))
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                rep.error("expected a non-negative amount in the scenario's unit", "应为非负金额", file=file,
                          key=where, found=repr(v))
    a = c.get("tier1_amounts")
    if a is not None:
        if ("file" in a) == ("values" in a):
            rep.error("give either 'file' or 'values'", "请给出 file 或 values 之一", file=file,
                      key=f"{key}.tier1_amounts")
        try:
            unit_name(a.get("unit", "亿元"))
        except InputError:
            rep.error("unknown money unit: use 元, 万元 or 亿元", "未知的货币单位", file=file,
                      key=f"{key}.tier1_amounts.unit", found=repr(a.get("unit")))
        for p, v in (a.get("values") or {}).items():
            where = f"{key}.tier1_amounts.values.{p}"
            if not _is_province_code(p):
                rep.error("not a province code", "不是省级行政区划代码", file=file, key=where, found=repr(p))
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                rep.error("expected a non-negative amount", "应为非负金额", file=file, key=where, found=repr(v))
        if "file" in a and exists is not None and not exists(a["file"]):
            rep.error("tier-1 amounts file not found", "找不到省级金额文件", file=file, key=f"{key}.tier1_amounts.file",
                      found=a["file"])


def tier2_from_section(c: dict) -> Tier2:
    cc = c.get("county_constraints") or {}
    return Tier2(
        default_method=str(c.get("tier2_method", Tier2.default_method)),
        by_province={str(k): str(v) for k, v in (c.get("by_province") or {}).items()},
        retention={str(k): float(v) for k, v in c["retention"].items()} if isinstance(c.get("retention"), dict)
        else float(c.get("retention", 0.0) or 0.0),
        constraints=Constraints(floor_ratio=cc.get("floor_ratio"), cap_ratio=cc.get("cap_ratio"),
                                floors={str(k): v for k, v in (cc.get("floors") or {}).items()},
                                caps={str(k): v for k, v in (cc.get("caps") or {}).items()},
                                locks={str(k): v for k, v in (cc.get("locks") or {}).items()},
                                exclude=[str(x) for x in cc.get("exclude") or []]),
        ratios_by_province={str(k): dict(v) for k, v in (cc.get("by_province") or {}).items() if isinstance(v, dict)})


def tier1_amounts_from_section(a: dict, unit: str, year: int, path=None) -> dict[str, int]:
    """The given tier-1 amounts for ``year`` as integers in ``unit``: inline ``values`` or a table file (CSV or
    XLSX, validated: province codes, numbers, whole units) with ``adcode`` and the amount ``column``; a
    ``year`` column, where present, selects the year's rows."""
    from .io import read_table
    from .money import unit_name

    vunit = unit_name(a.get("unit", "亿元"))
    if "values" in a:
        table = pd.DataFrame({"adcode": [str(k) for k in a["values"]], "amount": list(a["values"].values())})
        return given_amounts(table, unit, vunit, "cascade.tier1_amounts.values")
    raw = read_table(path)
    col = a.get("column", "amount")
    if col not in raw:
        raise InputError(f"no column '{col}' in the tier-1 amounts table", f"省级金额表中没有列 '{col}'",
                         file=str(a["file"]), column=col)
    if "adcode" not in raw:
        raise InputError("no column 'adcode' in the tier-1 amounts table", "省级金额表中没有 'adcode' 列",
                         file=str(a["file"]), column="adcode")
    if "year" in raw:
        raw = raw[pd.to_numeric(raw["year"], errors="coerce") == year]
        if not len(raw):
            raise InputError(f"the tier-1 amounts table has no rows for {year}", f"省级金额表中没有 {year} 年的数据",
                             file=str(a["file"]), column="year", year=year)
    raw = raw[raw["adcode"].astype(str) != "100000"]  # a national total line is not a province
    table = pd.DataFrame({"adcode": raw["adcode"].astype(str).to_numpy(), "amount": raw[col].to_numpy()})
    return given_amounts(table, unit, vunit, str(a["file"]))


def summary_row(res: CascadeResult) -> dict:
    """Cascade figures for the run summary."""
    t = res.counties
    counties = t[t["level"] != HELD_LEVEL] if len(t) else t
    return {"tier1_basis": res.basis, "provinces_cascaded": len(res.outcomes),
            "provinces_infeasible": len(res.failed), "counties": int(len(counties)),
            "counties_funded": int((counties["final"] > 0).sum()) if len(counties) else 0,
            "county_total": int(counties["final"].sum()) if len(counties) else 0,
            "held_at_province": int(sum(o.held for o in res.outcomes.values()))}


def normalise_section(c: dict) -> dict:
    """Codes as text: YAML reads ``360000:`` as a number; the section keeps every code key as a string."""
    out = dict(c)
    for key in ("by_province", "retention"):
        if isinstance(out.get(key), dict):
            out[key] = {str(k): v for k, v in out[key].items()}
    if isinstance(out.get("county_constraints"), dict):
        cc = dict(out["county_constraints"])
        for k in ("floors", "caps", "locks", "by_province"):
            if isinstance(cc.get(k), dict):
                cc[k] = {str(a): v for a, v in cc[k].items()}
        if isinstance(cc.get("exclude"), list):
            cc["exclude"] = [str(x) for x in cc["exclude"]]
        out["county_constraints"] = cc
    if isinstance(out.get("tier1_amounts"), dict) and isinstance(out["tier1_amounts"].get("values"), dict):
        out["tier1_amounts"] = {**out["tier1_amounts"],
                                "values": {str(k): v for k, v in out["tier1_amounts"]["values"].items()}}
    return out


def with_province(res: CascadeResult, province: str, method: str | None = None,
                  retention_rate: float | None = None) -> CascadeResult:
    """The same cascade with one province's tier 2 redone (another method or retention share), its tier-1
    amount unchanged: what a province's analyst tries before issuing the provincial measure."""
    import dataclasses

    o = res.outcomes[province]
    t2 = res.inputs["tier2"]
    new = allocate_province(res.inputs["split"][province], method or t2.method_for(province), o.amount, res.unit,
                            res.year,
                            t2.constraints_for(province), province, o.name_zh,
                            o.retention_rate if retention_rate is None else float(retention_rate))
    outcomes = {**res.outcomes, province: new}
    by_province = {**t2.by_province, province: method or t2.method_for(province)}
    retention = dict(t2.retention) if isinstance(t2.retention, dict) else {"default": t2.retention}
    retention[province] = new.retention_rate
    tier2 = dataclasses.replace(t2, by_province=by_province, retention=retention)
    prov, counties = _tables(outcomes, res.inputs["split"], res.inputs["names"], res.tier1, res.basis, res.pool,
                             res.unit, res.inputs["counties"])
    diagnostics = [p for p in res.diagnostics if p.region != province and not p.message_en.startswith(
        f"{o.name_zh}:")] + [p for p in new.problems if p.severity == "error"]
    return dataclasses.replace(res, outcomes=outcomes, provinces=prov, counties=counties, diagnostics=diagnostics,
                               inputs={**res.inputs, "tier2": tier2})
