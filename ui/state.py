"""Every session-state key of the front end, in one place (widgets are addressed by these keys in tests)."""

from __future__ import annotations


class Keys:
    # shared
    LANG = "lang"  # "zh" | "en" (sidebar)
    PERSIST = "_persist"  # {widget key: value} kept while the user moves between pages
    UPLOAD = "_upload"  # the region table in use when it is not the default: {"name", "path", "sha"}

    # Allocate
    METHOD = "alloc_method"
    YEAR = "alloc_year"
    POOL = "alloc_pool_yi"  # pool in 亿元
    OBJECTIVE = "alloc_objective"
    PARAM_PREFIX = "alloc_p_"  # + parameter path, e.g. "alloc_p_weights.water_conservation"
    USE_FLOOR = "alloc_use_floor"
    FLOOR_RATIO = "alloc_floor_ratio"
    USE_CAP = "alloc_use_cap"
    CAP_RATIO = "alloc_cap_ratio"
    BOUNDS = "alloc_bounds"  # data editor: per-region floor / cap / lock (万元), exclude
    GROUPS = "alloc_groups"  # data editor: min / max share per region group
    BUNDLE = "_alloc_bundle"  # {"hash", "zip"}: the run bundle prepared for the current inputs
    RESET = "alloc_reset"
    SC_LOAD = "sc_load"  # file uploader: a scenario YAML to load as the settings
    SC_LOADED = "_sc_loaded"  # sha256 of the scenario file applied last (applied once)
    SC_NOTES = "_sc_notes"  # what loading it said
    UNIT_VIEW = "alloc_unit_view"  # 亿元 | 万元: province amounts and the notice

    # Overview
    MAP_MEASURE = "ov_map_measure"

    # Compare
    CMP_BASE = "cmp_base"
    CMP_SCENARIOS = "cmp_scenarios"
    CMP_CURRENT = "cmp_current"
    CMP_YEAR = "cmp_year"

    # Region
    REGION = "region_adcode"
    REGION_REDLINE_PCT = "region_redline_pct"
    REGION_POP_PCT = "region_pop_pct"
    REGION_HISTORY = "region_history_scenario"

    # Horizontal
    H_YEAR = "h_year"
    H_AGREEMENTS = "h_agreements"
    H_MONITORING = "h_monitoring"  # data editor
    H_OBJECTIVE = "h_objective"

    # Sensitivity
    S_PARAMS = "s_params"
    S_SPREAD = "s_spread"
    S_MODE = "s_mode"
    S_SAMPLES = "s_samples"
    S_RUN = "s_run"
    S_RESULT = "_s_result"  # {"hash", "summary", "long", "points"}

    # Data
    D_UPLOAD = "d_upload"
    D_PASTE = "d_paste"
    D_USE = "d_use"
    D_RESET = "d_reset"

    # Province drill-down (two-tier scenarios)
    DD_SCENARIO = "dd_scenario"
    DD_YEAR = "dd_year"
    DD_PROVINCE = "dd_province"
    DD_MAP = "dd_map"  # the province map (a click selects the province)
    DD_METHOD = "dd_method"
    DD_RETENTION = "dd_retention_pct"
    DD_COUNTY = "dd_county"

    @staticmethod
    def param(path: str) -> str:
        return f"{Keys.PARAM_PREFIX}{path}"
