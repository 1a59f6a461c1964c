"""Scrubbing proxies: a small all-intra copy of a session video that seeks in a few milliseconds.

Camera files usually have long keyframe intervals (2-10 s): showing a random frame of a 1080p
file with a 2 s interval means decoding up to 50 frames (~200-450 ms on a laptop). Video editors
therefore scrub on a *proxy*: the same frames, smaller, every frame a keyframe. footcoach builds
one once per video (in the background; see ``footcoach.gui.proxy``) and shows it while the user
seeks, replacing it by the original frame as soon as that is decoded.

A proxy has exactly the frames of its source, with the same presentation times (the source's
timestamps are copied), at most :data:`PROXY_MAX_SIZE` pixels, H.264 with one keyframe per frame.
It lives in ``SESSION/analysis/proxy/`` under a name keyed by the source's name, byte size and
modification time, so an edited or replaced video never finds a stale proxy. No Qt here.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import secrets
from collections.abc import Callable, Generator
from fractions import Fraction
from pathlib import Path

import av
import av.container
import numpy as np

from footcoach.errors import FootcoachError
from footcoach.io.video import VideoReader

PROXY_DIR = Path("analysis") / "proxy"
"""Where a session keeps its proxies (relative to the session folder)."""
PROXY_MAX_SIZE = (960, 540)
"""Largest proxy frame (width, height) in pixels; smaller videos keep their size."""
PROXY_CRF = 28
"""x264 quality of the proxy (higher is smaller; 28 is plenty for scrubbing)."""
PROXY_PRESET = "ultrafast"
"""x264 preset: no CABAC and no deblocking, which also makes the proxy faster to decode."""
SEEK_BUDGET_MS = 25.0
"""A video whose estimated worst seek costs more than this gets a proxy."""
DECODE_MS_1080P = 16.0
"""Rough cost of decoding one 1920x1080 H.264 frame on a 2-core laptop (milliseconds)."""

_AvErrors: tuple[type[BaseException], ...] = (av.FFmpegError, OSError, ValueError, EOFError)


def proxy_size(width: int, height: int,
               max_size: tuple[int, int] = PROXY_MAX_SIZE) -> tuple[int, int]:
    """(width, height) of the proxy of a ``width`` x ``height`` video: scaled down (never up) to
    fit ``max_size`` with the aspect ratio kept, both even (H.264 needs even sizes)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"video size must be positive, got {width}x{height}")
    scale = min(1.0, max_size[0] / width, max_size[1] / height)
    w = max(2, round(width * scale / 2) * 2)
    h = max(2, round(height * scale / 2) * 2)
    return w, h


def estimated_seek_ms(width: int, height: int, keyframes: np.ndarray, frame_count: int) -> float:
    """Rough worst-case cost (ms) of showing a random frame: decoding from the keyframe before
    it, over the longest keyframe interval of the file, at :data:`DECODE_MS_1080P` per 1080p
    frame scaled by the pixel count. ``keyframes`` (K,) are the keyframe indices."""
    keys = np.asarray(keyframes, dtype=np.int64)
    bounds = np.r_[keys, frame_count] if keys.size else np.array([0, frame_count])
    longest = int(np.max(np.diff(bounds))) if bounds.size > 1 else 1
    return longest * DECODE_MS_1080P * (width * height) / (1920 * 1080)


def needs_proxy(reader: VideoReader) -> bool:
    """True when seeking in the reader's file is slow enough for a proxy to help."""
    cost = estimated_seek_ms(reader.width, reader.height, reader.keyframe_indices,
                             reader.frame_count)
    return cost > SEEK_BUDGET_MS


def proxy_folder(session_root: str | Path) -> Path:
    """Where a session's proxies go: ``SESSION/analysis/proxy`` when the session folder is
    writable, else a per-session folder in the user's cache (``$XDG_CACHE_HOME/footcoach``)."""
    root = Path(session_root)
    if os.access(root, os.W_OK) and (not (root / "analysis").exists()
                                     or os.access(root / "analysis", os.W_OK)):
        return root / PROXY_DIR
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "footcoach"
    digest = hashlib.sha1(str(root.resolve()).encode("utf-8")).hexdigest()[:12]
    return cache / "proxies" / f"{root.name}-{digest}"


def proxy_path(source: str | Path, folder: str | Path,
               max_size: tuple[int, int] = PROXY_MAX_SIZE) -> Path:
    """Where the proxy of ``source`` lives in ``folder`` (a session's ``analysis/proxy``): the
    name holds the source's name, byte size, modification time (ns) and the proxy size limit.
    Raises FootcoachError when the source cannot be read."""
    source = Path(source)
    try:
        st = source.stat()
    except OSError as exc:
        raise FootcoachError(f"cannot read the video: {exc.strerror}", source) from None
    key = f"{st.st_size}-{st.st_mtime_ns}"
    return Path(folder) / f"{source.name}.{key}.{max_size[0]}x{max_size[1]}.proxy.mp4"


def find_proxy(source: str | Path, folder: str | Path,
               max_size: tuple[int, int] = PROXY_MAX_SIZE) -> Path | None:
    """The ready proxy of ``source`` in ``folder``, or None when there is none (yet)."""
    path = proxy_path(source, folder, max_size)
    return path if path.is_file() else None


