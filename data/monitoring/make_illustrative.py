"""Write illustrative_monitoring.csv: ILLUSTRATIVE (made-up) monthly concentrations and inflows for the sections of
the shipped agreements, 2016–2021, fixed seed. Not measurements: for demonstrations and tests only.

Run: PYTHONPATH=. .venv/bin/python data/monitoring/make_illustrative.py"""

from pathlib import Path

import numpy as np
import pandas as pd

# section: typical level (mg/L) of CODMn, COD, NH3-N, TP, TN — chosen to give a mix of classes II–IV
LEVELS = {
    "街口": (2.0, 9.0, 0.10, 0.030, 1.30),
    "刘庄": (3.5, 16.0, 0.45, 0.11, 3.0),
    "金鱼石": (3.8, 15.0, 0.80, 0.15, 1.8),
    "山角": (4.5, 18.0, 0.70, 0.19, 2.0),
    "汀江跨省断面": (2.5, 12.0, 0.35, 0.08, 1.2),
    "东江跨省断面": (2.2, 11.0, 0.25, 0.06, 1.1),
    "清水铺": (2.0, 10.0, 0.30, 0.07, 1.0),
    "鲢鱼溪": (3.0, 12.0, 0.45, 0.09, 1.3),
    "潮河入境": (3.0, 12.0, 0.30, 0.04, 0.9),
    "白河入境": (2.8, 11.0, 0.25, 0.03, 0.8),
    "茅台上游": (1.9, 9.0, 0.20, 0.05, 0.9),  # added last: the sections above keep their random draws
}
INFLOW = {"潮河入境": 0.14, "白河入境": 0.16}  # 亿m³ per month, illustrative
# sections whose agreement also assesses pH and BOD5 (Jiuzhou round 2 at 山角): typical pH, BOD5 (mg/L); drawn
# from a second generator so the other columns stay as they were
EXTRA = {"山角": (7.4, 3.2)}


OUT = Path(__file__).with_name("illustrative_monitoring.csv")


def main(out=OUT, seed=20250101):
    rng = np.random.default_rng(seed)
    rng_extra = np.random.default_rng(seed + 1)
    rows = []
    for sec, lv in LEVELS.items():
        for year in range(2016, 2022):
            trend = 1.0 - 0.03 * (year - 2016)  # slow improvement
            for month in range(1, 13):
                noise = rng.lognormal(0.0, 0.18, size=5)
                c = np.array(lv) * trend * noise
                rows.append({"section": sec, "year": year, "month": month, "water_class": "",
                             "codmn_mg_l": round(c[0], 2), "cod_mg_l": round(c[1], 1), "nh3n_mg_l": round(c[2], 3),
                             "tp_mg_l": round(c[3], 3), "tn_mg_l": round(c[4], 2),
                             "inflow_100m_m3": round(INFLOW[sec] * rng.lognormal(0, 0.3), 3) if sec in INFLOW else "",
                             "ph": "", "bod5_mg_l": ""})
                if sec in EXTRA:
                    ph, bod5 = EXTRA[sec]
                    rows[-1]["ph"] = round(ph + rng_extra.normal(0.0, 0.3), 2)
                    rows[-1]["bod5_mg_l"] = round(bod5 * trend * rng_extra.lognormal(0.0, 0.18), 2)
    pd.DataFrame(rows).to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\n")
    print(f"wrote {out} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
