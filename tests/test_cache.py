"""The content-addressed cache of the synthetic county set (compensation/cache.py): a cached table is the freshly
built one exactly; a damaged, truncated, foreign or stale entry is never used; a cache that cannot be written
costs only the rebuild."""

from __future__ import annotations

import pandas as pd
import pytest

from compensation import cache, synth
from compensation.data import COUNTY_SKELETON, DEFAULT_REGIONS
from compensation.problems import Problem


@pytest.fixture
def folder(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(d))
    monkeypatch.delenv(cache.ENV_SWITCH, raising=False)
    return d


@pytest.fixture(scope="module")
def fresh():
    """The synthetic county set built and validated from scratch (no cache involved)."""
    return synth.build_synthetic(seed=11, scale=1)[1]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)  # values, dtypes, column order, index
    assert list(a.dtypes.astype(str)) == list(b.dtypes.astype(str))
    assert a.attrs.get("problems") == b.attrs.get("problems")


def _entry(folder):
    files = sorted(folder.glob("synthetic_counties-*.arrow"))
    assert len(files) == 1, files
    return files[0]


def _no_build(monkeypatch):
    def fail(*a, **k):
        raise AssertionError("rebuilt although a valid entry is cached")

    monkeypatch.setattr(synth, "build_synthetic", fail)


def test_cached_table_equals_the_freshly_built_one_exactly(folder, fresh, monkeypatch):
    first = synth.synthetic_counties(seed=11)  # built, then stored
    _same(first, fresh)
    _entry(folder)
    _no_build(monkeypatch)
    second = synth.synthetic_counties(seed=11)  # read back: the build is not called again
    _same(second, fresh)
    second.loc[0, "land_area_km2"] = -1.0  # each call gives its own frame
    _same(synth.synthetic_counties(seed=11), fresh)


def test_problems_survive_the_round_trip(folder):
    t = pd.DataFrame({"a": [1.5, float("nan")], "b": ["x", ""]})
    t.attrs["problems"] = [Problem("warning", "odd value", "数值异常", file="f.csv", row=3, column="a",
                                   region="110000 北京市", found="1.5")]
    cache.write(folder, "t", "k" * 64, t)
    back = cache.read(folder, "t", "k" * 64)
    _same(back, t)


@pytest.mark.parametrize("damage", ["flip_payload_byte", "truncate", "flip_header_sha", "empty", "other_key"])
def test_a_damaged_or_foreign_entry_is_rebuilt_and_rewritten(folder, fresh, damage):
    synth.synthetic_counties(seed=11)
    path = _entry(folder)
    raw = bytearray(path.read_bytes())
    if damage == "flip_payload_byte":
        raw[-100] ^= 0x01
    elif damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "flip_header_sha":
        i = raw.index(b'"sha256": "') + len(b'"sha256": "')
        raw[i] = ord("0") if raw[i] != ord("0") else ord("1")
    elif damage == "empty":
        raw = bytearray()
    elif damage == "other_key":  # a whole, intact entry of another table under this name
        other = synth.build_synthetic(seed=12, scale=1)[1]
        raw = bytearray(cache.encode(other, "0" * 64))
    path.write_bytes(bytes(raw))
    key = cache.cache_key("synthetic_counties", {"seed": 11, "scale": 1}, [DEFAULT_REGIONS, COUNTY_SKELETON])
    assert path == cache.entry_path(folder, "synthetic_counties", key)
    assert cache.decode(bytes(raw), key) is None  # the damaged entry is refused ...
    _same(synth.synthetic_counties(seed=11), fresh)  # ... so rebuilt: the same numbers
    assert path.read_bytes() != bytes(raw)  # and the entry rewritten whole
    _same(cache.read(folder, "synthetic_counties", key), fresh)


def test_the_key_follows_every_input(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n")
    b.write_text("y\n2\n")
    k = cache.cache_key("t", {"seed": 1, "scale": 1}, [a, b])
    assert k == cache.cache_key("t", {"seed": 1, "scale": 1}, [a, b])
    assert k != cache.cache_key("t", {"seed": 2, "scale": 1}, [a, b])
    assert k != cache.cache_key("t", {"seed": 1, "scale": 2}, [a, b])
    assert k != cache.cache_key("u", {"seed": 1, "scale": 1}, [a, b])
    a.write_text("x\n1.0\n")  # a data file edited: another key, so the old entry is never read
    assert k != cache.cache_key("t", {"seed": 1, "scale": 1}, [a, b])


def test_the_key_follows_the_code(tmp_path, monkeypatch):
    f = tmp_path / "a.csv"
    f.write_text("x\n")
    k = cache.cache_key("t", {}, [f])
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another version of the code")
    assert cache.cache_key("t", {}, [f]) != k


def test_an_unwritable_cache_folder_only_costs_the_rebuild(tmp_path, monkeypatch, fresh):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.ENV_DIR, str(blocker / "cache"))
    _same(synth.synthetic_counties(seed=11), fresh)
    assert blocker.read_text() == "not a folder"
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]


def test_cache_off_writes_nothing(folder, monkeypatch, fresh):
    monkeypatch.setenv(cache.ENV_SWITCH, "off")
    _same(synth.synthetic_counties(seed=11), fresh)
    assert not folder.exists()


def test_no_temporary_file_is_left_behind(folder):
    synth.synthetic_counties(seed=11)
    assert [p.name.endswith(".arrow") for p in folder.iterdir()] == [True]


def test_the_folder_keeps_only_the_most_recently_used_entries(folder, monkeypatch):
    import os

    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    t = pd.DataFrame({"a": [1.0]})
    for i in range(5):
        cache.write(folder, "t", str(i) * 64, t)
        os.utime(cache.entry_path(folder, "t", str(i) * 64), (1000 + i, 1000 + i))  # written in this order
    cache.prune(folder, "t", keep=3)
    left = sorted(p.name for p in folder.glob("t-*.arrow"))
    assert left == [cache.entry_path(folder, "t", str(i) * 64).name for i in (2, 3, 4)]
    assert cache.read(folder, "t", "2" * 64) is not None  # reading marks the oldest as recently used ...
    cache.write(folder, "t", "9" * 64, t)  # ... so the next write prunes entry 3, not entry 2
    assert sorted(p.name for p in folder.glob("t-*.arrow")) == sorted(
        cache.entry_path(folder, "t", str(i) * 64).name for i in (2, 4, 9))
