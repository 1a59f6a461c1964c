"""Team play of the match engine (``game.py``): positions in the team shape, support runs,
pressing, covering and retreating off the ball, the intended receiver's run, aerial duels,
and the team tactics over time. ``Game`` adds the ball: control, carrier decisions, duels.

Team 0 (``A``) attacks towards ``x1`` of the area, team 1 (``B``) towards ``x0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from footcoach.domain.labels import Tactic
from footcoach.synth.ball import predict
from footcoach.synth.behaviours import Jump, Run, Sprint, TakeOff, Turn
from footcoach.synth.behaviours_play import Cover, Defend, Dribble
from footcoach.synth.world import World, dist, norm2


@dataclass
class GameSpec:
    """area: (x0, y0, x1, y1) pitch metres; goals: score on the short sides (else keep the
    ball); players: participating player indices (None: all); press_team: a team that presses
    all the time (pressing drill); pass_bias: chance to pass at a decision; loft_prob: share of
    lofted passes."""

    area: tuple[float, float, float, float]
    goals: bool = True
    goal_w: float = 5.0
    goal_h: float = 2.0
    players: list[int] | None = None
    press_team: int | None = None
    pass_bias: float = 0.55
    loft_prob: float = 0.12
    shoot_range: float = 18.0


class TeamPlay:
    """Shared state and off-the-ball behaviour of both teams on ``spec.area``."""

    def __init__(self, spec: GameSpec, stop_on: frozenset[str] = frozenset()):
        self.spec = spec
        self.stop_on = stop_on
        self.ended: str | None = None
        self.poss = -1
        self.pass_to = -1
        self.turnover_t = -1e9
        self.shot_until = -1e9
        self.out_until = -1e9
        self.restart_team = 0
        self.restart_at: np.ndarray | None = None
        self.runner = -1
        self.presser = [-1, -1]
        self.cover = [-1, -1]
        self.jumps: dict[int, tuple[float, bool]] = {}
        self.next_eval: np.ndarray | None = None
        self.drift: np.ndarray | None = None
        self.pace: np.ndarray | None = None
        self.goals_scored = [0, 0]
        self.ball_smooth: np.ndarray | None = None
        self._pred_key = (-1, -1.0)
        self._pred = np.zeros((0, 3))

    # ------------------------------------------------------------------ geometry
    def players(self, w: World) -> np.ndarray:
        return np.arange(w.P) if self.spec.players is None else np.asarray(self.spec.players)

    def side(self, w: World, team: int) -> np.ndarray:
        p = self.players(w)
        return p[w.team[p] == team]

    def goal(self, team: int) -> np.ndarray:
        """Centre of the goal that ``team`` attacks."""
        x0, y0, x1, y1 = self.spec.area
        return np.array([x1 if team == 0 else x0, 0.5 * (y0 + y1)])

    def own_goal(self, team: int) -> np.ndarray:
        return self.goal(1 - team)

    def inside(self, xy: np.ndarray, margin: float = 1.0) -> np.ndarray:
        x0, y0, x1, y1 = self.spec.area
        return np.array([np.clip(xy[0], x0 + margin, x1 - margin),
                         np.clip(xy[1], y0 + margin, y1 - margin)])

    def attack_dir(self, team: int) -> float:
        return 1.0 if team == 0 else -1.0

    # ------------------------------------------------------------------ off the ball
    def _nearest(self, w: World, team: int, xy: np.ndarray, exclude: int = -1) -> int:
        side = [int(j) for j in self.side(w, team) if j != exclude]
        if not side:
            return -1
        d = np.hypot(*(w.pos[side] - xy).T)
        return side[int(np.argmin(d))]

    def _off_ball(self, w: World) -> None:
        assert self.next_eval is not None and self.drift is not None
        for i in self.players(w):
            i = int(i)
            if i == w.ball.owner:
                continue
            if i in self.jumps and self._jump_now(w, i):
                continue
            if w.t < self.next_eval[i] and not w.idle(i):
                continue
            self.next_eval[i] = w.t + w.rng.uniform(0.3, 0.6)
            if w.rng.random() < 0.1 and self.pace is not None:
                self.drift[i] = np.clip(self.drift[i] + w.rng.normal(0, 1.0, 2), -4, 4)
                self.pace[i] = float(np.clip(self.pace[i] + w.rng.normal(0, 0.05), 0.8, 1.2))
            if not w.ball.in_play:
                self._go(w, i, self._shape_slot(w, i, self.restart_team), urgency=0.3)
            elif w.ball.owner < 0:
                self._loose_ball(w, i)
            elif int(w.team[i]) == self.poss:
                self._support(w, i)
            else:
                self._defend(w, i)

    def _jump_now(self, w: World, i: int) -> bool:
        t_arr, running = self.jumps[i]
        lead = (0.26 + 0.32) if running else (0.45 + 0.3)
        if w.t < t_arr - lead:
            return False
        del self.jumps[i]
        if w.t > t_arr:
            return False
        eff = float(w.rng.uniform(0.75, 1.0))
        return w.assign(i, TakeOff(eff) if running else Jump(eff), force=True)

    def _go(self, w: World, i: int, target: np.ndarray, urgency: float) -> None:
        """Move ``i`` to ``target``: a sprint when far and urgent, else a run (with a turn
        first when the new direction is well behind a fast runner)."""
        p = w.profiles[i]
        to = target - w.pos[i]
        d = norm2(to)
        vel = w.bodies.vel[i]
        back = abs(math.remainder(math.atan2(to[1], to[0]) - w.bodies.heading[i], math.tau)) > 1.6
        reverse = float(np.dot(self._unit(to), self._unit(vel))) < -0.5
        if w.speed[i] > 3.2 and d > 4 and reverse and back and w.assign(
                i, Turn(math.atan2(to[1], to[0]), exit_speed=min(4.0, 0.8 + 0.5 * d),
                        effort=float(w.rng.uniform(0.6, 1.0)))):
            return
        if urgency > 0.8 and d > 10 and w.rng.random() < 0.5:
            w.assign(i, Sprint(target, effort=float(w.rng.uniform(0.7, 0.95))))
            return
        if isinstance(w.behaviours[i], Sprint) and d > 4:
            w.assign(i, Sprint(target))
            return
        demand = float(np.clip(0.2 + 0.5 * d, 0, 4.8) * (0.5 + 0.7 * urgency))
        assert self.pace is not None
        speed = demand * (0.8 + 0.4 * p.work_rate) * float(self.pace[i])
        w.assign(i, Run(target, speed, demand=demand, effort=0.2 + 0.45 * urgency))

    def _ball_path(self, w: World) -> np.ndarray:
        """(25, 3) predicted free-ball positions over the next 2 s (cached per tick)."""
        key = (w.k, float(w.ball.pos[0]))
        if key != self._pred_key:
            self._pred_key = key
            self._pred = predict(w.ball, 2.0, 0.08)
        return self._pred

    def _loose_ball(self, w: World, i: int) -> None:
        b = w.ball
        path = self._ball_path(w)
        ground = path[path[:, 2] < 1.0]
        team = int(w.team[i])
        spot = ground[min(len(ground) - 1, 8)][:2] if len(ground) else b.pos[:2]
        chaser = self.pass_to if (self.pass_to >= 0 and w.team[self.pass_to] == team) else \
            self._nearest(w, team, spot)
        if i == chaser:
            if i == self.pass_to and len(ground):
                dd = np.hypot(*(ground[:, :2] - w.pos[i]).T)
                reach = dd / max(w.top_speed(i) * 0.7, 1) <= (np.arange(len(ground)) + 1) * 0.08
                spot = ground[int(np.argmax(reach))][:2] if reach.any() else ground[-1][:2]
            self._go(w, i, self.inside(spot, 0.3), urgency=1.0)
        else:
            self._go(w, i, self._shape_slot(w, i, 1 - team if self.poss == team else team),
                     urgency=0.5)

    def _support(self, w: World, i: int) -> None:
        team = int(w.team[i])
        if i == self.runner:
            beh = w.behaviours[i]
            if not isinstance(beh, Sprint) or beh.done:
                self.runner = -1
            return
        if self.spec.goals and self.runner < 0 and w.rng.random() < 0.03:
            goal = self.goal(team)
            tgt = self.inside(goal - self.attack_dir(team) * np.array([w.rng.uniform(3, 8), 0])
                              + np.array([0, w.rng.uniform(-6, 6)]), 1.0)
            if w.assign(i, Sprint(tgt, effort=float(w.rng.uniform(0.75, 1.0)), max_s=4.0)):
                self.runner = i
                return
        self._go(w, i, self._shape_slot(w, i, team), urgency=0.6)

    def _shape_slot(self, w: World, i: int, team_with_ball: int) -> np.ndarray:
        """Where ``i`` stands in their team's shape around the ball."""
        assert self.drift is not None
        x0, y0, x1, y1 = self.spec.area
        if w.ball.in_play:
            ball = self.ball_smooth if self.ball_smooth is not None else w.ball.pos[:2]
        elif self.restart_at is not None:
            ball = self.inside(self.restart_at, 1.0)
        else:
            ball = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        team = int(w.team[i])
        mates = [int(j) for j in self.side(w, team)]
        order = sorted(mates, key=lambda j: (w.pos[j, 1], j))
        k, n = order.index(i), len(order)
        s = self.attack_dir(team)
        if team == team_with_ball:
            y = y0 + 2 + (k + 0.5) * (y1 - y0 - 4) / n
            depth = (6.0, -4.0, 9.0, 1.0, -7.0, 4.0)[(i + k) % 6]
            x = ball[0] + s * depth * (0.5 + 0.5 * (x1 - x0) / 40)
        else:
            mid = 0.5 * (y0 + y1)
            y = 0.5 * (mid + ball[1]) + ((k + 0.5) / n - 0.5) * 0.7 * (y1 - y0)
            x = ball[0] - s * (4.0 + 3.0 * (k % 2)) * (0.5 + 0.5 * (x1 - x0) / 40)
        return self.inside(np.array([x, y]) + self.drift[i], 1.0)

    def _defend(self, w: World, i: int) -> None:
        team = int(w.team[i])
        o = w.ball.owner
        ball = w.ball.pos[:2]
        side = [int(j) for j in self.side(w, team)]
        d = {j: dist(w.pos[j], ball) for j in side}
        ranked = sorted(side, key=lambda j: d[j])
        cur = self.presser[team]
        if cur not in d or d[ranked[0]] < d[cur] - 2.0:
            cur = ranked[0]
            self.presser[team] = cur
        own_goal = self.own_goal(team)
        pressing = self.spec.press_team == team
        if i == cur or (pressing and len(ranked) > 2 and i == ranked[1] and i != cur):
            gap = float(w.rng.uniform(1.2, 2.0))
            target = o if i == cur else self._option(w, o, i)
            w.assign(i, Defend(target, own_goal, gap=gap, urgency=1.0 if pressing else 0.85))
            return
        behind = self.attack_dir(team) * (w.pos[i, 0] - ball[0]) > 2.0
        if behind and self.spec.goals:
            slot = self._shape_slot(w, i, 1 - team)
            self._go(w, i, slot, urgency=1.0)
            return
        rest = [j for j in ranked if j != cur]
        cov = self.cover[team]
        if rest and (cov not in rest or d[rest[0]] < d[cov] - 2.0):
            cov = rest[0]
            self.cover[team] = cov
        if rest and i == cov:
            point = self.inside(w.pos[cur] + 4.0 * self._unit(own_goal - ball)
                                + 1.2 * self._unit(own_goal - w.pos[cur]), 1.0)
            w.assign(i, Cover(point, ball.copy(), speed=min(1.0 + 0.8 * dist(point, w.pos[i]),
                                                            5.0)))
            return
        self._go(w, i, self._shape_slot(w, i, 1 - team), urgency=0.55)

    def _option(self, w: World, o: int, i: int) -> int:
        """The owner's team-mate nearest to defender ``i`` (the pass option to mark)."""
        j = self._nearest(w, int(w.team[o]), w.pos[i], exclude=o)
        return j if j >= 0 else o

    # ------------------------------------------------------------------ tactics
    def _tactics(self, w: World) -> None:
        if self.poss < 0 or not w.ball.in_play:
            return
        att, dfn = self.poss, 1 - self.poss
        if w.t < self.shot_until:
            ta = Tactic.SHOOTING
        elif self.spec.goals and (self.runner >= 0 or self._in_final_third(w, att)):
            ta = Tactic.BREAKTHROUGH
        else:
            ta = Tactic.BALL_POSSESSION
        w.team_tactic[att] = ta
        w.team_tactic[dfn] = self._defence_tactic(w, dfn)

    def _in_final_third(self, w: World, team: int) -> bool:
        x0, _, x1, _ = self.spec.area
        o = w.ball.owner
        if o < 0 or not isinstance(w.behaviours[o], Dribble):
            return False
        return abs(self.goal(team)[0] - w.pos[o, 0]) < (x1 - x0) / 3

    def _defence_tactic(self, w: World, team: int) -> Tactic:
        if self.spec.press_team == team:
            return Tactic.PRESSING
        side = self.side(w, team)
        ball = w.ball.pos[:2]
        if self.spec.goals:
            behind = self.attack_dir(team) * (w.pos[side, 0] - ball[0]) > 2.0
            if np.mean(behind) >= 0.5 or w.t - self.turnover_t < 2.5:
                return Tactic.RETREATING_DEFENCE
        near = int(np.sum(np.hypot(*(w.pos[side] - ball).T) < 5.0))
        return Tactic.PRESSING if near >= 2 else Tactic.ASSISTING_DEFENCE

    @staticmethod
    def _unit(v: np.ndarray) -> np.ndarray:
        n = float(np.hypot(v[0], v[1]))
        return v / n if n > 1e-9 else np.array([1.0, 0.0])
