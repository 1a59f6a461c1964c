"""Team-shape context features (:data:`~footcoach.domain.windowing.TEAM_CONTEXT_FEATURES`) from
every player's smoothed positions and velocities; pure numpy, no ball track needed.

The *attack axis* of a team is the pitch x axis pointing at the goal that team attacks
(``sign = +1`` towards ``x = length``, ``-1`` towards ``x = 0``); *progress* along it is 0 on the
own goal line and 1 on the attacked one. A team's centroid and spread use its players with a
known position at that instant (NaN when none). Players without a team, or sessions with one
team only, get NaN for what they lack (the network masks unknown features).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from footcoach.domain.windowing import RUN_CONTEXT_FEATURES, TEAM_CONTEXT_FEATURES

PRESSURE_RADIUS_M = 5.0
"""Radius (m) within which opponents count for ``opponents_within_5m``."""

RETREAT_SPEED_MPS = 2.0
"""Running back faster than this (m/s, towards the own goal) counts for the retreat shares."""


def quiet_nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN -> NaN
        return np.nanmean(a, axis=axis)


def quiet_nanmin(a: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmin(a, axis=axis)


def quiet_nanmax(a: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmax(a, axis=axis)


def team_members(teams: Sequence[str]) -> dict[str, np.ndarray]:
    """Team name -> int64 indices of its players (players without a team are in none)."""
    return {t: np.array([j for j, q in enumerate(teams) if q == t], np.int64)
            for t in set(teams) if t}


class TeamShape:
    """Per-team aggregates over time, computed once and shared by the team's players.

    Args:
        xy: (P, T, 2) positions (m), NaN where unknown.
        vel: (P, T, 2) velocities (m/s), NaN where unknown.
        teams: (P,) team name per player (``""`` none).
        attack_sign: team name -> +1 (attacks ``x = length``) or -1 (attacks ``x = 0``).
        length_m: pitch length (m).
    """

    def __init__(self, xy: np.ndarray, vel: np.ndarray, teams: Sequence[str],
                 attack_sign: dict[str, float], length_m: float) -> None:
        self.xy, self.vel = xy, vel
        self.teams = list(teams)
        self.sign = attack_sign
        self.length_m = float(length_m)
        self._members = team_members(self.teams)
        self._cache: dict[str, dict[str, np.ndarray]] = {}

    def _team(self, team: str) -> dict[str, np.ndarray]:
        """Centroid (T, 2), centroid velocity (T, 2), mean speed (T,), spread (T,)."""
        if team not in self._cache:
            idx = self._members[team]
            xy, vel = self.xy[idx], self.vel[idx]
            centroid = quiet_nanmean(xy, axis=0)
            self._cache[team] = {
                "centroid": centroid,
                "velocity": quiet_nanmean(vel, axis=0),
                "speed": quiet_nanmean(np.hypot(vel[..., 0], vel[..., 1]), axis=0),
                "spread": quiet_nanmean(np.linalg.norm(xy - centroid[None], axis=2), axis=0),
            }
        return self._cache[team]

    def _advance(self, idx: np.ndarray, team: str) -> np.ndarray:
        """(len(idx), T) velocities (m/s) of players ``idx`` along ``team``'s attack axis."""
        return self.sign[team] * self.vel[idx, :, 0]

    def _retreat_share(self, idx: np.ndarray, team: str) -> np.ndarray:
        """(T,) share of players ``idx`` running back faster than :data:`RETREAT_SPEED_MPS`
        (NaN where none of them has a known velocity)."""
        adv = self._advance(idx, team)
        known = np.isfinite(adv)
        n = known.sum(axis=0)
        share = np.sum(known & (adv < -RETREAT_SPEED_MPS), axis=0) / np.maximum(n, 1)
        return np.where(n > 0, share, np.nan)

    def runs(self, i: int) -> np.ndarray:
        """(T, len(RUN_CONTEXT_FEATURES)) run features of player ``i`` (NaN where unknown)."""
        out = np.full((self.xy.shape[1], len(RUN_CONTEXT_FEATURES)), np.nan)
        team = self.teams[i]
        if not team:
            return out
        col = {name: k for k, name in enumerate(RUN_CONTEXT_FEATURES)}
        mates = self._members[team][self._members[team] != i]
        if mates.size:
            out[:, col["mates_top_advance_mps"]] = quiet_nanmax(self._advance(mates, team), 0)
        out[:, col["team_retreat_share"]] = self._retreat_share(self._members[team], team)
        rivals = [t for t in self._members if t != team]
        if len(rivals) == 1:
            opp = self._members[rivals[0]]
            out[:, col["opponents_top_advance_mps"]] = quiet_nanmax(
                self._advance(opp, rivals[0]), 0)
            out[:, col["opponents_retreat_share"]] = self._retreat_share(opp, rivals[0])
        return out

    def progress(self, x: np.ndarray, team: str) -> np.ndarray:
        """Progress 0..1 of pitch x coordinates along ``team``'s attack axis."""
        u = x / self.length_m
        return u if self.sign[team] > 0 else 1.0 - u

    def features(self, i: int) -> np.ndarray:
        """(T, len(TEAM_CONTEXT_FEATURES)) features of player ``i`` (NaN where unknown)."""
        n_t = self.xy.shape[1]
        out = np.full((n_t, len(TEAM_CONTEXT_FEATURES)), np.nan)
        team = self.teams[i]
        if not team:
            return out
        col = {name: k for k, name in enumerate(TEAM_CONTEXT_FEATURES)}
        s = self.sign[team]
        xy = self.xy[i]
        own = self._team(team)
        out[:, col["attack_progress"]] = self.progress(xy[:, 0], team)
        out[:, col["team_progress"]] = self.progress(own["centroid"][:, 0], team)
        out[:, col["team_advance_mps"]] = s * own["velocity"][:, 0]
        out[:, col["team_speed_mps"]] = own["speed"]
        out[:, col["team_spread_m"]] = own["spread"]
        mates = self._members[team][self._members[team] != i]
        if mates.size:
            d = np.linalg.norm(self.xy[mates] - xy[None], axis=2)
            out[:, col["nearest_mate_m"]] = quiet_nanmin(d, axis=0)
        rivals = [t for t in self._members if t != team]
        if rivals:
            r_idx = np.concatenate([self._members[t] for t in rivals])
            opp = self._team(rivals[0]) if len(rivals) == 1 else None
            if opp is not None:
                out[:, col["team_lead_m"]] = s * (own["centroid"][:, 0] - opp["centroid"][:, 0])
                out[:, col["opponent_advance_mps"]] = (self.sign[rivals[0]]
                                                       * opp["velocity"][:, 0])
                out[:, col["opponent_spread_m"]] = opp["spread"]
            d = np.linalg.norm(self.xy[r_idx] - xy[None], axis=2)  # (R, T)
            known = np.isfinite(d)
            count = np.sum(known & (d < PRESSURE_RADIUS_M), axis=0).astype(np.float64)
            count[~np.isfinite(xy[:, 0]) | ~known.any(axis=0)] = np.nan
            out[:, col["opponents_within_5m"]] = count
            nearest = np.argmin(np.where(known, d, np.inf), axis=0)
            opp_x = self.xy[r_idx[nearest], np.arange(n_t), 0]
            side = s * (opp_x - xy[:, 0])
            side[~known.any(axis=0)] = np.nan
            out[:, col["goal_side_m"]] = side
        return out


def attack_signs(goals: dict[str, tuple[float, float]], length_m: float) -> dict[str, float]:
    """Team name -> +1 when its attacked goal lies at ``x > length / 2``, else -1."""
    return {t: (1.0 if g[0] > length_m / 2.0 else -1.0) for t, g in goals.items()}
