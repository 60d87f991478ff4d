"""Chinese everywhere: on every page (AppTest, Chinese mode) each table column has a Chinese label and no cell
shows a coded English value; every interface text key used exists in ui/i18n.py (test_i18n.py). The visible text
of each page is checked for raw field names in the real browser (test_browser.py)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from conftest import page

CJK = re.compile(r"[\u4e00-\u9fff]")
# coded values that must be written out in Chinese mode
RAW_VALUES = {"floor", "cap", "locked", "excluded", "verified", "recalled", "estimate", "illustrative", "synthetic",
              "assumption", "east", "central", "west", "northeast", "province", "prefecture", "county",
              "lose >5%", "lose ≤5%", "unchanged", "gain ≤5%", "gain >5%", "horizontal", "central_topup"}
# the pages owned here; sensitivity's tables are built by its own page (ui/pages/sensitivity.py)
PAGES = ["overview", "allocate", "compare", "region", "horizontal", "data"]


def _labels(df_element) -> tuple[dict[str, str], dict[str, dict]]:
    """(column → label, column → {value: shown label}) from the element's column configuration (a selectbox
    column shows its options' labels, not the stored codes)."""
    cfg = json.loads(df_element.proto.columns) if df_element.proto.columns else {}
    labels, shown = {}, {}
    for key, c in cfg.items():
        name = key[4:] if key.startswith("col:") else key
        if isinstance(c, dict) and c.get("label"):
            labels[name] = c["label"]
        opts = (c.get("type_config") or {}).get("options") if isinstance(c, dict) else None
        if opts and all(isinstance(o, dict) for o in opts):
            shown[name] = {str(o.get("value")): str(o.get("label")) for o in opts}
    return labels, shown


@pytest.mark.parametrize("name", PAGES)
def test_every_table_column_has_a_chinese_label_and_no_coded_value(name):
    # tables drawn on demand are opened, so that they are checked too
    at = page(name, {k: True for k in ("alloc_show_bounds", "alloc_show_groups", "alloc_show_params",
                                       "ov_show_table")}).run()
    assert not at.exception
    bad_cols, bad_vals = [], []
    for el in at.dataframe:
        df = el.value
        labels, shown = _labels(el)
        for c in df.columns:
            label = labels.get(str(c), str(c))
            if not CJK.search(label):
                bad_cols.append(f"{c} → {label!r}")
            if not pd.api.types.is_numeric_dtype(df[c]):
                values = df[c].dropna().astype(str)
                if str(c) in shown:
                    values = values.map(lambda v, m=shown[str(c)]: m.get(v, v))
                raw = set(values) & RAW_VALUES
                if raw:
                    bad_vals.append(f"{c}: {sorted(raw)}")
    assert not bad_cols, f"{name}: columns without a Chinese label: {bad_cols}"
    assert not bad_vals, f"{name}: coded values not written out: {bad_vals}"
