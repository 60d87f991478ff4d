"""The compiled row kernels (compensation/sweep/kernels.py, numba) give what the numpy code gives.

Nothing is typed in: each kernel is compared with the numpy code it replaces (run with the kernels turned
off), on random rows and on rows built for the hard cases — many equal remainders (every region at a whole
bound has remainder 0), ties at the cut, more units missing than columns that can take one, floors
overshooting the total, flat pieces of the water-filling, floors above caps, bounds shared by every row — and
on a county sweep end to end (final amounts and binding codes of every draw equal)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from compensation.sweep import batched as B  # noqa: E402
from compensation.sweep import stats as S  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _loaded():
    if B.load_kernels() is None:  # numba is importable (checked above), so only ECOCOMP_NUMBA=0 gets here
        pytest.skip("compiled kernels turned off (ECOCOMP_NUMBA=0)")


@pytest.fixture
def numpy_only(monkeypatch):
    """A context in which batched.kernels() says None (the numpy code runs)."""
    loaded = B._KERNELS

    class Off:
        def __enter__(self):
            monkeypatch.setattr(B, "_KERNELS", [None])

        def __exit__(self, *exc):
            monkeypatch.setattr(B, "_KERNELS", loaded)

    return Off()


def _rows(rng, m, n, kind):
    t = rng.uniform(0.5, 100.0, (m, n))
    if kind == "ties":
        t = np.round(t / 10) * 10
    last = rng.uniform(1.0, 100.0, (m, n))
    lo = np.ceil(rng.uniform(0.8, 1.0, (m, 1)) * last - 1e-9)
    hi = np.floor(rng.uniform(1.05, 1.4, (m, 1)) * last + 1e-9)
    if kind == "locked":
        k = rng.random((m, n)) < 0.2
        lo[k] = hi[k] = np.round(last[k])
    budget = np.round(rng.uniform(lo.sum(axis=1), hi.sum(axis=1)))
    if kind == "edges":  # budgets at Σ floors, Σ caps and at breakpoint sums (flat pieces, kinks)
        budget[::3] = lo.sum(axis=1)[::3]
        budget[1::3] = hi.sum(axis=1)[1::3]
        lam = (lo / t)[2::3, 0]
        budget[2::3] = np.clip(lam[:, None] * t[2::3], lo[2::3], hi[2::3]).sum(axis=1)
    return t, lo, hi, budget


@pytest.mark.parametrize("kind", ["plain", "ties", "locked", "edges"])
def test_newton_kernel_equals_the_numpy_water_filling(kind, numpy_only):
    rng = np.random.default_rng(31)
    t, lo, hi, budget = _rows(rng, 120, 50, kind)
    if kind == "locked":
        lo[5, 3], hi[5, 3] = 10.0, 9.0  # a floor above its cap: not settled by the kernel, numpy decides
    x, scale = B.water_fill_rows(t, lo, hi, budget)
    with numpy_only:
        x0, s0 = B.water_fill_rows(t, lo, hi, budget)
    np.testing.assert_allclose(x, x0, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(scale, s0, rtol=1e-12)
    fin = (lo <= hi).all(axis=1)
    f, ok = B.round_rows(x[fin], budget[fin], lo[fin], hi[fin], within=True)
    f0, ok0 = B.round_rows(x0[fin], budget[fin], lo[fin], hi[fin], within=True)
    assert np.array_equal(f, f0) and np.array_equal(ok, ok0)


def test_newton_kernel_with_bounds_shared_by_every_row(numpy_only):
    rng = np.random.default_rng(7)
    t, lo, hi, budget = _rows(rng, 40, 30, "plain")
    lo1, hi1 = lo[0], hi[0]  # one row of bounds for every draw (the sweep's caps)
    budget = np.round(rng.uniform(lo1.sum(), hi1.sum(), 40))
    x, scale = B.water_fill_rows(t, lo1, np.broadcast_to(hi1, t.shape), budget)
    with numpy_only:
        x0, s0 = B.water_fill_rows(t, lo1, np.broadcast_to(hi1, t.shape), budget)
    np.testing.assert_allclose(x, x0, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("case", ["random", "halves", "zeros", "short", "overshoot", "shared"])
def test_rounding_kernel_equals_the_numpy_largest_remainder(case, numpy_only):
    """Exact integers and the same 'ok' per row, ties to the earlier column."""
    rng = np.random.default_rng(hash(case) % 2**32)
    m, n = 200, 40
    lo = np.floor(rng.uniform(0, 50, (m, n)))
    hi = lo + np.floor(rng.uniform(0, 30, (m, n)))
    x = rng.uniform(lo, hi)
    if case == "halves":  # remainders 0.5 or 0.25 everywhere: every cut falls inside a run of equal ones
        x = np.clip(np.floor(x) + rng.choice([0.25, 0.5], (m, n)), lo, hi)
    if case == "zeros":  # most regions exactly at a whole bound (remainder 0), as at county scale
        at = rng.random((m, n)) < 0.8
        x = np.where(at, np.where(rng.random((m, n)) < 0.5, lo, hi), x)
    total = np.floor(x.sum(axis=1) + rng.uniform(-0.49, 0.49, m)).astype(np.int64)
    if case == "short":  # more units missing than columns below their cap
        total = total + n + 5
    if case == "overshoot":  # floors of x above the total: units are taken back from the smallest remainders
        total = total - rng.integers(1, n, m)
    if case == "shared":
        lo, hi = lo[0], hi[0]
        x = rng.uniform(lo, hi, (m, n))
        total = np.round(x.sum(axis=1)).astype(np.int64)
    f, ok = B.round_rows(x, total, lo, hi, within=True)
    with numpy_only:
        f0, ok0 = B.round_rows(x, total, lo, hi, within=True)
    assert np.array_equal(ok, ok0)
    assert np.array_equal(f, f0)
    if case == "short":
        assert not ok.any()
    else:
        assert ok.all() and np.array_equal(f.sum(axis=1), total)


def test_kth_largest_with_repeats():
    from compensation.sweep.kernels import kth_largest

    rng = np.random.default_rng(3)
    for trial in range(300):
        cnt = int(rng.integers(1, 60))
        a = rng.choice([0.0, 0.0, 0.0, 0.5, -1e-9, 0.25, 0.75], cnt) if trial % 2 else rng.uniform(-1, 1, cnt)
        k = int(rng.integers(1, cnt + 1))
        v, greater = kth_largest(a.copy(), cnt, k)
        srt = np.sort(a)[::-1]
        assert v == srt[k - 1]
        assert greater == int((a > v).sum())


def test_rank_and_binding_kernels_equal_numpy(numpy_only):
    rng = np.random.default_rng(12)
    f = rng.integers(-5, 12, (30, 300))  # many equal amounts
    g = rng.integers(0, 10**9, (30, 300))
    m, n = 50, 60
    t = rng.uniform(0, 10, (m, n))
    lo = np.floor(rng.uniform(0, 20, (m, n)))
    hi = lo + np.floor(rng.uniform(0, 15, n))
    hi[:, ::5] = np.inf
    scale = rng.uniform(0.5, 3.0, m)
    scale[::4] = (lo / np.where(t > 0, t, 1))[::4, 3]  # exactly at a floor breakpoint
    x = np.clip(scale[:, None] * t, lo, hi)
    fixed = np.zeros(n, dtype=np.int8)
    fixed[2] = 3
    r1, r2 = S.ranks(f), S.ranks(g)
    c1 = B.binding_codes(x, t, scale, lo, hi, fixed, clipped=True)
    c2 = B.binding_codes(x, t, scale, lo[0], np.broadcast_to(hi[0], (m, n)), fixed, clipped=True)
    with numpy_only:
        assert np.array_equal(r1, S.ranks(f)) and np.array_equal(r2, S.ranks(g))
        assert np.array_equal(c1, B.binding_codes(x, t, scale, lo, hi, fixed, clipped=True))
        assert np.array_equal(c2, B.binding_codes(x, t, scale, lo[0], np.broadcast_to(hi[0], (m, n)), fixed,
                                                  clipped=True))
    assert set(np.unique(c1)) == {0, 1, 2, 3}


def test_county_sweep_with_and_without_kernels(numpy_only):
    """300 draws over the 2,848 synthetic counties (floors 95 %, caps 120 %, two weights and the floor ratio
    varied): every draw's final amounts and binding codes, and the partial statistics, are the same."""
    from compensation.scenario import load_scenario
    from compensation.sweep import SweepSpec, parse_vary, sweep_points
    from compensation.sweep.engine import evaluate, inputs_of
    from compensation.sweep.problem import build_problem

    sc = load_scenario("county_2023")
    spec = SweepSpec([parse_vary(v) for v in ["weights.biodiversity=0.6:2.4", "weights.water_conservation=0.6:2.4",
                                              "constraints.floor_ratio=0.9:1.0"]], samples=300, seed=5)
    problem = build_problem(sc, spec, sweep_points(spec))
    rows = problem.points
    out = evaluate(problem, rows)
    base = out["final"][0]
    part = S.partials(out["final"], out["binding"], out["valid"], inputs_of(problem, rows, 0), base, problem)
    with numpy_only:
        out0 = evaluate(problem, rows)
        part0 = S.partials(out0["final"], out0["binding"], out0["valid"], inputs_of(problem, rows, 0), base,
                           problem)
    assert out["valid"].all()
    assert np.array_equal(out["final"], out0["final"])
    assert np.array_equal(out["binding"], out0["binding"])
    assert part.keys() == part0.keys()
    for key in part:
        assert np.array_equal(np.asarray(part[key]), np.asarray(part0[key])), key


def test_run_sweep_uses_the_kernels_for_large_sweeps_with_the_same_statistics(monkeypatch, numpy_only):
    """run_sweep end to end (threads, chunks, statistics) with the kernels — the size threshold lowered so
    that 200 county draws count as large — and with the numpy code: the same summary and influence tables."""
    import pandas as pd

    from compensation.scenario import load_scenario
    from compensation.sweep import SweepSpec, parse_vary, run_sweep
    from compensation.sweep import engine as E

    monkeypatch.setattr(E, "KERNEL_MIN_CELLS", 1000)
    sc = load_scenario("county_2023")
    spec = SweepSpec([parse_vary(v) for v in ["weights.biodiversity=0.6:2.4", "constraints.floor_ratio=0.9:1.0"]],
                     samples=200, seed=9)
    fast = run_sweep(sc, spec, workers=2, chunk=40)
    with numpy_only:
        plain = run_sweep(sc, spec, workers=2, chunk=40)
    assert fast.info["row_kernels"] == "compiled (numba)" and plain.info["row_kernels"] == "numpy"
    pd.testing.assert_frame_equal(fast.summary, plain.summary, check_exact=True)
    pd.testing.assert_frame_equal(fast.tables["influence"], plain.tables["influence"], check_exact=True)
