"""The faster cleaning / resampling / alignment paths compute what their definitions say, bit
for bit: block-wise float32 resampling, in-place smoothing, the FFT cross-correlation, the
shared read-only lattices, and an eager session's raw streams left untouched."""

from __future__ import annotations

import numpy as np
import pytest

from footcoach.app.align import AlignSettings, align_session
from footcoach.app.load import load_session
from footcoach.bench.io_bench import generate_session, measure
from footcoach.domain.timeseries import TimeSeries
from footcoach.sync.filters import (
    _any_at_or_beyond,
    dedupe_times,
    fill_gaps,
    remove_imu_saturation,
)
from footcoach.sync.offsets import correlate_lags
from footcoach.sync.quality import clean_stream
from footcoach.sync.resample import _CHUNK_ROWS, resample
from footcoach.sync.smoothing import (
    moving_average,
)

IMU_CHANNELS = tuple(f"{s}_{a}" for s in ("acc", "gyro", "mag") for a in "xyz")
IMU_UNITS = ("g",) * 3 + ("rad/s",) * 3 + ("uT",) * 3


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _reference_resample(t: np.ndarray, v: np.ndarray, grid: np.ndarray,
                        max_gap_s: float) -> np.ndarray:
    """resample's documented rule, one grid time at a time."""
    out = np.full((grid.size, v.shape[1]), np.nan)
    for i, g in enumerate(grid):
        if not t[0] <= g <= t[-1]:
            continue
        j = min(int(np.searchsorted(t, g, side="right")) - 1, t.size - 2)
        span = t[j + 1] - t[j]
        w = min(max((g - t[j]) / span, 0.0), 1.0)
        if w == 0.0:
            out[i] = v[j]
        elif w == 1.0:
            out[i] = v[j + 1]
        elif span <= max_gap_s * (1 + 1e-9):
            out[i] = v[j] * (1.0 - w) + v[j + 1] * w
    return out


