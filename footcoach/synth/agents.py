"""Player agents: physical profiles and the vectorised locomotion model.

Every simulated player is a point mass on the pitch plane (x, y metres) with a body heading
(radians, anticlockwise from the pitch x axis) and a vertical offset ``z`` of the body centre
(metres; > 0 in jumps, < 0 when sliding). Behaviours (``behaviours.py``) set a :class:`Commands`
row per player each tick; :func:`step_bodies` moves all players at once within their limits:

* propulsive acceleration falls linearly with speed (force-velocity model):
  ``a_fwd <= max_accel * effort * (1 - v / v_top)``; braking ``<= max_decel``; the
  acceleration across the running direction ``<= max_accel + 1`` (bends, cuts); the total
  horizontal acceleration ``<= max(max_accel + 1, max_decel)`` (grip);
* speed ``<= v_top = max_speed * (1 - 0.10 * fatigue) * (1 - 0.04 * session_progress)``;
  moving backwards is capped at 3.2 m/s and sideways at 4.2 m/s relative to the heading;
* the heading turns towards the commanded facing (or the running direction) with a 0.2 s
  time constant, at most ``max_yaw_rate / (1 + v / 4)`` rad/s, with a yaw acceleration limit
  of 40 rad/s^2;
* fatigue (0..1) rises with high-speed running (``v > 4 m/s``) and recovers at low speed.

Vertical profiles of jumps and slides (:func:`vertical_profile`) are closed-form phase lists
shared by the behaviours (25 Hz ``z``) and the IMU model (100 Hz vertical acceleration).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

G = 9.80665
"""Standard gravity, m/s^2."""

_FIRST = ("Alex", "Ben", "Carlos", "Dani", "Eli", "Finn", "Gabe", "Hugo", "Ivan", "Jonas",
          "Kai", "Leo", "Milo", "Nico", "Omar", "Pau", "Quinn", "Rui", "Sami", "Theo",
          "Umar", "Vito", "Will", "Yann", "Zeno")


@dataclass(frozen=True)
class PlayerProfile:
    """One synthetic player's identity and physical/technical capacities.

    Attributes:
        max_speed: fresh top running speed, m/s (7.0-9.5).
        max_accel: propulsive acceleration from standstill, m/s^2 (3.5-5.0).
        max_decel: strongest braking, m/s^2 (4.5-6.5).
        max_yaw_rate: fastest trunk turn at standstill, rad/s (5.5-8.5).
        jump_height: best standing two-footed jump rise of the body centre, m (0.35-0.55).
        kick_speed: best shot ball speed, m/s (25-31).
        skill: technique 0..1 (pass/shot accuracy, ball control, tackling).
        work_rate: 0..1 willingness to run off the ball (scales cruise speeds).
        gait_gain: individual gain of the step impacts seen by the vest (0.85-1.15).
        cadence_gain: individual step-frequency factor (0.95-1.05).
    """

    id: str
    name: str
    team: str
    number: int
    max_speed: float
    max_accel: float
    max_decel: float
    max_yaw_rate: float
    jump_height: float
    kick_speed: float
    skill: float
    work_rate: float
    gait_gain: float
    cadence_gain: float


def make_profiles(rng: np.random.Generator, n_players: int) -> list[PlayerProfile]:
    """``n_players`` profiles, split into team ``A`` (first ceil(n/2)) and team ``B``."""
    if n_players < 2:
        raise ValueError("a session needs at least 2 players")
    n_a = (n_players + 1) // 2
    names = list(rng.permutation(len(_FIRST)))
    out = []
    for i in range(n_players):
        team = "A" if i < n_a else "B"
        number = (i if team == "A" else i - n_a) + 2
        skill = float(np.clip(rng.beta(4, 3), 0.05, 0.98))
        out.append(PlayerProfile(
            id=f"{team.lower()}{number:02d}",
            name=f"{_FIRST[names[i % len(names)]]} {team}{number}",
            team=team, number=number,
            max_speed=float(rng.uniform(7.0, 9.5)),
            max_accel=float(rng.uniform(3.5, 5.0)),
            max_decel=float(rng.uniform(4.5, 6.5)),
            max_yaw_rate=float(rng.uniform(5.5, 8.5)),
            jump_height=float(rng.uniform(0.35, 0.55)),
            kick_speed=float(rng.uniform(25.0, 31.0)),
            skill=skill,
            work_rate=float(rng.uniform(0.6, 1.0)),
            gait_gain=float(rng.uniform(0.85, 1.15)),
            cadence_gain=float(rng.uniform(0.95, 1.05)),
        ))
    return out


@dataclass
class Bodies:
    """State of all P players (arrays over players)."""

    pos: np.ndarray       # (P, 2) m
    vel: np.ndarray       # (P, 2) m/s
    heading: np.ndarray   # (P,) rad, unwrapped
    yaw_rate: np.ndarray  # (P,) rad/s
    z: np.ndarray         # (P,) m
    fatigue: np.ndarray   # (P,) 0..1

    @classmethod
    def at(cls, pos: np.ndarray, heading: np.ndarray) -> Bodies:
        p = len(pos)
        return cls(np.array(pos, dtype=float), np.zeros((p, 2)), np.array(heading, dtype=float),
                   np.zeros(p), np.zeros(p), np.zeros(p))

    @property
    def speed(self) -> np.ndarray:
        return np.hypot(self.vel[:, 0], self.vel[:, 1])


@dataclass
class Commands:
    """What each player's behaviour asks of the body this tick (arrays over players).

    target: (P, 2) where to go; speed: (P,) cruise speed m/s; arrive: (P,) slow down to stop
    at the target; face: (P,) heading to turn to (NaN: face the running direction);
    effort: (P,) 0..1 scale of the propulsive acceleration and yaw rate; brake: (P,) 0..1
    scale of the braking limit; vel_override: (P, 2) velocity imposed directly (NaN: none),
    used while sliding on the ground or in flight.
    """

    target: np.ndarray
    speed: np.ndarray
    arrive: np.ndarray
    face: np.ndarray
    effort: np.ndarray
    brake: np.ndarray
    vel_override: np.ndarray

    @classmethod
    def empty(cls, p: int) -> Commands:
        return cls(np.zeros((p, 2)), np.zeros(p), np.ones(p, dtype=bool), np.full(p, np.nan),
                   np.ones(p), np.ones(p), np.full((p, 2), np.nan))


class Limits:
    """Per-player limits as arrays, built once from the profiles."""

    def __init__(self, profiles: list[PlayerProfile]):
        self.max_speed = np.array([p.max_speed for p in profiles])
        self.max_accel = np.array([p.max_accel for p in profiles])
        self.max_decel = np.array([p.max_decel for p in profiles])
        self.max_yaw = np.array([p.max_yaw_rate for p in profiles])

    def top_speed(self, fatigue: np.ndarray, progress: float) -> np.ndarray:
        """(P,) current attainable top speed, m/s."""
        return self.max_speed * (1.0 - 0.10 * fatigue) * (1.0 - 0.04 * progress)


def wrap(a: np.ndarray | float) -> np.ndarray:
    """Angles to (-pi, pi]."""
    return np.asarray((np.asarray(a) + np.pi) % (2 * np.pi) - np.pi)


def step_bodies(b: Bodies, cmd: Commands, lim: Limits, dt: float, progress: float) -> None:
    """Advance all bodies by ``dt`` seconds in place (see the module docstring)."""
    mx, mn = np.maximum, np.minimum
    v_top = lim.top_speed(b.fatigue, progress)
    tx = cmd.target[:, 0] - b.pos[:, 0]
    ty = cmd.target[:, 1] - b.pos[:, 1]
    dist = np.hypot(tx, ty)
    inv = 1.0 / mx(dist, 1e-9)
    brake_cap = lim.max_decel * mn(mx(cmd.brake, 0.05), 1.0)
    v_des = mn(cmd.speed, v_top)
    v_arr = np.sqrt(0.9 * brake_cap * mx(dist - 0.15, 0.0))
    v_des = np.where(cmd.arrive, mn(v_des, v_arr), v_des) * (dist >= 0.05)
    wx, wy = tx * inv * v_des, ty * inv * v_des

    vx, vy = b.vel[:, 0], b.vel[:, 1]
    speed = np.hypot(vx, vy)
    moving = speed > 0.3
    inv_s = 1.0 / mx(speed, 1e-9)
    ux = np.where(moving, vx * inv_s, np.cos(b.heading))
    uy = np.where(moving, vy * inv_s, np.sin(b.heading))
    dvx, dvy = wx - vx, wy - vy
    par = dvx * ux + dvy * uy
    px, py = dvx - par * ux, dvy - par * uy
    effort = mn(mx(cmd.effort, 0.05), 1.0)
    a_fwd = lim.max_accel * effort * mn(mx(1.0 - speed / v_top, 0.04), 1.0)
    a_par = mn(mx(par / dt, -brake_cap), a_fwd)
    perp_n = np.hypot(px, py) / dt
    k_perp = mn(perp_n, lim.max_accel + 1.0) / mx(perp_n, 1e-9) / dt
    ax, ay = a_par * ux + px * k_perp, a_par * uy + py * k_perp
    a_n = np.hypot(ax, ay)
    k_tot = mn(a_n, mx(lim.max_accel + 1.0, brake_cap)) / mx(a_n, 1e-9)
    nvx = vx + ax * k_tot * dt
    nvy = vy + ay * k_tot * dt

    override = np.isfinite(cmd.vel_override[:, 0])
    if override.any():
        nvx = np.where(override, cmd.vel_override[:, 0], nvx)
        nvy = np.where(override, cmd.vel_override[:, 1], nvy)

    # heading: towards the commanded facing, else the running direction
    sp_new = np.hypot(nvx, nvy)
    desired = np.where(np.isfinite(cmd.face), cmd.face,
                       np.where(sp_new > 0.6, np.arctan2(nvy, nvx), b.heading))
    err = (desired - b.heading + np.pi) % (2 * np.pi) - np.pi
    w_max = lim.max_yaw * mn(mx(cmd.effort, 0.3), 1.0) / (1.0 + sp_new / 4.0)
    w_want = mn(mx(err / 0.2, -w_max), w_max)
    yaw = b.yaw_rate + mn(mx(w_want - b.yaw_rate, -40.0 * dt), 40.0 * dt)
    yaw = np.where(override, 0.0, yaw)
    b.heading = b.heading + yaw * dt
    b.yaw_rate = yaw

    # running backwards / sideways is slower than forwards; never above the top speed
    hx, hy = np.cos(b.heading), np.sin(b.heading)
    fwd = nvx * hx + nvy * hy
    side = -nvx * hy + nvy * hx
    limited = (~override) & ((fwd < -3.2) | (np.abs(side) > 4.2))
    if limited.any():
        fwd, side = mx(fwd, -3.2), mn(mx(side, -4.2), 4.2)
        nvx = np.where(limited, fwd * hx - side * hy, nvx)
        nvy = np.where(limited, fwd * hy + side * hx, nvy)
    sp = np.hypot(nvx, nvy)
    scale = np.where(override, 1.0, mn(sp, v_top) / mx(sp, 1e-9))
    nvx, nvy = nvx * scale, nvy * scale

    b.pos = b.pos + 0.5 * dt * np.stack([vx + nvx, vy + nvy], axis=1)
    b.vel = np.stack([nvx, nvy], axis=1)
    sp = sp * scale
    load = mx(sp - 4.0, 0.0) ** 2 / 16.0
    b.fatigue = mn(mx(b.fatigue + dt * (0.035 * load - 0.012 * b.fatigue * (sp < 3.0)), 0), 1)


# ------------------------------------------------------------------ vertical profiles
@dataclass(frozen=True)
class VerticalProfile:
    """A sampled vertical motion of the body centre relative to standing height.

    t: (K,) seconds from the profile start (1 ms steps); z: (K,) metres; zdd: (K,) m/s^2
    (vertical acceleration; the vest's vertical specific force is ``G + zdd``);
    phases: name -> (start_s, end_s) (``flight``, ``ground`` mark unsupported / lying phases).
    """

    t: np.ndarray
    z: np.ndarray
    zdd: np.ndarray
    phases: dict[str, tuple[float, float]]

    @property
    def duration(self) -> float:
        return float(self.t[-1])

    def sample(self, t_rel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z, zdd) at times ``t_rel`` (s from the start); 0 outside the profile."""
        t_rel = np.asarray(t_rel, dtype=float)
        inside = (t_rel >= 0) & (t_rel <= self.duration)
        z = np.where(inside, np.interp(t_rel, self.t, self.z), 0.0)
        zdd = np.where(inside, np.interp(t_rel, self.t, self.zdd), 0.0)
        return z, zdd


def _bump(dur: float, area: float, n: int) -> np.ndarray:
    """Half-sine acceleration pulse of total velocity change ``area`` over ``dur`` seconds."""
    s = np.linspace(0, 1, n, endpoint=False)
    return area * np.pi / (2 * dur) * np.sin(np.pi * s)


def _settle(dur: float, dz: float, n: int) -> np.ndarray:
    """Full-sine acceleration that moves by ``dz`` over ``dur`` starting and ending at rest."""
    s = np.linspace(0, 1, n, endpoint=False)
    return dz * 2 * np.pi / dur ** 2 * np.sin(2 * np.pi * s)


def _integrate(parts: list[tuple[str, np.ndarray]], dt: float) -> VerticalProfile:
    zdd = np.concatenate([p for _, p in parts])
    vel = np.concatenate([[0.0], np.cumsum(zdd[:-1]) * dt])
    z = np.concatenate([[0.0], np.cumsum(vel[:-1] + 0.5 * zdd[:-1] * dt) * dt])
    phases: dict[str, tuple[float, float]] = {}
    k = 0
    for name, p in parts:
        phases[name] = (k * dt, (k + len(p)) * dt)
        k += len(p)
    t = np.arange(len(zdd)) * dt
    return VerticalProfile(t, z, zdd, phases)


@lru_cache(maxsize=512)
def vertical_profile(kind: str, height: float, speed: float = 0.0) -> VerticalProfile:
    """Vertical motion of one jump or slide.

    ``kind``: ``"jump"`` (standing two-footed countermovement jump: unweighting 0.2 s at
    -0.5 g, propulsion 0.25 s, flight ``2 v0 / g`` with ``v0 = sqrt(2 g height)``, a landing
    impact taking 60 % of the landing impulse in 70 ms, absorption, and a return to standing
    height); ``"takeoff"`` (one-footed running take-off: shorter, stiffer propulsion, same
    flight law); ``"slide"`` (drop to the ground at 0.75 g for 0.38 s, hip impact, lying/sliding for
    ``speed / (0.55 g)`` s, getting up 0.8 s; ``height`` is ignored).
    Heights and speeds are rounded to 1 cm / 0.1 m/s so that profiles are cached.
    """
    dt = 0.001
    n = lambda d: max(round(d / dt), 1)  # noqa: E731
    if kind in ("jump", "takeoff"):
        v0 = float(np.sqrt(2 * G * max(height, 0.05)))
        t1, a1 = (0.20, 0.5 * G) if kind == "jump" else (0.10, 0.3 * G)
        t2 = 0.25 if kind == "jump" else 0.16
        area2 = v0 + a1 * t1
        tf = 2 * v0 / G
        parts = [("load", np.full(n(t1), -a1)), ("push", _bump(t2, area2, n(t2))),
                 ("flight", np.full(n(tf), -G)),
                 ("impact", _bump(0.07, 0.6 * v0, n(0.07))),
                 ("absorb", _bump(0.25, 0.4 * v0, n(0.25)))]
        prof = _integrate(parts, dt)
        dz = -float(prof.z[-1])
        parts.append(("recover", _settle(0.45, dz, n(0.45))))
        return _integrate(parts, dt)
    if kind == "slide":
        a_fall = 0.75 * G
        t_fall = float(np.sqrt(2 * 0.55 / a_fall))
        v_hit = a_fall * t_fall
        t_ground = float(np.clip(speed / (0.55 * G), 0.4, 1.3))
        parts = [("fall", np.full(n(t_fall), -a_fall)), ("impact", _bump(0.12, v_hit, n(0.12))),
                 ("ground", np.zeros(n(t_ground)))]
        prof = _integrate(parts, dt)
        parts.append(("getup", _settle(0.8, -float(prof.z[-1]), n(0.8))))
        return _integrate(parts, dt)
    raise ValueError(f"unknown vertical profile kind {kind!r}")
