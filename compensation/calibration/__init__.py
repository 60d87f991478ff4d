"""Calibration of a method's unpublished parameters to a published allocation table, and back-tests."""

from .fit import Calibration, calibrate, write_calibrated
from .published import Published, read_published, residual_table, statistics

__all__ = ["Calibration", "Published", "calibrate", "read_published", "residual_table", "statistics",
           "write_calibrated"]
