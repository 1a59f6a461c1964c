"""How a vest sits: the angle between its mean acceleration and its z axis.

footcoach's vest frame has z pointing up the wearer's back (a vest worn upright and still reads
about +1 g on ``acc_z``; the simulator's vests sit within a few degrees of that). Over a session
the wearer's own accelerations average out and the mean accelerometer vector is gravity, seen
in the vest's frame, so its angle from +z tells how far the vest is turned from upright: a vest
worn turned, slipped, or an export whose axes are not footcoach's (a vendor with x up, or one
axis inverted). The bundled model was fine-tuned with vests turned by up to 45 degrees
(README, "Sessions without vests or without positions"); beyond that its action accuracy falls.
"""

from __future__ import annotations

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
_ACC = ("acc_x", "acc_y", "acc_z")


@dataclass(frozen=True)
class VestPose:
    """``tilt_deg``: angle (degrees, 0-180) between the mean acceleration and the vest's +z
    axis; ``gravity_g``: the mean acceleration's length (g); ``samples``: finite samples used."""

    tilt_deg: float
    gravity_g: float
    samples: int


def vest_pose(imu: TimeSeries) -> VestPose | None:
    """The vest's tilt from its mean acceleration (module docstring); None when the stream has
    no accelerometer in g or fewer than ``MIN_SAMPLES`` finite samples."""
    if not all(c in imu.channels for c in _ACC):
        return None
    cols = [imu.channels.index(c) for c in _ACC]
    if any(imu.units[j] != "g" for j in cols):
        return None
    acc = np.asarray(imu.values[:, cols], dtype=np.float64)
    ok = np.isfinite(acc).all(axis=1)
    n = int(ok.sum())
    if n < MIN_SAMPLES:
        return None
    mean = acc[ok].mean(axis=0)
    length = float(np.linalg.norm(mean))
    if length == 0.0:
        return VestPose(float("nan"), 0.0, n)
    tilt = float(np.degrees(np.arccos(np.clip(mean[2] / length, -1.0, 1.0))))
    return VestPose(tilt, length, n)


def vest_pose_warning(imu: TimeSeries, player: str) -> str | None:
    """A warning sentence when the vest of ``player`` sits further than ``TILT_WARNING_DEG``
    from upright or its mean acceleration is not about 1 g; None when it looks worn right (or
    cannot be told)."""
    pose = vest_pose(imu)
    if pose is None:
        return None
    lo, hi = GRAVITY_RANGE_G
    if not lo <= pose.gravity_g <= hi:
        return (f"vest of {player}: its mean acceleration is {pose.gravity_g:.2f} g, not about "
                "1 g (gravity): check the accelerometer's unit and data")
    if pose.tilt_deg > TILT_WARNING_DEG:
        return (f"vest of {player}: its mean acceleration points {pose.tilt_deg:.0f} degrees away "
                "from the vest's z axis (a vest worn upright reads about +1 g on acc_z): it is "
                "worn turned, or the export's axes are not x, y, z with z up the back; the model "
                "reads vests turned by up to about 45 degrees")
    return None
