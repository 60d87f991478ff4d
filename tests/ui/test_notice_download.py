"""The Allocate page's "分配情况表" button gives the same workbook rows as `ecocomp run … --formats notice` for
the same scenario (both go through compensation.notice)."""

from __future__ import annotations

import io
import subprocess
import sys

import openpyxl
from conftest import ROOT

from compensation.allocation import allocate, load_method
from compensation.data import load_regions
from ui.downloads import notice_bytes


def _rows(ws):
    return [(ws.cell(i, 1).value, ws.cell(i, 2).value) for i in range(1, ws.max_row + 1)]


def test_page_notice_equals_cli_notice(tmp_path):
    # the page's default settings are the 2023 baseline scenario: same method, pool, unit and objective
    res = allocate(load_regions(), method=load_method("redline_function_weighted"), budget=1091.0,
                   budget_unit="亿元", unit="万元", year=2023)
    spec = {"scenario": {"name": "current"}, "years": [2023]}
    page = openpyxl.load_workbook(io.BytesIO(notice_bytes(res, spec, "h", "亿元")))
    out = subprocess.run([sys.executable, "-m", "compensation.cli", "run", "baseline_2023", "--out", str(tmp_path),
                          "--formats", "notice", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    cli = openpyxl.load_workbook(next(tmp_path.glob("baseline_2023-*")) / "notice.xlsx")
    assert page.sheetnames == cli.sheetnames == ["2023年分配情况表", "说明"]
    assert _rows(page.worksheets[0]) == _rows(cli.worksheets[0])
    wan = openpyxl.load_workbook(io.BytesIO(notice_bytes(res, spec, "h", "万元"))).worksheets[0]
    assert wan["B2"].value == "单位:万元" and wan["B4"].value == 10_910_000
