"""ecocomp front end (Streamlit). Until the full front end lands: the validated default region table."""

from __future__ import annotations

import streamlit as st

from compensation.data import load_regions, summary
from compensation.schema import label

st.set_page_config(page_title="ecocomp 生态保护补偿", layout="wide")


@st.cache_data
def _regions():
    table = load_regions()
    return table, summary(table)


table, s = _regions()
st.title("生态保护补偿转移支付计算器 · ecocomp")
cols = st.columns(3)
cols[0].metric("地区数", f"{s['regions']:,}")
cols[1].metric("生态保护红线面积 (km²)", f"{s['redline_total_km2']:,.0f}")
cols[2].metric("红线占陆域比例", f"{s['redline_share_of_land']:.1%}")
st.dataframe(table.rename(columns=lambda c: label(c, "zh")), hide_index=True)
st.caption("按功能类型的红线面积为示意性估算 (illustrative). 数据来源见 data/README.md。")
