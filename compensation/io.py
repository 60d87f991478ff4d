"""Input and output at the edges: reading CSV/XLSX tables as Excel users write them, writing atomically."""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .problems import InputError

# Encodings tried in order. UTF-8 (with or without BOM) first; GB18030 is a superset of GBK and GB2312,
# which is what Excel on a Chinese-locale Windows writes for "CSV".
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def decode_csv_bytes(raw: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes; return (text, encoding used). Raises InputError naming the file if none fits."""
    for enc in CSV_ENCODINGS:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError(
        "cannot decode the file: it is neither UTF-8 nor GBK/GB18030; save it as 'CSV UTF-8' in Excel",
        "无法识别文件编码(既不是 UTF-8 也不是 GBK/GB18030),请在 Excel 中另存为“CSV UTF-8”",
        file=name,
    )


DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
MAX_BAD_ROWS = 20  # malformed rows listed one by one before the rest are counted


def sniff_delimiter(text: str) -> str:
    """The field delimiter of a CSV text, judged from its header line: the most frequent of comma,
    semicolon, tab and vertical bar outside quotes (Excel in many locales writes semicolons). Comma if none."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _malformed_rows(text: str, sep: str, name: str) -> InputError:
    """Rows with more fields than the header, numbered as in a spreadsheet (header = row 1)."""
    from .problems import Report

    rows = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    width, bad, row_no = None, [], 0
    rep = Report()
    try:
        for fields in rows:
            if not fields:
                continue
            row_no += 1
            if width is None:
                width = len(fields)
            elif len(fields) > width:
                bad.append((row_no, len(fields)))
    except csv.Error as exc:
        rep.error(f"malformed CSV near line {rows.line_num}: {exc}", "CSV 格式错误", file=name, row=row_no + 1)
        return InputError(rep)
    for row_no, n in bad[:MAX_BAD_ROWS]:
        rep.error(f"row has {n} fields but the header has {width}", f"该行有 {n} 个字段,表头只有 {width} 个",
                  file=name, row=row_no, expected=f"{width} fields ({DELIMITERS[sep]}-separated)", found=str(n))
    if len(bad) > MAX_BAD_ROWS:
        rep.error(f"... and {len(bad) - MAX_BAD_ROWS} more rows with too many fields",
                  f"……另有 {len(bad) - MAX_BAD_ROWS} 行字段过多", file=name)
    if not bad:
        rep.error("malformed CSV (unbalanced quotes?)", "CSV 格式错误(引号不成对?)", file=name)
    return InputError(rep)


def _header(df: pd.DataFrame, name: str, where: str) -> pd.DataFrame:
    """Take the first row of a table read without a header as its header: strip names, drop wholly blank
    unnamed columns (Excel leaves them), and refuse blank or repeated names, naming their positions."""
    from .problems import Report

    header = [str(c).strip().lstrip("\ufeff") for c in df.iloc[0].fillna("")]
    body = df.iloc[1:].fillna("").reset_index(drop=True)
    keep = [j for j, h in enumerate(header) if h or body.iloc[:, j].astype(str).str.strip().ne("").any()]
    header = [header[j] for j in keep]
    body = body.iloc[:, keep]
    rep = Report()
    for pos, h in enumerate(header, start=1):
        if not h:
            rep.error(f"column {pos} has values but no name in the header{where}",
                      f"第 {pos} 列有数据但表头为空", file=name, row=1, column=f"#{pos}")
    seen: dict[str, list[int]] = {}
    for pos, h in enumerate(header, start=1):
        if h:
            seen.setdefault(h, []).append(pos)
    for h, positions in seen.items():
        if len(positions) > 1:
            rep.error(f"column name appears more than once (columns {', '.join(map(str, positions))}){where}",
                      f"列名重复(第 {'、'.join(map(str, positions))} 列)", file=name, row=1, column=h)
    rep.raise_if_errors()
    body.columns = header
    return body


def _looks_two_row_header(df: pd.DataFrame) -> bool:
    """A header merged over two rows: the first row has blank cells (the merged cells' continuation) and the
    second row is all text (names, not values)."""
    if len(df) < 2:
        return False
    first = df.iloc[0].fillna("").astype(str).str.strip()
    second = df.iloc[1].fillna("").astype(str).str.strip()
    numeric = pd.to_numeric(second.str.replace(",", "", regex=False), errors="coerce").notna()
    return bool(first.eq("").any() and first.ne("").any() and second.ne("").all() and not numeric.any())


# File signatures of things people upload by mistake (a screenshot renamed .csv, a PDF of the table...)
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", ("a PNG image", "PNG 图片")), (b"\xff\xd8\xff", ("a JPEG image", "JPEG 图片")),
    (b"GIF87a", ("a GIF image", "GIF 图片")), (b"GIF89a", ("a GIF image", "GIF 图片")),
    (b"BM", ("a BMP image", "BMP 图片")), (b"%PDF", ("a PDF document", "PDF 文档")),
    (b"RIFF", ("a media file (RIFF/WebP)", "媒体文件(RIFF/WebP)")), (b"\x1f\x8b", ("a gzip archive", "gzip 压缩包")),
    (b"7z\xbc\xaf\x27\x1c", ("a 7-Zip archive", "7-Zip 压缩包")), (b"Rar!", ("a RAR archive", "RAR 压缩包")),
    (b"\x00\x00\x00", ("a binary file", "二进制文件")),
)


