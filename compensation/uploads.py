"""Uploaded files: a size limit checked before anything is parsed, and a private, content-addressed store.

- Size: ``MAX_UPLOAD_BYTES`` (default 50 MB; ``ECOCOMP_MAX_UPLOAD_MB`` changes it). ``read_limited`` reads at
  most that many bytes plus one from a file-like object, so a larger upload is refused with a message naming
  the file and both sizes, without holding the whole of it in memory.
- Store: ``UploadStore`` keeps each upload under the SHA-256 of its content (``<sha256><suffix>``) in a folder
  only this user can open (mode 0700). Two uploads with the same name but different content are two files;
  the same content is one file. Reading back checks the hash again, so a file changed on disk is never taken
  for the upload it replaced. ``UploadStore()`` without a root is private to this process: a fresh temporary
  folder removed when the process exits; with a root (the front end's ``ECOCOMP_UI_DATA``) uploads outlive the
  process, so a shared link can find them again by hash.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from .io import atomic_write_bytes
from .problems import InputError

DEFAULT_MAX_UPLOAD_MB = 50
SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt", ".yaml", ".yml")


def max_upload_bytes() -> int:
    """The upload size limit in bytes: ``ECOCOMP_MAX_UPLOAD_MB`` (a positive number) or 50 MB."""
    text = os.environ.get("ECOCOMP_MAX_UPLOAD_MB", "")
    try:
        mb = float(text) if text else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        mb = DEFAULT_MAX_UPLOAD_MB
    if not 0 < mb < 1e6:
        mb = DEFAULT_MAX_UPLOAD_MB
    return int(mb * 1024 * 1024)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


def check_upload_size(size: int, name: str, limit: int | None = None) -> None:
    """Refuse an upload of ``size`` bytes above the limit, before it is read or parsed."""
    limit = max_upload_bytes() if limit is None else limit
    if size > limit:
        raise InputError(f"the file is {_mb(size)}; uploads are limited to {_mb(limit)} (set ECOCOMP_MAX_UPLOAD_MB "
                         "to change the limit, or use the command line for large files)",
                         f"文件大小 {_mb(size)},超过上传上限 {_mb(limit)}(可用 ECOCOMP_MAX_UPLOAD_MB 调整,或改用命令行)",
                         file=name, found=_mb(size), expected=f"≤ {_mb(limit)}")


def read_limited(source, name: str, limit: int | None = None) -> bytes:
    """The bytes of an upload (bytes, or a file-like object such as Streamlit's UploadedFile), refused if
    larger than the limit. Reads at most limit + 1 bytes."""
    limit = max_upload_bytes() if limit is None else limit
    if isinstance(source, bytes | bytearray):
        check_upload_size(len(source), name, limit)
        return bytes(source)
    size = getattr(source, "size", None)
    if isinstance(size, int):
        check_upload_size(size, name, limit)
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read(limit + 1)
    check_upload_size(len(data), name, limit)
    return data


class UploadStore:
    """Uploads kept by content hash in a private folder (see the module docstring)."""

    def __init__(self, root: str | os.PathLike | None = None):
        if root is None:
            self.folder = Path(tempfile.mkdtemp(prefix=f"ecocomp-uploads-{os.getpid()}-"))  # mode 0700
            atexit.register(shutil.rmtree, self.folder, True)
        else:
            self.folder = Path(root)
            self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)

    def put(self, data: bytes, name: str) -> tuple[str, Path]:
        """Keep ``data``; return (sha256, path). The original name only decides the suffix."""
        sha = hashlib.sha256(data).hexdigest()
        suffix = Path(str(name)).suffix.lower()
        path = self.folder / f"{sha}{suffix if suffix in SUFFIXES else '.csv'}"
        if not (path.is_file() and self._sha(path) == sha):  # absent, or changed on disk: write it (again)
            atomic_write_bytes(path, data)
            os.chmod(path, 0o600)
        return sha, path

    def path(self, sha: str) -> Path | None:
        """The stored file whose content has this full sha256 (checked again now), or None."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha or ""):
            return None
        for path in sorted(self.folder.glob(f"{sha}.*")):
            if path.suffix in SUFFIXES and self._sha(path) == sha:
                return path
        return None

    @staticmethod
    def _sha(path: Path) -> str:
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return ""
