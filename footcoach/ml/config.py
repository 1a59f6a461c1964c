"""The model's configuration as plain data (no torch import, so the ONNX engine can read it too).

A :class:`ModelConfig` holds everything needed to rebuild the network and to feed it: the
:class:`~footcoach.domain.windowing.WindowSpec` (window length, sampling rates, crop size), layer
sizes, the ablation switch, the modalities the network was built for, the normalisation
statistics and the label names. It round-trips through JSON (:meth:`ModelConfig.to_dict` /
:meth:`ModelConfig.from_dict`) and is stored beside the weights (see ``weights.py``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from footcoach.domain.labels import ACTIONS, TACTICS
from footcoach.domain.windowing import WindowSpec
from footcoach.errors import FootcoachError
from footcoach.io.manifest import atomic_write_text

#: Modality order of every mask and weight tensor (last axis of size 3): video crops, IMU vest,
#: position/context features (the paper's "image", "sensor", "position").
MODALITIES: tuple[str, ...] = ("video", "imu", "context")

#: The paper's four configurations (PAPER.md, "Reported results"):
#: ``cnn``            CNN encoders, step features mean-pooled over time; no LSTM, no attention
#: ``cnn_lstm``       + stacked LSTM, last hidden state; modalities averaged, no attention
#: ``cnn_lstm_attn``  + modality attention and additive temporal attention
#: ``full``           same network as ``cnn_lstm_attn``, trained with the joint multitask loss
ABLATIONS: tuple[str, ...] = ("cnn", "cnn_lstm", "cnn_lstm_attn", "full")

TASKS: tuple[str, ...] = ("action", "tactic", "quality")

#: IMU channels of the input contract (windowing.py): acc x/y/z (g), gyro x/y/z (rad/s),
#: mag x/y/z (unit field).
IMU_CHANNELS: tuple[str, ...] = (
    "acc_x_g", "acc_y_g", "acc_z_g", "gyro_x_rads", "gyro_y_rads", "gyro_z_rads",
    "mag_x", "mag_y", "mag_z",
)


@dataclass(frozen=True)
class NormStats:
    """Input normalisation applied inside the network: ``(x - mean) / std`` per channel.

    ``imu_*`` has one entry per IMU channel, ``context_*`` one per context feature, ``video_*``
    one per RGB channel on the 0..1 scale (uint8 input is divided by 255 first).
    ``context_edges`` holds, for the piecewise-linear context encoding
    (``ModelConfig.context_bins`` > 0), each context feature's bin edges in the feature's own
    units: ``context_bins + 1`` non-decreasing training-split quantiles per feature (empty when the
    encoding is off).
    """

    imu_mean: tuple[float, ...] = (0.0,) * 9
    imu_std: tuple[float, ...] = (1.0,) * 9
    context_mean: tuple[float, ...] = (0.0,) * 12
    context_std: tuple[float, ...] = (1.0,) * 12
    video_mean: tuple[float, ...] = (0.45, 0.45, 0.45)
    video_std: tuple[float, ...] = (0.225, 0.225, 0.225)
    context_edges: tuple[tuple[float, ...], ...] = ()

    @classmethod
    def identity(cls, imu_channels: int, context_features: int,
                 context_bins: int = 0) -> NormStats:
        """No IMU/context scaling (mean 0, std 1) for the given channel counts; with
        ``context_bins`` > 0, bin edges evenly spaced over -2..2 for every context feature."""
        row = tuple(-2.0 + 4.0 * i / max(context_bins, 1) for i in range(context_bins + 1))
        return cls(imu_mean=(0.0,) * imu_channels, imu_std=(1.0,) * imu_channels,
                   context_mean=(0.0,) * context_features, context_std=(1.0,) * context_features,
                   context_edges=(row,) * context_features if context_bins > 0 else ())

    def to_dict(self) -> dict[str, list[Any]]:
        d: dict[str, list[Any]] = {k: [float(x) for x in getattr(self, k)]
                                   for k in self.__dataclass_fields__ if k != "context_edges"}
        if self.context_edges:  # absent when off, as in descriptions older than the encoding
            d["context_edges"] = [[float(x) for x in row] for row in self.context_edges]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NormStats:
        kw: dict[str, Any] = {k: (tuple(tuple(float(x) for x in row) for row in v)
                                  if k == "context_edges" else tuple(float(x) for x in v))
                              for k, v in d.items()}
        return cls(**kw)


@dataclass(frozen=True)
class LossWeights:
    """Weights of the joint loss ``L = quality * MSE(q/100) + tactic * CE + action * CE``.

    The paper's ``full`` configuration trains all three together; the other ablations are trained
    single-task (:meth:`single`), one model per task, with all heads kept.
    """

    quality: float = 1.0
    tactic: float = 1.0
    action: float = 1.0
    learned: bool = False
    """Learn the balance during training (uncertainty weighting, Kendall, Gal & Cipolla 2018;
    :class:`footcoach.ml.losses.JointLoss`): each term with a weight above 0 becomes
    ``exp(-s) * term + s`` with a learned log-variance ``s`` that starts at ``-log(weight)``,
    so training starts from these weights; a term of weight 0 stays out."""
    tactic_shared: float = 1.0
    """Share (0-1) of the tactic term's gradient that reaches the layers the three heads share
    (encoders, LSTM, temporal attention): 1 is the paper's joint loss; 0 trains the tactic head
    on the shared features without letting the tactic term shape them (the term still trains
    the head at its full weight). Only training is affected; inference is the same network."""

    @classmethod
    def single(cls, task: str) -> LossWeights:
        """Weight 1 on ``task`` (``"action"``, ``"tactic"`` or ``"quality"``), 0 on the others."""
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
        return cls(**{t: float(t == task) for t in TASKS})


@dataclass(frozen=True)
class ModelConfig:
    """Everything that defines a footcoach network (see ``network.FootcoachNet``).

    Sizes: ``latent_dim`` D is the common size of every modality embedding and of the fused step
    feature; the window head is a ``lstm_layers`` x ``lstm_hidden`` LSTM. ``video_channels``
    are the 3D-conv blocks' widths: the first block runs at full crop resolution and dominates
    CPU cost, so it is kept narrow (8 filters instead of 16 made the step encoder ~1.2-1.6x
    faster), and its convolution moves ``video_stride`` pixels at a time (2: a quarter of the
    cost of the first two blocks; the paper's stride 1 is ``video_stride=1``, which a model
    description written before this setting existed gets). ``modalities`` lists the encoders
    that are built (a subset of :data:`MODALITIES`); a modality not built is always treated as
    missing. ``modality_dropout`` is the probability,
    per training window and modality, that an available modality is hidden (never all of
    them); ``modality_corruption`` the probability per training window that one of its
    available IMU and context modalities is replaced by noise while its mask stays on
    (``network.corrupt_modalities``: a sensor delivering wrong data; 0, the default and every
    description written before the setting: never); ``imu_rotation`` the largest angle
    (degrees) by which a training window's vest is turned, about an axis drawn at random
    (``network.rotate_vests``: a vest worn or slipped at another angle; 0, the default and every
    description written before the setting: never). ``vest_upright``: empty (the default, and
    every description written before the setting) reads each vest as worn; a unit vector (3,)
    makes the network read *de-tilted* vests: each player's vest turned by the smallest rotation
    that takes its mean acceleration over the session onto this direction (the mean of the
    training vests'; :mod:`footcoach.domain.vest_frame`), in training and in analysis alike.
    ``imu_yaw`` the largest angle (degrees) by which a training window's vest is turned about
    that direction (or z), the turn a de-tilt leaves (0: never).
    ``norm=None`` means identity IMU/context scaling sized to this config (fill in real
    statistics before training). ``context_bins`` > 0 adds a piecewise-linear encoding of each
    context feature over that many training-split quantile bins (``NormStats.context_edges``) to
    the context encoder's input; 0 (the default, and every description written before the
    setting) feeds it the standardised features only. ``lstm_bidirectional`` runs each LSTM
    layer in both directions (outputs of 2 x ``lstm_hidden``), so every step's output, the
    window centre's included, sees the steps after it too; off by default (the paper's LSTM).
    ``time_prior`` adds a learned bias per window step (counted from the window centre) to the
    temporal attention scores, so the head can learn to weight the steps around the centre,
    whose labels it predicts; off by default (the paper's content-only attention).
    ``members`` > 1 describes an ensemble: that many networks of this config, trained apart
    (other seeds) on the same data and combined by ``footcoach ensemble``; they answer as one
    (``network.EnsembleNet``: step features side by side, probabilities averaged). 1 (the
    default, and every description written before the setting) is one network. Each member
    keeps the normalisation it was trained with (training estimates it from a sample of windows
    drawn with the run's seed): ``member_norms`` holds one :class:`NormStats` per member, and
    ``norm`` is the first member's; empty for one network.
    """

    window: WindowSpec = field(default_factory=WindowSpec)
    latent_dim: int = 128
    video_channels: tuple[int, ...] = (8, 32, 64)
    video_stride: int = 2
    imu_channels: tuple[int, ...] = (32, 64, 128)
    imu_in_channels: int = 9
    context_hidden: int = 64
    context_bins: int = 0
    lstm_hidden: int = 256
    lstm_layers: int = 2
    lstm_dropout: float = 0.2
    lstm_bidirectional: bool = False
    time_prior: bool = False
    cnn_dropout: float = 0.3
    head_hidden: int = 128
    head_dropout: float = 0.2
    ablation: str = "full"
    modalities: tuple[str, ...] = MODALITIES
    modality_dropout: float = 0.2
    modality_corruption: float = 0.0
    imu_rotation: float = 0.0
    vest_upright: tuple[float, ...] = ()
    imu_yaw: float = 0.0
    norm: NormStats | None = None
    loss: LossWeights = field(default_factory=LossWeights)
    action_labels: tuple[str, ...] = tuple(a.label for a in ACTIONS)
    tactic_labels: tuple[str, ...] = tuple(t.label for t in TACTICS)
    members: int = 1
    member_norms: tuple[NormStats, ...] = ()

    def __post_init__(self) -> None:
        if self.norm is None:  # identity IMU/context scaling sized to this config
            object.__setattr__(self, "norm", NormStats.identity(
                self.imu_in_channels, self.n_context, self.context_bins))
        self.validate()

    @property
    def norm_stats(self) -> NormStats:
        """``norm`` (never None after construction)."""
        assert self.norm is not None
        return self.norm

    @classmethod
    def tiny(cls, **overrides: Any) -> ModelConfig:
        """A very small network on small inputs (4 steps of 2 frames of 16 px, 20 IMU samples)
        for tests and smoke runs; ``overrides`` replace any field."""
        kw: dict[str, Any] = dict(
            window=WindowSpec(step_s=0.5, window_steps=4, video_fps=4.0, crop_px=16,
                              imu_rate_hz=40.0),
            latent_dim=32, video_channels=(4, 8, 8), imu_channels=(8, 16, 16), context_hidden=16,
            lstm_hidden=32, head_hidden=16)
        kw.update(overrides)
        return cls(**kw)

    # ---- derived sizes -------------------------------------------------------------------
    @property
    def n_context(self) -> int:
        """K: context features per step."""
        return len(self.window.context_features)

    @property
    def uses_lstm(self) -> bool:
        return self.ablation != "cnn"

    @property
    def uses_attention(self) -> bool:
        return self.ablation in ("cnn_lstm_attn", "full")

    def with_ablation(self, ablation: str) -> ModelConfig:
        """The same config with another ablation (loss weights unchanged; the single-task
        ablation runs take theirs from :meth:`LossWeights.single`)."""
        return replace(self, ablation=ablation)

    def validate(self) -> None:
        """Raise :class:`FootcoachError` when the config cannot build a network."""
        problems: list[str] = []
        if self.ablation not in ABLATIONS:
            problems.append(f"ablation {self.ablation!r} not one of {', '.join(ABLATIONS)}")
        bad = [m for m in self.modalities if m not in MODALITIES]
        if bad or not self.modalities:
            problems.append(f"modalities {list(self.modalities)} must be a non-empty subset of "
                            f"{list(MODALITIES)}")
        problems += self._count_problems()
        if self.time_prior and not self.uses_attention:
            problems.append(f"time_prior biases the temporal attention, which the ablation "
                            f"{self.ablation!r} does not have (use cnn_lstm_attn or full)")
        if len(self.video_channels) < 1 or len(self.imu_channels) < 1:
            problems.append("video_channels and imu_channels need at least one block each")
        if min(self.latent_dim, self.lstm_hidden, self.lstm_layers, self.head_hidden) < 1:
            problems.append("latent_dim, lstm_hidden, lstm_layers and head_hidden must be >= 1")
        if not 0.0 <= self.loss.tactic_shared <= 1.0:
            problems.append(f"loss.tactic_shared {self.loss.tactic_shared} not in [0, 1]")
        problems += [f"{name} {value} not in [0, 1)" for name, value in (
            ("modality_dropout", self.modality_dropout),
            ("modality_corruption", self.modality_corruption)) if not 0.0 <= value < 1.0]
        problems += self._vest_problems()
        n = self.norm_stats
        if len(n.imu_mean) != self.imu_in_channels or len(n.imu_std) != self.imu_in_channels:
            problems.append(f"norm.imu_mean/std need {self.imu_in_channels} entries")
        if len(n.context_mean) != self.n_context or len(n.context_std) != self.n_context:
            problems.append(f"norm.context_mean/std need {self.n_context} entries")
        problems += self._edge_problems()
        if len(n.video_mean) != 3 or len(n.video_std) != 3:
            problems.append("norm.video_mean/std need 3 entries (RGB)")
        stds = (*n.imu_std, *n.context_std, *n.video_std)
        if any(not math.isfinite(s) or s <= 0 for s in stds):
            problems.append("every normalisation std must be finite and > 0")
        if len(self.action_labels) < 2 or len(self.tactic_labels) < 2:
            problems.append("action_labels and tactic_labels need at least 2 classes")
        if problems:
            raise FootcoachError("invalid model config: " + "; ".join(problems))

    def _count_problems(self) -> list[str]:
        problems = []
        if self.video_stride < 1:
            problems.append(f"video_stride {self.video_stride} must be >= 1")
        if not isinstance(self.members, int) or self.members < 1:
            problems.append(f"members {self.members!r} must be a whole number >= 1")
        elif self.member_norms and (len(self.member_norms) != self.members
                                    or self.members == 1):
            problems.append(f"member_norms needs one entry per member of an ensemble "
                            f"({self.members} members, {len(self.member_norms)} entries)")
        for i, norm in enumerate(self.member_norms):
            try:
                replace(self, members=1, member_norms=(), norm=norm)
            except FootcoachError as exc:
                problems.append(f"member_norms[{i}]: {exc.message}")
        return problems

    def member_config(self, i: int) -> ModelConfig:
        """The config of member ``i`` of an ensemble (one network, with its own normalisation)."""
        norm = self.member_norms[i] if self.member_norms else self.norm
        return replace(self, members=1, member_norms=(), norm=norm)

    def _vest_problems(self) -> list[str]:
        problems = [f"{name} {value} not in [0, 180] degrees" for name, value in (
            ("imu_rotation", self.imu_rotation), ("imu_yaw", self.imu_yaw))
            if not 0.0 <= value <= 180.0]
        up = self.vest_upright
        if up and (len(up) != 3 or not all(math.isfinite(v) for v in up)
                   or abs(math.hypot(*up) - 1.0) > 1e-3):
            problems.append(f"vest_upright {list(up)} must be empty or a unit vector of 3 "
                            "numbers")
        return problems

    def _edge_problems(self) -> list[str]:
        edges, bins = self.norm_stats.context_edges, self.context_bins
        if bins < 0:
            return [f"context_bins {bins} must be >= 0"]
        if bins == 0:
            return [] if not edges else ["norm.context_edges given but context_bins is 0"]
        if len(edges) != self.n_context or any(len(row) != bins + 1 for row in edges):
            return [f"norm.context_edges need {self.n_context} rows of {bins + 1} edges "
                    f"(context_bins {bins})"]
        if not all(math.isfinite(e) for row in edges for e in row) or any(
                b < a for row in edges for a, b in itertools.pairwise(row)):
            return ["norm.context_edges must be finite and non-decreasing in every row"]
        return []

    # ---- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (lists for tuples, the window spec via ``WindowSpec.to_dict``)."""
        d: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, WindowSpec | NormStats):
                d[name] = value.to_dict()
            elif name == "member_norms":
                d[name] = [n.to_dict() for n in value]
            elif isinstance(value, LossWeights):
                d[name] = asdict(value)
            elif isinstance(value, tuple):
                d[name] = list(value)
            else:
                d[name] = value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, file: str | Path | None = None) -> ModelConfig:
        """Inverse of :meth:`to_dict`; unknown or malformed keys raise :class:`FootcoachError`.
        A missing ``video_stride`` means 1 (how every model before that setting was built)."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise FootcoachError(f"unknown model config keys {unknown}", file, "config")
        kw: dict[str, Any] = {"video_stride": 1}  # descriptions older than the setting
        try:
            for key, value in d.items():
                if key == "window":
                    kw[key] = WindowSpec.from_dict(value)
                elif key == "norm":
                    kw[key] = NormStats.from_dict(value)
                elif key == "member_norms":
                    kw[key] = tuple(NormStats.from_dict(n) for n in value)
                elif key == "loss":
                    kw[key] = LossWeights(**value)
                elif isinstance(value, list):
                    kw[key] = tuple(value)
                else:
                    kw[key] = value
            return cls(**kw)
        except FootcoachError as exc:
            raise FootcoachError(exc.message, file, "config") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise FootcoachError(f"malformed model config: {exc}", file, "config") from None


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- the model description file (JSON beside the safetensors weights) ----------------------
MODEL_JSON = "footcoach_model.json"
WEIGHTS_FILE = "footcoach_model.safetensors"
FORMAT_NAME = "footcoach-model"
FORMAT_VERSION = 1
ONNX_HASHES_KEY = "onnx_sha256"


@dataclass(frozen=True)
class ModelMeta:
    """The contents of ``footcoach_model.json``: config, weights file and its hash, provenance."""

    config: ModelConfig
    json_path: Path
    weights_path: Path
    sha256: str
    training: dict[str, Any]
    metrics: dict[str, Any]
    parameter_count: int | None = None
    onnx_sha256: dict[str, str] = field(default_factory=dict)
    """SHA-256 of each exported ONNX graph by file name (empty when never exported)."""


def model_json_path(dir_or_json: str | Path) -> Path:
    """``dir/footcoach_model.json`` for a folder, the path itself for a ``.json`` file."""
    p = Path(dir_or_json)
    return p / MODEL_JSON if p.is_dir() else p


def read_model_json(dir_or_json: str | Path) -> ModelMeta:
    """Read and check ``footcoach_model.json`` (format, config, weights file name, sha256).

    Does not read the weights; :func:`read_verified_weights` does. Problems raise
    :class:`FootcoachError` naming the JSON file.
    """
    path = model_json_path(dir_or_json)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FootcoachError("model description not found", path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FootcoachError(f"cannot read model description: {exc}", path) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise FootcoachError(f"not a footcoach model description (format != {FORMAT_NAME!r})",
                             path, "format")
    if doc.get("format_version") != FORMAT_VERSION:
        raise FootcoachError(f"unsupported format_version {doc.get('format_version')!r} "
                             f"(this footcoach reads {FORMAT_VERSION})", path, "format_version")
    for key, kind in (("config", dict), ("weights_file", str), ("sha256", str)):
        if not isinstance(doc.get(key), kind):
            raise FootcoachError(f"missing or malformed {key!r}", path, key)
    name = doc["weights_file"]
    if Path(name).name != name:
        raise FootcoachError(f"weights_file {name!r} must be a bare file name", path,
                             "weights_file")
    sha = doc["sha256"].lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise FootcoachError("sha256 is not 64 hex digits", path, "sha256")
    count = doc.get("parameter_count")
    onnx = doc.get(ONNX_HASHES_KEY) or {}
    if not isinstance(onnx, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in onnx.items()):
        raise FootcoachError("malformed onnx_sha256 (file name -> 64 hex digits)", path,
                             ONNX_HASHES_KEY)
    return ModelMeta(config=ModelConfig.from_dict(doc["config"], file=path), json_path=path,
                     weights_path=path.parent / name, sha256=sha,
                     training=dict(doc.get("training") or {}),
                     metrics=dict(doc.get("metrics") or {}),
                     parameter_count=int(count) if isinstance(count, int) else None,
                     onnx_sha256={k: v.lower() for k, v in onnx.items()})


def record_onnx_hashes(model_dir: str | Path, names: tuple[str, ...]) -> None:
    """Write the SHA-256 of ``model_dir/<name>`` for each name into ``footcoach_model.json``
    (key ``onnx_sha256``), so loading the ONNX graphs can refuse swapped or corrupted files.
    Does nothing when the folder has no model description."""
    path = Path(model_dir) / MODEL_JSON
    if not path.is_file():
        return
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc[ONNX_HASHES_KEY] = {n: sha256_file(Path(model_dir) / n) for n in names}
    atomic_write_text(path, json.dumps(doc, indent=2, allow_nan=False) + "\n")


def read_verified_weights(meta: ModelMeta) -> bytes:
    """The weights file's bytes, after checking them against ``meta.sha256``.

    Raises :class:`FootcoachError` naming the weights file when it is missing or its hash
    differs (a corrupted or swapped file is never loaded).
    """
    try:
        data = meta.weights_path.read_bytes()
    except FileNotFoundError:
        raise FootcoachError(f"weights file not found (named in {meta.json_path.name})",
                             meta.weights_path) from None
    except OSError as exc:
        raise FootcoachError(f"cannot read weights: {exc}", meta.weights_path) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != meta.sha256:
        raise FootcoachError(f"sha256 mismatch: file has {actual[:16]}..., "
                             f"{meta.json_path.name} expects {meta.sha256[:16]}...; the file is "
                             "corrupted or not the one described, refusing to load it",
                             meta.weights_path)
    return data
