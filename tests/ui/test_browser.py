"""Real browser: `streamlit run app_streamlit.py` on 127.0.0.1 driven by Debian's /usr/bin/chromium through
Playwright (no browser download). Every page renders without an error element, a screenshot of each is saved
under test-artifacts/, and one edit made in the browser changes a number on the page."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
PAGES = ["overview", "allocate", "compare", "region", "drilldown", "horizontal", "sensitivity", "data"]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ERROR_SELECTORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'

pytestmark = pytest.mark.browser


def _need_browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but /usr/bin/chromium is missing (apt-get install chromium fonts-noto-cjk)")
        pytest.skip("/usr/bin/chromium is missing (apt-get install chromium fonts-noto-cjk)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    _need_browser()
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app_streamlit.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read().strip() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s (see test-artifacts/streamlit.log)")
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _settle(page, charts: bool = True) -> None:
    """Wait until the script run is over (the app's script state) and charts are drawn."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=90_000)
    if charts and page.locator('[data-testid="stVegaLiteChart"]').count():
        page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
                               timeout=30_000)
        page.wait_for_timeout(800)


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the viewport grows to its height first."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 40, 1000), 9000)})
    page.wait_for_timeout(600)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size({"width": 1400, "height": 1000})


# raw field names that must never be visible in Chinese mode (visible DOM text; table cells are canvas-drawn and
# checked by tests/ui/test_chinese_everywhere.py through AppTest)
RAW_FIELDS = ["adcode", "name_zh", "name_en", "redline_total_km2", "population_10k", "adj_constraints",
              "adj_rounding", "region_group", "min_share", "max_share", "illustrative", "verified", "recalled",
              "pooled fund", "budget.base", "initial_last_year", "ERROR:", "None", "Infinity", "NaN"]


def _visible_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_every_page_in_both_languages_and_an_edit_changes_a_number(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    found = []  # raw field names per page, reported together
    try:
        for lang in ("zh", "en"):
            for name in PAGES:
                query = "" if lang == "zh" else "?lang=en"
                page.goto(f"{server}/{'' if name == 'overview' else name}{query}", wait_until="domcontentloaded")
                _settle(page)
                bad = page.locator(ERROR_SELECTORS)
                texts = [bad.nth(i).inner_text()[:300] for i in range(bad.count())]
                _screenshot(page, f"page_{name}_{lang}.png")
                assert not texts, f"{name} ({lang}): error element(s) on the page: {texts}"
                assert page.get_by_text("Page not found").count() == 0, name
                assert page.locator('[data-testid="stMain"] h1').count() >= 1
                if lang == "zh":
                    shown = _visible_text(page)
                    raw = [w for w in RAW_FIELDS if re.search(rf"(?<![A-Za-z_]){re.escape(w)}(?![A-Za-z_])", shown)]
                    if raw:
                        found.append(f"{name}: {raw}")
        assert not found, f"raw field names / English in Chinese mode: {found}"

        # one edit in the browser: the pool of the Allocate page, 1,091 → 1,200 亿元
        page.goto(f"{server}/allocate", wait_until="domcontentloaded")
        _settle(page, charts=False)
        total = page.locator('[data-testid="stMetric"]').filter(has_text="已分配合计").first
        assert "1,091.00 亿元" in total.inner_text()
        pool = page.locator('input[aria-label="资金池(亿元)"]')
        pool.fill("1200")
        pool.press("Enter")
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
            ".some(e => e.innerText.includes('1,200.00 亿元'))", timeout=30_000)
        _settle(page)
        assert "1,200.00 亿元" in total.inner_text()
        assert page.locator(ERROR_SELECTORS).count() == 0
        _screenshot(page, "page_allocate_after_edit.png")
        # the setting is in the address: a reload brings it back
        page.wait_for_function("() => location.search.includes('pool=1200')", timeout=10_000)
        page.reload(wait_until="domcontentloaded")
        _settle(page, charts=False)
        assert "1,200.00 亿元" in page.locator('[data-testid="stMetric"]').filter(has_text="已分配合计").first.inner_text()
    finally:
        page.close()


