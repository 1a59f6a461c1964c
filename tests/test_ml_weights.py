"""Weight files: safetensors + JSON round trip, SHA-256 refusal, no pickle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from footcoach.domain.windowing import DEFAULT_CONTEXT_FEATURES
from footcoach.errors import FootcoachError
from footcoach.ml.config import (
    MODEL_JSON,
    WEIGHTS_FILE,
    ModelConfig,
    NormStats,
    read_model_json,
    sha256_file,
)
from footcoach.ml.network import FootcoachNet
from footcoach.ml.weights import load_model, save_model

torch.set_num_threads(2)


def _trained_looking_model(cfg: ModelConfig) -> FootcoachNet:
    """A model whose BatchNorm running stats and weights are not at their initial values."""
    torch.manual_seed(0)
    model = FootcoachNet(cfg).train()
    w = cfg.window
    with torch.no_grad():
        model(torch.randint(0, 256, (4, w.window_steps, 3, w.frames_per_step, w.crop_px,
                                     w.crop_px), dtype=torch.uint8),
              torch.randn(4, w.window_steps, w.imu_per_step, 9) * 3 + 1,
              torch.randn(4, w.window_steps, cfg.n_context))
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    return model.eval()


@pytest.fixture()
def saved(tmp_path: Path) -> tuple[FootcoachNet, Path]:
    norm = NormStats(imu_mean=tuple(0.1 * i for i in range(9)), imu_std=(2.0,) * 9,
                     context_mean=(1.0,) * len(DEFAULT_CONTEXT_FEATURES),
                     context_std=(3.0,) * len(DEFAULT_CONTEXT_FEATURES))
    cfg = ModelConfig.tiny(norm=norm, ablation="cnn_lstm_attn")
    model = _trained_looking_model(cfg)
    path = save_model(model, cfg, tmp_path / "model",
                      training_info={"dataset": "synthetic.h5", "seeds": (0, 1, 2),
                                     "path": tmp_path / "x.h5"},
                      metrics={"action_acc": 0.91, "quality_mae": float("nan")})
    return model, path


def _inputs(cfg: ModelConfig) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(7)
    w = cfg.window
    return (torch.randint(0, 256, (3, w.window_steps, 3, w.frames_per_step, w.crop_px, w.crop_px),
                          dtype=torch.uint8, generator=g),
            torch.randn(3, w.window_steps, w.imu_per_step, 9, generator=g),
            torch.randn(3, w.window_steps, cfg.n_context, generator=g))


def test_save_load_round_trip_gives_identical_outputs(saved: tuple[FootcoachNet, Path]) -> None:
    model, path = saved
    assert path.name == MODEL_JSON and (path.parent / WEIGHTS_FILE).is_file()
    loaded, cfg = load_model(path.parent)
    assert cfg == model.config and not loaded.training
    x = _inputs(cfg)
    with torch.no_grad():
        for a, b in zip(model(*x), loaded(*x), strict=True):
            assert torch.equal(a, b)
    loaded2, _ = load_model(path)  # the JSON path works too
    assert torch.equal(loaded2.encoder.imu_std, model.encoder.imu_std)


def test_saving_the_same_weights_again_gives_the_same_bytes(
        saved: tuple[FootcoachNet, Path], tmp_path: Path) -> None:
    """The weights file (and so its sha256 and every analysis cache key) depends on the weights
    only: re-packaging a model must not change it."""
    model, path = saved
    first = (path.parent / "footcoach_model.safetensors").read_bytes()
    for k in range(5):
        again = save_model(model, model.config, tmp_path / f"again{k}", training_info={},
                           metrics={})
        assert (again.parent / "footcoach_model.safetensors").read_bytes() == first


def test_json_describes_the_weights(saved: tuple[FootcoachNet, Path]) -> None:
    _, path = saved
    doc = json.loads(path.read_text())
    assert doc["sha256"] == sha256_file(path.parent / WEIGHTS_FILE)
    assert doc["config"]["window"]["window_steps"] == 4
    assert doc["config"]["action_labels"][0] == "take-off"
    assert doc["metrics"] == {"action_acc": 0.91, "quality_mae": None}  # NaN -> null
    assert doc["training"]["seeds"] == [0, 1, 2]
    assert doc["parameter_count"] > 1000
    meta = read_model_json(path)
    assert meta.metrics["action_acc"] == 0.91 and meta.weights_path.name == WEIGHTS_FILE


def test_a_flipped_byte_is_refused(saved: tuple[FootcoachNet, Path]) -> None:
    _, path = saved
    weights = path.parent / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(FootcoachError, match="sha256 mismatch") as err:
        load_model(path.parent)
    assert err.value.file == str(weights)


def test_missing_or_malformed_files_are_refused(saved: tuple[FootcoachNet, Path],
                                                tmp_path: Path) -> None:
    _, path = saved
    doc = json.loads(path.read_text())
    # weights that do not fit the described network (hash fine, shapes differ)
    doc2 = dict(doc, config=dict(doc["config"], latent_dim=48))
    path.write_text(json.dumps(doc2))
    with pytest.raises(FootcoachError, match="do not fit") as err:
        load_model(path)
    assert err.value.file is not None and err.value.file.endswith(WEIGHTS_FILE)
    # not JSON
    path.write_text("{not json")
    with pytest.raises(FootcoachError, match="cannot read model description") as err:
        load_model(path)
    assert err.value.file == str(path)
    # a weights file name that escapes the folder
    path.write_text(json.dumps(dict(doc, weights_file="../other.safetensors")))
    with pytest.raises(FootcoachError, match="bare file name"):
        load_model(path)
    # missing weights
    path.write_text(json.dumps(doc))
    (path.parent / WEIGHTS_FILE).unlink()
    with pytest.raises(FootcoachError, match="weights file not found"):
        load_model(path)
    with pytest.raises(FootcoachError, match="not found"):
        load_model(tmp_path / "nowhere")


def test_loading_never_unpickles(saved: tuple[FootcoachNet, Path],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("pickle/torch.load used")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    _, path = saved
    load_model(path.parent)


def test_save_refuses_a_config_that_is_not_the_models(tmp_path: Path) -> None:
    model = FootcoachNet(ModelConfig.tiny())
    with pytest.raises(ValueError):
        save_model(model, ModelConfig.tiny(latent_dim=8), tmp_path, training_info={},
                   metrics={})
