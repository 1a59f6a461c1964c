"""Ball-relative team features (:data:`~footcoach.domain.windowing.BALL_CONTEXT_FEATURES`).

Who controls the ball decides most team tactics (in possession: building up, breaking through,
passing, shooting; out of it: pressing, covering, retreating), and no single player's sensors
show it. Given a ball track, these features say which team is nearer the ball, whether the player
is his team's nearest, where the ball is and travels along the player's attack axis (see
:mod:`footcoach.sync.team_context` for the axis), how many players of each team are within
5 m of it (pressure on the ball) and what share of the team is goal-side of it. Everything
is NaN where the ball or the positions are unknown; the network masks unknown features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.windowing import BALL_CONTEXT_FEATURES
from footcoach.sync.resample import resample
from footcoach.sync.smoothing import centred_smooth
from footcoach.sync.team_context import quiet_nanmin, team_members

NEAR_BALL_M = 5.0
"""Radius (m) around the ball within which players count for the ``*_within_5m`` features."""

BALL_SMOOTH_S = 0.2
"""Width (s) of the moving average applied to the ball track before differentiating it."""


def ball_kinematics(ball: TimeSeries | None, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ball position (T, 2) m and velocity (T, 2) m/s at ``times`` (s, session clock), from a
    track with channels ``x``, ``y`` (lightly smoothed, then differentiated; NaN in gaps longer
    than 1.5 samples or 0.25 s, and where there is no track)."""
    times = np.asarray(times, np.float64).reshape(-1)
    nan = np.full((times.size, 2), np.nan)
    if ball is None or len(ball) < 2 or not ball.has("x", "y"):
        return nan, nan.copy()
    b = ball.select(["x", "y"])
    dt = float(np.median(np.diff(b.t)))
    if not dt > 0:
        return nan, nan.copy()
    half = max(1, round(BALL_SMOOTH_S / dt / 2))
    p = centred_smooth(b.values, half)
    with np.errstate(invalid="ignore"):
        v = np.gradient(p, b.t, axis=0)
    series = b.replace(values=np.c_[p, v], channels=("x", "y", "vx", "vy"),
                       units=("m", "m", "m/s", "m/s"))
    out = resample(series, times, max_gap_s=max(1.5 * dt, 0.25)).values
    return out[:, 0:2], out[:, 2:4]


class BallContext:
    """Ball features of every player, sharing the per-team distances to the ball.

    Args:
        ball_xy: (T, 2) ball position (m), NaN where unknown.
        ball_vel: (T, 2) ball velocity (m/s).
        xy: (P, T, 2) player positions (m), NaN where unknown.
        teams: (P,) team name per player (``""`` none).
        attack_sign: team name -> +1 (attacks ``x = length``) or -1.
        length_m: pitch length (m).
    """

    def __init__(self, ball_xy: np.ndarray, ball_vel: np.ndarray, xy: np.ndarray,
                 teams: Sequence[str], attack_sign: dict[str, float], length_m: float) -> None:
        self.ball_xy, self.ball_vel = ball_xy, ball_vel
        self.teams = list(teams)
        self.sign = attack_sign
        self.length_m = float(length_m)
        self.dist = np.linalg.norm(xy - ball_xy[None], axis=2)  # (P, T), NaN unknown
        self._members = team_members(self.teams)
        self._nearest = {t: quiet_nanmin(self.dist[idx], axis=0)
                         for t, idx in self._members.items()}
        known = np.isfinite(self.dist)
        near = known & (self.dist < NEAR_BALL_M)
        self._near = {t: near[idx].sum(axis=0).astype(np.float64)
                      for t, idx in self._members.items()}
        self._ball_known = np.isfinite(ball_xy).all(axis=1)
        self._behind: dict[str, np.ndarray] = {}
        for t, idx in self._members.items():
            ahead = attack_sign[t] * (ball_xy[None, :, 0] - xy[idx, :, 0])  # > 0: goal-side
            n_known = known[idx].sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.sum(known[idx] & (ahead > 0), axis=0) / n_known
            share[(n_known == 0) | ~self._ball_known] = np.nan
            self._behind[t] = share

    def features(self, i: int) -> np.ndarray:
        """(T, len(BALL_CONTEXT_FEATURES)) features of player ``i`` (NaN where unknown)."""
        n_t = self.ball_xy.shape[0]
        out = np.full((n_t, len(BALL_CONTEXT_FEATURES)), np.nan)
        team = self.teams[i]
        if not team:
            return out
        col = {name: k for k, name in enumerate(BALL_CONTEXT_FEATURES)}
        s = self.sign[team]
        own = self._nearest[team]
        rivals = [t for t in self._members if t != team]
        if rivals:
            opp = quiet_nanmin(np.stack([self._nearest[t] for t in rivals]), axis=0)
            out[:, col["ball_control_m"]] = opp - own
        out[:, col["ball_dist_vs_team_m"]] = self.dist[i] - own
        u = self.ball_xy[:, 0] / self.length_m
        out[:, col["ball_progress"]] = u if s > 0 else 1.0 - u
        out[:, col["ball_advance_mps"]] = s * self.ball_vel[:, 0]
        out[:, col["ball_speed_mps"]] = np.hypot(self.ball_vel[:, 0], self.ball_vel[:, 1])
        counts = [("ball_mates_within_5m", self._near[team])]
        if rivals:
            counts.append(("ball_opponents_within_5m",
                           np.sum([self._near[t] for t in rivals], axis=0)))
        for name, value in counts:
            out[:, col[name]] = np.where(self._ball_known, value, np.nan)
        out[:, col["ball_team_behind_share"]] = self._behind[team]
        return out


