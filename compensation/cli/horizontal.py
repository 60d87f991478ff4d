"""`ecocomp horizontal` and `ecocomp agreements`: registered into the main parser by ``register(subparsers)``."""

from __future__ import annotations

import json
from pathlib import Path

from ..problems import InputError
from . import args as cli_args


def register(sub) -> None:
    h = sub.add_parser("horizontal", help="horizontal compensation for a year: ledger, settlement, net positions",
                       description="Compute what each horizontal agreement owes in a year from monitoring data, "
                                   "net and settle the obligations, and write ledger.csv, settlement.csv, "
                                   "net_positions.csv and summary.json into --out. (横向生态保护补偿结算)")
    h.add_argument("--agreements", nargs="+", required=True,
                   help="agreement ids (see `ecocomp agreements`) or YAML files; comma-separated also works")
    h.add_argument("--monitoring", default=None,
                   help="monitoring table (CSV in UTF-8/GBK, or XLSX); not needed when no agreement reads "
                        "monitoring sections (beneficiary shares)")
    h.add_argument("--year", type=cli_args.year, required=True)
    h.add_argument("--data", default=None, help="region table (default: the 31 provinces shipped with ecocomp)")
    h.add_argument("--out", required=True, help="output directory")
    h.add_argument("--unit", default="万元", help="money unit of the output: 元, 万元 or 亿元 (default 万元)")
    h.add_argument("--capacity-ratio", type=cli_args.non_negative_float, default=None,
                   help="a payer pays at most this share of its general budget revenue, e.g. 0.01 (default: no limit)")
    h.add_argument("--links", default="parties",
                   help="permitted links: 'parties' (parties of the same agreement), 'any', or a CSV of from,to")
    h.add_argument("--objective", choices=("money", "transfers"), default="money",
                   help="minimise the money moved (LP) or the number of transfers (MILP, time-limited)")
    h.add_argument("--time-limit", type=cli_args.positive_float, default=30,
                   help="solver time limit in seconds (default 30)")
    h.add_argument("--central-budget", type=cli_args.non_negative_int, default=None,
                   help="most the centre will top up, in --unit (default: no limit)")
    h.add_argument("--set", action="append", default=[], metavar="AGREEMENT.PARAM=VALUE",
                   help="override a parameter, value read as YAML, e.g. xinan_round3.k0=0.9 or "
                        "'xinan_round3.baseline_mg_l={codmn: 2.1}'")
    h.add_argument("--overwrite", action="store_true")
    h.set_defaults(func=cmd_horizontal)
    a = sub.add_parser("agreements", help="list the shipped horizontal agreements (parties, rule type, source)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_agreements)


def _overrides(items) -> dict:
    import yaml

    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        ag, dot, param = key.strip().partition(".")
        if not sep or not dot or not ag or not param:
            raise InputError(f"--set '{item}' should be AGREEMENT.PARAM=VALUE", f"--set '{item}' 应为 协议.参数=值")
        try:
            out.setdefault(ag, {})[param] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise InputError(f"--set '{item}': the value is not valid YAML", f"--set '{item}':值不是合法的 YAML") from None
    return out


OUTPUT_FILES = ("ledger.csv", "settlement.csv", "net_positions.csv", "summary.json")


def _check_out(out: Path, overwrite: bool) -> None:
    """--out is written as one folder (the four files appear together or not at all): it must be new, empty,
    or (with --overwrite) an earlier horizontal output holding nothing else."""
    from ..io import check_out_dir

    check_out_dir(out)
    if not out.exists():
        return
    present = sorted(p.name for p in out.iterdir())
    others = [n for n in present if n not in OUTPUT_FILES]
    if others:
        raise InputError(f"--out {out} holds other files ({', '.join(others[:5])}); horizontal replaces the whole "
                         "folder, so choose a new or empty folder", f"--out {out} 中有其他文件;请换一个新的或空的文件夹",
                         file=str(out))
    if present and not overwrite:
        raise InputError("output file exists already; choose another folder or pass --overwrite",
                         "输出文件已存在;请换一个文件夹或使用 --overwrite", file=str(out / present[0]))


def _links(path: str, regions) -> object:
    """A links table (from, to): every code must be a region of the data, every row is checked."""
    from ..io import read_table
    from ..problems import Report

    table = read_table(path)
    cols = [c for c in ("from", "to") if c in table.columns]
    if len(cols) != 2:
        raise InputError("the links table needs two columns of region codes named 'from' and 'to'",
                         "链接表需要 from 和 to 两列地区代码", file=path, found=", ".join(table.columns))
    codes = set(regions["adcode"].astype(str))
    rep = Report()
    for col in cols:
        for i, code in enumerate(table[col].astype(str).str.strip()):
            if code not in codes:
                rep.error("no region with this code in the region data", "地区数据中没有该代码", file=path, row=i + 2,
                          column=col, found=repr(code))
        if len(rep.errors) > 50:
            break
    rep.raise_if_errors()
    return table


def cmd_horizontal(args) -> int:
    from .. import load_regions
    from ..horizontal import run_horizontal
    from ..io import atomic_folder, atomic_write_bytes, write_csv

    ids = [x for item in args.agreements for x in item.split(",") if x.strip()]
    out = Path(args.out)
    _check_out(out, args.overwrite)
    regions = load_regions(args.data) if args.data else load_regions()
    links = args.links
    if links not in ("parties", "any"):
        links = _links(links, regions)
    overrides = _overrides(args.set)
    res = run_horizontal(ids, args.monitoring, args.year, regions=regions, unit=args.unit,
                         capacity_ratio=args.capacity_ratio, links=links, objective=args.objective,
                         time_limit=args.time_limit, central_budget=args.central_budget, overrides=overrides)
    summary = {"year": res.year, "unit": res.unit, "status": res.status, "agreements": [a.id for a in res.agreements],
               "ledger_total": int(res.ledger["amount"].sum()), "netted_total": int(res.netted["amount"].sum())
               if len(res.netted) else 0, "solver_info": res.solver_info, "diagnostics": [p.as_dict() for p in res.diagnostics],
               "overrides": overrides}
    _check_out(out, args.overwrite)  # again: another process may have written there while this one computed
    with atomic_folder(out, replace=True) as tmp:  # the four files appear together, or not at all
        write_csv(res.ledger, tmp / "ledger.csv")
        write_csv(res.settlement, tmp / "settlement.csv")
        write_csv(res.net_positions, tmp / "net_positions.csv")
        atomic_write_bytes(tmp / "summary.json",
                           json.dumps(summary, ensure_ascii=False, indent=2, default=str).encode())
    names = OUTPUT_FILES
    info = res.solver_info
    print(f"horizontal {res.year}: {len(res.ledger)} obligation(s), {summary['ledger_total']:,} {res.unit}; "
          f"after netting {summary['netted_total']:,}; settlement moves {info.get('money_moved', 0):,} {res.unit} "
          f"in {info.get('transfers', 0)} transfer(s), central top-up {info.get('central_topup', 0):,} {res.unit}")
    print(f"status: {res.status}" + (f" (gap {info['gap']:.2%})" if res.status == "time_limited" and "gap" in info
                                     else ""))
    for msg in res.diagnostics:
        print(f"  - {msg.message_en}")
    print(f"wrote {', '.join(str(out / n) for n in names)}")
    return 0 if res.status == "optimal" else (1 if res.status == "time_limited" else 2)


def cmd_agreements(args) -> int:
    from ..horizontal import list_agreements

    df = list_agreements()
    if args.json:
        print(json.dumps(df.to_dict("records"), ensure_ascii=False, indent=2))
        return 0
    for r in df.itertuples():
        print(f"{r.id}  [{r.rule} · {r.rule_zh}]  {r.period}\n  {r.title_zh}\n  parties: {r.parties}\n"
              f"  source: {r.source}\n  assumptions: {r.assumptions or '—'}\n")
    return 0
