"""Fuzz suite (issue #10): the command line, driven in-process, with generated hostile input.

Four generators, about 1,050 inputs per CI run (``ECOCOMP_FUZZ_SCALE=10`` tries ten times as many; CI runs
derandomized, see conftest.py, so a red build reproduces):

- random argument values for ``allocate``, ``data synth``, ``run``, ``explain`` and ``methods``;
- mutated region tables: cells, headers, delimiters, encodings, extra fields, raw byte damage, XLSX;
- mutated scenario YAML: any key set to a hostile value (NaN, ±inf, 1e300, nested lists, path-like names,
  formulas), keys removed or added, anchors and aliases, raw text damage — then ``run`` on it.

For every input: the command returns (no exception escapes ``main``), the exit code is 0 or 1 for usable
input and 2 for unusable input, no traceback is printed, a refusal says ERROR (ours) or ``error:`` (argparse)
and names the file it is about, and nothing is written outside the output folder (the whole temporary tree
around the working folder is compared before and after; absolute names are checked not to exist).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compensation.cli import main

SCALE = float(os.environ.get("ECOCOMP_FUZZ_SCALE", "1"))
N_ARGS, N_TABLES, N_SCENARIOS = (max(1, int(n * SCALE)) for n in (450, 300, 300))
FUZZ = settings(deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])

HOSTILE_TEXT = [
    "", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1e30", "9e18", "1e308", "1e400", "-1", "-0", "0", "1,000",
    "1,0,0", "１２３", "0x10", "1_000", "True", "null", "~", "=cmd|' /C calc'!A0", "@SUM(A1)", "+1+cmd", "-2+3",
    "\t=1", "\r=1", "../../escaped", "/abs/escaped", "a/b:c*?", "..", ".", "con", "x" * 300, "云南省", "530000",
    "不存在", "'", '"', "[1,2", "{a: 1", "- x", "&a", "*a", "!!python/object:os.system", "\x00", "\u202e",
]
hostile = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=12))


def _tree(root: Path, skip: Path) -> dict[str, tuple[int, int] | str]:
    """Every path under ``root`` but ``skip``: files with size and modification time, folders by name (a
    folder's own time changes when --out is made inside it)."""
    out: dict[str, tuple[int, int] | str] = {}
    for p in root.rglob("*"):
        if p == skip or skip in p.parents:
            continue
        st_ = p.lstat()
        out[str(p)] = "folder" if p.is_dir() and not p.is_symlink() else (st_.st_size, st_.st_mtime_ns)
    return out


@contextlib.contextmanager
def sandbox():
    """<tmp>/a/b/work is the working folder and work/out the output folder; escapes of up to three '..'
    land inside <tmp> and are seen by the before/after comparison."""
    with tempfile.TemporaryDirectory(prefix="ecocomp-fuzz-") as tmp:
        top = Path(tmp)
        work = top / "a" / "b" / "work"
        work.mkdir(parents=True)
        old = os.getcwd()
        os.chdir(work)
        try:
            yield top, work, work / "out"
        finally:
            os.chdir(old)


def run_cli(argv: list[str], top: Path, out: Path, about: str | None = None) -> tuple[int, str]:
    """Run ``main(argv)``; check the promises every input must keep; return (exit code, output)."""
    before = _tree(top, out)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refusing a value (2) or printing help (0)
            code = exc.code
    text = buf.getvalue()
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert code in (0, 1, 2), (code, text)
    if code == 2:
        assert "ERROR" in text or "error:" in text, text
        if about:
            assert about in text, (about, text)
    assert _tree(top, out) == before, "something was written outside the output folder"
    for a in argv:
        if a.startswith("/abs/"):
            assert not Path(a).exists()
    assert not Path("/abs").exists()
    return code, text


# --- random argument values -------------------------------------------------------------------------------

ALLOCATE_OPTIONS = ["--budget", "--unit", "--budget-unit", "--year", "--floor-ratio", "--cap-ratio", "--floor",
                    "--cap", "--lock", "--exclude", "--group", "--objective", "--time-limit", "--set", "--explain",
                    "--method", "--lang"]
PAIR_VALUES = ["110000=10", "云南省=5", "999999=1", "x=nan", "=1", "110000=-1", "530000=1e30",
               "weights.biodiversity=-2", "weights.biodiversity=2", "weights.x=[1,2", "weights.water_conservation=.nan",
               "west:region_group=west:0.6", "w:region_group=west:abc", "w:nocol=x:0.5", "w:region_group=west:0.2:0.1",
               "w:region_group=west:1.5", "a:b", "cn_kefz_2022", "../agreements/lushui", "/etc/passwd.yaml",
               "proportional", "minimax", "min_abs", "亿元", "元", "万元", "wan", "zh", "en"]
arg_value = st.one_of(hostile, st.sampled_from(PAIR_VALUES), st.integers(-10**20, 10**20).map(str),
                      st.floats(allow_nan=True, allow_infinity=True).map(repr))


@st.composite
def command_lines(draw, out: str = "out"):
    kind = draw(st.sampled_from(["allocate"] * 6 + ["synth", "run", "explain", "methods"]))
    if kind == "allocate":
        argv = ["allocate", "--budget", draw(st.one_of(st.sampled_from(["1091", "100", "0.5"]), arg_value))]
        for opt in draw(st.lists(st.sampled_from(ALLOCATE_OPTIONS), max_size=4)):
            argv += [opt, draw(arg_value)]
        return [*argv, "--out", f"{out}/a.{draw(st.sampled_from(['csv', 'xlsx', 'txt']))}"]
    if kind == "synth":
        return ["data", "synth", "--scale", draw(st.one_of(st.sampled_from(["0", "-1", "101", "abc", "nan"]),
                                                           arg_value.filter(lambda v: v not in ("1", "2")))),
                "--seed", draw(arg_value), "--out", f"{out}/s.csv"]
    if kind == "run":
        argv = ["run", "baseline_2023", "--out", out, "--quiet"]
        for opt in draw(st.lists(st.sampled_from(["--years", "--formats", "--jobs"]), max_size=2, unique=True)):
            argv += [opt, draw(st.one_of(arg_value, st.sampled_from(["2023", "csv", "csv,pdf", "notice,csv"])))]
        return argv
    if kind == "explain":
        return ["explain", "baseline_2023", "--region", draw(arg_value), "--year",
                draw(st.one_of(st.sampled_from(["2023", "2024", "99999"]), arg_value))]
    return ["methods", draw(st.one_of(st.sampled_from(["cn_kefz_2022", "../agreements/lushui"]), arg_value)),
            "--year", draw(st.one_of(st.just("2023"), arg_value))]


def test_fuzz_argument_values():
    tried = []

    @settings(FUZZ, max_examples=N_ARGS)
    @given(command_lines())
    def check(argv):
        tried.append(argv)
        with sandbox() as (top, _work, out):
            run_cli(argv, top, out)

    check()
    assert len(tried) >= N_ARGS


# --- mutated region tables --------------------------------------------------------------------------------

HEADER = ["adcode", "name_zh", "level", "land_area_km2", "redline_total_km2", "population_10k"]
ROWS = [["110000", "甲", "province", "1000", "100", "10"], ["120000", "乙", "province", "1000", "100", "10"],
        ["130000", "丙", "province", "2000", "200", "30"]]

row_i = st.integers(0, len(ROWS) - 1)
col_i = st.integers(0, len(HEADER) - 1)
table_mutation = st.one_of(
    st.tuples(st.just("cell"), row_i, col_i, hostile),
    st.tuples(st.just("header"), col_i, st.one_of(hostile, st.sampled_from(HEADER), st.sampled_from(
        ["名称", "行政区划代码", "陆域面积(公顷)", "Unnamed: 3", " adcode ", "ADCODE"]))),
    st.tuples(st.just("drop_column"), col_i),
    st.tuples(st.just("extra_field"), row_i, hostile),
    st.tuples(st.just("short_row"), row_i),
    st.tuples(st.just("duplicate_row"), row_i),
    st.tuples(st.just("blank_line"), row_i),
)
byte_mutation = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 400), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("insert"), st.integers(0, 400), st.sampled_from([b'"', b"\x00", b"\xff", b"\r", b",", b";"])),
    st.tuples(st.just("truncate"), st.integers(0, 400), st.just(b"")),
)


