"""How responsive the GUI thread stays: :class:`StallProbe` ticks a precise QTimer on the GUI
thread and records the gaps between ticks; a gap much longer than the interval is a stall
(the event loop was busy). :func:`measure_analysis_stall` runs the main window's "Run
analysis" on a session under the probe (used by ``footcoach benchmark gui --stall``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt, QTimer

DEFAULT_INTERVAL_MS = 5


class StallStats(NamedTuple):
    """Gaps between consecutive ticks (ms): ``max_gap_ms`` (the longest stall plus one
    interval), ``p99_ms``, ``p50_ms``; ``ticks`` recorded over ``duration_s`` seconds at
    ``interval_ms``; the longest gap ended ``max_at_s`` seconds after ``start()``."""

    max_gap_ms: float
    p99_ms: float
    p50_ms: float
    ticks: int
    duration_s: float
    interval_ms: int
    max_at_s: float


class StallProbe(QObject):
    """A ``interval_ms`` precise timer on the thread that creates it (the GUI thread).

    ``start()`` begins recording; ``stop()`` ends it and returns :class:`StallStats`.
    """

    def __init__(self, interval_ms: int = DEFAULT_INTERVAL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        if not 1 <= interval_ms <= 100:
            raise ValueError(f"interval_ms must be 1..100, got {interval_ms}")
        self.interval_ms = interval_ms
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self._gaps: list[float] = []
        self._ends: list[float] = []
        self._last = 0.0
        self._t0 = 0.0

    def start(self) -> None:
        self._gaps, self._ends = [], []
        self._t0 = self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self._gaps.append((now - self._last) * 1000.0)
        self._ends.append(now)
        self._last = now

    def stop(self) -> StallStats:
        self.timer.stop()
        now = time.perf_counter()
        gaps = np.asarray([*self._gaps, (now - self._last) * 1000.0])
        ends = [*self._ends, now]
        worst = int(np.argmax(gaps))
        return StallStats(max_gap_ms=float(gaps.max()),
                          p99_ms=float(np.percentile(gaps, 99)),
                          p50_ms=float(np.percentile(gaps, 50)), ticks=len(self._gaps),
                          duration_s=now - self._t0, interval_ms=self.interval_ms,
                          max_at_s=ends[worst] - self._t0)


def measure_analysis_stall(session: str | Path, *, model_dir: str | Path, engine: str,
                           device: str = "cpu", interval_ms: int = DEFAULT_INTERVAL_MS,
                           timeout_s: float = 600.0, settle_s: float = 2.0,
                           settings_file: str | Path | None = None) -> dict[str, Any]:
    """Open ``session`` in a 1366x768 main window, let it settle for ``settle_s`` (its first
    paint and first video frame stall the loop by themselves), run the analysis through the
    window's action (worker thread, no cache) and probe the GUI thread until it has finished.

    Returns ``{"max_gap_ms", "p99_ms", "p50_ms", "ticks", "analysis_s", "events",
    "interval_ms", "max_at_s"}``; FootcoachError when the analysis fails or times out.
    """
    from PySide6.QtWidgets import QApplication

    from footcoach.errors import FootcoachError
    from footcoach.gui.main_window import MainWindow

    _app = QApplication.instance() or QApplication([])  # kept alive while measuring
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat) if settings_file \
        else QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "footcoach-bench")
    window = MainWindow(settings=settings)
    window.resize(1366, 768)
    window.show()
    try:
        if not window.open_session(session):
            raise FootcoachError(window.last_error or "cannot open the session", session)
        tools = window.tools
        tools.analysis_options = {"model_dir": model_dir, "engine": engine, "device": device,
                                  "use_cache": False}
        outcome: dict[str, Any] = {}
        loop = QEventLoop()
        tools.analysis.finished.connect(lambda r: outcome.setdefault("result", r))
        tools.analysis.errored.connect(lambda m: outcome.setdefault("error", m))
        tools.analysis.stopped.connect(loop.quit)
        probe = StallProbe(interval_ms)
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        settle = QEventLoop()
        QTimer.singleShot(int(settle_s * 1000), settle.quit)
        settle.exec()  # the window laid out, painted and its first frame shown
        probe.start()
        t0 = time.perf_counter()
        tools.analysis_action.trigger()
        loop.exec()
        elapsed = time.perf_counter() - t0
        stats = probe.stop()
        if "error" in outcome:
            raise FootcoachError(f"the analysis failed: {outcome['error']}", session)
        if "result" not in outcome:
            tools.analysis.shutdown()
            raise FootcoachError(f"the analysis did not finish in {timeout_s:g} s", session)
        return {"max_gap_ms": stats.max_gap_ms, "p99_ms": stats.p99_ms,
                "p50_ms": stats.p50_ms, "ticks": stats.ticks, "analysis_s": elapsed,
                "events": len(outcome["result"].events), "interval_ms": interval_ms,
                "max_at_s": stats.max_at_s}
    finally:
        window.close()
        window.deleteLater()


def main(argv: list[str] | None = None) -> int:
    """``python -m footcoach.gui.stall_probe [--engine both|torch|onnx] [--session DIR]
    [--cache DIR] [--repeats N]``: the table of :func:`footcoach.bench.gui_bench.run_stall`."""
    import argparse
    import os

    from footcoach.bench.gui_bench import run_stall

    p = argparse.ArgumentParser(prog="python -m footcoach.gui.stall_probe",
                                description="longest GUI event-loop stall during analysis")
    p.add_argument("--engine", choices=("both", "torch", "onnx"), default="both")
    p.add_argument("--session", type=Path, default=None)
    p.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "XDG_CACHE_HOME", Path.home() / ".cache")) / "footcoach" / "bench-gui-stall")
    args = p.parse_args(argv)
    engines = ("torch", "onnx") if args.engine == "both" else (args.engine,)
    print(run_stall(args.cache, measure_analysis_stall, session=args.session, engines=engines,
                    device=args.device, repeats=args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
