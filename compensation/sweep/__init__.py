"""Sensitivity sweeps at scale: many draws of a scenario's uncertain inputs (method parameters, budget,
floor and cap ratios, region data within the ranges their statuses imply) as per-region statistics.

    from compensation.sweep import parse_vary, SweepSpec, run_sweep

The allocation of every draw is batched (:mod:`.batched`), targets are one matrix operation where the
method is affine in the varied inputs (:mod:`.problem`), chunks of draws run locally or on Dask
(:mod:`.engine`), and statistics are streamed (:mod:`.stats`)."""

from .api import SweepResult, run_sweep, sweep_id, write_draws
from .spec import MAX_POINTS, SweepSpec, Vary, from_section, parse_samples, parse_vary, sweep_points

__all__ = ["SweepSpec", "Vary", "SweepResult", "run_sweep", "write_draws", "sweep_id", "parse_vary",
           "parse_samples", "sweep_points", "from_section", "MAX_POINTS"]
