"""Clean every stream of a loaded session and resample it onto the session clock.

The result (:class:`AlignedSession`) is what analysis, metrics, the GUI and the dataset builder
read: IMU on one 100 Hz grid and GPS on one 10 Hz grid, both starting at the same session time,
plus the data-quality table (the paper's Table 1) and IMU-GPS offset estimates.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from footcoach.app.load import LoadedSession
from footcoach.domain.timeseries import TimeSeries
from footcoach.io.video import VideoReader
from footcoach.sync.offsets import OffsetEstimate, estimate_imu_gps_offset
from footcoach.sync.quality import QualityRow, QualityTable, clean_stream, quality_table
from footcoach.sync.resample import resample

IMU_RATE_HZ = 100.0
GPS_RATE_HZ = 10.0


@dataclass
class AlignSettings:
    """Gap filling limits (seconds) and the session-clock rates (Hz)."""

    imu_max_gap_s: float = 0.1
    gps_max_gap_s: float = 1.0
    imu_rate_hz: float = IMU_RATE_HZ
    gps_rate_hz: float = GPS_RATE_HZ
    estimate_offsets: bool = True
    workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))


@dataclass
class AlignedSession:
    """Cleaned streams on the session clock.

    Every stream is resampled onto one lattice per modality: IMU at ``k / imu_rate_hz`` and GPS
    at ``k / gps_rate_hz`` seconds (integer ``k``), each over its own coverage, so samples of
    different players at the same time line up exactly. ``imu[pid]``: acc (g), gyro (rad/s)
    [, mag (uT)], float32; ``gps[pid]``: x, y (m) [, speed], float64; NaN where data is
    missing after gap filling. ``offsets[pid]``: estimated IMU-GPS clock offset (informative;
    the manifest's offsets are what is applied).
    """

    loaded: LoadedSession
    settings: AlignSettings = field(default_factory=AlignSettings)
    imu: dict[str, TimeSeries] = field(default_factory=dict)
    gps: dict[str, TimeSeries] = field(default_factory=dict)
    quality: QualityTable = field(default_factory=lambda: QualityTable([]))
    offsets: dict[str, OffsetEstimate] = field(default_factory=dict)

    @property
    def time_range(self) -> tuple[float, float]:
        """Earliest start and latest end over the aligned streams and the video (seconds)."""
        lo, hi = self.loaded.time_range
        spans = [(float(ts.t[0]), float(ts.t[-1]))
                 for ts in [*self.imu.values(), *self.gps.values()] if len(ts)]
        if spans:
            starts, ends = zip(*spans, strict=True)
            empty = lo == hi == 0.0
            lo = min(starts) if empty else min(lo, *starts)
            hi = max(ends) if empty else max(hi, *ends)
        return lo, hi


Progress = Callable[[int, int, str], None]


def lattice(ts: TimeSeries, rate_hz: float) -> np.ndarray:
    """The session-clock lattice times ``k / rate_hz`` inside the stream's time span."""
    if len(ts) == 0:
        return np.empty(0)
    k0 = int(np.ceil(ts.t[0] * rate_hz - 1e-9))
    k1 = int(np.floor(ts.t[-1] * rate_hz + 1e-9))
    return np.arange(k0, k1 + 1) / rate_hz


def align_session(loaded: LoadedSession, settings: AlignSettings | None = None,
                  *, progress: Progress | None = None) -> AlignedSession:
    """Clean (paper order: repeats, outliers, gap filling, smoothing), resample every stream.

    Streams are processed one at a time; with a lazily loaded session (``imu="lazy"``) each
    raw IMU file is read, aligned and released before the next, which bounds memory.
    """
    s = settings or AlignSettings()
    out = AlignedSession(loaded=loaded, settings=s)
    rows: list[QualityRow] = []
    if loaded.video is not None:
        rows.append(video_quality(loaded))
    jobs = [("gps", pid) for pid in loaded.gps] + [("imu", pid) for pid in loaded.imu_players]

    def align_one(kind: str, pid: str) -> tuple[QualityRow, TimeSeries, OffsetEstimate | None]:
        if kind == "gps":
            cleaned, row = clean_stream(loaded.gps[pid], "gps", s.gps_max_gap_s, player=pid)
            return row, resample(cleaned, lattice(cleaned, s.gps_rate_hz)), None
        raw = loaded.read_imu(pid)
        offset = None
        if s.estimate_offsets and pid in loaded.gps:
            offset = estimate_imu_gps_offset(raw, loaded.gps[pid])
        cleaned, row = clean_stream(raw, "imu", s.imu_max_gap_s, player=pid)
        del raw
        aligned = resample(cleaned, lattice(cleaned, s.imu_rate_hz))
        return row, aligned.replace(values=aligned.values.astype(np.float32)), offset

    # pyarrow's CSV parser and most numpy work release the GIL: a few players at a time use the
    # cores while only ``workers`` raw streams are in memory at once.
    with ThreadPoolExecutor(max_workers=max(1, s.workers)) as pool:
        futures = [pool.submit(align_one, kind, pid) for kind, pid in jobs]
        for i, ((kind, pid), future) in enumerate(zip(jobs, futures, strict=True)):
            row, aligned, offset = future.result()
            (out.gps if kind == "gps" else out.imu)[pid] = aligned
            if offset is not None:
                out.offsets[pid] = offset
            rows.append(row)
            if progress:
                progress(i + 1, len(jobs), f"aligned {kind} {pid}")
    out.quality = quality_table(rows)
    return out


def video_quality(loaded: LoadedSession) -> QualityRow:
    """Frames in the file vs frames the nominal rate implies; a hole in the PTS sequence longer
    than 1.5 frame intervals counts its missing frames (dropped or corrupt frames)."""
    assert loaded.video is not None and loaded.session.video is not None
    with VideoReader(loaded.session.path(loaded.session.video.file)) as reader:
        times = np.asarray(reader.frame_times)
        fps = reader.fps
    n = len(times)
    dt = np.diff(times) if n > 1 else np.empty(0)
    nominal = 1.0 / fps if fps > 0 else (float(np.median(dt)) if dt.size else 0.0)
    holes = dt[dt > 1.5 * nominal] if nominal > 0 else np.empty(0)
    missing = int(np.sum(np.rint(holes / nominal) - 1)) if holes.size else 0
    expected = n + missing
    return QualityRow(player="camera", modality="video", rate_hz=fps, samples_before=n,
                      samples_after=n, missing_before=missing / expected if expected else 0.0,
                      missing_after=missing / expected if expected else 0.0, anomaly_rate=0.0,
                      n_repeated=0, n_outliers=0, n_filled=0,
                      longest_gap_s=float(holes.max() - nominal) if holes.size else 0.0)


def iter_players(aligned: AlignedSession) -> Iterator[str]:
    seen: set[str] = set()
    for pid in [*aligned.imu, *aligned.gps]:
        if pid not in seen:
            seen.add(pid)
            yield pid