def not_a_table(raw: bytes) -> tuple[str, str] | None:
    """(English, Chinese) name of what a file is when its first bytes say it is not text, else None."""
    for magic, kind in SIGNATURES:
        if raw.startswith(magic) and not (magic == b"BM" and b"," in raw[:64]):
            return kind
    return None


def read_table(source, name: str | None = None, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table with every cell as text (validation converts types and reports problems).

    ``source`` is a path, or bytes / a file-like object (uploads) together with ``name``. CSV: UTF-8 or
    GB18030, delimiter detected (comma, semicolon, tab, vertical bar). XLSX: ``sheet`` (name or 0-based
    index; default the first). Row 1 is the header; blank or repeated column names are refused. What was
    read is kept in ``df.attrs['read']`` (encoding, delimiter, sheet, header row)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = name or str(path)
        if not path.exists():
            raise InputError("file not found", "文件不存在", file=name)
        if not path.is_file():
            raise InputError("not a file (a folder?)", "不是文件(是文件夹?)", file=name)
        raw = path.read_bytes()
    elif isinstance(source, bytes | bytearray):
        raw = bytes(source)
    else:
        raw = source.read()
    name = name or "<upload>"
    if not raw.strip():
        raise InputError("the file is empty", "文件为空", file=name)
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or raw[:4] == b"PK\x03\x04":
        df, info = _read_xlsx(raw, name, sheet)
    elif suffix == ".xls" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError("old .xls workbooks are not supported; save as .xlsx or CSV",
                         "不支持旧版 .xls 文件,请另存为 .xlsx 或 CSV", file=name)
    else:
        kind = not_a_table(raw)
        if kind:
            raise InputError(f"this is not a table but {kind[0]}: upload a CSV or XLSX file",
                             f"这不是表格文件,而是{kind[1]}:请上传 CSV 或 XLSX 文件", file=name)
        text, enc = decode_csv_bytes(raw, name)
        if "\x00" in text:
            raise InputError("the file holds NUL bytes: it is not a text (CSV) file", "文件含有空字节,不是 CSV 文本文件",
                             file=name)
        sep = sniff_delimiter(text)
        try:
            df = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
                             skipinitialspace=True, skip_blank_lines=True)
        except pd.errors.EmptyDataError:
            raise InputError("the file is empty", "文件为空", file=name) from None
        except pd.errors.ParserError:
            raise _malformed_rows(text, sep, name) from None
        info = {"format": "csv", "encoding": enc, "delimiter": DELIMITERS[sep], "header_row": 1}
        df = _header(df, name, "")
    df = df.fillna("")
    if df.empty:
        raise InputError("the file has a header but no data rows", "文件只有表头,没有数据行", file=name)
    df.attrs["read"] = info
    return df


