"""Drawing the moving things of a synthetic frame: players as articulated figures in team kits
with shirt numbers, their shadows, and the ball; far things first (painter's order).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from footcoach.synth import render_pose as rp
from footcoach.synth.render_camera import SidelineCamera
from footcoach.synth.render_pitch import Lighting

RGB = tuple[int, int, int]
_SHIFT = 4
_ONE = 1 << _SHIFT
_AA = cv2.LINE_AA
BALL_RADIUS_M = 0.11


@dataclass(frozen=True)
class Kit:
    """A team's colours, RGB 0-255 (before lighting)."""

    name: str
    shirt: RGB
    shorts: RGB
    socks: RGB
    number: RGB


KITS: tuple[Kit, ...] = (
    Kit("red", (205, 30, 38), (245, 245, 245), (205, 30, 38), (255, 255, 255)),
    Kit("blue", (28, 70, 190), (18, 28, 70), (28, 70, 190), (255, 255, 255)),
    Kit("yellow bib", (238, 214, 24), (30, 30, 36), (30, 30, 36), (20, 20, 20)),
    Kit("white", (240, 240, 236), (25, 30, 60), (240, 240, 236), (20, 30, 80)),
    Kit("orange bib", (250, 120, 20), (30, 30, 36), (250, 250, 250), (20, 20, 20)),
    Kit("sky", (110, 175, 235), (250, 250, 250), (110, 175, 235), (15, 30, 70)),
    Kit("purple", (110, 40, 150), (20, 20, 26), (110, 40, 150), (255, 255, 255)),
)
# pairs that are easy to tell apart (and from grass), A first
_KIT_PAIRS = ((0, 1), (2, 1), (4, 6), (0, 3), (2, 6), (4, 1), (3, 0), (5, 0), (0, 5))
_SKIN = ((246, 208, 180), (228, 184, 148), (196, 144, 104), (150, 102, 70), (106, 70, 48),
         (80, 54, 38))
_HAIR = ((20, 16, 14), (58, 38, 24), (110, 74, 40), (190, 150, 90), (30, 26, 24))
_BOOTS = (22, 22, 24)


def team_kits(rng: np.random.Generator) -> dict[str, Kit]:
    """Kits of teams ``"A"`` and ``"B"`` for a session, distinct shirt colours."""
    a, b = _KIT_PAIRS[int(rng.integers(len(_KIT_PAIRS)))]
    return {"A": KITS[a], "B": KITS[b]}


@dataclass(frozen=True)
class Look:
    """One player's lit colours and size."""

    shirt: RGB
    shorts: RGB
    socks: RGB
    number_colour: RGB
    skin: RGB
    hair: RGB
    boots: RGB
    height_scale: float
    number: str


def player_looks(rng: np.random.Generator, teams: list[str], numbers: list[int],
                 kits: dict[str, Kit], lighting: Lighting) -> list[Look]:
    """Per player: kit by team (a team other than A/B gets kit B), skin, hair, 1.70-1.92 m tall."""
    looks = []
    for team, number in zip(teams, numbers, strict=True):
        kit = kits.get(team, kits["B"])
        looks.append(Look(
            shirt=lighting.colour(kit.shirt), shorts=lighting.colour(kit.shorts),
            socks=lighting.colour(kit.socks), number_colour=lighting.colour(kit.number),
            skin=lighting.colour(_SKIN[int(rng.integers(len(_SKIN)))]),
            hair=lighting.colour(_HAIR[int(rng.integers(len(_HAIR)))]),
            boots=lighting.colour(_BOOTS), height_scale=float(rng.uniform(1.70, 1.92) / 1.80),
            number=str(int(number))))
    return looks


def _drawable(uv: np.ndarray) -> bool:
    """All points in front of the camera and within a sane distance of the image."""
    return bool(np.all(np.isfinite(uv)) and np.all(np.abs(uv) < 2.0e4))


def _pt(uv: np.ndarray) -> tuple[int, int]:
    return (round(float(uv[0]) * _ONE), round(float(uv[1]) * _ONE))


# extra points per body, after the 17 joints
(_THIGH_L, _THIGH_R, _SOCK_L, _SOCK_R, _SLEEVE_L, _SLEEVE_R, _HAIR_PT, _FACE_PT, _WAIST_L,
 _WAIST_R) = range(rp.N_JOINTS, rp.N_JOINTS + 10)
