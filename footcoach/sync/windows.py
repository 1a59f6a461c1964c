"""Cutting a player's aligned streams into model *steps* (pure numpy; shared by the dataset
builder and the analysis, so training and inference see identical inputs).

Step ``k`` of the session covers ``[k * step_s, (k + 1) * step_s)`` on the session clock
(:class:`StepGrid`); every player of a session uses the same grid. Per step and player:

* IMU: ``imu_per_step`` samples at ``k * step_s + j / imu_rate_hz`` of 9 channels in the
  contract's units (acc x/y/z g, gyro x/y/z rad/s, mag x/y/z divided by the player's median field
  strength, i.e. unit field); NaN -> 0 and a per-step flag ``imu_valid`` (at least half the
  samples present, all nine channels).
* Context: the :data:`~footcoach.domain.windowing.CONTEXT_FEATURES`, each the mean of
  ``CONTEXT_RATE_HZ`` samples over the step, computed from smoothed positions of every player
  (:class:`ContextBuilder`; the team-shape ones in :mod:`footcoach.sync.team_context`, the
  ball-relative ones in :mod:`footcoach.sync.ball_context`, the capacity ones from the
  player's whole session track, :meth:`ContextBuilder.capacity`, the runs again from
  :class:`~footcoach.sync.team_context.TeamShape`), those
  the spec names in its order; NaN where unknown (no ball track, no teammate ...), and a per-step
  flag ``position_valid`` (own position known for at least half the step).
* Video: ``frames_per_step`` frames at the step's :meth:`StepGrid.frame_times` (centred
  sub-intervals); the crops themselves are cut by :mod:`footcoach.io.video_crops`.

A *window* is ``window_steps`` consecutive steps of one player; its labels are those at its
centre time :func:`window_centre_times`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from footcoach.domain.pitch import Pitch
from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.windowing import (
    BALL_CONTEXT_FEATURES,
    CONTEXT_FEATURES,
    PLAYER_CONTEXT_FEATURES,
    POSSESSION_CONTEXT_FEATURES,
    RUN_CONTEXT_FEATURES,
    TEAM_CONTEXT_FEATURES,
    WindowSpec,
)
from footcoach.errors import FootcoachError
from footcoach.sync.ball_context import (
    POSSESSION_MEMORY_S,
    BallContext,
    ball_kinematics,
    possession,
)
from footcoach.sync.resample import resample
from footcoach.sync.smoothing import (
    centred_smooth,
)
from footcoach.sync.team_context import TeamShape, attack_signs

CONTEXT_RATE_HZ = 10.0
"""Samples per second averaged into each step's context features."""
POSITION_SMOOTH_S = 0.5
"""Width (s) of the centred moving average applied (twice) to positions before derivatives."""
IMU_CHANNELS: tuple[str, ...] = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z",
                                 "mag_x", "mag_y", "mag_z")
"""Aligned IMU channels in the model's channel order."""
MIN_VALID_FRACTION = 0.5

CAPACITY_PERCENTILE = 99.5
"""Percentile of a player's session speed / deceleration taken as his top (robust to a few
GPS spikes that survive the smoothing)."""

MIN_CAPACITY_TRACK_S = 30.0
"""Less track than this (s) leaves the capacity features unknown."""
"""A step's IMU / position counts as present when at least this share of its samples is."""

_UNIT_SCALE = {"g": 1.0, "m/s^2": 1.0 / 9.80665, "m/s2": 1.0 / 9.80665, "rad/s": 1.0,
               "deg/s": np.pi / 180.0, "dps": np.pi / 180.0}


