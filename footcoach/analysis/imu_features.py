"""Handcrafted features of one IMU recording (the classical baseline's input; numpy only).

A recording is ``values`` (N, C): N samples at ``rate_hz`` of C channels, grouped into sensors
of 6 channels each (acc x/y/z in g, gyro x/y/z in rad/s), NaN where missing. For every
channel, and for the acc and gyro magnitudes of each sensor, :func:`channel_features` gives
:data:`CHANNEL_FEATURES`; :func:`sample_features` adds the pairwise correlations of the 6
channels of each sensor and the duration. The vector has a fixed length for a fixed C, so
recordings of different lengths can be stacked into one (n, F) matrix
(:func:`feature_matrix`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Per-channel features, in output order. Units are those of the channel (g, rad/s) unless
#: noted: ``energy`` is the mean square, ``jerk`` the mean |dx/dt| (unit/s), ``dom_freq_hz``
#: the frequency of the largest spectral peak (DC excluded), ``band_*`` the fraction of the
#: (mean-removed) signal's power in that band, ``t_peak`` the time of the largest |x - median|
#: as a fraction of the recording.
CHANNEL_FEATURES: tuple[str, ...] = (
    "mean", "std", "min", "max", "p10", "p25", "p50", "p75", "p90", "energy", "peak",
    "dom_freq_hz", "band_0_1", "band_1_3", "band_3_6", "band_6_12", "jerk", "jerk_max",
    "skew", "kurtosis", "t_peak",
)
BANDS_HZ: tuple[tuple[float, float], ...] = ((0.0, 1.0), (1.0, 3.0), (3.0, 6.0), (6.0, 12.0))
SENSOR_CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")


def _filled(x: np.ndarray) -> np.ndarray:
    """(N, C) with NaN replaced by linear interpolation per column (edges held; all-NaN -> 0)."""
    x = np.array(x, dtype=np.float64, copy=True)
    idx = np.arange(x.shape[0])
    for j in range(x.shape[1]):
        ok = np.isfinite(x[:, j])
        if ok.all():
            continue
        x[:, j] = np.interp(idx, idx[ok], x[ok, j]) if ok.any() else 0.0
    return x


def spectrum(x: np.ndarray, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Power spectrum of the mean-removed, Hann-windowed columns of ``x`` (N, C).

    Zero-padded to at least 1024 points (finer frequency grid). Returns ``freqs`` (K,) in Hz
    and ``power`` (K, C).
    """
    n = x.shape[0]
    n_fft = max(1024, 1 << int(np.ceil(np.log2(max(n, 2)))))
    w = np.hanning(n) if n > 2 else np.ones(n)
    y = (x - x.mean(axis=0)) * w[:, None]
    power = np.abs(np.fft.rfft(y, n=n_fft, axis=0)) ** 2
    return np.fft.rfftfreq(n_fft, d=1.0 / rate_hz), power


