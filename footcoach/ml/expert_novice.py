"""The footcoach network on the Expert-Novice recordings (IMU only): training and inference.

The network is :class:`~footcoach.ml.network.FootcoachNet` built with the IMU encoder only
(``modalities=("imu",)``), the action head resized to the 9 Expert-Novice actions and the
quality head (``100 * sigmoid``) regressing the 1-4 expert score mapped onto 0-100 points
(:func:`score_to_points`). The tactic head exists but gets no loss. One recording becomes one
*window* of ``window_steps`` steps of ``step_s`` seconds at ``imu_rate_hz`` (default 32 x 0.5 s =
16 s, which holds all but the longest dribbles whole); a longer recording is cropped, a shorter
one is padded *in front* with missing steps (masked, not encoded). Front padding lets the LSTM
see how long the recording is (its state has run over the empty steps before the first real
one), which the temporal attention alone cannot: the duration separates the dribble types.
Prediction averages the softmax and the score over crops that cover the whole recording.

Training augmentation (all per recording, drawn from a seeded generator): a random crop or
start offset (time shift), a time warp (the recording played 1 +/- ``time_warp`` times as
fast, which also covers the undocumented ~96-100 Hz rate), per-sensor scaling of acc and gyro,
and a small random 3D rotation per sensor (mounting differences), applied to acc and gyro alike.

Inputs everywhere: ``recordings`` a list of (N_i, C) float arrays (C = 6 per sensor: acc x/y/z
in g, gyro x/y/z in rad/s; NaN = missing) sampled at ``rate_hz``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from footcoach.domain.vest_frame import rotation_onto, turn_triads
from footcoach.domain.windowing import WindowSpec
from footcoach.ml.config import LossWeights, ModelConfig, NormStats
from footcoach.ml.losses import NO_LABEL, joint_loss
from footcoach.ml.network import FootcoachNet, Network

Progress = Callable[[int, int, str], None]
SCORE_MIN, SCORE_MAX = 1.0, 4.0


def score_to_points(score: np.ndarray) -> np.ndarray:
    """Expert score (1-4) -> quality points (0-100): ``(s - 1) / 3 * 100``."""
    return (np.asarray(score, dtype=np.float64) - SCORE_MIN) / (SCORE_MAX - SCORE_MIN) * 100.0


def points_to_score(points: np.ndarray) -> np.ndarray:
    """Inverse of :func:`score_to_points`."""
    return SCORE_MIN + np.asarray(points, dtype=np.float64) / 100.0 * (SCORE_MAX - SCORE_MIN)


@dataclass(frozen=True)
class NetSettings:
    """Network size, window and training settings (all fixed by default; ``seed`` drives every
    random draw, ``threads`` the torch CPU threads, so a run is repeatable).

    The defaults were chosen on the leave-one-player-out folds of players 1-3 and 5-7
    (docs/expert-novice.md lists the variants tried): with dropout 0.2-0.3, 40 epochs and 10
    degree rotations the network under-fitted (70% training accuracy); a small network
    (~94 k parameters) with light dropout, 80 epochs and 5 degree rotations fits ~90%.
    One thread: the network is too small to gain from more, and on a busy 2-core machine two
    threads were eight times slower."""

    step_s: float = 0.5
    window_steps: int = 32
    imu_rate_hz: float = 50.0
    latent_dim: int = 64
    imu_channels: tuple[int, ...] = (32, 64, 64)
    lstm_hidden: int = 64
    lstm_layers: int = 1
    head_hidden: int = 64
    cnn_dropout: float = 0.1
    head_dropout: float = 0.1
    epochs: int = 80
    batch_size: int = 24
    lr: float = 3e-3
    weight_decay: float = 1e-2
    quality_weight: float = 1.0
    max_shift_s: float = 1.0
    time_warp: float = 0.1
    scale: float = 0.1
    rotation_deg: float = 5.0
    eval_stride_steps: int = 4
    seed: int = 0
    threads: int = 1
    labels: tuple[str, ...] = field(default_factory=tuple)

    @property
    def window(self) -> WindowSpec:
        return WindowSpec(step_s=self.step_s, window_steps=self.window_steps,
                          imu_rate_hz=self.imu_rate_hz)

    def quick(self) -> NetSettings:
        """A few epochs of a smaller window (tests, smoke runs)."""
        return replace(self, epochs=3, window_steps=8, imu_channels=(8, 16, 16), latent_dim=16,
                       lstm_hidden=16, head_hidden=16, eval_stride_steps=4)


def model_config(settings: NetSettings, n_channels: int, norm: NormStats) -> ModelConfig:
    """The IMU-only :class:`ModelConfig` for ``n_channels`` inputs and ``settings.labels``."""
    return ModelConfig(
        window=settings.window, latent_dim=settings.latent_dim,
        imu_channels=settings.imu_channels, imu_in_channels=n_channels,
        lstm_hidden=settings.lstm_hidden, lstm_layers=settings.lstm_layers,
        cnn_dropout=settings.cnn_dropout, head_hidden=settings.head_hidden,
        head_dropout=settings.head_dropout, ablation="full", modalities=("imu",),
        modality_dropout=0.0, norm=norm,
        loss=LossWeights(quality=settings.quality_weight, tactic=0.0, action=1.0),
        action_labels=settings.labels)


def norm_from(recordings: Sequence[np.ndarray], n_context: int) -> NormStats:
    """Per-channel mean/std over every sample of ``recordings`` (the training set)."""
    allv = np.concatenate([np.asarray(r, dtype=np.float64) for r in recordings])
    mean = np.nanmean(allv, axis=0)
    std = np.nanstd(allv, axis=0)
    std = np.where(np.isfinite(std) & (std > 1e-6), std, 1.0)
    ctx = NormStats.identity(allv.shape[1], n_context)
    return replace(ctx, imu_mean=tuple(float(v) for v in np.nan_to_num(mean)),
                   imu_std=tuple(float(v) for v in std))


def _rotation(rng: np.random.Generator, max_deg: float) -> np.ndarray:
    """A random rotation matrix (3, 3): uniform axis, angle uniform in +/- ``max_deg``."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis) + 1e-12
    angle = math.radians(rng.uniform(-max_deg, max_deg))
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * (k @ k)


