"""IMU-GPS clock offset by cross-correlating accelerations, on a simulated player."""

from __future__ import annotations

import re

import numpy as np
import pytest

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.sync.offsets import correlate_lags, estimate_imu_gps_offset

G = 9.80665


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    k = np.ones(n) / n
    pad = np.concatenate([np.full(n, x[0]), x, np.full(n, x[-1])])
    return np.convolve(np.convolve(pad, k, "same"), k, "same")[n:-n]


def simulate(seed: int, duration_s: float = 240.0, rate: float = 100.0):
    """A player on a pitch: walking, jogging, running and sprinting bouts of 2-8 s with smooth
    speed changes (up to ~4 m/s^2) and turns. Returns the true time, positions (N, 2), the
    body-frame acceleration in g (N, 3, gravity and step impacts included) and speed."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate)
    dt = 1.0 / rate
    lengths = rng.integers(int(2 * rate), int(8 * rate), size=n // int(2 * rate) + 1)
    targets = rng.choice([0.0, 1.5, 3.0, 4.5, 6.0, 7.5], size=lengths.size,
                         p=[0.15, 0.25, 0.25, 0.15, 0.12, 0.08])
    turns = rng.normal(0.0, 0.4, size=lengths.size)
    speed = _smooth(np.repeat(targets, lengths)[:n], int(0.9 * rate))
    heading = np.cumsum(_smooth(np.repeat(turns, lengths)[:n], int(rate))) * dt
    vel = np.column_stack([speed * np.cos(heading), speed * np.sin(heading)])
    pos = np.cumsum(vel, axis=0) * dt
    acc = np.gradient(vel, dt, axis=0)
    c, s = np.cos(heading), np.sin(heading)
    forward = acc[:, 0] * c + acc[:, 1] * s
    lateral = -acc[:, 0] * s + acc[:, 1] * c
    cadence = np.where(speed > 0.5, 1.6 + 0.25 * speed, 0.0)  # steps per second
    phase = np.cumsum(cadence) * dt
    impacts = 0.35 * speed * (np.maximum(0.0, np.sin(2 * np.pi * phase)) ** 8 - 35 / 256)
    noise = rng.normal(0.0, 0.05, (n, 3))
    body = np.column_stack([forward / G, lateral / G, 1.0 + impacts]) + noise
    return np.arange(n) * dt, pos, body, speed


def make_streams(offset_s: float, seed: int = 0, *, imu_units: str = "g"):
    """IMU (100 Hz) whose clock reads ``true - offset_s``, and 10 Hz GPS on the true clock."""
    t, pos, body, _ = simulate(seed)
    rng = np.random.default_rng(seed + 1)
    values = body * (G if imu_units == "m/s^2" else 1.0)
    imu = TimeSeries(t - offset_s, values, ("acc_x", "acc_y", "acc_z"), (imu_units,) * 3,
                     name="imu", source=f"imu{seed}.csv")
    fix = slice(0, None, 10)
    xy = pos[fix] + rng.normal(0.0, 0.08, pos[fix].shape)
    keep = rng.random(xy.shape[0]) > 0.1  # 10 % of the fixes lost
    gps = TimeSeries(t[fix][keep], xy[keep], ("x", "y"), ("m", "m"), name="gps",
                     source=f"gps{seed}.csv")
    return imu, gps


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_offset_is_recovered(seed):
    imu, gps = make_streams(2.37, seed)
    est = estimate_imu_gps_offset(imu, gps, max_lag_s=10.0)
    assert est.offset_s == pytest.approx(2.37, abs=0.1)
    assert est.confidence >= 0.8
    assert est.peak_corr > 0.4 and est.second_corr < est.peak_corr
    assert est.n_samples > 2000
    assert est.lags_s.shape == est.corr.shape == (201,)


def test_negative_offset_in_si_units_with_a_dropout():
    imu, gps = make_streams(-4.81, seed=3, imu_units="m/s^2")
    keep = (imu.t < 60.0) | (imu.t > 63.0)  # the vest lost 3 s of data
    imu = imu.replace(t=imu.t[keep], values=imu.values[keep])
    est = estimate_imu_gps_offset(imu, gps)
    assert est.offset_s == pytest.approx(-4.81, abs=0.1)
    assert est.confidence >= 0.8


def test_noise_gives_low_confidence():
    imu, gps = make_streams(2.37, seed=4)
    rng = np.random.default_rng(9)
    noise = rng.normal(0.0, 0.3, imu.values.shape) + np.array([0.0, 0.0, 1.0])
    est = estimate_imu_gps_offset(imu.replace(values=noise), gps)
    assert est.confidence < 0.3
    assert abs(est.peak_corr) < 0.2


def test_offset_outside_the_search_range_is_not_trusted():
    imu, gps = make_streams(14.0, seed=5)
    est = estimate_imu_gps_offset(imu, gps, max_lag_s=10.0)
    assert est.confidence <= 0.1


def test_correlate_lags_finds_a_shift_exactly():
    rng = np.random.default_rng(0)
    g = rng.normal(size=500)
    f = g[100:400].copy()  # f[k] for k = 0.. equals g[k + 100 - kg] with kg = 0
    f[::17] = np.nan
    lags, r, n = correlate_lags(f, 50, g, 0, max_lag=60, min_n=20)
    best = int(np.nanargmax(r))
    assert lags[best] == 50 and r[best] == pytest.approx(1.0)
    assert n[best] == np.count_nonzero(np.isfinite(f))
    assert np.nanmax(np.abs(np.delete(r, best))) < 0.3


def test_streams_without_overlap_or_channels():
    imu, gps = make_streams(0.0, seed=6)
    far = gps.shifted(10_000.0)
    est = estimate_imu_gps_offset(imu, far)
    assert est.confidence == 0.0 and est.n_samples == 0
    gyro_only = imu.replace(channels=("gyro_x", "gyro_y", "gyro_z"), units=("rad/s",) * 3)
    with pytest.raises(FootcoachError, match=re.escape("imu6.csv")):
        estimate_imu_gps_offset(gyro_only, gps)
    with pytest.raises(FootcoachError, match=re.escape("gps6.csv")):
        estimate_imu_gps_offset(imu, gps.replace(channels=("lat", "lon")))
