"""Choosing and opening an inference engine for session analysis.

Two engines with the same two calls (``encode`` and ``head``; shapes in
:mod:`footcoach.ml.predict`):

* ``"torch"``: :class:`footcoach.ml.predict.TorchEngine` (imported only when chosen);
* ``"onnx"``: :class:`OnnxEngine`, ONNX Runtime on the exported graphs
  (``footcoach_encoder.onnx``, ``footcoach_head.onnx`` beside the weights), numpy only: this
  module never imports torch, so a packaged app without torch analyses sessions.

``"auto"`` picks ONNX when its graphs are there and ONNX Runtime can run on the asked device
(CPU always; ``cuda``/``auto`` when it has the CUDA provider), else torch when it is installed
(on CUDA when asked and available), else ONNX on the CPU.

The bundled model lives in ``models/`` beside the package (in a source checkout) or in the
PyInstaller bundle (``sys._MEIPASS/models``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from footcoach.errors import FootcoachError
from footcoach.ml.config import MODEL_JSON, ModelMeta, read_model_json
from footcoach.ml.onnx_export import ENCODER_ONNX, HEAD_ONNX, OnnxFootcoach
from footcoach.ml.predict import (
    onnxruntime_has_cuda,
    onnxruntime_installed,
    torch_has_cuda,
    torch_installed,
)
from footcoach.sync.sensor_faults import DEFAULT_FAULTS, FaultSettings

ENGINES: tuple[str, ...] = ("auto", "torch", "onnx")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
REPO_MODELS = Path(__file__).resolve().parents[2] / "models"


class NoModelError(FootcoachError):
    """The model folder (by default the bundled ``models/``) holds no model description."""


class Engine(Protocol):
    """What the analysis needs from an engine (shapes in :mod:`footcoach.ml.predict`)."""

    name: str
    device: str

    def encode(self, video: np.ndarray | None, imu: np.ndarray | None,
               context: np.ndarray | None, mask: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

    def head(self, features: np.ndarray, step_mask: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...


def default_model_dir() -> Path:
    """The bundled ``models/`` folder: inside a PyInstaller bundle when frozen, else the one
    beside the package (it may not hold a model yet)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen and (Path(frozen) / "models" / MODEL_JSON).is_file():
        return Path(frozen) / "models"
    return REPO_MODELS


def require_model(model_dir: str | Path | None) -> ModelMeta:
    """The model description of ``model_dir`` (default :func:`default_model_dir`).

    Raises :class:`NoModelError` "no bundled model ..." when the folder has no
    ``footcoach_model.json`` (a malformed one raises its own error).
    """
    folder = Path(model_dir) if model_dir is not None else default_model_dir()
    if not (folder / MODEL_JSON).is_file() and not (folder.suffix == ".json"
                                                    and folder.is_file()):
        what = "bundled model" if model_dir is None else "model"
        raise NoModelError(f"no {what} here ({MODEL_JSON} is missing); train one with "
                             "`footcoach train` or pass --model DIR", folder)
    return read_model_json(folder)


def model_fault_settings(meta: ModelMeta | None,
                         base: FaultSettings = DEFAULT_FAULTS) -> FaultSettings:
    """The sensor-fault settings an analysis with ``meta``'s model uses: ``base``, with a
    vest's turn measured from its own pose when the model turns every vest upright, pose by
    pose, before reading it (config ``vest_upright``; :data:`FaultSettings.turned_from`)."""
    if meta is None or not meta.config.vest_upright:
        return base
    return replace(base, turned_from="pose")


def default_fault_settings(model_dir: str | Path | None = None) -> FaultSettings:
    """:func:`model_fault_settings` of the model in ``model_dir`` (default: the bundled
    one), or the defaults when there is no model to read."""
    try:
        return model_fault_settings(require_model(model_dir))
    except FootcoachError:
        return DEFAULT_FAULTS


def onnx_available(model_dir: Path) -> bool:
    """Both ONNX graphs exist, the model description records their sha256 (so graphs left in
    the folder by an earlier model are not taken for the one saved there since), and ONNX
    Runtime is importable."""
    if not ((model_dir / ENCODER_ONNX).is_file() and (model_dir / HEAD_ONNX).is_file()
            and onnxruntime_installed()):
        return False
    try:
        recorded = read_model_json(model_dir).onnx_sha256
    except FootcoachError:
        return False
    return ENCODER_ONNX in recorded and HEAD_ONNX in recorded


