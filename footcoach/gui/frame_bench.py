"""Seek latency of the review app's frame path (``footcoach benchmark gui``).

Measures what :class:`~footcoach.gui.frame_server.FrameServer` delivers: from
:meth:`~footcoach.gui.frame_server.FrameServer.request` of a random frame to the first picture of
that frame (a proxy preview or the original), with or without a scrubbing proxy. Requests follow
each other at once, as when a coach clicks along the timeline: the original decoder may still be
busy with the previous frame while the next one is asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QImage

from footcoach.errors import FootcoachError
from footcoach.gui.frame_server import FrameServer

_APP: list[QCoreApplication] = []  # keeps the application object alive when made here


def measure_frame_path(path: str | Path, *, n: int = 100, seed: int = 0,
                       proxy: str | Path | None = None,
                       view_size: tuple[int, int] | None = None,
                       pause_s: float = 0.0, timeout_s: float = 30.0) -> dict[str, float]:
    """Random-seek latency of the GUI frame path on ``path``.

    ``proxy``: a proxy file of the video to preview from; ``view_size`` (width, height): the
    size the frames are shown at (originals are decoded at about that size); ``pause_s``: wait
    this long after each picture before the next request (0: at once; with a pause longer than
    :data:`~footcoach.gui.frame_server.REFINE_DELAY_S` the original decoder is busy refining
    the previous frame when the next request comes). Returns ms
    ``p50_ms``, ``p95_ms``, ``max_ms``, ``mean_ms`` of the first picture per request, and
    ``n``, ``previews`` (how many first pictures came from the proxy), ``cached`` (served from
    the frame cache), ``frames``.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if QCoreApplication.instance() is None:  # the decoder threads need an application object
        _APP.append(QCoreApplication([]))
    server = FrameServer(path)
    try:
        if view_size is not None:
            server.set_view_size(*view_size)
        if proxy is not None:
            server.set_proxy(proxy)
        arrived = threading.Event()
        wanted = [-1]
        source: list[str] = []

        def receiver(kind: str) -> Callable[[int, QImage], None]:
            def on(index: int, _image: QImage) -> None:
                if index == wanted[0] and not arrived.is_set():
                    source.append(kind)
                    arrived.set()
            return on

        direct = Qt.ConnectionType.DirectConnection  # no event loop runs in this thread
        server.frame_ready.connect(receiver("original"), direct)
        server.preview_ready.connect(receiver("proxy"), direct)
        indices = np.random.default_rng(seed).integers(0, server.frame_count, size=n)
        latencies = np.empty(n)
        for k, index in enumerate(indices):
            arrived.clear()
            wanted[0] = int(index)
            t0 = time.perf_counter()
            server.request(int(index))
            if not arrived.wait(timeout_s):
                raise FootcoachError(f"frame {index} did not arrive within {timeout_s:g} s", path)
            latencies[k] = (time.perf_counter() - t0) * 1e3
            if pause_s > 0:
                time.sleep(pause_s)
        previews = source.count("proxy")
        cached = server.cache_hits
        frames = server.frame_count
    finally:
        server.stop()
    return {
        "p50_ms": float(np.percentile(latencies, 50)),
        "p95_ms": float(np.percentile(latencies, 95)),
        "max_ms": float(latencies.max()),
        "mean_ms": float(latencies.mean()),
        "n": float(n),
        "previews": float(previews),
        "cached": float(cached),
        "frames": float(frames),
    }
