"""Downloads: a table as CSV (UTF-8 with BOM) and XLSX, chart data, the run bundle of the current settings."""

from __future__ import annotations

import copy
import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

from compensation.io import XLSX_MAX_ROWS
from compensation.io import csv_bytes as io_csv_bytes
from compensation.io import xlsx_bytes as io_xlsx_bytes
from compensation.scenario import Scenario

from .i18n import t


def export_table(df: pd.DataFrame, bilingual: bool = False, words: bool = True) -> pd.DataFrame:
    """A table as exported: headers in the chosen language with units (``中文 (unit) / name`` when
    ``bilingual``), coded values in words, amounts unchanged (whole 万元 stay whole)."""
    from .tables import WORD_COLUMNS, column_label, value_words

    out = df.copy()
    for c in out.columns:
        if words and c in WORD_COLUMNS and not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = value_words(c, out[c].astype(str))
    names = {c: (f"{column_label(str(c))} / {c}" if bilingual and column_label(str(c)) != str(c) else
                 column_label(str(c))) for c in out.columns}
    return out.rename(columns=names)


def csv_bytes(df: pd.DataFrame, plain: bool = False) -> bytes:
    """CSV in UTF-8 with BOM through compensation.io (formula cells escaped); headers in words unless ``plain``."""
    return io_csv_bytes(df if plain else export_table(df))


@st.cache_data(show_spinner=False, max_entries=64)
def xlsx_bytes(df: pd.DataFrame, sheet: str = "table", provenance: tuple = (), lang_: str = "zh",
               words: bool = True) -> bytes:
    """XLSX through compensation.io: bilingual headers, thousands separators, shares as percentages, and a
    sheet 说明 with the provenance lines ((item, value) pairs) when given. ``words=False`` keeps coded values
    (templates: what is written is what validation reads)."""
    sheets = {sheet[:31]: export_table(df, bilingual=True, words=words)}
    if provenance:
        sheets["说明"] = pd.DataFrame(list(provenance), columns=["项目 / item", "内容 / value"])
    return io_xlsx_bytes(sheets)


def download_table(df: pd.DataFrame, name: str, key: str, xlsx: bool = True, provenance: dict | None = None) -> None:
    """CSV and XLSX buttons for a table: CSV with headers (and units) in the chosen language, XLSX with bilingual
    headers and a 说明 sheet (``provenance``: method, pool, data, hash, date …)."""
    from .i18n import lang

    row = st.container(horizontal=True)
    cols = [row, row]
    cols[0].download_button("CSV", csv_bytes(df), f"{name}.csv", "text/csv", key=f"dl_csv_{key}",
                            icon=":material/download:")
    if xlsx and len(df) > XLSX_MAX_ROWS:
        xlsx_refused(cols[1], len(df), key)
    elif xlsx:
        prov = tuple((str(k), str(v)) for k, v in (provenance or {}).items())
        cols[1].download_button("XLSX", xlsx_bytes(df, name, prov, lang()), f"{name}.xlsx",
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                key=f"dl_xlsx_{key}", icon=":material/download:")


def xlsx_refused(where, rows: int, key: str) -> None:
    """The XLSX button of a table longer than the workbook row limit: shown, disabled, saying to use CSV."""
    where.download_button("XLSX", b"", "table.xlsx", disabled=True, key=f"dl_xlsx_{key}", icon=":material/block:",
                          help=t("dl.xlsx_rows", n=f"{rows:,}", limit=f"{XLSX_MAX_ROWS:,}"))


def download_chart_data(df: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(t("dl.chart_csv"), csv_bytes(df), f"{name}.csv", "text/csv", key=f"dl_chart_{key}",
                       icon=":material/download:")


def bundle_zip(spec: dict, regions: pd.DataFrame | None = None) -> tuple[bytes, str]:
    """The run bundle of a spec: compensation.run.compute + write_run (tables, workbook, manifest) as a zip."""
    from compensation.run import compute, write_run

    sc = Scenario(spec["scenario"]["name"], copy.deepcopy(spec), None, [])
    result = compute(sc, regions=regions)
    with tempfile.TemporaryDirectory(prefix="ecocomp-ui-") as tmp:
        folder, _ = write_run(result, Path(tmp), formats=("csv", "xlsx"))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    z.write(f, f"{folder.name}/{f.relative_to(folder)}")
    return buf.getvalue(), folder.name


def notice_bytes(res, spec: dict, input_hash: str, unit: str = "亿元", extra: dict | None = None) -> bytes:
    """The "分配情况表" workbook of the allocation on the page, by the core (``compensation.notice``): the
    same file as ``ecocomp run … --formats notice`` writes for the same scenario."""
    from compensation.notice import write_run_notice
    from compensation.run import RunResult

    result = RunResult.from_allocation(res, spec["years"][0], spec["scenario"]["name"], spec, input_hash)
    with tempfile.TemporaryDirectory(prefix="ecocomp-ui-") as tmp:
        path = Path(tmp) / "notice.xlsx"
        write_run_notice(result, path, unit, extra)
        return path.read_bytes()


def download_notice(res, spec: dict, input_hash: str, key: str, unit: str = "亿元", extra: dict | None = None) -> None:
    """A button for the notice; the workbook is made only when it is clicked (no rerun of the page)."""
    year = spec["years"][0]
    st.download_button(t("dl.notice", unit=unit), lambda: notice_bytes(res, spec, input_hash, unit, extra),
                       f"分配情况表_{year}_{input_hash}_{unit}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"dl_notice_{key}",
                       icon=":material/print:", on_click="ignore", help=t("dl.notice_help"))
