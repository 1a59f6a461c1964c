"""Video frames decoded off the GUI thread, newest request only (SLEAP's loader pattern).

The GUI thread calls :meth:`FrameServer.request` as often as it likes (every slider move, every
playback tick). Only the index of the newest request is remembered; the worker thread wakes up,
takes that index, decodes it and emits :attr:`FrameServer.frame_ready`. Requests made while a
frame is being decoded overwrite each other, so scrubbing never builds a queue of stale frames.

Forward requests (playback, stepping) are decoded by continuing from the decoder's position
(:class:`~footcoach.io.video.VideoReader` seeks only when going back or far ahead); recent
frames are kept in a small cache so stepping back is instant.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from footcoach.errors import FootcoachError
from footcoach.io.video import VideoReader

CACHE_BYTES = 160 * 1024 * 1024
"""Memory budget of the decoded-frame cache."""
CACHE_FRAMES = 120
"""Most frames kept in the cache, whatever their size."""
MAX_DISPLAY_WIDTH = 1920
"""Wider videos (4K) are scaled to this width while converting to RGB."""


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """(H, W, 3) uint8 RGB -> a QImage that owns a copy of the pixels."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class FrameServer(QObject):
    """Serves frames of one video file from a worker thread.

    ``FrameServer(path)`` opens and indexes the file in the calling thread (raising
    :class:`~footcoach.errors.FootcoachError` when it is unreadable), then starts its thread.
    Call :meth:`stop` before dropping it.

    Signals (emitted from the worker thread: connect them to methods of objects living in the
    GUI thread, which Qt then calls through the GUI event loop; a plain lambda would run in
    the worker thread):
        frame_ready(int, QImage): frame index and its picture (RGB888).
        failed(int, str): a frame could not be decoded (index, message).
    """

    frame_ready = Signal(int, QImage)
    failed = Signal(int, str)
    _wake = Signal()

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self._reader = VideoReader(path)
        r = self._reader
        self.path = Path(path)
        self.frame_times: np.ndarray = np.array(r.frame_times, dtype=np.float64)
        """(F,) seconds from the first frame, per frame."""
        self.fps = r.fps
        self.width, self.height = r.width, r.height
        self._size: tuple[int, int] | None = None
        if r.width > MAX_DISPLAY_WIDTH:
            scaled_h = int(round(r.height * MAX_DISPLAY_WIDTH / r.width / 2) * 2)
            self._size = (MAX_DISPLAY_WIDTH, scaled_h)
        self._lock = threading.Lock()
        self._pending: int | None = None
        self._stopped = False
        self._cache: OrderedDict[int, QImage] = OrderedDict()
        self._cache_bytes = 0
        self.decoded = 0
        """Frames decoded and converted so far (worker thread; for tests and benchmarks)."""
        self.served = 0
        """Frames emitted so far (decoded or from the cache)."""
        self._thread = QThread()
        self._thread.setObjectName("footcoach-frame-server")
        self.moveToThread(self._thread)
        self._wake.connect(self._serve)
        self._thread.start()

    @property
    def frame_count(self) -> int:
        return int(self.frame_times.shape[0])

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) of the emitted images (the video's, or scaled down when wider than
        :data:`MAX_DISPLAY_WIDTH`)."""
        return self._size or (self.width, self.height)

    @property
    def seek_count(self) -> int:
        """Container seeks made by the decoder (sequential playback should add none)."""
        return self._reader.seek_count

    def request(self, index: int) -> None:
        """Ask for frame ``index`` (any thread); supersedes any request not yet started."""
        if not 0 <= index < self.frame_count:
            raise IndexError(f"frame {index} out of range (video has {self.frame_count})")
        with self._lock:
            if self._stopped:
                return
            self._pending = int(index)
        self._wake.emit()

    @Slot()
    def _serve(self) -> None:
        with self._lock:
            index, self._pending = self._pending, None
            if self._stopped:
                return
        if index is None:  # an older wake-up whose request was already served
            return
        image = self._cache.get(index)
        if image is not None:
            self._cache.move_to_end(index)
        else:
            try:
                rgb = self._reader.frame(index, size=self._size)
            except (FootcoachError, IndexError) as exc:
                self.failed.emit(index, str(exc))
                return
            self.decoded += 1
            image = rgb_to_qimage(rgb)
            self._remember(index, image)
        self.served += 1
        self.frame_ready.emit(index, image)

    def _remember(self, index: int, image: QImage) -> None:
        self._cache[index] = image
        self._cache_bytes += image.sizeInBytes()
        while self._cache and (len(self._cache) > CACHE_FRAMES
                               or self._cache_bytes > CACHE_BYTES):
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= old.sizeInBytes()

    def stop(self) -> None:
        """Stop the thread and close the file (GUI thread; idempotent)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._pending = None
        self._thread.quit()
        self._thread.wait()
        self._reader.close()
        self._cache.clear()
