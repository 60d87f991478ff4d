"""What every page shares: cached loading, the current settings (kept across pages), the current allocation,
problem messages, provenance of results and downloads. No calculation: every figure comes from the core."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from compensation.allocation import Constraints, allocate, load_method
from compensation.data import MAP_TOPOJSON, MARITIME_GEOJSON, load_regions
from compensation.problems import InputError, Problem, Report
from compensation.scenario import Scenario, input_hash, load_scenario

from .format import yi_from_wan
from .i18n import lang, t
from .state import Keys

DEFAULT_METHOD = "redline_function_weighted"
BASELINE = "baseline_2023"
DEFAULT_YEAR = 2023
DEFAULT_POOL_YI = 1091.0
LAST_YEAR = "last_year_amount_10k_cny"
UNIT = "万元"


# --- cached loading -----------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def method(name: str):
    """A parsed method (YAML read once per process)."""
    return load_method(name)


@st.cache_resource(show_spinner=False)
def default_regions() -> pd.DataFrame:
    return load_regions()


@st.cache_resource(show_spinner=False)
def uploaded_regions(path: str, sha: str) -> pd.DataFrame:  # sha: the cache key changes with the content
    return load_regions(path)


@st.cache_resource(show_spinner=False)
def scenario(name: str):
    return load_scenario(name)


@st.cache_resource(show_spinner="…")
def scenario_run(name: str):
    """A shipped scenario computed by the core (compensation.run.compute), once per process."""
    from compensation.run import compute

    return compute(scenario(name))


@st.cache_resource(show_spinner=False)
def scenario_names() -> list[str]:
    from compensation.data import SCENARIOS_DIR

    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.yaml"))


@st.cache_resource(show_spinner=False)
def map_shapes() -> tuple[dict, dict]:
    return (json.loads(Path(MAP_TOPOJSON).read_text(encoding="utf-8")),
            json.loads(Path(MARITIME_GEOJSON).read_text(encoding="utf-8")))


@st.cache_data(show_spinner=False)
def spec_hash(spec_json: str) -> str:
    """The core's input hash of a scenario spec (the same hash names the run folder)."""
    return input_hash(Scenario("current", json.loads(spec_json), None, []), json.loads(spec_json)["years"])[0]


# --- settings kept across pages -------------------------------------------------------------------------

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


def regions_in_use() -> tuple[pd.DataFrame, str, str]:
    """(table, label for people, reference for a scenario spec): the upload if one is in use, else the default."""
    up = st.session_state.get(Keys.UPLOAD)
    if up:
        return uploaded_regions(up["path"], up["sha"]), up["name"], up["path"]
    return default_regions(), t("data.default_label"), "default"


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


@dataclass
class Outcome:
    """An allocation and what produced it; ``res`` is None when the input could not be used."""

    settings: Settings
    res: object | None
    report: Report | None
    hash: str
    regions: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.res is not None and self.res.ok


def with_last_year(regions: pd.DataFrame, s: Settings) -> tuple[pd.DataFrame, list[str]]:
    """Ratio bounds need last year's amounts; where the data has none, they are the 2023 baseline's results
    (as the scenario key ``initial_last_year: {scenario: baseline_2023, year: 2023}`` does in the core)."""
    if (s.floor_ratio is None and s.cap_ratio is None) or LAST_YEAR in regions:
        return regions, []
    base = scenario_run(BASELINE)
    final = base.results[DEFAULT_YEAR].allocation.table.set_index("adcode")["final"]
    if base.unit != "万元":  # the column is in 万元
        raise InputError("the baseline run is not in 万元", "基线结果的单位不是万元")
    out = regions.copy()
    out[LAST_YEAR] = out["adcode"].astype(str).map(final).astype(float)
    return out, [t("alloc.last_year_from_baseline")]


def run_allocation(s: Settings | None = None, regions: pd.DataFrame | None = None, extra_overrides: dict | None = None
                   ) -> Outcome:
    """The allocation for the settings ``s`` (default: the current ones) through ``compensation.allocate``."""
    s = s or settings()
    regions = regions_in_use()[0] if regions is None else regions
    h = spec_hash(s.spec_json())
    try:
        reg, notes = with_last_year(regions, s)
        res = allocate(reg, method=method(s.method), budget=s.pool_yi, budget_unit="亿元", unit=UNIT, year=s.year,
                       constraints=s.constraints(), objective=s.objective,
                       overrides={**s.overrides, **(extra_overrides or {})})
    except InputError as exc:
        return Outcome(s, None, exc.report, h, regions)
    return Outcome(s, res, None, h, reg, notes)


# --- messages and provenance ----------------------------------------------------------------------------

def problem_text(p: Problem) -> str:
    return p.text(lang())


def show_problems(problems, max_lines: int = 12) -> None:
    """Errors, warnings and notes in the language chosen; long lists go in a table."""
    problems = list(problems)
    if not problems:
        return
    order = {"error": 0, "warning": 1, "info": 2}
    problems.sort(key=lambda p: order.get(p.severity, 3))
    for p in problems[:max_lines]:
        text = problem_text(p)
        if p.severity == "error":
            st.error(text, icon=":material/error:")
        elif p.severity == "warning":
            st.warning(text, icon=":material/warning:")
        else:
            st.info(text, icon=":material/info:")
    if len(problems) > max_lines:
        st.caption(t("msg.more_problems", n=len(problems) - max_lines))
        st.dataframe(problems_table(problems), hide_index=True, width="stretch")


