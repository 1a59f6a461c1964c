"""A vest turned round the body (footcoach.sync.vest_heading): its horizontal acceleration
against its player's track gives the angle; the analysis turns such a vest back and says so.
Nothing is said of the demo as it is."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from demo_copy import demo_without_video

from footcoach.app.align import AlignSettings, align_session
from footcoach.app.load import load_session
from footcoach.cli.main import main
from footcoach.domain.timeseries import TimeSeries
from footcoach.sync.sensor_faults import FaultSettings
from footcoach.sync.vest_heading import turn_round_body, vest_yaw

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "resources" / "demo-session"


def _player(seconds: float = 180.0) -> tuple[TimeSeries, TimeSeries]:
    """A player running figures of eight with speed changes (10 Hz track) and a vest (100 Hz)
    that feels the track's horizontal acceleration on x (forward) and y (left)."""
    t = np.arange(0.0, seconds, 0.01)
    theta = 0.25 * t + 0.8 * np.sin(0.11 * t)
    r = 12.0 + 4.0 * np.sin(0.07 * t)
    xy = np.c_[r * np.cos(theta) + 30.0, r * np.sin(2 * theta) / 2 + 20.0]
    v = np.gradient(xy, t, axis=0)
    a = np.gradient(v, t, axis=0)
    speed = np.linalg.norm(v, axis=1)
    fwd = v / speed[:, None]
    left = np.c_[-fwd[:, 1], fwd[:, 0]]
    rng = np.random.default_rng(3)
    acc = np.c_[(a * fwd).sum(1), (a * left).sum(1), np.full(t.size, 9.80665)] / 9.80665
    acc += rng.normal(0, 0.2, acc.shape)  # step impacts
    gyro = rng.normal(0, 0.5, (t.size, 3))
    imu = TimeSeries(t, np.c_[acc, gyro], ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y",
                                           "gyro_z"), ("g",) * 3 + ("rad/s",) * 3)
    pos = TimeSeries(t[::10], xy[::10], ("x", "y"), ("m", "m"))
    return imu, pos


def test_the_angle_of_a_vest_turned_round_the_body() -> None:
    imu, pos = _player()
    worn = vest_yaw(imu, pos)
    assert worn is not None and worn.told and abs(worn.angle_deg) < 10
    assert worn.coherence > 0.5
    for turn in (60.0, 120.0, 180.0, -90.0):
        turned = vest_yaw(turn_round_body(imu, turn), pos)
        assert turned is not None
        off = (turned.angle_deg + turn + 180.0) % 360.0 - 180.0  # turning by angle undoes it
        assert abs(off) < 10
        back = turn_round_body(turn_round_body(imu, turn), turned.angle_deg)
        assert abs(vest_yaw(back, pos).angle_deg) < 10  # type: ignore[union-attr]
    short = vest_yaw(imu.slice_time(0.0, 40.0), pos.slice_time(0.0, 40.0))
    assert short is not None and not short.told  # under a minute of movement
    assert vest_yaw(imu.select(["gyro_x", "gyro_y", "gyro_z"]), pos) is None


def test_turning_keeps_z_and_the_length_of_every_triad() -> None:
    imu, _ = _player(10.0)
    turned = turn_round_body(imu, 37.0)
    assert np.allclose(turned.channel("acc_z"), imu.channel("acc_z"))
    for sensor in ("acc", "gyro"):
        cols = [f"{sensor}_{a}" for a in "xy"]
        assert np.allclose(np.linalg.norm(turned.select(cols).values, axis=1),
                           np.linalg.norm(imu.select(cols).values, axis=1))
    assert np.allclose(turn_round_body(turned, -37.0).values, imu.values)


def _turn_vest_file(path: Path) -> None:
    """Turn a vest CSV 180 degrees round the body: x and y of every triad change sign."""
    with path.open(newline="") as f:
        head, *body = list(csv.reader(f))
    flip = [j for j, name in enumerate(head) if name.split("_")[1:2] in (["x"], ["y"])]
    for row in body:
        for j in flip:
            row[j] = f"{-float(row[j]):.4f}"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([head, *body])


def test_a_vest_worn_back_to_front_is_turned_back_and_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert align_session(load_session(DEMO)).vest_yaws == {}  # the demo as it is
    folder = demo_without_video(tmp_path)
    _turn_vest_file(folder / "imu" / "a03.csv")
    aligned = align_session(load_session(folder))
    assert list(aligned.vest_yaws) == ["a03"]
    assert abs(aligned.vest_yaws["a03"].angle_deg) > 150
    original = align_session(load_session(DEMO)).imu["a03"]
    turned_back = aligned.imu["a03"]
    x0, x1 = original.channel("acc_x"), turned_back.channel("acc_x")
    ok = np.isfinite(x0) & np.isfinite(x1)
    assert np.corrcoef(x0[ok], x1[ok])[0, 1] > 0.95  # its forward axis forward again
    kept = align_session(load_session(folder), AlignSettings(
        faults=FaultSettings(round_body_min_deg=360.0)))
    assert kept.vest_yaws == {}
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "  check the vest of a03: turned about 1" in out
    (line,) = [w for w in out.splitlines() if w.startswith("Vest turn round the body")]
    turns = dict(item.split() for item in line.split("): ", 1)[1].split(", "))
    assert len(turns) == 10 and abs(int(turns["a03"])) > 150  # as found, before turning back
    assert all(abs(int(a)) <= 30 for pid, a in turns.items() if pid != "a03")
