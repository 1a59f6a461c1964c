"""Video frames decoded off the GUI thread, newest request only (SLEAP's loader pattern), with a
scrubbing proxy for files that are slow to seek in.

The GUI thread calls :meth:`FrameServer.request` as often as it likes (every slider move, every
playback tick). Each decoder thread remembers only the newest request it was given; requests
made while a frame is being decoded overwrite each other, so scrubbing never builds a queue of
stale frames. Frames already decoded come from a cache at once, without waiting for a decoder.

Two decoders, each in its own thread:

* the *original* file: forward requests (playback, stepping) continue from the decoder's
  position (:class:`~footcoach.io.video.VideoReader` seeks only when going back or far ahead);
* the *proxy* (:mod:`footcoach.app.proxy`, once :meth:`FrameServer.set_proxy` was given one): a
  small all-intra copy with the same frames. A request that the original decoder cannot serve
  by decoding a frame or two forward (it would have to seek, or it is still busy) also goes to
  the proxy, whose frame is emitted as a preview (:attr:`FrameServer.preview_ready`, a few ms);
  the original frame follows on :attr:`FrameServer.frame_ready` and replaces it (for a jump,
  only once no other request came for :data:`REFINE_DELAY_S`).

Original frames are converted to RGB at about the size they are shown
(:meth:`FrameServer.set_view_size`), which saves the GUI thread from scaling big pictures.

Results reach the receivers in request order: a frame for an older request than one already
answered is kept in the cache but not emitted.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QImage

from footcoach.app.proxy import lower_thread_priority, needs_proxy
from footcoach.errors import FootcoachError
from footcoach.io.video import VideoReader

CACHE_BYTES = 160 * 1024 * 1024
"""Memory budget of the decoded-frame cache."""
CACHE_FRAMES = 120
"""Most frames kept in the cache, whatever their size."""
MAX_DISPLAY_WIDTH = 1920
"""Wider videos (4K) are scaled to this width while converting to RGB."""
REFINE_DELAY_S = 0.15
"""After a proxy preview of a jump, the original frame is decoded only when no other request
came for this long (so that clicking or scrubbing around is not slowed by long decodes)."""
MAIN_NICENESS = 5
"""The original decoder (and the codec threads it starts) runs at this nice value (Linux), so
that proxy previews and the GUI thread win the CPU while it refines a frame."""
SEQUENTIAL = 3
"""A request at most this many frames after the previous one counts as playback or stepping:
the original decoder starts on it at once."""
SIZE_STEP = 64
"""View-size decoding rounds the width up to a multiple of this (fewer cache misses on resize)."""


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """(H, W, 3) uint8 RGB -> a QImage that owns a copy of the pixels."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def scaled_size(width: int, height: int, max_width: int) -> tuple[int, int] | None:
    """(w, h) of a ``width`` x ``height`` frame shrunk to ``max_width`` (even sizes), or None
    when it is not wider than that."""
    if width <= max_width:
        return None
    return max_width, max(2, round(height * max_width / width / 2) * 2)


