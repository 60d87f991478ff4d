"""allocate()'s fast path (issue #14: end to end within 3× of its core at county scale) gives exactly what the
code before it gave.

The fast path reads each region column once as an array (``RegionColumns``), evaluates the method over arrays,
ranks adcodes from their bytes and builds the result table from arrays in one construction. The helpers are
checked here against the pandas expressions they replace, on ordinary and awkward columns. The whole is
checked against the code before the fast path itself: the allocation package of commit ``BASE`` (taken out of
git into a temporary folder) runs in a subprocess on the same region frames, and every table, status,
diagnostic, parameter and trace must be identical — every method file × province and county data × years ×
constraint settings with ``ECOCOMP_FAST_PATH_FULL=1`` (about 100 s), a cross-section otherwise (about 5 s)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compensation.allocation import Constraints, allocate
from compensation.allocation.api import _adcode_rank, code_keys
from compensation.allocation.inputs import RegionColumns
from compensation.allocation.methods import row_sums
from compensation.allocation.params import MODELS_DIR
from compensation.data import load_regions
from compensation.problems import InputError
from compensation.synth import synthetic_counties

ROOT = Path(__file__).resolve().parents[1]
BASE = "b026988"  # the last commit before the fast path (allocation package as it was)


def _odd_frame() -> pd.DataFrame:
    n = 6
    return pd.DataFrame({
        "f": [1.5, np.nan, -0.0, 2.0, np.inf, 3.0],
        "all_nan": np.full(n, np.nan),
        "i": np.arange(n, dtype=np.int64),
        "u8": np.arange(n, dtype=np.uint8),
        "b": [True, False] * 3,
        "f32": np.arange(n, dtype=np.float32) / 3,
        "obj_num": pd.Series(["1", "x", None, "2.5", "", "7"], dtype=object),
        "text": pd.array(["a", None, "c", "d", "e", "f"], dtype="str"),
        "text_empty": pd.array([None] * n, dtype="str"),
        "nullable": pd.array([1.0, None, 3.0, 4.0, None, 6.0], dtype="Float64"),
        "nullable_int": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
    })


FRAMES = {"odd": _odd_frame, "province": load_regions, "county": synthetic_counties}


@pytest.mark.parametrize("name", FRAMES)
@pytest.mark.parametrize("positional", [True, False])
def test_region_columns_equal_the_pandas_expressions(name, positional, monkeypatch):
    """present(c) is ``not frame[c].isna().all()``, floats(c) is ``pd.to_numeric(frame[c], errors='coerce')
    .to_numpy(dtype=float)`` bit for bit, with the positional read and without it."""
    frame = FRAMES[name]()
    if not positional:
        monkeypatch.setattr(pd.DataFrame, "_get_column_array", None, raising=False)
    cols = RegionColumns(frame)
    for c in frame.columns:
        assert cols.present(c) == (not frame[c].isna().all()), c
        try:
            expected = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
        except (TypeError, ValueError):
            continue  # a text column that is not numbers: neither reads it as numbers
        got = cols.floats(c)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes(), c
    assert not cols.present("no_such_column") and "no_such_column" not in cols


def test_region_columns_are_read_only_views():
    frame = synthetic_counties()
    before = frame["redline_total_km2"].to_numpy().copy()
    v = RegionColumns(frame).floats("redline_total_km2")
    with pytest.raises(ValueError):
        v[0] = 1.0
    assert np.array_equal(frame["redline_total_km2"].to_numpy(), before)


def _numpy_rank(codes) -> np.ndarray:
    return np.argsort(np.argsort(np.asarray(codes, dtype=str), kind="stable"), kind="stable")


def test_adcode_rank_is_the_rank_of_the_numpy_strings():
    """Random codes of one and of mixed lengths — digits up to 16 long (adcodes, township and village codes),
    Latin, Chinese, a mix with accents (the keyed path and the fallback): the rank is numpy's stable rank of the
    str array, which constrained.settle breaks ties by."""
    rng = np.random.default_rng(14)
    alphabets = [list("0123456789"), list("09aZ"), list("北京区"), list("0123456789aZé北京区"), list("0123456789")]
    keyed = 0
    for trial in range(500):
        kind = trial % 5
        lengths = (1, 17) if kind == 4 else (1, 3) if kind == 2 else (1, 5)
        one_length = kind != 4 and rng.random() < 0.5
        width = int(rng.integers(*lengths))
        codes = list({"".join(rng.choice(alphabets[kind], size=width if one_length else int(rng.integers(*lengths))))
                      for _ in range(int(rng.integers(1, 80)))})
        frame = pd.DataFrame({"adcode": pd.array(codes, dtype="str")})
        keyed += code_keys(frame["adcode"]) is not None
        rank = np.asarray(_adcode_rank(frame, RegionColumns(frame))[0])
        assert np.array_equal(_numpy_rank(rank) if rank.dtype.kind != "i" else rank, _numpy_rank(codes)), codes
    assert 250 < keyed < 500  # both paths ran


def test_code_keys_of_one_width_are_the_padded_bytes():
    """Codes of one width ≤ 8 bytes (6-digit county codes) are keyed by one strided read: each key is the code's
    bytes padded with zeros to 8, read big-endian — made here independently, byte by byte, for every width 1–8,
    Latin, digits and 3-byte Chinese characters, one code (the read past the end) to 300."""
    rng = np.random.default_rng(8)
    for trial in range(400):
        alphabet = list("北京区") if trial % 4 == 0 else list("0123456789aZ~")
        chars = int(rng.integers(1, 3)) if trial % 4 == 0 else int(rng.integers(1, 9))
        n = 1 if trial % 50 == 0 else int(rng.integers(2, 300))
        codes = ["".join(rng.choice(alphabet, size=chars)) for _ in range(n)]
        expected = [int.from_bytes(c.encode().ljust(8, b"\0"), "big") for c in codes]
        keys = code_keys(pd.array(codes, dtype="str"))
        assert keys is not None and keys.dtype == np.uint64 and keys.tolist() == expected, codes[:3]


def test_adcode_rank_of_int_codes_and_duplicates():
    frame = pd.DataFrame({"adcode": [530000, 110000, 650000]})
    assert list(_adcode_rank(frame, RegionColumns(frame))[0]) == [1, 0, 2] and frame["adcode"].tolist() == ["530000", "110000", "650000"]
    sorted_codes = pd.DataFrame({"adcode": pd.array(["110000", "120000", "530000"], dtype="str")})
    assert list(_adcode_rank(sorted_codes, RegionColumns(sorted_codes))[0]) == [0, 1, 2]  # in order already
    for codes in (["110000", "530000", "110000", "530000"], ["1", "22", "1"], ["110000", "110000", "530000"]):
        with pytest.raises(InputError, match=f"adcode {codes[0]} appears more than once"):
            frame = pd.DataFrame({"adcode": pd.array(codes, dtype="str")})
            _adcode_rank(frame, RegionColumns(frame))


def test_row_sums_are_those_of_the_dataframe():
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=500) * 10.0 ** rng.integers(-3, 9) for _ in range(5)]
    arrays[1][::7] = -0.0
    arrays[2][::11] = np.nan
    table = pd.DataFrame({f"c{k}": a for k, a in enumerate(arrays)})
    assert row_sums(arrays, 500).tobytes() == table.to_numpy(dtype=float).sum(axis=1).tobytes()
    assert row_sums(arrays, 500, skipna=True).tobytes() == table.sum(axis=1).to_numpy().tobytes()
    assert row_sums([], 4).tobytes() == np.zeros(4).tobytes()
    for k in (1, 2):  # one column (−0.0 in the first, NaN in the second): the sum of the one-column table
        one = pd.DataFrame({"c": arrays[k]})
        assert row_sums([arrays[k]], 500).tobytes() == one.to_numpy(dtype=float).sum(axis=1).tobytes()
        assert row_sums([arrays[k]], 500, skipna=True).tobytes() == one.sum(axis=1).to_numpy().tobytes()


def test_result_table_shares_nothing_with_the_regions():
    """The table is built without copying its arrays: writing to it changes neither the regions the result
    keeps nor the caller's frame nor another result's table."""
    regions = synthetic_counties()
    before = regions.copy()
    kw = dict(budget=10_910_000, budget_unit="万元", unit="万元", constraints=Constraints(floor_ratio=0.95, cap_ratio=1.2))
    a, b = allocate(regions, **kw), allocate(regions, **kw)
    for col in ("adcode", "name_zh", "name_en", "binding", "binding_groups"):
        a.table.loc[0, col] = "changed"
    a.table.loc[0, "target"] = -1.0
    assert b.table.loc[0, "adcode"] == a.regions.loc[0, "adcode"] == regions.loc[0, "adcode"] != "changed"
    assert b.table.loc[0, "binding_groups"] == b.table.loc[0, "name_en"] == ""
    a.table.columns.name = "changed"  # the column labels are a new Index object per table
    assert b.table.columns.name is None
    pd.testing.assert_frame_equal(regions, before)
    assert regions.attrs.keys() == a.regions.attrs.keys()  # attrs given back to the frame the result keeps


@pytest.mark.parametrize("settings", [Constraints(floor_ratio=0.95, cap_ratio=1.2),
                                      Constraints(groups=[{"name": "west", "members": {"region_group": "west"},
                                                           "min_share": 0.5}]),
                                      Constraints(floor_ratio=2.0)])  # infeasible: the table without `final`
def test_table_from_blocks_is_the_dataframe_constructors(settings, monkeypatch):
    """The three ways the result table is built give the same table (values bit for bit, −0.0 included, dtypes,
    index, column labels, block layout): the blocks made in allocate() handed to pandas ≥ 3's
    ``create_dataframe_from_blocks``; pandas' internal ``DataFrame._from_arrays`` (pandas without the first);
    ``DataFrame(dict)`` (pandas without either)."""
    from compensation.allocation import api

    regions = synthetic_counties()
    kw = dict(budget=1091, budget_unit="亿元", unit="万元", constraints=settings)
    tables = [allocate(regions, **kw).table]
    monkeypatch.setattr(api, "_FROM_BLOCKS", None)
    tables.append(allocate(regions, **kw).table)
    monkeypatch.setattr(pd.DataFrame, "_from_arrays", None, raising=False)
    tables.append(allocate(regions, **kw).table)
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other, check_exact=True)
        for col in tables[0]:  # −0.0 and 0.0 compare equal: the bytes do not
            a, b = tables[0][col].to_numpy(), other[col].to_numpy()
            if a.dtype.kind == "f":
                assert a.tobytes() == b.tobytes(), col
    # the blocks are the ones the constructor makes of these columns (DataFrame(dict, copy=False) keeps each
    # column a block of its own: the same table, in a layout pandas consolidates when it needs to)
    assert _layout(tables[0]) == _layout(tables[1])


def _layout(frame: pd.DataFrame) -> list:
    """The frame's blocks as (dtype, column positions), in column order."""
    return sorted((b.mgr_locs.as_array.tolist(), str(b.dtype)) for b in frame._mgr.blocks)


