"""Interface strings of the province drill-down page (省内分配), merged into ``ui.i18n.S``."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "page.drilldown": ("省内分配", "Province drill-down"),
    "dd.title": ("省内分配:中央 → 省 → 县", "Province drill-down: centre → province → county"),
    "dd.intro": ("两级分配情景:中央资金先分到各省,各省再按本省办法(省对下转移支付办法)分到各县,两级均精确到整数且合计相等。"
                 "在地图上点击或在列表中选择省份;可修改该省的二级分配方法和省级统筹比例。",
                 "Two-tier scenarios: the central pool goes to the provinces, then each province passes its amount "
                 "to its counties by its own measure, exact in whole units at both tiers. Click a province on the "
                 "map or choose it in the list; its tier-2 method and retention share can be edited."),
    "dd.none": ("没有两级分配情景(含 cascade: 部分的情景文件)。", "No two-tier scenario (a scenario file with a "
                "cascade: section)."),
    "dd.scenario": ("两级分配情景", "Two-tier scenario"),
    "dd.year": ("年份", "Year"),
    "dd.province": ("省份", "Province"),
    "dd.method": ("二级分配方法(省对县)", "Tier-2 method (province to counties)"),
    "dd.retention": ("省级统筹比例(%)", "Provincial retention (%)"),
    "dd.edited": ("已按本页设置重新测算该省的二级分配(中央资金不变)。", "This province's tier 2 is recomputed with the "
                  "settings on this page (its central amount unchanged)."),
    "dd.central": ("中央资金", "Central amount"),
    "dd.retained": ("省级统筹留存", "Kept at province level"),
    "dd.to_counties": ("拨付各县", "Passed to counties"),
    "dd.counties": ("县数", "Counties"),
    "dd.infeasible": ("该省二级分配不可行,拨付县级的资金暂留省级:{msg}", "This province's tier 2 is infeasible; "
                      "its amount for counties is held at province level: {msg}"),
    "dd.map_provinces": ("各省中央资金(万元)", "Central amount by province (万元)"),
    "dd.map_counties": ("{province}各县最终金额(万元)", "{province}: final amount by county (万元)"),
    "dd.table": ("各县分配表", "County table"),
    "dd.county": ("县", "County"),
    "dd.county_final": ("该县最终金额", "County final amount"),
    "dd.explain": ("两级说明", "Both tiers in words"),
    "dd.held": ("省级留存", "held at province level"),
    "dd.synthetic": ("县级数据为合成数据(各县之和等于真实省级数据,但单个县的数值不是真实数据)。",
                     "County data are synthetic (they add up to the real province figures, but no single county "
                     "value is real)."),
    "dd.col.adcode": ("行政区划代码", "Code"),
    "dd.col.name": ("县", "County"),
    "dd.col.final": ("最终金额(万元)", "Final (万元)"),
    "dd.col.share": ("占全省中央资金", "Share of the province's central amount"),
    "dd.col.last_year": ("上年金额(万元)", "Last year (万元)"),
    "dd.col.target": ("测算目标(万元)", "Target (万元)"),
    "dd.col.binding": ("约束", "Bound"),
    "dd.binding.retained": ("省级统筹", "retained"),
    "dd.binding.held": ("二级不可行,暂留省级", "held: tier 2 infeasible"),
}