def _read_xlsx(raw: bytes, name: str, sheet) -> tuple[pd.DataFrame, dict]:
    try:
        book = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for broken workbooks
        raise InputError(f"cannot read the workbook: {type(exc).__name__}: {exc}", "无法读取 Excel 工作簿",
                         file=name) from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is None:
            chosen = names[0]
        elif isinstance(sheet, int) or str(sheet).isdigit():
            idx = int(sheet)
            if not 0 <= idx < len(names):
                raise InputError(f"the workbook has no sheet number {idx} (it has {len(names)}: {', '.join(names)})",
                                 f"工作簿中没有第 {idx} 个工作表", file=name, key="sheet")
            chosen = names[idx]
        elif str(sheet) in names:
            chosen = str(sheet)
        else:
            raise InputError(f"the workbook has no sheet '{sheet}'; its sheets: {', '.join(names)}",
                             f"工作簿中没有名为 '{sheet}' 的工作表;现有:{'、'.join(names)}", file=name, key="sheet")
        try:
            df = pd.read_excel(book, sheet_name=chosen, header=None, dtype=str)
        except Exception as exc:
            raise InputError(f"cannot read sheet '{chosen}': {type(exc).__name__}: {exc}",
                             f"无法读取工作表 '{chosen}'", file=name) from None
    where = f" (sheet '{chosen}', header row 1)"
    if df.dropna(how="all").empty:
        raise InputError(f"sheet '{chosen}' is empty" + ("" if sheet is not None or len(names) == 1 else
                         f"; the workbook's sheets: {', '.join(names)} (choose one)"),
                         f"工作表 '{chosen}' 为空", file=name)
    if _looks_two_row_header(df):
        raise InputError(f"the header of sheet '{chosen}' seems to span rows 1 and 2 (merged cells); ecocomp "
                         "reads one header row: unmerge and keep one row of column names",
                         f"工作表 '{chosen}' 的表头似乎占两行(合并单元格);请只保留一行列名", file=name, row=1)
    info = {"format": "xlsx", "sheet": chosen, "sheets": names, "header_row": 1}
    return _header(df, name, where), info


# --- YAML (scenario, method and agreement files) --------------------------------------------------------

YAML_MAX_BYTES = 10 * 1024 * 1024
YAML_MAX_DEPTH = 64  # nesting of mappings and lists
YAML_MAX_NODES = 200_000  # nodes after expanding aliases: a 'billion laughs' file is refused, not expanded


