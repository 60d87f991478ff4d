"""The `ecocomp` command line. Each command group lives in its own module with a ``register(subparsers)``;
this module wires them together and turns every input problem into a readable report and exit code 2."""

from __future__ import annotations

import argparse
import json
import sys

from .. import __version__
from ..problems import InputError
from . import args as cli_args


def _print_report(report) -> None:
    if report.problems:
        print(report.render())


# --- ecocomp data ... ---------------------------------------------------------------------------------

def cmd_data_check(args) -> int:
    from ..data import check_regions, reference_status_counts, status_counts

    table, report = check_regions(args.file, function_tolerance=args.tolerance,
                                  function_mismatch="error" if args.strict else "warning")
    _print_report(report)
    if not report.errors:
        counts = status_counts(table)
        status = ", ".join(f"{n} {k}" for k, n in counts.items()) + " values" if counts else \
            "no per-value status (no <name>_sources.csv beside the file, no data_status column)"
        print(f"{len(table)} regions checked: {status}")
        print(f"已检查 {len(table)} 个地区")
        if args.file is None:  # the embedded data: the shipped reference tables too
            for name, counts in reference_status_counts().items():
                print(f"reference table data/{name}.csv: {sum(counts.values())} rows: "
                      + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return report.exit_code


def cmd_data_show(args) -> int:
    from ..data import load_regions, summary
    from ..money import fmt_amount

    table = load_regions(args.file)
    s = summary(table)
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
        return 0
    source = args.file or "embedded default data (data/provinces.csv)"
    lines = [
        f"Region data / 地区数据: {source}",
        f"  regions 地区数: {s['regions']}  ({', '.join(f'{k} {v}' for k, v in s['levels'].items())})",
        f"  land area 陆域面积: {s['land_area_km2']:,.0f} km²",
        f"  red-line area 生态保护红线: {s['redline_total_km2']:,.0f} km² "
        f"({s['redline_share_of_land']:.1%} of land)",
        f"  population 常住人口: {s['population_10k']:,.0f} 万人",
    ]
    if s["gdp_100m_cny"] is not None:
        lines.append(f"  GDP 地区生产总值: {fmt_amount(s['gdp_100m_cny'], '亿元')}")
    if s["budget_revenue_100m_cny"] is not None:
        lines.append(f"  budget revenue / expenditure 一般公共预算收入/支出: "
                     f"{fmt_amount(s['budget_revenue_100m_cny'], '亿元')} / "
                     f"{fmt_amount(s['budget_expenditure_100m_cny'], '亿元')}")
    lines.append("  value status 数据状态: " + (", ".join(f"{k} {v}" for k, v in s["status"].items())
                                                 or "unknown (no sources file)"))
    warnings = table.attrs.get("problems", [])
    if warnings:
        lines.append(f"  {len(warnings)} warning(s); run `ecocomp data check` to list them")
    print("\n".join(lines))
    return 0


def cmd_data_synth(args) -> int:
    from ..io import check_out_file, ensure_new_file, write_csv
    from ..synth import build_synthetic

    check_out_file(args.out)
    ensure_new_file(args.out, args.overwrite)
    raw, table = build_synthetic(seed=args.seed, scale=args.scale)
    write_csv(raw, args.out)
    print(f"wrote {len(table):,} synthetic regions to {args.out} (seed {args.seed}, scale {args.scale})")
    return 0


def cmd_data_schema(args) -> int:
    from ..io import atomic_write_bytes
    from ..schema import schema_markdown

    text = schema_markdown()
    if args.out:
        atomic_write_bytes(args.out, text.encode("utf-8"))
    else:
        print(text)
    return 0


def _register_data(sub) -> None:
    p = sub.add_parser("data", help="check, show and generate region data / 地区数据")
    dsub = p.add_subparsers(dest="data_cmd", required=True)
    c = dsub.add_parser("check", help="validate a region file (exit 0 clean, 1 warnings, 2 errors)")
    c.add_argument("file", nargs="?", default=None, help="CSV or XLSX; default: the embedded data")
    c.add_argument("--tolerance", type=cli_args.non_negative_float, default=0.01,
                   help="relative tolerance for function-type areas vs the red-line total (default 0.01)")
    c.add_argument("--strict", action="store_true", help="function-type mismatches are errors, not warnings")
    c.set_defaults(func=cmd_data_check)
    s = dsub.add_parser("show", help="summary of a region file")
    s.add_argument("file", nargs="?", default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_data_show)
    g = dsub.add_parser("synth", help="write the synthetic county data set")
    g.add_argument("--scale", type=cli_args.synth_scale, default=1,
                   help="split each county into N units, 1 to 100 (default 1)")
    g.add_argument("--seed", type=cli_args.non_negative_int, default=2023)
    g.add_argument("--out", required=True)
    g.add_argument("--overwrite", action="store_true")
    g.set_defaults(func=cmd_data_synth)
    m = dsub.add_parser("schema", help="print or write the data schema documentation")
    m.add_argument("--out", default=None)
    m.set_defaults(func=cmd_data_schema)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecocomp", description="Eco-compensation transfer-payment calculator "
                                     "(生态保护补偿转移支付计算器)")
    parser.add_argument("--version", action="version", version=f"ecocomp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _register_data(sub)
    for module in _command_modules():
        module.register(sub)
    return parser


def _command_modules():
    """Command groups defined in their own modules."""
    from . import allocate, calibrate, horizontal, scenario, sweep

    return [allocate, scenario, horizontal, sweep, calibrate]


BLAS_THREADED = ("sweep", "calibrate")  # commands whose matrix products may gain from several BLAS threads


def _single_thread_blas(console: bool, command: str) -> None:
    """In a command-line process, before numpy is first imported, ask OpenBLAS (numpy's linear algebra) for one
    thread unless the user chose (``OPENBLAS_NUM_THREADS`` already set) or the command multiplies large matrices
    (``BLAS_THREADED``). OpenBLAS otherwise starts a thread per core at import, which costs ~0.1 s of wall time
    and ~0.2 s of CPU on this 2-core machine (16 fresh ``import pandas, numpy``, interleaved: 0.58 s wall /
    0.58 s CPU with one thread, 0.68 s / 0.81 s without) for commands that never multiply a matrix; the sweep
    measured 3-7 % faster with the threads, so it keeps them. Child processes (``--jobs``, Dask workers) inherit
    the setting."""
    import os

    if console and command not in BLAS_THREADED and "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _load_stack(console: bool) -> None:
    """In a command-line process, import numpy and pandas (every command uses them) with the cyclic garbage
    collector paused, then move what they made to its permanent generation (``_freeze_heap``). Imports make
    ~10⁵ objects that all survive; the collector would walk them again and again while they are made (~150
    collections, ~50 ms of a run; ``benchmarks/bench_run.py``), finding nothing to free. Called after the
    arguments are parsed (an error there exits without this) and after ``_single_thread_blas``."""
    if console:
        import gc

        gc.disable()
        try:
            import numpy  # noqa: F401
            import pandas  # noqa: F401
        finally:
            gc.enable()
    _freeze_heap(console)


def _freeze_heap(console: bool) -> None:
    """In a command-line process (``argv`` not given), move every object alive now to the collector's permanent
    generation (``gc.freeze``): called once the modules are imported, later collections no longer walk the
    ~10⁵ objects of pandas, numpy and pyarrow; called again at the end, the interpreter's final collection at
    exit skips them too. Together ~0.1 s of a ~1 s ``ecocomp run`` (benchmarks/bench_run.py). Objects made
    while the command runs are collected as usual; what is frozen (modules, parsed arguments) lives until exit
    anyway. Callers that pass ``argv`` (tests, scripts, a long-lived process) are left alone."""
    if console:
        import gc

        gc.freeze()


def main(argv: list[str] | None = None) -> int:
    console = argv is None
    # before the arguments are parsed: some argument types (--years, --year, --scale) import the scenario module,
    # and with it numpy. The command is the first word that is not an option (the top-level options take no value).
    _single_thread_blas(console, next((a for a in (sys.argv[1:] if console else argv) if not a.startswith("-")), ""))
    parser = build_parser()
    args = parser.parse_args(argv)
    _load_stack(console)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(exc.report.render(), file=sys.stderr)
        return 2
    except (OSError, MemoryError) as exc:
        print(f"ecocomp: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; no partial output was kept / 已中断,未保留不完整的输出", file=sys.stderr)
        return 130
    finally:
        _freeze_heap(console)


if __name__ == "__main__":
    sys.exit(main())
