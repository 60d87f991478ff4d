"""Results on a page: the allocation of the current settings through ``compensation.allocate``, and how
results are shown (problems beside their rows, solver status in words, the provenance of every figure)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from compensation.allocation import allocate
from compensation.problems import SEVERITY_ZH, InputError, Problem, Report

from .format import yi_from_wan
from .i18n import lang, t
from .loading import method, regions_in_use, scenario_run, spec_hash
from .settings import BASELINE, DEFAULT_YEAR, UNIT, Settings, settings
from .state import Keys

LAST_YEAR = "last_year_amount_10k_cny"


@dataclass
class Outcome:
    """An allocation and what produced it; ``res`` is None when the input could not be used."""

    settings: Settings
    res: object | None
    report: Report | None
    hash: str
    regions: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.res is not None and self.res.ok


def with_last_year(regions: pd.DataFrame, s: Settings) -> tuple[pd.DataFrame, list[str]]:
    """Ratio bounds need last year's amounts; where the data has none, they are the 2023 baseline's results
    (as the scenario key ``initial_last_year: {scenario: baseline_2023, year: 2023}`` does in the core)."""
    if (s.floor_ratio is None and s.cap_ratio is None) or LAST_YEAR in regions:
        return regions, []
    base = scenario_run(BASELINE)
    final = base.results[DEFAULT_YEAR].allocation.table.set_index("adcode")["final"]
    if base.unit != "万元":  # the column is in 万元
        raise InputError("the baseline run is not in 万元", "基线结果的单位不是万元")
    out = regions.copy()
    out[LAST_YEAR] = out["adcode"].astype(str).map(final).astype(float)
    return out, [t("alloc.last_year_from_baseline")]


def run_allocation(s: Settings | None = None, regions: pd.DataFrame | None = None, extra_overrides: dict | None = None
                   ) -> Outcome:
    """The allocation for the settings ``s`` (default: the current ones) through ``compensation.allocate``."""
    s = s or settings()
    regions = regions_in_use()[0] if regions is None else regions
    h = spec_hash(s.spec_json())
    try:
        reg, notes = with_last_year(regions, s)
        res = allocate(reg, method=method(s.method), budget=s.pool_yi, budget_unit="亿元", unit=UNIT, year=s.year,
                       constraints=s.constraints(), objective=s.objective,
                       overrides={**s.overrides, **(extra_overrides or {})})
    except InputError as exc:
        return Outcome(s, None, exc.report, h, regions)
    return Outcome(s, res, None, h, reg, notes)


# --- messages and provenance ----------------------------------------------------------------------------

# scenario keys named in messages, in words (the rest are shown as they are, in code font)
KEY_ZH = {"budget.base": "预算基数", "budget.amounts": "各年预算", "budget.growth": "预算增长率", "budget.unit": "预算单位",
          "constraints.initial_last_year.scenario": "上年金额所取情景", "constraints.initial_last_year": "上年金额来源",
          "constraints.floors": "单独下限", "constraints.caps": "单独上限", "constraints.locks": "锁定金额",
          "constraints.floor_ratio": "下限比例", "constraints.cap_ratio": "上限比例", "constraints.groups": "分组约束",
          "overrides": "参数修改", "method": "分配方法", "years": "年份", "data": "数据文件", "unit": "金额单位",
          "objective": "优化目标", "scenario.extends": "所继承的情景"}


def _key_label(key: str) -> str | None:
    return KEY_ZH.get(key.split("[")[0])


# the core's "expected" phrases in Chinese (the rest are numbers and codes, the same in both languages)
EXPECTED_ZH = [(re.compile(r"^a number in units$"), "数字"), (re.compile(r"^a number in (.+)$"), r"以 \1 计的数字"),
               (re.compile(r"^one of (.+)$"), r"以下之一:\1"),
               (re.compile(r"^6 digits \(GB/T 2260\), e\.g\. (\d+)$"), r"6 位数字(GB/T 2260),如 \1"),
               (re.compile(r"^1 or 0 \(是/否\)$"), "1 或 0(是/否)"), (re.compile(r"^months 1–12$"), "1–12 月"),
               (re.compile(r"^the code of its province or prefecture$"), "所属省或地市的代码"),
               (re.compile(r"^a column named '(\w+)' \((.+)\)$"), r"名为 '\1'(\2)的列")]


def expected_zh(text: str) -> str:
    """The core's English "expected" phrase of a problem in Chinese where it is one of the known phrases."""
    for pattern, repl in EXPECTED_ZH:
        if pattern.match(text or ""):
            return pattern.sub(repl, text)
    return text


def problem_text(p: Problem) -> str:
    """A problem in the chosen language; in Chinese the whole line is Chinese (level, row, column, key)."""
    if lang() != "zh":
        return p.text("en")
    from .tables import column_label

    if p.expected:
        p = dataclasses.replace(p, expected=expected_zh(p.expected))
    return p.text("zh", column_label=column_label, key_label=_key_label)


def show_problems(problems, max_lines: int = 12, sort: bool = True) -> None:
    """Errors, warnings and notes in the language chosen; long lists go in a table."""
    problems = list(problems)
    if not problems:
        return
    order = {"error": 0, "warning": 1, "info": 2}
    if sort:
        problems.sort(key=lambda p: order.get(p.severity, 3))
    for p in problems[:max_lines]:
        text = problem_text(p)
        if p.severity == "error":
            st.error(text, icon=":material/error:")
        elif p.severity == "warning":
            st.warning(text, icon=":material/warning:")
        else:
            st.info(text, icon=":material/info:")
    if len(problems) > max_lines:
        st.caption(t("msg.more_problems", n=len(problems) - max_lines))
        st.dataframe(problems_table(problems), hide_index=True, width="stretch")


