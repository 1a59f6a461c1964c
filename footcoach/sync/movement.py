"""How much a player moves each second, seen by the vest and by the positions.

Shared by the sensor checks that compare the two (:mod:`footcoach.sync.sensor_faults`: a GPS
unit that held its fix, or whose position moved, while the vest says otherwise;
:mod:`footcoach.sync.vest_identity`: a vest on the wrong player). A worn vest's movement is the
spread (standard deviation) of ``|a|`` within each second, in g: the simulator's players read
about 0.004 g standing still (the sensor's noise), 0.1 g walking and 0.45 g or more from jogging
up. A track's movement is its speed in m/s.
"""

from __future__ import annotations

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.sync.filters import _ACC_UNITS, _GYRO_UNITS


def motion_columns(ts: TimeSeries) -> tuple[list[int], list[int], np.ndarray]:
    """Accelerometer indices, gyroscope indices (recognised by unit) and the accelerometer
    factors to g."""
    acc, gyro, scale = [], [], []
    for i, unit in enumerate(ts.units):
        u = unit.strip().lower()
        if u in _ACC_UNITS:
            acc.append(i)
            scale.append(_ACC_UNITS[u])
        elif u in _GYRO_UNITS:
            gyro.append(i)
    return acc, gyro, np.asarray(scale)


def segment_stats(t: np.ndarray, values: np.ndarray, edges: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per interval between consecutive ``edges``: the count, mean and standard deviation of
    the finite ``values`` (N,) sampled at ``t`` (running sums: no Python loop)."""
    ok = np.isfinite(values)
    v = np.where(ok, values, 0.0)
    idx = np.searchsorted(t, edges)
    c0 = np.r_[0, np.cumsum(ok)]
    c1 = np.r_[0.0, np.cumsum(v)]
    c2 = np.r_[0.0, np.cumsum(v * v)]
    n = (c0[idx[1:]] - c0[idx[:-1]]).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (c1[idx[1:]] - c1[idx[:-1]]) / n
        var = (c2[idx[1:]] - c2[idx[:-1]]) / n - mean * mean
    return n, mean, np.sqrt(np.maximum(var, 0.0))


def vest_intensity(imu: TimeSeries, edges: np.ndarray, *, with_mean: bool = False
                   ) -> np.ndarray:
    """(len(edges) - 1,) the standard deviation of ``|a|`` (g) between consecutive ``edges``
    (s); NaN where fewer than 10 finite samples. ``with_mean``: (len(edges) - 1, 2), the mean
    of ``|a|`` (g) beside it (about 1 for a worn vest, whatever the player does). Edges on
    whole seconds, one apart, are read from :func:`vest_seconds` (computed once per stream)."""
    n = len(edges) - 1
    whole = n > 0 and float(edges[0]).is_integer() and bool(np.all(np.diff(edges) == 1.0))
    if whole:
        first, sd, mean = vest_seconds(imu)
        out = np.full((n, 2), np.nan)
        lo, hi = max(int(edges[0] - first), 0), min(int(edges[-1] - first), sd.size)
        if hi > lo:
            at = lo + int(first - edges[0])
            out[at:at + hi - lo] = np.c_[sd[lo:hi], mean[lo:hi]]
        return out if with_mean else out[:, 0]
    sd, mean = _intensity(imu, edges)
    return np.c_[sd, mean] if with_mean else sd


def vest_seconds(imu: TimeSeries) -> tuple[float, np.ndarray, np.ndarray]:
    """The spread and the mean of ``|a|`` (g) in each whole second the stream spans: the first
    second's start (s) and two (n,) arrays (NaN where fewer than 10 finite samples). Kept in
    ``imu.meta`` with the arrays it was computed from, so each stream is read once however
    many checks ask (a series with other ``t`` or ``values`` arrays is read again)."""
    cached = imu.meta.get("vest_seconds")
    if isinstance(cached, tuple) and cached[0] is imu.t and cached[1] is imu.values:
        return cached[2], cached[3], cached[4]
    if len(imu) == 0:
        return 0.0, np.empty(0), np.empty(0)
    edges = np.arange(np.floor(imu.t[0]), np.ceil(imu.t[-1]) + 1.0)
    sd, mean = _intensity(imu, edges)
    imu.meta["vest_seconds"] = (imu.t, imu.values, float(edges[0]), sd, mean)
    return float(edges[0]), sd, mean


def _intensity(imu: TimeSeries, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spread and mean of ``|a|`` (g) between consecutive ``edges`` (NaN: under 10 samples)."""
    acc, _, scale = motion_columns(imu)
    if len(acc) != 3:
        return np.full(len(edges) - 1, np.nan), np.full(len(edges) - 1, np.nan)
    a = imu.values[:, acc] * scale
    n, mean, sd = segment_stats(imu.t, np.sqrt(np.einsum("ij,ij->i", a, a), dtype=np.float64),
                                edges)
    return np.where(n >= 10, sd, np.nan), np.where(n >= 10, mean, np.nan)


def track_speed(gps: TimeSeries, edges: np.ndarray) -> np.ndarray:
    """(len(edges) - 1,) the mean speed (m/s) of a track with ``x``, ``y`` (m) between
    consecutive ``edges`` (s); NaN where fewer than 2 finite fixes."""
    if not gps.has("x", "y") or len(gps) < 3:
        return np.full(len(edges) - 1, np.nan)
    xy = np.c_[gps.channel("x"), gps.channel("y")]
    step = np.hypot(*np.diff(xy, axis=0).T) / np.maximum(np.diff(gps.t), 1e-6)
    n, mean, _ = segment_stats(0.5 * (gps.t[1:] + gps.t[:-1]), step, edges)
    return np.where(n >= 2, mean, np.nan)


def drift_speed(gps: TimeSeries, edges: np.ndarray) -> np.ndarray:
    """(len(edges) - 1,) how fast (m/s) a track with ``x``, ``y`` (m) moves from the interval
    before each interval between consecutive ``edges`` (s) to the one after it: the distance
    between the two intervals' mean positions over the time between their centres. A GPS spike
    (one fix metres off) moves a one-second mean by a tenth of its size at 10 Hz, so this
    follows where the track sits rather than its noise; NaN at the ends and next to an
    interval with fewer than 2 finite fixes."""
    out = np.full(len(edges) - 1, np.nan)
    if not gps.has("x", "y") or len(gps) < 3 or out.size < 3:
        return out
    n, x, _ = segment_stats(gps.t, gps.channel("x").astype(np.float64), edges)
    _, y, _ = segment_stats(gps.t, gps.channel("y").astype(np.float64), edges)
    x, y = np.where(n >= 2, x, np.nan), np.where(n >= 2, y, np.nan)
    centre = 0.5 * (edges[1:] + edges[:-1])
    out[1:-1] = np.hypot(x[2:] - x[:-2], y[2:] - y[:-2]) / (centre[2:] - centre[:-2])
    return out
