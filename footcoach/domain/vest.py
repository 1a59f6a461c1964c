"""How a vest sits: the angle between its mean acceleration and its z axis.

footcoach's vest frame has z pointing up the wearer's back (a vest worn upright and still reads
about +1 g on ``acc_z``; the simulator's vests sit within a few degrees of that). Over a session
the wearer's own accelerations average out and the mean accelerometer vector is gravity, seen
in the vest's frame, so its angle from +z tells how far the vest is turned from upright: a vest
worn turned, slipped, or an export whose axes are not footcoach's (a vendor with x up, or one
axis inverted). Since session 30 the analysis turns each vest upright, pose by pose, before the
bundled model reads it (:mod:`footcoach.domain.vest_frame`), so a tilt costs little; a turn
about the vertical is not undone that way (README, "Sessions without vests or without
positions").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from footcoach.domain.timeseries import TimeSeries

#: A vest whose mean acceleration is further than this from its z axis (degrees) gets a warning.
TILT_WARNING_DEG = 30.0
#: The mean acceleration of a worn vest is gravity: about 1 g. Outside this range (g) the
#: accelerometer's unit or data is suspect.
GRAVITY_RANGE_G = (0.7, 1.3)
#: Fewer finite accelerometer samples than this give no estimate.
MIN_SAMPLES = 100
#: A vest whose mean acceleration over ``SLIP_BLOCK_S`` turns further than this (degrees) from
#: where it pointed over the session's first block is said to have slipped.
SLIP_WARNING_DEG = 25.0
#: The span (s) of the blocks compared for a slip.
SLIP_BLOCK_S = 30.0
_ACC = ("acc_x", "acc_y", "acc_z")


@dataclass(frozen=True)
class VestPose:
    """``tilt_deg``: angle (degrees, 0-180) between the mean acceleration and the vest's +z
    axis; ``gravity_g``: the mean acceleration's length (g); ``samples``: finite samples used."""

    tilt_deg: float
    gravity_g: float
    samples: int


#: Samples per block of :func:`acc_block_sums` (0.1 s at 100 Hz).
BLOCK = 10


