"""Clean every stream of a loaded session and resample it onto the session clock.

The result (:class:`AlignedSession`) is what analysis, metrics, the GUI and the dataset builder
read: IMU on one 100 Hz grid and GPS on one 10 Hz grid, both starting at the same session time,
plus the data-quality table (the paper's Table 1) and IMU-GPS offset estimates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from footcoach.app.load import LoadedSession
from footcoach.domain.timeseries import TimeSeries
from footcoach.io.video import VideoReader
from footcoach.sync.offsets import OffsetEstimate, estimate_imu_gps_offset
from footcoach.sync.quality import QualityRow, QualityTable, clean_stream, quality_table
from footcoach.sync.resample import resample, session_grid

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


@dataclass
class AlignedSession:
    """Cleaned streams on the session clock.

    ``imu[pid]``: (N_imu, C) on ``imu_t`` (100 Hz); ``gps[pid]``: x, y (m) [, speed] on ``gps_t``
    (10 Hz); NaN where data is missing after gap filling. ``offsets[pid]``: estimated IMU-GPS
    clock offset (informative; the manifest's offsets are what is applied).
    """

    loaded: LoadedSession
    imu: dict[str, TimeSeries] = field(default_factory=dict)
    gps: dict[str, TimeSeries] = field(default_factory=dict)
    imu_t: np.ndarray = field(default_factory=lambda: np.empty(0))
    gps_t: np.ndarray = field(default_factory=lambda: np.empty(0))
    quality: QualityTable = field(default_factory=lambda: QualityTable([]))
    offsets: dict[str, OffsetEstimate] = field(default_factory=dict)


Progress = Callable[[int, int, str], None]


def align_session(loaded: LoadedSession, settings: AlignSettings | None = None,
                  *, progress: Progress | None = None) -> AlignedSession:
    """Clean (paper order: repeats, outliers, gap filling, smoothing), resample every stream."""
    s = settings or AlignSettings()
    t0, t1 = loaded.time_range
    out = AlignedSession(loaded=loaded,
                         imu_t=session_grid(t0, t1, s.imu_rate_hz),
                         gps_t=session_grid(t0, t1, s.gps_rate_hz))
    rows: list[QualityRow] = []
    if loaded.video is not None:
        rows.append(video_quality(loaded))
    jobs = [("imu", pid) for pid in loaded.imu] + [("gps", pid) for pid in loaded.gps]
    for i, (kind, pid) in enumerate(jobs):
        raw = loaded.imu[pid] if kind == "imu" else loaded.gps[pid]
        max_gap = s.imu_max_gap_s if kind == "imu" else s.gps_max_gap_s
        cleaned, row = clean_stream(raw, kind, max_gap, player=pid)  # type: ignore[arg-type]
        rows.append(row)
        grid = out.imu_t if kind == "imu" else out.gps_t
        target = out.imu if kind == "imu" else out.gps
        target[pid] = resample(cleaned, grid)
        if progress:
            progress(i + 1, len(jobs), f"aligned {kind} {pid}")
    out.quality = quality_table(rows)
    if s.estimate_offsets:
        for pid in loaded.imu.keys() & loaded.gps.keys():
            out.offsets[pid] = estimate_imu_gps_offset(loaded.imu[pid], loaded.gps[pid])
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