@pytest.mark.parametrize("seed", range(4))
def test_block_resampling_follows_the_rule_in_float64_and_float32(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    t = np.cumsum(rng.choice([0.01, 0.01, 0.01, 0.02, 0.3], n)) + rng.normal(0, 1e-4, n) - 7.0
    t = np.maximum.accumulate(t) + np.arange(n) * 1e-9
    v = rng.normal(size=(n, 4))
    v[rng.random(v.shape) < 0.01] = np.nan
    v[rng.random(v.shape) < 0.01] = -0.0
    ts = TimeSeries(t, v, ("a", "b", "c", "d"), ("m",) * 4)
    grids = [np.arange(-800, 3000) / 100.0,  # a lattice: many times exactly on samples
             rng.uniform(t[0] - 1, t[-1] + 1, 2 * _CHUNK_ROWS + 5),  # unsorted, several blocks
             t[rng.integers(0, n, 500)]]
    for grid in grids:
        ref = _reference_resample(t, v, grid, 1.5 * float(np.median(np.diff(t))))
        out = resample(ts, grid)
        assert _bits(out.values) == _bits(ref)
        f32 = resample(ts, grid, dtype=np.float32)
        assert f32.values.dtype == np.float32 and _bits(f32.values) == _bits(ref.astype(np.float32))


def test_resampling_at_nan_or_infinite_times_gives_nan() -> None:
    ts = TimeSeries(np.arange(10) * 0.1, np.arange(10.0)[:, None], ("a",), ("m",))
    out = resample(ts, np.array([0.05, np.nan, 0.3, np.inf, -np.inf, 0.9]))
    np.testing.assert_allclose(out.values[:, 0], [0.5, np.nan, 3.0, np.nan, np.nan, 9.0],
                               rtol=1e-12)


@pytest.mark.parametrize("window,centred", [(5, True), (4, False), (1, True), (16, True)])
def test_smoothing_in_place_equals_the_copy(window: int, centred: bool) -> None:
    rng = np.random.default_rng(window)
    v = rng.normal(size=(20_000, 9))  # several blocks
    ts = TimeSeries(np.arange(v.shape[0]) * 0.01, v, IMU_CHANNELS, IMU_UNITS)
    copy = moving_average(ts, window, centred=centred, min_valid=2)
    assert np.shares_memory(copy.values, v) == (window == 1)  # 1: nothing to average
    mine = v.copy()
    inplace = moving_average(ts.replace(values=mine), window, centred=centred, min_valid=2,
                             overwrite=True)
    assert _bits(inplace.values) == _bits(copy.values)
    if window > 1:
        assert np.shares_memory(inplace.values, mine)
    # by definition: the mean over the window, truncated at the ends (1: the input as it is)
    a, b = ((window - 1) // 2, window // 2 + 1) if centred else (window - 1, 1)
    for i in (0, 1, 5000, 19_999) if window > 1 else ():
        lo, hi = max(i - a, 0), min(i + b, v.shape[0])
        expect = v[lo:hi].mean(axis=0) if hi - lo >= 2 else np.full(9, np.nan)
        np.testing.assert_allclose(copy.values[i], expect, rtol=1e-12, atol=1e-15)


def test_clean_stream_overwrites_the_input_only_when_allowed() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(30_000) * 0.01
    v = rng.normal(size=(t.size, 9))
    keep = v.copy()
    ts = TimeSeries(t, v, IMU_CHANNELS, IMU_UNITS)
    cleaned, row = clean_stream(ts, "imu", 0.1)
    assert _bits(v) == _bits(keep)  # untouched
    again, row2 = clean_stream(ts, "imu", 0.1, overwrite_input=True)
    assert np.shares_memory(again.values, v) and row2 == row
    assert _bits(again.values) == _bits(cleaned.values)


def test_shortcuts_of_dedupe_and_saturation_match_their_definitions() -> None:
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.choice([0.01, 0.0, -0.05], 5000, p=[0.95, 0.03, 0.02]))
    t[[7, 4000]] = np.nan
    for times in (t, np.arange(5000) * 0.01, np.r_[np.arange(10.0), np.inf]):
        v = rng.normal(size=(times.size, 9))
        out, dropped = dedupe_times(TimeSeries(times, v, IMU_CHANNELS, IMU_UNITS))
        finite = np.isfinite(times)
        prev = np.maximum.accumulate(np.where(finite, times, -np.inf))
        keep = finite.copy()
        keep[1:] &= times[1:] > prev[:-1] + 1e-6
        assert dropped == int((~keep).sum()) and _bits(out.t) == _bits(times[keep])
    v = rng.normal(0, 2, (70_000, 9))
    for bad in (None, (69_999, 1, 16.0), (3, 4, -35.0)):
        w = v.copy()
        if bad:
            w[bad[0], bad[1]] = bad[2]
        ts = TimeSeries(np.arange(w.shape[0]) * 0.01, w, IMU_CHANNELS, IMU_UNITS)
        bound = np.array([16.0] * 3 + [34.9] * 3 + [np.inf] * 3) * (1 - 1e-3)
        assert _any_at_or_beyond(w, bound) == bool((np.abs(w) >= bound).any()) == bool(bad)
        assert _any_at_or_beyond(np.asfortranarray(w), bound) == bool(bad)
        assert remove_imu_saturation(ts)[1] == (1 if bad else 0)


def test_fill_gaps_report_ends_a_run_at_the_end_one_step_later() -> None:
    t = np.r_[np.arange(0, 1.0, 0.1), np.arange(3.0, 3.5, 0.1)]
    v = np.ones((t.size, 2))
    v[-2:, 0] = np.nan
    _, report = fill_gaps(TimeSeries(t, v, ("a", "b"), ("m", "m")), 0.5, rate_hz=10.0)
    np.testing.assert_allclose(report.gap_start_s, [1.0, 3.3])
    np.testing.assert_allclose(report.gap_end_s, [3.0, 3.5])


def test_fft_cross_correlation_equals_the_direct_sums() -> None:
    rng = np.random.default_rng(7)
    g = rng.normal(size=900)
    f = g[150:700] + rng.normal(0, 0.3, 550)  # f[k] ~ g[k + 150 - 20] with kf = 20, kg = 0
    f[rng.random(f.size) < 0.1] = np.nan
    g[rng.random(g.size) < 0.05] = np.nan
    lags, r, n = correlate_lags(f, 20, g, 0, max_lag=200, min_n=30)
    for lag, rr, nn in zip(lags, r, n, strict=True):
        k = np.arange(f.size)
        idx = k + 20 + lag  # g index paired with f[k]
        inside = (idx >= 0) & (idx < g.size)
        a, b = f[k[inside]], g[idx[inside]]
        both = np.isfinite(a) & np.isfinite(b)
        assert nn == both.sum()
        if nn >= 30:
            assert rr == pytest.approx(np.corrcoef(a[both], b[both])[0, 1], abs=1e-9)
        else:
            assert np.isnan(rr)
    assert lags[int(np.nanargmax(r))] == 130


def test_alignment_shares_read_only_lattices_and_keeps_eager_streams(tmp_path) -> None:
    session = generate_session(tmp_path / "s", players=3, minutes=0.5)
    eager = load_session(session)
    raw = {p: ts.values.copy() for p, ts in eager.imu.items()}
    a = align_session(eager, AlignSettings(estimate_offsets=False))
    for p, ts in eager.imu.items():  # smoothing in place is for lazily read streams only
        assert _bits(ts.values) == _bits(raw[p])
    b = align_session(load_session(session, imu="lazy"), AlignSettings(estimate_offsets=False))
    for p in a.imu:
        assert _bits(a.imu[p].values) == _bits(b.imu[p].values)
        assert not a.imu[p].t.flags.writeable
    assert a.imu["p01"].t is a.imu["p02"].t  # same span: one array
    assert {"read imu", "clean imu", "resample imu", "clean gps", "resample gps"} <= set(
        b.stage_cpu_s)


def test_benchmark_reports_cpu_time_per_stage(tmp_path) -> None:
    session = generate_session(tmp_path / "b", players=2, minutes=0.2)
    r = measure(session)
    assert r["players"] == 2 and r["imu_rows"] == 2 * 1200
    assert 0 < r["align_cpu_s"] <= r["total_cpu_s"] and r["peak_rss_mb"] > 0
    assert set(r["stages"]) >= {"read imu", "clean imu", "resample imu"}
