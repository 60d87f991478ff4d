"""A content-addressed cache for tables that take long to rebuild and are wholly decided by their inputs (today:
the synthetic county set, ``compensation/synth.py``, rebuilt and validated on every run otherwise), and for the
parsed YAML documents of model and scenario files (``cached_document``: PyYAML's import alone costs ~15 ms of a
run, its parsing a few more).

**Key.** SHA-256 over a canonical JSON of everything the table is built from: the builder's name and arguments,
a fingerprint of the package's own source code (``code_fingerprint``), the SHA-256 of every data file read, and
the numpy, pandas and pyarrow versions (another random stream or parser could give other numbers). A changed
input gives another key, so another file: an old entry is never read for new inputs.

**File.** ``<cache folder>/<name>-<key[:32]>.arrow`` (a table) or ``yaml-<key[:32]>.json`` (a document)::

    b"ECOCOMP-CACHE 1\\n" | 8-byte big-endian header length | header (JSON) | payload (Arrow IPC / Feather, or
    the document as tagged JSON)

The header holds the format version, the full key, the payload's SHA-256 and length, and the problems found when
the table was built (``table.attrs['problems']``). On reading, the magic, the key and the payload's SHA-256 must
all match, and the payload must parse; anything else (missing, truncated or edited file, another format, a
read error) means "not cached": the caller rebuilds and the file is rewritten. Writes go to a temporary file in
the same folder that is renamed over the entry (``os.replace``): a reader sees the old file or the whole new one.

**Folder.** ``$ECOCOMP_CACHE_DIR``, else ``$XDG_CACHE_HOME/ecocomp``, else ``~/.cache/ecocomp``;
``ECOCOMP_CACHE=off`` turns the cache off; at most ``MAX_ENTRIES`` entries per table are kept (the least recently
used go first). A folder that cannot be created or written only costs the rebuild:
the cache is never a reason for a command to fail, and never a source of other numbers (the tests compare a
cached and a freshly built table exactly)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import os
import struct
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .problems import Problem

MAGIC = b"ECOCOMP-CACHE 1\n"
FORMAT = 1
ENV_DIR = "ECOCOMP_CACHE_DIR"
ENV_SWITCH = "ECOCOMP_CACHE"  # "off" (or 0/no/false) disables the cache
MAX_ENTRIES = 16  # per table name; older entries (other seeds, scales, earlier code) are removed on writing
PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is turned off."""
    if os.environ.get(ENV_SWITCH, "").strip().lower() in ("off", "0", "no", "false"):
        return None
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ecocomp"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the package's own source files: a changed calculation never reuses an old run folder or
    cached table. Computed once per process (the source does not change while a command runs)."""
    h = hashlib.sha256()
    for f in sorted(PACKAGE.rglob("*.py")):
        h.update(str(f.relative_to(PACKAGE)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cache_key(name: str, args: dict, files: list[str | os.PathLike]) -> str:
    """The key of a table built by ``name`` from ``args`` and the content of ``files`` with this code."""
    import numpy as np
    import pyarrow

    payload = {"format": FORMAT, "name": name, "args": args, "code": code_fingerprint(),
               "files": {Path(f).name: file_sha256(f) for f in files},
               "versions": {"numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pyarrow.__version__}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def entry_path(folder: Path, name: str, key: str, suffix: str = ".arrow") -> Path:
    return folder / f"{name}-{key[:32]}{suffix}"


def _pack(payload: bytes, key: str, **extra) -> bytes:
    header = json.dumps({"format": FORMAT, "key": key, "sha256": hashlib.sha256(payload).hexdigest(),
                         "bytes": len(payload), **extra}, ensure_ascii=False).encode("utf-8")
    return MAGIC + struct.pack(">Q", len(header)) + header + payload


def _unpack(raw: bytes, key: str) -> tuple[dict, bytes] | None:
    """(header, payload) of a whole, unaltered entry for ``key``; None otherwise."""
    if not raw.startswith(MAGIC) or len(raw) < len(MAGIC) + 8:
        return None
    start = len(MAGIC) + 8
    (n,) = struct.unpack(">Q", raw[len(MAGIC):start])
    try:
        header = json.loads(raw[start:start + n].decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    payload = raw[start + n:]
    if (not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key
            or header.get("bytes") != len(payload) or header.get("sha256") != hashlib.sha256(payload).hexdigest()):
        return None
    return header, payload


def encode(table: pd.DataFrame, key: str) -> bytes:
    """The cache file's bytes for ``table`` (its ``attrs['problems']`` go into the header)."""
    buf = io.BytesIO()
    plain = table.copy(deep=False)
    plain.attrs = {}
    plain.to_feather(buf)
    return _pack(buf.getvalue(), key, problems=[asdict(p) for p in table.attrs.get("problems", [])])


