"""Hostile but honest input (issue #10): every class of bad input gets a message naming the file, row, column
or key, exit code 2, no traceback, and nothing written. Each test asserts the exit code, the absence of a
traceback and the words of the message."""

from __future__ import annotations

import errno
import json
import os
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from compensation import io as cio
from compensation.cli import main
from compensation.problems import InputError

TINY = """adcode,name_zh,level,land_area_km2,redline_total_km2,redline_water_conservation_km2,\
redline_biodiversity_km2,redline_soil_conservation_km2,redline_sand_fixation_km2,redline_coastal_km2,population_10k
110000,甲,province,1000,100,100,0,0,0,0,10
120000,乙,province,1000,100,0,100,0,0,0,10
130000,丙,province,1000,200,0,0,200,0,0,10
"""


def cli(argv, capsys) -> tuple[int, str]:
    """Run the CLI in-process; argparse's refusals (SystemExit) count as exit codes."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text and "Exception ignored" not in text, text
    return code, text


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")} if folder.exists() else set()


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.csv"
    path.write_text(TINY, encoding="utf-8")
    return path


def scenario(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


# --- command-line values ----------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, words", [
    (["allocate", "--budget", "1000", "--group", "x:region_group=west:abc"], "minimum share 'abc' should be a number"),
    (["allocate", "--budget", "1000", "--group", "x:region_group=west:0.2:nan"], "maximum share 'nan'"),
    (["allocate", "--budget", "1000", "--group", "x:region_group=west:1.5"], "from 0 to 1"),
    (["allocate", "--budget", "1000", "--group", "justtext"], "NAME:COLUMN=VALUE:MIN_SHARE"),
    (["allocate", "--budget", "1000", "--set", "weights.x=[1,2"], "not valid YAML"),
    (["allocate", "--budget", "1000", "--year", "99999"], "argument --year: year 99999 is out of range"),
    (["allocate", "--budget", "1000", "--floor-ratio", "nan"], "argument --floor-ratio: 'nan' is not a finite"),
    (["allocate", "--budget", "1000", "--cap-ratio", "-1"], "argument --cap-ratio: '-1' is out of range"),
    (["allocate", "--budget", "1000", "--floor", "110000=inf"], "--floor: value of '110000'"),
    (["allocate", "--budget", "1000", "--time-limit", "0"], "argument --time-limit: '0' must be greater than 0"),
    (["data", "check", "--tolerance", "nan"], "argument --tolerance: 'nan' is not a finite number"),
    (["data", "synth", "--scale", "0"], "argument --scale: '0' must be 1 or more"),
    (["data", "synth", "--scale", "-3"], "argument --scale: '-3' must be 1 or more"),
    (["data", "synth", "--seed", "-1"], "argument --seed: '-1' is negative"),
    (["run", "baseline_2023", "--years", "abc"], "argument --years: years must be a year"),
    (["run", "baseline_2023", "--years", "2023-2019"], "argument --years"),
    (["run", "baseline_2023", "--years", "1999"], "year 1999 is out of range"),
    (["run", "baseline_2023", "--formats", "csv,pdf"], "argument --formats: unknown format(s) pdf"),
    (["run", "baseline_2023", "--jobs", "0"], "argument --jobs: '0' must be 1 or more"),
    (["explain", "baseline_2023", "--region", "云南省", "--year", "20233"], "argument --year"),
    (["horizontal", "--agreements", "xinan_round3", "--monitoring", "m.csv", "--year", "abc"], "argument --year"),
    (["calibrate", "cn_kefz_2022", "--to", "kefz_2020_by_province_partial", "--year", "99999", "--dry-run"],
     "argument --year: year 99999 is out of range"),
    (["calibrate", "cn_kefz_2022", "--to", "kefz_2020_by_province_partial", "--seed", "-1", "--dry-run"],
     "argument --seed: '-1' is negative"),
    (["backtest", "cn_kefz_2022", "--to", "kefz_2020_by_province_partial", "--year", "99999"],
     "argument --year: year 99999 is out of range"),
])
def test_bad_argument_values_are_refused_before_anything_runs(argv, words, tmp_path, capsys):
    out = tmp_path / "out"
    if argv[0] in ("allocate",):
        argv = [*argv, "--out", out / "a.csv"]
    elif argv[:2] == ["data", "synth"]:
        argv = [*argv, "--out", out / "s.csv"]
    elif argv[0] in ("run", "horizontal"):
        argv = [*argv, "--out", out]
    code, text = cli(argv, capsys)
    assert code == 2
    assert words in text
    assert not out.exists()


def test_explain_of_an_unknown_region_fails_before_writing(tiny, tmp_path, capsys):
    out = tmp_path / "a.csv"
    code, text = cli(["allocate", "--data", tiny, "--budget", "400", "--explain", "不存在的地区", "--out", out], capsys)
    assert code == 2 and "no region with adcode or name '不存在的地区'" in text
    assert not out.exists()


def test_out_that_is_a_file_or_a_folder_is_refused_before_computing(tiny, tmp_path, capsys):
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    code, text = cli(["run", "baseline_2023", "--out", a_file], capsys)
    assert code == 2 and "is an existing file, not a folder" in text
    code, text = cli(["allocate", "--data", tiny, "--budget", "400", "--out", tmp_path], capsys)
    assert code == 2 and "unknown output format" in text
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    code, text = cli(["allocate", "--data", tiny, "--budget", "400", "--out", folder], capsys)
    assert code == 2 and "is a folder; give a file name" in text


def test_unwritable_out_is_refused(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:  # root may write anywhere: let the folder refuse as it would for a normal user
        real = os.access
        monkeypatch.setattr(cio.os, "access", lambda p, mode: False if Path(p) == locked else real(p, mode))
    code, text = cli(["run", "baseline_2023", "--out", locked / "runs"], capsys)
    assert code == 2 and f"cannot write into {locked} (permission denied)" in text
    assert not (locked / "runs").exists()


# --- method and agreement files ---------------------------------------------------------------------------

@pytest.mark.parametrize("content, words", [
    (b"", "found an empty file"),
    (b"\xff\xfe\x00n", "is not UTF-8 text"),
    (b"name: [1", "not valid YAML at line 2"),
    (b"- just\n- a list\n", "a model file must be a mapping"),
    (b"name: 1\nlabel: 2\njurisdiction: 3\nsources: 4\nparameters: 5\ncomponents: 6\n",
     "key 'label': 'label' should be a dict"),
    (b"name: m\nlabel: {}\njurisdiction: {}\nsources: {a: 1}\nparameters: {p: [1]}\ncomponents: [x]\n",
     "parameters entry 'p' should be a mapping"),
])
def test_method_file_that_is_empty_mistyped_or_not_utf8(content, words, tiny, tmp_path, capsys):
    method = tmp_path / "m.yaml"
    method.write_bytes(content)
    out = tmp_path / "a.csv"
    code, text = cli(["allocate", "--data", tiny, "--budget", "400", "--method", method, "--out", out], capsys)
    assert code == 2 and words in text and "m.yaml" in text
    assert not out.exists()


@pytest.mark.parametrize("argv, words", [
    (["allocate", "--budget", "1000", "--method", "../agreements/lushui"], "neither a method name nor a .yaml file"),
    (["allocate", "--budget", "1000", "--method", "/etc/passwd"], "neither a method name nor a .yaml file"),
    (["methods", "../../scenarios/baseline_2023"], "neither a method name nor a .yaml file"),
    (["horizontal", "--agreements", "../methods/cn_kefz_2022", "--monitoring", "m.csv", "--year", "2020"],
     "neither an agreement id nor a .yaml file"),
])
def test_method_and_agreement_names_resolve_only_inside_models(argv, words, tmp_path, capsys):
    if argv[0] in ("allocate",):
        argv = [*argv, "--out", tmp_path / "a.csv"]
    elif argv[0] == "horizontal":
        argv = [*argv, "--out", tmp_path / "h"]
    code, text = cli(argv, capsys)
    assert code == 2 and words in text
    assert list(tmp_path.iterdir()) == []


# --- scenario files ---------------------------------------------------------------------------------------

BASE = """\
data: tiny.csv
method: redline_function_weighted
budget: {unit: 万元, amounts: {2023: 400}}
"""


@pytest.mark.parametrize("extra, key, words", [
    ("scenario: {name: ../../escaped}\nyears: [2023]\n", "scenario.name", "cannot contain '/'"),
    ("scenario: {name: /abs/escaped}\nyears: [2023]\n", "scenario.name", "cannot contain '/'"),
    ("scenario: {name: 'a/b:c*?'}\nyears: [2023]\n", "scenario.name", "cannot name a run folder"),
    ("scenario: {name: ..}\nyears: [2023]\n", "scenario.name", "cannot contain '..'"),
    ("scenario: {extends: ../../../etc/passwd}\nyears: [2023]\n", "scenario.extends", "neither a scenario name"),
    ("years: [[2023]]\n", "years", "years must be a year, a list of years"),
    ("years: [true]\n", "years", "years must be a year"),
    ("years: 2023-20x4\n", "years", "years must be a year"),
])
def test_bad_scenario_values_name_the_file_and_key(extra, key, words, tiny, tmp_path, capsys):
    path = scenario(tmp_path, BASE + extra)
    out = tmp_path / "runs"
    before = files_under(tmp_path)
    code, text = cli(["run", path, "--out", out], capsys)
    assert code == 2 and words in text and f"key '{key}'" in text and "s.yaml" in text
    assert files_under(tmp_path) == before  # nothing written, not even --out


def test_yaml_alias_bomb_is_refused_quickly(tmp_path, capsys):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = scenario(tmp_path, "\n".join(lines) + "\n")
    code, text = cli(["validate", path], capsys)
    # by hand: a0 is 11 nodes (a list of 10 scalars); a_i = 1 + 10·a_(i−1), so a8 = 1,111,111,111; the file is
    # Σ a_i = 1,234,567,899 plus 9 keys plus the root mapping = 1,234,567,909 nodes once expanded
    assert code == 2 and "expands to 1,234,567,909 nodes through aliases" in text


def test_yaml_nested_thousands_deep_is_refused(tmp_path, capsys):
    path = scenario(tmp_path, "years: " + "[" * 3000 + "]" * 3000 + "\n")
    code, text = cli(["validate", path], capsys)
    assert code == 2 and "s.yaml" in text and ("nested more than 64 levels" in text or "nesting depth" in text)
    path = scenario(tmp_path, "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)) + "  " * 200 + "x: 1\n")
    code, text = cli(["validate", path], capsys)
    assert code == 2 and "nested more than 64 levels deep" in text


def test_output_folder_names_stay_inside_out(tmp_path):
    with pytest.raises(InputError, match="outside --out"):
        cio.inside(tmp_path / "runs" / ".." / ".." / "x", tmp_path / "runs")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "link").symlink_to(tmp_path)
    with pytest.raises(InputError, match="outside --out"):
        cio.inside(tmp_path / "runs" / "link" / "x", tmp_path / "runs")
    assert cio.inside(tmp_path / "runs" / "ok-1", tmp_path / "runs") == tmp_path / "runs" / "ok-1"
    from compensation.run import run_folder

    with pytest.raises(InputError, match="cannot be used as a file name"):
        run_folder(tmp_path / "runs", None, name="../x", digest="0123456789")


@pytest.mark.parametrize("name, problem", [
    ("../../x", "cannot contain '/'"), ("/abs/x", "cannot contain '/'"), ("a\\b", "cannot contain '/' or '\\'"),
    ("..", "cannot contain '..'"), (".hidden", "must start with a letter or digit"), ("", "empty"),
    ("con", "reserved device name"), ("a\x00b", "cannot contain"), ("x" * 101, "longer than 100"),
    (" padded", "cannot start or end with a space"),
])
def test_name_problems(name, problem):
    assert problem in cio.name_problem(name)


@pytest.mark.parametrize("name", ["baseline_2023", "云南_2024-2027", "a.b+c", "情景 1"])
def test_safe_names_pass(name):
    assert cio.name_problem(name) == ""


def test_sheet_titles_are_excel_safe_and_unique():
    titles = cio.sheet_titles(["a/b:c*?", "differences_" + "x" * 40, "differences_" + "x" * 41, "History", "'q'"])
    assert list(titles.values()) == ["a_b_c__", "differences_" + "x" * 19, "differences_" + "x" * 17 + "~2",
                                     "history_", "q"]
    assert all(len(t) <= 31 for t in titles.values())


# --- spreadsheet formula injection ------------------------------------------------------------------------

HOSTILE = ["=cmd|' /C calc'!A0", "+1+cmd", "-2+3+cmd", "@SUM(A1)", "\t=1", "\r=1"]


def test_formula_text_is_escaped_numbers_are_not():
    assert [cio.escape_formula(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]
    assert [cio.escape_formula(v) for v in ["-0.5", "+5%", "1,000", "-1e5", "abc", 3]] == \
        ["-0.5", "+5%", "1,000", "-1e5", "abc", 3]


def test_no_exported_cell_is_a_formula(tmp_path, capsys):
    """Regions named like formulas go through allocate (CSV and XLSX) and a scenario run (CSV, XLSX): no
    workbook cell is a formula and no CSV cell starts with a formula character."""
    import openpyxl

    rows = TINY.splitlines()
    rows[1] = rows[1].replace("甲", '"=cmd|\' /C calc\'!A0"')
    rows[2] = rows[2].replace("乙", "@SUM(A1)")
    rows[3] = rows[3].replace("丙", "+1+cmd")
    data = tmp_path / "tiny.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for suffix in ("csv", "xlsx"):
        code, _ = cli(["allocate", "--data", data, "--budget", "400", "--out", tmp_path / f"a.{suffix}"], capsys)
        assert code == 0
    path = scenario(tmp_path, BASE + "years: [2023]\n")
    code, _ = cli(["run", path, "--out", tmp_path / "runs", "--formats", "csv,xlsx", "--quiet"], capsys)
    assert code == 0
    workbooks = list(tmp_path.rglob("*.xlsx"))
    csvs = list(tmp_path.rglob("*.csv"))
    assert len(workbooks) == 2 and len(csvs) > 5
    seen_names = 0
    for wb_path in workbooks:
        wb = openpyxl.load_workbook(wb_path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (wb_path, ws.title, cell.coordinate, cell.value)
                    seen_names += cell.value == "'=cmd|' /C calc'!A0"
    for csv_path in csvs:
        if csv_path.name == "tiny.csv":
            continue
        table = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for value in [*table.columns, *table.to_numpy().ravel()]:
            if value.startswith(cio.FORMULA_START):
                assert cio.escape_formula(value) == value, (csv_path, value)  # only plain numbers
        seen_names += (table == "'=cmd|' /C calc'!A0").to_numpy().sum()
    assert seen_names >= 4  # the escaped name really went through every writer


# --- faults -----------------------------------------------------------------------------------------------

def test_stale_part_files_of_killed_writers_are_removed(tmp_path):
    dead = tmp_path / ".t.csv.999999999.abc123.part"
    dead.write_text("half")
    cio.write_csv(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    assert not dead.exists() and (tmp_path / "t.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_full_disk_names_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cio.os, "fsync", full)
    with pytest.raises(InputError, match="No space left on device") as err:
        cio.write_xlsx({"t": pd.DataFrame({"a": [1]})}, tmp_path / "t.xlsx")
    assert err.value.report.errors[0].file == str(tmp_path / "t.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_two_identical_runs_at_once_the_second_reports_already_computed(tmp_path):
    """The second run finds the folder in place when it renames its own: 'already computed', no OSError."""
    from compensation.run import compute, write_run
    from compensation.scenario import load_scenario

    res = compute(load_scenario("baseline_2023"))
    first, written = write_run(res, tmp_path, formats=("csv",))
    assert written
    manifest = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    (first / "manifest.json").rename(tmp_path / "held")  # as if the first run had not finished yet ...
    os.rename(first, tmp_path / "pending")

    def finish_first(name):  # ... and finished while the second was writing its tables
        if name == "summary" and not first.exists():
            os.rename(tmp_path / "pending", first)
            (tmp_path / "held").rename(first / "manifest.json")

    again, written = write_run(res, tmp_path, formats=("csv",), _after_table=finish_first)
    assert again == first and written is False
    assert json.loads((first / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # the second's temporary folder is gone


def test_formats_are_part_of_the_run_identity(tmp_path, capsys):
    code, _ = cli(["run", "baseline_2023", "--out", tmp_path, "--formats", "csv", "--quiet"], capsys)
    assert code == 0
    (csv_only,) = tmp_path.glob("baseline_2023-*")
    assert csv_only.name.endswith("-csv") and not (csv_only / "results.xlsx").exists()
    code, text = cli(["run", "baseline_2023", "--out", tmp_path, "--formats", "csv,xlsx", "--quiet"], capsys)
    assert code == 0 and "wrote" in text
    (both,) = tmp_path.glob("baseline_2023-*-csv+xlsx")
    assert (both / "results.xlsx").exists()
    assert json.loads((both / "manifest.json").read_text(encoding="utf-8"))["formats"] == ["csv", "xlsx"]


# --- data files -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_semicolon_tab_and_bar_delimited_csv_are_read(sep, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(TINY.replace(",", sep), encoding="utf-8")
    df = cio.read_table(path)
    assert list(df["name_zh"]) == ["甲", "乙", "丙"] and df.attrs["read"]["delimiter"] != "comma"


def test_duplicate_column_in_the_raw_header_is_named(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text(TINY.replace("population_10k", "land_area_km2"), encoding="utf-8")
    code, text = cli(["data", "check", path], capsys)
    assert code == 2 and "column 'land_area_km2': column name appears more than once (columns 4, 11)" in text


def test_rows_with_too_many_fields_are_numbered_like_a_spreadsheet(tmp_path, capsys):
    path = tmp_path / "r.csv"
    lines = TINY.splitlines()
    lines[2] += ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, text = cli(["data", "check", path], capsys)
    assert code == 2 and "r.csv, row 3: row has 12 fields but the header has 11" in text


def test_xlsx_names_the_sheet_lets_the_user_choose_and_detects_a_two_row_header(tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(TINY), dtype=str)
    path = tmp_path / "r.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(xw, sheet_name="说明", index=False)
        df.to_excel(xw, sheet_name="数据", index=False)
    first = cio.read_table(path)
    assert first.attrs["read"]["sheet"] == "说明" and first.attrs["read"]["sheets"] == ["说明", "数据"]
    chosen = cio.read_table(path, sheet="数据")
    assert list(chosen["adcode"]) == ["110000", "120000", "130000"] and chosen.attrs["read"]["header_row"] == 1
    with pytest.raises(InputError, match="no sheet 'data'; its sheets: 说明, 数据"):
        cio.read_table(path, sheet="data")
    two = tmp_path / "two.xlsx"
    header = pd.DataFrame([["面积", "", "人口"], ["land_area_km2", "redline_total_km2", "population_10k"],
                           ["1", "2", "3"]])
    header.to_excel(two, index=False, header=False)
    with pytest.raises(InputError, match="seems to span rows 1 and 2"):
        cio.read_table(two)


# --- budgets (parsed by compensation.money.parse_amount / whole_amount; here through the CLI and files) ----

@pytest.mark.parametrize("budget, words", [
    ("nan", "--budget: the amount must be a finite number"),
    ("inf", "--budget: the amount must be a finite number"),
    ("=-inf", "--budget: the amount must be a finite number"),
    ("1e30", "is beyond any budget (limit 10^24)"),
    ("9e18", "above the limit of 1,000,000,000,000,000 万元"),
    ("abc", "--budget: 'abc' is not a number"),
    ("=-5", "the amount must be positive"),
])
def test_budget_that_is_nan_infinite_or_too_large_on_the_command_line(budget, words, tiny, tmp_path, capsys):
    out = tmp_path / "a.csv"
    flag = ["--budget" + budget] if budget.startswith("=") else ["--budget", budget]
    code, text = cli(["allocate", "--data", tiny, *flag, "--out", out], capsys)
    assert code == 2 and words in text
    assert not out.exists()


@pytest.mark.parametrize("budget, key, words", [
    ("{unit: 万元, amounts: {2023: .nan}}", "budget.amounts.2023", "must be a finite number"),
    ("{unit: 万元, amounts: {2023: .inf}}", "budget.amounts.2023", "must be a finite number"),
    ("{unit: 万元, amounts: {2023: 'lots'}}", "budget.amounts.2023", "'lots' is not a number"),
    ("{unit: 元, amounts: {2023: 9000000000000000000}}\nunit: 元", "budget.amounts.2023",
     "9,000,000,000,000,000,000 元 is above the limit of 1,000,000,000,000,000 元"),
    ("{unit: 万元, base: 100, growth: .nan}", "budget.growth", "must be a finite number"),
    ("{unit: 万元, base: 100, growth: 1.0e+300}", "budget.growth", "growth is a yearly fraction"),
    ("{unit: 万元, base: 100, growth: 5}", "budget.growth", "e.g. 0.05 for 5% a year"),
])
def test_budget_values_in_a_scenario(budget, key, words, tiny, tmp_path, capsys):
    path = scenario(tmp_path, f"data: tiny.csv\nmethod: redline_function_weighted\nyears: [2023]\nbudget: {budget}\n")
    code, text = cli(["validate", path], capsys)
    assert code == 2 and words in text and f"key '{key}'" in text and "s.yaml" in text


# --- scenario values that load but cannot be used ---------------------------------------------------------

@pytest.mark.parametrize("extra, key, words", [
    ("constraints: {floors: {110000: abc}}", "constraints.floors.110000", "'abc' is not a number"),
    ("constraints: {caps: {110000: .nan}}", "constraints.caps.110000", "must be a finite number"),
    ("constraints: {floor_ratio: .nan}", "constraints.floor_ratio", "expected a ratio of last year ≥ 0"),
    ("constraints: {groups: [{name: g, members: {level: [province]}, min_share: abc}]}",
     "constraints.groups[0].min_share", "expected a share ≥ 0 and ≤ 1"),
    ("constraints: {groups: [{name: g, members: 3, min_share: 0.2}]}", "constraints.groups[0].members",
     "members must map a column"),
    ("constraints: {exclude: [{a: 1}]}", "constraints.exclude[0]", "exclude lists region codes or names"),
    ("overrides: {weights.water_conservation: abc}", "overrides.weights.water_conservation", "must be a finite number"),
    ("overrides: {weights.water_conservation: .nan}", "overrides.weights.water_conservation", "must be a finite"),
    ("overrides: {weights.water_conservation: -1}", "overrides.weights.water_conservation", "cannot be negative"),
    ("time_limit: -5", "time_limit", "expected seconds > 0"),
    # a key YAML reads as a number (found by the fuzz suite: the "did you mean" lookup crashed on it)
    ("overrides: {7: 1.0}", "overrides.7", "has no parameter '7'"),
    ("horizontal: {capacity_ratio: .inf}", "horizontal.capacity_ratio", "expected a share"),
])
def test_scenario_values_of_the_wrong_kind_name_file_and_key(extra, key, words, tiny, tmp_path, capsys):
    path = scenario(tmp_path, BASE + "years: [2023]\n" + extra + "\n")
    out = tmp_path / "runs"
    code, text = cli(["run", path, "--out", out], capsys)
    assert code == 2 and words in text and f"key '{key}'" in text and "s.yaml" in text
    assert not out.exists()


def test_synthetic_scale_zero_in_a_scenario(tmp_path, capsys):
    path = scenario(tmp_path, "data: {synthetic: {scale: 0}}\nmethod: redline_function_weighted\nyears: [2023]\n"
                              "budget: {unit: 万元, amounts: {2023: 100}}\n")
    code, text = cli(["validate", path], capsys)
    assert code == 2 and "key 'data.synthetic.scale': expected a whole number ≥ 1 and ≤ 100" in text


@pytest.mark.parametrize("extra, key, words", [
    ("constraints: {floors: {999999: 10}}", "constraints.floors.999999", "no region with adcode or name '999999'"),
    ("constraints: {locks: {甲省: 10}}", "constraints.locks.甲省", "no region with adcode or name '甲省'"),
    ("constraints: {exclude: [丁]}", "constraints.exclude[0]", "no region with adcode or name '丁'"),
    ("constraints: {groups: [{name: g, members: {nocol: [x]}, min_share: 0.5}]}",
     "constraints.groups[0].members.nocol", "group members name column 'nocol'"),
])
def test_errors_found_while_computing_name_the_scenario_file_and_key(extra, key, words, tiny, tmp_path, capsys):
    path = scenario(tmp_path, BASE + "years: [2023]\n" + extra + "\n")
    code, text = cli(["run", path, "--out", tmp_path / "runs"], capsys)
    assert code == 2 and words in text and f"s.yaml, key '{key}'" in text
    assert not (tmp_path / "runs").exists()


def test_error_raised_inside_the_allocation_names_the_scenario_file_and_year(tiny, tmp_path, capsys):
    """A problem only the allocation can see (caps below the budget) is reported against the file and year."""
    path = scenario(tmp_path, BASE + "years: [2023]\nconstraints: {caps: {110000: 1, 120000: 1, 130000: 1}}\n")
    code, text = cli(["run", path, "--out", tmp_path / "runs"], capsys)
    assert code == 2 and "s.yaml" in text and "year 2023" in text and "caps add up to" in text


def test_missing_extends_target_names_the_file_and_key(tmp_path, capsys):
    path = scenario(tmp_path, "scenario: {extends: no_such_baseline}\n")
    code, text = cli(["validate", path], capsys)
    assert code == 2 and "s.yaml, key 'scenario.extends': scenario 'no_such_baseline' not found" in text


def test_negative_weight_on_the_command_line(tiny, tmp_path, capsys):
    out = tmp_path / "a.csv"
    code, text = cli(["allocate", "--data", tiny, "--budget", "400", "--set", "weights.biodiversity=-2",
                      "--out", out], capsys)
    assert code == 2 and "weight 'weights.biodiversity' cannot be negative" in text and not out.exists()


# --- horizontal ---------------------------------------------------------------------------------------------

MONITORING = Path(__file__).resolve().parent.parent / "data" / "monitoring" / "illustrative_monitoring.csv"


def test_horizontal_links_to_unknown_regions_are_refused(tmp_path, capsys):
    links = tmp_path / "links.csv"
    links.write_text("from,to\n330000,340000\n999999,340000\n", encoding="utf-8")
    out = tmp_path / "h"
    code, text = cli(["horizontal", "--agreements", "xinan_round3", "--monitoring", MONITORING, "--year", "2020",
                      "--links", links, "--out", out], capsys)
    assert code == 2 and "links.csv, row 3, column 'from': no region with this code" in text and "'999999'" in text
    assert not out.exists()


def test_horizontal_writes_its_files_as_one_folder(tmp_path, capsys):
    out = tmp_path / "h"
    argv = ["horizontal", "--agreements", "xinan_round3", "--monitoring", MONITORING, "--year", "2020", "--out", out]
    code, _ = cli(argv, capsys)
    assert code == 0 and sorted(p.name for p in out.iterdir()) == sorted(
        ["ledger.csv", "settlement.csv", "net_positions.csv", "summary.json"])
    inode = out.stat().st_ino
    code, _ = cli([*argv, "--overwrite"], capsys)
    assert code == 0 and out.stat().st_ino != inode  # a new folder swapped in, not files rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h"]  # no temporary or old folder left
    (out / "notes.txt").write_text("mine")
    code, text = cli([*argv, "--overwrite"], capsys)
    assert code == 2 and "holds other files (notes.txt)" in text and (out / "notes.txt").exists()


# --- proof: no name reaches outside its folder ------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

names = st.one_of(
    st.lists(st.sampled_from(list("./\\~:*?ab云_- \x00") + ["..", "../", "/etc", "%2e%2e", "$HOME"]),
             max_size=8).map("".join),
    st.sampled_from(["../agreements/lushui", "../methods/cn_kefz_2022", "/etc/passwd", "..", ".", "~",
                     "baseline_2023/../../x", "cn_kefz_2022", "lushui", "baseline_2023", "a\\..\\b"]),
    st.text(max_size=8))


@settings(max_examples=300, deadline=None, database=None)
@given(names)
def test_no_name_resolves_outside_its_folder(name):
    """Method, agreement and scenario *names* (no .yaml suffix; for scenarios: as named by ``extends`` in a
    file — a command-line argument naming an existing file is an explicit path) resolve inside models/ and
    scenarios/ or are refused; a run folder, compare/sweep folder, CSV name or sheet title made from any name stays inside the
    output folder or is refused."""
    from compensation.allocation.params import MODELS_DIR, load_method
    from compensation.cli.scenario import _out_folder
    from compensation.data import SCENARIOS_DIR
    from compensation.horizontal.agreements import AGREEMENTS_DIR, load_agreement
    from compensation.run import run_folder
    from compensation.scenario import find_scenario

    out = Path("/nonexistent-root/runs")
    if Path(name).suffix.lower() in (".yaml", ".yml"):
        return  # an explicit path, by design
    for load, folder in ((lambda n: Path(load_method(n).path), MODELS_DIR),
                         (lambda n: Path(load_agreement(n).path), AGREEMENTS_DIR),
                         (lambda n: find_scenario(n, SCENARIOS_DIR / "baseline_2023.yaml"), SCENARIOS_DIR)):
        try:
            found = load(name)
        except InputError:
            continue
        assert folder.resolve() in found.resolve().parents, (name, found)
    for make in (lambda n: run_folder(out, None, name=n, digest="0123456789"),
                 lambda n: _out_folder(str(out), f"compare-{n}", {"x": 1})):
        try:
            folder = make(name)
        except InputError:
            continue
        assert folder.resolve().parent == out.resolve(), (name, folder)
    assert cio.name_problem(cio.slug(name)) == ""
    title = cio.sheet_titles([name])[name]
    assert 0 < len(title) <= 31 and not set(title) & set("[]:*?/\\")
