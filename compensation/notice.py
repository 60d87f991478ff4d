"""The Ministry's layout: a "分配情况表" (allocation notice table) as the Ministry of Finance publishes it with
its transfer notices (e.g. 财预〔2020〕49号, table "2020年中央对地方重点生态功能区转移支付分配情况表", 单位 亿元).

Layout: a title row, "单位:亿元" (or 万元), one header row (repeated on every printed page), the row
地方合计 first, then the regions in the official order — 北京 … 新疆 by administrative code, each separately
listed city (计划单列市: 大连, 宁波, 厦门, 青岛, 深圳) right after its province and 新疆生产建设兵团 after
新疆, where the data has them. County or prefecture tables are summed to their provinces first.

Amounts. The run's final amounts are integers in 万元 (or 元/亿元) adding up to the pool. In 亿元 the notice
shows 2 decimals, i.e. whole multiples of 0.01 亿元 = 100 万元; the rows are rounded to that grid by the largest
remainder method (``money.largest_remainder``), so that they add up exactly to the pool rounded half-up to
0.01 亿元, and 地方合计 is that sum (as in the published tables, where rows add to the total). In 万元 the
run's integers are shown as they are. Where the method has two or more components, the component columns
(其中:…) show each component's target rounded half-up to the same grid, and a column 约束与取整调整 holds
the rest: row total − Σ components, so every row adds up exactly as printed.

The module is pure except ``write_notice`` (one workbook through ``io.atomic_write``; text cells escaped by
``io.escape_formula``)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .io import atomic_write, escape_formula
from .money import UNITS, largest_remainder, unit_name

# 计划单列市 (cities separately listed in the budget) and their provinces
SEPARATE_CITIES = {"210200": "210000", "330200": "330000", "350200": "350000", "370200": "370000",
                   "440300": "440000"}
BINGTUAN = "新疆生产建设兵团"
TOTAL_LABEL = "地方合计"
ADJUSTMENT_LABEL = "约束与取整调整"
NOTICE_UNITS = ("亿元", "万元")


@dataclass
class Notice:
    """A notice table ready to print: ``table`` has the columns 地区, 合计 and any components and the
    adjustment; amounts are integers in ``step`` (0.01 亿元 → step 100 万元, or 1 万元)."""

    title: str
    unit: str  # 亿元 | 万元
    table: pd.DataFrame  # first row 地方合计; integer amounts in grid steps
    decimals: int
    notes: list[str] = field(default_factory=list)

    def values(self) -> pd.DataFrame:
        """The table as printed: amounts in ``unit`` (2 decimals in 亿元)."""
        out = self.table.copy()
        for c in out.columns[1:]:
            out[c] = out[c].astype(np.int64) / (10 ** self.decimals)
        return out


def official_order_key(adcode: str, name: str = "") -> tuple:
    """Sort key of the Ministry's tables: provinces by code (北京 110000 … 新疆 650000), each 计划单列市 after
    its province, 新疆生产建设兵团 after 新疆."""
    code = str(adcode)
    if BINGTUAN in str(name) or code == "660000":
        return (65, 2, code)
    parent = SEPARATE_CITIES.get(code)
    if parent:
        return (int(parent[:2]), 1, code)
    return (int(code[:2]) if code[:2].isdigit() else 99, 0, code)


def _province_level(table: pd.DataFrame, regions: pd.DataFrame | None, amount_cols: list[str],
                    province_names: dict[str, str] | None) -> pd.DataFrame:
    """Sum sub-province rows to their province (the first two digits of the code), keeping the separately
    listed cities and 兵团 as their own rows; province tables pass through."""
    codes = table["adcode"].astype(str).tolist()  # lists: iterating Arrow-backed columns costs ~2 µs an item
    level = None
    if regions is not None and "level" in regions:
        level = dict(zip(regions["adcode"].astype(str).tolist(), regions["level"].astype(str).tolist(), strict=False))
    if level is None or all(level.get(c, "province") == "province" for c in codes):
        return table[["adcode", "name_zh", *amount_cols]].copy()
    key = [c if c in SEPARATE_CITIES or level.get(c) == "province" else f"{c[:2]}0000" for c in codes]
    out = table.assign(adcode=key).groupby("adcode", sort=False)[amount_cols].sum().reset_index()
    names = dict(zip(codes, table["name_zh"].astype(str).tolist(), strict=True)) | (province_names or {})
    out.insert(1, "name_zh", [names.get(c, c) for c in out["adcode"].tolist()])
    return out


def notice_table(table: pd.DataFrame, unit: str, notice_unit: str = "亿元", components: dict[str, str] | None = None,
                 regions: pd.DataFrame | None = None, province_names: dict[str, str] | None = None,
                 title: str = "", notes: list[str] | None = None) -> Notice:
    """The notice of one year's allocation ``table`` (columns adcode, name_zh, final and the component
    columns) whose ``final`` amounts are integers in ``unit``. ``components`` maps component columns to their
    Chinese labels; fewer than two components means no component columns."""
    unit, notice_unit = unit_name(unit), unit_name(notice_unit)
    if notice_unit not in NOTICE_UNITS:
        raise ValueError(f"notice unit must be one of {NOTICE_UNITS}, not {notice_unit}")
    comps = {k: v for k, v in (components or {}).items() if k in table} if len(components or {}) >= 2 else {}
    df = _province_level(table, regions, ["final", *comps], province_names)
    order = sorted(range(len(df)), key=lambda i: official_order_key(df["adcode"].iat[i], df["name_zh"].iat[i]))
    df = df.iloc[order].reset_index(drop=True)

    decimals = 2 if notice_unit == "亿元" else 0
    # size of one grid step of the notice, in the run's unit (亿元 × 0.01 = 100 万元)
    step = UNITS[notice_unit] / 10 ** decimals / UNITS[unit]
    final = df["final"].to_numpy(dtype=float)
    exact_total = float(final.sum())
    scaled = final / step
    grid_total = int(np.floor(exact_total / step + 0.5))
    rows = largest_remainder(scaled, grid_total) if len(df) else np.zeros(0, dtype=np.int64)
    out = pd.DataFrame({"地区": df["name_zh"].astype(str), "合计": rows.astype(np.int64)})
    if comps:
        parts = []
        for col, label in comps.items():
            vals = np.floor(df[col].to_numpy(dtype=float) / step + 0.5).astype(np.int64)
            out[f"其中:{label}"] = vals
            parts.append(vals)
        out[ADJUSTMENT_LABEL] = rows - np.sum(parts, axis=0)
    total = pd.DataFrame([{"地区": TOTAL_LABEL, **{c: int(out[c].sum()) for c in out.columns[1:]}}])
    out = pd.concat([total, out], ignore_index=True)
    for c in out.columns[1:]:
        out[c] = out[c].astype(np.int64)
    return Notice(title, notice_unit, out, decimals, list(notes or []))


def default_title(year: int, transfer: str = "中央对地方生态保护补偿转移支付") -> str:
    return f"{year}年{transfer}分配情况表"


# --- the workbook ---------------------------------------------------------------------------------------------

def _text(value) -> str:
    """A text cell that a spreadsheet will never run as a formula (io's rule)."""
    return escape_formula(str(value))


NOTICE_ENGINES = ("xml", "xlsxwriter")


def write_notice(notices: list[Notice], path: str | os.PathLike, provenance: dict[str, str] | None = None,
                 engine: str = "xml", created=None) -> None:
    """One workbook: a print-ready sheet per notice (A4 landscape, fitted to the page width, header row
    repeated on every page) and a sheet 说明 with the provenance (method, pool, data and its hash, run hash...).
    Written by ``compensation.notice_book`` (the package xlsxwriter writes for the same calls, byte for byte but
    for the creation time, without xlsxwriter's ~20 ms import); ``engine="xlsxwriter"`` makes those calls on
    xlsxwriter itself. Strings are never turned into formulas, links or numbers. ``created``: a UTC
    ``datetime`` for the package's creation time (default: now)."""
    if engine not in NOTICE_ENGINES:
        raise ValueError(f"unknown notice engine {engine!r}: use one of {NOTICE_ENGINES}")
    if engine == "xml":
        atomic_write(path, lambda fh: fh.write(_notice_bytes(notices, provenance or {}, created)))
    else:
        atomic_write(path, lambda fh: _write_notice_book(notices, fh, provenance or {}, created))


def _column_widths(columns) -> list[int]:
    return [24] + [max(14, min(30, 2 * len(str(c)))) for c in list(columns)[1:]]


def _notice_bytes(notices: list[Notice], provenance: dict[str, str], created=None) -> bytes:
    from .notice_book import NoticeSheet, workbook_bytes

    sheets, taken = [], []
    for n in notices:
        values = n.values()
        name = _sheet_name(n.title, taken)
        taken.append(name)
        amounts = [values[c].to_numpy().tolist() if n.decimals else values[c].astype("int64").tolist()
                   for c in values.columns[1:]]
        rows = [(_text(region), [col[i] for col in amounts]) for i, region in enumerate(values.iloc[:, 0].tolist())]
        sheets.append(NoticeSheet(name, _text(n.title), f"单位:{n.unit}", [_text(c) for c in values.columns], rows,
                                  "#,##0.00" if n.decimals == 2 else "#,##0", _column_widths(values.columns),
                                  [_text(note) for note in n.notes]))
    info = [(_text(k), _text(v)) for k, v in provenance.items()]
    return workbook_bytes(sheets, info, created.utctimetuple() if created is not None else None)


def _write_notice_book(notices: list[Notice], fh, provenance: dict[str, str], created=None) -> None:
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    wb = xlsxwriter.Workbook(fh, {"strings_to_formulas": False, "strings_to_urls": False,
                                  "strings_to_numbers": False, "in_memory": True})
    if created is not None:
        wb.set_properties({"created": created})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    unit_fmt = wb.add_format({"align": "right"})
    head_fmt = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True,
                              "border": 1})
    name_fmt = {True: wb.add_format({"bold": True, "align": "center", "border": 1}),
                False: wb.add_format({"align": "left", "border": 1})}
    taken: list[str] = []
    for n in notices:
        values = n.values()
        ncol = len(values.columns)
        num = "#,##0.00" if n.decimals == 2 else "#,##0"
        num_fmt = {True: wb.add_format({"num_format": num, "border": 1, "bold": True}),
                   False: wb.add_format({"num_format": num, "border": 1})}
        name = _sheet_name(n.title, taken)
        taken.append(name)
        ws = wb.add_worksheet(name)
        if ncol > 1:
            ws.merge_range(0, 0, 0, ncol - 1, _text(n.title), title_fmt)
        else:
            ws.write_string(0, 0, _text(n.title), title_fmt)
        ws.set_row(0, 28)
        ws.write_string(1, ncol - 1, f"单位:{n.unit}", unit_fmt)
        for j, col in enumerate(values.columns):
            ws.write_string(2, j, _text(col), head_fmt)
        for i, row in enumerate(values.itertuples(index=False), start=3):
            first = i == 3
            ws.write_string(i, 0, _text(row[0]), name_fmt[first])
            for j, v in enumerate(row[1:], start=1):
                ws.write_number(i, j, float(v) if n.decimals else int(v), num_fmt[first])
        last = 3 + len(values)  # 1-based number of the last table row
        for k, note in enumerate(n.notes, start=last + 1):
            ws.write_string(k, 0, _text(note))
        for j, width in enumerate(_column_widths(values.columns)):
            ws.set_column(j, j, width)
        ws.repeat_rows(2)
        ws.print_area(f"A1:{xl_col_to_name(ncol - 1)}{last}")
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.freeze_panes(3, 1)
    info = wb.add_worksheet("说明")
    info.write_row(0, 0, ["项目 / item", "内容 / value"])
    for i, (k, v) in enumerate(provenance.items(), start=1):
        info.write_string(i, 0, _text(k))
        info.write_string(i, 1, _text(v))
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 90)
    wb.close()