def iter_build_proxy(source: str | Path, dest: str | Path,
                     max_size: tuple[int, int] = PROXY_MAX_SIZE
                     ) -> Generator[tuple[int, int], None, None]:
    """Transcode ``source`` into the proxy file ``dest``; yields ``(frames_done, frame_count)``
    every few frames. Stop iterating (``close()`` the generator) to cancel: nothing is left
    behind. The file appears under ``dest`` only when complete and checked (same frame count
    and frame times as the source); a problem raises FootcoachError naming the source.
    """
    source, dest = Path(source), Path(dest)
    with VideoReader(source) as reader:
        times = np.array(reader.frame_times)
        size = proxy_size(reader.width, reader.height, max_size)
        fps = reader.fps
        turns = reader.rotation // 90
    total = int(times.size)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.part.mp4")
    frames = _transcode(source, tmp, size, fps, turns)
    try:
        done = 0
        for done in frames:
            if done % 10 == 0:
                yield done, total
        with VideoReader(tmp) as check:
            same = check.frame_count == total and bool(
                np.allclose(check.frame_times, times, atol=1e-4))
        if not same:
            raise FootcoachError(
                f"the proxy came out with {done} frames and different frame times than the "
                f"video's {total}; the original is used for seeking", source)
        os.replace(tmp, dest)
        _remove_stale(source, dest)
        yield total, total
    finally:
        frames.close()  # closes the files before the partial one is removed
        tmp.unlink(missing_ok=True)


def _transcode(source: Path, dest: Path, size: tuple[int, int], fps: float,
               turns: int = 0) -> Generator[int, None, None]:
    """Decode every frame of ``source``, scale it to ``size`` (the shown picture's), turn it
    ``turns`` quarter turns counter-clockwise (the source's display rotation, so that the proxy
    is stored upright) and encode it as an all-intra H.264 frame with its own timestamp;
    yields the number of frames written so far."""
    container = _open(source)
    out: av.container.OutputContainer | None = None
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        time_base = stream.time_base or Fraction(1, 90000)
        out = av.open(str(dest), mode="w", format="mp4")
        rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(25)
        enc = out.add_stream("libx264", rate=rate)
        enc.width, enc.height = size
        enc.pix_fmt = "yuv420p"
        enc.codec_context.time_base = time_base
        enc.codec_context.gop_size = 1
        enc.options = {"crf": str(PROXY_CRF), "preset": PROXY_PRESET,
                       "x264-params": "keyint=1:min-keyint=1:scenecut=0"}
        first: int | None = None
        for count, frame in enumerate(container.decode(stream)):
            pts = frame.pts if frame.pts is not None else frame.dts
            if pts is None:  # a stream without timestamps: frame index at the nominal rate
                pts = round(count / float(rate) / float(time_base))
            first = pts if first is None else first
            small = _shown(frame, size, turns)
            small.pts = pts - first
            small.time_base = time_base
            for packet in enc.encode(small):
                out.mux(packet)
            yield count + 1
        for packet in enc.encode(None):
            out.mux(packet)
    except _AvErrors as exc:
        raise FootcoachError(f"cannot build the scrubbing proxy: {exc}", source) from None
    finally:
        container.close()
        if out is not None:
            with contextlib.suppress(*_AvErrors):
                out.close()


def _shown(frame: av.VideoFrame, size: tuple[int, int], turns: int) -> av.VideoFrame:
    """``frame`` scaled to the shown ``size`` and turned upright, as yuv420p."""
    if turns % 4 == 0:
        return frame.reformat(width=size[0], height=size[1], format="yuv420p")
    stored = size if turns % 2 == 0 else (size[1], size[0])
    rgb = frame.to_ndarray(format="rgb24", width=stored[0], height=stored[1])
    upright = av.VideoFrame.from_ndarray(
        np.ascontiguousarray(np.rot90(rgb, turns), dtype=np.uint8), format="rgb24")
    return upright.reformat(format="yuv420p")


def _open(source: Path) -> av.container.InputContainer:
    try:
        return av.open(str(source), mode="r")
    except _AvErrors as exc:
        raise FootcoachError(f"cannot open the video to build a proxy: {exc}", source) from None


def _remove_stale(source: Path, keep: Path) -> None:
    """Delete older proxies of ``source`` (other size/mtime keys) beside ``keep``."""
    pattern = f"{glob.escape(source.name)}.*.proxy.mp4"
    for old in keep.parent.glob(pattern):
        if old != keep:
            with contextlib.suppress(OSError):
                old.unlink()


def build_proxy(source: str | Path, folder: str | Path, *,
                max_size: tuple[int, int] = PROXY_MAX_SIZE,
                progress: Callable[[int, int], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> Path | None:
    """Build (or find) the proxy of ``source`` in ``folder``; returns its path, or None when
    ``cancel()`` turned true before it was done. ``progress(done, total)`` is called every few
    frames."""
    dest = proxy_path(source, folder, max_size)
    if dest.is_file():
        return dest
    steps = iter_build_proxy(source, dest, max_size)
    try:
        for done, total in steps:
            if progress is not None:
                progress(done, total)
            if cancel is not None and cancel():
                return None
    finally:
        steps.close()
    return dest


def lower_thread_priority(niceness: int = 10) -> None:
    """Make the calling thread (and the codec threads it starts later) yield the CPU to the
    interactive ones (Linux: per-thread nice value; elsewhere nothing happens)."""
    import threading

    setpriority = getattr(os, "setpriority", None)
    if setpriority is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
