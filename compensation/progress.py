"""A small progress bar for long commands (sweeps, multi-year runs), on stderr.

On a terminal it redraws one line; elsewhere (logs, CI) it prints a line at each tenth of the work."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str, stream=None, enabled: bool = True, width: int = 30):
        self.total, self.label, self.width = max(1, int(total)), label, width
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.done = 0
        self.start = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_tenth = -1

    def step(self, text: str = "", n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{self.label} [{bar}] {self.done}/{self.total} {elapsed:.1f}s {text}".rstrip()
        if self.tty:
            end = "\n" if self.done == self.total else ""
            print(f"\r{line}\033[K", end=end, file=self.stream, flush=True)
            return
        tenth = int(10 * self.done / self.total)
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            print(line, file=self.stream, flush=True)