class _Decoder(QObject):
    """One video file decoded in its own thread; only the newest posted request is served.
    A request may carry a delay: it is served only if no newer one came meanwhile.

    Signals (emitted from the decoder thread):
        decoded(int, int, QImage, float): frame index, request number, picture, milliseconds.
        failed(int, int, str): frame index, request number, message.
    """

    decoded = Signal(int, int, QImage, float)
    failed = Signal(int, int, str)
    _wake = Signal()

    def __init__(self, path: Path, thread_type: str, name: str, niceness: int = 0) -> None:
        super().__init__()
        self._niceness = niceness
        self.reader = VideoReader(path, thread_type=thread_type)
        self.keyframes = np.array(self.reader.keyframe_indices)
        self._lock = threading.Condition()
        self._pending: tuple[int, int, tuple[int, int] | None, float] | None = None
        self._busy = False
        self._stopped = False
        self.position = -1
        """Index the decoder produced last (-1: none yet; its next forward step is cheap)."""
        self.count = 0
        self._thread = QThread()
        self._thread.setObjectName(name)
        self.moveToThread(self._thread)
        self._wake.connect(self._serve)
        self._thread.start()

    def post(self, index: int, seq: int, size: tuple[int, int] | None,
             delay_s: float = 0.0) -> None:
        """Decode frame ``index`` (request number ``seq``) at ``size`` (None: full size),
        ``delay_s`` seconds from now unless another request comes first."""
        with self._lock:
            if self._stopped:
                return
            self._pending = (index, seq, size, time.monotonic() + delay_s)
            self._lock.notify_all()
        self._wake.emit()

    def drop_pending(self) -> None:
        with self._lock:
            self._pending = None
            self._lock.notify_all()

    def frames_to(self, index: int) -> int:
        """Frames to decode to reach ``index`` from where the decoder stands."""
        k = int(self.keyframes[max(int(np.searchsorted(self.keyframes, index, side="right"))
                                   - 1, 0)])
        p = self.position
        if p >= 0 and k <= p + 1 <= index:
            return index - p
        if p == index:
            return 0
        return index - k + 1

    def continues_to(self, index: int) -> bool:
        """Whether the decoder is idle and ``index`` is at most :data:`SEQUENTIAL` frames past
        its position (no seek: the answer comes in about one frame's decoding time)."""
        with self._lock:
            if self._busy:
                return False
        p = self.position
        return p >= 0 and 0 <= index - p <= SEQUENTIAL and self.frames_to(index) == index - p

    @Slot()
    def _serve(self) -> None:
        with self._lock:
            while True:
                job = self._pending
                if self._stopped or job is None:
                    return
                wait = job[3] - time.monotonic()
                if wait <= 0:
                    break
                self._lock.wait(wait)  # a newer request or a stop wakes it early
            self._pending = None
            self._busy = True
        if self._niceness:  # before the first decode opens the codec and starts its threads
            lower_thread_priority(self._niceness)
            self._niceness = 0
        index, seq, size, _due = job
        t0 = time.perf_counter()
        try:
            rgb = self.reader.frame(index, size=size)
        except (FootcoachError, IndexError) as exc:
            self.position = -1
            with self._lock:
                self._busy = False
            self.failed.emit(index, seq, str(exc))
            return
        image = rgb_to_qimage(rgb)
        ms = (time.perf_counter() - t0) * 1e3
        self.position = index
        self.count += 1
        with self._lock:
            self._busy = False
        self.decoded.emit(index, seq, image, ms)

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._pending = None
            self._lock.notify_all()
        self._thread.quit()
        self._thread.wait()
        self.reader.close()


