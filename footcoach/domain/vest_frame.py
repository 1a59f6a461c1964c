"""Turning a vest's readings into another frame: the *upright* frame of a model that reads
every vest as if it sat like the vests it was trained on.

Over a session the wearer's own accelerations average out, so a vest's mean acceleration is
gravity seen in the vest's frame (:mod:`footcoach.domain.vest`). A vest worn leaning, slipped,
or exported with other axes has that mean pointing elsewhere. *De-tilting* turns every x/y/z
triad of the vest (accelerometer, gyroscope, magnetometer) by the smallest rotation that takes
the vest's mean acceleration onto a reference direction (a model's ``vest_upright``: the mean
direction of its training vests). That undoes how the vest leans (two of its three angles); a
turn about the vertical stays, and a model that reads de-tilted vests is trained with such
turns. Training takes each player's mean acceleration over his steps in the dataset file;
analysis takes :func:`pose_direction`, the median of the 10-s means, which a vest that slipped
for part of the session does not pull (on a vest worn as it should be the two agree within a
degree). Every function here is numpy only; ``(3, 3)`` matrices act on column vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.vest import BLOCK, MIN_SAMPLES, acc_block_sums

_ACC = ("acc_x", "acc_y", "acc_z")
#: The windows (s) whose mean accelerations :func:`pose_direction` takes the median of.
POSE_WINDOW_S = 10.0
#: :func:`pose_segments`: a new pose starts where the vest points this far (degrees) from the
#: current one for ``SEGMENT_MIN_S`` seconds or more.
SEGMENT_CHANGE_DEG = 15.0
SEGMENT_MIN_S = 20.0


def rotation_onto(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray
                  ) -> np.ndarray:
    """The smallest rotation ``(3, 3)`` taking the direction of ``a`` (3,) onto that of ``b``
    (half a turn about an axis at right angles to ``a`` when they are opposite)."""
    a = np.asarray(a, np.float64) / np.linalg.norm(a)
    b = np.asarray(b, np.float64) / np.linalg.norm(b)
    v, c = np.cross(a, b), float(a @ b)
    if c < -1.0 + 1e-9:
        axis = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return np.asarray(2.0 * np.outer(axis, axis) - np.eye(3))
    k = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.asarray(np.eye(3) + k + k @ k / (1.0 + c))


def rotation_about(axis: Sequence[float] | np.ndarray, degrees: float) -> np.ndarray:
    """The rotation ``(3, 3)`` by ``degrees`` about ``axis`` (3,) (right-handed; Rodrigues)."""
    u = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    k = np.array([[0.0, -u[2], u[1]], [u[2], 0.0, -u[0]], [-u[1], u[0], 0.0]])
    t = np.radians(degrees)
    return np.asarray(np.eye(3) + np.sin(t) * k + (1.0 - np.cos(t)) * (k @ k))


def triads(channels: Sequence[str]) -> list[tuple[int, int, int]]:
    """The column indices of every ``<sensor>_x``, ``_y``, ``_z`` triad in ``channels``."""
    names = list(channels)
    out = []
    for i, name in enumerate(names):
        if name.endswith("_x"):
            stem = name[:-2]
            if f"{stem}_y" in names and f"{stem}_z" in names:
                out.append((i, names.index(f"{stem}_y"), names.index(f"{stem}_z")))
    return out


def turn_triads(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``values`` (..., C) with each of its C // 3 consecutive x/y/z triads turned by
    ``matrix`` (3, 3) (a copy in the same dtype; footcoach's IMU contract is acc, gyro, mag)."""
    c = values.shape[-1]
    trip = values.reshape(*values.shape[:-1], c // 3, 3).astype(np.float64)
    return np.asarray((trip @ np.asarray(matrix, np.float64).T).reshape(values.shape)
                      .astype(values.dtype))


def turn_vest(imu: TimeSeries, matrix: np.ndarray) -> TimeSeries:
    """``imu`` with every x/y/z triad turned by ``matrix`` (3, 3) (a copy; NaN stays NaN)."""
    values = np.array(imu.values, copy=True)
    m = np.asarray(matrix, np.float64)
    for cols in triads(imu.channels):
        idx = list(cols)
        values[:, idx] = (values[:, idx].astype(np.float64) @ m.T).astype(values.dtype)
    return imu.replace(values=values)


def mean_acceleration(imu: TimeSeries) -> np.ndarray | None:
    """The vest's mean acceleration (3,) over its 0.1-s blocks without a NaN (any unit), or
    None without an accelerometer, with fewer than ``MIN_SAMPLES`` samples in such blocks, or
    when it is zero."""
    if not all(c in imu.channels for c in _ACC):
        return None
    sums, finite = acc_block_sums(imu.values, [imu.channels.index(c) for c in _ACC])
    n = int(finite.sum()) * BLOCK
    if n < MIN_SAMPLES:
        return None
    mean = sums.sum(axis=0) / n
    return mean if float(np.linalg.norm(mean)) > 0.0 else None


def pose_direction(imu: TimeSeries, window_s: float = POSE_WINDOW_S) -> np.ndarray | None:
    """How the vest usually sat: the median of the unit mean accelerations of its whole
    ``window_s`` windows without a gap (3,), a unit vector; a vest that slipped for less than
    half the session does not move it, as it moves the mean. Falls back to the direction of
    :func:`mean_acceleration` when no window is whole; None when that cannot be told either."""
    mean = mean_acceleration(imu)
    if mean is None:
        return None
    _, units, whole = _window_units(imu, window_s)
    if whole.any():
        return _median_unit(units[whole])
    return np.asarray(mean / np.linalg.norm(mean))


def _window_units(imu: TimeSeries, window_s: float) -> tuple[np.ndarray, np.ndarray,
                                                              np.ndarray]:
    """Start times (s), unit mean accelerations (n, 3) and whether whole (n,) of the stream's
    consecutive ``window_s`` windows (none without an accelerometer): without a gap, and with a
    mean at least half the median window's long (gravity is in it)."""
    if not all(c in imu.channels for c in _ACC) or len(imu) < 2:
        return np.zeros(0), np.zeros((0, 3)), np.zeros(0, bool)
    sums, finite = acc_block_sums(imu.values, [imu.channels.index(c) for c in _ACC])
    dt = float(np.median(np.diff(imu.t)))
    k = max(1, round(window_s / (dt * BLOCK))) if dt > 0 else max(sums.shape[0], 1)
    n_w = sums.shape[0] // k
    win = sums[:n_w * k].reshape(n_w, k, 3).sum(axis=1)
    length = np.linalg.norm(win, axis=1)
    whole = finite[:n_w * k].reshape(n_w, k).all(axis=1) & (length > 0)
    if whole.any():  # without gravity (a dead axis, zeros) a window says nothing of the pose
        whole &= length >= 0.5 * float(np.median(length[whole]))
    units = np.where(whole[:, None], win / np.where(length > 0, length, 1.0)[:, None], 0.0)
    return imu.t[:n_w * k * BLOCK:k * BLOCK][:n_w], units, whole


def _median_unit(units: np.ndarray) -> np.ndarray:
    med = np.median(units, axis=0)
    return np.asarray(med / np.linalg.norm(med))


def pose_segments(imu: TimeSeries, window_s: float = POSE_WINDOW_S,
                  change_deg: float = SEGMENT_CHANGE_DEG, min_s: float = SEGMENT_MIN_S
                  ) -> list[tuple[float, np.ndarray]]:
    """The vest's poses over the session, for a vest that slipped or was put back on turned:
    ``[(start_s, unit pose (3,)), ...]`` in time order, the first from the stream's start.
    A new pose starts where the mean accelerations of ``min_s`` or more of consecutive
    ``window_s`` windows all point more than ``change_deg`` away from the current pose (the
    median of its windows so far); shorter departures (a player lying down, a stumble) stay in
    it. Each pose is the median direction of its windows. One pose for a vest that sat alike
    all session; an empty list when no window is whole."""
    starts, units, whole = _window_units(imu, window_s)
    idx = np.flatnonzero(whole)
    if idx.size == 0:
        return []
    need = max(1, int(np.ceil(min_s / window_s)))
    cos_lim = np.cos(np.radians(change_deg))
    segments: list[list[int]] = [[int(idx[0])]]
    run: list[int] = []
    for i in idx[1:]:
        ref = _median_unit(units[segments[-1]])
        if float(units[i] @ ref) < cos_lim:
            run.append(int(i))
            if len(run) >= need:
                segments.append(run)
                run = []
        else:
            segments[-1].extend([*run, int(i)])
            run = []
    segments[-1].extend(run)
    out = [(float(starts[seg[0]]), _median_unit(units[seg])) for seg in segments]
    return [(float(imu.t[0]), out[0][1]), *out[1:]]


def upright_vest(imu: TimeSeries, target: Sequence[float]) -> tuple[TimeSeries, float | None]:
    """``imu`` de-tilted onto ``target`` (module docstring; from its :func:`pose_direction`)
    and the angle it was turned by (degrees); the stream unchanged and None when its pose
    cannot be told."""
    pose = pose_direction(imu)
    if pose is None:
        return imu, None
    r = rotation_onto(pose, target)
    angle = float(np.degrees(np.arccos(np.clip((np.trace(r) - 1.0) / 2.0, -1.0, 1.0))))
    return turn_vest(imu, r), angle
