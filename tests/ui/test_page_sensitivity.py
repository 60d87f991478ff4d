"""Sensitivity page: grid and Monte Carlo over weights, per-region ranges and time at floor or cap."""

from __future__ import annotations

from conftest import english, ok, page, table_with

from ui.state import Keys


def test_grid_sweep_gives_ranges_for_every_region():
    at = ok(page("sensitivity").run())
    s = table_with(at, "adcode", "min", "median", "max", "at_floor", "at_cap")
    assert len(s) == 31
    assert (s["min"] <= s["median"]).all() and (s["median"] <= s["max"]).all()
    assert (s["max"] > s["min"]).any()
    assert any("9 个参数组合" in c.value for c in at.caption)  # 3 × 3 grid


def test_monte_carlo_with_floor_and_cap_counts_bounds():
    state = {Keys.PERSIST: {Keys.USE_FLOOR: True, Keys.USE_CAP: True}}
    at = page("sensitivity", state).run()
    at.selectbox(key=Keys.S_MODE).set_value("monte_carlo")
    at.number_input(key=Keys.S_SAMPLES).set_value(20)
    at.multiselect(key=Keys.S_PARAMS).set_value(["weights.water_conservation"])
    at.button(key=Keys.S_RUN).click().run()
    ok(at)
    s = table_with(at, "adcode", "min", "median", "max", "at_floor", "at_cap")
    assert (s["at_floor"] > 0).any() and (s["at_cap"] > 0).any()
    assert any("20 个参数组合" in c.value for c in at.caption)


def test_english():
    english(page("sensitivity", {Keys.LANG: "en"}).run(), "s.title")
