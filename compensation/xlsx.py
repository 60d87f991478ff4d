"""A fast XLSX writer for plain tables: the sheet XML is built column by column and zipped once.

**What a workbook is.** An XLSX file is a ZIP package (ECMA-376 Part 2, Open Packaging Conventions) of XML
parts: ``[Content_Types].xml`` (the type of every part), ``_rels/.rels`` (the package points at
``xl/workbook.xml``), ``xl/workbook.xml`` (the sheet list), ``xl/_rels/workbook.xml.rels`` (each sheet, the
styles and the shared strings by relationship id), ``xl/styles.xml`` (fonts, borders, number formats and the
cell formats ``cellXfs`` that cells point at with ``s="k"``), ``xl/sharedStrings.xml`` (every distinct text
once; a text cell holds its index) and one ``xl/worksheets/sheetN.xml`` per sheet (``<cols>`` with the widths
and column formats, then ``<sheetData>``: rows of cells ``<c r="B7" s="2"><v>1234</v></c>``).

**Why by hand.** General writers (xlsxwriter, openpyxl) spend 10–15 µs per cell in Python objects and method
calls; a table of 2,848 counties × 32 columns costs them over a second. Here each column is turned into its
cells' XML by one list comprehension over ``tolist()`` values (the column's style, type and letter are fixed
per column), rows are joined once, and the package is deflated at level 1: about 1 µs per cell
(``benchmarks/bench_export.py`` measures it against xlsxwriter, openpyxl and others in one run).

**What a cell becomes.** Integer and float columns: numbers written with Python's ``repr`` (the shortest
text that reads back as the same double, so every float round-trips exactly; xlsxwriter's ``%.16G`` does not);
NaN, NA and ±inf are empty cells, as is empty text. Boolean columns: ``t="b"`` cells. Text: a shared string, XML-escaped
(``& < >``), control characters written as Excel's ``_xHHHH_`` escapes (and a literal ``_xHHHH_`` protected
as ``_x005F_xHHHH_``) so that the XML stays valid and readers give back the original text; at most 32,767
characters (Excel's cell limit, as xlsxwriter). No cell is ever a formula or a link: the writer has no way to
write one. Mixed object columns are typed value by value (text, bool, number, empty; anything else as its
``str``). The caller decides titles, number formats, widths and any formula escaping of text
(``compensation.io.write_xlsx`` does); this module only writes.

The output is deterministic: the same tables give the same bytes (fixed ZIP timestamps, no creation date)."""

from __future__ import annotations

import math
import numbers
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_TEXT = 32_767  # characters in one cell (Excel's limit)
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTROL = re.compile(r"_x[0-9A-Fa-f]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_DATE = (1980, 1, 1, 0, 0, 0)  # fixed ZIP timestamp: the same tables give the same bytes

HEADER_STYLE = 1  # cellXfs index of the header cells: bold, thin border, centred, top-aligned


@dataclass
class Sheet:
    """One sheet to write: ``title`` (already Excel-safe), the table, one number format per column (an Excel
    format code such as ``#,##0``, or None) and one width per column (in characters, as Excel shows it)."""

    title: str
    frame: pd.DataFrame
    formats: Sequence[str | None]
    widths: Sequence[float]


def column_letters(n: int) -> list[str]:
    """Excel column names of the first ``n`` columns: A … Z, AA … ZZ, AAA …"""
    out = []
    for j in range(n):
        name, k = "", j + 1
        while k:
            k, r = divmod(k - 1, 26)
            name = chr(65 + r) + name
        out.append(name)
    return out


def excel_width(chars: float) -> float:
    """The ``<col width>`` Excel stores for a column shown ``chars`` characters wide in the default font
    (Calibri 11: 7-pixel digits, 5 pixels of padding), as Excel and xlsxwriter compute it."""
    if chars <= 0:
        return 0.0
    pixels = int(chars * 7 + 0.5) + 5 if chars >= 1 else int(chars * 12 + 0.5)
    return math.trunc(pixels / 7 * 256) / 256


def _escape_control(match: re.Match) -> str:
    text = match.group(0)
    return "_x005F" + text if len(text) == 7 else f"_x{ord(text):04X}_"


def escape_text(text: str) -> str:
    """Text as the content of a ``<t>`` element: ``& < >`` escaped, control characters as ``_xHHHH_``, at
    most ``MAX_TEXT`` characters."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _CONTROL.sub(_escape_control, text)


class _Strings:
    """The shared-string table of a workbook: each distinct text once, in order of first use."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0  # text cells written (the sst's count attribute)

    def ids(self, texts: list[str]) -> list[int]:
        index = self.index
        self.count += len(texts)
        return [index.setdefault(t, len(index)) for t in texts]

    def xml(self) -> str:
        texts = list(self.index)
        if texts and (max(map(len, texts)) > MAX_TEXT or _SPECIAL.search("".join(texts))):
            texts = [escape_text(t) for t in texts]
        body = "".join([f'<si><t xml:space="preserve">{t}</t></si>' for t in texts])
        return f'{_XML}<sst xmlns="{_NS}" count="{self.count}" uniqueCount="{len(self.index)}">{body}</sst>'


def _numbers(series: pd.Series) -> pa.Array:
    """A numeric column as the text of its cells (null = empty cell): arrow's shortest round-trip form of
    each finite value (``0.30000000000000004``, ``1e+16``, ``570``), computed in C++."""
    values = series.to_numpy(dtype=float, na_value=np.nan) if series.hasnans else series.to_numpy()
    if values.dtype.kind == "f":
        values = values.astype(np.float64, copy=False)  # float32 as the double Excel will hold
        present = np.isfinite(values)
        return pa.array(values, mask=None if present.all() else ~present).cast(pa.string())
    return pa.array(values).cast(pa.string())


def _text_ids(series: pd.Series, strings: _Strings) -> pa.Array:
    """A text column as the shared-string index of each cell (null for missing or empty text), by arrow's
    dictionary encoding (the distinct texts go through Python once, the cells never)."""
    arr = pa.array(series, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    enc = pc.dictionary_encode(arr)
    ids = pa.array(strings.ids(enc.dictionary.to_pylist()), type=pa.int64())
    cells = pc.take(ids, enc.indices)
    cells = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.int64()), cells)
    strings.count += (len(cells) - cells.null_count) - len(enc.dictionary)  # text cells, not distinct texts
    return cells.cast(pa.string())


