"""Settings in the URL (``st.query_params``), so that a reload, the back button or a shared link restores them.

Every run writes the current settings (only what differs from the defaults) into the address; the first run of
a session reads them back. Keys: ``lang``; ``data`` (the first 16 hex digits of an upload's sha256, found again
in the app's private upload folder); ``m`` method, ``y`` year, ``pool`` (亿元), ``obj`` objective, ``unit``
(亿元/万元 view); ``p.<parameter path>`` changed method parameters; ``floor`` / ``cap`` ratios of last year;
``c`` per-region floors/caps/locks/exclusions and group shares as compact JSON. A value in the address is as
hostile as any input: anything that does not parse is ignored and said so on the page."""

from __future__ import annotations

import json
import math

import streamlit as st

from compensation.allocation import OBJECTIVES, list_methods

from .i18n import LANGS, t
from .loading import find_upload, regions_in_use
from .settings import (
    DEFAULT_METHOD,
    DEFAULT_POOL_YI,
    DEFAULT_YEAR,
    apply_values,
    bounds_from,
    groups_from,
    settings,
)
from .state import Keys

DONE = "_url_restored"
MAX_PARAM = 4000  # characters: a longer value is not ours


def _num(text: str, lo: float, hi: float) -> float | None:
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and lo <= v <= hi else None


def params_of(s, upload: dict | None, lang: str, unit_view: str | None = None) -> dict[str, str]:
    """The query parameters of settings ``s`` (strings; defaults left out so that links stay short)."""
    q: dict[str, str] = {}
    if lang != "zh":
        q["lang"] = lang
    if upload:
        q["data"] = upload["sha"][:16]
    if s.method != DEFAULT_METHOD:
        q["m"] = s.method
    if int(s.year) != DEFAULT_YEAR:
        q["y"] = str(int(s.year))
    if abs(s.pool_yi - DEFAULT_POOL_YI) > 1e-9:
        q["pool"] = f"{s.pool_yi:g}"
    if s.objective != "proportional":
        q["obj"] = s.objective
    if unit_view and unit_view != "亿元":
        q["unit"] = unit_view
    for k, v in sorted(s.overrides.items()):
        q[f"p.{k}"] = f"{v:g}"
    if s.floor_ratio is not None:
        q["floor"] = f"{s.floor_ratio:g}"
    if s.cap_ratio is not None:
        q["cap"] = f"{s.cap_ratio:g}"
    c = {k: v for k, v in s.constraints_dict().items()
         if k in ("floors", "caps", "locks", "exclude", "groups")}
    if c:
        q["c"] = json.dumps(c, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return q


def restore_once() -> list[str]:
    """On a session's first run, take the settings from the address; returns what could not be used."""
    if st.session_state.get(DONE):
        return []
    st.session_state[DONE] = True
    q = {k: st.query_params.get(k) for k in st.query_params.keys()}
    if not q:
        return []
    bad: list[str] = []
    if q.get("lang") in LANGS:
        st.session_state[Keys.LANG] = q["lang"]
    if q.get("data"):
        up = find_upload(str(q["data"]))
        if up:
            st.session_state[Keys.UPLOAD] = up
        else:
            bad.append("data")
    values: dict = {}
    methods = {m["name"] for m in list_methods()}
    if q.get("m"):
        if q["m"] in methods:
            values[Keys.METHOD] = q["m"]
        else:
            bad.append("m")
    for key, wkey, lo, hi in (("y", Keys.YEAR, 2008, 2035), ("pool", Keys.POOL, 0, 1e7)):
        if q.get(key) is not None:
            v = _num(q[key], lo, hi)
            if v is None:
                bad.append(key)
            else:
                values[wkey] = int(v) if key == "y" else float(v)
    if q.get("obj"):
        if q["obj"] in OBJECTIVES:
            values[Keys.OBJECTIVE] = q["obj"]
        else:
            bad.append("obj")
    if q.get("unit") in ("亿元", "万元"):
        values[Keys.UNIT_VIEW] = q["unit"]
    for key, v in q.items():
        if key.startswith("p.") and len(key) < 200:
            num = _num(v, -1e12, 1e12)
            if num is None:
                bad.append(key)
            else:
                values[Keys.param(key[2:])] = num
    for key, use, ratio in (("floor", Keys.USE_FLOOR, Keys.FLOOR_RATIO), ("cap", Keys.USE_CAP, Keys.CAP_RATIO)):
        if q.get(key) is not None:
            v = _num(q[key], 0, 3)
            if v is None:
                bad.append(key)
            else:
                values[use], values[ratio] = True, v
    bounds = groups = None
    if q.get("c"):
        try:
            c = json.loads(q["c"]) if len(q["c"]) <= MAX_PARAM else None
            if not isinstance(c, dict):
                raise ValueError
            regions = regions_in_use()[0]
            bounds, unknown = bounds_from(c, regions)
            groups, other = groups_from(c)
            bad += [f"c:{u}" for u in unknown + other]
        except (ValueError, TypeError, AttributeError):
            bad.append("c")
    apply_values(values, bounds, groups)
    return bad


def sync(unit_view: str | None = None) -> None:
    """Write the current settings into the address (only when they changed: no needless history entries)."""
    try:
        s = settings()
    except Exception:  # settings that cannot be read are not written; the page says why
        return
    lang = st.session_state.get(Keys.LANG, "zh")
    unit_view = unit_view or st.session_state.get(Keys.UNIT_VIEW)
    q = params_of(s, st.session_state.get(Keys.UPLOAD), lang, unit_view)
    current = {k: st.query_params.get(k) for k in st.query_params.keys()}
    if current != q:
        st.query_params.from_dict(q)


def show_unused(bad: list[str]) -> None:
    if bad:
        st.warning(t("url.unused", keys=", ".join(bad)), icon=":material/link_off:")