POSSESSION_CONTROL_M = 1.5
"""A team controls the ball when its player nearest to the ball, and nearer than any opponent,
is within this distance of it (m; the simulator's control radius is 0.9 m, widened for
position noise)."""

POSSESSION_MAX_BALL_SPEED_MPS = 12.0
"""Faster than this (m/s) the ball is in flight (a pass or a shot), and nobody controls it."""

POSSESSION_MEMORY_S = 8.0
"""``ball_possession_age_s`` is capped here (s); the features look this far back."""


def possession(times: np.ndarray, ball_xy: np.ndarray, ball_vel: np.ndarray, xy: np.ndarray,
               team_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which team has the ball, and since when.

    Args:
        times: (T,) s, increasing.
        ball_xy, ball_vel: (T, 2) ball position (m) and velocity (m/s), NaN where unknown.
        xy: (P, T, 2) player positions (m), NaN where unknown.
        team_index: (P,) int team number per player (-1: no team).

    Returns:
        ``team`` (T,) int: the team that last controlled the ball (its player nearest to the
        ball within :data:`POSSESSION_CONTROL_M`, the ball slower than
        :data:`POSSESSION_MAX_BALL_SPEED_MPS`), -1 before any control and wherever the ball
        is unknown; ``age`` (T,) s: time since the ball last passed from one team to the
        other, capped at :data:`POSSESSION_MEMORY_S` (also when no change is seen), NaN where
        ``team`` is -1.
    """
    n_t = times.size
    team = np.full(n_t, -1, np.int64)
    age = np.full(n_t, np.nan)
    n_teams = int(team_index.max()) + 1 if team_index.size else 0
    if n_teams == 0 or n_t == 0:
        return team, age
    dist = np.linalg.norm(xy - ball_xy[None], axis=2)  # (P, T)
    dist = np.where(np.isfinite(dist), dist, np.inf)
    nearest = np.stack([dist[team_index == k].min(axis=0) for k in range(n_teams)])  # (K, T)
    best = np.argmin(nearest, axis=0)
    d_best = nearest[best, np.arange(n_t)]
    speed = np.hypot(ball_vel[:, 0], ball_vel[:, 1])
    with np.errstate(invalid="ignore"):
        control = (d_best < POSSESSION_CONTROL_M) & (speed < POSSESSION_MAX_BALL_SPEED_MPS)
    controller = np.where(control, best, -1)
    idx = np.maximum.accumulate(np.where(controller >= 0, np.arange(n_t), -1))
    held = idx >= 0
    team[held] = controller[idx[held]]
    known = np.isfinite(ball_xy).all(axis=1)
    team[~known] = -1
    # a change: the ball passes from one team to the other (between known possessions)
    prev = np.maximum.accumulate(np.where(team >= 0, np.arange(n_t), -1))
    last_team = np.where(prev >= 0, team[np.maximum(prev, 0)], -1)
    before = np.r_[-1, last_team[:-1]]
    change = (team >= 0) & (before >= 0) & (team != before)
    start = np.maximum.accumulate(np.where(change, times, -np.inf))
    age = np.minimum(times - start, POSSESSION_MEMORY_S)
    age[team < 0] = np.nan
    return team, age
