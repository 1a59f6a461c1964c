"""Frame-accurate video reading with PyAV.

:class:`VideoReader` opens a file, builds a presentation-timestamp (PTS) index by demuxing every
packet of the video stream (no decoding, a few ms per minute of video) and then serves any frame
by index or time:

* ``frame(i)`` seeks to the keyframe at or before frame ``i`` and decodes forward to the exact PTS.
  The decoder position is kept, so forward requests (``i+1``, ``i+2`` ...) continue decoding
  instead of seeking again; that is what playback and stepping need.
* ``frame_times`` holds the presentation time of every frame in seconds relative to the first
  frame, so variable-frame-rate files (phones) map to the session clock correctly.
* Phone videos carry a display rotation (the container's display matrix: a phone held upside
  down or upright). Frames come out as they are meant to be shown, turned by the rotation's
  nearest quarter turn, and ``width``/``height`` are those of the shown picture; every pixel
  coordinate in footcoach (pitch calibration, tracking boxes, crops) refers to that picture.
* Every problem with the file (missing, empty, not a video, no video stream, truncated, damaged
  frames) is raised as :class:`~footcoach.errors.FootcoachError` naming the file and, where it
  applies, the frame index and time. PyAV exceptions never escape.

A reader is not thread-safe: use one reader per thread (a GUI loader thread owns its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Literal

import av
import av.container
import av.video
import numpy as np

from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.yuv import Yuv420Picture, yuv420_picture

# Times within this many seconds are treated as equal when mapping a time to a frame, so that
# ``index_at_time(i / fps)`` gives frame ``i`` even after float rounding in the caller.
TIME_TOLERANCE_S = 1e-6

_AvErrors: tuple[type[BaseException], ...] = (av.FFmpegError, OSError, ValueError, EOFError)


@dataclass(frozen=True)
class VideoInfo:
    """Summary of a video file, as shown by ``footcoach check`` / ``footcoach new``."""

    path: Path
    fps: float  # nominal frame rate (frames per second)
    frame_count: int  # exact number of frames (from the packet index)
    duration_s: float  # first frame to end of the last frame, seconds
    width: int  # pixels, of the shown picture (after the display rotation)
    height: int  # pixels
    codec: str  # FFmpeg decoder name, e.g. "h264"
    has_audio: bool
    rotation: int = 0  # display rotation applied, degrees counter-clockwise (0/90/180/270)


@dataclass(frozen=True)
class _PtsIndex:
    pts: np.ndarray  # int64 (N,) sorted presentation timestamps in stream time_base units
    keyframes: np.ndarray  # int64 (K,) frame indices of keyframes, sorted, starts with 0
    last_duration: int  # duration of the last frame in time_base units (0 if unknown)


def _open_container(path: Path) -> av.container.InputContainer:
    """Open ``path`` for reading, turning every failure into a FootcoachError."""
    if not path.exists():
        raise FootcoachError("video file not found", path)
    if not path.is_file():
        raise FootcoachError("not a file (a folder or device?)", path)
    if path.stat().st_size == 0:
        raise FootcoachError("video file is empty (0 bytes)", path)
    try:
        container = av.open(str(path), mode="r")
    except _AvErrors as exc:
        raise FootcoachError(
            "cannot open as video: not a video file, or the file is damaged or truncated "
            f"(FFmpeg: {_reason(exc)})",
            path,
        ) from None
    if not container.streams.video:
        container.close()
        raise FootcoachError("file has no video stream", path)
    return container


def _reason(exc: BaseException) -> str:
    """Short FFmpeg error text without PyAV's errno prefix and file name suffix."""
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return str(exc.strerror)
    return str(exc) or type(exc).__name__


