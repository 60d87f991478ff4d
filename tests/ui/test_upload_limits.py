"""Data page under hostile uploads (issue #10): too large is a message, not a parse; thousands of problem rows
do not hit the styled-table cell limit (first rows highlighted, the full problem table downloadable)."""

from __future__ import annotations

from conftest import ROOT, no_exception, page

from ui.state import Keys

GOOD = (ROOT / "data" / "provinces.csv").read_text(encoding="utf-8-sig")


def test_upload_above_the_limit_is_refused_with_the_sizes(monkeypatch):
    monkeypatch.setenv("ECOCOMP_MAX_UPLOAD_MB", "0.001")  # 1 KB; the province table is several KB
    at = page("data").run()
    at.text_area(key=Keys.D_PASTE).input(GOOD).run()
    no_exception(at)
    text = " ".join(e.value for e in at.error)
    assert "pasted.csv" in text and "超过上传上限 1.0 KB" in text and "实际 4.2 KB" in text  # the default language is zh
    assert not at.success


def test_thousands_of_problem_rows_show_the_first_200():
    header = GOOD.splitlines()[0]
    width = len(header.split(","))
    bad_rows = [",".join([f"{i:06d}"] + ["abc"] * (width - 1)) for i in range(1, 1201)]
    at = page("data").run()
    at.text_area(key=Keys.D_PASTE).input("\n".join([header, *bad_rows])).run()
    no_exception(at)
    assert any("The first 200 of 1200 rows" in c.value or "仅显示前 200 行(共 1200 行有问题)" in c.value
               for c in at.caption)
    shown = [df.value for df in at.dataframe if "adcode" in df.value.columns]
    assert shown and len(shown[0]) == 200