def _upload(page, name: str, data: bytes, mime: str = "text/csv") -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.wait_for_timeout(500)
    _settle(page, charts=False)


def _download(page, label: str, path: Path) -> Path:
    with page.expect_download(timeout=60_000) as d:
        page.locator('[data-testid="stDownloadButton"] button').filter(has_text=label).first.click()
    d.value.save_as(str(path))
    return path


def _chinese_gbk_csv() -> bytes:
    import pandas as pd

    from compensation.data import load_regions

    base = load_regions()
    df = pd.DataFrame({"行政区划代码": base["adcode"], "地区": base["name_zh"], "级别": base["level"],
                       "陆域面积(公顷)": base["land_area_km2"] * 100,
                       "生态保护红线面积(平方公里)": base["redline_total_km2"],
                       "常住人口(万人)": base["population_10k"]})
    for c in [c for c in base.columns if c.startswith("redline_") and c != "redline_total_km2"]:
        df[c] = base[c]
    return df.to_csv(index=False).encode("gbk")


def test_uploads_template_round_trip_reload_and_the_notice(server, browser, tmp_path):
    """Template XLSX (bilingual headers) downloaded and uploaded back; a GBK file with Chinese headers and units
    used on every page and kept over a reload; the 分配情况表 download opens in openpyxl with the Ministry's layout
    and the same numbers as `ecocomp run baseline_2023 --formats notice`."""
    import subprocess

    import openpyxl

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        # the notice of the default settings, against the CLI's
        page.goto(f"{server}/allocate", wait_until="domcontentloaded")
        _settle(page, charts=False)
        got = openpyxl.load_workbook(_download(page, "分配情况表", tmp_path / "page_notice.xlsx"))
        ws = got.worksheets[0]
        assert ws["B2"].value == "单位:亿元" and ws["A3"].value == "地区" and ws["A4"].value == "地方合计"
        assert ws.print_title_rows == "$3:$3" and ws.page_setup.orientation == "landscape"
        out = subprocess.run([sys.executable, "-m", "compensation.cli", "run", "baseline_2023", "--out",
                              str(tmp_path / "runs"), "--formats", "notice", "--quiet"], cwd=ROOT,
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        cli = openpyxl.load_workbook(next((tmp_path / "runs").glob("baseline_2023-*")) / "notice.xlsx").worksheets[0]
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=1, max_row=36)]
        assert rows == [[c.value for c in r] for r in cli.iter_rows(min_row=1, max_row=36)]

        # template round trip
        page.goto(f"{server}/data", wait_until="domcontentloaded")
        _settle(page, charts=False)
        tpl = _download(page, "XLSX 模板", tmp_path / "regions_template.xlsx")
        _upload(page, "regions_template.xlsx", tpl.read_bytes(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        assert page.locator('[data-testid="stAlertContentSuccess"]').filter(
            has_text="regions_template.xlsx").count() == 1, _visible_text(page)[:800]

        # a GBK CSV with Chinese headers and units, used on every page, kept over a reload
        page.goto(f"{server}/data", wait_until="domcontentloaded")
        _settle(page, charts=False)
        _upload(page, "省级数据_GBK.csv", _chinese_gbk_csv())
        assert page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="省级数据_GBK.csv").count() == 1, \
            _visible_text(page)[:800]
        page.get_by_role("button", name="在所有页面使用 省级数据_GBK.csv").click()
        _settle(page, charts=False)
        page.wait_for_function("() => location.search.includes('data=')", timeout=10_000)
        page.reload(wait_until="domcontentloaded")
        _settle(page, charts=False)
        assert "省级数据_GBK.csv" in page.locator('[data-testid="stAlert"]').first.inner_text()
        _screenshot(page, "upload_after_reload.png")
    finally:
        page.close()


def test_drilldown_jiangxi_county_amount_equals_the_cli(server, browser, tmp_path):
    """Province drill-down: choose 江西省 in the list, then a county; its amount on the page is the one
    `ecocomp run cascade_2023` writes to allocation_county_2023.csv."""
    import pandas as pd

    subprocess.run([sys.executable, "-m", "compensation.cli", "run", "cascade_2023", "--out", str(tmp_path / "runs"),
                    "--formats", "csv", "--quiet"], cwd=ROOT, check=True, capture_output=True)
    cli = pd.read_csv(next((tmp_path / "runs").glob("cascade_2023-*")) / "allocation_county_2023.csv",
                      dtype={"adcode": str}, encoding="utf-8-sig").set_index("adcode")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/drilldown", wait_until="domcontentloaded")
        _settle(page)
        for label, choice in (("省份", "江西省 (360000)"), ("县", "婺源县 (361130)")):
            box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).last
            box.click()
            page.keyboard.type(choice.split(" ")[0])
            page.get_by_role("option", name=choice).click()
            _settle(page)
        metric = page.locator('[data-testid="stMetric"]').filter(has_text="该县最终金额").first
        shown = int(re.sub(r"[^0-9]", "", metric.inner_text().split("该县最终金额")[-1]))
        assert shown == int(cli.loc["361130", "final"]) > 0
        assert "婺源县" in _visible_text(page) and page.locator(ERROR_SELECTORS).count() == 0
        _screenshot(page, "page_drilldown_jiangxi.png")
    finally:
        page.close()


