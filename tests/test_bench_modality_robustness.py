"""benchmarks/modality_robustness.py: groups parsed from the command line, mean +/- sd cells,
and end to end on two tiny trained models (one with modality attention, one without): the
figures are those of ``predict`` under each condition."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import modality_robustness as mr  # noqa: E402


def test_groups_parse_and_malformed_ones_are_refused() -> None:
    assert mr.parse_group("CNN + LSTM=a,b") == ("CNN + LSTM", [Path("a"), Path("b")])
    assert mr.parse_group("one=dir") == ("one", [Path("dir")])
    for bad in ("no-equals", "=a", "name="):
        with pytest.raises(ValueError, match="NAME=DIR"):
            mr.parse_group(bad)


def test_mean_and_sample_sd() -> None:
    assert mr.mean_sd([0.9, 0.8, 0.7], True) == "80.0% +/- 10.0"
    assert mr.mean_sd([12.0, 14.0], False) == "13.00 +/- 1.41"
    assert mr.mean_sd([0.5], True) == "50.0%"


def test_end_to_end_on_tiny_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    from ml_data_fixtures import write_tiny_dataset

    from footcoach.ml.config import ModelConfig
    from footcoach.ml.evaluate import predict
    from footcoach.ml.train import TrainSettings, train
    from footcoach.ml.weights import load_model

    data = write_tiny_dataset(tmp_path / "tiny.h5", players=8, steps=48)
    settings = TrainSettings(epochs=1, batch_size=16, device="cpu", threads=1,
                             modalities=("imu", "context"))
    train(data, tmp_path / "attn", settings, config=ModelConfig.tiny(), log=None)
    train(data, tmp_path / "plain", replace(settings, ablation="cnn_lstm"),
          config=ModelConfig.tiny(), log=None)
    assert mr.main([str(data), "--group", f"attention={tmp_path / 'attn'}",
                    "--group", f"masked mean={tmp_path / 'plain'},{tmp_path / 'plain'}",
                    "--threads", "1"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].startswith("Data: synthetic test split")
    model, _ = load_model(tmp_path / "attn")
    p = predict(model, data, "test", hide=["context"])
    acc = 100 * np.mean(p.action_pred == p.action_true)
    assert lines[-1].startswith("modality robustness: attention ")
    assert f"{acc:.1f}% without positions" in lines[-1]
    turned = predict(model, data, "test", vest_rotation=45.0)
    acc = 100 * np.mean(turned.action_pred == turned.action_true)
    assert f"{acc:.1f}% with vests turned 45 degrees; masked mean " in lines[-1]
    rows = [line for line in lines if line.startswith("| masked mean |")]
    assert [r.split(" | ")[1] for r in rows] == [c[0] for c in mr.CONDITIONS]
    # the same folder twice: sd 0. Without attention the available modalities weigh the
    # same: 0.5 each where both are there, 1 for the vests where the positions are missing
    assert "| masked mean | all |" in out and "+/- 0.0 |" in rows[0]
    plain, _ = load_model(tmp_path / "plain")
    share = predict(plain, data, "test").modality[:, 1]
    assert np.all((share == 0.5) | (share == 1.0) | (share == 0.0)) and share.mean() >= 0.5
    assert rows[0].endswith(f"| {share.mean():.2f} +/- 0.00 |")
    assert rows[2].endswith("| 0.00 +/- 0.00 |") and rows[3].endswith("| 1.00 +/- 0.00 |")
    assert mr.main([str(data), "--group", "broken"]) == 2
    assert mr.main([str(data), "--group", f"x={tmp_path / 'nowhere'}"]) == 2