@st.composite
def region_tables(draw):
    rows = [list(HEADER)] + [list(r) for r in ROWS]
    for m in draw(st.lists(table_mutation, max_size=4)):
        kind, *a = m
        body = rows[1 + a[0] % (len(rows) - 1)] if kind not in ("header", "drop_column") else rows[0]
        if kind == "cell" and body:
            body[a[1] % len(body)] = a[2]
        elif kind == "header":
            rows[0][a[0] % len(rows[0])] = a[1]
        elif kind == "drop_column":
            for r in rows:
                if len(r) > 1:
                    del r[a[0] % len(r)]
        elif kind == "extra_field":
            body.append(a[1])
        elif kind == "short_row":
            del body[2:]
        elif kind == "duplicate_row":
            rows.append(list(body))
        elif kind == "blank_line":
            rows.insert(1 + a[0], [])
    form = draw(st.sampled_from(["csv"] * 6 + ["xlsx"]))
    if form == "xlsx":
        buf = io.BytesIO()
        width = max(len(r) for r in rows)
        pd.DataFrame([r + [""] * (width - len(r)) for r in rows]).to_excel(buf, index=False, header=False)
        data = buf.getvalue()
    else:
        text = io.StringIO()
        csv.writer(text, delimiter=draw(st.sampled_from([",", ",", ",", ";", "\t", "|"])),
                   lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
        try:
            data = text.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"])))
        except UnicodeEncodeError:
            data = text.getvalue().encode("utf-8", "surrogatepass")
    for kind, pos, chunk in draw(st.lists(byte_mutation, max_size=2)):
        pos = min(pos, len(data))
        data = data[:pos] + chunk + (data[pos + len(chunk):] if kind == "replace" else data[pos:]) \
            if kind != "truncate" else data[:pos]
    return form, data


def test_fuzz_region_tables():
    tried = []

    @settings(FUZZ, max_examples=N_TABLES)
    @given(region_tables())
    def check(table):
        form, data = table
        tried.append(data)
        with sandbox() as (top, work, out):
            path = work / f"regions.{form}"
            path.write_bytes(data)
            code, text = run_cli(["data", "check", str(path)], top, out, about="regions." + form)
            assert code == 2 or "regions checked" in text

    check()
    assert len(tried) >= N_TABLES


def test_unmutated_table_is_clean():
    with sandbox() as (top, work, out):
        path = work / "regions.csv"
        path.write_text("\n".join(",".join(r) for r in [HEADER, *ROWS]) + "\n", encoding="utf-8")
        code, text = run_cli(["data", "check", str(path)], top, out)
        assert code == 0 and "3 regions checked" in text


# --- mutated scenario files -------------------------------------------------------------------------------

TINY = "\n".join(",".join(r) for r in [
    HEADER + ["redline_water_conservation_km2", "redline_biodiversity_km2", "redline_soil_conservation_km2",
              "redline_sand_fixation_km2", "redline_coastal_km2"],
    *(r + [r[4], "0", "0", "0", "0"] for r in ROWS)]) + "\n"
BASE_SCENARIO = {
    "scenario": {"name": "fuzz", "title": "fuzz"}, "data": "tiny.csv", "method": "redline_function_weighted",
    "years": [2023], "budget": {"unit": "万元", "amounts": {2023: 400}}, "unit": "万元",
    "objective": "proportional", "constraints": {"floors": {"110000": 10}, "exclude": []},
    "overrides": {"weights.water_conservation": 1.2},
}
PATHS = [("scenario", "name"), ("scenario", "extends"), ("scenario", "title"), ("data",), ("method",), ("years",),
         ("budget",), ("budget", "unit"), ("budget", "amounts"), ("budget", "amounts", 2023), ("budget", "base"),
         ("budget", "growth"), ("budget", "base_year"), ("unit",), ("objective",), ("rounding",), ("time_limit",),
         ("constraints",), ("constraints", "floors"), ("constraints", "floors", "110000"),
         ("constraints", "floor_ratio"), ("constraints", "cap_ratio"), ("constraints", "caps"),
         ("constraints", "locks"), ("constraints", "exclude"), ("constraints", "groups"),
         ("constraints", "initial_last_year"), ("overrides",), ("overrides", "weights.water_conservation"),
         ("overrides", "weights.biodiversity"), ("horizontal",), ("horizontal", "agreements"), ("data", "synthetic"),
         ("extra_key",)]
leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True,
                 allow_infinity=True), hostile, st.sampled_from([
                     "2023-2025", "2024,2023", "1.0e+300", "baseline_2023", "../baseline_2023", "/etc/passwd",
                     "../../../etc/passwd.yaml", "cn_kefz_2022", "亿元", "minimax", "data", "default"]))
