"""`ecocomp allocate` and `ecocomp methods` through the main CLI entry (exit codes, outputs, messages)."""

import pandas as pd

from compensation import cli


def _counties(tmp_path):
    df = pd.DataFrame({
        "adcode": ["110101", "110102", "110105"], "name_zh": ["东城区", "西城区", "朝阳区"],
        "parent_adcode": ["110000"] * 3, "level": ["county"] * 3, "land_area_km2": [42.0, 50.5, 463.3],
        "redline_total_km2": [10.0, 20.0, 70.0], "redline_water_conservation_km2": [10.0, 0, 30],
        "redline_biodiversity_km2": [0.0, 20, 20], "redline_soil_conservation_km2": [0.0, 0, 20],
        "redline_sand_fixation_km2": [0.0, 0, 0], "redline_coastal_km2": [0.0, 0, 0],
        "population_10k": [70.0, 110, 340], "last_year_amount_10k_cny": [120.0, 240, 640]})
    path = tmp_path / "counties.csv"
    df.to_csv(path, index=False)
    return path


def test_allocate_writes_csv_and_explains(tmp_path, capsys):
    out = tmp_path / "out.csv"
    code = cli.main(["allocate", "--data", str(_counties(tmp_path)), "--budget", "1000", "--unit", "万元",
                     "--floor-ratio", "0.95", "--cap-ratio", "1.5", "--out", str(out), "--explain", "东城区"])
    assert code == 0
    t = pd.read_csv(out, encoding="utf-8-sig", dtype={"adcode": str})
    assert t["final"].sum() == 1000
    assert "东城区(110101)" in capsys.readouterr().out


def test_allocate_xlsx_has_parameters_and_diagnostics(tmp_path):
    out = tmp_path / "out.xlsx"
    code = cli.main(["allocate", "--data", str(_counties(tmp_path)), "--budget", "0.1", "--budget-unit", "亿元",
                     "--objective", "min_abs", "--set", "weights.biodiversity=2", "--out", str(out)])
    assert code == 0
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) >= {"allocation", "parameters", "diagnostics", "marginal"}
    p = sheets["parameters"].set_index("parameter")
    assert p.loc["weights.biodiversity", "status"] == "override"
    assert sheets["allocation"]["final"].sum() == 1000


def test_infeasible_exits_2_with_plain_message(tmp_path, capsys):
    out = tmp_path / "out.csv"
    code = cli.main(["allocate", "--data", str(_counties(tmp_path)), "--budget", "900", "--floor-ratio", "1.0",
                     "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "floors add up to 1,000万元 > budget 900万元 (short by 100万元)" in err
    assert "Traceback" not in err and not out.exists()


def test_unknown_method_exits_2(tmp_path, capsys):
    code = cli.main(["allocate", "--method", "nope", "--budget", "1", "--out", str(tmp_path / "o.csv")])
    assert code == 2
    assert "unknown method 'nope'" in capsys.readouterr().err


def test_methods_lists_and_shows(capsys):
    assert cli.main(["methods"]) == 0
    out = capsys.readouterr().out
    assert "cn_kefz_2022" in out and "财预〔2022〕59号" in out
    assert cli.main(["methods", "cn_kefz_2017", "--year", "2018"]) == 0
    out = capsys.readouterr().out
    assert "rangers.rate = 10000 元/人/年 [published, since 2017-08-02]" in out
