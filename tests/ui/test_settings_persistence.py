"""Work never lost: settings in the address (reload, back, a shared link), save as scenario → `ecocomp run` gives
the page's amounts, load scenario, an upload found again by its hash."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, app, metric, ok, page, table_with

from compensation.data import load_regions
from compensation.problems import InputError
from ui.loading import find_upload, save_upload
from ui.scenario_file import read_settings_yaml
from ui.state import Keys

WATER = Keys.param("weights.water_conservation")


def test_settings_come_back_from_the_address_and_bad_values_are_said():
    at = app({"pool": "1200", "p.weights.water_conservation": "2.4", "lang": "en", "y": "abc",
              "floor": "0.9", "c": "{not json"}).run()
    assert not at.exception
    assert any("y" in w.value and "c" in w.value for w in at.warning)  # said, not a traceback
    at.switch_page("ui/pages/allocate.py").run()
    ok(at)
    assert metric(at, "allocated") == "1,200.00 亿元"
    assert at.slider(key=WATER).value == 2.4
    assert at.checkbox(key=Keys.USE_FLOOR).value is True
    # the address now holds exactly what is in force (the bad values are gone)
    q = dict(at.query_params)
    assert q == {"lang": "en", "pool": "1200", "p.weights.water_conservation": "2.4", "floor": "0.9"}


def test_an_edit_goes_into_the_address():
    at = app().run()
    at.switch_page("ui/pages/allocate.py").run()
    at.number_input(key=Keys.POOL).set_value(1300.0).run()
    ok(at)
    assert dict(at.query_params).get("pool") == "1300"


def test_saved_scenario_runs_in_the_cli_to_the_page_amounts(tmp_path):
    at = page("allocate").run()
    at.number_input(key=Keys.POOL).set_value(1200.0).run()
    at.slider(key=WATER).set_value(2.4).run()
    at.checkbox(key=Keys.USE_FLOOR).check().run()
    ok(at)
    shown = table_with(at, "adcode", "final", "binding")
    shown = shown.set_index(shown["adcode"].astype(str))["final"].astype(int)
    text = next(c.value for c in at.code if "ecocomp run" in c.value)
    (tmp_path / "my_settings.yaml").write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "compensation.cli", "run", str(tmp_path / "my_settings.yaml"),
                          "--out", str(tmp_path / "runs"), "--formats", "csv", "--quiet"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    cli = pd.read_csv(next((tmp_path / "runs").glob("my_settings-*")) / "allocation_2023.csv", dtype={"adcode": str})
    cli = cli.set_index("adcode")["final"].astype(int)
    assert cli.sum() == 12_000_000
    assert (cli.sort_index() == shown.sort_index()).all()
    assert (shown != 0).all()


def test_load_scenario_reads_a_shipped_file_and_names_the_users_file_on_errors():
    regions = load_regions()
    data = (ROOT / "scenarios" / "water_priority_2023.yaml").read_bytes()
    values, bounds, groups, notes = read_settings_yaml(data, "water_priority_2023.yaml", regions, "默认")
    assert values[Keys.METHOD] == "redline_function_weighted" and values[Keys.YEAR] == 2023
    assert values[Keys.POOL] == pytest.approx(1091.0)
    assert any(k.startswith(Keys.PARAM_PREFIX + "weights.") for k in values)
    with pytest.raises(InputError) as e:
        read_settings_yaml("method: no_such_method\nyears: [2023]\nbudget: {unit: 亿元, amounts: {2023: 1}}\n"
                           .encode(),
                           "mine.yaml", regions, "默认")
    assert all(p.file in ("", "mine.yaml") for p in e.value.report.problems)
    assert "ecocomp-ui-sc" not in e.value.report.render()
    with pytest.raises(InputError, match="YAML"):
        read_settings_yaml(b"a: [1,\n", "broken.yaml", regions, "默认")


def test_an_upload_is_found_again_by_its_hash_and_a_changed_file_is_not():
    data = (ROOT / "data" / "provinces.csv").read_bytes()
    ref = save_upload(data, "我的数据.csv")
    assert find_upload(ref["sha"][:16]) == ref
    assert find_upload("../../etc/passwd") is None and find_upload("zz" * 8) is None
    open(ref["path"], "ab").write(b"\n")  # the file changed on disk: not the data the link meant
    assert find_upload(ref["sha"][:16]) is None


def test_reload_with_the_upload_hash_uses_the_upload():
    data = (ROOT / "data" / "provinces.csv").read_bytes()
    ref = save_upload(data, "我的数据.csv")
    at = app({"data": ref["sha"][:16]}).run()
    at.switch_page("ui/pages/data.py").run()
    assert not at.exception
    assert any("我的数据.csv" in i.value for i in at.info)