def problems_table(problems) -> pd.DataFrame:
    """The problems as a table with headers (and severities, column names) in the chosen language; built column
    by column (a file may have 150,000 problems)."""
    from .tables import column_label

    zh = lang() == "zh"
    cols = [p.column for p in problems]
    names = {c: (column_label(c) if c else "") for c in set(cols)}
    return pd.DataFrame({
        t("col.severity"): [SEVERITY_ZH.get(p.severity, p.severity) if zh else p.severity for p in problems],
        t("col.row"): pd.array([p.row for p in problems], dtype="Int64"),
        t("col.column"): [names[c] for c in cols],
        t("col.region"): [p.region for p in problems],
        t("col.message"): [(p.message_zh or p.message_en) if zh else p.message_en for p in problems],
        t("col.expected"): [expected_zh(p.expected) if zh else p.expected for p in problems],
        t("col.found"): [p.found for p in problems]})


def show_report(report: Report) -> None:
    st.error(t("msg.input_error"), icon=":material/error:")
    show_problems(report.problems)


STATUS_TEXT = {
    "optimal": "status.optimal",
    "time_limited": "status.time_limited",
    "infeasible": "status.infeasible",
}


def status_line(res) -> None:
    """Solver status in words."""
    key = STATUS_TEXT.get(res.status, "status.other")
    if res.status == "time_limited" and not res.ok:  # stopped with no solution: nothing is paid
        key = "status.time_limited_none"
    info = res.solver_info
    text = t(key, solver=info.get("name", ""), seconds=f"{info.get('runtime', 0.0):.3f}")
    if res.status == "optimal":
        st.success(text, icon=":material/check_circle:")
    elif res.status == "time_limited" and res.ok:
        st.warning(text, icon=":material/timer:")
    else:
        st.error(text, icon=":material/error:")


def param_label(m, path: str) -> str:
    p = m.parameters.get(path)
    if p is None:
        return path
    return p.label_zh if lang() == "zh" else p.label_en


def provenance(o: Outcome, where=None) -> None:
    """Which inputs produced the results on the page (method, year, pool, weights, constraints, data, hash)."""
    s = o.settings
    m = method(s.method)
    target = where or st
    weights = ", ".join(f"{param_label(m, k)} {v:g}" for k, v in s.params.items() if k.startswith("weights."))
    changed = ", ".join(f"{param_label(m, k)} {s.defaults[k]:g}→{v:g}" for k, v in s.overrides.items())
    c = s.constraints_dict()
    cons = []
    if s.floor_ratio is not None:
        cons.append(t("prov.floor", v=f"{s.floor_ratio:.0%}"))
    if s.cap_ratio is not None:
        cons.append(t("prov.cap", v=f"{s.cap_ratio:.0%}"))
    for k in ("floors", "caps", "locks"):
        if c.get(k):
            cons.append(f"{t('prov.' + k)} {len(c[k])}")
    if c.get("exclude"):
        cons.append(f"{t('prov.exclude')} {len(c['exclude'])}")
    for g in c.get("groups", []):
        share = "–".join(f"{g[x]:.0%}" if x in g else "" for x in ("min_share", "max_share"))
        cons.append(f"{t('group.' + g['name'])} {share}")
    text = t("prov.line", method=(m.label_zh if lang() == "zh" else m.label_en), year=s.year,
             pool=yi_from_wan(s.pool_yi * 10_000), objective=t("obj." + s.objective), weights=weights,
             constraints="; ".join(cons) or t("prov.none"), data=s.data_label, hash=o.hash)
    if changed:
        text += "  \n" + t("prov.changed", changed=changed)
    target.info(text, icon=":material/receipt_long:")


def provenance_items(o: Outcome) -> dict[str, str]:
    """The provenance of a result as (item, value) lines for the 说明 sheet of an XLSX download."""
    import datetime

    s = o.settings
    m = method(s.method)
    up = st.session_state.get(Keys.UPLOAD)
    return {
        "方法 / method": f"{m.label_zh} ({m.name})",
        "年份 / year": str(s.year),
        "资金池 / pool": f"{s.pool_yi:,.2f} 亿元",
        "目标 / objective": s.objective,
        "权重 / weights": "; ".join(f"{k} {v:g}" for k, v in s.params.items() if k.startswith("weights.")),
        "参数修改 / overrides": "; ".join(f"{k} {s.defaults[k]:g}→{v:g}" for k, v in s.overrides.items()) or "无 / none",
        "约束 / constraints": str(s.constraints_dict() or "无 / none"),
        "数据 / data": s.data_label,
        **({"数据哈希 / data sha256": up["sha"]} if up else {}),
        **({"表头单位 / header units": ", ".join(f"{h}: {u}" for h, u in up["units"].items())}
           if up and up.get("units") else {}),
        "输入哈希 / input hash": o.hash,
        "单位 / unit": "万元(整数)/ whole 万元",
        "生成时间 / created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def caption_illustrative() -> None:
    st.caption(t("note.illustrative"))
