"""The training drills a simulated session is made of, and the transitions between them.

Kinds (``DRILL_KINDS``), with the team tactics they produce as ground truth:

* ``sprint_agility``: lanes across the area; sprint, stop, 180 deg turn, run, two-footed jump,
  run-up and one-footed take-off, jog back (both teams: running).
* ``passing_pattern``: a diamond of four stations; receive, touch (sometimes turn), pass to the
  next station and follow the pass (both teams: passing).
* ``possession``: keep-ball in a reduced area without goals (ball possession / pressing,
  assisting defence).
* ``pressing``: team B builds up from its goal, team A presses all over the area (pressing /
  ball possession, breakthrough and shooting after a regain).
* ``breakthrough``: alternating 1v1 and 2v1 attacks on goal (breakthrough, shooting /
  pressing for 1v1, assisting defence for 2v1).
* ``shooting``: dribble in and shoot while a chaser recovers from behind, slide tackles
  included (shooting / retreating defence); teams swap at half time.
* ``retreat``: a long ball over a high defensive line; the defenders turn and sprint back
  (breakthrough / retreating defence, then assisting defence).
* ``small_sided_game``: the full game with goals on the short sides.

Between drills a :class:`Transition` (tactic running) walks the players to the next start.
"""

from __future__ import annotations

import math

import numpy as np

from footcoach.domain.labels import Tactic
from footcoach.synth.behaviours import Run, Slide, Sprint, Turn
from footcoach.synth.behaviours_play import Dribble, Pass, SetPiece
from footcoach.synth.game import Game, GameSpec
from footcoach.synth.world import World, dist, norm2

DRILL_KINDS = ("sprint_agility", "passing_pattern", "possession", "pressing", "breakthrough",
               "shooting", "retreat", "small_sided_game")


def goal_size(width_m: float) -> tuple[float, float]:
    """(width, height) of the goals, metres: full size (7.32 x 2.44) on a pitch 41 m wide or
    more, else training goals 18 % of the width (at least 3 m) and 2 m high. The renderer
    (``render_pitch.GoalSpec``) draws the same goals."""
    w = float(min(7.32, max(3.0, 0.18 * width_m)))
    return w, (2.44 if w >= 7.32 else 2.0)


def _goal_w(w: World) -> float:
    return goal_size(w.width)[0]


def _spread(n: int, lo: float, hi: float) -> np.ndarray:
    return lo + (np.arange(n) + 0.5) * (hi - lo) / max(n, 1)


class BaseDrill:
    """A drill of ``duration_s`` seconds; subclasses place the players and run the play."""

    kind = ""

    def __init__(self, duration_s: float):
        self.duration_s = float(duration_s)

    @property
    def name(self) -> str:
        return self.kind

    def start_positions(self, w: World) -> np.ndarray:
        """(P, 2) where the players stand when the drill begins."""
        out = np.zeros((w.P, 2))
        for team in (0, 1):
            m = w.members(team)
            x = (0.3 if team == 0 else 0.7) * w.length
            out[m, 0] = x + np.where(np.arange(len(m)) % 2, -3.0, 3.0)
            out[m, 1] = _spread(len(m), 2.0, w.width - 2.0)
        return out

    def setup(self, w: World) -> None:
        pass

    def update(self, w: World) -> None:
        pass

    def wait_spot(self, w: World, i: int, k: int, x: float) -> np.ndarray:
        """A queue position along a touch line for a waiting player."""
        y = 1.5 if w.team[i] == 0 else w.width - 1.5
        return w.clamp(np.array([x + 1.5 * k * (1 if x < w.length / 2 else -1), y]), 1.0)

    @staticmethod
    def jog(w: World, i: int, target: np.ndarray, speed: float | None = None) -> None:
        d = dist(target, w.pos[i])
        v = speed if speed is not None else float(np.clip(0.4 * d, 0.8, 3.2))
        w.assign(i, Run(target, v, demand=v))


class Transition(BaseDrill):
    """Short rest: the players walk or jog to where the next drill starts."""

    kind = "transition"

    def __init__(self, duration_s: float, targets: np.ndarray | None = None):
        super().__init__(duration_s)
        self.targets = targets if targets is not None else np.zeros((0, 2))

    def setup(self, w: World) -> None:
        w.ball.take_out()
        w.team_tactic[:] = [Tactic.RUNNING, Tactic.RUNNING]
        self.t_end = w.t + self.duration_s

    def update(self, w: World) -> None:
        if w.k % 5:
            return
        left = max(self.t_end - w.t - 2.0, 2.0)
        for i in range(w.P):
            d = dist(self.targets[i], w.pos[i])
            if w.idle(i) or (isinstance(w.behaviours[i], Run) and d > 0.5):
                v = float(np.clip(d / left, 0.0, 3.5))
                w.assign(i, Run(self.targets[i], max(v, 1.0) if d > 0.5 else 0.0, demand=v))


