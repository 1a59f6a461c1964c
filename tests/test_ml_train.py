"""Training on a tiny learnable HDF5 file: a run writes a loadable model, the loss falls,
resume continues the epoch counter and the optimizer state, the CLI prints progress lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from ml_data_fixtures import write_tiny_dataset

from footcoach.cli.main import main
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import DatasetFile
from footcoach.ml.config import LossWeights, ModelConfig, read_model_json
from footcoach.ml.train import (
    EpochStats,
    TrainSettings,
    class_weights,
    norm_stats,
    selection_value,
    train,
)
from footcoach.ml.weights import load_model

FAST = dict(batch_size=8, workers=0, threads=1, modalities=("imu", "context"))


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("ml") / "tiny.h5", players=8, steps=64)


def test_two_epochs_write_a_loadable_model_with_progress_lines(data, tmp_path):
    lines: list[str] = []
    s = TrainSettings(epochs=2, batch_size=8, workers=0, threads=1, max_train_windows=40)
    res = train(data, tmp_path / "m", s, config=ModelConfig.tiny(), log=lines.append)
    assert res.epochs_run == 2 and len(res.history) == 2
    epoch_lines = [x for x in lines if x.startswith("epoch")]
    assert len(epoch_lines) == 2
    for word in ("loss", "action", "tactic", "quality MAE", "val acc", "lr", " s"):
        assert word in epoch_lines[0]
    _model, cfg = load_model(tmp_path / "m")
    assert cfg.modalities == ("video", "imu", "context") and cfg.window.crop_px == 16
    meta = read_model_json(tmp_path / "m")
    assert meta.training["epochs_run"] == 2 and meta.training["windows_per_split"]["train"] > 0
    assert meta.training["settings"]["lr"] == 5e-4
    assert (tmp_path / "m" / "checkpoint" / "best.safetensors").is_file()
    # normalisation statistics come from the training split, not the identity
    assert cfg.norm_stats.imu_std != (1.0,) * 9


def test_loss_decreases_on_a_learnable_set(data, tmp_path):
    s = TrainSettings(epochs=8, lr=3e-3, patience=20, **FAST)
    res = train(data, tmp_path / "m", s, config=ModelConfig.tiny(), log=None)
    losses = [h.train_loss for h in res.history]
    assert losses[-1] < 0.6 * losses[0]
    assert res.history[-1].val_loss < 0.7 * res.history[0].val_loss


def test_resume_continues_epochs_and_optimizer_state(data, tmp_path):
    out = tmp_path / "m"
    s = TrainSettings(epochs=2, **FAST)
    train(data, out, s, config=ModelConfig.tiny(), log=None)
    blob = torch.load(out / "checkpoint" / "optimizer.pt", weights_only=True)
    steps_2 = max(float(v["step"]) for v in blob["optimizer"]["state"].values())
    lines: list[str] = []
    res = train(data, out, TrainSettings(epochs=3), resume=True, log=lines.append)
    assert lines[0].startswith("resuming from epoch 2")
    assert [h.epoch for h in res.history] == [1, 2, 3] and res.epochs_run == 3
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 3 and state["settings"]["batch_size"] == 8
    blob = torch.load(out / "checkpoint" / "optimizer.pt", weights_only=True)
    steps_3 = max(float(v["step"]) for v in blob["optimizer"]["state"].values())
    assert steps_3 == pytest.approx(1.5 * steps_2)  # Adam's step counter went on


def test_resume_may_give_a_new_patience(data, tmp_path):
    out = tmp_path / "m"
    path = out / "checkpoint" / "state.json"
    train(data, out, TrainSettings(epochs=1, **FAST), config=ModelConfig.tiny(), log=None)
    assert json.loads(path.read_text())["settings"]["patience"] == 6  # the default, stored
    train(data, out, TrainSettings(epochs=2, patience=9), resume=True, log=None)
    assert json.loads(path.read_text())["settings"]["patience"] == 9
    res = train(data, out, TrainSettings(epochs=3), resume=True, log=None)  # kept
    assert json.loads(path.read_text())["settings"]["patience"] == 9 and res.epochs_run == 3
    with pytest.raises(FootcoachError, match="patience"):
        TrainSettings(patience=0).check()


def test_best_epoch_selection_by_score_or_loss():
    a = EpochStats(1, 1.0, 0.5, 0.4, 0.1, val_loss=0.80, val_action_acc=0.80,
                   val_tactic_acc=0.70, val_quality_mae=15.0, lr=1e-3, seconds=1.0)
    b = EpochStats(2, 0.8, 0.4, 0.3, 0.1, val_loss=0.90, val_action_acc=0.85,
                   val_tactic_acc=0.75, val_quality_mae=14.0, lr=1e-3, seconds=1.0)
    joint = LossWeights()
    assert selection_value(a, joint, "loss") == 0.80
    assert selection_value(a, joint, "score") == pytest.approx(-(0.80 + 0.70 + 0.85) / 3)
    # b has the higher loss but better scores: the score picks it, the loss does not
    assert selection_value(b, joint, "score") < selection_value(a, joint, "score")
    assert selection_value(b, joint, "loss") > selection_value(a, joint, "loss")
    assert selection_value(a, LossWeights.single("tactic"), "score") == pytest.approx(-0.70)
    with pytest.raises(FootcoachError, match="select"):
        TrainSettings(select="accuracy").check()


def test_resume_of_a_checkpoint_from_before_select_keeps_loss_selection(data, tmp_path):
    out = tmp_path / "m"
    train(data, out, TrainSettings(epochs=1, **FAST), config=ModelConfig.tiny(), log=None)
    path = out / "checkpoint" / "state.json"
    state = json.loads(path.read_text())
    del state["settings"]["select"], state["best_value"]
    path.write_text(json.dumps(state))
    res = train(data, out, TrainSettings(epochs=2), resume=True, log=None)
    state = json.loads(path.read_text())
    assert state["settings"]["select"] == "loss" and res.epochs_run == 2
    best = min(res.history, key=lambda h: h.val_loss)
    assert state["best_epoch"] == best.epoch


def test_norm_stats_are_the_training_split_statistics(data):
    with DatasetFile(data) as ds:
        idx = ds.window_indices("train")
        rows = np.unique(np.concatenate([np.arange(s, s + ds.spec.window_steps)
                                         for s in ds.windows["start"][idx]]))
        imu = ds.h5["imu"][()][rows].reshape(-1, 9)
    n = norm_stats(data, "train", max_windows=10_000)
    # windows overlap, so steps are counted with multiplicity: compare loosely
    assert np.allclose(n.imu_mean, imu.mean(0), atol=0.15)
    assert np.allclose(n.imu_std, imu.std(0), rtol=0.15, atol=0.02)


def test_class_weights_balance_and_skip_absent_classes():
    w = class_weights(np.array([10, 40, 0, 50]), power=1.0).numpy()
    present = w[[0, 1, 3]]
    assert w[2] == 1.0 and present.mean() == pytest.approx(1.0)
    assert w[0] / w[1] == pytest.approx(4.0)
    assert np.allclose(class_weights(np.array([1, 9]), power=0.0).numpy(), 1.0)


def test_bad_inputs_raise_footcoach_errors(data, tmp_path):
    with pytest.raises(FootcoachError, match="no checkpoint"):
        train(data, tmp_path / "none", TrainSettings(**FAST), resume=True,
              log=None)
    with pytest.raises(FootcoachError, match="not found"):
        train(tmp_path / "missing.h5", tmp_path / "m", TrainSettings(**FAST),
              config=ModelConfig.tiny(), log=None)
    with pytest.raises(FootcoachError, match="ablation"):
        train(data, tmp_path / "m", TrainSettings(ablation="bogus"), log=None)


def test_cli_train_then_evaluate(data, tmp_path, capsys):
    # the CLI builds the default-size network on the tiny file's window spec
    out = tmp_path / "cli-model"
    assert main(["train", str(data), "--out", str(out), "--epochs", "1", "--batch", "8",
                 "--modalities", "imu,context", "--workers", "0", "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert "epoch   1/1" in text and "model written to" in text
    assert main(["evaluate", str(out), str(data), "--out", str(tmp_path / "ev")]) == 0
    text = capsys.readouterr().out
    assert "| action (12 classes) |" in text and "Data: synthetic test split" in text
    assert (tmp_path / "ev" / "confusion_action.png").is_file()
    assert main(["evaluate", str(out), str(data), "--out", str(tmp_path / "ev2"),
                 "--hide", "imu"]) == 0
    assert "the vests (IMU) hidden" in capsys.readouterr().out
    assert main(["evaluate", str(out), str(data), "--out", str(tmp_path / "ev3"),
                 "--corrupt", "imu"]) == 0
    assert "the vests (IMU) giving noise while marked present" in capsys.readouterr().out
    assert main(["evaluate", str(out), str(data), "--hide", "imu,context"]) == 2
    assert "leaves nothing the model reads" in capsys.readouterr().err
    assert main(["train", str(data), "--out", str(out), "--modalities", "sound"]) == 2


@pytest.mark.parametrize(("flag", "key", "refusal"), [
    ("--lstm-bidirectional", "lstm_bidirectional", "shapes the LSTM of a new run"),
    ("--time-prior", "time_prior", "shapes the temporal attention of a new run")])
def test_cli_head_options_are_stored_and_only_for_a_new_run(data, tmp_path, capsys, flag, key,
                                                            refusal):
    out = tmp_path / "head"
    assert main(["train", str(data), "--out", str(out), "--epochs", "1", "--batch", "8",
                 "--modalities", "imu,context", "--workers", "0", "--threads", "1",
                 flag]) == 0
    doc = json.loads((out / "footcoach_model.json").read_text())
    assert doc["config"][key] is True
    model, cfg = load_model(out)
    assert getattr(cfg, key)
    if key == "lstm_bidirectional":
        assert model.window_head.lstm is not None and model.window_head.lstm.bidirectional
    else:
        assert model.window_head.time_prior is not None
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(out), "--resume", "--epochs", "2",
                 flag]) == 2
    assert f"{flag} {refusal}" in capsys.readouterr().err
    if key == "time_prior":  # a network without temporal attention cannot take it
        assert main(["train", str(data), "--out", str(tmp_path / "cnn"), "--epochs", "1",
                     "--ablation", "cnn_lstm", flag]) == 2
        err = capsys.readouterr().err
        assert "time_prior biases the temporal attention" in err and "'cnn_lstm'" in err
        assert not (tmp_path / "cnn").exists() or not any((tmp_path / "cnn").iterdir())


def test_cli_loss_weights_reach_the_stored_config(data, tmp_path, capsys):
    out = tmp_path / "weighted"
    assert main(["train", str(data), "--out", str(out), "--epochs", "1", "--batch", "8",
                 "--modalities", "imu,context", "--workers", "0", "--threads", "1",
                 "--loss-weights", "quality=4, tactic=0.5, tactic-shared=0.25"]) == 0
    doc = json.loads((out / "footcoach_model.json").read_text())
    assert doc["config"]["loss"] == {"quality": 4.0, "tactic": 0.5, "action": 1.0,
                                     "learned": False, "tactic_shared": 0.25}
    capsys.readouterr()
    for bad, message in (("quality=-1", ">= 0"), ("speed=2", "TASK=WEIGHT"),
                         ("quality=x", "not a number"), ("learn", "the word learned"),
                         ("tactic-shared=1.5", "share from 0 to 1"),
                         ("tactic-shared=x", "share from 0 to 1"),
                         ("action=0,tactic=0,quality=0", "not all 0")):
        assert main(["train", str(data), "--out", str(tmp_path / "x"),
                     "--loss-weights", bad]) == 2
        assert message in capsys.readouterr().err, bad
    assert main(["train", str(data), "--out", str(out), "--resume",
                 "--loss-weights", "quality=2"]) == 2
    assert "--resume" in capsys.readouterr().err


def test_learned_loss_weights_train_resume_and_are_recorded(data, tmp_path, capsys):
    out = tmp_path / "learned"
    assert main(["train", str(data), "--out", str(out), "--epochs", "2", "--batch", "8",
                 "--modalities", "imu,context", "--workers", "0", "--threads", "1",
                 "--lr", "3e-3", "--loss-weights", "quality=4,learned"]) == 0
    epoch_lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("epoch")]
    assert len(epoch_lines) == 2 and all("weights a/t/q" in x for x in epoch_lines)
    doc = json.loads((out / "footcoach_model.json").read_text())
    assert doc["config"]["loss"] == {"quality": 4.0, "tactic": 1.0, "action": 1.0,
                                     "learned": True, "tactic_shared": 1.0}
    learned = doc["training"]["learned_loss_weights"]
    assert set(learned) == {"action", "tactic", "quality"}
    assert learned != pytest.approx({"action": 1.0, "tactic": 1.0, "quality": 4.0})  # trained
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    after_2 = state["loss_log_var"]
    res = train(data, out, TrainSettings(epochs=3), resume=True, log=None)
    assert res.epochs_run == 3
    after_3 = json.loads((out / "checkpoint" / "state.json").read_text())["loss_log_var"]
    # the resumed run went on from the stored log-variances (they drift on, away from the
    # configured start), not from the configured weights
    start = [0.0, 0.0, -float(np.log(4.0))]
    assert np.abs(np.subtract(after_3, start)).max() > 1.2 * np.abs(
        np.subtract(after_2, start)).max()


def test_cli_video_stride_reaches_the_stored_config(data, tmp_path, capsys):
    out = tmp_path / "stride4"
    assert main(["train", str(data), "--out", str(out), "--epochs", "1", "--batch", "8",
                 "--modalities", "video,context", "--workers", "0", "--threads", "1",
                 "--video-stride", "4", "--loss-weights", "quality=3"]) == 0
    doc = json.loads((out / "footcoach_model.json").read_text())
    assert doc["config"]["video_stride"] == 4
    assert doc["config"]["loss"]["quality"] == 3.0
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(tmp_path / "x"), "--video-stride", "0"]) == 2
    assert ">= 1" in capsys.readouterr().err
    assert main(["train", str(data), "--out", str(out), "--resume", "--video-stride", "1"]) == 2
    assert "own stride is kept" in capsys.readouterr().err


@pytest.mark.parametrize(("flag", "setting", "value", "other", "bad", "why"), [
    ("--modality-corruption", "modality_corruption", "0.3", "0.2", "1", "must be in 0..1"),
    ("--imu-rotation", "imu_rotation", "30", "0", "190", "0-180 degrees")])
def test_cli_wrong_sensor_training_is_stored_and_only_for_a_new_run(
        data, tmp_path, capsys, flag, setting, value, other, bad, why):
    out = tmp_path / "trained"
    assert main(["train", str(data), "--out", str(out), "--epochs", "1", "--batch", "8",
                 "--modalities", "imu,context", "--workers", "0", "--threads", "1",
                 flag, value]) == 0
    assert json.loads((out / "footcoach_model.json").read_text())["config"][setting] == \
        float(value)
    assert getattr(load_model(out)[1], setting) == float(value)
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(out), "--resume", "--epochs", "2",
                 flag, other]) == 2
    assert f"{flag} is a setting of a new run" in capsys.readouterr().err
    assert main(["train", str(data), "--out", str(tmp_path / "bad"), "--epochs", "1",
                 flag, bad]) == 2
    assert why in capsys.readouterr().err
    # fine-tuning: the flag sets it, without it the --init model's is kept
    for given, expected in (([flag, other], float(other)), ([], float(value))):
        tuned = tmp_path / f"tuned{len(given)}"
        assert main(["train", str(data), "--out", str(tuned), "--init", str(out), "--epochs",
                     "1", "--batch", "8", "--workers", "0", "--threads", "1", *given]) == 0
        assert getattr(load_model(tuned)[1], setting) == expected
