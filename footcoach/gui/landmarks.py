"""Pitch landmarks a coach can recognise in a camera frame, and pitch lines seen through a camera
homography (for the calibration dialog). No Qt here.

Coordinates are the pitch frame in metres: origin at a corner, x along the length (0..length),
y across (0..width). Regulation distances (penalty area 16.5 x 40.32 m, goal area 5.5 x 18.32 m,
penalty spot 11 m, centre circle 9.15 m) are scaled down in proportion on pitches smaller than
105 x 68 m, as :func:`footcoach.gui.pitch_map.pitch_lines` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.pitch import Pitch
from footcoach.gui.pitch_map import pitch_lines

FULL_PITCH_MIN = (90.0, 45.0)
"""A pitch at least this long and wide (metres) has full-pitch markings (the laws' minimum);
smaller ones are training areas marked only by their outline."""


@dataclass(frozen=True)
class Landmark:
    """A named point of the pitch (metres)."""

    name: str
    x: float
    y: float

    @property
    def label(self) -> str:
        return f"{self.name} ({self.x:g}, {self.y:g})"


def is_full_pitch(pitch: Pitch) -> bool:
    return pitch.length_m >= FULL_PITCH_MIN[0] and pitch.width_m >= FULL_PITCH_MIN[1]


def pitch_landmarks(pitch: Pitch) -> list[Landmark]:
    """Landmarks of ``pitch``: corners, halfway line ends, centre spot and circle, penalty spots,
    penalty and goal area corners for a full pitch; corners, side midpoints and the centre for
    a training area. Names say which end: "x=0" is the goal line at x = 0."""
    length, width = pitch.length_m, pitch.width_m
    cy, mid = width / 2, length / 2
    marks = [Landmark("corner x=0 y=0", 0.0, 0.0),
             Landmark(f"corner x={length:g} y=0", length, 0.0),
             Landmark(f"corner x={length:g} y={width:g}", length, width),
             Landmark(f"corner x=0 y={width:g}", 0.0, width)]
    if not is_full_pitch(pitch):
        return [*marks,
                Landmark("middle of side y=0", mid, 0.0),
                Landmark(f"middle of side y={width:g}", mid, width),
                Landmark("middle of end x=0", 0.0, cy),
                Landmark(f"middle of end x={length:g}", length, cy),
                Landmark("centre", mid, cy)]
    k = min(1.0, length / 105.0, width / 68.0)
    marks += [Landmark("halfway line, touchline y=0", mid, 0.0),
              Landmark(f"halfway line, touchline y={width:g}", mid, width),
              Landmark("centre spot", mid, cy),
              Landmark("centre circle on halfway line, low y", mid, cy - 9.15 * k),
              Landmark("centre circle on halfway line, high y", mid, cy + 9.15 * k)]
    for end, sign, tag in ((0.0, 1.0, "x=0"), (length, -1.0, f"x={length:g}")):
        marks.append(Landmark(f"penalty spot {tag}", end + sign * 11.0 * k, cy))
        for area, depth, half in (("penalty area", 16.5, 20.16), ("goal area", 5.5, 9.16)):
            for side, y in (("low y", cy - half * k), ("high y", cy + half * k)):
                marks.append(Landmark(f"{area} {tag}, goal line, {side}", end, y))
                marks.append(Landmark(f"{area} {tag}, front corner, {side}",
                                      end + sign * depth * k, y))
    return marks


def outline_lines(pitch: Pitch) -> tuple[np.ndarray, np.ndarray]:
    """A training area's outline plus its halfway line: ``(x, y)`` with NaN breaks (metres)."""
    length, width = pitch.length_m, pitch.width_m
    x = np.array([0, length, length, 0, 0, np.nan, length / 2, length / 2])
    y = np.array([0, 0, width, width, 0, np.nan, 0, width])
    return x.astype(float), y.astype(float)


def _densify(x: np.ndarray, y: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Add points every ``step_m`` metres along straight segments (NaN breaks kept), so that
    lines crossing the camera's horizon are cut where they leave the image plane."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for i in range(len(x) - 1):
        a, b = np.array([x[i], y[i]]), np.array([x[i + 1], y[i + 1]])
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            xs.append(np.array([x[i]]))
            ys.append(np.array([y[i]]))
            continue
        n = max(int(np.ceil(np.hypot(*(b - a)) / step_m)), 1)
        s = np.arange(n) / n
        xs.append(a[0] + s * (b[0] - a[0]))
        ys.append(a[1] + s * (b[1] - a[1]))
    xs.append(np.array([x[-1]]))
    ys.append(np.array([y[-1]]))
    return np.concatenate(xs), np.concatenate(ys)


def projected_lines(pitch: Pitch, calibration: CameraCalibration,
                    step_m: float = 1.0) -> np.ndarray:
    """(N, 2) image pixels of the pitch markings seen through ``calibration``; NaN rows break
    the polyline (also where a line passes behind the camera)."""
    x, y = pitch_lines(pitch) if is_full_pitch(pitch) else outline_lines(pitch)
    x, y = _densify(x, y, step_m)
    uv = np.full((x.size, 2), np.nan)
    ok = np.isfinite(x) & np.isfinite(y)
    uv[ok] = calibration.pitch_to_image(np.c_[x[ok], y[ok]])
    return uv


def reprojection_errors(calibration: CameraCalibration, pitch_xy: np.ndarray,
                        image_uv: np.ndarray) -> np.ndarray:
    """(N,) pixel distance between each clicked point ``image_uv`` (N, 2) and where
    ``calibration`` puts its pitch point ``pitch_xy`` (N, 2)."""
    uv = calibration.pitch_to_image(np.asarray(pitch_xy, dtype=np.float64))
    return np.hypot(*(uv - np.asarray(image_uv, dtype=np.float64)).T)


def three_collinear(points: np.ndarray, tol: float = 0.01) -> bool:
    """Whether any three of ``points`` (N, 2) lie on one line: the sine of the angle at one
    of them below ``tol`` (four such points do not fix a homography)."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    n = len(p)
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                a, b = p[j] - p[i], p[k] - p[i]
                norm = np.hypot(*a) * np.hypot(*b)
                if norm == 0 or abs(a[0] * b[1] - a[1] * b[0]) / norm < tol:
                    return True
    return False
