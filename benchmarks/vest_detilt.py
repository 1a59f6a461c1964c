"""Can a per-player tilt correction stand in for training with turned vests?

    .venv/bin/python benchmarks/vest_detilt.py DATA.h5 MODEL_DIR [MODEL_DIR ...] [--expert-novice]
        [--residual 0,10,20,45]

Accuracy, not speed. Each player's vest is *de-tilted*: turned by the smallest rotation that
takes its mean acceleration (over all of the player's test windows: gravity, seen in the vest's
frame) onto the training players' mean direction. That undoes how a vest leans on the back
(two of its three angles); a turn about the vertical stays. Each model is scored on the test
windows of ``DATA.h5`` (action accuracy, and at the natural class frequencies):

- **clean** and **clean, de-tilted**: as recorded, and de-tilted;
- **turned 45 per player** and **turned 45, de-tilted**: each player's vest turned 45 degrees
  about an axis drawn per player (seed 0; a vest worn turned for the whole session), then
  de-tilted.

``--residual 0,10,20,45`` scores each model instead with each player's vest turned that many
degrees (about an axis drawn per player) *after* the pose a de-tilt would take: for a model
that reads de-tilted vests (config ``vest_upright``), the vest is de-tilted by its pose as
recorded and then turned, as when a vest slips after the part of the session its pose came
from; a model that reads vests as worn gets the turned vest. The last line is then
``vest residual turn: <model> <a>% at 0 degrees, <b>% at ...``.

``--expert-novice`` also scores each model zero-shot on the real Expert-Novice kicks and
dribbles (``footcoach benchmark expert-novice --quick``'s zero-shot figures) with each player's
upper-spine sensor de-tilted the same way. The last line is ``vest de-tilt: <model> turned
<a>% -> <b>% de-tilted; ...``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TURN_DEG = 45.0

from footcoach.domain.vest_frame import rotation_onto  # noqa: E402  (after the path set-up)


def turn(imu: np.ndarray, mats: np.ndarray) -> np.ndarray:
    """Each window's IMU (N, ..., C) with every x/y/z triad turned by its (N, 3, 3) matrix."""
    out = imu.copy()
    for j in range(0, imu.shape[-1] - imu.shape[-1] % 3, 3):
        out[..., j:j + 3] = np.einsum("nij,n...j->n...i", mats, imu[..., j:j + 3])
    return out


def mean_acceleration(acc: np.ndarray) -> np.ndarray:
    """The mean of the finite rows of ``acc`` (..., 3), (3,)."""
    flat = acc.reshape(-1, 3)
    return flat[np.isfinite(flat).all(axis=1)].mean(axis=0)


