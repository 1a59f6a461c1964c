"""The simulated world's ground truth over time: the contract between the drill/agent simulation
and the sensor models (IMU, GPS) and the video renderer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SimTrajectories:
    """Kinematic ground truth sampled at ``rate_hz`` on the session clock.

    Shapes (P players, F samples):
        t: (F,) seconds, t[0] == 0.
        xy: (P, F, 2) pitch metres (origin at a corner, x along the length).
        z: (P, F) height of the body centre above its standing height, metres (jumps, slides < 0).
        heading: (P, F) radians, direction the body faces, anticlockwise from the pitch x axis.
        action: (P, F) int16, footcoach.domain.labels.Action index of what the player is doing.
        action_phase: (P, F) float32 in [0, 1], progress through the current action segment
            (drives pose animation: kick swing, take-off, slide).
        tactic: (P, F) int16, Tactic index of the player's team behaviour at that time.
        ball_xyz: (F, 3) metres (z up); NaN while the ball is out of play.
    Per player: ids, names, teams ("A"/"B"), shirt numbers.
    """

    rate_hz: float
    t: np.ndarray
    xy: np.ndarray
    z: np.ndarray
    heading: np.ndarray
    action: np.ndarray
    action_phase: np.ndarray
    tactic: np.ndarray
    ball_xyz: np.ndarray
    player_ids: list[str]
    names: list[str]
    teams: list[str]
    numbers: list[int]

    @property
    def n_players(self) -> int:
        return int(self.xy.shape[0])

    def at_time(self, t_s: float) -> int:
        """Index of the sample nearest to ``t_s``."""
        return int(np.clip(np.rint(t_s * self.rate_hz), 0, len(self.t) - 1))
