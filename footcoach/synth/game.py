"""The match engine shared by the opposed drills (possession, pressing, 1v1/2v1, retreat,
small-sided game): ball control, restarts, carrier decisions (shoot, shield-turn, pass,
take-on dribble), tackles, slide tackles and headers. The team play off the ball and the team
tactics are in ``game_team.py``.

Team 0 (``A``) attacks towards ``x1`` of the area, team 1 (``B``) towards ``x0``; goals (when
used) are centred on the short sides. Decisions are re-taken every 0.3-0.6 s per player, so
behaviours are re-aimed rather than restarted and action segments keep realistic lengths.
"""

from __future__ import annotations

import math

import numpy as np

from footcoach.synth.ball import predict
from footcoach.synth.behaviours import Slide, Turn, _Vertical
from footcoach.synth.behaviours_play import Defend, Dribble, Kick, Pass, Shoot
from footcoach.synth.game_team import GameSpec, TeamPlay
from footcoach.synth.world import World, dist

__all__ = ["CONTROL_R", "Game", "GameSpec"]

CONTROL_R = 0.9


class Game(TeamPlay):
    """One running match situation on ``spec.area``. ``ended`` gives why the play stopped
    (``"goal"``, ``"out"``, ``"turnover"``, ``"shot"``) when ``stop_on`` asks for it."""

    # ------------------------------------------------------------------ start / update
    def kick_off(self, w: World, team: int, player: int | None = None) -> None:
        """Give the ball to ``player`` (or the deepest player of ``team``) at their feet."""
        if player is None:
            side = self.side(w, team)
            player = int(side[np.argmin(self.attack_dir(team) * w.pos[side, 0])])
        w.ball.place(w.pos[player], owner=player)
        w.ball_lead[player] = 0.35
        self.poss = team
        self.pass_to = -1
        self.ended = None

    def update(self, w: World) -> None:
        if self.next_eval is None:
            self.next_eval = w.t + w.rng.uniform(0, 0.5, w.P)
            self.drift = w.rng.normal(0, 1.5, (w.P, 2))
            self.pace = w.rng.uniform(0.9, 1.1, w.P)
        self._ball_state(w)
        if w.ball.in_play:
            if self.ball_smooth is None:
                self.ball_smooth = w.ball.pos[:2].copy()
            self.ball_smooth += (w.ball.pos[:2] - self.ball_smooth) * min(0.04 / 1.2, 1.0)
            if w.ball.owner < 0:
                self._control(w)
            self._duels(w)
            self._carrier(w)
        self._off_ball(w)
        self._tactics(w)

    def _end(self, reason: str) -> None:
        if reason in self.stop_on and self.ended is None:
            self.ended = reason

    # ------------------------------------------------------------------ ball in/out
    def _ball_state(self, w: World) -> None:
        b = w.ball
        if not b.in_play:
            if w.t >= self.out_until and self.ended is None:
                side = self.side(w, self.restart_team)
                at = self.restart_at if self.restart_at is not None else w.pos[side[0]]
                d = np.hypot(*(w.pos[side] - self.inside(at, 1.0)).T)
                self.kick_off(w, self.restart_team, int(side[np.argmin(d)]))
            return
        if b.owner >= 0:
            return
        x0, y0, x1, y1 = self.spec.area
        x, y, z = b.pos
        if x0 - 0.3 <= x <= x1 + 0.3 and y0 - 0.3 <= y <= y1 + 0.3:
            return
        last_team = int(w.team[b.last_touch]) if b.last_touch >= 0 else 0
        scored = self.spec.goals and (x < x0 or x > x1) and \
            abs(y - 0.5 * (y0 + y1)) < self.spec.goal_w / 2 and z < self.spec.goal_h
        if scored:
            scoring = 0 if x > x1 else 1
            self.goals_scored[scoring] += 1
            self.restart_team = 1 - scoring
            self.restart_at = self.own_goal(self.restart_team)
            self.out_until = w.t + 3.0
            self._end("goal")
        else:
            self.restart_team = 1 - last_team
            self.restart_at = np.array([x, y])
            self.out_until = w.t + float(w.rng.uniform(1.5, 2.5))
        b.take_out()
        self.pass_to = -1
        self._end("out")

    def _control(self, w: World) -> None:
        b = w.ball
        cand = self.players(w)
        d = np.hypot(*(w.pos[cand] - b.pos[:2]).T)
        order = np.argsort(d)
        for k in order[:3]:
            i = int(cand[k])
            if d[k] > CONTROL_R + 0.6:
                break
            if i == b.last_touch and w.t - b.kicked_at < 0.3:
                continue
            beh = w.behaviours[i]
            if isinstance(beh, Slide):
                if dist(beh.foot(w, i), b.pos[:2]) < 0.8 and b.pos[2] < 0.6:
                    self._knock(w, i, beh)
                continue
            if isinstance(beh, _Vertical) and b.pos[2] > 1.1:
                self._header(w, i, b.pos[2] - (1.75 + w.bodies.z[i]))
                return
            if d[k] < CONTROL_R and b.pos[2] < 1.0:
                if b.speed > 17 and w.rng.random() > 0.3:
                    continue
                self._gain(w, i)
                return

    def _gain(self, w: World, i: int) -> None:
        team = int(w.team[i])
        if team != self.poss:
            if self.poss >= 0:
                self.turnover_t = w.t
                self._end("turnover")
            self.poss = team
        w.ball.owner = i
        w.ball.last_touch = i
        w.ball_lead[i] = 0.35
        self.pass_to = -1
        self.runner = -1 if self.runner == i else self.runner
        goal = self.goal(team)
        toward = self.inside(w.pos[i] + 3 * self._unit(goal - w.pos[i]), 1.0) if self.spec.goals \
            else self.inside(w.pos[i] + 2 * self._away(w, i), 1.0)
        w.assign(i, Dribble(toward, 2.0, max_s=float(w.rng.uniform(0.5, 1.2))), force=True)

    def _header(self, w: World, i: int, miss: float) -> None:
        b = w.ball
        mates = [j for j in self.side(w, int(w.team[i])) if j != i]
        tgt = w.pos[int(w.rng.choice(mates))] if mates else w.pos[i] + 5
        d = self._unit(tgt - b.pos[:2])
        sp = float(w.rng.uniform(5, 9)) * (1.0 if abs(miss) < 0.4 else 0.6)
        b.vel = np.array([d[0] * sp, d[1] * sp, 2.0])
        b.last_touch, b.kicked_at = i, w.t
        self.pass_to = -1

    def _knock(self, w: World, i: int, beh: Slide) -> None:
        b = w.ball
        if b.owner >= 0:
            w.event(b.owner, "tackle", strength=0.8)
        b.owner = -1
        d = beh.u + w.rng.normal(0, 0.4, 2)
        b.vel = np.array([*(self._unit(d) * w.rng.uniform(4, 8)), 0.0])
        b.last_touch, b.kicked_at = i, w.t
        beh.won = True
        self.pass_to = -1

    # ------------------------------------------------------------------ duels
    def _duels(self, w: World) -> None:
        o = w.ball.owner
        for i in self.players(w):
            beh = w.behaviours[i]
            if isinstance(beh, Slide) and o >= 0 and not beh.won \
                    and dist(beh.foot(w, i), w.ball.pos[:2]) < 0.8:
                self._knock(w, int(i), beh)
                return
            if o < 0 or not isinstance(beh, Defend) or beh.opp != o:
                continue
            gap = dist(w.pos[i], w.pos[o])
            if self._maybe_slide(w, int(i), o, gap):
                return
            if gap > 1.3:
                beh.close_since = math.nan
                continue
            if math.isnan(beh.close_since):
                beh.close_since = w.t
            if w.t - beh.close_since > 0.4 and w.rng.random() < 0.6 * 0.04:
                self._tackle(w, int(i), o, beh)
                return

    def _tackle(self, w: World, i: int, o: int, beh: Defend) -> None:
        p_win = float(np.clip(0.4 + 0.35 * (w.profiles[i].skill - w.profiles[o].skill), 0.15, 0.7))
        strength = float(w.rng.uniform(0.4, 1.0))
        w.event(i, "tackle", strength=strength)
        w.event(o, "tackle", strength=strength * 0.8)
        beh.close_since = w.t + 0.8
        if w.rng.random() < p_win:
            b = w.ball
            b.owner = -1
            away = self._unit(w.pos[i] - w.pos[o]) + w.rng.normal(0, 0.8, 2)
            b.vel = np.array([*(self._unit(away) * w.rng.uniform(2.5, 6)), 0.0])
            b.last_touch, b.kicked_at = i, w.t
            beh.won = True
            self.pass_to = -1

    def _maybe_slide(self, w: World, i: int, o: int, dist: float) -> bool:
        if not (1.5 < dist < 3.5 and w.speed[i] > 2.8 and w.speed[o] > 2.0):
            return False
        if w.rng.random() > 1.5 * 0.04:
            return False
        ahead = w.ball.pos[:2] + 0.45 * w.bodies.vel[o]
        return w.assign(i, Slide(math.atan2(*(ahead - w.pos[i])[::-1])), force=True)

    # ------------------------------------------------------------------ carrier
    def _carrier(self, w: World) -> None:
        o = w.ball.owner
        if o < 0:
            return
        beh = w.behaviours[o]
        if isinstance(beh, (Dribble, Kick, Turn, _Vertical)) and not beh.done:
            return
        rng, team = w.rng, int(w.team[o])
        pressure = self._pressure(w, o)
        if self.spec.goals:
            goal = self.goal(team)
            d_goal = dist(goal, w.pos[o])
            beaten = self._goal_side(w, o, goal) == 0
            if d_goal < self.spec.shoot_range and rng.random() < 0.25 + 0.5 * (
                    1 - d_goal / self.spec.shoot_range) + 0.4 * beaten:
                w.assign(o, Shoot(goal, self.spec.goal_w, self.spec.goal_h,
                                  effort=float(rng.uniform(0.72, 1.0)),
                                  set_s=float(rng.uniform(0.4, 0.65)),
                                  on_strike=self._on_shot), force=True)
                return
        if pressure < 1.8 and rng.random() < 0.3:
            away = self._away(w, o)
            w.ball_lead[o] = 0.35
            w.assign(o, Turn(math.atan2(away[1], away[0]), exit_speed=3.0,
                             effort=float(rng.uniform(0.7, 1.0))), force=True)
            return
        j = self._receiver(w, o) if rng.random() < self.spec.pass_bias + 0.25 * (pressure < 3) \
            else -1
        if j >= 0:
            far = dist(w.pos[j], w.pos[o]) > 18
            lofted = rng.random() < self.spec.loft_prob * (2.5 if far else 1.0)
            w.assign(o, Pass(w.pos[j].copy(), j, lofted, set_s=float(rng.uniform(0.3, 0.55)),
                             on_strike=self._on_pass), force=True)
            return
        self._dribble(w, o, team)

    def _dribble(self, w: World, o: int, team: int) -> None:
        """Carry the ball: at goal, or past the nearest defender in front (a take-on),
        else into space."""
        rng = w.rng
        skill = w.profiles[o].skill
        if self.spec.goals:
            to_goal = self._unit(self.goal(team) - w.pos[o])
            opp = self.side(w, 1 - team)
            rel = w.pos[opp] - w.pos[o] if len(opp) else np.zeros((0, 2))
            ahead = [k for k in range(len(opp)) if 0 < float(rel[k] @ to_goal) < 5.0]
            if ahead and rng.random() < 0.7:
                k = min(ahead, key=lambda k: float(np.hypot(*rel[k])))
                side = np.array([-to_goal[1], to_goal[0]]) * rng.choice([-1.0, 1.0])
                target = self.inside(w.pos[opp[k]] + 2.5 * side + 4.0 * to_goal, 1.0)
                speed = float(rng.uniform(3.5, 5.5)) * (0.8 + 0.3 * skill)
                w.assign(o, Dribble(target, speed, max_s=float(rng.uniform(1.2, 2.2))),
                         force=True)
                return
            d = self._unit(to_goal + 0.8 * self._away(w, o))
        else:
            d = self._away(w, o)
        target = self.inside(w.pos[o] + d * rng.uniform(3, 8), 1.5)
        speed = float(rng.uniform(2.5, 5.0)) * (0.8 + 0.3 * skill)
        w.assign(o, Dribble(target, speed, max_s=float(rng.uniform(0.8, 2.6))), force=True)

    def _goal_side(self, w: World, o: int, goal: np.ndarray) -> int:
        """How many opponents stand between the carrier and the goal (within 3 m of the
        line to goal)."""
        opp = self.side(w, 1 - int(w.team[o]))
        if len(opp) == 0:
            return 0
        seg = goal - w.pos[o]
        rel = w.pos[opp] - w.pos[o]
        s = np.clip(rel @ seg / max(float(seg @ seg), 1e-9), 0, 1)
        off = np.hypot(*(rel - s[:, None] * seg).T)
        return int(np.sum((s > 0.02) & (s < 0.98) & (off < 3.0)))

    def _pressure(self, w: World, o: int) -> float:
        opp = self.side(w, 1 - int(w.team[o]))
        if len(opp) == 0:
            return 99.0
        return float(np.min(np.hypot(*(w.pos[opp] - w.pos[o]).T)))

    def _away(self, w: World, i: int) -> np.ndarray:
        """Unit vector away from the nearest opponent, bent towards the area centre."""
        opp = self.side(w, 1 - int(w.team[i]))
        x0, y0, x1, y1 = self.spec.area
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        v = 0.4 * self._unit(centre - w.pos[i])
        if len(opp):
            k = int(np.argmin(np.hypot(*(w.pos[opp] - w.pos[i]).T)))
            v = v + self._unit(w.pos[i] - w.pos[opp[k]])
        return self._unit(v + w.rng.normal(0, 0.3, 2))

    def _receiver(self, w: World, o: int) -> int:
        team = int(w.team[o])
        mates = [int(j) for j in self.side(w, team) if j != o]
        opp = self.side(w, 1 - team)
        best, best_score = -1, -1e9
        for j in mates:
            d = dist(w.pos[j], w.pos[o])
            if not 3.5 < d < 30:
                continue
            seg = w.pos[j] - w.pos[o]
            if len(opp):
                rel = w.pos[opp] - w.pos[o]
                s = np.clip(rel @ seg / (seg @ seg), 0, 1)
                lane = float(np.min(np.hypot(*(rel - s[:, None] * seg).T)))
                mark = float(np.min(np.hypot(*(w.pos[opp] - w.pos[j]).T)))
            else:
                lane = mark = 10.0
            fwd = self.attack_dir(team) * seg[0] if self.spec.goals else 0.0
            score = min(lane, 5) + 0.7 * min(mark, 6) + 0.15 * fwd - 0.05 * d \
                + 3.0 * (j == self.runner) + w.rng.normal(0, 0.8)
            if score > best_score:
                best, best_score = j, score
        return best if best_score > 1.0 else -1

    def _on_pass(self, w: World, i: int, kick: Kick) -> None:
        assert isinstance(kick, Pass)
        self.pass_to = kick.receiver
        if kick.lofted and kick.receiver >= 0:
            path = predict(w.ball, 3.0)
            d = np.hypot(*(path[:, :2] - kick.aim).T)
            k = int(np.argmin(d))
            if 1.3 < path[k, 2] < 2.6:
                t_arr = w.t + (k + 1) * 0.04
                for j in (kick.receiver, self._nearest(w, 1 - int(w.team[i]), path[k, :2])):
                    if j >= 0:
                        self.jumps[j] = (t_arr, w.speed[j] > 2.5)

    def _on_shot(self, w: World, i: int, kick: Kick) -> None:
        self.shot_until = w.t + 1.6
        self.pass_to = -1
        self._end("shot")

