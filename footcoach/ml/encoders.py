"""Building blocks of the network: per-modality CNN encoders, additive attention, augmentation.

Shapes use N for "batch x steps" (the step encoders see each step on its own), D for the latent
size. Each encoder ends in a linear projection to D and a LayerNorm, so the modality embeddings
live on one scale before modality attention weighs them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchvision import tv_tensors
from torchvision.ops import MLP, Conv3dNormActivation
from torchvision.ops.misc import ConvNormActivation
from torchvision.transforms import v2

#: Fill value for masked attention scores: finite (an all-masked row must give zeros, not NaN)
#: and far below any real score (scores are bounded by ``|v|_1`` through tanh).
_MASKED_SCORE = -1.0e4


def masked_softmax(scores: Tensor, mask: Tensor, dim: int = -1) -> Tensor:
    """Softmax of ``scores`` along ``dim`` over the entries where ``mask`` is True.

    Masked entries get exactly 0 and the rest sum to 1; a row with no True entry is all 0.
    ``scores`` float (..., M); ``mask`` bool of the same shape.
    """
    filled = scores.masked_fill(~mask, _MASKED_SCORE)
    weights = torch.softmax(filled, dim=dim) * mask.to(scores.dtype)
    return weights / weights.sum(dim=dim, keepdim=True).clamp_min(1e-12)


class AdditiveAttention(nn.Module):
    """Additive (Bahdanau) scores ``e = v^T tanh(W x + b)`` (PAPER.md, "Network").

    ``forward(x (..., M, F), mask (..., M) bool) -> weights (..., M)``, a masked softmax over M.
    """

    def __init__(self, in_dim: int, hidden: int, n_positions_bias: int = 0):
        super().__init__()
        self.proj = nn.Linear(in_dim, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)
        # optional learned prior per position (used over modalities: a per-modality bias)
        self.prior = nn.Parameter(torch.zeros(n_positions_bias)) if n_positions_bias else None

    def forward(self, x: Tensor, mask: Tensor, bias: Tensor | None = None) -> Tensor:
        """``bias`` (M,) or broadcastable: added to the scores (e.g. a prior per time step)."""
        scores = self.v(torch.tanh(self.proj(x))).squeeze(-1)
        if self.prior is not None:
            scores = scores + self.prior
        if bias is not None:
            scores = scores + bias
        return masked_softmax(scores, mask, dim=-1)


class VideoEncoder(nn.Module):
    """Player-centred crops of one step -> embedding. ``(N, 3, F, H, W)`` normalised -> ``(N, D)``.

    Per the paper: blocks of 3D convolution + BatchNorm + ReLU + max-pool + dropout, here with
    small channel counts (``channels``, e.g. 8/32/64). The first block's convolution moves
    ``stride`` pixels at a time in H and W (the paper's stride 1 is ``stride=1``; 2 divides the
    cost of the first two blocks by 4, see ``ModelConfig.video_stride``); the others have
    stride 1. Every block halves H and W; time is halved while at least 2 frames remain, and
    once one frame is left the kernel becomes 1x3x3 (a 3-frame kernel would only see zero
    padding). The output is average-pooled over time and to a 2x2 spatial grid (keeping where
    in the crop things happen), flattened and projected to D.
    """

    def __init__(self, frames: int, crop_px: int, channels: tuple[int, ...], latent_dim: int,
                 dropout: float, stride: int = 1):
        super().__init__()
        layers: list[nn.Module] = []
        t, h, c_in = frames, crop_px, 3
        for k, c_out in enumerate(channels):
            kt = 3 if t >= 2 else 1
            st = stride if k == 0 else 1
            h = (h - 1) // st + 1  # 3x3 kernel, padding 1
            pt, ps = (2 if t >= 2 else 1), (2 if h >= 2 else 1)
            layers += [
                Conv3dNormActivation(c_in, c_out, kernel_size=(kt, 3, 3), stride=(1, st, st),
                                     norm_layer=nn.BatchNorm3d, activation_layer=nn.ReLU),
                nn.MaxPool3d((pt, ps, ps)),
                nn.Dropout(dropout),
            ]
            t, h, c_in = t // pt, h // ps, c_out
        grid = 2 if h >= 2 and h % 2 == 0 else 1
        self.features = nn.Sequential(*layers)
        # a fixed-size average pool (sizes are known here; ONNX has no adaptive 3D pooling)
        self.pool = nn.AvgPool3d((t, h // grid, h // grid))
        self.proj = nn.Sequential(nn.Flatten(), nn.Linear(c_in * grid * grid, latent_dim),
                                  nn.LayerNorm(latent_dim))

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(self.pool(self.features(x)))


class Conv1dNormActivation(ConvNormActivation):
    """Conv1d + BatchNorm1d + ReLU (the 1D sibling of torchvision's Conv3dNormActivation)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__(in_channels, out_channels, kernel_size, stride=1,
                         padding=(kernel_size - 1) // 2, conv_layer=nn.Conv1d,
                         norm_layer=nn.BatchNorm1d, activation_layer=nn.ReLU)


