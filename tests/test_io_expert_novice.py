"""Expert-Novice Soccer IMU readers on the real raw and derived files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from footcoach.errors import FootcoachError
from footcoach.io.expert_novice import (
    action_for_sample,
    read_expert_novice_derived,
    read_expert_novice_raw,
)


@pytest.fixture(scope="module")
def en(shared_data: Path) -> Path:
    return shared_data / "expert-novice-soccer-imu"


def _derived(en: Path) -> Path:
    return en / "derived" / "lower_body_imu_players_1-3_5-7.csv.gz"


def test_action_for_sample() -> None:
    assert action_for_sample(1) == "penalty_kick" and action_for_sample(36) == "juggling"
    assert action_for_sample(29) == "dribble_straight"
    with pytest.raises(ValueError):
        action_for_sample(37)


def test_raw_upper_spine(en: Path) -> None:
    raw = en / "MotionData" / "Player6" / "S01.txt"
    ts = read_expert_novice_raw(raw, en / "MotionData" / "feature_info.csv")
    assert ts.values.shape == (358, 6)
    assert ts.units == ("g", "g", "g", "rad/s", "rad/s", "rad/s")
    assert ts.meta["player"] == 6 and ts.meta["sample"] == 1
    assert ts.meta["action"] == "penalty_kick" and ts.meta["bone"] == "18"
    assert ts.t[1] == pytest.approx(0.01) and ts.rate_hz == pytest.approx(100.0)
    first_row = np.array(raw.read_text().splitlines()[0].split(","), dtype=float)
    np.testing.assert_allclose(ts.values[0], first_row[[282, 283, 284, 285, 286, 287]])
    still = np.linalg.norm(ts.values[:30, :3], axis=1)
    assert 0.85 < np.median(still) < 1.15  # gravity only, in g


def test_raw_bone_by_name_and_rate(en: Path) -> None:
    info = en / "MotionData" / "feature_info.csv"
    raw = en / "MotionData" / "Player6" / "S05.txt"
    by_name = read_expert_novice_raw(raw, info, bone="right_foot", rate_hz=96.0)
    by_index = read_expert_novice_raw(raw, info, bone=4)
    np.testing.assert_array_equal(by_name.values, by_index.values)
    assert by_name.meta["action"] == "free_kick" and by_name.t[1] == pytest.approx(1 / 96)
    with pytest.raises(FootcoachError, match="unknown bone 'elbow'"):
        read_expert_novice_raw(raw, info, bone="elbow")


def test_raw_with_wrong_column_count(en: Path, tmp_path: Path) -> None:
    bad = tmp_path / "S02.txt"
    bad.write_text("\n".join(",".join(["0.5"] * 300) for _ in range(20)) + "\n")
    with pytest.raises(FootcoachError, match=r"S02\.txt:line 1: 300 values per row"):
        read_expert_novice_raw(bad, en / "MotionData" / "feature_info.csv")


def test_derived_first_samples_upper_spine(en: Path) -> None:
    samples = read_expert_novice_derived(_derived(en), max_samples=3)
    assert [(s.player, s.sample) for s in samples] == [(1, 1), (1, 2), (1, 3)]
    first = samples[0]
    assert first.action == "penalty_kick" and first.expert_score == pytest.approx(2.0625)
    assert first.imu.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    assert first.imu.values[0] == pytest.approx([0.1016, -1.0313, -0.1875, -0.0175, -0.1047,
                                                 -0.0698])
    assert first.imu.t[0] == 0.0 and first.imu.rate_hz == pytest.approx(100.0)
    for s in samples:
        assert len(s.imu) > 300
        norm = np.linalg.norm(s.imu.values[:30, :3], axis=1)
        assert 0.85 < np.median(norm) < 1.15


def test_derived_other_segment(en: Path) -> None:
    foot = read_expert_novice_derived(_derived(en), segment="right_foot", max_samples=1)[0]
    assert foot.imu.values[0, :3] == pytest.approx([0.0781, -1.3672, 0.0938])
    with pytest.raises(FootcoachError, match=r"no segment 'elbow'.*upper_spine"):
        read_expert_novice_derived(_derived(en), segment="elbow", max_samples=1)


@pytest.mark.slow
def test_derived_full_file(en: Path) -> None:
    samples = read_expert_novice_derived(_derived(en))
    assert {s.player for s in samples} == {1, 2, 3, 5, 6, 7}
    assert len({s.action for s in samples}) == 9
    assert len(samples) > 200
    assert sum(len(s.imu) for s in samples) == 116_060


def _small_derived(tmp_path: Path, frames: list[int]) -> Path:
    header = "player,sample,action,expert_score,frame," + ",".join(
        f"upper_spine_{s}_{a}_{u}" for s, u in (("acc", "g"), ("gyr", "rads")) for a in "xyz")
    rows = [f"4,1,penalty_kick,2.5,{f},0.1,-1.0,0.0,0.0,0.1,0.2" for f in frames]
    p = tmp_path / "held_out.csv.gz"
    p.write_bytes(gzip.compress(("\n".join([header, *rows]) + "\n").encode()))
    return p


def test_derived_frames_out_of_order(tmp_path: Path) -> None:
    frames = list(range(12))
    frames[7] = 3
    with pytest.raises(FootcoachError, match=r"held_out\.csv\.gz:line 9: frame 3 does not "):
        read_expert_novice_derived(_small_derived(tmp_path, frames))


def test_derived_held_out_style_file(tmp_path: Path) -> None:
    samples = read_expert_novice_derived(_small_derived(tmp_path, list(range(12))),
                                         rate_hz=96.0)
    assert len(samples) == 1 and samples[0].player == 4
    assert samples[0].imu.t[-1] == pytest.approx(11 / 96)
