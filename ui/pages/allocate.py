"""Allocate: method, year, pool, function weights (re-normalised visibly), floors and caps, objective, locks and
groups. Results are recomputed by the core on every change; the inputs that produced them are shown above them."""

from __future__ import annotations

import hashlib
import math

import pandas as pd
import streamlit as st

from compensation.allocation import OBJECTIVES, list_methods
from compensation.allocation.methods import component_labels
from compensation.problems import InputError
from compensation.schema import FUNCTION_TYPES
from ui import charts
from ui.downloads import bundle_zip, download_chart_data, download_notice, download_table
from ui.format import yi_from_wan
from ui.i18n import lang, t
from ui.loading import method, names, regions_in_use
from ui.results import (
    caption_illustrative,
    param_label,
    provenance,
    provenance_items,
    run_allocation,
    show_problems,
    show_report,
    status_line,
)
from ui.scenario_file import read_settings_yaml, settings_yaml
from ui.settings import (
    GROUP_NAMES,
    apply_values,
    bounds_default,
    editor,
    groups_default,
    persist,
    scalar_parameters,
    settings,
    widget,
)
from ui.state import Keys
from ui.tables import show_table
from ui.urlstate import sync as sync_url

st.title(t("alloc.title"))
regions, data_label, _ = regions_in_use()


@st.cache_resource(show_spinner=False)
def _methods() -> list[dict]:
    return list_methods()


def _reset() -> None:
    keep_keys = {Keys.LANG, Keys.PERSIST, Keys.UPLOAD}
    for k in list(st.session_state.keys()):
        if str(k).startswith("alloc_") and k not in keep_keys:
            del st.session_state[k]
    store = persist()
    for k in list(store):
        if str(k).startswith("alloc_"):
            del store[k]


def _set_floor_ratio(value: float) -> None:
    st.session_state[Keys.FLOOR_RATIO] = value
    persist()[Keys.FLOOR_RATIO] = value


def _smallest_fix(res) -> None:
    """Infeasible: the largest floor ratio that works (the core's figure), with a button that applies it on the
    slider's 0.01 grid (rounded down, so still feasible: a lower ratio only lowers floors)."""
    if "largest_floor_ratio" not in res.solver_info:
        return
    r = res.solver_info["largest_floor_ratio"]
    cur = float(st.session_state.get(Keys.FLOOR_RATIO, 0.0))
    with st.container(border=True):
        st.markdown(f"**{t('alloc.fix')}**")
        if r is None:
            st.caption(t("alloc.fix_floor_none"))
            return
        st.write(t("alloc.fix_floor", v=f"{r:.2%}", cur=f"{cur:.0%}"))
        grid = math.floor(r * 100 + 1e-9) / 100
        st.button(t("alloc.fix_floor_apply", v=f"{grid:.0%}"), key="alloc_fix_floor", on_click=_set_floor_ratio,
                  args=(grid,), icon=":material/auto_fix_high:")


methods = {m["name"]: m for m in _methods()}
top = st.columns([3, 1, 2, 2])
name = widget(top[0].selectbox, Keys.METHOD, "redline_function_weighted", t("alloc.method"), list(methods),
              format_func=lambda n: methods[n]["label_zh" if lang() == "zh" else "label_en"])
year = widget(top[1].number_input, Keys.YEAR, 2023, t("alloc.year"), min_value=2008, max_value=2035, step=1)
pool = widget(top[2].number_input, Keys.POOL, 1091.0, t("alloc.pool"), min_value=0.0, step=10.0, format="%.2f",
              help=t("alloc.pool_help"))
objective = widget(top[3].selectbox, Keys.OBJECTIVE, "proportional", t("alloc.objective"), list(OBJECTIVES),
                   format_func=lambda o: t("obj." + o), help=t("alloc.objective_help"))
