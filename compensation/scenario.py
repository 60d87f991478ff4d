"""Scenario files: a named set of choices on top of a baseline, over several years.

A scenario is a YAML file (see docs/scenarios.md). It may ``extend`` one or more scenarios and state only what
differs; the result is a *resolved* scenario (a plain dict) plus the chain of files it came from. Every key is
checked against ``SPEC``: an unknown key is an error naming the file and the key path (a typo must not pass
silently)."""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path

from .cache import code_fingerprint
from .cache import file_sha256 as sha256_file
from .cascade import SECTION_SPEC as CASCADE_SPEC
from .cascade import Tier2
from .cascade import check_section as check_cascade
from .cascade import normalise_section as normalise_cascade
from .data import DATA_DIR, MODELS_DIR, ROOT, SCENARIOS_DIR
from .io import name_problem, read_yaml
from .money import BUDGET_ROUNDING, parse_amount, unit_name, whole_amount
from .problems import InputError, Report

YEAR_MIN, YEAR_MAX = 2008, 2100
MAX_SYNTH_SCALE = 100  # synthetic data: each of 2,848 counties split into at most 100 units (≈ 285,000 rows)

# Allowed keys. A dict is a nested mapping; a tuple of types is a leaf; "map" is a free mapping (keys checked
# elsewhere: parameter paths, region codes, years).
ANY_MAP = "map"
SPEC = {
    "scenario": {
        "name": (str,), "title": (str,), "title_en": (str,), "description": (str,), "author": (str,),
        "references": (list, str), "extends": (str, list),
    },
    "data": (str, dict),
    "method": (str,),
    "overrides": ANY_MAP,
    "years": (list, str, int),
    "budget": {"unit": (str,), "amounts": ANY_MAP, "base": (int, float), "base_year": (int,),
               "growth": (int, float), "rounding": (str,)},
    "unit": (str,),
    "rounding": (str,),
    "objective": (str,),
    "time_limit": (int, float),
    "constraints": {
        "floor_ratio": (int, float), "cap_ratio": (int, float), "floors": ANY_MAP, "caps": ANY_MAP,
        "locks": ANY_MAP, "exclude": (list,), "groups": (list,), "carry_over": (bool,),
        "initial_last_year": (str, dict),
    },
    "horizontal": {"agreements": (list,), "monitoring": (str,), "capacity_ratio": (int, float),
                   "objective": (str,), "links": (str,), "time_limit": (int, float)},
    "cascade": CASCADE_SPEC,  # two-tier allocation (compensation/cascade.py, docs/cascade.md)
    # defaults of `ecocomp sweep` (compensation/sweep/spec.py checks the values, docs/sweep.md)
    "sweep": {"samples": (int,), "seed": (int,), "vary": ANY_MAP, "data": ANY_MAP, "data_columns": (list,)},
}
DATA_SPEC = {"synthetic": {"seed": (int,), "scale": (int,)}}
GROUP_KEYS = {"name", "members", "min_share", "max_share"}
ROUNDING = ("largest_remainder",)


@dataclass
class Scenario:
    """A resolved scenario: ``spec`` is the merged dict; ``files`` the chain of scenario files (base first)."""

    name: str
    spec: dict
    path: Path | None
    files: list[Path] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.spec.get("scenario", {}).get("title", self.name)

    @property
    def years(self) -> list[int]:
        return parse_years(self.spec.get("years", []))

    @property
    def unit(self) -> str:
        return unit_name(self.spec.get("unit", "万元"))


