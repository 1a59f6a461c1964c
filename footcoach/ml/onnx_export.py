"""ONNX: export the two halves of the network, and run them without torch.

:func:`export_onnx` writes two graphs beside the weights (torch + onnxscript needed)::

    footcoach_encoder.onnx   video uint8 (B, S, 3, F, H, W), imu float32 (B, S, P, C),
                             context float32 (B, S, K), mask bool (B, S, 3)
                             -> features (B, S, D), modality_weights (B, S, 3), step_mask (B, S)
    footcoach_head.onnx      features float32 (B, S, D), step_mask bool (B, S)
                             -> action_logits (B, 12), tactic_logits (B, 8), quality (B,),
                                time_weights (B, S)

B and S are dynamic in both graphs (the encoder reshapes to B*S steps, so a whole stream can be
encoded in one call; the head takes windows of any length). The encoder graph takes all four
inputs even when the model was built for fewer modalities (the unused ones are ignored; the
runner feeds zeros for them). Weights are stored inside each ``.onnx`` file
(the model is small), so nothing has to ship beside them.

:class:`OnnxFootcoach` runs the graphs with ONNX Runtime and numpy only: this module imports torch
inside the export functions, never at import time, so the packaged app can run it without torch.
"""

from __future__ import annotations

import copy
import hashlib
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from footcoach.errors import FootcoachError
from footcoach.ml.config import MODEL_JSON, read_model_json, record_onnx_hashes

if TYPE_CHECKING:
    from footcoach.ml.network import Network

ENCODER_ONNX = "footcoach_encoder.onnx"
HEAD_ONNX = "footcoach_head.onnx"
ENCODER_INPUTS = ("video", "imu", "context", "mask")
ENCODER_OUTPUTS = ("features", "modality_weights", "step_mask")
HEAD_INPUTS = ("features", "step_mask")
HEAD_OUTPUTS = ("action_logits", "tactic_logits", "quality", "time_weights")


class OnnxPaths(NamedTuple):
    encoder: Path
    head: Path


def _example_inputs(model: Network, batch: int, seed: int) -> dict[str, Any]:
    """Random encoder inputs (B, S = window_steps) shaped by the model's config."""
    import torch

    cfg, w = model.config, model.config.window
    g = torch.Generator().manual_seed(seed)
    b, s = batch, w.window_steps
    ex = {
        "video": torch.randint(0, 256, (b, s, 3, w.frames_per_step, w.crop_px, w.crop_px),
                               dtype=torch.uint8, generator=g),
        "imu": torch.randn(b, s, w.imu_per_step, cfg.imu_in_channels, generator=g),
        "context": torch.randn(b, s, cfg.n_context, generator=g),
        "mask": torch.rand(b, s, 3, generator=g) > 0.3,
    }
    ex["mask"][:, :, 1] = True  # keep most steps non-empty
    return ex