def dominant_frequency(x: np.ndarray, rate_hz: float) -> np.ndarray:
    """Frequency (Hz) of the largest spectral peak of each column of ``x`` (N, C) -> (C,).

    The DC bin is excluded; the peak is refined by a parabola through the three bins around it
    (log power). A constant column gives 0.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64).T).T
    freqs, power = spectrum(_filled(x), rate_hz)
    out = np.zeros(x.shape[1])
    for j in range(x.shape[1]):
        p = power[1:, j]
        if not np.any(p > 1e-20):
            continue
        k = int(np.argmax(p)) + 1
        shift = 0.0
        if 1 < k < len(freqs) - 1:
            a, b, c = np.log(power[k - 1:k + 2, j] + 1e-30)
            den = a - 2.0 * b + c
            shift = 0.5 * (a - c) / den if den < 0 else 0.0
        out[j] = freqs[k] + shift * (freqs[1] - freqs[0])
    return out


def channel_features(x: np.ndarray, rate_hz: float) -> np.ndarray:
    """:data:`CHANNEL_FEATURES` of every column of ``x`` (N, C) sampled at ``rate_hz`` -> (C, F).

    NaN samples are interpolated over first; fewer than 2 samples give NaN features.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64).T).T
    n, c = x.shape
    if n < 2:
        return np.full((c, len(CHANNEL_FEATURES)), np.nan)
    x = _filled(x)
    mean, std = x.mean(axis=0), x.std(axis=0)
    pct = np.percentile(x, (10, 25, 50, 75, 90), axis=0)
    dev = np.abs(x - pct[2])
    z = (x - mean) / np.where(std > 1e-12, std, 1.0)
    freqs, power = spectrum(x, rate_hz)
    total = power[1:].sum(axis=0)
    total = np.where(total > 0, total, 1.0)
    bands = [power[(freqs > lo) & (freqs <= hi)].sum(axis=0) / total for lo, hi in BANDS_HZ]
    d = np.abs(np.diff(x, axis=0)) * rate_hz
    cols = [mean, std, x.min(axis=0), x.max(axis=0), *pct, (x * x).mean(axis=0),
            np.abs(x).max(axis=0), dominant_frequency(x, rate_hz), *bands, d.mean(axis=0),
            d.max(axis=0), (z ** 3).mean(axis=0), (z ** 4).mean(axis=0),
            dev.argmax(axis=0) / max(n - 1, 1)]
    return np.stack(cols, axis=1)


def _correlations(x: np.ndarray) -> np.ndarray:
    """Upper-triangle Pearson correlations of the columns of ``x`` (N, C) -> (C(C-1)/2,);
    0 where a column is constant."""
    x = x - x.mean(axis=0)
    norm = np.sqrt((x * x).sum(axis=0))
    norm = np.where(norm > 1e-12, norm, np.inf)
    r = (x.T @ x) / np.outer(norm, norm)
    return r[np.triu_indices(x.shape[1], k=1)]


def feature_names(sensors: Sequence[str]) -> list[str]:
    """Names of the :func:`sample_features` vector for these sensor names (6 channels each)."""
    names: list[str] = []
    for s in sensors:
        for ch in (*SENSOR_CHANNELS, "acc_norm", "gyro_norm"):
            names += [f"{s}.{ch}.{f}" for f in CHANNEL_FEATURES]
        names += [f"{s}.corr.{SENSOR_CHANNELS[i]}.{SENSOR_CHANNELS[j]}"
                  for i, j in zip(*np.triu_indices(6, k=1), strict=True)]
    return [*names, "duration_s"]


def sample_features(values: np.ndarray, rate_hz: float) -> np.ndarray:
    """The feature vector of one recording ``values`` (N, 6 * n_sensors) -> (F,).

    Per sensor: the channel features of its 6 channels and of |acc| and |gyro|, then the 15
    correlations between its channels; last, the duration in seconds. Order: :func:`feature_names`.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] % 6:
        raise ValueError(f"values must be (N, 6 * sensors), got {values.shape}")
    x = _filled(values)
    parts: list[np.ndarray] = []
    for k in range(values.shape[1] // 6):
        s = x[:, 6 * k:6 * k + 6]
        norms = np.column_stack([np.linalg.norm(s[:, :3], axis=1),
                                 np.linalg.norm(s[:, 3:], axis=1)])
        parts.append(channel_features(np.column_stack([s, norms]), rate_hz).ravel())
        parts.append(_correlations(s) if len(s) > 1 else np.full(15, np.nan))
    parts.append(np.array([values.shape[0] / rate_hz]))
    return np.concatenate(parts)


def feature_matrix(recordings: Sequence[np.ndarray], rate_hz: float) -> np.ndarray:
    """:func:`sample_features` of each recording, stacked -> (n, F) float64."""
    return np.stack([sample_features(v, rate_hz) for v in recordings])
