"""Player-centred crops from the session video, through the camera calibration.

For a player standing at pitch position ``(x, y)`` (metres) the foot point is projected into the
image with the calibration's homography and the image of a 1.8 m upright body is estimated (see
:func:`crop_boxes`: the pinhole camera recovered from the homography, or, where that model does
not fit, the homography's local Jacobian scale); the crop is a square of ``crop_scale`` times
that body height, centred on the middle of the body, resized to ``crop_px`` x ``crop_px``.
Parts outside the image are black. Without a calibration the whole frame is resized instead
(the same picture for every player).

The video is decoded once, in order (:func:`iter_crops`): every wanted frame is decoded a single
time and all players' crops are cut from it, so the cost is one pass over the file whatever the
number of players. 8-bit 4:2:0 video (nearly all camera footage) is never converted to RGB as a
whole: :func:`cut_crops_yuv420` samples the crops from the decoder's planes and converts only
their pixels; other formats go through the RGB frame and :func:`cut_crop`. With ``workers``
greater than one the crops of successive frames are cut in that many threads while the next
frames are decoded (OpenCV releases the interpreter lock); on a 16-core GPU machine that gained
nothing over cutting them in the decoding thread (README, "Benchmarks"), so the analysis uses one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import cv2
import numpy as np

from footcoach.domain.calibration import CameraCalibration
from footcoach.errors import FootcoachError
from footcoach.io.video import VideoReader
from footcoach.io.yuv import Yuv420Picture

PERSON_HEIGHT_M = 1.8
CROP_SCALE = 1.6
"""Crop side / projected height of a 1.8 m person (room for GPS error and arm/leg swing)."""
MIN_SIDE_PX = 8.0
_R = TypeVar("_R")


def scaled_calibration(cal: CameraCalibration, width: int, height: int) -> CameraCalibration:
    """The calibration for frames of ``width`` x ``height`` pixels (the homography rescaled
    when the calibration was made for another size of the same picture)."""
    cw, ch = cal.image_size
    if (cw, ch) == (width, height):
        return cal
    s = np.diag([width / cw, height / ch, 1.0])
    return CameraCalibration(s @ cal.homography, (width, height))


def _upright_projection(cal: CameraCalibration) -> np.ndarray | None:
    """(3, 4) world (pitch metres, z up) -> pixels projection recovered from the ground
    homography, assuming square pixels, no skew and the principal point at the image centre
    (``H ~ K [r1 r2 t]``, ``r3 = r1 x r2``); None when the homography does not fit that model."""
    w, h = cal.image_size
    hm = cal.homography
    c = hm.copy()
    c[0] -= (w - 1) / 2.0 * hm[2]
    c[1] -= (h - 1) / 2.0 * hm[2]
    a, b = c[:, 0], c[:, 1]
    f2 = -(a[0] * b[0] + a[1] * b[1]) / (a[2] * b[2]) if abs(a[2] * b[2]) > 1e-15 else -1.0
    if not (np.isfinite(f2) and f2 > 0):  # r1 . r2 = 0 degenerate: use |r1| = |r2|
        den = b[2] ** 2 - a[2] ** 2
        f2 = ((a[0] ** 2 + a[1] ** 2) - (b[0] ** 2 + b[1] ** 2)) / den if abs(den) > 1e-15 \
            else -1.0
    if not (np.isfinite(f2) and f2 > 0):
        return None
    f = float(np.sqrt(f2))
    k = np.array([[f, 0.0, (w - 1) / 2.0], [0.0, f, (h - 1) / 2.0], [0.0, 0.0, 1.0]])
    kinv = np.diag([1.0 / f, 1.0 / f, 1.0])  # c already has the principal point removed
    r1, r2, t = kinv @ a, kinv @ b, kinv @ c[:, 2]
    lam = 2.0 / (np.linalg.norm(r1) + np.linalg.norm(r2))
    if t[2] * lam < 0:  # the scene lies in front of the camera
        lam = -lam
    r1, r2, t = r1 * lam, r2 * lam, t * lam
    r3 = np.cross(r1, r2)
    if np.linalg.norm(r3) < 1e-9:
        return None
    return k @ np.c_[r1, r2, r3, t]


def _jacobian_scale(cal: CameraCalibration, xy: np.ndarray) -> np.ndarray:
    """(N,) larger singular value of the homography's Jacobian at each point: pixels per metre
    of the least foreshortened ground direction (NaN behind the camera)."""
    h = cal.homography
    hom = np.c_[xy, np.ones(len(xy))] @ h.T
    w = hom[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        u, v = hom[:, 0] / w, hom[:, 1] / w
        j = np.empty((len(xy), 2, 2))
        for c in range(2):
            j[:, 0, c] = (h[0, c] - u * h[2, c]) / w
            j[:, 1, c] = (h[1, c] - v * h[2, c]) / w
    out = np.full(len(xy), np.nan)
    ok = np.isfinite(j).all(axis=(1, 2)) & (w > 0)
    if ok.any():
        out[ok] = np.linalg.svd(j[ok], compute_uv=False)[:, 0]
    return out


def crop_boxes(cal: CameraCalibration, xy: np.ndarray, *, crop_scale: float = CROP_SCALE,
               height_m: float = PERSON_HEIGHT_M) -> np.ndarray:
    """(N, 3) float64 crop boxes ``(centre_u, centre_v, side)`` in pixels for (N, 2) pitch
    positions; NaN rows where the position is unknown or the point is behind the camera.

    The foot point is projected with the homography. The body's image (foot to the head
    ``height_m`` above it) comes from the camera recovered from the homography
    (:func:`_upright_projection`); when the homography does not fit a centred pinhole camera
    the height is the local Jacobian scale times ``height_m``, drawn straight up the image.
    The box is centred on the middle of the body.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    out = np.full((len(xy), 3), np.nan)
    foot = cal.pitch_to_image(xy)
    ok = np.isfinite(foot).all(axis=1)
    if not ok.any():
        return out
    proj = _upright_projection(cal)
    if proj is not None:
        head_h = np.c_[xy[ok], np.full(int(ok.sum()), height_m), np.ones(int(ok.sum()))] @ proj.T
        with np.errstate(divide="ignore", invalid="ignore"):
            head = head_h[:, :2] / head_h[:, 2:3]
        head[head_h[:, 2] <= 0] = np.nan
        body = np.linalg.norm(head - foot[ok], axis=1)
        centre = (head + foot[ok]) / 2.0
    else:
        body = height_m * _jacobian_scale(cal, xy[ok])
        centre = foot[ok] - np.c_[np.zeros(body.size), 0.5 * body]
    out[ok, 0:2] = centre
    out[ok, 2] = np.maximum(crop_scale * body, MIN_SIDE_PX)
    out[~np.isfinite(out).all(axis=1)] = np.nan
    return out


