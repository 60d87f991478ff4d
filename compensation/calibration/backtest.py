"""Back-test: a method's shares against a published allocation, without fitting anything.

The method is run on the region data for the table's year (its own parameters, overrides allowed); its
amounts are turned into shares on the table's basis and compared with the published shares (statistics in
published.py). The same tables and charts serve the command line (``ecocomp backtest``) and the front end:
a scatter of model against published amounts with the diagonal drawn, and a residual map."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from ..allocation.methods import compute_targets, total_target
from ..allocation.params import load_method
from ..data import MAP_TOPOJSON
from .published import Published, residual_table, statistics

BUDGET = 1e10


@dataclass
class Backtest:
    method: str
    year: int
    published: Published
    table: pd.DataFrame  # residual_table
    stats: dict
    fallbacks: list

    def summary(self) -> dict:
        names = self.table.set_index("adcode")["name_zh"]
        largest = [self.table["adcode"].iloc[list(self.published.rows).index(i)] for i in self.stats["largest"]]
        return {"method": self.method, "table": self.published.name, "year": self.year,
                "regions": self.stats["regions"], "spearman": self.stats["spearman"],
                "mae_pp": self.stats["mae_pp"], "max_abs_pp": self.stats["max_abs_pp"],
                "largest_residuals": [{"adcode": a, "name_zh": names[a],
                                       "residual_pp": float(self.table.set_index("adcode").loc[a, "residual_pp"])}
                                      for a in largest],
                "fallbacks": [f["input"] for f in self.fallbacks]}


def backtest(method, regions: pd.DataFrame, published: Published, year: int,
             overrides: dict | None = None) -> Backtest:
    m = load_method(method)
    table, ctx = compute_targets(m, regions, BUDGET, year, overrides)
    shares = published.model_shares(total_target(table))
    return Backtest(m.name, int(year), published, residual_table(published, regions.reset_index(drop=True), shares),
                    statistics(published, shares), ctx.trace.get("fallbacks", []))


# ------------------------------------------------------------------------------------------------ charts

def scatter(table: pd.DataFrame, title: str = "") -> alt.Chart:
    """Model against published amounts (亿元), one point per region, the diagonal y = x drawn."""
    d = table[["adcode", "name_zh", "published_100m_cny", "model_100m_cny", "residual_pp"]].copy()
    top = float(max(d["published_100m_cny"].max(), d["model_100m_cny"].max()) * 1.05)
    diag = alt.Chart(pd.DataFrame({"x": [0.0, top], "y": [0.0, top]})).mark_line(
        color="#888", strokeDash=[4, 4]).encode(x="x:Q", y="y:Q")
    pts = alt.Chart(d).mark_circle(size=70, color="#4c78a8").encode(
        x=alt.X("published_100m_cny:Q", title="published 公布金额 (亿元)", scale=alt.Scale(domain=[0, top])),
        y=alt.Y("model_100m_cny:Q", title="method 方法测算 (亿元)", scale=alt.Scale(domain=[0, top])),
        tooltip=["name_zh", alt.Tooltip("published_100m_cny:Q", format=",.2f"),
                 alt.Tooltip("model_100m_cny:Q", format=",.2f"), alt.Tooltip("residual_pp:Q", format="+.2f")])
    labels = pts.mark_text(align="left", dx=6, fontSize=10).encode(text="name_zh")
    return (diag + pts + labels).properties(width=420, height=420, title=title)


def residual_map(table: pd.DataFrame, title: str = "") -> alt.Chart:
    """Residual (model − published share, percentage points) by province on the schematic map; provinces
    not in the table are grey."""
    topo = json.loads(Path(MAP_TOPOJSON).read_text(encoding="utf-8"))
    data = alt.Data(values=topo, format=alt.DataFormat(type="topojson", feature="provinces"))
    d = table[["adcode", "name_zh", "residual_pp"]].copy()
    d["adcode"] = d["adcode"].astype(str)
    lim = float(max(np.abs(d["residual_pp"]).max(), 0.5))
    base = alt.Chart(data).mark_geoshape(fill="#eee", stroke="white", strokeWidth=0.5)
    layer = alt.Chart(data).mark_geoshape(stroke="white", strokeWidth=0.5).transform_calculate(
        adcode="toString(datum.properties.adcode)").transform_lookup(
        lookup="adcode", from_=alt.LookupData(data=d, key="adcode", fields=["residual_pp", "name_zh"])
    ).transform_filter("isValid(datum.residual_pp)").encode(
        color=alt.Color("residual_pp:Q", title="model − published (pp)",
                        scale=alt.Scale(scheme="redblue", domain=[lim, -lim])),
        tooltip=["name_zh:N", alt.Tooltip("residual_pp:Q", format="+.2f")])
    return (base + layer).project("mercator").properties(width=520, height=420, title=title)


def write_folder(bt: Backtest, folder: Path) -> list[Path]:
    """backtest.csv, summary.json, scatter.html, residual_map.html in ``folder`` (which exists)."""
    from ..io import write_csv

    out = [folder / "backtest.csv", folder / "summary.json", folder / "scatter.html", folder / "residual_map.html"]
    write_csv(bt.table, out[0])
    out[1].write_text(json.dumps(bt.summary(), ensure_ascii=False, indent=2), encoding="utf-8")
    title = f"{bt.method} vs {bt.published.name} ({bt.year})"
    scatter(bt.table, title).save(str(out[2]))
    residual_map(bt.table, title).save(str(out[3]))
    return out