scenario_value = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(hostile, st.integers(0, 3000)), inner, max_size=3)),
    max_leaves=6)
text_mutation = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 600), st.sampled_from(
        ["&a ", "*a", "*b ", "[", "]", "{", "}", ": ", "\n  - ", "\t", "'", '"', "\x00", "\ufeff", "!!binary ",
         "!!python/name:os.system ", "<<: *a\n", "---\n", "%YAML 1.1\n"]) | st.text(max_size=5)),
    st.tuples(st.just("truncate"), st.integers(0, 600), st.just("")),
)


def _set(doc: dict, path: tuple, value, delete: bool) -> None:
    node = doc
    for k in path[:-1]:
        if not isinstance(node.get(k), dict):
            node[k] = {}
        node = node[k]
    if delete:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


@st.composite
def scenario_texts(draw):
    import copy

    doc = copy.deepcopy(BASE_SCENARIO)
    for path, value, delete in draw(st.lists(st.tuples(st.sampled_from(PATHS), scenario_value,
                                                       st.booleans()), max_size=3)):
        _set(doc, path, value, delete)
    try:
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError):  # e.g. a surrogate character: write it as text damage instead
        text = yaml.safe_dump(BASE_SCENARIO, allow_unicode=True) + str(doc)[:200]
    for kind, pos, chunk in draw(st.lists(text_mutation, max_size=2)):
        pos = min(pos, len(text))
        text = text[:pos] + chunk + text[pos:] if kind == "insert" else text[:pos]
    if draw(st.integers(0, 19)) == 0:  # now and then, a billion laughs or a deep nest
        text = draw(st.sampled_from([
            "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
                f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)),
            "years: " + "[" * 500 + "]" * 500 + "\n"]))
    return text


def test_fuzz_scenario_files():
    tried = []

    @settings(FUZZ, max_examples=N_SCENARIOS)
    @given(scenario_texts())
    def check(text):
        tried.append(text)
        with sandbox() as (top, work, out):
            (work / "tiny.csv").write_text(TINY, encoding="utf-8")
            path = work / "s.yaml"
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
            code, output = run_cli(["run", str(path), "--out", str(out), "--formats", "csv", "--quiet"], top, out)
            if code == 2:
                assert "s.yaml" in output or "tiny.csv" in output, output
            else:
                assert "wrote" in output or "already computed" in output
                for folder in out.iterdir():  # every run folder is inside --out and complete
                    assert (folder / "manifest.json").exists()

    check()
    assert len(tried) >= N_SCENARIOS


def test_unmutated_scenario_runs():
    with sandbox() as (top, work, out):
        (work / "tiny.csv").write_text(TINY, encoding="utf-8")
        path = work / "s.yaml"
        path.write_text(yaml.safe_dump(BASE_SCENARIO, allow_unicode=True), encoding="utf-8")
        code, text = run_cli(["run", str(path), "--out", str(out), "--formats", "csv", "--quiet"], top, out)
        assert code == 0 and "fuzz: wrote" in text
