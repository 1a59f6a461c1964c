"""The simulated world: players, ball, clock, behaviours and the ground-truth recording.

The world advances in ticks of ``DT = 0.04`` s (25 Hz, the video frame rate). Each tick the
current drill decides (assigns behaviours, sets the team tactics), every player's behaviour
writes its body commands, all bodies move at once (``agents.step_bodies``), the ball moves (at
the owner's feet, or freely), and the state is recorded. Each finished behaviour becomes one
labelled action segment with its measured quality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from footcoach.domain.labels import Action, Tactic
from footcoach.synth.agents import Bodies, Commands, Limits, PlayerProfile, step_bodies
from footcoach.synth.ball import BALL_RADIUS, Ball, step_ball

if TYPE_CHECKING:
    from footcoach.synth.behaviours import Behaviour

DT = 0.04
"""Simulation tick, seconds (25 Hz)."""


def dist(a: np.ndarray, b: np.ndarray) -> float:
    """Distance between two pitch points (the first two coordinates), metres."""
    return math.hypot(float(a[0]) - float(b[0]), float(a[1]) - float(b[1]))


def norm2(v: np.ndarray) -> float:
    """Length of a 2-D vector."""
    return math.hypot(float(v[0]), float(v[1]))


@dataclass
class ActionRecord:
    """One executed action: player index, interval on the session clock (s), label, quality
    0-100 and the measured execution parameters the quality came from."""

    player: int
    start_s: float
    end_s: float
    action: Action
    quality: float
    params: dict[str, float] = field(default_factory=dict)


@dataclass
class ImuEvent:
    """A moment the vest feels beyond locomotion: ``kind`` is ``kick``, ``jump``,
    ``takeoff``, ``slide`` or ``tackle``; ``t`` the session time (s) of the ball strike, the
    start of the vertical profile, or the contact."""

    player: int
    t: float
    kind: str
    params: dict[str, float] = field(default_factory=dict)


class Drill(Protocol):
    """What the world needs of a drill (see ``drills.py``)."""

    @property
    def name(self) -> str: ...

    def setup(self, w: World) -> None: ...

    def update(self, w: World) -> None: ...


class World:
    """Everything that moves, plus the recorders (arrays over players P and ticks F)."""

    def __init__(self, profiles: list[PlayerProfile], length_m: float, width_m: float,
                 n_ticks: int, rng: np.random.Generator, start_pos: np.ndarray):
        self.profiles = profiles
        self.P = len(profiles)
        self.length, self.width = float(length_m), float(width_m)
        self.rng = rng
        self.lim = Limits(profiles)
        self.team = np.array([0 if p.team == "A" else 1 for p in profiles])
        self.bodies = Bodies.at(start_pos, np.where(self.team == 0, 0.0, np.pi))
        self.cmd = Commands.empty(self.P)
        self.ball = Ball()
        self.ball_lead = np.full(self.P, 0.35)
        self.t = 0.0
        self.k = 0
        self.n_ticks = n_ticks
        self.behaviours: list[Behaviour | None] = [None] * self.P
        self.actions: list[ActionRecord] = []
        self.events: list[ImuEvent] = []
        self.team_tactic = [Tactic.RUNNING, Tactic.RUNNING]
        self.rec_xy = np.zeros((self.P, n_ticks, 2))
        self.rec_z = np.zeros((self.P, n_ticks))
        self.rec_heading = np.zeros((self.P, n_ticks))
        self.rec_action = np.zeros((self.P, n_ticks), dtype=np.int16)
        self.rec_tactic = np.zeros((2, n_ticks), dtype=np.int16)
        self.rec_ball = np.full((n_ticks, 3), np.nan)
        self.refresh()

    # ------------------------------------------------------------------ helpers
    @property
    def pos(self) -> np.ndarray:
        return self.bodies.pos

    @property
    def speed(self) -> np.ndarray:
        """(P,) current speeds, m/s (refreshed once per tick)."""
        return self._speed

    @property
    def progress(self) -> float:
        return self.k / max(self.n_ticks, 1)

    def members(self, team: int) -> np.ndarray:
        return np.flatnonzero(self.team == team)

    def top_speed(self, i: int) -> float:
        """Player ``i``'s attainable top speed now (fatigue included), m/s."""
        return float(self._top[i])

    def refresh(self) -> None:
        """Recompute the per-tick caches (speeds, top speeds) after the bodies moved."""
        self._speed = self.bodies.speed
        self._top = self.lim.top_speed(self.bodies.fatigue, self.progress)

    def seen(self, i: int, lag_ticks: int) -> tuple[np.ndarray, np.ndarray]:
        """Position and velocity of player ``i`` as perceived ``lag_ticks`` ticks ago."""
        k = self.k - lag_ticks
        if k < 1:
            return self.pos[i], self.bodies.vel[i]
        return self.rec_xy[i, k], (self.rec_xy[i, k] - self.rec_xy[i, k - 1]) / DT

    def move(self, i: int, target: np.ndarray | tuple[float, float], speed: float, *,
             arrive: bool = True, face: float = np.nan, effort: float = 1.0,
             brake: float = 1.0) -> None:
        """Set player ``i``'s body command for this tick (targets are kept within 1 m of the
        pitch: players may run off it, never away from it)."""
        c = self.cmd
        c.target[i, 0] = min(max(float(target[0]), -1.0), self.length + 1.0)
        c.target[i, 1] = min(max(float(target[1]), -1.0), self.width + 1.0)
        c.speed[i] = speed
        c.arrive[i] = arrive
        c.face[i] = face
        c.effort[i] = effort
        c.brake[i] = brake
        c.vel_override[i] = np.nan

    def clamp(self, xy: np.ndarray, margin: float = 0.5) -> np.ndarray:
        """Keep a point inside the pitch."""
        return np.array([min(max(float(xy[0]), margin), self.length - margin),
                         min(max(float(xy[1]), margin), self.width - margin)])

    def event(self, i: int, kind: str, t: float | None = None, **params: float) -> None:
        self.events.append(ImuEvent(i, self.t if t is None else t, kind, dict(params)))

    # ------------------------------------------------------------------ behaviours
    def idle(self, i: int) -> bool:
        """True when player ``i`` waits for the drill to give them something to do."""
        b = self.behaviours[i]
        return b is None or b.done or b.is_default

    def assign(self, i: int, beh: Behaviour, *, force: bool = False) -> bool:
        """Start ``beh`` for player ``i``. A running behaviour of the same kind is re-aimed
        instead; one that cannot be interrupted yet (``force`` aside; jumps and slides never)
        keeps going and False is returned."""
        cur = self.behaviours[i]
        if cur is not None and not cur.done:
            if cur.can_retarget(beh):
                cur.retarget(beh)
                return True
            if cur.airborne or (not force and not cur.interruptible_now(self.t)):
                return False
        self.close(i)
        beh.begin(self, i)
        self.behaviours[i] = beh
        return True

    def close(self, i: int) -> None:
        cur = self.behaviours[i]
        self.behaviours[i] = None
        if cur is None or self.t - cur.t0 < DT * 0.5:
            return
        label = cur.relabel(self, i)
        if label != cur.action or label != Action(int(self.rec_action[i, self.k - 1])):
            self.rec_action[i, round(cur.t0 / DT):self.k] = int(label)
        q, params = cur.score(self, i)
        self.actions.append(ActionRecord(i, cur.t0, self.t, label,
                                         float(np.clip(q, 0.0, 100.0)), params))

    # ------------------------------------------------------------------ stepping
    def run(self, drill: Drill, n_ticks: int) -> None:
        """Set the drill up and run it for ``n_ticks`` ticks. The state recorded for tick
        ``k`` is the one at ``t = k * DT`` with the behaviours active over the next tick."""
        from footcoach.synth.behaviours import default_behaviour
        drill.setup(self)
        end = min(self.k + n_ticks, self.n_ticks)
        while self.k < end:
            drill.update(self)
            for i in range(self.P):
                b = self.behaviours[i]
                if b is None or b.done:
                    self.assign(i, default_behaviour(self, i), force=True)
                    b = self.behaviours[i]
                assert b is not None
                b.update(self, i)
            self._record()
            step_bodies(self.bodies, self.cmd, self.lim, DT, self.progress)
            self.refresh()
            self._move_ball()
            self.t = round((self.k + 1) * DT, 6)
            self.k += 1

    def finish(self) -> None:
        """Close every open action segment at the end of the session."""
        for i in range(self.P):
            self.close(i)

    def _move_ball(self) -> None:
        ball = self.ball
        if ball.owner >= 0 and ball.in_play:
            o = ball.owner
            h = self.bodies.heading[o]
            lead = self.ball_lead[o]
            ball.pos = np.array([self.pos[o, 0] + lead * np.cos(h),
                                 self.pos[o, 1] + lead * np.sin(h), BALL_RADIUS])
            ball.vel = np.array([self.bodies.vel[o, 0], self.bodies.vel[o, 1], 0.0])
        else:
            step_ball(ball, DT)

    def _record(self) -> None:
        k = self.k
        b = self.bodies
        self.rec_xy[:, k] = b.pos
        self.rec_z[:, k] = b.z
        self.rec_heading[:, k] = b.heading
        for i, beh in enumerate(self.behaviours):
            self.rec_action[i, k] = int(beh.action) if beh is not None else int(Action.RUNNING)
        self.rec_tactic[:, k] = [int(self.team_tactic[0]), int(self.team_tactic[1])]
        if self.ball.in_play:
            self.rec_ball[k] = self.ball.pos
