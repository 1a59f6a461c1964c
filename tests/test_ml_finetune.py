"""Fine-tuning (``footcoach train --init MODEL_DIR [--init ...]``): a trained IMU + context
model is the starting point, the video encoder is added fresh or taken from a video-only model,
the rest keeps its trained weights and normalisation, and a dataset or donor that does not fit
is refused with a clear error."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from ml_data_fixtures import SPEC, write_tiny_dataset

from footcoach.cli.main import main
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import DatasetFile
from footcoach.ml.config import ModelConfig, read_model_json
from footcoach.ml.finetune import fine_tune_config, initial_weights
from footcoach.ml.network import FootcoachNet
from footcoach.ml.train import TrainSettings, train
from footcoach.ml.weights import load_model

FAST = dict(batch_size=8, workers=0, threads=1)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("ft") / "tiny.h5", players=8, steps=64)


@pytest.fixture(scope="module")
def imu_model(data, tmp_path_factory) -> Path:
    """A tiny IMU + context model trained to a low loss on the fixture."""
    out = tmp_path_factory.mktemp("ft") / "imu-model"
    train(data, out, TrainSettings(epochs=8, lr=3e-3, patience=20, modalities=("imu", "context"),
                                   **FAST), config=ModelConfig.tiny(), log=None)
    return out


def _labels(data: Path) -> dict[str, tuple[str, ...]]:
    with DatasetFile(data) as ds:
        return {"action_names": tuple(ds.action_names), "tactic_names": tuple(ds.tactic_names)}


def test_the_video_encoder_is_added_and_the_rest_starts_trained(data, imu_model):
    source, source_cfg = load_model(imu_model)
    cfg = fine_tune_config([imu_model], SPEC, modalities=("video", "imu"), ablation="full",
                           **_labels(data))
    # the starting model's encoders are kept even when --modalities leaves one out
    assert cfg.modalities == ("video", "imu", "context")
    assert cfg.norm == source_cfg.norm and cfg.latent_dim == source_cfg.latent_dim
    model = FootcoachNet(cfg)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    origin = initial_weights(model, [imu_model])
    assert origin == {"video": "new", "imu": str(imu_model), "context": str(imu_model)}
    state, before = model.state_dict(), source.state_dict()
    assert set(before) < set(state)
    for key, value in before.items():
        assert torch.equal(state[key], value), key
    video_keys = [k for k in state if k.startswith("encoder.video.")]
    assert video_keys and set(state) - set(before) == set(video_keys)
    assert all(torch.equal(state[k], fresh[k]) for k in video_keys)


def test_fine_tuning_starts_where_the_model_left_off(data, imu_model, tmp_path):
    lines: list[str] = []
    tuned = train(data, tmp_path / "tuned",
                  TrainSettings(epochs=1, lr=1e-4, init=(str(imu_model),),
                                modalities=("video", "imu", "context"), **FAST),
                  log=lines.append)
    scratch = train(data, tmp_path / "scratch",
                    TrainSettings(epochs=1, lr=1e-4, modalities=("video", "imu", "context"),
                                  **FAST), config=ModelConfig.tiny(), log=None)
    assert lines[0] == (f"starting from {imu_model} (video: new, imu: from {imu_model}, "
                        f"context: from {imu_model})")
    # one slow epoch from the trained model is far better than one from random weights
    assert tuned.history[0].val_loss < 0.6 * scratch.history[0].val_loss
    _model, cfg = load_model(tmp_path / "tuned")
    assert cfg.modalities == ("video", "imu", "context")
    assert cfg.norm == read_model_json(imu_model).config.norm  # not recomputed
    training = read_model_json(tmp_path / "tuned").training
    assert training["settings"]["init"] == [str(imu_model)]
    base = read_model_json(imu_model)
    (origin,) = training["init_from"]  # the provenance of the starting model travels along
    assert origin["folder"] == str(imu_model.resolve()) and origin["sha256"] == base.sha256
    assert origin["epochs_run"] == base.training["epochs_run"] and "init_from" not in origin
    assert origin["seed"] == base.training["settings"]["seed"]
    assert origin["settings"] == base.training["settings"]
    again = train(data, tmp_path / "again", TrainSettings(epochs=1, lr=1e-4,
                  init=(str(tmp_path / "tuned"),), **FAST), log=None)
    assert again.best_epoch == 1
    chain = read_model_json(tmp_path / "again").training["init_from"][0]
    assert chain["init_from"][0]["sha256"] == base.sha256  # a chain stays traceable
    assert "init_from" not in read_model_json(imu_model).training
    from footcoach.ml.weights import combine_models

    combine_models([tmp_path / "tuned", tmp_path / "again"], tmp_path / "ens")
    members = read_model_json(tmp_path / "ens").training["members"]  # an ensemble keeps it
    assert members[0]["init_from"][0]["sha256"] == base.sha256
    assert members[1]["init_from"][0]["init_from"][0]["sha256"] == base.sha256


@pytest.fixture(scope="module")
def video_model(data, tmp_path_factory) -> Path:
    """A tiny video-only model (one epoch: its weights only need to differ from fresh ones)."""
    out = tmp_path_factory.mktemp("ft") / "video-model"
    train(data, out, TrainSettings(epochs=1, modalities=("video",), **FAST),
          config=ModelConfig.tiny(), log=None)
    return out


def test_a_second_model_gives_the_encoder_the_first_lacks(data, imu_model, video_model):
    video_cfg = load_model(video_model)[1]
    cfg = fine_tune_config([imu_model, video_model], SPEC, modalities=None, ablation="full",
                           **_labels(data))
    base = read_model_json(imu_model).config
    assert cfg.modalities == ("video", "imu", "context")
    assert cfg.norm == replace(base.norm, video_mean=video_cfg.norm.video_mean,
                               video_std=video_cfg.norm.video_std)
    model = FootcoachNet(cfg)
    origin = initial_weights(model, [imu_model, video_model])
    assert origin["video"] == str(video_model) and origin["imu"] == str(imu_model)
    state = model.state_dict()
    donor, first = load_model(video_model)[0].state_dict(), load_model(imu_model)[0].state_dict()
    for key, value in state.items():
        source = donor if key.startswith("encoder.video.") else first
        assert torch.equal(value, source[key]), key
    # a donor whose video encoder has other sizes is refused, naming the size
    wide = video_model.parent / "wide-video"
    train(data, wide, TrainSettings(epochs=1, modalities=("video",), **FAST),
          config=replace(ModelConfig.tiny(), video_channels=(4, 8, 16)), log=None)
    with pytest.raises(FootcoachError, match="video_channels"):
        fine_tune_config([imu_model, wide], SPEC, modalities=None, ablation="full",
                         **_labels(data))


def test_a_dataset_or_ablation_that_does_not_fit_is_refused(data, imu_model, tmp_path):
    longer = write_tiny_dataset(tmp_path / "longer.h5", players=6, steps=64,
                                spec=replace(SPEC, window_steps=SPEC.window_steps * 2))
    with pytest.raises(FootcoachError, match="window_steps") as err:
        train(longer, tmp_path / "m", TrainSettings(epochs=1, init=(str(imu_model),), **FAST),
              log=None)
    assert "footcoach_model.json" in str(err.value)
    with pytest.raises(FootcoachError, match="'full' network, not 'cnn'"):
        train(data, tmp_path / "m", TrainSettings(epochs=1, init=(str(imu_model),), ablation="cnn",
                                                  **FAST), log=None)
    with pytest.raises(FootcoachError, match="learning rate"):
        train(data, tmp_path / "m", TrainSettings(epochs=1, lr=0.0, **FAST), log=None)


def test_cli_init_and_its_errors(data, imu_model, video_model, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["train", str(data), "--out", str(out), "--init", str(imu_model), "--init",
                 str(video_model), "--epochs", "1", "--batch", "8", "--workers", "0",
                 "--threads", "1", "--lr", "1e-4"]) == 0
    text = capsys.readouterr().out
    assert f"video: from {video_model}" in text and "model written to" in text
    settings = read_model_json(out).training["settings"]
    assert settings["lr"] == 1e-4 and settings["init"] == [str(imu_model), str(video_model)]
    assert main(["train", str(data), "--out", str(out), "--init", str(imu_model),
                 "--resume"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["train", str(data), "--out", str(tmp_path / "x"), "--init",
                 str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_an_ensemble_is_fine_tuned_from_its_first_member_and_evaluated_as_one(
        data, imu_model, tmp_path):
    from footcoach.ml.weights import combine_models

    second = tmp_path / "second"
    train(data, second, TrainSettings(epochs=1, seed=1, modalities=("imu", "context"), **FAST),
          config=ModelConfig.tiny(), log=None)
    combine_models([imu_model, second], tmp_path / "ens")
    cfg = fine_tune_config([tmp_path / "ens"], SPEC, modalities=None, ablation="full",
                           **_labels(data))
    assert cfg.members == 1 and cfg == read_model_json(imu_model).config
    model = FootcoachNet(cfg)
    origin = initial_weights(model, [tmp_path / "ens"])
    assert origin["imu"] == f"{tmp_path / 'ens'} (first of its 2 members)"
    first = load_model(imu_model)[0].state_dict()
    assert all(torch.equal(v, first[k]) for k, v in model.state_dict().items())
    from footcoach.ml.evaluate import evaluate

    m = evaluate(tmp_path / "ens", data, split="val", out=tmp_path / "metrics", device="cpu")
    assert m["model"]["members"] == 2
    assert "an ensemble of 2 networks" in (tmp_path / "metrics" / "metrics.md").read_text()


def test_train_only_the_modality_attention_keeps_the_rest_as_it_was(data, imu_model, tmp_path,
                                                                    capsys):
    """``--train-only modality-attention``: the modality attention learns (here with wrong
    sensors), every other weight and BatchNorm statistic stays the starting model's, and the
    saved model is whole (its size counts every parameter)."""
    start, _ = load_model(imu_model)
    lines: list[str] = []
    train(data, tmp_path / "att", TrainSettings(
        epochs=2, lr=1e-2, init=(str(imu_model),), train_only="modality-attention",
        modality_corruption=0.5, **FAST), log=lines.append)
    assert "training only its modality-attention" in lines[1]
    tuned, cfg = load_model(tmp_path / "att")
    assert cfg.modality_corruption == 0.5
    before, after = start.state_dict(), tuned.state_dict()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(k.startswith("encoder.fusion.") for k in moved), moved
    assert any("running_mean" in k for k in before)  # BatchNorm statistics were compared too
    doc = read_model_json(tmp_path / "att")
    assert doc.parameter_count == sum(p.numel() for p in start.parameters())
    with pytest.raises(FootcoachError, match="needs a model to start from"):
        TrainSettings(train_only="modality-attention").check()
    with pytest.raises(FootcoachError, match="train_only must be one of"):
        TrainSettings(train_only="heads", init=(str(imu_model),)).check()
    plain = tmp_path / "plain"  # no modality attention to train
    train(data, plain, TrainSettings(epochs=1, ablation="cnn_lstm",
                                     modalities=("imu", "context"), **FAST),
          config=ModelConfig.tiny(), log=None)
    with pytest.raises(FootcoachError, match="has none"):
        train(data, tmp_path / "plain-tuned", TrainSettings(
            epochs=1, init=(str(plain),), train_only="modality-attention",
            ablation="cnn_lstm", **FAST), log=None)
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(tmp_path / "x"),
                 "--train-only", "modality-attention"]) == 2
    assert "give the model to start from with --init" in capsys.readouterr().err
