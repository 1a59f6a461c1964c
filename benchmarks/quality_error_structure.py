"""Where a model's quality error lies: per action instance, per player, or per window.

    .venv/bin/python benchmarks/quality_error_structure.py MODEL_DIR DATA.h5 [--without-ball]

Accuracy, not speed. The model's quality predictions on the test windows of ``DATA.h5``
(``footcoach evaluate``'s windows) are compared with the labels, and each window's residual
(predicted - true, points on the 0-100 scale) is split three ways:

- **instance**: an action instance is a run of one player's windows with one true action and
  one quality label (:func:`instance_ids`). The instance's mean residual is the part its
  windows share; the rest (residual - instance mean) is what differs window to window.
  A small within-instance part means averaging a player's windows over time (as the app's
  events do) cannot remove the error.
- **player**: each window's residual less the mean residual of the same player's *other*
  instances of the same action (leave-instance-out; windows without another instance keep
  theirs). If the error were the player's hidden capacity (his own top speed, best jump), this
  offset would carry over from instance to instance and removing it would lower the error.
- **smoothing**: the mean prediction of the player's windows within +/- 0.5 s and 1 s, a
  correction the app could make without labels.

Prints a markdown table per action and overall; the last line is
``quality error structure: MAE <m>, within-instance <w>, after the player offset <p>``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Largest gap (s) between the centres of consecutive windows of one action instance. The
#: windows step 0.5 s, but the dataset thins the most frequent action (running), which leaves
#: gaps inside its instances.
INSTANCE_GAP_S = 4.0


def instance_ids(player: np.ndarray, t_ms: np.ndarray, action: np.ndarray,
                 quality: np.ndarray, gap_s: float = INSTANCE_GAP_S) -> np.ndarray:
    """(N,) action instance of each window: runs of one player's windows (sorted by centre
    time ``t_ms``) with the same true ``action`` and ``quality`` label (one score per simulated
    action, so two instances of one action differ in it) and centres at most ``gap_s`` apart."""
    order = np.lexsort((t_ms, player))
    p, t, a, q = player[order], t_ms[order], action[order], quality[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = ((p[1:] != p[:-1]) | (a[1:] != a[:-1]) | (q[1:] != q[:-1])
               | (np.diff(t) > gap_s * 1000.0))
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids


def group_means(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """(N,) mean of ``values`` over each window's group."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=values)
    return (sums / counts)[inverse]


def other_instance_offset(residual: np.ndarray, instance: np.ndarray, player_action: np.ndarray
                          ) -> np.ndarray:
    """(N,) mean residual of the windows of the same ``player_action`` group outside each
    window's own instance (NaN where the group has no other instance)."""
    _, g, g_count = np.unique(player_action, return_inverse=True, return_counts=True)
    _, i, i_count = np.unique(instance, return_inverse=True, return_counts=True)
    g_sum, i_sum = np.bincount(g, weights=residual), np.bincount(i, weights=residual)
    rest = g_count[g] - i_count[i]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rest > 0, (g_sum[g] - i_sum[i]) / rest, np.nan)


def smoothed(pred: np.ndarray, player: np.ndarray, t_ms: np.ndarray, half_s: float
             ) -> np.ndarray:
    """(N,) mean prediction of the same player's windows whose centres lie within
    ``half_s`` seconds of each window's."""
    out = np.empty(len(pred))
    for q in np.unique(player):
        idx = np.flatnonzero(player == q)
        idx = idx[np.argsort(t_ms[idx])]
        t, c = t_ms[idx], np.concatenate([[0.0], np.cumsum(pred[idx])])
        lo = np.searchsorted(t, t - half_s * 1000.0, side="left")
        hi = np.searchsorted(t, t + half_s * 1000.0, side="right")
        out[idx] = (c[hi] - c[lo]) / (hi - lo)
    return out


def structure(true: np.ndarray, pred: np.ndarray, action: np.ndarray, player: np.ndarray,
              t_ms: np.ndarray, instance: np.ndarray) -> dict[str, np.ndarray]:
    """Per window: absolute error, its instance-shared and within-instance parts, the error
    after removing the player's offset and after smoothing (module docstring). All inputs
    (N,): true and predicted quality (points), true action, player key, centre time (ms),
    instance (:func:`instance_ids`)."""
    residual = pred - true
    shared = group_means(residual, instance)
    offset = other_instance_offset(residual, instance, player * 100 + action)
    return {"error": np.abs(residual), "shared": np.abs(shared),
            "within": np.abs(residual - shared), "instance": instance,
            "player_offset": np.abs(residual - np.nan_to_num(offset)),
            "has_offset": np.isfinite(offset),
            "smooth_0.5": np.abs(smoothed(pred, player, t_ms, 0.5) - true),
            "smooth_1": np.abs(smoothed(pred, player, t_ms, 1.0) - true)}


def table(s: dict[str, np.ndarray], action: np.ndarray, labels: list[str]) -> str:
    head = ("| action | windows | instances | MAE | shared by the instance | within the instance "
            "| less the player's offset | smoothed +/- 0.5 s | smoothed +/- 1 s |\n"
            "|---|---|---|---|---|---|---|---|---|\n")

    def row(name: str, m: np.ndarray) -> str:
        return (f"| {name} | {int(m.sum())} | {len(np.unique(s['instance'][m]))} | "
                f"{s['error'][m].mean():.2f} | {s['shared'][m].mean():.2f} | "
                f"{s['within'][m].mean():.2f} | {s['player_offset'][m].mean():.2f} | "
                f"{s['smooth_0.5'][m].mean():.2f} | {s['smooth_1'][m].mean():.2f} |\n")

    rows = [row(name, action == k) for k, name in enumerate(labels) if (action == k).any()]
    return head + "".join(rows) + row("all", np.ones(len(action), dtype=bool))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("data", type=Path)
    ap.add_argument("--without-ball", action="store_true",
                    help="hide the ball-relative context features")
    args = ap.parse_args(argv)
    from footcoach.errors import FootcoachError
    from footcoach.ml.evaluate import predict
    from footcoach.ml.weights import load_model

    try:
        model, cfg = load_model(args.model)
        p = predict(model, args.data, "test", without_ball=args.without_ball)
    except FootcoachError as exc:
        raise SystemExit(f"error: {exc}") from None
    ok = np.isfinite(p.quality_true)
    assert p.who is not None
    who = p.who[ok]
    true, action, t_ms = p.quality_true[ok].astype(float), p.action_true[ok], who[:, 2]
    s = structure(true, p.quality_pred[ok].astype(float), action, who[:, 1], t_ms.astype(float),
                  instance_ids(who[:, 1], t_ms, action, true))
    print(f"Quality error structure of {args.model} on the test windows of {args.data} "
          f"({'without' if args.without_ball else 'with'} the ball features; points on the "
          "0-100 scale):\n")
    print(table(s, p.action_true[ok], list(cfg.action_labels)))
    print(f"{s['has_offset'].mean():.0%} of the windows have another instance of their action "
          "by the same player to take the offset from.")
    print(f"quality error structure: MAE {s['error'].mean():.2f}, within-instance "
          f"{s['within'].mean():.2f}, after the player offset {s['player_offset'].mean():.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
