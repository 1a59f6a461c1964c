"""Cleaning in the paper's order and the data-quality table."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.sync.quality import clean_stream, quality_table

GNSS = Path("/work/shared/data/gnss-football-tactical/Dataset_A_Positional_data")
IMU_CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")


def imu_stream() -> tuple[TimeSeries, dict[str, int]]:
    """10 s at 100 Hz with 2 repeated rows, a 3-row clipped run, a 5-sample dropout and a
    0.5 s dropout."""
    n = 1000
    t = np.arange(n) * 0.01
    v = np.zeros((n, 6))
    v[:, 0] = np.sin(2 * np.pi * t)
    v[:, 2] = 1.0
    v[300:303, 0] = 16.0
    keep = np.ones(n, bool)
    keep[500:505] = False
    keep[700:750] = False
    t, v = t[keep], v[keep]
    t = np.insert(t, [100, 200], [t[99], t[199]])  # two repeated timestamps
    v = np.insert(v, [100, 200], 99.0, axis=0)
    ts = TimeSeries(t, v, IMU_CHANNELS, ("g",) * 3 + ("rad/s",) * 3, name="imu",
                    source="imu/p1.csv")
    return ts, {"raw": len(t), "grid": n}


def test_clean_imu_counts_every_step():
    ts, expect = imu_stream()
    clean, row = clean_stream(ts, "imu", player="p1")
    assert row.player == "p1" and row.modality == "imu"
    assert row.rate_hz == pytest.approx(100.0)
    assert row.samples_before == expect["raw"] == 947
    assert row.samples_after == len(clean) == expect["grid"]
    assert row.n_repeated == 2 and row.n_outliers == 3
    assert row.anomaly_rate == pytest.approx(5 / 947)
    assert row.missing_before == pytest.approx(55 / 1000)
    # the clipped run and the 5-sample dropout are filled; the 0.5 s dropout stays
    assert row.n_filled == 8
    assert row.missing_after == pytest.approx(50 / 1000)
    assert row.longest_gap_s == pytest.approx(0.5)
    assert np.isnan(clean.values[700:750]).all()
    assert not np.isnan(clean.values[:700]).any()
    assert np.abs(clean.values[:, 0][~np.isnan(clean.values[:, 0])]).max() < 1.01
    assert clean.meta["gap_report"].gaps[0].duration_s == pytest.approx(0.5)


def test_clean_imu_smoothing_window():
    ts, _ = imu_stream()
    raw, _ = clean_stream(ts, "imu", smooth_window=1)
    smooth, _ = clean_stream(ts, "imu", smooth_window=5)
    expected = np.convolve(raw.values[400:420, 0], np.ones(5) / 5, "valid")
    np.testing.assert_allclose(smooth.values[402:418, 0], expected, atol=1e-12)
    causal, _ = clean_stream(ts, "imu", smooth_window=5, smooth_centred=False)
    np.testing.assert_allclose(causal.values[404:420, 0], expected, atol=1e-12)


def test_clean_gps_removes_spikes_then_fills():
    t = np.arange(300) * 0.1
    xy = np.column_stack([3.0 * t, 0.5 * t])
    xy[100] += [15.0, 0.0]
    keep = np.ones(300, bool)
    keep[200:204] = False
    ts = TimeSeries(t[keep], xy[keep], ("x", "y"), ("m", "m"), source="gps/p1.csv")
    clean, row = clean_stream(ts, "gps", player="p1")
    assert row.n_outliers == 1 and row.n_repeated == 0
    assert row.samples_before == 296 and row.samples_after == 300
    assert row.missing_before == pytest.approx(4 / 300)
    assert row.missing_after == 0.0
    assert row.n_filled == 5
    np.testing.assert_allclose(clean.values, np.column_stack([3.0 * t, 0.5 * t]), atol=1e-9)


def test_clean_stream_rejects_bad_input():
    ts, _ = imu_stream()
    with pytest.raises(ValueError):
        clean_stream(ts, "video")
    empty = ts.replace(t=np.empty(0), values=np.empty((0, 6)))
    with pytest.raises(FootcoachError, match=re.escape("imu/p1.csv")):
        clean_stream(empty, "imu")


def test_table_format_and_csv(tmp_path):
    ts, _ = imu_stream()
    _, r1 = clean_stream(ts, "imu", player="p1")
    _, r2 = clean_stream(ts, "imu", player="p2")
    t = np.arange(100) * 0.1
    _, r3 = clean_stream(TimeSeries(t, np.column_stack([t, t]), ("x", "y"), ("m", "m")),
                         "gps", player="p1")
    table = quality_table([r1, r2, r3])
    text = table.format()
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["modality", "player", "rate"]
    assert len(lines) == 2 + 3 + 2  # header, rule, rows, one summary per modality
    summary = {r.modality: r for r in table.summary()}
    assert summary["imu"].samples_before == 2 * r1.samples_before
    assert summary["imu"].missing_after == pytest.approx(r1.missing_after)
    assert summary["gps"].player == "all"
    assert "5.50%" in text  # imu missing before
    path = tmp_path / "quality.csv"
    csv_text = table.to_csv(path)
    assert path.read_text() == csv_text
    parsed = list(csv.DictReader(io.StringIO(csv_text)))
    assert [p["player"] for p in parsed] == ["p1", "p2", "p1"]
    assert int(parsed[0]["samples_before"]) == 947
    assert float(parsed[0]["longest_gap_s"]) == pytest.approx(0.5)


def test_real_gnss_quality_row():
    path = GNSS / "U18_ID1.csv"
    if not path.exists():
        pytest.skip("real GNSS data not available")
    raw = np.loadtxt(path, delimiter=",", skiprows=1)
    t = (raw[:, 0] - 25569.0) * 86400.0
    lat0 = np.radians(raw[:, 2].mean())
    x = np.radians(raw[:, 1] - raw[:, 1].mean()) * 6371008.8 * np.cos(lat0)
    y = np.radians(raw[:, 2] - raw[:, 2].mean()) * 6371008.8
    ts = TimeSeries(t - t[0], np.column_stack([x, y]), ("x", "y"), ("m", "m"),
                    source=str(path))
    clean, row = clean_stream(ts, "gps", player="ID1")
    assert row.samples_before == 35128
    assert row.rate_hz == pytest.approx(10.0, rel=1e-3)
    # ~62 min of 10 Hz slots, 8.8 Hz effective: about 12 % of the slots have no fix
    assert row.samples_after == len(clean) == pytest.approx(40055, abs=5)
    assert 0.08 < row.missing_before < 0.16
    assert row.missing_after < 0.001
    assert row.anomaly_rate < 0.001
    assert 0.1 < row.longest_gap_s <= 1.0
