"""Calibration recovers the parameters that generated an allocation; bad published tables are refused clearly;
back-tests compute the statistics worked out by hand (issue #11, parts 2 and 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from compensation.allocation.methods import compute_targets, total_target
from compensation.allocation.params import load_method
from compensation.calibration import calibrate, read_published, statistics, write_calibrated
from compensation.calibration.backtest import backtest
from compensation.cli.main import main
from compensation.data import KEFZ_2020_TABLE, load_regions
from compensation.problems import InputError

REGIONS = load_regions()


def published_from(method, year, overrides, path, noise=0.0, seed=0, keep=None, with_total=True):
    """Write the allocation a method gives with ``overrides`` as a published table (亿元, total row)."""
    table, _ = compute_targets(load_method(method), REGIONS, 1e11, year, overrides)
    amounts = total_target(table) / 1e8
    if noise:
        amounts = amounts * (1 + np.random.default_rng(seed).normal(0, noise, amounts.size))
    rows = pd.DataFrame({"adcode": REGIONS["adcode"], "name_zh": REGIONS["name_zh"], "amount": amounts,
                         "unit": "亿元", "year": year})
    if keep is not None:
        rows = rows.iloc[keep]
    if with_total:
        rows = pd.concat([pd.DataFrame([{"adcode": "100000", "name_zh": "全国", "amount": amounts.sum(),
                                         "unit": "亿元", "year": year}]), rows])
    rows.to_csv(path, index=False)
    return read_published(path, REGIONS)


def test_pool_share_recovered_exactly_by_the_lp(tmp_path):
    """cn_kefz_2017: shares = p × prohibited shares + (1 − p) × key shares, affine in p: the LP finds p."""
    pub = published_from("cn_kefz_2017", 2020, {"prohibited.pool": 0.3}, tmp_path / "t.csv", keep=range(0, 31, 2))
    cal = calibrate("cn_kefz_2017", REGIONS, pub, 2020, free=["prohibited.pool"])
    assert cal.solver.startswith("LP") and cal.status == "optimal"
    assert cal.values["prohibited.pool"] == pytest.approx(0.3, abs=1e-6)
    assert cal.fit["mae_pp"] < 1e-6 and cal.fit["spearman"] == pytest.approx(1.0)
    assert cal.cv["mae_pp"] < 1e-6  # every leave-one-out refit finds the same p


def test_pool_share_recovered_with_noise(tmp_path):
    """5% multiplicative noise on the 31 amounts: p = 0.3 is recovered within ±0.05 (tolerance of the claim)."""
    pub = published_from("cn_kefz_2017", 2020, {"prohibited.pool": 0.3}, tmp_path / "t.csv", noise=0.05, seed=7)
    cal = calibrate("cn_kefz_2017", REGIONS, pub, 2020, free=["prohibited.pool"], cv=False)
    assert abs(cal.values["prohibited.pool"] - 0.3) < 0.05


def test_sum_to_one_weights_recovered_by_the_lp(tmp_path):
    """national_parks: one pool split by Σ w_k × share_k with Σ w = 1, affine in the weights; the last weight
    is 1 − the others. Generated with (0.5, 0.2, 0.2, 0.1) on 20 provinces."""
    w = {"weights.area": 0.5, "weights.importance": 0.2, "weights.population": 0.2, "weights.performance": 0.1}
    pub = published_from("national_parks", 2023, w, tmp_path / "t.csv", keep=range(20))
    cal = calibrate("national_parks", REGIONS, pub, 2023, free=list(w), cv=False)
    assert cal.solver.startswith("LP")
    for k, v in w.items():
        assert cal.values[k] == pytest.approx(v, abs=1e-6), k
    assert "weights.performance" in cal.table().query("role != 'free'")["parameter"].tolist()


def test_nonlinear_parameters_recovered_by_the_search(tmp_path):
    """cn_kefz_2017 pool share with the tier coefficients (they enter a ratio: not affine): generated with
    pool 0.3 and tiers 0.5 / 0.8 / 1.0, recovered by differential evolution + Nelder–Mead within 0.01."""
    tiers = [[0.0, 0.5], [0.2, 0.8], [0.4, 1.0]]
    pub = published_from("cn_kefz_2017", 2020, {"prohibited.pool": 0.3, "key.coefficient_tiers": tiers},
                         tmp_path / "t.csv")
    cal = calibrate("cn_kefz_2017", REGIONS, pub, 2020, free=["prohibited.pool", "key.coefficient_tiers"],
                    cv=False)
    assert cal.solver.startswith("differential evolution")
    assert cal.values["prohibited.pool"] == pytest.approx(0.3, abs=0.01)
    assert cal.values["key.coefficient_tiers[0]"] == pytest.approx(0.5, abs=0.01)
    assert cal.values["key.coefficient_tiers[1]"] == pytest.approx(0.8, abs=0.01)


def test_calibrated_file_is_a_usable_method(tmp_path):
    pub = published_from("cn_kefz_2017", 2020, {"prohibited.pool": 0.3}, tmp_path / "tab.csv")
    cal = calibrate("cn_kefz_2017", REGIONS, pub, 2020, free=["prohibited.pool"], cv=False)
    path = write_calibrated(cal, pub, tmp_path / "m.yaml")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    (entry,) = doc["parameters"]["prohibited.pool"]["values"].values()
    assert entry["status"] == "calibrated" and entry["value"] == pytest.approx(0.3, abs=1e-6)
    assert entry["calibration"]["table"] == "tab" and entry["calibration"]["year"] == 2020
    m = load_method(str(path))
    assert m.values(2023)["prohibited.pool"]["status"] == "calibrated"
    with pytest.raises(InputError, match="exists already"):
        write_calibrated(cal, pub, tmp_path / "m.yaml")


def test_statistics_worked_by_hand():
    """Shares y = (.5, .3, .2), model (.4, .35, .25): residuals (−.1, +.05, +.05) → MAE 6.6667 pp; ranks agree
    → ρ = 1."""
    from compensation.calibration.published import Published

    p = Published("t", np.array([0, 1, 2]), np.array([5.0, 3.0, 2.0]), None, None, "元")
    s = statistics(p, np.array([0.4, 0.35, 0.25]))
    assert s["mae_pp"] == pytest.approx(20 / 3) and s["spearman"] == pytest.approx(1.0)
    assert s["largest"][0] == 0 and s["max_abs_pp"] == pytest.approx(10.0)


def test_backtest_on_the_2020_table():
    pub = read_published(KEFZ_2020_TABLE, REGIONS)
    assert pub.total == pytest.approx(707.17e8) and len(pub.rows) == 13 and pub.year == 2020
    bt = backtest("redline_function_weighted", REGIONS, pub, 2020)
    # the model's amount of a region is its share × 707.17; the residual is model − published share
    t = bt.table.set_index("adcode")
    assert t.loc["530000", "published_100m_cny"] == pytest.approx(54.30)
    assert (t["model_100m_cny"] / 707.17 * 100 - t["model_share_pct"]).abs().max() < 1e-9
    assert bt.stats["mae_pp"] == pytest.approx(t["residual_pp"].abs().mean())


@pytest.mark.parametrize("rows, message", [
    ("adcode,amount,unit\n110000,1,亿元\n999999,2,亿元\n130000,3,亿元\n", "unknown region '999999'"),
    ("adcode,amount,unit\n110000,1,亿元\n110000,2,亿元\n130000,3,亿元\n", "appears twice"),
    ("adcode,amount,unit\n100000,0,亿元\n110000,1,亿元\n120000,2,亿元\n130000,3,亿元\n", "total must be positive"),
    ("adcode,amount,unit\n110000,1,亿元\n130000,x,亿元\n140000,3,亿元\n", "is not a number"),
    ("adcode,amount,unit\n110000,1,亿元\n130000,3,亿元\n", "at least 3"),
    ("adcode,amount,unit\n110000,1,磅\n130000,3,亿元\n140000,3,亿元\n", "unknown unit"),
])
def test_bad_tables_are_refused(tmp_path, rows, message):
    f = tmp_path / "bad.csv"
    f.write_text(rows, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_published(f, REGIONS)


def test_too_few_regions_for_the_free_parameters(tmp_path, capsys):
    f = tmp_path / "three.csv"
    f.write_text("adcode,amount,unit,year\n110000,1,亿元,2023\n130000,3,亿元,2023\n140000,2,亿元,2023\n",
                 encoding="utf-8")
    pub = read_published(f, REGIONS)
    with pytest.raises(InputError, match="too few for 3 free parameter"):
        calibrate("national_parks", REGIONS, pub, 2023,
                  free=["weights.area", "weights.importance", "weights.population", "weights.performance"])
    assert main(["calibrate", "national_parks", "--to", str(f), "--free", "weights.area", "weights.importance",
                 "weights.population", "weights.performance", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "too few" in err and "Traceback" not in err
    assert main(["calibrate", "national_parks", "--to", str(f), "--free", "no.such", "--dry-run"]) == 2
    assert "unknown parameter" in capsys.readouterr().err
    assert main(["backtest", "national_parks", "--to", str(tmp_path / "missing.csv")]) == 2


def test_backtest_cli_writes_the_folder(tmp_path, capsys):
    assert main(["backtest", "cn_kefz_2017", "--to", "kefz_2020_by_province_partial", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Spearman" in out and "mean absolute share error" in out
    folder = tmp_path / "backtest-cn_kefz_2017-kefz_2020_by_province_partial-2020"
    assert sorted(p.name for p in folder.iterdir()) == ["backtest.csv", "residual_map.html", "scatter.html",
                                                        "summary.json"]