def _graph_modules(model: Network) -> tuple[Any, Any]:
    """Wrappers with plain positional tensor inputs/outputs for the exporter."""
    from torch import Tensor, nn

    class EncoderGraph(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model

        def forward(self, video: Tensor, imu: Tensor, context: Tensor, mask: Tensor
                    ) -> tuple[Tensor, Tensor, Tensor]:
            out = self.net.encode_steps(video, imu, context, mask)
            return out.features, out.modality_weights, out.step_mask

    class HeadGraph(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model

        def forward(self, features: Tensor, step_mask: Tensor
                    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
            out = self.net.head(features, step_mask)
            return out.action_logits, out.tactic_logits, out.quality, out.time_weights

    return EncoderGraph().eval(), HeadGraph().eval()


def export_onnx(model: Network, out_dir: str | Path, *, opset: int = 18) -> OnnxPaths:
    """Export ``model`` (a CPU, eval-mode copy of it) as :data:`ENCODER_ONNX` and :data:`HEAD_ONNX`.

    Uses the ``torch.export`` based exporter (needs the ``onnxscript`` package) with example
    batch 2 (a batch of 1 would be frozen into the graph) and dynamic batch and step axes.
    Check the result with :func:`onnx_parity`. (The legacy TorchScript exporter cannot express
    the channels-last layout the video encoder uses, and the exporter's ``optimize=False`` gave
    Conv nodes ONNX Runtime rejects, so neither is offered.)
    """
    import torch

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = copy.deepcopy(model).to("cpu").eval()  # the caller's model is left as it is
    encoder, head = _graph_modules(model)
    ex = _example_inputs(model, batch=2, seed=0)
    with torch.no_grad():
        steps = model.encode_steps(ex["video"], ex["imu"], ex["context"], ex["mask"])
    paths = OnnxPaths(out / ENCODER_ONNX, out / HEAD_ONNX)
    for module, args, in_names, out_names, path, min_size in (
        (encoder, tuple(ex[n] for n in ENCODER_INPUTS), ENCODER_INPUTS, ENCODER_OUTPUTS,
         paths.encoder, 1),
        (head, (steps.features, steps.step_mask), HEAD_INPUTS, HEAD_OUTPUTS, paths.head, 2),
    ):
        kwargs: dict[str, Any] = {
            "input_names": list(in_names), "output_names": list(out_names),
            "opset_version": opset, "dynamo": True, "verbose": False, "external_data": False,
            "dynamic_shapes": dynamic_shapes(len(in_names), min_size=min_size)}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # exporter chatter about its own internals
            torch.onnx.export(module, args, str(path), **kwargs)
        _name_dynamic_axes(path)
    record_onnx_hashes(out, (ENCODER_ONNX, HEAD_ONNX))
    return paths


def _name_dynamic_axes(path: Path) -> None:
    """Declare axis 0 of every graph input/output as ``batch`` and axis 1 of the per-step ones
    as ``steps``, and drop the intermediate shape annotations (the exporter can leave the
    example's step count in them, which ONNX Runtime then warns about) and the exporter's
    per-node provenance (stack traces with the source files' paths and line numbers, so the
    same weights exported from another checkout or code version gave other bytes and hashes)."""
    import onnx

    model = onnx.load(str(path))
    del model.graph.value_info[:]  # intermediate shapes, some frozen; ORT re-infers them
    for node in model.graph.node:
        del node.metadata_props[:]
    per_step = {"video", "imu", "context", "mask", "features", "modality_weights", "step_mask",
                "time_weights"}
    for value in (*model.graph.input, *model.graph.output):
        dims = value.type.tensor_type.shape.dim
        names = ["batch", "steps"] if value.name in per_step else ["batch"]
        for dim, name in zip(dims, names, strict=False):
            dim.ClearField("dim_value")
            dim.dim_param = name
    onnx.save(model, str(path))


def dynamic_shapes(n_inputs: int, min_size: int = 1) -> tuple[dict[int, Any], ...]:
    """``torch.export`` dynamic shapes: axis 0 (batch) and 1 (steps) of every input.

    The head needs ``min_size=2``: the exporter's while-loop decomposition of the LSTM guards
    batch != 1 and steps != 1 (:class:`OnnxFootcoach` pads a batch of 1).
    """
    from torch.export import Dim

    batch = Dim("batch", min=min_size, max=1 << 20)
    steps = Dim("steps", min=min_size, max=1 << 20)
    return tuple({0: batch, 1: steps} for _ in range(n_inputs))


def _verified_bytes(path: Path, expected: str | None) -> bytes:
    """The bytes of an ONNX graph, refused when ``expected`` (hex SHA-256) does not match."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FootcoachError("ONNX graph not found", path) from None
    except OSError as exc:
        raise FootcoachError(f"cannot read ONNX graph: {exc}", path) from None
    if expected is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise FootcoachError(f"sha256 mismatch: file has {actual[:16]}..., {MODEL_JSON} "
                                 f"expects {expected[:16]}...; refusing to load it", path)
    return data


def _providers(device: str) -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    wanted = ["CPUExecutionProvider"]
    if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        wanted.insert(0, "CUDAExecutionProvider")
    elif device == "cuda":
        raise FootcoachError("ONNX Runtime has no CUDA provider here (install onnxruntime-gpu)")
    return wanted


class OnnxFootcoach:
    """Run the exported encoder and head with ONNX Runtime (numpy in, numpy out; no torch).

    ``device``: ``"cpu"``, ``"cuda"`` (error when ONNX Runtime has no CUDA provider) or
    ``"auto"`` (CUDA when present). ``threads`` sets intra-op threads (0 = ONNX Runtime default).
    """

    def __init__(self, encoder_path: str | Path, head_path: str | Path, *, device: str = "cpu",
                 threads: int = 0, sha256: Mapping[str, str] | None = None):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        providers = _providers(device)
        self.sessions = {}
        for key, path in (("encoder", Path(encoder_path)), ("head", Path(head_path))):
            graph = _verified_bytes(path, (sha256 or {}).get(path.name))
            try:
                self.sessions[key] = ort.InferenceSession(graph, opts, providers=providers)
            except Exception as exc:  # ORT raises its own exception types
                raise FootcoachError(f"cannot load ONNX graph: {exc}", path) from None
        self.encoder_inputs = [i.name for i in self.sessions["encoder"].get_inputs()]

    @classmethod
    def from_dir(cls, folder: str | Path, **kwargs: Any) -> OnnxFootcoach:
        """Load ``folder/footcoach_encoder.onnx`` and ``folder/footcoach_head.onnx``, checked
        against the hashes in ``folder/footcoach_model.json`` when it lists them."""
        folder = Path(folder)
        if "sha256" not in kwargs and (folder / MODEL_JSON).is_file():
            kwargs["sha256"] = read_model_json(folder).onnx_sha256
        return cls(folder / ENCODER_ONNX, folder / HEAD_ONNX, **kwargs)

    def encode_steps(self, video: np.ndarray | None, imu: np.ndarray | None,
                     context: np.ndarray | None, mask: np.ndarray) -> dict[str, np.ndarray]:
        """Same contract as ``FootcoachNet.encode_steps``; a modality the graph has but that is
        None here is fed as zeros with its mask column cleared."""
        given = {"video": video, "imu": imu, "context": context}
        mask = np.array(mask, dtype=bool, copy=True)
        b, s = mask.shape[:2]
        feeds: dict[str, np.ndarray] = {}
        shapes = {i.name: i.shape for i in self.sessions["encoder"].get_inputs()}
        for col, name in enumerate(ENCODER_INPUTS[:3]):
            if name not in shapes:
                continue
            x = given[name]
            if x is None:
                mask[:, :, col] = False
                x = np.zeros((b, s, *shapes[name][2:]),
                             dtype=np.uint8 if name == "video" else np.float32)
            feeds[name] = (np.asarray(x, dtype=np.uint8) if name == "video"
                           else np.asarray(x, dtype=np.float32))
        feeds["mask"] = mask
        outs = self.sessions["encoder"].run(list(ENCODER_OUTPUTS), feeds)
        return dict(zip(ENCODER_OUTPUTS, outs, strict=True))

    def head(self, features: np.ndarray, step_mask: np.ndarray) -> dict[str, np.ndarray]:
        """Window head on cached step features (B, S >= 2, D) -> the four head outputs by name.

        A batch of one window is padded to two (the graph is exported for batch >= 2)."""
        f = np.asarray(features, dtype=np.float32)
        m = np.asarray(step_mask, dtype=bool)
        if f.ndim != 3 or f.shape[1] < 2:
            raise ValueError(f"features must be (B, S >= 2, D), got {f.shape}")
        single = f.shape[0] == 1
        if single:
            f, m = np.concatenate([f, f]), np.concatenate([m, m])
        outs = self.sessions["head"].run(list(HEAD_OUTPUTS), {"features": f, "step_mask": m})
        return {k: (v[:1] if single else v) for k, v in zip(HEAD_OUTPUTS, outs, strict=True)}


def onnx_parity(model: Network, folder: str | Path, *, batch: int = 3, seed: int = 1
                ) -> dict[str, float]:
    """Max absolute difference between torch and ONNX Runtime outputs on random inputs.

    Runs both graphs on a batch other than the export example (``batch`` windows), on a batch of
    one, and the head also on longer windows (window_steps + 5 steps), so frozen axes show up.
    """
    import torch

    model = copy.deepcopy(model).to("cpu").eval()  # the caller's model is left as it is
    runner = OnnxFootcoach.from_dir(folder)
    ex = _example_inputs(model, batch=batch, seed=seed)
    with torch.no_grad():
        ref = model(ex["video"], ex["imu"], ex["context"], ex["mask"])
        steps = model.encode_steps(ex["video"], ex["imu"], ex["context"], ex["mask"])
        long = torch.cat([steps.features, steps.features[:, :5]], dim=1)
        long_mask = torch.cat([steps.step_mask, steps.step_mask[:, :5]], dim=1)
        ref_long = model.head(long, long_mask)
    np_in = {k: v.numpy() for k, v in ex.items()}
    enc = runner.encode_steps(np_in["video"], np_in["imu"], np_in["context"], np_in["mask"])
    out = runner.head(enc["features"], enc["step_mask"])
    out_long = runner.head(long.numpy(), long_mask.numpy())
    one_enc = runner.encode_steps(np_in["video"][:1], np_in["imu"][:1], np_in["context"][:1],
                                  np_in["mask"][:1])
    one = runner.head(one_enc["features"], one_enc["step_mask"])
    diffs = {"features": float(np.abs(enc["features"] - steps.features.numpy()).max())}
    for name in HEAD_OUTPUTS:
        diffs[name] = float(np.abs(out[name] - getattr(ref, name).numpy()).max())
        diffs[name + "_long"] = float(np.abs(out_long[name]
                                             - getattr(ref_long, name).numpy()).max())
        diffs[name + "_batch1"] = float(np.abs(one[name] - getattr(ref, name)[:1].numpy()).max())
    return diffs
