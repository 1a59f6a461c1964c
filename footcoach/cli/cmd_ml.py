"""``footcoach train``, ``train-team``, ``team-fusion``, ``team-ensemble``, ``ensemble`` and
``evaluate`` (torch is imported only when they run)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from footcoach.errors import FootcoachError

_ABLATIONS = ("full", "cnn", "cnn_lstm", "cnn_lstm_attn")
#: footcoach.ml.finetune.TRAIN_ONLY (the CLI does not import torch to build its parser)
TRAIN_ONLY_PARTS = ("modality-attention",)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser("train", help="train the multimodal network on an HDF5 dataset",
                       description="Adam 5e-4, reduce-on-plateau, early stopping, gradient "
                                   "clipping; a checkpoint after every epoch (--resume).")
    p.add_argument("data", type=Path, metavar="DATA.h5")
    p.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--ablation", choices=_ABLATIONS, default="full")
    p.add_argument("--task", choices=("action", "tactic", "quality"), default=None,
                   help="train one task alone (the single-task ablation runs)")
    p.add_argument("--modalities", default=None, metavar="LIST",
                   help="encoders to build, comma-separated subset of video,imu,context "
                        "(default all three)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--resume", action="store_true", help="continue from MODEL_DIR/checkpoint")
    p.add_argument("--patience", type=int, default=None,
                   help="early stopping patience in epochs (default 6; with --resume it "
                        "replaces the checkpoint's, so a run that stopped early can go on)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop after the epoch that passes this wall time")
    p.add_argument("--max-train-windows", type=int, default=None,
                   help="random training windows per epoch (default all)")
    p.add_argument("--workers", type=int, default=-1, help="data loader processes (-1 auto)")
    p.add_argument("--ball-dropout", type=float, default=0.5, metavar="P",
                   help="probability per training window of hiding the ball features, so the "
                        "model also serves sessions without a ball track (default 0.5)")
    p.add_argument("--select", choices=("score", "loss"), default="score",
                   help="what picks the best epoch and drives early stopping: the validation "
                        "scores of the trained tasks (default) or the validation loss")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: the cores available)")
    p.add_argument("--init", type=Path, action="append", default=None, metavar="MODEL_DIR",
                   help="start from this model's weights (fine-tuning; e.g. models for the "
                        "bundled one): its sizes, labels and normalisation are kept; a second "
                        "--init gives the encoders the first lacks (e.g. a video-only model's); "
                        "encoders that --modalities names and no model has start fresh")
    p.add_argument("--lr", type=float, default=5e-4,
                   help="Adam learning rate (default 5e-4; lower suits fine-tuning)")
    p.add_argument("--loss-weights", default=None, metavar="TASK=W,...",
                   help="weights of the joint loss, e.g. quality=10 (the others stay 1; "
                        "tasks: action, tactic, quality; the quality term is an MSE on the "
                        "0-1 scale); add the word learned (quality=10,learned) to learn the "
                        "balance from there (uncertainty weighting); tactic-shared=G (0-1) lets "
                        "only that share of the tactic term's gradient shape the layers the "
                        "heads share (0: the tactic head learns on them, apart)")
    p.add_argument("--video-stride", type=int, default=None, metavar="N",
                   help="pixels the video encoder's first 3D convolution moves at a time "
                        "(default 2; 1 is the paper's, 4 costs about a third of 2 at analysis, "
                        "docs/ablation.md); a new run only")
    p.add_argument("--context-bins", type=int, default=None, metavar="T",
                   help="also give the context encoder each position/context feature "
                        "piecewise-linearly encoded over T training-split quantile bins "
                        "(default 0: the standardised features only); a new run only")
    p.add_argument("--lstm-bidirectional", action="store_true",
                   help="run each LSTM layer in both directions (the paper's is one-way); a "
                        "new run only")
    p.add_argument("--modality-corruption", type=float, default=None, metavar="P",
                   help="probability per training window that one of its IMU and position "
                        "inputs is replaced by noise while still marked present, so that the "
                        "network learns to discount a sensor giving wrong data (default 0, or "
                        "the --init model's); not with --resume")
    p.add_argument("--imu-rotation", type=float, default=None, metavar="DEG",
                   help="turn each training window's vest by a random angle up to DEG degrees "
                        "about a random axis, as a vest worn or slipped at another angle "
                        "(default 0, or the --init model's); not with --resume")
    p.add_argument("--vest-upright", action=argparse.BooleanOptionalAction, default=None,
                   help="read every vest de-tilted: turned so that its mean acceleration over "
                        "the session points along the training vests' mean direction, in "
                        "training and analysis alike (default: as the --init model does, else "
                        "off); not with --resume")
    p.add_argument("--imu-yaw", type=float, default=None, metavar="DEG",
                   help="turn each training window's vest by a random angle up to DEG degrees "
                        "either way about its upright direction, the turn that de-tilting "
                        "leaves (default 0, or the --init model's); not with --resume")
    p.add_argument("--train-only", choices=TRAIN_ONLY_PARTS, default=None,
                   help="with --init: train only this part of the network and keep the rest's "
                        "weights (modality-attention: the weights of the vest, the positions "
                        "and the video of each step; with --modality-corruption, to teach a "
                        "trained model to turn a sensor giving wrong data down)")
    p.add_argument("--time-prior", action="store_true",
                   help="add a learned bias per window step (from the window centre) to the "
                        "temporal attention (the paper's attention reads content only); a new "
                        "run only")
    p.set_defaults(func=cmd_train)

    t = sub.add_parser("train-team", help="train the team tactic model on an HDF5 dataset",
                       description="A small model that reads every player's context steps of "
                                   "both teams and gives each team's tactic per step; analysis "
                                   "multiplies it into the players' vote for the team phases. "
                                   "Written into MODEL_DIR (team_tactic.json + .safetensors) "
                                   "beside the network trained on the same dataset. Several "
                                   "datasets of the same sessions (say built with the exact ball "
                                   "and with --ball-noise) train one model on all of them; the "
                                   "test figures are on the first one's test sessions.")
    t.add_argument("data", type=Path, metavar="DATA.h5", nargs="+")
    t.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR")
    t.add_argument("--epochs", type=int, default=320,
                   help="one-cycle schedule over this many epochs (default 320: about 5 min "
                        "on 2 cores for 96 three-minute sessions)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--ball-dropout", type=float, default=0.5, metavar="P",
                   help="share of training sequences with the ball features hidden")
    t.add_argument("--deltas", action="store_true",
                   help="also give the model each player's change of every feature since the "
                        "step before (a third input block)")
    t.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    t.set_defaults(func=cmd_train_team)
    fu = sub.add_parser("team-fusion", help="choose how much the team tactic model weighs "
                                            "against the players' own tactic",
                        description="Scores the tactic of the test windows of DATA.h5 for "
                                    "each power a of the fusion p**a x q (p: the player's "
                                    "probabilities from his window, q: his team's from the team "
                                    "model; 0: the team model alone), with and without the ball "
                                    "features. The test sessions must be in neither model's "
                                    "dataset. --set writes the best a into team_tactic.json.")
    fu.add_argument("model", type=Path, metavar="MODEL_DIR")
    fu.add_argument("data", type=Path, metavar="DATA.h5")
    fu.add_argument("--powers", default=None, metavar="A,B,...",
                    help="exponents to try (default 0,0.1,0.25,0.5,0.75,1,1.5)")
    fu.add_argument("--set", action="store_true",
                    help="write the best power (mean of the two accuracies) into the model "
                         "folder's team_tactic.json")
    fu.set_defaults(func=cmd_team_fusion)
    te = sub.add_parser("team-ensemble", help="add team tactic models of other seeds to a "
                                              "model folder's team model",
                        description="The team models of OTHER_DIRs (footcoach train-team on "
                                    "the same data with another --seed) become members of "
                                    "MODEL_DIR's: analysis averages their probabilities. The "
                                    "ensemble is scored on the test sessions of the --data "
                                    "files (the team model's training datasets); run "
                                    "team-fusion --set again afterwards.")
    te.add_argument("model", type=Path, metavar="MODEL_DIR")
    te.add_argument("others", type=Path, nargs="+", metavar="OTHER_DIR")
    te.add_argument("--data", type=Path, nargs="+", required=True, metavar="DATA.h5")
    te.set_defaults(func=cmd_team_ensemble)
    en = sub.add_parser("ensemble", help="combine trained model folders into one ensemble",
                        description="The members (footcoach train on the same dataset with the "
                                    "same settings and another --seed) answer as one model: "
                                    "their probabilities and quality scores are averaged. "
                                    "Analysis costs one network per member.")
    en.add_argument("members", type=Path, nargs="+", metavar="MODEL_DIR")
    en.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR")
    en.add_argument("--no-onnx", action="store_true",
                    help="do not export the ONNX graphs (analysis then needs torch)")
    en.set_defaults(func=cmd_ensemble)
    e = sub.add_parser("evaluate", help="score a model folder on a dataset split")
    e.add_argument("model", type=Path, metavar="MODEL_DIR")
    e.add_argument("data", type=Path, metavar="DATA.h5")
    e.add_argument("--split", choices=("train", "val", "test"), default="test")
    e.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="output folder (default MODEL_DIR/metrics)")
    e.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    e.add_argument("--without-ball", action="store_true",
                   help="hide the ball-relative context features (the scores of sessions "
                        "without a ball track)")
    e.add_argument("--hide", default="", metavar="MODALITIES",
                   help="comma-separated modalities to mask out at every step, as in sessions "
                        "recorded without them: imu (no vests), context (no positions; the "
                        "team tactic model is then not applied), video")
    e.add_argument("--corrupt", default="", metavar="MODALITIES",
                   help="comma-separated modalities (imu, context) replaced by noise with the "
                        "training statistics while still marked present, as from a sensor "
                        "giving wrong data (one of them per window that has both)")
    e.add_argument("--vest-rotation", type=float, default=0.0, metavar="DEG",
                   help="turn each window's vest by DEG degrees about a random axis, as a vest "
                        "worn or slipped at another angle (0-180)")
    e.set_defaults(func=cmd_evaluate)


def _modalities(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    mods = tuple(m.strip() for m in text.split(",") if m.strip())
    bad = [m for m in mods if m not in ("video", "imu", "context")]
    if bad or not mods:
        raise FootcoachError(f"--modalities must list some of video, imu, context; got {text!r}")
    return mods


def _share(value: str) -> float:
    try:
        g = float(value)
    except ValueError:
        g = float("nan")
    if not 0.0 <= g <= 1.0:
        raise FootcoachError(f"--loss-weights: tactic-shared takes a share from 0 to 1 of the "
                             f"tactic gradient, got {value.strip()!r}")
    return g


def parse_loss_weights(text: str) -> dict[str, Any]:
    """``"quality=10,action=1"`` -> ``{"quality": 10.0, "action": 1.0}`` (checked: known tasks,
    finite non-negative weights, not all zero); the word ``learned`` among them adds
    ``"learned": True`` (the weights are learned, starting from the given ones), and
    ``tactic-shared=G`` adds ``"tactic_shared": G`` (the share, 0-1, of the tactic gradient
    that reaches the shared layers)."""
    weights: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part == "learned":
            weights["learned"] = True
            continue
        task, sep, value = part.partition("=")
        task = task.strip()
        if task == "tactic-shared" and sep:
            weights["tactic_shared"] = _share(value)
            continue
        if not sep or task not in ("action", "tactic", "quality"):
            raise FootcoachError(f"--loss-weights: {part!r} is not TASK=WEIGHT with TASK one "
                                 "of action, tactic, quality, nor tactic-shared=G, nor the "
                                 "word learned")
        try:
            w = float(value)
        except ValueError:
            raise FootcoachError(f"--loss-weights: {value.strip()!r} (for {task}) is not a "
                                 "number") from None
        if not 0.0 <= w < float("inf"):
            raise FootcoachError(f"--loss-weights: the weight of {task} must be a finite "
                                 f"number >= 0, got {value.strip()}")
        weights[task] = w
    given = {k: v for k, v in weights.items() if k in ("action", "tactic", "quality")}
    if not weights or not any({"action": 1.0, "tactic": 1.0, "quality": 1.0,
                               **given}.values()):
        raise FootcoachError(f"--loss-weights {text!r}: give at least one weight, and not all 0")
    return weights


def _require_torch(command: str) -> None:
    """A one-line error instead of an import error where torch is missing (the packaged app)."""
    from footcoach.ml.predict import torch_installed

    if not torch_installed():
        raise FootcoachError(f"`footcoach {command}` needs torch, which this installation does "
                             "not include (the packaged app analyses with ONNX Runtime); run it "
                             "from a source install with torch")


def _check_new_run_size(args: argparse.Namespace, flag: str, value: int, minimum: int,
                        what: str, kept: str) -> None:
    """Refuse a layer-size option where the model's own layers are kept, or below ``minimum``."""
    if args.resume or args.init:
        raise FootcoachError(f"{flag} {what} of a new run; with --resume or --init the model's "
                             f"own {kept} is kept")
    if value < minimum:
        raise FootcoachError(f"{flag} must be >= {minimum}, got {value}")


