"""Resampling onto the session clock."""

from __future__ import annotations

import re

import numpy as np
import pytest

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.sync.resample import (
    resample,
    resample_to_length,
    session_grid,
    to_session_clock,
)


def line(t, source="line.csv") -> TimeSeries:
    t = np.asarray(t, float)
    return TimeSeries(t, np.column_stack([3.0 * t + 1.0, -t]), ("a", "b"), ("m", "m"),
                      source=source, t0_epoch_s=1_600_000_000.0)


def test_session_grid_is_inclusive_and_does_not_drift():
    g = session_grid(10.0, 11.0, 10.0)
    assert g.size == 11 and g[0] == 10.0 and g[-1] == pytest.approx(11.0)
    long = session_grid(0.0, 5400.0, 100.0)
    assert long.size == 540_001
    assert long[-1] == pytest.approx(5400.0, abs=1e-9)
    assert session_grid(5.0, 4.0, 10.0).size == 0
    with pytest.raises(ValueError):
        session_grid(0.0, 1.0, 0.0)


def test_resample_is_exact_on_linear_data_and_never_extrapolates():
    src = line(np.arange(0.0, 10.0, 0.1))
    grid = np.arange(-1.0, 11.0, 0.037)
    out = resample(src, grid)
    inside = (grid >= 0.0) & (grid <= src.t[-1])
    np.testing.assert_allclose(out.values[inside, 0], 3.0 * grid[inside] + 1.0, atol=1e-9)
    np.testing.assert_allclose(out.values[inside, 1], -grid[inside], atol=1e-9)
    assert np.isnan(out.values[~inside]).all()
    assert out.channels == src.channels and out.source == "line.csv"
    assert out.meta["rate_hz"] == pytest.approx(1 / 0.037)


def test_resample_leaves_source_gaps_empty():
    t = np.concatenate([np.arange(0.0, 2.0, 0.1), np.arange(3.0, 4.0, 0.1)])
    out = resample(line(t), np.arange(0.0, 4.0, 0.05))
    in_gap = (out.t > 1.9 + 1e-9) & (out.t < 3.0 - 1e-9)
    assert np.isnan(out.values[in_gap]).all()
    assert not np.isnan(out.values[~in_gap & (out.t <= 3.9)]).any()
    # a larger tolerance bridges it
    wide = resample(line(t), np.arange(0.0, 4.0, 0.05), max_gap_s=1.5)
    assert not np.isnan(wide.values[wide.t <= 3.9]).any()


def test_resample_nan_neighbours():
    src = line(np.arange(5.0))
    src.values[2, 0] = np.nan
    out = resample(src, np.array([1.0, 1.5, 2.0, 2.5, 3.0]))
    np.testing.assert_allclose(out.values[[0, 4], 0], [4.0, 10.0])  # exactly on good samples
    assert np.isnan(out.values[1:4, 0]).all()
    np.testing.assert_allclose(out.values[:, 1], [-1.0, -1.5, -2.0, -2.5, -3.0])


def test_resample_needs_increasing_times():
    with pytest.raises(FootcoachError, match=re.escape("line.csv")):
        resample(line([0.0, 1.0, 1.0, 2.0]), np.arange(3.0))


def test_to_session_clock_applies_offset_and_epochs():
    src = line(np.arange(3.0))
    shifted = to_session_clock(src, 2.5)
    np.testing.assert_allclose(shifted.t, [2.5, 3.5, 4.5])
    assert shifted.t0_epoch_s is None and shifted.meta["clock_shift_s"] == 2.5
    # stream t=0 is 30 s after the session's t=0
    on_session = to_session_clock(src, 0.25, session_epoch=1_600_000_000.0 - 30.0)
    np.testing.assert_allclose(on_session.t, [30.25, 31.25, 32.25])
    assert on_session.t0_epoch_s == 1_600_000_000.0 - 30.0
    explicit = to_session_clock(src, 0.0, stream_epoch=100.0, session_epoch=90.0)
    np.testing.assert_allclose(explicit.t, [10.0, 11.0, 12.0])
    np.testing.assert_allclose(src.t, [0.0, 1.0, 2.0])  # the input is untouched


def test_resample_to_length_follows_the_paper_formula():
    x = np.array([0.0, 10.0, 20.0, 30.0])
    up = resample_to_length(x, 8)  # X'(t) = X(t * 4 / 8)
    np.testing.assert_allclose(up, [0, 5, 10, 15, 20, 25, 30, 30])
    down = resample_to_length(np.arange(10.0), 4)  # X(t * 10/4) = X(0), X(2.5), X(5), X(7.5)
    np.testing.assert_allclose(down, [0.0, 2.5, 5.0, 7.5])
    two = resample_to_length(np.column_stack([x, -x]), 4)
    np.testing.assert_allclose(two, np.column_stack([x, -x]))
    with pytest.raises(ValueError):
        resample_to_length(x, 0)
