"""`ecocomp sweep`: a scenario under many draws of its uncertain inputs, as per-region statistics."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..problems import InputError
from ..progress import Progress


def _positive_int(text: str, flag: str) -> int:
    try:
        v = int(text)
    except (TypeError, ValueError):
        raise InputError(f"{flag}: expected a whole number, found {text!r}", f"{flag}:应为整数,实际 {text!r}",
                         key=flag) from None
    if v < 1:
        raise InputError(f"{flag} must be at least 1, found {v}", f"{flag} 须至少为 1,实际 {v}", key=flag)
    return v


def cmd_sweep(args) -> int:
    from ..io import atomic_folder, atomic_write_bytes, write_csv, write_xlsx
    from ..run import bilingual
    from ..scenario import load_scenario
    from ..sweep import from_section, parse_samples, parse_vary, run_sweep, sweep_id, write_draws

    max_points = _positive_int(args.max_points, "--max-points")
    workers = _positive_int(args.workers, "--workers") if args.workers is not None else None
    samples = parse_samples(args.samples)
    sc = load_scenario(args.scenario)
    spec = from_section(sc.spec.get("sweep"), str(sc.path or ""))
    if args.vary:
        spec.varies = [parse_vary(v) for v in args.vary]
    if args.samples is not None:
        spec.samples = samples
    if args.seed is not None:
        if args.seed < 0:
            raise InputError(f"--seed must be ≥ 0, found {args.seed}", "--seed 须为非负整数", key="--seed")
        spec.seed = args.seed
    if args.no_data_uncertainty:
        spec.data = {}
    if args.scheduler and args.engine != "dask":
        raise InputError("--scheduler needs --engine dask", "--scheduler 需要与 --engine dask 一起使用",
                         key="--scheduler")
    year = args.year or sc.years[0]
    out_root = Path(args.out)
    if out_root.exists() and not out_root.is_dir():
        raise InputError("--out exists and is not a folder", "--out 已存在且不是文件夹", file=str(out_root))
    digest = sweep_id(sc, spec, year)
    folder = _inside(out_root, f"sweep-{sc.name}-{digest}")
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


def _inside(root: Path, name: str) -> Path:
    """The sweep folder, which must lie inside ``--out`` (a scenario name is never a path)."""
    folder = (root / name).resolve()
    if folder.parent != root.resolve() or "/" in name or "\\" in name or name.startswith("."):
        raise InputError(f"sweep folder name '{name}' would lie outside --out", "扫描结果文件夹不在 --out 之内",
                         key="scenario.name")
    return root / name


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
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--year", type=int, default=None)
    s.add_argument("--max-points", default="100000", help="refuse sweeps with more points (default 100,000)")
    s.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this machine's cores (threads); dask: a Dask cluster (LocalCluster by default)")
    s.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://host:8786")
    s.add_argument("--workers", default=None, help="threads (local) or LocalCluster workers (dask); default: cores")
    s.add_argument("--keep-draws", action="store_true",
                   help="also write every draw of every region to sweep_draws.parquet (never XLSX)")
    s.add_argument("--no-data-uncertainty", action="store_true", help="ignore the scenario's sweep.data section")
    s.add_argument("--out", default="runs")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_sweep)