def _build_index(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    diagnostics: Diagnostics,
) -> _PtsIndex:
    """Demux all packets of ``stream`` (no decoding) and index their presentation timestamps."""
    pts_list: list[int] = []
    key_pts: list[int] = []
    last_pts, last_duration = None, 0  # the frame shown last and how long it lasts
    seen = 0
    corrupt = 0
    try:
        for packet in container.demux(stream):
            if packet.size == 0:  # the end-of-stream flush packet
                continue
            seen += 1
            if packet.is_discard:  # dropped by an edit list, never displayed
                continue
            corrupt += int(packet.is_corrupt)
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None:
                raise FootcoachError(
                    "video packets carry no timestamps (raw elementary stream?); remux it into "
                    "an MP4 or MKV container, e.g. ffmpeg -i in.h264 -c copy out.mp4",
                    path,
                    f"frame {len(pts_list)}",
                )
            pts_list.append(ts)
            if last_pts is None or ts >= last_pts:
                last_pts, last_duration = ts, int(packet.duration or 0)
            if packet.is_keyframe:
                key_pts.append(ts)
    except _AvErrors as exc:
        diagnostics.warn(
            f"reading stopped after {len(pts_list)} frames: {_reason(exc)}", path, "index"
        )
    if not pts_list:
        raise FootcoachError("video stream contains no frames", path)
    declared = int(stream.frames or 0)
    if declared > seen:
        at = _where_text(len(pts_list), pts_list, stream.time_base)
        raise FootcoachError(
            f"file is truncated or damaged: the container lists {declared} frames but only "
            f"{seen} can be read",
            path,
            at,
        )
    if corrupt:
        diagnostics.warn(f"{corrupt} video packets are flagged corrupt", path)
    pts = np.asarray(pts_list, dtype=np.int64)
    pts.sort()
    unique = np.unique(pts)
    if unique.size != pts.size:
        diagnostics.warn(
            f"{pts.size - unique.size} frames share a timestamp with another frame; kept one each",
            path,
        )
        pts = unique
    keyframes = np.unique(np.searchsorted(pts, np.asarray(key_pts, dtype=np.int64)))
    if keyframes.size == 0 or keyframes[0] != 0:
        keyframes = np.concatenate([[0], keyframes]).astype(np.int64)
    return _PtsIndex(pts, keyframes.astype(np.int64), last_duration)


def _where_text(index: int, pts_list: list[int], time_base: Fraction | None) -> str:
    if not pts_list or time_base is None:
        return f"frame {index}"
    t = float((max(pts_list) - min(pts_list)) * time_base)
    return f"frame {index} (after t={t:.3f} s)"


