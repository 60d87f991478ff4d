"""Sweep statistics, engines and the command line.

Statistics are checked against the kept draws (every draw written to Parquet and summarised again with
pandas); the Dask engine on a LocalCluster of 2 worker processes against the local engine, bit for bit, also
when a worker is killed in the middle of the sweep; the command's refusals of bad sizes and ranges."""

from __future__ import annotations

import os
import signal
import textwrap

import numpy as np
import pandas as pd
import pytest

from compensation.allocation import allocate
from compensation.cli import main
from compensation.scenario import load_scenario
from compensation.sweep import SweepSpec, parse_vary, run_sweep, write_draws
from compensation.sweep.engine import draw_regions
from compensation.sweep.problem import build_problem


def _spec(samples=240, seed=4):
    return SweepSpec([parse_vary("weights.biodiversity=0.6:2.4"), parse_vary("weights.water_conservation=0.6:2.4"),
                      parse_vary("constraints.floor_ratio=0.9:1.0")], samples=samples, seed=seed)


def _hold_harmless_2023():
    return load_scenario("county_2023")  # 2,848 counties, floor 95 % and cap 120 % of last year


def test_statistics_equal_a_summary_of_every_kept_draw(tmp_path):
    sc = _hold_harmless_2023()
    res = run_sweep(sc, _spec(120), keep_draws=True, chunk=50)
    try:
        rows = write_draws(res, tmp_path / "draws.parquet")
    finally:
        res.close()
    draws = pd.read_parquet(tmp_path / "draws.parquet")
    assert rows == len(draws) == 120 * 2848
    g = draws.groupby("adcode")["final"]
    s = res.summary.set_index("adcode").loc[sorted(draws["adcode"].unique())]
    assert (s["min"].to_numpy() == g.min().to_numpy()).all() and (s["max"].to_numpy() == g.max().to_numpy()).all()
    for q, col in ((0.05, "p05"), (0.5, "median"), (0.95, "p95")):
        assert (s[col].to_numpy() == g.quantile(q).to_numpy()).all()
    assert np.allclose(s["mean"], g.mean(), rtol=0, atol=1e-9)
    at_floor = draws.assign(f=draws["binding"] == "floor").groupby("adcode")["f"].mean()
    at_cap = draws.assign(c=draws["binding"] == "cap").groupby("adcode")["c"].mean()
    assert np.allclose(s["at_floor"], at_floor) and np.allclose(s["at_cap"], at_cap)
    assert s["at_floor"].max() > 0 and s["at_cap"].max() > 0
    # every draw adds up to the budget exactly
    assert (draws.groupby("draw")["final"].sum() == 10_910_000).all()
    # rank: 1 + the number of regions with a larger amount, per draw
    rk = draws.groupby("draw")["final"].rank(method="min", ascending=False).astype(int)
    r = draws.assign(rank=rk).groupby("adcode")["rank"]
    assert (s["rank_best"].to_numpy() == r.min().to_numpy()).all()
    assert (s["rank_worst"].to_numpy() == r.max().to_numpy()).all()
    # influence: r of an input with a region's amount, as numpy computes it from the draws
    pts = res.points.set_index("draw")
    wide = draws.pivot(index="draw", columns="adcode", values="final")
    inf = res.tables["influence"].set_index(["adcode", "input"])["r"]
    for code in s.index[[0, 1000, 2847]]:
        for name in ("weights.biodiversity", "constraints.floor_ratio"):
            expected = np.corrcoef(pts[name].to_numpy(), wide[code].to_numpy())[0, 1]
            assert inf[(code, name)] == pytest.approx(expected, abs=1e-9)


