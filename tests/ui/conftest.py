"""AppTest helpers: run one page file with the repository root importable (the `ui` package lives there)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

TIMEOUT = 60


def page(name: str, state: dict | None = None) -> AppTest:
    """An AppTest of ``ui/pages/<name>.py`` (not yet run); ``state`` pre-sets session-state keys."""
    at = AppTest.from_file(str(ROOT / "ui" / "pages" / f"{name}.py"), default_timeout=TIMEOUT)
    for k, v in (state or {}).items():
        at.session_state[k] = v
    return at


def ok(at: AppTest) -> AppTest:
    """The page ran without an exception and without an error message."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first dataframe on the page having all ``columns``."""
    for df in at.dataframe:
        value = df.value
        if all(c in value.columns for c in columns):
            return value
    raise AssertionError(f"no dataframe with columns {columns}")


def metric(at: AppTest, label_start: str) -> str:
    for m in at.metric:
        if m.label.startswith(label_start):
            return m.value
    raise AssertionError(f"no metric '{label_start}': {[m.label for m in at.metric]}")


def info_text(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_upload_folder(tmp_path, monkeypatch):
    """Uploads kept by the app go to a temporary folder, never the user's ~/.cache."""
    monkeypatch.setenv("ECOCOMP_UI_DATA", str(tmp_path / "ui-data"))


def app(query: dict | None = None) -> AppTest:
    """An AppTest of the whole app (navigation, language switch, settings from the address)."""
    at = AppTest.from_file(str(ROOT / "app_streamlit.py"), default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at
