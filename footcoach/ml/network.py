"""The multimodal CNN-LSTM (PAPER.md, "Network"), split so analysis cost does not grow with overlap.

Shapes: B batch (windows or players), S steps (``WindowSpec.window_steps`` for a window, any
length for a stream), F frames per step, P IMU samples per step, C IMU channels (9), K context
features, D latent size, M = 3 modalities in the order of :data:`MODALITIES` (video, imu, context).

- :class:`StepEncoder` turns every step on its own into a fused step feature: per-modality CNN
  encoders, projection to D, modality attention over the available modalities. Steps do not
  interact here, so a player's stream can be encoded once per step.
- :class:`WindowHead` turns the step features of one window into predictions: a stacked LSTM,
  additive temporal attention, and heads for action (12 logits), tactic (8 logits) and quality
  (0-100 points, ``100 * sigmoid(z)``).
- :class:`FootcoachNet` composes both; ``encode_steps`` and ``head`` are callable separately, so
  analysis encodes each step once and runs the head on sliding windows of cached features
  (:func:`sliding_windows`). In eval mode ``forward`` equals ``head(encode_steps(...))``.

Inputs: ``video`` (B, S, 3, F, H, W) uint8 0-255 or float 0-1 RGB crops; ``imu`` (B, S, P, C)
float in the contract's units; ``context`` (B, S, K) float, NaN where unknown; ``mask`` (B, S, M)
bool, True where the modality is available for that step. Any input may be None (that modality
is then missing everywhere and its encoder does not run); an empty video (B, S, 3, F, 0, 0)
counts as None. Normalisation (config ``norm``) is done inside the network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn

from footcoach.ml.config import MODALITIES, ModelConfig, NormStats
from footcoach.ml.encoders import (
    AdditiveAttention,
    ContextEncoder,
    ImuEncoder,
    ModalityFusion,
    VideoEncoder,
    masked_softmax,
)


class StepFeatures(NamedTuple):
    """Output of :meth:`FootcoachNet.encode_steps`.

    ``features`` (B, S, D) fused step features; ``modality_weights`` (B, S, M) (0 for a missing
    modality, the rest sum to 1); ``step_mask`` (B, S) bool, True where any modality was present.
    """

    features: Tensor
    modality_weights: Tensor
    step_mask: Tensor


class FootcoachOutput(NamedTuple):
    """Predictions for B windows.

    ``action_logits`` (B, 12) and ``tactic_logits`` (B, 8) are unnormalised (softmax gives
    probabilities); ``quality`` (B,) in points 0-100; ``modality_weights`` (B, S, M) per step;
    ``time_weights`` (B, S) the temporal attention (uniform over valid steps for ``cnn``, one-hot
    on the last step for ``cnn_lstm``).
    """

    action_logits: Tensor
    tactic_logits: Tensor
    quality: Tensor
    modality_weights: Tensor
    time_weights: Tensor


def _stats(values: tuple[float, ...], shape: tuple[int, ...]) -> Tensor:
    return torch.tensor(values, dtype=torch.float32).reshape(shape)


def _bin_starts_widths(edges: tuple[tuple[float, ...], ...], k: int, bins: int
                       ) -> tuple[Tensor, Tensor]:
    """Bin starts and widths (1, K, T) of the piecewise-linear context encoding (T = ``bins``;
    (1, K, 0) when off). A zero-width bin (repeated quantile, e.g. a 0/1 flag) becomes a step at
    its edge: its width is floored at 1e-6 feature units."""
    if bins == 0:
        return torch.zeros(1, k, 0), torch.ones(1, k, 0)
    e = torch.tensor(edges, dtype=torch.float64).reshape(1, k, bins + 1)
    return e[..., :-1].float(), (e[..., 1:] - e[..., :-1]).clamp_min(1e-6).float()


def _none_if_empty(video: Tensor | None) -> Tensor | None:
    """An empty video (B, S, 3, F, 0, 0), as a dataset gives when it skips the crops, is None."""
    return None if video is None or video.shape[-1] == 0 else video


class StepEncoder(nn.Module):
    """Per-step encoder: ``forward(video, imu, context, mask) -> StepFeatures`` (see the module
    docstring for shapes)."""

    video_mean: Tensor
    video_std: Tensor
    imu_mean: Tensor
    imu_std: Tensor
    context_mean: Tensor
    context_std: Tensor
    context_bin_lo: Tensor
    context_bin_width: Tensor
    built: Tensor

    def __init__(self, config: ModelConfig):
        super().__init__()
        cfg, w, n = config, config.window, config.norm_stats
        self.latent_dim = cfg.latent_dim
        self.frames, self.crop_px = w.frames_per_step, w.crop_px
        self.imu_samples, self.imu_channels = w.imu_per_step, cfg.imu_in_channels
        self.n_context = cfg.n_context
        # normalisation constants come from the config, not the state dict (persistent=False)
        self.register_buffer("video_mean", _stats(n.video_mean, (1, 3, 1, 1, 1)), persistent=False)
        self.register_buffer("video_std", _stats(n.video_std, (1, 3, 1, 1, 1)), persistent=False)
        c, k = cfg.imu_in_channels, cfg.n_context
        self.register_buffer("imu_mean", _stats(n.imu_mean, (1, 1, c)), persistent=False)
        self.register_buffer("imu_std", _stats(n.imu_std, (1, 1, c)), persistent=False)
        self.register_buffer("context_mean", _stats(n.context_mean, (1, k)), persistent=False)
        self.register_buffer("context_std", _stats(n.context_std, (1, k)), persistent=False)
        self.context_bins = cfg.context_bins
        lo, width = _bin_starts_widths(n.context_edges, k, cfg.context_bins)
        self.register_buffer("context_bin_lo", lo, persistent=False)
        self.register_buffer("context_bin_width", width, persistent=False)
        self.register_buffer("built", torch.tensor([m in cfg.modalities for m in MODALITIES]),
                             persistent=False)
        self.video = (VideoEncoder(self.frames, self.crop_px, cfg.video_channels, cfg.latent_dim,
                                   cfg.cnn_dropout, cfg.video_stride)
                      if "video" in cfg.modalities else None)
        self.imu = (ImuEncoder(c, self.imu_samples, cfg.imu_channels, cfg.latent_dim,
                               cfg.cnn_dropout) if "imu" in cfg.modalities else None)
        self.context = (ContextEncoder(k, cfg.context_hidden, cfg.latent_dim, cfg.context_bins)
                        if "context" in cfg.modalities else None)
        self.fusion = ModalityFusion(cfg.latent_dim, len(MODALITIES), cfg.uses_attention)

    def _check(self, video: Tensor | None, imu: Tensor | None, context: Tensor | None) -> None:
        expect = {"video": (3, self.frames, self.crop_px, self.crop_px),
                  "imu": (self.imu_samples, self.imu_channels), "context": (self.n_context,)}
        for name, x in (("video", video), ("imu", imu), ("context", context)):
            if x is not None and (x.dim() != 2 + len(expect[name])
                                  or tuple(x.shape[2:]) != expect[name]):
                raise ValueError(f"{name} input has shape {tuple(x.shape)}, expected "
                                 f"(B, S, {', '.join(map(str, expect[name]))})")

    def forward(self, video: Tensor | None = None, imu: Tensor | None = None,
                context: Tensor | None = None, mask: Tensor | None = None) -> StepFeatures:
        video = _none_if_empty(video)
        self._check(video, imu, context)
        mask = self.resolve_mask(video, imu, context, mask)
        b, s = mask.shape[0], mask.shape[1]
        flat = mask.reshape(b * s, len(MODALITIES))
        zeros = torch.zeros(b * s, self.latent_dim, device=mask.device)
        embs = [self._branch(fn, x, flat[:, i]) if x is not None and enc is not None else zeros
                for i, (fn, x, enc) in enumerate(((self._video, video, self.video),
                                                  (self._imu, imu, self.imu),
                                                  (self._context, context, self.context)))]
        emb = torch.stack(embs, dim=1)  # (B*S, M, D)
        fused, weights = self.fusion(emb, flat)
        return StepFeatures(fused.reshape(b, s, -1), weights.reshape(b, s, -1), mask.any(dim=-1))

    def _branch(self, encode: Callable[[Tensor], Tensor], x: Tensor, available: Tensor
                ) -> Tensor:
        """Run one modality encoder on ``x`` (B, S, ...) -> (B*S, D).

        In training, only the steps where the modality is available are encoded (hidden or
        missing steps would cost time and skew the BatchNorm statistics); in eval every step is
        encoded (BatchNorm then works per sample, and the graph stays export-friendly).
        """
        flat = x.flatten(0, 1)
        if not self.training:
            return encode(flat)
        keep = available.nonzero().squeeze(1)
        if keep.numel() == 0:
            return flat.new_zeros((flat.shape[0], self.latent_dim), dtype=torch.float32)
        if keep.numel() == 1 or keep.numel() == flat.shape[0]:  # BatchNorm needs 2 samples
            return encode(flat)
        part = encode(flat.index_select(0, keep))
        return part.new_zeros((flat.shape[0], part.shape[1])).index_copy(0, keep, part)

    def _given(self, video: Tensor | None, imu: Tensor | None, context: Tensor | None
               ) -> list[bool]:
        return [video is not None and self.video is not None,
                imu is not None and self.imu is not None,
                context is not None and self.context is not None]

    def resolve_mask(self, video: Tensor | None, imu: Tensor | None, context: Tensor | None,
                     mask: Tensor | None) -> Tensor:
        """The effective availability mask (B, S, M): ``mask`` (all True when None) and-ed with
        "the input was given and its encoder is built"."""
        video = _none_if_empty(video)
        ref = next((x for x in (video, imu, context) if x is not None), None)
        if ref is None:
            raise ValueError("no input given: pass at least one of video, imu, context")
        avail = torch.tensor(self._given(video, imu, context), device=ref.device) & self.built
        if mask is None:
            return avail.expand(ref.shape[0], ref.shape[1], len(MODALITIES))
        return mask.bool() & avail

    def _video(self, x: Tensor) -> Tensor:
        """(N, 3, F, H, W) uint8 or float 0..1 -> (N, D)."""
        assert self.video is not None
        scale = (255.0 * self.video_std if x.dtype == torch.uint8 else self.video_std).reciprocal()
        # (x / 255 - mean) / std in one pass, laid out channels-last (faster 3D conv/pool on CPU)
        x = x.contiguous(memory_format=torch.channels_last_3d).float()
        return self.video(torch.addcmul(-self.video_mean / self.video_std, x, scale))

    def _imu(self, x: Tensor) -> Tensor:
        """(N, P, C) -> (N, D)."""
        assert self.imu is not None
        x = (x.float() - self.imu_mean) / self.imu_std
        x = torch.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        return self.imu(x.transpose(1, 2))

    def _context(self, x: Tensor) -> Tensor:
        """(N, K) -> (N, D)."""
        assert self.context is not None
        x = x.float()
        missing = torch.isnan(x)
        z = torch.where(missing, torch.zeros_like(x), (x - self.context_mean) / self.context_std)
        parts = [z]
        if self.context_bins:  # piecewise-linear encoding: (N, K, T) in 0..1, 0 where missing
            ple = ((x.unsqueeze(-1) - self.context_bin_lo) / self.context_bin_width).clamp(0, 1)
            ple = torch.where(missing.unsqueeze(-1), torch.zeros_like(ple), ple)
            parts.append(ple.flatten(1))
        parts.append(missing.float())
        return self.context(torch.cat(parts, dim=-1))


class WindowHead(nn.Module):
    """Window head: ``forward(features (B, S, D), step_mask (B, S) | None)`` ->
    ``(action_logits (B, 12), tactic_logits (B, 8), quality (B,), time_weights (B, S))``.

    ``full``/``cnn_lstm_attn``: LSTM (``lstm_layers`` x ``lstm_hidden``, dropout between layers;
    H = ``2 * lstm_hidden`` with ``lstm_bidirectional``) then additive temporal attention
    ``e_t = v^T tanh(W h_t + b)``, ``alpha = softmax_t(e)``,
    ``f* = sum_t alpha_t h_t`` (steps with no modality are excluded); with ``time_prior``,
    ``e_t + b_k`` where ``b`` is a learned bias per window step and ``k`` the step's place
    counted from the window centre (clamped at the window's ends, so longer inputs still
    work). ``cnn_lstm``: the last
    hidden state. ``cnn``: no LSTM, the mean of the valid step features. Quality is
    ``100 * sigmoid(z)``: bounded to 0-100 points, trained with MSE on the 0-1 scale. In
    training, the tactic head passes only ``config.loss.tactic_shared`` of its gradient back to
    the pooled feature (1: all of it, the paper's joint loss).
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.mode = config.ablation
        self.lstm = (nn.LSTM(config.latent_dim, config.lstm_hidden, num_layers=config.lstm_layers,
                             batch_first=True, bidirectional=config.lstm_bidirectional,
                             dropout=config.lstm_dropout if config.lstm_layers > 1 else 0.0)
                     if config.uses_lstm else None)
        directions = 2 if config.lstm_bidirectional else 1
        dim = config.lstm_hidden * directions if config.uses_lstm else config.latent_dim
        self.attention = (AdditiveAttention(dim, config.lstm_hidden // 2)
                          if config.uses_attention else None)
        self.window_steps = config.window.window_steps
        self.time_prior = (nn.Parameter(torch.zeros(self.window_steps))
                           if config.time_prior and config.uses_attention else None)
        self.dropout = nn.Dropout(config.head_dropout)
        h = config.head_hidden
        self.action = nn.Sequential(nn.Linear(dim, h), nn.ReLU(),
                                    nn.Linear(h, len(config.action_labels)))
        self.tactic = nn.Sequential(nn.Linear(dim, h), nn.ReLU(),
                                    nn.Linear(h, len(config.tactic_labels)))
        self.quality = nn.Sequential(nn.Linear(dim, h), nn.ReLU(), nn.Linear(h, 1))
        self.tactic_shared = config.loss.tactic_shared

    def forward(self, features: Tensor, step_mask: Tensor | None = None
                ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        if step_mask is None:
            step_mask = torch.ones(features.shape[:2], dtype=torch.bool, device=features.device)
        seq = features if self.lstm is None else self.lstm(features)[0]  # (B, S, H)
        if self.attention is not None:
            time_w = self.attention(seq, step_mask, self._time_bias(seq.shape[1], seq.device))
        elif self.lstm is not None:  # last hidden state
            steps = torch.arange(seq.shape[1], device=seq.device)
            time_w = (steps == seq.shape[1] - 1).to(seq.dtype).expand(seq.shape[0], -1)
        else:  # mean over the valid steps
            time_w = masked_softmax(torch.zeros_like(step_mask, dtype=seq.dtype), step_mask)
        pooled = self.dropout((time_w.unsqueeze(-1) * seq).sum(dim=1))
        quality = 100.0 * torch.sigmoid(self.quality(pooled).squeeze(-1))
        return self.action(pooled), self.tactic(self._tactic_input(pooled)), quality, time_w

    def _tactic_input(self, pooled: Tensor) -> Tensor:
        """``pooled`` (B, H) as the tactic head reads it: the same values, and in training only
        ``tactic_shared`` of the tactic gradient flows back into the shared layers."""
        g = self.tactic_shared
        if not self.training or g >= 1.0:
            return pooled
        if g <= 0.0:
            return pooled.detach()
        return g * pooled + (1.0 - g) * pooled.detach()

    def _time_bias(self, s: int, device: torch.device) -> Tensor | None:
        """(S,) the learned prior of each of ``s`` steps, aligned on the window centre (step
        ``s // 2`` takes the bias of step ``window_steps // 2``), or None without the prior."""
        if self.time_prior is None:
            return None
        place = torch.arange(s, device=device) - s // 2 + self.window_steps // 2
        return self.time_prior[place.clamp(0, self.window_steps - 1)]


def modality_dropout(mask: Tensor, p: float, generator: torch.Generator | None = None) -> Tensor:
    """Hide each modality of each window with probability ``p`` (training augmentation).

    ``mask`` (B, S, M) bool -> (B, S, M) bool. A window never loses all of the modalities it
    has: where the draw would hide every available one, that window is left as it was.
    """
    if p <= 0.0:
        return mask
    b, _, m = mask.shape
    keep = torch.rand(b, m, generator=generator, device=mask.device) >= p
    present = mask.any(dim=1)
    keep = torch.where((keep & present).any(dim=-1, keepdim=True), keep, torch.ones_like(keep))
    return mask & keep.unsqueeze(1)


def corrupt_modalities(imu: Tensor | None, context: Tensor | None, mask: Tensor, p: float,
                       norm: NormStats, generator: torch.Generator | None = None,
                       candidates: Sequence[str] = ("imu", "context")
                       ) -> tuple[Tensor | None, Tensor | None]:
    """Give a sensor wrong data: training augmentation (config ``modality_corruption``) and the
    corrupted conditions of ``benchmarks/modality_robustness.py``.

    With probability ``p`` per window, one of the window's available modalities among
    ``candidates`` (IMU and context; drawn at random when both are there) is replaced at every
    step by noise with the training statistics (``mean + std * N(0, 1)`` per channel of
    ``norm``) while its mask stays True, as from a vest that slipped or a GPS unit with
    multipath: only the data can tell the network that it is wrong. A window with fewer than
    two available modalities keeps its data (nothing right would be left to read). Context
    features that are NaN (hidden) stay NaN. ``imu`` (B, S, T, C), ``context`` (B, S, F),
    ``mask`` (B, S, M) bool -> ``(imu, context)``, new tensors where changed.
    """
    if p <= 0.0 or (imu is None and context is None):
        return imu, context
    b, device = mask.shape[0], mask.device
    available = mask.any(dim=1)  # (B, M)
    none = torch.zeros(b, dtype=torch.bool, device=device)
    have_imu = (available[:, MODALITIES.index("imu")]
                if imu is not None and "imu" in candidates else none)
    have_ctx = (available[:, MODALITIES.index("context")]
                if context is not None and "context" in candidates else none)
    hit = (torch.rand(b, generator=generator, device=device) < p) & (available.sum(-1) >= 2)
    pick_imu = torch.rand(b, generator=generator, device=device) < 0.5
    do_imu = hit & have_imu & (pick_imu | ~have_ctx)
    do_ctx = hit & have_ctx & ~do_imu

    def noise(x: Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> Tensor:
        m = torch.tensor(mean, dtype=x.dtype, device=x.device)
        sd = torch.tensor(std, dtype=x.dtype, device=x.device)
        return m + sd * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)

    if imu is not None and bool(do_imu.any()):
        imu = torch.where(do_imu.view(-1, 1, 1, 1), noise(imu, norm.imu_mean, norm.imu_std), imu)
    if context is not None and bool(do_ctx.any()):
        swap = do_ctx.view(-1, 1, 1) & ~torch.isnan(context)
        context = torch.where(swap, noise(context, norm.context_mean, norm.context_std), context)
    return imu, context


def rotate_vests(imu: Tensor, degrees: float | Tensor, generator: torch.Generator | None = None,
                 axis: Sequence[float] | None = None) -> Tensor:
    """Turn each window's vest by ``degrees`` about an axis drawn uniformly on the sphere (or
    about ``axis`` (3,) when given): the same motion measured by a vest worn or slipped at
    another angle (training augmentation, config ``imu_rotation`` and ``imu_yaw``, and
    ``footcoach evaluate --vest-rotation``).

    ``imu`` (B, S, T, C) in the vest frame, C a multiple of 3 (the x, y, z of the
    accelerometer, the gyroscope and the magnetometer, ``IMU_CHANNELS``); ``degrees`` a float
    or (B,) per window. Every step and every sensor of a window gets the same rotation.
    Returns a rotated copy (NaN samples stay NaN).
    """
    b, c = imu.shape[0], imu.shape[-1]
    if c % 3:
        raise ValueError(f"rotate_vests needs x/y/z channel triads, got {c} channels")
    u = (torch.randn(b, 3, generator=generator, device=imu.device) if axis is None
         else torch.as_tensor(axis, dtype=torch.float32, device=imu.device).expand(b, 3))
    u = u / u.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    angle = torch.deg2rad(torch.as_tensor(degrees, dtype=torch.float32, device=imu.device)
                          ).expand(b)
    k = torch.zeros(b, 3, 3, device=imu.device)  # cross-product matrix of the axis
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -u[:, 2], u[:, 1], -u[:, 0]
    k = k - k.transpose(1, 2)
    eye = torch.eye(3, device=imu.device).expand(b, 3, 3)
    rot = (eye + torch.sin(angle)[:, None, None] * k
           + (1 - torch.cos(angle))[:, None, None] * (k @ k))  # Rodrigues: (B, 3, 3)
    triads = imu.float().reshape(*imu.shape[:-1], c // 3, 3)
    return torch.einsum("bij,bstkj->bstki", rot, triads).reshape(imu.shape).to(imu.dtype)


def hide_features(context: Tensor, columns: Sequence[int], p: float,
                  generator: torch.Generator | None = None) -> Tensor:
    """Hide the context ``columns`` of each window with probability ``p`` (all steps of the
    window together; training augmentation, e.g. the ball features: the model must also work
    without a ball track). ``p`` >= 1 hides them in every window (evaluation without them).

    ``context`` (B, S, K) float -> a copy with NaN (unknown) in the hidden places.
    """
    if p <= 0.0 or not len(columns):
        return context
    cols = torch.as_tensor(list(columns), dtype=torch.long, device=context.device)
    hide = (torch.ones(context.shape[0], dtype=torch.bool, device=context.device) if p >= 1.0
            else torch.rand(context.shape[0], generator=generator, device=context.device) < p)
    out = context.clone()
    sel = out[:, :, cols]
    out[:, :, cols] = torch.where(hide[:, None, None], torch.full_like(sel, float("nan")), sel)
    return out


def sliding_windows(x: Tensor, window_steps: int) -> Tensor:
    """All windows of ``window_steps`` consecutive steps, sliding by one step.

    ``x`` (N, ...) per-step values of one stream -> (N - window_steps + 1, window_steps, ...), a
    view (no copy); window i covers steps i .. i + window_steps - 1.
    """
    if x.shape[0] < window_steps:
        raise ValueError(f"{x.shape[0]} steps, fewer than one window of {window_steps}")
    return x.unfold(0, window_steps, 1).movedim(-1, 1)


class FootcoachNet(nn.Module):
    """The whole network (module docstring). Build with ``FootcoachNet(ModelConfig(...))``."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.members != 1:
            raise ValueError(f"a config of {config.members} members builds an EnsembleNet "
                             "(build_network)")
        self.config = config
        self.encoder = StepEncoder(config)
        self.window_head = WindowHead(config)

    def encode_steps(self, video: Tensor | None = None, imu: Tensor | None = None,
                     context: Tensor | None = None, mask: Tensor | None = None) -> StepFeatures:
        """Encode every step independently: inputs (B, S, ...) -> :class:`StepFeatures`."""
        return self.encoder(video, imu, context, mask)

    def head(self, features: Tensor, step_mask: Tensor | None = None,
             modality_weights: Tensor | None = None) -> FootcoachOutput:
        """Predict from cached step features (B, S, D) of B windows.

        ``step_mask`` (B, S) and ``modality_weights`` (B, S, M) come from :meth:`encode_steps`;
        the weights are passed through to the output (zeros when None).
        """
        action, tactic, quality, time_w = self.window_head(features, step_mask)
        if modality_weights is None:
            modality_weights = features.new_zeros(*features.shape[:2], len(MODALITIES))
        return FootcoachOutput(action, tactic, quality, modality_weights, time_w)

    def forward(self, video: Tensor | None = None, imu: Tensor | None = None,
                context: Tensor | None = None, mask: Tensor | None = None) -> FootcoachOutput:
        """Windows (B, S, ...) -> :class:`FootcoachOutput`. In training mode, modalities are
        hidden at random per window (config ``modality_dropout``), then one of a window's
        remaining ones may be given noise (config ``modality_corruption``), and each window's
        vest is turned by up to ``imu_yaw`` degrees either way about its upright direction,
        then by up to ``imu_rotation`` degrees about a random axis."""
        cfg = self.config
        if self.training and cfg.imu_yaw > 0 and imu is not None:
            imu = rotate_vests(imu, (2 * torch.rand(imu.shape[0], device=imu.device) - 1)
                               * cfg.imu_yaw, axis=cfg.vest_upright or (0.0, 0.0, 1.0))
        if self.training and cfg.imu_rotation > 0 and imu is not None:
            imu = rotate_vests(imu, torch.rand(imu.shape[0], device=imu.device)
                               * cfg.imu_rotation)
        if self.training and (cfg.modality_dropout > 0 or cfg.modality_corruption > 0):
            mask = self.encoder.resolve_mask(video, imu, context, mask)
            mask = modality_dropout(mask, cfg.modality_dropout)
            norm = cfg.norm or NormStats.identity(cfg.imu_in_channels,
                                                  len(cfg.window.context_features))
            imu, context = corrupt_modalities(imu, context, mask, cfg.modality_corruption, norm)
        steps = self.encode_steps(video, imu, context, mask)
        return self.head(steps.features, steps.step_mask, steps.modality_weights)


class EnsembleNet(nn.Module):
    """``config.members`` networks of one config (trained apart, other seeds) that answer as one.

    Member i is built from ``config.member_config(i)`` (its own input normalisation).
    :meth:`encode_steps` runs every member's step encoder: ``features`` (B, S, members * D), the
    members' features side by side (member i in ``[..., i * D:(i + 1) * D]``), ``modality_weights``
    (B, S, M) their mean, ``step_mask`` (B, S) the first member's (the same for all: it only
    depends on the inputs). :meth:`head` splits the features again and runs every member's window
    head: ``action_logits`` (B, 12) and ``tactic_logits`` (B, 8) are the log of the members' mean
    probabilities (so softmax gives that mean), ``quality`` (B,) and ``time_weights`` (B, S) the
    members' means. Analysis and both engines use it like a :class:`FootcoachNet`. An ensemble is
    not trained as a whole: each member is trained by ``footcoach train`` and the trained folders
    are combined by ``footcoach ensemble`` (:func:`footcoach.ml.weights.combine_models`).
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.members < 2:
            raise ValueError(f"an ensemble needs at least 2 members, not {config.members}")
        self.config = config
        self.members = nn.ModuleList(FootcoachNet(config.member_config(i))
                                     for i in range(config.members))

    def _nets(self) -> list[FootcoachNet]:
        return [m for m in self.members if isinstance(m, FootcoachNet)]

    def encode_steps(self, video: Tensor | None = None, imu: Tensor | None = None,
                     context: Tensor | None = None, mask: Tensor | None = None) -> StepFeatures:
        """Every member encodes every step: inputs (B, S, ...) -> :class:`StepFeatures` with
        features (B, S, members * D)."""
        outs = [net.encode_steps(video, imu, context, mask) for net in self._nets()]
        weights = torch.stack([o.modality_weights for o in outs]).mean(dim=0)
        return StepFeatures(torch.cat([o.features for o in outs], dim=-1), weights,
                            outs[0].step_mask)

    def head(self, features: Tensor, step_mask: Tensor | None = None,
             modality_weights: Tensor | None = None) -> FootcoachOutput:
        """Predict from cached step features (B, S, members * D) of B windows (class docstring)."""
        parts = features.chunk(self.config.members, dim=-1)
        outs = [net.head(part, step_mask, modality_weights)
                for net, part in zip(self._nets(), parts, strict=True)]

        def mean_log_probs(logits: list[Tensor]) -> Tensor:
            probs = torch.stack([torch.softmax(x, dim=-1) for x in logits]).mean(dim=0)
            return torch.log(probs.clamp_min(1e-12))

        return FootcoachOutput(
            mean_log_probs([o.action_logits for o in outs]),
            mean_log_probs([o.tactic_logits for o in outs]),
            torch.stack([o.quality for o in outs]).mean(dim=0), outs[0].modality_weights,
            torch.stack([o.time_weights for o in outs]).mean(dim=0))

    def forward(self, video: Tensor | None = None, imu: Tensor | None = None,
                context: Tensor | None = None, mask: Tensor | None = None) -> FootcoachOutput:
        """Windows (B, S, ...) -> :class:`FootcoachOutput` (as ``head(encode_steps(...))``)."""
        steps = self.encode_steps(video, imu, context, mask)
        return self.head(steps.features, steps.step_mask, steps.modality_weights)


#: What :func:`build_network` gives: one network, or an ensemble of them.
Network = FootcoachNet | EnsembleNet


def build_network(config: ModelConfig) -> Network:
    """A fresh :class:`FootcoachNet`, or an :class:`EnsembleNet` when ``config.members`` > 1."""
    return EnsembleNet(config) if config.members > 1 else FootcoachNet(config)


def parameter_count(model: nn.Module) -> int:
    """Number of parameters (the model's size, whether or not a run trains them all)."""
    return sum(p.numel() for p in model.parameters())
