"""Horizontal compensation between protecting and benefiting regions (横向生态保护补偿): agreements as data,
monitoring validation, valuation methods, the ledger of obligations and their settlement."""

from .agreements import Agreement, list_agreements, load_agreement
from .monitoring import read_monitoring
from .run import HorizontalResult, run_horizontal
from .settlement import Settlement, settle

__all__ = ["Agreement", "HorizontalResult", "Settlement", "list_agreements", "load_agreement", "read_monitoring",
           "run_horizontal", "settle"]
