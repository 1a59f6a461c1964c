"""A fixed sideline pinhole camera for the synthetic video.

World frame = footcoach's pitch frame (x along the length, y across, origin at a corner, metres)
with z up. Camera frame follows OpenCV: x right, y down, z forward (depth). The ground-plane
homography ``H = K [r1 r2 t]`` (pitch metres -> pixels) is what a session manifest stores as its
:class:`~footcoach.domain.CameraCalibration`; the full 3x4 projection is kept here so upright
figures and a ball in the air can be drawn.
"""

from __future__ import annotations

import numpy as np

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.pitch import Pitch

_UP = np.array([0.0, 0.0, 1.0])


class SidelineCamera:
    """Pinhole camera with square pixels and the principal point at the image centre.

    Args:
        rotation: (3, 3) world -> camera rotation (rows: camera right, down, forward axes).
        position: (3,) camera centre in world metres.
        focal_px: focal length in pixels.
        size: (width, height) of the image in pixels.
    """

    def __init__(self, rotation: np.ndarray, position: np.ndarray, focal_px: float,
                 size: tuple[int, int]) -> None:
        self.position = np.asarray(position, dtype=np.float64).reshape(3)
        self.focal_px = float(focal_px)
        self.size = (int(size[0]), int(size[1]))
        if not self.focal_px > 0:
            raise ValueError("the focal length must be positive")
        #: (3, 3) world -> camera rotation (rows: camera x, y, z axes in world coordinates).
        self.R = np.asarray(rotation, dtype=np.float64).reshape(3, 3)
        #: (3,) world -> camera translation.
        self.t = -self.R @ self.position
        w, h = self.size
        #: (3, 3) intrinsics.
        self.K = np.array([[self.focal_px, 0.0, (w - 1) / 2.0],
                           [0.0, self.focal_px, (h - 1) / 2.0],
                           [0.0, 0.0, 1.0]])
        #: (3, 4) world -> homogeneous pixels.
        self.P = self.K @ np.c_[self.R, self.t]

    @classmethod
    def looking_at(cls, position: np.ndarray, look_at: np.ndarray, focal_px: float,
                   size: tuple[int, int]) -> SidelineCamera:
        """A level camera (no roll) at ``position`` whose optical axis passes ``look_at``."""
        position = np.asarray(position, dtype=np.float64).reshape(3)
        forward = np.asarray(look_at, dtype=np.float64).reshape(3) - position
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, _UP)
        if np.linalg.norm(right) < 1e-9:
            raise ValueError("the camera must not look straight up or down")
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return cls(np.stack([right, down, forward]), position, focal_px, size)

    @classmethod
    def from_calibration(cls, calibration: CameraCalibration) -> SidelineCamera:
        """Recover the 3D camera from a ground-plane homography, assuming square pixels and the
        principal point at the image centre (true of every camera made here)."""
        w, h = calibration.image_size
        hm = np.asarray(calibration.homography, dtype=np.float64)
        c = hm.copy()
        c[0] -= (w - 1) / 2.0 * hm[2]
        c[1] -= (h - 1) / 2.0 * hm[2]
        a, b = c[:, 0], c[:, 1]
        denom = a[2] * b[2]
        f2 = -(a[0] * b[0] + a[1] * b[1]) / denom if abs(denom) > 1e-15 else np.nan
        if not np.isfinite(f2) or f2 <= 0:  # orthogonality degenerate: use equal norms
            num = (a[0] ** 2 + a[1] ** 2) - (b[0] ** 2 + b[1] ** 2)
            den = b[2] ** 2 - a[2] ** 2
            f2 = num / den if abs(den) > 1e-15 else np.nan
        if not np.isfinite(f2) or f2 <= 0:
            raise ValueError("this homography does not come from a centred pinhole camera")
        f = float(np.sqrt(f2))
        kinv = np.diag([1.0 / f, 1.0 / f, 1.0])
        r1, r2, tt = kinv @ a, kinv @ b, kinv @ c[:, 2]
        lam = 2.0 / (np.linalg.norm(r1) + np.linalg.norm(r2))
        if tt[2] * lam < 0:  # the pitch origin must lie in front of the camera
            lam = -lam
        r1, r2, tt = r1 * lam, r2 * lam, tt * lam
        rot = np.c_[r1, r2, np.cross(r1, r2)]
        u, _, vt = np.linalg.svd(rot)  # nearest rotation
        rot = u @ vt
        return cls(rot, -rot.T @ tt, f, (w, h))

    @property
    def homography(self) -> np.ndarray:
        """(3, 3) ground plane (z = 0) pitch metres -> pixels."""
        h = self.P[:, [0, 1, 3]]
        return h / h[2, 2]

    def calibration(self) -> CameraCalibration:
        """The ground-plane calibration a session manifest stores."""
        return CameraCalibration(self.homography, self.size)

    def depth(self, points_xyz: np.ndarray) -> np.ndarray:
        """(..., 3) world metres -> (...,) distance along the optical axis, metres."""
        p = np.asarray(points_xyz, dtype=np.float64)
        return (p - self.position) @ self.R[2]

    def project(self, points_xyz: np.ndarray) -> np.ndarray:
        """(..., 3) world metres -> (..., 2) pixels (u right, v down); NaN behind the camera."""
        p = np.asarray(points_xyz, dtype=np.float64)
        hom = p @ self.P[:, :3].T + self.P[:, 3]
        w = hom[..., 2:3]
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = hom[..., :2] / w
        return np.where(w > 1e-6, uv, np.nan)

    def pixel_rays(self) -> np.ndarray:
        """(H, W, 3) world-frame direction (not normalised) of the ray through each pixel."""
        w, h = self.size
        u, v = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
        cam = np.stack([(u - self.K[0, 2]) / self.focal_px, (v - self.K[1, 2]) / self.focal_px,
                        np.ones_like(u)], axis=-1)
        return cam @ self.R  # rows of R are the camera axes: world = R^T cam

    def scale_px_per_m(self, points_xyz: np.ndarray) -> np.ndarray:
        """(..., 3) -> (...,) pixels per metre of an object facing the camera at each point."""
        d = self.depth(points_xyz)
        return np.where(d > 1e-6, self.focal_px / np.maximum(d, 1e-6), np.nan)


