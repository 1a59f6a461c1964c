"""Action primitives: one class per labelled action (``footcoach.domain.labels.Action``);
this module has the base class and the locomotion actions (running, sprinting, stopping,
turning, jumping, take-off, sliding), ``behaviours_play.py`` those with the ball or an
opponent.

A behaviour runs for one player from :meth:`Behaviour.begin` until it sets ``done`` (or the
drill interrupts it); each tick :meth:`Behaviour.update` writes the player's body command and
measures the execution, and :meth:`Behaviour.score` turns the measurements into the quality
(``quality.py``). One behaviour instance = one labelled action segment. Typical durations:
pass 0.7-1.1 s, shot 0.9-1.3 s, turn 0.6-1.5 s, stop 0.6-1.5 s, jump 1.8 s, take-off 1.7 s,
slide 2.2-2.9 s, sprint 1.5-6 s; running, dribbling, defending and assisting defence last as
long as the drill keeps re-aiming them.
"""

from __future__ import annotations

import math

import numpy as np

from footcoach.domain.labels import Action
from footcoach.synth import quality as qf
from footcoach.synth.agents import VerticalProfile, vertical_profile, wrap
from footcoach.synth.world import DT, World, dist, norm2

NAN = float("nan")
SPRINT_MIN_MPS = 5.0
"""A sprint whose peak speed stays below this is labelled running."""


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 1e-9 else np.array([1.0, 0.0])


def _angle(v: np.ndarray) -> float:
    return float(np.arctan2(v[1], v[0]))


class Behaviour:
    """Base class. ``interruptible``: the drill may replace it after ``min_s`` seconds;
    ``retargetable``: a new command of the same class re-aims it instead of starting anew."""

    action: Action = Action.RUNNING
    interruptible = True
    retargetable = False
    airborne = False
    min_s = 0.5

    def __init__(self) -> None:
        self.t0 = 0.0
        self.done = False
        self.is_default = False

    def begin(self, w: World, i: int) -> None:
        self.t0 = w.t
        self.on_begin(w, i)

    def on_begin(self, w: World, i: int) -> None:
        """Hook for subclasses (read the entry state)."""

    def elapsed(self, w: World) -> float:
        return w.t - self.t0

    def interruptible_now(self, t: float) -> bool:
        return self.interruptible and t - self.t0 >= self.min_s

    def can_retarget(self, other: Behaviour) -> bool:
        return self.retargetable and type(other) is type(self) and not other.is_default \
            and not self.is_default

    def retarget(self, other: Behaviour) -> None:
        """Take over the aims of ``other`` (same class)."""

    def update(self, w: World, i: int) -> None:
        raise NotImplementedError

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        return 50.0, {}

    def relabel(self, w: World, i: int) -> Action:
        """The label the finished action gets (its class by default)."""
        return self.action


class Run(Behaviour):
    """RUNNING: off-ball locomotion (walking and standing in position included) to ``target``
    at ``speed``; ``demand`` is the speed the situation asks for (quality reference)."""

    action = Action.RUNNING
    retargetable = True
    min_s = 0.6

    def __init__(self, target: np.ndarray, speed: float, demand: float | None = None,
                 face: float = NAN, arrive: bool = True, effort: float = 0.75,
                 default: bool = False, finish_within: float | None = None):
        super().__init__()
        self.finish_within = finish_within
        self.target = np.asarray(target, dtype=float)
        self.speed = float(speed)
        self.demand = float(speed if demand is None else demand)
        self.face, self.arrive, self.effort = face, arrive, effort
        self.is_default = default
        self.sum_v = self.sum_demand = 0.0
        self.n = 0

    def retarget(self, other: Behaviour) -> None:
        assert isinstance(other, Run)
        self.target, self.speed, self.demand = other.target, other.speed, other.demand
        self.face, self.arrive, self.effort = other.face, other.arrive, other.effort
        self.finish_within = other.finish_within

    def update(self, w: World, i: int) -> None:
        cap = 0.72 * w.profiles[i].max_speed
        v_cmd = min(self.speed, cap)
        hard = w.speed[i] > v_cmd + 3.0          # far too fast: brake hard
        w.move(i, self.target, v_cmd, arrive=self.arrive, face=self.face, effort=self.effort,
               brake=0.85 if hard else min(1.0, 0.2 + self.effort))
        self.sum_v += float(w.speed[i])
        d = math.hypot(self.target[0] - w.pos[i, 0], self.target[1] - w.pos[i, 1])
        self.sum_demand += self.demand if d > 0.8 else 0.0
        self.n += 1
        if self.finish_within is not None and d < self.finish_within:
            self.done = True

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        n = max(self.n, 1)
        v, dem = self.sum_v / n, self.sum_demand / n
        return qf.run(v, dem), {"mean_speed_mps": v, "demand_speed_mps": dem}


