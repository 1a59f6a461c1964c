"""A one-line progress bar for long CLI work (stderr; redrawn in place on a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressLine:
    """Callable ``(done, total, message)`` drawing ``[#####-----]  45%  message  12 s``.

    On a terminal the line is redrawn in place; otherwise one line is printed per 10 % step so
    logs stay readable. ``close()`` ends the line.
    """

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 28):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.start = time.perf_counter()
        self.tty = self.stream.isatty()
        self._last_decile = -1
        self._drawn = False

    def __call__(self, done: int, total: int, message: str = "") -> None:
        frac = min(max(done / total, 0.0), 1.0) if total else 0.0
        filled = round(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        line = f"{self.label} [{bar}] {100 * frac:5.1f}%  {message[:50]:<50} {elapsed:6.1f} s"
        if self.tty:
            self.stream.write("\r" + line)
            self.stream.flush()
            self._drawn = True
        elif int(frac * 10) != self._last_decile:
            self._last_decile = int(frac * 10)
            self.stream.write(line.rstrip() + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
