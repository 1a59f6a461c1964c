"""``footcoach metrics``: load metrics per player and period from a session folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from footcoach.analysis.metrics import (
    MetricSettings,
    MetricsRow,
    SpeedBands,
    compute_metrics,
    format_metrics_table,
    metrics_to_csv,
)
from footcoach.app.load import load_session
from footcoach.errors import FootcoachError


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
    for player in loaded.session.players:
        gps, imu = loaded.gps.get(player.id), loaded.imu.get(player.id)
        if gps is None and imu is None:
            continue
        rows.extend(compute_metrics(gps, imu, periods, player=player.id, settings=settings))
    if not rows:
        raise FootcoachError("no player has GPS or IMU data", loaded.session.root / "session.toml")
    return MetricsTable(rows, loaded.session.synthetic, list(loaded.diagnostics.warnings))


def _bout_periods(path: Path, epoch: float | None) -> list[tuple[str, float, float]]:
    from footcoach.io.session_details import read_bouts

    if epoch is None:
        raise FootcoachError("bouts have absolute times but the session's streams do not", path)
    seen: dict[str, tuple[str, float, float]] = {}
    for b in read_bouts(path):
        seen.setdefault(b.name, (b.name, b.start_epoch_s - epoch, b.end_epoch_s - epoch))
    return sorted(seen.values(), key=lambda p: p[1])
