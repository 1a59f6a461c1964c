"""Clean every stream of a loaded session and resample it onto the session clock.

The result (:class:`AlignedSession`) is what analysis, metrics, the GUI and the dataset builder
read: IMU on one 100 Hz grid and GPS on one 10 Hz grid, both starting at the same session time,
plus the data-quality table (the paper's Table 1) and IMU-GPS offset estimates.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from footcoach.app.load import LoadedSession
from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.vest import (
    VestPose,
    VestSlip,
    pose_sentence,
    slip_sentence,
    vest_pose,
    vest_slip,
)
from footcoach.errors import FootcoachError
from footcoach.io.video import VideoReader
from footcoach.sync.movement import vest_seconds
from footcoach.sync.offsets import OffsetEstimate, estimate_imu_gps_offset
from footcoach.sync.quality import QualityRow, QualityTable, clean_stream, quality_table
from footcoach.sync.resample import resample
from footcoach.sync.sensor_faults import (
    FaultSettings,
    SensorFault,
    fault_warning,
    find_gps_faults,
    set_aside,
)
from footcoach.sync.vest_heading import VestYaw, turn_round_body, vest_yaw
from footcoach.sync.vest_identity import own_vests, vest_mismatches

IMU_RATE_HZ = 100.0
GPS_RATE_HZ = 10.0


@dataclass
class AlignSettings:
    """Gap filling limits (seconds), the session-clock rates (Hz) and the thresholds of the
    sensor faults of vests and GPS units (:mod:`footcoach.sync.sensor_faults`; None keeps the
    faulty readings)."""

    imu_max_gap_s: float = 0.1
    gps_max_gap_s: float = 1.0
    imu_rate_hz: float = IMU_RATE_HZ
    gps_rate_hz: float = GPS_RATE_HZ
    estimate_offsets: bool = True
    faults: FaultSettings | None = field(default_factory=FaultSettings)
    workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))


@dataclass
class AlignedSession:
    """Cleaned streams on the session clock.

    Every stream is resampled onto one lattice per modality: IMU at ``k / imu_rate_hz`` and GPS
    at ``k / gps_rate_hz`` seconds (integer ``k``), each over its own coverage, so samples of
    different players at the same time line up exactly. ``imu[pid]``: acc (g), gyro (rad/s)
    [, mag (uT)], float32; ``gps[pid]``: x, y (m) [, speed], float64; NaN where data is
    missing after gap filling; the time axes are read-only, one array shared by the streams
    with the same span. ``offsets[pid]``: estimated IMU-GPS clock offset (informative;
    the manifest's offsets are what is applied). ``stage_cpu_s``: CPU seconds per stage
    (``read imu``, ``offsets``, ``clean imu``, ``resample imu``, ``clean gps``,
    ``resample gps``), summed over the worker threads (each thread's own CPU time, so the CSV
    parser's helper threads are not in it). ``imu_faults[pid]`` / ``gps_faults[pid]``: the
    faults of the vest / GPS unit (session clock; players without any are left out); those of
    a kind in ``settings.faults.set_aside`` are NaN in ``imu`` / ``gps``. Each ``imu`` series'
    ``meta`` keeps ``vest_pose`` and ``vest_slip``, found on the raw stream.
    """

    loaded: LoadedSession
    settings: AlignSettings = field(default_factory=AlignSettings)
    imu: dict[str, TimeSeries] = field(default_factory=dict)
    gps: dict[str, TimeSeries] = field(default_factory=dict)
    quality: QualityTable = field(default_factory=lambda: QualityTable([]))
    offsets: dict[str, OffsetEstimate] = field(default_factory=dict)
    stage_cpu_s: dict[str, float] = field(default_factory=dict)
    imu_faults: dict[str, list[SensorFault]] = field(default_factory=dict)
    gps_faults: dict[str, list[SensorFault]] = field(default_factory=dict)
    vest_yaws: dict[str, VestYaw] = field(default_factory=dict)
    """The vests found turned round the body, and turned back (:mod:`.vest_heading`)."""

    def positions(self) -> dict[str, TimeSeries]:
        """player id -> positions (``x``, ``y`` metres on the session clock): the aligned GPS,
        or for a player without GPS the provider tracking series named by its
        ``tracking_id``."""
        out: dict[str, TimeSeries] = dict(self.gps)
        tracking = self.loaded.tracking
        if tracking is not None:
            for p in self.loaded.session.players:
                if p.id not in out and p.tracking_id and p.tracking_id in tracking.players:
                    out[p.id] = tracking.players[p.tracking_id]
        return out

    def vest_poses(self) -> dict[str, VestPose]:
        """player id -> how the vest sits (:func:`footcoach.domain.vest.vest_pose`), from the
        raw stream before any stretch was set aside; players where it cannot be told are left
        out."""
        poses = {pid: ts.meta.get("vest_pose") for pid, ts in sorted(self.imu.items())}
        return {pid: p for pid, p in poses.items() if isinstance(p, VestPose)}

    def sensor_warnings(self, players: Iterable[str] | None = None) -> list[str]:
        """What to check about the sensors of ``players`` (default: all), in player order: a
        vest far from upright or not reading 1 g, one that turned during the session
        (:mod:`footcoach.domain.vest`), one turned round the body (:attr:`vest_yaws`), one
        that moves with another player's track, GPS or
        tracking data (:mod:`footcoach.sync.vest_identity`), one that stopped measuring
        (:attr:`imu_faults`), a GPS unit that repeated its last fix or whose position drifted
        (:attr:`gps_faults`)."""
        kinds = self.settings.faults.set_aside if self.settings.faults else ()
        every = sorted(set(self.imu) | set(self.gps_faults))
        chosen = every if players is None else [p for p in players if p in every]
        swapped = {m.player: m.warning() for m in vest_mismatches(self.imu, self.positions())}
        out = []
        for pid in chosen:
            meta = self.imu[pid].meta if pid in self.imu else {}
            pose, slip = meta.get("vest_pose"), meta.get("vest_slip")
            yaw = self.vest_yaws.get(pid)
            said = (pose_sentence(pose if isinstance(pose, VestPose) else None, pid),
                    slip_sentence(slip if isinstance(slip, VestSlip) else None, pid),
                    yaw.sentence(pid) if yaw is not None else None,
                    swapped.get(pid),
                    fault_warning(pid, self.imu_faults.get(pid, []), kinds),
                    fault_warning(pid, self.gps_faults.get(pid, []), kinds))
            out += [w for w in said if w is not None]
        return out

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
    k0, k1 = _lattice_span(ts, rate_hz)
    return np.arange(k0, k1 + 1) / rate_hz


def _lattice_span(ts: TimeSeries, rate_hz: float) -> tuple[int, int]:
    """First and last ``k`` of :func:`lattice` (``(0, -1)``: none)."""
    if len(ts) == 0:
        return 0, -1
    return int(np.ceil(ts.t[0] * rate_hz - 1e-9)), int(np.floor(ts.t[-1] * rate_hz + 1e-9))


def align_session(loaded: LoadedSession, settings: AlignSettings | None = None,
                  *, progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None) -> AlignedSession:
    """Clean (paper order: repeats, outliers, gap filling, smoothing), resample every stream.

    Streams are processed one at a time; with a lazily loaded session (``imu="lazy"``) each
    raw IMU file is read, aligned and released before the next, which bounds memory.
    ``cancel() -> True`` (polled after each stream) stops at the next stream: the streams not
    started are dropped, and FootcoachError("cancelled") is raised.
    """
    s = settings or AlignSettings()
    out = AlignedSession(loaded=loaded, settings=s)
    rows: list[QualityRow] = []
    if loaded.video is not None:
        rows.append(video_quality(loaded))
    jobs = [("gps", pid) for pid in loaded.gps] + [("imu", pid) for pid in loaded.imu_players]
    # each worker reads its players' raw IMU into one reused array (a fresh 40 MB array costs
    # about 40 ms of page faults), cleaned in place and released before its next player
    workspace = threading.local()
    lattices: dict[tuple[int, int, float], np.ndarray] = {}

    def shared_lattice(ts: TimeSeries, rate_hz: float) -> np.ndarray:
        """:func:`lattice`, one read-only array for all the streams with the same span (the
        time axes of a 90-minute, 22-player session take 100 MB otherwise)."""
        key = (*_lattice_span(ts, rate_hz), rate_hz)
        if key not in lattices:
            t = np.arange(key[0], key[1] + 1) / rate_hz
            t.flags.writeable = False
            lattices.setdefault(key, t)
        return lattices[key]

    def align_one(kind: str, pid: str) -> tuple[QualityRow, TimeSeries, OffsetEstimate | None,
                                                dict[str, float]]:
        clock = _StageClock()
        if kind == "gps":
            cleaned, row = clean_stream(loaded.gps[pid], "gps", s.gps_max_gap_s, player=pid)
            clock.lap("clean gps")
            aligned = resample(cleaned, shared_lattice(cleaned, s.gps_rate_hz))
            clock.lap("resample gps")
            return row, aligned, None, clock.spent
        fresh = pid not in loaded.imu  # read from its file just now: nobody else holds it
        buffer = getattr(workspace, "imu", None)
        raw = loaded.read_imu(pid, buffer=buffer)
        if fresh and (buffer is None or not np.may_share_memory(raw.values, buffer)):
            workspace.imu = raw.values  # this thread's next player is read into it
        clock.lap("read imu")
        offset = None
        if s.estimate_offsets and pid in loaded.gps:
            offset = estimate_imu_gps_offset(raw, loaded.gps[pid])
            clock.lap("offsets")
        # how the vest sits, from the raw stream (faults included): found when it was read
        pose = raw.meta["vest_pose"] if "vest_pose" in raw.meta else vest_pose(raw)
        slip = raw.meta["vest_slip"] if "vest_slip" in raw.meta else vest_slip(raw)
        cleaned, row = clean_stream(raw, "imu", s.imu_max_gap_s, player=pid,
                                    overwrite_input=fresh,  # smoothed in place when fresh
                                    faults=s.faults)
        del raw
        clock.lap("clean imu")
        aligned = resample(cleaned, shared_lattice(cleaned, s.imu_rate_hz), dtype=np.float32)
        aligned.meta.update(vest_pose=pose, vest_slip=slip)
        vest_seconds(aligned)  # for the GPS and identity checks, in this worker thread
        del cleaned
        clock.lap("resample imu")
        return row, aligned, offset, clock.spent

    # pyarrow's CSV parser and most numpy work release the GIL: a few players at a time use the
    # cores while only ``workers`` raw streams are in memory at once.
    with ThreadPoolExecutor(max_workers=max(1, s.workers)) as pool:
        futures = [pool.submit(align_one, kind, pid) for kind, pid in jobs]
        for i, ((kind, pid), future) in enumerate(zip(jobs, futures, strict=True)):
            if cancel is not None and cancel():
                pool.shutdown(wait=True, cancel_futures=True)
                raise FootcoachError("cancelled", loaded.session.root, f"aligning {kind} {pid}")
            row, aligned, offset, spent = future.result()
            _keep_stream(out, kind, pid, aligned, offset, spent)
            rows.append(row)
            if progress:
                progress(i + 1, len(jobs), f"aligned {kind} {pid}")
    if s.faults is not None:
        vests = own_vests(out.imu, out.positions())  # not another player's vest
        set_aside_rows = _set_aside_faulty_positions(out, s.faults, vests)
        _turn_back_vests(out, s.faults, vests)
        for row in rows:  # the fixes set aside count as anomalies, as the vest's faults do
            extra = set_aside_rows.get(row.player, 0) if row.modality == "gps" else 0
            if extra:
                row.n_outliers += extra
                row.anomaly_rate = (row.n_repeated + row.n_outliers) / max(row.samples_before, 1)
    out.quality = quality_table(rows)
    return out


def _keep_stream(out: AlignedSession, kind: str, pid: str, aligned: TimeSeries,
                 offset: OffsetEstimate | None, spent: dict[str, float]) -> None:
    """Put one aligned stream (``kind`` "gps" or "imu") into ``out`` with its CPU time per
    stage, clock offset estimate and the vest's faults (warned in the session's diagnostics)."""
    for stage, seconds in spent.items():
        out.stage_cpu_s[stage] = out.stage_cpu_s.get(stage, 0.0) + seconds
    (out.gps if kind == "gps" else out.imu)[pid] = aligned
    faults = aligned.meta.get("sensor_faults") if kind == "imu" else None
    if isinstance(faults, list) and faults:  # the resampled series keeps the meta
        out.imu_faults[pid] = faults
        kinds = out.settings.faults.set_aside if out.settings.faults else ()
        out.loaded.diagnostics.warn(fault_warning(pid, faults, kinds) or "",
                                    aligned.source or None)
    if offset is not None:
        out.offsets[pid] = offset


def _turn_back_vests(out: AlignedSession, settings: FaultSettings,
                     vests: dict[str, TimeSeries]) -> None:
    """Turn back the vests turned ``round_body_min_deg`` or more round the body against their
    player's track (:func:`footcoach.sync.vest_heading.vest_yaw`) and warn."""
    positions = out.positions()
    for pid in sorted(set(vests) & set(positions)):
        yaw = vest_yaw(out.imu[pid], positions[pid])
        if yaw is None or not yaw.told or abs(yaw.angle_deg) < settings.round_body_min_deg:
            continue
        out.imu[pid] = turn_round_body(out.imu[pid], yaw.angle_deg)
        out.vest_yaws[pid] = yaw
        out.loaded.diagnostics.warn(yaw.sentence(pid), out.imu[pid].source or None)


def _set_aside_faulty_positions(out: AlignedSession, settings: FaultSettings,
                                vests: dict[str, TimeSeries]) -> dict[str, int]:
    """Find the GPS units that repeated their last fix while the vest shows the player moving,
    or whose position moved further than the player did
    (:func:`footcoach.sync.sensor_faults.find_gps_faults`, on the raw fixes), set those
    stretches of the aligned positions to missing and warn. Only the ``vests`` given are read
    (not one that follows another player's track: :func:`footcoach.sync.vest_identity.own_vests`).
    Returns the raw fixes set aside per player."""
    loaded = out.loaded
    counted: dict[str, int] = {}
    for pid in sorted(out.gps):
        faults = find_gps_faults(loaded.gps[pid], vests.get(pid), settings)
        if not faults:
            continue
        out.gps_faults[pid] = faults
        out.gps[pid] = set_aside(out.gps[pid], faults, settings.set_aside)
        raw = loaded.gps[pid].t
        counted[pid] = sum(int(np.searchsorted(raw, f.end_s, "right")
                               - np.searchsorted(raw, f.start_s))
                           for f in faults if f.kind in settings.set_aside)
        loaded.diagnostics.warn(fault_warning(pid, faults, settings.set_aside) or "",
                                loaded.gps[pid].source or None)
    return counted


class _StageClock:
    """The calling thread's CPU seconds per stage, each :meth:`lap` closing one."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._last = time.thread_time()

    def lap(self, stage: str) -> None:
        now = time.thread_time()
        self.spent[stage] = self.spent.get(stage, 0.0) + now - self._last
        self._last = now


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
