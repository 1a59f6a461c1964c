"""A vest on the wrong player (footcoach.sync.vest_identity): its movement follows another
player's GPS track; found on the demo session with two vests swapped in its manifest, and named
by `footcoach check` and `footcoach analyze`; nothing is said of the demo as it is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from demo_copy import demo_with_swapped_vests

from footcoach.app.align import align_session
from footcoach.app.load import load_session
from footcoach.cli.main import main
from footcoach.domain.timeseries import TimeSeries
from footcoach.sync.movement import segment_stats, track_speed, vest_intensity
from footcoach.sync.sensor_faults import find_gps_faults
from footcoach.sync.vest_identity import vest_mismatches

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "resources" / "demo-session"


def test_segment_statistics_match_a_plain_loop() -> None:
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 20, 900))
    v = rng.normal(size=900)
    v[rng.random(900) < 0.1] = np.nan
    edges = np.arange(0.0, 21.0)
    n, mean, sd = segment_stats(t, v, edges)
    for i in range(20):
        part = v[(t >= edges[i]) & (t < edges[i + 1])]
        part = part[np.isfinite(part)]
        assert n[i] == part.size
        assert mean[i] == pytest.approx(part.mean()) and sd[i] == pytest.approx(part.std())


def test_vest_movement_follows_its_own_track() -> None:
    t = np.arange(0, 120, 0.01)
    running = (np.sin(t / 7) > 0).astype(float)  # runs and stops every ~22 s
    rng = np.random.default_rng(1)
    acc = np.c_[rng.normal(0, 0.05 + 0.5 * running[:, None], (t.size, 3))] + [0.0, 0.0, 1.0]
    imu = TimeSeries(t, np.c_[acc, np.zeros((t.size, 3))],
                     ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
                     ("g",) * 3 + ("rad/s",) * 3)
    tg = np.arange(0, 120, 0.1)
    speed = 5.0 * (np.sin(tg / 7) > 0)
    own = TimeSeries(tg, np.c_[np.cumsum(speed) * 0.1, np.zeros_like(tg)], ("x", "y"),
                     ("m", "m"))
    other_speed = 5.0 * (np.cos(tg / 5) > 0)
    other = TimeSeries(tg, np.c_[np.cumsum(other_speed) * 0.1, np.zeros_like(tg)], ("x", "y"),
                       ("m", "m"))
    edges = np.arange(0.0, 121.0)
    assert np.corrcoef(vest_intensity(imu, edges), track_speed(own, edges))[0, 1] > 0.9
    assert vest_mismatches({"p": imu}, {"p": own, "q": other}) == []
    (match,) = vest_mismatches({"q": imu}, {"p": own, "q": other})
    assert (match.player, match.other) == ("q", "p") and match.r_other > 0.9 > 0.5 > match.r_own
    short = {k: v.replace(t=v.t[:300], values=v.values[:300]) for k, v in
             (("p", own), ("q", other))}
    assert vest_mismatches({"q": imu}, short) == []  # 30 s: too short to tell


def test_swapped_vests_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert vest_mismatches(*(lambda a: (a.imu, a.gps))(align_session(load_session(DEMO)))) == []
    folder = demo_with_swapped_vests(tmp_path)
    aligned = align_session(load_session(folder))
    found = {(m.player, m.other) for m in vest_mismatches(aligned.imu, aligned.gps)}
    assert found == {("a02", "b03"), ("b03", "a02")}
    # read with its GPS unit, the other player's vest would show a02 standing while he runs
    assert aligned.gps_faults == {}  # so it is not: no position taken for a drifting one
    assert find_gps_faults(aligned.loaded.gps["a02"], aligned.imu["a02"]) == []  # speed column
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "  check the vest of a02: it moves with the track of b03 (r = 0." in out
    assert "is it a02's vest? (check the manifest's imu files and tracking ids)" in out
    if not (REPO / "models" / "footcoach_model.json").is_file():
        pytest.skip("no bundled model in models/")
    assert main(["analyze", str(folder), "--device", "cpu", "--engine", "onnx"]) == 0
    assert "warning: vest of b03: it moves with the track of a02" in capsys.readouterr().err


def test_a_vest_is_checked_against_tracking_data_too() -> None:
    """Players without GPS are placed by a provider's tracking data (``tracking_id``): the demo
    with a02's and b03's GPS tracks given as tracking series, their ids crossed over."""
    from dataclasses import replace

    from footcoach.domain.pitch import Pitch
    from footcoach.io.tracking import TrackingData

    aligned = align_session(load_session(DEMO))
    tracks = {"home_2": aligned.gps.pop("a02"), "away_3": aligned.gps.pop("b03")}
    crossed = {"a02": "away_3", "b03": "home_2"}
    session = aligned.loaded.session
    aligned.loaded.session = replace(session, players=[
        replace(p, tracking_id=crossed.get(p.id)) for p in session.players])
    aligned.loaded.tracking = TrackingData(Pitch(), 10.0, tracks, {}, None)
    assert set(aligned.positions()) == set(aligned.imu)
    said = [w for w in aligned.sensor_warnings() if "moves with the track" in w]
    assert [w.split(":")[0] for w in said] == ["vest of a02", "vest of b03"]
    assert "moves with the track of b03" in said[0]


def test_per_second_vest_movement_is_computed_once_and_sliced() -> None:
    from footcoach.sync.movement import _intensity, vest_seconds

    rng = np.random.default_rng(0)
    t = np.arange(3.37, 100.0, 0.01)
    imu = TimeSeries(t, rng.normal(0, 0.3, (t.size, 3)) + np.array([0.0, 0.0, 1.0]),
                     ("acc_x", "acc_y", "acc_z"), ("g",) * 3)
    for edges in (np.arange(0.0, 120.0), np.arange(10.0, 50.0), np.arange(90.0, 130.0),
                  np.arange(-5.0, 3.0), np.arange(0.5, 20.5)):  # the last: not whole seconds
        assert np.allclose(vest_intensity(imu, edges, with_mean=True),
                           np.c_[_intensity(imu, edges)], equal_nan=True)
    first, sd, _ = vest_seconds(imu)
    assert first == 3.0 and vest_seconds(imu)[1] is sd  # kept with the stream
    moved = imu.shifted(10.0)  # the same readings on another clock: read again
    assert vest_seconds(moved)[0] == 13.0


def test_another_players_vest_is_not_read_for_the_gps_checks(tmp_path: Path) -> None:
    """Swapped vests, and GPS units without a speed column: read beside a02's unit, b03's
    vest would show a02 standing while his position runs (a drifting position, five times on
    the demo). The checks leave it out, so no stretch is set aside, nor any distance."""
    from footcoach.app.metrics import session_metrics
    from footcoach.sync.sensor_faults import find_position_drift
    from footcoach.sync.vest_identity import own_vests

    folder = demo_with_swapped_vests(tmp_path, speed_column=False)
    loaded = load_session(folder)
    assert not loaded.gps["a02"].has("speed")
    assert find_position_drift(loaded.gps["a02"], loaded.imu["a02"])  # read as given
    assert set(loaded.imu) - set(own_vests(loaded.imu, loaded.gps)) == {"a02", "b03"}
    assert align_session(loaded).gps_faults == {}
    table = session_metrics(folder)
    assert not any("moved further" in w for w in table.warnings)
