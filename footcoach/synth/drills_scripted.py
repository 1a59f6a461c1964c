"""Unopposed drills driven by scripts: sprint/agility lanes and the passing diamond
(see ``drills.py`` for the list of drills)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from footcoach.domain.labels import Tactic
from footcoach.synth.ball import predict
from footcoach.synth.behaviours import Behaviour, Jump, Run, Sprint, Stop, TakeOff, Turn
from footcoach.synth.behaviours_play import Dribble, Kick, Pass
from footcoach.synth.drills import BaseDrill, _spread
from footcoach.synth.world import World, dist, norm2

Step = Callable[[World, int], Behaviour]


class SprintAgility(BaseDrill):
    """Lanes across the area; each rep is a scripted sequence of behaviours, staggered by
    player: sprint, stop, 180 deg turn, run, jump, run-up and take-off, jog back and turn
    (or a shuttle: sprint, stop, turn, sprint back, stop)."""

    kind = "sprint_agility"

    def start_positions(self, w: World) -> np.ndarray:
        return np.stack([np.full(w.P, 3.0), _spread(w.P, 1.5, w.width - 1.5)], axis=1)

    def setup(self, w: World) -> None:
        w.ball.take_out()
        w.team_tactic[:] = [Tactic.RUNNING, Tactic.RUNNING]
        self.lanes = self.start_positions(w)
        self.queue: list[list[Step]] = [[] for _ in range(w.P)]
        self.next_rep = w.t + 0.5 + np.arange(w.P) * 0.9 + w.rng.uniform(0, 0.5, w.P)

    def update(self, w: World) -> None:
        for i in range(w.P):
            if not w.idle(i):
                continue
            if self.queue[i]:
                w.assign(i, self.queue[i].pop(0)(w, i), force=True)
            elif w.t >= self.next_rep[i]:
                self.queue[i] = self._rep(w, i)
                self.next_rep[i] = math.inf

    def _rep(self, w: World, i: int) -> list[Step]:
        rng = w.rng
        home = self.lanes[i]
        far = min(float(rng.uniform(15, 25)), w.length - 8)
        y = home[1]

        def done(w: World, i: int) -> Behaviour:
            self.next_rep[i] = w.t + float(rng.uniform(1.5, 4.0))
            return Run(home, 0.0, demand=0.0, default=True)

        ahead = lambda d, v, fw=0.8: lambda w, i: Run(  # noqa: E731
            np.array([w.pos[i, 0] + d, y]), v, arrive=False, finish_within=fw)
        back = [lambda w, i: Run(home, float(rng.uniform(1.8, 3.0)), finish_within=0.7),
                lambda w, i: Turn(0.0, exit_speed=0.6, effort=float(rng.uniform(0.4, 0.8))),
                done]
        if rng.random() < 0.35:
            short = min(10.0, far)
            return [lambda w, i: Sprint(np.array([home[0] + short, y]),
                                        effort=float(rng.uniform(0.85, 1.0))),
                    lambda w, i: Stop(effort=float(rng.uniform(0.7, 1.0))),
                    lambda w, i: Turn(math.pi, exit_speed=4.0, effort=float(rng.uniform(0.7, 1))),
                    lambda w, i: Sprint(home + np.array([6.0, 0.0]),
                                        effort=float(rng.uniform(0.85, 1.0))),
                    lambda w, i: Stop(effort=float(rng.uniform(0.7, 1.0))),
                    lambda w, i: Turn(0.0, exit_speed=0.6, effort=float(rng.uniform(0.4, 0.8))),
                    done]
        return [lambda w, i: Sprint(np.array([home[0] + far, y]),
                                    effort=float(rng.uniform(0.85, 1.0))),
                lambda w, i: Stop(effort=float(rng.uniform(0.6, 1.0))),
                lambda w, i: Turn(math.pi, exit_speed=float(rng.uniform(2.5, 4.0)),
                                  effort=float(rng.uniform(0.6, 1.0))),
                ahead(-5.0, 3.5),
                lambda w, i: Jump(effort=float(rng.uniform(0.7, 1.0)), face=math.pi),
                ahead(-5.0, float(rng.uniform(4.0, 5.0)), 1.0),
                lambda w, i: TakeOff(effort=float(rng.uniform(0.7, 1.0))),
                *back]


class PassingPattern(BaseDrill):
    """Four stations on a diamond: the player at the head of a station receives, takes a
    touch (turning when the next station is behind them), passes to the next station and
    follows the pass; the others wait in line, moving on the spot."""

    kind = "passing_pattern"

    def _stations(self, w: World) -> np.ndarray:
        c = np.array([w.length / 2, w.width / 2])
        r = min(10.0, 0.32 * w.width, 0.32 * w.length)
        ang = np.arange(4) * math.pi / 2
        return c + r * np.stack([np.cos(ang), np.sin(ang)], axis=1)

    def _spot(self, s: int, q: int) -> np.ndarray:
        out = self.st[s] - self.centre
        return self.st[s] + 1.4 * q * out / max(norm2(out), 1e-9)

    def start_positions(self, w: World) -> np.ndarray:
        self.st = self._stations(w)
        self.centre = self.st.mean(axis=0)
        self.queues: list[list[int]] = [[] for _ in range(4)]
        for i in w.rng.permutation(w.P):
            self.queues[int(np.argmin([len(q) for q in self.queues]))].append(int(i))
        out = np.zeros((w.P, 2))
        for s, q in enumerate(self.queues):
            for k, i in enumerate(q):
                out[i] = self._spot(s, k)
        return out

    def setup(self, w: World) -> None:
        w.team_tactic[:] = [Tactic.PASSING, Tactic.PASSING]
        self.station = 0
        self.holder = self.queues[0][0]
        self.receiver = -1
        self.stage = "touch"
        self.following: dict[int, int] = {}
        self.wander = np.zeros(w.P)
        w.ball.place(w.pos[self.holder], owner=self.holder)

    def update(self, w: World) -> None:
        b = w.ball
        if b.owner >= 0:
            self._holder(w)
        elif self.receiver >= 0:
            self._receive(w)
        self._waiting(w)

    def _holder(self, w: World) -> None:
        h, s = self.holder, self.station
        if not w.idle(h) and not isinstance(w.behaviours[h], Run):
            return
        nxt = (s + 1) % 4
        rng = w.rng
        to_next = self.st[nxt] - w.pos[h]
        if self.stage == "touch":
            tgt = w.pos[h] + 1.2 * to_next / max(norm2(to_next), 1e-9)
            w.assign(h, Dribble(tgt, float(rng.uniform(1.0, 2.0)), max_s=0.9), force=True)
            self.stage = "turn"
        elif self.stage == "turn":
            ang = math.atan2(to_next[1], to_next[0])
            if abs(float(np.angle(np.exp(1j * (ang - w.bodies.heading[h]))))) > 1.6:
                w.ball_lead[h] = 0.35
                w.assign(h, Turn(ang, exit_speed=1.0, effort=float(rng.uniform(0.6, 1.0))),
                         force=True)
            self.stage = "pass"
        else:
            self.receiver = self.queues[nxt][0] if self.queues[nxt] else -1
            if self.receiver == h or self.receiver < 0:
                self.receiver = -1
                self.stage = "touch"
                return
            w.assign(h, Pass(w.pos[self.receiver].copy(), self.receiver,
                             set_s=float(rng.uniform(0.35, 0.5)), on_strike=self._struck),
                     force=True)
            self.stage = "flight"

    def _struck(self, w: World, i: int, kick: Kick) -> None:
        s = self.station
        if i in self.queues[s]:
            self.queues[s].remove(i)
        nxt = (s + 1) % 4
        self.queues[nxt].append(i)
        self.following[i] = nxt
        r = self.receiver
        to = w.pos[i] - w.pos[r]
        w.assign(r, Run(w.pos[r] + 1.5 * to / max(norm2(to), 1e-9), 2.5), force=True)

    def _receive(self, w: World) -> None:
        r, b = self.receiver, w.ball
        d = dist(w.pos[r], b.pos[:2])
        if d < 0.9 and b.pos[2] < 1.0 and w.t - b.kicked_at > 0.25:
            b.owner = r
            b.last_touch = r
            w.ball_lead[r] = 0.35
            self.holder, self.station = r, (self.station + 1) % 4
            self.stage = "touch"
            self.receiver = -1
            w.assign(r, Stop(0.6) if w.speed[r] > 3.2 else
                     Run(w.pos[r].copy(), 0.0, demand=0.0), force=True)
            return
        if b.speed < 1.5 or w.t - b.kicked_at > 0.6:
            path = predict(b, 1.6, 0.08)
            dd = np.hypot(*(path[:, :2] - w.pos[r]).T)
            reach = dd / 4.0 <= (np.arange(len(path)) + 1) * 0.08
            spot = path[int(np.argmax(reach))][:2] if reach.any() else path[-1][:2]
            v = float(np.clip(1.0 + dist(spot, w.pos[r]), 1.0, 5.0))
            w.assign(r, Run(spot, v, demand=v))

    def _waiting(self, w: World) -> None:
        busy = {self.holder, self.receiver}
        for s, q in enumerate(self.queues):
            for k, i in enumerate(q):
                if i in busy:
                    continue
                spot = self._spot(s, k)
                follow = self.following.get(i)
                if follow is not None:
                    if dist(spot, w.pos[i]) < 1.0:
                        del self.following[i]
                    elif w.idle(i) or isinstance(w.behaviours[i], (Run, Sprint)):
                        fast = w.rng.random() < 0.3 and isinstance(w.behaviours[i], Run)
                        w.assign(i, Sprint(spot, 0.9) if fast and float(np.hypot(
                            *(spot - w.pos[i]))) > 8 else Run(spot, 3.0))
                    continue
                if w.t > self.wander[i] and (w.idle(i) or isinstance(w.behaviours[i], Run)):
                    self.wander[i] = w.t + float(w.rng.uniform(1.5, 4.0))
                    jit = spot + w.rng.normal(0, 0.6, 2)
                    w.assign(i, Run(jit, float(w.rng.uniform(0.6, 1.6)), demand=1.0))
