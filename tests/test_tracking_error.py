"""Tracking errors for the simulated ball (synth/tracking_error.py): the noise has the asked
standard deviation and correlation time, the gaps hide the asked share, and the same seed
gives the same track."""

from __future__ import annotations

import numpy as np
import pytest

from footcoach.domain.timeseries import TimeSeries
from footcoach.synth.tracking_error import correlated_noise, degrade_ball, gap_mask


def test_correlated_noise_has_the_asked_spread_and_memory():
    rng = np.random.default_rng(1)
    e = correlated_noise(200_000, 0.04, 0.8, 0.5, rng)  # 25 Hz, 0.8 m, 0.5 s
    assert e.shape == (200_000, 2)
    assert e.std(axis=0) == pytest.approx([0.8, 0.8], rel=0.05)
    lag = round(0.5 / 0.04)  # one correlation time: autocorrelation 1/e
    r = np.corrcoef(e[:-lag, 0], e[lag:, 0])[0, 1]
    assert r == pytest.approx(np.exp(-1.0), abs=0.04)
    white = correlated_noise(50_000, 0.04, 1.0, 0.0, rng)
    assert abs(np.corrcoef(white[:-1, 0], white[1:, 0])[0, 1]) < 0.02
    assert not correlated_noise(10, 0.04, 0.0, 0.5, rng).any()


def test_gap_mask_hides_the_share_of_known_samples():
    rng = np.random.default_rng(2)
    known = np.ones(5000, bool)
    known[:1000] = False  # the ball out of play: not counted
    hidden = gap_mask(5000, 0.04, 0.2, 1.0, rng, known)
    share = (hidden & known).sum() / known.sum()
    assert 0.2 <= share < 0.23  # stops once the share is reached (one gap may overshoot)
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, hidden.astype(int), 0])))[::2]
    assert runs.mean() > 10  # ~1 s gaps (25 samples), not scattered single samples
    assert not gap_mask(100, 0.04, 0.0, 1.0, rng).any()


def test_degrade_ball_is_seeded_and_keeps_out_of_play_gaps():
    t = np.arange(0, 2500) / 25.0
    x = np.linspace(10, 60, t.size)
    xyz = np.c_[x, np.full(t.size, 30.0), np.zeros(t.size)]
    xyz[100:200] = np.nan  # out of play in the exact track
    ball = TimeSeries(t, xyz, ("x", "y", "z"), ("m", "m", "m"), name="ball")
    a = degrade_ball(ball, 1.0, 0.1, seed=5)
    b = degrade_ball(ball, 1.0, 0.1, seed=5)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, degrade_ball(ball, 1.0, 0.1, seed=6).values)
    v = a.values
    assert np.isnan(v[100:200]).all()
    hidden = np.isnan(v[:, 0]) & np.isfinite(xyz[:, 0])
    assert hidden.sum() / np.isfinite(xyz[:, 0]).sum() == pytest.approx(0.1, abs=0.02)
    np.testing.assert_array_equal(np.isnan(v[:, 2]), np.isnan(v[:, 0]))  # z shares the gaps
    err = (v[:, :2] - xyz[:, :2])[np.isfinite(v[:, 0])]
    assert 0.5 < err.std() < 1.5 and np.all(v[np.isfinite(v[:, 2]), 2] == 0.0)
    same = degrade_ball(ball, 0.0, 0.0, seed=1)
    np.testing.assert_array_equal(same.values, xyz)
    with pytest.raises(ValueError, match="gap share"):
        degrade_ball(ball, 1.0, 1.0, seed=1)
