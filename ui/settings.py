"""The current allocation settings: widget values kept across pages (``widget``, ``editor``), the
``Settings`` they make, and that settings object as a scenario spec (the same format as scenarios/*.yaml)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from compensation.allocation import Constraints
from compensation.problems import InputError

from .i18n import t
from .loading import method, regions_in_use
from .state import Keys

DEFAULT_METHOD = "redline_function_weighted"
BASELINE = "baseline_2023"
DEFAULT_YEAR = 2023
DEFAULT_POOL_YI = 1091.0
UNIT = "万元"


def persist() -> dict:
    return st.session_state.setdefault(Keys.PERSIST, {})


def seed(key: str, default) -> None:
    """Give a widget its kept value (or the default) before it is drawn."""
    if key not in st.session_state:
        st.session_state[key] = persist().get(key, default)


def keep(key: str) -> None:
    """Remember a widget's value after it is drawn, for the other pages and the next visit."""
    if key in st.session_state:
        persist()[key] = st.session_state[key]


def get(key: str, default):
    if key in st.session_state:
        return st.session_state[key]
    return persist().get(key, default)


def widget(fn, key: str, default, *args, **kwargs):
    """Draw a widget whose value survives page changes: ``widget(st.slider, Keys.YEAR, 2023, "年份", ...)``."""
    seed(key, default)
    value = fn(*args, key=key, **kwargs)
    keep(key)
    return value