def _chinese_header_xlsx() -> bytes:
    """An XLSX with Chinese headers only (the schema's Chinese labels and short forms), population in 人 and
    land area in km² stated in the headers — a different file from the GBK CSV and from the template."""
    import io

    import pandas as pd

    from compensation.data import load_regions
    from compensation.schema import COLUMNS

    base = load_regions()
    df = pd.DataFrame({"区划代码": base["adcode"], "地区名称": base["name_zh"], "行政级别": base["level"],
                       "陆域面积(km²)": base["land_area_km2"], "红线面积(平方公里)": base["redline_total_km2"],
                       "年末常住人口(人)": base["population_10k"] * 10_000})
    for c in [c for c in base.columns if c.startswith("redline_") and c != "redline_total_km2"]:
        df[f"{COLUMNS[c].label_zh}(km²)"] = base[c]
    buf = io.BytesIO()
    df.to_excel(buf, index=False)
    return buf.getvalue()


def _bilingual_header_csv() -> bytes:
    """A UTF-8 CSV (with BOM) whose headers give Chinese and English at once with units in either part
    (`陆域面积(公顷) / land area`), unlike the template's `中文 / name` headers."""
    import pandas as pd

    from compensation.data import load_regions
    from compensation.schema import COLUMNS

    base = load_regions()
    df = pd.DataFrame({"行政区划代码 / adcode": base["adcode"], "地区 / name": base["name_zh"],
                       "级别 / level": base["level"], "陆域面积(公顷) / land area": base["land_area_km2"] * 100,
                       "生态保护红线面积(km²) / red-line area": base["redline_total_km2"],
                       "常住人口(万人) / population": base["population_10k"]})
    for c in [c for c in base.columns if c.startswith("redline_") and c != "redline_total_km2"]:
        df[f"{COLUMNS[c].label_zh} / {COLUMNS[c].label_en} (km²)"] = base[c]
    return df.to_csv(index=False).encode("utf-8-sig")


