"""Weight files: safetensors + a JSON description, checked by SHA-256, never unpickled.

A model folder holds::

    footcoach_model.safetensors   the state dict (safetensors: plain tensors, no code)
    footcoach_model.json          format, config, weights file name and its sha256, parameter
                                  count, training data description, metrics, torch version

:func:`load_model` refuses a weights file whose hash differs from the JSON (corrupted or swapped)
with a :class:`FootcoachError` naming the file; ``torch.load``/pickle is never used.
"""

from __future__ import annotations

import hashlib
import json
import math
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
from footcoach.ml.network import FootcoachNet, parameter_count


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


def save_model(model: FootcoachNet, config: ModelConfig, out_dir: str | Path, *,
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
               ) -> tuple[FootcoachNet, ModelConfig]:
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
    model = FootcoachNet(meta.config)
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
