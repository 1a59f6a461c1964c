"""Weight files: safetensors + a JSON description, checked by SHA-256, never unpickled.

A model folder holds::

    footcoach_model.safetensors   the state dict (safetensors: plain tensors, no code)
    footcoach_model.json          format, config, weights file name and its sha256, parameter
                                  count, training data description, metrics, torch version

:func:`load_model` refuses a weights file whose hash differs from the JSON (corrupted or swapped)
with a :class:`FootcoachError` naming the file; ``torch.load``/pickle is never used. An ensemble
(config ``members`` > 1, :class:`~footcoach.ml.network.EnsembleNet`) is one such folder too:
:func:`combine_models` writes it from its members' folders, with member i's weights under
``members.<i>.``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from footcoach.errors import FootcoachError
from footcoach.io.manifest import atomic_write_bytes, atomic_write_text
from footcoach.ml.config import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MODEL_JSON,
    WEIGHTS_FILE,
    ModelConfig,
    read_model_json,
    read_verified_weights,
)
from footcoach.ml.network import EnsembleNet, Network, build_network, parameter_count


def _jsonable(x: Any) -> Any:
    """Plain-JSON copy of metrics/provenance: tuples -> lists, numpy/torch scalars -> Python,
    paths -> str, NaN/inf -> None (strict JSON has no NaN)."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, Path):
        return str(x)
    if hasattr(x, "tolist") and not isinstance(x, str | bytes):  # numpy / torch values
        return _jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is None or isinstance(x, str | int | float | bool):
        return x
    return str(x)


def save_model(model: Network, config: ModelConfig, out_dir: str | Path, *,
               training_info: dict[str, Any], metrics: dict[str, Any]) -> Path:
    """Write ``out_dir/footcoach_model.safetensors`` and ``out_dir/footcoach_model.json``.

    ``training_info`` describes the training data and run (dataset, seeds, epochs, time...);
    ``metrics`` the evaluation results. Both files are written atomically, the weights first.
    Returns the JSON path.
    """
    if model.config != config:
        raise ValueError("config differs from the model's own config (model.config)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    # one metadata key only: safetensors writes the metadata map in no fixed order, so a second
    # key made the bytes (and the sha256, and the analysis cache keys) differ between saves
    data = st_save(state, metadata={"format": "pt"})
    atomic_write_bytes(out / WEIGHTS_FILE, data)
    doc = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "weights_file": WEIGHTS_FILE,
        "sha256": hashlib.sha256(data).hexdigest(),
        "parameter_count": parameter_count(model),
        "config": config.to_dict(),
        "training": _jsonable(training_info),
        "metrics": _jsonable(metrics),
        "torch_version": torch.__version__,
        "saved_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = out / MODEL_JSON
    atomic_write_text(path, json.dumps(doc, indent=2, allow_nan=False) + "\n")
    return path


def load_model(dir_or_json: str | Path, *, device: str | torch.device = "cpu"
               ) -> tuple[Network, ModelConfig]:
    """Load a model folder (or its JSON) written by :func:`save_model`, in eval mode on ``device``.

    Raises :class:`FootcoachError` naming the file when the JSON is malformed, the weights are
    missing, their SHA-256 differs from the JSON, or they do not fit the described network.
    """
    meta = read_model_json(dir_or_json)
    data = read_verified_weights(meta)
    try:
        state = st_load(data)
    except (SafetensorError, ValueError) as exc:
        raise FootcoachError(f"not a readable safetensors file: {exc}", meta.weights_path) from None
    model = build_network(meta.config)
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatch
        first = str(exc).strip().splitlines()[-1].strip()
        raise FootcoachError(f"weights do not fit the described network: {first}",
                             meta.weights_path) from None
    if result.missing_keys or result.unexpected_keys:
        raise FootcoachError(f"weights do not fit the described network (missing "
                             f"{result.missing_keys[:3]}, unexpected {result.unexpected_keys[:3]})",
                             meta.weights_path)
    return model.to(device).eval(), meta.config


#: Per-member provenance kept in an ensemble's ``training["members"]``.
_MEMBER_KEYS = ("seed", "epochs_run", "best_epoch", "stopped", "seconds", "device", "threads",
                "init_from")


def _config_differences(a: ModelConfig, b: ModelConfig) -> list[str]:
    """Config fields that differ, but the normalisation (each member keeps its own)."""
    return [f.name for f in fields(ModelConfig)
            if f.name != "norm" and getattr(a, f.name) != getattr(b, f.name)]


def combine_models(member_dirs: list[str | Path], out_dir: str | Path) -> Path:
    """Combine trained model folders into one ensemble folder (:class:`EnsembleNet`).

    Every member must be a single network (``members`` 1) with the same config as the first,
    i.e. trained by ``footcoach train`` on the same dataset with the same settings and another
    ``--seed``; each is hash-checked on load. Their input normalisation may differ (training
    estimates it from windows drawn with its seed): each keeps its own (``member_norms``).
    The ensemble's ``training`` is the first member's (dataset, settings) without its epoch
    history, plus ``members``: each member's folder, sha256, seed, epochs and training time.
    ``metrics`` are left empty (evaluate the ensemble). Returns the JSON path.
    """
    if len(member_dirs) < 2:
        raise FootcoachError("an ensemble needs at least 2 model folders")
    metas = [read_model_json(d) for d in member_dirs]
    base = metas[0].config
    for meta in metas:
        if meta.config.members != 1:
            raise FootcoachError(f"this model is itself an ensemble of {meta.config.members} "
                                 "networks; give its members' folders instead", meta.json_path)
        diff = _config_differences(base, meta.config)
        if diff:
            raise FootcoachError(f"its config differs from {metas[0].json_path.parent.name}'s in "
                                 f"{', '.join(diff)}: the members must be trained on the same "
                                 "dataset with the same settings (another --seed only)",
                                 meta.json_path)
    shas = [m.sha256 for m in metas]
    for i, meta in enumerate(metas):
        if meta.sha256 in shas[:i]:
            raise FootcoachError("the same weights are given twice (sha256 "
                                 f"{meta.sha256[:16]}...)", meta.json_path)
    config = replace(base, members=len(metas),
                     member_norms=tuple(m.config.norm_stats for m in metas))
    ensemble = EnsembleNet(config)
    state: dict[str, torch.Tensor] = {}
    for i, d in enumerate(member_dirs):
        net, _cfg = load_model(d)
        state.update({f"members.{i}.{k}": v for k, v in net.state_dict().items()})
    ensemble.load_state_dict(state)
    info = {k: v for k, v in metas[0].training.items() if k != "history"}
    info["members"] = [{"folder": str(Path(d).resolve()), "sha256": m.sha256,
                        **{k: m.training[k] for k in _MEMBER_KEYS if k in m.training},
                        **({"seed": m.training["settings"].get("seed")}
                           if isinstance(m.training.get("settings"), dict) else {})}
                       for d, m in zip(member_dirs, metas, strict=True)]
    seconds = [m.training.get("seconds") for m in metas]
    if all(isinstance(s, int | float) for s in seconds):
        info["seconds"] = float(sum(s for s in seconds if s is not None))
    return save_model(ensemble.eval(), config, out_dir, training_info=info, metrics={})