def cut_crop(frame: np.ndarray, box: np.ndarray, size: int) -> np.ndarray:
    """(size, size, 3) uint8 crop of the (H, W, 3) frame for one box ``(cu, cv, side)``; parts
    outside the frame are black."""
    hgt, wid = frame.shape[:2]
    cu, cv, side = (float(b) for b in box)
    x0 = int(np.floor(cu - side / 2.0))
    y0 = int(np.floor(cv - side / 2.0))
    s = max(1, round(side))
    x1, y1 = x0 + s, y0 + s
    if x0 >= 0 and y0 >= 0 and x1 <= wid and y1 <= hgt:  # inside: resize a view, no copy
        patch = frame[y0:y1, x0:x1]
    else:
        patch = np.zeros((s, s, 3), np.uint8)
        sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, wid), min(y1, hgt)
        if sx1 > sx0 and sy1 > sy0:
            patch[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = frame[sy0:sy1, sx0:sx1]
    interp = cv2.INTER_AREA if s > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interp)


MAX_PYRAMID_LEVEL = 5


def _pyramid(plane: np.ndarray, levels: int) -> list[np.ndarray]:
    """``[plane, pyrDown(plane), ...]``: ``levels + 1`` Gaussian-reduced copies (each half the
    size; pixel ``i`` of a level is centred on pixel ``2 i`` of the level below)."""
    out = [plane]
    for _ in range(levels):
        if min(out[-1].shape) < 2:
            break
        out.append(cv2.pyrDown(out[-1]))
    return out


