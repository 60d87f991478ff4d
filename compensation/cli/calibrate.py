"""`ecocomp calibrate` and `ecocomp backtest`: fit a method's unpublished parameters to a published allocation
table, or compare a method with it as it is. Registered into the main parser by ``register(subparsers)``."""

from __future__ import annotations

import json
from pathlib import Path

from ..problems import InputError
from . import args as cli_args


def resolve_table(ref: str) -> Path:
    """A published table: a path, or the name of a shipped reference table (e.g. kefz_2020_by_province_partial)."""
    from ..data import REFERENCE_TABLES

    p = Path(ref)
    if p.exists():
        return p
    stem = p.stem if p.suffix.lower() in (".csv", ".xlsx") else ref
    if stem in REFERENCE_TABLES:
        return REFERENCE_TABLES[stem]
    raise InputError(f"published table '{ref}' not found (a CSV/XLSX path or one of: "
                     f"{', '.join(REFERENCE_TABLES)})", f"找不到公布的分配表 '{ref}'", file=ref)


def _bounds(items) -> dict:
    out = {}
    for item in items or []:
        if "=" not in item or ":" not in item.split("=", 1)[1]:
            raise InputError(f"--bound '{item}' should be PARAM=LOWER:UPPER", f"--bound '{item}' 应为 参数=下限:上限")
        k, v = item.split("=", 1)
        lo, hi = v.split(":", 1)
        try:
            out[k.strip()] = (float(lo), float(hi))
        except ValueError:
            raise InputError(f"--bound '{item}': bounds must be numbers", f"--bound '{item}':上下限须为数字") from None
    return out


def _load(args):
    from .. import load_regions
    from ..calibration import read_published

    regions = load_regions(args.data)
    path = resolve_table(args.to)
    published = read_published(path, regions, name=path.name)
    year = args.year or published.year
    if year is None:
        raise InputError("the table has no year column: give --year", "表格没有年度列:请用 --year 指定", key="--year")
    return regions, published, int(year)


def _name(regions, i: int) -> str:
    return str(regions["name_zh"].iloc[i]) if "name_zh" in regions else str(regions["adcode"].iloc[i])


def cmd_calibrate(args) -> int:
    from ..calibration import calibrate, write_calibrated

    regions, published, year = _load(args)
    cal = calibrate(args.method, regions, published, year, free=args.free or None, bounds=_bounds(args.bound),
                    loss=args.loss, seed=args.seed, cv=not args.no_cv)
    path = None if args.dry_run else write_calibrated(cal, published, args.out, args.overwrite)
    if args.json:
        print(json.dumps({"method": cal.method.name, "year": year, "solver": cal.solver, "status": cal.status,
                          "parameters": cal.table().to_dict(orient="records"), "fit": cal.fit, "cv": cal.cv,
                          "notes": cal.notes, "file": str(path) if path else None}, ensure_ascii=False, indent=2))
        return 0
    print(f"calibrated {cal.method.name} on {published.name} ({year}, {len(published.rows)} regions, loss "
          f"{cal.loss.upper()}) / 校准")
    print(f"  solver 求解: {cal.solver}: {cal.status}")
    for r in cal.table().itertuples(index=False):
        print(f"  {r.parameter} = {r.value:.4g}  (bounds [{r.lower:g}, {r.upper:g}], was {r.start:g}; {r.role})")
    f, c = cal.fit, cal.cv
    print(f"  fit on the table 表内拟合: Spearman ρ {f['spearman']:.3f}, mean absolute share error "
          f"{f['mae_pp']:.2f} pp (largest {f['max_abs_pp']:.2f} pp)")
    if c:
        print(f"  {c['scheme']} 交叉验证 (regions not seen): Spearman ρ {c['spearman']:.3f}, mean absolute share "
              f"error {c['mae_pp']:.2f} pp")
    resid = cal.shares - published.targets
    largest = ", ".join(f"{_name(regions, published.rows[k])} {resid[k] * 100:+.2f}"
                        for k in sorted(range(len(resid)), key=lambda k: -abs(resid[k]))[:5])
    print(f"  largest residuals 最大残差 (model − published, pp): {largest}")
    for note in cal.notes:
        print(f"  note: {note}")
    if path:
        print(f"wrote {path} (parameters with status 'calibrated'; usable as --method {path})")
    return 0


def cmd_backtest(args) -> int:
    from ..calibration.backtest import backtest, write_folder
    from ..io import atomic_folder
    from .allocate import _overrides

    regions, published, year = _load(args)
    bt = backtest(args.method, regions, published, year, _overrides(args.set))
    s = bt.summary()
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
    else:
        print(f"back-test 回测: {bt.method} against {published.name} ({year}, {s['regions']} regions)")
        print(f"  Spearman ρ {s['spearman']:.3f}; mean absolute share error {s['mae_pp']:.2f} pp "
              f"(largest {s['max_abs_pp']:.2f} pp)")
        print("  largest residuals 最大残差 (model − published, pp): "
              + ", ".join(f"{r['name_zh']} {r['residual_pp']:+.2f}" for r in s["largest_residuals"]))
        if s["fallbacks"]:
            print(f"  fallbacks used 使用的替代: {', '.join(s['fallbacks'])}")
    if args.out:
        final = Path(args.out) / f"backtest-{bt.method}-{published.name}-{year}"
        with atomic_folder(final, replace=args.overwrite) as tmp:
            write_folder(bt, Path(tmp))
        if not args.json:
            print(f"wrote {final}/ (backtest.csv, summary.json, scatter.html, residual_map.html)")
    return 0


def _common(p) -> None:
    p.add_argument("method", help="method name or YAML model file")
    p.add_argument("--to", required=True, metavar="TABLE",
                   help="published allocation: CSV/XLSX (region code or name, amount, unit; a 100000 / 全国 row is "
                        "the total) or a shipped table name, e.g. kefz_2020_by_province_partial")
    p.add_argument("--year", type=cli_args.year, default=None, help="year of the parameters (default: the table's year)")
    p.add_argument("--data", default=None, help="region CSV/XLSX (default: the embedded province data)")
    p.add_argument("--json", action="store_true")


def register(sub) -> None:
    c = sub.add_parser("calibrate", help="fit a method's unpublished parameters to a published table / 参数校准")
    _common(c)
    c.add_argument("--free", nargs="+", metavar="PARAM",
                   help="parameters to fit (default: those marked assumption); a tier list frees its coefficients")
    c.add_argument("--bound", action="append", metavar="PARAM=LO:HI", help="bounds of a free parameter")
    c.add_argument("--loss", default="l1", choices=["l1", "l2"], help="l1 (an LP where linear) or l2")
    c.add_argument("--seed", type=cli_args.non_negative_int, default=0, help="seed of the derivative-free search")
    c.add_argument("--no-cv", action="store_true", help="skip the leave-one-out error (faster)")
    c.add_argument("--out", default=None, help="calibrated method file (default models/methods/<method>_"
                                              "calibrated_<table>.yaml)")
    c.add_argument("--dry-run", action="store_true", help="print the fit, write no file")
    c.add_argument("--overwrite", action="store_true")
    c.set_defaults(func=cmd_calibrate)
    b = sub.add_parser("backtest", help="a method against a published table, without fitting / 回测")
    _common(b)
    b.add_argument("--set", action="append", metavar="PARAM=VALUE", help="override a method parameter")
    b.add_argument("--out", default=None, help="folder for backtest-<method>-<table>-<year>/ (csv, json, charts)")
    b.add_argument("--overwrite", action="store_true", help="replace an existing back-test folder")
    b.set_defaults(func=cmd_backtest)
