"""The sensor check the review app runs in the background when a session is opened.

Without a cached analysis, the sensor warnings (a vest far from upright, turned during the
session, worn by another player or that stopped measuring; a GPS unit that held its last fix)
would only appear after the coach ran the analysis. :class:`SensorCheck` reads and aligns the
session again off the GUI thread (:func:`footcoach.app.check.sensor_warnings_of`, about as long
as the analysis' alignment: seconds for a 90-minute, 22-player session) and hands the warnings
over with the folder they belong to, so that the window can drop those of a session that is no
longer open.

One check runs at a time: checking another folder cancels the running check (it stops after
the stream it is aligning) and starts the new one when it has ended. Its failures are not
shown as errors: the session opened, and the analysis reports any problem with its data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from footcoach.errors import FootcoachError
from footcoach.gui.background import BackgroundTask, Job, Progress


def sensor_check_job(folder: Path) -> Job:
    """The check of ``folder`` as a background job returning ``(folder, warnings)``."""

    def job(progress: Progress, cancel: Callable[[], bool]) -> object:
        from footcoach.app.check import sensor_warnings_of

        return folder, sensor_warnings_of(folder, progress=progress, cancel=cancel)

    return job


class SensorCheck(QObject):
    """Checks the sensors of one session folder at a time in its own QThread.

    Signals (in the GUI thread):
        found(object, list): the folder (a resolved Path) and its sensor warnings.
        failed(object, str): the folder and a one-line message.
    """

    found = Signal(object, list)
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.task = BackgroundTask(self, name="footcoach-sensor-check")
        self.task.finished.connect(self._finished)
        self.task.errored.connect(self._errored)
        self.task.stopped.connect(self._stopped)
        self.folder: Path | None = None
        self._next: Path | None = None

    def is_running(self) -> bool:
        return self.task.is_running()

    def check(self, folder: str | Path) -> None:
        """Check ``folder`` (after cancelling the running check, if any)."""
        self._next = Path(folder).resolve()
        if self.task.is_running():
            self.task.cancel()
        else:
            self._start_next()

    def cancel(self) -> None:
        """Stop the running check and forget any waiting one (e.g. an analysis starts: it
        aligns the session itself and gives the same warnings)."""
        self._next = None
        self.task.cancel()

    def shutdown(self) -> None:
        """Cancel and wait for the thread to end (window closing)."""
        self._next = None
        self.task.shutdown()

    def _start_next(self) -> None:
        folder, self._next = self._next, None
        if folder is None:
            return
        self.folder = folder
        try:
            self.task.start_job(sensor_check_job(folder), f"{folder}: the sensor check")
        except FootcoachError as exc:  # pragma: no cover - _stopped starts only when idle
            self.failed.emit(folder, str(exc))

    def _finished(self, result: object) -> None:
        assert isinstance(result, tuple)
        folder, warnings = result
        self.found.emit(folder, list(warnings))

    def _errored(self, message: str) -> None:
        self.failed.emit(self.folder, message)

    def _stopped(self) -> None:
        self._start_next()