def crop(rec: np.ndarray, rate_hz: float, out_rate_hz: float, n_out: int, start_s: float,
         speed: float = 1.0) -> np.ndarray:
    """Resample ``rec`` (N, C) at ``rate_hz`` onto ``n_out`` samples at ``out_rate_hz``.

    Output sample k is the input at time ``(start_s + k / out_rate_hz) * speed`` (linear
    interpolation); times outside the recording give NaN. ``speed`` > 1 plays it faster.
    """
    t_in = np.arange(rec.shape[0]) / rate_hz
    t_out = (start_s + np.arange(n_out) / out_rate_hz) * speed
    out = np.full((n_out, rec.shape[1]), np.nan, dtype=np.float32)
    inside = (t_out >= 0) & (t_out <= t_in[-1])
    for j in range(rec.shape[1]):
        out[inside, j] = np.interp(t_out[inside], t_in, rec[:, j])
    return out


def _augment(rec: np.ndarray, rate_hz: float, s: NetSettings, rng: np.random.Generator
             ) -> np.ndarray:
    """One randomly cropped/shifted/warped/scaled/rotated window (window_steps * P, C)."""
    w = s.window
    n_out = w.window_steps * w.imu_per_step
    speed = 1.0 + rng.uniform(-s.time_warp, s.time_warp)
    dur = rec.shape[0] / rate_hz / speed
    span = n_out / w.imu_rate_hz
    start = (rng.uniform(0.0, dur - span) if dur > span
             else dur - span + rng.uniform(0.0, min(s.max_shift_s, span - dur)))
    x = crop(rec, rate_hz, w.imu_rate_hz, n_out, start, speed).astype(np.float64)
    for k in range(x.shape[1] // 6):
        r = _rotation(rng, s.rotation_deg)
        for lo in (6 * k, 6 * k + 3):
            x[:, lo:lo + 3] = x[:, lo:lo + 3] @ r.T * rng.uniform(1 - s.scale, 1 + s.scale)
    return x.astype(np.float32)


def _eval_crops(rec: np.ndarray, rate_hz: float, s: NetSettings, *, pad_front: bool = True
                ) -> list[np.ndarray]:
    """Windows covering the whole recording: from the start every ``eval_stride_steps`` steps,
    the last one ending at the recording's end. A short recording gives one window, padded in
    front (``pad_front``, as in training) or at the end."""
    w = s.window
    n_out = w.window_steps * w.imu_per_step
    span = n_out / w.imu_rate_hz
    dur = rec.shape[0] / rate_hz
    if dur <= span:
        starts = [dur - span if pad_front else 0.0]
    else:
        stride = s.eval_stride_steps * w.step_s
        starts = [*np.arange(0.0, dur - span, stride).tolist(), dur - span]
    return [crop(rec, rate_hz, w.imu_rate_hz, n_out, float(a)) for a in starts]


def _batch(windows: Sequence[np.ndarray], w: WindowSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows (T, C) -> imu (B, S, P, C) and mask (B, S, 3) (imu present where a step has any
    finite sample)."""
    x = np.stack(windows).reshape(len(windows), w.window_steps, w.imu_per_step, -1)
    present = np.isfinite(x).any(axis=(2, 3))
    mask = np.zeros((*present.shape, 3), dtype=bool)
    mask[..., 1] = present
    return torch.from_numpy(x), torch.from_numpy(mask)


def train_network(recordings: Sequence[np.ndarray], labels: np.ndarray, scores: np.ndarray,
                  rate_hz: float, settings: NetSettings, *, progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None) -> FootcoachNet:
    """Train a fresh IMU-only network; returns it in eval mode.

    ``labels`` (n,) int action indices into ``settings.labels``; ``scores`` (n,) expert scores
    1-4 (NaN: no score). ``progress(epoch, epochs, message)`` after each epoch; ``cancel()``
    returning True stops between batches (the model so far is returned).
    """
    s = settings
    if len(s.labels) < 2:
        raise ValueError("settings.labels needs the class names")
    torch.manual_seed(s.seed)
    rng = np.random.default_rng(s.seed)
    norm = norm_from(recordings, len(s.window.context_features))
    model = FootcoachNet(model_config(s, recordings[0].shape[1], norm))
    opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=s.weight_decay)
    n = len(recordings)
    per_epoch = max(1, math.ceil(n / s.batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=s.lr, epochs=s.epochs,
                                                steps_per_epoch=per_epoch, pct_start=0.2)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    q = torch.as_tensor(score_to_points(scores), dtype=torch.float32)
    weights = model.config.loss
    for epoch in range(s.epochs):
        model.train()
        order = rng.permutation(n)
        total = 0.0
        for b in range(per_epoch):
            idx = order[b * s.batch_size:(b + 1) * s.batch_size]
            if len(idx) < 2:  # BatchNorm needs two windows
                continue
            if cancel is not None and cancel():
                return model.eval()
            imu, mask = _batch([_augment(recordings[i], rate_hz, s, rng) for i in idx],
                               s.window)
            out = model(imu=imu, mask=mask)
            ti = torch.as_tensor(idx)
            loss = joint_loss(out, y[ti], torch.full((len(idx),), NO_LABEL), q[ti], weights)
            opt.zero_grad(set_to_none=True)
            loss.total.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            total += float(loss.total.detach()) * len(idx)
        if progress is not None:
            progress(epoch + 1, s.epochs, f"epoch {epoch + 1}/{s.epochs} loss {total / n:.3f}")
    return model.eval()


@torch.no_grad()
def predict_network(model: FootcoachNet, recordings: Sequence[np.ndarray], rate_hz: float,
                    settings: NetSettings) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities (n, n_classes) and expert scores (n,) of each recording: the mean
    softmax and mean score over the crops of :func:`_eval_crops`."""
    model.eval()
    probs, scores = [], []
    for rec in recordings:
        imu, mask = _batch(_eval_crops(rec, rate_hz, settings), settings.window)
        out = model(imu=imu, mask=mask)
        probs.append(torch.softmax(out.action_logits, dim=-1).mean(dim=0).numpy())
        scores.append(float(points_to_score(out.quality.mean().numpy())))
    return np.stack(probs).astype(np.float64), np.asarray(scores)


@torch.no_grad()
def bundled_action_probs(model: Network, recordings: Sequence[np.ndarray], rate_hz: float,
                         *, stride_steps: int = 2, groups: Sequence[object] | None = None
                         ) -> np.ndarray:
    """Zero-shot action probabilities of the bundled model, (n, its action classes).

    ``recordings`` (N, 6) are vest-frame acc (g) / gyro (rad/s) as the model's input contract
    expects (x forward, y left, z up; +1 g up at rest); the magnetometer channels are missing
    (NaN, i.e. the normalised mean) and the context modality is masked off (no position). Each
    recording is cut into the model's windows (every ``stride_steps`` steps; a short one is
    padded at the end, so the LSTM states of the real steps are those of an unpadded window, as
    in the model's training; padded steps are masked); the result is the mean softmax.
    A model that reads de-tilted vests (config ``vest_upright``) gets each group's recordings
    (``groups``, one label per recording, e.g. the player; None: all one group) de-tilted
    together, as analysis de-tilts a player's vest over the session.
    """
    cfg = model.config
    if cfg.vest_upright:
        recordings = upright_recordings(recordings, cfg.vest_upright, groups)
    s = NetSettings(step_s=cfg.window.step_s, window_steps=cfg.window.window_steps,
                    imu_rate_hz=cfg.window.imu_rate_hz, eval_stride_steps=stride_steps)
    extra = cfg.imu_in_channels - 6
    out = []
    for rec in recordings:
        full = np.column_stack([rec, np.full((rec.shape[0], extra), np.nan)])
        imu, mask = _batch(_eval_crops(full, rate_hz, s, pad_front=False), cfg.window)
        res = model(imu=imu, mask=mask)
        out.append(torch.softmax(res.action_logits, dim=-1).mean(dim=0).numpy())
    return np.stack(out).astype(np.float64)


def upright_recordings(recordings: Sequence[np.ndarray], target: Sequence[float],
                       groups: Sequence[object] | None = None) -> list[np.ndarray]:
    """``recordings`` (N, 6: acc, gyro) with each group's turned by the rotation that takes
    the group's mean acceleration onto ``target`` (:mod:`footcoach.domain.vest_frame`)."""
    labels = list(groups) if groups is not None else [0] * len(recordings)
    out = list(recordings)
    for g in set(labels):
        idx = [i for i, x in enumerate(labels) if x == g]
        acc = np.concatenate([recordings[i][:, :3] for i in idx])
        acc = acc[np.isfinite(acc).all(axis=1)]
        if not len(acc) or not np.linalg.norm(acc.mean(axis=0)):
            continue
        rot = rotation_onto(acc.mean(axis=0), target)
        for i in idx:
            out[i] = turn_triads(recordings[i], rot)
    return out


def set_threads(threads: int) -> int:
    """Set torch's CPU thread count; returns the previous one (to restore)."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    return before