@dataclass(frozen=True)
class StepGrid:
    """Steps ``k0 .. k0 + n - 1`` of ``step_s`` seconds; step ``k`` starts at ``k * step_s``."""

    k0: int
    n: int
    step_s: float

    @property
    def t_start(self) -> np.ndarray:
        """(n,) float64 start time of each step, session seconds."""
        return (self.k0 + np.arange(self.n)) * self.step_s

    @property
    def t_centre(self) -> np.ndarray:
        """(n,) float64 centre time of each step."""
        return (self.k0 + np.arange(self.n) + 0.5) * self.step_s

    def sample_times(self, per_step: int) -> np.ndarray:
        """(n, per_step) times ``k * step_s + j * step_s / per_step`` (regular sampling that
        starts on the step boundary, as the IMU and context lattices do)."""
        j = np.arange(per_step) / per_step
        return (self.k0 + np.arange(self.n)[:, None] + j[None, :]) * self.step_s

    def frame_times(self, frames_per_step: int) -> np.ndarray:
        """(n, F) video sampling times: the centres of F equal sub-intervals of each step."""
        j = (np.arange(frames_per_step) + 0.5) / frames_per_step
        return (self.k0 + np.arange(self.n)[:, None] + j[None, :]) * self.step_s

    def sub(self, start: int, stop: int) -> StepGrid:
        """Steps ``start .. stop - 1`` of this grid (indices relative to ``k0``)."""
        start, stop = max(0, start), min(self.n, stop)
        return StepGrid(self.k0 + start, max(0, stop - start), self.step_s)


def step_grid(t_start: float, t_end: float, spec: WindowSpec) -> StepGrid:
    """The steps lying entirely inside ``[t_start, t_end]`` (session seconds)."""
    step = float(spec.step_s)
    if not step > 0:
        raise ValueError("step_s must be positive")
    k0 = int(np.ceil(t_start / step - 1e-9))
    k1 = int(np.floor(t_end / step + 1e-9))  # exclusive: step k1 - 1 ends at k1 * step <= t_end
    return StepGrid(k0, max(0, k1 - k0), step)


def window_centre_times(grid: StepGrid, starts: np.ndarray, window_steps: int) -> np.ndarray:
    """(M,) centre time of the windows starting at grid steps ``starts`` (relative indices)."""
    return (grid.k0 + np.asarray(starts) + window_steps / 2.0) * grid.step_s


# ------------------------------------------------------------------------------------- IMU
def field_strength(ts: TimeSeries) -> float | None:
    """Median magnitude of the magnetometer vector over the stream (None without one)."""
    if not ts.has(*IMU_CHANNELS[6:]):
        return None
    mag = np.stack([ts.channel(c) for c in IMU_CHANNELS[6:]], axis=1).astype(np.float64)
    norm = np.linalg.norm(mag, axis=1)
    good = norm[np.isfinite(norm) & (norm > 0)]
    return float(np.median(good)) if good.size else None


def imu_contract(ts: TimeSeries, field: float | None = None) -> np.ndarray:
    """(N, 9) float32 of an aligned IMU stream in the model's units and channel order.

    Accelerations in g, angular rates in rad/s (converted from m/s^2 and deg/s when labelled
    so); the magnetometer divided by ``field`` (default: :func:`field_strength` of ``ts``), i.e.
    unit field. A stream without magnetometer channels gets zeros there. Raises FootcoachError
    when the accelerometer or gyroscope channels are missing or in unknown units.
    """
    out = np.zeros((len(ts), len(IMU_CHANNELS)), dtype=np.float32)
    for c, name in enumerate(IMU_CHANNELS[:6]):
        if name not in ts.channels:
            raise FootcoachError(f"the IMU stream has no {name!r} channel "
                                 f"(channels: {', '.join(ts.channels)})", ts.source or None)
        unit = ts.units[ts.index(name)]
        scale = _UNIT_SCALE.get(unit)
        if scale is None:
            raise FootcoachError(f"unknown unit {unit!r} of IMU channel {name!r}",
                                 ts.source or None)
        out[:, c] = ts.channel(name) * scale
    if ts.has(*IMU_CHANNELS[6:]):
        field = field if field is not None else field_strength(ts)
        mag = np.stack([ts.channel(c) for c in IMU_CHANNELS[6:]], axis=1)
        out[:, 6:] = mag / (field or 1.0)
    return out


