"""Open a session folder: read every stream it names, put each on the session clock, and put GPS
positions on the pitch (metres). Cleaning and resampling happen later (``footcoach.sync``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from footcoach.domain.geo import GeoToPitch, pitch_from_session
from footcoach.domain.session import Session
from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.vest import pose_sentence, slip_sentence, vest_pose, vest_slip
from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.gps_csv import check_on_pitch, read_gps_csv
from footcoach.io.imu_csv import read_imu_csv
from footcoach.io.manifest import read_manifest
from footcoach.io.tracking import TrackingData, read_tracking
from footcoach.io.video import VideoInfo, probe_video

Progress = Callable[[int, int, str], None]


@dataclass
class LoadedSession:
    """A session's streams, each on the session clock (seconds).

    ``imu[pid]``: acc_x..z (g), gyro_x..z (rad/s) [, mag_x..z (uT)], raw samples.
    ``gps[pid]``: x, y (pitch metres) [, speed (m/s), hdop], raw fixes (lat/lon projected).
    With ``load_session(..., imu="lazy")`` the IMU files are validated later, one player at a
    time, by :meth:`read_imu` (``imu`` stays empty): long sessions then never hold every raw
    100 Hz stream at once.
    """

    session: Session
    imu: dict[str, TimeSeries] = field(default_factory=dict)
    gps: dict[str, TimeSeries] = field(default_factory=dict)
    tracking: TrackingData | None = None
    video: VideoInfo | None = None
    geo: GeoToPitch | None = None
    clock_epoch_s: float | None = None
    imu_pending: dict[str, tuple[Path, float]] = field(default_factory=dict)

    def read_imu(self, player_id: str, *, buffer: np.ndarray | None = None) -> TimeSeries:
        """The player's IMU on the session clock (from memory, or read now when lazy; then
        ``buffer`` may hold its values, see :func:`footcoach.io.imu_csv.read_imu_csv`)."""
        if player_id in self.imu:
            return self.imu[player_id]
        path, offset = self.imu_pending[player_id]
        raw = read_imu_csv(path, diag=self.diagnostics, buffer=buffer)
        imu = _on_session_clock(raw, offset, self.clock_epoch_s)
        _warn_vest_pose(imu, player_id, self.diagnostics)
        return imu

    @property
    def imu_players(self) -> list[str]:
        return [*self.imu, *(p for p in self.imu_pending if p not in self.imu)]
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    @property
    def player_ids(self) -> list[str]:
        return [p.id for p in self.session.players]

    @property
    def time_range(self) -> tuple[float, float]:
        """Earliest start and latest end over all streams and the video, session seconds."""
        starts, ends = [], []
        for ts in [*self.imu.values(), *self.gps.values()]:
            if len(ts):
                starts.append(float(ts.t[0]))
                ends.append(float(ts.t[-1]))
        if self.video is not None and self.session.video is not None:
            starts.append(self.session.video.start_s)
            ends.append(self.session.video.start_s + self.video.duration_s)
        if not starts:
            return 0.0, 0.0
        return min(starts), max(ends)


def load_session(folder: str | Path, *, imu: str = "eager",
                 progress: Progress | None = None) -> LoadedSession:
    """Read the manifest and every stream; raise FootcoachError on the first unusable file.

    ``imu="lazy"`` defers reading the IMU files to :meth:`LoadedSession.read_imu`; the session
    clock's epoch then comes from the GPS files (or the manifest).
    """
    if imu not in ("eager", "lazy"):
        raise ValueError("imu must be 'eager' or 'lazy'")
    session = read_manifest(folder)
    loaded = LoadedSession(session=session)
    diag = loaded.diagnostics
    if session.video is not None:
        loaded.video = probe_video(session.path(session.video.file))
    raw: dict[str, dict[str, TimeSeries]] = {"IMU": {}, "GPS": {}}
    jobs: list[tuple[str, str, Path]] = []
    for player in session.players:
        if player.imu and imu == "lazy":
            loaded.imu_pending[player.id] = (session.path(player.imu), player.imu_offset_s)
        elif player.imu:
            jobs.append(("IMU", player.id, session.path(player.imu)))
        if player.gps:
            jobs.append(("GPS", player.id, session.path(player.gps)))
    total = len(jobs) + len(loaded.imu_pending)  # a lazy IMU file is read later
    for done, ((kind, pid, _), ts) in enumerate(zip(jobs, _read_files(jobs, diag),
                                                    strict=True)):
        raw[kind][pid] = ts
        if progress:
            progress(done + 1, total, f"{kind} {pid}")
    raw_imu, raw_gps = raw["IMU"], raw["GPS"]
    if loaded.imu_pending and not raw_gps and session.clock_epoch_s is None:
        first = next(iter(loaded.imu_pending))  # the clock rule below needs one IMU start
        raw_imu[first] = read_imu_csv(loaded.imu_pending.pop(first)[0], diag=diag)
    epoch = session_epoch(session.clock_epoch_s, raw_gps.values(), raw_imu.values())
    loaded.clock_epoch_s = epoch
    for player in session.players:
        if player.id in raw_imu:
            loaded.imu[player.id] = _on_session_clock(
                raw_imu[player.id], player.imu_offset_s, epoch)
            _warn_vest_pose(loaded.imu[player.id], player.id, diag)
        if player.id in raw_gps:
            loaded.gps[player.id] = _on_session_clock(
                raw_gps[player.id], player.gps_offset_s, epoch)
    loaded.geo = _project_gps(loaded, diag)
    if session.tracking is not None:
        files: dict[str, Path | str] = {
            k: session.path(v) for k, v in session.tracking.files.items()}
        loaded.tracking = read_tracking(session.tracking.format, files)
        loaded.tracking = loaded.tracking.shifted(session.tracking.offset_s)
    return loaded


def _warn_vest_pose(imu: TimeSeries, player_id: str, diag: Diagnostics) -> None:
    """Warn (once per file) when a vest sits far from upright or turned during the session
    (:mod:`footcoach.domain.vest`; ``imu`` on the session clock, whose ``meta`` keeps the
    ``vest_pose`` and ``vest_slip`` found)."""
    pose, slip = vest_pose(imu), vest_slip(imu)
    imu.meta.update(vest_pose=pose, vest_slip=slip)  # kept for align_session
    for message in (pose_sentence(pose, player_id), slip_sentence(slip, player_id)):
        if message is None:
            continue
        before = len(diag.warnings)
        diag.warn(message, imu.source)
        if diag.warnings[-1] in diag.warnings[:before]:
            diag.warnings.pop()


def _read_files(jobs: list[tuple[str, str, Path]], diag: Diagnostics) -> Iterator[TimeSeries]:
    """The streams of ``jobs`` (``("IMU" | "GPS", player, path)``) in order, read by a few
    threads (pyarrow parses without the GIL); each file's warnings reach ``diag`` in order and
    the first unusable file (in order) raises, the reads not started yet cancelled."""
    def read(kind: str, path: Path) -> tuple[TimeSeries, Diagnostics]:
        own = Diagnostics()
        ts = read_imu_csv(path, diag=own) if kind == "IMU" else read_gps_csv(path, diag=own)
        return ts, own

    pool = ThreadPoolExecutor(max_workers=max(1, min(_READERS, len(jobs))))
    try:
        futures = [pool.submit(read, kind, path) for kind, _, path in jobs]
        for future in futures:
            ts, own = future.result()
            diag.extend(own)
            yield ts
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_READERS = min(2, os.cpu_count() or 1)


def session_epoch(manifest_epoch: float | None, gps: Iterable[TimeSeries],
                  imu: Iterable[TimeSeries]) -> float | None:
    """Unix time of session-clock zero: the manifest's ``clock.epoch_s``, else the earliest
    absolute start of the GPS files, else of the IMU files, else None (relative clocks)."""
    if manifest_epoch is not None:
        return manifest_epoch
    for streams in (gps, imu):
        starts = [ts.t0_epoch_s for ts in streams if ts.t0_epoch_s is not None]
        if starts:
            return min(starts)
    return None


def _on_session_clock(ts: TimeSeries, offset_s: float, epoch: float | None) -> TimeSeries:
    shift = offset_s
    if ts.t0_epoch_s is not None and epoch is not None:
        shift += ts.t0_epoch_s - epoch
    return ts if shift == 0.0 else ts.shifted(shift)  # t + 0.0 == t: no copy


def _project_gps(loaded: LoadedSession, diag: Diagnostics) -> GeoToPitch | None:
    """Replace lat/lon channels by pitch x/y metres; check fixes lie on or near the pitch."""
    session = loaded.session
    latlon = {pid: ts for pid, ts in loaded.gps.items() if ts.meta.get("coords") == "latlon"}
    if not latlon:
        return None
    geo = pitch_from_session(session.pitch)
    if geo is None:
        lon = np.concatenate([ts.channel("lon") for ts in latlon.values()])
        lat = np.concatenate([ts.channel("lat") for ts in latlon.values()])
        origin = (float(np.nanmedian(lon)), float(np.nanmedian(lat)))
        geo = GeoToPitch.from_origin_heading(origin, 90.0)
        diag.warn("the pitch has no GPS corners or origin/heading: positions are shown in a local "
                  "frame centred on the data (pass --pitch-corners to `footcoach new`)",
                  session.root / "session.toml")
    for pid, ts in latlon.items():
        x, y = geo.to_pitch(ts.channel("lon"), ts.channel("lat"))
        keep = [c for c in ts.channels if c not in ("lat", "lon")]
        rest = ts.select(keep) if keep else None
        values = np.c_[x, y] if rest is None else np.c_[x, y, rest.values]
        units = ("m", "m", *(rest.units if rest is not None else ()))
        xy = ts.replace(values=values, channels=("x", "y", *keep), units=units,
                        meta={**ts.meta, "coords": "pitch"})
        if pitch_from_session(session.pitch) is not None:
            check_on_pitch(xy, np.c_[x, y], session.pitch)
        loaded.gps[pid] = xy
    return geo


def require_players(loaded: LoadedSession) -> None:
    if not loaded.session.players and loaded.tracking is None and loaded.video is None:
        raise FootcoachError("the session names no players, no tracking and no video",
                             loaded.session.root / "session.toml")
