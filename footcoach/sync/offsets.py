"""Estimating the clock offset between a player's IMU and GPS streams.

Both units see the same body accelerations: the IMU directly, the GPS through the second
derivative of position. Each is reduced to one slow "how hard is the player accelerating"
signal sampled at ``rate_hz`` (10 Hz) on its own clock, and the offset is the lag that
maximises their normalised cross-correlation.

- IMU: the accelerometer vector in m/s^2, averaged down to ``rate_hz``, low-passed (two passes
  of a ``smooth_s`` centred mean: about 1 Hz), minus its running mean over ``gravity_window_s``
  (gravity in the vest's possibly tilted frame, plus the slowest part of the movement); the
  magnitude of what is left. Step impacts are zero-mean over a stride, so the low-pass removes
  them whatever the vest's orientation.
- GPS: x/y positions in metres on their grid (gaps up to 1 s bridged), resampled to
  ``rate_hz``, low-passed, differentiated twice (low-pass after each step), then the same band
  (minus the running mean over the same window) and magnitude.
- Pearson correlation over the overlapping valid samples for every lag in
  ``[-max_lag_s, max_lag_s]`` (all lags at once through FFTs); the best lag is refined by a
  parabola through the peak and its two neighbours (sub-sample accuracy).

Why not simply ``| |acc| - g |``: that is about the vertical step impacts plus
``a_horizontal^2 / 2g``, insensitive to the horizontal accelerations GPS sees and tied to running
speed, which lags acceleration; on simulated players it biased the offset by 0.03-0.12 s, the
band-passed vectors by under 0.03 s.

Confidence (0..1) is the product of three terms, each clipped to 0..1:
``strength = peak / 0.5`` (a correlation of 0.5 or more counts as fully convincing for these
noisy signals); ``separation = (peak - second) / (0.5 * peak)``, where ``second`` is the highest
local maximum further than ``exclusion_s`` from the peak (a peak standing at least twice as
high above zero as the runner-up counts as unambiguous); and ``significance = (z - 3) / 3`` with
``z = peak * sqrt(n_eff)``, ``n_eff = n / (2 smooth_s rate_hz)`` roughly independent samples
(a peak within 3 noise standard deviations of zero counts for nothing, one beyond 6 fully).
A peak within ``exclusion_s`` of either end of the lag range (the true lag may lie beyond it)
or on fewer than ``min_overlap_s`` of data gets at most 0.1. Pure noise gives confidences near 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.sync.filters import (
    G0_MPS2,
    accelerometer_columns,
    dedupe_times,
    fill_gaps,
)
from footcoach.sync.resample import resample
from footcoach.sync.smoothing import (
    centred_smooth,
    moving_average,
)

METHOD = "xcorr: |IMU dynamic acc| vs |GPS acc|"


@dataclass(frozen=True)
class OffsetEstimate:
    """Result of :func:`estimate_imu_gps_offset`.

    Attributes:
        offset_s: seconds to add to the IMU clock to align it with the GPS clock
            (``imu.t + offset_s`` is GPS time).
        confidence: 0..1 (see the module docstring).
        peak_corr: correlation at the best lag.
        second_corr: the best correlation away from the peak.
        n_samples: samples (at ``rate_hz``) correlated at the best lag.
        method: how it was estimated.
        lags_s, corr: the whole correlation curve (for plots), shape (L,).
    """

    offset_s: float
    confidence: float
    peak_corr: float
    second_corr: float
    n_samples: int
    method: str = METHOD
    lags_s: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    corr: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)


def _lowpass(v: np.ndarray, rate_hz: float, smooth_s: float) -> np.ndarray:
    """Two passes of a ``smooth_s`` centred mean (a triangular kernel, about 1 Hz for 0.5 s)."""
    half = max(1, round(smooth_s * rate_hz / 2))
    return centred_smooth(centred_smooth(v, half), half)


def _band(v: np.ndarray, rate_hz: float, smooth_s: float, slow_window_s: float) -> np.ndarray:
    """Low-pass (N, 3) vectors, take away their slow running mean, return the magnitude (N,)."""
    fast = _lowpass(v, rate_hz, smooth_s)
    win = max(1, round(slow_window_s * rate_hz))
    ts = TimeSeries(np.arange(v.shape[0]) / rate_hz, fast, ("a", "b", "c")[: v.shape[1]],
                    ("",) * v.shape[1])
    slow = moving_average(ts, win, centred=True, min_valid=max(1, win // 4)).values
    return np.asarray(np.linalg.norm(fast - slow, axis=1))


def imu_acc_feature(imu: TimeSeries, rate_hz: float = 10.0, *, smooth_s: float = 0.5,
                    gravity_window_s: float = 4.0) -> tuple[int, np.ndarray]:
    """The IMU's dynamic acceleration magnitude in m/s^2 at times ``k / rate_hz``.

    The accelerometer vector (m/s^2) is averaged down to ``rate_hz``, low-passed, and its
    running mean over ``gravity_window_s`` (gravity in the vest's tilted frame, plus the slowest
    part of the movement) is taken away; step impacts average out. Returns (k0, values (K,)).
    """
    idx, to_g = accelerometer_columns(imu)
    acc = imu.select([imu.channels[i] for i in idx])
    acc = acc.replace(values=acc.values * (to_g * G0_MPS2), units=("m/s^2",) * 3)
    acc, _ = dedupe_times(acc)
    acc, _ = fill_gaps(acc, max_gap_s=0.1)
    k0, v = _on_integer_grid(acc, rate_hz)
    return k0, _band(v, rate_hz, smooth_s, gravity_window_s)


def gps_acc_feature(gps_xy: TimeSeries, rate_hz: float = 10.0, *, smooth_s: float = 0.5,
                    slow_window_s: float = 4.0, x: str = "x", y: str = "y",
                    max_gap_s: float = 1.0) -> tuple[int, np.ndarray]:
    """The GPS acceleration magnitude in m/s^2 at times ``k / rate_hz``: positions (metres)
    smoothed, differentiated twice (smoothing after each step), then the same band as the IMU
    feature (low-pass, minus the running mean over ``slow_window_s``). Returns (k0, (K,))."""
    if not gps_xy.has(x, y):
        raise FootcoachError(f"need GPS channels {x!r} and {y!r} in metres, "
                             f"found {list(gps_xy.channels)}", gps_xy.source or None)
    pos, _ = dedupe_times(gps_xy.select([x, y]))
    pos, _ = fill_gaps(pos, max_gap_s=max_gap_s)
    k0, p = _on_integer_grid(pos, rate_hz)
    if p.shape[0] < 3:  # too short to differentiate
        return k0, np.full(p.shape[0], np.nan)
    h = 1.0 / rate_hz
    p = _lowpass(p, rate_hz, smooth_s)
    vel = _lowpass(np.gradient(p, h, axis=0), rate_hz, smooth_s)
    acc = np.gradient(vel, h, axis=0)
    return k0, _band(acc, rate_hz, smooth_s, slow_window_s)


def _grid_over(t: np.ndarray, rate_hz: float) -> np.ndarray:
    """Times ``k / rate_hz`` (integer k) covering [t[0], t[-1]]."""
    if t.size == 0:
        return np.empty(0)
    k0 = int(np.ceil(t[0] * rate_hz - 1e-9))
    k1 = int(np.floor(t[-1] * rate_hz + 1e-9))
    return np.arange(k0, k1 + 1) / rate_hz


def _on_integer_grid(ts: TimeSeries, rate_hz: float) -> tuple[int, np.ndarray]:
    """(first grid index k0, values (K, C)) of ``ts`` at times ``k / rate_hz``, averaged down
    first when the source is faster (so the interpolation does not alias)."""
    grid = _grid_over(ts.t, rate_hz)
    if grid.size == 0:
        return 0, np.empty((0, ts.values.shape[1]))
    src = ts
    ratio = ts.rate_hz / rate_hz if ts.rate_hz > 0 else 1.0
    if ratio > 1.5:
        src = moving_average(ts, round(ratio), centred=True)
    return round(grid[0] * rate_hz), resample(src, grid).values


def _xcorr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``c[d] = sum_i a[i] b[i + d]`` for every shift d (index d modulo the FFT length)."""
    n = 1 << int(np.ceil(np.log2(max(2, a.size + b.size - 1))))
    return np.fft.irfft(np.conj(np.fft.rfft(a, n)) * np.fft.rfft(b, n), n)


