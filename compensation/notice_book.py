"""The 分配情况表 workbook (``notice.write_notice``) written as XML directly: the package xlsxwriter writes for the
same calls, byte for byte (creation time aside, which xlsxwriter takes from the clock), without importing
xlsxwriter, whose import alone costs ~18–20 ms of CPU in a fresh process (measured with pandas loaded; the
notice phase of ``benchmarks/bench_run.py`` went from 0.072 to 0.033 s with its tables).

**What the workbook holds** (``notice._write_notice_book`` makes the same calls on xlsxwriter, kept as
``engine="xlsxwriter"``; ``tests/test_notice.py`` compares the two packages byte for byte). One print-ready sheet
per notice: the title merged across the table (bold 14 pt, centred, row height 28 pt), "单位:…" right-aligned
above the last column, a bold bordered header row (centred, wrapped), the first row (地方合计) bold and centred,
the region rows bordered, amounts in ``#,##0.00`` (亿元) or ``#,##0`` (万元), the notes one row below the
table; column A 24 characters wide, the others from their header; A4 landscape, fitted to one page wide, the
header row repeated on every page (``Print_Titles``), the table as print area, panes frozen below the header
and right of column A. Then a sheet 说明 of (item, value) rows, 28 and 90 characters wide.

**How xlsxwriter writes it, and so this module.** Shared strings in order of first writing, counted per cell;
text XML-escaped (``& < >``), control characters as ``_xHHHH_`` (a literal ``_xHHHH_`` protected as
``_x005F_xHHHH_``), ``xml:space="preserve"`` for leading or trailing white space; cells as
``<c r="B5" s="7"><v>…</v></c>`` with numbers in ``%.16G``; row ``spans`` per block of 16 rows; cell formats
(``cellXfs``) numbered in order of first use in the sheets, fonts, borders and custom number formats (164 …) in
the order of the formats that use them; adjacent columns of equal width in one ``<col>``; print areas and titles
as defined names sorted by name, then sheet; the ZIP entries deflated at zlib's default level, dated 1980-01-01.
One difference on purpose: xlsxwriter writes a text that starts with ``<r>`` and ends with ``</r>`` into the
XML unescaped (as rich text); here it is text like any other."""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from .xlsx import _NS, _NS_PKG, _NS_R, _XML, column_letters, excel_width  # one place for these

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CT = "application/vnd.openxmlformats-officedocument."
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_STRMAX = 32767  # UTF-16 units in a cell
_TITLE_HEIGHT = 28  # points; Excel stores whole pixels: int(28 * 4/3 + 0.5) px × 0.75 = 27.75
_INFO_HEADER = ("项目 / item", "内容 / value")

# cell formats, as xlsxwriter's format properties make them: (font, border, number format?, alignment XML)
_FONT_PLAIN, _FONT_TITLE, _FONT_BOLD = 0, 1, 2
_FORMATS = {
    "title": (_FONT_TITLE, 0, False, '<alignment horizontal="center" vertical="center"/>'),
    "unit": (_FONT_PLAIN, 0, False, '<alignment horizontal="right"/>'),
    "head": (_FONT_BOLD, 1, False, '<alignment horizontal="center" vertical="center" wrapText="1"/>'),
    "total_name": (_FONT_BOLD, 1, False, '<alignment horizontal="center"/>'),
    "name": (_FONT_PLAIN, 1, False, '<alignment horizontal="left"/>'),
    "total_number": (_FONT_BOLD, 1, True, ""),
    "number": (_FONT_PLAIN, 1, True, ""),
}
_FONT_XML = {
    _FONT_PLAIN: '<font><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>',
    _FONT_TITLE: '<font><b/><sz val="14"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
                 "</font>",
    _FONT_BOLD: '<font><b/><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
                "</font>",
}
_BORDER_XML = ("<border><left/><right/><top/><bottom/><diagonal/></border>",
               "<border>" + "".join(f'<{s} style="thin"><color auto="1"/></{s}>' for s in ("left", "right", "top", "bottom"))
               + "<diagonal/></border>")


