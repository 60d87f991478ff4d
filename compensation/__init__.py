"""ecocomp: eco-compensation transfer-payment calculator (生态保护补偿转移支付计算器)."""

__version__ = "0.1.0"

from .data import load_regions  # noqa: E402
from .problems import InputError  # noqa: E402

__all__ = ["InputError", "load_regions", "__version__"]
