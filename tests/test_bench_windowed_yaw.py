"""benchmarks/windowed_yaw.py: a windowed track check finds a minute turned round the body on a
player who faces where he runs, nothing on the vest as worn, and runs end to end on the demo."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import windowed_yaw as wy  # noqa: E402
from test_vest_heading import _player  # noqa: E402

from footcoach.sync.vest_heading import paired_acceleration  # noqa: E402


def test_a_minute_turned_round_the_body_is_found_and_the_vest_as_worn_is_not() -> None:
    imu, pos = _player()
    worn = paired_acceleration(imu, pos)
    assert worn is not None and wy.turns(worn, 30.0, 20.0, 0.3) == []
    for deg in (90.0, 180.0):
        slipped = paired_acceleration(wy.turned_for_a_while(imu, 60.0, 120.0, deg), pos)
        assert slipped is not None
        (start, end, angle), = wy.turns(slipped, 30.0, 20.0, 0.3)
        assert 45.0 < start < 80.0 and 100.0 < end < 135.0, (start, end)
        assert abs(float(wy._wrap(angle + deg))) < 25.0  # turning by the angle undoes it
    outside = wy.turned_for_a_while(imu, 60.0, 120.0, 90.0)
    assert (outside.values[imu.t < 60.0] == imu.values[imu.t < 60.0]).all()


def test_runs_on_the_demo_session(capsys) -> None:
    assert wy.main([str(ROOT / "resources" / "demo-session"), "--seed", "1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("windowed yaw: 10 vests, false turns ")