m = method(name)
defaults = scalar_parameters(m, int(year))
summary_box = st.container()

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader(t("alloc.weights"))
    st.caption(t("alloc.weights_help"))
    fkeys = [p for p in defaults if p.startswith("weights.") and p.split(".", 1)[1] in FUNCTION_TYPES]
    for path in fkeys:
        widget(st.slider, Keys.param(path), defaults[path], f"{param_label(m, path)} ({m.parameters[path].unit})",
               min_value=0.0, max_value=5.0, step=0.1, help=t("alloc.default_is", v=f"{defaults[path]:g}"))
    values = {p: float(st.session_state[Keys.param(p)]) for p in fkeys}
    total = sum(values.values())
    if total > 0:
        shares = pd.DataFrame({"parameter": fkeys, "label": [param_label(m, p) for p in fkeys],
                               "weight": [values[p] for p in fkeys],
                               "share": [values[p] / total for p in fkeys]})
        st.altair_chart(charts.weight_shares(shares), width="stretch")
        st.caption(t("alloc.renormalised", shares=", ".join(f"{r.label} {r.share:.0%}" for r in shares.itertuples())))
    other = [p for p in defaults if p not in fkeys]
    with st.expander(t("alloc.other_params")):
        for path in other:
            widget(st.number_input, Keys.param(path), defaults[path],
                   f"{param_label(m, path)} ({m.parameters[path].unit})", step=0.1,
                   help=t("alloc.default_is", v=f"{defaults[path]:g}"))
    st.button(t("alloc.reset"), key=Keys.RESET, on_click=_reset)

    st.subheader(t("alloc.constraints"))
    c1, c2 = st.columns(2)
    with c1:
        use_floor = widget(st.checkbox, Keys.USE_FLOOR, False, t("alloc.use_floor"))
        widget(st.slider, Keys.FLOOR_RATIO, 0.95, t("alloc.floor_ratio"), min_value=0.0, max_value=1.5, step=0.01,
               disabled=not use_floor)
    with c2:
        use_cap = widget(st.checkbox, Keys.USE_CAP, False, t("alloc.use_cap"))
        widget(st.slider, Keys.CAP_RATIO, 1.10, t("alloc.cap_ratio"), min_value=0.5, max_value=3.0, step=0.01,
               disabled=not use_cap)
    st.caption(t("alloc.ratio_help"))
    # editors are drawn only when opened: two 31-row grids cost the browser ~0.3 s on every edit otherwise
    if st.toggle(t("alloc.bounds"), key="alloc_show_bounds"):
        st.caption(t("alloc.bounds_help"))
        editor(Keys.BOUNDS, bounds_default(regions), hide_index=True, num_rows="fixed", disabled=["adcode", "name_zh"],
               column_config={
                   "adcode": st.column_config.TextColumn(t("col.adcode")),
                   "name_zh": st.column_config.TextColumn(t("col.name")),
                   "floor": st.column_config.NumberColumn(t("col.floor"), min_value=0.0, format="localized"),
                   "cap": st.column_config.NumberColumn(t("col.cap"), min_value=0.0, format="localized"),
                   "lock": st.column_config.NumberColumn(t("col.lock"), min_value=0.0, format="localized"),
                   "exclude": st.column_config.CheckboxColumn(t("col.exclude"))})
    if st.toggle(t("alloc.groups"), key="alloc_show_groups"):
        st.caption(t("alloc.groups_help"))
        editor(Keys.GROUPS, groups_default(), hide_index=True, num_rows="fixed", disabled=["region_group"],
               column_config={
                   "region_group": st.column_config.SelectboxColumn(t("col.group"), options=list(GROUP_NAMES),
                                                                    format_func=lambda g: t(f"group.{g}")),
                   "min_share": st.column_config.NumberColumn(t("col.min_share"), min_value=0.0, max_value=1.0,
                                                              format="percent"),
                   "max_share": st.column_config.NumberColumn(t("col.max_share"), min_value=0.0, max_value=1.0,
                                                              format="percent")})

    st.subheader(t("sc.section"))
    st.caption(t("sc.help"))
    s_now = settings()
    sc_yaml = settings_yaml(s_now, st.session_state.get(Keys.UPLOAD))
    st.download_button(t("sc.save"), sc_yaml.encode("utf-8"), "my_settings.yaml", "application/x-yaml",
                       key="alloc_sc_save", icon=":material/save:", on_click="ignore")
    sc_file = st.file_uploader(t("sc.load"), type=["yaml", "yml"], key=Keys.SC_LOAD)
    if sc_file is not None:
        sc_data = sc_file.getvalue()
        sc_sha = hashlib.sha256(sc_data).hexdigest()
        if st.session_state.get(Keys.SC_LOADED) != sc_sha:
            try:
                vals, b_tab, g_tab, sc_notes = read_settings_yaml(sc_data, sc_file.name, regions, data_label)
            except InputError as exc:
                show_report(exc.report)
            else:
                apply_values(vals, b_tab, g_tab)
                st.session_state[Keys.SC_LOADED] = sc_sha
                st.session_state[Keys.SC_NOTES] = [t("sc.loaded", name=sc_file.name)] + \
                    [t(k, **kw) for k, kw in sc_notes]
                st.rerun()
    for note in st.session_state.get(Keys.SC_NOTES, []):
        st.info(note, icon=":material/upload_file:")
    with st.expander(t("sc.view")):
        st.code(sc_yaml, language="yaml")
    sync_url()