def read_yaml(path: str | os.PathLike, what: str = "file") -> object:
    """Read a YAML file safely: UTF-8 only, at most 10 MB, nesting at most 64 deep, at most 200,000 nodes
    once aliases are expanded (counted without expanding them), safe tags only. Every problem is an
    InputError naming the file (and line and column where YAML gives one)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > YAML_MAX_BYTES:
            raise InputError(f"the {what} is {size / 1e6:.1f} MB; at most {YAML_MAX_BYTES // 1024 // 1024} MB "
                             "is read", f"文件过大({size / 1e6:.1f} MB)", file=str(path))
        raw = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"the {what} is a folder, not a file", "这是文件夹,不是文件", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror or exc}", "无法读取文件", file=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"the {what} is not UTF-8 text (byte {exc.start}); save it as UTF-8",
                         "文件不是 UTF-8 编码,请另存为 UTF-8", file=str(path)) from None
    # the same text parsed before by this code: its document read back, without PyYAML
    from .cache import cached_document

    return cached_document(text, lambda: load_yaml_text(text, str(path), what))


def load_yaml_text(text: str, file: str = "", what: str = "file") -> object:
    """Parse YAML text with the limits of ``read_yaml``."""
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        depth = 0
        for event in yaml.parse(text, Loader=loader_cls):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > YAML_MAX_DEPTH:
                    line = f" (line {event.start_mark.line + 1})" if event.start_mark else ""
                    raise InputError(f"the {what} is nested more than {YAML_MAX_DEPTH} levels deep{line}",
                                     f"嵌套层数超过 {YAML_MAX_DEPTH}", file=file)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        loader = loader_cls(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            nodes = _expanded_nodes(node)
            if nodes > YAML_MAX_NODES:
                raise InputError(f"the {what} expands to {nodes:,} nodes through aliases (&anchor / *alias); "
                                 f"at most {YAML_MAX_NODES:,} are allowed", "别名展开后节点过多,已拒绝", file=file)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"not valid YAML{where}: {problem}", "YAML 格式错误", file=file) from None


def _expanded_nodes(root) -> int:
    """Node count of a YAML graph with every alias expanded, computed over the shared graph (memoised by node
    identity), so an alias bomb is measured in microseconds instead of being built."""
    import yaml

    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else list(node.value)
        if done:
            sizes[id(node)] = min(1 + sum(sizes.get(id(c), 1) for c in children), 10 ** 18)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


# --- names that become paths or sheet titles --------------------------------------------------------------

NAME_MAX = 100
_NAME_RE = re.compile(r"[\w\u4e00-\u9fff][\w\u4e00-\u9fff.+\- ]*")  # \w is Unicode-aware: 中文 names pass
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def model_file(name_or_path, folder: Path, what: tuple[str, str], name_word: tuple[str, str],
               listing: str) -> Path:
    """The YAML file a model reference means (a method, an agreement): a name (no .yaml/.yml suffix)
    resolves only inside ``folder``, so ``../agreements/x`` or ``/etc/passwd`` cannot reach elsewhere; a file
    elsewhere is used only when given as a path ending in .yaml. ``what`` and ``name_word`` are (en, zh),
    e.g. ("method", "方法") and ("a method name", "方法名称"); ``listing`` is the command that lists names."""
    p = Path(str(name_or_path))
    if p.suffix.lower() not in (".yaml", ".yml"):
        problem = name_problem(str(name_or_path))
        if problem:
            raise InputError(f"{what[0]} '{name_or_path}' is neither {name_word[0]} nor a .yaml file: {problem}",
                             f"{what[1]} '{name_or_path}' 既不是{name_word[1]},也不是 .yaml 文件",
                             expected=f"a name from `{listing}` or a path ending in .yaml")
        p = folder / f"{name_or_path}.yaml"
    if not p.is_file():
        known = ", ".join(m.stem for m in sorted(folder.glob("*.yaml")))
        raise InputError(f"unknown {what[0]} '{name_or_path}'; known {what[0]}s: {known}",
                         f"未知{what[1]} '{name_or_path}';可用{what[1]}:{known}", file=str(p))
    return p


def name_problem(name) -> str:
    """Why ``name`` cannot be a file or folder name (empty string if it can). A safe name is one path
    component: letters (any script), digits, '_', '-', '+', '.', inner spaces; it does not start with '.' or
    '-', has no separator, no '..', no control character, is no Windows device name, ≤ 100 characters."""
    if not isinstance(name, str):
        return f"a name must be text, found {type(name).__name__}"
    if not name:
        return "the name is empty"
    if len(name) > NAME_MAX:
        return f"the name is longer than {NAME_MAX} characters"
    if "/" in name or "\\" in name:
        return "a name cannot contain '/' or '\\' (no folders or absolute paths)"
    if ".." in name:
        return "a name cannot contain '..'"
    if name != name.strip():
        return "a name cannot start or end with a space"
    if not _NAME_RE.fullmatch(name):
        bad = sorted({c for c in name if not re.fullmatch(r"[\w.+\- ]", c)})
        if bad:
            return "a name cannot contain " + " ".join(repr(c) for c in bad)
        return "a name must start with a letter or digit"
    if name.split(".")[0].lower() in _WINDOWS_RESERVED:
        return f"'{name}' is a reserved device name on Windows"
    return ""


def check_name(name, what: str = "name", **where) -> str:
    """``name`` if it is a safe file or folder name (see ``name_problem``); else InputError naming ``what``."""
    problem = name_problem(name)
    if problem:
        raise InputError(f"{what} {name!r} cannot be used as a file name: {problem}",
                         f"{what} {name!r} 不能用作文件名:请只用字母、数字、汉字、_ - . +", found=repr(name),
                         expected="letters, digits, 中文, _ - . + (no '/', '\\', '..')", **where)
    return name


def slug(name, fallback: str = "unnamed") -> str:
    """A safe file-name part made from any text: unsafe characters become '_', leading dots and dashes go,
    cut to 100 characters. Use ``check_name`` for names a user chose; ``slug`` for names derived from data."""
    text = re.sub(r"[^\w\u4e00-\u9fff.+\-]+", "_", str(name)).replace("..", "_").lstrip(".-_ ")[:NAME_MAX]
    text = text.rstrip(" .")
    return text if text and not name_problem(text) else fallback


_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def sheet_titles(names) -> dict[str, str]:
    """Excel sheet title for each name: no ``[ ] : * ? / \\``, no leading or trailing apostrophe, not
    'History', at most 31 characters, unique ignoring case (a clash gets '~2', '~3' ...)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = _SHEET_BAD.sub("_", str(name)).strip("'").strip() or "sheet"
        if base.lower() == "history":
            base = "history_"
        title, k = base[:31], 1
        while title.lower() in used:
            k += 1
            title = f"{base[:31 - len(str(k)) - 1]}~{k}"
        used.add(title.lower())
        out[name] = title
    return out