def choose_engine(model_dir: Path, engine: str = "auto", device: str = "auto") -> str:
    """``"torch"`` or ``"onnx"`` for the request (module docstring); raises FootcoachError
    when the asked engine cannot run here."""
    if engine not in ENGINES:
        raise FootcoachError(f"unknown engine {engine!r} (expected {', '.join(ENGINES)})")
    if device not in DEVICES:
        raise FootcoachError(f"unknown device {device!r} (expected {', '.join(DEVICES)})")
    has_onnx = onnx_available(model_dir)
    has_torch = torch_installed()
    if engine == "onnx" and not has_onnx:
        raise FootcoachError(f"--engine onnx needs {ENCODER_ONNX} and {HEAD_ONNX} exported for "
                             f"this model (their sha256 in {MODEL_JSON}) and the onnxruntime "
                             "package", model_dir)
    if engine == "torch" and not has_torch:
        raise FootcoachError("--engine torch: torch is not installed in this footcoach "
                             "(use --engine onnx)")
    if engine != "auto":
        return engine
    if has_onnx and (device == "cpu" or onnxruntime_has_cuda()):
        return "onnx"
    if has_torch and (device == "cpu" or not has_onnx or torch_has_cuda()):
        return "torch"
    if has_onnx:
        return "onnx"
    raise FootcoachError("no inference engine: install torch or onnxruntime (with the model's "
                         "ONNX graphs)", model_dir)


class OnnxEngine:
    """The exported graphs through ONNX Runtime (:class:`OnnxFootcoach`), numpy only."""

    name = "onnx"

    def __init__(self, model_dir: str | Path, device: str = "auto", threads: int = 0):
        self.runner = OnnxFootcoach.from_dir(model_dir, device=device, threads=threads)
        providers = self.runner.sessions["encoder"].get_providers()
        self.device = "cuda" if providers and providers[0] == "CUDAExecutionProvider" else "cpu"

    def encode(self, video: np.ndarray | None, imu: np.ndarray | None,
               context: np.ndarray | None, mask: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Step features (shapes in :mod:`footcoach.ml.predict`)."""
        if video is not None:  # (B, S, F, H, W, 3) -> (B, S, 3, F, H, W)
            video = np.ascontiguousarray(video.transpose(0, 1, 5, 2, 3, 4))
        out = self.runner.encode_steps(video, imu, context, mask)
        return out["features"], out["modality_weights"], out["step_mask"].astype(bool)

    def head(self, features: np.ndarray, step_mask: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Window predictions (shapes in :mod:`footcoach.ml.predict`)."""
        out = self.runner.head(features, step_mask)
        return (out["action_logits"], out["tactic_logits"], out["quality"],
                out["time_weights"])


def inference_threads(decoding_video: bool) -> int:
    """CPU threads for the engine: one core left to the video decoder when the analysis
    decodes video beside it (with every core, the engine slowed the decoder, the slowest
    stage, more than it gained: 7.0 s against 6.0 s for the 2-minute benchmark session on 2
    cores); 0 (the engine's default, all cores) otherwise."""
    if not decoding_video:
        return 0
    return max(1, _cores() - 1)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def video_decode_plan(engine_device: str, cores: int | None = None) -> tuple[str, int]:
    """How the analysis reads its video beside an engine on ``engine_device`` (``"cpu"`` or
    ``"cuda"``) on a machine of ``cores`` cores (default: this process's): ``(FFmpeg
    threading, crop threads)``.

    Slice threads, unless the engine leaves the cores to the decoder: frame and slice threads
    (``"AUTO"``) with the engine on a GPU and 4 cores or more, or with 8 cores or more. The
    crops are cut in the decoding thread. Measured (README, "Benchmarks"): on 2 cores slice
    threads decode the benchmark's 1000 frames in 1.52 s against 1.78 s and leave the other core
    to the engine; on a 16-core GPU machine frame threads halved the analysis's decode + crop
    stage (1.96 s against 3.84 s with the engine on the GPU) and more crop threads gained
    nothing (1.99-2.18 s with 2-8). Between 2 and 16 cores the thresholds are a judgement."""
    n = _cores() if cores is None else cores
    if n >= 8 or (engine_device == "cuda" and n >= 4):
        return "AUTO", 1
    return "SLICE", 1


def open_engine(model_dir: Path, engine: str = "auto", device: str = "auto",
                threads: int = 0) -> Engine:
    """Open the chosen engine (:func:`choose_engine`) on ``device``; ``threads`` CPU threads
    (0: the engine's default)."""
    name = choose_engine(model_dir, engine, device)
    if name == "onnx":
        return OnnxEngine(model_dir, device=device, threads=threads)
    from footcoach.ml.predict import TorchEngine

    return TorchEngine(model_dir, device=device, threads=threads)
