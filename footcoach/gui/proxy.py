"""Builds a video's scrubbing proxy (:mod:`footcoach.app.proxy`) in a background thread.

The thread runs at a lower CPU priority than the GUI and the frame decoders, reports progress
through Qt signals and stops within a few frames when cancelled (the partial file is removed).
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QProgressBar, QWidget

from footcoach.app.proxy import PROXY_MAX_SIZE, build_proxy, lower_thread_priority
from footcoach.errors import FootcoachError


class ProxyBuilder(QThread):
    """Transcodes ``source`` into its proxy in ``folder`` (``SESSION/analysis/proxy``).

    Signals (queued to receivers in the GUI thread):
        progress(int, int): frames done, frame count.
        built(str): the proxy file is ready (its path).
        failed(str): it could not be built (a message naming the video).
    A cancelled build emits neither ``built`` nor ``failed``.
    """

    progress = Signal(int, int)
    built = Signal(str)
    failed = Signal(str)

    def __init__(self, source: str | Path, folder: str | Path,
                 max_size: tuple[int, int] = PROXY_MAX_SIZE) -> None:
        super().__init__()
        self.setObjectName("footcoach-proxy-builder")
        self.source = Path(source)
        self.folder = Path(folder)
        self.max_size = max_size
        self._cancel = threading.Event()

    def run(self) -> None:
        lower_thread_priority()
        try:
            path = build_proxy(self.source, self.folder, max_size=self.max_size,
                               progress=self.progress.emit, cancel=self._cancel.is_set)
        except FootcoachError as exc:
            self.failed.emit(str(exc))
            return
        except OSError as exc:
            self.failed.emit(f"{self.folder}: cannot write the scrubbing proxy: {exc.strerror}")
            return
        if path is not None and not self._cancel.is_set():
            self.built.emit(str(path))

    def cancel(self) -> None:
        """Stop building and wait for the thread to end (GUI thread)."""
        self._cancel.set()
        self.wait()


class ProxyProgress(QProgressBar):
    """A small status-bar progress bar, shown while a proxy is being built."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMaximumWidth(180)
        self.setFormat("proxy %p%")
        self.setToolTip("Building a seek-friendly copy of the video in the background; "
                        "seeking gets fast when it is done")
        self.hide()

    def show_progress(self, done: int, total: int) -> None:
        self.setRange(0, max(total, 1))
        self.setValue(done)
        self.setVisible(done < total)

    def finish(self, _text: str = "") -> None:
        self.hide()
