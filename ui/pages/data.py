"""Data: upload a region CSV or XLSX, validated with the same messages as the CLI and shown beside the offending
rows; use it on every page; download templates; sources and statuses of the data in use."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from compensation.data import check_regions, status_counts, summary
from compensation.headers import UNIT_CHOICES, unitless_headers, with_units
from compensation.io import XLSX_MAX_ROWS, read_table
from compensation.io import csv_bytes as io_csv_bytes
from compensation.io import xlsx_bytes as io_xlsx_bytes
from compensation.problems import InputError
from compensation.schema import COLUMNS, REQUIRED, label
from compensation.uploads import read_limited
from ui import charts
from ui.downloads import csv_bytes, download_chart_data, download_table, xlsx_bytes, xlsx_refused
from ui.format import km2, num
from ui.i18n import lang, t
from ui.loading import default_regions, regions_in_use, save_upload
from ui.results import problems_table, show_problems, show_report
from ui.state import Keys
from ui.tables import column_label, show_table

st.title(t("d.title"))
regions, data_label, _ = regions_in_use()
st.info(t("d.in_use", label=data_label, n=len(regions)), icon=":material/table_view:")
if st.session_state.get(Keys.UPLOAD) and st.button(t("d.reset"), key=Keys.D_RESET):
    del st.session_state[Keys.UPLOAD]
    st.rerun()


MAX_STYLED_ROWS = 200  # offending rows shown highlighted; the rest are in the problem table to download
PER_PAGE = 10  # problems listed at a time (the rest: page through, filter, or download the table)
CELL_CSS = {"error": "background-color: #fde2e1", "warning": "background-color: #fff3cd"}


@st.cache_data(show_spinner=False, max_entries=8)
def _read(data: bytes, name: str):
    """The upload read once as text (``io.read_table``); (table, None) or (None, report)."""
    try:
        return read_table(data, name=name), None
    except InputError as exc:
        return None, exc.report


@st.cache_resource(show_spinner=False, max_entries=8)
def _check(data: bytes, name: str, units: tuple = ()):
    """The upload validated (the same messages as `ecocomp data check`), after the units the user chose for
    headers without one are written into those headers (``headers.with_units``). Cached as a resource: a file
    with 150,000 warnings is validated once, not on every rerun, and never copied."""
    raw, report = _read(data, name)
    if raw is None:
        table, raw = pd.DataFrame(), pd.DataFrame()
    else:
        if units:
            raw = raw.copy()
            raw.columns = with_units(raw.columns, dict(units))
        table, report = check_regions(raw, name=name)
    order = {"error": 0, "warning": 1, "info": 2}
    report.problems.sort(key=lambda p: (order.get(p.severity, 3), p.row if p.row is not None else -1))
    probs = report.problems
    frame = pd.DataFrame({"severity": [p.severity for p in probs], "row": [p.row for p in probs],
                          "column": [p.column for p in probs]})
    return table, report, raw, frame


def _ask_units(raw: pd.DataFrame) -> tuple:
    """Headers naming an area, a population or an amount without a unit: a select box each (default: the
    schema's unit). Returns the non-default choices as ((header, unit), …)."""
    asks = unitless_headers(raw.columns)
    if not asks:
        return ()
    st.info(t("d.units_ask", n=len(asks)), icon=":material/straighten:")
    chosen = []
    cols = st.columns(min(4, len(asks)))
    for i, (header, col) in enumerate(asks.items()):
        unit = COLUMNS[col].unit
        key = "d_unit_" + hashlib.sha1(f"{header}|{col}".encode()).hexdigest()[:10]
        u = cols[i % len(cols)].selectbox(t("d.unit_of", header=header), UNIT_CHOICES[unit], key=key,
                                          help=t("d.unit_help", label=label(col, lang()), unit=unit))
        if u != unit:
            chosen.append((header, u))
    return tuple(chosen)


def _lazy_downloads(make, name: str, key: str, rows: int) -> None:
    """CSV (UTF-8 with BOM) and XLSX of a table built only when a button is clicked (150,000 rows); no XLSX for
    more rows than a workbook sheet may have (``XLSX_MAX_ROWS``): the button says to use the CSV."""
    row = st.container(horizontal=True)
    row.download_button("CSV", lambda: io_csv_bytes(make()), f"{name}.csv", "text/csv", key=f"dl_csv_{key}",
                        icon=":material/download:", on_click="ignore")
    if rows > XLSX_MAX_ROWS:
        xlsx_refused(row, rows, key)
        return
    row.download_button("XLSX", lambda: io_xlsx_bytes({name[:31]: make()}), f"{name}.xlsx",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"dl_xlsx_{key}",
                        icon=":material/download:", on_click="ignore")


@st.cache_resource(show_spinner=False, max_entries=8)
def _problem_table(data: bytes, name: str, units: tuple, lang_: str) -> pd.DataFrame:
    """The whole problem table in the reader's language (``lang_`` is part of the key), built once per file."""
    return problems_table(_check(data, name, units)[1].problems)


@st.fragment
def _show_problems(key: tuple, report, raw: pd.DataFrame, frame: pd.DataFrame) -> None:
    """A fragment: its filters, page number and toggle rerun only this part, not the page (templates, sources,
    the data in use). Problems beside the offending cells: a count per column, at most PER_PAGE problems listed at a time
    (filter by severity and column, page through), the whole problem table as CSV/XLSX with headers in the
    chosen language; the rows concerned with the problem columns first and the offending cells coloured."""
    probs = report.problems
    cols_bad = [c for c in dict.fromkeys(frame["column"]) if c]
    counts = frame.assign(n=1).pivot_table(index="column", columns="severity", values="n", aggfunc="sum",
                                           fill_value=0)
    f1, f2, f3 = st.columns([1, 2, 1])
    sevs = [v for v in ("error", "warning", "info") if (frame["severity"] == v).any()]
    sev = f1.selectbox(t("d.filter_severity"), ["all", *sevs], key="d_f_sev",
                       format_func=lambda v: t("d.all") if v == "all" else SEVERITY_LABEL[v]())
    col = f2.selectbox(t("d.filter_column"), ["all", *cols_bad], key="d_f_col",
                       format_func=lambda c: t("d.all") if c == "all" else
                       f"{column_label(c)} ({int(counts.loc[c].sum()):,})")
    mask = np.ones(len(frame), dtype=bool)
    if sev != "all":
        mask &= (frame["severity"] == sev).to_numpy()
    if col != "all":
        mask &= (frame["column"] == col).to_numpy()
    idx = np.flatnonzero(mask)
    pages = max(1, -(-len(idx) // PER_PAGE))
    pg = f3.number_input(t("d.page", n=pages), min_value=1, max_value=pages, value=1, step=1, key="d_f_page")
    show_problems([probs[i] for i in idx[(pg - 1) * PER_PAGE: pg * PER_PAGE]], max_lines=PER_PAGE, sort=False)
    st.caption(t("d.shown_of", a=min((pg - 1) * PER_PAGE + 1, len(idx)), b=min(pg * PER_PAGE, len(idx)),
                 n=len(idx), total=len(probs)))
    table = _problem_table(*key, lang())
    _lazy_downloads(lambda: table, "problems", "d_problems", len(table))

    st.markdown(t("d.offending_rows"))
    only = st.toggle(t("d.rows_only"), value=True, key="d_rows_only")
    sub = frame.iloc[idx]
    rows = sorted({int(r) for r in sub["row"].dropna()}) if only else list(range(2, len(raw) + 2))
    if not len(raw) or not rows:
        st.caption(t("d.no_rows"))
        return
    if len(rows) > MAX_STYLED_ROWS:  # a styled table has a cell limit: show the first rows only
        st.caption(t("d.first_rows", n=MAX_STYLED_ROWS, total=len(rows)))
        rows = rows[:MAX_STYLED_ROWS]
    rows = [r for r in rows if 0 <= r - 2 < len(raw)]
    off = raw.iloc[[r - 2 for r in rows]].copy()
    front = [c for c in (col,) if c in off.columns] if col != "all" else []
    front += [c for c in cols_bad if c in off.columns and c not in front]
    lead = [c for c in off.columns if str(c).lower() in ("adcode", "name_zh")]
    off = off[[*lead, *front, *[c for c in off.columns if c not in lead and c not in front]]]
    off.insert(0, t("col.row"), rows)
    css = pd.DataFrame("", index=off.index, columns=off.columns)
    pos = {r: i for i, r in enumerate(rows)}
    cell = sub if only else frame
    for r, c, v in zip(cell["row"], cell["column"], cell["severity"], strict=True):
        if r is not None and r in pos and c in css.columns and v in CELL_CSS:
            cur = css.iat[pos[r], css.columns.get_loc(c)]
            if cur != CELL_CSS["error"]:
                css.iat[pos[r], css.columns.get_loc(c)] = CELL_CSS[v]
    st.dataframe(off.style.apply(lambda _: css, axis=None), hide_index=True, width="stretch",
                 column_config={c: st.column_config.Column(f"⚠ {column_label(c)}") for c in front})


SEVERITY_LABEL = {"error": lambda: t("d.sev_error"), "warning": lambda: t("d.sev_warning"),
                  "info": lambda: t("d.sev_info")}


st.subheader(t("d.upload"))
st.caption(t("d.upload_help"))
up = st.file_uploader(t("d.file"), type=["csv", "xlsx"], key=Keys.D_UPLOAD)
pasted = st.text_area(t("d.paste"), key=Keys.D_PASTE, height=100, placeholder="adcode,name_zh,level,land_area_km2,…")
data, name = None, None
try:
    if up is not None:
        data, name = read_limited(up, up.name), up.name  # refused above the limit before it is parsed
    elif pasted.strip():
        data, name = read_limited(pasted.encode("utf-8"), "pasted.csv"), "pasted.csv"
except InputError as exc:
    show_report(exc.report)
    data = None
if data is not None:
    raw0, _ = _read(data, name)
    units = _ask_units(raw0) if raw0 is not None else ()
    table, report, raw, frame = _check(data, name, units)
    errors, warnings = report.errors, report.warnings
    if errors:
        st.error(t("d.invalid", name=name, e=len(errors), w=len(warnings)), icon=":material/error:")
    elif warnings:
        st.warning(t("d.valid_warnings", name=name, w=len(warnings)), icon=":material/warning:")
    else:
        st.success(t("d.valid", name=name, n=len(table)), icon=":material/check_circle:")
    if report.problems:
        st.markdown(t("d.problems"))
        _show_problems((data, name, units), report, raw, frame)
    if not errors and len(table):
        if st.button(t("d.use", name=name), key=Keys.D_USE, type="primary"):
            if units:  # the file kept has the chosen units in its headers: the CLI reads the same numbers
                keep, kept_name = raw.to_csv(index=False).encode("utf-8-sig"), f"{Path(name).stem}_with_units.csv"
            else:
                keep, kept_name = data, name
            st.session_state[Keys.UPLOAD] = save_upload(keep, kept_name, dict(units), name)
            st.session_state.pop(Keys.BUNDLE, None)
            st.rerun()
        if units:
            st.download_button(t("d.units_file"), raw.to_csv(index=False).encode("utf-8-sig"),
                               f"{Path(name).stem}_with_units.csv", "text/csv", key="d_units_file",
                               icon=":material/download:", on_click="ignore")

st.subheader(t("d.templates"))
schema = pd.DataFrame([{"column": c.name, "required": c.name in REQUIRED, "unit": c.unit, "label_zh": c.label_zh,
                        "label_en": c.label_en, "allowed": ", ".join(c.allowed), "description": c.description}
                       for c in COLUMNS.values()])
template = default_regions().head(3)[[c for c in COLUMNS if c in default_regions().columns]]
c = st.columns(3)
c[0].download_button(t("d.template_csv"), csv_bytes(template, plain=True), "regions_template.csv", "text/csv", key="d_tpl_csv")
c[1].download_button(t("d.template_xlsx"), xlsx_bytes(template, "regions", words=False), "regions_template.xlsx",
                     key="d_tpl_xlsx")
c[2].download_button(t("d.schema_csv"), csv_bytes(schema), "region_schema.csv", "text/csv", key="d_schema_csv")
with st.expander(t("d.schema")):
    show_table(schema, hide_index=True, width="stretch")

st.subheader(t("d.sources"))
s = summary(regions)
m = st.columns(4)
m[0].metric(t("d.regions"), f"{s['regions']:,}")
m[1].metric(label("land_area_km2", lang()), km2(s["land_area_km2"]))
m[2].metric(label("redline_total_km2", lang()), km2(s["redline_total_km2"]))
m[3].metric(t("d.redline_share"), f"{s['redline_share_of_land']:.1%}")
counts = status_counts(regions)
if counts:
    cdf = pd.DataFrame({"status": [t("status_v." + k) for k in counts], "value": list(counts.values())})
    st.altair_chart(charts.bars(cdf, "status", t("col.status"), t("d.values"), color="status"), width="stretch")
    download_chart_data(cdf, "status_counts", "d_status")
    st.caption(t("d.status_help"))
src = regions.attrs.get("sources")
if src is not None and len(src):
    show_table(src, hide_index=True, width="stretch")
    download_table(src, "sources", "d_sources")
st.markdown(t("d.table"))
plain = regions.copy()
plain.attrs = {}  # the sources table rides in attrs; it is shown above
show_table(plain, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(label(c, lang()), format="localized")
                            for c in regions.columns if c in COLUMNS and COLUMNS[c].numeric})
download_table(regions, "regions", "d_regions")
st.caption(t("note.illustrative") + " " + t("note.counties") + f" ({num(len(regions))})")
