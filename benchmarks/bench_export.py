"""Benchmark: writing the outputs of ``ecocomp run county_2023`` — XLSX writers side by side, and every format
of the run folder — against xlsxwriter (the writer before this round) measured in the same run.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/bench_export.py [--repeat 7] [--scenario county_2023]

The scenario is computed once; then, on its real tables (the workbook ``results.xlsx``: 6 sheets, bilingual
headers, ~90,000 cells at county scale):

- **XLSX writers**, each writing the same workbook — escaped text, bold bordered header, a number format per
  numeric column (#,##0 / #,##0.00 / 0.0%), column widths — into memory:
  ``xml`` (``compensation.xlsx``, the default), ``xlsxwriter`` (the baseline: today's ``io`` code path before
  this round), ``openpyxl`` (``io``'s pandas ``to_excel`` path), ``openpyxl-write-only`` (``WriteOnlyCell``
  per cell), and, when installed, ``pyexcelerate``, ``rustpy-xlsxwriter`` and ``rvgsrust-xlsxwriter`` (Rust).
  Each is read back once with openpyxl and compared with the ``xml`` workbook cell by cell (values; the
  number of differing cells is printed, e.g. floats xlsxwriter rounds to 16 digits).
- **Run folder phases** (``run.write_run`` with all formats and each format alone; CSV, Parquet, XLSX, notice;
  each includes building the output tables) and the whole write.

Figures are medians of ``--repeat`` runs after one warm-up (wall, ``time.perf_counter``), with the CPU time of
this process (``time.process_time``) beside them; the load (``os.getloadavg()``) is printed before and after.
Ratios are against xlsxwriter in the same run. Writers not installed are listed as such."""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from compensation import io as cio  # noqa: E402
from compensation.run import bilingual, compute, write_run  # noqa: E402
from compensation.scenario import load_scenario  # noqa: E402


def prepared(sheets: dict[str, pd.DataFrame]) -> list[tuple[str, pd.DataFrame, list, list]]:
    """(title, escaped table, number formats, widths) per sheet: what every candidate writes."""
    titles = cio.sheet_titles(sheets)
    out = []
    for name, df in sheets.items():
        df = cio.escape_formulas(df)
        out.append((titles[name], df, [cio.column_format(df, c) for c in df.columns],
                    [cio._width(df, c) for c in df.columns]))
    return out


def write_openpyxl_write_only(sheets, fh) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin")
    box, bold = Border(left=thin, right=thin, top=thin, bottom=thin), Font(bold=True)
    align = Alignment(horizontal="center", vertical="top")
    wb = Workbook(write_only=True)
    for title, df, fmts, widths in sheets:
        ws = wb.create_sheet(title)
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
        head = []
        for c in df.columns:
            cell = WriteOnlyCell(ws, value=str(c))
            cell.font, cell.border, cell.alignment = bold, box, align
            head.append(cell)
        ws.append(head)
        cols = [cio._cells(df.iloc[:, j]) for j in range(len(df.columns))]
        for row in zip(*cols, strict=True):
            cells = []
            for v, f in zip(row, fmts, strict=True):
                cell = WriteOnlyCell(ws, value=v)
                if f:
                    cell.number_format = f
                cells.append(cell)
            ws.append(cells)
    wb.save(fh)


def write_pyexcelerate(sheets, fh) -> None:
    from pyexcelerate import Workbook
    from pyexcelerate.Alignment import Alignment
    from pyexcelerate.Border import Border
    from pyexcelerate.Borders import Borders
    from pyexcelerate.Font import Font
    from pyexcelerate.Format import Format
    from pyexcelerate.Style import Style

    wb = Workbook()
    line = Border(style="thin")
    head_style = Style(font=Font(bold=True), borders=Borders(left=line, right=line, top=line, bottom=line),
                       alignment=Alignment(horizontal="center", vertical="top"))
    for title, df, fmts, widths in sheets:
        cols = [cio._cells(df.iloc[:, j]) for j in range(len(df.columns))]
        data = [[str(c) for c in df.columns], *map(list, zip(*cols, strict=True))]
        ws = wb.new_sheet(title, data=data)
        ws.set_row_style(1, head_style)
        for j, (f, w) in enumerate(zip(fmts, widths, strict=True), start=1):
            ws.set_col_style(j, Style(size=w, format=Format(f) if f else None))
    wb.save(fh)


