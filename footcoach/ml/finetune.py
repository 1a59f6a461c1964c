"""Start training from trained models (``footcoach train --init MODEL_DIR [--init ...]``).

Uses: a club retrains the bundled model on its own labelled sessions instead of from random
weights; an encoder the model lacks (e.g. the video branch of the bundled IMU + position model)
is added, fresh or taken from a second model that has it (e.g. a video-only model), while the
rest keeps its trained weights. That makes the video-including model affordable on a CPU.

The first model is the base: its layer sizes, ablation, labels, window spec, LSTM, attention and
heads, encoders and normalisation are kept. A later model contributes only the encoders of
modalities that no earlier one has, with its normalisation for them; their sizes must match the
base's. Encoders named in ``--modalities`` that no model has start fresh. Every model must fit
the dataset (same window spec, context features and labels) and the requested ablation.

A starting model that is an ensemble (``footcoach ensemble``) gives its first member's weights:
training makes one network. Train the other members the same way (another ``--seed``) and
combine them again to keep an ensemble.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from footcoach.domain.windowing import WindowSpec
from footcoach.errors import FootcoachError
from footcoach.ml.config import MODALITIES, ModelConfig, ModelMeta, read_model_json
from footcoach.ml.network import EnsembleNet, FootcoachNet, Network
from footcoach.ml.weights import load_model

_ENCODER_PREFIX = {m: f"encoder.{m}." for m in MODALITIES}
#: Config fields that shape each encoder's weights (must match between the base and a donor).
_ENCODER_SIZES = {"video": ("latent_dim", "video_channels", "video_stride"),
                  "imu": ("latent_dim", "imu_channels", "imu_in_channels"),
                  "context": ("latent_dim", "context_hidden", "context_bins")}
_NORM_FIELDS = {"video": ("video_mean", "video_std"), "imu": ("imu_mean", "imu_std"),
                "context": ("context_mean", "context_std", "context_edges")}


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


def encoder_sources(configs: Sequence[ModelConfig]) -> dict[str, int]:
    """Which starting model (index) gives each modality's encoder: the first that has it."""
    out: dict[str, int] = {}
    for i, cfg in enumerate(configs):
        for m in cfg.modalities:
            out.setdefault(m, i)
    return out


def _check(meta: ModelMeta, base: ModelConfig, spec: WindowSpec, ablation: str,
           labels: tuple[tuple[str, ...], tuple[str, ...]], gives: list[str]) -> None:
    cfg = meta.config
    problems = _spec_differences(cfg.window, spec)
    if labels != (cfg.action_labels, cfg.tactic_labels):
        problems.append("the dataset's action/tactic labels differ from the model's")
    if ablation != cfg.ablation:
        problems.append(f"the model is a {cfg.ablation!r} network, not {ablation!r} "
                        f"(a fine-tuned model keeps its starting model's layers)")
    for m in gives:
        problems += [f"its {m} encoder has {f} {getattr(cfg, f)}, the first model's layers "
                     f"{getattr(base, f)}" for f in _ENCODER_SIZES[m]
                     if getattr(cfg, f) != getattr(base, f)]
    if problems:
        raise FootcoachError("cannot start training from this model: " + "; ".join(problems),
                             meta.json_path)


def fine_tune_config(init_dirs: Sequence[str | Path], spec: WindowSpec, *,
                     modalities: tuple[str, ...] | None, ablation: str,
                     action_names: tuple[str, ...], tactic_names: tuple[str, ...]
                     ) -> ModelConfig:
    """The config of a model that starts from the model folders ``init_dirs`` (base first).

    ``spec`` and the label names are the dataset's; ``modalities`` the encoders asked for (None:
    those of the starting models). Raises :class:`FootcoachError` naming the model's JSON when
    the dataset, the ablation or an encoder's sizes do not fit.
    """
    if not init_dirs:
        raise ValueError("no starting model given")
    metas = [read_model_json(d) for d in init_dirs]
    base = metas[0].config
    sources = encoder_sources([m.config for m in metas])
    labels = (tuple(action_names), tuple(tactic_names))
    for i, meta in enumerate(metas):
        _check(meta, base, spec, ablation, labels,
               [m for m, src in sources.items() if src == i and i > 0])
    norm = base.norm_stats
    for m, src in sources.items():
        if src > 0:
            donor = metas[src].config.norm_stats
            norm = replace(norm, **{f: getattr(donor, f) for f in _NORM_FIELDS[m]})
    wanted = set(modalities or ()) | set(sources)
    return replace(base, modalities=tuple(m for m in MODALITIES if m in wanted), norm=norm,
                   members=1, member_norms=())


