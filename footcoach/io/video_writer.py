"""H.264 MP4 writing with PyAV's bundled libx264, atomically.

:class:`H264Writer` encodes RGB frames at a constant frame rate into a temporary file beside the
target and renames it over the target only when closed cleanly; on an exception the temporary
file is removed, so a half-written video never appears under the final name. Used by the
simulator and by clip exports. With ``audio_rate`` it also carries an AAC audio track fed with
:meth:`H264Writer.write_audio`. :class:`QueuedWriter` runs a writer on a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import threading
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.audio
import cv2
import numpy as np

from footcoach.errors import FootcoachError

_AvErrors: tuple[type[BaseException], ...] = (av.FFmpegError, OSError)


def _as_rate(fps: float | Fraction) -> Fraction:
    """Frame rate as an exact fraction (29.97 -> 2997/100, 30000/1001 stays as it is)."""
    rate = fps if isinstance(fps, Fraction) else Fraction(fps).limit_denominator(1001)
    if not 0 < rate <= 1000:
        raise ValueError(f"fps must be in (0, 1000], got {fps!r}")
    return rate


class H264Writer:
    """Write ``(height, width, 3)`` uint8 RGB frames to an H.264 MP4 at a constant ``fps``.

    ``crf`` is x264's constant rate factor (0 lossless ... 51 worst; 23 default), ``preset`` its
    speed/size trade-off, ``gop`` the keyframe interval in frames (None: x264's default, up to
    250 frames; choose about one second for videos that the GUI seeks in). ``width`` and
    ``height`` must be even. Use as a context manager, or call :meth:`close` (commit) or
    :meth:`abort` (discard) yourself.

    ``audio_rate`` (samples per second) adds an AAC audio stream with ``audio_layout``
    (``"mono"``, ``"stereo"``...); feed it with :meth:`write_audio`, interleaved with the video
    frames (the audio sample ``k`` plays at ``k / audio_rate`` seconds, frame ``i`` at
    ``i / fps``).

    ``threads`` is x264's thread count: None lets x264 choose (fastest), 1 makes the file a
    function of the frames alone. With several threads x264 can encode the same frames into
    slightly different files from one run to the next (seen in a long test run: two encodes of
    identical frames differed by one byte and up to 3 levels per pixel).
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: float | Fraction,
        *,
        crf: int = 23,
        preset: str = "veryfast",
        gop: int | None = None,
        pix_fmt: str = "yuv420p",
        audio_rate: int | None = None,
        audio_layout: str = "stereo",
        threads: int | None = None,
    ):
        if int(width) != width or int(height) != height or width <= 0 or height <= 0:
            raise ValueError(f"width and height must be positive integers, got {width}x{height}")
        if width % 2 or height % 2:
            raise ValueError(f"H.264 needs an even width and height, got {width}x{height}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be in 0..51, got {crf}")
        if gop is not None and gop < 1:
            raise ValueError(f"gop must be >= 1 frame, got {gop}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be >= 1 (or None: automatic), got {threads}")
        self._threads = threads
        if audio_rate is not None and not 8000 <= int(audio_rate) <= 96000:
            raise ValueError(f"audio_rate must be in 8000..96000 Hz, got {audio_rate}")
        self._path = Path(path)
        self._width, self._height = int(width), int(height)
        self._rate = _as_rate(fps)
        if not self._path.parent.is_dir():
            raise FootcoachError("output folder does not exist", self._path)
        token = f"{os.getpid()}.{secrets.token_hex(4)}"
        self._tmp = self._path.with_name(f".{self._path.name}.{token}.part.mp4")
        self._frames = 0
        self._samples = 0
        self._audio: av.audio.stream.AudioStream | None = None
        self._audio_channels = 0
        self._done = False
        try:
            self._container = av.open(
                str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
            )
            self._stream = self._container.add_stream("libx264", rate=self._rate)
            self._configure(crf, preset, gop, pix_fmt)
            if audio_rate is not None:
                self._audio = self._container.add_stream(
                    "aac", rate=int(audio_rate), layout=audio_layout)
                self._audio_layout = audio_layout
                self._audio_channels = self._audio.layout.nb_channels
        except _AvErrors as exc:
            self._discard()
            raise FootcoachError(f"cannot create video: {exc}", self._path) from None
        except BaseException:
            self._discard()
            raise

    def _configure(self, crf: int, preset: str, gop: int | None, pix_fmt: str) -> None:
        stream = self._stream
        stream.width = self._width
        stream.height = self._height
        stream.pix_fmt = pix_fmt
        self._pix_fmt = pix_fmt
        stream.codec_context.time_base = 1 / self._rate
        options: dict[str, object] = {"crf": str(int(crf)), "preset": preset}
        if self._threads is not None:
            options["threads"] = str(int(self._threads))
        if gop is not None:
            stream.codec_context.gop_size = int(gop)
            # Exactly one keyframe every ``gop`` frames: predictable seek cost.
            options["x264-params"] = f"keyint={int(gop)}:min-keyint={int(gop)}:scenecut=0"
        stream.options = options

    @property
    def path(self) -> Path:
        """The final path (the file appears there on a clean close)."""
        return self._path

    @property
    def frames_written(self) -> int:
        return self._frames

    @property
    def audio_samples_written(self) -> int:
        """Audio samples (per channel) given to :meth:`write_audio` so far."""
        return self._samples

    @property
    def audio_channels(self) -> int:
        """Channels of the audio stream (0 without audio)."""
        return self._audio_channels

    def write_audio(self, samples: np.ndarray) -> None:
        """Encode audio: float32 array of shape (channels, n), planar, values in -1..1.

        Any ``n`` is accepted (the encoder buffers to its frame size). Raises ValueError when
        the writer has no audio stream or the shape does not match its layout.
        """
        if self._done:
            raise ValueError("H264Writer is closed")
        if self._audio is None:
            raise ValueError("this writer has no audio stream (pass audio_rate)")
        arr = np.asarray(samples, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != self._audio_channels:
            raise ValueError(f"audio must be float32 ({self._audio_channels}, n), got {arr.shape}")
        if arr.shape[1] == 0:
            return
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(arr), format="fltp",
                                           layout=self._audio_layout)
        frame.sample_rate = self._audio.rate
        frame.pts = self._samples
        frame.time_base = Fraction(1, self._audio.rate)
        try:
            for packet in self._audio.encode(frame):
                self._container.mux(packet)
        except _AvErrors as exc:
            raise FootcoachError(
                f"cannot encode audio: {exc}", self._path, f"sample {self._samples}"
            ) from None
        self._samples += int(arr.shape[1])

    def write(self, rgb: np.ndarray) -> None:
        """Encode one frame: uint8 array of shape (height, width, 3), RGB."""
        if self._done:
            raise ValueError("H264Writer is closed")
        arr = np.asarray(rgb)
        if arr.dtype != np.uint8 or arr.shape != (self._height, self._width, 3):
            raise ValueError(
                f"frame must be uint8 ({self._height}, {self._width}, 3), "
                f"got {arr.dtype} {arr.shape}"
            )
        if self._pix_fmt == "yuv420p":
            # OpenCV's BT.601 limited-range conversion is ~10x faster than PyAV's reformat and
            # gives the same levels (mean difference < 0.5).
            yuv = np.asarray(cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_RGB2YUV_I420),
                             dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        else:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), format="rgb24")
        frame.pts = self._frames
        frame.time_base = 1 / self._rate
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except _AvErrors as exc:
            raise FootcoachError(
                f"cannot encode frame: {exc}", self._path, f"frame {self._frames}"
            ) from None
        self._frames += 1

    def close(self) -> None:
        """Flush the encoder, finish the file and move it to :attr:`path`."""
        if self._done:
            return
        if self._frames == 0:
            self.abort()
            raise ValueError("no frames were written; nothing to save")
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            if self._audio is not None:
                for packet in self._audio.encode(None):
                    self._container.mux(packet)
            self._container.close()
            self._done = True
            os.replace(self._tmp, self._path)
        except _AvErrors as exc:
            self._discard()
            raise FootcoachError(f"cannot finish video: {exc}", self._path) from None
        except BaseException:
            self._discard()
            raise

    def abort(self) -> None:
        """Stop without saving: the temporary file is removed and :attr:`path` is untouched."""
        self._discard()

    def _discard(self) -> None:
        self._done = True
        container = getattr(self, "_container", None)
        if container is not None:
            with contextlib.suppress(*_AvErrors):
                container.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class QueuedWriter:
    """Runs an :class:`H264Writer` on a worker thread: :meth:`write` and :meth:`write_audio`
    queue their data (in order) and return at once, so the caller decodes or draws the next
    frame while this one is converted and encoded (PyAV and x264 release the GIL).

    An error in the worker is raised by the next call (or by :meth:`join`). Call :meth:`join`
    before closing the writer, or :meth:`stop` on the way out after an error or a cancel.
    """

    def __init__(self, writer: H264Writer, depth: int = 4) -> None:
        self.writer = writer
        self._queue: queue.Queue[tuple[str, np.ndarray] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="footcoach-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain until join
            kind, data = item
            try:
                if kind == "video":
                    self.writer.write(data)
                else:
                    self.writer.write_audio(data)
            except BaseException as exc:  # handed to the caller by _check
                self._error = exc

    def write(self, rgb: np.ndarray) -> None:
        """Queue one (height, width, 3) uint8 RGB frame (do not modify it afterwards)."""
        self._check()
        self._queue.put(("video", rgb))

    def write_audio(self, samples: np.ndarray) -> None:
        """Queue float32 (channels, n) audio (see :meth:`H264Writer.write_audio`)."""
        self._check()
        self._queue.put(("audio", samples))

    def join(self) -> None:
        """Wait until everything queued is encoded and stop the worker; raise its error."""
        self.stop()
        self._check()

    def stop(self) -> None:
        """Wait until everything queued is handled and stop the worker (never raises)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _check(self) -> None:
        if self._error is not None:
            raise self._error