@st.fragment
def _outputs(res, s, o) -> None:
    """The notice (with its 亿元/万元 switch), the parameter table and the run bundle: a fragment, so that these
    controls rerun only this part — the results above depend on none of them."""
    nrow = st.container(horizontal=True, vertical_alignment="bottom")
    with nrow:
        unit_view = widget(st.segmented_control, Keys.UNIT_VIEW, "亿元", t("alloc.unit_view"), ["亿元", "万元"],
                           required=True)
        up = st.session_state.get(Keys.UPLOAD)
        download_notice(res, s.spec(), o.hash, "alloc", unit_view or "亿元",
                        {"数据 / data": s.data_label, **({"数据哈希 / data sha256": up["sha"]} if up else {})})
    if st.toggle(t("alloc.parameters"), key="alloc_show_params"):
        params = res.parameters_table().astype({"value": str})
        show_table(params, hide_index=True, width="stretch")
        download_table(params, f"parameters_{s.year}_{o.hash}", "alloc_params")
    st.subheader(t("alloc.bundle"))
    st.caption(t("alloc.bundle_help"))
    bundle = st.session_state.get(Keys.BUNDLE)
    if st.button(t("alloc.bundle_make"), key="alloc_bundle_make"):
        try:
            data, folder = bundle_zip(s.spec(), None if s.data_ref == "default" else regions)
            st.session_state[Keys.BUNDLE] = bundle = {"hash": o.hash, "zip": data, "name": folder}
        except Exception as exc:  # an InputError from the core, or a write failure: say it on the page
            if isinstance(exc, InputError):
                show_report(exc.report)
            else:
                st.error(t("msg.bundle_failed", err=str(exc)))
    if bundle and bundle["hash"] == o.hash:
        st.download_button(t("alloc.bundle_download", name=bundle["name"]), bundle["zip"], f"{bundle['name']}.zip",
                           "application/zip", key="alloc_bundle_dl")
    elif bundle:
        st.caption(t("alloc.bundle_stale"))
    sync_url()  # the unit switch is in the address too


with right:
    s = settings()
    o = run_allocation(s, regions)
    provenance(o)
    for note in o.notes:
        st.caption(note)
    if o.res is None:
        show_report(o.report)
        st.stop()
    res = o.res
    status_line(res)
    show_problems(res.diagnostics)
    if not res.ok:
        _smallest_fix(res)
        st.subheader(t("alloc.bounds_table"))
        show_table(res.table[["adcode", "name_zh", "target", "lower", "upper"]], hide_index=True, width="stretch")
        st.stop()
    label = names(res.table)
    c = summary_box.columns(3)
    c[0].metric(t("alloc.total"), yi_from_wan(int(res.table["final"].sum())), border=True)
    c[1].metric(t("alloc.bound_regions"), f"{int((res.table['binding'] != '').sum()):,} / {len(res.table):,}",
                border=True)
    top_row = res.table.loc[res.table["final"].idxmax()]
    c[2].metric(t("alloc.largest", name=label[str(top_row["adcode"])]), yi_from_wan(int(top_row["final"])),
                border=True)
    view = pd.DataFrame({"adcode": res.table["adcode"], "label": res.table["adcode"].astype(str).map(label),
                         "value": res.table["final"],
                         "binding": res.table["binding"].replace("", t("chart.unbound"))})
    show_all = len(view) <= charts.ALL_UP_TO or st.toggle(t("chart.show_all", n=len(view)), key="alloc_show_all_bars")
    st.altair_chart(charts.ranked_bars(charts.top(view, show_all), t("col.final"), color="binding"), width="stretch")
    download_chart_data(view, f"allocation_chart_{o.hash}", "alloc_chart")
    caption_illustrative()
    cols = ["adcode", "name_zh", "name_en", *[c["name"] for c in m.components], "target", "adj_constraints",
            "adj_rounding", "final", "share", "binding"]
    table = res.table[[c for c in cols if c in res.table]]
    comp_names = component_labels(m)
    show_table(table, hide_index=True, width="stretch", column_config={
        "adcode": st.column_config.TextColumn(t("col.adcode")),
        "name_zh": st.column_config.TextColumn(t("col.name")),
        "name_en": st.column_config.TextColumn(t("col.name_en")),
        **{c: st.column_config.NumberColumn(f"{v[0] if lang() == 'zh' else v[1]} (万元)", format="localized")
           for c, v in comp_names.items()},
        "final": st.column_config.NumberColumn(t("col.final"), format="localized"),
        "target": st.column_config.NumberColumn(t("col.target"), format="localized"),
        "adj_constraints": st.column_config.NumberColumn(t("col.adj_constraints"), format="localized"),
        "adj_rounding": st.column_config.NumberColumn(t("col.adj_rounding"), format="%.4f"),
        "share": st.column_config.NumberColumn(t("col.share"), format="percent"),
        "binding": st.column_config.TextColumn(t("col.binding"))})
    download_table(table, f"allocation_{s.year}_{o.hash}", "alloc_table", provenance=provenance_items(o))
    _outputs(res, s, o)
