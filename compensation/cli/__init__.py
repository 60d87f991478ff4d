"""The `ecocomp` command line: ``main`` wires the command groups (one module each) together."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
