"""Valuation methods to size compensation (academic; POLICY.md §5):

- ecosystem service value (ESV) by the equivalent-factor method (谢高地 et al. 2015): ESV = Σ_k A_k Σ_f E_kf × D,
  and its non-market part (ESV less the market provisioning services);
- eco-compensation priority ECPS = non-market ESV / GDP, and its ranking;
- payment-capacity coefficient (Pearl curve of Engel coefficients and urbanisation);
- compensation interval: opportunity cost (lower bound) to added ESV (upper bound);
- spill-over sharing: a service-flow matrix turns ESV into obligations user → provider.

Factor table and D are data (``data/valuation/``); functions are pure and vectorised over regions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..money import convert
from ..problems import InputError, Report

VALUATION_DIR = Path(__file__).resolve().parents[2] / "data" / "valuation"
SERVICES = ("food", "raw_materials", "water_supply", "gas_regulation", "climate_regulation", "purification",
            "hydrological_regulation", "soil_conservation", "nutrient_cycling", "biodiversity", "aesthetics")
HM2_PER_KM2 = 100.0


def load_parameters(path=None) -> dict:
    return yaml.safe_load(Path(path or VALUATION_DIR / "esv_parameters.yaml").read_text(encoding="utf-8"))


def load_factors(path=None) -> pd.DataFrame:
    """The equivalent-factor table, indexed by ecosystem key, with a ``status`` column (verified / recalled)."""
    path = Path(path or VALUATION_DIR / load_parameters()["factor_table"]["file"])
    df = pd.read_csv(path, dtype={"ecosystem": str}).set_index("ecosystem")
    return df


def standard_value() -> float:
    """D in 元/hm² (2010 prices)."""
    return float(load_parameters()["standard_equivalent_value"]["value"])


def esv(areas: pd.DataFrame, factors: pd.DataFrame | None = None, d_value: float | None = None,
        area_unit: str = "hm2", market_services=None) -> pd.DataFrame:
    """ESV per region (元): one column per service, plus ``esv_total``, ``esv_market`` and ``esv_nonmarket``.

    ``areas``: one row per region (index = region code), one column per ecosystem type (keys of the factor
    table), in hm² (or km² with ``area_unit="km2"``). ``attrs["unverified"]`` lists recalled factor rows used."""
    factors = load_factors() if factors is None else factors
    d_value = standard_value() if d_value is None else float(d_value)
    market = list(market_services or load_parameters()["market_services"]["value"])
    unknown = [c for c in areas.columns if c not in factors.index]
    if unknown:
        raise InputError(f"unknown ecosystem type(s): {', '.join(unknown)}", "未知的生态系统类型",
                         column=unknown[0], expected=", ".join(factors.index))
    a = areas.apply(pd.to_numeric, errors="coerce")
    rep = Report()
    for col in a.columns:
        for idx in a.index[a[col].isna() | (a[col] < 0)]:
            rep.error("land-use area must be a number ≥ 0", "土地利用面积应为非负数", column=col, region=str(idx),
                      found=str(areas.at[idx, col]))
    rep.raise_if_errors()
    hm2 = a.to_numpy(dtype=float) * (HM2_PER_KM2 if area_unit == "km2" else 1.0)
    e = factors.loc[list(a.columns), list(SERVICES)].to_numpy(dtype=float)
    by_service = hm2 @ e * d_value
    out = pd.DataFrame(by_service, index=areas.index, columns=list(SERVICES))
    out["esv_total"] = by_service.sum(axis=1)
    out["esv_market"] = out[market].sum(axis=1)
    out["esv_nonmarket"] = out["esv_total"] - out["esv_market"]
    used = [k for k in a.columns if (a[k] > 0).any() and factors.at[k, "status"] != "verified"]
    out.attrs["unverified"] = used
    return out


def ecps(nonmarket_esv_yuan, gdp_100m_cny) -> pd.DataFrame:
    """Eco-compensation priority ECPS = non-market ESV / GDP (both in 元) and its rank (1 = compensated first)."""
    v = pd.Series(nonmarket_esv_yuan, dtype=float)
    gdp = pd.Series(gdp_100m_cny, dtype=float).reindex(v.index) * 1e8
    score = v / gdp.where(gdp > 0)
    return pd.DataFrame({"ecps": score, "rank": score.rank(ascending=False, method="min").astype("Int64")})


def payment_capacity(engel_urban, engel_rural, urbanisation, variant: str = "weighted") -> np.ndarray:
    """Development-stage (payment-capacity) coefficient r = 1 / (1 + e^(−t)).

    En = Ea·φ + Eb·(1 − φ). variant "weighted": t = En (POLICY.md §5 [V]); "inverse": t = 1/En − 3 [I]."""
    ea, eb, phi = (np.asarray(x, dtype=float) for x in (engel_urban, engel_rural, urbanisation))
    en = ea * phi + eb * (1.0 - phi)
    if variant == "weighted":
        t = en
    elif variant == "inverse":
        t = 1.0 / en - 3.0
    else:
        raise ValueError(f"unknown variant '{variant}': use weighted or inverse")
    return 1.0 / (1.0 + np.exp(-t))


def opportunity_cost(income_ref_urban, income_urban, pop_urban, income_ref_rural, income_rural, pop_rural):
    """(U_ref − U)·N_urban + (R_ref − R)·N_rural: income forgone against a reference region (unit of income ×
    unit of population, e.g. 元/person × persons = 元)."""
    f = lambda x: np.asarray(x, dtype=float)  # noqa: E731
    return (f(income_ref_urban) - f(income_urban)) * f(pop_urban) + (f(income_ref_rural) - f(income_rural)) * f(pop_rural)


def compensation_interval(opportunity, esv_now, esv_base) -> pd.DataFrame:
    """Lower bound = opportunity cost; upper bound = added ESV (now − base). ``consistent`` is False where the
    added ESV is below the opportunity cost (the interval is empty: say so rather than clip)."""
    lower = pd.Series(opportunity, dtype=float)
    upper = pd.Series(esv_now, dtype=float) - pd.Series(esv_base, dtype=float)
    upper.index = lower.index
    return pd.DataFrame({"lower": lower, "upper": upper, "consistent": upper >= lower})


def flow_matrix(flows: pd.DataFrame, codes) -> np.ndarray:
    """Square service-flow matrix S[i, j] (share of i's service used by j) from rows (provider, user, share)."""
    pos = {c: i for i, c in enumerate(codes)}
    s = np.zeros((len(codes), len(codes)))
    i = flows["provider"].astype(str).map(pos)
    j = flows["user"].astype(str).map(pos)
    if i.isna().any() or j.isna().any():
        bad = flows.loc[i.isna() | j.isna()].iloc[0]
        raise InputError("service flow names a region not in the value table", "服务流中的地区不在价值表中",
                         column="provider" if pd.isna(i[bad.name]) else "user",
                         found=str(bad["provider"] if pd.isna(i[bad.name]) else bad["user"]))
    np.add.at(s, (i.to_numpy(dtype=int), j.to_numpy(dtype=int)), flows["share"].to_numpy(dtype=float))
    return s


def spillover_obligations(value, flows, codes, capacity=None, value_unit: str = "元",
                          scheme: str = "spillover") -> pd.DataFrame:
    """Obligations user j → provider i = S[i, j] × value_i × r_j (r = payment capacity, 1 if not given).

    ``value``: per provider (e.g. non-market ESV, or added ESV) in ``value_unit``; ``flows``: square matrix or
    rows (provider, user, share); each provider's shares to others must add up to at most 1. Amounts in 万元."""
    codes = [str(c) for c in codes]
    s = flow_matrix(flows, codes) if isinstance(flows, pd.DataFrame) else np.asarray(flows, dtype=float)
    if s.shape != (len(codes), len(codes)):
        raise InputError("the service-flow matrix must be square with one row per region",
                         "服务流矩阵应为方阵,每个地区一行", column="flows")
    s = s.copy()
    np.fill_diagonal(s, 0.0)
    if (s < 0).any() or (s.sum(axis=1) > 1 + 1e-9).any():
        bad = codes[int(np.argmax(np.where((s < 0).any(axis=1), np.inf, s.sum(axis=1))))]
        raise InputError("service-flow shares must be ≥ 0 and a provider's shares must add up to at most 1",
                         "服务流份额应非负,且同一提供方的份额之和不超过 1", column="share", region=bad)
    v = np.asarray(convert(np.asarray(value, dtype=float), value_unit, "万元"), dtype=float)
    r = np.ones(len(codes)) if capacity is None else np.asarray(capacity, dtype=float)
    m = s * v[:, None] * r[None, :]
    i, j = np.nonzero(m > 0)
    return pd.DataFrame({
        "payer": [codes[k] for k in j], "payee": [codes[k] for k in i], "amount": m[i, j], "agreement": scheme,
        "basis": [f"{s[a, b]:.1%} of {codes[a]}'s service value used by {codes[b]}"
                  + ("" if capacity is None else f", × payment capacity {r[b]:.3f}") for a, b in zip(i, j, strict=True)],
    })
