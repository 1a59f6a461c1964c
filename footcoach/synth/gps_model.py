"""What a 10 Hz GNSS unit in the vest records for one simulated player.

Error model, per player: the position error is a second-order Gauss-Markov process per axis
(a white sequence through a critically damped filter with time constant ``tau`` 3-8 s), so it
wanders smoothly like real multipath/atmospheric error rather than jittering, with horizontal
RMS ``sigma`` drawn in 0.3-1.0 m, plus 2 cm white jitter; occasional spikes (a few per
10 minutes: 3-12 m off for 1-3 fixes, with a high HDOP); dropouts in bursts (a two-state
Markov chain, 3-5 % of the fixes, mean burst 0.3-1.2 s) that are missing rows in the file.
Speed is the Doppler speed: true speed + 0.06 m/s noise (unaffected by position spikes).
Positions go to WGS84 through :class:`footcoach.domain.geo.GeoToPitch` (pitch origin and
heading). The GNSS clock is the session's true clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import lfilter

from footcoach.domain.geo import GeoToPitch
from footcoach.synth.imu_model import format_rows
from footcoach.synth.trajectories import SimTrajectories

GPS_HEADER = "unix_time_ms,latitude,longitude,speed_mps,hdop"


@dataclass(frozen=True)
class GpsSpec:
    """GNSS model settings (units in the names)."""

    rate_hz: float = 10.0
    sigma_m: tuple[float, float] = (0.3, 1.0)
    tau_s: tuple[float, float] = (3.0, 8.0)
    jitter_m: float = 0.02
    dropout_frac: tuple[float, float] = (0.03, 0.05)
    dropout_burst_s: tuple[float, float] = (0.3, 1.2)
    spikes_per_10min: float = 3.0
    speed_noise_mps: float = 0.06


@dataclass
class GpsRecording:
    """Fixes kept after dropouts: ``t`` (N,) s session time, ``lat``/``lon`` (N,) degrees,
    ``speed_mps`` (N,), ``hdop`` (N,); ``sigma_m`` the player's error RMS (truth)."""

    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    speed_mps: np.ndarray
    hdop: np.ndarray
    sigma_m: float


def gauss_markov2(n: int, tau_samples: float, rng: np.random.Generator) -> np.ndarray:
    """(n,) unit-variance second-order Gauss-Markov sequence with time constant
    ``tau_samples`` (after a burn-in of 10 time constants)."""
    r = float(np.exp(-1.0 / tau_samples))
    a = [1.0, -2 * r, r * r]
    burn = int(10 * tau_samples)
    x = lfilter([1.0], a, rng.normal(0, 1, n + burn))[burn:]
    impulse = lfilter([1.0], a, np.r_[1.0, np.zeros(int(40 * tau_samples))])
    return x / np.sqrt(np.sum(impulse ** 2))


def _dropout_mask(n: int, frac: float, burst: float, rng: np.random.Generator) -> np.ndarray:
    """(n,) True where a fix is kept; bursts of mean length ``burst`` samples."""
    keep = np.ones(n, dtype=bool)
    mean_good = burst * (1 - frac) / frac
    k = int(rng.exponential(mean_good))
    while k < n:
        length = max(1, int(rng.geometric(1.0 / burst)))
        keep[k:k + length] = False
        k += length + max(1, int(rng.exponential(mean_good)))
    return keep


def simulate_gps(traj: SimTrajectories, player: int, geo: GeoToPitch,
                 rng: np.random.Generator, spec: GpsSpec = GpsSpec()) -> GpsRecording:
    """10 Hz fixes of ``player`` over the whole session (see the module docstring)."""
    dt = 1.0 / spec.rate_hz
    t = np.arange(0.0, float(traj.t[-1]) + 1e-9, dt)
    n = len(t)
    spl = CubicSpline(traj.t, traj.xy[player], axis=0)
    xy, vel = spl(t), spl(t, 1)
    sigma = float(rng.uniform(*spec.sigma_m))
    tau = float(rng.uniform(*spec.tau_s)) * spec.rate_hz
    err = np.stack([gauss_markov2(n, tau, rng) for _ in range(2)], axis=1) * sigma / np.sqrt(2)
    err += rng.normal(0, spec.jitter_m, (n, 2))
    hdop = 0.9 + 0.15 * gauss_markov2(n, 30 * spec.rate_hz, rng) + 0.3 * (sigma - 0.3)
    n_spikes = rng.poisson(spec.spikes_per_10min * n * dt / 600.0)
    for _ in range(int(n_spikes)):
        k = int(rng.integers(0, n))
        length = int(rng.integers(1, 4))
        ang = rng.uniform(0, 2 * np.pi)
        err[k:k + length] += rng.uniform(3, 12) * np.array([np.cos(ang), np.sin(ang)])
        hdop[k:k + length] = rng.uniform(2.5, 6.0)
    keep = _dropout_mask(n, float(rng.uniform(*spec.dropout_frac)),
                         float(rng.uniform(*spec.dropout_burst_s)) * spec.rate_hz, rng)
    edges = np.flatnonzero(np.diff(keep.astype(int)) != 0)
    for e in edges:
        hdop[max(e - 5, 0):e + 6] += 0.4
    pos = xy + err
    lon, lat = geo.to_lonlat(pos[:, 0], pos[:, 1])
    v_noise = lfilter([0.5], [1.0, -0.5], rng.normal(0, spec.speed_noise_mps * 1.7, n))
    speed = np.maximum(np.hypot(vel[:, 0], vel[:, 1]) + v_noise, 0.0)
    return GpsRecording(t[keep], lat[keep], lon[keep], speed[keep],
                        np.clip(np.round(hdop[keep], 1), 0.5, 9.9), sigma)


def gps_csv_text(rec: GpsRecording, epoch_ms: int) -> str:
    """The recording as GPS CSV (``GPS_HEADER``, time in epoch ms, 1e-8 degree resolution)."""
    ms = epoch_ms + np.rint(rec.t * 1000).astype(np.int64)
    cols = np.column_stack([rec.lat, rec.lon, rec.speed_mps, rec.hdop])
    return GPS_HEADER + "\n" + format_rows(ms, cols, "%d,%.8f,%.8f,%.2f,%.1f")
