"""Horizontal agreements as data: one YAML model file per agreement under ``models/agreements/``.

An agreement names its parties (regions by adcode) and their roles, its period, its rule type, its parameters
(each with ``value``, optional ``unit``, ``status: published|assumption``, ``source`` and ``note``), its funds
and the monitoring sections it needs. Money parameters carry a unit and are read in 万元."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..io import model_file, read_yaml
from ..money import convert, unit_name
from ..problems import InputError, Report

AGREEMENTS_DIR = Path(__file__).resolve().parents[2] / "models" / "agreements"

RULE_TYPES = {
    "index_threshold": ("指数阈值", "index threshold (P = k0 Σ k_i C_i / C_i0)"),
    "class_step": ("水质类别阶梯 + 变化项", "class step with a capped change term"),
    "monthly_compliance": ("逐月达标计数", "monthly compliance count"),
    "pass_rate": ("达标率目标", "pass-rate target"),
    "pooled_fund": ("共同出资资金池", "pooled fund with contribution and allocation ratios"),
    "quantity_quality": ("水量 + 水质", "quantity plus quality against a baseline inflow"),
    "beneficiary_shares": ("受益地区分担", "beneficiary shares"),
}
# conflicting: published sources disagree; the file says which reading is used and how to choose the other
PARAM_STATUSES = ("published", "assumption", "conflicting")
REQUIRED_KEYS = ("id", "title_zh", "rule", "period", "parties", "params", "sources")
CALC_UNIT = "万元"  # unit in which rules compute


@dataclass
class Agreement:
    id: str
    title_zh: str
    title_en: str
    rule: str
    period: tuple[int, int]
    parties: pd.DataFrame  # adcode, name_zh, role
    sections: list[dict]
    params: dict[str, dict]
    funds: dict[str, dict]
    sources: dict[str, dict]
    path: str = ""
    overridden: list[str] = field(default_factory=list)

    def value(self, name: str):
        """A parameter's value; money parameters converted to 万元 (the unit the rules compute in)."""
        if name not in self.params:
            raise InputError(f"agreement '{self.id}' has no parameter '{name}'",
                             f"协议 '{self.id}' 缺少参数 '{name}'", file=self.path, column=name)
        p = self.params[name]
        v = p.get("value")
        if p.get("unit") and v is not None:
            return float(convert(float(v), p["unit"], CALC_UNIT))
        return v

    def party(self, role: str) -> dict:
        rows = self.parties[self.parties["role"] == role]
        if rows.empty:
            raise InputError(f"agreement '{self.id}' has no party with role '{role}'",
                             f"协议 '{self.id}' 没有角色为 '{role}' 的一方", file=self.path, column="parties")
        return rows.iloc[0].to_dict()

    def names(self) -> dict[str, str]:
        return dict(zip(self.parties["adcode"], self.parties["name_zh"], strict=True))

    def covers(self, year: int) -> bool:
        return self.period[0] <= int(year) <= self.period[1]

    def source_text(self) -> str:
        """Source documents as 'issuer《title》number (date)'."""
        parts = []
        for s in self.sources.values():
            if s.get("issuer") == "ecocomp":
                continue
            num = f" {s['number']}" if s.get("number") else ""
            parts.append(f"{s.get('issuer', '')}《{s['title']}》{num} ({s.get('date', '')})")
        return "; ".join(parts)

    def with_params(self, overrides: dict | None) -> Agreement:
        """A copy with parameter values replaced (``{"k0": 0.9, "baseline_mg_l": {...}}``); marked as overridden."""
        if not overrides:
            return self
        new = copy.deepcopy(self)
        for name, value in overrides.items():
            if name not in new.params:
                raise InputError(f"agreement '{self.id}' has no parameter '{name}' to override; it has: "
                                 f"{', '.join(new.params)}",
                                 f"协议 '{self.id}' 没有可覆盖的参数 '{name}'", file=self.path, column=name)
            p = new.params[name]
            if isinstance(p.get("value"), dict) and isinstance(value, dict):
                p["value"] = {**p["value"], **value}
            else:
                p["value"] = value
            p["status"] = "assumption"
            p["note"] = f"overridden by the user (was: {self.params[name].get('value')})"
            new.overridden.append(name)
        return new


