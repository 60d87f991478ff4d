"""Real browser: `streamlit run app_streamlit.py` on 127.0.0.1 driven by Debian's /usr/bin/chromium through
Playwright (no browser download). Every page renders without an error element, a screenshot of each is saved
under test-artifacts/, and one edit made in the browser changes a number on the page."""

from __future__ import annotations

import os
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
PAGES = ["overview", "allocate", "compare", "region", "horizontal", "sensitivity", "data"]
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


def test_every_page_renders_and_an_edit_changes_a_number(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        for name in PAGES:
            page.goto(f"{server}/{'' if name == 'overview' else name}", wait_until="domcontentloaded")
            _settle(page)
            bad = page.locator(ERROR_SELECTORS)
            texts = [bad.nth(i).inner_text()[:300] for i in range(bad.count())]
            _screenshot(page, f"page_{name}.png")
            assert not texts, f"{name}: error element(s) on the page: {texts}"
            assert page.get_by_text("Page not found").count() == 0, name
            assert page.locator('[data-testid="stMain"] h1').count() >= 1

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
    finally:
        page.close()
