"""The multimodal CNN-LSTM (the only package that imports torch).

Importing ``footcoach.ml`` itself loads no torch: the names below are resolved on first use, so
the torch-free parts (``footcoach.ml.config``; the ONNX runner in ``footcoach.ml.onnx_export``)
work in a bundle without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ABLATIONS": "config", "MODALITIES": "config", "LossWeights": "config",
    "ModelConfig": "config", "NormStats": "config", "ModelMeta": "config",
    "read_model_json": "config",
    "EnsembleNet": "network", "build_network": "network",
    "FootcoachNet": "network", "FootcoachOutput": "network", "StepEncoder": "network",
    "StepFeatures": "network", "WindowHead": "network", "modality_dropout": "network",
    "parameter_count": "network", "sliding_windows": "network",
    "augment_steps": "encoders", "video_augment": "encoders",
    "JointLoss": "losses", "LossTerms": "losses", "joint_loss": "losses",
    "load_model": "weights", "save_model": "weights", "combine_models": "weights",
    "OnnxFootcoach": "onnx_export", "export_onnx": "onnx_export",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'footcoach.ml' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"footcoach.ml.{module}"), name)
    globals()[name] = value
    return value
