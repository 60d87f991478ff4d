"""`ecocomp run | compare | sweep | explain | validate`: scenario commands."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..problems import InputError
from . import args as cli_args

if TYPE_CHECKING:  # pandas is imported by the commands that use it, not by `ecocomp --help`
    import pandas as pd


def _years(text):
    from ..scenario import parse_years

    if text is None or isinstance(text, list):  # already parsed and range-checked by args.years
        return text or None
    return parse_years(text) if text else None


def cmd_run(args) -> int:
    from ..io import check_out_dir
    from ..run import run_one

    years = _years(args.years)
    formats = args.formats if isinstance(args.formats, tuple) else cli_args.formats(args.formats)
    check_out_dir(args.out)
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(args.scenarios)))
    print(f"running {len(args.scenarios)} scenario(s) into {args.out}/ "
          f"(运行 {len(args.scenarios)} 个情景)", file=sys.stderr)
    results = []
    if getattr(args, "scheduler", None) and args.engine != "dask":
        raise InputError("--scheduler needs --engine dask", "--scheduler 需要与 --engine dask 一起使用",
                         key="--scheduler")
    if getattr(args, "engine", "local") == "dask":  # the same engine as sweeps (compensation/sweep/engine.py)
        from ..sweep.engine import dask_map

        results = dask_map(run_one, [(ref, args.out, years, formats, True, getattr(args, "from_run", None))
                                     for ref in args.scenarios], args.scheduler, args.jobs)
    elif jobs == 1:
        for ref in args.scenarios:
            results.append(run_one(ref, args.out, years, formats, args.quiet, getattr(args, "from_run", None)))
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run_one, ref, args.out, years, formats, args.quiet, getattr(args, "from_run", None))
                       for ref in args.scenarios]
            results = [f.result() for f in futures]
    for name, folder, written in results:
        if written:
            print(f"{name}: wrote {folder}")
        else:
            print(f"{name}: identical inputs already computed in {folder} (nothing overwritten; 结果已存在)")
        if not args.quiet and (Path(folder) / "summary.csv").exists():  # printed from the CSV tables
            import pandas as pd

            summary = pd.read_csv(Path(folder) / "summary.csv", encoding="utf-8-sig")
            _print_summary(name, summary)
            _print_top(Path(folder), summary)
    return 0


def _print_top(folder: Path, summary: pd.DataFrame, n: int = 5) -> None:
    """The largest amounts of the last year, so the terminal shows who gets what at a glance."""
    year, unit = int(summary["year"].iloc[-1]), summary["unit"].iloc[-1]
    two_tier = (folder / f"allocation_province_{year}.csv").exists()
    stem = f"allocation_province_{year}" if two_tier else f"allocation_{year}"
    import pandas as pd

    table = pd.read_csv(folder / f"{stem}.csv", encoding="utf-8-sig", dtype={"adcode": str})
    top = table.nlargest(n, "final")
    print(f"  largest {year} amounts 补助额最高的地区:")
    for _, r in top.iterrows():
        print(f"    {r['name_zh']} ({r['adcode']}): {int(r['final']):,} {unit} ({r['share']:.1%})")
    if two_tier:
        _print_cascade(folder, year, unit, table)


def _print_cascade(folder: Path, year: int, unit: str, provinces: pd.DataFrame) -> None:
    """Tier 2 at a glance: counties funded, and every province whose tier 2 failed, in words."""
    import pandas as pd

    counties = pd.read_csv(folder / f"allocation_county_{year}.csv", encoding="utf-8-sig", dtype={"adcode": str})
    c = counties[counties["level"] != "province_held"]
    print(f"  tier 2 二级分配: {len(c):,} counties 县 in {int((provinces['counties'] > 0).sum())} provinces; "
          f"held at province level 省级留存 {int(provinces['held'].sum()):,} {unit}")
    for _, r in provinces[provinces["tier2_status"].fillna("") != "optimal"].iterrows():
        print(f"    ! {r['message_zh']} / {r['message_en']}", file=sys.stderr)


def _print_summary(name: str, summary: pd.DataFrame) -> None:
    for _, r in summary.iterrows():
        print(f"  {int(r['year'])}: budget 预算 {int(r['budget']):,} {r['unit']}, allocated 已分配 "
              f"{int(r['allocated']):,} {r['unit']} to {int(r['regions_funded'])}/{int(r['regions'])} regions; "
              f"{r['yuan_per_capita']:,.2f} 元/人, {r['yuan_per_km2_redline']:,.0f} 元/km² red line; "
              f"Gini per km² {r['gini_per_km2']:.3f}, per capita {r['gini_per_capita']:.3f}; {r['status']}")


def cmd_validate(args) -> int:
    from ..scenario import load_scenario

    for ref in args.scenarios:
        sc = load_scenario(ref)  # checks everything; every problem found raises InputError (exit 2)
        print(f"{sc.name}: OK — {sc.title}; years {sc.years[0]}–{sc.years[-1]}; method "
              f"{sc.spec.get('method')}; unit {sc.unit} (情景检查通过)")
    return 0


def cmd_explain(args) -> int:
    from ..run import compute
    from ..scenario import load_scenario

    sc = load_scenario(args.scenario)
    year = args.year or sc.years[0]
    if year not in sc.years:
        raise InputError(f"year {year} is not one of the scenario's years ({sc.years[0]}–{sc.years[-1]})",
                         f"{year} 年不在情景年份内", file=str(sc.path), key="years", year=year)
    res = compute(sc, [y for y in sc.years if y <= year])
    r = res.results[year]
    if r.cascade is not None:  # a two-tier scenario: a county (or a province) explained through both tiers
        print(r.cascade.explain(args.region, lang=args.lang))
    else:
        print(r.allocation.explain(args.region, lang=args.lang))
    return 0


def _out_folder(root: str, stem: str, payload: dict) -> Path:
    """``<root>/<stem>-<hash>``: the stem is made of validated names; the folder is checked to lie inside
    ``root`` before anything is written."""
    from ..io import check_name, inside

    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:10]
    check_name(stem, "output folder name")
    return inside(Path(root) / f"{stem}-{digest}", root)


def _write_tables(folder: Path, tables: dict[str, pd.DataFrame], meta: dict) -> bool:
    """Write a set of tables into a new folder atomically; False if the same folder exists already."""
    from ..io import FolderExists, atomic_folder, atomic_write_bytes, inside, slug, write_csv, write_xlsx
    from ..run import bilingual

    if (folder / "manifest.json").exists():
        return False
    try:
        with atomic_folder(folder) as tmp:
            for name, df in tables.items():
                write_csv(df, inside(tmp / f"{slug(name)}.csv", tmp))
            write_xlsx({n: bilingual(df) for n, df in tables.items()}, tmp / "results.xlsx")
            atomic_write_bytes(tmp / "manifest.json", json.dumps(meta, ensure_ascii=False, indent=2,
                                                                 default=str).encode("utf-8"))
    except FolderExists:  # an identical command finished first
        return False
    return True


def cmd_compare(args) -> int:
    from ..compare import compare_runs
    from ..io import check_out_dir
    from ..run import compute
    from ..scenario import load_scenario

    years = _years(args.years)
    check_out_dir(args.out)
    base_sc = load_scenario(args.base)
    base = compute(base_sc, years)
    tables, meta = {}, {"baseline": base_sc.name, "baseline_hash": base.hash, "scenarios": {}}
    for ref in args.scenarios:
        sc = load_scenario(ref)
        common = [y for y in (years or sc.years) if y in base.years]
        if not common:
            raise InputError(
                f"'{sc.name}' ({sc.years[0]}–{sc.years[-1]}) and baseline '{base_sc.name}' "
                f"({base.years[0]}–{base.years[-1]}) have no year in common; choose a baseline that covers "
                f"these years or pass --years", f"情景 '{sc.name}' 与基线 '{base_sc.name}' 没有共同年份",
                file=str(sc.path), key="years")
        scen = compute(sc, years or sc.years)
        c = compare_runs(base, scen)
        meta["scenarios"][sc.name] = scen.hash
        for key, df in c.items():
            tables[f"{key}_{sc.name}"] = df
        _print_comparison(base_sc, sc, c)
    folder = _out_folder(args.out, f"compare-{base_sc.name}", meta)
    written = _write_tables(folder, tables, meta)
    print(("wrote " if written else "identical comparison already in ") + str(folder))
    return 0


def _print_comparison(base_sc, sc, c) -> None:
    print(f"\n{sc.name} vs {base_sc.name} ({sc.title})")
    print("  what changes 变化:")
    for _, r in c["changes"].iterrows():
        print(f"    - {r['change_en']}")
    if not len(c["changes"]):
        print("    - nothing (identical settings)")
    b = c["buckets"]
    for y, g in b.groupby("year"):
        print(f"  {y}: " + "; ".join(f"{r['bucket']} {r['regions']}" for _, r in g.iterrows()))
    from ..gains import gains_losses

    for y, d in c["differences"].groupby("year"):
        g = gains_losses(d, sc.unit)
        print(f"  {y} who gains, who loses: {g['text_en']}")
        print(f"  {y} 增减情况:{g['text_zh']}")
    cb = c.get("county_buckets")
    if cb is not None and len(cb):  # two-tier runs: winners and losers among counties
        for y, g in cb.groupby("year"):
            n = g.groupby("bucket", sort=False)["counties"].sum()
            print(f"  {y} counties 县: " + "; ".join(f"{k} {int(v)}" for k, v in n.items()))


def register(sub) -> None:
    p = sub.add_parser("run", help="run scenario files into new run folders / 运行情景")
    p.add_argument("scenarios", nargs="+", help="scenario names (in scenarios/) or paths")
    p.add_argument("--years", type=cli_args.years, help="e.g. 2024-2027 (default: the scenario's years); a subset "
                   "gives exactly the full run's amounts: the years it depends on are computed too")
    p.add_argument("--from-run", dest="from_run", default=None,
                   help="an earlier run folder of the same scenario: take the year before --years from it "
                        "instead of computing it (checked against its manifest; recorded in the new manifest)")
    p.add_argument("--out", default="runs", help="folder for run folders (default runs/)")
    p.add_argument("--formats", type=cli_args.formats, default=("csv", "xlsx", "parquet"),
                   help="comma-separated subset of csv,xlsx,parquet,notice (default: csv,xlsx,parquet)")
    p.add_argument("--jobs", type=cli_args.positive_int, default=None, help="parallel processes (default: one per scenario, ≤ cores)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: processes on this machine; dask: Dask tasks (a LocalCluster of --jobs workers, or "
                        "--scheduler); see docs/sweep.md")
    p.add_argument("--scheduler", default=None, help="a running Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_run)

    v = sub.add_parser("validate", help="check scenario files and their data without running / 检查情景")
    v.add_argument("scenarios", nargs="+")
    v.set_defaults(func=cmd_validate)

    e = sub.add_parser("explain", help="a region's payment in words / 解释某地区的补助额")
    e.add_argument("scenario")
    e.add_argument("--region", required=True, help="adcode or name (e.g. 云南省 or 530000)")
    e.add_argument("--year", type=cli_args.year, default=None)
    e.add_argument("--lang", choices=("zh", "en"), default="zh")
    e.set_defaults(func=cmd_explain)

    c = sub.add_parser("compare", help="compare scenarios with a baseline / 情景比较")
    c.add_argument("base")
    c.add_argument("scenarios", nargs="+")
    c.add_argument("--years", type=cli_args.years)
    c.add_argument("--out", default="runs")
    c.set_defaults(func=cmd_compare)
