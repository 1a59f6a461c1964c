"""How models hold up when a session lacks a modality or a sensor gives wrong data: the test
split scored with the vests, the positions or the ball track taken away, given noise or turned.

    .venv/bin/python benchmarks/modality_robustness.py DATA.h5 \\
        --group "CNN + LSTM=DIR_S0,DIR_S1,DIR_S2" --group "+ attention=DIR_S0,DIR_S1,DIR_S2"

Accuracy, not speed. Each ``--group NAME=DIR[,DIR...]`` is one configuration trained with
several seeds (or one model folder). Every folder is scored on the test windows of
``DATA.h5`` (``footcoach evaluate``'s windows and figures: action and tactic accuracy of the
network, quality MAE in points) under each condition:

- **all**: every modality the model reads, as recorded;
- **no ball track**: the ball-relative context features hidden (``--without-ball``);
- **no vests**: the IMU masked out at every step (``--hide imu``), as in a session recorded
  with GPS only;
- **no positions**: the context masked out at every step (``--hide context``), as in a
  session recorded with vests only;
- **vests give noise** / **positions give noise**: the IMU (or the context) of every window
  that has both replaced by noise with the model's training statistics while still marked
  present, as from a vest that slipped or a GPS unit with multipath
  (:func:`~footcoach.ml.network.corrupt_modalities`, drawn with a fixed seed);
- **vests turned 20 / 45 degrees**: each window's IMU turned by that angle about a random
  axis (``--vest-rotation``; :func:`~footcoach.ml.network.rotate_vests`), as from a vest worn
  or slipped at another angle: real motion in the wrong axes, not noise.

A masked modality is what a session without it gives the network (the app's analysis builds
the same masks), and the network was trained with modality dropout, so it has seen windows
without either. A noisy modality is announced by nothing but its data: a network trained
with ``footcoach train --modality-corruption P`` has seen such windows, others have not.
The table gives mean +/- sample std over a group's folders, and the share of
the modality attention the vests get where the model has modality attention (the masked mean
of the ablations without attention weighs the available modalities equally). The last line is
``modality robustness: <group> <a>% without vests, <a>% without positions, <a>% with noisy
vests, <a>% with vests turned 45 degrees; ...`` (action accuracies).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: (label, without_ball, hidden modalities, corrupted modalities, vest rotation in degrees) of
#: each scoring condition, in table order.
CONDITIONS: tuple[tuple[str, bool, tuple[str, ...], tuple[str, ...], float], ...] = (
    ("all", False, (), (), 0.0),
    ("no ball track", True, (), (), 0.0),
    ("no vests", False, ("imu",), (), 0.0),
    ("no positions", False, ("context",), (), 0.0),
    ("vests give noise", False, (), ("imu",), 0.0),
    ("positions give noise", False, (), ("context",), 0.0),
    ("vests turned 20 degrees", False, (), (), 20.0),
    ("vests turned 45 degrees", False, (), (), 45.0),
)


def parse_group(text: str) -> tuple[str, list[Path]]:
    """``"NAME=DIR[,DIR...]"`` -> (name, folders); raises ValueError on a malformed group."""
    name, sep, dirs = text.partition("=")
    folders = [Path(d) for d in dirs.split(",") if d.strip()]
    if not sep or not name.strip() or not folders:
        raise ValueError(f"--group {text!r}: expected NAME=DIR[,DIR...]")
    return name.strip(), folders


def score_folder(folder: Path, data: Path) -> dict[str, dict[str, float]]:
    """Per condition label: action/tactic accuracy (0-1), quality MAE (points), the vests'
    share of the modality attention (0-1)."""
    from footcoach.ml.config import MODALITIES
    from footcoach.ml.evaluate import predict
    from footcoach.ml.weights import load_model

    model, _ = load_model(folder)
    out: dict[str, dict[str, float]] = {}
    for label, without_ball, hide, corrupt, turn in CONDITIONS:
        p = predict(model, data, "test", without_ball=without_ball, hide=hide, corrupt=corrupt,
                    vest_rotation=turn)
        a, t = p.action_true >= 0, p.tactic_true >= 0
        q = np.isfinite(p.quality_true)
        out[label] = {"action": float(np.mean(p.action_pred[a] == p.action_true[a])),
                      "tactic": float(np.mean(p.tactic_pred[t] == p.tactic_true[t])),
                      "quality": float(np.mean(np.abs(p.quality_pred[q] - p.quality_true[q]))),
                      "imu_share": float(np.mean(p.modality[:, MODALITIES.index("imu")]))}
    return out


def mean_sd(values: list[float], pct: bool) -> str:
    """``"m +/- sd"`` (sample std; no std for one value); percentages for 0-1 values."""
    v = np.asarray(values, np.float64) * (100.0 if pct else 1.0)
    unit = "%" if pct else ""
    if v.size < 2:
        return f"{v.mean():.1f}{unit}" if pct else f"{v.mean():.2f}"
    return (f"{v.mean():.1f}{unit} +/- {v.std(ddof=1):.1f}" if pct
            else f"{v.mean():.2f} +/- {v.std(ddof=1):.2f}")


def table(results: dict[str, list[dict[str, dict[str, float]]]]) -> str:
    """Markdown: one row per group and condition."""
    lines = ["| configuration | condition | action acc. | tactic acc. | quality MAE | "
             "vests' attention share |", "|---|---|---|---|---|---|"]
    for name, runs in results.items():
        for label, *_ in CONDITIONS:
            rows = [r[label] for r in runs]
            lines.append(
                f"| {name} | {label} | {mean_sd([r['action'] for r in rows], True)} | "
                f"{mean_sd([r['tactic'] for r in rows], True)} | "
                f"{mean_sd([r['quality'] for r in rows], False)} | "
                f"{mean_sd([r['imu_share'] for r in rows], False)} |")
    return "\n".join(lines)


def last_line(results: dict[str, list[dict[str, dict[str, float]]]]) -> str:
    parts = []
    for name, runs in results.items():
        nv = np.mean([r["no vests"]["action"] for r in runs])
        npos = np.mean([r["no positions"]["action"] for r in runs])
        noisy = np.mean([r["vests give noise"]["action"] for r in runs])
        turned = np.mean([r["vests turned 45 degrees"]["action"] for r in runs])
        parts.append(f"{name} {100 * nv:.1f}% without vests, {100 * npos:.1f}% without "
                     f"positions, {100 * noisy:.1f}% with noisy vests, {100 * turned:.1f}% "
                     "with vests turned 45 degrees")
    return "modality robustness: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, metavar="DATA.h5")
    ap.add_argument("--group", action="append", required=True, metavar="NAME=DIR[,DIR...]",
                    help="a configuration's model folders (one per seed); repeat per group")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: all cores)")
    args = ap.parse_args(argv)
    try:
        groups = [parse_group(g) for g in args.group]
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    import torch

    from footcoach.errors import FootcoachError
    from footcoach.ml.evaluate import data_description
    from footcoach.ml.train import available_cores

    torch.set_num_threads(args.threads or available_cores())
    results: dict[str, list[dict[str, dict[str, float]]]] = {}
    try:
        for name, folders in groups:
            results[name] = []
            for folder in folders:
                print(f"scoring {name}: {folder}", file=sys.stderr, flush=True)
                results[name].append(score_folder(folder, args.data))
        print(f"Data: {data_description(args.data, 'test')['text']}.\n")
    except FootcoachError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(table(results))
    print()
    print(last_line(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