def cut_crops_yuv420(pic: Yuv420Picture, boxes: np.ndarray, size: int) -> np.ndarray:
    """(n, size, size, 3) uint8 RGB crops of a 4:2:0 picture for (n, 3) finite boxes
    ``(cu, cv, side)`` in pixels (the box covers ``cu - side/2 .. cu + side/2``, as
    :func:`cut_crop`); parts outside the picture are black.

    Each crop samples its box at ``size`` x ``size`` evenly spaced points, bilinearly, in all
    three planes (chroma at its own siting, :class:`~footcoach.io.yuv.Yuv420Picture`), and
    only those samples are converted to RGB. A box of ``side >= 2 * size`` is sampled from a
    Gaussian-reduced copy of the planes (``cv2.pyrDown``, one halving per doubling of
    ``side / size``) so that large boxes are averaged, not aliased.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 3)
    n = len(boxes)
    out = np.empty((n, size, size, 3), np.uint8)
    if n == 0:
        return out
    if not np.isfinite(boxes).all():
        raise ValueError("boxes must be finite")
    ratio = np.maximum(boxes[:, 2] / size, 1.0)
    level = np.minimum(np.floor(np.log2(ratio)).astype(int), MAX_PYRAMID_LEVEL)
    top = int(level.max())
    planes = [_pyramid(pic.y, top), _pyramid(pic.u, top), _pyramid(pic.v, top)]
    level = np.minimum(level, min(len(p) for p in planes) - 1)
    black = pic.black
    matrix = pic.rgb_matrix()
    half = (size + 1) // 2
    for lv in np.unique(level):
        idx = np.flatnonzero(level == lv)
        b = boxes[idx].astype(np.float32)
        k = idx.size
        scale = np.float32(2.0 ** -int(lv))  # pyrDown keeps pixel 2i's centre at pixel i
        x0, y0, side = b[:, 0] - b[:, 2] / 2.0, b[:, 1] - b[:, 2] / 2.0, b[:, 2]

        def points(n_out: int, x0: np.ndarray = x0, side: np.ndarray = side) -> np.ndarray:
            """(k, n_out) evenly spaced sample points across each box, in continuous
            full-resolution coordinates (pixel i covers i .. i + 1)."""
            g = (np.arange(n_out, dtype=np.float32) + 0.5) / n_out
            return x0[:, None] + g[None] * side[:, None]

        # luma: size x size samples as pixel indices of this level
        luma = np.empty((2, k, size, size), np.float32)  # (x, y) maps
        luma[0] = ((points(size) - 0.5) * scale)[:, None, :]
        luma[1] = ((points(size, y0) - 0.5) * scale)[:, :, None]
        # chroma: half x half samples (2x2 output pixels each); chroma sample (j, i) is
        # centred on luma (2i + 0.5, 2j + 1) in continuous coordinates
        chroma = np.empty((2, k, half, half), np.float32)
        chroma[0] = ((points(half) - 0.5) / 2.0 * scale)[:, None, :]
        chroma[1] = ((points(half, y0) - 1.0) / 2.0 * scale)[:, :, None]
        lx, ly = luma.reshape(2, k * size, size)
        cx, cy = chroma.reshape(2, k * half, half)
        y = cv2.remap(planes[0][lv], lx, ly, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=black[0])
        uv = [cv2.resize(cv2.remap(planes[c][lv], cx, cy, cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=black[c]),
                         (2 * half, 2 * k * half), interpolation=cv2.INTER_NEAREST)
              for c in (1, 2)]
        if half * 2 != size:  # odd crop size: drop each crop's last row and column of chroma
            uv = [c.reshape(k, 2 * half, 2 * half)[:, :size, :size].reshape(k * size, size)
                  for c in uv]
        rgb = cv2.transform(cv2.merge([y, *uv]), matrix).reshape(k, size, size, 3)
        if k == n:
            return rgb
        out[idx] = rgb
    return out


def nearest_frames(frame_times: np.ndarray, targets: np.ndarray, start_s: float
                   ) -> np.ndarray:
    """(T,) index of the frame nearest to each session time in ``targets`` (-1 outside the
    video). ``frame_times``: the reader's frame times (first frame at 0); ``start_s``: the
    video's first frame on the session clock."""
    targets = np.asarray(targets, np.float64).reshape(-1) - start_s
    n = len(frame_times)
    if n == 0:
        return np.full(targets.size, -1, np.int64)
    j = np.clip(np.searchsorted(frame_times, targets), 1, max(n - 1, 1))
    prev = j - 1
    pick = np.where(np.abs(frame_times[prev] - targets) <= np.abs(frame_times[j] - targets),
                    prev, j) if n > 1 else np.zeros(targets.size, np.int64)
    dt = float(np.median(np.diff(frame_times))) if n > 1 else 1.0
    outside = (targets < -0.5 * dt) | (targets > frame_times[-1] + 0.5 * dt) | ~np.isfinite(
        targets)
    return np.where(outside, -1, pick).astype(np.int64)