class VideoReader:
    """Random-access, frame-accurate reader for one video file.

    ``VideoReader(path)`` opens the file and indexes it; use it as a context manager or call
    :meth:`close`. Frames are returned as ``(height, width, 3)`` uint8 RGB arrays, turned by
    the stream's display rotation (:attr:`rotation`).

    ``thread_type`` is FFmpeg's decoder threading: ``"AUTO"`` (frame + slice threads, one per
    CPU; best throughput on multi-core machines) or ``"SLICE"`` (effectively one thread for
    x264 streams; lower latency on a busy 2-core machine).
    """

    _width: int  # of the shown picture (after the display rotation), pixels
    _height: int

    def __init__(self, path: str | Path, *, thread_type: str = "AUTO"):
        self._path = Path(path)
        self.diagnostics = Diagnostics()
        self._container = _open_container(self._path)
        try:
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = thread_type
            self._index = _build_index(self._container, self._stream, self._path, self.diagnostics)
            self._init_metadata()
        except BaseException:
            self._container.close()
            raise
        self._decoder: Iterator[av.VideoFrame] | None = None
        self._last_index = -1  # index of the frame the decoder produced last (-1: none)
        self._last_frame: av.VideoFrame | None = None
        self._seek_count = 0
        self._target_pts = 0
        self._closed = False
        self._turns = 0
        self._peek_rotation()

    def _peek_rotation(self) -> None:
        """Read the display rotation from the first frame (FFmpeg attaches the container's
        display matrix to decoded frames); a first frame that does not decode leaves it 0, and
        its error comes back when that frame is asked for."""
        try:
            first = self._decode_to(0)
        except FootcoachError:
            self._decoder = None
            self._last_index = -1
            self._last_frame = None
            return
        self._turns = quarter_turns(float(first.rotation))
        self._seek_count = 0  # the opening's seek is not counted
        if self._turns % 2:
            self._width, self._height = self._height, self._width

    def _init_metadata(self) -> None:
        stream = self._stream
        tb = stream.time_base
        if tb is None or tb <= 0:
            raise FootcoachError("video stream has no time base", self._path)
        self._time_base = Fraction(tb)
        rel = (self._index.pts - self._index.pts[0]).astype(np.float64)
        times = rel * float(tb.numerator) / float(tb.denominator)
        times.setflags(write=False)
        self._times = times
        fps = 0.0
        for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
            if rate is not None and 0 < float(rate) < 10_000:
                fps = float(rate)
                break
        n = len(times)
        if fps == 0.0 and n > 1 and times[-1] > 0:
            fps = (n - 1) / float(times[-1])
        self._fps = fps
        last = float(self._index.last_duration * self._time_base)
        if last <= 0:
            last = 1.0 / fps if fps > 0 else 0.0
        self._duration = float(times[-1]) + last
        ctx = stream.codec_context
        self._width = int(ctx.width)
        self._height = int(ctx.height)
        if self._width <= 0 or self._height <= 0:
            raise FootcoachError("video stream has no frame size", self._path)
        keyframes = self._index.keyframes.copy()
        keyframes.setflags(write=False)
        self._keyframes = keyframes

    # -- metadata ---------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def fps(self) -> float:
        """Nominal frame rate in frames per second (the container's average rate)."""
        return self._fps

    @property
    def frame_count(self) -> int:
        """Exact number of frames (entries of the PTS index)."""
        return len(self._times)

    @property
    def duration_s(self) -> float:
        """Seconds from the first frame's start to the end of the last frame."""
        return self._duration

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def rotation(self) -> int:
        """Counter-clockwise turn applied to the stored pictures to show them, in degrees
        (0, 90, 180 or 270; an upright phone video is usually 270)."""
        return 90 * self._turns

    @property
    def codec(self) -> str:
        return str(self._stream.codec_context.name)

    @property
    def start_time_s(self) -> float:
        """Presentation time of the first frame in the file's own clock (usually 0), seconds."""
        return float(self._index.pts[0] * self._time_base)

    @property
    def frame_times(self) -> np.ndarray:
        """float64 (N,) presentation time of each frame in seconds, first frame at 0, sorted."""
        return self._times

    @property
    def keyframe_indices(self) -> np.ndarray:
        """int64 (K,) indices of the keyframes (seek points), sorted; always starts with 0."""
        return self._keyframes

    @property
    def seek_count(self) -> int:
        """How many container seeks this reader has made (for tests and benchmarks)."""
        return self._seek_count

    @property
    def info(self) -> VideoInfo:
        return VideoInfo(
            path=self._path,
            fps=self._fps,
            frame_count=self.frame_count,
            duration_s=self._duration,
            width=self._width,
            height=self._height,
            codec=self.codec,
            has_audio=bool(self._container.streams.audio),
            rotation=self.rotation,
        )

    # -- time <-> index ---------------------------------------------------------------------

    def index_at_time(self, t_s: float) -> int:
        """Index of the frame displayed at ``t_s`` seconds (the last frame with time <= t).

        Raises IndexError when ``t_s`` is before the first frame or at/after the end of the video.
        """
        t = float(t_s)
        if not np.isfinite(t) or t < -TIME_TOLERANCE_S or t >= self._duration:
            raise IndexError(f"time {t_s!r} s is outside the video (0 to {self._duration:.3f} s)")
        i = int(np.searchsorted(self._times, t + TIME_TOLERANCE_S, side="right")) - 1
        return max(i, 0)

    def frame_at_time(self, t_s: float) -> tuple[int, np.ndarray]:
        """``(index, rgb)`` of the frame shown at ``t_s`` seconds (see :meth:`index_at_time`)."""
        i = self.index_at_time(t_s)
        return i, self.frame(i)

    # -- decoding ---------------------------------------------------------------------------

    def frame(self, index: int, *, size: tuple[int, int] | None = None) -> np.ndarray:
        """Frame ``index`` as an RGB uint8 array of shape (height, width, 3).

        ``size=(width, height)`` scales the frame during colour conversion.
        """
        return self._rgb(self._decode_to(self._check_index(index)), size)

    def _rgb(self, frame: av.VideoFrame, size: tuple[int, int] | None) -> np.ndarray:
        """``frame`` as shown: converted to RGB (scaled to ``size``) and turned."""
        if not self._turns:
            return _to_rgb(frame, size)
        stored = size if size is None or self._turns % 2 == 0 else (size[1], size[0])
        return np.ascontiguousarray(np.rot90(_to_rgb(frame, stored), self._turns))

    def picture_yuv420(self, index: int) -> Yuv420Picture | None:
        """Frame ``index`` as 8-bit 4:2:0 planes (no colour conversion, no copy), or None when
        the stream is in another format or has a display rotation (use :meth:`frame`). See
        :mod:`footcoach.io.yuv`."""
        frame = self._decode_to(self._check_index(index))
        return None if self._turns else yuv420_picture(frame)

    def iter_frames(
        self,
        start: int = 0,
        stop: int | None = None,
        step: int = 1,
        *,
        size: tuple[int, int] | None = None,
    ) -> Iterator[tuple[int, float, np.ndarray]]:
        """Decode frames ``start, start+step, ... < stop`` in order.

        Yields ``(index, time_s, rgb)`` with ``rgb`` (height, width, 3) uint8 (or scaled to
        ``size=(width, height)``). With ``step > 1`` the skipped frames are decoded but not
        converted to RGB (or skipped by seeking when a keyframe lies between).
        """
        if step < 1:
            raise ValueError(f"step must be >= 1, got {step}")
        n = self.frame_count
        stop = n if stop is None else min(int(stop), n)
        start = int(start)
        if start < 0:
            raise IndexError(f"start {start} is negative")
        for i in range(start, stop, step):
            yield i, float(self._times[i]), self._rgb(self._decode_to(i), size)

    def _check_index(self, index: int) -> int:
        i = int(index)
        if not 0 <= i < self.frame_count:
            raise IndexError(f"frame index {index} out of range (video has {self.frame_count})")
        return i

    def _keyframe_before(self, index: int) -> int:
        k = int(np.searchsorted(self._keyframes, index, side="right")) - 1
        return int(self._keyframes[max(k, 0)])

    def _decode_to(self, index: int) -> av.VideoFrame:
        """Return the decoded frame ``index``, seeking only when decoding forward costs more."""
        if self._closed:
            raise ValueError("VideoReader is closed")
        if index == self._last_index and self._last_frame is not None:
            return self._last_frame
        keyframe = self._keyframe_before(index)
        if self._decoder is not None and keyframe <= self._last_index + 1 <= index:
            frame = self._decode_forward(index)
            if frame is not None:
                return frame
        # Seek to the keyframe before the target; should the demuxer land after the target
        # (imprecise seek tables), retry once from the keyframe before that.
        k = int(np.searchsorted(self._keyframes, keyframe))
        for candidate in sorted({keyframe, int(self._keyframes[max(k - 1, 0)])}, reverse=True):
            self._seek(candidate)
            frame = self._decode_forward(index)
            if frame is not None:
                return frame
        raise FootcoachError(
            "the decoder gave no picture for this frame (missing or damaged data)",
            self._path,
            self._where(index),
        )

    def _seek(self, keyframe_index: int) -> None:
        pts = int(self._index.pts[keyframe_index])
        try:
            self._container.seek(pts, stream=self._stream, backward=True, any_frame=False)
        except _AvErrors as exc:
            raise FootcoachError(
                f"cannot seek to frame {keyframe_index}: {_reason(exc)}",
                self._path,
                self._where(keyframe_index),
            ) from None
        self._seek_count += 1
        self._decoder = self._decode_packets()
        self._last_index = -1
        self._last_frame = None

    def _decode_packets(self) -> Iterator[av.VideoFrame]:
        """Decoded frames from the current demuxer position, in presentation order.

        Packets shown before the wanted frame (``self._target_pts``) that no other frame refers
        to (non-reference B-frames) are dropped by the decoder undecoded: exact, and about
        twice as fast when seeking in streams with B-frames.
        """
        ctx = self._stream.codec_context
        for packet in self._container.demux(self._stream):
            early = packet.pts is not None and packet.pts < self._target_pts
            wanted: Literal["NONREF", "DEFAULT"] = "NONREF" if early else "DEFAULT"
            if ctx.skip_frame != wanted:
                ctx.skip_frame = wanted
            yield from ctx.decode(packet)

    def _decode_forward(self, index: int) -> av.VideoFrame | None:
        """Decode until frame ``index``; None when the decoder passed it (or started after it)."""
        assert self._decoder is not None
        pts = self._index.pts
        self._target_pts = int(pts[index])
        try:
            for frame in self._decoder:
                ts = frame.pts if frame.pts is not None else frame.dts
                if ts is None:
                    continue
                i = int(np.searchsorted(pts, ts, side="right")) - 1
                if i < 0:
                    continue
                self._last_index = i
                self._last_frame = frame
                if i == index:
                    return frame
                if i > index:
                    return None
        except _AvErrors as exc:
            self._decoder = None
            self._last_index = -1
            self._last_frame = None
            raise FootcoachError(
                f"cannot decode this frame, the data is damaged (FFmpeg: {_reason(exc)})",
                self._path,
                self._where(index),
            ) from None
        self._decoder = None  # end of stream: the next request seeks
        self._last_index = -1
        self._last_frame = None
        return None

    def _where(self, index: int) -> str:
        return f"frame {index} (t={self._times[index]:.3f} s)"

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._decoder = None
            self._last_frame = None
            self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"VideoReader({str(self._path)!r}, {self._width}x{self._height}, "
            f"{self.frame_count} frames, {self._fps:.3f} fps)"
        )


def quarter_turns(rotation_deg: float) -> int:
    """Counter-clockwise quarter turns (0-3) nearest to a display rotation in degrees (PyAV's
    ``VideoFrame.rotation``: counter-clockwise, -180..180)."""
    if not np.isfinite(rotation_deg):
        return 0
    return round(rotation_deg / 90.0) % 4


def _to_rgb(frame: av.VideoFrame, size: tuple[int, int] | None) -> np.ndarray:
    """(H, W, 3) uint8 RGB array of ``frame``, optionally scaled to ``size=(width, height)``."""
    if size is None:
        rgb = frame.to_ndarray(format="rgb24")
    else:
        w, h = int(size[0]), int(size[1])
        if w <= 0 or h <= 0:
            raise ValueError(f"size must be positive (width, height), got {size!r}")
        rgb = frame.to_ndarray(format="rgb24", width=w, height=h)
    return np.ascontiguousarray(rgb)


def probe_video(path: str | Path) -> VideoInfo:
    """Open, index and decode the first frame of ``path``; return its :class:`VideoInfo`.

    Raises FootcoachError when the file is not a readable video.
    """
    with VideoReader(path) as reader:
        reader.frame(0)
        return reader.info