def _first_member(model: Network) -> FootcoachNet:
    """The network itself, or an ensemble's first member."""
    first = model.members[0] if isinstance(model, EnsembleNet) else model
    assert isinstance(first, FootcoachNet)
    return first


def initial_weights(model: FootcoachNet, init_dirs: Sequence[str | Path]) -> dict[str, str]:
    """Copy the trained weights of ``init_dirs`` (hash-checked; see the module docstring) into
    ``model``, built from :func:`fine_tune_config`'s config.

    Returns where each of ``model``'s encoders came from: a model folder, or ``"new"`` for an
    encoder that none of them has (it keeps its fresh initialisation).
    """
    loaded = [(_first_member(m), cfg) for m, cfg in (load_model(d) for d in init_dirs)]
    sources = encoder_sources([cfg for _m, cfg in loaded])
    state = dict(loaded[0][0].state_dict())
    for m, src in sources.items():
        if src > 0:
            prefix = _ENCODER_PREFIX[m]
            state.update({k: v for k, v in loaded[src][0].state_dict().items()
                          if k.startswith(prefix)})
    result = model.load_state_dict(state, strict=False)
    fresh = tuple(_ENCODER_PREFIX[m] for m in model.config.modalities if m not in sources)
    stray = [k for k in result.missing_keys if not (fresh and k.startswith(fresh))]
    if result.unexpected_keys or stray:
        raise FootcoachError(f"the model's weights do not fit the network to train (missing "
                             f"{stray[:3]}, unexpected {result.unexpected_keys[:3]})",
                             read_model_json(init_dirs[0]).json_path)
    names = [str(d) if cfg.members == 1 else f"{d} (first of its {cfg.members} members)"
             for d, (_m, cfg) in zip(init_dirs, loaded, strict=True)]
    return {m: names[sources[m]] if m in sources else "new" for m in model.config.modalities}


#: What :func:`init_provenance` keeps of each starting model's ``training`` block.
_PROVENANCE_KEYS = ("epochs_run", "best_epoch", "stopped", "seconds", "members", "init_from")


def init_provenance(init_dirs: Sequence[str | Path]) -> list[dict[str, object]]:
    """Where a fine-tuned model came from, for its ``training.init_from``: per starting
    folder, its path, weights sha256, seed, the training settings it was trained with and its
    budget (epochs, best epoch, seconds, its ensemble members' budgets, and its own
    ``init_from`` when it was fine-tuned too), so that a chain of runs stays traceable from
    the model JSON alone."""
    out: list[dict[str, object]] = []
    for folder in init_dirs:
        meta = read_model_json(folder)
        t = meta.training
        entry: dict[str, object] = {"folder": str(Path(folder).resolve()), "sha256": meta.sha256,
                                    "seed": t.get("settings", {}).get("seed"),
                                    "settings": t.get("settings", {})}
        entry.update({k: t[k] for k in _PROVENANCE_KEYS if k in t})
        out.append(entry)
    return out


#: Parts of a network that ``footcoach train --init ... --train-only PART`` may train alone.
#: ``modality-attention``: the scores that weigh the vest, the positions and the video of each
#: step (``encoder.fusion``); encoders, LSTM, temporal attention and heads keep their weights
#: and run as in inference (BatchNorm statistics and dropout frozen).
TRAIN_ONLY = ("modality-attention",)
_TRAIN_ONLY_PREFIX = {"modality-attention": "encoder.fusion."}


def freeze_except(model: FootcoachNet, part: str) -> int:
    """Make only ``part`` (one of ``TRAIN_ONLY``) of ``model`` trainable; returns how many
    parameters stay trainable. FootcoachError when the model has no such part (a model
    without modality attention: the ``cnn`` and ``cnn_lstm`` ablations)."""
    if part not in _TRAIN_ONLY_PREFIX:
        raise FootcoachError(f"--train-only must be one of {', '.join(TRAIN_ONLY)}, got {part!r}")
    prefix = _TRAIN_ONLY_PREFIX[part]
    kept = 0
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith(prefix))
        kept += p.numel() if p.requires_grad else 0
    if kept == 0:
        raise FootcoachError(f"--train-only {part}: this network has none (ablation "
                             f"{model.config.ablation}; modality attention is in cnn_lstm_attn "
                             "and full)")
    return kept


def train_mode(model: FootcoachNet, part: str | None) -> None:
    """Put ``model`` in training mode; with ``part`` (``TRAIN_ONLY``), only that part trains
    and the frozen rest runs as in inference. The network itself stays in training mode, so
    the modality dropout and corruption of its config still apply to the inputs."""
    model.train()
    if part is None:
        return
    prefix = _TRAIN_ONLY_PREFIX[part].rstrip(".")
    for name, module in model.named_modules():
        if name and not name.startswith(prefix) and not prefix.startswith(name + "."):
            module.eval()