def decode(raw: bytes, key: str) -> pd.DataFrame | None:
    """The table in ``raw`` if it is a whole, unaltered entry for ``key``; None otherwise."""
    unpacked = _unpack(raw, key)
    if unpacked is None:
        return None
    header, payload = unpacked
    try:
        table = pd.read_feather(io.BytesIO(payload))
        problems = [Problem(**p) for p in header.get("problems", [])]
    except Exception:  # a payload that passed the hash but does not parse (another pyarrow): rebuild
        return None
    table.attrs["problems"] = problems
    return table


def read(folder: Path, name: str, key: str) -> pd.DataFrame | None:
    path = entry_path(folder, name, key)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    table = decode(raw, key)
    if table is not None:
        _touch(path)
    return table


def _touch(path: Path) -> None:
    """Mark an entry recently used (its modification time): kept when older entries are pruned."""
    try:
        os.utime(path)
    except OSError:
        pass


def prune(folder: Path, name: str, keep: int | None = None, suffix: str = ".arrow") -> None:
    """Remove all but the ``keep`` (default ``MAX_ENTRIES``) most recently used entries of ``name`` (each code
    change or seed makes a new entry; the folder must not grow without bound)."""
    keep = MAX_ENTRIES if keep is None else keep
    try:
        entries = sorted(folder.glob(f"{name}-*{suffix}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for p in entries[keep:]:
            p.unlink()
    except OSError:  # another process pruned first, or the folder is read-only: nothing to do
        pass


def write(folder: Path, name: str, key: str, table: pd.DataFrame | None, *, raw: bytes | None = None,
          suffix: str = ".arrow", keep: int | None = None) -> bool:
    """Write the entry (``table``, or an entry's bytes ``raw``) atomically; False (and nothing left behind) if the
    folder is not writable."""
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(encode(table, key) if raw is None else raw)
        os.replace(tmp, entry_path(folder, name, key, suffix))
        prune(folder, name, keep, suffix)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


def cached_table(name: str, args: dict, files: list[str | os.PathLike],
                 build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``build()``'s table, read from the cache when an entry for the same inputs is there and intact, else
    built and stored. The result is a new frame each call (callers may change it)."""
    folder = cache_dir()
    if folder is None:
        return build()
    key = cache_key(name, args, files)
    table = read(folder, name, key)
    if table is not None:
        return table
    table = build()
    write(folder, name, key, table)
    return table


# --- parsed YAML documents --------------------------------------------------------------------------------

DOC_NAME, DOC_SUFFIX = "yaml", ".json"
MAX_DOCUMENTS = 64  # model and scenario files are small; a user's working set of them is larger than 16


class _Untaggable(Exception):
    """A value the tagged JSON below cannot hold exactly: the document is then not cached."""


def _tag(x):
    """A YAML document (what PyYAML's safe loader builds) as JSON that ``_untag`` turns back into an equal object
    of the same types: mappings as lists of [key, value] pairs (any key type, key order kept), tuples, sets,
    bytes, dates and datetimes tagged; floats as JSON numbers (Python's repr, so exact; NaN and ±Infinity too)."""
    if x is None or isinstance(x, bool | str):
        return x
    if isinstance(x, int | float) and type(x) in (int, float):
        return x
    if type(x) is list:
        return [_tag(v) for v in x]
    if type(x) is dict:
        return {"m": [[_tag(k), _tag(v)] for k, v in x.items()]}
    if type(x) is tuple:
        return {"t": [_tag(v) for v in x]}
    if type(x) is set:
        return {"s": [_tag(v) for v in x]}
    if type(x) is bytes:
        return {"b": base64.b64encode(x).decode("ascii")}
    if type(x) is datetime.datetime:
        return {"dt": x.isoformat()}
    if type(x) is datetime.date:
        return {"d": x.isoformat()}
    raise _Untaggable(type(x).__name__)


def _untag(x):
    if type(x) is list:
        return [_untag(v) for v in x]
    if type(x) is not dict:
        return x
    (tag, value), = x.items()
    if tag == "m":
        return {_untag(k): _untag(v) for k, v in value}
    if tag == "t":
        return tuple(_untag(v) for v in value)
    if tag == "s":
        return {_untag(v) for v in value}
    if tag == "b":
        return base64.b64decode(value)
    if tag == "dt":
        return datetime.datetime.fromisoformat(value)
    if tag == "d":
        return datetime.date.fromisoformat(value)
    raise ValueError(f"unknown tag {tag!r}")


@lru_cache(maxsize=1)
def _parser_versions() -> dict:
    """What else decides a parse: PyYAML's version (read from its metadata, not imported) and the cache format."""
    return {"pyyaml": installed_version("PyYAML", "yaml"), "format": FORMAT}


def document_key(text: str) -> str:
    payload = {"kind": "yaml", "text": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
               "code": code_fingerprint(), **_parser_versions()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def cached_document(text: str, parse: Callable[[], object]) -> object:
    """``parse()``'s document for the YAML ``text``: read from the cache when the same text was parsed before by
    this code and this PyYAML, else parsed (every check and error of the parser as usual: a text that fails is
    never stored) and stored. A new object each call (callers may change it)."""
    folder = cache_dir()
    if folder is None:
        return parse()
    key = document_key(text)
    path = entry_path(folder, DOC_NAME, key, DOC_SUFFIX)
    doc = _read_document(path, key)
    if doc is not _NOT_CACHED:
        _touch(path)
        return doc
    doc = parse()
    try:
        payload = json.dumps(_tag(doc), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (_Untaggable, RecursionError, ValueError):
        return doc
    write(folder, DOC_NAME, key, None, raw=_pack(payload, key), suffix=DOC_SUFFIX, keep=MAX_DOCUMENTS)
    return doc


_NOT_CACHED = object()  # (a document may itself be None: an empty file)


def _read_document(path: Path, key: str):
    """The document of the entry at ``path`` if it is a whole, unaltered entry for ``key`` that decodes, else
    ``_NOT_CACHED`` (no file, a damaged one, or one that passed the hash but is not ours: parsed again)."""
    try:
        unpacked = _unpack(path.read_bytes(), key)
        if unpacked is not None:
            return _untag(json.loads(unpacked[1].decode("utf-8")))
    except (OSError, ValueError, TypeError, UnicodeDecodeError):
        pass
    return _NOT_CACHED


def installed_version(name: str, module: str | None = None) -> str:
    """The version of the installed distribution ``name`` (its import name ``module``, default the same), from the
    ``Version:`` line of the ``METADATA`` in its ``<name>-<version>.dist-info`` folder beside the package (found
    without importing it); otherwise asked of
    ``importlib.metadata``, whose import and search of every path entry cost ~10 ms of a run; "unknown" if
    neither knows."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module or name)
        if spec is not None and spec.origin and spec.submodule_search_locations:  # an installed package
            site = Path(spec.origin).parent.parent
            prefix = name.lower().replace("-", "_") + "-"
            for entry in os.listdir(site):
                if entry.lower().startswith(prefix) and entry.endswith(".dist-info"):
                    with open(site / entry / "METADATA", encoding="utf-8") as fh:
                        for line in fh:
                            if line.startswith("Version:"):
                                return line.split(":", 1)[1].strip()
                            if not line.strip():  # the end of the headers
                                break
    except (OSError, ValueError, ImportError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"
