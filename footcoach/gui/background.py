"""Long work off the GUI thread: :class:`JobWorker` (a QObject moved to a QThread) runs one
job, :class:`BackgroundTask` owns one run's worker and thread and tears both down properly.
Analysis (:mod:`footcoach.gui.analysis_worker`) and exports (:mod:`footcoach.gui.export_menu`)
are such jobs.

A job is a callable ``job(progress, cancel) -> result`` where ``progress(done, total, message)``
reports and ``cancel() -> bool`` is polled by the job; it raises FootcoachError on bad input
(when cancelled, any FootcoachError counts as the cancel).

Thread life cycle (the usual Qt worker pattern)::

    thread.started   -> worker.run          (runs in the worker thread)
    worker.done      -> thread.quit         (always emitted last by run)
    thread.finished  -> task._on_thread_finished (queued: waits for the OS thread to end,
                        then retires the pair)

Python owns the worker and the QThread (no ``deleteLater``): the finished signal is queued
to the GUI thread while the OS thread may still be unwinding, and destroying a QThread whose
thread still runs crashes the process. So the task first ``wait()``s, then keeps the pair
as "retired" until the next job starts or the task shuts down.

The worker never calls ``processEvents``; the GUI learns everything through queued signals.
Cancelling sets a ``threading.Event`` that the job polls, so :meth:`JobWorker.cancel` is a
plain method call made from the GUI thread (a queued slot would never run while ``run`` is
busy).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from footcoach.errors import FootcoachError

Progress = Callable[[int, int, str], None]
Job = Callable[[Progress, Callable[[], bool]], Any]


def one_line(message: str) -> str:
    """The first non-empty line of ``message`` (a FootcoachError is one line already)."""
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return message.strip()


class JobWorker(QObject):
    """Runs ``job(progress, cancel)`` when :meth:`run` is called.

    Signals (emitted from the worker thread; receivers in the GUI thread get them queued):
        progress(int, int, str): done, total, what is being done.
        finished(object): the job's result.
        errored(str): a one-line message (``file:where: what``) when the job failed.
        cancelled(): the job stopped because :meth:`cancel` was called.
        done(): emitted after any of the three above; the end of :meth:`run`.
    """

    progress = Signal(int, int, str)
    finished = Signal(object)
    errored = Signal(str)
    cancelled = Signal()
    done = Signal()

    def __init__(self, job: Job, what: str = "the job") -> None:
        super().__init__()
        self.job = job
        self.what = what
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop (thread-safe; returns at once)."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot()
    def run(self) -> None:
        """The whole job (blocking; meant to run in the worker thread)."""
        try:
            result = self.job(self.progress.emit, self._cancel.is_set)
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.finished.emit(result)
        except FootcoachError as exc:
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.errored.emit(one_line(str(exc)))
        except MemoryError:
            self.errored.emit(f"{self.what}: out of memory")
        except OSError as exc:
            where = exc.filename or self.what
            self.errored.emit(f"{where}: {exc.strerror or exc}")
        except Exception as exc:  # a bug: still tell the user in one line, never kill the app
            self.errored.emit(one_line(f"{self.what} failed: {type(exc).__name__}: {exc}"))
        finally:
            self.done.emit()


class BackgroundTask(QObject):
    """Starts one job at a time in its own QThread and forwards the worker's signals.

    Signals (in the GUI thread): the worker's ``progress``, ``finished``, ``errored`` and
    ``cancelled``, then ``stopped()`` once the thread has ended.
    """

    progress = Signal(int, int, str)
    finished = Signal(object)
    errored = Signal(str)
    cancelled = Signal()
    stopped = Signal()

    def __init__(self, parent: QObject | None = None, name: str = "footcoach-job") -> None:
        super().__init__(parent)
        self.name = name
        self.worker: JobWorker | None = None
        self.qthread: QThread | None = None
        self._retired: tuple[JobWorker, QThread] | None = None

    def is_running(self) -> bool:
        return self.qthread is not None

    def start_job(self, job: Job, what: str) -> JobWorker:
        """Run ``job`` in a new thread; FootcoachError when a job is already going on."""
        if self.qthread is not None:
            raise FootcoachError(f"{self.name}: a job is already running")
        worker = JobWorker(job, what)
        thread = QThread()
        thread.setObjectName(self.name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._on_errored)
        worker.cancelled.connect(self._on_cancelled)
        worker.done.connect(thread.quit)
        thread.finished.connect(self._on_thread_finished)
        self._retired = None  # the previous pair: its thread has ended (waited for)
        self.worker, self.qthread = worker, thread
        thread.start(QThread.Priority.LowPriority)
        return worker

    def cancel(self) -> None:
        """Ask the running job to stop (the ``cancelled`` signal follows)."""
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
        worker, thread = self.worker, self.qthread
        if thread is not None:
            thread.wait()  # the OS thread may still be unwinding: never destroy it before
        if worker is not None and thread is not None:
            self._retired = (worker, thread)
        self.worker, self.qthread = None, None
        self.stopped.emit()