_C_SHIRT, _C_SHORTS, _C_SOCKS, _C_SKIN, _C_BOOTS = range(5)
# limb segments: (from, to, width in metres, colour)
_SEGS = (
    (rp.HIP_L, _THIGH_L, 0.17, _C_SHORTS), (_THIGH_L, rp.KNEE_L, 0.13, _C_SKIN),
    (rp.KNEE_L, _SOCK_L, 0.11, _C_SKIN), (_SOCK_L, rp.ANKLE_L, 0.105, _C_SOCKS),
    (rp.ANKLE_L, rp.TOE_L, 0.09, _C_BOOTS),
    (rp.HIP_R, _THIGH_R, 0.17, _C_SHORTS), (_THIGH_R, rp.KNEE_R, 0.13, _C_SKIN),
    (rp.KNEE_R, _SOCK_R, 0.11, _C_SKIN), (_SOCK_R, rp.ANKLE_R, 0.105, _C_SOCKS),
    (rp.ANKLE_R, rp.TOE_R, 0.09, _C_BOOTS),
    (rp.SHOULDER_L, _SLEEVE_L, 0.115, _C_SHIRT), (_SLEEVE_L, rp.ELBOW_L, 0.085, _C_SKIN),
    (rp.ELBOW_L, rp.WRIST_L, 0.075, _C_SKIN),
    (rp.SHOULDER_R, _SLEEVE_R, 0.115, _C_SHIRT), (_SLEEVE_R, rp.ELBOW_R, 0.085, _C_SKIN),
    (rp.ELBOW_R, rp.WRIST_R, 0.075, _C_SKIN),
)
_SEG_A = np.array([a for a, _, _, _ in _SEGS])
_SEG_B = np.array([b for _, b, _, _ in _SEGS])
_SEG_W = np.array([w for _, _, w, _ in _SEGS])
_TORSO, _HEAD = len(_SEGS), len(_SEGS) + 1
# shadow strokes: (from, to, width in metres)
_SHADOW = ((rp.ANKLE_L, rp.KNEE_L, 0.13), (rp.KNEE_L, rp.PELVIS, 0.16),
           (rp.ANKLE_R, rp.KNEE_R, 0.13), (rp.KNEE_R, rp.PELVIS, 0.16), (rp.PELVIS, rp.NECK, 0.34),
           (rp.SHOULDER_L, rp.WRIST_L, 0.09), (rp.SHOULDER_R, rp.WRIST_R, 0.09),
           (rp.NECK, rp.HEAD, 0.22))
_SHADOW_W = np.array([w for _, _, w in _SHADOW])


def _extend(joints: np.ndarray) -> np.ndarray:
    """(P, 17, 3) joints -> (P, 27, 3) with the kit boundaries, head parts and waist corners."""
    j = joints
    trunk = j[:, rp.NECK] - j[:, rp.PELVIS]
    trunk /= np.linalg.norm(trunk, axis=1, keepdims=True) + 1e-9
    across = j[:, rp.SHOULDER_L] - j[:, rp.SHOULDER_R]
    facing = np.stack([across[:, 1], -across[:, 0], np.zeros(len(j))], axis=1)
    facing /= np.linalg.norm(facing, axis=1, keepdims=True) + 1e-9
    up = np.array([0.0, 0.0, 1.0])
    extra = np.stack([
        j[:, rp.HIP_L] + 0.45 * (j[:, rp.KNEE_L] - j[:, rp.HIP_L]),
        j[:, rp.HIP_R] + 0.45 * (j[:, rp.KNEE_R] - j[:, rp.HIP_R]),
        j[:, rp.KNEE_L] + 0.3 * (j[:, rp.ANKLE_L] - j[:, rp.KNEE_L]),
        j[:, rp.KNEE_R] + 0.3 * (j[:, rp.ANKLE_R] - j[:, rp.KNEE_R]),
        j[:, rp.SHOULDER_L] + 0.45 * (j[:, rp.ELBOW_L] - j[:, rp.SHOULDER_L]),
        j[:, rp.SHOULDER_R] + 0.45 * (j[:, rp.ELBOW_R] - j[:, rp.SHOULDER_R]),
        j[:, rp.HEAD] - 0.035 * facing + 0.025 * up,
        j[:, rp.HEAD] + 0.02 * facing - 0.01 * up,
        j[:, rp.PELVIS] + 1.5 * (j[:, rp.HIP_L] - j[:, rp.PELVIS]) + 0.08 * trunk,
        j[:, rp.PELVIS] + 1.5 * (j[:, rp.HIP_R] - j[:, rp.PELVIS]) + 0.08 * trunk,
    ], axis=1)
    return np.concatenate([j, extra], axis=1)


