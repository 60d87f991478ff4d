"""Who gains and who loses between two runs, in words: the reform comparison's headline.

From the per-region differences of ``compare.region_diff`` (final amounts, one unit), for one year:
the number of regions that gain and lose, the money that moves (Σ of the positive differences = −Σ of the
negative ones, since both runs share the budget), and the largest gains and losses with their percentage
change. The same function feeds ``ecocomp compare`` and the front end, so both show the same numbers."""

from __future__ import annotations

import pandas as pd

from .money import UNITS, fmt_amount


def _money(value: float, unit: str) -> str:
    """Amounts of 万元 or 元 are written in 亿元 with two decimals (the unit policy officers read)."""
    return fmt_amount(value * UNITS[unit] / UNITS["亿元"], "亿元", 2) if unit != "亿元" else fmt_amount(value, unit, 2)


def gains_losses(diff: pd.DataFrame, unit: str, top: int = 5) -> dict:
    """{gainers, losers, unchanged, moved, largest_gains, largest_losses, text_en, text_zh} for one year of a
    region_diff table (columns adcode, name_zh, baseline, scenario, difference, pct_change)."""
    d = diff.sort_values(["difference", "adcode"], ascending=[False, True], kind="stable")
    gains = d[d["difference"] > 0]
    losses = d[d["difference"] < 0].sort_values(["difference", "adcode"], kind="stable")
    moved = int(gains["difference"].sum())

    def items(rows):
        out = []
        for r in rows.head(top).itertuples(index=False):
            pct = "" if pd.isna(r.pct_change) else f" ({r.pct_change:+.0%})".replace("-", "−")
            out.append(f"{r.name_zh} {'+' if r.difference > 0 else '−'}{_money(abs(r.difference), unit)}{pct}")
        return out

    text_en = (f"{len(gains)} regions gain and {len(losses)} lose; {_money(moved, unit)} moves between them. "
               f"Largest gains: {', '.join(items(gains)) or 'none'}. "
               f"Largest losses: {', '.join(items(losses)) or 'none'}.")
    text_zh = (f"{len(gains)} 个地区增加、{len(losses)} 个地区减少,地区间调整资金 {_money(moved, unit)}。"
               f"增加最多:{'、'.join(items(gains)) or '无'}。减少最多:{'、'.join(items(losses)) or '无'}。")
    return {"gainers": int(len(gains)), "losers": int(len(losses)), "unchanged": int((d["difference"] == 0).sum()),
            "moved": moved, "largest_gains": gains.head(top).reset_index(drop=True),
            "largest_losses": losses.head(top).reset_index(drop=True), "text_en": text_en, "text_zh": text_zh}
