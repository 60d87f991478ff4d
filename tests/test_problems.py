"""A problem's location and line in each language (compensation/problems.py): the front end's Chinese line and
the CLI's English line come from the same function. Expected strings written by hand."""

from __future__ import annotations

from compensation.problems import Problem


def test_english_line_names_file_row_region_column_key_and_year():
    p = Problem("error", "must be a number", "必须是数字", file="r.csv", row=7, region="110000 北京市",
                column="population_10k", key="budget.base", year=2024, expected="≥ 0", found="abc")
    assert p.text("en") == ("ERROR: r.csv, row 7, (110000 北京市), column 'population_10k', key 'budget.base', "
                            "year 2024: must be a number (expected ≥ 0; found abc)")


def test_chinese_line_is_wholly_chinese_with_the_callers_labels():
    p = Problem("warning", "must be a number", "必须是数字", file="r.csv", row=7, column="population_10k",
                key="budget.base[2]", expected="≥ 0", found="abc")
    labels = {"population_10k": "人口(万人)"}
    keys = {"budget.base": "预算基数"}
    line = p.text("zh", column_label=lambda c: labels.get(c, c), key_label=lambda k: keys.get(k.split("[")[0]))
    assert line == "警告:r.csv，第 7 行，列“人口(万人)”(population_10k)，“预算基数”:必须是数字(应为 ≥ 0;实际 abc)"


def test_chinese_line_without_labels_keeps_raw_names_and_falls_back_to_english_message():
    p = Problem("error", "unknown key", "", column="foo", key="x.y")
    assert p.text("zh") == "错误:列“foo”，键 x.y:unknown key"
    assert Problem("error", "bad", "坏").text("zh") == "错误:坏"
    assert Problem("error", "bad", "坏").text("en") == "ERROR: input: bad"
