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


def english(at: AppTest, title_key: str) -> AppTest:
    """The page switched to English: its title is the English string of ``title_key``, and no widget label,
    title, header or subheader contains a Chinese character (region names and units may still appear in
    captions and tables)."""
    import re

    from ui.i18n import S

    ok(at)
    assert [x.value for x in at.title] == [S[title_key][1]]
    cjk = re.compile(r"[\u4e00-\u9fff]")
    texts = [x.value for kind in ("title", "header", "subheader") for x in getattr(at, kind)]
    for kind in ("selectbox", "multiselect", "slider", "number_input", "button", "checkbox", "radio",
                 "text_input", "toggle", "select_slider"):
        texts += [w.label for w in getattr(at, kind)]
    chinese = [x for x in texts if cjk.search(str(x))]
    assert not chinese, chinese
    assert len(texts) >= 3  # a page with only a title would pass vacuously
    return at


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
