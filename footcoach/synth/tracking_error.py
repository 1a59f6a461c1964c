"""Tracking errors for an exact simulated ball: how a real tracking system's ball would differ.

The simulator's ball (``labels.json``) is exact and always known while in play. A real
provider's ball track (optical tracking, or detection in a sideline video) has a position error
that drifts slowly rather than jumping independently every frame, and gaps where the ball is
hidden by players or out of view. :func:`degrade_ball` adds both, so that
``footcoach dataset build --ball-noise M --ball-gaps F`` measures how the ball-relative features
(and a model trained on the exact ball) hold up against a realistic track.

Error model, per axis: a first-order autoregressive (Gauss-Markov) process with standard
deviation ``noise_m`` metres and correlation time ``correlation_s``; gaps: intervals of
exponentially distributed length (mean ``mean_gap_s``) placed at random until a share
``gap_share`` of the track's known samples is removed (set to NaN).
"""

from __future__ import annotations

import numpy as np

from footcoach.domain.timeseries import TimeSeries


def correlated_noise(n: int, dt_s: float, sd: float, correlation_s: float,
                     rng: np.random.Generator, dims: int = 2) -> np.ndarray:
    """(n, dims) stationary AR(1) noise with standard deviation ``sd`` and correlation time
    ``correlation_s`` at sample interval ``dt_s`` (s)."""
    out = np.zeros((n, dims))
    if n == 0 or sd <= 0:
        return out
    phi = float(np.exp(-dt_s / correlation_s)) if correlation_s > 0 else 0.0
    shocks = rng.normal(0.0, sd * np.sqrt(1.0 - phi * phi), (n, dims))
    out[0] = rng.normal(0.0, sd, dims)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def gap_mask(n: int, dt_s: float, share: float, mean_gap_s: float,
             rng: np.random.Generator, known: np.ndarray | None = None) -> np.ndarray:
    """(n,) bool, True where a gap hides the sample: random intervals of exponential length
    (mean ``mean_gap_s``) until at least ``share`` of the ``known`` samples (default all) are
    hidden."""
    hidden = np.zeros(n, bool)
    known = np.ones(n, bool) if known is None else np.asarray(known, bool)
    target = share * int(known.sum())
    if n == 0 or share <= 0 or target < 1:
        return hidden
    while int((hidden & known).sum()) < target:
        length = max(1, round(rng.exponential(mean_gap_s) / dt_s))
        start = int(rng.integers(0, n))
        hidden[start:start + length] = True
    return hidden


def degrade_ball(ball: TimeSeries, noise_m: float, gap_share: float, seed: int, *,
                 correlation_s: float = 0.5, mean_gap_s: float = 1.0) -> TimeSeries:
    """The ball track with tracking errors: correlated position noise on ``x``/``y`` (standard
    deviation ``noise_m`` m per axis) and gaps hiding ``gap_share`` (0..1) of its known samples;
    other channels (``z``) get the same gaps. The same ``seed`` gives the same errors."""
    if not (noise_m >= 0 and 0 <= gap_share < 1):
        raise ValueError(f"ball noise must be >= 0 m and the gap share in 0..1, got "
                         f"{noise_m} m and {gap_share}")
    rng = np.random.default_rng(seed)
    values = np.array(ball.values, np.float64, copy=True)
    n = len(ball)
    dt = float(np.median(np.diff(ball.t))) if n > 1 else 1.0
    xy = [ball.channels.index(c) for c in ("x", "y")]
    values[:, xy] += correlated_noise(n, dt, noise_m, correlation_s, rng)
    known = np.isfinite(values[:, xy]).all(axis=1)
    values[gap_mask(n, dt, gap_share, mean_gap_s, rng, known)] = np.nan
    return ball.replace(values=values)