def inside(path: str | os.PathLike, root: str | os.PathLike, what: str = "--out") -> Path:
    """``path`` if it lies inside the folder ``root`` (after resolving '..' and symbolic links); else
    InputError. Every output path made from a name goes through here before anything is written."""
    root_r = Path(root).resolve()
    path_r = Path(path).resolve()
    if path_r != root_r and root_r not in path_r.parents:
        raise InputError(f"output path {path} would lie outside {what} ({root}); refused",
                         f"输出路径 {path} 不在 {what}({root})之内,已拒绝", file=str(path))
    return Path(path)


def check_out_dir(root: str | os.PathLike, what: str = "--out") -> Path:
    """An output folder that exists as a folder (or can be made) and can be written to; checked before any
    computing so that a mistyped --out fails at once."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise InputError(f"{what} {root} is an existing file, not a folder", f"{what} {root} 是已有文件,不是文件夹",
                         file=str(root))
    probe = root
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{what} {root}: cannot write into {probe} (permission denied)",
                         f"{what} {root}:没有写入 {probe} 的权限", file=str(root))
    return root


def check_out_file(path: str | os.PathLike, what: str = "--out") -> Path:
    """An output file whose folder exists or can be made, and that is not a folder itself."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {path} is a folder; give a file name", f"{what} {path} 是文件夹,请给出文件名",
                         file=str(path))
    check_out_dir(path.parent if str(path.parent) else ".", what)
    return path


# --- spreadsheet formula injection ----------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d[\d,]*)?(\.\d+)?([eE][+-]?\d+)?%?")


def escape_formula(value):
    """A text cell that a spreadsheet would run as a formula (starts with = + - @ tab or CR), prefixed with
    an apostrophe so it is shown as text (OWASP CSV-injection guidance). Plain numbers such as '-0.5' and
    non-text values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not (
            any(ch.isdigit() for ch in value) and _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def _escaped_column(s: pd.Series) -> pd.Series | None:
    """``s`` with ``escape_formula`` applied, or None when no cell changes. Only the cells that start with a
    formula character are looked at one by one (found at once for string columns); the rest stay as they are."""
    if isinstance(s.dtype, pd.StringDtype):
        starts = s.str.startswith(FORMULA_START).to_numpy(dtype=bool, na_value=False)
    else:
        starts = np.fromiter((isinstance(v, str) and v.startswith(FORMULA_START) for v in s.to_numpy(dtype=object)),
                             dtype=bool, count=len(s))
    if not starts.any():
        return None
    rows = np.flatnonzero(starts)
    old = s.to_numpy(dtype=object)[rows]
    new = [escape_formula(v) for v in old]
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a is not b]
    if not changed:
        return None
    out = s.astype(object) if not isinstance(s.dtype, pd.StringDtype) else s.copy()
    out.iloc[rows[changed]] = [new[i] for i in changed]
    return out


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell and column name passed through ``escape_formula`` (a copy only if needed)."""
    cols = [j for j, t in enumerate(df.dtypes)
            if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t)
                    or pd.api.types.is_datetime64_any_dtype(t))]
    fixed = {j: col for j in cols if (col := _escaped_column(df.iloc[:, j])) is not None}
    names = [escape_formula(c) if isinstance(c, str) else c for c in df.columns]
    if not fixed and names == list(df.columns):
        return df
    out = df.copy()
    for j, col in fixed.items():
        out.isetitem(j, col)
    out.columns = names
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A table as CSV bytes: UTF-8 with BOM (Excel shows Chinese correctly), '\\n' line ends, formulas
    neutralised. The one CSV encoder of every export (files and downloads)."""
    from .csv_encode import encode  # pandas' bytes, built by arrow kernels (None: pandas writes them itself)

    df = escape_formulas(df)
    body = encode(df)
    if body is None:
        body = df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return b"\xef\xbb\xbf" + body


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """A workbook as bytes (downloads), made by the same writer as ``write_xlsx``, under the same row limit
    (``XLSX_MAX_ROWS``; InputError beyond)."""
    check_xlsx_rows(sheets)
    buf = io.BytesIO()
    _write_workbook(sheets, buf)
    return buf.getvalue()


# --- atomic writing -------------------------------------------------------------------------------------

def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write a file so that readers see either the old content or the whole new content, never a part."""
    atomic_write(path, lambda fh: fh.write(data))


