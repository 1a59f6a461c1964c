"""Session analysis off the GUI thread: :class:`AnalysisWorker` runs
:func:`footcoach.app.analyze.analyze_session` as a :mod:`footcoach.gui.background` job, and
:class:`AnalysisTask` starts one analysis at a time in its own QThread.

Cancelling sets a ``threading.Event`` that the analysis polls (per block and per decoded
frame, from its own threads); a cancelled run caches nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from footcoach.errors import FootcoachError
from footcoach.gui.background import BackgroundTask, JobWorker, Progress, one_line

__all__ = ["AnalysisTask", "AnalysisWorker", "analysis_job", "one_line"]


def analysis_job(folder: Path, options: dict[str, Any]
                 ) -> Callable[[Progress, Callable[[], bool]], Any]:
    """The analysis of ``folder`` as a background job returning its AnalysisResult."""

    def job(progress: Progress, cancel: Callable[[], bool]) -> Any:
        from footcoach.app.analyze import analyze_session

        result = None
        for report in analyze_session(folder, cancel=cancel, **options):
            progress(report.done, report.total, report.message)
            result = report.result or result
            if cancel() and result is None:
                raise FootcoachError("cancelled", folder)
        if result is None:  # pragma: no cover - analyze_session always ends with one
            raise FootcoachError("the analysis ended without a result", folder)
        return result

    return job


class AnalysisWorker(JobWorker):
    """Runs ``analyze_session(folder, **options, cancel=...)`` when :meth:`run` is called
    (signals: :class:`~footcoach.gui.background.JobWorker`'s; ``finished`` carries the
    :class:`~footcoach.app.analysis_cache.AnalysisResult`)."""

    def __init__(self, folder: str | Path, **options: Any) -> None:
        self.folder = Path(folder)
        self.options = dict(options)
        super().__init__(analysis_job(self.folder, self.options),
                         f"{self.folder}: the analysis")


class AnalysisTask(BackgroundTask):
    """One analysis at a time in its own QThread (signals: BackgroundTask's)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent, name="footcoach-analysis")

    def start(self, folder: str | Path, **options: Any) -> JobWorker:
        """Analyse ``folder`` (options: those of ``analyze_session`` but ``cancel``);
        FootcoachError when a run is already going on."""
        if self.is_running():
            raise FootcoachError("an analysis is already running", folder)
        return self.start_job(analysis_job(Path(folder), dict(options)),
                              f"{folder}: the analysis")
