"""benchmarks/vest_detilt.py: the smallest rotation between two directions, the per-player
de-tilt, and end to end on a tiny trained model (its figures are the model's own on the
conditions the script builds)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import vest_detilt as vd  # noqa: E402


def test_detilt_points_each_players_mean_acceleration_at_the_target() -> None:
    rng = np.random.default_rng(1)
    imu = rng.normal(0.0, 0.3, (40, 2, 5, 9))
    imu[..., 2] += 1.0  # upright vests
    keys = np.repeat([7, 8], 20)
    turned = vd.conditions({"imu": imu, "key": keys}, np.array([0.0, 0.0, 1.0]))
    assert list(turned) == ["clean", "clean, de-tilted", "turned 45 per player",
                            "turned 45, de-tilted"]
    target = np.array([0.1, 0.0, 1.0]) / np.hypot(0.1, 1.0)
    for x in turned.values():
        back = vd.detilt(x, keys, target)
        for k in (7, 8):
            m = vd.mean_acceleration(back[keys == k][..., :3])
            np.testing.assert_allclose(m / np.linalg.norm(m), target, atol=1e-9)
            # lengths are kept: only turned
            np.testing.assert_allclose(np.linalg.norm(back[keys == k][..., 3:6], axis=-1),
                                       np.linalg.norm(x[keys == k][..., 3:6], axis=-1))
    # one rotation of 45 degrees per player: recovered from the three triads of a sample
    x = turned["turned 45 per player"]
    rots = []
    for w in (0, 5, 19, 20, 39):
        before, after = imu[w, 1, 2].reshape(3, 3).T, x[w, 1, 2].reshape(3, 3).T
        r = after @ np.linalg.inv(before)
        assert np.degrees(np.arccos((np.trace(r) - 1) / 2)) == pytest.approx(45.0)
        rots.append(r)
    np.testing.assert_allclose(rots[0], rots[2], atol=1e-9)  # player 7 throughout
    assert not np.allclose(rots[2], rots[3])  # player 8 turned about another axis


def test_end_to_end_on_a_tiny_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    from ml_data_fixtures import write_tiny_dataset

    from footcoach.ml.config import ModelConfig
    from footcoach.ml.train import TrainSettings, train
    from footcoach.ml.weights import load_model

    data = write_tiny_dataset(tmp_path / "tiny.h5", players=8, steps=48)
    train(data, tmp_path / "m", TrainSettings(epochs=1, batch_size=16, device="cpu", threads=1,
                                             modalities=("imu", "context")),
          config=ModelConfig.tiny(), log=None)
    assert vd.main([str(data), str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    row = next(line for line in out if line.startswith(f"| {tmp_path / 'm'} |"))
    test = vd.load_windows(data, "test")
    target = vd.population_direction(vd.load_windows(data, "train", limit=20_000))
    model, _ = load_model(tmp_path / "m")
    model.eval()
    acc, nat = vd.score(model, test, vd.conditions(test, target)["turned 45, de-tilted"])
    assert row.split(" | ")[-1].rstrip(" |") == f"{100 * acc:.1f}% ({100 * nat:.1f}%)"
    assert out[-1].startswith("vest de-tilt: m turned ")
