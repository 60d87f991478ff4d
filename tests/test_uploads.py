"""Uploads (issue #10): a size limit checked before parsing, and a private content-addressed store."""

from __future__ import annotations

import io
import stat

import pytest

from compensation.problems import InputError
from compensation.uploads import UploadStore, max_upload_bytes, read_limited


def test_default_limit_is_50_mb_and_configurable(monkeypatch):
    monkeypatch.delenv("ECOCOMP_MAX_UPLOAD_MB", raising=False)
    assert max_upload_bytes() == 50 * 1024 * 1024
    monkeypatch.setenv("ECOCOMP_MAX_UPLOAD_MB", "2")
    assert max_upload_bytes() == 2 * 1024 * 1024
    monkeypatch.setenv("ECOCOMP_MAX_UPLOAD_MB", "nan")  # a bad setting falls back to the default
    assert max_upload_bytes() == 50 * 1024 * 1024


def test_too_large_upload_is_refused_before_reading_it_all():
    class Upload(io.BytesIO):
        size = 3 * 1024 * 1024
        read_calls: list[int] = []

        def read(self, n=-1):
            self.read_calls.append(n)
            return super().read(n)

    up = Upload(b"x" * Upload.size)
    with pytest.raises(InputError) as err:
        read_limited(up, "big.csv", limit=1024 * 1024)
    p = err.value.report.errors[0]
    assert p.file == "big.csv" and "the file is 3.0 MB; uploads are limited to 1.0 MB" in p.message_en
    assert Upload.read_calls == []  # the declared size was enough to refuse it
    with pytest.raises(InputError, match="uploads are limited to 1.0 KB"):
        read_limited(io.BytesIO(b"y" * 1025), "pasted.csv", limit=1024)  # no size attribute: read limit + 1
    assert read_limited(io.BytesIO(b"a,b\n1,2\n"), "ok.csv", limit=1024) == b"a,b\n1,2\n"


def test_store_is_private_and_content_addressed(tmp_path):
    store = UploadStore()  # private to this process: a fresh 0700 folder, removed at exit
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    sha_a, path_a = store.put(b"adcode\n110000\n", "regions.csv")
    sha_b, path_b = store.put(b"adcode\n120000\n", "regions.csv")  # same name, other content: another file
    assert sha_a != sha_b and path_a != path_b and path_a.name == f"{sha_a}.csv"
    assert store.put(b"adcode\n110000\n", "again.csv") == (sha_a, path_a)  # same content: the same file
    path_a.write_bytes(b"adcode\n999999\n")  # changed on disk behind the store's back
    assert store.path(sha_a) is None  # never taken for the upload it replaced
    assert store.put(b"adcode\n110000\n", "regions.csv")[1].read_bytes() == b"adcode\n110000\n"
    assert store.path(sha_a) == path_a
    assert store.path("../" + sha_a) is None and store.path("0" * 63) is None
    shared = UploadStore(tmp_path / "uploads")  # the front end's persistent folder, also 0700
    assert stat.S_IMODE((tmp_path / "uploads").stat().st_mode) == 0o700
    assert stat.S_IMODE(shared.put(b"x", "x.csv")[1].stat().st_mode) == 0o600
