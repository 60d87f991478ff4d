"""The ledger: every obligation of a year, payer → payee, as exact integers in the output unit, with its basis;
and netting of mutual obligations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..money import convert, largest_remainder, unit_name
from ..problems import InputError

LEDGER_COLUMNS = ["payer", "payer_name", "payee", "payee_name", "amount", "agreement", "basis"]


def round_amounts(amounts, from_unit: str, to_unit: str) -> np.ndarray:
    """Exact integers in ``to_unit`` that add up to the rounded total (half up) of ``amounts``: the rows of one
    agreement keep their total exactly, each row within one unit of its exact value (largest remainder)."""
    x = np.asarray(convert(np.asarray(amounts, dtype=float), from_unit, to_unit), dtype=float)
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    total = int(np.floor(x.sum() + 0.5 + 1e-9))
    return largest_remainder(x, total).astype(np.int64)


def build_ledger(obligations: pd.DataFrame, names: dict[str, str], from_unit: str = "万元",
                 unit: str = "万元") -> pd.DataFrame:
    """Obligations (payer, payee, amount float, agreement, basis) → the ledger with integer amounts in ``unit``.
    Rounding is per agreement (or per scheme), so each agreement's total is exact."""
    unit = unit_name(unit)
    if obligations.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "amount" else object) for c in LEDGER_COLUMNS})
    ob = obligations.reset_index(drop=True).copy()
    if (ob["amount"] < 0).any():
        raise InputError("an obligation has a negative amount", "存在金额为负的应付款", column="amount")
    if (ob["payer"] == ob["payee"]).any():
        raise InputError("an obligation has the same payer and payee", "存在付款方与收款方相同的应付款", column="payer")
    rounded = np.zeros(len(ob), dtype=np.int64)
    for _, idx in ob.groupby("agreement", sort=False).indices.items():
        rounded[idx] = round_amounts(ob["amount"].to_numpy()[idx], from_unit, unit)
    ob["amount"] = rounded
    ob["payer"] = ob["payer"].astype(str)
    ob["payee"] = ob["payee"].astype(str)
    ob["payer_name"] = ob["payer"].map(lambda c: names.get(c, c))
    ob["payee_name"] = ob["payee"].map(lambda c: names.get(c, c))
    ob = ob[ob["amount"] > 0]
    return ob[LEDGER_COLUMNS].reset_index(drop=True)


def net_obligations(ledger: pd.DataFrame) -> pd.DataFrame:
    """Net mutual obligations: for each pair of regions, the larger direction minus the smaller. Returns
    payer, payee, amount (int64 > 0). The money moved (Σ amount) never exceeds the ledger's."""
    if ledger.empty:
        return pd.DataFrame({"payer": pd.Series(dtype=object), "payee": pd.Series(dtype=object),
                             "amount": pd.Series(dtype="int64")})
    a = ledger["payer"].astype(str).to_numpy()
    b = ledger["payee"].astype(str).to_numpy()
    amt = ledger["amount"].to_numpy(dtype=np.int64)
    lo, hi = np.where(a < b, a, b), np.where(a < b, b, a)
    signed = np.where(a < b, amt, -amt)  # + means lo pays hi
    df = pd.DataFrame({"lo": lo, "hi": hi, "s": signed}).groupby(["lo", "hi"], sort=True)["s"].sum().reset_index()
    df = df[df["s"] != 0]
    out = pd.DataFrame({
        "payer": np.where(df["s"] > 0, df["lo"], df["hi"]),
        "payee": np.where(df["s"] > 0, df["hi"], df["lo"]),
        "amount": df["s"].abs().to_numpy(dtype=np.int64),
    })
    return out.reset_index(drop=True)


def positions(obligations: pd.DataFrame) -> pd.Series:
    """Net claim per region (Σ owed to it − Σ owed by it), int64, indexed by adcode."""
    if obligations.empty:
        return pd.Series(dtype="int64")
    inn = obligations.groupby("payee")["amount"].sum()
    out = obligations.groupby("payer")["amount"].sum()
    return inn.sub(out, fill_value=0).astype(np.int64)