def _sheet_name(title: str, taken: list[str]) -> str:
    m = re.match(r"(\d{4})年", title)
    base = f"{m.group(1)}年分配情况表" if m else "分配情况表"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}{k}", k + 1
    return name[:31]


# --- a run's notices ------------------------------------------------------------------------------------------

def run_notices(result, notice_unit: str = "亿元") -> tuple[list[Notice], dict[str, str]]:
    """The notice of every year of a run (``compensation.run.RunResult``, passed in: this module sits below
    run) and the provenance written on the sheet 说明."""
    from .allocation.methods import component_labels
    from .data import province_names as load_province_names

    province_names = None
    notices = []
    for year, r in result.results.items():
        res = r.allocation
        regions = getattr(res, "regions", None)
        if regions is not None and "level" in regions and (regions["level"].astype(str) != "province").any():
            if province_names is None:
                province_names = load_province_names()
        comps = {k: zh for k, (zh, _en) in component_labels(res.method).items()}
        notes = [f"注:{TOTAL_LABEL}为各行之和;金额按{'0.01亿元' if notice_unit == '亿元' else '1万元'}取整"
                 f"(最大余数法),合计等于资金池。"]
        if len(comps) >= 2:
            notes.append(f"注:“其中”各列为各因素测算额,{ADJUSTMENT_LABEL}为下限、上限等约束及取整带来的差额。")
        notices.append(notice_table(res.table, result.unit, notice_unit, comps, regions, province_names,
                                    default_title(year), notes))
    spec = result.scenario.spec
    files = result.hashed.get("files", {}) if isinstance(result.hashed, dict) else {}
    first = next(iter(result.results.values()), None)
    m = first.allocation.method if first else None
    prov = {
        "情景 / scenario": f"{result.scenario.name} · {result.scenario.title}",
        "方法 / method": f"{m.label_zh} ({m.name})" if m else "",
        "年份 / years": ", ".join(str(y) for y in result.results),
        "资金池 / pool": "; ".join(f"{y}: {r.budget:,} {result.unit}" for y, r in result.results.items()),
        "目标 / objective": str(spec.get("objective", "proportional")),
        "参数修改 / overrides": _plain(spec.get("overrides", {})) or "无 / none",
        "约束 / constraints": _plain(spec.get("constraints", {})) or "无 / none",
        "数据 / data": str(spec.get("data", "default")),
        **{f"文件哈希 / sha256 {k}": v for k, v in files.items()},
        "运行哈希 / run hash": str(result.hash),
        "单位 / unit": f"{notice_unit}(运行结果为整数{result.unit} / run amounts are whole {result.unit})",
        "生成时间 / created": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M UTC"),
    }
    return notices, prov


def _plain(d) -> str:
    if not d:
        return ""
    if isinstance(d, dict):
        return "; ".join(f"{k}: {_plain(v) if isinstance(v, dict | list) else v}" for k, v in d.items())
    if isinstance(d, list):
        return ", ".join(_plain(x) if isinstance(x, dict | list) else str(x) for x in d)
    return str(d)


def write_run_notice(result, path: str | os.PathLike, notice_unit: str = "亿元",
                     extra: dict[str, str] | None = None) -> None:
    """The notice workbook of a run; ``extra`` adds provenance lines (e.g. the front end's uploaded file)."""
    notices, prov = run_notices(result, notice_unit)
    write_notice(notices, path, {**prov, **(extra or {})})