def _column_cells(series: pd.Series, letter: str, style: int, rows: pa.Array, strings: _Strings,
                  text_of: Callable[[object], str]) -> pa.Array:
    """The XML of every cell of one column (rows 2 …) as one arrow string array; '' for an empty cell."""
    s_attr = f' s="{style}"' if style else ""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        present = ~series.isna().to_numpy()
        vals = series.to_numpy(dtype=bool, na_value=False).astype(np.int8)
        texts, kind = pa.array(vals, mask=~present).cast(pa.string()), ' t="b"'
    elif pd.api.types.is_numeric_dtype(dtype) and np.dtype(getattr(dtype, "numpy_dtype", dtype)).kind in "iuf":
        texts, kind = _numbers(series), ""
    elif isinstance(dtype, pd.StringDtype):  # all text or missing
        texts, kind = _text_ids(series, strings), ' t="s"'
    else:
        cells = [_object_cell(v, f"{letter}{r}", s_attr, strings, text_of)
                 for r, v in enumerate(series.to_numpy(dtype=object).tolist(), start=2)]
        return pa.array(cells, type=pa.string())
    cells = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'"{s_attr}{kind}><v>', texts, "</v></c>", "")
    return pc.fill_null(cells, "")


def _object_cell(v, ref: str, s_attr: str, strings: _Strings, text_of: Callable[[object], str]) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, str) and not v):
        return ""
    if isinstance(v, str):
        return f'<c r="{ref}"{s_attr} t="s"><v>{strings.ids([v])[0]}</v></c>'
    if isinstance(v, bool | np.bool_):
        return f'<c r="{ref}"{s_attr} t="b"><v>{int(bool(v))}</v></c>'
    if isinstance(v, numbers.Integral):
        return f'<c r="{ref}"{s_attr}><v>{int(v)}</v></c>'
    if isinstance(v, numbers.Real):
        x = float(v)
        return f'<c r="{ref}"{s_attr}><v>{x!r}</v></c>' if math.isfinite(x) else ""
    text = text_of(v)
    return f'<c r="{ref}"{s_attr} t="s"><v>{strings.ids([text])[0]}</v></c>' if text else ""


def _joined(texts: pa.Array) -> bytes:
    """The concatenation of all strings of an arrow string array (its value buffer, without a copy per item)."""
    texts = texts.cast(pa.large_string()) if texts.type != pa.large_string() else texts
    if not len(texts):
        return b""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset: texts.offset + len(texts) + 1]
    return texts.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def _sheet_xml(sheet: Sheet, styles: dict[str | None, int], strings: _Strings,
               text_of: Callable[[object], str]) -> bytes:
    df = sheet.frame
    ncol, nrow = len(df.columns), len(df)
    letters = column_letters(max(ncol, 1))
    col_styles = [styles[f] for f in sheet.formats]
    cols = "".join(
        f'<col min="{j}" max="{j}" width="{excel_width(w)}"{f" style={chr(34)}{s}{chr(34)}" if s else ""} '
        f'customWidth="1"/>' for j, (w, s) in enumerate(zip(sheet.widths, col_styles, strict=True), start=1))
    head = "".join(f'<c r="{letters[j]}1" s="{HEADER_STYLE}" t="s"><v>{i}</v></c>'
                   for j, i in enumerate(strings.ids([text_of(c) for c in df.columns])))
    body = b""
    if ncol and nrow:
        rows = pa.array(np.arange(2, nrow + 2)).cast(pa.string())
        columns = [_column_cells(df.iloc[:, j], letters[j], col_styles[j], rows, strings, text_of)
                   for j in range(ncol)]
        body = _joined(pc.binary_join_element_wise('<row r="', rows, '">', *columns, "</row>", ""))
    last = f"{letters[ncol - 1]}{nrow + 1}" if ncol else "A1"
    top = (f'{_XML}<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}"><dimension ref="A1:{last}"/>'
           f'<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
           + (f"<cols>{cols}</cols>" if ncol else "")
           + f'<sheetData>{f"<row r={chr(34)}1{chr(34)}>{head}</row>" if ncol else ""}')
    end = ('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
           "</worksheet>")
    return top.encode("utf-8", "replace") + body + end.encode()


