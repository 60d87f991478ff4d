"""Input and output at the edges: reading CSV/XLSX tables as Excel users write them, writing atomically."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

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


def read_table(source, name: str | None = None, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table with every cell as text (validation converts types and reports problems).

    ``source`` is a path, or bytes / a file-like object (uploads) together with ``name``."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = name or str(path)
        if not path.exists():
            raise InputError("file not found", "文件不存在", file=name)
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
        try:
            df = pd.read_excel(io.BytesIO(raw), sheet_name=0 if sheet is None else sheet, dtype=str,
                               engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for broken workbooks
            raise InputError(f"cannot read the workbook: {exc}", "无法读取 Excel 工作簿", file=name) from None
    elif suffix == ".xls":
        raise InputError("old .xls workbooks are not supported; save as .xlsx or CSV",
                         "不支持旧版 .xls 文件,请另存为 .xlsx 或 CSV", file=name)
    else:
        text, _ = decode_csv_bytes(raw, name)
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except pd.errors.EmptyDataError:
            raise InputError("the file is empty", "文件为空", file=name) from None
        except pd.errors.ParserError as exc:
            raise InputError(f"malformed CSV: {exc}", "CSV 格式错误", file=name) from None
    df = df.fillna("")
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise InputError("the file has a header but no data rows", "文件只有表头,没有数据行", file=name)
    return df


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write a file so that readers see either the old content or the whole new content, never a part."""
    atomic_write(path, lambda fh: fh.write(data))


def atomic_write(path: str | os.PathLike, writer: Callable, mode: str = "wb") -> None:
    """Call ``writer(fh)`` on a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are ordinary readable files
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """CSV in UTF-8 with BOM (Excel shows Chinese correctly), written atomically, with '\\n' line ends."""
    data = df.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    atomic_write_bytes(path, data)


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | os.PathLike) -> None:
    """One workbook, a sheet per table (names cut to Excel's 31 characters), written atomically."""

    def writer(fh):
        with pd.ExcelWriter(fh, engine="openpyxl") as xw:
            for name, df in sheets.items():
                df.to_excel(xw, sheet_name=name[:31], index=False)
                ws = xw.sheets[name[:31]]
                for j, col in enumerate(df.columns, start=1):
                    width = max(len(str(col)), *(len(str(v)) for v in df[col].head(200))) if len(df) else len(str(col))
                    ws.column_dimensions[ws.cell(1, j).column_letter].width = min(max(10, width + 2), 40)
                    if pd.api.types.is_integer_dtype(df[col]):
                        for cell in ws.iter_cols(min_col=j, max_col=j, min_row=2):
                            for c in cell:
                                c.number_format = "#,##0"
                    elif pd.api.types.is_float_dtype(df[col]):
                        for cell in ws.iter_cols(min_col=j, max_col=j, min_row=2):
                            for c in cell:
                                c.number_format = "#,##0.00"

    atomic_write(path, writer)


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


@contextmanager
def atomic_folder(final: str | os.PathLike) -> Iterator[Path]:
    """Build a folder under a hidden temporary name and rename it to ``final`` only when the block ends
    without error: readers never see a half-written folder. Temporary folders of killed processes with the
    same target are removed first; on any error (or interrupt) the temporary folder is removed."""
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
        os.rename(tmp, final)
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
