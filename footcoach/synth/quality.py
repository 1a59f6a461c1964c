"""Execution quality (0-100) of one simulated action, from measured execution parameters.

The simulator measures each executed action on the simulated ground truth (the same motion
the sensors and the video see) and scores it with the formulas below, so a higher score is
always visible in the signals: a better sprint is faster, a better shot is faster and closer
to its aim, a better turn has a higher yaw rate, and so on. ``clip(x) = min(max(x, 0), 1)``;
speeds in m/s, distances in m, times in s.

=================  ===========================================================================
action             quality
=================  ===========================================================================
sprinting          ``100 * clip((v_peak / v_ref - 0.75) / 0.25)``; ``v_peak`` the highest speed
                   in the sprint; ``v_ref`` the speed the player could reach at best over the
                   same distance from the same entry speed: ``v_ref = vmax - (vmax - v0)
                   exp(-t / tau)`` at the time ``t`` the linear force-velocity model
                   (``tau = vmax / a_max``, fresh top speed and acceleration) covers it.
take-off           ``100 * clip((h / h_best - 0.35) / 0.65)``; ``h`` the rise of the body centre
(running jump)     in flight, ``h_best = 1.1 x`` the player's best standing jump.
jumping            same as take-off with ``h_best`` the best standing (two-footed) jump.
shooting           ``100 * (0.5 * clip((v_ball - 14) / 16) + 0.5 * exp(-(miss / 1.2)^2))``;
                   ``v_ball`` the ball speed off the foot, ``miss`` the distance in the goal
                   plane between where the ball crosses it and the aimed point.
passing            ``100 * (0.65 * exp(-(miss / 1.5)^2)``
                   ``+ 0.35 * exp(-((v_ball - v_ideal) / 4)^2))``;
                   ``miss`` the distance by which the ball's line misses the intended point,
                   ``v_ideal = clip(5 + 0.55 * d, 8, 20)`` for a pass of ``d`` metres.
turning            ``100 * clip((1.05 - T / (0.5 + angle / pi)) / 0.75)`` with ``T`` the time
                   from the start of the turn until the new direction is held and ``angle`` the
                   direction change (rad): quicker turns (higher yaw rates) score higher.
stopping           ``100 * clip((a_mean / a_best - 0.3) / 0.7)``; ``a_mean = v0^2 / (2 s)``
                   over the stopping distance ``s`` from entry speed ``v0``; ``a_best`` the
                   player's maximum deceleration.
dribbling          ``100 * (0.5 * clip(v_mean / (0.5 v_best)) + 0.5 * clip((2.0 - L) / 1.6))``;
                   ``v_mean`` the mean speed, ``L`` the mean touch length (how far the ball
                   runs ahead between touches: shorter = closer control).
defending          ``100 * (0.4 * goal_side + 0.4 * exp(-(d_err / 1.5)^2) + 0.2 * won)``;
                   ``goal_side`` the fraction of time between the attacker and the own goal,
                   ``d_err`` the mean deviation from a 1.5 m jockeying distance, ``won`` 1 when
                   the ball was won.
assisting defence  ``100 * exp(-(e / 4)^2)``; ``e`` the mean distance from the ideal cover
                   point (behind the pressing team-mate, on the ball-goal line) over the second
                   half of the action (once the player had time to react).
sliding            ``100 * (0.6 * clip((reach - 0.8) / 2.4) + 0.4 * won)``; ``reach`` the
                   distance slid on the ground plus a 0.9 m leg, ``won`` 1 when the ball was hit.
running            ``100 * clip((v_mean / v_demand - 0.3) / 0.7)``; ``v_demand`` the speed the
                   situation asked for (how urgently the position had to be reached). A sprint
                   that never reached 5 m/s is relabelled running, with ``v_demand`` its
                   target speed.
=================  ===========================================================================
"""

from __future__ import annotations

import math


def clip01(x: float) -> float:
    return float(min(max(x, 0.0), 1.0))


def reachable_speed(v0: float, distance_m: float, v_max: float, a_max: float) -> float:
    """Best speed after ``distance_m`` from entry speed ``v0`` under ``dv/dt = a_max (1 -
    v / v_max)`` (closed-form position, solved for time by Newton's method)."""
    v0 = min(max(v0, 0.0), v_max)
    if distance_m <= 0:
        return v0
    tau = v_max / a_max
    t = distance_m / max(0.5 * (v0 + v_max), 0.1)
    for _ in range(30):
        e = math.exp(-t / tau)
        x = v_max * t - tau * (v_max - v0) * (1 - e)
        v = v_max - (v_max - v0) * e
        step = (x - distance_m) / max(v, 1e-6)
        t = max(t - step, 1e-6)
        if abs(step) < 1e-6:
            break
    return v_max - (v_max - v0) * math.exp(-t / tau)


def sprint(v_peak: float, v_ref: float) -> float:
    return 100.0 * clip01((v_peak / max(v_ref, 0.5) - 0.75) / 0.25)


def jump(height: float, best: float) -> float:
    """Standing jump (``best``: best standing jump) or take-off (``best``: 1.1 x that)."""
    return 100.0 * clip01((height / best - 0.35) / 0.65)


def shot(ball_speed: float, miss_m: float) -> float:
    return 100.0 * (0.5 * clip01((ball_speed - 14.0) / 16.0)
                    + 0.5 * math.exp(-(miss_m / 1.2) ** 2))


def ideal_pass_speed(distance_m: float) -> float:
    return min(max(5.0 + 0.55 * distance_m, 8.0), 20.0)


def pass_(ball_speed: float, miss_m: float, distance_m: float) -> float:
    v_ideal = ideal_pass_speed(distance_m)
    return 100.0 * (0.65 * math.exp(-(miss_m / 1.5) ** 2)
                    + 0.35 * math.exp(-((ball_speed - v_ideal) / 4.0) ** 2))


def turn(turn_time_s: float, angle_rad: float) -> float:
    norm = turn_time_s / (0.5 + abs(angle_rad) / math.pi)
    return 100.0 * clip01((1.05 - norm) / 0.75)


def stop(entry_speed: float, distance_m: float, a_best: float) -> float:
    a_mean = entry_speed ** 2 / (2.0 * max(distance_m, 0.05))
    return 100.0 * clip01((a_mean / a_best - 0.3) / 0.7)


def dribble(v_mean: float, v_best: float, touch_len_m: float) -> float:
    return 100.0 * (0.5 * clip01(v_mean / (0.5 * v_best)) + 0.5 * clip01((2.0 - touch_len_m) / 1.6))


def defend(goal_side: float, dist_err_m: float, won: bool) -> float:
    return 100.0 * (0.4 * clip01(goal_side) + 0.4 * math.exp(-(dist_err_m / 1.5) ** 2)
                    + 0.2 * float(won))


def cover(err_m: float) -> float:
    return 100.0 * math.exp(-(err_m / 4.0) ** 2)


def slide(reach_m: float, won: bool) -> float:
    return 100.0 * (0.6 * clip01((reach_m - 0.8) / 2.4) + 0.4 * float(won))


def run(v_mean: float, v_demand: float) -> float:
    if v_demand <= 0.3:
        return 100.0 * clip01(1.0 - abs(v_mean - v_demand) / 1.5)
    return 100.0 * clip01((v_mean / v_demand - 0.3) / 0.7)
