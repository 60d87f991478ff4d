"""What the user waits for in the real browser (budgets: an edit on Allocate ≤ 1.0 s median, a page switch
≤ 1.5 s median), measured with Playwright driving Debian's /usr/bin/chromium against `streamlit run`.

- edit → updated number: the pool on Allocate is typed and Enter pressed; the clock stops when the metric
  "已分配合计" shows the new total (alternating 1,100 … 1,190 亿元, so every edit changes the number).
- page switch: a click on a sidebar link; the clock stops when the new page's title is drawn and the app's
  script state is back to "notRunning".
- baseline measured in the same run: the core's allocate() of the same settings in this process (what the
  edit costs without Streamlit and the browser); the ratio says how much the front end adds.

Run: .venv/bin/python benchmarks/bench_ui_browser.py [--repeat 10]   (about a minute on 2 cores)"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
EDIT_BUDGET_S, SWITCH_BUDGET_S = 1.0, 1.5
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stats(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs), xs[max(0, int(round(0.9 * len(xs))) - 1)]


def core_baseline(repeat: int) -> float:
    from compensation.allocation import allocate, load_method
    from compensation.data import load_regions

    regions, m = load_regions(), load_method("redline_function_weighted")
    allocate(regions, method=m, budget=1091.0, budget_unit="亿元", unit="万元", year=2023)
    out = []
    for k in range(repeat):
        t0 = time.perf_counter()
        allocate(regions, method=m, budget=1100.0 + 10 * k, budget_unit="亿元", unit="万元", year=2023)
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app_streamlit.py", "--server.headless",
                             "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read().strip() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/allocate", wait_until="domcontentloaded")
            page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
            page.wait_for_selector(IDLE, timeout=90_000)
            pool = page.locator('input[aria-label="资金池(亿元)"]')
            edits = []
            for k in range(args.repeat + 1):  # the first edit warms the caches and is not counted
                value = 1100 + 10 * (k % 10)
                pool.fill(str(value))
                t0 = time.perf_counter()
                pool.press("Enter")
                page.wait_for_function(
                    "v => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
                    ".some(e => e.innerText.includes('已分配合计') && e.innerText.includes(v))",
                    arg=f"{value:,}.00 亿元", timeout=30_000)
                if k:
                    edits.append(time.perf_counter() - t0)
                page.wait_for_selector(IDLE, timeout=30_000)
            switches = {}
            targets = [("overview", "总览"), ("allocate", "分配测算"), ("data", "数据"), ("allocate", "分配测算")]
            for k in range(args.repeat + 1):
                url, title = targets[k % len(targets)]
                link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first
                t0 = time.perf_counter()
                link.click()
                page.wait_for_function("t => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
                                       " return h && h.innerText.includes(t); }", arg=title, timeout=30_000)
                page.wait_for_selector(IDLE, timeout=30_000)
                if k:
                    switches.setdefault(url, []).append(time.perf_counter() - t0)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    load_after = os.getloadavg()
    core = core_baseline(args.repeat * 3)
    print(f"machine load (1/5/15-min averages, {os.cpu_count()} cores): before {load_before[0]:.2f}/"
          f"{load_before[1]:.2f}/{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/"
          f"{load_after[2]:.2f}")
    med, p90 = _stats(edits)
    print(f"baseline: core allocate() of the same settings, median {core * 1000:.1f} ms")
    print(f"{'interaction':<44} {'median':>8} {'p90':>8} {'budget':>7} {'ratio to budget':>16} {'ratio to core':>14}")
    print(f"{'Allocate: pool edit → new total shown':<44} {med:7.2f}s {p90:7.2f}s {EDIT_BUDGET_S:6.1f}s "
          f"{med / EDIT_BUDGET_S:16.2f} {med / core:14.0f}")
    every = [x for xs in switches.values() for x in xs]
    for url, xs in [*switches.items(), ("all", every)]:
        med, p90 = _stats(xs)
        print(f"{'page switch → ' + url:<44} {med:7.2f}s {p90:7.2f}s {SWITCH_BUDGET_S:6.1f}s "
              f"{med / SWITCH_BUDGET_S:16.2f} {med / core:14.0f}")


if __name__ == "__main__":
    main()
