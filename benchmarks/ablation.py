"""The paper's ablation (PAPER.md, "Reported results") on a footcoach HDF5 dataset.

Four configurations x N seeds, each trained on the train split (early stopping on val) and
scored on the held-out test split; mean +/- std over the seeds, written as a markdown table laid
out like the paper's::

    .venv/bin/python benchmarks/ablation.py DATA.h5 --out docs/ablation.md \\
        [--seeds 0 1 2] [--epochs 30] [--max-train-windows N] [--modalities imu,context]

Protocol: ``full`` is trained with the joint loss (action + tactic + quality); the other three
(``cnn``, ``cnn_lstm``, ``cnn_lstm_attn``) are trained single-task, one model per task (the
config's convention, :meth:`LossWeights.single`), unless ``--joint-baselines`` trains ``cnn``
and ``cnn_lstm`` jointly (cheaper; ``cnn_lstm_attn`` stays single-task: trained jointly it is
the ``full`` model). "Feedback error" is the quality MAE in points on the 0-100 scale
(= % of the scale). The defaults are the full budget; pass smaller ``--epochs`` /
``--max-train-windows`` for a quick run (the caption then says so). ``--team-model DIR``
(e.g. ``models``) adds a column: the tactic accuracy as the app shows it, each window's tactic
probabilities fused with that folder's team tactic model (``footcoach evaluate``'s "Tactic with
the team tactic model"); the team model must not have trained on the test sessions.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = (("cnn", "CNN only"), ("cnn_lstm", "CNN + LSTM"),
           ("cnn_lstm_attn", "+ attention"), ("full", "+ multitask (full)"))
PAPER = {"cnn": (0.785, 0.724, 6.8), "cnn_lstm": (0.852, 0.801, 4.7),
         "cnn_lstm_attn": (0.896, 0.853, 3.5), "full": (0.913, 0.897, 2.4)}


def run_one(data: Path, work: Path, ablation: str, task: str | None, seed: int,
            args: argparse.Namespace) -> dict[str, Any]:
    """Train one model and score it on the test split; returns the headline figures."""
    from footcoach.cli.cmd_ml import parse_loss_weights
    from footcoach.ml.config import LossWeights, ModelConfig
    from footcoach.ml.evaluate import headline, predict, score, with_team_model
    from footcoach.ml.train import TrainSettings, train

    out = work / f"{ablation}-{task or 'joint'}-s{seed}"
    mods = tuple(args.modalities.split(","))
    s = TrainSettings(epochs=args.epochs, batch_size=args.batch, seed=seed, ablation=ablation,
                      task=task, patience=args.patience, modalities=mods,
                      max_train_windows=args.max_train_windows,
                      max_val_windows=args.max_val_windows, device=args.device, workers=0,
                      select=args.select, threads=args.threads)
    # loss weights only matter for the joint models (single-task ones use LossWeights.single)
    config = ModelConfig(loss=LossWeights(**parse_loss_weights(args.loss_weights)),
                         context_bins=args.context_bins,
                         modality_corruption=args.modality_corruption)
    from footcoach.ml.config import read_model_json
    from footcoach.ml.weights import load_model

    t0 = time.perf_counter()
    if not (args.reuse and (out / "footcoach_model.json").is_file()):
        train(data, out, s, config=config, log=None)
    training = read_model_json(out).training
    model, cfg = load_model(out)
    preds = predict(model, data, "test", device="cpu")
    m = score(preds, cfg)
    h = headline(m)
    if args.team is not None:
        h["fused_acc"] = with_team_model(preds, cfg, args.team, data, False)["accuracy"]
    h.update(epochs=training["epochs_run"], best_epoch=training["best_epoch"],
             seconds=float(training["seconds"]))
    print(f"{ablation:14s} {task or 'joint':8s} seed {seed}: action {h['action_acc']:.3f} "
          f"tactic {h['tactic_acc']:.3f} quality MAE {h['quality_mae']:.2f} "
          f"({h['epochs']} epochs, {h['seconds']:.0f} s training, "
          f"{time.perf_counter() - t0:.0f} s here)", flush=True)
    return h


def run_config(data: Path, work: Path, ablation: str, seed: int,
               args: argparse.Namespace) -> dict[str, float]:
    """One configuration and seed: the joint model, or one single-task model per task.

    ``cnn_lstm_attn`` is always single-task: trained jointly it would be the ``full`` model."""
    if ablation == "full" or (args.joint_baselines and ablation != "cnn_lstm_attn"):
        return run_one(data, work, ablation, None, seed, args)
    a = run_one(data, work, ablation, "action", seed, args)
    t = run_one(data, work, ablation, "tactic", seed, args)
    q = run_one(data, work, ablation, "quality", seed, args)
    return {"action_acc": a["action_acc"], "action_f1": a["action_f1"],
            "tactic_acc": t["tactic_acc"], "tactic_f1": t["tactic_f1"],
            "quality_mae": q["quality_mae"],
            "seconds": a["seconds"] + t["seconds"] + q["seconds"],
            **({"fused_acc": t["fused_acc"]} if "fused_acc" in t else {})}


def _ms(values: list[float], pct: bool) -> str:
    v = np.asarray(values, np.float64)
    sd = float(v.std(ddof=1)) if v.size > 1 else 0.0
    if pct:
        return f"{100 * v.mean():.1f}% +/- {100 * sd:.1f}"
    return f"{v.mean():.2f} +/- {sd:.2f}"


def table(results: dict[str, list[dict[str, float]]], args: argparse.Namespace,
          data_text: str, minutes: float) -> str:
    budget = (f"{args.epochs} epochs at most (early stopping patience {args.patience}), "
              f"batch {args.batch}, "
              + (f"{args.max_train_windows} random training windows per epoch"
                 if args.max_train_windows else "all training windows each epoch")
              + (f", validation on {args.max_val_windows} windows" if args.max_val_windows
                 else ""))
    reduced = args.reduced_note
    recipe = (f"Joint-loss weights {args.loss_weights}; context bins {args.context_bins}"
              + (f"; modality corruption {args.modality_corruption:g}"
                 if args.modality_corruption else "") + ". ")
    lines = [
        "# Ablation (synthetic held-out data)", "",
        f"Data: {data_text}. Encoders built: {args.modalities}. " + recipe + "Seeds: "
        f"{' '.join(map(str, args.seeds))}; mean +/- std (sample std) over the seeds. "
        f"Budget per model: {budget}. "
        + ("The three baselines are trained single-task (one model per task); the full model "
           "with the joint loss. " if not args.joint_baselines else
           "CNN only and CNN + LSTM are trained with the joint loss (to save time), + attention "
           "single-task (one model per task; trained jointly it would be the full model), the "
           "full model with the joint loss. ")
        + (args.run_note or f"Total wall time {minutes:.1f} min on {args.device}."), ""]
    if reduced:
        lines += [f"**Reduced budget:** {reduced}", ""]
    fused = args.team is not None
    lines += ["| configuration | action acc. | tactic acc. | feedback error | "
              "action macro-F1 | tactic macro-F1 |"
              + (f" tactic with the team model (power {args.team.player_power:g}) |"
                 if fused else ""), "|---|---|---|---|---|---|" + ("---|" if fused else "")]
    for key, name in CONFIGS:
        r = results.get(key, [])
        if not r:
            continue
        lines.append(f"| {name} | {_ms([x['action_acc'] for x in r], True)} | "
                     f"{_ms([x['tactic_acc'] for x in r], True)} | "
                     f"{_ms([x['quality_mae'] for x in r], False)} | "
                     f"{_ms([x['action_f1'] for x in r], False)} | "
                     f"{_ms([x['tactic_f1'] for x in r], False)} |"
                     + (f" {_ms([x['fused_acc'] for x in r], True)} |" if fused else ""))
    lines += ["", "Feedback error: mean absolute error of the 0-100 quality score, in points "
              "(= % of the scale), as the paper's column.", "",
              "The paper's figures (private data, not comparable): " + "; ".join(
                  f"{n} {PAPER[k][0]:.1%} / {PAPER[k][1]:.1%} / {PAPER[k][2]}%"
                  for k, n in CONFIGS) + ".", "",
              "Made by:", "", "```",
              "python benchmarks/ablation.py " + shlex.join(sys.argv[1:]),
              "```", ""]
    return "\n".join(lines)


def team_model(folder: Path, data: Path) -> Any:
    """The team tactic model of ``folder``, checked: it exists and did not train (or choose
    its epoch) on a test session of ``data``."""
    from footcoach.analysis.team_tactic import load_team_model
    from footcoach.ml.team_fusion import dataset_test_sessions

    team = load_team_model(folder)
    if team is None:
        raise SystemExit(f"{folder}: no team tactic model (team_tactic.json) there")
    splits = team.doc.get("training", {}).get("sessions", {})
    seen = sorted(set(dataset_test_sessions(data))
                  & {s for k in ("train", "val") for s in splits.get(k, [])})
    if seen:
        raise SystemExit(f"{folder}: its team tactic model trained on test sessions of "
                         f"{data} ({', '.join(seen[:5])}); its fused scores would not be "
                         "held-out")
    return team


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="footcoach ablation: 4 configurations x seeds")
    ap.add_argument("data", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "ablation.md")
    ap.add_argument("--work", type=Path, default=Path("/tmp/footcoach-ablation"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--configs", nargs="+", default=[k for k, _ in CONFIGS],
                    choices=[k for k, _ in CONFIGS])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--patience", type=int, default=6)
    ap.add_argument("--max-train-windows", type=int, default=None)
    ap.add_argument("--max-val-windows", type=int, default=None)
    ap.add_argument("--modalities", default="video,imu,context")
    ap.add_argument("--joint-baselines", action="store_true",
                    help="train cnn and cnn_lstm with the joint loss too (cheaper)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads per process (default: torch's choice)")
    ap.add_argument("--loss-weights", default="action=1,tactic=1,quality=1",
                    help="joint-loss weights, as footcoach train --loss-weights (the bundled "
                         "model: quality=10)")
    ap.add_argument("--context-bins", type=int, default=0,
                    help="as footcoach train --context-bins (the bundled model: 16)")
    ap.add_argument("--modality-corruption", type=float, default=0.0, metavar="P",
                    help="as footcoach train --modality-corruption (default 0)")
    ap.add_argument("--select", choices=("loss", "score"), default="loss",
                    help="best-epoch selection (the checked-in table used the validation loss)")
    ap.add_argument("--reuse", action="store_true",
                    help="score model folders already in --work instead of training them again")
    ap.add_argument("--run-note", default="",
                    help="caption text saying where and how long the models were trained "
                         "(default: this invocation's wall time and device)")
    ap.add_argument("--reduced-note", default="",
                    help="caption text saying how the budget was reduced")
    ap.add_argument("--team-model", type=Path, default=None, metavar="DIR",
                    help="a folder with a team tactic model (e.g. models): adds the tactic "
                         "accuracy fused with it, as the app shows the tactic")
    args = ap.parse_args(argv)
    from footcoach.ml.evaluate import data_description

    args.team = None if args.team_model is None else team_model(args.team_model, args.data)

    t0 = time.perf_counter()
    results: dict[str, list[dict[str, float]]] = {}
    for key in args.configs:
        for seed in args.seeds:
            results.setdefault(key, []).append(run_config(args.data, args.work, key, seed,
                                                          args))
    minutes = (time.perf_counter() - t0) / 60
    text = table(results, args, data_description(args.data, "test")["text"], minutes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    (args.work / "ablation.json").write_text(json.dumps(results, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
