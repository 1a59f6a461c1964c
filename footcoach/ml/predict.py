"""The torch inference engine of session analysis (numpy in, numpy out).

The analysis (:mod:`footcoach.app.analyze`) talks to an engine through two calls, the two
halves of :class:`~footcoach.ml.network.FootcoachNet`:

``encode(video, imu, context, mask)``
    ``video`` (B, S, F, H, W, 3) uint8 RGB crops (the layout
    :func:`footcoach.io.video_crops.block_crops` gives, batch and steps first) or None;
    ``imu`` (B, S, P, C) float32; ``context`` (B, S, K) float32 with NaN where unknown;
    ``mask`` (B, S, 3) bool -> ``(features (B, S, D) float32, modality_weights (B, S, 3)
    float32, step_mask (B, S) bool)``.
``head(features, step_mask)``
    ``features`` (B, W, D) float32 windows of cached step features, ``step_mask`` (B, W) bool
    -> ``(action_logits (B, 12), tactic_logits (B, 8), quality (B,) points, time_weights
    (B, W))`` float32.

:class:`TorchEngine` runs them with torch on CPU or CUDA; the ONNX Runtime engine
(:class:`footcoach.app.engines.OnnxEngine`) has the same two calls without torch.

Importing this module loads neither torch nor ONNX Runtime (the probes below import them when
called, :class:`TorchEngine` when built), so a bundle without torch can import it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from footcoach.errors import FootcoachError
from footcoach.ml.config import ModelConfig

if TYPE_CHECKING:
    import torch


def torch_installed() -> bool:
    """torch can be imported (without importing it)."""
    return importlib.util.find_spec("torch") is not None


def onnxruntime_installed() -> bool:
    """onnxruntime can be imported (without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def torch_has_cuda() -> bool:
    """torch is installed and sees a CUDA device (imports torch)."""
    if not torch_installed():
        return False
    import torch

    return bool(torch.cuda.is_available())


def onnxruntime_has_cuda() -> bool:
    """ONNX Runtime is installed with its CUDA execution provider."""
    if not onnxruntime_installed():
        return False
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


def resolve_device(device: str) -> torch.device:
    """``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"`` (an error when
    torch sees no CUDA device)."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise FootcoachError("--device cuda: torch sees no CUDA device here")
    if device not in ("cpu", "cuda"):
        raise FootcoachError(f"unknown device {device!r} (expected auto, cpu or cuda)")
    return torch.device(device)


class TorchEngine:
    """Encoder and head of a saved model (``footcoach_model.json`` + safetensors) in torch."""

    name = "torch"

    def __init__(self, model_dir: str | Path, device: str = "auto", threads: int = 0):
        import torch

        from footcoach.ml.weights import load_model

        if threads:  # torch's intra-op threads are per process
            torch.set_num_threads(threads)
        self.torch_device = resolve_device(device)
        self.device = self.torch_device.type
        self.model, self.config = load_model(model_dir, device=self.torch_device)

    def _tensor(self, x: np.ndarray | None) -> torch.Tensor | None:
        import torch

        if x is None:
            return None
        return torch.from_numpy(np.ascontiguousarray(x)).to(self.torch_device,
                                                             non_blocking=True)

    def encode(self, video: np.ndarray | None, imu: np.ndarray | None,
               context: np.ndarray | None, mask: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Step features of every step (module docstring for shapes)."""
        import torch

        v = self._tensor(video)
        if v is not None:  # (B, S, F, H, W, 3) -> (B, S, 3, F, H, W): a view, channels-last
            v = v.permute(0, 1, 5, 2, 3, 4)
        with torch.inference_mode():
            out = self.model.encode_steps(v, self._tensor(imu), self._tensor(context),
                                          self._tensor(mask))
        return (out.features.float().cpu().numpy(), out.modality_weights.float().cpu().numpy(),
                out.step_mask.cpu().numpy())

    def head(self, features: np.ndarray, step_mask: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Window predictions from cached step features (module docstring for shapes)."""
        import torch

        with torch.inference_mode():
            f = torch.from_numpy(np.ascontiguousarray(features, np.float32)).to(self.torch_device)
            out = self.model.head(f, self._tensor(step_mask))
        return tuple(x.float().cpu().numpy() for x in (  # type: ignore[return-value]
            out.action_logits, out.tactic_logits, out.quality, out.time_weights))


def save_random_model(out_dir: str | Path, *, config: ModelConfig | None = None, seed: int = 0,
                      onnx: bool = True, purpose: str = "benchmark") -> Path:
    """Save a random-initialised network (default: ``ModelConfig()``, the default size) to
    ``out_dir`` as a model folder, with its ONNX graphs when ``onnx``; returns the folder.

    For timing and plumbing only (benchmarks, smoke runs): its predictions mean nothing.
    """
    import torch

    from footcoach.ml.network import FootcoachNet
    from footcoach.ml.onnx_export import export_onnx
    from footcoach.ml.weights import save_model

    cfg = config or ModelConfig()
    torch.manual_seed(seed)
    model = FootcoachNet(cfg).eval()
    save_model(model, cfg, out_dir, training_info={"data": f"none (random init, {purpose})",
                                                   "seed": seed}, metrics={})
    if onnx:
        export_onnx(model, out_dir)
    return Path(out_dir)