def test_chinese_and_bilingual_header_uploads_and_page_numbers_equal_the_cli(server, browser, tmp_path):
    """Two more real files, each uploaded and valid: an XLSX with Chinese headers (units 人, 平方公里) and a CSV
    with bilingual headers (units in either part). Then Allocate's numbers against the CLI: the settings saved
    from the page as a scenario YAML, run by `ecocomp run`, give the same final amounts as the page's table
    download and the same total as the metric on the page."""
    import pandas as pd

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        for name, data, mime in (
                ("省级数据_中文表头.xlsx", _chinese_header_xlsx(),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("regions_bilingual.csv", _bilingual_header_csv(), "text/csv")):
            page.goto(f"{server}/data", wait_until="domcontentloaded")
            _settle(page, charts=False)
            _upload(page, name, data, mime)
            assert page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=name).count() == 1, \
                (name, _visible_text(page)[:800])
            assert page.locator(ERROR_SELECTORS).count() == 0, name

        page.goto(f"{server}/allocate", wait_until="domcontentloaded")
        _settle(page, charts=False)
        yaml_path = _download(page, "保存为情景", tmp_path / "page_settings.yaml")
        with page.expect_download(timeout=60_000) as d:  # the table's own CSV button (not the chart data's)
            page.locator('[data-testid="stDownloadButton"] button').filter(has_text=re.compile(r"CSV$")).filter(
                has_not_text="图表").first.click()
        d.value.save_as(str(tmp_path / "page_table.csv"))
        table = pd.read_csv(tmp_path / "page_table.csv", dtype={"行政区划代码": str}, encoding="utf-8-sig")
        shown_total = page.locator('[data-testid="stMetric"]').filter(has_text="已分配合计").first.inner_text()
        out = subprocess.run([sys.executable, "-m", "compensation.cli", "run", str(yaml_path), "--out",
                              str(tmp_path / "runs"), "--formats", "csv", "--quiet"], cwd=ROOT,
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        cli = pd.read_csv(next((tmp_path / "runs").glob("*/allocation_2023.csv")), dtype={"adcode": str},
                          encoding="utf-8-sig").set_index("adcode")["final"]
        page_final = table.set_index("行政区划代码")["最终金额 (万元)"]
        assert len(page_final) == 31 and page_final.to_dict() == cli.to_dict()
        assert f"{cli.sum() / 10_000:,.2f} 亿元" in shown_total
    finally:
        page.close()


def test_horizontal_negative_or_impossible_value_refused_in_the_cell(server, browser):
    """Typed into the monitoring editor's first row, permanganate index: '-7' is refused by the cell itself (it
    accepts no minus sign), so nothing reaches the core and no error shows; '150' (above the 100 mg/L ceiling)
    is refused with a message naming the row as shown on screen (row 1, 街口 2020-01) while the amounts owed and
    the settlement stay on the page, computed for the last valid values."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/horizontal", wait_until="domcontentloaded")
        _settle(page)
        grid = page.locator('[data-testid="stDataFrame"]').filter(visible=True).first
        box = grid.bounding_box()

        def type_in_first_row(text: str) -> None:
            page.mouse.click(box["x"] + 410, box["y"] + 53)  # 高锰酸盐指数 (mg/L), row 1: select the cell
            page.wait_for_timeout(300)
            page.keyboard.press("Enter")  # opens the cell's editor with its value
            page.wait_for_selector("input.gdg-input", timeout=10_000)
            page.keyboard.press("Control+a")
            page.keyboard.type(text, delay=50)
            page.keyboard.press("Enter")
            page.wait_for_timeout(2000)
            _settle(page)

        type_in_first_row("-7")
        assert page.locator(ERROR_SELECTORS).count() == 0, _visible_text(page)[:600]
        assert page.get_by_text("最近一次有效").count() == 0
        type_in_first_row("150")
        page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=20_000)
        _settle(page)
        errors = " ".join(page.locator('[data-testid="stAlertContentError"]').all_inner_texts())
        assert "第 1 行" in errors and "街口 2020-01" in errors and "超过可能的最大值 100" in errors, errors
        assert page.get_by_text("最近一次有效").count() == 1
        assert page.get_by_text("应付金额").count() >= 1 and page.get_by_text("结算方案").count() >= 1
        _screenshot(page, "horizontal_refused_value.png")
    finally:
        page.close()
