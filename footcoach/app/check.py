"""``footcoach check``: read a session, clean and align it, and summarise what is there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from footcoach.app.align import AlignedSession, AlignSettings, Progress, align_session
from footcoach.app.engines import default_fault_settings
from footcoach.app.load import load_session, require_players
from footcoach.domain.vest import TILT_WARNING_DEG
from footcoach.sync.sensor_faults import FaultSettings
from footcoach.sync.vest_heading import vest_yaw


@dataclass
class CheckReport:
    """The session summary and the data-quality table; ``warnings`` are recoverable oddities."""

    aligned: AlignedSession
    warnings: list[str] = field(default_factory=list)

    def format(self) -> str:
        loaded = self.aligned.loaded
        s = loaded.session
        lines = [f"Session: {s.name}" + ("  [synthetic data]" if s.synthetic else ""),
                 f"Folder: {s.root}"]
        if s.date:
            lines.append(f"Date: {s.date}")
        anchor = ("4 GPS corners" if s.pitch.corners_lonlat else
                  "GPS origin + heading" if s.pitch.has_geo_anchor else "no GPS anchor")
        lines.append(f"Pitch: {s.pitch.length_m:.1f} x {s.pitch.width_m:.1f} m ({anchor})")
        if loaded.video is not None and s.video is not None:
            v = loaded.video
            cal = "calibrated camera" if s.calibration is not None else "no camera calibration"
            turned = f" (shown turned {v.rotation} deg)" if v.rotation else ""
            lines.append(f"Video: {s.video.file}  {v.width}x{v.height}{turned} {v.codec} "
                         f"{v.fps:.2f} fps, "
                         f"{v.frame_count} frames, {v.duration_s:.1f} s, starts at "
                         f"{s.video.start_s:.2f} s; {cal}")
        n_imu, n_gps = len(self.aligned.imu), len(loaded.gps)
        lines.append(f"Players: {len(s.players)} (IMU {n_imu}, GPS {n_gps})")
        if loaded.tracking is not None:
            tr = loaded.tracking
            lines.append(f"Tracking: {s.tracking.format if s.tracking else ''} "
                         f"{len(tr.players)} players at {tr.frame_rate:g} Hz"
                         + (", ball" if tr.ball is not None else ""))
        t0, t1 = self.aligned.time_range
        lines.append(f"Session clock: {t0:.2f} .. {t1:.2f} s ({(t1 - t0) / 60:.1f} min)")
        if self.aligned.offsets:
            lines.append("IMU-GPS clock offset estimates (add to the IMU clock; applied offsets "
                         "come from session.toml):")
            for pid, est in sorted(self.aligned.offsets.items()):
                lines.append(f"  {pid:<12} {est.offset_s:+7.2f} s  confidence {est.confidence:.2f}")
        told = [f"{pid} {p.tilt_deg:.0f}" for pid, p in self.aligned.vest_poses().items()]
        if told:
            lines.append("Vest tilt from upright (degrees between the mean acceleration and the "
                         f"vest's z axis; warned above {TILT_WARNING_DEG:.0f}): "
                         + ", ".join(told))
        turns = self._turns_round_body()
        if turns:
            lines.append("Vest turn round the body (degrees from forwards, from its horizontal "
                         "acceleration against the player's track; turned back from 60): "
                         + ", ".join(turns))
        lines += [f"  check the {w}" for w in self.aligned.sensor_warnings()]
        lines.append("")
        lines.append("Data quality (missing and anomaly rates of each stream):")
        lines.append(self.aligned.quality.format())
        return "\n".join(lines)

    def _turns_round_body(self) -> list[str]:
        """``pid angle`` for each vest whose turn round the body can be told (the turned-back
        ones as found before turning them back)."""
        aligned = self.aligned
        positions = aligned.positions()
        out = []
        for pid in sorted(set(aligned.imu) & set(positions)):
            yaw = aligned.vest_yaws.get(pid) or vest_yaw(aligned.imu[pid], positions[pid])
            if yaw is not None and yaw.told:
                out.append(f"{pid} {yaw.angle_deg:+.0f}")
        return out


def check_session(folder: str | Path, *, max_gap_s: float | None = None) -> CheckReport:
    """Load and align (the sensor checks as an analysis with the bundled model makes them,
    :func:`footcoach.app.engines.default_fault_settings`); any unusable input raises
    FootcoachError naming the file."""
    loaded = load_session(folder)
    require_players(loaded)
    settings = AlignSettings(faults=default_fault_settings())
    if max_gap_s is not None:
        settings.gps_max_gap_s = max_gap_s
        settings.imu_max_gap_s = min(max_gap_s, settings.imu_max_gap_s)
    aligned = align_session(loaded, settings)
    return CheckReport(aligned, list(loaded.diagnostics.warnings))


def sensor_warnings_of(folder: str | Path, *, progress: Progress | None = None,
                       cancel: Callable[[], bool] | None = None,
                       faults: FaultSettings | None = None) -> list[str]:
    """The sensor warnings of the session in ``folder``, as the analysis gives them (a vest
    far from upright, turned during the session, worn by another player or that stopped
    measuring; a GPS unit that held its last fix), without running the model.

    Reads the session again (IMU files one at a time) and aligns it with the analysis'
    settings; ``progress(done, total, message)`` per stream, ``cancel()`` polled per stream
    (FootcoachError("cancelled")). ``faults``: the settings of the checks (default: those of
    an analysis with the bundled model, :func:`footcoach.app.engines.default_fault_settings`).
    The review app runs it in the background when a session without a cached analysis is
    opened."""
    loaded = load_session(folder, imu="lazy")
    faults = faults if faults is not None else default_fault_settings()
    aligned = align_session(loaded, AlignSettings(estimate_offsets=False, faults=faults),
                            progress=progress, cancel=cancel)
    return aligned.sensor_warnings()