def test_blocks_refuse_what_the_constructor_must_decide():
    """Columns the block path cannot place as they are (a numpy text or object array, another numpy dtype, a
    Series, a wrong length) send the table to the constructor."""
    from compensation.allocation.api import _blocks

    n = 3
    ok = [np.zeros(n), np.arange(n, dtype=np.int64), pd.array(["a", "b", "c"], dtype="str")]
    assert [b[1].tolist() for b in _blocks(ok, n, True)] == [[0], [1], [2]]
    for bad in (np.array(["a", "b", "c"]), np.zeros(n, dtype=object), np.zeros(n, dtype=np.float32),
                pd.Series(np.zeros(n)), np.zeros(n + 1)):
        assert _blocks(ok + [bad], n, True) is None


# ------------------------------------------------------------------ the code before the fast path, same frames

SETTINGS = {
    "none": {},
    "floor_cap": {"constraints": {"floor_ratio": 0.95, "cap_ratio": 1.2}},
    "groups": {"constraints": {"groups": [{"name": "west", "members": {"region_group": "west"}, "min_share": 0.5},
                                          {"name": "east", "members": {"region_group": "east"}, "max_share": 0.2}]}},
    "nested": {"constraints": {"groups": [{"name": "a", "members": {"region_group": ["west", "central"]},
                                           "min_share": 0.75},
                                          {"name": "b", "members": {"region_group": "west"}, "max_share": 0.45}]}},
    "locks": {"constraints": {"locks": {"110000": 1000}, "exclude": ["120000"], "caps": {"130000": 5000}}},
    "min_abs": {"objective": "min_abs", "constraints": {"floor_ratio": 0.95, "cap_ratio": 1.2}},
}