def cmd_train(args: argparse.Namespace) -> int:
    _require_torch("train")
    from footcoach.ml.config import LossWeights, ModelConfig
    from footcoach.ml.train import TrainSettings, train

    config = None
    if args.loss_weights is not None:
        if args.task or args.resume:
            raise FootcoachError("--loss-weights goes with the joint loss of a new run (not "
                                 "with --task, which trains one task alone, nor --resume, "
                                 "which keeps the checkpoint's weights)")
        config = ModelConfig(loss=LossWeights(**parse_loss_weights(args.loss_weights)))
    if args.video_stride is not None:
        _check_new_run_size(args, "--video-stride", args.video_stride, 1,
                            "sizes the video encoder", "stride")
        config = replace(config or ModelConfig(), video_stride=args.video_stride)
    if args.context_bins is not None:
        _check_new_run_size(args, "--context-bins", args.context_bins, 0,
                            "shapes the context encoder", "encoding")
        config = replace(config or ModelConfig(), context_bins=args.context_bins, norm=None)
    if args.lstm_bidirectional:
        _check_new_run_size(args, "--lstm-bidirectional", 1, 1, "shapes the LSTM", "LSTM")
        config = replace(config or ModelConfig(), lstm_bidirectional=True)
    if args.time_prior:
        _check_new_run_size(args, "--time-prior", 1, 1, "shapes the temporal attention",
                            "attention")
        config = replace(config or ModelConfig(), time_prior=True)

    if args.train_only is not None and not args.init:
        raise FootcoachError(f"--train-only {args.train_only} trains part of a trained network: "
                             "give the model to start from with --init")
    for flag, value in (("--modality-corruption", args.modality_corruption),
                        ("--imu-rotation", args.imu_rotation),
                        ("--imu-yaw", args.imu_yaw), ("--vest-upright", args.vest_upright)):
        if value is not None and args.resume:
            raise FootcoachError(f"{flag} is a setting of a new run (or of a fine-tuning run "
                                 "with --init); --resume keeps the checkpoint's")

    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch, seed=args.seed,
                             device=args.device, ablation=args.ablation, task=args.task,
                             patience=args.patience, max_minutes=args.max_minutes,
                             max_train_windows=args.max_train_windows, workers=args.workers,
                             threads=args.threads, ball_dropout=args.ball_dropout,
                             select=args.select, lr=args.lr,
                             init=tuple(map(str, args.init or ())),
                             modality_corruption=args.modality_corruption,
                             train_only=args.train_only, imu_rotation=args.imu_rotation,
                             imu_yaw=args.imu_yaw, vest_upright=args.vest_upright,
                             modalities=_modalities(args.modalities))
    if args.resume and args.init:
        raise FootcoachError("--init starts a new run; --resume continues the checkpoint's "
                             "(give one of them)")

    train(args.data, args.out, settings, config=config, resume=args.resume)
    return 0


