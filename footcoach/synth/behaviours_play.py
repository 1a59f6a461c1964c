"""Action primitives with the ball or an opponent: dribbling, passing, shooting (also dead
balls), defending and assisting defence (see ``behaviours.py`` for the base class and the
locomotion actions)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from footcoach.domain.labels import Action
from footcoach.synth import quality as qf
from footcoach.synth.ball import BALL_RADIUS, launch
from footcoach.synth.behaviours import NAN, Behaviour, _angle, _unit
from footcoach.synth.world import DT, World, dist, norm2


class Dribble(Behaviour):
    """DRIBBLING: run with the ball to ``target``; the ball is touched ahead every
    ``touch length`` metres (longer when faster and for less skilled players)."""

    action = Action.DRIBBLING
    retargetable = True
    min_s = 0.6

    def __init__(self, target: np.ndarray, speed: float, max_s: float = 4.0):
        super().__init__()
        self.target = np.asarray(target, dtype=float)
        self.speed, self.max_s = float(speed), max_s
        self.phase = 0.0
        self.sum_v = self.sum_len = 0.0
        self.n = 0

    def on_begin(self, w: World, i: int) -> None:
        self.control = 1.9 - 1.3 * w.profiles[i].skill
        self.jit = float(w.rng.uniform(0.8, 1.2))

    def retarget(self, other: Behaviour) -> None:
        assert isinstance(other, Dribble)
        self.target, self.speed = other.target, other.speed

    def update(self, w: World, i: int) -> None:
        if w.ball.owner != i:
            self.done = True
            w.move(i, w.pos[i], 0.0)
            return
        w.move(i, self.target, self.speed, effort=0.6)
        v = float(w.speed[i])
        touch = (0.45 + 0.22 * v) * self.control * self.jit
        self.phase += v * DT / touch
        if self.phase >= 1.0:
            self.phase -= 1.0
            self.jit = float(w.rng.uniform(0.8, 1.2))
        w.ball_lead[i] = 0.32 + (0.6 * touch * math.sin(math.pi * self.phase) if v > 0.6 else 0)
        self.sum_v += v
        self.sum_len += touch
        self.n += 1
        if self.elapsed(w) > self.max_s or dist(self.target, w.pos[i]) < 0.8:
            self.done = True

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        n = max(self.n, 1)
        v, length = self.sum_v / n, self.sum_len / n
        return qf.dribble(v, w.profiles[i].max_speed, length), {"mean_speed_mps": v,
                                                                "touch_length_m": length}


StrikeHook = Callable[[World, int, "Kick"], None]


class Kick(Behaviour):
    """Shared by passes and shots: set up (brake to <= 3 m/s while facing the aim, ball at
    the feet) for ``set_s`` seconds, strike, follow through 0.3 s."""

    interruptible = False

    def __init__(self, aim: np.ndarray, set_s: float, on_strike: StrikeHook | None = None):
        super().__init__()
        self.aim = np.asarray(aim, dtype=float)
        self.set_s = set_s
        self.on_strike = on_strike
        self.struck = False
        self.ball_speed = 0.0
        self.miss = 0.0

    def update(self, w: World, i: int) -> None:
        el = self.elapsed(w)
        to = self.aim - w.pos[i]
        face = _angle(to)
        if not self.struck:
            if w.ball.owner != i:            # lost the ball before striking it
                self.done = True
                return
            w.move(i, w.pos[i] + 0.6 * _unit(to), min(w.speed[i], 2.5), face=face, brake=0.8)
            w.ball_lead[i] = 0.45
            if el >= self.set_s:
                self.strike(w, i)
                self.struck = True
                if self.on_strike is not None:
                    self.on_strike(w, i, self)
        else:
            w.move(i, w.pos[i] + 0.5 * _unit(to), 1.0, face=face, brake=0.8)
            if el >= self.set_s + 0.3:
                self.done = True

    def strike(self, w: World, i: int) -> None:
        raise NotImplementedError

    def release(self, w: World, i: int, vel: np.ndarray, shot: bool) -> None:
        b = w.ball
        b.owner = -1
        b.pos = np.array([b.pos[0], b.pos[1], BALL_RADIUS])
        b.vel = vel
        b.last_touch = i
        b.kicked_at = w.t
        self.ball_speed = float(np.linalg.norm(vel))
        w.event(i, "kick", speed=self.ball_speed, shot=float(shot),
                foot=float(w.rng.choice([-1.0, 1.0], p=[0.25, 0.75])))


class Pass(Kick):
    """PASSING to ``receiver`` (index or -1) at ``aim``; ``lofted`` passes fly at ~30 deg."""

    action = Action.PASSING

    def __init__(self, aim: np.ndarray, receiver: int = -1, lofted: bool = False,
                 set_s: float = 0.45, on_strike: StrikeHook | None = None):
        super().__init__(aim, set_s, on_strike)
        self.receiver, self.lofted = receiver, lofted
        self.distance = 0.0

    def strike(self, w: World, i: int) -> None:
        p = w.profiles[i]
        if self.receiver >= 0:
            lead = w.bodies.vel[self.receiver] * min(dist(w.pos[self.receiver], w.pos[i]) / 12, 1.2)
            self.aim = w.clamp(w.pos[self.receiver] + lead, 1.0)
        d = dist(self.aim, w.ball.pos[:2])
        self.distance = d
        err = float(w.rng.normal(0, 0.025 + 0.08 * (1 - p.skill) + 0.04 * w.bodies.fatigue[i]))
        if self.lofted:
            loft = math.radians(w.rng.uniform(25, 38))
            v = math.sqrt(max(d, 3.0) * 9.81 / math.sin(2 * loft)) * 1.06
            v *= float(np.exp(w.rng.normal(0, 0.06 + 0.08 * (1 - p.skill))))
            v = float(np.clip(v, 8.0, 20.0))
        else:
            loft = 0.0
            v = qf.ideal_pass_speed(d) * float(np.exp(w.rng.normal(0, 0.08 + 0.15 * (1 - p.skill))))
            v = float(np.clip(v, 8.0, 20.0))
        self.miss = d * abs(math.tan(err))
        self.release(w, i, launch(w.ball.pos[:2], self.aim, v, loft, err), shot=False)

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        if not self.struck:
            return 20.0, {"struck": 0.0}
        return qf.pass_(self.ball_speed, self.miss, self.distance), {
            "ball_speed_mps": self.ball_speed, "miss_m": self.miss, "distance_m": self.distance,
            "lofted": float(self.lofted)}


class Shoot(Kick):
    """SHOOTING at the goal centred on ``aim`` (x, y) of width ``goal_w`` and height
    ``goal_h``; ``effort`` scales the player's best ball speed."""

    action = Action.SHOOTING

    def __init__(self, aim: np.ndarray, goal_w: float, goal_h: float, effort: float = 0.9,
                 set_s: float = 0.55, on_strike: StrikeHook | None = None):
        super().__init__(aim, set_s, on_strike)
        self.goal_w, self.goal_h, self.effort = goal_w, goal_h, effort

    def strike(self, w: World, i: int) -> None:
        p, rng = w.profiles[i], w.rng
        half = max(self.goal_w / 2 - 0.4, 0.2)
        target = self.aim + np.array([0.0, rng.uniform(-half, half)])
        z_aim = float(rng.uniform(0.3, max(min(1.8, self.goal_h - 0.3), 0.4)))
        v = p.kick_speed * self.effort * (1 - 0.08 * w.bodies.fatigue[i])
        v = float(np.clip(v * rng.uniform(0.97, 1.03), 15.0, 32.0))
        d = dist(target, w.ball.pos[:2])
        s = (0.012 + 0.04 * (1 - p.skill) + 0.02 * w.bodies.fatigue[i]) * (0.6 + 0.4 * v / 25)
        err_h, err_v = float(rng.normal(0, s)), float(rng.normal(0, s * 0.7))
        t_fl = d / (0.93 * v)
        vz = (z_aim - BALL_RADIUS) / t_fl + 0.5 * 9.81 * t_fl
        loft = math.asin(min(vz / v, 0.6)) + err_v
        self.miss = d * math.hypot(math.tan(err_h), math.tan(err_v))
        self.aim = target
        self.release(w, i, launch(w.ball.pos[:2], target, v, loft, err_h), shot=True)

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        if not self.struck:
            return 15.0, {"struck": 0.0}
        return qf.shot(self.ball_speed, self.miss), {"ball_speed_mps": self.ball_speed,
                                                     "miss_m": self.miss}


