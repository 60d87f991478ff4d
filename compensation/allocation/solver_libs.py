"""The solver libraries, HiGHS (``highspy``) and PuLP, loaded when a solver is first needed rather than when
``compensation.allocation`` is imported.

Most runs never make a solver: the proportional objective is solved in closed form (``constrained.py``), and
the feasibility LP runs only when the bounds do not settle the question. Importing both libraries costs
≈ 25 ms of every command (``benchmarks/bench_run.py``), so modules that use them write
``from .solver_libs import highspy, pulp`` and get a stand-in that imports the real module on its first
attribute access (``pulp.LpProblem``) and hands every access on to it afterwards. Patching the real module
(``monkeypatch.setattr(highspy, ...)``) is seen through the stand-in, which keeps no copy of its attributes.

**The banner.** highspy prints a banner on stdout the first time a ``Highs`` object is made in a process,
even with output switched off, and PuLP's HiGHS interface makes one for every solve. When either library is
first loaded here, one ``Highs`` object is made with the process's stdout (file descriptor 1) pointed at
``/dev/null``, so the banner goes nowhere and command output stays clean (CSV on stdout stays CSV). This was
done by the command line at start-up for every command that might solve; done here it costs nothing to the
commands that do not."""

from __future__ import annotations

import importlib
import os
import sys
import threading
import types

_lock = threading.RLock()
_banner_swallowed = False


def swallow_highs_banner() -> None:
    """Make the process's first ``highspy.Highs()`` with stdout pointed at /dev/null (once per process)."""
    global _banner_swallowed
    with _lock:
        if _banner_swallowed:
            return
        try:
            import highspy
        except ImportError:  # pragma: no cover - highspy is a dependency
            return
        try:
            sys.stdout.flush()
        except (OSError, ValueError, AttributeError):  # no stdout, or a closed one
            pass
        try:
            saved = os.dup(1)
        except OSError:  # file descriptor 1 is not open: the banner has nowhere to go
            highspy.Highs()
        else:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
                highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(null)
                os.close(saved)
        _banner_swallowed = True


class LazyModule(types.ModuleType):
    """Stands in for a module until an attribute is first read; then imports it (after the HiGHS banner is
    swallowed) and forwards every attribute read to it."""

    def __init__(self, name: str):
        super().__init__(name)
        self.__dict__["_module"] = None

    def _load(self) -> types.ModuleType:
        module = self.__dict__["_module"]
        if module is None:
            with _lock:
                module = self.__dict__["_module"]
                if module is None:
                    swallow_highs_banner()  # PuLP imports highspy too, and makes a Highs() for every solve
                    module = importlib.import_module(self.__name__)
                    self.__dict__["_module"] = module
        return module

    def __getattr__(self, attr: str):  # called only for names not set on the stand-in itself
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)  # copy, pickle and inspect probe dunders: no import for those
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        state = "loaded" if self.__dict__["_module"] is not None else "not loaded yet"
        return f"<lazy module {self.__name__!r} ({state})>"


highspy = LazyModule("highspy")
pulp = LazyModule("pulp")