@dataclass
class NoticeSheet:
    """One notice sheet, every text already made safe by the caller (``notice._text``)."""

    name: str  # the sheet name, ``notice._sheet_name``: "2023年分配情况表" or "分配情况表[N]"
    title: str
    unit: str  # "单位:亿元"
    header: Sequence[str]  # 地区, 合计, …
    rows: Sequence[tuple[str, Sequence[float | int]]]  # (region, amounts); the first is 地方合计
    num_format: str  # "#,##0.00" or "#,##0"
    widths: Sequence[float]  # characters, one per column
    notes: Sequence[str] = field(default_factory=list)


class _Book:
    """Cells as xlsxwriter stores them, shared strings and cell formats numbered as it numbers them."""

    def __init__(self) -> None:
        self.strings: dict[str, int] = {}
        self.count = 0
        self.xfs: dict[tuple, int] = {}  # (format name, number format) -> cellXfs index (0 = plain)

    def text(self, value: str) -> int:
        if len(value) > _STRMAX // 2 and len(value.encode("utf-16-le")) // 2 > _STRMAX:
            value = _utf16_truncate(value)
        self.count += 1
        return self.strings.setdefault(value, len(self.strings))

    def xf(self, kind: str | None, num_format: str = "") -> int:
        if kind is None:
            return 0
        key = (kind, num_format if _FORMATS[kind][2] else "")
        return self.xfs.setdefault(key, len(self.xfs) + 1)


def _utf16_truncate(value: str) -> str:
    out, units = [], 0
    for ch in value:
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > _STRMAX:
            break
        out.append(ch)
    return "".join(out)


