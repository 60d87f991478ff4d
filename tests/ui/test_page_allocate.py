"""Allocate page: widgets by key change the results as they should; bad settings give messages, not tracebacks."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import info_text, metric, no_exception, ok, page, table_with

from ui.settings import groups_default
from ui.state import Keys

QINGHAI = "630000"
WATER = Keys.param("weights.water_conservation")


def finals(at) -> pd.Series:
    t = table_with(at, "adcode", "final", "binding")
    return t.set_index(t["adcode"].astype(str))["final"]


def test_loads_with_inputs_and_status():
    at = ok(page("allocate").run())
    assert at.title[0].value == "分配测算"
    assert "输入哈希" in info_text(at) and "生态保护红线功能加权法" in info_text(at)
    assert any("最优" in s.value for s in at.success)
    assert metric(at, "已分配合计") == "1,091.00 亿元"
    assert int(finals(at).sum()) == 10_910_000  # whole 万元 adding up to the pool


def test_raising_water_weight_raises_qinghai_and_lowers_the_others():
    at = ok(page("allocate").run())
    before = finals(at)
    hash_before = info_text(at).split("`")[-2]
    at.slider(key=WATER).set_value(2.4).run()
    ok(at)
    after = finals(at)
    assert after[QINGHAI] > before[QINGHAI]
    others = [a for a in before.index if a != QINGHAI]
    assert after[others].sum() < before[others].sum()
    assert after.sum() == before.sum()
    text = info_text(at)
    assert "水源涵养功能权重 1.2→2.4" in text  # what produced the results is shown, and it is the new input
    assert text.split("`")[-2] != hash_before
    # the normalised weights are shown again after the edit
    assert any("归一化后" in c.value and re.search("水源涵养功能权重 3[78]%", c.value) for c in at.caption)


def test_pool_edit_updates_total_and_hash():
    at = ok(page("allocate").run())
    at.number_input(key=Keys.POOL).set_value(1200.0).run()
    ok(at)
    assert metric(at, "已分配合计") == "1,200.00 亿元"
    assert int(finals(at).sum()) == 12_000_000


def test_floor_and_cap_ratios_bind_and_are_explained():
    at = page("allocate").run()
    at.checkbox(key=Keys.USE_FLOOR).check().run()
    at.checkbox(key=Keys.USE_CAP).check().run()
    at.slider(key=WATER).set_value(3.0).run()
    ok(at)
    t = table_with(at, "adcode", "final", "binding")
    assert set(t["binding"]) >= {"受下限约束上调", "受上限约束下调"}  # floor, cap in words
    assert "不低于上年 95%" in info_text(at) and "不高于上年 110%" in info_text(at)
    assert any("2023 年基线情景" in c.value for c in at.caption)  # last year from the baseline run


def test_objective_minimax_reports_solver():
    at = page("allocate").run()
    at.checkbox(key=Keys.USE_FLOOR).check().run()
    at.selectbox(key=Keys.OBJECTIVE).set_value("minimax").run()
    ok(at)
    assert any("PuLP" in s.value for s in at.success)


def test_impossible_floor_is_infeasible_in_words():
    at = page("allocate").run()
    at.checkbox(key=Keys.USE_FLOOR).check().run()
    at.slider(key=Keys.FLOOR_RATIO).set_value(1.5).run()
    no_exception(at)
    assert any("不可行" in e.value for e in at.error)
    assert len(at.error) >= 2  # the status and at least one reason


def test_zero_pool_is_a_message_not_a_traceback():
    at = page("allocate").run()
    at.number_input(key=Keys.POOL).set_value(0.0).run()
    no_exception(at)
    assert any("预算必须大于零" in e.value for e in at.error)


def test_groups_and_locks_from_the_editors():
    groups = groups_default()
    groups.loc[groups["region_group"] == "west", "min_share"] = 0.8
    from ui.loading import default_regions
    from ui.settings import bounds_default

    bounds = bounds_default(default_regions())
    bounds.loc[bounds["adcode"] == "110000", "lock"] = 50_000.0
    at = ok(page("allocate", {Keys.PERSIST: {Keys.GROUPS: groups, Keys.BOUNDS: bounds}}).run())
    f = finals(at)
    assert f["110000"] == 50_000
    t = table_with(at, "adcode", "final", "binding")
    assert (t.set_index("adcode").loc["110000", "binding"]) == "金额已锁定"  # locked, in words
    west = default_regions().set_index("adcode")["region_group"] == "west"
    assert f[west[west].index].sum() >= 0.8 * f.sum()
    assert "西部 80%" in info_text(at)


def test_english_switch():
    at = ok(page("allocate", {Keys.LANG: "en"}).run())
    assert at.title[0].value == "Allocate"
    assert any("optimal" in s.value for s in at.success)


def test_reset_restores_defaults():
    at = page("allocate").run()
    at.slider(key=WATER).set_value(2.0).run()
    at.button(key=Keys.RESET).click().run()
    ok(at)
    assert at.slider(key=WATER).value == 1.2


def test_run_bundle_matches_the_inputs_shown():
    import io
    import json
    import zipfile

    at = ok(page("allocate").run())
    at.button(key="alloc_bundle_make").click().run()
    ok(at)
    shown = info_text(at).split("`")[-2]
    bundle = at.session_state[Keys.BUNDLE]
    # the core names the run by the same hash (then the formats written: run folders name a non-default set)
    assert bundle["hash"] == shown and bundle["name"].split("-")[1] == shown
    with zipfile.ZipFile(io.BytesIO(bundle["zip"])) as z:
        manifest = json.loads(z.read(next(n for n in z.namelist() if n.endswith("manifest.json"))))
        table = pd.read_csv(z.open(next(n for n in z.namelist() if n.endswith("allocation_2023.csv"))),
                            dtype={"adcode": str})
    assert manifest["years"] == [2023]
    assert table.set_index("adcode")["final"].to_dict() == finals(at).to_dict()
    at.slider(key=WATER).set_value(2.0).run()
    ok(at)
    assert any("过期" in c.value for c in at.caption)  # the earlier bundle is not offered as current


def test_infeasible_floor_ratio_names_the_largest_that_works_and_applies_it():
    """Floor 150 % of last year (the 2023 baseline, which adds up to the same 1,091 亿元 pool): the core's largest
    feasible ratio is shown in words with a button; applying it (rounded down to the slider's 0.01 grid) makes the
    allocation feasible. In English the same figure is said in English."""
    at = page("allocate").run()
    at.checkbox(key=Keys.USE_FLOOR).check().run()
    at.slider(key=Keys.FLOOR_RATIO).set_value(1.5).run()
    no_exception(at)
    texts = [m.value for m in at.markdown] + [e.value for e in at.info]
    assert any("最小可行调整" in x for x in texts)
    line = next(x for x in texts if "可行的最大下限比例为上年金额的" in x)
    r = float(re.search(r"的 ([0-9.]+)%", line).group(1)) / 100
    assert 0.9 <= r < 1.5 and "当前 150%" in line
    at.button(key="alloc_fix_floor").click().run()
    ok(at)
    assert at.slider(key=Keys.FLOOR_RATIO).value == pytest.approx(int(r * 100) / 100)
    assert metric(at, "已分配合计") == "1,091.00 亿元"
    en = no_exception(page("allocate", {Keys.LANG: "en", Keys.PERSIST: {Keys.USE_FLOOR: True,
                                                                        Keys.FLOOR_RATIO: 1.5}}).run())
    assert any(f"the largest floor ratio that works is {r:.2%}" in m.value for m in en.markdown)
