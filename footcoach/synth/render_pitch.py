"""The static part of a synthetic video frame, rendered once per session: grass with mown stripes
and noise, pitch lines, goals, corner flags, cones, the ground around the pitch, a tree line and
the sky, all seen through the :class:`~footcoach.synth.render_camera.SidelineCamera` and lit by
the session's :class:`Lighting`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from footcoach.domain.pitch import Pitch
from footcoach.synth.render_camera import SidelineCamera

RGB = tuple[int, int, int]
_SHIFT = 4  # cv2 sub-pixel bits
_ONE = 1 << _SHIFT
_LINE_M = 0.12  # width of pitch lines, metres
_FULL_SIZE = (90.0, 45.0)  # pitches at least this big get full markings (penalty areas ...)


@dataclass(frozen=True)
class Lighting:
    """One session's light.

    Attributes:
        gain: global brightness multiplier (about 0.8 dull .. 1.12 bright).
        tint: (r, g, b) multipliers for the colour temperature (warm > 1 red, cool > 1 blue).
        sun_azimuth_rad: direction shadows point on the ground, anticlockwise from the pitch x axis.
        sun_elevation_rad: height of the sun above the horizon; shadow length = height / tan(it).
        shadow: fraction of the light left inside a shadow (0.5 hard sun .. 0.9 overcast).
        overcast: whether the sky is grey.
    """

    gain: float
    tint: tuple[float, float, float]
    sun_azimuth_rad: float
    sun_elevation_rad: float
    shadow: float
    overcast: bool

    @classmethod
    def from_rng(cls, rng: np.random.Generator) -> Lighting:
        overcast = bool(rng.random() < 0.35)
        temp = float(rng.uniform(-1.0, 1.0))  # -1 cool .. +1 warm
        return cls(
            gain=float(rng.uniform(0.8, 0.98) if overcast else rng.uniform(0.92, 1.12)),
            tint=(1.0 + 0.07 * temp, 1.0 + 0.01 * temp, 1.0 - 0.09 * temp),
            sun_azimuth_rad=float(rng.uniform(0.0, 2.0 * np.pi)),
            sun_elevation_rad=float(np.deg2rad(rng.uniform(25.0, 60.0))),
            shadow=float(rng.uniform(0.8, 0.9) if overcast else rng.uniform(0.5, 0.65)),
            overcast=overcast,
        )

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """(..., 3) float or uint8 RGB -> (..., 3) uint8 lit RGB."""
        scale = self.gain * np.asarray(self.tint, dtype=np.float32)
        return np.clip(np.asarray(rgb, dtype=np.float32) * scale, 0, 255).astype(np.uint8)

    def colour(self, rgb: tuple[float, float, float]) -> RGB:
        """One lit colour as ints for cv2 drawing calls."""
        r, g, b = (int(c) for c in self.apply(np.asarray(rgb, dtype=np.float32)))
        return (r, g, b)


@dataclass(frozen=True)
class GoalSpec:
    """Goal size in metres: full size (7.32 x 2.44) on a wide pitch, else the simulator's
    training goals (18 % of the width, at least 3 m, 2 m high; footcoach.synth.drills)."""

    width_m: float
    height_m: float
    depth_m: float

    @classmethod
    def for_pitch(cls, pitch: Pitch) -> GoalSpec:
        w = float(min(7.32, max(3.0, 0.18 * pitch.width_m)))
        return cls(w, 2.44 if w >= 7.32 else 2.0, 1.8 * w / 7.32 + 0.2)


def render_background(camera: SidelineCamera, pitch: Pitch, lighting: Lighting,
                      rng: np.random.Generator, cones_xy: np.ndarray | None = None) -> np.ndarray:
    """The static frame, (H, W, 3) uint8 RGB, lit.

    ``cones_xy``: (N, 2) pitch metres of training cones; by default a small pitch (a training
    area) gets cones at its corners and halfway points, a full pitch none.
    """
    w, h = camera.size
    grass = np.array([62.0, 122.0, 48.0]) * rng.uniform(0.88, 1.1, 3)
    tex, to_pitch = _grass_texture(pitch, camera, grass, rng)
    _draw_markings(tex, pitch, to_pitch)
    ss = 3  # supersampling of the warp against aliasing of far texels
    sup = np.array([[ss, 0, (ss - 1) / 2], [0, ss, (ss - 1) / 2], [0, 0, 1]], dtype=np.float64)
    warp = sup @ camera.homography @ to_pitch
    outer = tuple(float(c) for c in grass * 0.86)
    big = cv2.warpPerspective(tex, warp, (w * ss, h * ss), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=outer)
    img = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    _backdrop(img, camera, pitch, lighting, rng, to_pitch)
    out = lighting.apply(img)
    _draw_goals(out, camera, pitch, lighting)
    if cones_xy is None:
        cones_xy = default_cones(pitch)
    _draw_cones(out, camera, np.asarray(cones_xy, dtype=np.float64).reshape(-1, 2), lighting)
    return out


def default_cones(pitch: Pitch) -> np.ndarray:
    """(N, 2) cones at the corners and halfway points of a training area; none on a full pitch."""
    if is_full_pitch(pitch):
        return np.zeros((0, 2))
    lx, wy = pitch.length_m, pitch.width_m
    return np.array([[0, 0], [lx / 2, 0], [lx, 0], [lx, wy / 2], [lx, wy], [lx / 2, wy],
                     [0, wy], [0, wy / 2]], dtype=np.float64)


def is_full_pitch(pitch: Pitch) -> bool:
    return pitch.length_m >= _FULL_SIZE[0] and pitch.width_m >= _FULL_SIZE[1]


def _grass_texture(pitch: Pitch, camera: SidelineCamera, grass: np.ndarray,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Top-down grass, (Ht, Wt, 3) float32, and the (3, 3) texel -> pitch metres matrix."""
    lx, wy = pitch.length_m, pitch.width_m
    mx, my_far = 20.0, 6.0
    my_near = float(np.clip(-camera.position[1], 6.0, 45.0))
    ext_x, ext_y = lx + 2 * mx, wy + my_far + my_near
    w, h = camera.size  # resolve the ground as finely as the image's nearest ground needs
    near = camera.pixel_rays()[h - 1, w // 2]
    near_m = camera.position + near * (-camera.position[2] / min(near[2], -1e-6))
    near_px = float(camera.scale_px_per_m(near_m))
    ppm = float(np.clip(min(24.0, 1.5 * near_px, np.sqrt(5.0e6 / (ext_x * ext_y))), 3.0, 24.0))
    tw, th = round(ext_x * ppm), round(ext_y * ppm)
    to_pitch = np.array([[1 / ppm, 0, -mx], [0, 1 / ppm, -my_near], [0, 0, 1]])
    xs = np.arange(tw, dtype=np.float32) / ppm - mx
    ys = np.arange(th, dtype=np.float32) / ppm - my_near
    inside = ((ys[:, None] >= -1.5) & (ys[:, None] <= wy + 1.5)
              & (xs[None, :] >= -1.5) & (xs[None, :] <= lx + 1.5))
    n_stripes = max(2, round(lx / 5.5))
    stripe = (np.floor(xs / (lx / n_stripes)).astype(np.int64) % 2 == 0)
    shade = np.where(inside, np.where(stripe[None, :], 1.06, 0.95), 0.88).astype(np.float32)

    def noise(cell_m: float, amp: float) -> np.ndarray:
        gw, gh = max(2, round(tw / (cell_m * ppm))), max(2, round(th / (cell_m * ppm)))
        small = rng.normal(0.0, amp, (gh, gw)).astype(np.float32)
        return cv2.resize(small, (tw, th), interpolation=cv2.INTER_CUBIC)

    shade *= 1.0 + noise(3.0, 0.05) + noise(0.4, 0.035)
    shade *= 1.0 + rng.normal(0.0, 0.05, (th, tw)).astype(np.float32)
    dry = np.clip(noise(6.0, 0.5), 0.0, 1.0)[..., None] * 0.35  # yellowish worn patches
    base = grass.astype(np.float32)
    worn = np.array([150.0, 140.0, 80.0], dtype=np.float32)
    tex = (base * (1 - dry) + worn * dry) * shade[..., None]
    return np.clip(tex, 0, 255).astype(np.float32), to_pitch


def _draw_markings(tex: np.ndarray, pitch: Pitch, to_pitch: np.ndarray) -> None:
    """Paint the white lines into the top-down texture (in place)."""
    ppm = 1.0 / to_pitch[0, 0]
    ox, oy = -to_pitch[0, 2], -to_pitch[1, 2]
    mask = np.zeros(tex.shape[:2], dtype=np.uint8)
    thick = max(1, round(_LINE_M * ppm))

    def pt(x: float, y: float) -> tuple[int, int]:
        return (round((x + ox) * ppm * _ONE), round((y + oy) * ppm * _ONE))

    def line(x0: float, y0: float, x1: float, y1: float) -> None:
        cv2.line(mask, pt(x0, y0), pt(x1, y1), 255, thick, cv2.LINE_AA, _SHIFT)

    def rect(x0: float, y0: float, x1: float, y1: float) -> None:
        for a, b, c, d in ((x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)):
            line(a, b, c, d)

    def arc(cx: float, cy: float, r: float, a0: float = 0.0, a1: float = 360.0) -> None:
        rr = round(r * ppm * _ONE)
        cv2.ellipse(mask, pt(cx, cy), (rr, rr), 0.0, a0, a1, 255, thick, cv2.LINE_AA, _SHIFT)

    def spot(cx: float, cy: float) -> None:
        cv2.circle(mask, pt(cx, cy), round(0.12 * ppm * _ONE), 255, -1, cv2.LINE_AA, _SHIFT)

    lx, wy = pitch.length_m, pitch.width_m
    rect(0, 0, lx, wy)
    line(lx / 2, 0, lx / 2, wy)
    if is_full_pitch(pitch):
        arc(lx / 2, wy / 2, 9.15)
        spot(lx / 2, wy / 2)
        for x0, sgn in ((0.0, 1.0), (lx, -1.0)):
            rect(x0, wy / 2 - 20.16, x0 + sgn * 16.5, wy / 2 + 20.16)
            rect(x0, wy / 2 - 9.16, x0 + sgn * 5.5, wy / 2 + 9.16)
            spot(x0 + sgn * 11.0, wy / 2)
            half = np.rad2deg(np.arccos(5.5 / 9.15))  # the "D" outside the penalty area
            centre = 0.0 if sgn > 0 else 180.0
            arc(x0 + sgn * 11.0, wy / 2, 9.15, centre - half, centre + half)
            for cy in (0.0, wy):
                start = (0.0 if cy == 0 else 270.0) if sgn > 0 else (90.0 if cy == 0 else 180.0)
                arc(x0, cy, 1.0, start, start + 90.0)
    else:
        arc(lx / 2, wy / 2, min(9.15, 0.15 * wy))
    a = (mask.astype(np.float32) / 255.0)[..., None]
    tex *= 1.0 - a
    tex += a * np.array([236.0, 238.0, 228.0], dtype=np.float32)


def _backdrop(img: np.ndarray, camera: SidelineCamera, pitch: Pitch, lighting: Lighting,
              rng: np.random.Generator, to_pitch: np.ndarray) -> None:
    """Trees, a windbreak fence and the sky where the rays do not hit the near ground (in place)."""
    rays = camera.pixel_rays()
    c = camera.position
    far_y = pitch.width_m + 6.0 + 4.0  # a fence line 4 m past the grass texture
    dz, dy = rays[..., 2], rays[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        hit_y = np.where(dz < 0, c[1] - c[2] * dy / dz, np.inf)
        s_b = np.where(dy > 1e-9, (far_y - c[1]) / dy, np.nan)
    mask = (hit_y > far_y) & np.isfinite(s_b)
    if not mask.any():
        return
    xb = c[0] + s_b[mask] * rays[..., 0][mask]
    zb = c[2] + s_b[mask] * dz[mask]
    tree_h = _tree_line(pitch, rng)(xb)
    leaf = cv2.GaussianBlur(rng.normal(0, 1, (128, 128)).astype(np.float32), (0, 0), 1.0)
    li = (np.floor(xb * 3.0).astype(np.int64) % 128, np.floor(zb * 3.0).astype(np.int64) % 128)
    depth = np.clip((tree_h - zb) / 3.0, 0.0, 1.0)  # darker inside the crowns
    trees = (np.array([58.0, 92.0, 46.0]) * (1 + 0.3 * leaf[li[1], li[0]])[:, None]
             * (1.0 - 0.35 * depth)[:, None])
    panel = np.where((np.floor(xb / 3.0) % 2) == 0, 0.9, 1.0)[:, None]
    fence = np.array([38.0, 66.0, 50.0]) * panel
    top = np.clip(zb / 40.0, 0, 1)[:, None]
    if lighting.overcast:
        sky = np.array([200.0, 204.0, 210.0]) * (1 - top) + np.array([160.0, 166.0, 176.0]) * top
    else:
        sky = np.array([205.0, 222.0, 236.0]) * (1 - top) + np.array([110.0, 155.0, 215.0]) * top
    col = np.where((zb < 1.6)[:, None], fence, np.where((zb < tree_h)[:, None], trees, sky))
    img[mask] = col.astype(np.float32)


def _tree_line(pitch: Pitch, rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """Height of the tree line (m) as a function of x: overlapping round crowns."""
    span = np.arange(-400.0, pitch.length_m + 400.0, 0.25)
    top = np.full(span.size, 4.0)
    x = -400.0
    while x < pitch.length_m + 400.0:
        r = rng.uniform(2.5, 6.0)
        h = rng.uniform(7.0, 15.0)
        inside = np.abs(span - x) < r
        crown = h - r + np.sqrt(np.maximum(r * r - (span[inside] - x) ** 2, 0.0))
        top[inside] = np.maximum(top[inside], crown)
        x += rng.uniform(0.8, 1.6) * r

    def height(xq: np.ndarray) -> np.ndarray:
        return np.interp(xq, span, top)

    return height


def _line3d(img: np.ndarray, camera: SidelineCamera, a: np.ndarray, b: np.ndarray, colour: RGB,
            width_m: float) -> None:
    uv = camera.project(np.stack([a, b]))
    if not np.all(np.isfinite(uv)):
        return
    px = float(np.nanmean(camera.scale_px_per_m(np.stack([a, b]))))
    thick = max(1, round(width_m * px))
    p = np.rint(uv * _ONE).astype(np.int64)
    cv2.line(img, (int(p[0, 0]), int(p[0, 1])), (int(p[1, 0]), int(p[1, 1])), colour, thick,
             cv2.LINE_AA, _SHIFT)


def _draw_goals(img: np.ndarray, camera: SidelineCamera, pitch: Pitch, lighting: Lighting) -> None:
    g = GoalSpec.for_pitch(pitch)
    white = lighting.colour((238, 238, 236))
    net = lighting.colour((196, 200, 204))
    yc = pitch.width_m / 2
    goals = [(0.0, -1.0), (pitch.length_m, 1.0)]
    goals.sort(key=lambda gx: -float(camera.depth(np.array([gx[0], yc, 0.0]))))
    for x0, out in goals:
        back = x0 + out * g.depth_m
        for y in np.linspace(yc - g.width_m / 2, yc + g.width_m / 2, 7):  # net: back and roof
            _line3d(img, camera, np.array([back, y, 0]), np.array([back, y, g.height_m * 0.8]),
                    net, 0.02)
            _line3d(img, camera, np.array([x0, y, g.height_m]),
                    np.array([back, y, g.height_m * 0.8]), net, 0.02)
        for z in np.linspace(0.0, g.height_m * 0.8, 4):
            _line3d(img, camera, np.array([back, yc - g.width_m / 2, z]),
                    np.array([back, yc + g.width_m / 2, z]), net, 0.02)
        for y in (yc - g.width_m / 2, yc + g.width_m / 2):
            _line3d(img, camera, np.array([x0, y, g.height_m]),
                    np.array([back, y, g.height_m * 0.8]), net, 0.03)
            _line3d(img, camera, np.array([back, y, 0.0]),
                    np.array([back, y, g.height_m * 0.8]), net, 0.03)
            _line3d(img, camera, np.array([x0, y, 0.0]), np.array([x0, y, g.height_m]), white, 0.12)
        _line3d(img, camera, np.array([x0, yc - g.width_m / 2, g.height_m]),
                np.array([x0, yc + g.width_m / 2, g.height_m]), white, 0.12)
    if is_full_pitch(pitch):
        flag = lighting.colour((235, 210, 40))
        for x in (0.0, pitch.length_m):
            for y in (0.0, pitch.width_m):
                _line3d(img, camera, np.array([x, y, 0]), np.array([x, y, 1.5]), white, 0.04)
                _line3d(img, camera, np.array([x, y, 1.5]), np.array([x, y, 1.25]), flag, 0.3)


def _draw_cones(img: np.ndarray, camera: SidelineCamera, cones_xy: np.ndarray,
                lighting: Lighting) -> None:
    if len(cones_xy) == 0:
        return
    orange = lighting.colour((250, 112, 24))
    base = np.c_[cones_xy, np.zeros(len(cones_xy))]
    order = np.argsort(-camera.depth(base))
    for i in order:
        b = base[i]
        uv = camera.project(np.stack([b, b + np.array([0.0, 0.0, 0.3])]))
        if not np.all(np.isfinite(uv)):
            continue
        half = 0.11 * float(camera.scale_px_per_m(b))
        tri = np.array([[uv[0, 0] - half, uv[0, 1]], [uv[0, 0] + half, uv[0, 1]], uv[1]])
        cv2.fillPoly(img, [np.rint(tri * _ONE).astype(np.int32)], orange, cv2.LINE_AA, _SHIFT)
