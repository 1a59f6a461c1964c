"""benchmarks/quality_error_structure.py: action instances from the window labels, the
instance-shared and within-instance parts of the error, the player's offset from his other
instances, and the smoothing of predictions over time; end to end on a tiny trained model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality_error_structure as qes  # noqa: E402


def test_instances_split_on_player_action_quality_and_long_gaps() -> None:
    player = np.array([1, 1, 1, 1, 1, 2, 2, 1])
    t_ms = np.array([0, 500, 1000, 1500, 9000, 0, 500, 2000], float)
    action = np.array([3, 3, 3, 4, 4, 3, 3, 4])
    quality = np.array([50, 50, 50, 70, 70, 50, 50, 70], float)
    ids = qes.instance_ids(player, t_ms, action, quality)
    # player 1: windows 0-2 one instance; 3 and 7 (same action and score, 0.5 s apart) one;
    # window 4 comes 7 s later: another; player 2's windows are his own instance.
    assert ids[0] == ids[1] == ids[2]
    assert ids[3] == ids[7] != ids[4]
    assert ids[5] == ids[6] and ids[5] not in ids[:5]
    assert len(set(ids.tolist())) == 4


def test_the_error_splits_into_shared_and_within_parts() -> None:
    true = np.array([50.0, 50.0, 60.0, 60.0])
    pred = np.array([56.0, 60.0, 50.0, 60.0])  # residuals +6, +10 | -10, 0
    action, player = np.zeros(4, int), np.zeros(4, int)
    t_ms = np.array([0.0, 500.0, 10_000.0, 10_500.0])
    instance = qes.instance_ids(player, t_ms, action, true)
    s = qes.structure(true, pred, action, player, t_ms, instance)
    np.testing.assert_allclose(s["error"], [6, 10, 10, 0])
    np.testing.assert_allclose(s["shared"], [8, 8, 5, 5])  # |instance mean residual|
    np.testing.assert_allclose(s["within"], [2, 2, 5, 5])
    # the player's offset for each instance is the other instance's mean residual
    np.testing.assert_allclose(s["player_offset"], [6 + 5, 10 + 5, 10 + 8, 8])
    assert s["has_offset"].all()
    # +/- 0.5 s averages the two windows of each instance, 4.5 s apart from the others
    np.testing.assert_allclose(s["smooth_0.5"], [8, 8, 5, 5])


def test_offset_is_nan_without_another_instance() -> None:
    residual = np.array([1.0, 2.0, 3.0])
    offset = qes.other_instance_offset(residual, np.array([0, 0, 1]), np.array([5, 5, 6]))
    assert np.isnan(offset).all()


def test_end_to_end_on_a_tiny_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    pytest.importorskip("torch")
    from ml_data_fixtures import write_tiny_dataset

    from footcoach.ml.train import TrainSettings, train

    data = write_tiny_dataset(tmp_path / "tiny.h5", players=8, steps=48)
    train(data, tmp_path / "m", TrainSettings(epochs=1, batch_size=16, device="cpu",
                                              threads=1, modalities=("imu", "context")))
    assert qes.main([str(tmp_path / "m"), str(data)]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("quality error structure: MAE ")
    assert "| all |" in out
    with pytest.raises(SystemExit, match="error: "):
        qes.main([str(tmp_path / "nowhere"), str(data)])