def cmd_train_team(args: argparse.Namespace) -> int:
    _require_torch("train-team")
    from footcoach.ml.team_train import TeamTrainSettings, train_team_model

    if not 0 <= args.ball_dropout <= 1:
        raise FootcoachError(f"--ball-dropout must be in 0..1, got {args.ball_dropout:g}")
    settings = TeamTrainSettings(epochs=args.epochs, seed=args.seed,
                                 ball_dropout=args.ball_dropout, deltas=args.deltas,
                                 threads=args.threads)
    doc = train_team_model(args.data, args.out, settings)
    for name, m in doc["metrics"].items():
        if m:
            print(f"{name.replace('_', ' ')}: team-step accuracy {m['accuracy']:.1%}, "
                  f"macro-F1 {m['macro_f1']:.3f} ({m['team_steps']} team steps)")
    print(f"team tactic model written to {args.out}")
    return 0


def cmd_team_fusion(args: argparse.Namespace) -> int:
    _require_torch("team-fusion")
    from footcoach.ml.team_fusion import (
        DEFAULT_POWERS,
        best_power,
        fusion_scores,
        set_player_power,
    )

    powers = DEFAULT_POWERS
    if args.powers:
        try:
            powers = tuple(float(a) for a in args.powers.split(","))
        except ValueError:
            raise FootcoachError(f"--powers takes numbers separated by commas, got "
                                 f"{args.powers!r}") from None
        if any(not 0 <= a <= 4 for a in powers):
            raise FootcoachError(f"--powers must be in 0..4, got {args.powers}")
    scores = fusion_scores(args.model, args.data, powers, progress=print)
    print(f"tactic accuracy of {scores['windows']} test windows "
          f"({len(scores['sessions'])} sessions); the network alone "
          f"{scores['network']['ball']:.2%} with the ball, {scores['network']['no_ball']:.2%} "
          "without")
    print("| power | with the ball | without |")
    print("|---|---|---|")
    for a, b, n in zip(scores["powers"], scores["ball"], scores["no_ball"], strict=True):
        print(f"| {a:g}{' (team model alone)' if a == 0 else ''} | {b:.2%} | {n:.2%} |")
    best = best_power(scores)
    if args.set:
        set_player_power(args.model, best, scores)
        print(f"player_power {best:g} written to {args.model / 'team_tactic.json'}")
    else:
        print(f"best power {best:g} (--set writes it)")
    return 0


