"""``footcoach benchmark baseline``: a classical baseline on the windows of a dataset file.

The reference the network has to beat on the same windows (as the expert-novice benchmark has
on real data). Every window becomes one feature vector (:func:`window_features`):

* its context features step by step (``window_steps`` x K values, NaN where unknown), so a
  tree can read the centre step and compare steps;
* handcrafted features (:func:`footcoach.analysis.imu_features.sample_features`) of the vest's
  accelerometer and gyroscope over the whole window and over its central second (the labels
  are those of the window centre); NaN where the window has no IMU.

Histogram gradient boosting (scikit-learn, early stopping on 10% of the training windows,
seeded) is fitted on the training split: a classifier for the action, one for the tactic and a
regressor for the quality (0-100 points). The ball-relative features are hidden (NaN) in a
seeded share ``ball_dropout`` of the training windows, as ``footcoach train --ball-dropout``
does for the network, so one baseline serves sessions with and without a ball track. The
scored split is read twice: as it is, and with the ball features hidden.

scikit-learn is imported only when fitting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.analysis.classification import (
    accuracy,
    confusion_matrix,
    macro_f1,
    regression_errors,
)
from footcoach.analysis.imu_features import sample_features
from footcoach.domain.windowing import BALL_FEATURE_PREFIX
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import SPLITS, DatasetFile

Progress = Callable[[int, int, str], None]
IMU_SENSOR_CHANNELS = 6
"""Accelerometer and gyroscope (the first 6 of the 9 IMU channels; the magnetometer is left
out: it tells the heading, which the context features give)."""
READ_BLOCK_WINDOWS = 2048


@dataclass(frozen=True)
class WindowBaselineSettings:
    """Gradient boosting and ball-hiding settings. Standard values, not tuned on the test
    split; ``seed`` fixes the ball hiding and the early-stopping split."""

    max_iter: int = 300
    learning_rate: float = 0.1
    max_leaf_nodes: int = 31
    l2_regularization: float = 1.0
    ball_dropout: float = 0.5
    seed: int = 0

    def validate(self) -> None:
        if not 0.0 <= self.ball_dropout <= 1.0:
            raise FootcoachError(f"ball dropout must be in 0..1, got {self.ball_dropout:g}")
        if self.max_iter < 1:
            raise FootcoachError(f"max_iter must be >= 1, got {self.max_iter}")


def window_features(ds: DatasetFile, windows: np.ndarray,
                    progress: Progress | None = None) -> np.ndarray:
    """(n, F) float64 features (module docstring) of the ``windows`` (indices into the
    dataset's window table); columns in the order of :func:`feature_names`."""
    spec = ds.spec
    w, per_step = spec.window_steps, spec.imu_per_step
    centre = slice((w // 2 - 1) * per_step, (w // 2 + 1) * per_step) if w >= 2 else \
        slice(0, per_step)
    no_imu = np.full(2 * _n_imu_features(), np.nan)
    starts = ds.windows["start"][windows].astype(np.int64)
    order = np.argsort(starts, kind="stable")
    rows: list[np.ndarray] = [np.empty(0)] * len(windows)
    done = 0
    for b in range(0, len(order), READ_BLOCK_WINDOWS):
        part = order[b:b + READ_BLOCK_WINDOWS]
        lo, hi = int(starts[part].min()), int(starts[part].max()) + w
        block = ds.steps(lo, hi, ("imu", "context", "context_valid", "mask"))
        ctx = np.where(block["context_valid"], block["context"], np.nan)
        for i in part:
            s = int(starts[i]) - lo
            steps = slice(s, s + w)
            imu = block["imu"][steps, :, :IMU_SENSOR_CHANNELS].reshape(-1, IMU_SENSOR_CHANNELS)
            if block["mask"][steps, 1].all():
                imu_f = np.concatenate([sample_features(imu, spec.imu_rate_hz),
                                        sample_features(imu[centre], spec.imu_rate_hz)])
            else:  # a window with IMU gaps: its IMU features are unknown
                imu_f = no_imu
            rows[i] = np.concatenate([ctx[steps].ravel(), imu_f])
        done += len(part)
        if progress is not None:
            progress(done, len(windows), "window features")
    return np.stack(rows) if rows else np.empty((0, len(feature_names(ds))))


def _n_imu_features() -> int:
    return int(sample_features(np.zeros((4, IMU_SENSOR_CHANNELS)), 100.0).size)


def feature_names(ds: DatasetFile) -> list[str]:
    """Column names of :func:`window_features`: ``step<k>.<context feature>``, then
    ``imu.window.<i>`` and ``imu.centre.<i>``."""
    spec = ds.spec
    names = [f"step{k}.{c}" for k in range(spec.window_steps) for c in spec.context_features]
    n = _n_imu_features()
    return names + [f"imu.window.{i}" for i in range(n)] + [f"imu.centre.{i}" for i in range(n)]


def ball_columns(ds: DatasetFile) -> np.ndarray:
    """Indices of the feature columns that need a ball track."""
    return np.flatnonzero([n.split(".", 1)[1].startswith(BALL_FEATURE_PREFIX)
                           for n in feature_names(ds)])


def hide_ball(x: np.ndarray, columns: np.ndarray, share: float,
              rng: np.random.Generator) -> np.ndarray:
    """A copy of ``x`` (n, F) with ``columns`` set to NaN in a random ``share`` of the rows
    (all rows for ``share`` >= 1)."""
    out = x.copy()
    rows = np.ones(len(x), bool) if share >= 1.0 else rng.random(len(x)) < share
    out[np.ix_(np.flatnonzero(rows), columns)] = np.nan
    return out


def _models(s: WindowBaselineSettings) -> tuple[Any, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kw: dict[str, Any] = dict(max_iter=s.max_iter, learning_rate=s.learning_rate,
                              max_leaf_nodes=s.max_leaf_nodes,
                              l2_regularization=s.l2_regularization, early_stopping=True,
                              validation_fraction=0.1, n_iter_no_change=10,
                              random_state=s.seed)
    return HistGradientBoostingClassifier(**kw), HistGradientBoostingRegressor(**kw)


def run_baseline(data: str | Path, *, split: str = "test",
                 settings: WindowBaselineSettings | None = None,
                 progress: Progress | None = None) -> dict[str, Any]:
    """Fit on the training split, score ``split`` with and without the ball features.

    Returns ``{"with_ball": scores, "without_ball": scores, "windows": {"train", split},
    "features": F, "fit_s": seconds, "settings": ...}``; ``scores`` hold ``action_acc``,
    ``action_f1``, ``tactic_acc``, ``tactic_f1`` (fractions) and ``quality_mae`` (points).
    """
    s = settings or WindowBaselineSettings()
    s.validate()
    if split not in SPLITS or split == "train":
        raise FootcoachError(f"split must be val or test, not {split!r}")
    with DatasetFile(data) as ds:
        tr, te = ds.window_indices("train"), ds.window_indices(split)
        if len(tr) < 10 or len(te) == 0:
            raise FootcoachError(f"too few windows to fit and score a baseline ({len(tr)} "
                                 f"training, {len(te)} {split})", ds.path)
        both = np.concatenate([tr, te])
        x = window_features(ds, both, progress)
        x_tr, x_te = x[:len(tr)], x[len(tr):]
        cols = ball_columns(ds)
        y = {k: ds.windows[k] for k in ("action", "tactic", "quality")}
        n_classes = {"action": len(ds.action_names), "tactic": len(ds.tactic_names)}
    rng = np.random.default_rng(s.seed)
    x_fit = hide_ball(x_tr, cols, s.ball_dropout, rng) if s.ball_dropout > 0 else x_tr
    t0 = time.perf_counter()
    fitted: dict[str, Any] = {}
    tasks = ("action", "tactic", "quality")
    for k, task in enumerate(tasks):
        if progress is not None:
            progress(k, len(tasks), f"fitting the {task} model")
        clf, reg = _models(s)
        target = y[task][tr]
        ok = np.isfinite(target) if task == "quality" else target >= 0  # labelled windows
        fitted[task] = (reg if task == "quality" else clf).fit(x_fit[ok], target[ok])
    fit_s = time.perf_counter() - t0
    out: dict[str, Any] = {"windows": {"train": len(tr), split: len(te)},
                           "features": int(x.shape[1]), "fit_s": round(fit_s, 1),
                           "settings": s.__dict__.copy()}
    for name, xs in (("with_ball", x_te), ("without_ball", hide_ball(x_te, cols, 1.0, rng))):
        scores: dict[str, float] = {}
        for task in ("action", "tactic"):
            pred = fitted[task].predict(xs)
            truth = y[task][te]
            scores[f"{task}_acc"] = accuracy(truth, pred)
            scores[f"{task}_f1"] = macro_f1(confusion_matrix(truth, pred, n_classes[task]))
        quality = np.clip(fitted["quality"].predict(xs), 0.0, 100.0)
        scores["quality_mae"] = regression_errors(y["quality"][te], quality)["mae"]
        out[name] = scores
    return out


def format_report(result: dict[str, Any], data: str | Path, split: str,
                  network: dict[str, dict[str, float]] | None = None) -> str:
    """Markdown table of the baseline (and of the network, when given: ``{"with_ball":
    headline, "without_ball": headline}`` as :func:`footcoach.ml.evaluate.headline`)."""
    n_te = result["windows"][split]
    lines = [f"Data: {data}, {split} split ({n_te} windows); baseline fitted on "
             f"{result['windows']['train']} training windows, {result['features']} features, "
             f"ball features hidden in {result['settings']['ball_dropout']:.0%} of them "
             f"({result['fit_s']:.0f} s).", "",
             "| model | ball track | action acc. | action macro-F1 | tactic acc. | "
             "tactic macro-F1 | quality MAE |", "|---|---|---|---|---|---|---|"]
    rows = [("gradient boosting", k, result[k]) for k in ("with_ball", "without_ball")]
    if network:
        rows += [("network", k, network[k]) for k in ("with_ball", "without_ball") if k in network]
    for who, k, sc in rows:
        lines.append(f"| {who} | {'yes' if k == 'with_ball' else 'hidden'} | "
                     f"{100 * sc['action_acc']:.1f}% | {sc['action_f1']:.3f} | "
                     f"{100 * sc['tactic_acc']:.1f}% | {sc['tactic_f1']:.3f} | "
                     f"{sc['quality_mae']:.2f} |")
    wb = result["with_ball"]
    lines += ["", f"baseline: action {100 * wb['action_acc']:.1f}%, tactic "
                  f"{100 * wb['tactic_acc']:.1f}%, quality MAE {wb['quality_mae']:.2f} "
                  f"(with the ball features)"]
    return "\n".join(lines)
