"""Benchmark of horizontal settlement on the synthetic county set (a script, not a test).

2,848 synthetic counties; a sparse upstream–downstream graph of about 8,000 links (a random river tree inside
each province plus extra links to neighbours downstream); random obligations on ~70% of the links (downstream
pays upstream, some the other way round), fixed seed. Reports the LP (least money moved) and the MILP (fewest
transfers, under a time limit) with status, gap and timings.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_settlement.py [--milp-time-limit 30] [--capacity-ratio 0.02]"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from compensation.horizontal import settle


def counties(seed: int) -> pd.DataFrame:
    try:
        from compensation.synth import synthetic_counties

        return synthetic_counties(seed=seed)
    except ImportError:  # stand-alone fallback: 2,848 counties in 31 provinces with random budget revenue
        rng = np.random.default_rng(seed)
        prov = np.sort(rng.integers(0, 31, 2848))
        return pd.DataFrame({"adcode": [f"{110000 + 10000 * p + i % 9999:06d}" for i, p in enumerate(prov)],
                             "parent_adcode": [f"{110000 + 10000 * p:06d}" for p in prov],
                             "budget_revenue_100m_cny": rng.lognormal(2.0, 1.0, 2848)})


def river_graph(regions: pd.DataFrame, target_links: int, rng) -> pd.DataFrame:
    """Directed upstream → downstream links: a random tree per province (each county flows into one of the next
    few in a random order), then extra links to counties further downstream until ``target_links``."""
    frm, to = [], []
    groups = [g.to_numpy() for _, g in regions.groupby("parent_adcode")["adcode"]]
    for codes in groups:
        order = rng.permutation(codes)
        for k in range(len(order) - 1):
            j = k + 1 + int(rng.integers(0, min(3, len(order) - k - 1)))
            frm.append(order[k])
            to.append(order[j])
    # a few cross-province rivers: the last county of a province flows into a county of the next
    for a, b in zip(groups[:-1], groups[1:], strict=True):
        frm.append(a[-1])
        to.append(b[0])
    extra = target_links - len(frm)
    all_codes = regions["adcode"].to_numpy()
    pos = {c: i for i, c in enumerate(all_codes)}
    i = rng.integers(0, len(all_codes), size=extra * 2)
    j = np.minimum(i + rng.integers(1, 40, size=extra * 2), len(all_codes) - 1)
    keep = i != j
    df = pd.DataFrame({"from": frm + list(all_codes[i[keep]]), "to": to + list(all_codes[j[keep]])})
    df = df[df["from"] != df["to"]]
    key = np.minimum(df["from"].map(pos), df["to"].map(pos)) * 10_000 + np.maximum(df["from"].map(pos),
                                                                                    df["to"].map(pos))
    return df.loc[~key.duplicated()].head(target_links).reset_index(drop=True)


def obligations(links: pd.DataFrame, rng, share: float = 0.7) -> pd.DataFrame:
    pick = links.sample(frac=share, random_state=int(rng.integers(0, 2**31)))
    amount = rng.integers(50, 5_000, size=len(pick))  # 万元
    reverse = rng.random(len(pick)) < 0.25  # the upstream side fails and pays downstream
    return pd.DataFrame({"payer": np.where(reverse, pick["from"], pick["to"]),
                         "payee": np.where(reverse, pick["to"], pick["from"]), "amount": amount.astype(np.int64)})


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--links", type=int, default=8000)
    ap.add_argument("--capacity-ratio", type=float, default=0.02)
    ap.add_argument("--milp-time-limit", type=float, default=30)
    ap.add_argument("--skip-milp", action="store_true")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    regions = counties(args.seed)
    links = river_graph(regions, args.links, rng)
    ob = obligations(links, rng)
    t_data = time.perf_counter() - t0
    print(f"{len(regions):,} regions, {len(links):,} links, {len(ob):,} obligations "
          f"({ob['amount'].sum():,} 万元); data {t_data:.2f} s")
    out = {"regions": len(regions), "links": len(links), "obligations": len(ob)}
    for objective in ("money",) + (() if args.skip_milp else ("transfers",)):
        t0 = time.perf_counter()
        res = settle(ob, regions=regions, links=links, capacity_ratio=args.capacity_ratio, objective=objective,
                     time_limit=args.milp_time_limit)
        wall = time.perf_counter() - t0
        info = res.solver_info
        row = {"status": res.status, "wall_s": round(wall, 3), "lp_build_s": info.get("lp_build_s"),
               "lp_solve_s": info.get("lp_runtime_s"), "milp_build_s": info.get("milp_build_s"),
               "milp_solve_s": info.get("milp_runtime_s"), "gap": info.get("gap"),
               "money_moved": info["money_moved"], "transfers": info["transfers"],
               "central_topup": info["central_topup"], "netted_total": int(res.netted["amount"].sum()),
               "variables": info.get("variables")}
        out[objective] = row
        print(f"[{objective}] " + ", ".join(f"{k}={v}" for k, v in row.items() if v is not None))
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
