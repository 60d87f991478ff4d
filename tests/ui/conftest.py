"""AppTest helpers: run one page file with the repository root importable (the `ui` package lives there)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

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


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


@pytest.fixture
def app():
    return page
