"""Training on the HDF5 dataset (:mod:`footcoach.io.hdf5_dataset`): ``footcoach train``.

Recipe (PAPER.md, "Network"): Adam (lr 5e-4), ReduceLROnPlateau on the validation loss, early
stopping on the validation loss (``patience`` epochs), gradient-norm clipping, seeded runs.
Normalisation statistics (:class:`NormStats`) are computed from the training split before the
network is built. Imbalance: class weights ``(N / (n_classes * n_c)) ** class_weight_power`` in
the cross-entropy of each task (the dataset's thinning already caps the frequent classes).
Training windows get the torchvision video augmentation (:func:`video_augment`); the network
hides modalities at random itself (config ``modality_dropout``).

Checkpoints (``OUT/checkpoint/``, rewritten after every epoch, so ``resume=True`` continues)::

    last.safetensors, best.safetensors   weights (safetensors, no pickle)
    state.json                           epoch, best epoch/loss, history, config, settings
    optimizer.pt                         optimizer + scheduler state (torch.save of tensors and
                                         plain containers, read back with weights_only=True)

At the end the best epoch's weights are written as the model folder (``save_model``):
``OUT/footcoach_model.safetensors`` + ``OUT/footcoach_model.json``.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file as st_load_file
from safetensors.torch import save_file as st_save_file
from torch.utils.data import DataLoader, Subset

from footcoach.domain.windowing import BALL_FEATURE_PREFIX
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import DatasetFile
from footcoach.io.manifest import atomic_write_text
from footcoach.ml.config import ABLATIONS, MODALITIES, TASKS, LossWeights, ModelConfig
from footcoach.ml.data import Item, WindowDataset, upright_direction, vest_rotations
from footcoach.ml.encoders import augment_steps, video_augment
from footcoach.ml.finetune import (
    TRAIN_ONLY,
    fine_tune_config,
    freeze_except,
    initial_weights,
    train_mode,
)
from footcoach.ml.losses import JointLoss
from footcoach.ml.network import FootcoachNet, hide_features, parameter_count
from footcoach.ml.norm import norm_stats
from footcoach.ml.train_info import training_info
from footcoach.ml.weights import save_model

CHECKPOINT_DIR = "checkpoint"
SELECTIONS: tuple[str, ...] = ("score", "loss")
#: Early stopping patience (epochs without a better validation value) when none is given.
DEFAULT_PATIENCE = 6


@dataclass
class TrainSettings:
    """How a model is trained (all JSON-serialisable; stored in the checkpoint and model JSON).

    ``task``: None trains the joint loss of ``config.loss``; ``"action"``/``"tactic"``/
    ``"quality"`` trains that task alone (the paper's single-task ablation runs).
    ``max_train_windows``: windows drawn per epoch (a fresh random subset each epoch; None:
    all). ``max_minutes``: stop after the epoch that passes this wall time (None: no limit).
    ``patience``: stop after this many epochs without a better validation value (None:
    ``DEFAULT_PATIENCE`` for a new run, the checkpoint's when resuming).
    ``video``: read the video crops (False: IMU/position-only training, much faster).
    ``modalities``: the encoders to build (None: the config's); without ``"video"`` the crops
    are not read at all. ``ball_dropout``: probability per training window of hiding the
    ball-relative context features (``ball_*``), so that one model serves sessions with and
    without a ball track. ``select``: what picks the best epoch (and drives early stopping):
    ``"score"`` the validation scores of the trained tasks (:func:`selection_value`), ``"loss"``
    the validation loss (the choice before ``select`` existed). ``init``: model folders to
    start from (fine-tuning, :mod:`footcoach.ml.finetune`): the first one's sizes, labels,
    normalisation and weights are kept, a later one gives the encoders the earlier ones lack,
    encoders none has start fresh. ``modality_corruption``: the config's
    ``modality_corruption`` for this run (None: the given config's, or the first ``init``
    model's), so that a fine-tuning run can teach a trained model to discount a sensor giving
    wrong data; ``imu_rotation`` likewise for the config's ``imu_rotation`` (degrees: a vest
    worn or slipped at another angle) and ``imu_yaw``; ``vest_upright``: True reads de-tilted
    vests (config ``vest_upright``: the training vests' mean direction, or the ``init``
    model's), False as worn, None as the config or ``init`` model does. ``train_only``: with
    ``init``, train only that part of the network (:data:`~footcoach.ml.finetune.TRAIN_ONLY`,
    e.g. ``"modality-attention"``).
    """

    epochs: int = 30
    batch_size: int = 32
    lr: float = 5e-4
    weight_decay: float = 1e-5
    patience: int | None = None
    plateau_patience: int = 2
    plateau_factor: float = 0.5
    min_lr: float = 1e-5
    clip_norm: float = 5.0
    seed: int = 0
    device: str = "auto"
    ablation: str = "full"
    task: str | None = None
    class_weight_power: float = 0.5
    augment: float = 1.0
    workers: int = -1
    max_train_windows: int | None = None
    max_val_windows: int | None = None
    max_minutes: float | None = None
    video: bool = True
    threads: int | None = None
    modalities: tuple[str, ...] | None = None
    ball_dropout: float = 0.5
    select: str = "score"
    init: tuple[str, ...] = ()
    modality_corruption: float | None = None
    train_only: str | None = None
    imu_rotation: float | None = None
    imu_yaw: float | None = None
    vest_upright: bool | None = None

    def check(self) -> None:
        if self.ablation not in ABLATIONS:
            raise FootcoachError(f"unknown ablation {self.ablation!r} "
                                 f"(one of {', '.join(ABLATIONS)})")
        if self.task is not None and self.task not in TASKS:
            raise FootcoachError(f"unknown task {self.task!r} (one of {', '.join(TASKS)})")
        if self.device not in ("auto", "cpu", "cuda"):
            raise FootcoachError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise FootcoachError("--device cuda asked for, but torch sees no CUDA device")
        bad = [m for m in self.modalities or () if m not in MODALITIES]
        if bad or (self.modalities is not None and not self.modalities):
            raise FootcoachError(f"modalities must be a non-empty subset of "
                                 f"{', '.join(MODALITIES)}, got {list(self.modalities or ())}")
        if not self.lr > 0:
            raise FootcoachError(f"the learning rate must be > 0, got {self.lr:g}")
        if self.epochs < 1 or self.batch_size < 2:
            raise FootcoachError("epochs must be >= 1 and batch >= 2")
        if self.select not in SELECTIONS:
            raise FootcoachError(f"select must be one of {', '.join(SELECTIONS)}, "
                                 f"got {self.select!r}")
        if not 0.0 <= self.ball_dropout <= 1.0:
            raise FootcoachError(f"ball_dropout must be in 0..1, got {self.ball_dropout}")
        self._check_augmentation()
        if self.train_only is not None and (self.train_only not in TRAIN_ONLY or not self.init):
            raise FootcoachError(f"train_only must be one of {', '.join(TRAIN_ONLY)} and needs "
                                 f"a model to start from (--init), got {self.train_only!r}")
        if self.patience is not None and self.patience < 1:
            raise FootcoachError(f"the early stopping patience must be >= 1 epoch, got "
                                 f"{self.patience}")

    def _check_augmentation(self) -> None:
        if self.modality_corruption is not None and not 0.0 <= self.modality_corruption < 1.0:
            raise FootcoachError(f"modality_corruption must be in 0..1 (below 1), got "
                                 f"{self.modality_corruption:g}")
        for name in ("imu_rotation", "imu_yaw"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 180.0:
                raise FootcoachError(f"{name} must be 0-180 degrees, got {value:g}")


@dataclass
class EpochStats:
    """One epoch's figures: mean training loss terms, validation loss and scores, lr, time."""

    epoch: int
    train_loss: float
    train_action: float
    train_tactic: float
    train_quality: float
    val_loss: float
    val_action_acc: float
    val_tactic_acc: float
    val_quality_mae: float
    lr: float
    seconds: float

    def line(self, epochs: int) -> str:
        """The progress line printed after each epoch."""
        return (f"epoch {self.epoch:3d}/{epochs}  loss {self.train_loss:.4f} (action "
                f"{self.train_action:.3f} tactic {self.train_tactic:.3f} quality "
                f"{self.train_quality:.4f})  val loss {self.val_loss:.4f}  val acc action "
                f"{self.val_action_acc:.3f} tactic {self.val_tactic_acc:.3f}  quality MAE "
                f"{self.val_quality_mae:.2f}  lr {self.lr:.1e}  {self.seconds:.1f} s")


@dataclass
class TrainResult:
    """What :func:`train` returns: the model folder, the best epoch and the history."""

    model_dir: Path
    best_epoch: int
    best_val_loss: float
    epochs_run: int
    stopped: str
    history: list[EpochStats] = field(default_factory=list)
    seconds: float = 0.0
    device: str = "cpu"


# ---- set-up ------------------------------------------------------------------------------------
def available_cores() -> int:
    """CPU cores this process may use (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when torch sees a device, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def class_weights(counts: np.ndarray, power: float) -> torch.Tensor:
    """``(N / (C * n_c)) ** power`` per class, 1 for absent classes, normalised to mean 1 over
    the present ones. power 0: no weighting; 1: fully balanced."""
    counts = np.asarray(counts, np.float64)
    present = counts > 0
    w = np.ones_like(counts)
    if present.any() and power > 0:
        w[present] = (counts[present].sum() / (present.sum() * counts[present])) ** power
        w[present] /= w[present].mean()
    return torch.tensor(w, dtype=torch.float32)


class AugmentVideo:
    """Dataset transform: :func:`video_augment` on an item's crops (picklable for workers)."""

    def __init__(self, crop_px: int, strength: float):
        self.crop_px = crop_px
        self.strength = strength
        self._t = video_augment(crop_px, strength=strength)

    def __call__(self, item: Item) -> Item:
        v = item["video"]
        if v.shape[-1] > 0 and self.strength > 0:
            item = dict(item)
            item["video"] = augment_steps(v, self._t)
        return item


def selection_value(stats: EpochStats, weights: LossWeights, select: str) -> float:
    """What the best epoch minimises. ``"loss"``: the validation loss. ``"score"``: minus the
    mean over the trained tasks (loss weight > 0, so a single-task run counts its task only) of
    the validation action accuracy, tactic accuracy and ``1 - quality MAE / 100``; the tasks
    count equally whatever their loss weights (those balance gradients, not goals). With the joint
    loss the validation loss bottoms out early while all three scores still improve (the
    classifiers grow over-confident on the windows they get wrong), so it stops too soon.
    """
    if select == "loss":
        return stats.val_loss
    terms = [(weights.action, stats.val_action_acc), (weights.tactic, stats.val_tactic_acc),
             (weights.quality, 1.0 - stats.val_quality_mae / 100.0)]
    trained = [v if math.isfinite(v) else 0.0 for w, v in terms if w > 0]
    return -sum(trained) / len(trained) if trained else stats.val_loss


def loss_weights(config: ModelConfig, settings: TrainSettings) -> LossWeights:
    return LossWeights.single(settings.task) if settings.task else config.loss


def new_run_config(data: Path, s: TrainSettings, config: ModelConfig | None) -> ModelConfig:
    """The config of a new run (see :func:`train` for what comes from where)."""
    with DatasetFile(data) as ds:
        spec, actions, tactics = ds.spec, tuple(ds.action_names), tuple(ds.tactic_names)
    if s.init:
        base = fine_tune_config(s.init, spec, modalities=s.modalities, ablation=s.ablation,
                                action_names=actions, tactic_names=tactics)
        return replace(base, loss=loss_weights(config or base, s), **_augmentation(s, base, data))
    base = config or ModelConfig()
    return replace(base, window=spec, ablation=s.ablation,
                   modalities=s.modalities or base.modalities,
                   norm=norm_stats(data, "train", seed=s.seed, context_bins=base.context_bins),
                   loss=loss_weights(base, s), **_augmentation(s, base, data))


def _augmentation(s: TrainSettings, base: ModelConfig, data: Path) -> dict[str, Any]:
    """The run's wrong-sensor augmentation and vest frame: the settings' where given, else the
    config's (a new upright frame: the training vests' mean direction)."""
    out: dict[str, Any] = {k: getattr(base, k) if getattr(s, k) is None else getattr(s, k)
                           for k in ("modality_corruption", "imu_rotation", "imu_yaw")}
    if s.vest_upright is not None:
        out["vest_upright"] = ((base.vest_upright or upright_direction(data)) if s.vest_upright
                               else ())
    return out


# ---- one pass ----------------------------------------------------------------------------------
def _to(batch: Item, device: torch.device) -> Item:
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


def _forward(model: FootcoachNet, b: Item) -> Any:
    video = b["video"] if b["video"].shape[-1] > 0 else None
    return model(video, b["imu"], b["context"], b["mask"])


def ball_columns(config: ModelConfig) -> list[int]:
    """Indices of the context features that need a ball track (hidden together)."""
    return [k for k, name in enumerate(config.window.context_features)
            if name.startswith(BALL_FEATURE_PREFIX)]


def train_epoch(model: FootcoachNet, loader: DataLoader[Item], loss_fn: JointLoss,
                opt: torch.optim.Optimizer, device: torch.device, clip_norm: float,
                ball_dropout: float = 0.0, train_only: str | None = None
                ) -> tuple[float, float, float, float]:
    """One pass over ``loader``; mean (total, action, tactic, quality) loss per window.
    ``ball_dropout``: probability per window of hiding the ball features (:func:`hide_features`).
    ``train_only``: the one part that trains (:func:`~footcoach.ml.finetune.train_mode`).
    """
    train_mode(model, train_only)
    sums = np.zeros(4)
    n = 0
    hidden = ball_columns(model.config)
    for batch in loader:
        b = _to(batch, device)
        b["context"] = hide_features(b["context"], hidden, ball_dropout)
        out = _forward(model, b)
        terms = loss_fn(out, b["action"], b["tactic"], b["quality"])
        opt.zero_grad(set_to_none=True)
        terms.total.backward()
        if clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        opt.step()
        k = int(b["action"].shape[0])
        sums += k * np.array([float(t.detach()) for t in terms])
        n += k
    mean = sums / max(n, 1)
    return float(mean[0]), float(mean[1]), float(mean[2]), float(mean[3])


@torch.no_grad()
def validate(model: FootcoachNet, loader: DataLoader[Item], loss_fn: JointLoss,
             device: torch.device) -> tuple[float, float, float, float]:
    """Mean validation loss, action accuracy, tactic accuracy, quality MAE (points)."""
    model.eval()
    loss_sum, n = 0.0, 0
    hits = np.zeros(2)
    counts = np.zeros(2)
    abs_err, n_q = 0.0, 0
    for batch in loader:
        b = _to(batch, device)
        out = _forward(model, b)
        terms = loss_fn(out, b["action"], b["tactic"], b["quality"])
        k = int(b["action"].shape[0])
        loss_sum += k * float(terms.total)
        n += k
        for j, (logits, target) in enumerate(((out.action_logits, b["action"]),
                                              (out.tactic_logits, b["tactic"]))):
            ok = target >= 0
            hits[j] += float((logits.argmax(-1)[ok] == target[ok]).sum())
            counts[j] += float(ok.sum())
        q = torch.isfinite(b["quality"])
        abs_err += float((out.quality[q] - b["quality"][q]).abs().sum())
        n_q += int(q.sum())
    acc = np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)
    return (loss_sum / max(n, 1), float(acc[0]), float(acc[1]),
            abs_err / n_q if n_q else float("nan"))


def _optimizer(model: FootcoachNet, loss_fn: JointLoss, s: TrainSettings
               ) -> tuple[torch.optim.Adam, torch.optim.lr_scheduler.ReduceLROnPlateau]:
    """Adam over the network (and the learned loss weights, without weight decay) and its
    reduce-on-plateau schedule."""
    groups: list[dict[str, Any]] = [{"params": [p for p in model.parameters()
                                                if p.requires_grad]}]
    if loss_fn.log_var is not None:
        groups.append({"params": [loss_fn.log_var], "weight_decay": 0.0})
    opt = torch.optim.Adam(groups, lr=s.lr, weight_decay=s.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="min", factor=s.plateau_factor, patience=s.plateau_patience, min_lr=s.min_lr)
    return opt, sched


# ---- checkpoints -------------------------------------------------------------------------------
def _state_tensors(model: FootcoachNet) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}


def save_checkpoint(folder: Path, model: FootcoachNet, opt: torch.optim.Optimizer,
                    sched: torch.optim.lr_scheduler.ReduceLROnPlateau, state: dict[str, Any],
                    *, best: bool) -> None:
    """Write the epoch's checkpoint (weights, optimizer/scheduler, JSON state) atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = _state_tensors(model)
    for name in ("last",) + (("best",) if best else ()):
        tmp = folder / f".{name}.safetensors.tmp"
        st_save_file(tensors, str(tmp))
        os.replace(tmp, folder / f"{name}.safetensors")
    tmp = folder / ".optimizer.pt.tmp"
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp)
    os.replace(tmp, folder / "optimizer.pt")
    atomic_write_text(folder / "state.json", json.dumps(state, indent=1, allow_nan=True) + "\n")


def read_checkpoint_state(folder: Path) -> dict[str, Any]:
    path = folder / "state.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FootcoachError("no checkpoint to resume from", path) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise FootcoachError(f"unreadable checkpoint state: {exc}", path) from None
    if not isinstance(doc, dict) or "epoch" not in doc or "config" not in doc:
        raise FootcoachError("not a footcoach training checkpoint", path)
    return doc


def _load_weights(model: FootcoachNet, path: Path) -> None:
    try:
        model.load_state_dict(st_load_file(str(path)))
    except (OSError, RuntimeError) as exc:
        raise FootcoachError(f"cannot load checkpoint weights: {exc}", path) from None


# ---- the run -----------------------------------------------------------------------------------
def _loaders(data: Path, cfg: ModelConfig, s: TrainSettings, rng: np.random.Generator,
             train_ds: WindowDataset, val_ds: WindowDataset
             ) -> tuple[DataLoader[Item], DataLoader[Item]]:
    workers = s.workers if s.workers >= 0 else min(2, max(0, available_cores() - 1))
    train_idx = np.arange(len(train_ds))
    if s.max_train_windows and s.max_train_windows < len(train_idx):
        train_idx = np.sort(rng.choice(train_idx, s.max_train_windows, replace=False))
    gen = torch.Generator().manual_seed(int(rng.integers(2 ** 31)))
    kw: dict[str, Any] = {"num_workers": workers, "persistent_workers": False}
    train = DataLoader(Subset(train_ds, train_idx.tolist()), batch_size=s.batch_size,
                       shuffle=True, drop_last=len(train_idx) > s.batch_size, generator=gen,
                       **kw)
    val = DataLoader(val_ds, batch_size=s.batch_size * 2, shuffle=False, **kw)
    return train, val


def resumed_settings(state: dict[str, Any], given: TrainSettings) -> TrainSettings:
    """The settings of a continued run: the checkpoint's ``state["settings"]``, with the epoch
    limit raised to ``given.epochs`` and ``given.max_minutes`` / ``given.patience`` replacing
    the stored ones where set."""
    stored = dict(state["settings"])
    if stored.get("modalities") is not None:
        stored["modalities"] = tuple(stored["modalities"])
    stored["init"] = tuple(stored.get("init") or ())
    if given.max_minutes is not None:  # a new time budget for the continued run
        stored["max_minutes"] = given.max_minutes
    if given.patience is not None:  # a new early-stopping patience for the continued run
        stored["patience"] = given.patience
    stored.setdefault("select", "loss")  # checkpoints from before the setting
    return TrainSettings(**{**stored, "epochs": max(given.epochs, state["epoch"])})


def train(data: str | Path, out: str | Path, settings: TrainSettings | None = None, *,
          config: ModelConfig | None = None, resume: bool = False,
          log: Callable[[str], None] | None = print) -> TrainResult:
    """Train a model on ``data`` (HDF5) and write the best epoch's model folder to ``out``.

    ``config`` gives the network sizes (default :class:`ModelConfig`); its window spec is
    replaced by the dataset's, its normalisation by statistics of the training split, its
    ablation by ``settings.ablation``. With ``settings.init`` the starting model's config is
    used instead (only ``config.loss`` is taken from ``config``). ``resume=True`` continues
    from ``out/checkpoint`` (the stored config and settings win; ``settings.epochs`` may raise
    the epoch limit; ``settings.max_minutes``, when set, replaces the time budget, counted
    from the first run; ``settings.patience``, when set, replaces the early stopping patience,
    so that a run stopped early can go on).
    """
    s = settings or TrainSettings()
    s.check()
    data, out = Path(data), Path(out)
    ckpt = out / CHECKPOINT_DIR
    say = log or (lambda _m: None)
    torch.set_num_threads(s.threads or available_cores())
    device = resolve_device(s.device)
    state: dict[str, Any] | None = None
    if resume:
        state = read_checkpoint_state(ckpt)
        s = resumed_settings(state, s)
        cfg = ModelConfig.from_dict(state["config"], file=ckpt / "state.json")
    else:
        cfg = new_run_config(data, s, config)
    if s.patience is None:
        s = replace(s, patience=DEFAULT_PATIENCE)
    if "video" not in cfg.modalities:
        s = replace(s, video=False)
    seed_everything(s.seed + (state["epoch"] if state else 0))
    rng = np.random.default_rng([s.seed, state["epoch"] if state else 0])
    transform = AugmentVideo(cfg.window.crop_px, s.augment) if s.video and s.augment else None
    rots = vest_rotations(data, cfg.vest_upright) if cfg.vest_upright else None
    train_ds = WindowDataset(data, "train", transform=transform, video=s.video,
                             vest_rotations=rots)
    val_ds = WindowDataset(data, "val", video=s.video, vest_rotations=rots)
    if len(train_ds) == 0 or len(val_ds) == 0:
        raise FootcoachError(f"need training and validation windows (train {len(train_ds)}, "
                             f"val {len(val_ds)})", data)
    if s.max_val_windows and s.max_val_windows < len(val_ds):
        keep = np.sort(np.random.default_rng(s.seed).choice(len(val_ds), s.max_val_windows,
                                                             replace=False))
        val_sub: Any = Subset(val_ds, keep.tolist())
    else:
        val_sub = val_ds
    model = FootcoachNet(cfg).to(device)
    loss_fn = JointLoss(cfg.loss,
                        action_class_weights=class_weights(train_ds.class_counts("action"),
                                                           s.class_weight_power),
                        tactic_class_weights=class_weights(train_ds.class_counts("tactic"),
                                                           s.class_weight_power)).to(device)
    trainable = freeze_except(model, s.train_only) if s.train_only else None
    opt, sched = _optimizer(model, loss_fn, s)
    history: list[EpochStats] = []
    start_epoch, best_epoch, best_loss, spent = 0, 0, math.inf, 0.0
    best_value = math.inf
    best_weights = loss_fn.effective_weights()
    if state is not None:
        best_weights = state.get("loss_weights_at_best", best_weights)
        _load_weights(model, ckpt / "last.safetensors")
        blob = torch.load(ckpt / "optimizer.pt", map_location=device, weights_only=True)
        opt.load_state_dict(blob["optimizer"])
        sched.load_state_dict(blob["scheduler"])
        loss_fn.restore_learned(state)
        history = [EpochStats(**h) for h in state["history"]]
        start_epoch, best_epoch = int(state["epoch"]), int(state["best_epoch"])
        best_loss, spent = float(state["best_val_loss"]), float(state["seconds"])
        best_value = float(state.get("best_value", best_loss))
        say(f"resuming from epoch {start_epoch} (best epoch {best_epoch}, "
            f"val loss {best_loss:.4f})")
    else:
        if s.init:
            origin = initial_weights(model, s.init)
            say(f"starting from {s.init[0]} (" + ", ".join(
                f"{m}: {'new' if src == 'new' else 'from ' + src}" for m, src in origin.items())
                + ")")
        say(f"training {cfg.ablation} ({parameter_count(model):,} parameters) on {device}, "
            f"{len(train_ds)} train / {len(val_ds)} val windows, video "
            f"{'on' if s.video else 'off'}, {torch.get_num_threads()} threads"
            + (f"; training only its {s.train_only} ({trainable:,} parameters)"
               if trainable else ""))
    t_run = time.perf_counter()
    stopped = "epochs"
    epoch = start_epoch
    _, val_loader = _loaders(data, cfg, s, rng, train_ds, val_sub)
    while epoch < s.epochs:
        if epoch - best_epoch >= s.patience and best_epoch > 0:
            stopped = "early stopping"
            break
        if s.max_minutes is not None and spent + time.perf_counter() - t_run > 60 * s.max_minutes:
            stopped = "time limit"
            break
        t0 = time.perf_counter()
        train_loader, _ = _loaders(data, cfg, s, rng, train_ds, val_sub)
        tr = train_epoch(model, train_loader, loss_fn, opt, device, s.clip_norm,
                         s.ball_dropout, s.train_only)
        val = validate(model, val_loader, loss_fn, device)
        sched.step(val[0])
        epoch += 1
        stats = EpochStats(epoch, *tr, *val, lr=float(opt.param_groups[0]["lr"]),
                           seconds=time.perf_counter() - t0)
        history.append(stats)
        value = selection_value(stats, cfg.loss, s.select)
        is_best = value < best_value
        if is_best:
            best_value, best_loss, best_epoch = value, val[0], epoch
            best_weights = loss_fn.effective_weights()
        say(stats.line(s.epochs) + loss_fn.weights_text() + ("  *" if is_best else ""))
        save_checkpoint(ckpt, model, opt, sched, {
            "epoch": epoch, "best_epoch": best_epoch, "best_val_loss": best_loss,
            "best_value": best_value, **loss_fn.learned_state(best_weights),
            "seconds": spent + time.perf_counter() - t_run, "config": cfg.to_dict(),
            "settings": asdict(s), "history": [asdict(h) for h in history],
            "data": str(data.resolve())}, best=is_best)
    seconds = spent + time.perf_counter() - t_run
    if best_epoch == 0:
        raise FootcoachError("no epoch was trained (epoch limit already reached?)", ckpt)
    _load_weights(model, ckpt / "best.safetensors")
    model = model.to("cpu").eval()
    best = history[best_epoch - 1] if len(history) >= best_epoch else None
    info = training_info(data, s, history, best_epoch, seconds, device, stopped,
                         learned_weights=best_weights if cfg.loss.learned else None)
    save_model(model, cfg, out, training_info=info,
               metrics={"validation": asdict(best) if best else {}})
    say(f"best epoch {best_epoch} (val loss {best_loss:.4f}, selected by {s.select}), "
        f"stopped: {stopped}, "
        f"{seconds:.0f} s; model written to {out}")
    return TrainResult(out, best_epoch, best_loss, epoch, stopped, history, seconds,
                       str(device))
