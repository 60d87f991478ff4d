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


# --- parsed YAML documents (cache.cached_document, used by io.read_yaml) ------------------------------------

EVERY_TYPE_YAML = """\
scenario: {name: 测试, title: "a: b", empty: "", none: null, tilde: ~}
numbers: [1, -0, 0x1F, 1_000, 12345678901234567890123, 1.5, -0.0, .inf, -.inf, .nan, 1e-7, 0.1]
flags: [true, false, yes, no]
keys: {1: int, 1.5: float, true: bool, null: none, 2023-01-01: date, "1": text}
when: {day: 2023-05-01, stamp: 2023-05-01T08:30:00Z, offset: 2023-05-01 08:30:00.250 +08:00, naive: 2023-05-01 08:30:00}
blob: !!binary aGVsbG8gd29ybGQ=
members: !!set {a, b, 3}
ordered: !!omap [{b: 1}, {a: 2}]
pairs: !!pairs [{x: 1}, {x: 2}]
anchors: {base: &b {floor: 0.95, list: [1, 2]}, again: *b}
nested: [[1, [2, [3, {deep: [4]}]]], {}, []]
multi: |
  line one
  line two
"""


def _same_doc(a, b, path="doc"):
    """Equal, and of the same types all the way down (True is not 1, a date is not a datetime, NaN is NaN)."""
    assert type(a) is type(b), (path, a, b)
    if isinstance(a, float) and a != a:
        assert b != b, path
    elif isinstance(a, dict):
        assert list(a) == list(b), path  # keys in order
        for (ka, va), kb in zip(a.items(), b, strict=True):
            _same_doc(ka, kb, f"{path} key")
            _same_doc(va, b[kb], f"{path}[{ka!r}]")
    elif isinstance(a, set):  # no order: the same members, of the same types
        assert a == b and sorted(map(repr, a)) == sorted(map(repr, b)), path
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            _same_doc(x, y, f"{path}[{k}]")
    else:
        assert a == b and repr(a) == repr(b), (path, a, b)


def test_a_cached_document_is_the_parsed_one_with_every_type(folder):
    from compensation.io import load_yaml_text

    parsed = load_yaml_text(EVERY_TYPE_YAML)
    calls = []

    def parse():
        calls.append(1)
        return load_yaml_text(EVERY_TYPE_YAML)

    first = cache.cached_document(EVERY_TYPE_YAML, parse)  # parsed, then stored
    second = cache.cached_document(EVERY_TYPE_YAML, parse)  # read back: not parsed again
    assert len(calls) == 1
    assert len(list(folder.glob("yaml-*.json"))) == 1
    for doc in (first, second):
        _same_doc(doc, parsed)
    assert second["anchors"]["again"] == second["anchors"]["base"]
    second["scenario"]["name"] = "changed"  # each call gives its own object
    _same_doc(cache.cached_document(EVERY_TYPE_YAML, parse), parsed)


def test_a_text_that_fails_to_parse_is_never_stored(folder):
    from compensation.io import load_yaml_text
    from compensation.problems import InputError

    bad = "a: [1, 2\nb: 3\n"
    folder.mkdir()
    for _ in range(2):
        with pytest.raises(InputError, match="not valid YAML"):
            cache.cached_document(bad, lambda: load_yaml_text(bad, "bad.yaml"))
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("damage", ["flip_payload_byte", "truncate", "other_key", "foreign_tag"])
def test_a_damaged_document_entry_is_parsed_again_and_rewritten(folder, damage):
    text = "a: 1\nb: [x, y]\n"
    cache.cached_document(text, lambda: {"a": 1, "b": ["x", "y"]})
    (path,) = folder.glob("yaml-*.json")
    key = cache.document_key(text)
    raw = bytearray(path.read_bytes())
    if damage == "flip_payload_byte":
        raw[-3] ^= 0x01
    elif damage == "truncate":
        raw = raw[:-4]
    elif damage == "other_key":
        raw = bytearray(cache._pack(b'{"m":[["a",2]]}', "0" * 64))
    elif damage == "foreign_tag":  # intact for the key, but not a document this module wrote
        raw = bytearray(cache._pack(b'{"zz":1}', key))
    path.write_bytes(bytes(raw))
    calls = []
    doc = cache.cached_document(text, lambda: calls.append(1) or {"a": 1, "b": ["x", "y"]})
    assert doc == {"a": 1, "b": ["x", "y"]} and calls == [1]
    assert cache.cached_document(text, lambda: pytest.fail("parsed although a valid entry is cached")) == doc


def test_the_document_key_follows_the_text_the_code_and_pyyaml(monkeypatch):
    k = cache.document_key("a: 1\n")
    assert k == cache.document_key("a: 1\n")
    assert k != cache.document_key("a: 2\n")
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another version of the code")
    k2 = cache.document_key("a: 1\n")
    assert k2 != k
    monkeypatch.setattr(cache, "_parser_versions", lambda: {"pyyaml": "0.0", "format": cache.FORMAT})
    assert cache.document_key("a: 1\n") != k2


def test_documents_with_the_cache_off_are_parsed_each_time(folder, monkeypatch):
    monkeypatch.setenv(cache.ENV_SWITCH, "off")
    calls = []
    for _ in range(2):
        assert cache.cached_document("a: 1\n", lambda: calls.append(1) or {"a": 1}) == {"a": 1}
    assert len(calls) == 2 and not folder.exists()


def test_a_scenario_read_twice_gives_the_same_resolved_scenario(folder, monkeypatch):
    from compensation import io as cio
    from compensation.scenario import load_scenario

    first = load_scenario("county_2023")  # files parsed, documents stored
    assert len(list(folder.glob("yaml-*.json"))) >= 2  # the scenario and the one it extends (and the method,
    # unless this process read it before: load_method keeps its result)
    monkeypatch.setattr(cio, "load_yaml_text", lambda *a, **k: pytest.fail("parsed although cached"))
    second = load_scenario("county_2023")  # documents read back, PyYAML not called
    _same_doc(second.spec, first.spec)
