"""Cleaning one stream in the paper's order, and the data-quality table (the paper's Table 1).

For every imported stream footcoach reports, per modality and player: raw rows, rows on the
nominal grid after cleaning, the missing rate before and after, the anomaly rate (repeated
timestamps, GPS spikes, IMU saturation) and the longest dropout.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Literal

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.sync.filters import (
    GapReport,
    dedupe_times,
    fill_gaps,
    nan_rows,
    remove_gps_spikes,
    remove_imu_saturation,
)
from footcoach.sync.sensor_faults import (
    DEFAULT_FAULTS,
    FaultSettings,
    SensorFault,
    remove_imu_faults,
)
from footcoach.sync.smoothing import (
    moving_average,
)

DEFAULT_MAX_GAP_S = {"imu": 0.1, "gps": 1.0}
"""Longest gap interpolated by default: 10 IMU samples at 100 Hz, 10 GPS fixes at 10 Hz."""


@dataclass
class QualityRow:
    """Data quality of one stream (rates are fractions 0..1).

    Attributes:
        player: player id ("all" in summary rows).
        modality: ``imu`` or ``gps``.
        rate_hz: nominal sampling rate found.
        samples_before: raw rows read.
        samples_after: rows on the nominal grid after cleaning.
        missing_before: grid rows without a complete raw sample / grid rows.
        missing_after: grid rows still incomplete after cleaning / grid rows.
        anomaly_rate: (repeated + outlier rows) / raw rows.
        n_repeated: rows dropped for a repeated (or backwards) timestamp.
        n_outliers: rows with a GPS spike, a saturated IMU value or a sensor fault
            (:mod:`footcoach.sync.sensor_faults`: frozen readings, no gravity; a GPS fix
            held or drifting, set aside when the session is aligned).
        n_filled: grid rows completed by interpolation.
        longest_gap_s: the longest run of incomplete grid rows before interpolation.
    """

    player: str
    modality: str
    rate_hz: float
    samples_before: int
    samples_after: int
    missing_before: float
    missing_after: float
    anomaly_rate: float
    n_repeated: int
    n_outliers: int
    n_filled: int
    longest_gap_s: float


@dataclass
class QualityTable:
    """Quality rows of a session, one per stream."""

    rows: list[QualityRow]

    def summary(self) -> list[QualityRow]:
        """One row per modality (player ``all``): counts summed, rates weighted by rows."""
        out = []
        for modality in sorted({r.modality for r in self.rows}):
            rs = [r for r in self.rows if r.modality == modality]
            before = sum(r.samples_before for r in rs)
            after = sum(r.samples_after for r in rs)
            out.append(QualityRow(
                player="all", modality=modality,
                rate_hz=float(np.median([r.rate_hz for r in rs])),
                samples_before=before, samples_after=after,
                missing_before=_ratio(sum(r.missing_before * r.samples_after for r in rs), after),
                missing_after=_ratio(sum(r.missing_after * r.samples_after for r in rs), after),
                anomaly_rate=_ratio(sum(r.n_repeated + r.n_outliers for r in rs), before),
                n_repeated=sum(r.n_repeated for r in rs),
                n_outliers=sum(r.n_outliers for r in rs),
                n_filled=sum(r.n_filled for r in rs),
                longest_gap_s=max(r.longest_gap_s for r in rs),
            ))
        return out

    def format(self, *, with_summary: bool = True) -> str:
        """A fixed-width text table (rates in percent)."""
        head = (f"{'modality':<8} {'player':<12} {'rate Hz':>7} {'before':>9} {'after':>9} "
                f"{'miss before':>11} {'miss after':>10} {'anomaly':>8} {'longest gap s':>13}")
        lines = [head, "-" * len(head)]
        rows = list(self.rows) + (self.summary() if with_summary and self.rows else [])
        for r in rows:
            lines.append(
                f"{r.modality:<8} {r.player[:12]:<12} {r.rate_hz:>7.1f} {r.samples_before:>9d} "
                f"{r.samples_after:>9d} {100 * r.missing_before:>10.2f}% "
                f"{100 * r.missing_after:>9.2f}% {100 * r.anomaly_rate:>7.2f}% "
                f"{r.longest_gap_s:>13.2f}")
        return "\n".join(lines)

    def to_csv(self, path: str | Path | None = None) -> str:
        """The rows as CSV text (one header line); also written to ``path`` when given."""
        buf = io.StringIO()
        names = [f.name for f in fields(QualityRow)]
        writer = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for r in self.rows:
            writer.writerow(asdict(r))
        text = buf.getvalue()
        if path is not None:
            from footcoach.io.manifest import atomic_write_text

            atomic_write_text(Path(path), text)
        return text


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def quality_table(rows: Iterable[QualityRow]) -> QualityTable:
    """Collect quality rows (as returned by :func:`clean_stream`) into a table."""
    return QualityTable(list(rows))


def clean_stream(
    ts: TimeSeries,
    kind: Literal["imu", "gps"],
    max_gap_s: float | None = None,
    *,
    player: str = "",
    smooth_window: int = 5,
    smooth_centred: bool = True,
    rate_hz: float | None = None,
    overwrite_input: bool = False,
    faults: FaultSettings | None = DEFAULT_FAULTS,
) -> tuple[TimeSeries, QualityRow]:
    """Clean one stream in the paper's order and report its quality.

    1. drop repeated timestamps (:func:`dedupe_times`);
    2. outliers: GPS fixes implying impossible speed/acceleration (``x``/``y`` in metres),
       saturated IMU values and, unless ``faults`` is None, the rows of IMU sensor faults
       (:func:`footcoach.sync.sensor_faults.remove_imu_faults`) become NaN;
    3. put on the nominal grid (dropouts become NaN rows) and interpolate gaps up to
       ``max_gap_s`` (default: 0.1 s IMU, 1.0 s GPS);
    4. IMU only: moving average over ``smooth_window`` samples; centred by default so the
       signal is not delayed by (w-1)/2 samples (``smooth_centred=False`` gives the paper's
       causal form).

    Returns the cleaned series (on its grid, NaN where gaps were too long) and its quality row;
    the series' ``meta["sensor_faults"]`` lists the IMU faults found (an empty list for GPS).
    ``overwrite_input=True`` lets the smoothing write into ``ts.values`` (a caller that drops
    the raw stream, e.g. a 100 Hz IMU read just for this, saves a copy of it).
    """
    if kind not in ("imu", "gps"):
        raise ValueError(f"kind must be 'imu' or 'gps', not {kind!r}")
    if len(ts) == 0:
        raise FootcoachError(f"the {kind} stream has no samples", ts.source or None)
    if max_gap_s is None:
        max_gap_s = DEFAULT_MAX_GAP_S[kind]
    n_raw = len(ts)
    deduped, n_repeated = dedupe_times(ts)
    raw_incomplete = int(np.count_nonzero(nan_rows(deduped.values)))
    if kind == "gps":
        cleaned, n_outliers = remove_gps_spikes(deduped)
    else:
        cleaned, n_outliers = remove_imu_saturation(deduped)
    found: list[SensorFault] = []
    if kind == "imu" and faults is not None:
        cleaned, n_faulty, found = remove_imu_faults(cleaned, faults)
        n_outliers += n_faulty
    smooth = kind == "imu" and smooth_window > 1
    gridded, report = fill_gaps(cleaned, max_gap_s, rate_hz=rate_hz, copy=not smooth)
    if smooth:  # the grid may share the input's values (copy=False): written only if allowed
        owned = overwrite_input or not np.may_share_memory(gridded.values, ts.values)
        gridded = moving_average(gridded, smooth_window, centred=smooth_centred,
                                 overwrite=owned)
    missing_before = _raw_missing(report, len(deduped), raw_incomplete)
    meta = dict(gridded.meta)
    meta["gap_report"] = report
    meta["sensor_faults"] = found
    row = QualityRow(
        player=player,
        modality=kind,
        rate_hz=report.rate_hz,
        samples_before=n_raw,
        samples_after=report.n_grid,
        missing_before=missing_before,
        missing_after=_ratio(report.n_missing_after, report.n_grid),
        anomaly_rate=_ratio(n_repeated + n_outliers, n_raw),
        n_repeated=n_repeated,
        n_outliers=n_outliers,
        n_filled=report.n_filled,
        longest_gap_s=report.longest_gap_s,
    )
    return gridded.replace(meta=meta), row


def _raw_missing(report: GapReport, n_deduped: int, raw_incomplete: int) -> float:
    """Fraction of grid rows that no complete raw sample filled (before outlier removal)."""
    placed = n_deduped - report.n_merged
    missing = report.n_grid - placed + raw_incomplete
    return _ratio(min(max(missing, 0), report.n_grid), report.n_grid)
