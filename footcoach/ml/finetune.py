"""Start training from a trained model (``footcoach train --init MODEL_DIR``): fine-tuning.

Two uses: a club retrains the bundled model on its own labelled sessions instead of from random
weights, and an encoder the model lacks (e.g. the video branch of the bundled IMU + position
model) is added and trained while the rest starts from trained weights, which makes the
video-including model affordable on a CPU.

What is kept from the starting model: its layer sizes, ablation, labels, window spec and the
IMU/context normalisation (its weights were trained on those scales). What may change: the
modalities (encoders named in ``--modalities`` that the model lacks are added with fresh
weights; the model's own encoders are always kept) and the training settings (loss weights,
learning rate, ball hiding...). The dataset must have been built with the same window spec
(step length, window length, sampling rates, crop size, context features).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from footcoach.domain.windowing import WindowSpec
from footcoach.errors import FootcoachError
from footcoach.ml.config import MODALITIES, ModelConfig, read_model_json
from footcoach.ml.network import FootcoachNet
from footcoach.ml.weights import load_model

_ENCODER_PREFIX = {m: f"encoder.{m}." for m in MODALITIES}


def _spec_differences(model: WindowSpec, data: WindowSpec) -> list[str]:
    diffs = [f"{name} {getattr(model, name)} (model) vs {getattr(data, name)} (data)"
             for name in ("step_s", "window_steps", "video_fps", "crop_px", "imu_rate_hz")
             if getattr(model, name) != getattr(data, name)]
    if tuple(model.context_features) != tuple(data.context_features):
        diffs.append(f"context features: the model has {len(model.context_features)} "
                     f"({', '.join(model.context_features[:3])}, ...), the data "
                     f"{len(data.context_features)} ({', '.join(data.context_features[:3])}, "
                     f"...); build the dataset with the model's --context choice")
    return diffs


def fine_tune_config(init_dir: str | Path, spec: WindowSpec, *, modalities: tuple[str, ...] | None,
                     ablation: str, action_names: tuple[str, ...], tactic_names: tuple[str, ...]
                     ) -> ModelConfig:
    """The config of a model that starts from the model folder ``init_dir``.

    ``spec`` and the label names are the dataset's; ``modalities`` the encoders asked for (None:
    the starting model's). Raises :class:`FootcoachError` naming the model's JSON when the
    dataset or the ablation does not fit the starting model.
    """
    meta = read_model_json(init_dir)
    base = meta.config
    problems = _spec_differences(base.window, spec)
    if tuple(action_names) != base.action_labels or tuple(tactic_names) != base.tactic_labels:
        problems.append("the dataset's action/tactic labels differ from the model's")
    if ablation != base.ablation:
        problems.append(f"the model is a {base.ablation!r} network, not {ablation!r} "
                        f"(a fine-tuned model keeps its starting model's layers)")
    if problems:
        raise FootcoachError("cannot start training from this model: " + "; ".join(problems),
                             meta.json_path)
    wanted = set(modalities or base.modalities) | set(base.modalities)
    return replace(base, modalities=tuple(m for m in MODALITIES if m in wanted))


def initial_weights(model: FootcoachNet, init_dir: str | Path) -> list[str]:
    """Copy the trained weights of ``init_dir`` (hash-checked) into ``model``.

    Every tensor of the starting model must fit; tensors of ``model`` it lacks may only belong to
    encoders the starting model did not build (they keep their fresh initialisation). Returns
    those new encoders' names (e.g. ``["video"]``).
    """
    source, source_cfg = load_model(init_dir)
    result = model.load_state_dict(source.state_dict(), strict=False)
    added = [m for m in model.config.modalities if m not in source_cfg.modalities]
    fresh = tuple(_ENCODER_PREFIX[m] for m in added)
    stray = [k for k in result.missing_keys if not k.startswith(fresh)] if fresh else \
        list(result.missing_keys)
    if result.unexpected_keys or stray:
        raise FootcoachError(f"the model's weights do not fit the network to train (missing "
                             f"{stray[:3]}, unexpected {result.unexpected_keys[:3]})",
                             read_model_json(init_dir).json_path)
    return added