def iter_crops(reader: VideoReader, targets: np.ndarray, xy: np.ndarray,
               calibration: CameraCalibration | None, *, start_s: float = 0.0,
               crop_px: int = 64, crop_scale: float = CROP_SCALE,
               cancel: Callable[[], bool] | None = None, workers: int = 1
               ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Crops of every player at sorted session times, decoding each needed frame once.

    Args:
        reader: the open session video.
        targets: (T,) non-decreasing session times (s) of the wanted crops.
        xy: (T, P, 2) pitch positions (m) of the P players at those times (NaN unknown).
        calibration: pitch -> image homography, or None (whole frame resized).
        start_s: session time of the video's first frame.
        cancel: polled once per decoded frame; True raises FootcoachError("cancelled").
        workers: threads that cut the crops while this thread decodes the next frames (1:
            cut here, between decodes). The result is the same for any number.

    Yields ``(target indices (k,), crops (k, P, crop_px, crop_px, 3) uint8, valid (k, P)
    bool)`` once per decoded frame, for the targets that frame serves, in order. A crop is
    valid when the frame exists and the player's crop centre lies inside the image. Targets
    outside the video come in one last batch, all invalid.
    """
    targets = np.asarray(targets, np.float64).reshape(-1)
    xy = np.asarray(xy, np.float64)
    if xy.shape[:1] != targets.shape or xy.ndim != 3 or xy.shape[2] != 2:
        raise ValueError(f"xy must be (T, P, 2) for T={targets.size} targets, got {xy.shape}")
    if np.any(np.diff(targets) < 0):
        raise ValueError("targets must be sorted")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    n_players = xy.shape[1]
    frames = nearest_frames(reader.frame_times, targets, start_s)
    cal = (scaled_calibration(calibration, reader.width, reader.height)
           if calibration is not None else None)
    boxes = visible = None
    if cal is not None:  # every box at once (the camera model is recovered once per call)
        boxes = crop_boxes(cal, xy.reshape(-1, 2), crop_scale=crop_scale).reshape(
            targets.size, n_players, 3)
        cu, cv, side = boxes[..., 0], boxes[..., 1], boxes[..., 2]
        with np.errstate(invalid="ignore"):
            visible = (np.isfinite(side) & (cu >= 0) & (cu < reader.width) & (cv >= 0)
                       & (cv < reader.height))

    def decoded(index: int) -> Yuv420Picture | np.ndarray:
        """Frame ``index`` as 4:2:0 planes, else as RGB (decoded in this thread)."""
        pic = reader.picture_yuv420(index) if cal is not None else None
        return pic if pic is not None else reader.frame(index)

    def cut(group: np.ndarray, picture: Yuv420Picture | np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        crops = np.zeros((group.size, n_players, crop_px, crop_px, 3), np.uint8)
        valid = np.zeros((group.size, n_players), bool)
        if boxes is None or visible is None:
            assert isinstance(picture, np.ndarray)
            crops[:] = cv2.resize(picture, (crop_px, crop_px), interpolation=cv2.INTER_AREA)
            valid[:] = True
        elif isinstance(picture, Yuv420Picture):
            valid[:] = visible[group]
            crops[valid] = cut_crops_yuv420(picture, boxes[group][valid], crop_px)
        else:
            valid[:] = visible[group]
            for a, p in zip(*np.nonzero(valid), strict=True):
                crops[a, p] = cut_crop(picture, boxes[group[a], p], crop_px)
        return group, crops, valid

    missing = np.flatnonzero(frames < 0)
    order = np.flatnonzero(frames >= 0)
    groups = np.split(order, np.flatnonzero(np.diff(frames[order])) + 1) if order.size else []

    def to_cut() -> Iterator[tuple[np.ndarray, Yuv420Picture | np.ndarray]]:
        for group in groups:
            if cancel is not None and cancel():
                raise FootcoachError("cancelled", reader.path, f"frame {int(frames[group[0]])}")
            yield group, decoded(int(frames[group[0]]))

    yield from _map_in_order(cut, to_cut(), workers)
    if missing.size:
        yield (missing, np.zeros((missing.size, n_players, crop_px, crop_px, 3), np.uint8),
               np.zeros((missing.size, n_players), bool))


def _map_in_order(fn: Callable[[np.ndarray, Any], _R], args: Iterator[tuple[np.ndarray, Any]],
                  workers: int) -> Iterator[_R]:
    """``fn(*a)`` for each ``a`` of ``args``, in order; with ``workers`` > 1 in that many
    threads, at most ``2 * workers`` ahead of what was yielded (``args`` is drawn in the calling
    thread)."""
    if workers == 1:
        for a in args:
            yield fn(*a)
        return
    pending: deque[Future[_R]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="footcoach-crops") as pool:
        try:
            for a in args:
                pending.append(pool.submit(fn, *a))
                while len(pending) > 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for job in pending:
                job.cancel()


def block_crops(reader: VideoReader, frame_times: np.ndarray, xy: np.ndarray,
                calibration: CameraCalibration | None, *, start_s: float = 0.0,
                crop_px: int = 64, cancel: Callable[[], bool] | None = None,
                workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Crops of P players over n steps of F frames each.

    ``frame_times`` (n, F) session times (:meth:`footcoach.sync.windows.StepGrid.frame_times`),
    ``xy`` (P, n * F, 2) the players' positions at those times. Returns ``(crops (P, n, F,
    crop_px, crop_px, 3) uint8, valid (P, n) bool)``, a step valid when all F crops are.
    Frames are decoded in order through :func:`iter_crops` (the reader keeps its position
    between calls, so consecutive blocks continue the same forward pass); ``workers`` threads
    cut the crops.
    """
    n, f = frame_times.shape
    n_p = xy.shape[0]
    crops = np.zeros((n_p, n * f, crop_px, crop_px, 3), np.uint8)
    valid = np.zeros((n_p, n * f), bool)
    for idx, c, v in iter_crops(reader, frame_times.reshape(-1), xy.transpose(1, 0, 2),
                                calibration, start_s=start_s, crop_px=crop_px, cancel=cancel,
                                workers=workers):
        crops[:, idx] = c.transpose(1, 0, 2, 3, 4)
        valid[:, idx] = v.T
    step_valid = np.all(valid.reshape(n_p, n, f), axis=2).astype(bool)
    return crops.reshape(n_p, n, f, crop_px, crop_px, 3), step_valid
