"""Ball physics: flight with gravity and quadratic air drag, bounces, rolling resistance.

Pitch frame, metres, z up; the ball's centre rests at ``z = BALL_RADIUS`` on the ground.
Constants: drag ``a = -k |v| v`` with ``k = 0.5 rho Cd A / m = 0.5 * 1.2 * 0.25 * 0.038 / 0.43
~= 0.013 1/m``; rolling resistance 0.9 m/s^2 on grass (coefficient ~0.09); bounce restitution
0.55 with 25 % of the horizontal speed lost at each bounce.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from footcoach.synth.agents import G

BALL_RADIUS = 0.11
DRAG_K = 0.013
ROLL_DECEL = 0.9
RESTITUTION = 0.55


@dataclass
class Ball:
    """The one ball. ``owner`` is the index of the player controlling it (-1: free);
    ``in_play`` False while it is out (its position is then reported as NaN)."""

    pos: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, BALL_RADIUS]))
    vel: np.ndarray = field(default_factory=lambda: np.zeros(3))
    owner: int = -1
    in_play: bool = False
    last_touch: int = -1
    kicked_at: float = -1e9

    @property
    def speed(self) -> float:
        return float(np.linalg.norm(self.vel))

    def place(self, xy: np.ndarray | tuple[float, float], owner: int = -1) -> None:
        """Put the ball in play at rest on the ground at ``xy``."""
        self.pos = np.array([float(xy[0]), float(xy[1]), BALL_RADIUS])
        self.vel = np.zeros(3)
        self.owner = owner
        self.in_play = True
        if owner >= 0:
            self.last_touch = owner

    def take_out(self) -> None:
        self.in_play = False
        self.owner = -1
        self.vel = np.zeros(3)


def _advance(pos: np.ndarray, vel: np.ndarray, dt: float) -> None:
    """One explicit step of a free ball, in place."""
    airborne = pos[2] > BALL_RADIUS + 1e-3 or vel[2] > 1e-3
    sp = float(np.linalg.norm(vel))
    if airborne:
        acc = -DRAG_K * sp * vel
        acc[2] -= G
        vel += acc * dt
        pos += vel * dt
        if pos[2] < BALL_RADIUS:
            pos[2] = BALL_RADIUS
            vz = -vel[2] * RESTITUTION
            vel[:2] *= 0.75
            vel[2] = vz if vz > 0.6 else 0.0
        return
    vel[2] = 0.0
    pos[2] = BALL_RADIUS
    h = float(np.hypot(vel[0], vel[1]))
    if h < 0.05:
        vel[:] = 0.0
        return
    dec = ROLL_DECEL + DRAG_K * h * h
    new_h = max(h - dec * dt, 0.0)
    old = vel[:2].copy()
    vel[:2] *= new_h / h
    pos[:2] += 0.5 * (old + vel[:2]) * dt


def step_ball(ball: Ball, dt: float, substeps: int = 4) -> None:
    """Advance a free ball by ``dt`` seconds (no-op while owned or out of play)."""
    if ball.owner >= 0 or not ball.in_play:
        return
    h = dt / substeps
    for _ in range(substeps):
        _advance(ball.pos, ball.vel, h)


def predict(ball: Ball, horizon_s: float, dt: float = 0.04) -> np.ndarray:
    """(K, 3) future positions of the free ball every ``dt`` s up to ``horizon_s``."""
    pos, vel = ball.pos.copy(), ball.vel.copy()
    k = int(horizon_s / dt)
    out = np.empty((k, 3))
    h = dt / 2
    for j in range(k):
        _advance(pos, vel, h)
        _advance(pos, vel, h)
        out[j] = pos
    return out


def launch(origin_xy: np.ndarray, target_xy: np.ndarray, speed: float, loft_rad: float,
           yaw_err: float = 0.0) -> np.ndarray:
    """(3,) ball velocity: ``speed`` m/s towards ``target_xy`` turned by ``yaw_err`` rad,
    raised ``loft_rad`` above the ground."""
    d = np.asarray(target_xy, dtype=float) - np.asarray(origin_xy, dtype=float)
    ang = float(np.arctan2(d[1], d[0])) + yaw_err
    c = float(np.cos(loft_rad))
    return np.array([speed * c * np.cos(ang), speed * c * np.sin(ang), speed * np.sin(loft_rad)])
