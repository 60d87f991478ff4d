"""Region tables with headers in Chinese, English or both, and units stated in the headers
(compensation/headers.py, applied by validate_regions)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from compensation.data import check_regions, load_regions
from compensation.headers import match_header
from compensation.run import bilingual
from compensation.schema import COLUMNS

REQ = ["adcode", "name_zh", "level", "land_area_km2", "redline_total_km2", "population_10k"]


def _default(cols=REQ):
    return load_regions()[cols].head(5).copy()


@pytest.mark.parametrize("header, column, factor", [
    ("adcode", "adcode", 1.0),
    ("行政区划代码 / adcode", "adcode", 1.0),  # ecocomp's own bilingual workbooks
    ("名称", "name_zh", 1.0),
    ("红线面积(km²)", "redline_total_km2", 1.0),
    ("人口(万人)", "population_10k", 1.0),
    ("人口（人）", "population_10k", 1e-4),  # full-width brackets; 1 人 = 0.0001 万人
    ("陆域面积(公顷)", "land_area_km2", 0.01),  # 1 公顷 = 0.01 km²
    ("上年补助额(亿元)", "last_year_amount_10k_cny", 1e4),
    ("生态保护红线面积 (km²)", "redline_total_km2", 1.0),  # schema.label() form
    ("resident population", "population_10k", 1.0),
])
def test_header_forms(header, column, factor):
    m = match_header(header)
    assert m.column == column and m.factor == pytest.approx(factor)


def test_a_unit_of_another_kind_is_an_error_not_a_factor():
    assert "cannot be converted to 万人" in match_header("人口(km²)")
    assert match_header("备注") is None


def test_every_schema_label_is_understood():
    for name, col in COLUMNS.items():
        assert match_header(col.label_zh).column == name, col.label_zh
        assert match_header(f"{col.label_zh} / {name}").column == name


def _csv(df, encoding="utf-8-sig") -> bytes:
    return df.to_csv(index=False).encode(encoding)


def test_chinese_headers_with_units_in_gbk_give_the_same_table():
    base = _default()
    zh = base.rename(columns={"adcode": "行政区划代码", "name_zh": "地区", "level": "级别",
                              "land_area_km2": "陆域面积(公顷)", "redline_total_km2": "红线面积(平方公里)",
                              "population_10k": "常住人口(人)"})
    zh["陆域面积(公顷)"] = base["land_area_km2"] * 100
    zh["常住人口(人)"] = (base["population_10k"] * 10_000).round()
    table, report = check_regions(_csv(zh, "gbk"), name="省份数据.csv")
    assert not report.errors, report.render()
    np.testing.assert_allclose(table["land_area_km2"], base["land_area_km2"])
    np.testing.assert_allclose(table["population_10k"], base["population_10k"], rtol=1e-9)
    assert list(table["adcode"]) == list(base["adcode"])


def test_bilingual_template_round_trips():
    """The Data page's XLSX template (bilingual headers, as run workbooks) is read back as it was written."""
    base = load_regions().head(3)[[c for c in COLUMNS if c in load_regions().columns]]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        bilingual(base).to_excel(xw, sheet_name="regions", index=False)
    assert any(" / " in c for c in bilingual(base).columns)
    table, report = check_regions(buf.getvalue(), name="regions_template.xlsx")
    assert not report.errors, report.render()
    assert not [p for p in report.warnings if "unknown column" in p.message_en]
    pd.testing.assert_series_equal(table["redline_total_km2"].reset_index(drop=True),
                                   base["redline_total_km2"].reset_index(drop=True), check_names=False)


def test_two_headers_for_one_column_and_a_bad_unit_are_errors_naming_the_column():
    base = _default()
    df = base.assign(**{"行政区划代码": base["adcode"]})
    _, report = check_regions(_csv(df), name="x.csv")
    assert any(p.column == "adcode" and "more than once" in p.message_en for p in report.errors)
    bad = base.rename(columns={"population_10k": "人口(km²)"})
    _, report = check_regions(_csv(bad), name="x.csv")
    assert any(p.column == "人口(km²)" and "cannot be converted" in p.message_en for p in report.errors)


@pytest.mark.parametrize("head, kind", [(b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff\xe0", "a JPEG image"),
                                        (b"%PDF-1.7\n", "a PDF document")])
def test_an_image_renamed_csv_is_called_what_it_is(head, kind):
    _, report = check_regions(head + bytes(range(256)) * 4, name="省份数据.csv")
    (p,) = report.errors
    assert kind in p.message_en and "encod" not in p.message_en and p.file == "省份数据.csv"
    assert "不是表格文件" in p.message_zh


def test_headers_without_a_unit_for_a_quantity_with_several_units_are_listed():
    from compensation.headers import unitless_headers

    heads = ["行政区划代码", "地区", "陆域面积", "红线面积(km²)", "人口", "land_area_km2", "陆域面积 / land_area_km2",
             "上年补助额", "陆域面积 (km²)", "level", "生态保护红线面积"]
    # asked: area, population and money named in words without a unit; not asked: codes, names, levels, headers
    # stating a unit, headers carrying the schema's name (land_area_km2 says km² by its name)
    assert unitless_headers(heads) == {"陆域面积": "land_area_km2", "人口": "population_10k",
                                       "上年补助额": "last_year_amount_10k_cny",
                                       "生态保护红线面积": "redline_total_km2"}


def test_chosen_units_are_written_into_the_headers_and_converted_by_validation():
    from compensation.headers import unitless_headers, with_units

    base = _default()
    # by hand: 北京 16,410 km² of land = 1,641,000 公顷; 2,184 万人 = 21,840,000 人
    df = pd.DataFrame({"代码": base["adcode"], "地区": base["name_zh"], "级别": base["level"],
                       "陆域面积": base["land_area_km2"] * 100, "红线面积": base["redline_total_km2"],
                       "人口": base["population_10k"] * 10_000}).astype(str)
    assert set(unitless_headers(df.columns)) == {"陆域面积", "红线面积", "人口"}
    df.columns = with_units(df.columns, {"陆域面积": "公顷", "人口": "人"})
    assert list(df.columns)[3:] == ["陆域面积(公顷)", "红线面积", "人口(人)"]
    table, report = check_regions(df, name="t.csv")
    assert not report.errors
    assert table["land_area_km2"].iloc[0] == pytest.approx(16_410.0)
    assert table["population_10k"].iloc[0] == pytest.approx(2_184.0)
    with pytest.raises(ValueError):
        with_units(["人口"], {"人口": "公顷"})  # not a unit offered for a population