class FigureDrawer:
    """Draws players, shadows and the ball into RGB frames for one camera and session light.

    ``ground``: the static background (H, W, 3) whose colours the shadows darken.
    """

    def __init__(self, camera: SidelineCamera, lighting: Lighting, ground: np.ndarray) -> None:
        self.camera = camera
        self.lighting = lighting
        # lines thinner than a few pixels vanish under the median: shadows take the grass colour
        shade = cv2.medianBlur(ground, 7).astype(np.float32) * float(lighting.shadow)
        self.shade = shade.astype(np.uint8)
        self.ball_colour = lighting.colour((246, 246, 240))
        self.ball_patch = lighting.colour((40, 40, 44))

    def shadow_offset(self, sun_azimuth_rad: float) -> np.ndarray:
        """(2,) horizontal displacement of a shadow per metre of height."""
        k = 1.0 / np.tan(self.lighting.sun_elevation_rad)
        return k * np.array([np.cos(sun_azimuth_rad), np.sin(sun_azimuth_rad)])

    def _shadow_colours(self, uv: np.ndarray) -> list[list[int]]:
        """(N, K, 2) pixels -> N darkened ground colours, each the median over its K pixels."""
        h, w = self.shade.shape[:2]
        u = np.clip(np.nan_to_num(uv[..., 0]).astype(np.int64), 0, w - 1)
        v = np.clip(np.nan_to_num(uv[..., 1]).astype(np.int64), 0, h - 1)
        return np.median(self.shade[v, u], axis=1).astype(np.int64).tolist()

    def draw(self, frame: np.ndarray, joints: np.ndarray, looks: list[Look],
             ball: np.ndarray | None, ball_spin: float, shadow_offset: np.ndarray) -> None:
        """Shadows, then players (P, 17, 3 world joints) and the ball (3,), far to near."""
        if ball is not None and not np.all(np.isfinite(ball)):
            ball = None
        self._draw_shadows(frame, joints, ball, shadow_offset)
        cam = self.camera
        pts = _extend(joints)
        uv = cam.project(pts)
        depth = cam.depth(pts)
        ok = np.all(np.isfinite(uv) & (np.abs(uv) < 2.0e4), axis=(1, 2))
        ipts = np.rint(np.nan_to_num(uv) * _ONE).astype(np.int64).tolist()
        px = cam.focal_px / np.maximum(depth[:, rp.PELVIS], 1e-3)
        widths = np.maximum(1, np.rint(_SEG_W[None, :] * px[:, None])).astype(np.int64).tolist()
        keys = np.concatenate([0.5 * (depth[:, _SEG_A] + depth[:, _SEG_B]),
                               depth[:, [rp.PELVIS, rp.NECK]].mean(axis=1, keepdims=True),
                               depth[:, [rp.HEAD]]], axis=1)
        order = np.argsort(-keys, axis=1, kind="stable").tolist()
        items = [(float(depth[i, rp.PELVIS]), i) for i in range(len(joints)) if ok[i]]
        if ball is not None:
            items.append((float(cam.depth(ball)), -1))
        for _, i in sorted(items, reverse=True):
            if i < 0:
                assert ball is not None
                self.draw_ball(frame, ball, ball_spin)
                continue
            look = looks[i]
            colours = (look.shirt, look.shorts, look.socks, look.skin, look.boots)
            p, wd = ipts[i], widths[i]
            for k in order[i]:
                if k == _TORSO:
                    self._torso(frame, joints[i], uv[i], p, look, float(px[i]))
                elif k == _HEAD:
                    self._head(frame, depth[i], p, look, float(px[i]))
                else:
                    cv2.line(frame, p[_SEG_A[k]], p[_SEG_B[k]], colours[_SEGS[k][3]], wd[k], _AA,
                             _SHIFT)

    def _draw_shadows(self, frame: np.ndarray, joints: np.ndarray, ball: np.ndarray | None,
                      offset: np.ndarray) -> None:
        """The sun's shadows of bodies and ball on the ground, the ground's colour darkened."""
        cam = self.camera
        if len(joints):
            g = joints.copy()
            g[..., :2] += g[..., 2:3] * offset
            g[..., 2] = 0.0
            uv = cam.project(g)
            ok = np.all(np.isfinite(uv) & (np.abs(uv) < 2.0e4), axis=(1, 2))
            ipts = np.rint(np.nan_to_num(uv) * _ONE).astype(np.int64).tolist()
            px = cam.focal_px / np.maximum(cam.depth(g[:, rp.PELVIS]), 1e-3)
            widths = np.maximum(1, np.rint(_SHADOW_W[None, :] * px[:, None])).astype(int).tolist()
            cols = self._shadow_colours(uv[:, [rp.PELVIS, rp.ANKLE_L, rp.HEAD]])
            for i in np.flatnonzero(ok).tolist():
                col, p, wd = cols[i], ipts[i], widths[i]
                for k, (a, b, _) in enumerate(_SHADOW):
                    cv2.line(frame, p[a], p[b], col, wd[k], _AA, _SHIFT)
                ax = max(1, round(0.2 * px[i] * _ONE))
                for f in (rp.ANKLE_L, rp.ANKLE_R):
                    cv2.ellipse(frame, p[f], (ax, max(1, ax // 3)), 0, 0, 360, col, -1, _AA,
                                _SHIFT)
        if ball is not None:
            gb = np.array([ball[0] + ball[2] * offset[0], ball[1] + ball[2] * offset[1], 0.0])
            buv = cam.project(gb[None])
            if _drawable(buv):
                r = BALL_RADIUS_M * float(cam.scale_px_per_m(gb)) * (1.0 + 0.15 * ball[2])
                ax = max(round(r * _ONE), _ONE)
                cv2.ellipse(frame, _pt(buv[0]), (ax, max(ax // 2, _ONE // 2)), 0, 0, 360,
                            self._shadow_colours(buv[None])[0], -1, _AA, _SHIFT)

    def draw_ball(self, frame: np.ndarray, ball: np.ndarray, spin: float) -> None:
        uv = self.camera.project(ball[None])[0]
        if not _drawable(uv[None]):
            return
        r = BALL_RADIUS_M * float(self.camera.scale_px_per_m(ball))
        rr = max(round(r * _ONE), int(1.1 * _ONE))
        cv2.circle(frame, _pt(uv), rr, self.ball_colour, -1, _AA, _SHIFT)
        if r >= 2.5:
            d = 0.5 * r * np.array([np.cos(spin), np.sin(spin)])
            cv2.circle(frame, _pt(uv + d), max(int(0.35 * r * _ONE), _ONE // 2), self.ball_patch,
                       -1, _AA, _SHIFT)

    def _torso(self, frame: np.ndarray, body: np.ndarray, uv: np.ndarray, p: list[list[int]],
               look: Look, px: float) -> None:
        shorts = np.array([p[rp.HIP_L], p[rp.HIP_R], p[_THIGH_R], p[_THIGH_L]], dtype=np.int32)
        cv2.fillPoly(frame, [shorts], look.shorts, _AA, _SHIFT)
        mid_thigh = [(a + b) // 2 for a, b in zip(p[_THIGH_L], p[_THIGH_R], strict=True)]
        cv2.line(frame, p[rp.PELVIS], mid_thigh, look.shorts, max(1, round(0.22 * px)), _AA,
                 _SHIFT)
        quad = np.array([p[rp.SHOULDER_L], p[rp.SHOULDER_R], p[_WAIST_R], p[_WAIST_L]],
                        dtype=np.int32)
        cv2.fillPoly(frame, [quad], look.shirt, _AA, _SHIFT)
        low = [a + (b - a) // 8 for a, b in zip(p[rp.PELVIS], p[rp.NECK], strict=True)]
        cv2.line(frame, low, p[rp.NECK], look.shirt, max(1, round(0.28 * px)), _AA, _SHIFT)
        self._number(frame, body, uv, look, px)

    def _number(self, frame: np.ndarray, body: np.ndarray, uv: np.ndarray, look: Look,
                px: float) -> None:
        """The shirt number, when the chest or back is turned towards the camera."""
        across = body[rp.SHOULDER_L] - body[rp.SHOULDER_R]
        view = body[rp.NECK] - self.camera.position
        face = abs(float(across[:2] @ view[:2])) / (
            float(np.linalg.norm(across[:2]) * np.linalg.norm(view[:2])) + 1e-9)
        if face > 0.8:  # shoulders nearly along the line of sight: side view, no number
            return
        width = float(np.linalg.norm(uv[rp.SHOULDER_L] - uv[rp.SHOULDER_R]))
        text_h = min(0.24 * px, 0.75 * width / (0.6 * len(look.number)))  # fits the back
        if text_h < 5.0:
            return
        scale = text_h / 22.0
        thick = max(1, round(text_h / 8.0))
        (tw, th), _ = cv2.getTextSize(look.number, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        centre = uv[rp.PELVIS] + 0.6 * (uv[rp.NECK] - uv[rp.PELVIS])
        org = (round(centre[0] - tw / 2), round(centre[1] + th / 2))
        cv2.putText(frame, look.number, org, cv2.FONT_HERSHEY_SIMPLEX, scale, look.number_colour,
                    thick, _AA)

    def _head(self, frame: np.ndarray, depth: np.ndarray, p: list[list[int]], look: Look,
              px: float) -> None:
        r = max(0.115 * px, 1.0)
        cv2.line(frame, p[rp.NECK], p[rp.HEAD], look.skin, max(1, round(0.09 * px)), _AA, _SHIFT)
        parts = [(float(depth[_HAIR_PT]), _HAIR_PT, look.hair, r),
                 (float(depth[_FACE_PT]), _FACE_PT, look.skin, 0.95 * r)]
        for _, k, col, rad in sorted(parts, key=lambda q: -q[0]):
            cv2.circle(frame, p[k], round(rad * _ONE), col, -1, _AA, _SHIFT)