class SetPiece(Shoot):
    """SHOOTING a dead ball (penalty, free kick): run up to the ball lying at ``ball_xy`` at
    ``runup_speed`` m/s and strike it on arrival."""

    def __init__(self, aim: np.ndarray, goal_w: float, goal_h: float, ball_xy: np.ndarray,
                 effort: float = 0.9, runup_speed: float = 3.5,
                 on_strike: StrikeHook | None = None):
        super().__init__(aim, goal_w, goal_h, effort, set_s=99.0, on_strike=on_strike)
        self.ball_xy = np.asarray(ball_xy, dtype=float)
        self.runup_speed = runup_speed
        self.reached = False

    def update(self, w: World, i: int) -> None:
        if not self.reached:
            behind = self.ball_xy - 0.35 * _unit(self.aim - self.ball_xy)
            w.move(i, behind, self.runup_speed, arrive=False, face=_angle(self.aim - w.pos[i]))
            if dist(behind, w.pos[i]) < 0.4 or self.elapsed(w) > 3.0:
                self.reached = True
                w.ball.owner = i
                w.ball_lead[i] = 0.35
                self.set_s = self.elapsed(w)
            return
        super().update(w, i)


class Defend(Behaviour):
    """DEFENDING: close down opponent ``opp`` and jockey goal-side of them at ``gap`` m,
    facing them; the defender reacts to where the opponent was 0.16-0.32 s ago (better
    players react faster); tackles are decided by the drill (``won``)."""

    action = Action.DEFENDING
    retargetable = True
    min_s = 0.8

    def __init__(self, opp: int, goal: np.ndarray, gap: float = 1.5, urgency: float = 1.0):
        super().__init__()
        self.opp, self.goal, self.gap, self.urgency = opp, np.asarray(goal, float), gap, urgency
        self.won = False
        self.n = self.n_side = 0
        self.sum_err = 0.0
        self.close_since = NAN
        self.lag = 6

    def on_begin(self, w: World, i: int) -> None:
        self.lag = round((0.32 - 0.16 * w.profiles[i].skill) / DT)

    def retarget(self, other: Behaviour) -> None:
        assert isinstance(other, Defend)
        if other.opp != self.opp:
            self.close_since = NAN
        self.opp, self.goal, self.gap, self.urgency = other.opp, other.goal, other.gap, \
            other.urgency

    def update(self, w: World, i: int) -> None:
        o_seen, v_seen = w.seen(self.opp, self.lag)
        o = w.pos[self.opp]
        g = _unit(self.goal - o_seen)
        target = o_seen + g * self.gap + (0.3 + self.lag * DT) * v_seen
        d_t = dist(target, w.pos[i])
        speed = min(1.0 + 1.3 * d_t, w.top_speed(i)) * self.urgency
        rel = w.pos[i] - o
        d = norm2(rel)
        w.move(i, target, speed, face=_angle(o - w.pos[i]) if d < 6 else NAN,
               effort=0.45 + 0.5 * self.urgency * min(d_t / 4.0, 1.0), brake=0.7)
        if d < 6:
            self.n += 1
            self.n_side += int(float(np.dot(_unit(rel), g)) > 0.5)
            self.sum_err += abs(d - 1.5)

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        side = self.n_side / self.n if self.n else 0.0
        err = self.sum_err / self.n if self.n else 4.5
        return qf.defend(side, err, self.won), {"goal_side_frac": side, "gap_error_m": err,
                                                "won": float(self.won)}


class Cover(Behaviour):
    """ASSISTING_DEFENCE: hold the cover point the drill computes (behind the pressing
    team-mate, on the ball-goal line), facing the ball."""

    action = Action.ASSISTING_DEFENCE
    retargetable = True
    min_s = 0.8

    def __init__(self, point: np.ndarray, ball: np.ndarray, speed: float):
        super().__init__()
        self.point, self.ball, self.speed = np.asarray(point, float), np.asarray(ball, float), speed
        self.errs: list[float] = []

    def retarget(self, other: Behaviour) -> None:
        assert isinstance(other, Cover)
        self.point, self.ball, self.speed = other.point, other.ball, other.speed

    def update(self, w: World, i: int) -> None:
        w.move(i, self.point, self.speed, face=_angle(self.ball - w.pos[i]), effort=0.55,
               brake=0.6)
        self.errs.append(dist(self.point, w.pos[i]))

    def score(self, w: World, i: int) -> tuple[float, dict[str, float]]:
        half = self.errs[len(self.errs) // 2:]
        err = float(np.mean(half)) if half else dist(self.point, w.pos[i])
        return qf.cover(err), {"cover_error_m": err}