def _styles_xml(codes: list[str]) -> tuple[str, dict[str | None, int]]:
    """styles.xml with cellXfs 0 (plain), 1 (header), then one per number format; and format → xf index."""
    custom = [c for c in codes if c not in BUILTIN_FORMATS]
    ids = {c: BUILTIN_FORMATS.get(c, 164 + custom.index(c) if c in custom else 0) for c in codes}
    num_fmts = "".join(f'<numFmt numFmtId="{ids[c]}" formatCode="{_attr(c)}"/>' for c in custom)
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" '
           'applyAlignment="1"><alignment horizontal="center" vertical="top"/></xf>']
    xfs += [f'<xf numFmtId="{ids[c]}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            for c in codes]
    side = '<{0} style="thin"><color auto="1"/></{0}>'
    xml = (f'{_XML}<styleSheet xmlns="{_NS}">'
           + (f'<numFmts count="{len(custom)}">{num_fmts}</numFmts>' if custom else "")
           + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
           '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
           f'<border>{"".join(side.format(s) for s in ("left", "right", "top", "bottom"))}<diagonal/></border>'
           '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
           'defaultPivotStyle="PivotStyleLight16"/></styleSheet>')
    return xml, {None: 0, **{c: 2 + k for k, c in enumerate(codes)}}


def _attr(text: str) -> str:
    return (escape_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
            .replace("\r", "&#13;"))


def write_workbook(sheets: Sequence[Sheet], fh, text_of: Callable[[object], str] = str,
                   compresslevel: int = 1) -> None:
    """Write the sheets as one XLSX package into the binary file object ``fh``. ``text_of`` turns a header or
    an object cell that is neither text, number nor bool into its text (default ``str``)."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    codes = list(dict.fromkeys(f for s in sheets for f in s.formats if f is not None))
    styles_xml, styles = _styles_xml(codes)
    strings = _Strings()
    parts = [(f"xl/worksheets/sheet{k}.xml", _sheet_xml(s, styles, strings, text_of))
             for k, s in enumerate(sheets, start=1)]
    n = len(sheets)
    sheet_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{k}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for k in range(1, n + 1))
    content_types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{sheet_types}"
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>')
    root_rels = (f'{_XML}<Relationships xmlns="{_NS_PKG}">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/officeDocument" Target="xl/workbook.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/extended-properties" Target="docProps/app.xml"/></Relationships>')
    app = (f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           "<Application>ecocomp</Application></Properties>")
    book_sheets = "".join(f'<sheet name="{_attr(s.title)}" sheetId="{k}" r:id="rId{k}"/>'
                          for k, s in enumerate(sheets, start=1))
    workbook = (f'{_XML}<workbook xmlns="{_NS}" xmlns:r="{_NS_R}"><bookViews><workbookView/></bookViews>'
                f"<sheets>{book_sheets}</sheets></workbook>")
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    book_rels = (f'{_XML}<Relationships xmlns="{_NS_PKG}">'
                 + "".join(f'<Relationship Id="rId{k}" Type="{rel}worksheet" Target="worksheets/sheet{k}.xml"/>'
                           for k in range(1, n + 1))
                 + f'<Relationship Id="rId{n + 1}" Type="{rel}styles" Target="styles.xml"/>'
                 f'<Relationship Id="rId{n + 2}" Type="{rel}sharedStrings" Target="sharedStrings.xml"/>'
                 "</Relationships>")
    package = [("[Content_Types].xml", content_types), ("_rels/.rels", root_rels), ("docProps/app.xml", app),
               ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", book_rels),
               ("xl/styles.xml", styles_xml), ("xl/sharedStrings.xml", strings.xml()), *parts]
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        for name, text in package:
            info = zipfile.ZipInfo(name, _DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
            zf.writestr(info, data, compresslevel=compresslevel)
