"""Methods as data: load a method's model file (YAML), pick each parameter's value in force for a year.

A model file holds a method's components and its parameters. Each parameter carries a Chinese and English
label, a unit, a source reference and values keyed by effective date, each value flagged ``published`` or
``assumption`` (as OpenFisca's parameter files do). No amount of money is written in Python code."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..io import model_file, read_yaml
from ..problems import InputError

MODELS_DIR = Path(__file__).resolve().parents[2] / "models" / "methods"
STATUSES = ("published", "assumption", "calibrated")


@dataclass(frozen=True)
class Parameter:
    path: str
    label_zh: str
    label_en: str
    unit: str
    source: str  # id of an entry in the method's sources
    values: tuple[tuple[dt.date, object, str], ...]  # (effective date, value, status), ascending
    note: str = ""

    def at(self, year: int, method: str = ""):
        """(value, status, effective date) in force during ``year`` (the latest value effective by 31 Dec)."""
        end = dt.date(int(year), 12, 31)
        for d, value, status in reversed(self.values):  # ascending by date: the last one in force
            if d <= end:
                return value, status, d
        first = self.values[0][0].isoformat() if self.values else "never"
        raise InputError(
            f"method '{method}': parameter '{self.path}' has no value in force in {year} (first effective {first})",
            f"方法 '{method}':参数 '{self.path}' 在 {year} 年没有生效的取值(最早生效 {first})",
        )


@dataclass
class Method:
    name: str
    label_zh: str
    label_en: str
    jurisdiction_zh: str
    jurisdiction_en: str
    description: str
    sources: dict[str, dict]
    parameters: dict[str, Parameter]
    components: list[dict]
    eligible: dict | None = None
    assumptions: list[str] = field(default_factory=list)  # plain-language statements about data fallbacks
    path: str = ""
    sum_to_one: list[list[str]] = field(default_factory=list)  # parameter groups that must add up to 1
    fallbacks: dict = field(default_factory=dict)  # input column -> {use, en, zh} (allocation/inputs.py)

    def values(self, year: int, overrides: dict | None = None) -> dict[str, dict]:
        """Effective parameters for ``year``: path -> {value, status, effective, unit, label_zh, label_en, source}
        (new dicts on every call). Without overrides they are made once per year and copied after that (the
        parameters of a loaded method file do not change: a new file version is a new Method)."""
        memo = not overrides and type(year) is int
        if memo:
            made = self.__dict__.setdefault("_by_year", {}).get(year)
            if made is not None and made[0] is self.parameters:
                return {k: dict(v) for k, v in made[1].items()}
        out = self._values(year, overrides)
        if memo:
            self._by_year[year] = (self.parameters, {k: dict(v) for k, v in out.items()})
        return out

    def _values(self, year: int, overrides: dict | None) -> dict[str, dict]:
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.parameters))
        if unknown:
            raise InputError(
                f"method '{self.name}': unknown parameter(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(self.parameters))}",
                f"方法 '{self.name}':未知参数 {', '.join(unknown)}",
            )
        _check_overrides(self, overrides)
        out = {}
        for path, p in self.parameters.items():
            if path in overrides:
                value, status, eff = overrides[path], "override", None
            else:
                value, status, eff = p.at(year, self.name)
            out[path] = {"value": value, "status": status, "effective": eff.isoformat() if eff else "",
                         "unit": p.unit, "label_zh": p.label_zh, "label_en": p.label_en, "source": p.source}
        for group in self.sum_to_one:
            total = sum(float(out[k]["value"]) for k in group)
            if abs(total - 1.0) > 1e-9:
                raise InputError(
                    f"method '{self.name}': weights {', '.join(group)} must add up to 1 in {year}, "
                    f"they add up to {total:g}", f"方法 '{self.name}':权重 {', '.join(group)} 之和必须为 1"
                    f"({year} 年实际为 {total:g})", key="overrides", year=int(year), expected="1",
                    found=f"{total:g}")
        return out

    def summary(self) -> dict:
        statuses = {s for p in self.parameters.values() for (_, _, s) in p.values}
        return {
            "name": self.name,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "jurisdiction_zh": self.jurisdiction_zh,
            "jurisdiction_en": self.jurisdiction_en,
            "components": [c["name"] for c in self.components],
            "component_types": [c["type"] for c in self.components],
            "sources": [_cite(s) for s in self.sources.values()],
            "assumption_parameters": sorted(
                p.path for p in self.parameters.values() if any(s == "assumption" for (_, _, s) in p.values)
            ),
            "data_assumptions": list(self.assumptions),
            "has_assumptions": "assumption" in statuses or bool(self.assumptions),
        }


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_overrides(method: Method, overrides: dict) -> None:
    """An override must be of the kind the parameter's published values are: a finite number where they are
    numbers, and not negative for a weight (a negative weight would take money from the others)."""
    if not overrides:
        return
    import math

    from ..problems import Report

    rep = Report()
    for path, value in overrides.items():
        published = [v for _, v, _ in method.parameters[path].values]
        if not all(_is_number(v) for v in published):
            continue
        key = f"overrides.{path}"
        if not _is_number(value) or not math.isfinite(value):
            rep.error(f"method '{method.name}': parameter '{path}' must be a finite number",
                      f"方法 '{method.name}':参数 '{path}' 必须是有限数值", key=key, found=repr(value)[:60],
                      expected=f"a number in {method.parameters[path].unit or 'units'}")
        elif value < 0 and "weight" in path and all(v >= 0 for v in published):
            rep.error(f"method '{method.name}': weight '{path}' cannot be negative",
                      f"方法 '{method.name}':权重 '{path}' 不能为负数", key=key, found=repr(value), expected="≥ 0")
    rep.raise_if_errors()


def _cite(src: dict) -> str:
    parts = [src.get("title", "")]
    if src.get("number"):
        parts.append(str(src["number"]))
    if src.get("date"):
        parts.append(str(src["date"]))
    return ", ".join(p for p in parts if p)


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: effective date '{value}' is not YYYY-MM-DD",
                         f"{where}:生效日期 '{value}' 不是 YYYY-MM-DD 格式") from None


# The shape of a model file: key -> the type its value must have (checked before anything is read from it).
METHOD_SHAPE = {"name": str, "label": dict, "jurisdiction": dict, "sources": dict, "parameters": dict,
                "components": list}


def _check_shape(doc, where: str) -> None:
    """Refuse a model file whose top-level keys are missing or of the wrong type, every problem at once,
    each naming the key; parameters and components must be mappings."""
    from ..problems import Report

    if not isinstance(doc, dict):
        raise InputError("a model file must be a mapping of keys (name, label, jurisdiction, sources, parameters, "
                         "components)", "模型文件必须是键值映射", file=where,
                         found="an empty file" if doc is None else type(doc).__name__)
    rep = Report()
    for key, kind in METHOD_SHAPE.items():
        if key not in doc:
            rep.error(f"model file lacks '{key}'", f"模型文件缺少 '{key}'", file=where, key=key)
        elif not isinstance(doc[key], kind):
            rep.error(f"'{key}' should be a {kind.__name__}", f"'{key}' 的类型错误", file=where, key=key,
                      expected=kind.__name__, found=f"{type(doc[key]).__name__} {doc[key]!r}"[:80])
    for key in ("parameters", "sources"):
        for k, v in (doc.get(key) if isinstance(doc.get(key), dict) else {}).items():
            if not isinstance(v, dict):
                rep.error(f"{key} entry '{k}' should be a mapping", f"{key} 中的 '{k}' 应为映射", file=where,
                          key=f"{key}.{k}", found=repr(v)[:80])
            elif key == "parameters" and not isinstance(v.get("values", {}), dict | None):
                rep.error(f"parameter '{k}': values should be a mapping of date -> value", f"参数 '{k}' 的取值格式错误",
                          file=where, key=f"parameters.{k}.values", found=repr(v.get("values"))[:80])
            elif key == "parameters" and not isinstance(v.get("label", {}), dict):
                rep.error(f"parameter '{k}': label should be a mapping {{zh, en}}", f"参数 '{k}' 的标签格式错误",
                          file=where, key=f"parameters.{k}.label")
    for i, c in enumerate(doc.get("components") if isinstance(doc.get("components"), list) else []):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not isinstance(c.get("type"), str):
            rep.error(f"component {i + 1} should be a mapping with a 'name' and a 'type'",
                      f"第 {i + 1} 个组成部分应包含 name 和 type", file=where, key=f"components[{i}]",
                      found=repr(c)[:80])
    for key in ("assumptions",):
        if key in doc and not isinstance(doc[key], list):
            rep.error(f"'{key}' should be a list", f"'{key}' 应为列表", file=where, key=key)
    checks = doc.get("checks")
    if checks is not None and not (isinstance(checks, dict) and isinstance(checks.get("sum_to_one", []), list)
                                   and all(isinstance(g, list) for g in checks.get("sum_to_one", []))):
        rep.error("'checks.sum_to_one' should be a list of lists of parameter names", "checks 格式错误",
                  file=where, key="checks")
    rep.raise_if_errors()


def parse_method(doc: dict, path: str = "") -> Method:
    where = path or (doc.get("name", "<method>") if isinstance(doc, dict) else "<method>")
    _check_shape(doc, str(where))
    sources = {str(k): v for k, v in doc["sources"].items()}
    params = {}
    for p_path, spec in doc["parameters"].items():
        label = spec.get("label", {})
        src = str(spec.get("source", ""))
        if src not in sources:
            raise InputError(f"parameter '{p_path}' cites unknown source '{src}'",
                             f"参数 '{p_path}' 引用了未知来源 '{src}'", file=where)
        vals = []
        for d, v in (spec.get("values") or {}).items():
            if not isinstance(v, dict) or "value" not in v or v.get("status") not in STATUSES:
                raise InputError(
                    f"parameter '{p_path}' at {d}: each value needs 'value' and 'status: published|assumption|calibrated'",
                    f"参数 '{p_path}' 在 {d}:每个取值需要 'value' 和 'status: published|assumption|calibrated'", file=where)
            vals.append((_date(d, f"{where} {p_path}"), v["value"], v["status"]))
        if not vals:
            raise InputError(f"parameter '{p_path}' has no values", f"参数 '{p_path}' 没有取值", file=where)
        params[p_path] = Parameter(p_path, label.get("zh", p_path), label.get("en", p_path), str(spec.get("unit", "")),
                                   src, tuple(sorted(vals, key=lambda t: t[0])), spec.get("note", ""))
    return Method(
        name=doc["name"],
        label_zh=doc["label"].get("zh", ""),
        label_en=doc["label"].get("en", ""),
        jurisdiction_zh=doc["jurisdiction"].get("zh", ""),
        jurisdiction_en=doc["jurisdiction"].get("en", ""),
        description=doc.get("description", ""),
        sources=sources,
        parameters=params,
        components=list(doc["components"]),
        eligible=doc.get("eligible"),
        assumptions=list(doc.get("assumptions", [])),
        path=path,
        sum_to_one=[list(g) for g in (doc.get("checks") or {}).get("sum_to_one", [])],
        fallbacks=dict(doc.get("fallbacks") or {}),
    )


def load_method(name_or_path) -> Method:
    """A method by name (``models/methods/<name>.yaml``) or by path to a YAML file."""
    if isinstance(name_or_path, Method):
        return name_or_path
    known = _FOUND.get(name_or_path) if isinstance(name_or_path, str) else None
    if known is not None:  # a name or path found before: only its modification time is read again
        try:
            return _load_file(known, os.stat(known).st_mtime_ns)
        except OSError:
            del _FOUND[name_or_path]  # gone since: model_file says so below
    p = model_file(name_or_path, MODELS_DIR, ("method", "方法"), ("a method name", "方法名称"), "ecocomp methods")
    method = _load_file(_resolved(str(p)), p.stat().st_mtime_ns)
    if isinstance(name_or_path, str) and len(_FOUND) < 256 and (
            Path(name_or_path).suffix.lower() not in (".yaml", ".yml") or os.path.isabs(name_or_path)):
        _FOUND[name_or_path] = _resolved(str(p))  # a name (resolved in MODELS_DIR) or an absolute path
    return method


_FOUND: dict[str, str] = {}  # method name or absolute path → its file (model_file checks a name once)


@lru_cache(maxsize=256)
def _resolved(path: str) -> str:
    """The absolute path of a model file (resolving it walks every folder of the path: done once per path)."""
    return str(Path(path).resolve())


@lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int) -> Method:
    """Parsed once per file version (the cache key includes the modification time)."""
    doc = read_yaml(path, "model file")
    try:
        return parse_method(doc, path)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a value of a shape not checked above
        raise InputError(f"model file has a malformed entry: {type(exc).__name__}: {exc}",
                         "模型文件中有格式错误的条目", file=path) from None


def list_methods() -> list[dict]:
    """One summary per model file in ``models/methods``: name, labels, jurisdiction, components, sources."""
    return [load_method(p).summary() for p in sorted(MODELS_DIR.glob("*.yaml"))]


def methods_markdown() -> str:
    """The table of methods (jurisdiction, components, source, what is assumption) for the README and docs."""
    lines = ["| method | jurisdiction | components | source | assumption parameters |", "|---|---|---|---|---|"]
    for s in list_methods():
        assumed = ", ".join(f"`{p}`" for p in s["assumption_parameters"]) or "none"
        if s["data_assumptions"]:
            assumed += f"; {len(s['data_assumptions'])} declared data assumption(s) (proxies, fallbacks)"
        lines.append(f"| `{s['name']}` {s['label_zh']} | {s['jurisdiction_en']} | {', '.join(s['components'])} | "
                     f"{s['sources'][0] if s['sources'] else ''} | {assumed} |")
    return "\n".join(lines)
