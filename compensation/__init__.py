"""ecocomp: eco-compensation transfer-payment calculator (生态保护补偿转移支付计算器)."""

__version__ = "0.1.0"
