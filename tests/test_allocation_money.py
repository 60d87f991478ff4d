"""Budget amounts parsed exactly (issue #9, item 6): money.parse_amount / money.whole_amount, and their use in
allocate(), `ecocomp allocate --budget` and scenario budgets. Every expected number is worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from compensation import load_regions
from compensation.allocation import allocate
from compensation.money import MAX_AMOUNT, parse_amount, whole_amount
from compensation.problems import InputError
from compensation.scenario import budget_for_years


def test_float_text_is_taken_as_written():
    # 1091.00045 as a float is 1091.000449999999966…; the amount a person wrote is 1091.00045.
    assert parse_amount(1091.00045) == Decimal("1091.00045")
    assert parse_amount("10_000") == Decimal(10000)
    assert parse_amount(" 1e3 ") == Decimal(1000)


def test_budget_not_whole_in_output_unit_is_refused_by_default():
    # 1091.00045 亿元 = 1091.00045 × 10,000 万元 = 10,910,004.5 万元: half a 万元 would otherwise vanish.
    with pytest.raises(InputError) as e:
        whole_amount(1091.00045, "亿元", "万元")
    msg = str(e.value)
    assert "10,910,004.5 万元" in msg and "not a whole number of 万元" in msg and "10,910,005" in msg


def test_budget_rounded_half_up_only_on_request_with_a_warning_saying_by_how_much():
    total, note = whole_amount("1091.00045", "亿元", "万元", rounding="half_up")
    assert total == 10_910_005
    assert note.severity == "warning" and "+0.5 万元" in note.message_en
    total, note = whole_amount("1091.00044", "亿元", "万元", rounding="half_up")  # 10,910,004.4 → 10,910,004
    assert total == 10_910_004 and "-0.4 万元" in note.message_en


def test_large_budgets_are_exact_python_ints_or_refused_above_the_limit():
    # 10^15 元 is the documented limit and is kept to the unit; 10^15 + 1 元 is refused, not changed.
    assert whole_amount(10**15, "元", "元") == (10**15, None)
    assert whole_amount(10**13 + 3, "元", "元") == (10_000_000_000_003, None)
    for v in (10**17 + 3, 10**15 + 1, "9e18"):
        with pytest.raises(InputError, match="above the limit"):
            whole_amount(v, "元", "元")
    # in 万元 the same 10^17+3 元 is 10,000,000,000,000.0003 万元: not whole, refused with the exact figure
    with pytest.raises(InputError, match=r"10,000,000,000,000\.0003 万元"):
        whole_amount(10**17 + 3, "元", "万元")
    assert MAX_AMOUNT == 10**15


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), "NaN", "Infinity", 1e30, -5, 0,
                                 "abc", True, None, "1,091"])
def test_hostile_budgets_are_refused_naming_the_key(bad):
    with pytest.raises(InputError) as e:
        whole_amount(bad, "亿元", "万元", key="--budget")
    assert e.value.report.errors[0].key == "--budget"
    assert "--budget" in str(e.value)


def test_allocate_uses_the_exact_budget():
    regions = load_regions()
    with pytest.raises(InputError, match="not a whole number"):
        allocate(regions, budget=1091.00045, budget_unit="亿元", unit="万元")
    res = allocate(regions, budget="1091.00045", budget_unit="亿元", unit="万元", budget_rounding="half_up")
    assert res.budget == 10_910_005 and int(res.table["final"].sum()) == 10_910_005
    assert any("rounded half up" in p.message_en for p in res.diagnostics)
    res = allocate(regions, budget=10**13 + 3, budget_unit="元", unit="元")  # 10^13+3 元 kept to the 元
    assert int(res.table["final"].sum()) == 10**13 + 3


def test_scenario_budgets_exact_and_rounding_explicit():
    spec = {"budget": {"unit": "亿元", "amounts": {2023: 1091.00045}}}
    from compensation.problems import Report

    rep = Report()
    assert budget_for_years(spec, [2023], "万元", "s.yaml", rep) == {}
    assert rep.errors[0].key == "budget.amounts.2023" and "10,910,004.5 万元" in rep.errors[0].message_en
    spec["budget"]["rounding"] = "half_up"
    rep = Report()
    assert budget_for_years(spec, [2023], "万元", "s.yaml", rep) == {2023: 10_910_005}
    assert rep.warnings and "+0.5 万元" in rep.warnings[0].message_en
    # base × growth in Decimal: 1.05³ = 1.157625; 1091 × 1.157625 = 1262.968875 亿元 = 12,629,688.75 万元 → 12,629,689
    spec = {"budget": {"unit": "亿元", "base": 1091, "base_year": 2023, "growth": 0.05}}
    assert budget_for_years(spec, [2026], "万元") == {2026: 12_629_689}
    rep = Report()
    assert budget_for_years({"budget": {"unit": "元", "amounts": {2023: float("nan")}}}, [2023], "元", "s", rep) == {}
    assert "finite" in rep.errors[0].message_en


def test_cli_budget_errors_name_the_flag(tmp_path, capsys):
    from compensation.cli import main

    out = tmp_path / "a.csv"
    assert main(["allocate", "--budget", "nan", "--budget-unit", "亿元", "--out", str(out)]) == 2
    err = capsys.readouterr()
    assert "--budget" in err.out + err.err and "finite" in err.out + err.err
    assert not out.exists()
    assert main(["allocate", "--budget", "1091.00045", "--budget-unit", "亿元", "--out", str(out)]) == 2
    assert main(["allocate", "--budget", "1091.00045", "--budget-unit", "亿元", "--round-budget",
                 "--out", str(out)]) == 0
    assert "10,910,005" in capsys.readouterr().out
