"""One year of horizontal compensation: agreements + monitoring → ledger → settlement → net positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from ..money import unit_name
from ..problems import InputError, Problem
from .agreements import AGREEMENTS_DIR, Agreement, load_agreement
from .evaluate import OBLIGATION_COLUMNS, central_funds, evaluate
from .ledger import build_ledger, round_amounts
from .monitoring import read_monitoring
from .settlement import settle


@dataclass
class HorizontalResult:
    year: int
    unit: str
    ledger: pd.DataFrame
    settlement: pd.DataFrame
    net_positions: pd.DataFrame
    status: str
    diagnostics: list[Problem] = field(default_factory=list)
    solver_info: dict = field(default_factory=dict)
    central_funds: pd.DataFrame = field(default_factory=pd.DataFrame)
    netted: pd.DataFrame = field(default_factory=pd.DataFrame)
    agreements: list[Agreement] = field(default_factory=list)


def _as_agreements(agreements, overrides) -> list[Agreement]:
    if isinstance(agreements, str | Agreement):
        agreements = [agreements]
    overrides = overrides or {}
    out = []
    for a in agreements:
        ag = load_agreement(a)
        out.append(ag.with_params(overrides.get(ag.id)))
    return out


def party_links(agreements: list[Agreement], extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Permitted links 'parties': every pair of parties of the same agreement, and every pair in extra schemes."""
    pairs = [(a, b) for ag in agreements for a, b in combinations(list(ag.parties["adcode"]), 2)]
    if extra is not None and len(extra):
        pairs += list(zip(extra["payer"].astype(str), extra["payee"].astype(str), strict=True))
    return pd.DataFrame(pairs, columns=["from", "to"])


def run_horizontal(agreements, monitoring, year: int, regions: pd.DataFrame | None = None, unit: str = "万元",
                   capacity_ratio: float | None = None, links="parties", objective: str = "money",
                   time_limit: float = 30, central_budget: int | None = None, overrides: dict | None = None,
                   extra_obligations: pd.DataFrame | None = None) -> HorizontalResult:
    """Compute every agreement's obligations in ``year``, settle them, and give each region's net position.

    ``overrides``: {agreement_id: {param: value}} for unpublished inputs (e.g. Xin'an baselines).
    ``extra_obligations``: valuation-based schemes (payer, payee, amount in 万元, agreement, basis).
    ``central_budget``: the most the centre will top up (in ``unit``); None = no limit."""
    unit = unit_name(unit)
    ags = _as_agreements(agreements, overrides)
    if not ags and extra_obligations is None:
        raise InputError("no agreements given", "未指定协议", column="agreements")
    mon = monitoring
    needing = [ag for ag in ags if ag.sections]  # rules that read monitoring sections
    if mon is None and needing:
        raise InputError(f"monitoring data are needed by {', '.join(a.id for a in needing)} (sections "
                         f"{', '.join(str(s['id']) for a in needing for s in a.sections)})",
                         f"{', '.join(a.id for a in needing)} 需要监测数据(断面 "
                         f"{'、'.join(str(s['id']) for a in needing for s in a.sections)})", column="monitoring")
    if mon is None:  # no agreement reads monitoring data (e.g. beneficiary shares)
        mon = pd.DataFrame()
    elif not (isinstance(mon, pd.DataFrame) and {"class_num", "row"} <= set(mon.columns)):
        # a shared monitoring file may hold sections of other shipped agreements too
        shipped = [p.stem for p in sorted(AGREEMENTS_DIR.glob("*.yaml"))]
        mon = read_monitoring(monitoring, agreements=[*ags, *shipped])
    diagnostics: list[Problem] = []
    frames = [evaluate(ag, mon, year, regions, diagnostics) for ag in ags]
    if extra_obligations is not None and len(extra_obligations):
        frames.append(extra_obligations.reindex(columns=OBLIGATION_COLUMNS).assign(
            payer=lambda f: f["payer"].astype(str), payee=lambda f: f["payee"].astype(str)))
    obligations = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
        else pd.DataFrame(columns=OBLIGATION_COLUMNS)
    names = {}
    if regions is not None and {"adcode", "name_zh"} <= set(regions.columns):
        names.update(dict(zip(regions["adcode"].astype(str), regions["name_zh"], strict=True)))
    for ag in ags:
        names.update(ag.names())
    ledger = build_ledger(obligations, names, "万元", unit)
    for ag in ags:
        assumed = [k for k, p in ag.params.items() if p.get("status") == "assumption"]
        if assumed:
            diagnostics.append(Problem("info", f"{ag.id}: assumed (unpublished) parameters used: {', '.join(assumed)}",
                                       f"{ag.id}:使用了假设(未公布)的参数:{', '.join(assumed)}"))
        conflicting = [k for k, p in ag.params.items() if p.get("status") == "conflicting"]
        for k in conflicting:
            diagnostics.append(Problem(
                "warning", f"{ag.id}: published sources disagree on '{k}'; the value used is "
                           f"{ag.params[k].get('value')} ({ag.params[k].get('note', '')})",
                f"{ag.id}:公开来源对参数 '{k}' 说法不一,采用 {ag.params[k].get('value')}", column=k))
    if isinstance(links, str) and links == "parties":
        links = party_links(ags, extra_obligations)
    st = settle(ledger, regions=regions, names=names, unit=unit, capacity_ratio=capacity_ratio, links=links,
                objective=objective, time_limit=time_limit, central_budget=central_budget)
    funds = pd.concat([central_funds(ag, year) for ag in ags], ignore_index=True) if ags else pd.DataFrame()
    pos = st.net_positions.copy()
    if len(funds):
        funds["amount"] = np.concatenate([round_amounts(g["amount"], "万元", unit)
                                          for _, g in funds.groupby(funds.index)])
        add = funds.groupby("adcode")["amount"].sum()
        missing = [a for a in add.index if a not in set(pos["adcode"])]
        if missing:
            pos = pd.concat([pos, pd.DataFrame({"adcode": missing, "name_zh": [names.get(a, a) for a in missing]})],
                            ignore_index=True).fillna(0)
        pos["central_agreement"] = pos["adcode"].map(add).fillna(0).astype(np.int64)
    else:
        pos["central_agreement"] = np.zeros(len(pos), dtype=np.int64)
    for col in ("claim", "horizontal_in", "horizontal_out", "unpaid", "central_topup"):
        pos[col] = pos[col].astype(np.int64)
    pos["net"] = (pos["horizontal_in"] - pos["horizontal_out"] + pos["central_topup"]
                  + pos["central_agreement"]).astype(np.int64)
    return HorizontalResult(int(year), unit, ledger, st.settlement, pos, st.status, diagnostics + st.diagnostics,
                            st.solver_info, funds, st.netted, ags)