def cmd_team_ensemble(args: argparse.Namespace) -> int:
    _require_torch("team-ensemble")
    from footcoach.ml.team_ensemble import combine_team_models

    doc = combine_team_models(args.model, args.others, args.data)
    for name, m in doc["metrics"].items():
        if m:
            print(f"ensemble {name.replace('_', ' ')}: team-step accuracy {m['accuracy']:.1%}, "
                  f"macro-F1 {m['macro_f1']:.3f} ({m['team_steps']} team steps)")
    print(f"team tactic ensemble of {1 + len(doc['members'])} models written to "
          f"{args.model}; run `footcoach team-fusion {args.model} DATA.h5 --set` again")
    return 0


def cmd_ensemble(args: argparse.Namespace) -> int:
    _require_torch("ensemble")
    from footcoach.ml.weights import combine_models, load_model

    if any(m.resolve() == args.out.resolve() for m in args.members):
        raise FootcoachError("--out must be a new folder, not one of the members", args.out)
    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise FootcoachError("--out must be a new or empty folder (files of another model, "
                             "such as its ONNX graphs or team tactic model, would be taken for "
                             "the ensemble's)", args.out)
    combine_models(list(args.members), args.out)
    print(f"ensemble of {len(args.members)} networks written to {args.out}")
    if not args.no_onnx:
        from footcoach.ml.onnx_export import export_onnx, onnx_parity

        model, _cfg = load_model(args.out)
        export_onnx(model, args.out)
        worst = max(onnx_parity(model, args.out).values())
        print(f"ONNX graphs exported; parity with torch: max abs difference {worst:.2e}")
    print(f"score it with: footcoach evaluate {args.out} DATA.h5")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    _require_torch("evaluate")
    from footcoach.ml.evaluate import evaluate, summary_markdown

    if not 0.0 <= args.vest_rotation <= 180.0:
        raise FootcoachError(f"--vest-rotation must be 0-180 degrees, got {args.vest_rotation:g}")
    m = evaluate(args.model, args.data, split=args.split, out=args.out, device=args.device,
                 without_ball=args.without_ball,
                 hide=[m.strip() for m in args.hide.split(",") if m.strip()],
                 corrupt=[m.strip() for m in args.corrupt.split(",") if m.strip()],
                 vest_rotation=args.vest_rotation)
    print(summary_markdown(m), end="")
    out = args.out or args.model / "metrics"
    print(f"\nmetrics written to {out} (metrics.json, metrics.md, confusion_*.csv/png)")
    return 0