def _clean_stale_parts(path: Path) -> None:
    """Remove ``.<name>.<pid>.*.part`` files left beside ``path`` by processes that no longer run."""
    for stale in path.parent.glob(f".{glob_escape(path.name)}.*.part"):
        pid = stale.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                stale.unlink()
            except OSError:
                pass


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def atomic_write(path: str | os.PathLike, writer: Callable, mode: str = "wb") -> None:
    """Call ``writer(fh)`` on a temporary file beside ``path``, fsync it, then rename it over ``path``.

    The temporary name carries the process id, so ``.part`` files of killed runs are recognised and removed
    by the next write to the same path. On any error (a full disk included) the temporary file is removed
    and the error is raised as InputError naming the file (OSError) or as it is."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_parts(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write into {path.parent}: {exc.strerror or exc}",
                         f"无法写入 {path.parent}:{exc.strerror or exc}", file=str(path)) from None
    try:
        with os.fdopen(fd, mode) as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are ordinary readable files
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise InputError(f"cannot write the file: {exc.strerror or exc}; nothing was kept",
                             f"无法写入文件:{exc.strerror or exc};未保留任何部分", file=str(path)) from None
        raise


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """CSV in UTF-8 with BOM (Excel shows Chinese correctly), written atomically, with '\\n' line ends;
    text cells that would run as formulas are written as text."""
    atomic_write_bytes(path, csv_bytes(df))


def parquet_table(df: pd.DataFrame):
    """``df`` as the Arrow table ``df.to_parquet(index=False)`` writes, with object columns as their text
    (Parquet has no column of mixed Python objects): the schema carries pandas' metadata, and ``df.attrs`` as
    ``PANDAS_ATTRS`` when there are any, exactly as pandas adds them."""
    import json

    import pyarrow as pa

    objects = [j for j, t in enumerate(df.dtypes) if t == np.dtype("O")]  # numpy's object dtype (not pandas' str)
    if objects:
        df = df.copy(deep=False)  # only the object columns are replaced; the others are not copied
        for j in objects:
            df.isetitem(j, df.iloc[:, j].astype(str))
    table = pa.Table.from_pandas(df, preserve_index=False, nthreads=1)  # the same table; run tables are small:
    # converting their columns in arrow's thread pool cost more than it saved (7.7 vs 5.3 ms CPU, county run)
    if df.attrs:
        table = table.replace_schema_metadata({**table.schema.metadata, "PANDAS_ATTRS": json.dumps(df.attrs)})
    return table


def write_parquet(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Parquet (snappy) of ``df`` without its index, the bytes of ``df.to_parquet(path, index=False)`` (object
    columns as text, ``parquet_table``), written by pyarrow directly: pandas' wrapper adds ~1 ms of checks and
    a file handle per table, and the run no longer copies each table first."""
    import pyarrow.parquet as pq

    pq.write_table(parquet_table(df), str(path), compression="snappy")


XLSX_MAX_ROWS = 100_000  # rows per sheet; beyond it CSV or Parquet (Excel's own limit is 1,048,576)
XLSX_ENGINES = ("xml", "xlsxwriter", "openpyxl")
# "xml": compensation.xlsx builds the sheet XML column by column (arrow string kernels): 9-15x faster than
# xlsxwriter on county_2023's workbook, measured by benchmarks/bench_export.py in the same run (docs/exports.md).
# The other two stay selectable (engine=) for comparison.
XLSX_ENGINE = "xml"