class GameDrill(BaseDrill):
    """Possession, pressing and the small-sided game: the match engine on an area."""

    def __init__(self, kind: str, duration_s: float):
        super().__init__(duration_s)
        self.kind = kind

    def spec(self, w: World) -> GameSpec:
        L, W = w.length, w.width
        if self.kind == "possession":
            return GameSpec((0.15 * L, 0.1 * W, 0.85 * L, 0.9 * W), goals=False, pass_bias=0.7)
        press = 0 if self.kind == "pressing" else None
        return GameSpec((0.0, 0.0, L, W), goals=True, goal_w=_goal_w(w),
                        goal_h=goal_size(W)[1], press_team=press,
                        shoot_range=float(np.clip(0.45 * L, 10, 22)))

    def start_positions(self, w: World) -> np.ndarray:
        out = super().start_positions(w)
        if self.kind == "possession":
            out[:, 0] = 0.5 * w.length + (out[:, 0] - 0.5 * w.length) * 0.5
        return out

    def setup(self, w: World) -> None:
        self.game = Game(self.spec(w))
        self.game.kick_off(w, 1 if self.kind == "pressing" else int(w.rng.integers(2)))

    def update(self, w: World) -> None:
        g = self.game
        if self.kind == "pressing" and not w.ball.in_play:
            g.restart_team = 1
            g.restart_at = g.own_goal(1)
        g.update(w)