def detilt(imu: np.ndarray, keys: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``imu`` (N, S, T, C) with the windows of each ``keys`` value (a player) turned so that
    their mean acceleration (channels 0-2) points along ``target``."""
    mats = np.empty((len(imu), 3, 3))
    for key in np.unique(keys):
        rows = keys == key
        mats[rows] = rotation_onto(mean_acceleration(imu[rows][..., :3]), target)
    return turn(imu, mats)


def load_windows(data: Path, split: str, limit: int | None = None) -> dict[str, np.ndarray]:
    """IMU, context, mask, action, weight and the (session, player) key of each window."""
    from torch.utils.data import DataLoader

    from footcoach.ml.data import WindowDataset

    ds = WindowDataset(data, split, video=False)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("imu", "context", "mask", "action",
                                                         "weight", "session", "player")}
    for b in DataLoader(ds, batch_size=512, shuffle=False, num_workers=0):
        for k, v in cols.items():
            v.append(b[k].numpy())
        if limit is not None and sum(len(x) for x in cols["action"]) >= limit:
            break
    ds.close()
    out = {k: np.concatenate(v) for k, v in cols.items()}
    out["key"] = out["session"] * 100_000 + out["player"]
    return out


def population_direction(train: dict[str, np.ndarray]) -> np.ndarray:
    """The mean of the training players' unit mean accelerations, as a unit vector."""
    units = [m / np.linalg.norm(m) for m in
             (mean_acceleration(train["imu"][train["key"] == k][..., :3])
              for k in np.unique(train["key"]))]
    mean = np.mean(units, axis=0)
    return mean / np.linalg.norm(mean)


def conditions(test: dict[str, np.ndarray], target: np.ndarray, seed: int = 0
               ) -> dict[str, np.ndarray]:
    """Condition name -> the test IMU it gives (module docstring)."""
    rng = np.random.default_rng(seed)
    keys = test["key"]
    per_player = {}
    for k in np.unique(keys):
        axis = rng.normal(size=3)
        axis /= np.linalg.norm(axis)
        kx = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        t = np.radians(TURN_DEG)
        per_player[k] = np.eye(3) + np.sin(t) * kx + (1 - np.cos(t)) * kx @ kx
    turned = turn(test["imu"], np.stack([per_player[k] for k in keys]))
    return {"clean": test["imu"], "clean, de-tilted": detilt(test["imu"], keys, target),
            f"turned {TURN_DEG:g} per player": turned,
            f"turned {TURN_DEG:g}, de-tilted": detilt(turned, keys, target)}


def score(model: Any, test: dict[str, np.ndarray], imu: np.ndarray) -> tuple[float, float]:
    """Action accuracy (0-1) and the same at the natural class frequencies."""
    import torch

    preds = []
    with torch.no_grad():
        for i in range(0, len(imu), 256):
            out = model(None, torch.from_numpy(imu[i:i + 256]).float(),
                        torch.from_numpy(test["context"][i:i + 256]),
                        torch.from_numpy(test["mask"][i:i + 256]))
            preds.append(out.action_logits.argmax(-1).numpy())
    p, y, w = np.concatenate(preds), test["action"], test["weight"]
    ok = y >= 0
    hit = p[ok] == y[ok]
    return float(hit.mean()), float(np.sum(w[ok] * hit) / np.sum(w[ok]))


def expert_novice_zero_shot(model: Any, target: np.ndarray | None) -> dict[str, float]:
    """Zero-shot shot/dribble and top-1 (0-1, mean of the players) on the Expert-Novice
    recordings (as ``footcoach benchmark expert-novice``'s zero-shot rows), with each player's
    upper-spine sensor (acc and gyro) de-tilted onto ``target`` (None: as recorded)."""
    import footcoach.bench.expert_novice_bench as enb
    from footcoach.ml.expert_novice import bundled_action_probs

    d = enb.load_data(enb.default_train_path(), (enb.VEST_SEGMENT,))
    rows = []
    for p in np.unique(d.players):
        idx = np.flatnonzero(d.players == p)
        vests = [d.vest[i] for i in idx]
        if target is not None:
            r = rotation_onto(mean_acceleration(np.concatenate([v[:, :3] for v in vests])),
                                 target)
            vests = [turn(v[None], r[None])[0] for v in vests]
        probs = bundled_action_probs(model, vests, 100.0)
        rows.append(enb.zero_shot_scores(d.labels[idx], probs, model.config.action_labels))
    return {k: float(np.mean([r[k] for r in rows])) for k in ("shot_dribble_acc", "top1")}


def residual_table(data: Path, folders: list[Path], angles: list[float], seed: int = 0
                   ) -> list[str]:
    """Print the ``--residual`` table (module docstring); returns the last line's parts."""
    from footcoach.domain.vest_frame import rotation_about
    from footcoach.ml.data import vest_means
    from footcoach.ml.weights import load_model

    test = load_windows(data, "test")
    means = vest_means(data)
    keys = np.unique(test["key"])
    print(f"action accuracy on the {len(test['key'])} test windows of {data.name} (synthetic), "
          "each player's vest turned by the angle after the pose a de-tilt takes\n")
    print("| model | reads vests | " + " | ".join(f"{a:g} degrees" for a in angles) + " |")
    print("|---|---|" + "---|" * len(angles))
    parts = []
    for folder in folders:
        model, _ = load_model(folder)
        model.eval()
        up = model.config.vest_upright
        cells = []
        for angle in angles:
            rng = np.random.default_rng(seed)
            mats = {}
            for k in keys:
                base = rotation_onto(means[int(k)], np.asarray(up)) if up else np.eye(3)
                mats[k] = rotation_about(rng.normal(size=3), angle) @ base
            imu = turn(test["imu"], np.stack([mats[k] for k in test["key"]]))
            cells.append(score(model, test, imu)[0])
        print(f"| {folder} | {'de-tilted' if up else 'as worn'} | "
              + " | ".join(f"{100 * c:.1f}%" for c in cells) + " |")
        parts.append(f"{folder.name} " + ", ".join(
            f"{100 * c:.1f}% at {a:g} degrees" for a, c in zip(angles, cells, strict=True)))
    return parts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--expert-novice", action="store_true")
    ap.add_argument("--residual", default=None, metavar="DEG,DEG,...",
                    help="the residual-turn table instead (module docstring)")
    args = ap.parse_args(argv)
    if args.residual:
        angles = [float(a) for a in args.residual.split(",")]
        print("vest residual turn: " + "; ".join(residual_table(args.data, args.models, angles)))
        return 0
    from footcoach.ml.weights import load_model

    target = population_direction(load_windows(args.data, "train", limit=20_000))
    tilt = np.degrees(np.arccos(np.clip(target[2], -1, 1)))
    print(f"training players' mean acceleration: {np.round(target, 3).tolist()} "
          f"({tilt:.1f} degrees from z); test windows of {args.data.name} (synthetic)\n")
    test = load_windows(args.data, "test")
    conds = conditions(test, target)
    print("| model | " + " | ".join(conds) + " |")
    print("|---|" + "---|" * len(conds))
    last = []
    for folder in args.models:
        model, _ = load_model(folder)
        model.eval()
        cells = [score(model, test, imu) for imu in conds.values()]
        print(f"| {folder} | " + " | ".join(f"{100 * a:.1f}% ({100 * n:.1f}%)" for a, n in cells)
              + " |")
        if args.expert_novice:
            for how, aim in (("as recorded", None), ("de-tilted", target)):
                zs = expert_novice_zero_shot(model, aim)
                print(f"  Expert-Novice zero-shot (real data), {how}: shot/dribble "
                      f"{100 * zs['shot_dribble_acc']:.1f}%, top-1 {100 * zs['top1']:.1f}%")
        last.append(f"{folder.name} turned {100 * cells[2][0]:.1f}% -> "
                    f"{100 * cells[3][0]:.1f}% de-tilted")
    print("\n(accuracy; at the natural class frequencies in brackets)")
    print("vest de-tilt: " + "; ".join(last))
    return 0


if __name__ == "__main__":
    sys.exit(main())