def test_chunk_size_and_threads_do_not_change_the_statistics():
    sc = _hold_harmless_2023()
    a = run_sweep(sc, _spec(120), chunk=120, workers=1)
    b = run_sweep(sc, _spec(120), chunk=37, workers=2, pool="processes")
    c = run_sweep(sc, _spec(120), chunk=37, workers=2)  # threads, the default
    for k in ("summary", "influence", "input_influence"):
        pd.testing.assert_frame_equal(a.tables[k], b.tables[k], check_exact=False, rtol=1e-12)
        pd.testing.assert_frame_equal(b.tables[k], c.tables[k], check_exact=True)  # same chunks: bit for bit
    assert a.summary[["min", "p05", "median", "p95", "max"]].equals(b.summary[["min", "p05", "median", "p95", "max"]])
    assert b.info["pool"] == "processes" and c.info["pool"] == "threads"


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       memory_limit="600MB", silence_logs=50)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_local_cluster_gives_bit_identical_statistics(dask_client):
    sc = _hold_harmless_2023()
    local = run_sweep(sc, _spec(120), chunk=30)
    dist = run_sweep(sc, _spec(120), engine="dask", client=dask_client, chunk=30)
    assert dist.info["engine"] == "dask" and dist.info["workers"] == 2
    for k in ("summary", "influence", "input_influence", "invalid_draws"):
        pd.testing.assert_frame_equal(local.tables[k], dist.tables[k], check_exact=True)
    pd.testing.assert_frame_equal(local.points, dist.points, check_exact=True)


def test_a_worker_killed_mid_sweep_loses_and_double_counts_nothing(dask_client):
    sc = load_scenario("county_2023")
    spec = _spec(samples=400, seed=9)
    local = run_sweep(sc, spec, chunk=10)
    pids = dask_client.run(os.getpid)  # worker address -> process id
    victim = sorted(pids.values())[0]
    seen = []

    def kill_after_first(res):
        seen.append(res["index"])
        if len(seen) == 2:
            os.kill(victim, signal.SIGKILL)

    dist = run_sweep(sc, spec, engine="dask", client=dask_client, chunk=10, progress=kill_after_first)
    assert victim in {r for r in pids.values()} and len(seen) == 40  # every chunk reported exactly once
    assert sorted(seen) == list(range(40))
    for k in ("summary", "influence", "input_influence"):
        pd.testing.assert_frame_equal(local.tables[k], dist.tables[k], check_exact=True)
    assert victim not in dask_client.run(os.getpid).values()  # the killed process is gone (its nanny restarted it)


def test_uncertain_region_data_by_status(tmp_path):
    """Illustrative values (the function split of the red line) drawn within ±30 %; each draw equals allocate()
    on that draw's region table; the influence table names the data columns."""
    path = tmp_path / "uncertain.yaml"
    path.write_text(textwrap.dedent("""\
        scenario: {title: uncertain data, extends: baseline_2023}
        sweep:
          samples: 60
          seed: 5
          data: {illustrative: 0.3, recalled: 0.05}
        """), encoding="utf-8")
    sc = load_scenario(path)
    from compensation.sweep import from_section

    spec = from_section(sc.spec["sweep"])
    res = run_sweep(sc, spec, keep_draws=True, chunk=25)
    try:
        write_draws(res, tmp_path / "d.parquet")
    finally:
        res.close()
    assert res.info["targets"] == "draw by draw"
    inputs = set(res.tables["input_influence"]["input"])
    # the method reads the five function-type areas (all illustrative); its fiscal factor has exponent 0 in 2023,
    # so revenue and expenditure (recalled) are not read; verified values never move
    assert inputs == {f"data:redline_{f}_km2" for f in ("water_conservation", "biodiversity", "soil_conservation",
                                                         "sand_fixation", "coastal")}
    draws = pd.read_parquet(tmp_path / "d.parquet")
    problem = build_problem(sc, spec, res.points.drop(columns=["draw", "feasible"]))
    for d in (0, 17, 59):
        reg = draw_regions(problem, d)
        ratio = reg["redline_biodiversity_km2"] / problem.regions["redline_biodiversity_km2"]
        assert ratio[problem.regions["redline_biodiversity_km2"] > 0].between(0.7, 1.3).all()
        out = allocate(reg, method="redline_function_weighted", budget=1091, budget_unit="亿元", unit="万元",
                       year=2023)
        expected = out.table.set_index("adcode")["final"].sort_index()
        got = draws[draws["draw"] == d].set_index("adcode")["final"].sort_index()
        assert (got == expected).all()