RUNNER = r'''
import pickle, sys, warnings
warnings.simplefilter("ignore")
from compensation.allocation import allocate, Constraints
cases, frames = pickle.load(open(sys.argv[1], "rb"))
out = {}
for key, (frame, method, year, kw) in cases.items():
    kw = dict(kw)
    if "constraints" in kw:
        kw["constraints"] = Constraints(**kw["constraints"])
    try:
        r = allocate(frames[frame], method, budget=1091, budget_unit="亿元", unit="万元", year=year, **kw)
        info = {k: v for k, v in r.solver_info.items() if k not in ("runtime", "solver_message", "phases")}
        out[key] = dict(table=r.table, status=r.status, diag=[p.as_dict() for p in r.diagnostics], info=info,
                        params=r.parameters, trace=r.trace, carried=(r.carried_in, r.carried_out),
                        regions=r.regions, ptable=r.parameters_table())
    except Exception as e:
        out[key] = dict(err=f"{type(e).__name__}: {e}")
pickle.dump(out, open(sys.argv[2], "wb"))
'''


def _frames() -> dict:
    prov = load_regions()
    n = len(prov)
    prov["last_year_amount_10k_cny"] = 10_910_000 / n * (0.8 + 0.4 * (np.arange(n) % 5) / 4)
    odd = prov.copy()
    odd.index = odd.index + 100
    odd["adcode"] = odd["adcode"].astype(int)
    odd.loc[odd.index[::4], "redline_biodiversity_km2"] = np.nan
    odd["population_10k"] = odd["population_10k"].astype(str)
    odd.loc[odd.index[3], "last_year_amount_10k_cny"] = np.nan
    return {"province": prov, "province_odd": odd, "province_no_last_year": load_regions(),
            "county": synthetic_counties()}


