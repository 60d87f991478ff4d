"""ecocomp front end: `streamlit run app_streamlit.py`. One file per page under ui/pages/; the calculation core
(compensation/) never imports streamlit. Chinese by default, English by the switch in the sidebar."""

from __future__ import annotations

import streamlit as st

from ui.i18n import LANGS, t
from ui.state import Keys
from ui.urlstate import restore_once, show_unused, sync

st.set_page_config(page_title="ecocomp 生态保护补偿", page_icon=":material/eco:", layout="wide")

PAGES = [
    ("ui/pages/overview.py", "page.overview", ":material/map:", "overview"),
    ("ui/pages/allocate.py", "page.allocate", ":material/balance:", "allocate"),
    ("ui/pages/compare.py", "page.compare", ":material/compare_arrows:", "compare"),
    ("ui/pages/region.py", "page.region", ":material/location_on:", "region"),
    ("ui/pages/drilldown.py", "page.drilldown", ":material/account_tree:", "drilldown"),
    ("ui/pages/horizontal.py", "page.horizontal", ":material/sync_alt:", "horizontal"),
    ("ui/pages/sensitivity.py", "page.sensitivity", ":material/casino:", "sensitivity"),
    ("ui/pages/data.py", "page.data", ":material/table_view:", "data"),
    ("ui/pages/backtest.py", "page.backtest", ":material/fact_check:", "backtest"),
]

unused = restore_once()  # settings from the address (reload, back, a shared link), once per session
with st.sidebar:
    if Keys.LANG not in st.session_state:
        st.session_state[Keys.LANG] = "zh"
    st.radio("语言 / Language", list(LANGS), format_func=LANGS.get, key=Keys.LANG, horizontal=True)

nav = st.navigation([st.Page(path, title=t(title), icon=icon, url_path=url, default=(url == "overview"))
                     for path, title, icon, url in PAGES])
with st.sidebar:
    st.caption(t("app.sidebar_note"))
show_unused(unused)
sync()  # the settings into the address
nav.run()