def check_xlsx_rows(sheets: dict[str, pd.DataFrame], path: str | os.PathLike = "") -> None:
    """Refuse a workbook with a sheet longer than ``XLSX_MAX_ROWS`` (before anything is written)."""
    for name, df in sheets.items():
        if len(df) > XLSX_MAX_ROWS:
            raise InputError(f"table '{name}' has {len(df):,} rows; XLSX output is limited to {XLSX_MAX_ROWS:,} rows "
                             f"per sheet: use CSV or Parquet for it (e.g. --formats csv,parquet)",
                             f"表 '{name}' 有 {len(df):,} 行,XLSX 每个工作表最多 {XLSX_MAX_ROWS:,} 行:请改用 CSV 或 "
                             f"Parquet(例如 --formats csv,parquet)", file=str(path))


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | os.PathLike, engine: str = XLSX_ENGINE) -> None:
    """One workbook, a sheet per table (titles made Excel-safe and unique, ≤ 31 characters), written
    atomically; text cells that would run as formulas are written as text. At most ``XLSX_MAX_ROWS`` rows per
    sheet (InputError beyond, before writing)."""
    check_xlsx_rows(sheets, path)
    atomic_write(path, lambda fh: _write_workbook(sheets, fh, engine))


SHARE_WORDS = ("share", "pct", "占比", "份额", "变化率")


def is_share_column(name) -> bool:
    """A column of fractions (0.25 = 25 %), shown as a percentage in workbooks."""
    text = str(name).lower()
    return any(w in text for w in SHARE_WORDS)


def _width(df: pd.DataFrame, col) -> float:
    return series_width(_first(df, col), col)


def series_width(s: pd.Series, name) -> float:
    """Column width in characters: the longest of the name and the first 200 values as text, plus 2, in 10–40."""
    width = max(len(str(name)), *(len(str(v)) for v in s.head(200).tolist())) if len(s) else len(str(name))
    return min(max(10, width + 2), 40)


def _first(df: pd.DataFrame, col) -> pd.Series:
    s = df[col]
    return s.iloc[:, 0] if isinstance(s, pd.DataFrame) else s  # a repeated column name: its first column


