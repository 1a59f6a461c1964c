"""Camera calibration: a planar homography from pitch metres to image pixels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class CameraCalibration:
    """Maps pitch coordinates (x along the length, y across, metres, origin at a corner) to
    image pixels (u right, v down) of the session video.

    Attributes:
        homography: (3, 3) float64, ``[u, v, 1]^T ~ H @ [x, y, 1]^T``.
        image_size: (width, height) in pixels of the frames it applies to.
    """

    homography: np.ndarray
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        h = np.asarray(self.homography, dtype=np.float64)
        if h.shape != (3, 3) or not np.all(np.isfinite(h)) or abs(np.linalg.det(h)) < 1e-12:
            raise ValueError("a camera homography must be a finite, invertible 3x3 matrix")
        self.homography = h / h[2, 2] if h[2, 2] != 0 else h
        self.image_size = (int(self.image_size[0]), int(self.image_size[1]))

    def pitch_to_image(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) pitch metres -> (N, 2) pixels. Points behind the camera come out NaN."""
        return _apply(self.homography, xy)

    def image_to_pitch(self, uv: np.ndarray) -> np.ndarray:
        """(N, 2) pixels -> (N, 2) pitch metres (on the ground plane)."""
        return _apply(np.linalg.inv(self.homography), uv)

    @classmethod
    def from_correspondences(cls, pitch_xy: np.ndarray, image_uv: np.ndarray,
                             image_size: tuple[int, int]) -> CameraCalibration:
        """Least-squares homography (DLT) from 4 or more pitch <-> image point pairs."""
        return cls(fit_homography(pitch_xy, image_uv), image_size)


def _apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    hom = np.c_[pts, np.ones(len(pts))] @ h.T
    w = hom[:, 2:3]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = hom[:, :2] / w
    out[(w[:, 0] <= 0)] = np.nan
    return out


def fit_homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Normalised direct linear transform; ``dst ~ H src``. Needs >= 4 non-collinear pairs."""
    src = np.asarray(src, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(dst, dtype=np.float64).reshape(-1, 2)
    if len(src) < 4 or len(src) != len(dst):
        raise ValueError("a homography needs at least 4 point pairs")

    def normaliser(p: np.ndarray) -> np.ndarray:
        c = p.mean(axis=0)
        s = np.sqrt(2) / max(np.mean(np.linalg.norm(p - c, axis=1)), 1e-12)
        return np.array([[s, 0, -s * c[0]], [0, s, -s * c[1]], [0, 0, 1]])

    ts, td = normaliser(src), normaliser(dst)
    a = _apply(ts, src)
    b = _apply(td, dst)
    rows = []
    for (x, y), (u, v) in zip(a, b, strict=True):
        rows.append([-x, -y, -1, 0, 0, 0, u * x, u * y, u])
        rows.append([0, 0, 0, -x, -y, -1, v * x, v * y, v])
    _, sv, vt = np.linalg.svd(np.asarray(rows))
    # 8 singular values must be clearly non-zero (the 9th is the solution's): with exactly 4
    # points the 8th is the last one, and it vanishes when three of them are collinear
    if sv[7] < 1e-8 * sv[0] or _has_collinear_triple(src) or _has_collinear_triple(dst):
        raise ValueError("the calibration points are degenerate (collinear or repeated)")
    hn = vt[-1].reshape(3, 3)
    h = np.linalg.inv(td) @ hn @ ts
    return h / h[2, 2]


def _has_collinear_triple(p: np.ndarray, tol: float = 1e-6) -> bool:
    """True when the 4 points of a minimal set include 3 on one line (scale-relative test)."""
    if len(p) != 4:
        return False
    scale = max(float(np.ptp(p, axis=0).max()), 1e-12)
    q = (p - p.mean(axis=0)) / scale
    for i in range(4):
        a, b, c = (q[j] for j in range(4) if j != i)
        if abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) < tol:
            return True
    return False
