"""Annotated video clips: events (or a time range) of a session cut from its video, with the
players' labels, a pitch map and a title bar drawn on every frame, written as one H.264 MP4.

* :func:`plan_clip` decides what is cut: per event the range ``[start - pad, end + pad)``
  clipped to the video, or the ``--from/--to`` range (which must lie in the video); several
  events make a playlist with a :data:`TITLE_CARD_S` title card before each clip.
* :func:`write_clip` is the writer loop, a generator yielding :class:`ClipProgress` (the last
  one carries the :class:`ClipResult`); ``cancel()`` returning True, an exception or closing
  the generator leaves no file behind (:func:`footcoach.export.output.atomic_output`).
  :func:`export_clip` drives it with a ``progress(done, total, message)`` callback.

Output: the source's size (cropped to even) and nominal frame rate, constant rate: output frame
``k`` of a clip shows the source frame displayed at ``t0 + k / fps`` (for constant-rate sources
exactly the source frames). A source audio track is re-encoded to AAC and cut to the same
ranges (silence under the title cards). Times: the session clock in seconds; the video's first
frame lies at ``VideoRef.start_s`` on it.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import av
import av.container
import numpy as np

from footcoach.app.load import load_session
from footcoach.app.reviewed import ReviewedSession, load_reviewed
from footcoach.domain.events import Event
from footcoach.domain.session import Player
from footcoach.errors import FootcoachError
from footcoach.export.clip_overlay import OverlaySource, clip_ball, clip_positions, draw_overlay
from footcoach.export.output import atomic_output, check_output
from footcoach.export.title_card import action_rgb, clock_text, event_card, event_title
from footcoach.io.video import VideoReader
from footcoach.io.video_writer import H264Writer, QueuedWriter

Cancel = Callable[[], bool]
Progress = Callable[[int, int, str], None]

TITLE_CARD_S = 1.5
"""Seconds of title card before each clip of a playlist (several events)."""
DEFAULT_PAD_S = 1.0
"""Seconds of video kept before and after an event."""
_EPS = 1e-6


@dataclass(frozen=True)
class ClipRequest:
    """What to cut: ``event_ids`` (one clip each, in this order) or ``time_range`` (session
    seconds ``(from, to)``). ``player_id`` is highlighted (default: each event's player);
    ``pad_s`` seconds are kept around each event."""

    event_ids: tuple[str, ...] = ()
    time_range: tuple[float, float] | None = None
    player_id: str | None = None
    pad_s: float = DEFAULT_PAD_S


@dataclass(frozen=True)
class ClipSegment:
    """One cut: ``n_frames`` output frames from video time ``video_t0`` (seconds from the first
    frame; the display time of a source frame), covering ``[start_s, end_s)`` on the session
    clock. ``title`` is the fixed title bar (None: the highlighted player's current event)."""

    start_s: float
    end_s: float
    video_t0: float
    n_frames: int
    event: Event | None
    highlight: str | None
    title: str | None
    card: bool


@dataclass(frozen=True)
class ClipPlan:
    """Every segment of the output and the output's format."""

    segments: tuple[ClipSegment, ...]
    fps: float
    width: int  # even, pixels
    height: int  # even, pixels
    card_frames: int  # frames per title card
    video_start_s: float  # session time of the video's first frame

    @property
    def total_frames(self) -> int:
        return sum(s.n_frames + (self.card_frames if s.card else 0) for s in self.segments)

    @property
    def duration_s(self) -> float:
        return self.total_frames / self.fps


@dataclass(frozen=True)
class ClipResult:
    """A finished clip: where, how long, and how fast it was made."""

    path: Path
    frames: int
    duration_s: float
    fps: float
    width: int
    height: int
    clips: int
    audio: bool
    synthetic: bool
    elapsed_s: float

    @property
    def encode_fps(self) -> float:
        """Output frames made per second of wall time (decode + draw + encode)."""
        return self.frames / self.elapsed_s if self.elapsed_s > 0 else 0.0


class ClipProgress(NamedTuple):
    """One progress report (frames done of total); the last one carries the result."""

    done: int
    total: int
    message: str
    result: ClipResult | None = None


# ------------------------------------------------------------------------------- planning
def plan_clip(reviewed: ReviewedSession, reader: VideoReader, request: ClipRequest) -> ClipPlan:
    """The segments of ``request`` on ``reader``'s video (see the module docstring).

    Raises FootcoachError for an unknown event or player, a bad pad, a range outside the video
    or an event that the video does not show.
    """
    session = reviewed.session
    if session.video is None:
        raise FootcoachError("the session has no video; a clip needs one", reviewed.folder)
    if bool(request.event_ids) == (request.time_range is not None):
        raise ValueError("give either event ids or a time range")
    if not (math.isfinite(request.pad_s) and request.pad_s >= 0):
        raise FootcoachError(f"the pad must be a number of seconds >= 0, got {request.pad_s}",
                             reviewed.folder)
    if request.player_id is not None:
        _player(reviewed, request.player_id, strict=True)
    fps = reader.fps
    v0 = session.video.start_s
    span = (v0, v0 + reader.duration_s)
    segments: list[ClipSegment] = []
    if request.time_range is not None:
        a, b = (float(x) for x in request.time_range)
        _check_range(a, b, span, fps, reviewed.folder)
        title = None if request.player_id else \
            f"{session.name} - {clock_text(a)} to {clock_text(b)}"
        segments.append(_segment(reader, v0, a, b, None, request.player_id, title, False))
    else:
        playlist = len(request.event_ids) > 1
        for event_id in request.event_ids:
            ev = reviewed.event(event_id)
            a = max(ev.start_s - request.pad_s, span[0])
            b = min(ev.end_s + request.pad_s, span[1])
            if b - a < 1.0 / fps:
                raise FootcoachError(
                    f"event {ev.id} ({clock_text(ev.start_s)} to {clock_text(ev.end_s)}) is not "
                    f"in the video, which covers {clock_text(span[0])} to {clock_text(span[1])} "
                    "on the session clock", reviewed.folder)
            player = _player(reviewed, ev.player_id)
            segments.append(_segment(reader, v0, a, b, ev, request.player_id or ev.player_id,
                                     event_title(ev, player), playlist))
    return ClipPlan(tuple(segments), fps, reader.width - reader.width % 2,
                    reader.height - reader.height % 2, round(TITLE_CARD_S * fps), v0)


def _check_range(a: float, b: float, span: tuple[float, float], fps: float,
                 folder: Path) -> None:
    if not (math.isfinite(a) and math.isfinite(b)) or b - a < 1.0 / fps - _EPS:
        raise FootcoachError(f"the range {a:g} to {b:g} s must be at least one frame "
                             f"({1.0 / fps:.3f} s) long, its end after its start", folder)
    tol = 0.5 / fps
    if a < span[0] - tol or b > span[1] + tol:
        raise FootcoachError(
            f"the range {a:g} to {b:g} s is outside the video, which covers {span[0]:g} to "
            f"{span[1]:g} s on the session clock", folder)


def _segment(reader: VideoReader, v0: float, a: float, b: float, event: Event | None,
             highlight: str | None, title: str | None, card: bool) -> ClipSegment:
    """The output frames covering session times [a, b): from the source frame shown at ``a``
    at the source's nominal rate, stopping at ``b`` and at the end of the video."""
    fps = reader.fps
    first = reader.index_at_time(min(max(a - v0, 0.0), reader.duration_s - _EPS))
    t0 = float(reader.frame_times[first])
    n = math.ceil((b - v0 - t0) * fps - _EPS)
    n = max(1, min(n, math.ceil((reader.duration_s - t0) * fps - _EPS)))
    return ClipSegment(v0 + t0, b, t0, n, event, highlight, title, card)


def _player(reviewed: ReviewedSession, player_id: str, strict: bool = False) -> Player | None:
    try:
        return reviewed.session.player(player_id)
    except KeyError:
        if not strict:
            return None
        known = ", ".join(p.id for p in reviewed.session.players) or "none"
        raise FootcoachError(f"no player {player_id!r} in the session (players: {known})",
                             reviewed.folder / "session.toml") from None


# ------------------------------------------------------------------------------- writing
def write_clip(folder: str | Path, out: str | Path, request: ClipRequest, *,
               force: bool = False, cancel: Cancel | None = None
               ) -> Generator[ClipProgress, None, None]:
    """Cut ``request`` from the session in ``folder`` into ``out`` (H.264 MP4).

    Yields :class:`ClipProgress` about every quarter second of output; the last one has the
    result. Raises FootcoachError on bad input (before any work when ``out`` exists without
    ``force``), and FootcoachError("cancelled") when ``cancel()`` turns True.
    """
    started = time.perf_counter()
    folder, out = Path(folder), check_output(out, force=force)
    reviewed = load_reviewed(folder, require_events=bool(request.event_ids))
    session = reviewed.session
    if session.video is None:
        raise FootcoachError("the session has no video; a clip needs one",
                             folder / "session.toml")
    with VideoReader(session.path(session.video.file)) as reader:
        plan = plan_clip(reviewed, reader, request)
        total = plan.total_frames
        yield ClipProgress(0, total, "loading positions")
        loaded = load_session(folder, imu="lazy")
        overlay = OverlaySource(session, clip_positions(loaded), reviewed.events,
                                (reader.width, reader.height), ball=clip_ball(loaded))
        audio = AudioSource.open(reader.path, reader.start_time_s) \
            if reader.info.has_audio else None
        try:
            with atomic_output(out, force=force) as tmp, H264Writer(
                    tmp, plan.width, plan.height, plan.fps, crf=20, preset="veryfast",
                    gop=max(round(plan.fps), 1),
                    audio_rate=audio.rate if audio else None,
                    audio_layout=audio.layout if audio else "stereo") as writer:
                loop = _Loop(plan, reader, overlay, audio, reviewed, cancel, out)
                yield from loop.run(writer)
        finally:
            if audio is not None:
                audio.close()
    result = ClipResult(out, total, plan.duration_s, plan.fps, plan.width, plan.height,
                        len(plan.segments), audio is not None, reviewed.synthetic,
                        time.perf_counter() - started)
    yield ClipProgress(total, total, "done", result)


def export_clip(folder: str | Path, out: str | Path, request: ClipRequest, *,
                force: bool = False, progress: Progress | None = None,
                cancel: Cancel | None = None) -> ClipResult:
    """:func:`write_clip` run to the end; ``progress(done, total, message)`` on the way."""
    result = None
    for p in write_clip(folder, out, request, force=force, cancel=cancel):
        if progress is not None:
            progress(p.done, p.total, p.message)
        result = p.result or result
    assert result is not None
    return result


class _Loop:
    """The frame loop: title cards, decoded frames with overlays, audio kept in step.

    Three stages overlap: a worker thread decodes the source frames ahead (:class:`_Ahead`),
    this thread draws the overlays, and a :class:`QueuedWriter` encodes."""

    def __init__(self, plan: ClipPlan, reader: VideoReader, overlay: OverlaySource,
                 audio: AudioSource | None, reviewed: ReviewedSession, cancel: Cancel | None,
                 out: Path) -> None:
        self.plan, self.reader, self.overlay, self.audio = plan, reader, overlay, audio
        self.reviewed, self.cancel, self.out = reviewed, cancel, out
        self.done = 0
        self.samples = 0
        self.every = max(round(plan.fps / 4), 1)
        self.indices = [self._source_indices(seg) for seg in plan.segments]

    def _source_indices(self, seg: ClipSegment) -> list[int]:
        """Source frame shown at each output frame of ``seg`` (constant output rate)."""
        reader, fps = self.reader, self.plan.fps
        last = reader.duration_s - _EPS
        return [reader.index_at_time(min(seg.video_t0 + k / fps, last))
                for k in range(seg.n_frames)]

    def _decode_all(self) -> Iterator[np.ndarray]:
        for indices in self.indices:
            for index in indices:
                yield self.reader.frame(index)

    def run(self, writer: H264Writer) -> Iterator[ClipProgress]:
        queued = QueuedWriter(writer)
        ahead = _Ahead(self._decode_all, depth=6)
        try:
            yield from self._frames(queued, ahead)
            queued.join()
        finally:
            ahead.close()
            queued.stop()

    def _frames(self, writer: QueuedWriter, ahead: _Ahead) -> Iterator[ClipProgress]:
        plan, total = self.plan, self.plan.total_frames
        count = len(plan.segments)
        for i, (seg, indices) in enumerate(zip(plan.segments, self.indices, strict=True),
                                           start=1):
            what = f"clip {i}/{count}" if count > 1 else "clip"
            if seg.card and seg.event is not None:
                card = event_card(plan.width, plan.height, seg.event,
                                  _player(self.reviewed, seg.event.player_id), index=i,
                                  count=count, session_name=self.reviewed.session.name,
                                  synthetic=self.reviewed.synthetic)
                for _ in range(plan.card_frames):
                    self._emit(writer, card, None)
                    if self.done % self.every == 0:
                        yield ClipProgress(self.done, total, f"{what}: title card")
            cut = self.audio.cut(seg.video_t0) if self.audio is not None else None
            for k, index in enumerate(indices):
                rgb = ahead.get()[: plan.height, : plan.width]
                t = plan.video_start_s + float(self.reader.frame_times[index])
                scene = self.overlay.scene(t, highlight=seg.highlight, title=seg.title,
                                           accent=action_rgb(seg.event) if seg.event else None)
                scene.timeline = (seg.start_s, seg.start_s + seg.n_frames / plan.fps, t)
                if seg.event is not None:
                    scene.event_span = (seg.event.start_s, seg.event.end_s)
                self._emit(writer, draw_overlay(np.ascontiguousarray(rgb), scene), cut)
                if self.done % self.every == 0 or k == seg.n_frames - 1:
                    yield ClipProgress(self.done, total, f"{what}: frame {k + 1}/{seg.n_frames}")

    def _emit(self, writer: QueuedWriter, rgb: np.ndarray, cut: AudioSource.Cut | None) -> None:
        """Encode one frame and the audio that plays with it (silence when ``cut`` is None)."""
        if self.cancel is not None and self.cancel():
            raise FootcoachError("cancelled", self.out)
        writer.write(rgb)
        self.done += 1
        if self.audio is None:
            return
        n = round(self.done * self.audio.rate / self.plan.fps) - self.samples
        if n > 0:
            writer.write_audio(cut.read(n) if cut is not None else
                               np.zeros((self.audio.channels, n), np.float32))
            self.samples += n


class _Ahead:
    """Runs an iterator on a worker thread, up to ``depth`` items ahead of :meth:`get`.
    The worker's exception is raised by :meth:`get`; :meth:`close` stops it early."""

    _END = object()

    def __init__(self, make: Callable[[], Iterator[np.ndarray]], depth: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(make,), daemon=True,
                                        name="footcoach-clip-decode")
        self._thread.start()

    def _run(self, make: Callable[[], Iterator[np.ndarray]]) -> None:
        try:
            for item in make():
                if not self._put(item):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the consumer by get()
            self._put(exc)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> np.ndarray:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        if item is self._END:
            raise RuntimeError("the decoder ended before the planned frames")
        assert isinstance(item, np.ndarray)
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------------------- audio
class AudioSource:
    """The source file's first audio track, decoded as planar float32 at the output's rate and
    layout (mono stays mono, anything else becomes stereo), one :class:`Cut` per clip."""

    AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200,
                 96000)

    def __init__(self, path: Path, container: av.container.InputContainer,
                 first_frame_s: float) -> None:
        self.path = path
        self._container = container
        self._stream = container.streams.audio[0]
        self._first_frame_s = first_frame_s
        rate = int(self._stream.rate or 0)
        self.rate = rate if rate in self.AAC_RATES else 48000
        self.layout = "mono" if self._stream.channels == 1 else "stereo"
        self.channels = 1 if self.layout == "mono" else 2

    @classmethod
    def open(cls, path: Path, first_frame_s: float) -> AudioSource:
        """``first_frame_s``: the file time of the first video frame (audio is cut relative to
        the video)."""
        try:
            container = av.open(str(path))
        except (av.FFmpegError, OSError) as exc:
            raise FootcoachError(f"cannot open the audio: {exc}", path) from None
        return cls(path, container, first_frame_s)

    def cut(self, video_t0: float) -> AudioSource.Cut:
        """The audio from ``video_t0`` seconds after the first video frame onwards."""
        return AudioSource.Cut(self, video_t0)

    def close(self) -> None:
        self._container.close()

    class Cut:
        """Reads the audio from one start time: :meth:`read` gives the next ``n`` samples,
        silence where the file has none."""

        def __init__(self, source: AudioSource, video_t0: float) -> None:
            self.src = source
            self.start = source._first_frame_s + video_t0  # file time, seconds
            self._buf = np.zeros((source.channels, 0), np.float32)
            self._skip: int | None = None  # samples to drop before the start (None: unknown)
            self._frames = self._decode()

        def _decode(self) -> Iterator[tuple[float | None, np.ndarray]]:
            """(file time of the first sample or None, (channels, k) float32) blocks."""
            src = self.src
            stream = src._stream
            tb = stream.time_base
            resampler = av.AudioResampler(format="fltp", layout=src.layout, rate=src.rate)
            try:
                if tb is not None:
                    src._container.seek(int(max(self.start - 0.2, 0.0) / tb), stream=stream,
                                        backward=True)
                for packet in src._container.demux(stream):
                    for frame in packet.decode():
                        t = float(frame.pts * tb) if frame.pts is not None and tb else None
                        for out in resampler.resample(frame):
                            yield t, out.to_ndarray().astype(np.float32, copy=False)
                            t = None
                for out in resampler.resample(None):
                    yield None, out.to_ndarray().astype(np.float32, copy=False)
            except (av.FFmpegError, OSError, ValueError) as exc:
                raise FootcoachError(f"cannot decode the audio: {exc}", src.path,
                                     f"t={self.start:.3f} s") from None

        def read(self, n: int) -> np.ndarray:
            """The next ``n`` samples, (channels, n) float32."""
            parts = [self._buf]
            have = self._buf.shape[1]
            while have < n:
                block = next(self._frames, None)
                if block is None:
                    break
                t, arr = block
                if self._skip is None:
                    self._skip = round((self.start - (self.start if t is None else t))
                                       * self.src.rate)
                    if self._skip < 0:  # the audio starts after the clip: silence first
                        parts.append(np.zeros((arr.shape[0], -self._skip), np.float32))
                        have -= self._skip
                        self._skip = 0
                drop = min(self._skip, arr.shape[1])
                self._skip -= drop
                parts.append(arr[:, drop:])
                have += arr.shape[1] - drop
            data = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
            if data.shape[1] < n:
                data = np.pad(data, ((0, 0), (0, n - data.shape[1])))
            self._buf = data[:, n:]
            return np.ascontiguousarray(data[:, :n])


def parse_event_ids(values: Sequence[str]) -> tuple[str, ...]:
    """``["a02-0", "b03-1,b03-2"]`` -> ``("a02-0", "b03-1", "b03-2")`` (commas allowed)."""
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())
