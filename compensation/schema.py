"""The region data schema: one declaration from which validation and the data documentation are generated.

Every region table (province, prefecture or county level) has one row per region and the columns below.
Units are stated here once; the rest of ecocomp reads them from this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Status of a value, from best to worst. "derived" is arithmetic on verified figures, "secondary" a
# third-party compilation; "synthetic" marks generated data.
STATUSES = ("verified", "derived", "secondary", "recalled", "estimate", "illustrative", "synthetic")
LEVELS = ("province", "prefecture", "county", "township")

# County eco-environment quality assessment classes (县域生态环境质量考核), best to worst.
QUALITY_CLASSES = ("明显变好", "一般变好", "轻微变好", "基本稳定", "轻微变差", "一般变差", "明显变差")

# Red-line ecological function types: importance types (required) and sensitivity types (optional).
FUNCTION_TYPES = {
    "water_conservation": ("水源涵养", "water conservation"),
    "biodiversity": ("生物多样性维护", "biodiversity maintenance"),
    "soil_conservation": ("水土保持", "soil and water conservation"),
    "sand_fixation": ("防风固沙", "windbreak and sand fixation"),
    "coastal": ("海岸生态稳定", "coastal ecological stability"),
}
SENSITIVITY_TYPES = {
    "soil_erosion": ("水土流失", "soil erosion"),
    "desertification": ("土地沙化", "land desertification"),
    "rocky_desertification": ("石漠化", "rocky desertification"),
    "coastal_erosion": ("海岸侵蚀", "coastal erosion"),
}


def function_column(key: str) -> str:
    """Column holding the red-line area of one function type, e.g. ``redline_water_conservation_km2``."""
    return f"redline_{key}_km2"


FUNCTION_COLUMNS = [function_column(k) for k in FUNCTION_TYPES]
SENSITIVITY_COLUMNS = [function_column(k) for k in SENSITIVITY_TYPES]


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "code" | "text" | "number" | "integer" | "category" | "flag"
    unit: str
    label_zh: str
    label_en: str
    required: bool = False
    allowed: tuple[str, ...] = field(default=())
    description: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "integer", "flag")


def _area(name, zh, en, required=False, description=""):
    return Column(name, "number", "km²", zh, en, required, description=description)


_COLUMNS: list[Column] = [
    Column("adcode", "code", "", "行政区划代码", "administrative code", True,
           description="GB/T 2260 six-digit code, kept as text (nine digits for synthetic sub-county units)"),
    Column("name_zh", "text", "", "名称", "name (Chinese)", True),
    Column("name_en", "text", "", "英文名称", "name (English)"),
    Column("parent_adcode", "code", "", "上级代码", "parent code",
           description="the province (or prefecture) a county belongs to; required for counties"),
    Column("level", "category", "", "级别", "level", True, LEVELS),
    Column("region_group", "category", "", "区域", "region group", False, ("east", "central", "west", "northeast"),
           description="east / central / west / northeast (东部、中部、西部、东北)"),
    _area("land_area_km2", "陆域面积", "land area", True),
    _area("sea_area_km2", "管辖海域面积", "sea area", description="jurisdictional sea area, where known"),
    _area("redline_total_km2", "生态保护红线面积", "red-line area (total)", True,
          description="total after removing land–sea overlap"),
    _area("redline_land_km2", "陆域红线面积", "red-line area (land)"),
    _area("redline_sea_km2", "海洋红线面积", "red-line area (sea)"),
    *[_area(function_column(k), f"红线·{zh}", f"red line: {en}") for k, (zh, en) in FUNCTION_TYPES.items()],
    *[_area(function_column(k), f"红线·{zh}(敏感)", f"red line: {en} (sensitivity)")
      for k, (zh, en) in SENSITIVITY_TYPES.items()],
    Column("population_10k", "number", "万人", "常住人口", "resident population", True),
    Column("gdp_100m_cny", "number", "亿元", "地区生产总值", "GDP"),
    Column("budget_revenue_100m_cny", "number", "亿元", "一般公共预算收入", "general budget revenue"),
    Column("budget_expenditure_100m_cny", "number", "亿元", "一般公共预算支出", "general budget expenditure"),
    Column("std_revenue_100m_cny", "number", "亿元", "标准财政收入", "standard fiscal revenue"),
    Column("std_expenditure_100m_cny", "number", "亿元", "标准财政支出", "standard fiscal expenditure"),
    Column("eco_std_expenditure_100m_cny", "number", "亿元", "生态环保标准支出", "ecological standard expenditure"),
    Column("national_reserves_n", "integer", "个", "国家级自然保护区数量", "national nature reserves (count)"),
    _area("national_reserves_km2", "国家级自然保护区面积", "national nature reserves (area)"),
    Column("forest_parks_n", "integer", "个", "国家森林公园数量", "national forest parks (count)"),
    _area("forest_parks_km2", "国家森林公园面积", "national forest parks (area)"),
    Column("forest_rangers_n", "integer", "人", "生态护林员人数", "forest rangers"),
    Column("kefz_county", "flag", "0/1", "重点生态功能区县", "key ecological function zone county (1 = yes)"),
    Column("eco_quality_class", "category", "", "生态环境质量考核等级", "eco-quality assessment class",
           False, QUALITY_CLASSES),
    Column("eco_quality_score", "number", "分", "生态环境质量考核得分", "eco-quality assessment score"),
    Column("last_year_amount_10k_cny", "number", "万元", "上年补助额", "last year's allocation"),
    Column("major_incident", "flag", "0/1", "重大环境污染或生态破坏事件", "major pollution or ecological incident (1 = yes)"),
    # indicators read by particular methods (models/methods/*.yaml); each method declares a fallback
    Column("water_quality_redline_score", "number", "分", "水质、饮用水源与红线保护得分",
           "water quality, drinking-water sources and red-line protection score", description="jiangxi_basin"),
    Column("water_governance_score", "number", "分", "水环境治理任务得分", "water-environment governance score",
           description="jiangxi_basin"),
    Column("forest_quality_score", "number", "分", "森林生态质量得分", "forest ecological quality score",
           description="jiangxi_basin"),
    Column("water_resource_score", "number", "分", "水资源管理得分", "water-resource management score",
           description="jiangxi_basin"),
    _area("drinking_water_area_km2", "饮用水水源保护区面积", "drinking-water source protection area",
          description="hainan_non_kefz"),
    _area("public_forest_km2", "公益林面积", "public-welfare forest area", description="hainan_non_kefz"),
    _area("wetland_km2", "湿地面积", "wetland area", description="hainan_non_kefz"),
    _area("national_park_km2", "国家公园面积", "national park area", description="national_parks"),
    Column("national_park_importance", "number", "分", "国家公园重要性", "national park importance score",
           description="national_parks"),
    Column("national_park_population_10k", "number", "万人", "国家公园内人口", "population inside national parks",
           description="national_parks"),
    _area("dense_forest_km2", "茂密森林面积", "dense forest area", description="india_fc15"),
    Column("demographic_performance", "number", "", "人口绩效指标", "demographic performance indicator",
           description="india_fc15"),
    _area("watershed_protection_km2", "水源保护区面积", "watershed protection area",
          description="parana_icms_ecologico"),
    _area("natura_km2", "Natura 2000 与保护区面积", "Natura 2000 and protected area", description="portugal_fgm"),
    Column("data_status", "category", "", "数据状态", "data status", False, STATUSES,
           description="status of the row as a whole (e.g. synthetic); per-value status lives in the sources file"),
]

COLUMNS: dict[str, Column] = {c.name: c for c in _COLUMNS}
REQUIRED = [c.name for c in _COLUMNS if c.required]
NUMERIC = [c.name for c in _COLUMNS if c.numeric]


def label(name: str, lang: str = "zh") -> str:
    """Display label of a column with its unit, e.g. ``生态保护红线面积 (km²)``."""
    col = COLUMNS.get(name)
    if col is None:
        return name
    text = col.label_zh if lang == "zh" else col.label_en
    return f"{text} ({col.unit})" if col.unit else text


def schema_markdown() -> str:
    """The data documentation generated from the declaration (docs/data_schema.md)."""
    lines = [
        "# Region data schema (地区数据字段)",
        "",
        "Generated from `compensation/schema.py` by `ecocomp data schema`; do not edit by hand.",
        "",
        "| column | required | type | unit | 中文 | English | allowed values / notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in _COLUMNS:
        notes = ", ".join(c.allowed) if c.allowed else c.description
        if c.allowed and c.description:
            notes = f"{notes} — {c.description}"
        lines.append(
            f"| `{c.name}` | {'yes' if c.required else ''} | {c.kind} | {c.unit} | {c.label_zh} | {c.label_en} | {notes} |"
        )
    lines += [
        "",
        "Function-type columns (`redline_<type>_km2`) should add up to `redline_total_km2` within the tolerance",
        "given to validation (default 1%). Sensitivity types are optional extra detail and are not added in.",
        "",
    ]
    return "\n".join(lines)
