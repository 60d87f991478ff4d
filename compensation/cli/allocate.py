"""`ecocomp allocate` and `ecocomp methods`: registered into the main parser by ``register(subparsers)``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..problems import InputError
from . import args as cli_args


def _parse_pairs(items, what: str, numeric: bool = True) -> dict:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"{what}: '{item}' should be KEY=VALUE", f"{what}:'{item}' 应为 KEY=VALUE 形式")
        k, v = item.split("=", 1)
        k = k.strip()
        if not k:
            raise InputError(f"{what}: '{item}' has no key before '='", f"{what}:'{item}' 缺少键")
        if numeric:
            try:
                out[k] = cli_args.non_negative_float(v)
            except argparse.ArgumentTypeError as exc:
                raise InputError(f"{what}: value of '{k}': {exc}", f"{what}:'{k}' 的值应为非负有限数字,实际 '{v}'",
                                 found=repr(v)) from None
        else:
            out[k] = v
    return out


def _overrides(items) -> dict:
    """--set path=value; the value is read as YAML, so numbers, lists and mappings work."""
    import yaml

    out = {}
    for k, v in _parse_pairs(items, "--set", numeric=False).items():
        try:
            out[k] = yaml.safe_load(v)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at column {mark.column + 1}" if mark else ""
            raise InputError(f"--set '{k}={v}': the value is not valid YAML{at}: {getattr(exc, 'problem', exc)}",
                             f"--set '{k}={v}':值不是合法的 YAML", key=k, found=repr(v)) from None
    return out


def _share(text: str, item: str, which: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:  # also refuses NaN
        raise InputError(f"--group '{item}': {which} share '{text}' should be a number from 0 to 1, e.g. 0.6",
                         f"--group '{item}':{which} 份额 '{text}' 应为 0 到 1 之间的数字", found=repr(text),
                         expected="a share from 0 to 1")
    return value


def _groups(items) -> list:
    """--group NAME:COLUMN=VALUE:MIN[:MAX], e.g. west:region_group=west:0.6"""
    out = []
    for item in items or []:
        parts = item.split(":")
        if len(parts) not in (3, 4) or "=" not in parts[1] or not parts[0].strip() or \
                not parts[1].split("=", 1)[0].strip():
            raise InputError(f"--group '{item}' should be NAME:COLUMN=VALUE:MIN_SHARE[:MAX_SHARE]",
                             f"--group '{item}' 应为 名称:列=值:最低份额[:最高份额]",
                             expected="e.g. west:region_group=west:0.6")
        col, val = parts[1].split("=", 1)
        g = {"name": parts[0], "members": {col.strip(): val.split(",")},
             "min_share": _share(parts[2], item, "minimum") if parts[2] else 0.0}
        if len(parts) == 4 and parts[3]:
            g["max_share"] = _share(parts[3], item, "maximum")
            if g["max_share"] < g["min_share"]:
                raise InputError(f"--group '{item}': the maximum share is below the minimum",
                                 f"--group '{item}':最高份额低于最低份额")
        out.append(g)
    return out


def cmd_allocate(args) -> int:
    from .. import load_regions
    from ..allocation import Constraints, allocate
    from ..io import check_out_file, ensure_new_file, write_csv, write_xlsx
    from ..money import whole_amount

    suffix = Path(args.out).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"unknown output format '{suffix}': use .csv or .xlsx",
                         f"未知的输出格式 '{suffix}':请用 .csv 或 .xlsx", file=args.out)
    check_out_file(args.out)
    ensure_new_file(args.out, args.overwrite)
    whole_amount(args.budget, args.budget_unit or args.unit, args.unit, "--budget",  # errors name the flag
                 "half_up" if args.round_budget else "refuse")
    constraints = Constraints(  # every option is parsed before the data is read
        floor_ratio=args.floor_ratio, cap_ratio=args.cap_ratio,
        floors=_parse_pairs(args.floor, "--floor"), caps=_parse_pairs(args.cap, "--cap"),
        locks=_parse_pairs(args.lock, "--lock"), exclude=list(args.exclude or []), groups=_groups(args.group))
    overrides = _overrides(args.set)
    regions = load_regions(args.data)
    from ..allocation import deadline, solver

    if args.objective != "proportional" and solver.wants_worker(len(regions), args.time_limit):
        deadline.prestart()  # the solver process starts while the targets are computed (deadline.py)
    res = allocate(regions, method=args.method, budget=args.budget, budget_unit=args.budget_unit or args.unit,
                   unit=args.unit, year=args.year, constraints=constraints, objective=args.objective,
                   overrides=overrides, integer=not args.lp, time_limit=args.time_limit,
                   budget_rounding="half_up" if args.round_budget else "refuse")
    if res.status == "infeasible":
        from ..problems import Report

        raise InputError(Report([p for p in res.diagnostics if p.severity == "error"]))
    if not res.ok:  # time-limited with no solution (or a solver error): nothing is paid, nothing is written
        for p in res.diagnostics:
            print(p.bilingual())
        print(f"status {res.status}: no allocation; nothing written to {args.out} / 无分配结果,未写出文件")
        return 1 if res.status == "time_limited" else 2
    explanations = [res.explain(region, lang=args.lang) for region in args.explain or []]  # before writing
    if suffix == ".csv":
        write_csv(res.table, args.out)
    else:
        write_xlsx({"allocation": res.table, "marginal": res.marginal, "parameters": res.parameters_table(),
                    "diagnostics": res.diagnostics_table()}, args.out)
    for p in res.diagnostics:
        print(p.bilingual())
    top = res.table.sort_values("final", ascending=False).head(3)
    print(f"method 方法: {res.method.name} ({res.method.label_zh}); year {args.year}; objective {res.objective}; "
          f"status {res.status}")
    print(f"allocated 已分配 {int(res.table['final'].sum()):,} {res.unit} to {len(res.table)} regions; "
          f"{int((res.table['binding'] != '').sum())} at a bound; solver {res.solver_info['name']} "
          f"{res.solver_info['runtime'] * 1000:.1f} ms")
    for _, r in top.iterrows():
        print(f"  {r['adcode']} {r['name_zh']}: {int(r['final']):,} {res.unit} ({r['share']:.2%})")
    for text in explanations:
        print(text)
    print(f"wrote {args.out}")
    return 1 if res.status == "time_limited" else 0


def _methods_inputs(args) -> int:
    """`ecocomp methods [NAME] --data [FILE]`: per method, which inputs come from the data, which from a
    declared fallback, which are optional or missing."""
    from .. import load_regions
    from ..allocation import list_methods, load_method
    from ..allocation.inputs import input_table

    regions = load_regions(args.data or None)
    names = [args.name] if args.name else [r["name"] for r in list_methods()]
    tables = {n: input_table(load_method(n), regions) for n in names}
    if args.json:
        print(json.dumps({n: t.to_dict(orient="records") for n, t in tables.items()}, ensure_ascii=False, indent=2))
        return 0
    print(f"inputs on {args.data or 'the embedded province data (data/provinces.csv)'} / 各方法输入来源")
    lang_note = "note_zh" if args.lang == "zh" else "note_en"
    for n, t in tables.items():
        counts = t["source"].value_counts()
        verdict = "cannot run 无法运行" if counts.get("missing", 0) else "runs 可运行"
        print(f"\n{n}: {verdict} — " + ", ".join(f"{counts.get(k, 0)} {k}" for k in
                                                 ("data", "fallback", "optional", "missing")))
        width = max([len(x) for x in t["input"]] + [5])
        for r in t.itertuples(index=False):
            stand = f" ← {r.stands_in}" if r.stands_in else ""
            note = getattr(r, lang_note)
            print(f"  {r.input:<{width}}  {r.source:<8}{stand}" + (f"  ({note})" if note else ""))
    return 1 if any((t["source"] == "missing").any() for t in tables.values()) else 0


def cmd_methods(args) -> int:
    from ..allocation import list_methods, load_method

    if args.data is not None:
        return _methods_inputs(args)
    if args.name:
        m = load_method(args.name)
        values = m.values(args.year)
        if args.json:
            print(json.dumps({"summary": m.summary(), "parameters": values}, ensure_ascii=False, indent=2,
                             default=str))
            return 0
        s = m.summary()
        print(f"{m.name}: {m.label_zh} / {m.label_en}")
        print(f"  jurisdiction 适用: {m.jurisdiction_zh} / {m.jurisdiction_en}")
        print(f"  components 组成: {', '.join(s['components'])}")
        for src in s["sources"]:
            print(f"  source 依据: {src}")
        print(f"  parameters in force in {args.year} / {args.year} 年生效参数:")
        for path, v in values.items():
            print(f"    {path} = {v['value']} {v['unit']} [{v['status']}, since {v['effective']}] {v['label_zh']}")
        for note in m.assumptions:
            print(f"  assumption 假设: {note}")
        return 0
    rows = list_methods()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        flag = " (has assumptions 含假设参数)" if r["has_assumptions"] else ""
        print(f"{r['name']}: {r['label_zh']} / {r['label_en']}{flag}")
        print(f"    {r['jurisdiction_zh']} / {r['jurisdiction_en']}; components: {', '.join(r['components'])}")
        print(f"    source: {r['sources'][0] if r['sources'] else ''}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("allocate", help="allocate a central budget among regions / 测算转移支付分配")
    p.add_argument("--method", default="redline_function_weighted", help="method name or YAML model file")
    p.add_argument("--budget", required=True,
                   help="total budget, in --budget-unit (default --unit); parsed exactly as a decimal")
    p.add_argument("--round-budget", action="store_true",
                   help="round a budget that is not a whole number of --unit half up, with a warning "
                        "(default: refuse it)")
    p.add_argument("--unit", default="万元", help="unit of the final amounts: 元, 万元 or 亿元 (default 万元)")
    p.add_argument("--budget-unit", default=None, help="unit of --budget (default: --unit)")
    p.add_argument("--data", default=None, help="region CSV/XLSX (default: the embedded province data)")
    p.add_argument("--year", type=cli_args.year, default=2023, help="budget year: selects parameter values in force")
    p.add_argument("--floor-ratio", type=cli_args.ratio, default=None, help="floor as a ratio of last year, e.g. 0.95")
    p.add_argument("--cap-ratio", type=cli_args.ratio, default=None, help="cap as a ratio of last year, e.g. 1.10")
    p.add_argument("--floor", action="append", metavar="REGION=AMOUNT", help="absolute floor in --unit")
    p.add_argument("--cap", action="append", metavar="REGION=AMOUNT", help="absolute cap in --unit")
    p.add_argument("--lock", action="append", metavar="REGION=AMOUNT", help="fixed amount in --unit")
    p.add_argument("--exclude", action="append", metavar="REGION", help="region that gets nothing")
    p.add_argument("--group", action="append", metavar="NAME:COLUMN=VALUE:MIN[:MAX]",
                   help="group share, e.g. west:region_group=west:0.6")
    p.add_argument("--objective", default="proportional", choices=["proportional", "min_abs", "minimax"])
    p.add_argument("--lp", action="store_true", help="PuLP objectives: solve an LP and round, not a MILP")
    p.add_argument("--time-limit", type=cli_args.positive_float, default=30,
                   help="solver time limit in seconds, model build included (default 30); held to within about "
                        "half a second (the solver process is ended); exit 1 when reached")
    p.add_argument("--set", action="append", metavar="PARAM=VALUE", help="override a method parameter")
    p.add_argument("--explain", action="append", metavar="REGION", help="print the explanation of a region")
    p.add_argument("--lang", default="zh", choices=["zh", "en"])
    p.add_argument("--out", required=True, help="output .csv or .xlsx (xlsx adds parameters and diagnostics)")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=cmd_allocate)
    m = sub.add_parser("methods", help="list allocation methods, or show one with its parameters / 分配方法")
    m.add_argument("name", nargs="?", default=None)
    m.add_argument("--year", type=cli_args.year, default=2023)
    m.add_argument("--json", action="store_true")
    m.add_argument("--data", nargs="?", const="", default=None, metavar="FILE",
                   help="show where each input comes from on a region file (the embedded data if no FILE): "
                        "data, declared fallback, optional or missing; exit 1 if a method cannot run")
    m.add_argument("--lang", default="en", choices=["zh", "en"], help="language of the notes with --data")
    m.set_defaults(func=cmd_methods)
