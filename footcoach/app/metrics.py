"""``footcoach metrics``: load metrics per player and period from a session folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from footcoach.analysis.metrics import (
    MetricSettings,
    MetricsRow,
    SpeedBands,
    compute_metrics,
    format_metrics_table,
    metrics_to_csv,
)
from footcoach.app.load import load_session
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.sync.sensor_faults import (
    SensorFault,
    clock,
    find_gps_faults,
    find_imu_faults,
)
from footcoach.sync.vest_identity import own_vests


@dataclass
class MetricsTable:
    rows: list[MetricsRow]
    synthetic: bool = False
    warnings: list[str] = field(default_factory=list)

    def format(self) -> str:
        note = "  [synthetic data]\n" if self.synthetic else ""
        return note + format_metrics_table(self.rows)

    def to_csv(self, path: Path) -> None:
        metrics_to_csv(self.rows, path)


def session_metrics(folder: str | Path, *, hsr_mps: float = 5.5, sprint_mps: float = 7.0,
                    periods: list[tuple[str, float, float]] | None = None,
                    bouts_xlsx: Path | None = None) -> MetricsTable:
    """Metrics of every player with GPS or IMU, per period (session seconds).

    ``bouts_xlsx``: a drill-segment sheet (Catapult "session details" layout: split name, start
    and end times); each bout becomes a period, placed on the session clock by its absolute time.
    """
    loaded = load_session(folder)
    if bouts_xlsx is not None:
        periods = [*(periods or []), *_bout_periods(bouts_xlsx, loaded.clock_epoch_s)]
    try:
        bands = SpeedBands(run_max=hsr_mps, hsr_max=sprint_mps)
        bands.edges()
    except ValueError as exc:
        raise FootcoachError(f"speed thresholds: {exc}") from None
    settings = MetricSettings(bands=bands)
    rows: list[MetricsRow] = []
    faulty: list[str] = []
    vests = own_vests(loaded.imu, loaded.gps)
    for player in loaded.session.players:
        gps, imu = loaded.gps.get(player.id), loaded.imu.get(player.id)
        if gps is None and imu is None:
            continue
        gps_faults = find_gps_faults(gps, vests.get(player.id)) if gps is not None else []
        rows.extend(compute_metrics(without_drift(gps, gps_faults), imu, periods,
                                    player=player.id, settings=settings))
        note = _fault_note(player.id, gps_faults, imu)
        if note:
            faulty.append(note)
    if not rows:
        raise FootcoachError("no player has GPS or IMU data", loaded.session.root / "session.toml")
    return MetricsTable(rows, loaded.session.synthetic,
                        [*faulty, *loaded.diagnostics.warnings])


def without_drift(gps: TimeSeries | None, faults: list[SensorFault] | None = None,
                  imu: TimeSeries | None = None) -> TimeSeries | None:
    """``gps`` without the fixes of its drifting stretches (a position moving further than
    the player: no distance is counted there); ``faults`` those of
    :func:`~footcoach.sync.sensor_faults.find_gps_faults`, found here (with the player's vest
    ``imu``) when not given. The metrics of ``footcoach metrics``, the report and the app's
    Metrics panel are computed on it."""
    if faults is None:
        faults = find_gps_faults(gps, imu) if gps is not None and len(gps) else []
    drifting = [f for f in faults if f.kind == "drifting position"]
    if gps is None or not drifting:
        return gps
    keep = np.ones(len(gps), dtype=bool)
    for f in drifting:
        keep[np.searchsorted(gps.t, f.start_s):np.searchsorted(gps.t, f.end_s, "right")] = False
    return gps.replace(t=gps.t[keep], values=gps.values[keep])


def _fault_note(player: str, gps_faults: list[SensorFault], imu: TimeSeries | None
                ) -> str | None:
    """A sentence when the player's vest or GPS unit stopped measuring, or his position
    drifted (:mod:`footcoach.sync.sensor_faults`): his load metrics there are not his."""
    vest = find_imu_faults(imu)[0] if imu is not None and len(imu) else []
    parts = []
    for kind, said in (("frozen position", "his GPS unit held one fix at {} (no distance "
                                           "counted there)"),
                       ("drifting position", "his GPS position moved further than he did at "
                                             "{} (multipath; no distance counted there)")):
        mine = [f for f in gps_faults if f.kind == kind]
        if mine:
            parts.append(said.format(", ".join(f"{clock(f.start_s)}-{clock(f.end_s)}"
                                               for f in mine[:4])))
    frozen = [f for f in vest if f.kind == "frozen"]
    if frozen:
        spans = ", ".join(f"{clock(f.start_s)}-{clock(f.end_s)}" for f in frozen[:4])
        parts.append(f"his vest repeated one reading at {spans} (no load counted there)")
    if not parts:
        return None
    return f"metrics of {player}: {'; '.join(parts)}; `footcoach check` says more"


def _bout_periods(path: Path, epoch: float | None) -> list[tuple[str, float, float]]:
    from footcoach.io.session_details import read_bouts

    if epoch is None:
        raise FootcoachError("bouts have absolute times but the session's streams do not", path)
    seen: dict[str, tuple[str, float, float]] = {}
    for b in read_bouts(path):
        seen.setdefault(b.name, (b.name, b.start_epoch_s - epoch, b.end_epoch_s - epoch))
    return sorted(seen.values(), key=lambda p: p[1])
