"""Loading, cached once per process: methods, region tables (the default or an upload kept on disk by its
hash), shipped scenarios and their runs, map shapes, the input hash of a spec. No calculation here."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from compensation.allocation import load_method
from compensation.data import MAP_TOPOJSON, MARITIME_GEOJSON, load_regions
from compensation.io import atomic_write_bytes
from compensation.scenario import Scenario, input_hash, load_scenario

from .i18n import lang, t
from .state import Keys


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


def regions_in_use() -> tuple[pd.DataFrame, str, str]:
    """(table, label for people, reference for a scenario spec): the upload if one is in use, else the default."""
    up = st.session_state.get(Keys.UPLOAD)
    if up:
        return uploaded_regions(up["path"], up["sha"]), up.get("label", up["name"]), up["path"]
    return default_regions(), t("data.default_label"), "default"


def upload_folder() -> Path:
    """The app's private folder for uploads, content-addressed by sha256 (``ECOCOMP_UI_DATA`` overrides it)."""
    root = os.environ.get("ECOCOMP_UI_DATA") or Path.home() / ".cache" / "ecocomp-ui"
    folder = Path(root) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_label(name: str, units: dict | None = None, source: str | None = None) -> str:
    """How the data in use are named on the pages and in the provenance: the file, and where the user chose the
    units of headers that stated none, the original file and those units."""
    if not units:
        return name
    said = ", ".join(f"{h} {u}" for h, u in units.items())
    return f"{name} ({source or name}; 表头单位 / header units: {said})"


def save_upload(data: bytes, name: str, units: dict | None = None, source: str | None = None) -> dict:
    """Keep an upload on disk under its hash (so that its content is hashed with the run, and a reload or a
    shared link finds it again by hash) and return its reference. ``units`` ({header: unit}) and ``source``
    (the user's file) are recorded when the kept file is the user's table with chosen units in its headers."""
    from compensation.uploads import UploadStore

    folder = upload_folder()
    sha, path = UploadStore(folder).put(data, name)  # mode 0700 folder; rewritten if changed on disk
    suffix = path.suffix
    meta = folder / f"{sha}.json"
    info = {"name": Path(name).name, "suffix": suffix, **({"units": units, "source": source} if units else {})}
    if not meta.exists():
        atomic_write_bytes(meta, json.dumps(info, ensure_ascii=False).encode("utf-8"))
    return {"name": Path(name).name, "path": str(path), "sha": sha,
            "label": upload_label(Path(name).name, units, source), **({"units": units} if units else {})}


def find_upload(prefix: str) -> dict | None:
    """An upload kept earlier, by the first 16 (or more) hex digits of its sha256; None if there is none or the
    file no longer has that hash."""
    if not re.fullmatch(r"[0-9a-f]{16,64}", prefix or ""):
        return None
    for meta in sorted(upload_folder().glob(f"{prefix}*.json")):
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            path = meta.with_suffix(info["suffix"])
            data = path.read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha == meta.stem:
            name = str(info.get("name", path.name))
            units = info.get("units") if isinstance(info.get("units"), dict) else None
            return {"name": name, "path": str(path), "sha": sha,
                    "label": upload_label(name, units, str(info.get("source", name))),
                    **({"units": units} if units else {})}
    return None


def names(regions: pd.DataFrame) -> dict[str, str]:
    """adcode → name in the language chosen; in English the Chinese name where the data have no English one
    (synthetic counties: an empty name_en would give empty, merged chart labels)."""
    zh = regions["name_zh"].astype(str)
    if lang() == "zh" or "name_en" not in regions:
        return dict(zip(regions["adcode"].astype(str), zh, strict=True))
    en = regions["name_en"].fillna("").astype(str).str.strip()
    return dict(zip(regions["adcode"].astype(str), en.where(en != "", zh), strict=True))
