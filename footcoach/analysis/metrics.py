"""External-load metrics per player and period, from GPS positions and the IMU accelerometer.

Speed comes from *smoothed* positions. Raw 10 Hz GNSS fixes carry centimetre-to-decimetre noise
and quantisation (the real Catapult files in ../data quantise latitude to 15 cm); differentiating
them directly gives speeds jittering by +-1.5 m/s and accelerations of +-15 m/s^2 between
consecutive fixes, which would inflate distance, high-speed metres and acceleration counts.
footcoach therefore:

1. removes impossible fixes (:func:`footcoach.sync.filters.remove_gps_spikes`), puts the track on
   its nominal grid and bridges gaps up to ``max_gap_s`` linearly;
2. smooths x and y with two passes of a centred ``smooth_s`` (0.5 s) moving average - a
   triangular kernel of about 0.9 s, cut-off near 1 Hz, well above the 0.2-0.5 Hz content of
   running speed - whose windows shrink symmetrically at gaps and ends, so straight runs at
   constant speed are unchanged (distance exact);
3. speed of each step between consecutive grid rows = step length / interval; distance is the sum
   of step lengths, and each step's length goes to the speed band of its speed;
4. acceleration = change of step speed per interval, smoothed once more with the same window.

Efforts: a sprint is a run of steps above the sprint threshold lasting at least
``sprint_min_s`` (1 s); an acceleration (deceleration) is a run above ``+effort_mps2``
(below ``-effort_mps2``) lasting at least ``effort_min_s`` (0.5 s). A run belongs to the period
in which it starts.

PlayerLoad (Catapult): ``sum sqrt(dax^2 + day^2 + daz^2) / 100`` over consecutive samples of the
100 Hz accelerometer in g (streams at another rate are resampled to 100 Hz first, since the sum
depends on the rate); differences touching a missing sample are skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.sync.filters import (
    accelerometer_columns,
    dedupe_times,
    fill_gaps,
    mask_runs,
    remove_gps_spikes,
)
from footcoach.sync.resample import resample, session_grid
from footcoach.sync.smoothing import (
    centred_smooth,
)

BAND_NAMES: tuple[str, ...] = ("walk", "jog", "run", "hsr", "sprint")
PLAYERLOAD_RATE_HZ = 100.0

Period = tuple[str, float, float]
"""(name, start_s, end_s) on the streams' (session) clock; a sample belongs to it when
start_s <= t < end_s."""


@dataclass(frozen=True)
class SpeedBands:
    """Upper speed limits (m/s) of the bands; sprint is everything above ``hsr_max``.

    Defaults: walking < 2, jogging 2-4, running 4-5.5, high-speed running (HSR) 5.5-7,
    sprinting > 7 m/s.
    """

    walk_max: float = 2.0
    jog_max: float = 4.0
    run_max: float = 5.5
    hsr_max: float = 7.0

    def edges(self) -> np.ndarray:
        """Band edges (6,): 0, the four limits, inf."""
        e = np.array([0.0, self.walk_max, self.jog_max, self.run_max, self.hsr_max, np.inf])
        if np.any(np.diff(e) <= 0):
            raise ValueError(f"speed band limits must increase: {e[1:5].tolist()}")
        return e

    @property
    def sprint_mps(self) -> float:
        return self.hsr_max


@dataclass(frozen=True)
class MetricSettings:
    """How the metrics are computed (see the module docstring)."""

    bands: SpeedBands = field(default_factory=SpeedBands)
    sprint_min_s: float = 1.0
    effort_mps2: float = 3.0
    effort_min_s: float = 0.5
    smooth_s: float = 0.5
    max_gap_s: float = 1.0
    remove_spikes: bool = True
    x: str = "x"
    y: str = "y"


@dataclass
class MetricsRow:
    """Load of one player over one period. GPS figures are NaN (counts None) without GPS,
    PlayerLoad NaN without IMU. ``gps_coverage`` is the fraction of the period with speed."""

    player: str
    period: str
    start_s: float
    end_s: float
    duration_min: float
    distance_m: float = np.nan
    m_per_min: float = np.nan
    dist_walk_m: float = np.nan
    dist_jog_m: float = np.nan
    dist_run_m: float = np.nan
    dist_hsr_m: float = np.nan
    dist_sprint_m: float = np.nan
    n_sprints: int | None = None
    n_accels: int | None = None
    n_decels: int | None = None
    max_speed_mps: float = np.nan
    player_load: float = np.nan
    player_load_per_min: float = np.nan
    gps_coverage: float = np.nan


@dataclass
class Locomotion:
    """Per-step kinematics of one GPS track on its grid (M = grid rows - 1 steps).

    ``t_mid`` (M,) step mid times (s); ``step_m`` (M,) step lengths of the smoothed track;
    ``speed_mps`` (M,); ``accel_mps2`` (M,) smoothed change of speed; ``dt_s`` grid interval.
    NaN where a step touches a gap.
    """

    t_mid: np.ndarray
    step_m: np.ndarray
    speed_mps: np.ndarray
    accel_mps2: np.ndarray
    dt_s: float


def locomotion(gps_xy: TimeSeries, settings: MetricSettings | None = None) -> Locomotion:
    """Speed and acceleration of a player from ``x``/``y`` positions in metres."""
    s = settings or MetricSettings()
    if not gps_xy.has(s.x, s.y):
        raise FootcoachError(f"metrics need GPS channels {s.x!r} and {s.y!r} in metres, "
                             f"found {list(gps_xy.channels)}", gps_xy.source or None)
    pos, _ = dedupe_times(gps_xy.select([s.x, s.y]))
    if len(pos) < 2:
        empty = np.empty(0)
        return Locomotion(empty, empty, empty, empty, 0.1)
    if s.remove_spikes:
        pos, _ = remove_gps_spikes(pos, x=s.x, y=s.y)
    pos, report = fill_gaps(pos, s.max_gap_s)
    dt = 1.0 / report.rate_hz
    half = max(1, round(s.smooth_s / dt / 2))
    p = centred_smooth(centred_smooth(pos.values, half), half)
    step = np.hypot(*np.diff(p, axis=0).T)
    speed = step / dt
    accel = np.full(speed.shape, np.nan)
    accel[1:] = np.diff(speed) / dt
    accel = centred_smooth(accel, half)
    return Locomotion(pos.t[:-1] + dt / 2, step, speed, accel, dt)


def efforts(t: np.ndarray, mask: np.ndarray, dt: float, min_s: float) -> np.ndarray:
    """Start times (K,) of the True runs of ``mask`` lasting at least ``min_s`` (n * dt)."""
    starts, ends = mask_runs(mask)
    long = (ends - starts) * dt >= min_s - 1e-6 * dt
    return np.asarray(t[starts[long]])


def player_load_steps(imu: TimeSeries) -> tuple[np.ndarray, np.ndarray]:
    """(mid times (M,), PlayerLoad increments (M,)) of an IMU stream; NaN across gaps."""
    idx, to_g = accelerometer_columns(imu)
    acc = imu.select([imu.channels[i] for i in idx])
    acc = acc.replace(values=acc.values * to_g, units=("g",) * 3)
    acc, _ = dedupe_times(acc)
    if len(acc) < 2:
        return np.empty(0), np.empty(0)
    acc, _ = fill_gaps(acc, max_gap_s=0.0)  # the grid only: dropouts become NaN rows
    if abs(acc.rate_hz - PLAYERLOAD_RATE_HZ) > 0.01 * PLAYERLOAD_RATE_HZ:
        acc = resample(acc, session_grid(acc.t[0], acc.t[-1], PLAYERLOAD_RATE_HZ),
                       max_gap_s=1.5 / acc.rate_hz)
    d = np.diff(acc.values, axis=0)
    inc = np.sqrt(np.sum(d * d, axis=1)) / 100.0
    return 0.5 * (acc.t[:-1] + acc.t[1:]), inc


def _span(gps_xy: TimeSeries | None, imu: TimeSeries | None) -> tuple[float, float]:
    starts = [float(np.nanmin(s.t)) for s in (gps_xy, imu) if s is not None and len(s)]
    ends = [float(np.nanmax(s.t)) for s in (gps_xy, imu) if s is not None and len(s)]
    if not starts:
        raise FootcoachError("no GPS or IMU samples to compute metrics from")
    return min(starts), float(np.nextafter(max(ends), np.inf))


def compute_metrics(
    gps_xy: TimeSeries | None,
    imu: TimeSeries | None,
    periods: Sequence[Period] | None = None,
    *,
    player: str = "",
    settings: MetricSettings | None = None,
) -> list[MetricsRow]:
    """Load metrics of one player for each period (default: one period ``session`` spanning all
    samples). ``gps_xy``: positions ``x``/``y`` in metres (~10 Hz); ``imu``: accelerometer
    channels ``acc_*`` in g or m/s^2 (~100 Hz); either may be None. Both on one clock."""
    s = settings or MetricSettings()
    if periods is None:
        start, end = _span(gps_xy, imu)
        periods = [("session", start, end)]
    loco = locomotion(gps_xy, s) if gps_xy is not None and len(gps_xy) else None
    pl = player_load_steps(imu) if imu is not None and len(imu) else None
    rows = []
    for name, start, end in periods:
        if not end > start:
            raise FootcoachError(f"period {name!r} ends ({end}) before it starts ({start})")
        row = MetricsRow(player=player, period=name, start_s=float(start), end_s=float(end),
                         duration_min=(end - start) / 60.0)
        if loco is not None:
            _gps_metrics(row, loco, s)
        if pl is not None:
            t_mid, inc = pl
            sel = (t_mid >= start) & (t_mid < end)
            row.player_load = float(np.nansum(inc[sel]))
            row.player_load_per_min = row.player_load / row.duration_min
        rows.append(row)
    return rows


def _gps_metrics(row: MetricsRow, loco: Locomotion, s: MetricSettings) -> None:
    """Fill the GPS figures of ``row`` from the steps inside its period."""
    sel = (loco.t_mid >= row.start_s) & (loco.t_mid < row.end_s)
    step = loco.step_m[sel]
    speed = loco.speed_mps[sel]
    ok = np.isfinite(step)
    row.distance_m = float(np.sum(step[ok]))
    row.m_per_min = row.distance_m / row.duration_min
    band = np.digitize(speed[ok], s.bands.edges()[1:-1])  # 0..4
    per_band = np.bincount(band, weights=step[ok], minlength=len(BAND_NAMES))
    for name, metres in zip(BAND_NAMES, per_band.tolist(), strict=True):
        setattr(row, f"dist_{name}_m", float(metres))
    row.max_speed_mps = float(np.max(speed[ok])) if ok.any() else np.nan
    row.gps_coverage = float(np.count_nonzero(ok) * loco.dt_s / (row.end_s - row.start_s))
    with np.errstate(invalid="ignore"):
        fast = loco.speed_mps > s.bands.sprint_mps
        acc = loco.accel_mps2 > s.effort_mps2
        dec = loco.accel_mps2 < -s.effort_mps2

    def count(mask: np.ndarray, min_s: float) -> int:
        t0 = efforts(loco.t_mid, mask, loco.dt_s, min_s)
        return int(np.count_nonzero((t0 >= row.start_s) & (t0 < row.end_s)))

    row.n_sprints = count(fast, s.sprint_min_s)
    row.n_accels = count(acc, s.effort_min_s)
    row.n_decels = count(dec, s.effort_min_s)


_COLUMNS = (
    ("player", "player", "<10", ""), ("period", "period", "<10", ""),
    ("duration_min", "min", ">6", ".1f"), ("distance_m", "dist m", ">8", ".0f"),
    ("m_per_min", "m/min", ">6", ".1f"), ("dist_walk_m", "walk", ">6", ".0f"),
    ("dist_jog_m", "jog", ">6", ".0f"), ("dist_run_m", "run", ">6", ".0f"),
    ("dist_hsr_m", "HSR", ">6", ".0f"), ("dist_sprint_m", "sprint", ">6", ".0f"),
    ("n_sprints", "spr#", ">5", ""), ("n_accels", "acc#", ">5", ""),
    ("n_decels", "dec#", ">5", ""), ("max_speed_mps", "vmax", ">5", ".2f"),
    ("player_load", "PL", ">7", ".1f"), ("player_load_per_min", "PL/min", ">6", ".2f"),
)


def _cell(value: object, spec: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    if isinstance(value, str):
        return value[:10]
    return format(value, spec)


def format_metrics_table(rows: Sequence[MetricsRow]) -> str:
    """A fixed-width text table, one line per row (distances in metres, speeds in m/s)."""
    head = " ".join(format(title, align) for _, title, align, _ in _COLUMNS)
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(" ".join(format(_cell(getattr(r, name), spec), align)
                              for name, _, align, spec in _COLUMNS))
    return "\n".join(lines)


def metrics_to_csv(rows: Sequence[MetricsRow], path: str | Path | None = None) -> str:
    """The rows as CSV text (missing values empty); also written to ``path`` when given."""
    buf = io.StringIO()
    names = [f.name for f in fields(MetricsRow)]
    writer = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        d = asdict(r)
        writer.writerow({k: ("" if v is None or (isinstance(v, float) and not np.isfinite(v))
                             else v) for k, v in d.items()})
    text = buf.getvalue()
    if path is not None:
        from footcoach.io.manifest import atomic_write_text

        atomic_write_text(Path(path), text)
    return text