class ImuEncoder(nn.Module):
    """IMU samples of one step -> embedding. ``(N, C, P)`` normalised -> ``(N, D)``.

    The paper says "3D convolution" for the sensor branch too; over a (time x 9 channels) signal
    the sensible reading is a 1D convolution over time with the 9 channels as input channels, which
    is what this is: blocks of Conv1d (kernel 5, stride 1) + BatchNorm + ReLU + max-pool 2 +
    dropout, then the mean and the max over time (the max keeps short impulses such as a kick)
    concatenated and projected to D.
    """

    def __init__(self, in_channels: int, samples: int, channels: tuple[int, ...], latent_dim: int,
                 dropout: float):
        super().__init__()
        layers: list[nn.Module] = []
        n, c_in = samples, in_channels
        for c_out in channels:
            p = 2 if n >= 2 else 1
            layers += [
                Conv1dNormActivation(c_in, c_out, kernel_size=5),
                nn.MaxPool1d(p),
                nn.Dropout(dropout),
            ]
            n, c_in = n // p, c_out
        self.features = nn.Sequential(*layers)
        self.proj = nn.Sequential(nn.Linear(2 * c_in, latent_dim), nn.LayerNorm(latent_dim))

    def forward(self, x: Tensor) -> Tensor:
        h = self.features(x)
        return self.proj(torch.cat([h.mean(dim=-1), h.amax(dim=-1)], dim=-1))


class ContextEncoder(nn.Module):
    """Position/context features of one step -> embedding. ``(N, (2 + T) K)`` -> ``(N, D)``.

    The input is the K standardised features (NaN replaced by 0), then, with ``bins`` T > 0, their
    piecewise-linear encodings (K x T values in 0..1: how far each feature has climbed through
    each of its T quantile bins; 0 where missing), then K missing-value flags (1 where the feature
    was NaN, e.g. no ball track), so the encoder knows a 0 from a gap. The binned form lets a
    small MLP cut a feature at thresholds, as the trees of a gradient-boosting model do.
    """

    def __init__(self, n_features: int, hidden: int, latent_dim: int, bins: int = 0):
        super().__init__()
        self.mlp = MLP((2 + bins) * n_features, [hidden, latent_dim], activation_layer=nn.ReLU)
        self.norm = nn.LayerNorm(latent_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.mlp(x))


class ModalityFusion(nn.Module):
    """Weighs the modality embeddings of each step into one step feature.

    ``forward(emb (N, M, D), mask (N, M) bool) -> (fused (N, D), weights (N, M))``.
    With ``attention`` the weights are an additive-attention softmax over the available modalities
    (a missing one gets exactly 0, the rest renormalise to 1); without it every available modality
    gets the same weight (the masked mean; the ``cnn`` and ``cnn_lstm`` ablations).
    """

    def __init__(self, latent_dim: int, n_modalities: int, attention: bool, hidden: int = 64):
        super().__init__()
        self.attention = (AdditiveAttention(latent_dim, hidden, n_modalities)
                          if attention else None)

    def forward(self, emb: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        emb = emb.masked_fill(~mask.unsqueeze(-1), 0.0)  # a hidden modality cannot leak through
        if self.attention is not None:
            weights = self.attention(emb, mask)
        else:
            weights = masked_softmax(torch.zeros_like(mask, dtype=emb.dtype), mask, dim=-1)
        fused = (weights.unsqueeze(-1) * emb).sum(dim=1)
        return fused, weights


def video_augment(crop_px: int = 64, *, strength: float = 1.0) -> v2.Compose:
    """Training augmentation of player-centred crops, as a ``torchvision.transforms.v2`` pipeline.

    Input: a video ``(..., T, 3, H, W)`` uint8 (0-255) or float (0-1) tensor or
    ``tv_tensors.Video``; all T frames get the same random parameters (crop, colour), so motion
    stays consistent. Output: float32 0..1 of size ``crop_px``. Steps: a random resized crop
    (80-100% of the area, aspect 0.9-1.1: tracking jitter and player size), colour jitter
    (brightness, contrast, saturation: light, kits, camera), an occasional blur (motion, focus)
    and random erasing (occlusion by other players). No horizontal flip: it would contradict the
    IMU and heading of the sample. No hue jitter: its RGB-HSV round trip cost 34 ms of the 66 ms
    per window (8 steps x 4 frames, one core), which made the data loader the bottleneck of CPU
    training, for a small shift of kit colours.
    Use :func:`augment_steps` for the network's ``(S, 3, F, H, W)`` layout. ``strength`` 0 turns
    the random parts off (0..1 scales jitter and probabilities).
    """
    s = max(0.0, min(1.0, float(strength)))
    return v2.Compose([
        v2.ToDtype(torch.float32, scale=True),
        v2.RandomResizedCrop(crop_px, scale=(1.0 - 0.2 * s, 1.0), ratio=(1 - 0.1 * s, 1 + 0.1 * s),
                             antialias=True),
        v2.ColorJitter(brightness=0.3 * s, contrast=0.3 * s, saturation=0.3 * s),
        v2.RandomApply([v2.GaussianBlur(kernel_size=5, sigma=(0.1, 1.5))], p=0.2 * s),
        v2.RandomErasing(p=0.25 * s, scale=(0.02, 0.15), value=0.0),
    ])


def augment_steps(video: Tensor, transform: v2.Compose) -> Tensor:
    """Apply ``transform`` to one window's crops ``(S, 3, F, H, W)`` -> ``(S, 3, F, crop, crop)``.

    The S x F frames are treated as one clip (same random parameters for the whole window).
    """
    s, c, f, h, w = video.shape
    frames = tv_tensors.Video(video.permute(0, 2, 1, 3, 4).reshape(s * f, c, h, w))
    out = transform(frames)
    return out.reshape(s, f, c, out.shape[-2], out.shape[-1]).permute(0, 2, 1, 3, 4).contiguous()
