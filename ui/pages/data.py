"""Data: upload a region CSV or XLSX, validated with the same messages as the CLI and shown beside the offending
rows; use it on every page; download templates; sources and statuses of the data in use."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from compensation.data import check_regions, status_counts, summary
from compensation.io import read_table
from compensation.problems import InputError
from compensation.schema import COLUMNS, REQUIRED, label
from compensation.uploads import read_limited
from ui import charts
from ui.downloads import csv_bytes, download_chart_data, download_table, xlsx_bytes
from ui.format import km2, num
from ui.i18n import lang, t
from ui.loading import default_regions, regions_in_use, save_upload
from ui.results import problems_table, show_problems, show_report
from ui.state import Keys
from ui.tables import show_table

st.title(t("d.title"))
regions, data_label, _ = regions_in_use()
st.info(t("d.in_use", label=data_label, n=len(regions)), icon=":material/table_view:")
if st.session_state.get(Keys.UPLOAD) and st.button(t("d.reset"), key=Keys.D_RESET):
    del st.session_state[Keys.UPLOAD]
    st.rerun()


MAX_STYLED_ROWS = 200  # offending rows shown highlighted; the rest are in the problem table to download


@st.cache_data(show_spinner=False, max_entries=8)
def _check(data: bytes, name: str):
    """Read the upload once, then validate that table (the same messages as `ecocomp data check`)."""
    try:
        raw = read_table(data, name=name)
    except InputError as exc:
        return pd.DataFrame(), exc.report, pd.DataFrame()
    table, report = check_regions(raw, name=name)
    return table, report, raw


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
    table, report, raw = _check(data, name)
    errors, warnings = report.errors, report.warnings
    if errors:
        st.error(t("d.invalid", name=name, e=len(errors), w=len(warnings)), icon=":material/error:")
    elif warnings:
        st.warning(t("d.valid_warnings", name=name, w=len(warnings)), icon=":material/warning:")
    else:
        st.success(t("d.valid", name=name, n=len(table)), icon=":material/check_circle:")
    if report.problems:
        left, right = st.columns(2)
        with left:
            st.markdown(t("d.problems"))
            show_problems(report.problems, max_lines=6)
            probs = problems_table(report.problems)
            download_table(probs, "problems", "d_problems")
        with right:
            st.markdown(t("d.offending_rows"))
            rows = sorted({p.row for p in report.problems if p.row is not None})
            if len(rows) > MAX_STYLED_ROWS:  # a styled table has a cell limit: show the first rows only
                st.caption(t("d.first_rows", n=MAX_STYLED_ROWS, total=len(rows)))
                rows = rows[:MAX_STYLED_ROWS]
            if len(raw) and rows:
                sel = [r - 2 for r in rows if 0 <= r - 2 < len(raw)]
                off = raw.iloc[sel].copy()
                off.insert(0, t("col.row"), [r for r in rows if 0 <= r - 2 < len(raw)])
                cols_bad = {p.column for p in report.problems if p.column}
                st.dataframe(off.style.map(lambda _: "background-color: #fde2e1",
                                           subset=[c for c in off.columns if c in cols_bad]),
                             hide_index=True, width="stretch")
            else:
                st.caption(t("d.no_rows"))
    if not errors and len(table):
        if st.button(t("d.use", name=name), key=Keys.D_USE, type="primary"):
            st.session_state[Keys.UPLOAD] = save_upload(data, name)
            st.session_state.pop(Keys.BUNDLE, None)
            st.rerun()

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