def default_camera(pitch: Pitch, size: tuple[int, int] = (960, 540), *,
                   back_m: float | None = None, height_m: float | None = None,
                   margin_m: float = 2.0, border_frac: float = 0.04,
                   band_centre: float = 0.6) -> SidelineCamera:
    """A camera on the halfway line behind the ``y = 0`` touchline that sees the whole pitch.

    ``back_m`` (distance behind the touchline) defaults to ``clip(0.4 * length, 10, 45)`` and
    ``height_m`` to ``clip(0.6 * back, 6, 25)``: 16 m back / 9.6 m up for a 40 m training area,
    42 m / 25 m (a gantry) for a full 105 m pitch. Whatever the distance, a 960 px wide image
    that holds the whole length gives at most about ``0.8 * 960 / length`` px per metre at the
    near touchline (7.9 px/m for 105 m, 18 px/m for 40 m). The camera is tilted so that the
    pitch (grown by ``margin_m`` on every side, with 2.5 m tall figures on the far side) has the
    middle of its band at ``band_centre`` of the image height (0.6: a little below the middle,
    sky above), and the focal length is the largest that keeps it inside the image with
    ``border_frac`` of the image size to spare.
    """
    length, width = float(pitch.length_m), float(pitch.width_m)
    back = float(np.clip(0.4 * length, 10.0, 45.0)) if back_m is None else float(back_m)
    height = float(np.clip(0.6 * back, 6.0, 25.0)) if height_m is None else float(height_m)
    if back <= 0 or height <= 0:
        raise ValueError("the camera must stand behind the touchline and above the ground")
    pos = np.array([length / 2.0, -back, height])
    m = margin_m
    ground = np.array([[-m, -m, 0], [length + m, -m, 0], [length + m, width + m, 0],
                       [-m, width + m, 0], [length / 2, -m, 0]], dtype=np.float64)
    tops = ground[2:4] + np.array([0.0, 0.0, 2.5])
    pts = np.vstack([ground, tops])

    w, h = size
    target = float(np.clip(band_centre, 0.3, 0.7)) * (h - 1)

    def layout(aim_y: float) -> tuple[float, float]:
        """Focal length that fits the points, and the pixel row of the middle of their band."""
        cam = SidelineCamera.looking_at(pos, np.array([length / 2, aim_y, 0.0]), 1.0, (1, 1))
        c = (pts - pos) @ cam.R.T
        n = c[:, :2] / c[:, 2:3]
        half_band = 0.5 * (n[:, 1].max() - n[:, 1].min())
        room = min((1 - border_frac) * (h - 1) - target, target - border_frac * (h - 1))
        f = min((w / 2) * (1 - 2 * border_frac) / np.abs(n[:, 0]).max(), room / half_band)
        return f, (h - 1) / 2 + f * 0.5 * (n[:, 1].min() + n[:, 1].max())

    lo, hi = -m, width + 4 * m + 2 * back  # aim point on the ground, bisected
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if layout(mid)[1] > target:  # the band is too low in the image: aim nearer (tilt down)
            hi = mid
        else:
            lo = mid
    aim = 0.5 * (lo + hi)
    focal = layout(aim)[0]
    return SidelineCamera.looking_at(pos, np.array([length / 2, aim, 0.0]), focal, size)
