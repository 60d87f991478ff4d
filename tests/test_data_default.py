"""The embedded default data and the synthetic county generator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compensation.cli import main
from compensation.data import load_regions, summary
from compensation.synth import SUMMED, synthetic_counties

# National red-line total 2023: about 3.19 million km² (《中国生态保护红线蓝皮书》, 2023-08-15; land ≈ 3.04,
# sea ≈ 0.15 million km²). The provincial figures have mixed vintages (2016–2025), two are estimates
# (福建, 西藏) and 海南's sea part is the 2016 figure, so the sum is allowed to differ by up to 2%.
NATIONAL_REDLINE_2023_KM2 = 3_190_000
TOLERANCE = 0.02


def test_default_redline_total_matches_national_figure():
    total = load_regions()["redline_total_km2"].sum()
    assert abs(total - NATIONAL_REDLINE_2023_KM2) / NATIONAL_REDLINE_2023_KM2 < TOLERANCE
    # known gap documented in data/README.md: the sum is 3,151,712 km², 1.20% below the national figure
    # (the 2023–2024 figures of 贵州, 安徽, 重庆 and 天津 replaced their 2018 ones: −7,750 km² in all)
    assert round(total) == 3_151_712


def test_default_has_31_provinces_with_sources():
    regions = load_regions()
    assert len(regions) == 31 and regions["adcode"].is_unique
    sources = regions.attrs["sources"]
    assert set(sources["status"]) == {"verified", "derived", "secondary", "recalled", "estimate", "illustrative"}
    split = sources[sources["column"].str.contains("water_conservation")]
    assert (split["status"] == "illustrative").all()
    assert (sources["source"].str.len() > 10).all()


def test_function_split_adds_up_exactly_in_default():
    r = load_regions()
    funcs = r.filter(regex=r"^redline_(water_conservation|biodiversity|soil_conservation|sand_fixation|coastal)_km2$")
    assert np.allclose(funcs.sum(axis=1), r["redline_total_km2"], atol=1e-6)


def test_summary_counts_statuses():
    s = summary(load_regions())
    # +30 verified (2008 reserve areas) +31 secondary (c.2019 reserve counts), 天津 land red line now derived
    assert s["status"] == {"verified": 178, "derived": 1, "secondary": 31, "recalled": 94, "estimate": 6,
                           "illustrative": 155}


@pytest.mark.parametrize("scale", [1, 3])
def test_synthetic_counties_reproduce_province_totals_exactly(scale):
    prov = load_regions().set_index("adcode")
    counties = synthetic_counties(seed=7, scale=scale)
    assert len(counties) == 2848 * scale
    assert (counties["data_status"] == "synthetic").all()
    sums = counties.groupby("parent_adcode")[SUMMED].sum()
    for col in SUMMED:
        got = np.round(sums[col].to_numpy() * 100).astype(np.int64)  # compare in exact hundredths
        want = np.round(prov.loc[sums.index, col].to_numpy() * 100).astype(np.int64)
        assert (got == want).all(), col
    got_total = np.round(counties.groupby("parent_adcode")["redline_total_km2"].sum() * 100).astype(np.int64)
    assert (got_total == np.round(prov.loc[got_total.index, "redline_total_km2"] * 100).astype(np.int64)).all()


def test_synthetic_same_seed_same_bytes(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert main(["data", "synth", "--seed", "11", "--out", str(a)]) == 0
    assert main(["data", "synth", "--seed", "11", "--out", str(b)]) == 0
    assert main(["data", "synth", "--seed", "12", "--out", str(c)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert main(["data", "check", str(a)]) == 0


def test_synth_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "a.csv"
    out.write_text("earlier result")
    assert main(["data", "synth", "--out", str(out)]) == 2
    assert out.read_text() == "earlier result"
    assert "exists already" in capsys.readouterr().err


def test_schema_doc_is_generated_from_the_declaration():
    from compensation.data import ROOT
    from compensation.schema import schema_markdown

    assert (ROOT / "docs" / "data_schema.md").read_text(encoding="utf-8") == schema_markdown()


@given(st.lists(st.integers(min_value=-(2**62), max_value=2**62), min_size=0, max_size=50))
def test_cents_are_formatted_as_the_f_string_rule(values):
    """synth._fmt_cents (Arrow string kernels) gives f"{v // 100}.{v % 100:02d}" for every value."""
    from compensation.synth import _fmt_cents

    assert _fmt_cents(np.array(values, dtype=np.int64)).tolist() == [f"{v // 100}.{v % 100:02d}" for v in values]