def acc_block_sums(values: np.ndarray, columns: Sequence[int], scale: np.ndarray | None = None,
                   block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """The accelerometer sums of each block of ``block`` rows of ``values`` (N, C), the
    ``columns`` times ``scale`` (to g; default 1): ``(N // block, 3)`` float64, a block with a
    NaN as 0, and ``(N // block,)`` whether it had none. One pass, no copy of the stream; the
    rows after the last whole block are left out."""
    n_blocks = values.shape[0] // block
    whole = values[:n_blocks * block]
    sums = whole.reshape(n_blocks, block, values.shape[1]).sum(axis=1, dtype=np.float64)
    sums = sums[:, list(columns)] * (1.0 if scale is None else np.asarray(scale))
    finite = np.isfinite(sums).all(axis=1)
    if not finite.all():
        sums[~finite] = 0.0
    return sums, finite


def _g_columns(imu: TimeSeries) -> list[int] | None:
    """The accelerometer columns when they are in g, else None."""
    if not all(c in imu.channels for c in _ACC):
        return None
    cols = [imu.channels.index(c) for c in _ACC]
    return None if any(imu.units[j] != "g" for j in cols) else cols


def vest_pose(imu: TimeSeries) -> VestPose | None:
    """The vest's tilt from its mean acceleration (module docstring; over the 0.1-s blocks
    without a NaN); None when the stream has no accelerometer in g or fewer than
    ``MIN_SAMPLES`` samples in such blocks."""
    cols = _g_columns(imu)
    if cols is None:
        return None
    sums, finite = acc_block_sums(imu.values, cols)
    n = int(finite.sum()) * BLOCK
    if n < MIN_SAMPLES:
        return None
    mean = sums.sum(axis=0) / n
    length = float(np.linalg.norm(mean))
    if length == 0.0:
        return VestPose(float("nan"), 0.0, n)
    tilt = float(np.degrees(np.arccos(np.clip(mean[2] / length, -1.0, 1.0))))
    return VestPose(tilt, length, n)


def vest_pose_warning(imu: TimeSeries, player: str) -> str | None:
    """A warning sentence when the vest of ``player`` sits further than ``TILT_WARNING_DEG``
    from upright or its mean acceleration is not about 1 g; None when it looks worn right (or
    cannot be told)."""
    return pose_sentence(vest_pose(imu), player)


def pose_sentence(pose: VestPose | None, player: str) -> str | None:
    """:func:`vest_pose_warning` of an already computed ``pose``."""
    if pose is None:
        return None
    lo, hi = GRAVITY_RANGE_G
    if not lo <= pose.gravity_g <= hi:
        return (f"vest of {player}: its mean acceleration is {pose.gravity_g:.2f} g, not about "
                "1 g (gravity): check the accelerometer's unit and data")
    if pose.tilt_deg > TILT_WARNING_DEG:
        return (f"vest of {player}: its mean acceleration points {pose.tilt_deg:.0f} degrees away "
                "from the vest's z axis (a vest worn upright reads about +1 g on acc_z): it is "
                "worn turned, or the export's axes are not x, y, z with z up the back; the "
                "analysis turns it upright before the model reads it, but check the vest")
    return None


@dataclass(frozen=True)
class VestSlip:
    """A vest that turned during the session: from ``at_s`` (session clock, the start of the
    first block that differs) its mean acceleration points ``change_deg`` away from the first
    block's; ``tilt_before_deg`` and ``tilt_after_deg`` are the tilts from upright of the first
    block and of the block that differs most."""

    at_s: float
    change_deg: float
    tilt_before_deg: float
    tilt_after_deg: float


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles (degrees) between the rows of ``a`` (..., 3) and ``b`` (3,), both unit length."""
    return np.asarray(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))


def vest_slip(imu: TimeSeries, block_s: float = SLIP_BLOCK_S,
              min_change_deg: float = SLIP_WARNING_DEG) -> VestSlip | None:
    """Whether the vest turned during the session: the mean acceleration (gravity in the vest's
    frame) of each ``block_s`` block of at least half finite samples, against the first such
    block's; None when no block differs by ``min_change_deg`` or the stream cannot tell (module
    docstring). A turn about the vertical does not move gravity and is not seen."""
    cols = _g_columns(imu) if len(imu) >= MIN_SAMPLES else None
    if cols is None:
        return None
    sums, finite = acc_block_sums(imu.values, cols)
    block_t = imu.t[:sums.shape[0] * BLOCK:BLOCK]  # start of each 0.1-s block
    edges = np.arange(imu.t[0], imu.t[-1] + block_s, block_s)
    bounds = np.searchsorted(block_t, edges)
    running = np.vstack([np.zeros((1, 3)), np.cumsum(sums, axis=0)])
    have_running = np.r_[0, np.cumsum(finite)]
    rows = np.diff(bounds) * BLOCK
    have = np.diff(have_running[bounds]) * BLOCK
    with np.errstate(invalid="ignore", divide="ignore"):
        block_mean = np.diff(running[bounds], axis=0) / have[:, None]
    length = np.linalg.norm(block_mean, axis=1)
    # blocks of enough samples, at least half of them usable, with gravity in them (a block
    # without it says nothing of the pose)
    usable = (rows >= MIN_SAMPLES) & (have >= 0.5 * rows) & (length > 0.5)
    starts = [float(e) for e in edges[:-1][usable]]
    means = list(block_mean[usable] / length[usable, None])
    if len(means) < 2:
        return None
    unit = np.array(means)
    change = _angle_deg(unit, unit[0])
    far = np.flatnonzero(change >= min_change_deg)
    if far.size == 0:
        return None
    worst = int(np.argmax(change))
    up = np.array([0.0, 0.0, 1.0])
    return VestSlip(starts[int(far[0])], float(change[worst]), float(_angle_deg(unit[0], up)),
                    float(_angle_deg(unit[worst], up)))


def vest_slip_warning(imu: TimeSeries, player: str) -> str | None:
    """A warning sentence when the vest of ``player`` turned during the session
    (:func:`vest_slip`); None otherwise."""
    return slip_sentence(vest_slip(imu), player)


def slip_sentence(slip: VestSlip | None, player: str) -> str | None:
    """:func:`vest_slip_warning` of an already computed ``slip``."""
    if slip is None:
        return None
    m, sec = divmod(round(slip.at_s), 60)
    return (f"vest of {player}: from about {m}:{sec:02d} its mean acceleration points "
            f"{slip.change_deg:.0f} degrees away from where it pointed at the start (tilt from "
            f"upright {slip.tilt_before_deg:.0f} -> {slip.tilt_after_deg:.0f} degrees): it "
            "slipped, or was put back on turned; the analysis turns it upright again from "
            "where it moved")
