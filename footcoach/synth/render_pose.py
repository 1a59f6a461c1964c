"""Articulated body poses for the synthetic video: a 17-joint skeleton whose angles are driven by
the player's action, its progress (``action_phase``), speed and gait phase.

Body frame: x forward (the heading), y to the player's left, z up, metres, for a 1.80 m person
standing on the ground at the origin. All angles are radians, measured from the vertical in the
body's sagittal plane (hip/shoulder flexion: positive swings the limb forward; knee/elbow
flexion: positive bends it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from footcoach.domain.labels import Action

(PELVIS, NECK, HEAD, HIP_L, KNEE_L, ANKLE_L, TOE_L, HIP_R, KNEE_R, ANKLE_R, TOE_R,
 SHOULDER_L, ELBOW_L, WRIST_L, SHOULDER_R, ELBOW_R, WRIST_R) = range(17)
N_JOINTS = 17
_THIGH, _SHIN, _ANKLE_H, _FOOT = 0.44, 0.43, 0.08, 0.17
_TRUNK, _NECK_HEAD = 0.50, 0.21
_UPPER_ARM, _FOREARM = 0.29, 0.27
_HIP_HALF, _SHOULDER_HALF = 0.10, 0.19
STANDING_PELVIS_M = _THIGH + _SHIN + _ANKLE_H  # 0.95


@dataclass
class Pose:
    """Joint angles of one body; index 0 of each pair is the left side, 1 the right.

    The body is lifted so that its lowest foot, knee or hand touches the ground.
    """

    lean: float = 0.03
    roll: float = 0.0
    hip: list[float] = field(default_factory=lambda: [0.0, 0.0])
    knee: list[float] = field(default_factory=lambda: [0.05, 0.05])
    stance: float = 0.06
    shoulder: list[float] = field(default_factory=lambda: [0.0, 0.0])
    arm_out: list[float] = field(default_factory=lambda: [0.12, 0.12])
    elbow: list[float] = field(default_factory=lambda: [0.25, 0.25])


def stride_rate_hz(speed_mps: np.ndarray) -> np.ndarray:
    """Gait cycles (two steps) per second at a speed: 0.9 Hz walking .. 2.1 Hz sprinting."""
    return np.clip(0.6 + 0.19 * np.asarray(speed_mps), 0.6, 2.3)


def _smooth(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


def _gait(p: Pose, cycles: float, speed: float, amp: float = 1.0) -> None:
    """Leg and arm swing of walking/running at ``speed`` m/s, ``cycles`` into the gait."""
    g = min(max(speed / 1.2, 0.0), 1.0)
    v = min(speed, 9.5)
    a = (0.12 + 0.075 * v) * g * amp
    knee_amp = min(0.3 + 0.16 * v, 1.75) * g * amp
    th = 2.0 * math.pi * cycles
    for side, off in ((0, 0.0), (1, math.pi)):
        s = th + off
        p.hip[side] += a * math.sin(s)
        p.knee[side] += 0.1 * g + knee_amp * max(0.0, math.cos(s)) ** 1.5
        p.shoulder[1 - side] += 1.1 * a * math.sin(s)
    p.elbow = [e + 1.15 * g * min(v / 4.0, 1.0) for e in p.elbow]
    p.lean += 0.022 * v * amp


def _kick(p: Pose, phase: float, strength: float) -> None:
    """Right-foot kick: back-swing, strike at phase ~0.55, follow-through. ``strength`` 0..1."""
    back, fwd = 0.4 + 0.35 * strength, 0.7 + 0.7 * strength
    bend = 0.9 + 0.8 * strength
    if phase < 0.4:
        q = _smooth(phase / 0.4)
        p.hip[1], p.knee[1] = -back * q, 0.2 + bend * q
    elif phase < 0.6:
        q = _smooth((phase - 0.4) / 0.2)
        p.hip[1], p.knee[1] = -back + (back + fwd) * q, 0.2 + bend * (1 - q)
    else:
        q = _smooth((phase - 0.6) / 0.4)
        p.hip[1], p.knee[1] = fwd * (1 - q), 0.2 + 0.2 * q
    p.hip[0], p.knee[0] = 0.12, 0.3
    swing = math.sin(math.pi * min(phase / 0.8, 1.0))
    p.arm_out = [0.5 + 0.6 * strength * swing, 0.3 + 0.3 * swing]
    p.shoulder = [0.3 * swing, -0.3 * swing]
    p.lean = 0.12 - 0.25 * strength * _smooth((phase - 0.5) / 0.3)


def _crouch(p: Pose, depth: float) -> None:
    p.hip = [h + 1.3 * depth for h in p.hip]  # thighs forward, shins tilted: knees over toes
    p.knee = [k + 2.1 * depth for k in p.knee]
    p.lean += 0.5 * depth
    p.stance += 0.15 * depth
    p.arm_out = [0.2 + 0.5 * depth, 0.2 + 0.5 * depth]
    p.elbow = [0.5 + 0.4 * depth] * 2


def _take_off(p: Pose, phase: float) -> None:
    if phase < 0.6:
        q = _smooth(phase / 0.6)
        _crouch(p, 0.75 * q)
        p.shoulder = [-0.7 * q, -0.7 * q]
    else:
        q = _smooth((phase - 0.6) / 0.4)
        _crouch(p, 0.75 * (1 - q))
        p.shoulder = [-0.7 + 3.3 * q] * 2
        p.arm_out = [0.2, 0.2]


def _jump(p: Pose, phase: float) -> None:
    tuck = math.sin(math.pi * phase)
    p.shoulder = [2.7, 2.7]
    p.arm_out = [0.35, 0.35]
    p.elbow = [0.3, 0.3]
    p.hip = [0.35 * tuck, 0.25 * tuck]
    p.knee = [0.7 * tuck, 0.5 * tuck]
    p.lean = 0.05


def _slide(p: Pose, phase: float) -> None:
    """A sliding tackle: lying back on the left hip, right leg stretched forward."""
    w = min(_smooth(phase / 0.2), _smooth((1.0 - phase) / 0.25))
    p.lean = 0.05 - 1.15 * w
    p.roll = 0.25 * w
    p.hip = [1.3 * w, 1.45 * w]  # left leg folded under, right leg stretched out
    p.knee = [0.05 + 2.65 * w, 0.05]
    p.shoulder = [-0.9 * w, 0.4 * w]
    p.arm_out = [0.5 * w + 0.1, 1.0 * w + 0.1]
    p.elbow = [0.2, 0.5]


def _stop(p: Pose, phase: float, speed: float) -> None:
    w = math.sin(math.pi * min(phase, 1.0))
    p.lean -= 0.35 * w
    p.hip = [0.55 * w, -0.25 * w]
    p.knee = [0.3 * w, 0.6 * w]
    p.arm_out = [0.2 + 0.5 * w, 0.2 + 0.5 * w]
    p.elbow = [0.6, 0.6]


def _turn(p: Pose, phase: float, turn_sign: float) -> None:
    w = math.sin(math.pi * min(phase, 1.0))
    _crouch(p, 0.3 * w)
    p.roll += 0.35 * w * turn_sign
    p.arm_out = [0.3 + 0.6 * w * (turn_sign < 0), 0.3 + 0.6 * w * (turn_sign > 0)]


def pose_for(action: int, phase: float, speed: float, cycles: float, turn_sign: float) -> Pose:
    """Joint angles for an action at ``phase`` (0..1) while moving at ``speed`` m/s.

    ``cycles``: the gait phase in cycles (running legs); ``turn_sign``: +1 turning left, -1 right.
    """
    p = Pose()
    a = int(action)
    if a in (Action.SHOOTING, Action.PASSING):
        _kick(p, phase, 1.0 if a == Action.SHOOTING else 0.45)
    elif a == Action.TAKE_OFF:
        _take_off(p, phase)
    elif a == Action.JUMPING:
        _jump(p, phase)
    elif a == Action.SLIDING:
        _slide(p, phase)
    elif a == Action.STOPPING:
        _gait(p, cycles, speed, 0.6)
        _stop(p, phase, speed)
    elif a == Action.TURNING:
        _gait(p, cycles, speed, 0.6)
        _turn(p, phase, turn_sign)
    elif a == Action.DEFENDING:
        _gait(p, cycles, speed, 0.45)
        _crouch(p, 0.55)
    elif a == Action.ASSISTING_DEFENCE:
        _gait(p, cycles, speed, 0.8)
        _crouch(p, 0.25)
    elif a == Action.DRIBBLING:
        _gait(p, cycles, speed, 0.8)
        p.lean += 0.12
        p.knee = [k + 0.2 for k in p.knee]
    else:  # running, sprinting, anything else: run at the speed the trajectory says
        _gait(p, cycles, speed, 1.0)
    return p


def body_joints(poses: list[Pose]) -> np.ndarray:
    """(P, 17, 3) joint positions in the body frame for P poses, the lowest point on the ground."""
    n = len(poses)
    if n == 0:
        return np.zeros((0, N_JOINTS, 3))
    ang = np.array([[q.lean, q.roll, q.stance, q.hip[0], q.hip[1], q.knee[0], q.knee[1],
                     q.shoulder[0], q.shoulder[1], q.arm_out[0], q.arm_out[1], q.elbow[0],
                     q.elbow[1]] for q in poses])
    lean, roll, stance = ang[:, 0], ang[:, 1], ang[:, 2]
    j = np.zeros((n, N_JOINTS, 3))
    trunk = np.stack([np.sin(lean), np.sin(roll), np.cos(lean) * np.cos(roll)], axis=1)
    trunk /= np.linalg.norm(trunk, axis=1, keepdims=True)
    j[:, NECK] = _TRUNK * trunk
    j[:, HEAD] = j[:, NECK] + _NECK_HEAD * trunk
    j[:, HEAD, 0] += 0.02
    sa, ca = np.sin(stance), np.cos(stance)
    lowest = np.zeros(n)
    for side, sgn, hip_i, sh_i in ((0, 1.0, HIP_L, SHOULDER_L), (1, -1.0, HIP_R, SHOULDER_R)):
        a, k = ang[:, 3 + side], ang[:, 5 + side]
        j[:, hip_i, 1] = sgn * _HIP_HALF
        thigh = np.stack([np.sin(a), sgn * sa * np.cos(a), -ca * np.cos(a)], axis=1)
        shin = np.stack([np.sin(a - k), sgn * sa * np.cos(a - k), -ca * np.cos(a - k)], axis=1)
        foot = np.stack([np.cos(a - k), np.zeros(n), np.maximum(np.sin(a - k), -0.2)], axis=1)
        foot /= np.linalg.norm(foot, axis=1, keepdims=True)  # a folded leg's foot lies flat
        j[:, hip_i + 1] = j[:, hip_i] + _THIGH * thigh
        j[:, hip_i + 2] = j[:, hip_i + 1] + _SHIN * shin
        j[:, hip_i + 3] = j[:, hip_i + 2] + _FOOT * foot
        lowest = np.minimum.reduce([lowest, j[:, hip_i + 1, 2], j[:, hip_i + 2, 2] - _ANKLE_H,
                                    j[:, hip_i + 3, 2] - 0.03])
        f, g, e = ang[:, 7 + side], ang[:, 9 + side], ang[:, 11 + side]
        j[:, sh_i] = j[:, NECK] - 0.05 * trunk
        j[:, sh_i, 1] += sgn * _SHOULDER_HALF
        cg, sg = np.cos(g), np.sin(g)
        upper = np.stack([np.sin(f) * cg, sgn * sg, -np.cos(f) * cg], axis=1)
        fore = np.stack([np.sin(f + e) * cg, sgn * sg, -np.cos(f + e) * cg], axis=1)
        j[:, sh_i + 1] = j[:, sh_i] + _UPPER_ARM * upper
        j[:, sh_i + 2] = j[:, sh_i + 1] + _FOREARM * fore
        lowest = np.minimum(lowest, j[:, sh_i + 2, 2] - 0.03)
    j[..., 2] -= lowest[:, None]
    return j


def world_joints(body: np.ndarray, xy: np.ndarray, heading: np.ndarray, lift: np.ndarray,
                 scale: np.ndarray) -> np.ndarray:
    """Place bodies on the pitch.

    Args:
        body: (P, 17, 3) body-frame joints.
        xy: (P, 2) pitch metres; heading: (P,) radians; lift: (P,) metres off the ground
            (jumps); scale: (P,) body height / 1.80 m.
    Returns:
        (P, 17, 3) world metres, no joint below 2 cm.
    """
    c, s = np.cos(heading), np.sin(heading)
    b = body * scale[:, None, None]
    out = np.empty_like(b)
    out[..., 0] = xy[:, 0:1] + c[:, None] * b[..., 0] - s[:, None] * b[..., 1]
    out[..., 1] = xy[:, 1:2] + s[:, None] * b[..., 0] + c[:, None] * b[..., 1]
    out[..., 2] = np.maximum(b[..., 2] + lift[:, None], 0.02)
    return out
