"""Decoded 8-bit 4:2:0 pictures as planes, and their colour conversion.

Most camera and phone footage is H.264/HEVC in 8-bit YUV 4:2:0 (``yuv420p``, or ``yuvj420p``
for full-range phone video). Converting a whole picture to RGB took 0.31 s next to 1.03 s of
decoding for 960 pictures of a 960x540 stream (2 cores), and grows with the picture size, while
the analysis needs only small player crops: :mod:`footcoach.io.video_crops` cuts them from the
planes and converts just those pixels with :func:`rgb_matrix`.

The conversion follows the stream's flags as FFmpeg's own RGB conversion does: BT.709
coefficients when the stream says BT.709, BT.601 otherwise (also when unspecified); full range
(0-255) for ``yuvj420p`` or a JPEG range flag, limited range (Y 16-235, chroma 16-240)
otherwise. Other pixel formats (10-bit, 4:2:2, 4:4:4, BT.2020) give no picture here and go
through the RGB path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import av
import numpy as np

#: FFmpeg's AVColorSpace values handled: BT.709; BT.470BG, SMPTE 170M (BT.601); unspecified.
_BT709 = 1
_BT601 = (5, 6)
_UNSPECIFIED = 2
_JPEG_RANGE = 2
_KR_KB = {False: (0.299, 0.114), True: (0.2126, 0.0722)}  # BT.601, BT.709


@dataclass(frozen=True)
class Yuv420Picture:
    """One decoded 4:2:0 picture. ``y`` (H, W), ``u`` and ``v`` (ceil(H/2), ceil(W/2)) uint8
    views of the decoder's planes (no copy: read them, never write); chroma sample ``(j, i)``
    sits at luma position ``(x = 2i, y = 2j + 0.5)`` (MPEG-2/H.264 default siting)."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    bt709: bool
    full_range: bool

    @property
    def black(self) -> tuple[int, int, int]:
        """The (Y, U, V) code of RGB black."""
        return (0 if self.full_range else 16, 128, 128)

    def rgb_matrix(self) -> np.ndarray:
        """(3, 4) float64 affine map from (Y, U, V) codes to (R, G, B) in 0-255."""
        return rgb_matrix(bt709=self.bt709, full_range=self.full_range)


@lru_cache(maxsize=4)
def rgb_matrix(*, bt709: bool, full_range: bool) -> np.ndarray:
    """(3, 4) float64 ``M`` with ``rgb = M[:, :3] @ (Y, U, V) + M[:, 3]`` (values 0-255).
    Cached: the same read-only array for the same arguments (it is computed per picture)."""
    kr, kb = _KR_KB[bt709]
    kg = 1.0 - kr - kb
    ys, cs = (1.0, 1.0) if full_range else (255.0 / 219.0, 255.0 / 224.0)
    y0 = 0.0 if full_range else 16.0
    coef = np.array([[ys, 0.0, 2.0 * (1.0 - kr) * cs],
                     [ys, -2.0 * kb * (1.0 - kb) / kg * cs, -2.0 * kr * (1.0 - kr) / kg * cs],
                     [ys, 2.0 * (1.0 - kb) * cs, 0.0]])
    offset = -coef @ np.array([y0, 128.0, 128.0])
    matrix = np.c_[coef, offset]
    matrix.setflags(write=False)
    return matrix


def _plane(frame: av.VideoFrame, k: int) -> np.ndarray:
    plane = frame.planes[k]
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, :plane.width]


def yuv420_picture(frame: av.VideoFrame) -> Yuv420Picture | None:
    """The planes of a decoded frame, or None when its format or colour space is not one
    handled here (the caller then converts the frame to RGB instead)."""
    name = frame.format.name
    if name not in ("yuv420p", "yuvj420p"):
        return None
    space = int(frame.colorspace)
    if space != _BT709 and space != _UNSPECIFIED and space not in _BT601:
        return None
    full = name == "yuvj420p" or int(frame.color_range) == _JPEG_RANGE
    return Yuv420Picture(_plane(frame, 0), _plane(frame, 1), _plane(frame, 2),
                         bt709=space == _BT709, full_range=full)