class Sprint(Behaviour):
    """SPRINTING: maximal-effort run towards ``target`` (``effort`` x current top speed);
    ends on passing the target, when it is within braking distance, or after ``max_s``."""

    action = Action.SPRINTING
    retargetable = True
    min_s = 1.0

    def __init__(self, target: np.ndarray, effort: float = 0.95, max_s: float = 6.0):
        super().__init__()
        self.target = np.asarray(target, dtype=float)
        self.effort, self.max_s = effort, max_s
        self.peak = 0.0

    def retarget(self, other: Behaviour) -> None:
        assert isinstance(other, Sprint)
        self.target = other.target

    def on_begin(self, w: World, i: int) -> None:
        self.v0 = float(w.speed[i])
        self.p0 = w.pos[i].copy()
        self.d_peak = 0.0
        self.dist_run = 0.0

    def update(self, w: World, i: int) -> None:
        w.move(i, self.target, self.effort * w.top_speed(i), arrive=False, effort=self.effort)
        self.dist_run += float(w.speed[i]) * DT
        if w.speed[i] > self.peak:
            self.peak = float(w.speed[i])
            self.d_peak = dist(w.pos[i], self.p0)
        to = self.target - w.pos[i]
        d = norm2(to)
        passed = float(np.dot(to, w.bodies.vel[i])) < 0 and self.elapsed(w) > 0.8
        braking = w.speed[i] ** 2 / (1.6 * w.profiles[i].max_decel)
        if d < max(1.0, braking) or passed or self.elapsed(w) > self.max_s:
            self.done = True

    def relabel(self, w: World, i: int) -> Action:
        """A sprint that never got fast is recorded as running."""
        if self.peak < SPRINT_MIN_MPS:
            self.action = Action.RUNNING
        return self.action

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        p = w.profiles[i]
        if self.action == Action.RUNNING:
            el = max(self.elapsed(w), DT)
            v_mean = self.dist_run / el
            demand = self.effort * w.top_speed(i)
            return qf.run(v_mean, demand), {"mean_speed_mps": v_mean,
                                            "demand_speed_mps": demand}
        ref = qf.reachable_speed(self.v0, self.d_peak, p.max_speed, p.max_accel)
        return qf.sprint(self.peak, ref), {"peak_speed_mps": self.peak, "reference_speed_mps": ref,
                                           "entry_speed_mps": self.v0, "distance_m": self.d_peak}


class Stop(Behaviour):
    """STOPPING: brake to a standstill (``effort`` scales the deceleration)."""

    action = Action.STOPPING
    interruptible = False

    def __init__(self, effort: float = 0.9):
        super().__init__()
        self.effort = effort
        self.t_stop = NAN

    def on_begin(self, w: World, i: int) -> None:
        self.v0 = float(w.speed[i])
        self.p0 = w.pos[i].copy()
        self.h0 = float(w.bodies.heading[i])
        self.dist = 0.0

    def update(self, w: World, i: int) -> None:
        w.move(i, w.pos[i], 0.0, arrive=False, face=self.h0, brake=self.effort)
        if math.isnan(self.t_stop) and w.speed[i] < 0.3:
            self.t_stop = self.elapsed(w)
            self.dist = dist(w.pos[i], self.p0)
        if (not math.isnan(self.t_stop) and self.elapsed(w) - self.t_stop > 0.25) \
                or self.elapsed(w) > 3.0:
            self.done = True

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        d = self.dist if self.dist > 0 else dist(w.pos[i], self.p0)
        a_best = w.profiles[i].max_decel
        return qf.stop(self.v0, d, a_best), {"entry_speed_mps": self.v0, "stop_distance_m": d,
                                              "mean_decel_mps2": self.v0 ** 2 / (2 * max(d, .05))}


