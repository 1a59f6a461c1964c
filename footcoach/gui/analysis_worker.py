"""Session analysis off the GUI thread: :class:`AnalysisWorker` (a QObject moved to a QThread)
drives :func:`footcoach.app.analyze.analyze_session`; :class:`AnalysisTask` owns one run's
worker and thread and tears both down properly.

Thread life cycle (the usual Qt worker pattern)::

    thread.started   -> worker.run          (runs in the worker thread)
    worker.done      -> thread.quit         (always emitted last by run)
    thread.finished  -> worker.deleteLater, thread.deleteLater, task._finished

The worker never calls ``processEvents``; the GUI learns everything through queued signals.
Cancelling sets a ``threading.Event`` that the analysis polls (per block and per decoded
frame, from its own threads), so :meth:`AnalysisWorker.cancel` is a plain method call made
from the GUI thread (a queued slot would never run while ``run`` is busy).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from footcoach.errors import FootcoachError


def one_line(message: str) -> str:
    """The first non-empty line of ``message`` (a FootcoachError is one line already)."""
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return message.strip()


class AnalysisWorker(QObject):
    """Runs ``analyze_session(folder, **options, cancel=...)`` when :meth:`run` is called.

    Signals (emitted from the worker thread; receivers in the GUI thread get them queued):
        progress(int, int, str): steps done, total steps, what is being done.
        finished(object): the :class:`~footcoach.app.analysis_cache.AnalysisResult`.
        errored(str): a one-line message (``file:where: what``) when the analysis failed.
        cancelled(): the run stopped because :meth:`cancel` was called (nothing was cached).
        done(): emitted after any of the three above; the end of :meth:`run`.
    """

    progress = Signal(int, int, str)
    finished = Signal(object)
    errored = Signal(str)
    cancelled = Signal()
    done = Signal()

    def __init__(self, folder: str | Path, **options: Any) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.options = dict(options)
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the run to stop (thread-safe; returns at once)."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot()
    def run(self) -> None:
        """The whole analysis (blocking; meant to run in the worker thread)."""
        from footcoach.app.analyze import analyze_session

        try:
            result = None
            for report in analyze_session(self.folder, cancel=self._cancel.is_set,
                                          **self.options):
                self.progress.emit(report.done, report.total, report.message)
                result = report.result or result
                if self._cancel.is_set() and result is None:
                    raise FootcoachError("cancelled", self.folder)
            if result is None:  # pragma: no cover - analyze_session always ends with one
                raise FootcoachError("the analysis ended without a result", self.folder)
            self.finished.emit(result)
        except FootcoachError as exc:
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.errored.emit(one_line(str(exc)))
        except MemoryError:
            self.errored.emit(f"{self.folder}: out of memory while analysing the session")
        except OSError as exc:
            where = exc.filename or self.folder
            self.errored.emit(f"{where}: {exc.strerror or exc}")
        except Exception as exc:  # a bug: still tell the user in one line, never kill the app
            self.errored.emit(one_line(f"{self.folder}: analysis failed: "
                                       f"{type(exc).__name__}: {exc}"))
        finally:
            self.done.emit()


class AnalysisTask(QObject):
    """Starts one analysis at a time in its own QThread and forwards the worker's signals.

    Signals (in the GUI thread): the worker's ``progress``, ``finished``, ``errored`` and
    ``cancelled``, then ``stopped()`` once the thread has ended.
    """

    progress = Signal(int, int, str)
    finished = Signal(object)
    errored = Signal(str)
    cancelled = Signal()
    stopped = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: AnalysisWorker | None = None
        self.qthread: QThread | None = None

    def is_running(self) -> bool:
        return self.qthread is not None

    def start(self, folder: str | Path, **options: Any) -> AnalysisWorker:
        """Analyse ``folder`` (options: those of ``analyze_session`` but ``cancel``);
        FootcoachError when a run is already going on."""
        if self.qthread is not None:
            raise FootcoachError("an analysis is already running", folder)
        worker = AnalysisWorker(folder, **options)
        thread = QThread()
        thread.setObjectName("footcoach-analysis")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._on_errored)
        worker.cancelled.connect(self._on_cancelled)
        worker.done.connect(thread.quit)
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(thread.deleteLater)
        thread.finished.connect(self._on_thread_finished)
        self.worker, self.qthread = worker, thread
        thread.start(QThread.Priority.LowPriority)
        return worker

    def cancel(self) -> None:
        """Ask the running analysis to stop (the ``cancelled`` signal follows)."""
        if self.worker is not None:
            self.worker.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Cancel and wait for the thread to end (window closing)."""
        thread = self.qthread
        if thread is None:
            return
        self.cancel()
        thread.quit()
        thread.wait(timeout_ms)

    # queued from the worker thread -------------------------------------------------------
    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, message: str) -> None:
        self.progress.emit(done, total, message)

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        self.finished.emit(result)

    @Slot(str)
    def _on_errored(self, message: str) -> None:
        self.errored.emit(message)

    @Slot()
    def _on_cancelled(self) -> None:
        self.cancelled.emit()

    @Slot()
    def _on_thread_finished(self) -> None:
        self.worker, self.qthread = None, None
        self.stopped.emit()