@pytest.mark.parametrize("args, words", [
    (["--samples", "0"], "must be at least 1"),
    (["--samples", "-5"], "must be at least 1"),
    (["--samples", "2.5"], "must be a whole number"),
    (["--vary", "weights.biodiversity=1:1", "--samples", "10"], "empty or reversed"),
    (["--vary", "weights.biodiversity=2:1", "--samples", "10"], "empty or reversed"),
    (["--vary", "weights.biodiversity=nan:2", "--samples", "10"], "finite"),
    (["--vary", "weights.biodiversity=1:inf", "--samples", "10"], "finite"),
    (["--vary", "weights.biodiversity=1:2:1"], "grid points must be a whole number ≥ 2"),
    (["--vary", "weights.biodiversity=1:2:1000", "--vary", "weights.coastal=1:2:1000"], "exceed --max-points"),
    (["--vary", "weights.nope=1:2", "--samples", "5"], "neither a parameter"),
    (["--vary", "budget=-5:10", "--samples", "5"], "budget must be positive"),
])
def test_bad_sweeps_are_refused_before_computing(tmp_path, capsys, args, words):
    if not any(a == "--vary" for a in args):
        args = ["--vary", "weights.biodiversity=1:2", *args]
    code = main(["sweep", "baseline_2023", *args, "--out", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_max_points_is_checked_before_the_grid_is_built(monkeypatch, tmp_path, capsys):
    import compensation.sweep.spec as spec_mod

    def boom(*a, **k):  # building a 10^12-point grid would exhaust memory
        raise AssertionError("the grid was built")

    monkeypatch.setattr(spec_mod.itertools, "product", boom)
    varies = [f"--vary=weights.{w}=1:2:1000" for w in ("biodiversity", "coastal", "sand_fixation",
                                                        "water_conservation")]
    code = main(["sweep", "baseline_2023", *varies, "--out", str(tmp_path), "--quiet"])
    assert code == 2 and "1,000,000,000,000 points exceed --max-points 100,000" in capsys.readouterr().err


def test_sweep_command_writes_statistics_and_optional_parquet(tmp_path, capsys):
    code = main(["sweep", "baseline_2023", "--vary", "weights.biodiversity=0.6:2.4", "--samples", "50",
                 "--keep-draws", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    folder = next(tmp_path.glob("sweep-baseline_2023-*"))
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["manifest.json", "results.xlsx", "sweep_draws.parquet", "sweep_influence.csv",
                     "sweep_input_influence.csv", "sweep_points.csv", "sweep_summary.csv"]
    assert len(pd.read_parquet(folder / "sweep_draws.parquet")) == 50 * 31
    out = capsys.readouterr().out
    assert "50 draws (50 feasible), 31 regions" in out and "weights.biodiversity" in out


def test_batch_run_on_dask_writes_the_same_folders_as_the_local_engine(tmp_path, capsys):
    pytest.importorskip("distributed")
    refs = ["baseline_2023", "water_priority_2023"]
    assert main(["run", *refs, "--out", str(tmp_path / "local"), "--formats", "csv", "--quiet", "--jobs", "1"]) == 0
    assert main(["run", *refs, "--out", str(tmp_path / "dask"), "--formats", "csv", "--quiet", "--engine", "dask",
                 "--jobs", "2"]) == 0
    local = sorted((tmp_path / "local").glob("*/*.csv"))
    dist = sorted((tmp_path / "dask").glob("*/*.csv"))
    assert [p.relative_to(tmp_path / "local") for p in local] == [p.relative_to(tmp_path / "dask") for p in dist]
    assert len(local) >= 8 and all(a.read_bytes() == b.read_bytes() for a, b in zip(local, dist, strict=True))


def test_sorted_quantiles_equal_numpy_quantile_bit_for_bit():
    """The streaming statistics sort each region's draws and interpolate themselves; numpy's np.quantile
    (linear method) is the reference, for sizes where γ falls below, at and above 0.5."""
    from compensation.sweep.stats import QUANTILES, sorted_quantiles

    rng = np.random.default_rng(12)
    for N in (1, 2, 3, 7, 20, 21, 101, 240, 999, 1000):
        x = rng.integers(-50, 10**7 if N % 2 else 40, (9, N)).astype(np.int32)
        expected = np.quantile(x.astype(np.float64), QUANTILES, axis=1).T
        got = sorted_quantiles(np.sort(x, axis=1))
        assert np.array_equal(got, expected), N