class Turn(Behaviour):
    """TURNING: brake, turn the body to ``new_angle`` and drive off at ``exit_speed``."""

    action = Action.TURNING
    interruptible = False

    def __init__(self, new_angle: float, exit_speed: float = 3.5, effort: float = 0.9):
        super().__init__()
        self.new, self.exit_speed, self.effort = new_angle, exit_speed, effort
        self.t_aligned = NAN
        self.peak_yaw = 0.0
        self.braking = True

    def on_begin(self, w: World, i: int) -> None:
        self.h0 = float(w.bodies.heading[i])
        self.angle = float(abs(wrap(self.new - self.h0)))

    def update(self, w: World, i: int) -> None:
        el = self.elapsed(w)
        if self.braking and w.speed[i] > 1.6 and el < 1.2:
            w.move(i, w.pos[i], 0.0, arrive=False, face=self.h0, brake=self.effort)
        else:
            self.braking = False
            d = np.array([math.cos(self.new), math.sin(self.new)])
            w.move(i, w.pos[i] + 10 * d, self.exit_speed, arrive=False, face=self.new,
                   effort=self.effort)
        self.peak_yaw = max(self.peak_yaw, abs(float(w.bodies.yaw_rate[i])))
        aligned = abs(float(wrap(w.bodies.heading[i] - self.new))) < 0.25
        if aligned and math.isnan(self.t_aligned):
            self.t_aligned = el
        if (not math.isnan(self.t_aligned) and (w.speed[i] >= 0.6 * self.exit_speed
                                                 or el - self.t_aligned > 0.5)) or el > 3.0:
            self.done = True

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        t = self.t_aligned if not math.isnan(self.t_aligned) else self.elapsed(w)
        return qf.turn(t, self.angle), {"turn_time_s": t, "turn_angle_rad": self.angle,
                                        "peak_yaw_rate_rads": self.peak_yaw}


class _Vertical(Behaviour):
    """Shared by jumps and slides: follows a ``VerticalProfile`` and reports its events."""

    interruptible = False
    airborne = True
    prof: VerticalProfile

    def phase_of(self, el: float) -> str:
        for name, (a, b) in self.prof.phases.items():
            if a <= el < b:
                return name
        return "end"

    def set_z(self, w: World, i: int) -> float:
        el = self.elapsed(w)
        z, _ = self.prof.sample(np.array([el]))
        w.bodies.z[i] = float(z[0])
        if el >= self.prof.duration:
            w.bodies.z[i] = 0.0
            self.done = True
        return el


class Jump(_Vertical):
    """JUMPING: standing two-footed vertical jump (headers from a stand, hurdle hops)."""

    action = Action.JUMPING

    def __init__(self, effort: float = 0.9, face: float = NAN):
        super().__init__()
        self.effort, self.face = effort, face

    def on_begin(self, w: World, i: int) -> None:
        p = w.profiles[i]
        self.h = round(self.effort * p.jump_height * (1 - 0.12 * w.bodies.fatigue[i]), 2)
        self.prof = vertical_profile("jump", self.h)
        w.event(i, "jump", height=self.h)

    def update(self, w: World, i: int) -> None:
        self.set_z(w, i)
        w.move(i, w.pos[i], 0.0, arrive=False, face=self.face, brake=0.8)

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        best = w.profiles[i].jump_height
        return qf.jump(self.h, best), {"height_m": self.h, "best_height_m": best}


