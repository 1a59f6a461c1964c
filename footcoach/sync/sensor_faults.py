"""A vest that stops measuring (or a GPS unit): stretches the networks should not read as is.

Three vest faults are found, each as a run of raw samples lasting at least its minimum
duration:

* **frozen**: every accelerometer and gyroscope channel repeats the previous sample exactly
  (a stuck sensor, or a logger that kept writing its last reading, zeros included). A worn
  vest's readings change from one sample to the next; coarse exports repeat for a moment only
  (the real Expert-Novice recordings, accelerometer in 1/64 g steps and gyroscope in 1 deg/s
  steps, repeat for at most 0.45 s), so the default minimum is 2 s.
* **no gravity**: the mean acceleration over ``gravity_window_s`` (1 s) is shorter than
  ``gravity_min_g`` (0.4 g) for at least ``gravity_min_s`` (2 s). Whatever the wearer does,
  gravity keeps the mean acceleration of any second near 1 g (a jump's flight lasts well under
  a second); a shorter one means a dead accelerometer axis or readings that are not
  accelerations.
* **turned**: the mean acceleration over ``turned_window_s`` (10 s) points more than
  ``turned_max_deg`` (70 degrees) from the vest's +z axis for at least as long: a vest slipped
  far, or worn far from upright. The networks bundled in sessions 27-29 read vests turned by
  up to about 60 degrees better than no vest and beyond about 70 degrees worse
  (``benchmarks/sensor_faults.py --faults slipped-45 slipped-60 slipped-75 slipped-90``; the
  threshold was chosen on those synthetic test sessions). A player lying on the ground for
  10 s reads the same. With ``turned_from="pose"`` the angle is taken from the vest's pose
  instead of its z axis (:func:`footcoach.domain.vest_frame.pose_segments`: how it sat, and
  how it sat again after it slipped for 20 s or more): for a model that turns every vest
  upright, pose by pose, before reading it (config ``vest_upright``), a vest worn turned for the
  whole session or for a long stretch is read, and only a shorter stretch far from its pose is
  set aside.

:func:`remove_imu_faults` sets the rows of a frozen or turned stretch to NaN, so the analysis
masks the vest there (``footcoach.sync.windows``: a step with under half its IMU samples is
not read) and the model reads the player's positions instead. A stretch without gravity is only
reported: the bundled networks were trained with vests turned by up to 45 degrees and read the
channels that still work (an accelerometer axis reading 0: 86-87 % action accuracy against
76 % with the vest set aside, ``benchmarks/sensor_faults.py``); ``FaultSettings.set_aside``
chooses. Magnetometer channels are not compared (many vests repeat their slower magnetometer
between its own samples).

A GPS unit can stop updating too and repeat its last fix (**frozen position**). A still player's
fix repeats as well (the real Catapult units of ../shared/data/gnss-football-tactical hold one
fix for up to 77 s between bouts), so :func:`find_gps_faults` needs the vest: a position
repeated exactly for ``position_frozen_min_s`` (10 s) while the player's vest shows him moving
for at least a quarter of it (the 75th percentile over the stretch of each second's standard
deviation of ``|a|`` at least ``moving_min_g``, 0.3 g: the simulator's players read about
0.04 g standing, 0.1 g walking and 0.45 g or more from jogging up, median per speed band).
Such a stretch is set aside: the analysis reads the vest there.

A GPS position can also move further than the player does (**drifting position**): satellite
signals reflected off a stand or a building (multipath) pull the fix metres away and back while
the receiver's own speed, measured from the Doppler shift, hardly changes.
:func:`find_position_drift` flags each second whose position speed (the distance between the
mean positions of the seconds either side, :func:`footcoach.sync.movement.drift_speed`) is
``drift_min_mps`` (2.5 m/s, a run) or more while the vest shows the player standing (the spread
of ``|a|`` under ``still_max_g``, 0.15 g) and the unit's own speed, if it writes one, does not
say he runs (then the vest is the odd one out: another player's), or ``doppler_excess_mps`` (1.5
m/s) above the unit's speed column; ``drift_min_s`` (3) such seconds make a stretch, set aside
like a held fix. Over the 960 vests and GPS units of the simulator's 96 sessions, a running
speed with a still vest lasts at most 1 s and the position's speed exceeds the unit's by 1.5 m/s
for at most 2 s. A position pulled away while the player runs, or that sits a few metres off
without moving, cannot be told from the player's own movement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.vest import acc_block_sums
from footcoach.domain.vest_frame import pose_segments
from footcoach.sync.filters import mask_runs
from footcoach.sync.movement import (
    drift_speed,
    motion_columns,
    segment_stats,
    vest_intensity,
)

FaultKind = Literal["frozen", "no gravity", "turned", "frozen position", "drifting position"]

#: The kinds found in GPS streams (the others are the vest's).
GPS_KINDS: tuple[FaultKind, ...] = ("frozen position", "drifting position")


@dataclass(frozen=True)
class FaultSettings:
    """Thresholds of :func:`find_imu_faults` (seconds, g); module docstring."""

    frozen_min_s: float = 2.0
    gravity_min_g: float = 0.4
    gravity_window_s: float = 1.0
    gravity_min_s: float = 2.0
    turned_max_deg: float = 70.0
    turned_window_s: float = 10.0
    position_frozen_min_s: float = 10.0
    moving_min_g: float = 0.3
    drift_min_mps: float = 2.5
    still_max_g: float = 0.15
    doppler_excess_mps: float = 1.5
    drift_min_s: float = 3.0
    round_body_min_deg: float = 60.0
    turned_from: str = "z"
    set_aside: tuple[FaultKind, ...] = ("frozen", "turned", "frozen position",
                                        "drifting position")

    def __post_init__(self) -> None:
        if self.turned_from not in ("z", "pose"):
            raise ValueError(f"turned_from must be 'z' or 'pose', not {self.turned_from!r}")

    def to_dict(self) -> dict[str, object]:
        return {"frozen_min_s": self.frozen_min_s, "gravity_min_g": self.gravity_min_g,
                "gravity_window_s": self.gravity_window_s, "gravity_min_s": self.gravity_min_s,
                "turned_max_deg": self.turned_max_deg, "turned_window_s": self.turned_window_s,
                "position_frozen_min_s": self.position_frozen_min_s,
                "moving_min_g": self.moving_min_g, "drift_min_mps": self.drift_min_mps,
                "still_max_g": self.still_max_g,
                "doppler_excess_mps": self.doppler_excess_mps, "drift_min_s": self.drift_min_s,
                "round_body_min_deg": self.round_body_min_deg,
                **({"turned_from": self.turned_from} if self.turned_from != "z" else {}),
                "set_aside": list(self.set_aside)}


DEFAULT_FAULTS = FaultSettings()
"""The thresholds footcoach uses unless told otherwise."""


@dataclass(frozen=True)
class SensorFault:
    """One fault: ``kind``, and the times (stream clock, s) of its first and last sample."""

    kind: FaultKind
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def _long_runs(mask: np.ndarray, t: np.ndarray, min_s: float, kind: FaultKind
               ) -> list[SensorFault]:
    """The runs of True in ``mask`` (N,) spanning at least ``min_s`` seconds of ``t``."""
    starts, ends = mask_runs(mask)
    return [SensorFault(kind, float(t[a]), float(t[b - 1]))
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
            if t[b - 1] - t[a] >= min_s]


def frozen_rows(values: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """(N,) bool: rows whose ``columns`` all equal the previous row's (the first row of a run
    included, so a run of k equal rows marks all k)."""
    n = values.shape[0]
    same = np.ones(max(n - 1, 0), dtype=bool)
    for j in columns:
        same &= values[1:, j] == values[:-1, j]  # NaN never equals: a gap breaks a run
    rows = np.zeros(n, dtype=bool)
    rows[1:] |= same
    rows[:-1] |= same
    return rows


def _rolling_mean_acc(t: np.ndarray, sums: np.ndarray, finite: np.ndarray, window_s: float,
                      block: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean acceleration (g) over about ``window_s`` around each block (of ``block``
    samples; :func:`footcoach.domain.vest.acc_block_sums`), ``(n_blocks, 3)``, and whether
    it can be judged ``(n_blocks,)`` (no NaN block in its window)."""
    n_blocks = sums.shape[0]
    span = float(t[n_blocks * block - 1] - t[0]) / max(n_blocks * block - 1, 1)  # s per sample
    k = max(1, round(window_s / (span * block))) if span > 0 else 1
    k = min(k, n_blocks)
    csum = np.vstack([np.zeros((1, 3)), np.cumsum(sums, axis=0)])
    bad = np.r_[0, np.cumsum(~finite)]  # NaN blocks so far: a window with one is not judged
    lo = np.clip(np.arange(n_blocks) - k // 2, 0, n_blocks - k)
    hi = lo + k
    return (csum[hi] - csum[lo]) / (k * block), bad[hi] == bad[lo]


def _block_rows(flags: np.ndarray, n: int, block: int) -> np.ndarray:
    """(n,) bool rows from per-block ``flags`` (the rows past the last whole block follow it)."""
    rows = np.zeros(n, dtype=bool)
    if flags.size:
        rows[:flags.size * block] = np.repeat(flags, block)
        rows[flags.size * block:] = flags[-1]
    return rows


def weak_gravity_rows(t: np.ndarray, values: np.ndarray, window_s: float, min_g: float,
                      columns: Sequence[int] = (0, 1, 2), scale: np.ndarray | None = None,
                      block: int = 10) -> np.ndarray:
    """(N,) bool: samples whose mean acceleration over about ``window_s`` around them is
    shorter than ``min_g``. ``values`` (N, C) with the accelerometer in ``columns``, times
    ``scale`` (3,) to g (default 1). The means are taken over blocks of ``block`` samples
    (0.1 s at 100 Hz), then over the blocks of ``window_s`` (a 90-minute stream in
    milliseconds); a block with a NaN breaks every window it is in (never marked)."""
    if values.shape[0] // block == 0:
        return np.zeros(values.shape[0], dtype=bool)
    blocks = acc_block_sums(values, columns, scale, block)
    mean, ok = _rolling_mean_acc(t, *blocks, window_s, block)
    return _block_rows(ok & (np.linalg.norm(mean, axis=1) < min_g), values.shape[0], block)


def turned_rows(t: np.ndarray, values: np.ndarray, window_s: float, max_deg: float,
                columns: Sequence[int] = (0, 1, 2), scale: np.ndarray | None = None,
                block: int = 10) -> np.ndarray:
    """(N,) bool: samples whose mean acceleration over about ``window_s`` around them (at
    least 0.5 g long: gravity) points more than ``max_deg`` degrees away from the vest's +z
    axis (a vest worn upright reads +1 g on z); arguments as :func:`weak_gravity_rows`."""
    if values.shape[0] // block == 0:
        return np.zeros(values.shape[0], dtype=bool)
    return _turned_blocks(t, acc_block_sums(values, columns, scale, block), window_s, max_deg,
                          values.shape[0], block)


def _turned_blocks(t: np.ndarray, blocks: tuple[np.ndarray, np.ndarray], window_s: float,
                   max_deg: float, n: int, block: int,
                   poses: list[tuple[float, np.ndarray]] | None = None) -> np.ndarray:
    """:func:`turned_rows` from block sums already made (``acc_block_sums``); ``poses``
    (:func:`footcoach.domain.vest_frame.pose_segments`) measures each block's angle from the
    pose of its time instead of from +z."""
    mean, ok = _rolling_mean_acc(t, *blocks, window_s, block)
    length = np.linalg.norm(mean, axis=1)
    judged = ok & (length >= 0.5)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = mean / length[:, None]
    up = np.tile([0.0, 0.0, 1.0], (len(unit), 1))
    if poses:
        at = np.searchsorted([p[0] for p in poses], t[:len(unit) * block:block], "right") - 1
        up = np.stack([p[1] for p in poses])[np.clip(at, 0, None)]
    with np.errstate(invalid="ignore"):
        tilt = np.degrees(np.arccos(np.clip(np.sum(unit * up, axis=1), -1.0, 1.0)))
    return _block_rows(judged & (tilt > max_deg), n, block)


def find_imu_faults(ts: TimeSeries, settings: FaultSettings | None = None
                    ) -> tuple[list[SensorFault], np.ndarray]:
    """The faults of an IMU stream (raw samples, increasing times) and the (N,) bool rows of
    those of a kind in ``settings.set_aside``. A stream without accelerometer channels has
    none."""
    s = settings or FaultSettings()
    acc, gyro, scale = motion_columns(ts)
    n = len(ts)
    covered = np.zeros(n, dtype=bool)
    if len(acc) != 3 or n < 2:
        return [], covered
    values = ts.values
    faults = _long_runs(frozen_rows(values, acc + gyro), ts.t, s.frozen_min_s, "frozen")
    frozen = np.zeros(n, dtype=bool)
    for f in faults:
        frozen[np.searchsorted(ts.t, f.start_s):np.searchsorted(ts.t, f.end_s, "right")] = True
    block = 10
    if n // block == 0:
        return faults, covered
    blocks = acc_block_sums(values, acc, scale, block)  # shared by the two checks below
    mean, ok = _rolling_mean_acc(ts.t, *blocks, s.gravity_window_s, block)
    weak = _block_rows(ok & (np.linalg.norm(mean, axis=1) < s.gravity_min_g), n, block) & ~frozen
    faults += _long_runs(weak, ts.t, s.gravity_min_s, "no gravity")
    if s.turned_max_deg < 180.0:
        poses = pose_segments(ts) if s.turned_from == "pose" else None
        turned = _turned_blocks(ts.t, blocks, s.turned_window_s, s.turned_max_deg, n, block,
                                poses)
        faults += _long_runs(turned & ~frozen & ~weak, ts.t, s.turned_window_s, "turned")
    for f in faults:
        if f.kind in s.set_aside:
            covered[np.searchsorted(ts.t, f.start_s):np.searchsorted(ts.t, f.end_s, "right")] = (
                True)
    faults.sort(key=lambda f: f.start_s)
    return faults, covered


def find_gps_faults(gps: TimeSeries, imu: TimeSeries | None,
                    settings: FaultSettings | None = None) -> list[SensorFault]:
    """The frozen and drifting positions of a raw GPS stream with ``x``, ``y`` (module
    docstring; exact repeats, so before any resampling), in time order. A frozen position
    needs the player's vest (``imu``, on the same clock) to tell a still player from a moving
    one; a drifting one the vest or the unit's own speed column. The vest is taken to be the
    unit's player's (``footcoach.app.align`` leaves out a vest that follows another player's
    track: :mod:`footcoach.sync.vest_identity`)."""
    s = settings or DEFAULT_FAULTS
    if not gps.has("x", "y") or len(gps) < 2:
        return []
    edges = _whole_seconds(gps)
    vest = vest_intensity(imu, edges, with_mean=True) if imu is not None else None
    drifting = _drift_stretches(gps, edges, vest, s)
    if vest is None:
        return drifting
    frozen = frozen_rows(gps.values, [gps.index("x"), gps.index("y")])
    held = []
    for f in _long_runs(frozen, gps.t, s.position_frozen_min_s, "frozen position"):
        inside = vest[(edges[:-1] >= f.start_s) & (edges[1:] <= f.end_s + 1e-9), 0]
        inside = inside[np.isfinite(inside)]
        if inside.size and np.percentile(inside, 75.0) >= s.moving_min_g:
            held.append(f)
    # when the unit finds its fix again the position jumps to the player: part of the held fix
    for i, f in enumerate(held):
        catch_up = [d for d in drifting if f.start_s <= d.start_s <= f.end_s + 2.0]
        if catch_up:
            held[i] = SensorFault(f.kind, f.start_s, max(f.end_s, *(d.end_s for d in catch_up)))
            drifting = [d for d in drifting if d not in catch_up]
    return sorted(held + drifting, key=lambda f: f.start_s)


def _whole_seconds(gps: TimeSeries) -> np.ndarray:
    """Edges (s) of the whole seconds a GPS stream spans."""
    return np.arange(np.floor(gps.t[0]), np.ceil(gps.t[-1]) + 1.0)


def _unit_speed(gps: TimeSeries, edges: np.ndarray) -> np.ndarray:
    """The mean of the unit's own speed column (m/s) per interval of ``edges``; NaN where
    none, or without the column."""
    if not gps.has("speed"):
        return np.full(edges.size - 1, np.nan)
    return segment_stats(gps.t, gps.channel("speed").astype(np.float64), edges)[1]


def speed_column_follows(moved: np.ndarray, told: np.ndarray, *, min_seconds: int = 10,
                         min_share: float = 0.3) -> bool:
    """Whether a unit's speed column (``told``, per-second mean, m/s) measures the player's
    speed: in ``min_share`` of the seconds where the position moves at 2 m/s or more
    (``moved``; at least ``min_seconds`` of them) it reads 1 m/s or more. Some loggers write 0,
    or a constant, where they have no speed; such a column would make every run look like a
    drifting position (share 0). Over the simulator's 960 units the share is 0.91 or more
    (median 1); with the position pulled 15 or 25 m away for 60 s of a 3-minute session
    (``benchmarks/sensor_faults.py``), 0.57 or more."""
    with np.errstate(invalid="ignore"):
        running = moved >= 2.0
        running &= np.isfinite(told)
    if running.sum() < min_seconds:
        return False
    return bool(np.mean(told[running] >= 1.0) >= min_share)


def find_position_drift(gps: TimeSeries, imu: TimeSeries | None,
                        settings: FaultSettings | None = None) -> list[SensorFault]:
    """The stretches where the position moves further than the player does (module
    docstring): each second, the position's speed (:func:`footcoach.sync.movement.drift_speed`)
    is ``drift_min_mps`` or more while the vest shows the player standing (its spread of
    ``|a|`` under ``still_max_g``, and above 0: a vest repeating one reading shows nothing; its
    mean ``|a|`` within 0.2 g of 1 g: one with a dead axis shows too little), or
    ``doppler_excess_mps`` above the unit's own speed column (over the same 2 s), for
    ``drift_min_s`` seconds or more; seconds apart by up to 2 s belong to one stretch. Each
    stretch reaches one second further either side (the seconds the speed was measured from).
    Where the unit's speed column says the player runs too, a still vest is not believed (it
    is more likely another player's). A speed column that does not follow the player
    (:func:`speed_column_follows`) is not read. Neither a vest nor a speed column: nothing
    can be told."""
    s = settings or DEFAULT_FAULTS
    if not gps.has("x", "y") or len(gps) < 2:
        return []
    edges = _whole_seconds(gps)
    vest = vest_intensity(imu, edges, with_mean=True) if imu is not None else None
    return _drift_stretches(gps, edges, vest, s)


def _drift_stretches(gps: TimeSeries, edges: np.ndarray, vest: np.ndarray | None,
                     s: FaultSettings) -> list[SensorFault]:
    """:func:`find_position_drift` with the vest's per-second spread and mean of ``|a|``
    (``vest`` (len(edges) - 1, 2), or None) already taken."""
    has_speed = gps.has("speed")
    if (vest is None and not has_speed) or gps.t[-1] - gps.t[0] < 4.0:
        return []
    moved = drift_speed(gps, edges)
    told = _unit_speed(gps, edges)  # NaN without a speed column
    if not speed_column_follows(moved, told):
        told = np.full_like(told, np.nan)  # a column of zeros, or of something else
    over = np.full_like(told, np.nan)  # over the 2 s the position's speed is measured on
    over[1:-1] = 0.25 * (told[:-2] + 2.0 * told[1:-1] + told[2:])
    with np.errstate(invalid="ignore"):
        flagged = moved - over >= s.doppler_excess_mps
        if vest is not None:
            sd, mean = vest.T
            reads_gravity = np.abs(mean - 1.0) < 0.2  # not a dead axis (no gravity)
            unit_runs = over >= s.drift_min_mps  # then the vest is the odd one out
            flagged |= ((sd > 0) & (sd < s.still_max_g) & reads_gravity
                        & (moved >= s.drift_min_mps) & ~unit_runs)
    starts, ends = mask_runs(flagged)
    groups: list[list[int]] = []  # [first second, last second + 1, flagged seconds]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if groups and a - groups[-1][1] <= 2:
            groups[-1][1], groups[-1][2] = b, groups[-1][2] + b - a
        else:
            groups.append([a, b, b - a])
    return [SensorFault("drifting position", float(max(edges[a] - 1.0, gps.t[0])),
                        float(min(edges[b] + 1.0, gps.t[-1])))
            for a, b, n in groups if n >= s.drift_min_s]


def set_aside(ts: TimeSeries, faults: Sequence[SensorFault], kinds: Sequence[FaultKind]
              ) -> TimeSeries:
    """``ts`` with every row inside a fault of one of ``kinds`` set to NaN (a copy when any)."""
    rows = np.zeros(len(ts), dtype=bool)
    for f in faults:
        if f.kind in kinds:
            rows[np.searchsorted(ts.t, f.start_s):np.searchsorted(ts.t, f.end_s, "right")] = True
    if not rows.any():
        return ts
    values = np.array(ts.values, copy=True)
    values[rows] = np.nan
    return ts.replace(values=values)


def remove_imu_faults(ts: TimeSeries, settings: FaultSettings | None = None
                      ) -> tuple[TimeSeries, int, list[SensorFault]]:
    """Set every channel of the rows of the faults to set aside to NaN; returns the series,
    the number of rows set and all the faults found (:func:`find_imu_faults`)."""
    faults, covered = find_imu_faults(ts, settings)
    if not covered.any():
        return ts, 0, faults
    values = ts.values.copy()
    values[covered] = np.nan
    return ts.replace(values=values), int(np.count_nonzero(covered)), faults


def clock(seconds: float) -> str:
    """``m:ss.s`` of a session time in seconds (``-`` before zero)."""
    tenths = round(abs(seconds) * 10)
    sign = "-" if seconds < 0 and tenths else ""
    m, t = divmod(tenths, 600)
    return f"{sign}{m}:{t // 10:02d}.{t % 10}"


def fault_warning(player: str, faults: Sequence[SensorFault],
                  set_aside: Sequence[FaultKind] = DEFAULT_FAULTS.set_aside) -> str | None:
    """One sentence naming the player's faults, their session times and what the analysis
    does with them; None without any."""
    if not faults:
        return None
    said = {"frozen": "repeated the same reading (a stuck sensor or a logger writing its last "
                      "sample)",
            "no gravity": "read no gravity (a dead accelerometer axis, or data that are not "
                          "accelerations)",
            "turned": f"sat more than {DEFAULT_FAULTS.turned_max_deg:.0f} degrees from upright "
                      "(the player lying down, or the vest slipped or worn turned; that far "
                      "the networks read it worse than no vest)",
            "frozen position": "repeated the same position while the vest shows the player "
                               "moving (a unit that lost its fix)",
            "drifting position": "moved further than the player did (while the vest shows him "
                                 "standing, or faster than the unit's own speed says; "
                                 "multipath: satellite signals reflected off stands or "
                                 "buildings)"}
    what = {"frozen": "set aside, the analysis reads only the player's positions there",
            "turned": "set aside, the analysis reads only the player's positions there",
            "frozen position": "set aside, the analysis reads the player's vest there",
            "drifting position": "set aside, the analysis reads the player's vest there"}
    parts = []
    for kind in ("frozen", "no gravity", "turned", *GPS_KINDS):
        mine = [f for f in faults if f.kind == kind]
        if mine:
            spans = ", ".join(f"{clock(f.start_s)}-{clock(f.end_s)}" for f in mine[:4])
            more = f" and {len(mine) - 4} more" if len(mine) > 4 else ""
            total = sum(f.duration_s for f in mine)
            done = (what.get(kind, "set aside") if kind in set_aside else
                    "kept, the model reads the vest's other channels there" if kind == "no gravity"
                    else "kept")
            parts.append(f"{said[kind]} at {spans}{more} ({total:.0f} s): {done}")
    device = "GPS unit" if all(f.kind in GPS_KINDS for f in faults) else "vest"
    return f"{device} of {player}: {'; '.join(parts)}"
