"""Classification and regression scores (numpy only, no torch): used by ``footcoach evaluate``.

Labels are integer class indices ``0 .. n_classes - 1``; ``-1`` means "no label" and such
samples are left out of every score. Optional ``weight`` (N,) gives each sample a weight (e.g.
the dataset's ``1 / keep-probability``, which restores the natural class frequencies).

Definitions (as in scikit-learn):

- confusion matrix ``C[i, j]`` = (weighted) count of samples of true class i predicted as j;
- accuracy = trace(C) / sum(C);
- per class: precision = C[j, j] / sum_i C[i, j], recall = C[j, j] / sum_j C[i, j],
  F1 = 2 P R / (P + R) (0 when P + R = 0), support = sum_j C[i, j];
- macro-F1 = mean of F1 over the classes that occur in the true or the predicted labels.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import numpy as np


def _valid(true: np.ndarray, pred: np.ndarray, weight: np.ndarray | None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    true = np.asarray(true, np.int64).reshape(-1)
    pred = np.asarray(pred, np.int64).reshape(-1)
    if true.shape != pred.shape:
        raise ValueError(f"true {true.shape} and pred {pred.shape} differ in length")
    w = (np.ones(true.shape, np.float64) if weight is None
         else np.asarray(weight, np.float64).reshape(-1))
    if w.shape != true.shape:
        raise ValueError(f"weight {w.shape} does not match the labels {true.shape}")
    ok = true >= 0
    return true[ok], pred[ok], w[ok]


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int,
                     weight: np.ndarray | None = None) -> np.ndarray:
    """(n_classes, n_classes) float64: rows true class, columns predicted class."""
    t, p, w = _valid(true, pred, weight)
    if t.size and (t.max() >= n_classes or p.min() < 0 or p.max() >= n_classes):
        raise ValueError(f"labels outside 0..{n_classes - 1}")
    cm = np.zeros((n_classes, n_classes), np.float64)
    np.add.at(cm, (t, p), w)
    return cm


def accuracy(true: np.ndarray, pred: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Fraction of labelled samples predicted right (NaN when none is labelled)."""
    t, p, w = _valid(true, pred, weight)
    total = w.sum()
    return float(w[t == p].sum() / total) if total > 0 else float("nan")


@dataclass(frozen=True)
class ClassScores:
    """Per-class precision, recall, F1 and (weighted) support, each (n_classes,)."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    predicted: np.ndarray

    @property
    def present(self) -> np.ndarray:
        """(n_classes,) bool: the class occurs in the true or the predicted labels."""
        return (self.support > 0) | (self.predicted > 0)


def class_scores(cm: np.ndarray) -> ClassScores:
    """Precision/recall/F1/support per class from a confusion matrix (0 where undefined)."""
    cm = np.asarray(cm, np.float64)
    tp = np.diag(cm)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    return ClassScores(precision, recall, f1, support, predicted)


def macro_f1(cm: np.ndarray) -> float:
    """Mean F1 over the classes present in the true or the predicted labels (NaN if none)."""
    s = class_scores(cm)
    present = s.present
    return float(s.f1[present].mean()) if present.any() else float("nan")


def regression_errors(true: np.ndarray, pred: np.ndarray,
                      weight: np.ndarray | None = None) -> dict[str, float]:
    """MAE, RMSE and bias (pred - true) over the finite targets, in the targets' unit, plus n."""
    t = np.asarray(true, np.float64).reshape(-1)
    p = np.asarray(pred, np.float64).reshape(-1)
    w = np.ones_like(t) if weight is None else np.asarray(weight, np.float64).reshape(-1)
    ok = np.isfinite(t) & np.isfinite(p)
    if not ok.any():
        return {"mae": float("nan"), "rmse": float("nan"), "bias": float("nan"), "n": 0}
    e, w = p[ok] - t[ok], w[ok]
    return {"mae": float(np.average(np.abs(e), weights=w)),
            "rmse": float(np.sqrt(np.average(e ** 2, weights=w))),
            "bias": float(np.average(e, weights=w)), "n": int(ok.sum())}


def task_report(true: np.ndarray, pred: np.ndarray, names: list[str],
                weight: np.ndarray | None = None) -> dict[str, Any]:
    """Accuracy, macro-F1, the confusion matrix (counts) and the per-class table of one task.

    ``weighted_accuracy`` uses ``weight`` (when given) and ``accuracy`` counts every sample once.
    """
    n = len(names)
    cm = confusion_matrix(true, pred, n)
    s = class_scores(cm)
    out: dict[str, Any] = {
        "n": int(cm.sum()), "accuracy": accuracy(true, pred), "macro_f1": macro_f1(cm),
        "confusion": cm.astype(np.int64).tolist(), "labels": list(names),
        "per_class": [{"class": names[i], "precision": float(s.precision[i]),
                       "recall": float(s.recall[i]), "f1": float(s.f1[i]),
                       "support": int(s.support[i])} for i in range(n)],
    }
    if weight is not None:
        out["weighted_accuracy"] = accuracy(true, pred, weight)
        out["weighted_macro_f1"] = macro_f1(confusion_matrix(true, pred, n, weight))
    return out


def confusion_csv(cm: np.ndarray, names: list[str]) -> str:
    """CSV text: header ``true\\pred,<names>``, one row per true class (counts)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["true\\pred", *names])
    for name, row in zip(names, np.asarray(cm), strict=True):
        w.writerow([name, *(int(np.rint(v)) for v in row)])
    return buf.getvalue()


def per_class_markdown(report: dict[str, Any], title: str) -> str:
    """Markdown table of a :func:`task_report`'s per-class scores (classes with support or
    predictions only)."""
    lines = [f"| {title} | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    cm = np.asarray(report["confusion"])
    for i, row in enumerate(report["per_class"]):
        if row["support"] == 0 and cm[:, i].sum() == 0:
            continue
        lines.append(f"| {row['class']} | {row['precision']:.3f} | {row['recall']:.3f} | "
                     f"{row['f1']:.3f} | {row['support']} |")
    return "\n".join(lines)


def group_vote_report(true: np.ndarray, probs: np.ndarray, groups: np.ndarray,
                      names: list[str]) -> dict[str, Any]:
    """Scores of a label shared by groups of samples, each group voting with the mean of its
    members' class probabilities (e.g. a team's tactic at one instant from its players'
    windows, as the app's team phases do).

    ``true`` (N,) class per sample (-1 unlabelled, left out), ``probs`` (N, C), ``groups`` (N,)
    integer group keys. A group's truth is its members' most common label. Returns
    :func:`task_report` over the groups plus ``n_samples`` and ``mean_group_size``.
    """
    true = np.asarray(true, np.int64)
    ok = true >= 0
    keys, inverse = np.unique(np.asarray(groups)[ok], return_inverse=True)
    if keys.size == 0:
        return {**task_report(np.zeros(0, np.int64), np.zeros(0, np.int64), names),
                "n_samples": 0, "mean_group_size": 0.0}
    n_c = len(names)
    summed = np.zeros((keys.size, n_c))
    np.add.at(summed, inverse, np.asarray(probs, np.float64)[ok])
    votes = np.zeros((keys.size, n_c), np.int64)
    np.add.at(votes, (inverse, true[ok]), 1)
    report = task_report(votes.argmax(axis=1), summed.argmax(axis=1), names)
    size = np.bincount(inverse)
    return {**report, "n_samples": int(ok.sum()), "mean_group_size": float(size.mean())}