class FrameServer(QObject):
    """Serves frames of one video file from worker threads.

    ``FrameServer(path)`` opens and indexes the file in the calling thread (raising
    :class:`~footcoach.errors.FootcoachError` when it is unreadable), then starts its thread.
    Call :meth:`stop` before dropping it.

    Signals (emitted from a worker thread, or from the requesting thread for cached frames:
    connect them to methods of objects living in the GUI thread, which Qt then calls through
    the GUI event loop; a plain lambda would run in the worker thread):
        frame_ready(int, QImage): frame index and its picture from the original file (RGB888).
        preview_ready(int, QImage): the same frame from the proxy, smaller, shown until the
            original arrives (only after :meth:`set_proxy`).
        failed(int, str): a frame could not be decoded (index, message).
    """

    frame_ready = Signal(int, QImage)
    preview_ready = Signal(int, QImage)
    failed = Signal(int, str)

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self._main = _Decoder(self.path, "AUTO", "footcoach-frame-server", MAIN_NICENESS)
        r = self._main.reader
        self.frame_times: np.ndarray = np.array(r.frame_times, dtype=np.float64)
        """(F,) seconds from the first frame, per frame."""
        self.fps = r.fps
        self.width, self.height = r.width, r.height
        self.needs_proxy = needs_proxy(r)
        """Whether seeking in this file is slow enough for a scrubbing proxy to help."""
        self._size = scaled_size(r.width, r.height, MAX_DISPLAY_WIDTH)
        self._proxy: _Decoder | None = None
        self.proxy_path: Path | None = None
        self._lock = threading.RLock()
        self._seq = 0
        self._last_index = -1  # index of the previous request
        self._answered = 0  # request number of the newest frame emitted
        self._stopped = False
        self._cache: OrderedDict[int, QImage] = OrderedDict()
        self._cache_bytes = 0
        self.served = 0
        """Original frames emitted so far (decoded or from the cache)."""
        self.previews = 0
        """Proxy frames emitted so far."""
        self.cache_hits = 0
        """Requests answered from the frame cache."""
        # direct connections: the handlers run in the decoder threads
        self._main.decoded.connect(self._on_main, Qt.ConnectionType.DirectConnection)
        self._main.failed.connect(self._on_failed, Qt.ConnectionType.DirectConnection)

    # ------------------------------------------------------------------ properties
    @property
    def frame_count(self) -> int:
        return int(self.frame_times.shape[0])

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) of the original frames emitted now: the video's, scaled down to the
        view (:meth:`set_view_size`) or to :data:`MAX_DISPLAY_WIDTH`."""
        return self._size or (self.width, self.height)

    @property
    def seek_count(self) -> int:
        """Container seeks made by the original decoder (sequential playback adds none)."""
        return self._main.reader.seek_count

    @property
    def decoded(self) -> int:
        """Original frames decoded and converted so far (for tests and benchmarks)."""
        return self._main.count

    @property
    def has_proxy(self) -> bool:
        return self._proxy is not None

    # ------------------------------------------------------------------ configuration
    def set_view_size(self, width: float, height: float) -> None:
        """Decode original frames at about the size they are shown (device pixels) instead of
        their full size; never larger than the video or :data:`MAX_DISPLAY_WIDTH`."""
        if width <= 0 or height <= 0:
            return
        scale = min(width / self.width, height / self.height)
        need = int(np.ceil(self.width * scale / SIZE_STEP)) * SIZE_STEP
        limit = min(self.width, MAX_DISPLAY_WIDTH)
        size = None if need >= 0.9 * self.width else scaled_size(self.width, self.height,
                                                                 min(need, limit))
        if size is None:
            size = scaled_size(self.width, self.height, MAX_DISPLAY_WIDTH)
        with self._lock:
            self._size = size

    def set_proxy(self, path: str | Path | None) -> None:
        """Use ``path`` (a proxy of this video: same frame count) for previews while seeking;
        None stops using one. Raises FootcoachError when the file does not match the video."""
        old, self._proxy, self.proxy_path = self._proxy, None, None
        if old is not None:
            old.stop()
            old.deleteLater()
        if path is None:
            return
        proxy = _Decoder(Path(path), "SLICE", "footcoach-proxy-server")
        if proxy.reader.frame_count != self.frame_count:
            proxy.stop()
            raise FootcoachError(f"the proxy has {proxy.reader.frame_count} frames, the video "
                                 f"{self.frame_count}", path)
        proxy.decoded.connect(self._on_proxy, Qt.ConnectionType.DirectConnection)
        proxy.failed.connect(self._on_failed, Qt.ConnectionType.DirectConnection)
        self._proxy, self.proxy_path = proxy, Path(path)

    # ------------------------------------------------------------------ requests
    def request(self, index: int) -> None:
        """Ask for frame ``index`` (any thread); supersedes any request not yet started."""
        if not 0 <= index < self.frame_count:
            raise IndexError(f"frame {index} out of range (video has {self.frame_count})")
        with self._lock:
            if self._stopped:
                return
            self._seq += 1
            seq = self._seq
            image = self._cached(index)
            proxy = self._proxy
            sequential = 0 < index - self._last_index <= SEQUENTIAL
            self._last_index = index
            if image is not None:
                self._main.drop_pending()
                if proxy is not None:
                    proxy.drop_pending()
                self._answered = seq
                self.served += 1
                self.cache_hits += 1
                self.frame_ready.emit(index, image)
                return
            size = self._size
        if proxy is None or self._main.continues_to(index):
            self._main.post(int(index), seq, size)
            if proxy is not None:
                proxy.drop_pending()
            return
        proxy.post(int(index), seq, None)
        self._main.post(int(index), seq, size, 0.0 if sequential else REFINE_DELAY_S)

    def _cached(self, index: int) -> QImage | None:
        image = self._cache.get(index)
        if image is None:
            return None
        want = self._size[0] if self._size else self.width
        if image.width() < want:  # decoded for a smaller view
            return None
        self._cache.move_to_end(index)
        return image

    def _on_main(self, index: int, seq: int, image: QImage, _ms: float) -> None:
        with self._lock:
            if self._stopped:
                return
            self._remember(index, image)
            if seq >= self._answered:
                self._answered = seq
                self.served += 1
                self.frame_ready.emit(index, image)

    def _on_proxy(self, index: int, seq: int, image: QImage, _ms: float) -> None:
        with self._lock:
            if self._stopped or seq <= self._answered:
                return
            self._answered = seq
            self.previews += 1
            self.preview_ready.emit(index, image)

    def _on_failed(self, index: int, seq: int, message: str) -> None:
        with self._lock:
            if not self._stopped and seq >= self._answered:
                self.failed.emit(index, message)

    def _remember(self, index: int, image: QImage) -> None:
        old = self._cache.pop(index, None)
        if old is not None:
            self._cache_bytes -= old.sizeInBytes()
        self._cache[index] = image
        self._cache_bytes += image.sizeInBytes()
        while self._cache and (len(self._cache) > CACHE_FRAMES
                               or self._cache_bytes > CACHE_BYTES):
            _, dropped = self._cache.popitem(last=False)
            self._cache_bytes -= dropped.sizeInBytes()

    def stop(self) -> None:
        """Stop the threads and close the files (GUI thread; idempotent)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._main.stop()
        if self._proxy is not None:
            self._proxy.stop()
        self._cache.clear()
