"""Preprocessing filters: repeated times, the nominal grid, gap filling, outliers, smoothing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.sync.filters import (
    dedupe_times,
    fill_gaps,
    remove_gps_spikes,
    remove_imu_saturation,
    to_nominal_grid,
)
from footcoach.sync.smoothing import (
    centred_smooth,
    moving_average,
)

GNSS = Path("/work/shared/data/gnss-football-tactical/Dataset_A_Positional_data")


def series(t, values, channels=("a",), units=("",)) -> TimeSeries:
    return TimeSeries(np.asarray(t, float), np.asarray(values, float), channels, units,
                      source="test.csv")


def test_dedupe_keeps_first_and_drops_backward_times():
    ts = series([0.0, 0.1, 0.1, 0.2, 0.15, 0.3, np.nan, 0.4], [1, 2, 99, 3, 98, 4, 97, 5])
    out, n = dedupe_times(ts)
    assert n == 3
    np.testing.assert_array_equal(out.t, [0.0, 0.1, 0.2, 0.3, 0.4])
    np.testing.assert_array_equal(out.values[:, 0], [1, 2, 3, 4, 5])


def test_dedupe_nothing_to_do_returns_same_series():
    ts = series([0.0, 0.1, 0.2], [1, 2, 3])
    out, n = dedupe_times(ts)
    assert n == 0 and out is ts


def test_grid_makes_dropouts_explicit_rows():
    rng = np.random.default_rng(0)
    k = np.array([0, 1, 2, 5, 6, 7, 8, 12, 13])
    t = 100.0 + k * 0.1 + rng.normal(0, 1e-5, k.size)
    out, merged = to_nominal_grid(series(t, k))
    assert merged == 0 and len(out) == 14
    assert out.meta["rate_hz"] == pytest.approx(10.0, rel=1e-3)
    np.testing.assert_allclose(np.diff(out.t), 0.1, rtol=1e-3)
    present = ~np.isnan(out.values[:, 0])
    np.testing.assert_array_equal(np.flatnonzero(present), k)
    np.testing.assert_array_equal(out.values[present, 0], k)


def test_grid_of_a_long_jittery_stream_does_not_drift():
    """90 min at 100 Hz with timing jitter and 3 % dropped samples: every kept sample lands on
    its own slot; a per-sample rounding of the elapsed time with a median interval would not."""
    rng = np.random.default_rng(1)
    n = 540_000
    t = np.arange(n) / 100.0 + rng.normal(0, 2e-4, n)
    keep = rng.random(n) > 0.03
    keep[[0, -1]] = True
    ts = series(t[keep], np.arange(n)[keep])
    out, merged = to_nominal_grid(ts)
    assert merged == 0
    assert len(out) == n
    assert out.meta["rate_hz"] == pytest.approx(100.0, abs=1e-4)
    slot = np.flatnonzero(~np.isnan(out.values[:, 0]))
    np.testing.assert_array_equal(out.values[slot, 0], slot)


def test_grid_rejects_absurd_gap_and_unsorted_times():
    with pytest.raises(FootcoachError, match="row 3"):
        to_nominal_grid(series([0.0, 0.01, 0.02, 1e6], [1, 2, 3, 4]))
    with pytest.raises(FootcoachError, match=re.escape("test.csv")):
        to_nominal_grid(series([0.0, 0.2, 0.1], [1, 2, 3]))


def test_fill_gaps_interpolates_short_gaps_and_reports_long_ones():
    t = np.arange(100) * 0.1
    v = np.column_stack([2.0 * t + 1.0, -t])
    keep = np.ones(100, bool)
    keep[10:13] = False  # 0.3 s: filled
    keep[40:60] = False  # 2.0 s: left
    out, rep = fill_gaps(series(t[keep], v[keep], ("x", "y"), ("m", "m")), max_gap_s=0.5)
    assert len(out) == 100 and rep.n_grid == 100 and rep.n_input == 77
    np.testing.assert_allclose(out.values[10:13], v[10:13], atol=1e-9)
    assert np.isnan(out.values[40:60]).all()
    assert rep.n_missing_before == 23 and rep.n_filled == 3 and rep.n_missing_after == 20
    assert rep.longest_gap_s == pytest.approx(2.0)
    assert len(rep.gaps) == 1
    gap = rep.gaps[0]
    assert gap.start_s == pytest.approx(4.0) and gap.end_s == pytest.approx(6.0)
    assert gap.duration_s == pytest.approx(2.0)


def test_fill_gaps_per_channel_and_not_at_the_ends():
    t = np.arange(10) * 0.01
    v = np.column_stack([np.arange(10.0), np.arange(10.0) * 10])
    v[4:6, 0] = np.nan  # one channel only (a clipped accelerometer axis)
    v[:2, 1] = np.nan  # leading NaN cannot be interpolated
    out, rep = fill_gaps(series(t, v, ("a", "b"), ("g", "g")), max_gap_s=0.05)
    np.testing.assert_allclose(out.values[4:6, 0], [4.0, 5.0])
    assert np.isnan(out.values[:2, 1]).all()
    assert rep.n_missing_before == 4 and rep.n_filled == 2 and rep.n_missing_after == 2
    assert rep.gaps[0].start_s == pytest.approx(0.0) and rep.gaps[0].end_s == pytest.approx(0.02)


def test_moving_average_causal_matches_the_paper_formula():
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    out = moving_average(series(np.arange(6.0), x), 3).values[:, 0]
    expected = [1.0, 1.5, 7 / 3, 14 / 3, 28 / 3, 56 / 3]  # truncated window at the start
    np.testing.assert_allclose(out, expected)
    centred = moving_average(series(np.arange(6.0), x), 3, centred=True).values[:, 0]
    np.testing.assert_allclose(centred, [1.5, 7 / 3, 14 / 3, 28 / 3, 56 / 3, 24.0])


def test_moving_average_nan_stays_local():
    x = np.array([1.0, 1.0, np.nan, 3.0, 3.0, 3.0, 3.0])
    out = moving_average(series(np.arange(7.0), x), 3).values[:, 0]
    assert np.isnan(out[2])
    np.testing.assert_allclose(out[[0, 1, 3, 4, 5, 6]], [1.0, 1.0, 2.0, 3.0, 3.0, 3.0])
    strict = moving_average(series(np.arange(7.0), x), 3, min_valid=3).values[:, 0]
    assert np.isnan(strict[[0, 1, 2, 3, 4]]).all() and strict[5] == 3.0
    with pytest.raises(ValueError):
        moving_average(series(np.arange(7.0), x), 0)


def test_moving_average_long_window_matches_direct_mean():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 2)) + 1e4  # large offset: running sums must stay precise
    x[rng.random((200, 2)) < 0.1] = np.nan
    out = moving_average(series(np.arange(200.0), x, ("a", "b"), ("", "")), 40).values
    for i in (0, 39, 120, 199):
        for c in (0, 1):
            if np.isnan(x[i, c]):
                assert np.isnan(out[i, c])
            else:
                assert out[i, c] == pytest.approx(np.nanmean(x[max(0, i - 39):i + 1, c]), abs=1e-9)


def test_centred_smooth_keeps_lines_and_nan():
    v = np.linspace(0.0, 10.0, 30)
    v[12] = np.nan
    out = centred_smooth(centred_smooth(v, 3), 3)
    assert np.isnan(out[12])
    ok = ~np.isnan(v)
    np.testing.assert_allclose(out[ok], v[ok], atol=1e-12)
    noisy = np.sin(np.arange(50) * 0.3) + np.where(np.arange(50) % 2 == 0, 0.5, -0.5)
    assert np.std(np.diff(centred_smooth(noisy, 2))) < 0.5 * np.std(np.diff(noisy))


def smooth_track(n=600, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) * 0.1
    heading = np.cumsum(rng.normal(0, 0.05, n))
    speed = 3.0 + 2.0 * np.sin(t / 7.0)
    x = np.cumsum(speed * np.cos(heading)) * 0.1
    y = np.cumsum(speed * np.sin(heading)) * 0.1
    xy = np.column_stack([x, y]) + rng.normal(0, 0.05, (n, 2))
    return t, xy


def test_gps_spikes_are_removed_and_good_fixes_kept():
    t, xy = smooth_track()
    bad = xy.copy()
    planted = [50, 51, 52, 200, 333, 480]
    bad[50:53] += [8.0, -5.0]  # a 3-fix multipath burst
    bad[200] += [0.0, 3.0]
    bad[333] += [-25.0, 10.0]
    bad[480] += [1.5, 1.5]
    ts = series(t, np.column_stack([bad, np.arange(t.size)]), ("x", "y", "speed"),
                ("m", "m", "m/s"))
    out, n = remove_gps_spikes(ts)
    removed = np.flatnonzero(np.isnan(out.values[:, 0]))
    np.testing.assert_array_equal(removed, planted)
    assert n == len(planted)
    assert np.isnan(out.values[planted]).all()  # the whole row goes
    clean, n_clean = remove_gps_spikes(series(t, xy, ("x", "y"), ("m", "m")))
    assert n_clean == 0 and clean is not None


def test_gps_short_piece_after_a_jump_is_removed():
    t, xy = smooth_track()
    xy[:40] += [20.0, -6.0]  # the receiver settles 4 s after switch-on
    out, n = remove_gps_spikes(series(t, xy, ("x", "y"), ("m", "m")))
    assert n == 40
    assert np.isnan(out.values[:40]).all() and not np.isnan(out.values[40:]).any()


def test_gps_spikes_need_metres():
    ts = series([0, 1, 2], np.zeros((3, 2)), ("lat", "lon"), ("deg", "deg"))
    with pytest.raises(FootcoachError, match="'x' and 'y'"):
        remove_gps_spikes(ts)


def test_real_gnss_switch_on_jump_is_removed():
    path = GNSS / "U18_ID6.csv"
    if not path.exists():
        pytest.skip("real GNSS data not available")
    raw = np.loadtxt(path, delimiter=",", skiprows=1)
    t = (raw[:, 0] - 25569.0) * 86400.0
    lat0 = np.radians(raw[:, 2].mean())
    x = np.radians(raw[:, 1] - raw[:, 1].mean()) * 6371008.8 * np.cos(lat0)
    y = np.radians(raw[:, 2] - raw[:, 2].mean()) * 6371008.8
    ts = series(t - t[0], np.column_stack([x, y]), ("x", "y"), ("m", "m"))
    out, n = remove_gps_spikes(ts)
    removed = np.flatnonzero(np.isnan(out.values[:, 0]))
    assert 0 < n < 0.01 * len(ts)
    assert out.t[removed].max() < 10.0  # the 20 m jump at 7.6 s after switch-on
    ok = ~np.isnan(out.values[:, 0])
    step = np.hypot(*np.diff(out.values[ok], axis=0).T) / np.diff(out.t[ok])
    assert step.max() < 12.0


def test_imu_saturation_flags_clipped_values_only():
    n = 20
    acc = np.zeros((n, 3))
    acc[:, 2] = 1.0
    acc[5:8, 0] = 16.0  # clipped run on x (g)
    acc[12, 1] = -15.999
    gyro = np.zeros((n, 3))
    gyro[15, 2] = 2000.0  # deg/s full scale
    mag = np.full((n, 3), 40.0)
    mag[3, 0] = 5000.0  # not a saturating sensor here
    ts = series(np.arange(n) * 0.01, np.hstack([acc, gyro, mag]),
                ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "mag_x", "mag_y",
                 "mag_z"), ("g",) * 3 + ("deg/s",) * 3 + ("uT",) * 3)
    out, n_rows = remove_imu_saturation(ts)
    assert n_rows == 5
    nan = np.isnan(out.values)
    assert nan[5:8, 0].all() and nan[12, 1] and nan[15, 5]
    assert nan.sum() == 5


def test_imu_saturation_in_metres_per_second_squared():
    v = np.array([[0.0, 0.0, 9.8], [157.0, 0.0, 9.8], [80.0, 0.0, 9.8]])
    ts = series([0.0, 0.01, 0.02], v, ("acc_x", "acc_y", "acc_z"), ("m/s^2",) * 3)
    out, n = remove_imu_saturation(ts, acc_range_g=16.0)
    assert n == 1 and np.isnan(out.values[1, 0]) and out.values[2, 0] == 80.0