def parse_years(value) -> list[int]:
    """2023, [2023, 2024], "2024-2027" or "2024,2026" → sorted list of years. Raises InputError (key
    ``years``) for anything else: nested lists, booleans, fractions, text that is not a year."""
    bad = InputError("years must be a year, a list of years or a range like 2024-2027",
                     "年份应为一个年份、年份列表或 2024-2027 形式的范围", key="years", found=repr(value)[:80],
                     expected="e.g. 2023, [2023, 2024] or 2024-2027")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        if not all(isinstance(v, int) and not isinstance(v, bool) or isinstance(v, str) and v.strip().isdigit()
                   for v in value):
            raise bad
        return sorted(int(v) for v in value)
    if not isinstance(value, str):
        raise bad
    text = value.strip()
    m = re.fullmatch(r"(\d{4})\s*[-–~]\s*(\d{4})", text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if b < a:
            raise bad
        return list(range(a, b + 1))
    parts = [v for v in re.split(r"[,\s]+", text) if v]
    if not all(re.fullmatch(r"\d{1,6}", v) for v in parts):
        raise bad
    return sorted(int(v) for v in parts)


def find_scenario(ref: str, relative_to: Path | None = None) -> Path:
    """A scenario by path, by path relative to the extending file, or by name in scenarios/.

    A name (no '.yaml'/'.yml' suffix) resolves only inside scenarios/ (or beside the extending file), so
    ``extends: ../../x`` cannot reach elsewhere; a file elsewhere is used only when given as an explicit
    path: a command-line argument naming an existing file, or a reference ending in .yaml/.yml."""
    ref = str(ref)
    key = "scenario.extends" if relative_to else ""
    is_path = Path(ref).suffix.lower() in (".yaml", ".yml")
    candidates: list[Path] = []
    if is_path or (relative_to is None and Path(ref).is_file()):
        candidates.append(Path(ref))
        if relative_to is not None:
            candidates.append(relative_to.parent / ref)
        candidates.append(SCENARIOS_DIR / ref)
    else:
        problem = name_problem(ref)
        if problem:
            raise InputError(f"scenario '{ref}' is neither a scenario name nor a .yaml file: {problem}",
                             f"情景 '{ref}' 既不是情景名称,也不是 .yaml 文件", file=str(relative_to or ""), key=key,
                             expected="a name in scenarios/ or a path ending in .yaml")
        for folder in [SCENARIOS_DIR] + ([relative_to.parent] if relative_to is not None else []):
            candidates += [folder / f"{ref}.yaml", folder / f"{ref}.yml"]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    known = sorted(p.stem for p in SCENARIOS_DIR.glob("*.y*ml"))
    hint = difflib.get_close_matches(ref, known, n=1)
    raise InputError(f"scenario '{ref}' not found" + (f" (did you mean '{hint[0]}'?)" if hint else "")
                     + f"; known: {', '.join(known)}",
                     f"找不到情景 '{ref}'", file=str(relative_to or ""), key=key)


def _read_yaml(path: Path) -> dict:
    doc = read_yaml(path, "scenario file")
    if doc is None:
        raise InputError("the scenario file is empty", "情景文件为空", file=str(path))
    if not isinstance(doc, dict):
        raise InputError("a scenario file must be a mapping of keys", "情景文件必须是键值映射", file=str(path))
    return doc


def check_keys(doc: dict, spec: dict, file: str, rep: Report, prefix: str = "") -> None:
    """Report unknown keys (with a 'did you mean') and values of the wrong type."""
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if key not in spec:
            hint = difflib.get_close_matches(str(key), [str(k) for k in spec], n=1)
            rep.error(f"unknown key '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else ""),
                      f"未知的键 '{key}'" + (f"(是否应为 '{hint[0]}'?)" if hint else ""), file=file, key=path,
                      expected="one of " + ", ".join(map(str, spec)))
            continue
        rule = spec[key]
        if isinstance(rule, dict):
            if key == "data" and isinstance(value, dict):
                check_keys(value, DATA_SPEC, file, rep, f"{path}.")
            elif not isinstance(value, dict):
                rep.error("expected a mapping of keys", "应为键值映射", file=file, key=path, found=repr(value))
            else:
                check_keys(value, rule, file, rep, f"{path}.")
        elif rule == ANY_MAP:
            if not isinstance(value, dict):
                rep.error("expected a mapping", "应为映射", file=file, key=path, found=repr(value))
        elif key == "data" and isinstance(value, dict):
            check_keys(value, DATA_SPEC, file, rep, f"{path}.")
        elif not isinstance(value, rule) or (isinstance(value, bool) and bool not in rule):
            rep.error("wrong type of value", "取值类型错误", file=file, key=path,
                      expected=" or ".join(t.__name__ for t in rule), found=repr(value))


def merge(base: dict, child: dict) -> dict:
    """Deep merge: mappings merge key by key, anything else in ``child`` replaces ``base``."""
    out = copy.deepcopy(base)
    for k, v in child.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("scenario",):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _chain_docs(path: Path, _seen: tuple = ()) -> list[tuple[Path, dict]]:
    """The raw documents a scenario is made of, base first: each parent's chain, then the file itself."""
    if path in _seen:
        raise InputError("scenario extends itself (circular 'extends')", "情景循环继承", file=str(path),
                         key="scenario.extends")
    doc = _read_yaml(path)
    rep = Report()
    check_keys(doc, SPEC, _rel(path), rep)
    rep.raise_if_errors()
    parents = doc.get("scenario", {}).get("extends") or []
    parents = [parents] if isinstance(parents, str) else parents
    docs: list[tuple[Path, dict]] = []
    for parent in parents:
        for p, d in _chain_docs(find_scenario(parent, path), _seen + (path,)):
            if p not in [q for q, _ in docs]:
                docs.append((p, d))
    docs.append((path, doc))
    return docs


def load_scenario(ref) -> Scenario:
    """Read, merge (``extends``) and check a scenario. Raises InputError with every problem found.

    ``extends: [a, b]`` compounds: a's chain is applied, then the files of b's chain that a's did not
    already apply (so b contributes what it states, not its copy of a shared baseline), then the file."""
    path = ref if isinstance(ref, Path) and ref.is_file() else find_scenario(str(ref))
    path = Path(path).resolve()
    docs = _chain_docs(path)
    spec: dict = {}
    for _, doc in docs:
        spec = merge(spec, doc)
    header = docs[-1][1].get("scenario", {})
    spec["scenario"] = dict(header)
    spec["scenario"]["name"] = header.get("name", path.stem)
    if isinstance(spec.get("cascade"), dict):
        spec["cascade"] = normalise_cascade(spec["cascade"])
    sc = Scenario(spec["scenario"]["name"], spec, path, [p for p, _ in docs])
    validate_scenario(sc).raise_if_errors()
    return sc


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def budget_for_years(spec: dict, years: list[int], unit: str, file: str = "", rep: Report | None = None) -> dict:
    """Budget per year as an exact Python int in ``unit`` (money.whole_amount: Decimal arithmetic, no float).

    ``amounts`` are taken as given: each must be a whole number of the output unit, unless
    ``budget.rounding: half_up`` (then rounded half up with a warning saying by how much). A ``base`` with
    ``growth`` gives base × (1 + growth)^(year − base_year), computed in Decimal and rounded half-up to a whole
    output unit (the one rounding of a budget; it is stated in the run's parameters table)."""
    rep = rep if rep is not None else Report()
    b = spec.get("budget") or {}
    try:
        bunit = unit_name(b.get("unit", unit))
    except InputError as exc:
        rep.error(exc.report.errors[0].message_en, exc.report.errors[0].message_zh, file=file, key="budget.unit")
        return {}
    rounding = b.get("rounding", "refuse")
    if rounding not in BUDGET_ROUNDING:
        rep.error("unknown budget rounding", "未知的预算取整方式", file=file, key="budget.rounding",
                  expected=" or ".join(BUDGET_ROUNDING), found=repr(rounding))
        return {}
    amounts = {}
    for k, v in (b.get("amounts") or {}).items():
        try:
            amounts[int(k)] = v
        except (TypeError, ValueError):
            rep.error("budget years must be years", "预算年份必须为年份", file=file, key=f"budget.amounts.{k}",
                      found=repr(k))
    out = {}
    for y in years:
        key = f"budget.amounts.{y}"
        try:
            if y in amounts:
                out[y], note = whole_amount(amounts[y], bunit, unit, key, rounding)
            elif "base" in b:
                key = "budget.base"
                base = parse_amount(b["base"], key)
                growth = parse_amount(b.get("growth", 0), "budget.growth", allow_zero=True, signed=True)
                if growth <= -1:
                    raise InputError("budget.growth must be above -1 (-100%)", "预算增长率必须大于 -100%",
                                     key="budget.growth", found=repr(b.get("growth")))
                with localcontext() as ctx:
                    ctx.prec = 80
                    value = base * (1 + growth) ** (y - int(b.get("base_year", years[0])))
                    if value > Decimal(10) ** 24:
                        raise InputError(f"budget.base × growth reaches {value:.3e} {bunit} in {y}",
                                         f"预算基数按增长率计算在 {y} 年达到 {value:.3e}{bunit}", key=key)
                out[y], note = whole_amount(value, bunit, unit, key, "half_up")
                note = None  # the growth rounding is the documented rule, stated in the parameters table
            else:
                rep.error("no budget for this year: give budget.amounts or budget.base (+ growth)",
                          "该年份没有预算:请给出 budget.amounts 或 budget.base(及 growth)", file=file,
                          key="budget", year=y)
                continue
        except InputError as exc:
            for p in exc.report.errors:
                rep.error(p.message_en, p.message_zh, file=file, key=p.key or key, year=y, expected=p.expected,
                          found=p.found)
            continue
        if note is not None:
            rep.warning(note.message_en, note.message_zh, file=file, key=key, year=y)
    return out


def overrides_for_year(overrides: dict, year: int) -> dict:
    """Dated overrides → the values in force in ``year``. A plain value applies to every year; a mapping
    ``{"2025-01-01": 0.4}`` applies from that date (the year's value is the one in force on 1 January... or
    later in that year: an override dated within the year applies to that whole year)."""
    out = {}
    for path, value in (overrides or {}).items():
        if isinstance(value, dict) and value and all(_is_date(k) for k in value):
            dated = sorted((str(k), v) for k, v in value.items())
            current = [v for d, v in dated if int(d[:4]) <= year]
            if current:
                out[path] = current[-1]
        else:
            out[path] = value
    return out


def _is_date(k) -> bool:
    return bool(re.fullmatch(r"\d{4}(-\d{2}-\d{2})?", str(k)))


def resolve_path(value: str, scenario: Scenario) -> Path:
    """A path in a scenario is relative to the scenario file that the merged value came from; we try the
    scenario's own folder, each file of its chain, and the repository root."""
    p = Path(value)
    if p.is_absolute():
        return p
    for base in [*(f.parent for f in reversed(scenario.files)), ROOT]:
        if (base / p).exists():
            return (base / p).resolve()
    return (scenario.files[-1].parent / p).resolve() if scenario.files else (ROOT / p)


def validate_scenario(sc: Scenario) -> Report:
    """Check what can be checked without running: method, years, budget, constraints, files."""
    from .allocation import load_method

    rep = Report()
    file = _rel(sc.files[-1]) if sc.files else sc.name
    spec = sc.spec
    name_issue = name_problem(sc.name)
    if name_issue:
        rep.error(f"scenario name {sc.name!r} cannot name a run folder: {name_issue}",
                  "情景名称不能用作文件夹名:请只用字母、数字、汉字、_ - . +", file=file, key="scenario.name",
                  found=repr(sc.name), expected="letters, digits, 中文, _ - . + (no '/', '\\', '..')")
    try:
        years = sc.years
    except InputError as exc:
        p = exc.report.errors[0]
        rep.error(p.message_en, p.message_zh, file=file, key="years", found=p.found, expected=p.expected)
        return rep
    if not years:
        rep.error("no years given", "未给出年份", file=file, key="years")
    for y in years:
        if not YEAR_MIN <= y <= YEAR_MAX:
            rep.error(f"year out of range ({YEAR_MIN}–{YEAR_MAX})", f"年份超出范围({YEAR_MIN}–{YEAR_MAX})",
                      file=file, key="years", year=y)
    try:
        unit = sc.unit
    except InputError:
        rep.error("unknown money unit: use 元, 万元 or 亿元", "未知的货币单位", file=file, key="unit",
                  found=repr(spec.get("unit")))
        unit = "万元"
    if spec.get("rounding", "largest_remainder") not in ROUNDING:
        rep.error("unknown rounding rule", "未知的取整规则", file=file, key="rounding",
                  expected=" or ".join(ROUNDING), found=repr(spec.get("rounding")))
    method = None
    if "method" not in spec:
        rep.error("no method given", "未指定分配方法", file=file, key="method")
    else:
        try:
            method = load_method(spec["method"])
        except InputError as exc:
            for p in exc.report.errors:
                rep.error(p.message_en, p.message_zh, file=file, key="method", found=repr(spec["method"]))
    if method is not None:
        _check_method_years(method, spec.get("overrides") or {}, [y for y in years if YEAR_MIN <= y <= YEAR_MAX],
                            file, rep)
    from .allocation import OBJECTIVES

    if spec.get("objective", "proportional") not in OBJECTIVES:
        rep.error("unknown objective", "未知的优化目标", file=file, key="objective",
                  expected=" or ".join(OBJECTIVES), found=repr(spec.get("objective")))
    if (spec.get("cascade") or {}).get("tier1_amounts") is None:
        budgets = budget_for_years(spec, [y for y in years if YEAR_MIN <= y <= YEAR_MAX], unit, file, rep)
    else:  # the pool is the total of the given province amounts
        budgets = {}
    if isinstance(spec.get("cascade"), dict):
        check_cascade(spec["cascade"], file, rep, exists=lambda f: resolve_path(f, sc).is_file())
    _check_values(spec, file, rep)
    _check_constraints(spec.get("constraints") or {}, budgets, file, rep)
    _check_files(sc, file, rep)
    return rep


def _check_method_years(method, overrides, years, file, rep):
    """Every year must have a value in force for every parameter, overrides applied."""
    unknown = [k for k in overrides if k not in method.parameters]
    for k in unknown:
        hint = difflib.get_close_matches(str(k), sorted(method.parameters), n=1)
        rep.error(f"method '{method.name}' has no parameter '{k}'" + (f" (did you mean '{hint[0]}'?)" if hint else ""),
                  f"方法 '{method.name}' 没有参数 '{k}'", file=file, key=f"overrides.{k}")
    if unknown:
        return
    for y in years:
        try:
            method.values(y, overrides_for_year(overrides, y))  # also checks groups that must add up to 1
        except InputError as exc:
            for p in exc.report.errors:
                rep.error(p.message_en, p.message_zh, file=file, key=p.key or "years", year=y,
                          expected=p.expected, found=p.found)


def _number(value, file, key, rep, low=None, high=None, low_open=False, what="a number") -> float | None:
    """``value`` as a finite float within [low, high] (low excluded if ``low_open``); else an error naming
    ``key`` and None. Booleans are not numbers here."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        rng = "" if low is None and high is None else \
            f" {'>' if low_open else '≥'} {low}" + (f" and ≤ {high}" if high is not None else "")
        rep.error(f"expected {what}{rng}", f"应为{'大于' if low_open else '不小于'} {low} 的有限数值" if low is not None
                  else "应为有限数值", file=file, key=key, found=repr(value)[:60])
        return None
    return float(value)


def _check_values(spec: dict, file: str, rep: Report) -> None:
    """Values whose type check_keys accepts but that cannot be used: NaN, infinities, out-of-range numbers."""
    if "time_limit" in spec:
        _number(spec["time_limit"], file, "time_limit", rep, 0, None, low_open=True, what="seconds")
    data = spec.get("data")
    if isinstance(data, dict):
        s = data.get("synthetic")
        if not isinstance(s, dict):
            rep.error("data must be a file name, 'default' or {synthetic: {seed, scale}}", "data 取值错误",
                      file=file, key="data", found=repr(data)[:60])
        else:
            _number(s.get("scale", 1), file, "data.synthetic.scale", rep, 1, MAX_SYNTH_SCALE, what="a whole number")
            _number(s.get("seed", 2023), file, "data.synthetic.seed", rep, 0, 2**32 - 1, what="a whole number")
    h = spec.get("horizontal")
    if isinstance(h, dict):
        if "capacity_ratio" in h:
            _number(h["capacity_ratio"], file, "horizontal.capacity_ratio", rep, 0, 1, what="a share")
        if "time_limit" in h:
            _number(h["time_limit"], file, "horizontal.time_limit", rep, 0, None, low_open=True, what="seconds")
    b = spec.get("budget")
    if isinstance(b, dict) and "growth" in b and isinstance(b["growth"], int | float) and \
            not isinstance(b["growth"], bool) and math.isfinite(b["growth"]) and not -1 < b["growth"] <= 1:
        rep.error("growth is a yearly fraction from above −1 to 1, e.g. 0.05 for 5% a year", "增长率应在 −1 到 1 之间,"
                  "如 0.05 表示每年 5%", file=file, key="budget.growth", found=repr(b["growth"]),
                  expected="-1 < growth ≤ 1")


def _check_constraints(c, budgets, file, rep):
    if not isinstance(c, dict):
        return  # check_keys has reported it
    ratios = {}
    for key in ("floor_ratio", "cap_ratio"):
        if key in c:
            ratios[key] = _number(c[key], file, f"constraints.{key}", rep, 0, 100, what="a ratio of last year")
    if ratios.get("floor_ratio") is not None and ratios.get("cap_ratio") is not None and \
            ratios["floor_ratio"] > ratios["cap_ratio"]:
        rep.error("floor ratio is above the cap ratio", "下限比例高于上限比例", file=file,
                  key="constraints.floor_ratio", found=f"{c['floor_ratio']} > {c['cap_ratio']}")
    fixed = 0.0
    for kind in ("floors", "caps", "locks"):
        for region, v in (c.get(kind) or {}).items():
            try:
                amount = float(parse_amount(v, f"constraints.{kind}.{region}", allow_zero=True))
            except InputError as exc:
                p = exc.report.errors[0]
                rep.error(p.message_en, p.message_zh, file=file, key=f"constraints.{kind}.{region}", found=p.found,
                          expected="an amount in the scenario's unit, ≥ 0")
                continue
            if kind != "caps":
                fixed += amount
    for y, b in budgets.items():
        if fixed > b:
            rep.error(f"floors and locks add up to {fixed:,.0f}, more than the budget {b:,.0f} "
                      f"(short by {fixed - b:,.0f})", f"下限与锁定金额之和 {fixed:,.0f} 超过预算 {b:,.0f}",
                      file=file, key="constraints.floors", year=y)
    for i, x in enumerate(c.get("exclude") or []):
        if not isinstance(x, str | int) or isinstance(x, bool):
            rep.error("exclude lists region codes or names", "exclude 应列出地区代码或名称", file=file,
                      key=f"constraints.exclude[{i}]", found=repr(x)[:60])
    for i, g in enumerate(c.get("groups") or []):
        if not isinstance(g, dict):
            rep.error("a group must be a mapping", "分组约束必须是映射", file=file, key=f"constraints.groups[{i}]")
            continue
        for k in g:
            if k not in GROUP_KEYS:
                rep.error(f"unknown key '{k}' in group", f"分组约束中的未知键 '{k}'", file=file,
                          key=f"constraints.groups[{i}].{k}", expected=", ".join(sorted(GROUP_KEYS)))
        members = g.get("members")
        if not isinstance(members, dict) or not members or not all(
                isinstance(col, str) and isinstance(v, str | int | list) for col, v in members.items()):
            rep.error("members must map a column to a value or a list of values, e.g. {region_group: west}",
                      "members 应为 列: 值(或值列表)", file=file, key=f"constraints.groups[{i}].members",
                      found=repr(members)[:60])
        shares = {k: _number(g[k], file, f"constraints.groups[{i}].{k}", rep, 0, 1, what="a share")
                  for k in ("min_share", "max_share") if k in g}
        if shares.get("min_share") is not None and shares.get("max_share") is not None and \
                shares["min_share"] > shares["max_share"]:
            rep.error("min_share is above max_share", "最低份额高于最高份额", file=file,
                      key=f"constraints.groups[{i}].min_share")
    ily = c.get("initial_last_year")
    if isinstance(ily, dict):
        for k in ily:
            if k not in ("scenario", "year"):
                rep.error(f"unknown key '{k}'", f"未知的键 '{k}'", file=file,
                          key=f"constraints.initial_last_year.{k}", expected="scenario, year")
    elif ily is not None and ily != "data":
        rep.error("initial_last_year must be 'data' or {scenario, year}", "initial_last_year 取值错误",
                  file=file, key="constraints.initial_last_year", found=repr(ily))


def check_region_refs(spec: dict, regions, file: str) -> Report:
    """Regions named in constraints must be in the region data (by code or Chinese name), and group members
    must name its columns; checked once the data is loaded, before any year is computed."""
    rep = Report()
    c = spec.get("constraints") or {}
    refs = [(ref, f"constraints.{kind}.{ref}") for kind in ("floors", "caps", "locks") for ref in (c.get(kind) or {})]
    refs += [(ref, f"constraints.exclude[{i}]") for i, ref in enumerate(c.get("exclude") or [])]
    if refs:  # the code and name sets only when a region is named (tolist: not a Python loop over Arrow strings)
        codes = set(regions["adcode"].astype(str).tolist())
        names = set(regions["name_zh"].astype(str).tolist()) if "name_zh" in regions else set()
        for ref, key in refs:
            if str(ref) not in codes and str(ref) not in names:
                hint = difflib.get_close_matches(str(ref), sorted(names | codes), n=1)
                rep.error(f"no region with adcode or name '{ref}' in the region data"
                          + (f" (did you mean '{hint[0]}'?)" if hint else ""),
                          f"地区数据中没有代码或名称为 '{ref}' 的地区", file=file, key=key, found=repr(ref))
    for i, g in enumerate(c.get("groups") or []):
        for col in (g.get("members") or {}) if isinstance(g, dict) and isinstance(g.get("members"), dict) else []:
            if col not in regions.columns:
                rep.error(f"group members name column '{col}', which the region data does not have",
                          f"分组成员所用的列 '{col}' 不在地区数据中", file=file,
                          key=f"constraints.groups[{i}].members.{col}", found=col)
    return rep


def _check_files(sc, file, rep):
    data = sc.spec.get("data", "default")
    if isinstance(data, str) and data not in ("default",):
        if not resolve_path(data, sc).exists():
            rep.error("region data file not found", "找不到地区数据文件", file=file, key="data", found=data)
    h = sc.spec.get("horizontal") or {}
    if h.get("monitoring") and not resolve_path(h["monitoring"], sc).exists():
        rep.error("monitoring data file not found", "找不到监测数据文件", file=file, key="horizontal.monitoring",
                  found=h["monitoring"])
    if h.get("agreements"):
        from .horizontal import load_agreement

        for i, a in enumerate(h["agreements"]):
            try:
                load_agreement(a)
            except InputError as exc:
                for p in exc.report.errors:
                    rep.error(p.message_en, p.message_zh, file=file, key=f"horizontal.agreements[{i}]",
                              found=repr(a))


# --- hashing: what makes a run -------------------------------------------------------------------------

def input_files(sc: Scenario) -> dict[str, Path]:
    """Every file whose content decides the result, by a stable label."""
    files = {f"scenario:{_rel(p)}": p for p in sc.files}
    data = sc.spec.get("data", "default")
    if data == "default":
        files["data:provinces.csv"] = DATA_DIR / "provinces.csv"
    elif isinstance(data, dict):
        files["data:counties_skeleton.csv"] = DATA_DIR / "counties_skeleton.csv"
        files["data:provinces.csv"] = DATA_DIR / "provinces.csv"
    else:
        files[f"data:{data}"] = resolve_path(data, sc)
    method = sc.spec.get("method")
    if method:
        mpath = Path(method) if Path(method).is_file() else MODELS_DIR / "methods" / f"{method}.yaml"
        if mpath.exists():
            files[f"method:{method}"] = mpath
    h = sc.spec.get("horizontal") or {}
    for a in h.get("agreements") or []:
        apath = Path(a) if Path(a).is_file() else MODELS_DIR / "agreements" / f"{a}.yaml"
        if apath.exists():
            files[f"agreement:{a}"] = apath
    if h.get("monitoring"):
        files[f"monitoring:{h['monitoring']}"] = resolve_path(h["monitoring"], sc)
    ily = (sc.spec.get("constraints") or {}).get("initial_last_year")
    if isinstance(ily, dict) and ily.get("scenario"):
        for k, p in input_files(load_scenario(ily["scenario"])).items():
            files.setdefault(f"initial_last_year/{k}", p)
    cas = sc.spec.get("cascade") or {}
    tier2 = [cas.get("tier2_method", Tier2.default_method)] if cas else []
    for m in [*tier2, *(cas.get("by_province") or {}).values()]:
        if m:
            mpath = Path(m) if Path(m).is_file() else MODELS_DIR / "methods" / f"{m}.yaml"
            if mpath.exists():
                files.setdefault(f"method:{m}", mpath)
    if (cas.get("tier1_amounts") or {}).get("file"):
        files[f"tier1_amounts:{cas['tier1_amounts']['file']}"] = resolve_path(cas["tier1_amounts"]["file"], sc)
    return files


def input_hash(sc: Scenario, years: list[int], extra: dict | None = None) -> tuple[str, dict]:
    """Short hash of everything that decides a run: the resolved scenario, the years, the content of every
    input file, the package version and a fingerprint of its source code. Returns (10 hex digits, the hashed inputs)."""
    from . import __version__

    hashed = {
        "scenario": sc.spec,
        "years": years,
        "files": {k: sha256_file(p) for k, p in sorted(input_files(sc).items())},
        "ecocomp": __version__,
        "code": code_fingerprint(),
        **(extra or {}),
    }
    canon = json.dumps(hashed, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(canon).hexdigest()[:10], hashed
