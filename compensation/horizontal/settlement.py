"""Settlement: the transfers that clear a year's ledger.

1. Netting of mutual obligations (``ledger.net_obligations``): never increases the money moved.
2. An optimisation (PuLP + HiGHS) over permitted links only. Each region i has a net debt d_i or a net claim
   c_i. Variables: x_a ≥ 0 money on each directed link a; u_i ∈ [max(0, d_i − cap_i), d_i] what payer i cannot
   pay; t_i ∈ [0, c_i] the central top-up to receiver i. Balance at every region:
       out_i − in_i + u_i − t_i = d_i − c_i
   (regions with neither debt nor claim may pass money on). Summing gives Σ t = Σ u: the central top-up is
   exactly what payers cannot pay.
   objective "money": minimise M·Σ u + Σ x with M = number of regions + 1 — first the least central top-up, then
   the least money moved (a unit of money on any path costs fewer than M link-units). The constraint matrix is a
   network matrix, so the LP optimum is integral: amounts stay exact integers.
   objective "transfers": with the LP's least top-up fixed, binary y_a (x_a ≤ B·y_a) and minimise Σ y (+ a tiny
   tie-break on money) as a MILP under a time limit; a time-limited answer is reported with its gap.
3. An honest status: optimal, time_limited (with gap) or infeasible (with the cause in plain words)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..allocation.solver import available_solvers
from ..allocation.solver_libs import pulp  # loaded on first use, HiGHS's banner swallowed
from ..money import unit_name
from ..problems import InputError, Problem
from .ledger import net_obligations

CENTRAL = "central"
CENTRAL_NAME = "中央财政"
SETTLEMENT_COLUMNS = ["from", "from_name", "to", "to_name", "amount", "kind"]
POSITION_COLUMNS = ["adcode", "name_zh", "claim", "horizontal_in", "horizontal_out", "unpaid", "central_topup", "net"]


@dataclass
class Settlement:
    settlement: pd.DataFrame
    net_positions: pd.DataFrame
    netted: pd.DataFrame
    status: str
    diagnostics: list[Problem] = field(default_factory=list)
    solver_info: dict = field(default_factory=dict)


def solver(time_limit: float | None, mip: bool = True):
    """HiGHS through highspy; CBC only if PuLP lists it as available."""
    available = available_solvers()
    if "HiGHS" in available:
        return pulp.HiGHS(msg=False, timeLimit=time_limit, mip=mip)
    if "PULP_CBC_CMD" in available:
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, mip=mip)
    raise RuntimeError("no LP solver available: install highspy")


def capacities(regions: pd.DataFrame | None, capacity_ratio: float | None, unit: str) -> pd.Series:
    """Payment capacity per region in ``unit``: capacity_ratio × general budget revenue (亿元), floored."""
    if capacity_ratio is None or regions is None or "budget_revenue_100m_cny" not in regions.columns:
        return pd.Series(dtype="int64")
    if not 0 <= float(capacity_ratio) <= 1:
        raise InputError("capacity ratio must be between 0 and 1 (e.g. 0.01 for 1% of budget revenue)",
                         "支付能力比例应在 0 到 1 之间(如 0.01 表示一般公共预算收入的 1%)", column="capacity_ratio",
                         found=str(capacity_ratio))
    rev = pd.to_numeric(regions["budget_revenue_100m_cny"], errors="coerce")
    scale = 100_000_000 / {"元": 1, "万元": 10_000, "亿元": 100_000_000}[unit_name(unit)]
    cap = np.floor(rev * float(capacity_ratio) * scale + 1e-9)
    s = pd.Series(cap.to_numpy(), index=regions["adcode"].astype(str).to_numpy()).dropna()
    return s.astype(np.int64)


def link_pairs(links, netted: pd.DataFrame) -> pd.DataFrame:
    """Undirected permitted links as a frame (a, b). ``"parties"``: the pairs that owe each other in the ledger;
    ``"any"``: every pair of regions in the ledger; a DataFrame with two code columns: declared links."""
    codes = sorted(set(netted["payer"]) | set(netted["payee"]))
    if isinstance(links, str) and links == "parties":
        a, b = netted["payer"].to_numpy(), netted["payee"].to_numpy()
    elif isinstance(links, str) and links == "any":
        ii, jj = np.triu_indices(len(codes), k=1)
        a, b = np.array(codes, dtype=object)[ii], np.array(codes, dtype=object)[jj]
    elif isinstance(links, pd.DataFrame):
        cols = [c for c in ("from", "to") if c in links.columns] or list(links.columns[:2])
        if len(cols) != 2:
            raise InputError("the links table needs two columns of region codes (from, to)",
                             "链接表需要两列地区代码(from, to)", column="links")
        a, b = links[cols[0]].astype(str).to_numpy(), links[cols[1]].astype(str).to_numpy()
    else:
        raise InputError(f"unknown links '{links}': use 'parties', 'any' or a table of (from, to)",
                         f"未知的链接方式 '{links}'", column="links")
    lo, hi = np.where(a < b, a, b), np.where(a < b, b, a)
    df = pd.DataFrame({"a": lo, "b": hi})
    return df[df["a"] != df["b"]].drop_duplicates().reset_index(drop=True)


def _diagnose(d: pd.Series, cap: pd.Series, arcs: pd.DataFrame, u: pd.Series, budget, unit,
              names) -> list[Problem]:
    """Plain-language causes of unpaid money: capacity short, or no permitted link to anyone owed."""
    msgs = []
    linked = set(arcs["from"]) | set(arcs["to"])
    for code, owed in d.items():
        unpaid = int(u.get(code, 0))
        who = f"{code} {names[code]}" if code in names else code
        if unpaid <= 0:
            continue
        if code not in linked:
            msgs.append(Problem(
                "warning", f"{who} owes {owed:,} {unit} but has no permitted link to any region: all of it is unpaid",
                f"{who} 应付 {owed:,}{unit},但与任何地区都没有允许的支付链接:全部未付", region=who))
        elif code in cap.index and cap[code] < owed:
            msgs.append(Problem(
                "warning", f"{who} owes {owed:,} {unit} but can pay at most {int(cap[code]):,} {unit} (its "
                           f"capacity); unpaid {unpaid:,} {unit}",
                f"{who} 应付 {owed:,}{unit},但支付能力上限为 {int(cap[code]):,}{unit};未付 {unpaid:,}{unit}",
                region=who))
        else:
            msgs.append(Problem(
                "warning", f"{who} owes {owed:,} {unit}; the permitted links let it pay only {owed - unpaid:,} {unit}",
                f"{who} 应付 {owed:,}{unit};允许的支付链接只能让其支付 {owed - unpaid:,}{unit}", region=who))
    if budget is not None and int(u.sum()) > budget:
        msgs.insert(0, Problem(
            "error", f"infeasible: payers cannot pay {int(u.sum()):,} {unit} of what they owe (capacity or links), "
                     f"and the central budget for top-ups is only {int(budget):,} {unit}",
            f"不可行:付款方有 {int(u.sum()):,}{unit} 无法支付(支付能力或链接所限),而中央兜底预算仅 "
            f"{int(budget):,}{unit}"))
    return msgs


def settle(obligations: pd.DataFrame, regions: pd.DataFrame | None = None, names: dict | None = None,
           unit: str = "万元", capacity_ratio: float | None = None, capacity: pd.Series | None = None,
           links="parties", objective: str = "money", time_limit: float = 30, central_budget: int | None = None
           ) -> Settlement:
    """Clear a ledger (payer, payee, amount as integers in ``unit``) by netting and an optimal transfer plan."""
    if objective not in ("money", "transfers"):
        raise InputError(f"unknown objective '{objective}': use money or transfers",
                         f"未知的目标 '{objective}':请用 money 或 transfers", column="objective")
    unit = unit_name(unit)
    names = dict(names or {})
    if regions is not None and "name_zh" in regions.columns:
        names = {**dict(zip(regions["adcode"].astype(str), regions["name_zh"], strict=True)), **names}
    netted = net_obligations(obligations)
    cap = capacity.astype(np.int64) if capacity is not None else capacities(regions, capacity_ratio, unit)
    diagnostics: list[Problem] = []
    inn = netted.groupby("payee")["amount"].sum()
    out = netted.groupby("payer")["amount"].sum()
    b = inn.sub(out, fill_value=0).astype(np.int64)
    d, c = (-b[b < 0]).astype(np.int64), b[b > 0].astype(np.int64)
    if capacity_ratio is not None or capacity is not None:
        nocap = [code for code in d.index if code not in cap.index]
        if nocap:
            diagnostics.append(Problem(
                "warning", f"no budget revenue for {', '.join(nocap)}: their payment capacity is not limited",
                f"{', '.join(nocap)} 没有一般公共预算收入数据:其支付能力不设上限"))
    pairs = link_pairs(links, netted)
    arcs = pd.concat([pairs.rename(columns={"a": "from", "b": "to"}), pairs.rename(columns={"b": "from", "a": "to"})],
                     ignore_index=True)
    nodes = sorted(set(d.index) | set(c.index) | set(arcs["from"]) | set(arcs["to"]))
    info: dict = {"solver": "", "objective": objective, "regions": len(nodes), "links": len(pairs)}
    if netted.empty:
        return _result(netted, arcs.iloc[:0], np.zeros(0), d, c, pd.Series(dtype="int64"), names, "optimal",
                       diagnostics, info)
    x, u, status, lp_info = _solve_lp(nodes, arcs, d, c, cap, time_limit)
    info.update(lp_info)
    if status != "optimal":
        diagnostics.append(Problem("error", f"the LP solver stopped with status '{status}'",
                                   f"线性规划求解器停止,状态为 '{status}'"))
        return _result(netted, arcs.iloc[:0], np.zeros(0), d, c, d, names, status, diagnostics, info)
    if objective == "transfers":
        x2, status, milp_info = _solve_milp(nodes, arcs, d, c, cap, int(u.sum()), time_limit)
        info.update(milp_info)
        if x2 is None:
            diagnostics.append(Problem(
                "warning", "no integer solution within the time limit: the LP plan (least money moved) is "
                           "returned instead", "时限内未找到整数解:改为给出线性规划方案(资金流动最少)"))
            status = "time_limited"
        else:
            x = x2
    u = _unpaid(nodes, arcs, x, d, c)
    diagnostics += _diagnose(d, cap, arcs, u, central_budget, unit, names)
    if central_budget is not None and int(u.sum()) > int(central_budget):
        return _result(netted, arcs.iloc[:0], np.zeros(0), d, c, d, names, "infeasible", diagnostics, info,
                       plan=False)
    return _result(netted, arcs, x, d, c, u, names, status, diagnostics, info)


def _incidence(nodes, arcs):
    pos = {n: i for i, n in enumerate(nodes)}
    return arcs["from"].map(pos).to_numpy(), arcs["to"].map(pos).to_numpy()


def _grouped(index: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.argsort(index, kind="stable")
    bounds = np.searchsorted(index[order], np.arange(n + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(n)]


def _var(prob, name, low=None, up=None, cat=pulp.LpContinuous):
    """A variable attached to ``prob`` (PuLP ≥ 3.3), or a free-standing one on older PuLP."""
    add = getattr(prob, "add_variable", None)
    return add(name, low, up, cat=cat) if add else pulp.LpVariable(name, low, up, cat=cat)


def _build(prob, nodes, arcs, d, c, cap, integer: bool):
    """Variables and balance constraints, built in bulk."""
    n = len(nodes)
    cat = pulp.LpInteger if integer else pulp.LpContinuous
    xs = [_var(prob, f"x{k}", 0, None, cat) for k in range(len(arcs))]
    dv = d.reindex(nodes, fill_value=0).to_numpy(dtype=np.int64)
    cv = c.reindex(nodes, fill_value=0).to_numpy(dtype=np.int64)
    capv = cap.reindex(nodes).to_numpy(dtype=float)
    ulo = np.where(np.isnan(capv), 0, np.maximum(0, dv - np.nan_to_num(capv, nan=0))).astype(np.int64)
    us = {i: _var(prob, f"u{i}", int(ulo[i]), int(dv[i]), cat) for i in np.flatnonzero(dv)}
    ts = {i: _var(prob, f"t{i}", 0, int(cv[i]), cat) for i in np.flatnonzero(cv)}
    src, dst = _incidence(nodes, arcs)
    outs, ins = _grouped(src, n), _grouped(dst, n)
    rows = []
    for i in range(n):
        terms = [(xs[k], 1) for k in outs[i]] + [(xs[k], -1) for k in ins[i]]
        if i in us:
            terms.append((us[i], 1))
        if i in ts:
            terms.append((ts[i], -1))
        rows.append(pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, f"bal{i}",
                                      int(dv[i] - cv[i])))
    return xs, us, ts, rows


def _solve(prob, time_limit, mip):
    t0 = time.perf_counter()
    prob.solve(solver(time_limit, mip=mip))
    runtime = time.perf_counter() - t0
    info = {"runtime_s": round(runtime, 4)}
    model = getattr(prob, "solverModel", None)
    if model is not None:
        try:
            hinfo = model.getInfo()
            info["gap"] = float(hinfo.mip_gap) if mip else 0.0
            info["highs_status"] = model.modelStatusToString(model.getModelStatus())
        except Exception:  # older highspy without these calls: keep what PuLP reports
            pass
    return info


def _solve_lp(nodes, arcs, d, c, cap, time_limit):
    t0 = time.perf_counter()
    prob = pulp.LpProblem("settlement_lp", pulp.LpMinimize)
    xs, us, ts, rows = _build(prob, nodes, arcs, d, c, cap, integer=False)
    big_m = len(nodes) + 1
    prob.setObjective(pulp.LpAffineExpression([(v, 1) for v in xs] + [(v, big_m) for v in us.values()]))
    prob.extend(rows)
    build = time.perf_counter() - t0
    info = {f"lp_{k}": v for k, v in _solve(prob, time_limit, mip=False).items()}
    info["lp_build_s"] = round(build, 4)
    info["solver"] = "HiGHS" if "HiGHS" in available_solvers() else "CBC"
    info["variables"], info["constraints"] = prob.numVariables(), prob.numConstraints()
    if prob.status != pulp.LpStatusOptimal or prob.sol_status != pulp.LpSolutionOptimal:
        status = "time_limited" if "time" in str(info.get("lp_highs_status", "")).lower() else "infeasible"
        return None, pd.Series(dtype="int64"), status, info
    x = np.rint(np.array([v.value() or 0.0 for v in xs]))
    u = pd.Series({nodes[i]: round(v.value() or 0.0) for i, v in us.items()}, dtype="int64")
    info["lp_objective"] = float(pulp.value(prob.objective))
    return x, u, "optimal", info


def _solve_milp(nodes, arcs, d, c, cap, unpaid_total, time_limit):
    t0 = time.perf_counter()
    prob = pulp.LpProblem("settlement_milp", pulp.LpMinimize)
    xs, us, ts, rows = _build(prob, nodes, arcs, d, c, cap, integer=True)
    total = int(d.sum())
    ys = [_var(prob, f"y{k}", 0, 1, pulp.LpInteger) for k in range(len(xs))]
    eps = 1.0 / (2.0 * max(total, 1) * max(len(nodes), 1))  # Σ x ≤ total·(n−1): the tie-break stays below one link
    prob.setObjective(pulp.LpAffineExpression([(y, 1) for y in ys] + [(x, eps) for x in xs]))
    prob.extend(rows)
    prob.extend([pulp.LpConstraint(pulp.LpAffineExpression([(x, 1), (y, -total)]), pulp.LpConstraintLE, f"link{k}", 0)
                 for k, (x, y) in enumerate(zip(xs, ys, strict=True))])
    prob += pulp.LpConstraint(pulp.LpAffineExpression([(u, 1) for u in us.values()]), pulp.LpConstraintLE,
                              "least_topup", unpaid_total)
    build = time.perf_counter() - t0
    info = {f"milp_{k}": v for k, v in _solve(prob, time_limit, mip=True).items()}
    info["milp_build_s"] = round(build, 4)
    if prob.sol_status == pulp.LpSolutionOptimal:
        status = "optimal"
    elif prob.sol_status == pulp.LpSolutionIntegerFeasible:
        status = "time_limited"
    else:
        return None, "time_limited", info
    info["gap"] = info.get("milp_gap", 0.0) if status == "time_limited" else 0.0
    return np.rint(np.array([v.value() or 0.0 for v in xs])), status, info


def _unpaid(nodes, arcs, x, d, c) -> pd.Series:
    """Unpaid amount per payer from the integer flows; checks every balance exactly."""
    src, dst = _incidence(nodes, arcs)
    xi = x.astype(np.int64)
    net_out = np.bincount(src, weights=xi, minlength=len(nodes)) - np.bincount(dst, weights=xi, minlength=len(nodes))
    net_out = pd.Series(np.rint(net_out).astype(np.int64), index=nodes)
    dv, cv = d.reindex(nodes, fill_value=0), c.reindex(nodes, fill_value=0)
    paid = net_out.clip(lower=0)
    received = (-net_out).clip(lower=0)
    if ((paid > dv) | (received > cv)).any():
        bad = list(net_out.index[(paid > dv) | (received > cv)])[:5]
        raise RuntimeError(f"settlement flows do not balance at {bad}: solver tolerance problem")
    return (dv - paid)[dv > 0].astype(np.int64)


def _result(netted, arcs, x, d, c, u, names, status, diagnostics, info, plan=True) -> Settlement:
    name = lambda code: names.get(code, code)  # noqa: E731
    flows = arcs.assign(amount=np.asarray(x, dtype=np.int64)) if plan and len(arcs) else arcs.assign(amount=0)
    flows = flows[flows["amount"] > 0]
    u = u.reindex(d.index, fill_value=0).astype(np.int64) if len(d) else pd.Series(dtype="int64")
    # top-up per receiver: what it was owed minus what reached it
    inn = flows.groupby("to")["amount"].sum()
    outf = flows.groupby("from")["amount"].sum()
    codes = sorted(set(d.index) | set(c.index) | set(flows["from"]) | set(flows["to"]))
    pos = pd.DataFrame({"adcode": codes})
    pos["name_zh"] = pos["adcode"].map(name)
    claim = c.reindex(codes, fill_value=0) - d.reindex(codes, fill_value=0)
    pos["claim"] = claim.to_numpy(dtype=np.int64)
    pos["horizontal_in"] = inn.reindex(codes, fill_value=0).to_numpy(dtype=np.int64)
    pos["horizontal_out"] = outf.reindex(codes, fill_value=0).to_numpy(dtype=np.int64)
    pos["unpaid"] = u.reindex(codes, fill_value=0).to_numpy(dtype=np.int64) if plan else \
        d.reindex(codes, fill_value=0).to_numpy(dtype=np.int64)
    receipts = pos["horizontal_in"] - pos["horizontal_out"]
    pos["central_topup"] = np.where(pos["claim"] > 0, pos["claim"] - receipts, 0).astype(np.int64) if plan else 0
    pos["net"] = (pos["horizontal_in"] - pos["horizontal_out"] + pos["central_topup"]).astype(np.int64)
    rows = pd.DataFrame({"from": flows["from"].to_numpy(), "to": flows["to"].to_numpy(),
                         "amount": flows["amount"].to_numpy(dtype=np.int64), "kind": "horizontal"})
    top = pos[pos["central_topup"] > 0]
    rows = pd.concat([rows, pd.DataFrame({"from": CENTRAL, "to": top["adcode"].to_numpy(),
                                          "amount": top["central_topup"].to_numpy(dtype=np.int64),
                                          "kind": "central_topup"})], ignore_index=True)
    rows["from_name"] = rows["from"].map(lambda k: CENTRAL_NAME if k == CENTRAL else name(k))
    rows["to_name"] = rows["to"].map(name)
    rows["amount"] = rows["amount"].astype(np.int64)
    info["money_moved"] = int(rows.loc[rows["kind"] == "horizontal", "amount"].sum())
    info["transfers"] = int((rows["kind"] == "horizontal").sum())
    info["central_topup"] = int(pos["central_topup"].sum())
    return Settlement(rows[SETTLEMENT_COLUMNS].reset_index(drop=True), pos[POSITION_COLUMNS], netted, status,
                      diagnostics, info)