def imu_steps(ts: TimeSeries | None, grid: StepGrid, spec: WindowSpec, *,
              field: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """IMU of one player per step: ``(imu (n, P, 9) float32 with NaN -> 0, valid (n,) bool)``.

    ``P = spec.imu_per_step``. Samples are taken at :meth:`StepGrid.sample_times`; on the
    aligned 100 Hz lattice that is an exact lookup, any other rate is interpolated linearly
    (gaps stay NaN). ``valid``: at least half the step's samples have all nine channels (or
    all six without a magnetometer). Only the samples under the grid are converted, so
    cutting a long session block by block stays linear; pass the session's ``field``
    (:func:`field_strength` of the whole stream) so that every block is scaled alike.
    """
    p = spec.imu_per_step
    n_ch = len(IMU_CHANNELS)
    if ts is not None and grid.n:
        pad = 2.0 / max(ts.rate_hz, spec.imu_rate_hz)
        ts = ts.slice_time(grid.t_start[0] - pad, grid.t_start[-1] + grid.step_s + pad)
    if ts is None or len(ts) == 0 or grid.n == 0:
        return np.zeros((grid.n, p, n_ch), np.float32), np.zeros(grid.n, bool)
    values = imu_contract(ts, field)
    times = grid.sample_times(p).reshape(-1)
    rate = ts.rate_hz
    if rate > 0 and abs(rate - spec.imu_rate_hz) < 1e-6 * spec.imu_rate_hz:
        idx = np.rint((times - ts.t[0]) * rate).astype(np.int64)
        inside = (idx >= 0) & (idx < len(ts))
        picked = np.full((times.size, n_ch), np.nan, np.float32)
        picked[inside] = values[idx[inside]]
        on_lattice = np.abs(ts.t[np.clip(idx, 0, len(ts) - 1)] - times) < 0.25 / rate
        picked[~on_lattice] = np.nan
    else:
        src = ts.replace(values=values.astype(np.float64), channels=IMU_CHANNELS,
                         units=("",) * n_ch)
        picked = resample(src, times).values.astype(np.float32)
    steps = picked.reshape(grid.n, p, n_ch)
    checked = n_ch if ts.has(*IMU_CHANNELS[6:]) else 6
    complete = np.all(np.isfinite(steps[..., :checked]), axis=2)
    valid = complete.mean(axis=1) >= MIN_VALID_FRACTION
    return np.nan_to_num(steps, nan=0.0, posinf=0.0, neginf=0.0), valid


# --------------------------------------------------------------------------------- context
def attack_goals(teams: Mapping[str, str], pitch: Pitch) -> dict[str, tuple[float, float]]:
    """Goal centre (pitch metres) each team attacks: the first team in alphabetical order
    (``"A"``, ``"away"`` ...) attacks ``x = length``, every other team ``x = 0`` (the simulator's
    convention; real sessions should name their teams so that this holds). Players without a
    team attack ``x = length``."""
    names = sorted({t for t in teams.values() if t})
    far, near = pitch.goals_xy[1], pitch.goals_xy[0]
    goals = {t: (far if i == 0 else near) for i, t in enumerate(names)}
    goals[""] = far
    return goals


class ContextBuilder:
    """Context features of every player on a step grid.

    Args:
        positions: player id -> aligned positions (channels ``x``, ``y`` in pitch metres; the
            10 Hz GPS lattice or tracking data).
        teams: player id -> team name (``""`` unknown: no teammates or opponents).
        pitch: the pitch (size for ``x_norm`` / ``y_norm``, goals).
        ball: optional ball track (channels ``x``, ``y`` metres on the session clock).
        spec: the window settings.
    """

    def __init__(self, positions: Mapping[str, TimeSeries], teams: Mapping[str, str],
                 pitch: Pitch, *, ball: TimeSeries | None = None,
                 spec: WindowSpec | None = None) -> None:
        self.positions = dict(positions)
        self.teams = {pid: teams.get(pid, "") for pid in self.positions}
        self.pitch = pitch
        self.ball = ball
        self.spec = spec or WindowSpec()
        self.goals = attack_goals(self.teams, pitch)
        self._smoothed: dict[str, TimeSeries | None] = {}
        self._capacity: dict[str, tuple[float, float]] = {}
        unknown = [f for f in self.spec.context_features if f not in CONTEXT_FEATURES]
        if unknown:
            raise ValueError(f"unknown context feature(s) {', '.join(unknown)} (this footcoach "
                             f"computes {', '.join(CONTEXT_FEATURES)})")
        self._columns = np.array([CONTEXT_FEATURES.index(f)
                                  for f in self.spec.context_features], np.int64)
        self._signs = attack_signs(self.goals, pitch.length_m)

    @property
    def samples_per_step(self) -> int:
        return max(1, round(self.spec.step_s * CONTEXT_RATE_HZ))

    def smoothed_xy(self, player_id: str, times: np.ndarray) -> np.ndarray:
        """(len(times), 2) smoothed position of one player (NaN where unknown)."""
        return self._kinematics(player_id, np.asarray(times, np.float64).reshape(-1))[0]

    def _smoothed_series(self, pid: str) -> TimeSeries | None:
        """The player's smoothed x, y, vx, vy (m/s) and longitudinal accel (m/s^2) on the
        positions' own lattice (computed once per player)."""
        if pid in self._smoothed:
            return self._smoothed[pid]
        ts = self.positions.get(pid)
        series = None
        if ts is not None and len(ts) >= 2 and ts.has("x", "y"):
            xy = ts.select(["x", "y"])
            dt = float(np.median(np.diff(xy.t)))
            half = max(1, round(POSITION_SMOOTH_S / dt / 2))
            p = centred_smooth(centred_smooth(xy.values, half), half)
            v = np.gradient(p, xy.t, axis=0)
            speed = np.hypot(v[:, 0], v[:, 1])
            acc = centred_smooth(np.gradient(speed, xy.t), half)
            series = xy.replace(values=np.c_[p, v, acc], channels=("x", "y", "vx", "vy", "a"),
                                units=("m", "m", "m/s", "m/s", "m/s^2"), meta={"dt": dt})
        self._smoothed[pid] = series
        return series

    def capacity(self, pid: str) -> tuple[float, float]:
        """The player's session top speed (m/s) and top deceleration (m/s^2, > 0): the
        :data:`CAPACITY_PERCENTILE` of his smoothed speed and deceleration over the whole
        session; NaN with less than :data:`MIN_CAPACITY_TRACK_S` of track."""
        if pid not in self._capacity:
            series = self._smoothed_series(pid)
            top = (float("nan"), float("nan"))
            if series is not None:
                v = series.values
                speed = np.hypot(v[:, 2], v[:, 3])
                ok = np.isfinite(speed) & np.isfinite(v[:, 4])
                if ok.sum() * float(series.meta["dt"]) >= MIN_CAPACITY_TRACK_S:  # type: ignore[arg-type]
                    top = (float(np.percentile(speed[ok], CAPACITY_PERCENTILE)),
                           float(np.percentile(-v[ok, 4], CAPACITY_PERCENTILE)))
            self._capacity[pid] = top
        return self._capacity[pid]

    def _kinematics(self, pid: str, times: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
        """Smoothed position (T, 2), velocity (T, 2) m/s and longitudinal accel (T,) m/s^2 at
        ``times`` (linear interpolation of the smoothed lattice series; NaN in gaps)."""
        series = self._smoothed_series(pid)
        if series is None:
            nan2 = np.full((times.size, 2), np.nan)
            return nan2, nan2.copy(), np.full(times.size, np.nan)
        dt = float(series.meta["dt"])  # type: ignore[arg-type]
        out = resample(series, times, max_gap_s=1.5 * dt).values
        return out[:, 0:2], out[:, 2:4], out[:, 4]

    def steps(self, grid: StepGrid) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """player id -> ``(context (n, K) float32, NaN where unknown; position_valid (n,)
        bool)`` for every player given to the builder."""
        m = self.samples_per_step
        times = grid.sample_times(m).reshape(-1)
        pids = list(self.positions)
        kin = {pid: self._kinematics(pid, times) for pid in pids}
        all_xy = np.stack([kin[pid][0] for pid in pids]) if pids else np.zeros((0, 0, 2))
        all_vel = np.stack([kin[pid][1] for pid in pids]) if pids else np.zeros((0, 0, 2))
        ball, ball_vel = ball_kinematics(self.ball, times)
        team_of = [self.teams[pid] for pid in pids]
        shape = TeamShape(all_xy, all_vel, team_of, self._signs, self.pitch.length_m)
        n_player, n_team = len(PLAYER_CONTEXT_FEATURES), len(TEAM_CONTEXT_FEATURES)
        need_team = bool(np.any(self._columns >= n_player))
        need_ball = bool(np.any(self._columns >= n_player + n_team)) and self.ball is not None
        runs_at = CONTEXT_FEATURES.index(RUN_CONTEXT_FEATURES[0])
        poss_at = CONTEXT_FEATURES.index(POSSESSION_CONTEXT_FEATURES[0])
        need_runs = bool(np.any((self._columns >= runs_at) & (self._columns < poss_at)))
        need_poss = bool(np.any(self._columns >= poss_at)) and self.ball is not None
        held = self._possession(times, pids, team_of) if need_poss else None
        around = (BallContext(ball, ball_vel, all_xy, team_of, self._signs,
                              self.pitch.length_m) if need_ball else None)
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for i, pid in enumerate(pids):
            xy, vel, acc = kin[pid]
            player = self._features(i, pids, all_xy, xy, vel, acc, ball)
            team = (shape.features(i) if need_team
                    else np.full((len(xy), n_team), np.nan))
            balls = (around.features(i) if around is not None
                     else np.full((len(xy), len(BALL_CONTEXT_FEATURES)), np.nan))
            top_speed, top_decel = self.capacity(pid)
            capacity = np.stack([np.full(len(xy), top_speed), np.full(len(xy), top_decel),
                                 player[:, 0] / top_speed], axis=1)
            runs = (shape.runs(i) if need_runs
                    else np.full((len(xy), len(RUN_CONTEXT_FEATURES)), np.nan))
            poss = np.full((len(xy), len(POSSESSION_CONTEXT_FEATURES)), np.nan)
            if held is not None and team_of[i]:
                with np.errstate(invalid="ignore"):
                    poss[:, 0] = np.where(held[0] >= 0, held[0] == held[2][team_of[i]],
                                          np.nan)
                poss[:, 1] = held[1]
            feats = np.concatenate([player, team, balls, capacity, runs, poss],
                                   axis=1)[:, self._columns]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN steps stay NaN
                ctx = np.nanmean(feats.reshape(grid.n, m, -1), axis=1)
            have = np.isfinite(xy[:, 0]).reshape(grid.n, m).mean(axis=1)
            out[pid] = ctx.astype(np.float32), have >= MIN_VALID_FRACTION
        return out

    def _possession(self, times: np.ndarray, pids: list[str], team_of: list[str]
                    ) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """:func:`~footcoach.sync.ball_context.possession` at ``times``, computed from
        :data:`POSSESSION_MEMORY_S` before them (so a block of a session sees the changes just
        before it): ``(team (T,) int, age (T,) s, team name -> team number)``."""
        spacing = float(times[1] - times[0]) if times.size > 1 else self.spec.step_s
        n_pre = int(np.ceil(POSSESSION_MEMORY_S / spacing))
        ext = np.r_[times[0] - spacing * np.arange(n_pre, 0, -1), times]
        xy = (np.stack([self._kinematics(pid, ext)[0] for pid in pids]) if pids
              else np.zeros((0, ext.size, 2)))
        ball, ball_vel = ball_kinematics(self.ball, ext)
        number = {name: k for k, name in enumerate(sorted({t for t in team_of if t}))}
        index = np.array([number.get(t, -1) for t in team_of], np.int64)
        team, age = possession(ext, ball, ball_vel, xy, index)
        return team[n_pre:], age[n_pre:], number

    def _features(self, i: int, pids: list[str], all_xy: np.ndarray, xy: np.ndarray,
                  vel: np.ndarray, acc: np.ndarray, ball: np.ndarray) -> np.ndarray:
        """(T, 12) instantaneous features of player ``pids[i]`` (order of
        PLAYER_CONTEXT_FEATURES)."""
        pid = pids[i]
        team = self.teams[pid]
        speed = np.hypot(vel[:, 0], vel[:, 1])
        heading = np.arctan2(vel[:, 1], vel[:, 0])
        to_ball = ball - xy
        bearing = np.arctan2(to_ball[:, 1], to_ball[:, 0]) - heading
        goal = np.asarray(self.goals.get(team, self.goals[""]))
        mates = [j for j, q in enumerate(pids) if j != i and team and self.teams[q] == team]
        rivals = [j for j, q in enumerate(pids) if team and self.teams[q] not in ("", team)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            centroid = (np.nanmean(all_xy[mates], axis=0) if mates
                        else np.full_like(xy, np.nan))
            nearest = (np.nanmin(np.linalg.norm(all_xy[rivals] - xy[None], axis=2), axis=0)
                       if rivals else np.full(len(xy), np.nan))
        cols = [speed, acc, np.sin(heading), np.cos(heading),
                xy[:, 0] / self.pitch.length_m, xy[:, 1] / self.pitch.width_m,
                np.hypot(to_ball[:, 0], to_ball[:, 1]), np.sin(bearing), np.cos(bearing),
                np.hypot(*(goal[:, None] - xy.T)),
                np.hypot(*(centroid - xy).T), nearest]
        return np.stack(cols, axis=1)


def positions_at(positions: Mapping[str, TimeSeries], times: np.ndarray,
                 builder: ContextBuilder | None = None) -> dict[str, np.ndarray]:
    """player id -> (T, 2) position at ``times`` (smoothed as for the context features when a
    ``builder`` is given, else linear interpolation of the raw positions); NaN where unknown."""
    times = np.asarray(times, np.float64).reshape(-1)
    if builder is not None:
        return {pid: builder.smoothed_xy(pid, times) for pid in positions}
    out = {}
    for pid, ts in positions.items():
        xy = ts.select(["x", "y"])
        out[pid] = resample(xy, times).values if len(xy) else np.full((times.size, 2), np.nan)
    return out


@dataclass
class StepBlock:
    """Steps ``offset .. offset + n - 1`` of a session grid for P players (the unit in which a
    session is cut, written or analysed, so memory stays bounded for long sessions).

    ``imu`` (P, n, imu_per_step, 9) float32 (0 where missing); ``context`` (P, n, K) float32
    (NaN where unknown); ``mask`` (P, n, 3) bool (video, imu, position; the video column is
    False until crops are added); ``video`` (P, n, F, S, S, 3) uint8 or None (see
    :func:`footcoach.io.video_crops.block_crops`).
    """

    offset: int
    grid: StepGrid
    player_ids: list[str]
    imu: np.ndarray
    context: np.ndarray
    mask: np.ndarray
    video: np.ndarray | None = None


def iter_step_blocks(grid: StepGrid, player_ids: list[str], imu: Mapping[str, TimeSeries],
                     context: ContextBuilder, spec: WindowSpec, block_steps: int = 64
                     ) -> Iterator[StepBlock]:
    """The IMU and context steps of every player, ``block_steps`` steps at a time (players
    missing from ``imu`` / the context builder's positions get empty steps)."""
    if block_steps < 1:
        raise ValueError("block_steps must be positive")
    fields = {pid: field_strength(imu[pid]) for pid in player_ids if pid in imu}
    n_feat = len(spec.context_features)
    for b0 in range(0, grid.n, block_steps):
        sub = grid.sub(b0, b0 + block_steps)
        n_p = len(player_ids)
        out_imu = np.zeros((n_p, sub.n, spec.imu_per_step, len(IMU_CHANNELS)), np.float32)
        out_ctx = np.full((n_p, sub.n, n_feat), np.nan, np.float32)
        mask = np.zeros((n_p, sub.n, 3), bool)
        ctx = context.steps(sub)
        for p, pid in enumerate(player_ids):
            out_imu[p], mask[p, :, 1] = imu_steps(imu.get(pid), sub, spec, field=fields.get(pid))
            if pid in ctx:
                out_ctx[p], mask[p, :, 2] = ctx[pid]
        yield StepBlock(b0, sub, list(player_ids), out_imu, out_ctx, mask)
