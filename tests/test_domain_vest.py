"""How a vest sits (footcoach.domain.vest): the tilt of its mean acceleration from its z axis,
the warning for a vest worn turned (or exported in other axes), and that warning where sessions
are loaded and checked, on a copy of the demo session with one vest's axes turned."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from demo_copy import demo_without_video

from footcoach.app.load import load_session
from footcoach.cli.main import main
from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.vest import (
    TILT_WARNING_DEG,
    vest_pose,
    vest_pose_warning,
    vest_slip,
    vest_slip_warning,
)

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo-session"
CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
UNITS = ("g", "g", "g", "rad/s", "rad/s", "rad/s")


def _worn(tilt_deg: float, n: int = 2000, seed: int = 0) -> TimeSeries:
    """A vest turned ``tilt_deg`` about its x axis, moving (noise of 0.5 g) around gravity."""
    rng = np.random.default_rng(seed)
    a = np.radians(tilt_deg)
    gravity = np.array([0.0, np.sin(a), np.cos(a)])
    acc = gravity + rng.normal(0.0, 0.5, (n, 3))
    values = np.hstack([acc, rng.normal(0.0, 1.0, (n, 3))])
    return TimeSeries(np.arange(n) / 100.0, values, CHANNELS, UNITS, name="imu")


def test_the_tilt_is_the_angle_of_the_mean_acceleration_from_z() -> None:
    for tilt in (0.0, 20.0, 45.0, 90.0, 180.0):
        pose = vest_pose(_worn(tilt))
        assert pose is not None and pose.samples == 2000
        assert pose.tilt_deg == pytest.approx(tilt, abs=2.5)
        assert pose.gravity_g == pytest.approx(1.0, abs=0.05)
    short = _worn(0.0, n=50)
    assert vest_pose(short) is None  # too few samples to tell
    ts = _worn(10.0)
    ts.values[:1500] = np.nan
    assert vest_pose(ts).samples == 500  # type: ignore[union-attr]
    no_acc = TimeSeries(ts.t, ts.values[:, 3:], CHANNELS[3:], UNITS[3:], name="imu")
    assert vest_pose(no_acc) is None
    other_unit = TimeSeries(ts.t, ts.values, CHANNELS, ("m/s^2",) * 3 + UNITS[3:], name="imu")
    assert vest_pose(other_unit) is None


def test_a_vest_turned_beyond_the_limit_or_not_in_g_is_warned() -> None:
    assert vest_pose_warning(_worn(TILT_WARNING_DEG - 10), "p7") is None
    message = vest_pose_warning(_worn(60.0), "p7")
    assert message is not None and message.startswith("vest of p7: its mean acceleration points ")
    assert "degrees away from the vest's z axis" in message
    heavy = _worn(0.0)
    heavy.values[:, :3] *= 9.81  # m/s^2 written as if in g
    assert "mean acceleration is 9.8" in (vest_pose_warning(heavy, "p7") or "")


def _slipping(turn_deg: float, at_s: float = 65.0, seconds: float = 180.0) -> TimeSeries:
    """A vest upright until ``at_s``, then turned ``turn_deg`` about its x axis."""
    upright = _worn(0.0, n=round(at_s * 100), seed=1)
    turned = _worn(turn_deg, n=round((seconds - at_s) * 100), seed=2)
    return TimeSeries(np.arange(round(seconds * 100)) / 100.0 + 10.0,
                      np.vstack([upright.values, turned.values]), CHANNELS, UNITS, name="imu")


def test_a_vest_that_turns_during_the_session_is_found() -> None:
    slip = vest_slip(_slipping(60.0))
    assert slip is not None
    assert slip.at_s == 70.0  # the start of the first 30-s block (from 10 s) that moved
    assert slip.change_deg == pytest.approx(60.0, abs=3.0)
    assert slip.tilt_before_deg < 3.0 and slip.tilt_after_deg == pytest.approx(60.0, abs=3.0)
    message = vest_slip_warning(_slipping(60.0), "p7")
    assert message is not None and message.startswith("vest of p7: from about 1:10 its mean")
    assert vest_slip(_slipping(15.0)) is None  # within the networks' training (and noise)
    assert vest_slip(_worn(60.0, n=18000)) is None  # turned from the start: vest_pose says it
    still = _slipping(60.0)
    still.values[:, :3] = np.nan
    assert vest_slip(still) is None
    lost = _slipping(0.0)
    lost.values[9000:12000, :3] *= 0.05  # no gravity for 30 s: a fault, not a slip
    assert vest_slip(lost) is None


def _demo_with_a_turned_vest(tmp_path: Path) -> Path:
    """The demo session with a02's vest exported in other axes (its z written as x, x as -z:
    a vest turned 90 degrees)."""
    folder = demo_without_video(tmp_path)
    path = folder / "imu" / "a02.csv"
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    x, z = head.index("acc_x_g"), head.index("acc_z_g")
    for row in body:
        row[x], row[z] = row[z], f"{-float(row[x]):.4f}"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([head, *body])
    return folder


def test_loading_and_checking_a_session_warn_of_a_turned_vest(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    clean = load_session(DEMO)
    assert not [w for w in clean.diagnostics.warnings if "vest of" in w]
    folder = _demo_with_a_turned_vest(tmp_path)
    eager = load_session(folder)
    turned = [w for w in eager.diagnostics.warnings if "vest of" in w]
    assert len(turned) == 1 and "a02.csv" in turned[0] and "vest of a02" in turned[0]
    lazy = load_session(folder, imu="lazy")
    for _ in range(2):  # read twice: warned once
        lazy.read_imu("a02")
    assert [w for w in lazy.diagnostics.warnings if "vest of" in w] == turned
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("Vest tilt from upright"))
    tilts = dict(part.split() for part in line.split(": ", 1)[1].split(", "))
    assert float(tilts["a02"]) > 60 and all(float(v) < 20 for k, v in tilts.items() if k != "a02")
    assert "  check the vest of a02: its mean acceleration points" in out


def test_analyze_names_a_turned_vest_also_from_its_cache(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    if not (Path(__file__).resolve().parents[1] / "models" / "footcoach_model.json").is_file():
        pytest.skip("no bundled model in models/")
    folder = _demo_with_a_turned_vest(tmp_path)
    for _ in range(2):  # analysed, then from the cache
        assert main(["analyze", str(folder), "--device", "cpu"]) == 0
        err = capsys.readouterr().err
        assert "footcoach: warning: vest of a02: its mean acceleration points" in err
        assert f"data warnings while loading (gaps, units, vests...); `footcoach check {folder}`" \
            in err


def test_loading_and_checking_name_a_vest_that_slipped(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """The demo session with a02's vest turned 90 degrees (z written as y) from row 6000."""
    folder = demo_without_video(tmp_path)
    path = folder / "imu" / "a02.csv"
    with path.open(newline="") as f:
        head, *body = list(csv.reader(f))
    y, z = head.index("acc_y_g"), head.index("acc_z_g")
    for row in body[6000:]:
        row[y], row[z] = row[z], f"{-float(row[y]):.4f}"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([head, *body])
    assert not [w for w in load_session(DEMO).diagnostics.warnings if "points" in w]
    warned = [w for w in load_session(folder).diagnostics.warnings if "from about" in w]
    assert len(warned) == 1 and "a02.csv" in warned[0]
    assert "vest of a02: from about 1:00 its mean acceleration points" in warned[0]
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "  check the vest of a02: from about " in out
    assert "turns it upright again from where it moved" in out
    # the bundled model reads vests turned upright, pose by pose: the turned minute is a pose of
    # its own and is read, not set aside as "sat more than 70 degrees from upright"
    assert "sat more than 70 degrees from upright" not in out
    assert "check the vest of a03" not in out
