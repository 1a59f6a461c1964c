"""Normalisation statistics of a training split (numpy only: no torch here).

:func:`norm_stats` gives the IMU and context means and standard deviations (and, optionally,
each context feature's quantile bin edges) that a new model's :class:`NormStats` stores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import DatasetFile
from footcoach.ml.config import NormStats

_STD_FLOOR = 1e-3


def _stats(values: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-column mean and std (floored) of (n, C) values with NaN for unknown."""
    c = values.shape[1]
    with np.errstate(invalid="ignore"):
        n = np.isfinite(values).sum(axis=0)
        mean = np.where(n > 0, np.nanmean(np.where(n > 0, values, 0.0), axis=0), 0.0)
        std = np.where(n > 1, np.nanstd(np.where(n > 0, values, 0.0), axis=0), 1.0)
    std = np.where(np.isfinite(std) & (std > _STD_FLOOR), std, np.where(n > 1, _STD_FLOOR, 1.0))
    mean = np.where(np.isfinite(mean), mean, 0.0)
    return tuple(float(x) for x in mean.reshape(c)), tuple(float(x) for x in std.reshape(c))


def _quantile_edges(values: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...],
                    bins: int) -> tuple[tuple[float, ...], ...]:
    """``bins + 1`` quantiles of each column of ``values`` (N, K) over its finite entries; a
    column with none gets edges spread over mean +/- 2 std."""
    q = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for j in range(values.shape[1]):
        col = values[:, j][np.isfinite(values[:, j])]
        row = (np.quantile(col, q) if col.size else mean[j] + std[j] * (4.0 * q - 2.0))
        rows.append(tuple(float(x) for x in np.maximum.accumulate(row)))
    return tuple(rows)


def norm_stats(path: str | Path, split: str = "train", *, max_windows: int = 400,
               seed: int = 0, context_bins: int = 0) -> NormStats:
    """IMU and context mean/std from (up to ``max_windows`` randomly chosen) windows of a split,
    over the steps where the modality is present (context: where each feature is valid); with
    ``context_bins`` > 0 also each context feature's quantile bin edges over the same steps."""
    with DatasetFile(path) as ds:
        idx = ds.window_indices(split)
        if idx.size == 0:
            raise FootcoachError(f"the {split} split has no windows"
                                 + (" (a test-only dataset, for footcoach evaluate)"
                                    if split == "train" and ds.window_indices("test").size
                                    and not ds.window_indices("val").size else ""), path)
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(idx, size=min(max_windows, idx.size), replace=False))
        imu, ctx = [], []
        for i in pick:
            w = ds.window(int(i), ("imu", "context", "context_valid", "mask"))
            imu.append(w["imu"][w["mask"][:, 1]].reshape(-1, w["imu"].shape[-1]))
            ctx.append(np.where(w["context_valid"], w["context"], np.nan))
    imu_all = np.concatenate(imu).astype(np.float64)
    ctx_all = np.concatenate(ctx).astype(np.float64)
    imu_mean, imu_std = _stats(imu_all if imu_all.size else np.full((1, 9), np.nan))
    ctx_mean, ctx_std = _stats(ctx_all)
    edges = _quantile_edges(ctx_all, ctx_mean, ctx_std, context_bins) if context_bins else ()
    return NormStats(imu_mean=imu_mean, imu_std=imu_std, context_mean=ctx_mean,
                     context_std=ctx_std, context_edges=edges)
