"""Interface strings of the back-test page (回测与改革比较), merged into ``ui.i18n.S``."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "page.backtest": ("回测与改革比较", "Back-test and reform"),
    "bt.title": ("回测:方法测算与公布分配的比较", "Back-test: methods against a published allocation"),
    "bt.intro": ("将方法在内置省级数据上的测算份额与财政部公布的 2020 年重点生态功能区转移支付分配表"
                 "(财预〔2020〕49号,13 个省份,合计 707.17 亿元)比较;不做任何拟合。校准方法见 docs/calibration.md。",
                 "A method's shares on the embedded province data against the Ministry's published 2020 KEFZ "
                 "allocation table (财预〔2020〕49号, 13 provinces, total 707.17亿元), without fitting anything. "
                 "Calibration is described in docs/calibration.md."),
    "bt.method": ("方法", "Method"),
    "bt.rho": ("Spearman 秩相关", "Spearman ρ"),
    "bt.mae": ("平均绝对份额误差", "Mean absolute share error"),
    "bt.max": ("最大份额误差", "Largest share error"),
    "bt.regions": ("公布地区数", "Published regions"),
    "bt.scatter": ("测算金额与公布金额(亿元,虚线为两者相等)", "Method against published amounts (亿元; dashed: equal)"),
    "bt.map": ("份额残差地图(测算 − 公布,百分点;灰色为未公布省份)",
               "Residual map (method − published share, percentage points; grey: not in the table)"),
    "bt.table": ("逐省比较", "By province"),
    "bt.fallbacks": ("本方法在省级数据上使用了声明的替代输入:{used}", "Declared fallbacks used on province data: {used}"),
    "bt.undefined": ("无定义(份额相同)", "undefined (equal shares)"),
    "rf.title": ("现行办法与红线改革方案比较(2023 年,1,091 亿元)",
                 "Current practice against the red-line reform (2023, 1,091亿元)"),
    "rf.intro": ("现行办法近似 = current_practice_2023(重点生态功能区转移支付办法,参数按 2020 年公布分配表校准);"
                 "改革方案 = redline_reform_2023(按红线面积与功能分配的改革方案,并非现行分配)。"
                 "与命令 ecocomp compare current_practice_2023 redline_reform_2023 的结果相同。",
                 "Current practice = current_practice_2023 (the KEFZ measure with parameters calibrated on the 2020 "
                 "table); reform = redline_reform_2023 (按红线面积与功能分配的改革方案, a proposal, not the current "
                 "distribution). The same numbers as `ecocomp compare current_practice_2023 redline_reform_2023`."),
    "rf.gainers": ("增加的地区", "Regions gaining"),
    "rf.losers": ("减少的地区", "Regions losing"),
    "rf.moved": ("地区间调整资金", "Money moved between regions"),
    "rf.gains": ("增加最多的地区", "Largest gains"),
    "rf.losses": ("减少最多的地区", "Largest losses"),
    "rf.all": ("全部地区(万元)", "All regions (万元)"),
}