def write_rustpy(sheets, fh) -> None:
    import rustpy_xlsxwriter as rx

    head = rx.Format().set_bold().set_border("thin").set_align("center")
    entries, widths, formats, headers = [], {}, {}, {}
    for title, df, fmts, w in sheets:
        frame = df.copy()
        frame.columns = [str(c) for c in df.columns]
        entries.append((title, frame))
        widths[title] = list(w)
        formats[title] = {c: rx.Format().set_num_format(f) for c, f in zip(frame.columns, fmts, strict=True) if f}
        headers[title] = head
    rx.write_worksheets(entries, fh, column_widths=widths, column_formats=formats, header_format=headers)


def write_rvgsrust(sheets, fh) -> None:
    import rvgsrust_xlsxwriter as rv

    wb = rv.Workbook()
    head = wb.add_format().set_bold().set_border("thin").set_align("center")
    for title, df, fmts, widths in sheets:
        frame = df.copy()
        frame.columns = [str(c) for c in df.columns]
        ws = wb.add_worksheet(title)
        for j, w in enumerate(widths):
            ws.set_column_width(j, w)
        formats = {c: wb.add_format().set_num_format(f) for c, f in zip(frame.columns, fmts, strict=True) if f}
        ws.write_dataframe(0, 0, frame, header_format=head, column_formats=formats)
    fh.write(wb.save_to_buffer())


def candidates():
    def io_engine(engine):
        return lambda sheets, fh, _e=engine: cio._write_workbook(sheets, fh, _e)

    return {
        "xml (compensation.xlsx)": ("raw", io_engine("xml")),
        "xlsxwriter (baseline)": ("raw", io_engine("xlsxwriter")),
        "openpyxl (pandas to_excel)": ("raw", io_engine("openpyxl")),
        "openpyxl write-only": ("prepared", write_openpyxl_write_only),
        "pyexcelerate": ("prepared", write_pyexcelerate),
        "rustpy-xlsxwriter": ("prepared", write_rustpy),
        "rvgsrust-xlsxwriter": ("prepared", write_rvgsrust),
    }


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def cells(data: bytes) -> dict:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--scenario", default="county_2023")
    ap.add_argument("--only-xlsx", action="store_true", help="skip the run-folder phases")
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()}")
    sc = load_scenario(args.scenario)
    result = compute(sc, sc.years)
    tables = result.tables()
    book = {n: bilingual(df) for n, df in tables.items()}
    ncells = sum(df.size + len(df.columns) for df in book.values())
    print(f"{args.scenario}: workbook of {len(book)} sheets, {sum(map(len, book.values())):,} rows, "
          f"{ncells:,} cells; median of {args.repeat} after a warm-up (wall; CPU of this process)")

    rows, reference = [], None
    prep = prepared(book)
    for name, (kind, fn) in candidates().items():
        arg = book if kind == "raw" else prep

        def once(fn=fn, arg=arg):
            buf = io.BytesIO()
            fn(arg, buf)
            return buf.getvalue()

        try:
            data = once()
        except ImportError:
            rows.append((name, None, None, "not installed"))
            continue
        except Exception as exc:  # a candidate that cannot write this workbook is reported, not hidden
            rows.append((name, None, None, f"failed: {type(exc).__name__}: {str(exc)[:80]}"))
            continue
        got = cells(data)
        if reference is None:
            reference = got
        differ = sum(1 for k in reference.keys() | got.keys() if reference.get(k) != got.get(k))
        wall, cpu = timed(once, args.repeat)
        rows.append((name, wall, cpu, f"{len(data) / 1e3:,.0f} kB; {differ} cells differ from xml's"))
    base = next(r[1] for r in rows if r[0].startswith("xlsxwriter"))
    print(f"\n{'XLSX writer':30} {'wall ms':>9} {'cpu ms':>8} {'vs xlsxwriter':>14}  notes")
    for name, wall, cpu, note in rows:
        if wall is None:
            print(f"{name:30} {'—':>9} {'—':>8} {'—':>14}  {note}")
        else:
            print(f"{name:30} {wall * 1e3:9.1f} {cpu * 1e3:8.1f} {base / wall:13.1f}×  {note}")

    if not args.only_xlsx:
        tmp = Path(tempfile.mkdtemp(prefix="bench_export_"))
        print(f"\n{'run folder (write_run)':30} {'wall ms':>9} {'cpu ms':>8}")
        try:
            for formats in (("csv",), ("parquet",), ("xlsx",), ("notice",), ("csv", "xlsx", "parquet", "notice")):
                def write(formats=formats):
                    out = Path(tempfile.mkdtemp(dir=tmp))
                    write_run(result, out, formats)
                    shutil.rmtree(out)

                wall, cpu = timed(write, args.repeat)
                print(f"{'+'.join(formats):30} {wall * 1e3:9.1f} {cpu * 1e3:8.1f}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nload after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