def correlate_lags(f: np.ndarray, kf: int, g: np.ndarray, kg: int, max_lag: int,
                   min_n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pearson correlation of ``f[k]`` with ``g[k + L]`` for L in -max_lag..max_lag, over the
    pairs where both are finite (all lags at once through FFT cross-correlations).

    ``f`` (F,) starts at integer grid index ``kf``, ``g`` (G,) at ``kg``. Returns (lags (L,),
    r (L,), n (L,) pairs); r is NaN where fewer than ``min_n`` pairs overlap.
    """
    lags = np.arange(-max_lag, max_lag + 1)
    r = np.full(lags.size, np.nan)
    n = np.zeros(lags.size, dtype=np.int64)
    mf, mg = np.isfinite(f), np.isfinite(g)
    if not mf.any() or not mg.any():
        return lags, r, n
    f0 = np.where(mf, f - f[mf].mean(), 0.0)
    g0 = np.where(mg, g - g[mg].mean(), 0.0)
    mf1, mg1 = mf.astype(np.float64), mg.astype(np.float64)
    d = kf - kg + lags
    valid = (d > -f.size) & (d < g.size)
    size = 1 << int(np.ceil(np.log2(max(2, f.size + g.size - 1))))
    idx = d[valid] % size

    def at(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _xcorr(a, b)[idx]

    cnt = np.round(at(mf1, mg1))
    sf, sg = at(f0, mg1), at(mf1, g0)
    sfg, sff, sgg = at(f0, g0), at(f0 * f0, mg1), at(mf1, g0 * g0)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe = np.maximum(cnt, 1.0)
        cov = sfg - sf * sg / safe
        vf = sff - sf * sf / safe
        vg = sgg - sg * sg / safe
        rr = cov / np.sqrt(vf * vg)
    rr[(cnt < min_n) | ~(vf > 0) | ~(vg > 0)] = np.nan
    r[valid] = np.clip(rr, -1.0, 1.0)
    n[valid] = cnt.astype(np.int64)
    return lags, r, n


def _second_peak(r: np.ndarray, best: int, exclusion: int) -> float:
    """Highest local maximum of ``r`` further than ``exclusion`` samples from ``best``."""
    rr = np.where(np.isfinite(r), r, -np.inf)
    left = np.concatenate([[-np.inf], rr[:-1]])
    right = np.concatenate([rr[1:], [-np.inf]])
    peaks = (rr >= left) & (rr >= right) & np.isfinite(r)
    far = np.abs(np.arange(r.size) - best) > exclusion
    cand = rr[peaks & far]
    return float(cand.max()) if cand.size else 0.0


def estimate_imu_gps_offset(
    imu: TimeSeries,
    gps_xy: TimeSeries,
    max_lag_s: float = 10.0,
    *,
    rate_hz: float = 10.0,
    smooth_s: float = 0.5,
    gravity_window_s: float = 4.0,
    exclusion_s: float = 1.5,
    min_overlap_s: float = 30.0,
) -> OffsetEstimate:
    """Offset (seconds) to add to the IMU clock so that it matches the GPS clock.

    ``imu`` has three ``acc_*`` channels (g or m/s^2), ``gps_xy`` has ``x``/``y`` in metres; their
    clocks should already agree within ``max_lag_s`` (e.g. via absolute epochs). See the module
    docstring for the method and the confidence. When the streams never overlap enough, the
    estimate has offset 0 and confidence 0.
    """
    kf, f = imu_acc_feature(imu, rate_hz, smooth_s=smooth_s, gravity_window_s=gravity_window_s)
    kg, g = gps_acc_feature(gps_xy, rate_hz, smooth_s=smooth_s, slow_window_s=gravity_window_s)
    max_lag = round(max_lag_s * rate_hz)
    min_n = max(10, round(min_overlap_s * rate_hz))
    lags, r, n = correlate_lags(f, kf, g, kg, max_lag, min_n=max(10, int(10 * rate_hz)))
    lags_s = lags / rate_hz
    if not np.isfinite(r).any():
        return OffsetEstimate(0.0, 0.0, np.nan, np.nan, 0, METHOD, lags_s, r)
    best = int(np.nanargmax(r))
    peak = float(r[best])
    delta = 0.0
    at_edge = best in (0, r.size - 1) or not (np.isfinite(r[best - 1]) and np.isfinite(r[best + 1]))
    if not at_edge:
        a, b, c = float(r[best - 1]), peak, float(r[best + 1])
        den = a - 2 * b + c
        if den < 0:
            delta = float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
            peak = b - 0.25 * (a - c) * delta
    exclusion = round(exclusion_s * rate_hz)
    second = _second_peak(r, best, exclusion)
    n_eff = n[best] / max(1.0, 2.0 * smooth_s * rate_hz)
    strength = float(np.clip(peak / 0.5, 0.0, 1.0))
    separation = float(np.clip((peak - max(second, 0.0)) / (0.5 * peak), 0.0, 1.0)) \
        if peak > 0 else 0.0
    significance = float(np.clip((peak * np.sqrt(n_eff) - 3.0) / 3.0, 0.0, 1.0))
    confidence = strength * separation * significance
    near_edge = min(best, r.size - 1 - best) < exclusion
    if at_edge or near_edge or n[best] < min_n:
        confidence = min(confidence, 0.1)
    return OffsetEstimate(
        offset_s=float((lags[best] + delta) / rate_hz),
        confidence=confidence,
        peak_corr=peak,
        second_corr=second,
        n_samples=int(n[best]),
        method=METHOD,
        lags_s=lags_s,
        corr=r,
    )