def editor(key: str, default: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """A data editor whose edits survive page changes (the edited table is kept under PERSIST[key])."""
    store = persist()
    base_key = f"{key}__base"
    if key not in st.session_state or base_key not in store:  # first draw on this visit: start from the kept edits
        kept = store.get(key)
        store[base_key] = kept.copy() if isinstance(kept, pd.DataFrame) and list(kept.columns) == list(
            default.columns) and len(kept) == len(default) else default
    edited = st.data_editor(store[base_key], key=key, **kwargs)
    store[key] = edited
    return edited


def scalar_parameters(m, year: int) -> dict[str, float]:
    """Every number-valued parameter of a method in force in ``year`` (the UI is generated from them)."""
    out = {}
    for path, p in m.parameters.items():
        try:
            value = p.at(year, m.name)[0]
        except InputError:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[path] = float(value)
    return out


@dataclass
class Settings:
    method: str
    year: int
    pool_yi: float
    objective: str
    params: dict
    defaults: dict
    floor_ratio: float | None
    cap_ratio: float | None
    bounds: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None
    data_label: str = ""
    data_ref: str = "default"

    @property
    def overrides(self) -> dict:
        return {k: v for k, v in self.params.items() if abs(v - self.defaults.get(k, v)) > 1e-12}

    def constraints_dict(self) -> dict:
        c: dict = {}
        if self.floor_ratio is not None:
            c["floor_ratio"] = float(self.floor_ratio)
        if self.cap_ratio is not None:
            c["cap_ratio"] = float(self.cap_ratio)
        b = self.bounds
        if b is not None and len(b):
            for col, name in (("floor", "floors"), ("cap", "caps"), ("lock", "locks")):
                vals = {str(a): float(v) for a, v in zip(b["adcode"], pd.to_numeric(b[col], errors="coerce"),
                                                          strict=True) if pd.notna(v)}
                if vals:
                    c[name] = vals
            excl = [str(a) for a, x in zip(b["adcode"], b["exclude"], strict=True) if bool(x)]
            if excl:
                c["exclude"] = excl
        g = self.groups
        if g is not None and len(g):
            groups = []
            for row in g.itertuples():
                lo, hi = pd.to_numeric(row.min_share, errors="coerce"), pd.to_numeric(row.max_share, errors="coerce")
                if pd.notna(lo) or pd.notna(hi):
                    grp = {"name": str(row.region_group), "members": {"region_group": str(row.region_group)}}
                    if pd.notna(lo):
                        grp["min_share"] = float(lo)
                    if pd.notna(hi):
                        grp["max_share"] = float(hi)
                    groups.append(grp)
            if groups:
                c["groups"] = groups
        if "floor_ratio" in c or "cap_ratio" in c:
            c["initial_last_year"] = {"scenario": BASELINE, "year": DEFAULT_YEAR}
        return c

    def spec(self) -> dict:
        """The settings as a scenario (the same format as scenarios/*.yaml), for hashing, comparing and the bundle."""
        spec = {
            "scenario": {"name": "current", "title": t("cmp.current_title"), "title_en": "current settings"},
            "data": self.data_ref,
            "method": self.method,
            "years": [int(self.year)],
            "budget": {"unit": "亿元", "amounts": {int(self.year): float(self.pool_yi)}},
            "unit": UNIT,
            "rounding": "largest_remainder",
            "objective": self.objective,
        }
        if self.overrides:
            spec["overrides"] = dict(sorted(self.overrides.items()))
        c = self.constraints_dict()
        if c:
            spec["constraints"] = c
        return spec

    def spec_json(self) -> str:
        return json.dumps(self.spec(), sort_keys=True, ensure_ascii=False, default=str)

    def constraints(self) -> Constraints:
        c = self.constraints_dict()
        return Constraints(floor_ratio=c.get("floor_ratio"), cap_ratio=c.get("cap_ratio"), floors=c.get("floors", {}),
                           caps=c.get("caps", {}), locks=c.get("locks", {}), exclude=c.get("exclude", []),
                           groups=c.get("groups", []))


def bounds_default(regions: pd.DataFrame) -> pd.DataFrame:
    n = len(regions)
    return pd.DataFrame({"adcode": regions["adcode"].astype(str).to_numpy(),
                         "name_zh": regions["name_zh"].astype(str).to_numpy(),
                         "floor": pd.array([None] * n, dtype="Float64"), "cap": pd.array([None] * n, dtype="Float64"),
                         "lock": pd.array([None] * n, dtype="Float64"), "exclude": [False] * n})


GROUP_NAMES = ("east", "central", "west", "northeast")


def groups_default() -> pd.DataFrame:
    return pd.DataFrame({"region_group": list(GROUP_NAMES),
                         "min_share": pd.array([None] * 4, dtype="Float64"),
                         "max_share": pd.array([None] * 4, dtype="Float64")})


def settings() -> Settings:
    """The current allocation settings, whether or not the Allocate page is open."""
    regions, label, ref = regions_in_use()
    name = get(Keys.METHOD, DEFAULT_METHOD)
    year = int(get(Keys.YEAR, DEFAULT_YEAR))
    m = method(name)
    defaults = scalar_parameters(m, year)
    params = {p: float(get(Keys.param(p), d)) for p, d in defaults.items()}
    floor = float(get(Keys.FLOOR_RATIO, 0.95)) if get(Keys.USE_FLOOR, False) else None
    cap = float(get(Keys.CAP_RATIO, 1.10)) if get(Keys.USE_CAP, False) else None
    bounds = persist().get(Keys.BOUNDS)
    if bounds is not None and list(bounds["adcode"].astype(str)) != list(regions["adcode"].astype(str)):
        bounds = None  # edits made for another region table
    return Settings(name, year, float(get(Keys.POOL, DEFAULT_POOL_YI)), get(Keys.OBJECTIVE, "proportional"), params,
                    defaults, floor, cap, bounds, persist().get(Keys.GROUPS), label, ref)


# --- settings from a spec (a loaded scenario file, a shared link) -------------------------------------------

def clear_widgets() -> None:
    """Forget the Allocate widgets' values (session and kept), so that the next draw seeds them afresh."""
    for k in list(st.session_state.keys()):
        if str(k).startswith("alloc_") and k not in (Keys.LANG, Keys.PERSIST, Keys.UPLOAD):
            del st.session_state[k]
    store = persist()
    for k in list(store):
        if str(k).startswith("alloc_"):
            del store[k]


def bounds_from(c: dict, regions: pd.DataFrame) -> tuple[pd.DataFrame | None, list[str]]:
    """The bounds editor's table for the per-region floors/caps/locks/exclusions of a constraints mapping
    (regions named by code or Chinese name); regions not in the data are returned as notes."""
    if not any(c.get(k) for k in ("floors", "caps", "locks", "exclude")):
        return None, []
    b = bounds_default(regions)
    by_name = dict(zip(regions["name_zh"].astype(str), regions["adcode"].astype(str), strict=False))
    index = {a: i for i, a in enumerate(b["adcode"])}
    unknown = []

    def row(ref) -> int | None:
        code = by_name.get(str(ref), str(ref))
        if code not in index:
            unknown.append(str(ref))
            return None
        return index[code]

    for key, col in (("floors", "floor"), ("caps", "cap"), ("locks", "lock")):
        for ref, v in (c.get(key) or {}).items():
            i = row(ref)
            if i is not None:
                b.loc[i, col] = float(v)
    for ref in c.get("exclude") or []:
        i = row(ref)
        if i is not None:
            b.loc[i, "exclude"] = True
    return b, unknown


def groups_from(c: dict) -> tuple[pd.DataFrame | None, list[str]]:
    """The groups editor's table for group shares by ``region_group``; other group kinds are returned."""
    groups = c.get("groups") or []
    if not groups:
        return None, []
    g = groups_default()
    other = []
    for grp in groups:
        members = grp.get("members") if isinstance(grp, dict) else None
        name = members.get("region_group") if isinstance(members, dict) and len(members) == 1 else None
        if name not in GROUP_NAMES:
            other.append(str(grp.get("name", grp)) if isinstance(grp, dict) else str(grp))
            continue
        i = GROUP_NAMES.index(name)
        for k in ("min_share", "max_share"):
            if grp.get(k) is not None:
                g.loc[i, k] = float(grp[k])
    return g, other


def apply_values(values: dict, bounds: pd.DataFrame | None, groups: pd.DataFrame | None) -> None:
    """Make ``values`` ({widget key: value}) and the editor tables the current settings on every page."""
    clear_widgets()
    store = persist()
    store.update(values)
    if bounds is not None:
        store[Keys.BOUNDS] = bounds
    if groups is not None:
        store[Keys.GROUPS] = groups
    st.session_state.pop(Keys.BUNDLE, None)
