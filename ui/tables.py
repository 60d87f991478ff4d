"""Tables on a page in the reader's language: every column gets a label (with its unit) and every coded value its
words, from one place. ``show_table(df)`` is ``st.dataframe`` with the labels filled in for the columns the page
did not configure itself, numbers with thousands separators (whole 万元, never 4 decimals), and the coded values
(binding, status, bucket, level, region group, kind) written out. The data passed in are not changed (downloads
keep their plain column names)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from compensation.schema import COLUMNS
from compensation.schema import label as schema_label

from .i18n import S, lang, t

# columns met on the pages beyond the schema's and the i18n ``col.*`` keys: (中文, English)
EXTRA: dict[str, tuple[str, str]] = {
    "name_zh": ("地区", "region"), "per_capita_yuan": ("人均补助 (元/人)", "per capita (yuan)"),
    "per_km2_yuan": ("每km²红线补助 (元/km²)", "per km² of red line (yuan)"),
    "parameter": ("参数", "parameter"), "unit": ("单位", "unit"), "effective": ("生效日期", "effective from"),
    "label_zh": ("中文名称", "label (Chinese)"), "label_en": ("英文名称", "label (English)"),
    "id": ("编号", "id"), "title_zh": ("名称", "title"), "rule_text": ("规则", "rule"), "period": ("期限", "period"),
    "parties": ("参与方", "parties"), "assumptions": ("假设", "assumptions"), "note": ("备注", "note"),
    "section": ("断面", "section"), "year": ("年份", "year"), "month": ("月份", "month"),
    "water_class": ("水质类别", "water class"), "codmn_mg_l": ("高锰酸盐指数 (mg/L)", "permanganate index (mg/L)"),
    "cod_mg_l": ("化学需氧量 (mg/L)", "COD (mg/L)"), "nh3n_mg_l": ("氨氮 (mg/L)", "ammonia nitrogen (mg/L)"),
    "tp_mg_l": ("总磷 (mg/L)", "total phosphorus (mg/L)"), "tn_mg_l": ("总氮 (mg/L)", "total nitrogen (mg/L)"),
    "ph": ("pH 值", "pH"), "bod5_mg_l": ("五日生化需氧量 (mg/L)", "BOD5 (mg/L)"),
    "inflow_100m_m3": ("来水量 (亿m³)", "inflow (100m m³)"),
    "payer": ("付款方代码", "payer code"), "payer_name": ("付款方", "payer"),
    "payee": ("收款方代码", "payee code"), "payee_name": ("收款方", "payee"),
    "from": ("付款方代码", "from (code)"), "from_name": ("付款方", "from"),
    "to": ("收款方代码", "to (code)"), "to_name": ("收款方", "to"), "kind": ("类型", "kind"),
    "agreement": ("协议", "agreement"), "basis": ("依据", "basis"),
    "claim": ("应得 (万元)", "claim (万元)"), "horizontal_in": ("横向补偿收入 (万元)", "horizontal in (万元)"),
    "horizontal_out": ("横向补偿支出 (万元)", "horizontal out (万元)"), "unpaid": ("未付 (万元)", "unpaid (万元)"),
    "central_topup": ("中央兜底 (万元)", "central top-up (万元)"), "net": ("净额 (万元)", "net (万元)"),
    "central_agreement": ("协议中央资金 (万元)", "central funds of agreements (万元)"),
    "central": ("中央转移支付 (万元)", "central transfer (万元)"),
    "column": ("字段", "column"), "required": ("必填", "required"), "allowed": ("允许取值", "allowed values"),
    "description": ("说明", "description"), "lower": ("下限 (万元)", "lower bound (万元)"),
    "upper": ("上限 (万元)", "upper bound (万元)"), "scenario": ("情景", "scenario"), "years": ("年份", "years"),
    "bucket": ("分组", "group"), "value": ("取值", "value"), "status": ("状态", "status"),
    "source": ("来源", "source"), "vintage": ("年份版本", "vintage"), "amount": ("金额 (万元)", "amount (万元)"),
    "allocated": ("已分配 (万元)", "allocated (万元)"), "budget": ("预算 (万元)", "budget (万元)"),
    "redline": ("红线因素 (万元)", "red-line component (万元)"),
}

STATUS_WORDS = {"assumption": ("假设", "assumption"), "scenario": ("情景设定", "scenario setting"),
                "published": ("已公布", "published"), "derived": ("推算", "derived")}
LEVEL_WORDS = {"province": ("省级", "province"), "prefecture": ("地级", "prefecture"), "county": ("县级", "county"),
               "township": ("乡级", "township")}
KIND_WORDS = {"horizontal": ("横向补偿", "horizontal"), "central_topup": ("中央兜底", "central top-up"),
              "central": ("中央资金", "central")}


def column_label(name: str) -> str:
    """The label of a column in the language chosen (unit in brackets where it has one)."""
    zh = lang() == "zh"
    key = f"col.{name}"
    if key in S:
        return t(key)
    if name in EXTRA:
        return EXTRA[name][0 if zh else 1]
    if name in COLUMNS:
        return schema_label(name, "zh" if zh else "en")
    return name


def value_words(column: str, series: pd.Series) -> pd.Series:
    """Coded values of ``column`` in words of the language chosen (other columns unchanged)."""
    zh = lang() == "zh"
    i = 0 if zh else 1
    if column == "binding":
        return series.map(lambda v: t(f"binding.{v}") if f"binding.{v}" in S else (t("chart.unbound") if v == ""
                                                                                  else v))
    if column == "status":
        return series.map(lambda v: t(f"status_v.{v}") if f"status_v.{v}" in S else
                          STATUS_WORDS.get(v, (v, v))[i])
    if column == "bucket":
        from compensation.compare import BUCKETS

        words = {en: (zh_, en) for en, zh_ in BUCKETS}
        return series.map(lambda v: words.get(v, (v, v))[i])
    if column == "region_group":
        return series.map(lambda v: t(f"group.{v}") if f"group.{v}" in S else v)
    if column == "level":
        return series.map(lambda v: LEVEL_WORDS.get(v, (v, v))[i])
    if column == "kind":
        return series.map(lambda v: KIND_WORDS.get(v, (v, v))[i])
    return series


WORD_COLUMNS = ("binding", "status", "bucket", "region_group", "level", "kind")


def show_table(df: pd.DataFrame, column_config: dict | None = None, **kwargs):
    """``st.dataframe`` with every column labelled and coded values written out (see the module doc)."""
    cfg = dict(column_config or {})
    view = df
    words = [c for c in df.columns if c in WORD_COLUMNS and not pd.api.types.is_numeric_dtype(df[c])]
    if words:
        view = df.copy()
        for c in words:
            view[c] = value_words(c, df[c].astype(str))
    for c in view.columns:
        if c in cfg:
            continue
        label = column_label(str(c))
        if pd.api.types.is_bool_dtype(view[c]):
            cfg[c] = st.column_config.CheckboxColumn(label)
        elif pd.api.types.is_integer_dtype(view[c]) and str(c) not in ("year", "month"):
            cfg[c] = st.column_config.NumberColumn(label, format="localized")
        elif pd.api.types.is_float_dtype(view[c]):
            cfg[c] = st.column_config.NumberColumn(label, format="percent" if "share" in str(c) else "localized")
        else:
            cfg[c] = st.column_config.Column(label)
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    return st.dataframe(view, column_config=cfg, **kwargs)