def _cells(series: pd.Series) -> list:
    """A column as plain Python values for the writer: NaN/NaT and infinities become empty cells."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(object).tolist()
    if pd.api.types.is_integer_dtype(series) and not series.isna().any():
        return series.astype("int64").tolist()
    if pd.api.types.is_numeric_dtype(series):
        v = pd.to_numeric(series, errors="coerce").astype(float)
        return [None if x != x or x in (float("inf"), float("-inf")) else x for x in v.tolist()]
    return [None if (x is None or (isinstance(x, float) and x != x) or x is pd.NA) else
            (x if isinstance(x, str | int | float) else str(x)) for x in series.astype(object).tolist()]


def _write_xlsxwriter(sheets: dict[str, pd.DataFrame], titles: dict[str, str], fh) -> None:
    """Column by column with xlsxwriter (no per-cell formatting in Python): a bold header row, one number
    format per numeric column. No string is turned into a formula, a link or a number by the writer."""
    import xlsxwriter

    book = xlsxwriter.Workbook(fh, {"strings_to_formulas": False, "strings_to_urls": False,
                                    "strings_to_numbers": False, "in_memory": True})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "top"})
    fmt_int = book.add_format({"num_format": "#,##0"})
    fmt_float = book.add_format({"num_format": "#,##0.00"})
    fmt_share = book.add_format({"num_format": "0.0%"})
    for name, df in sheets.items():
        df = escape_formulas(df)
        ws = book.add_worksheet(titles[name])
        ws.write_row(0, 0, [str(c) for c in df.columns], head)
        fmts = {"#,##0": fmt_int, "#,##0.00": fmt_float, "0.0%": fmt_share, None: None}
        for j, col in enumerate(df.columns):
            s = df[col]
            fmt = fmts[column_format(df, col)]
            ws.set_column(j, j, _width(df, col), fmt)
            numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            put = ws.write_number if numeric else ws.write
            for i, v in enumerate(_cells(s), start=1):
                if v is not None:
                    put(i, j, v)
    book.close()


def column_format(df: pd.DataFrame, col) -> str | None:
    return series_format(_first(df, col), col)


def series_format(s: pd.Series, name) -> str | None:
    """The number format of a column in every workbook: #,##0 for integers, #,##0.00 for floats, 0.0% for
    float share columns; None for text, booleans and anything else."""
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_integer_dtype(s):
        return "#,##0"
    if pd.api.types.is_float_dtype(s):
        return "0.0%" if is_share_column(name) else "#,##0.00"
    return None


def _text_cell(value) -> str:
    return escape_formula(str(value))


def _write_xml(sheets: dict[str, pd.DataFrame], titles: dict[str, str], fh) -> None:
    """The fast writer (``compensation.xlsx``): formats, widths and escaping decided here as for the others."""
    from .xlsx import Sheet, write_workbook

    out = []
    for name, df in sheets.items():
        df = escape_formulas(df)
        cols = [(df.iloc[:, j], c) for j, c in enumerate(df.columns)]
        out.append(Sheet(titles[name], df, [series_format(s, c) for s, c in cols],
                         [series_width(s, c) for s, c in cols]))
    write_workbook(out, fh, text_of=_text_cell)


def _write_workbook(sheets: dict[str, pd.DataFrame], fh, engine: str = XLSX_ENGINE) -> None:
    if engine not in XLSX_ENGINES:
        raise ValueError(f"unknown XLSX engine {engine!r}: use one of {XLSX_ENGINES}")
    titles = sheet_titles(sheets)
    if engine == "xml":
        _write_xml(sheets, titles, fh)
        return
    if engine == "xlsxwriter":
        _write_xlsxwriter(sheets, titles, fh)
        return
    with pd.ExcelWriter(fh, engine="openpyxl") as xw:
        for name, df in sheets.items():
            title = titles[name]
            df = escape_formulas(df)
            df.to_excel(xw, sheet_name=title, index=False)
            ws = xw.sheets[title]
            for j, col in enumerate(df.columns, start=1):
                ws.column_dimensions[ws.cell(1, j).column_letter].width = _width(df, col)
                fmt = column_format(df, col)
                if fmt:
                    for cells in ws.iter_cols(min_col=j, max_col=j, min_row=2):
                        for c in cells:
                            c.number_format = fmt


def write_table(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write one table by the file's suffix: .csv, .xlsx or .parquet."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        write_csv(df, path)
    elif suffix == ".xlsx":
        write_xlsx({"table": df}, path)
    elif suffix == ".parquet":
        atomic_write(path, lambda fh: df.to_parquet(fh, index=False))
    else:
        raise InputError(f"unknown output format '{suffix}': use .csv, .xlsx or .parquet",
                         f"未知的输出格式 '{suffix}':请用 .csv、.xlsx 或 .parquet", file=str(path))


def ensure_new_file(path: str | os.PathLike, overwrite: bool = False) -> None:
    """Refuse to overwrite an earlier result silently."""
    if Path(path).exists() and not overwrite:
        raise InputError("output file exists already; choose another name or pass --overwrite",
                         "输出文件已存在;请换一个文件名或使用 --overwrite", file=str(path))


class FolderExists(FileExistsError):
    """``atomic_folder``'s target appeared while the folder was being built (an identical run at the same
    time finished first). The temporary folder has been removed; the caller decides (run: already computed)."""


@contextmanager
def atomic_folder(final: str | os.PathLike, replace: bool = False) -> Iterator[Path]:
    """Build a folder under a hidden temporary name and rename it to ``final`` only when the block ends
    without error: readers never see a half-written folder. Temporary folders of killed processes with the
    same target are removed first; on any error (or interrupt) the temporary folder is removed. If ``final``
    exists by the time of the rename (a concurrent run), ``FolderExists`` is raised and nothing is changed.
    With ``replace`` an existing ``final`` is swapped out (renamed aside, the new folder renamed in, the old
    one removed): readers see the old folder or the new one, whole."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(f".{final.name}.tmp-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        if replace and final.exists():
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(final, old)
            os.rename(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
            return
        try:
            os.rename(tmp, final)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST) or final.exists():
                raise FolderExists(str(final)) from None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
