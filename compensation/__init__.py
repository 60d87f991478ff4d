"""ecocomp: eco-compensation transfer-payment calculator (生态保护补偿转移支付计算器)."""

__version__ = "0.1.0"

__all__ = ["InputError", "load_regions", "__version__"]


def __getattr__(name: str):
    """The public API, imported on first use (PEP 562): ``import compensation`` and the command line's start
    (``ecocomp --help``, ``--version``, argument errors) do not pay for pandas."""
    if name == "load_regions":
        from .data import load_regions

        return load_regions
    if name == "InputError":
        from .problems import InputError

        return InputError
    raise AttributeError(f"module 'compensation' has no attribute '{name}'")
