"""How long the computation behind one front-end interaction takes at province scale (budget: 100 ms).

Part 1 times the core calls a page makes after one edit, exactly as the page makes them (cached data loading
and method parsing, as st.cache_* give the pages): allocate after a weight change, with ratio bounds, with a
PuLP objective, the core's input hash of the new settings, a region what-if, a comparison, one horizontal
recalculation after a monitoring edit. Part 2 times a whole page rerun after a widget change through
streamlit's AppTest (script, widgets, charts and tables built; no browser drawing).

Run: .venv/bin/python benchmarks/bench_ui_interaction.py [--repeat 30] [--no-apptest]"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_MS = 100.0


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up (first call pays imports and caches)
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(name: str, ms: list[float]) -> dict:
    med = statistics.median(ms)
    p90 = sorted(ms)[max(0, int(round(0.9 * len(ms))) - 1)]
    row = {"interaction": name, "median_ms": med, "p90_ms": p90, "max_ms": max(ms), "ratio": med / BUDGET_MS}
    flag = "ok" if p90 <= BUDGET_MS else "OVER"
    print(f"{name:<58} median {med:7.1f} ms  p90 {p90:7.1f} ms  max {max(ms):7.1f} ms  "
          f"median/100 ms = {med / BUDGET_MS:5.2f}  {flag}", flush=True)
    return row


def core_part(repeat: int) -> list[dict]:
    import io
    import itertools

    import pandas as pd

    from compensation.allocation import Constraints, allocate, load_method
    from compensation.compare import region_diff
    from compensation.data import DATA_DIR, load_regions
    from compensation.horizontal import read_monitoring, run_horizontal
    from compensation.run import compute
    from compensation.scenario import Scenario, input_hash, load_scenario

    regions = load_regions()
    method = load_method("redline_function_weighted")  # cached by the page (st.cache_resource)
    base = compute(load_scenario("baseline_2023"))  # cached by the page
    last = regions.copy()
    last["last_year_amount_10k_cny"] = last["adcode"].map(
        base.results[2023].allocation.table.set_index("adcode")["final"]).astype(float)
    weights = itertools.cycle([1.3, 1.6, 2.0, 2.4, 3.0, 0.9])

    def weight_edit():
        return allocate(regions, method=method, budget=1091, budget_unit="亿元", unit="万元", year=2023,
                        overrides={"weights.water_conservation": next(weights)})

    def ratios():
        return allocate(last, method=method, budget=1091, budget_unit="亿元", unit="万元", year=2023,
                        constraints=Constraints(floor_ratio=0.95, cap_ratio=1.10),
                        overrides={"weights.water_conservation": next(weights)})

    def minimax():
        return allocate(last, method=method, budget=1091, budget_unit="亿元", unit="万元", year=2023,
                        constraints=Constraints(floor_ratio=0.95, cap_ratio=1.10), objective="minimax",
                        overrides={"weights.water_conservation": next(weights)})

    def groups():
        return allocate(regions, method=method, budget=1091, budget_unit="亿元", unit="万元", year=2023,
                        constraints=Constraints(groups=[{"name": "west", "members": {"region_group": "west"},
                                                         "min_share": 0.8}], locks={"110000": 50000}),
                        overrides={"weights.water_conservation": next(weights)})

    spec = base.scenario.spec

    def new_hash():  # a new weight is a new spec: its hash is never cached
        s = {**spec, "overrides": {"weights.water_conservation": next(weights) + time.perf_counter() % 1e-3},
             "constraints": {"floor_ratio": 0.95, "initial_last_year": {"scenario": "baseline_2023", "year": 2023}}}
        return input_hash(Scenario("current", s, None, []), [2023])

    def whatif():
        changed = regions.copy()
        i = changed.index[changed["adcode"] == "630000"][0]
        changed.loc[i, "redline_total_km2"] *= 1.1
        changed.loc[i, "redline_water_conservation_km2"] *= 1.1
        return allocate(changed, method=method, budget=1091, budget_unit="亿元", unit="万元", year=2023)

    other = weight_edit().table

    def compare():
        return region_diff(base.results[2023].allocation.table, other)

    ags = ["xinan_round3", "chishui", "lushui"]
    raw = pd.read_csv(DATA_DIR / "monitoring" / "illustrative_monitoring.csv", dtype=str, keep_default_na=False)
    sections = ["街口", "清水铺", "鲢鱼溪", "金鱼石"]  # the page edits the chosen agreements' sections in the year
    mon_csv = raw[raw["section"].isin(sections) & (raw["year"] == "2020")].to_csv(index=False)

    def horizontal():
        mon = read_monitoring(pd.read_csv(io.StringIO(mon_csv), dtype=str, keep_default_na=False), agreements=ags)
        return run_horizontal(ags, mon, 2020, regions=regions, unit="万元")

    rows = [report("allocate after a weight edit (proportional)", timed(weight_edit, repeat)),
            report("allocate with floor 95% / cap 110% of last year", timed(ratios, repeat)),
            report("allocate with a group share and a lock", timed(groups, repeat)),
            report("allocate, minimax objective (PuLP + HiGHS MILP)", timed(minimax, repeat)),
            report("core input hash of the new settings (with ratios)", timed(new_hash, repeat)),
            report("region what-if (red line +10%) + allocate", timed(whatif, repeat)),
            report("compare: region_diff against the baseline", timed(compare, repeat)),
            report("horizontal: monitoring edit → validate, rules, settle", timed(horizontal, max(5, repeat // 3)))]
    return rows


def apptest_part(repeat: int) -> list[dict]:
    import logging

    logging.disable(logging.WARNING)
    from streamlit.testing.v1 import AppTest

    from ui.state import Keys

    rows = []
    at = AppTest.from_file(str(ROOT / "ui" / "pages" / "allocate.py"), default_timeout=60).run()
    values = iter([1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2, 2.3, 2.4] * 10)

    def slider():
        at.slider(key=Keys.param("weights.water_conservation")).set_value(next(values)).run()
        assert not at.exception

    rows.append(report("page rerun: Allocate, weight slider moved (AppTest)", timed(slider, max(5, repeat // 3))))
    ov = AppTest.from_file(str(ROOT / "ui" / "pages" / "overview.py"), default_timeout=60).run()
    measures = iter(["per_km2", "per_capita", "payment"] * 20)

    def measure():
        ov.segmented_control(key=Keys.MAP_MEASURE).set_value(next(measures)).run()
        assert not ov.exception

    rows.append(report("page rerun: Overview, map measure switched (AppTest)", timed(measure, max(5, repeat // 3))))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--no-apptest", action="store_true")
    args = ap.parse_args()
    print(f"budget per interaction: {BUDGET_MS:.0f} ms (province scale, 31 regions); repeat {args.repeat}")
    print("-- core computation behind one interaction --")
    core_part(args.repeat)
    if not args.no_apptest:
        print("-- whole page rerun (streamlit script incl. charts and tables; browser drawing not included) --")
        apptest_part(args.repeat)


if __name__ == "__main__":
    main()
