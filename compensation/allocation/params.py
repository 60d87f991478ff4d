"""Methods as data: load a method's model file (YAML), pick each parameter's value in force for a year.

A model file holds a method's components and its parameters. Each parameter carries a Chinese and English
label, a unit, a source reference and values keyed by effective date, each value flagged ``published`` or
``assumption`` (as OpenFisca's parameter files do). No amount of money is written in Python code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from ..problems import InputError

MODELS_DIR = Path(__file__).resolve().parents[2] / "models" / "methods"
STATUSES = ("published", "assumption")


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
        chosen = [v for v in self.values if v[0] <= end]
        if not chosen:
            first = self.values[0][0].isoformat() if self.values else "never"
            raise InputError(
                f"method '{method}': parameter '{self.path}' has no value in force in {year} (first effective {first})",
                f"方法 '{method}':参数 '{self.path}' 在 {year} 年没有生效的取值(最早生效 {first})",
            )
        d, value, status = chosen[-1]
        return value, status, d


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
        """Effective parameters for ``year``: path -> {value, status, effective, unit, label_zh, label_en, source}."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.parameters))
        if unknown:
            raise InputError(
                f"method '{self.name}': unknown parameter(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(self.parameters))}",
                f"方法 '{self.name}':未知参数 {', '.join(unknown)}",
            )
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


def parse_method(doc: dict, path: str = "") -> Method:
    where = path or doc.get("name", "<method>")
    for key in ("name", "label", "jurisdiction", "sources", "parameters", "components"):
        if key not in doc:
            raise InputError(f"model file lacks '{key}'", f"模型文件缺少 '{key}'", file=where)
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
                    f"parameter '{p_path}' at {d}: each value needs 'value' and 'status: published|assumption'",
                    f"参数 '{p_path}' 在 {d}:每个取值需要 'value' 和 'status: published|assumption'", file=where)
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
    p = Path(str(name_or_path))
    if p.suffix.lower() not in (".yaml", ".yml"):
        p = MODELS_DIR / f"{name_or_path}.yaml"
    if not p.exists():
        known = ", ".join(m.stem for m in sorted(MODELS_DIR.glob("*.yaml")))
        raise InputError(f"unknown method '{name_or_path}'; known methods: {known}",
                         f"未知方法 '{name_or_path}';可用方法:{known}")
    return _load_file(str(p.resolve()), p.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int) -> Method:
    """Parsed once per file version (the cache key includes the modification time)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise InputError(f"model file is not valid YAML: {exc}", "模型文件不是有效的 YAML", file=path) from None
    return parse_method(doc, path)


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
