"""`ecocomp sweep`: a scenario under many draws of its uncertain inputs, as per-region statistics."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..problems import InputError
from ..progress import Progress
from . import args as cli_args


def cmd_sweep(args) -> int:
    from ..io import atomic_folder, atomic_write_bytes, check_out_dir, inside, slug, write_csv, write_xlsx
    from ..run import bilingual
    from ..scenario import load_scenario
    from ..sweep import from_section, parse_samples, parse_vary, run_sweep, sweep_id, write_draws

    max_points, workers = args.max_points, args.workers
    check_out_dir(args.out)
    samples = parse_samples(args.samples)
    sc = load_scenario(args.scenario)
    spec = from_section(sc.spec.get("sweep"), str(sc.path or ""))
    if args.vary:
        spec.varies = [parse_vary(v) for v in args.vary]
    if args.samples is not None:
        spec.samples = samples
    if args.seed is not None:
        spec.seed = args.seed
    if args.no_data_uncertainty:
        spec.data = {}
    if args.scheduler and args.engine != "dask":
        raise InputError("--scheduler needs --engine dask", "--scheduler 需要与 --engine dask 一起使用",
                         key="--scheduler")
    year = args.year or sc.years[0]
    out_root = Path(args.out)
    digest = sweep_id(sc, spec, year)
    folder = inside(out_root / f"sweep-{slug(sc.name)}-{digest}", out_root)  # a name is never a path
    if (folder / "manifest.json").exists() and not args.keep_draws:
        print(f"identical sweep already computed in {folder} (nothing overwritten; 结果已存在)")
        return 0
    from ..sweep.engine import chunk_size

    n_chunks = 1  # refined when the first chunk reports the number of regions
    bar = Progress(n_chunks, f"sweep {sc.name} {year}", enabled=not args.quiet)

    def progress(res):
        if bar.done == 0:
            size = chunk_size(res["final"].shape[1], spec.size())
            bar.total = max(1, -(-spec.size() // size))
        bar.step(f"{res['stop']:,} draws")

    t0 = time.perf_counter()
    result = run_sweep(sc, spec, year, max_points, args.engine, args.scheduler, workers, progress=progress,
                       keep_draws=args.keep_draws)
    seconds = time.perf_counter() - t0
    try:
        tables = {"sweep_points": result.points, "sweep_summary": result.summary,
                  "sweep_influence": result.tables["influence"],
                  "sweep_input_influence": result.tables["input_influence"]}
        meta = {"scenario": sc.name, "year": result.year, "vary": [v.path for v in spec.varies],
                "samples": spec.samples, "seed": spec.seed, "data_uncertainty": spec.data, "id": digest,
                "engine": result.info, "seconds": round(seconds, 3), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        if (folder / "manifest.json").exists():
            import shutil

            shutil.rmtree(folder)  # --keep-draws on an earlier sweep without the draws: write it again
        with atomic_folder(folder) as tmp:
            for name, df in tables.items():
                if len(df.columns):
                    write_csv(df, tmp / f"{name}.csv")
            xlsx = {n: bilingual(df) for n, df in tables.items() if len(df.columns) and n != "sweep_influence"}
            write_xlsx(xlsx, tmp / "results.xlsx")
            if args.keep_draws:
                meta["draw_rows"] = write_draws(result, tmp / "sweep_draws.parquet")
            atomic_write_bytes(tmp / "manifest.json", json.dumps(meta, ensure_ascii=False, indent=2,
                                                                 default=str).encode("utf-8"))
    finally:
        result.close()
    _print_result(result, folder, seconds)
    return 0


def _print_result(result, folder: Path, seconds: float) -> None:
    info = result.info
    s = result.summary
    print(f"{info['draws']:,} draws ({info['feasible_draws']:,} feasible), {info['regions']:,} regions, "
          f"{seconds:.1f} s on {info['engine']} ({info.get('workers', 1)} worker(s)); targets {info['targets']}"
          f" → {folder}")
    if info.get("targets_note"):
        print(f"  note: {info['targets_note']}")
    if info["feasible_draws"] < info["draws"]:
        print(f"  {info['draws'] - info['feasible_draws']:,} draw(s) infeasible (bounds or groups cannot be met); "
              f"listed in sweep_points.csv (feasible = False) and left out of the statistics")
    if "min" not in s:
        return
    top = s.assign(spread=s["max"] - s["min"]).sort_values(["spread", "adcode"], ascending=[False, True]).head(5)
    for _, r in top.iterrows():
        extra = f"; moved most by {r['top_input']} (r² {r['top_input_r2']:.2f})" if "top_input" in r and \
            isinstance(r["top_input"], str) else ""
        print(f"  {r['name_zh']}: {int(r['min']):,} – {int(r['max']):,} (median {r['median']:,.0f}); "
              f"at floor {r['at_floor']:.0%}, at cap {r['at_cap']:.0%}{extra}")
    ii = result.tables["input_influence"]
    if len(ii):
        print("  inputs by share of the variance of all amounts 各输入对金额方差的贡献:")
        for _, r in ii.iterrows():
            print(f"    {r['input']}: {r['variance_share']:.1%} (moves {int(r['regions_most_moved'])} regions most)")


def register(sub) -> None:
    s = sub.add_parser("sweep", help="sensitivity: grid or Monte Carlo over parameters and data / 参数扫描")
    s.add_argument("scenario")
    s.add_argument("--vary", action="append", default=None,
                   help="PARAM=a:b:n (grid), PARAM=a,b,c (values) or PARAM=a:b (range, with --samples); PARAM is "
                        "a method parameter, budget, constraints.floor_ratio or constraints.cap_ratio "
                        "(default: the scenario's sweep section)")
    s.add_argument("--samples", default=None, help="Monte Carlo sample size (uniform on each range)")
    s.add_argument("--seed", type=cli_args.non_negative_int, default=None)
    s.add_argument("--year", type=cli_args.year, default=None)
    s.add_argument("--max-points", type=cli_args.positive_int, default=100_000,
                   help="refuse sweeps with more points, checked before any point is built (default 100,000)")
    s.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this machine's cores (threads); dask: a Dask cluster (LocalCluster by default)")
    s.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://host:8786")
    s.add_argument("--workers", type=cli_args.positive_int, default=None, help="threads (local) or LocalCluster workers (dask); default: cores")
    s.add_argument("--keep-draws", action="store_true",
                   help="also write every draw of every region to sweep_draws.parquet (never XLSX)")
    s.add_argument("--no-data-uncertainty", action="store_true", help="ignore the scenario's sweep.data section")
    s.add_argument("--out", default="runs")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_sweep)
