"""Monitoring-table validation: every problem names file, row and column."""

import pandas as pd
import pytest

from compensation.horizontal import read_monitoring
from compensation.horizontal.monitoring import concentration_class, monthly_table, parse_class
from compensation.problems import InputError


def errors(df, **kw):
    with pytest.raises(InputError) as exc:
        read_monitoring(df, name="mon.csv", **kw)
    return exc.value.report.errors


def test_valid_table_passes_and_keeps_spreadsheet_rows():
    m = read_monitoring(monthly_table("街口", 2019, water_class="II", codmn=2.0), agreements=["xinan_round3"])
    assert len(m) == 12 and m["row"].tolist() == list(range(2, 14))
    assert (m["class_num"] == 2).all()


def test_missing_month_names_section_year_and_month():
    df = monthly_table("街口", 2019, water_class="II").drop(index=4)  # month 5 gone
    (p,) = errors(df)
    assert p.column == "month" and p.region == "街口" and "missing month(s) 5" in p.message_en
    assert p.file == "mon.csv" and p.row == 2


def test_unknown_section():
    df = pd.concat([monthly_table("街口", 2019, water_class="II"), monthly_table("新安", 2019, water_class="II")])
    (p,) = errors(df, agreements=["xinan_round3"])
    assert p.column == "section" and p.row == 14 and p.found == "新安" and "11 more row(s)" in p.message_en


def test_class_outside_range():
    df = monthly_table("街口", 2019, water_class="II")
    df.loc[2, "water_class"] = "VII"
    (p,) = errors(df)
    assert (p.row, p.column, p.found) == (4, "water_class", "VII")


def test_negative_concentration():
    df = monthly_table("街口", 2019, codmn=2.0, tp=0.03)
    df.loc[0, "tp_mg_l"] = -0.01
    (p,) = errors(df)
    assert (p.row, p.column) == (2, "tp_mg_l") and "negative" in p.message_en


def test_non_number_and_bad_month():
    df = monthly_table("街口", 2019, codmn=2.0).astype(object)
    df.loc[1, "codmn_mg_l"] = "n/a"
    df.loc[3, "month"] = 13
    errs = errors(df)
    assert {(p.row, p.column) for p in errs} >= {(3, "codmn_mg_l"), (5, "month")}


def test_duplicate_month():
    df = pd.concat([monthly_table("街口", 2019, water_class="II"), monthly_table("街口", 2019, water_class="II").head(1)])
    assert any("duplicate" in p.message_en for p in errors(df))


def test_chinese_headers_and_class_spellings(tmp_path):
    df = monthly_table("金鱼石", 2019, water_class=["Ⅲ类", "劣Ⅴ", "II", "3", "Ⅱ", "IV", "V", "I", "劣V类", "Ⅳ类", "ⅱ", "III"])
    df.columns = ["断面", "年", "月", "水质类别"]
    path = tmp_path / "mon.csv"
    path.write_bytes(df.to_csv(index=False).encode("gbk"))  # Excel on a Chinese-locale Windows
    with pytest.raises(InputError) as exc:  # 'ⅱ' (small roman two) is not a class spelling we accept
        read_monitoring(path)
    (p,) = exc.value.report.errors
    assert p.row == 12 and p.column == "water_class"
    df.loc[10, "水质类别"] = "II"
    path.write_bytes(df.to_csv(index=False).encode("gbk"))
    m = read_monitoring(path)
    assert m["class_num"].tolist() == [3, 6, 2, 3, 2, 4, 5, 1, 6, 4, 2, 3]


def test_parse_class_and_gb3838_boundaries():
    assert [parse_class(t) for t in ("", "I", "Ⅴ类", "劣5", "x")] == [0, 1, 5, 6, -1]
    # worked by hand (GB 3838-2002): NH3-N 0.15 → I (at the limit), 0.151 → II, 1.0 → III, 2.0 → V, 2.01 → 劣V
    assert concentration_class("nh3n", [0.15, 0.151, 1.0, 2.0, 2.01]).tolist() == [1, 2, 3, 5, 6]