def _esc(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _esc_attr(text: str) -> str:
    if any(c in text for c in '"&<>\n'):
        text = (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\n", "&#xA;"))
    return text


def _si(text: str) -> str:
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", _ESCAPED.sub(r"_x005F\1", text))
    preserve = ' xml:space="preserve"' if text and (text[0].isspace() or text[-1].isspace()) else ""
    return f"<si><t{preserve}>{_esc(text)}</t></si>"


def _width_xml(chars: float) -> str:
    return f"{excel_width(chars):.16g}"  # the stored width of a column ``chars`` wide (one rule: xlsx.py)


def _cols(widths: Sequence[float]) -> str:
    out, j = [], 0
    while j < len(widths):
        k = j
        while k + 1 < len(widths) and widths[k + 1] == widths[j]:
            k += 1
        out.append(f'<col min="{j + 1}" max="{k + 1}" width="{_width_xml(widths[j])}" customWidth="1"/>')
        j = k + 1
    return f"<cols>{''.join(out)}</cols>"


def _sheet_xml(cells: dict[int, dict[int, str]], ncol: int, widths: Sequence[float], selected: bool,
               notice: bool, merge: str = "", heights: dict[int, str] | None = None) -> str:
    """A worksheet from its cells (row → column → the ``<c>`` element), 0-based."""
    letters = column_letters(ncol)
    rows = sorted(cells)
    last_row = rows[-1] if rows else 0
    spans: dict[int, str] = {}
    for block in {r // 16 for r in rows}:
        used = [c for r in rows if r // 16 == block for c in cells[r]]
        spans[block] = f"{min(used) + 1}:{max(used) + 1}"
    body = []
    for r in rows:
        extra = heights.get(r, "") if heights else ""
        body.append(f'<row r="{r + 1}" spans="{spans[r // 16]}"{extra}>'
                    + "".join(cells[r][c] for c in sorted(cells[r])) + "</row>")
    dim = f"A1:{letters[ncol - 1]}{last_row + 1}" if rows else "A1"
    tab = ' tabSelected="1"' if selected else ""
    if notice:
        view = (f'<sheetViews><sheetView{tab} workbookViewId="0"><pane xSplit="1" ySplit="3" topLeftCell="B4" '
                'activePane="bottomRight" state="frozen"/><selection pane="topRight" activeCell="B1" sqref="B1"/>'
                '<selection pane="bottomLeft" activeCell="A4" sqref="A4"/><selection pane="bottomRight"/>'
                "</sheetView></sheetViews>")
    else:
        view = f'<sheetViews><sheetView{tab} workbookViewId="0"/></sheetViews>'
    return (f'{_XML}<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">'
            + ('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if notice else "")
            + f'<dimension ref="{dim}"/>{view}<sheetFormatPr defaultRowHeight="15"/>{_cols(widths)}'
            + f"<sheetData>{''.join(body)}</sheetData>"
            + (f'<mergeCells count="1"><mergeCell ref="{merge}"/></mergeCells><printOptions horizontalCentered="1"/>'
               if notice else "")
            + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            + ('<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/>' if notice else "")
            + "</worksheet>")


def _quoted(name: str) -> str:
    """The sheet name in a reference, quoted where xlsxwriter quotes it (the two shapes ``_sheet_name`` makes:
    a name starting with a digit, or one of word characters only)."""
    if re.search(r"[^\w.]", name) or re.match(r"[\d.]", name):
        return "'" + name.replace("'", "''") + "'"
    return name


def workbook_bytes(sheets: Sequence[NoticeSheet], info: Sequence[tuple[str, str]],
                   created: time.struct_time | None = None) -> bytes:
    """The package (bytes of the .xlsx file): the notice sheets, then 说明 with ``info``; ``created`` (UTC)
    defaults to now."""
    import io

    book = _Book()
    parts: list[tuple] = []
    for s in sheets:
        ncol = len(s.header)
        if ncol < 2:
            raise ValueError("a notice sheet has at least the columns 地区 and 合计")
        letters = column_letters(ncol)
        cells: dict[int, dict[int, str]] = {}

        def put(r: int, c: int, inner: str, kind: str | None, cells=cells, s=s, letters=letters) -> None:
            xf = book.xf(kind, s.num_format)
            style = f' s="{xf}"' if xf else ""
            cells.setdefault(r, {})[c] = f'<c r="{letters[c]}{r + 1}"{style}{inner}'

        def text(r: int, c: int, value: str, kind: str | None, put=put) -> None:
            put(r, c, f' t="s"><v>{book.text(value)}</v></c>', kind)

        # the writes in xlsxwriter's order (shared strings are numbered as written) ...
        text(0, 0, s.title, "title")
        for c in range(1, ncol):
            put(0, c, "/>", "title")
        text(1, ncol - 1, s.unit, "unit")
        for c, h in enumerate(s.header):
            text(2, c, h, "head")
        for i, (region, amounts) in enumerate(s.rows, start=3):
            first = i == 3
            text(i, 0, region, "total_name" if first else "name")
            for c, v in enumerate(amounts, start=1):
                put(i, c, f"><v>{v:.16G}</v></c>", "total_number" if first else "number")
        for r, note in enumerate(s.notes, start=3 + len(s.rows) + 1):
            text(r, 0, note, None)
        parts.append((cells, ncol, list(s.widths), f"A1:{letters[ncol - 1]}1"))
    info_cells: dict[int, dict[int, str]] = {}
    for r, row in enumerate([_INFO_HEADER, *info]):
        for c, value in enumerate(row):
            if r == 0 and value == "":  # write_row writes '' as a blank cell, which without a format is no cell
                continue
            info_cells.setdefault(r, {})[c] = f'<c r="{"AB"[c]}{r + 1}" t="s"><v>{book.text(value)}</v></c>'
    # ... and the sheets' XML in sheet order (cell formats are numbered as they first appear there)
    n = len(sheets) + 1
    files = []
    for k, (cells, ncol, widths, merge) in enumerate(parts):
        xml = _sheet_xml(cells, ncol, widths, k == 0, True, merge,
                         {0: f' ht="{int(_TITLE_HEIGHT * 4.0 / 3.0 + 0.5) * 0.75:g}" customHeight="1"'})
        files.append((f"xl/worksheets/sheet{k + 1}.xml", xml))
    files.append((f"xl/worksheets/sheet{n}.xml", _sheet_xml(info_cells, 2, [28, 90], not sheets, False)))
    names = [s.name for s in sheets] + ["说明"]
    defined = ([(_quoted(s.name), "Print_Area", k,
                 f"$A$1:${column_letters(len(s.header))[-1]}${3 + len(s.rows)}") for k, s in enumerate(sheets)]
               + [(_quoted(s.name), "Print_Titles", k, "$3:$3") for k, s in enumerate(sheets)])
    created = created or time.gmtime()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", created)

    content_types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{_CT}extended-properties+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}spreadsheetml.styles+xml"/>'
        f'<Override PartName="/xl/theme/theme1.xml" ContentType="{_CT}theme+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}spreadsheetml.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{_CT}spreadsheetml.worksheet+xml"/>'
                  for k in range(1, n + 1))
        + f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}spreadsheetml.sharedStrings+xml"/></Types>')
    root_rels = (f'{_XML}<Relationships xmlns="{_NS_PKG}">'
                 f'<Relationship Id="rId1" Type="{_REL}officeDocument" Target="xl/workbook.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
                 'core-properties" Target="docProps/core.xml"/>'
                 f'<Relationship Id="rId3" Type="{_REL}extended-properties" Target="docProps/app.xml"/>'
                 "</Relationships>")
    book_rels = (f'{_XML}<Relationships xmlns="{_NS_PKG}">'
                 + "".join(f'<Relationship Id="rId{k}" Type="{_REL}worksheet" Target="worksheets/sheet{k}.xml"/>'
                           for k in range(1, n + 1))
                 + f'<Relationship Id="rId{n + 1}" Type="{_REL}theme" Target="theme/theme1.xml"/>'
                 f'<Relationship Id="rId{n + 2}" Type="{_REL}styles" Target="styles.xml"/>'
                 f'<Relationship Id="rId{n + 3}" Type="{_REL}sharedStrings" Target="sharedStrings.xml"/>'
                 "</Relationships>")
    ordered = sorted(defined, key=lambda d: (d[1], d[2]))
    workbook = (f'{_XML}<workbook xmlns="{_NS}" xmlns:r="{_NS_R}">'
                '<fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/>'
                '<workbookPr defaultThemeVersion="124226"/><bookViews><workbookView xWindow="240" yWindow="15" '
                'windowWidth="16095" windowHeight="9660"/></bookViews><sheets>'
                + "".join(f'<sheet name="{_esc_attr(name)}" sheetId="{k}" r:id="rId{k}"/>'
                          for k, name in enumerate(names, start=1))
                + "</sheets>"
                + ("<definedNames>" + "".join(
                    f'<definedName name="_xlnm.{kind}" localSheetId="{k}">{_esc(f"{q}!{ref}")}</definedName>'
                    for q, kind, k, ref in ordered) + "</definedNames>" if ordered else "")
                + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
    strings = list(book.strings)
    sst = (f'{_XML}<sst xmlns="{_NS}" count="{book.count}" uniqueCount="{len(strings)}">'
           + "".join(_si(t) for t in strings) + "</sst>")
    xfs = sorted(book.xfs.items(), key=lambda kv: kv[1])
    num_ids: dict[str, int] = {}
    for (kind, fmt), _ in xfs:
        if _FORMATS[kind][2]:
            num_ids.setdefault(fmt, 164 + len(num_ids))
    fonts = sorted({_FONT_PLAIN, *(_FORMATS[kind][0] for (kind, _), _ in xfs)},
                   key=lambda f: (f != _FONT_PLAIN, min((i for (kind, _), i in xfs if _FORMATS[kind][0] == f),
                                                       default=0)))
    font_id = {f: i for i, f in enumerate(fonts)}
    borders = sorted({0, *(_FORMATS[kind][1] for (kind, _), _ in xfs)})
    cell_xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
    for (kind, fmt), _ in xfs:
        font, border, number, align = _FORMATS[kind]
        attrs = (f'numFmtId="{num_ids[fmt] if number else 0}" fontId="{font_id[font]}" fillId="0" '
                 f'borderId="{borders.index(border)}" xfId="0"')
        flags = ((' applyNumberFormat="1"' if number else "") + (' applyFont="1"' if font else "")
                 + (' applyBorder="1"' if border else "") + (' applyAlignment="1"' if align else ""))
        cell_xfs.append(f"<xf {attrs}{flags}>{align}</xf>" if align else f"<xf {attrs}{flags}/>")
    styles = (f'{_XML}<styleSheet xmlns="{_NS}">'
              + (f'<numFmts count="{len(num_ids)}">' + "".join(
                  f'<numFmt numFmtId="{i}" formatCode="{_esc_attr(f)}"/>' for f, i in num_ids.items())
                 + "</numFmts>" if num_ids else "")
              + f'<fonts count="{len(fonts)}">{"".join(_FONT_XML[f] for f in fonts)}</fonts>'
              '<fills count="2"><fill><patternFill patternType="none"/></fill>'
              '<fill><patternFill patternType="gray125"/></fill></fills>'
              + f'<borders count="{len(borders)}">{"".join(_BORDER_XML[b] for b in borders)}</borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              + f'<cellXfs count="{len(cell_xfs)}">{"".join(cell_xfs)}</cellXfs>'
              '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
              '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
              'defaultPivotStyle="PivotStyleLight16"/></styleSheet>')
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:creator></dc:creator><cp:lastModifiedBy></cp:lastModifiedBy>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')
    titles = names + [f"{q}!{kind}" for q, kind, _, _ in ordered]
    pairs = [("Worksheets", len(names))] + ([("Named Ranges", len(ordered))] if ordered else [])
    app = (f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
           f'<HeadingPairs><vt:vector size="{2 * len(pairs)}" baseType="variant">'
           + "".join(f"<vt:variant><vt:lpstr>{p}</vt:lpstr></vt:variant><vt:variant><vt:i4>{c}</vt:i4></vt:variant>"
                     for p, c in pairs)
           + f'</vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="{len(titles)}" baseType="lpstr">'
           + "".join(f"<vt:lpstr>{_esc(t)}</vt:lpstr>" for t in titles)
           + "</vt:vector></TitlesOfParts><Company></Company><LinksUpToDate>false</LinksUpToDate>"
           "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion>"
           "</Properties>")
    package = [("[Content_Types].xml", content_types), ("_rels/.rels", root_rels),
               ("xl/_rels/workbook.xml.rels", book_rels), *files, ("xl/workbook.xml", workbook),
               ("xl/sharedStrings.xml", sst), ("xl/styles.xml", styles), ("xl/theme/theme1.xml", THEME_XML),
               ("docProps/core.xml", core), ("docProps/app.xml", app)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in package:
            info_ = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info_.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info_, text.encode("utf-8"))
    return buf.getvalue()


THEME_XML = (  # xl/theme/theme1.xml as xlsxwriter writes it (THEME_XML_2007; BSD-2-Clause, © John McNamara)
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office Theme">'
    '<a:themeElements><a:clrScheme name="Office"><a:dk1><a:sysClr val="windowText" lastClr="000000"/>'
    '</a:dk1><a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1><a:dk2><a:srgbClr val="1F497D"/>'
    '</a:dk2><a:lt2><a:srgbClr val="EEECE1"/></a:lt2><a:accent1><a:srgbClr val="4F81BD"/></a:accent1>'
    '<a:accent2><a:srgbClr val="C0504D"/></a:accent2><a:accent3><a:srgbClr val="9BBB59"/></a:accent3>'
    '<a:accent4><a:srgbClr val="8064A2"/></a:accent4><a:accent5><a:srgbClr val="4BACC6"/></a:accent5>'
    '<a:accent6><a:srgbClr val="F79646"/></a:accent6><a:hlink><a:srgbClr val="0000FF"/></a:hlink>'
    '<a:folHlink><a:srgbClr val="800080"/></a:folHlink></a:clrScheme><a:fontScheme name="Office">'
    '<a:majorFont><a:latin typeface="Cambria"/><a:ea typeface=""/><a:cs typeface=""/>'
    '<a:font script="Jpan" typeface="ＭＳ Ｐゴシック"/><a:font script="Hang" typeface="맑은 고딕"/>'
    '<a:font script="Hans" typeface="宋体"/><a:font script="Hant" typeface="新細明體"/>'
    '<a:font script="Arab" typeface="Times New Roman"/><a:font script="Hebr" typeface="Times New Roman"/>'
    '<a:font script="Thai" typeface="Tahoma"/><a:font script="Ethi" typeface="Nyala"/>'
    '<a:font script="Beng" typeface="Vrinda"/><a:font script="Gujr" typeface="Shruti"/>'
    '<a:font script="Khmr" typeface="MoolBoran"/><a:font script="Knda" typeface="Tunga"/>'
    '<a:font script="Guru" typeface="Raavi"/><a:font script="Cans" typeface="Euphemia"/>'
    '<a:font script="Cher" typeface="Plantagenet Cherokee"/>'
    '<a:font script="Yiii" typeface="Microsoft Yi Baiti"/>'
    '<a:font script="Tibt" typeface="Microsoft Himalaya"/><a:font script="Thaa" typeface="MV Boli"/>'
    '<a:font script="Deva" typeface="Mangal"/><a:font script="Telu" typeface="Gautami"/>'
    '<a:font script="Taml" typeface="Latha"/><a:font script="Syrc" typeface="Estrangelo Edessa"/>'
    '<a:font script="Orya" typeface="Kalinga"/><a:font script="Mlym" typeface="Kartika"/>'
    '<a:font script="Laoo" typeface="DokChampa"/><a:font script="Sinh" typeface="Iskoola Pota"/>'
    '<a:font script="Mong" typeface="Mongolian Baiti"/><a:font script="Viet" typeface="Times New Roman"/>'
    '<a:font script="Uigh" typeface="Microsoft Uighur"/></a:majorFont><a:minorFont>'
    '<a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/>'
    '<a:font script="Jpan" typeface="ＭＳ Ｐゴシック"/><a:font script="Hang" typeface="맑은 고딕"/>'
    '<a:font script="Hans" typeface="宋体"/><a:font script="Hant" typeface="新細明體"/>'
    '<a:font script="Arab" typeface="Arial"/><a:font script="Hebr" typeface="Arial"/>'
    '<a:font script="Thai" typeface="Tahoma"/><a:font script="Ethi" typeface="Nyala"/>'
    '<a:font script="Beng" typeface="Vrinda"/><a:font script="Gujr" typeface="Shruti"/>'
    '<a:font script="Khmr" typeface="DaunPenh"/><a:font script="Knda" typeface="Tunga"/>'
    '<a:font script="Guru" typeface="Raavi"/><a:font script="Cans" typeface="Euphemia"/>'
    '<a:font script="Cher" typeface="Plantagenet Cherokee"/>'
    '<a:font script="Yiii" typeface="Microsoft Yi Baiti"/>'
    '<a:font script="Tibt" typeface="Microsoft Himalaya"/><a:font script="Thaa" typeface="MV Boli"/>'
    '<a:font script="Deva" typeface="Mangal"/><a:font script="Telu" typeface="Gautami"/>'
    '<a:font script="Taml" typeface="Latha"/><a:font script="Syrc" typeface="Estrangelo Edessa"/>'
    '<a:font script="Orya" typeface="Kalinga"/><a:font script="Mlym" typeface="Kartika"/>'
    '<a:font script="Laoo" typeface="DokChampa"/><a:font script="Sinh" typeface="Iskoola Pota"/>'
    '<a:font script="Mong" typeface="Mongolian Baiti"/><a:font script="Viet" typeface="Arial"/>'
    '<a:font script="Uigh" typeface="Microsoft Uighur"/></a:minorFont></a:fontScheme>'
    '<a:fmtScheme name="Office"><a:fillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    '<a:gradFill rotWithShape="1"><a:gsLst><a:gs pos="0"><a:schemeClr val="phClr"><a:tint val="50000"/>'
    '<a:satMod val="300000"/></a:schemeClr></a:gs><a:gs pos="35000"><a:schemeClr val="phClr">'
    '<a:tint val="37000"/><a:satMod val="300000"/></a:schemeClr></a:gs><a:gs pos="100000">'
    '<a:schemeClr val="phClr"><a:tint val="15000"/><a:satMod val="350000"/></a:schemeClr></a:gs>'
    '</a:gsLst><a:lin ang="16200000" scaled="1"/></a:gradFill><a:gradFill rotWithShape="1"><a:gsLst>'
    '<a:gs pos="0"><a:schemeClr val="phClr"><a:shade val="51000"/><a:satMod val="130000"/></a:schemeClr>'
    '</a:gs><a:gs pos="80000"><a:schemeClr val="phClr"><a:shade val="93000"/><a:satMod val="130000"/>'
    '</a:schemeClr></a:gs><a:gs pos="100000"><a:schemeClr val="phClr"><a:shade val="94000"/>'
    '<a:satMod val="135000"/></a:schemeClr></a:gs></a:gsLst><a:lin ang="16200000" scaled="0"/>'
    '</a:gradFill></a:fillStyleLst><a:lnStyleLst><a:ln w="9525" cap="flat" cmpd="sng" algn="ctr">'
    '<a:solidFill><a:schemeClr val="phClr"><a:shade val="95000"/><a:satMod val="105000"/></a:schemeClr>'
    '</a:solidFill><a:prstDash val="solid"/></a:ln><a:ln w="25400" cap="flat" cmpd="sng" algn="ctr">'
    '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:prstDash val="solid"/></a:ln>'
    '<a:ln w="38100" cap="flat" cmpd="sng" algn="ctr"><a:solidFill><a:schemeClr val="phClr"/>'
    '</a:solidFill><a:prstDash val="solid"/></a:ln></a:lnStyleLst><a:effectStyleLst><a:effectStyle>'
    '<a:effectLst><a:outerShdw blurRad="40000" dist="20000" dir="5400000" rotWithShape="0">'
    '<a:srgbClr val="000000"><a:alpha val="38000"/></a:srgbClr></a:outerShdw></a:effectLst>'
    '</a:effectStyle><a:effectStyle><a:effectLst>'
    '<a:outerShdw blurRad="40000" dist="23000" dir="5400000" rotWithShape="0"><a:srgbClr val="000000">'
    '<a:alpha val="35000"/></a:srgbClr></a:outerShdw></a:effectLst></a:effectStyle><a:effectStyle>'
    '<a:effectLst><a:outerShdw blurRad="40000" dist="23000" dir="5400000" rotWithShape="0">'
    '<a:srgbClr val="000000"><a:alpha val="35000"/></a:srgbClr></a:outerShdw></a:effectLst><a:scene3d>'
    '<a:camera prst="orthographicFront"><a:rot lat="0" lon="0" rev="0"/></a:camera>'
    '<a:lightRig rig="threePt" dir="t"><a:rot lat="0" lon="0" rev="1200000"/></a:lightRig></a:scene3d>'
    '<a:sp3d><a:bevelT w="63500" h="25400"/></a:sp3d></a:effectStyle></a:effectStyleLst>'
    '<a:bgFillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:gradFill rotWithShape="1">'
    '<a:gsLst><a:gs pos="0"><a:schemeClr val="phClr"><a:tint val="40000"/><a:satMod val="350000"/>'
    '</a:schemeClr></a:gs><a:gs pos="40000"><a:schemeClr val="phClr"><a:tint val="45000"/>'
    '<a:shade val="99000"/><a:satMod val="350000"/></a:schemeClr></a:gs><a:gs pos="100000">'
    '<a:schemeClr val="phClr"><a:shade val="20000"/><a:satMod val="255000"/></a:schemeClr></a:gs>'
    '</a:gsLst><a:path path="circle"><a:fillToRect l="50000" t="-80000" r="50000" b="180000"/></a:path>'
    '</a:gradFill><a:gradFill rotWithShape="1"><a:gsLst><a:gs pos="0"><a:schemeClr val="phClr">'
    '<a:tint val="80000"/><a:satMod val="300000"/></a:schemeClr></a:gs><a:gs pos="100000">'
    '<a:schemeClr val="phClr"><a:shade val="30000"/><a:satMod val="200000"/></a:schemeClr></a:gs>'
    '</a:gsLst><a:path path="circle"><a:fillToRect l="50000" t="50000" r="50000" b="50000"/></a:path>'
    '</a:gradFill></a:bgFillStyleLst></a:fmtScheme></a:themeElements><a:objectDefaults/>'
    '<a:extraClrSchemeLst/></a:theme>'
)