SUBSET = {"province": ("none", "floor_cap", "groups", "nested", "locks"), "province_odd": ("floor_cap",),
          "province_no_last_year": ("none",), "county": ("floor_cap", "nested")}


def _cases(full: bool) -> dict:
    """Every method file × frames × settings × years (full), or each method's 2023 (or first year) on a
    cross-section of frames and settings (SUBSET)."""
    import yaml

    cases = {}
    for path in sorted(MODELS_DIR.glob("*.yaml")):
        method = path.stem
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        first = max(min(int(str(d)[:4]) for d in p["values"]) for p in doc["parameters"].values())
        years = list(range(max(first, 2016), 2028)) if full else [max(first, 2023)]
        for frame in ("province", "province_odd", "province_no_last_year", "county"):
            for s in SETTINGS if full else SUBSET[frame]:
                if full and frame != "province" and s in ("locks", "min_abs"):
                    continue
                for y in years:
                    cases[(frame, method, y, s)] = (frame, method, y, SETTINGS[s])
    return cases


def _run(src: Path, cases: dict, frames: dict, tmp: Path, tag: str) -> dict:
    inp, out = tmp / f"{tag}_in.pkl", tmp / f"{tag}_out.pkl"
    inp.write_bytes(pickle.dumps((cases, frames)))
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", RUNNER, str(inp), str(out)], cwd=src, env=env, check=True,
                   capture_output=True)
    return pickle.loads(out.read_bytes())


def _differences(a, b, path: str) -> list[str]:
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError as e:
            return [f"{path}: {str(e)[:300]}"]
        return []
    if isinstance(a, np.ndarray):
        same = isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        return [] if same else [f"{path}: arrays differ"]
    if isinstance(a, dict):
        if not isinstance(b, dict) or list(a) != list(b):
            return [f"{path}: keys differ"]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list | tuple):
        if not isinstance(b, list | tuple) or len(a) != len(b):
            return [f"{path}: lengths differ"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return []
    return [] if (type(a) is type(b) and a == b) else [f"{path}: {a!r} != {b!r}"]


def test_same_results_as_the_code_before_the_fast_path(tmp_path):
    """Hand-off check of the whole fast path: every method file, on province data (as shipped, with awkward
    columns, without last year's amounts) and the synthetic counties, over years and constraint settings
    (no bounds; floor 95 % and cap 120 %; two disjoint groups; nested groups; locks, exclusions and caps;
    the min_abs objective with ECOCOMP_FAST_PATH_FULL=1): identical results, errors included."""
    if subprocess.run(["git", "cat-file", "-e", f"{BASE}^{{commit}}"], cwd=ROOT, capture_output=True).returncode:
        pytest.skip(f"commit {BASE} (the code before the fast path) is not in this checkout's history")
    old_src = tmp_path / "before"
    old_src.mkdir()
    archive = subprocess.run(["git", "archive", BASE, "compensation", "models", "data"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old_src)], input=archive, check=True)
    full = bool(os.environ.get("ECOCOMP_FAST_PATH_FULL"))
    cases, frames = _cases(full), _frames()
    before = _run(old_src, cases, frames, tmp_path, "before")
    now = _run(ROOT, cases, frames, tmp_path, "now")
    assert list(before) == list(now) == list(cases)
    assert sum("err" not in v for v in now.values()) > len(cases) // 2  # most cases allocate
    diffs = [d for k in cases for d in _differences(before[k], now[k], str(k))]
    assert not diffs, "\n".join(diffs[:20])
