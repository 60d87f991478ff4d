"""What each agreement owes in a year: monitoring data + agreement parameters → obligations payer → payee.

Each evaluator returns a DataFrame of obligations (payer, payee, amount in 万元 as float, basis in plain words);
``ledger.build_ledger`` makes the amounts exact integers in the output unit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..problems import InputError, Problem
from . import rules
from .agreements import Agreement
from .monitoring import (
    GB3838_LIMITS,
    annual_class,
    annual_means,
    class_name,
    concentration_class,
    month_classes,
)

OBLIGATION_COLUMNS = ["payer", "payee", "amount", "agreement", "basis"]


def _row(ag: Agreement, payer: str, payee: str, amount: float, basis: str) -> dict:
    return {"payer": payer, "payee": payee, "amount": float(amount), "agreement": ag.id, "basis": basis}


def _two_party(ag: Agreement, signed: float, basis_down: str, basis_up: str) -> list[dict]:
    """One row for a signed amount: + → downstream pays upstream, − → upstream pays downstream (0 → none)."""
    up, down = ag.party("upstream"), ag.party("downstream")
    if signed > 0:
        return [_row(ag, down["adcode"], up["adcode"], signed, basis_down)]
    if signed < 0:
        return [_row(ag, up["adcode"], down["adcode"], -signed, basis_up)]
    return []


def _short(name: str) -> str:
    """湖南省株洲市 → 株洲, 广西壮族自治区 → 广西, 浙江省 → 浙江."""
    if "省" in name[:-1]:
        name = name.split("省", 1)[1]
    for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _indicators(section: dict) -> list[str]:
    return list(section.get("indicators") or ["codmn", "nh3n", "tp"])


def index_threshold(ag: Agreement, mon: pd.DataFrame, year: int, regions=None) -> list[dict]:
    sec = ag.sections[0]
    ind = _indicators(sec)
    weights, base = ag.value("weights"), ag.value("baseline_mg_l")
    missing = [k for k in ind if k not in weights or k not in base]
    if missing:
        raise InputError(f"agreement '{ag.id}': weights and baseline needed for {', '.join(missing)}",
                         f"协议 '{ag.id}' 缺少 {', '.join(missing)} 的权重或基准浓度", file=ag.path, column="params")
    conc = annual_means(mon, sec["id"], year, ind)
    k0 = ag.value("k0")
    p = float(rules.pollution_index(conc, [base[k] for k in ind], [weights[k] for k in ind], k0))
    threshold = ag.value("threshold")
    signed = float(rules.index_threshold(p, ag.value("transfer"), threshold))
    n = {r["role"]: _short(r["name_zh"]) for r in ag.parties.to_dict("records")}
    formula = f"P = {k0:g} × Σ k_i·C_i/C_i0 = {p:.4f}"
    return _two_party(ag, signed, f"{formula} ≤ {threshold:g}: {n['downstream']} pays {n['upstream']}",
                      f"{formula} > {threshold:g}: {n['upstream']} pays {n['downstream']}")


def class_step(ag: Agreement, mon: pd.DataFrame, year: int, regions=None) -> list[dict]:
    sec = ag.sections[0]
    ind = _indicators(sec)
    c = annual_class(mon, sec["id"], year, ind)
    c_num = ag.value("worse_than_v_class_number") if c == 6 else c
    pivot = ag.value("pivot_class")
    b = float(rules.class_step(c_num, ag.value("amount_per_class"), pivot))
    n = {r["role"]: _short(r["name_zh"]) for r in ag.parties.to_dict("records")}
    basis = f"annual class {class_name(c)} at {sec['id']}: B = {ag.params['amount_per_class']['value']}万 × ({pivot} − {c_num})"
    out = _two_party(ag, b, f"{basis}: {n['downstream']} pays {n['upstream']}",
                     f"{basis}: {n['upstream']} pays {n['downstream']}")
    std = [GB3838_LIMITS[k][2] for k in ind]
    now = float(rules.composite_index(annual_means(mon, sec["id"], year, ind), std))
    prev = float(rules.composite_index(annual_means(mon, sec["id"], year - 1, ind), std))
    pts = float(rules.improvement_points(prev, now))
    v = float(rules.change_term(pts, ag.value("change_rate_per_point"), ag.value("change_cap")))
    basis = f"composite index {prev:.4f} → {now:.4f} ({pts:+.2f} points; capped change term)"
    out += _two_party(ag, v, f"{basis}: {n['downstream']} pays {n['upstream']}",
                      f"{basis}: {n['upstream']} pays {n['downstream']}")
    return out


def monthly_compliance(ag: Agreement, mon: pd.DataFrame, year: int, regions=None) -> list[dict]:
    sec = ag.sections[0]
    cls = month_classes(mon, sec["id"], year, _indicators(sec))
    target = ag.value("target_class")
    down_pays, up_pays = rules.monthly_compliance(cls, target, ag.value("amount_per_month"))
    n_ok = int((cls <= target).sum())
    up, down = ag.party("upstream"), ag.party("downstream")
    nu, nd = _short(up["name_zh"]), _short(down["name_zh"])
    out = []
    if down_pays > 0:
        out.append(_row(ag, down["adcode"], up["adcode"], down_pays,
                        f"{n_ok} month(s) at class {class_name(target)} or better at {sec['id']}: {nd} pays {nu}"))
    if up_pays > 0:
        out.append(_row(ag, up["adcode"], down["adcode"], up_pays,
                        f"{12 - n_ok} month(s) worse than class {class_name(target)} at {sec['id']}: {nu} pays {nd}"))
    return out


def pass_rate(ag: Agreement, mon: pd.DataFrame, year: int, regions=None) -> list[dict]:
    if ag.params.get("direction_rule", {}).get("value") == "stable_or_improving":
        return _stable_or_improving(ag, mon, year)
    sec = ag.sections[0]
    ind = _indicators(sec)
    target_class = ag.value("target_class")
    targets = {int(k): float(v) for k, v in ag.value("target_rate_by_year").items()}
    if int(year) not in targets:
        raise InputError(f"agreement '{ag.id}' has no pass-rate target for {year}",
                         f"协议 '{ag.id}' 没有 {year} 年的达标率目标", file=ag.path, column="target_rate_by_year",
                         expected=", ".join(map(str, targets)), found=str(year))
    cls = month_classes(mon, sec["id"], year, ind)
    rate = float(rules.pass_rate(cls, target_class))
    c_year = annual_class(mon, sec["id"], year, ind)
    annual_ok = c_year <= target_class
    rule = ag.value("partial_rule")
    down_pays, up_pays = rules.pass_rate_settlement(rate, targets[int(year)], annual_ok, ag.value("transfer"), rule)
    up, down = ag.party("upstream"), ag.party("downstream")
    nu, nd = _short(up["name_zh"]), _short(down["name_zh"])
    basis = (f"pass rate {rate:.1%} vs target {targets[int(year)]:.0%}, annual class {class_name(c_year)} "
             f"(target {class_name(target_class)}), {rule}")
    out = []
    if down_pays > 0:
        out.append(_row(ag, down["adcode"], up["adcode"], float(down_pays), f"{basis}: {nd} pays {nu}"))
    if up_pays > 0:
        out.append(_row(ag, up["adcode"], down["adcode"], float(up_pays), f"{basis}: {nu} pays {nd}"))
    return out


def _stable_or_improving(ag: Agreement, mon: pd.DataFrame, year: int) -> list[dict]:
    """Tingjiang–Hanjiang: downstream pays the transfer when the water is stable at standard or improving,
    upstream pays it when the water deteriorates (rules.stable_or_improving)."""
    sec = ag.sections[0]
    ind = _indicators(sec)
    target_class = ag.value("target_class")
    cls = month_classes(mon, sec["id"], year, ind)
    rate = float(rules.pass_rate(cls, target_class))
    c_year = annual_class(mon, sec["id"], year, ind)
    has_prev = ((mon["section"] == sec["id"]) & (mon["year"] == int(year) - 1)).sum() == 12
    if has_prev:
        prev_rate = float(rules.pass_rate(month_classes(mon, sec["id"], year - 1, ind), target_class))
        prev_class = float(annual_class(mon, sec["id"], year - 1, ind))
    else:
        prev_rate = prev_class = float("nan")
    down = float(rules.stable_or_improving(c_year <= target_class, rate, prev_rate, c_year, prev_class))
    transfer = ag.value("transfer")
    up, dn = ag.party("upstream"), ag.party("downstream")
    nu, nd = _short(up["name_zh"]), _short(dn["name_zh"])
    prev_txt = (f"; last year pass rate {prev_rate:.1%}, class {class_name(int(prev_class))}" if has_prev
                else "; no data for last year")
    basis = (f"annual class {class_name(c_year)} (target {class_name(target_class)}), monthly pass rate "
             f"{rate:.1%}{prev_txt}")
    if down:
        why = "stable at standard" if c_year <= target_class else "improving"
        return [_row(ag, dn["adcode"], up["adcode"], transfer, f"{basis}: {why}, {nd} pays {nu}")]
    return [_row(ag, up["adcode"], dn["adcode"], transfer, f"{basis}: deteriorating, {nu} pays {nd}")]


def pooled_fund(ag: Agreement, mon: pd.DataFrame, year: int, regions=None) -> list[dict]:
    codes = list(ag.parties["adcode"])
    idx = {c: i for i, c in enumerate(codes)}
    contrib_ratio = [float(ag.value("contribution_ratio")[c]) for c in codes]
    alloc_ratio = [float(ag.value("allocation_ratio")[c]) for c in codes]
    target = ag.value("target_class")
    sections = {s["id"]: s for s in ag.sections}
    routes, failed, notes = [], [], []
    for r in ag.value("routing"):
        sec = sections[r["section"]]
        c = annual_class(mon, sec["id"], year, _indicators(sec))
        fail = c > target
        to = {idx[str(k)]: float(v) for k, v in r["to"].items()}
        if isinstance(r["from"], dict):  # several parties answer for the section: a stated amount, by shares
            routes.append(({idx[str(k)]: float(v) for k, v in r["from"].items()}, to, ag.value(r["amount"])))
        else:
            routes.append((idx[str(r["from"])], to))
        failed.append(fail)
        notes.append(f"{sec['id']} class {class_name(c)} ({'fails' if fail else 'meets'} {class_name(target)})")
    share = ag.value("deduction_share") if "deduction_share" in ag.params else 1.0
    contrib, alloc = rules.pooled_fund(ag.value("pool"), contrib_ratio, alloc_ratio, routes, failed,
                                       bool(ag.value("forfeit_routed")), float(share))
    matrix = rules.pairwise_from_net(alloc - contrib)
    names = ag.names()
    out = []
    for i, j in zip(*np.nonzero(matrix > rules.TOL), strict=True):
        basis = (f"pooled fund: {'; '.join(notes)}; {_short(names[codes[i]])} puts in {contrib[i]:,.0f}万, "
                 f"receives {alloc[i]:,.0f}万; {_short(names[codes[j]])} puts in {contrib[j]:,.0f}万, "
                 f"receives {alloc[j]:,.0f}万")
        out.append(_row(ag, codes[i], codes[j], matrix[i, j], basis))
    return out


def quantity_quality(ag: Agreement, mon: pd.DataFrame, year: int, regions=None) -> list[dict]:
    from .monitoring import section_year

    inflow = 0.0
    for sec in ag.sections:
        sub = section_year(mon, sec["id"], year)
        if sub["inflow_100m_m3"].isna().any():
            r = int(sub.loc[sub["inflow_100m_m3"].isna(), "row"].iloc[0])
            raise InputError("monthly inflow needed by the quantity rule is empty", "水量规则需要的月入境水量为空",
                             file=mon.attrs.get("file", ""), row=r, column="inflow_100m_m3", region=sec["id"])
        inflow += float(sub["inflow_100m_m3"].sum())
    baseline = ag.value("baseline_inflow_100m_m3")
    q = float(rules.quantity_payment(inflow, baseline, ag.value("quantity_rate_per_100m_m3"), ag.value("quantity_cap")))
    target = ag.value("target_class")
    classes, labels = [], []
    for sec in ag.sections:
        ind = _indicators(sec)
        means = annual_means(mon, sec["id"], year, ind)
        for k, m in zip(ind, means, strict=True):
            classes.append(int(concentration_class(k, m)))
            labels.append(f"{sec['id']}·{k}")
    down_q, up_q = rules.quality_payment(np.array(classes), target, ag.value("quality_amount_per_indicator"))
    up, down = ag.party("upstream"), ag.party("downstream")
    nu, nd = _short(up["name_zh"]), _short(down["name_zh"])
    out = []
    if q > 0:
        out.append(_row(ag, down["adcode"], up["adcode"], q,
                        f"inflow {inflow:.2f} 亿m³ above the baseline {baseline:g} 亿m³ (more water, more reward): "
                        f"{nd} pays {nu}"))
    ok = [lab for lab, c in zip(labels, classes, strict=True) if c <= target]
    bad = [lab for lab, c in zip(labels, classes, strict=True) if c > target]
    if down_q > 0:
        out.append(_row(ag, down["adcode"], up["adcode"], float(down_q),
                        f"{len(ok)} indicator(s) meet class {class_name(target)} ({', '.join(ok)}): {nd} pays {nu}"))
    if up_q > 0:
        out.append(_row(ag, up["adcode"], down["adcode"], float(up_q),
                        f"{len(bad)} indicator(s) miss class {class_name(target)} ({', '.join(bad)}): {nu} pays {nd}"))
    return out


def beneficiary_shares(ag: Agreement, mon, year: int, regions=None, diagnostics=None) -> list[dict]:
    fixed = ag.params.get("shares", {}).get("value")
    if fixed:  # beneficiary shares given by the agreement or study (e.g. 北京 19.5%, 天津 10.5%, 河北 31.5%, 河南 38.5%)
        return _fixed_beneficiary_shares(ag, {str(k): float(v) for k, v in fixed.items()})
    water = {str(k): float(v) for k, v in ag.value("water_use_100m_m3").items()}
    bens = list(water)
    alpha = float(ag.value("water_weight"))
    have = regions is not None and {"adcode", "gdp_100m_cny", "population_10k"} <= set(regions.columns)
    if have:
        reg = regions.set_index(regions["adcode"].astype(str))
        missing = [c for c in bens if c not in reg.index]
        have = not missing
    if have:
        econ = (pd.to_numeric(reg.loc[bens, "gdp_100m_cny"]) / pd.to_numeric(reg.loc[bens, "population_10k"])).to_numpy()
        how = f"α = {alpha:g} on water-use share, {1 - alpha:g} on GDP-per-person share"
    else:
        econ = np.array([water[c] for c in bens])
        how = "water-use share only (no region table with GDP and population for the economic-level weight)"
        if diagnostics is not None:
            diagnostics.append(Problem("warning", f"{ag.id}: {how}",
                                       f"{ag.id}:仅按用水份额分摊(缺少含 GDP 与人口的地区表,无法计算经济水平权重)"))
    w = rules.beneficiary_weights([water[c] for c in bens], econ, alpha if have else 1.0)
    src = {str(k): float(v) for k, v in ag.value("source_shares").items()}
    m = rules.beneficiary_shares(ag.value("total"), w, list(src.values()))
    names = ag.names()
    out = []
    for j, b in enumerate(bens):
        for k, s in enumerate(src):
            if m[j, k] > 0:
                out.append(_row(ag, b, s, m[j, k], f"beneficiary share {w[j]:.2%} ({how}): "
                                                   f"{_short(names.get(b, b))} pays {_short(names.get(s, s))}"))
    return out


def _fixed_beneficiary_shares(ag: Agreement, shares: dict[str, float]) -> list[dict]:
    """M[j, k] = total × share_j × source share_k with the beneficiary shares given (they must add up to 1)."""
    total_share = sum(shares.values())
    if abs(total_share - 1.0) > 1e-9:
        raise InputError(f"agreement '{ag.id}': beneficiary shares add up to {total_share:g}, not 1",
                         f"协议 '{ag.id}':受益方分担比例之和为 {total_share:g},不等于 1", file=ag.path,
                         column="shares", expected="1", found=f"{total_share:g}")
    src = {str(k): float(v) for k, v in ag.value("source_shares").items()}
    unknown = [c for c in [*shares, *src] if c not in set(ag.parties["adcode"])]
    if unknown:
        raise InputError(f"agreement '{ag.id}': {', '.join(unknown)} is not a party of the agreement",
                         f"协议 '{ag.id}':{', '.join(unknown)} 不是协议参与方", file=ag.path, column="parties")
    bens = list(shares)
    m = rules.beneficiary_shares(ag.value("total"), [shares[b] for b in bens], list(src.values()))
    names = ag.names()
    out = []
    for j, b in enumerate(bens):
        for k, sk in enumerate(src):
            if m[j, k] > 0:
                out.append(_row(ag, b, sk, m[j, k], f"beneficiary share {shares[b]:.2%} (given): "
                                                    f"{_short(names.get(b, b))} pays {names.get(sk, sk)}"))
    return out


EVALUATORS = {
    "index_threshold": index_threshold,
    "class_step": class_step,
    "monthly_compliance": monthly_compliance,
    "pass_rate": pass_rate,
    "pooled_fund": pooled_fund,
    "quantity_quality": quantity_quality,
    "beneficiary_shares": beneficiary_shares,
}


def evaluate(ag: Agreement, mon: pd.DataFrame, year: int, regions=None, diagnostics=None) -> pd.DataFrame:
    """Obligations of one agreement in one year (amounts in 万元, floats)."""
    if not ag.covers(year):
        raise InputError(f"agreement '{ag.id}' runs {ag.period[0]}–{ag.period[1]}, not {year}",
                         f"协议 '{ag.id}' 的期限为 {ag.period[0]}–{ag.period[1]} 年,不含 {year} 年",
                         file=ag.path, column="period", found=str(year))
    fn = EVALUATORS[ag.rule]
    rows = fn(ag, mon, year, regions, diagnostics) if ag.rule == "beneficiary_shares" else fn(ag, mon, year, regions)
    return pd.DataFrame(rows, columns=OBLIGATION_COLUMNS)


def central_funds(ag: Agreement, year: int) -> pd.DataFrame:
    """Central money named by an agreement (e.g. Xin'an: central funds to the upstream province)."""
    rows = []
    for key, f in ag.funds.items():
        if key != "central" or f.get("value") is None:
            continue
        from ..money import convert

        party = ag.party(f.get("to", "upstream"))
        rows.append({"adcode": party["adcode"], "name_zh": party["name_zh"], "agreement": ag.id,
                     "amount": float(convert(float(f["value"]), f.get("unit", "万元"), "万元")),
                     "basis": f.get("note", "central funds named by the agreement")})
    return pd.DataFrame(rows, columns=["adcode", "name_zh", "agreement", "amount", "basis"])