class TakeOff(_Vertical):
    """TAKE_OFF: one-footed take-off from a run (attacking a high ball, clearing a hurdle):
    the run carries on through the flight at 85 % of the approach speed."""

    action = Action.TAKE_OFF

    def __init__(self, effort: float = 0.9):
        super().__init__()
        self.effort = effort

    def on_begin(self, w: World, i: int) -> None:
        p = w.profiles[i]
        self.v_in = w.bodies.vel[i].copy()
        self.speed_in = norm2(self.v_in)
        self.h = round(self.effort * 1.1 * p.jump_height * (1 - 0.12 * w.bodies.fatigue[i]), 2)
        self.prof = vertical_profile("takeoff", self.h)
        w.event(i, "takeoff", height=self.h, speed=self.speed_in)

    def update(self, w: World, i: int) -> None:
        el = self.set_z(w, i)
        ph = self.phase_of(el)
        if ph in ("load", "push", "flight"):
            w.move(i, w.pos[i] + self.v_in, self.speed_in, arrive=False)
            ramp = min(el / max(self.prof.phases["flight"][0], DT), 1.0)
            w.cmd.vel_override[i] = self.v_in * (1.0 - 0.15 * ramp)
        else:
            w.move(i, w.pos[i] + self.v_in, min(self.speed_in, 2.5), arrive=False, brake=0.7)

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        best = 1.1 * w.profiles[i].jump_height
        return qf.jump(self.h, best), {"height_m": self.h, "best_height_m": best,
                                       "approach_speed_mps": self.speed_in}


class Slide(_Vertical):
    """SLIDING: slide tackle (drop, slide on the ground with friction 0.55 g capped at the
    player's braking limit, get up) in the running direction, or along ``direction`` (rad)
    from a near standstill."""

    action = Action.SLIDING

    def __init__(self, direction: float):
        super().__init__()
        self.direction = direction
        self.won = False
        self.reach = 0.0

    def on_begin(self, w: World, i: int) -> None:
        self.v0 = float(w.speed[i])
        self.v = self.v0
        self.prof = vertical_profile("slide", 0.0, round(max(self.v0, 3.0), 1))
        if self.v0 > 1.0:      # the body slides on in the direction it was running
            self.direction = math.atan2(w.bodies.vel[i, 1], w.bodies.vel[i, 0])
        self.u = np.array([math.cos(self.direction), math.sin(self.direction)])
        self.decel = min(0.55 * 9.81, 0.95 * w.profiles[i].max_decel)
        self.t_ground = self.prof.phases["impact"][0]
        self.t_up = self.prof.phases["getup"][0]
        self.p_ground = w.pos[i].copy()
        w.event(i, "slide", speed=round(max(self.v0, 3.0), 1))

    def update(self, w: World, i: int) -> None:
        el = self.set_z(w, i)
        if el < self.t_ground:
            self.p_ground = w.pos[i].copy()
        else:
            self.v = max(self.v - self.decel * DT, 0.0)
            if el < self.t_up:
                self.reach = dist(w.pos[i], self.p_ground) + 0.9
        w.move(i, w.pos[i], 0.0, arrive=False, face=self.direction)
        w.cmd.vel_override[i] = self.u * self.v

    def foot(self, w: World, i: int) -> np.ndarray:
        """Where the sliding foot is (m)."""
        return w.pos[i] + 0.9 * self.u

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        return qf.slide(self.reach, self.won), {"reach_m": self.reach, "won": float(self.won),
                                                "entry_speed_mps": self.v0}


def default_behaviour(w: World, i: int) -> Behaviour:
    """What a player does when the drill gives them nothing: brake hard from a run, else
    stand (RUNNING, marked default so that drills see the player as free)."""
    if w.speed[i] > 3.2:
        return Stop(effort=float(w.rng.uniform(0.6, 1.0)))
    return Run(w.pos[i].copy(), 0.0, demand=0.0, default=True)
