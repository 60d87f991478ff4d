"""Tables out: CSV with headers in words and units, XLSX with bilingual headers, thousands separators, shares as
percentages and a 说明 sheet; the templates keep the schema's codes so that they read back."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from compensation.data import check_regions
from ui.downloads import csv_bytes, xlsx_bytes


def _table():
    return pd.DataFrame({"adcode": ["110000", "630000"], "name_zh": ["北京市", "=青海省"],
                         "final": [15_033, 1_075_078], "share": [0.0138, 0.0985], "binding": ["", "floor"]})


def test_csv_has_chinese_headers_with_units_words_and_a_bom():
    data = csv_bytes(_table())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig").splitlines()
    assert text[0] == "行政区划代码,地区,最终金额 (万元),占比,约束情况"
    assert text[2].startswith("630000,'=青海省,1075078,0.0985,受下限约束上调")  # formula escaped, floor in words


def test_xlsx_has_bilingual_headers_formats_and_provenance():
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(_table(), "allocation", (("输入哈希 / input hash", "abc"),))))
    ws = wb["allocation"]
    assert [c.value for c in ws[1]] == ["行政区划代码 / adcode", "地区 / name_zh", "最终金额 (万元) / final",
                                        "占比 / share", "约束情况 / binding"]
    assert ws["C3"].value == 1_075_078 and ws["C3"].number_format == "#,##0"
    assert ws["D3"].number_format == "0.0%"
    assert [c.value for c in wb["说明"][2]] == ["输入哈希 / input hash", "abc"]


def test_template_downloads_read_back():
    from compensation.data import load_regions

    tpl = load_regions().head(3)
    for data, name in ((csv_bytes(tpl, plain=True), "t.csv"), (xlsx_bytes(tpl, "regions", words=False), "t.xlsx")):
        table, report = check_regions(data, name=name)
        assert not report.errors, report.render()
        assert list(table["adcode"]) == list(tpl["adcode"])
