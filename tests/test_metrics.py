"""Load metrics: distance, speed bands, sprints, accelerations, PlayerLoad."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest

from footcoach.analysis.metrics import (
    MetricSettings,
    SpeedBands,
    compute_metrics,
    format_metrics_table,
    metrics_to_csv,
)
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError

GNSS = Path("/work/shared/data/gnss-football-tactical/Dataset_A_Positional_data")
G = 9.80665


def track(speed_profile: list[tuple[float, float]], rate: float = 10.0, heading: float = 0.3):
    """A straight run following (duration_s, acceleration_mps2 or None for hold) pieces from
    rest; returns the GPS series and the true speed at 1 kHz (for exact expectations)."""
    fine = 1000.0
    acc = np.concatenate([np.full(round(d * fine), a) for d, a in speed_profile])
    speed = np.concatenate([[0.0], np.cumsum(acc) / fine])
    dist = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1])) / fine])
    step = round(fine / rate)
    t = np.arange(0, dist.size, step) / fine
    s = dist[::step]
    xy = np.column_stack([s * np.cos(heading), s * np.sin(heading)])
    return TimeSeries(t, xy, ("x", "y"), ("m", "m"), source="gps.csv"), speed, dist


def test_constant_speed_line_distance_is_exact():
    t = np.arange(600) * 0.1
    xy = np.column_stack([3.5 * t * 0.6 + 12.0, 3.5 * t * 0.8 - 40.0])
    gps = TimeSeries(t, xy, ("x", "y"), ("m", "m"))
    (row,) = compute_metrics(gps, None, player="p7")
    assert row.player == "p7" and row.period == "session"
    assert row.distance_m == pytest.approx(3.5 * 59.9, rel=1e-9)
    assert row.dist_jog_m == pytest.approx(row.distance_m, rel=1e-9)
    assert row.dist_walk_m == row.dist_run_m == row.dist_hsr_m == row.dist_sprint_m == 0.0
    assert row.max_speed_mps == pytest.approx(3.5, rel=1e-9)
    assert row.n_sprints == row.n_accels == row.n_decels == 0
    assert row.m_per_min == pytest.approx(3.5 * 60, rel=1e-3)
    assert row.gps_coverage == pytest.approx(1.0, abs=0.01)
    assert np.isnan(row.player_load)


def test_planted_sprint_is_counted_with_its_distance():
    # gently up to 3 m/s, jog, +5 m/s^2 to 8 m/s, hold 2 s, -5 m/s^2 back to 3 m/s, jog on
    gps, speed, dist = track([(1.5, 2.0), (10.0, 0.0), (1.0, 5.0), (2.0, 0.0), (1.0, -5.0),
                              (10.0, 0.0)])
    (row,) = compute_metrics(gps, None)
    fast = speed[1:] > 7.0
    true_sprint = float(np.sum(np.diff(dist)[fast]))  # 19 m above 7 m/s
    assert true_sprint == pytest.approx(19.0, abs=0.05)
    assert row.n_sprints == 1
    assert row.dist_sprint_m == pytest.approx(true_sprint, abs=1.0)
    assert row.max_speed_mps == pytest.approx(8.0, abs=0.2)
    assert row.distance_m == pytest.approx(dist[-1], rel=0.005)
    bands = sum(getattr(row, f"dist_{b}_m") for b in ("walk", "jog", "run", "hsr", "sprint"))
    assert bands == pytest.approx(row.distance_m)
    assert row.n_accels == 1 and row.n_decels == 1


def test_short_fast_bit_is_not_a_sprint():
    gps, _, _ = track([(1.0, 3.0), (5.0, 0.0), (1.0, 4.6), (0.3, 0.0), (1.0, -4.6), (5.0, 0.0)])
    (row,) = compute_metrics(gps, None)
    assert row.max_speed_mps > 7.0  # 7.6 m/s for a moment
    assert row.n_sprints == 0


def test_acceleration_efforts():
    # from rest +4 m/s^2 for 1.5 s, run 5 s, -4 m/s^2 to rest; later a 0.3 s shuffle: +-4 m/s^2
    # for 0.3 s each is 1.2 m/s at most and, smoothed like GNSS noise, about 1 m/s^2
    gps, _, _ = track([(3.0, 0.0), (1.5, 4.0), (5.0, 0.0), (1.5, -4.0), (5.0, 0.0),
                       (0.3, 4.0), (0.3, -4.0), (5.0, 0.0)])
    (row,) = compute_metrics(gps, None)
    assert row.n_accels == 1 and row.n_decels == 1
    lax = MetricSettings(effort_mps2=0.8, effort_min_s=0.2)
    (row2,) = compute_metrics(gps, None, settings=lax)
    assert row2.n_accels == 2 and row2.n_decels == 2
    strict = MetricSettings(effort_min_s=2.0)
    (row3,) = compute_metrics(gps, None, settings=strict)
    assert row3.n_accels == 0 and row3.n_decels == 0


def test_periods_split_distance_and_efforts():
    gps, _, dist = track([(1.5, 4.0), (20.0, 0.0), (1.5, -4.0), (5.0, 0.0)])
    rows = compute_metrics(gps, None, [("first", 0.0, 10.0), ("second", 10.0, 30.0)])
    assert [r.period for r in rows] == ["first", "second"]
    assert rows[0].distance_m + rows[1].distance_m == pytest.approx(dist[-1], rel=0.005)
    assert rows[0].n_accels == 1 and rows[0].n_decels == 0
    assert rows[1].n_accels == 0 and rows[1].n_decels == 1
    assert rows[0].duration_min == pytest.approx(10 / 60)
    with pytest.raises(FootcoachError, match="'bad'"):
        compute_metrics(gps, None, [("bad", 5.0, 5.0)])


def test_custom_bands():
    t = np.arange(300) * 0.1
    gps = TimeSeries(t, np.column_stack([6.0 * t, 0 * t]), ("x", "y"), ("m", "m"))
    (row,) = compute_metrics(gps, None, settings=MetricSettings(bands=SpeedBands(hsr_max=5.8)))
    assert row.dist_sprint_m == pytest.approx(row.distance_m)
    assert row.n_sprints == 1
    with pytest.raises(ValueError):
        SpeedBands(walk_max=3.0, jog_max=2.0).edges()


def imu(values_g: np.ndarray, rate: float = 100.0, units: str = "g") -> TimeSeries:
    t = np.arange(values_g.shape[0]) / rate
    scale = G if units == "m/s^2" else 1.0
    return TimeSeries(t, values_g * scale, ("acc_x", "acc_y", "acc_z"), (units,) * 3,
                      source="imu.csv")


def ramp(n: int) -> np.ndarray:
    v = np.zeros((n, 3))
    v[:, 0] = 0.01 * np.arange(n)
    v[:, 2] = 1.0
    return v


def test_player_load_of_known_signals():
    (row,) = compute_metrics(None, imu(ramp(1000)))
    assert row.player_load == pytest.approx(999 * 0.01 / 100)
    assert row.player_load_per_min == pytest.approx(row.player_load / (9.99 / 60))
    assert np.isnan(row.distance_m) and row.n_sprints is None
    (si,) = compute_metrics(None, imu(ramp(1000), units="m/s^2"))
    assert si.player_load == pytest.approx(row.player_load)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.5, (2000, 3))
    (rnd,) = compute_metrics(None, imu(noise))
    expected = np.sum(np.sqrt(np.sum(np.diff(noise, axis=0) ** 2, axis=1))) / 100
    assert rnd.player_load == pytest.approx(expected)


def test_player_load_skips_dropouts_and_resamples_other_rates():
    v = ramp(1000)
    keep = np.ones(1000, bool)
    keep[500:510] = False
    stream = imu(v)
    gappy = stream.replace(t=stream.t[keep], values=stream.values[keep])
    (row,) = compute_metrics(None, gappy)
    assert row.player_load == pytest.approx(988 * 0.01 / 100)
    (slow,) = compute_metrics(None, imu(ramp(500), rate=50.0))
    assert slow.player_load == pytest.approx(499 * 0.01 / 100, rel=1e-6)


def test_gps_and_imu_together_and_exports(tmp_path):
    gps, _, _ = track([(1.0, 3.0), (20.0, 0.0)])
    rows = compute_metrics(gps, imu(ramp(2000)), [("a", 0.0, 10.0), ("b", 10.0, 21.0)],
                           player="p3")
    assert rows[0].player_load == pytest.approx(999 * 0.01 / 100, rel=0.01)
    assert rows[1].player_load == pytest.approx(1000 * 0.01 / 100, rel=0.01)
    text = format_metrics_table(rows)
    lines = text.splitlines()
    assert len(lines) == 4 and "dist m" in lines[0] and lines[2].startswith("p3")
    no_imu = format_metrics_table(compute_metrics(gps, None))
    assert no_imu.splitlines()[2].rstrip().endswith("-")
    path = tmp_path / "metrics.csv"
    csv_text = metrics_to_csv(rows + compute_metrics(gps, None), path)
    assert path.read_text() == csv_text
    parsed = list(csv.DictReader(io.StringIO(csv_text)))
    assert [p["period"] for p in parsed] == ["a", "b", "session"]
    assert float(parsed[1]["distance_m"]) == pytest.approx(rows[1].distance_m)
    assert parsed[2]["player_load"] == ""


def test_metrics_need_some_stream_and_metres():
    with pytest.raises(FootcoachError):
        compute_metrics(None, None)
    gps = TimeSeries(np.arange(5.0), np.zeros((5, 2)), ("lat", "lon"), ("deg", "deg"),
                     source="g.csv")
    with pytest.raises(FootcoachError, match=re.escape("g.csv")):
        compute_metrics(gps, None)


def load_u18(path: Path) -> TimeSeries:
    """The Catapult export: Excel-serial days, lon, lat -> seconds and local metres."""
    raw = np.loadtxt(path, delimiter=",", skiprows=1)
    t = (raw[:, 0] - 25569.0) * 86400.0
    lat0 = np.radians(raw[:, 2].mean())
    x = np.radians(raw[:, 1] - raw[:, 1].mean()) * 6371008.8 * np.cos(lat0)
    y = np.radians(raw[:, 2] - raw[:, 2].mean()) * 6371008.8
    return TimeSeries(t - t[0], np.column_stack([x, y]), ("x", "y"), ("m", "m"),
                      source=str(path), t0_epoch_s=float(t[0]))


def test_real_u18_session_is_plausible():
    files = sorted(GNSS.glob("U18_ID*.csv"))
    if len(files) != 6:
        pytest.skip("real GNSS data not available")
    rows = []
    for f in files:
        rows += compute_metrics(load_u18(f), None, player=f.stem)
    for r in rows:
        # a ~65 min U18 training session with four 1-min 6v6 bouts on a 32 x 24 m pitch:
        # the players cover 2.2-2.7 km (34-40 m/min overall, 80-130 m/min in the bouts)
        assert 1500 < r.distance_m < 6000, r
        assert 20 < r.m_per_min < 80, r
        assert 4.0 < r.max_speed_mps < 10.0, r
        assert r.dist_walk_m > r.dist_hsr_m
        assert r.gps_coverage > 0.95
        assert r.n_accels is not None and r.n_accels < 60