class RepDrill(BaseDrill):
    """Repeated short situations, one at a time while the others queue: ``breakthrough``
    (1v1 / 2v1), ``shooting`` (shooter and a recovering chaser), ``retreat`` (long ball over
    a high line)."""

    def __init__(self, kind: str, duration_s: float):
        super().__init__(duration_s)
        self.kind = kind
        self.rep = 0
        self.game: Game | None = None
        self.cast: tuple[list[int], list[int], int] | None = None
        self.spots: dict[int, np.ndarray] = {}
        self.att_team = 0
        self.used = [0, 0]
        self.set_piece: tuple[int, float, np.ndarray, np.ndarray, float] | None = None

    # ----------------------------------------------------------------- casting
    def attack_team(self, w: World, rep: int) -> int:
        if self.kind == "breakthrough":
            return 0
        return 0 if w.t < self.t_half else 1

    def next_cast(self, w: World, rep: int) -> tuple[list[int], list[int], int]:
        team = self.attack_team(w, rep)
        att_pool, def_pool = list(w.members(team)), list(w.members(1 - team))
        n_att = {"breakthrough": 1 + rep % 2, "shooting": 1, "retreat": 3}[self.kind]
        n_def = {"breakthrough": 1, "shooting": 1, "retreat": 2}[self.kind]
        n_att, n_def = min(n_att, len(att_pool)), min(n_def, len(def_pool))
        att = [att_pool[(self.used[team] + k) % len(att_pool)] for k in range(n_att)]
        dfn = [def_pool[(self.used[1 - team] + k) % len(def_pool)] for k in range(n_def)]
        self.used[team] += n_att
        self.used[1 - team] += n_def
        return att, dfn, team

    def rep_spots(self, w: World, cast: tuple[list[int], list[int], int]) -> dict[int, np.ndarray]:
        att, dfn, team = cast
        s = 1.0 if team == 0 else -1.0
        gx = w.length if team == 0 else 0.0
        mid = w.width / 2
        L = w.length
        spots: dict[int, np.ndarray] = {}
        if self.kind == "breakthrough":
            for k, i in enumerate(att):
                dy = (k - 0.5 * (len(att) - 1)) * 8
                spots[i] = np.array([gx - s * min(24, 0.6 * L), mid + dy])
            for i in dfn:
                spots[i] = np.array([gx - s * min(13, 0.33 * L), mid])
        elif self.kind == "shooting":
            y = mid + float(w.rng.uniform(-0.2, 0.2)) * w.width
            spots[att[0]] = np.array([gx - s * min(24, 0.6 * L), y])
            for i in dfn:
                spots[i] = np.array([gx - s * (min(24, 0.6 * L) + 3.5), y + 1.5])
        else:
            spots[att[0]] = np.array([gx - s * 0.88 * L, mid])
            for k, i in enumerate(att[1:]):
                spots[i] = np.array([gx - s * 0.62 * L, mid + (k - 0.5) * 0.45 * w.width])
            for k, i in enumerate(dfn):
                spots[i] = np.array([gx - s * 0.58 * L, mid + (k - 0.5) * 0.3 * w.width])
        return {i: w.clamp(p, 1.0) for i, p in spots.items()}

    def start_positions(self, w: World) -> np.ndarray:
        self.t_half = w.t + self.duration_s / 2 + 15.0   # refined in setup
        out = super().start_positions(w)
        cast = self.next_cast(w, 0)
        self.used = [0, 0]
        waiting = [i for i in range(w.P) if i not in cast[0] + cast[1]]
        for k, i in enumerate(waiting):
            out[i] = self.wait_spot(w, i, k, self._queue_x(w, cast[2]))
        for i, p in self.rep_spots(w, cast).items():
            out[i] = p
        return out

    def _queue_x(self, w: World, team: int) -> float:
        return 0.2 * w.length if team == 0 else 0.8 * w.length

    # ----------------------------------------------------------------- running
    def setup(self, w: World) -> None:
        self.t_half = w.t + self.duration_s / 2
        self.used = [0, 0]
        self.cast = self.next_cast(w, 0)
        self.spots = self.rep_spots(w, self.cast)
        self.next_start = w.t + 1.0
        self.next_others = w.t
        self.rep_end = math.inf
        w.ball.take_out()

    def update(self, w: World) -> None:
        if self.game is not None:
            self._play(w)
        elif self.set_piece is not None:
            self._set_piece(w)
        elif self.cast is not None and w.t >= self.next_start and self._ready(w):
            if self.kind == "shooting" and w.rng.random() < 0.35:
                self._start_set_piece(w)
            else:
                self._start(w)
        self._others(w)

    def _start_set_piece(self, w: World) -> None:
        """A dead-ball shot: the shooter stands 2-4 m behind the ball, waits, runs up and
        shoots; the chaser of this rep waits its turn."""
        assert self.cast is not None
        att, _, team = self.cast
        i = att[0]
        self.att_team = team
        goal = np.array([w.length if team == 0 else 0.0, w.width / 2])
        to = goal - w.pos[i]
        ball = w.pos[i] + to / max(norm2(to), 1e-9) * float(w.rng.uniform(2.0, 4.0))
        w.ball.place(ball)
        w.assign(i, Run(w.pos[i].copy(), 0.0, demand=0.0), force=True)
        self.set_piece = (i, w.t + float(w.rng.uniform(1.0, 2.0)), goal, ball, math.inf)
        w.team_tactic[team] = Tactic.SHOOTING
        w.team_tactic[1 - team] = Tactic.RETREATING_DEFENCE
        self.rep += 1
        self.cast = self.next_cast(w, self.rep)
        self.spots = self.rep_spots(w, self.cast)

    def _set_piece(self, w: World) -> None:
        assert self.set_piece is not None
        i, t_go, goal, ball, t_shot = self.set_piece
        if w.t >= t_go and math.isinf(t_shot) and not isinstance(w.behaviours[i], SetPiece):
            def struck(w: World, j: int, kick: object) -> None:
                assert self.set_piece is not None
                self.set_piece = (*self.set_piece[:4], w.t)
            w.assign(i, SetPiece(goal, *goal_size(w.width), ball, float(w.rng.uniform(0.75, 1.0)),
                                 float(w.rng.uniform(2.5, 4.0)), on_strike=struck), force=True)
        if w.t > t_shot + 1.5 or w.t > t_go + 6.0:
            self.set_piece = None
            w.ball.take_out()
            self.next_start = w.t + float(w.rng.uniform(1.0, 2.5))

    def _ready(self, w: World) -> bool:
        close = all(dist(w.pos[i], p) < 2.0 for i, p in self.spots.items())
        return close or w.t > self.next_start + 6.0

    def _start(self, w: World) -> None:
        assert self.cast is not None
        att, dfn, team = self.cast
        self.att_team = team
        spec = GameSpec((0.0, 0.0, w.length, w.width), goals=True, goal_w=_goal_w(w),
                        goal_h=goal_size(w.width)[1],
                        players=att + dfn, pass_bias=0.5 if len(att) > 1 else 0.0,
                        shoot_range=float(np.clip(0.4 * w.length, 10, 18)))
        self.game = Game(spec, stop_on=frozenset({"goal", "out", "turnover", "shot"}))
        self.game.kick_off(w, team, att[0])
        self.rep_end = w.t + (12.0 if self.kind == "retreat" else 9.0)
        self.shot_t = math.inf
        self.slid = w.rng.random() < 0.15
        gx = w.length if team == 0 else 0.0
        s = 1.0 if team == 0 else -1.0
        if self.kind == "retreat":
            self._long_ball(w, att, dfn, gx, s)
        elif self.kind == "shooting":
            w.assign(att[0], Dribble(w.clamp(np.array([gx - s * 12, w.pos[att[0], 1]])),
                                     float(w.rng.uniform(3.5, 5.5)), max_s=3.0), force=True)
            for i in dfn:
                w.assign(i, Sprint(w.pos[att[0]] + np.array([s * 8, 0.0]), effort=0.95),
                         force=True)
        self.rep += 1
        self.cast = self.next_cast(w, self.rep)
        self.spots = self.rep_spots(w, self.cast)

    def _long_ball(self, w: World, att: list[int], dfn: list[int], gx: float, s: float) -> None:
        target = w.clamp(np.array([gx - s * 0.3 * w.length,
                                   w.width / 2 + float(w.rng.uniform(-0.2, 0.2)) * w.width]), 2)
        if len(att) > 1:
            w.assign(att[0], Pass(target, att[1], lofted=True, set_s=0.5,
                                  on_strike=self.game._on_pass if self.game else None), force=True)
            for i in att[1:]:
                w.assign(i, Sprint(target + np.array([-s * 2.0, 0]), effort=0.95), force=True)
        for i in dfn:
            w.assign(i, Turn(math.pi if s > 0 else 0.0, exit_speed=5.0,
                             effort=float(w.rng.uniform(0.7, 1.0))), force=True)

    def _play(self, w: World) -> None:
        g = self.game
        assert g is not None
        g.update(w)
        att_team = self.att_team
        if g.ended == "shot" and math.isinf(self.shot_t):
            self.shot_t = w.t
        w.team_tactic[att_team] = Tactic.SHOOTING if (
            w.t < g.shot_until or self.kind == "shooting") else Tactic.BREAKTHROUGH
        if self.kind == "breakthrough":
            n_att = len([i for i in g.players(w) if w.team[i] == att_team])
            w.team_tactic[1 - att_team] = Tactic.PRESSING if n_att == 1 else \
                Tactic.ASSISTING_DEFENCE
        elif self.kind == "shooting":
            w.team_tactic[1 - att_team] = Tactic.RETREATING_DEFENCE
            self._block(w, g)
        over = g.ended is not None and (g.ended != "shot" or w.t - self.shot_t > 1.5)
        if over or w.t > self.rep_end:
            self.game = None
            w.ball.take_out()
            self.next_start = w.t + float(w.rng.uniform(1.0, 2.5))

    def _block(self, w: World, g: Game) -> None:
        """The recovering chaser of the shooting drill may slide to block the shot."""
        o = w.ball.owner
        if o < 0 or self.slid:
            return
        for i in g.players(w):
            if w.team[i] == w.team[o] or w.behaviours[i] is None:
                continue
            gap = dist(w.pos[i], w.pos[o])
            if 1.0 < gap < 3.5 and w.speed[i] > 2.8 and w.rng.random() < 3.0 * 0.04:
                ahead = w.ball.pos[:2] + 0.4 * w.bodies.vel[o]
                to = ahead - w.pos[i]
                self.slid = w.assign(int(i), Slide(math.atan2(to[1], to[0])), force=True)

    def _others(self, w: World) -> None:
        if w.t < self.next_others:
            return
        self.next_others = w.t + 0.4
        busy = set(self.game.players(w).tolist()) if self.game is not None else set()
        if self.set_piece is not None:
            busy.add(self.set_piece[0])
        nxt = self.spots
        waiting = [i for i in range(w.P) if i not in busy and i not in nxt]
        team = self.cast[2] if self.cast is not None else 0
        for k, i in enumerate(waiting):
            if w.idle(i) or isinstance(w.behaviours[i], Run):
                self.jog(w, i, self.wait_spot(w, i, k, self._queue_x(w, team)))
        for i, p in nxt.items():
            if i not in busy and (w.idle(i) or isinstance(w.behaviours[i], Run)):
                self.jog(w, i, p)
