"""Is a vest turned round the body? Its horizontal acceleration against its player's track.

A vest turned about the vertical (worn back to front, or a vendor whose x axis points
sideways) still reads gravity on z, so no tilt check sees it; the networks read it worse the
further it is turned (``benchmarks/sensor_faults.py --faults slipped-90-z slipped-180-z``:
8 and 15 points of action accuracy). The track tells which way the player moves: its
acceleration along the path (speeding up, slowing down) and across it (into turns) is the
horizontal force the vest should feel on its x (forward) and y (left) axes. Over a session, the
angle that best turns the vest's horizontal acceleration (1-s means) onto the track's is the
vest's turn round the body (:func:`vest_yaw`); the coherence of the two (0-1) says how much of
the vest's horizontal acceleration the track explains. A runner leans into an acceleration
and a turn, which cancels part of what the vest feels, so the coherence is modest; the angle is
a sum over thousands of moments.

Over the simulator's 96 sessions (960 vests worn as meant, 3 minutes each) the coherence is
0.24 or more (median 0.75), 943 vests have the minute of movement needed, and their angle is
at most 30 degrees from 0 (99th percentile 19); the first 80 of them turned 180 degrees read 150
degrees or more. From ``FaultSettings.round_body_min_deg`` (60 degrees) the analysis turns the
vest's readings back by the angle found and says so (``footcoach.app.align``). No real session
with a vest and a track per player was available to check the angle on; a real runner leans
further into accelerations than the simulated one, which lowers the coherence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.vest_frame import rotation_about, turn_vest
from footcoach.sync.movement import motion_columns

#: Coherence below which the angle is not told (the vest's horizontal acceleration is mostly
#: not the track's: a still player, or too little data).
MIN_COHERENCE = 0.1
#: Seconds of movement (track speed over 1 m/s) needed to tell the angle.
MIN_MOVING_S = 60.0


@dataclass(frozen=True)
class VestYaw:
    """How far a vest is turned round the body: ``angle_deg`` (-180..180, positive: its x
    axis points to the player's right of forward, i.e. turning the vest's readings by
    +angle about z brings them onto the track), ``coherence`` (0-1) and the ``moving_s``
    seconds it was told from."""

    angle_deg: float
    coherence: float
    moving_s: float

    @property
    def told(self) -> bool:
        """Enough movement and coherence to tell the angle."""
        return self.moving_s >= MIN_MOVING_S and self.coherence >= MIN_COHERENCE

    def sentence(self, player: str) -> str:
        """The warning, and what the analysis does about it."""
        return (f"vest of {player}: turned about {abs(self.angle_deg):.0f} degrees round the body"
                f" (worn back to front, or its x axis does not point forwards; from its "
                f"horizontal acceleration against the player's track, coherence "
                f"{self.coherence:.2f}): the analysis turns its readings back")


def _path_acceleration(pos: TimeSeries, smooth: int) -> tuple[np.ndarray, np.ndarray]:
    """(N,) complex acceleration of a track with ``x``, ``y`` (m) in its path frame (real:
    along the path, imaginary: to the left), in g, and (N,) speed (m/s); NaN where unknown."""
    t = pos.t
    x, y = pos.channel("x").astype(np.float64), pos.channel("y").astype(np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        nan = np.full(len(t), np.nan)
        return nan.astype(complex), nan
    x = np.interp(t, t[ok], x[ok])
    y = np.interp(t, t[ok], y[ok])
    z = uniform_filter1d(x, smooth) + 1j * uniform_filter1d(y, smooth)
    v = uniform_filter1d(np.gradient(z.real, t), smooth) + 1j * uniform_filter1d(
        np.gradient(z.imag, t), smooth)
    a = np.gradient(v.real, t) + 1j * np.gradient(v.imag, t)
    speed = np.abs(v)
    heading = np.where(speed > 1e-6, v / np.maximum(speed, 1e-6), 0)
    along = a * np.conj(heading) / 9.80665
    gap = uniform_filter1d((~ok).astype(np.float64), 3 * smooth) > 0  # near a gap: unknown
    along[gap] = np.nan
    speed[gap] = np.nan
    return along, speed


@dataclass(frozen=True)
class PairedAcceleration:
    """A vest's horizontal acceleration beside its player's track's, at the track's times:
    ``t`` (N,) s; ``track`` (N,) complex, in g, along the path (real) and to the left
    (imaginary); ``vest`` (N,) complex, in g, its x (real) and y (imaginary) accelerometer, 1-s
    means; ``use`` (N,) bool, both known and the player moving over 1 m/s; ``rate`` Hz."""

    t: np.ndarray
    track: np.ndarray
    vest: np.ndarray
    use: np.ndarray
    rate: float


def paired_acceleration(imu: TimeSeries, pos: TimeSeries) -> PairedAcceleration | None:
    """:class:`PairedAcceleration` of a vest and its player's track on one clock (the aligned
    100 Hz vest and 10 Hz positions); None without an accelerometer, positions or enough
    samples."""
    acc, _, scale = motion_columns(imu)
    if len(acc) != 3 or not pos.has("x", "y") or len(pos) < 30 or len(imu) < 300:
        return None
    rate = 1.0 / max(float(np.median(np.diff(pos.t))), 1e-3)
    along, speed = _path_acceleration(pos, max(1, round(rate)))
    # the vest's horizontal acceleration, 1-s means, at the track's times (from 0.1-s blocks)
    dt = max(float(np.median(np.diff(imu.t[:1000]))), 1e-4)
    per = max(1, round(0.1 / dt))
    m = len(imu) // per
    h = (np.asarray(imu.values[:m * per, acc[0]], np.float64) * scale[0]
         + 1j * np.asarray(imu.values[:m * per, acc[1]], np.float64) * scale[1])
    blocks = h.reshape(m, per).mean(axis=1)  # NaN when a sample of the block is
    block_t = imu.t[:m * per].reshape(m, per).mean(axis=1)
    finite = np.isfinite(blocks)
    second = max(1, round(1.0 / (per * dt)))
    smooth = (uniform_filter1d(np.where(finite, blocks.real, 0.0), second)
              + 1j * uniform_filter1d(np.where(finite, blocks.imag, 0.0), second))
    bad = uniform_filter1d((~finite).astype(np.float64), second) > 0
    inside = (pos.t >= block_t[0]) & (pos.t <= block_t[-1])
    vest = np.interp(pos.t, block_t, smooth.real) + 1j * np.interp(pos.t, block_t, smooth.imag)
    vbad = np.interp(pos.t, block_t, bad.astype(np.float64)) > 0
    use = inside & ~vbad & np.isfinite(along) & (speed > 1.0)
    return PairedAcceleration(pos.t, along, vest, use, rate)


def vest_yaw(imu: TimeSeries, pos: TimeSeries) -> VestYaw | None:
    """The vest's turn round the body against its player's track (module docstring); ``imu``
    and ``pos`` on one clock (the aligned 100 Hz vest and 10 Hz positions); None without an
    accelerometer, positions or common time."""
    pair = paired_acceleration(imu, pos)
    if pair is None:
        return None
    use = pair.use
    moving_s = float(use.sum()) / pair.rate
    if use.sum() < 10:
        return VestYaw(0.0, 0.0, moving_s)
    p, v = pair.track[use], pair.vest[use] - pair.vest[use].mean()  # the lean's constant part out
    cross = np.sum(p * np.conj(v))
    norm = np.sqrt(np.sum(np.abs(p) ** 2) * np.sum(np.abs(v) ** 2))
    coherence = float(abs(cross) / norm) if norm > 0 else 0.0
    return VestYaw(float(np.degrees(np.angle(cross))), coherence, moving_s)


def turn_round_body(imu: TimeSeries, angle_deg: float) -> TimeSeries:
    """``imu`` with every x/y/z triad (accelerometer, gyroscope, magnetometer: channels named
    ``<sensor>_x``, ``_y``, ``_z``) turned by ``angle_deg`` about z (a copy)."""
    return turn_vest(imu, rotation_about((0.0, 0.0, 1.0), angle_deg))