def problems_table(problems) -> pd.DataFrame:
    zh = lang() == "zh"
    rows = [{t("col.severity"): p.severity, t("col.row"): p.row, t("col.column"): p.column, t("col.region"): p.region,
             t("col.message"): (p.message_zh or p.message_en) if zh else p.message_en,
             t("col.expected"): p.expected, t("col.found"): p.found} for p in problems]
    return pd.DataFrame(rows)


def show_report(report: Report) -> None:
    st.error(t("msg.input_error"), icon=":material/error:")
    show_problems(report.problems)


STATUS_TEXT = {
    "optimal": "status.optimal",
    "time_limited": "status.time_limited",
    "infeasible": "status.infeasible",
}


def status_line(res) -> None:
    """Solver status in words."""
    key = STATUS_TEXT.get(res.status, "status.other")
    info = res.solver_info
    text = t(key, solver=info.get("name", ""), seconds=f"{info.get('runtime', 0.0):.3f}")
    if res.status == "optimal":
        st.success(text, icon=":material/check_circle:")
    elif res.status == "time_limited":
        st.warning(text, icon=":material/timer:")
    else:
        st.error(text, icon=":material/error:")


def param_label(m, path: str) -> str:
    p = m.parameters.get(path)
    if p is None:
        return path
    return p.label_zh if lang() == "zh" else p.label_en


def provenance(o: Outcome, where=None) -> None:
    """Which inputs produced the results on the page (method, year, pool, weights, constraints, data, hash)."""
    s = o.settings
    m = method(s.method)
    target = where or st
    weights = ", ".join(f"{param_label(m, k)} {v:g}" for k, v in s.params.items() if k.startswith("weights."))
    changed = ", ".join(f"{param_label(m, k)} {s.defaults[k]:g}→{v:g}" for k, v in s.overrides.items())
    c = s.constraints_dict()
    cons = []
    if s.floor_ratio is not None:
        cons.append(t("prov.floor", v=f"{s.floor_ratio:.0%}"))
    if s.cap_ratio is not None:
        cons.append(t("prov.cap", v=f"{s.cap_ratio:.0%}"))
    for k in ("floors", "caps", "locks"):
        if c.get(k):
            cons.append(f"{t('prov.' + k)} {len(c[k])}")
    if c.get("exclude"):
        cons.append(f"{t('prov.exclude')} {len(c['exclude'])}")
    for g in c.get("groups", []):
        share = "–".join(f"{g[x]:.0%}" if x in g else "" for x in ("min_share", "max_share"))
        cons.append(f"{t('group.' + g['name'])} {share}")
    text = t("prov.line", method=(m.label_zh if lang() == "zh" else m.label_en), year=s.year,
             pool=yi_from_wan(s.pool_yi * 10_000), objective=t("obj." + s.objective), weights=weights,
             constraints="; ".join(cons) or t("prov.none"), data=s.data_label, hash=o.hash)
    if changed:
        text += "  \n" + t("prov.changed", changed=changed)
    target.info(text, icon=":material/receipt_long:")


def caption_illustrative() -> None:
    st.caption(t("note.illustrative"))


# --- downloads ------------------------------------------------------------------------------------------

def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


@st.cache_data(show_spinner=False, max_entries=64)
def xlsx_bytes(df: pd.DataFrame, sheet: str = "table") -> bytes:
    from compensation.run import bilingual

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        bilingual(df).to_excel(xw, sheet_name=sheet[:31], index=False)
    return buf.getvalue()


def download_table(df: pd.DataFrame, name: str, key: str, xlsx: bool = True) -> None:
    """CSV and XLSX buttons for a table (plain English column names in CSV, bilingual headers in XLSX)."""
    row = st.container(horizontal=True)
    cols = [row, row]
    cols[0].download_button("CSV", csv_bytes(df), f"{name}.csv", "text/csv", key=f"dl_csv_{key}",
                            icon=":material/download:")
    if xlsx:
        cols[1].download_button("XLSX", xlsx_bytes(df, name), f"{name}.xlsx",
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                key=f"dl_xlsx_{key}", icon=":material/download:")


def download_chart_data(df: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(t("dl.chart_csv"), csv_bytes(df), f"{name}.csv", "text/csv", key=f"dl_chart_{key}",
                       icon=":material/download:")


def bundle_zip(spec: dict, regions: pd.DataFrame | None = None) -> tuple[bytes, str]:
    """The run bundle of a spec: compensation.run.compute + write_run (tables, workbook, manifest) as a zip."""
    from compensation.run import compute, write_run

    sc = Scenario(spec["scenario"]["name"], copy.deepcopy(spec), None, [])
    result = compute(sc, regions=regions)
    with tempfile.TemporaryDirectory(prefix="ecocomp-ui-") as tmp:
        folder, _ = write_run(result, Path(tmp), formats=("csv", "xlsx"))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    z.write(f, f"{folder.name}/{f.relative_to(folder)}")
    return buf.getvalue(), folder.name


def save_upload(data: bytes, name: str) -> dict:
    """Keep an upload on disk (so that its content is hashed with the run) and return its reference."""
    sha = hashlib.sha256(data).hexdigest()
    folder = Path(tempfile.gettempdir()) / "ecocomp-ui-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix.lower() or ".csv"
    path = folder / f"{sha[:16]}{suffix}"
    if not path.exists():
        path.write_bytes(data)
    return {"name": name, "path": str(path), "sha": sha}


def names(regions: pd.DataFrame) -> dict[str, str]:
    col = "name_zh" if lang() == "zh" or "name_en" not in regions else "name_en"
    return dict(zip(regions["adcode"].astype(str), regions[col].astype(str), strict=True))