def _check(doc: dict, name: str) -> Report:
    rep = Report()
    if not isinstance(doc, dict):
        rep.error("an agreement file must be a YAML mapping", "协议文件必须是 YAML 映射", file=name)
        return rep
    for key in REQUIRED_KEYS:
        if key not in doc:
            rep.error(f"missing key '{key}'", f"缺少字段 '{key}'", file=name, column=key)
    if rep.errors:
        return rep
    if doc["rule"] not in RULE_TYPES:
        rep.error(f"unknown rule type '{doc['rule']}'", f"未知的规则类型 '{doc['rule']}'", file=name, column="rule",
                  expected=", ".join(RULE_TYPES), found=str(doc["rule"]))
    for pname, p in (doc.get("params") or {}).items():
        if not isinstance(p, dict) or "value" not in p:
            rep.error(f"parameter '{pname}' needs a 'value'", f"参数 '{pname}' 缺少 value", file=name, column=pname)
            continue
        if p.get("status") not in PARAM_STATUSES:
            rep.error(f"parameter '{pname}' needs status published, assumption or conflicting",
                      f"参数 '{pname}' 的 status 应为 published、assumption 或 conflicting", file=name, column=pname,
                      found=str(p.get("status")))
        if p.get("source") and p["source"] not in doc["sources"]:
            rep.error(f"parameter '{pname}' cites unknown source '{p['source']}'",
                      f"参数 '{pname}' 引用了未知来源 '{p['source']}'", file=name, column=pname)
        if p.get("unit"):
            try:
                unit_name(p["unit"])
            except InputError:
                rep.error(f"parameter '{pname}' has an unknown money unit '{p['unit']}'",
                          f"参数 '{pname}' 的货币单位未知", file=name, column=pname)
    for s in doc["sources"].values():
        if not isinstance(s, dict) or not s.get("title"):
            rep.error("every source needs a document title", "每个来源都需要文件标题", file=name, column="sources")
    keys = []
    for i, party in enumerate(doc.get("parties") or []):
        code = str(party.get("adcode", ""))
        if not (len(code) == 6 and code.isdigit()):
            rep.error(f"party {i + 1} needs a 6-digit adcode", f"第 {i + 1} 个参与方需要 6 位行政区划代码",
                      file=name, column="parties", found=code)
        area = party.get("area")
        if area is not None and (not isinstance(area, str) or not area.strip() or "/" in area):
            rep.error(f"party {i + 1}: 'area' must be a short name without '/' (a named area inside {code})",
                      f"第 {i + 1} 个参与方:area 应为不含 '/' 的区域名称", file=name, column="parties", found=repr(area))
        keys.append(party_key(party))
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        rep.error(f"party {dup[0]} is listed twice (give a named area inside a region its own 'area')",
                  f"参与方 {dup[0]} 重复(区域内的特定地区请用 area 区分)", file=name, column="parties", found=dup[0])
    return rep


def party_key(party: dict) -> str:
    """A party's key in ledgers and net positions: its adcode (a province, prefecture or county), or
    ``adcode/area`` for a named area inside it (e.g. ``410000/水源区``, Henan's source area of the South-to-North
    middle route, a party of its own even where the province pays it)."""
    code = str(party.get("adcode", ""))
    area = party.get("area")
    return f"{code}/{str(area).strip()}" if area else code


def _from_doc(doc: dict, name: str) -> Agreement:
    _check(doc, name).raise_if_errors()
    parties = pd.DataFrame(
        [{"adcode": party_key(p), "name_zh": p.get("name_zh", party_key(p)), "role": p.get("role", "")}
         for p in doc["parties"]])
    per = doc["period"]
    return Agreement(
        id=str(doc["id"]), title_zh=doc["title_zh"], title_en=doc.get("title_en", ""), rule=doc["rule"],
        period=(int(per["start"]), int(per["end"])), parties=parties, sections=list(doc.get("sections") or []),
        params=dict(doc["params"]), funds=dict(doc.get("funds") or {}), sources=dict(doc["sources"]), path=name)


def load_agreement(name_or_path, overrides: dict | None = None) -> Agreement:
    """Load a shipped agreement by id (``"xinan_round3"``) or a YAML file by path; apply parameter overrides."""
    if isinstance(name_or_path, Agreement):
        return name_or_path.with_params(overrides)
    path = model_file(name_or_path, AGREEMENTS_DIR, ("agreement", "协议"), ("an agreement id", "协议编号"),
                      "ecocomp agreements")
    doc = read_yaml(path, "agreement file")
    if not isinstance(doc, dict):
        raise InputError("an agreement file must be a mapping of keys (id, title_zh, rule, period, parties ...)",
                         "协议文件必须是键值映射", file=str(path), found=type(doc).__name__)
    return _from_doc(doc, str(path)).with_params(overrides)


def list_agreements(directory=None) -> pd.DataFrame:
    """Summaries of the shipped agreements: id, title, rule type, period, parties, assumptions, source."""
    rows = []
    for path in sorted(Path(directory or AGREEMENTS_DIR).glob("*.yaml")):
        ag = load_agreement(path)
        rows.append({
            "id": ag.id,
            "title_zh": ag.title_zh,
            "rule": ag.rule,
            "rule_zh": RULE_TYPES[ag.rule][0],
            "period": f"{ag.period[0]}–{ag.period[1]}",
            "parties": "; ".join(f"{r.adcode} {r.name_zh} ({r.role})" for r in ag.parties.itertuples()),
            "assumptions": ", ".join(k for k, p in ag.params.items() if p.get("status") == "assumption"),
            "source": ag.source_text(),
        })
    return pd.DataFrame(rows)
