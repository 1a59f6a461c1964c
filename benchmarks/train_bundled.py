"""Reproduce the bundled model (models/) from scratch, in one command::

    .venv/bin/python benchmarks/train_bundled.py --work /tmp/footcoach-bundle

Stages (``--from-stage`` skips the earlier ones when their outputs exist in ``--work``,
``--to-stage`` stops after one):

1. ``simulate``: ``N_SESSIONS`` (96) synthetic sessions (seeds 11-106; 8-12 players; 3 minutes
   of 4 drills each, the drill kinds rotating over ``DRILL_GROUPS``; no video, which this model
   does not read: ``--video`` renders it), two at a time;
2. ``dataset``: ``footcoach dataset build`` of them (seed 0; all context features; the test
   split is the whole sessions ``TEST_SESSIONS``, so test players are never seen in training);
3. ``train``: ``footcoach train`` (defaults below: IMU + position/context encoders, batch 64,
   loss weights ``LOSS_WEIGHTS``, up to 40 epochs, early stopping patience 6, ``MAX_MINUTES``
   of wall time at most, one torch thread) with seeds 0 .. ``MEMBERS`` - 1, ``--jobs`` (2) at a
   time, then each is fine-tuned to read de-tilted vests turned about the vertical by up to
   45 degrees (``ROBUST_FINETUNE``; not with ``--no-robust``) and ``footcoach ensemble``
   combines the fine-tuned networks;
4. ``team``: ``footcoach train-team`` (``TEAM_EPOCHS`` epochs, with the features'
   changes over a team step, ``TEAM_DELTAS``) with each of ``TEAM_SEEDS``, the first into the
   trained model's folder, then ``footcoach team-ensemble`` of them (their mean
   probabilities), on ``data-team.h5``: the same recipe's first ``TEAM_SESSIONS`` sessions
   (the network's 96 and more, simulated and built in stages 1 and 2 with the same test
   sessions, without the IMU, which it does not read), since the small team model keeps
   gaining from sessions that would cost the network hours;
   then ``footcoach team-fusion --set`` chooses how much the players' own tactic counts
   against the team model's, on the ``FUSION_SEEDS`` sessions that neither model saw;
   ``--team-from DIR`` copies DIR's team model (e.g. ``models``) instead of training it, as it
   reads none of the network (the fusion power is chosen again);
5. ``package``: evaluate on the held-out test split (also with the ball features hidden, and
   with tracking errors given to the ball, ``BALL_ERRORS``), copy the best weights to
   ``models/`` with the test metrics in the JSON, export ONNX and check parity, write
   ``models/metrics/`` and ``models/MODEL_CARD.md`` from the measured figures; evaluate on a
   second test set of ``FRESH_TEST_SEEDS`` sessions of the rotation (``metrics/fresh-test/``)
   and the test split without vests, without positions, with the vests giving noise and with
   each vest turned ``TURNED_VESTS_DEG`` degrees about a random axis
   (``metrics/without-vests/``, ``metrics/without-positions/``, ``metrics/noisy-vests/``,
   ``metrics/turned-vests/``, all without a ball track);
   copy the team tactic model and score the app's analysis of the test sessions with and
   without it (``footcoach benchmark labelled``'s figures, with the exact ball and without a
   ball track); score it zero-shot on the real Expert-Novice recordings (``footcoach benchmark
   expert-novice``, when the shared data folder is there) for the card's first limit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundled_card import (  # noqa: E402  (beside this script)
    TURNED_VESTS_DEG,
    finetune_text,
    model_card,
)

#: Sessions simulated for the bundled model: 24 until session 12, 72 in session 12, 96 since
#: session 13. 48, 72 and 96 raised the held-out action accuracy by 4.4, 1.8 and 0.3 points
#: (docs/ablation.md, "More sessions").
N_SESSIONS = 96


#: Players of the k-th session of a rotation: ``PLAYERS[k % 6]``.
PLAYERS = (10, 8, 12, 10, 10, 10)


def session_recipe(count: int) -> tuple[tuple[int, int], ...]:
    """(seed, players) of the first ``count`` sessions: seed 11 + k, 10/8/12/10/10/10 players
    in turn (session k's drills: ``DRILL_GROUPS[k % 7]``)."""
    return tuple((11 + k, PLAYERS[k % len(PLAYERS)]) for k in range(count))


SESSIONS = session_recipe(N_SESSIONS)
#: The held-out sessions (whole sessions; those the split seed 0 drew from the first 24).
TEST_SESSIONS = ("s12", "s17", "s18", "s31")
#: Drill kinds of session k: DRILL_GROUPS[k % 7]. A 3-minute session fits 4 drills of ~40 s:
#: the sprint/agility drill (the only one with jumps and take-offs) and 3 of the other 7 kinds,
#: in the cyclic design {i, i+1, i+3} mod 7, so every other kind is in 3 of the 7 groups
#: (about 10 of the 24 sessions). Before, every session ran the same 4 (small-sided game,
#: sprint/agility, shooting, pressing) and no passing pattern, possession, breakthrough or
#: retreat drill was ever simulated.
_OTHER_DRILLS = ("small_sided_game", "shooting", "pressing", "passing_pattern", "possession",
                 "breakthrough", "retreat")
#: The quality term (an MSE on the 0-1 scale) is ~10x smaller than the cross-entropies; at
#: weight 1 the quality head under-fits (training MAE 10.5, no better than validation), at 10
#: the validation MAE drops by ~0.5 points with the same accuracies (docs/ablation.md).
#: The tactic term at 0.5 (since session 25): the app shows the tactic fused with the team
#: tactic model, which the network's own tactic hardly moves, and the lighter tactic term gave
#: the networks +0.4 to +1.0 points of action accuracy and 0.2-0.4 points less quality error
#: with the full budget on the 96 sessions (docs/ablation.md, "The bundled recipe with tactic
#: weight 0.5").
LOSS_WEIGHTS = "quality=10,tactic=0.5"
#: Wall-time limit of one network's training (minutes): high enough that the epochs and early
#: stopping decide, not the machine's speed (session 24's machine: 195-225 s per epoch, so 40
#: epochs take up to 150 minutes with two trainings at a time).
MAX_MINUTES = 300.0
#: Tracking errors given to the exact simulated ball for the card's "realistic ball" figures:
#: (position error sd in m, share of the track in gaps); docs/ablation.md.
BALL_ERRORS = (1.5, 0.3)
#: Piecewise-linear context encoding (``footcoach train --context-bins``; docs/ablation.md,
#: "Context features in quantile bins").
CONTEXT_BINS = 16
#: Networks in the bundled ensemble (seeds 0, 1 and 2, trained alike; ``footcoach ensemble``).
#: Alone the seeds scored 90.6-91.4% action accuracy without the ball on the test windows, pairs
#: 91.3-91.5%, all three 91.8%, with 0.2-0.4 points less quality error than one network
#: (docs/ablation.md, "An ensemble of two seeds" and "A third seed").
MEMBERS = 3
#: ``--robust`` (the default since session 27; ``--no-robust`` leaves it out): the ``footcoach
#: train`` arguments that fine-tune each trained network before the ensemble (``--init`` its
#: folder, the same seed). Since session 30 the networks read de-tilted vests
#: (``--vest-upright``: each player's vest turned so that its pose points along the training
#: vests' mean direction, in training and analysis) turned by up to 45 degrees either way about
#: that direction in training (``--imu-yaw``, the turn a de-tilt leaves). Against session 27's
#: fine-tuning with vests turned up to 45 degrees about random axes, the ensemble scored 85.6%
#: against 83.1% action accuracy on test windows without positions, 93.0% against 92.2% with
#: each vest turned 45 degrees, and the app 1.5 points more on clean sessions, 2.5 with vests
#: only; a vest turned round the body for part of a session costs it more (docs/ablation.md,
#: "Vests turned upright before the network reads them"). Session 26's fine-tuning with noise
#: was not bundled: it cost the app as much on clean sessions and read a turned vest worse.
ROBUST_FINETUNE = ("--vest-upright", "--imu-yaw", "45", "--imu-rotation", "0", "--lr", "2e-4",
                   "--batch", "64", "--epochs", "6", "--patience", "3",
                   "--max-train-windows", "20000", "--workers", "0")
DRILL_GROUPS = tuple(",".join(("sprint_agility", *(_OTHER_DRILLS[(i + d) % 7] for d in (0, 1, 3))))
                     for i in range(7))
STAGES = ("simulate", "dataset", "train", "team", "package")
#: Sessions the team tactic model trains on (the first ``TEAM_SESSIONS`` of ``session_recipe``,
#: so the network's 96 and more). Simulating and building a session takes about 2 s; the team
#: model's test team-step accuracy with the ball rose from 78.4% (24 sessions) to 81.7% (48),
#: 84.0% (72), 85.0% (96), 87.6% (192), 89.4% (384) and 91.0% (768), then 90.0% (1536, 40
#: epochs; the same as 768 on the fusion sessions) (docs/ablation.md, "More sessions for the
#: team tactic model").
TEAM_SESSIONS = 768
#: Epochs of the team tactic model (one-cycle schedule). On 96 sessions 80 -> 160 -> 320 raised
#: its test team-step accuracy with the ball from 83% to 86% (docs/ablation.md, "A team tactic
#: model"); on 768 sessions 80 epochs make as many steps as 640 did on 96.
TEAM_EPOCHS = 80
#: Team tactic features with their change over one team step (``footcoach train-team
#: --deltas``). At 768 sessions the fusion on the ``FUSION_SEEDS`` sessions rose from 93.3% /
#: 91.6% / 91.1% (exact / noisy / no ball) to 93.7% / 91.9% / 91.9% (docs/ablation.md, "Feature
#: changes").
TEAM_DELTAS = True
#: Seeds of the team tactic models; more than one makes an ensemble (``footcoach
#: team-ensemble``: the mean of their probabilities).
TEAM_SEEDS = (0, 1, 2)
#: Seeds of the sessions on which ``footcoach team-fusion`` chooses the power of the players'
#: probabilities in the fusion with the team model: 24 more sessions of the recipe's rotation
#: (the same players and drill groups in turn), in neither model's dataset.
FUSION_SEEDS = tuple(range(2001, 2025))
#: Seeds of a second test set: 24 sessions of the rotation that no model and no choice saw. The
#: test sessions ``TEST_SESSIONS`` hold more of the drills played as a game than the rotation
#: (44% of their time against 28%, and no breakthrough drill), so the two sets differ.
FRESH_TEST_SEEDS = tuple(range(3001, 3025))


def fc(*args: str) -> None:
    """Run ``python -m footcoach ARGS`` (fails loudly)."""
    cmd = [sys.executable, "-m", "footcoach", *args]
    print("$ footcoach " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def fc_in_groups(runs: dict[Path, list[str]], size: int = 2) -> None:
    """Run ``python -m footcoach ARGS`` for each log file -> ARGS, ``size`` at a time, each
    writing into its log; fails loudly when one fails."""
    items = list(runs.items())
    for i in range(0, len(items), max(size, 1)):
        group = items[i:i + max(size, 1)]
        procs = []
        for log, cmd in group:
            print("$ footcoach " + " ".join(cmd), flush=True)
            with log.open("w") as out:
                procs.append(subprocess.Popen([sys.executable, "-m", "footcoach", *cmd],
                                              cwd=ROOT, stdout=out, stderr=subprocess.STDOUT))
        failed = [str(log) for (log, _), p in zip(group, procs, strict=True) if p.wait() != 0]
        if failed:
            raise SystemExit(f"training failed (logs: {', '.join(failed)})")


def simulate(work: Path, minutes: float, size: str | None, count: int = N_SESSIONS,
             seeds: tuple[int, ...] | None = None) -> list[Path]:
    """Simulate the first ``count`` sessions of the recipe into ``work`` (or, with ``seeds``,
    sessions of the same rotation with those seeds: the k-th gets the k-th players and drill
    group), those missing (``size`` None: without video); returns the session folders."""
    video = ["--no-video"] if size is None else ["--size", size]
    if seeds is None:
        seeds = tuple(seed for seed, _ in session_recipe(count))
    outs = [work / f"s{seed}" for seed in seeds]
    todo = [(seed, PLAYERS[k % len(PLAYERS)], out, DRILL_GROUPS[k % len(DRILL_GROUPS)])
            for k, (seed, out) in enumerate(zip(seeds, outs, strict=True))
            if not (out / "session.toml").exists()]
    for i in range(0, len(todo), 2):  # two at a time
        procs = [subprocess.Popen([sys.executable, "-m", "footcoach", "simulate", str(out),
                                   "--seed", str(seed), "--players", str(n), "--minutes",
                                   str(minutes), "--drills", drills, *video], cwd=ROOT,
                                  stdout=subprocess.DEVNULL)
                 for seed, n, out, drills in todo[i:i + 2]]
        if any(p.wait() != 0 for p in procs):
            raise SystemExit("simulation failed")
    return outs


def package(work: Path, models: Path, train_seconds: float | None, minutes: float = 3.0
            ) -> None:
    from footcoach.ml.evaluate import evaluate, headline
    from footcoach.ml.onnx_export import export_onnx, onnx_parity
    from footcoach.ml.weights import load_model, save_model

    model_dir, data = work / "model", work / "data.h5"
    m = evaluate(model_dir, data, split="test", out=models / "metrics", device="cpu")
    nb = evaluate(model_dir, data, split="test", out=models / "metrics" / "without-ball",
                  device="cpu", without_ball=True)
    trained = json.loads((model_dir / "footcoach_model.json").read_text())
    model, cfg = load_model(model_dir)
    info = dict(trained["training"])
    info.pop("dataset", None)
    info["dataset_file"] = "data.h5 built by benchmarks/train_bundled.py"
    info["reproduce"] = "python benchmarks/train_bundled.py" + (
        "" if finetune_text(info) else " --no-robust")
    metrics = {"validation": trained["metrics"].get("validation", {}),
               "test": {**headline(m), "data": m["data"]["text"],
                        "quality_rmse": m["quality"]["rmse"]},
               "test_without_ball": {**headline(nb), "data": nb["data"]["text"],
                                     "quality_rmse": nb["quality"]["rmse"]}}
    save_model(model, cfg, models, training_info=info, metrics=metrics)
    export_onnx(model, models)
    parity = onnx_parity(model, models)
    worst = max(parity.values())
    print(f"ONNX parity: max abs difference {worst:.2e}")
    (models / "metrics" / "onnx_parity.json").write_text(json.dumps(parity, indent=1) + "\n")
    md = (models / "metrics" / "metrics.md").read_text()
    noisy = work / "data_ball_errors.h5"
    if not noisy.is_file() or noisy.stat().st_mtime < data.stat().st_mtime:
        fc("dataset", "build", *(str(work / f"s{seed}") for seed, _ in SESSIONS), "--out",
           str(noisy), "--seed", "0", "--test-sessions", ",".join(TEST_SESSIONS),
           "--context", context_of(cfg.window.context_features), "--ball-noise",
           str(BALL_ERRORS[0]), "--ball-gaps", str(BALL_ERRORS[1]), "--force")
    be = evaluate(model_dir, noisy, split="test", out=models / "metrics" / "ball-errors",
                  device="cpu")
    fresh = extra_sessions(work, "fresh", FRESH_TEST_SEEDS, minutes,
                           context_of(cfg.window.context_features))
    second = (evaluate(model_dir, fresh, split="test", out=models / "metrics" / "fresh-test",
                       device="cpu"),
              evaluate(model_dir, fresh, split="test", device="cpu", without_ball=True,
                       out=models / "metrics" / "fresh-test" / "without-ball"))
    missing = (evaluate(model_dir, data, split="test", device="cpu", without_ball=True,
                        hide=("imu",), out=models / "metrics" / "without-vests"),
               evaluate(model_dir, data, split="test", device="cpu", without_ball=True,
                        hide=("context",), out=models / "metrics" / "without-positions"),
               evaluate(model_dir, data, split="test", device="cpu", without_ball=True,
                        corrupt=("imu",), out=models / "metrics" / "noisy-vests"),
               evaluate(model_dir, data, split="test", device="cpu", without_ball=True,
                        vest_rotation=TURNED_VESTS_DEG, out=models / "metrics" / "turned-vests"))
    team = None
    if (model_dir / "team_tactic.json").is_file():
        for old in models.glob("team_tactic*"):
            old.unlink()
        for path in sorted(model_dir.glob("team_tactic*")):
            shutil.copy2(path, models / path.name)
        team = {"doc": json.loads((models / "team_tactic.json").read_text()),
                "app": app_scores(models, work)}
    card = model_card(m, nb, info, cfg.to_dict(), worst, train_seconds, md,
                      constant_quality_mae(data), be, team, second, FRESH_TEST_SEEDS,
                      BALL_ERRORS, real_data_zero_shot(models), missing)
    (models / "MODEL_CARD.md").write_text(card)
    print(f"models/ written; test action {m['action']['accuracy']:.1%}, tactic "
          f"{m['tactic']['accuracy']:.1%}, quality MAE {m['quality']['mae']:.2f} (without the "
          f"ball: {nb['action']['accuracy']:.1%}, {nb['tactic']['accuracy']:.1%}, "
          f"{nb['quality']['mae']:.2f})")


def real_data_zero_shot(models: Path) -> dict[str, float] | None:
    """The model's zero-shot figures on the real Expert-Novice recordings (``footcoach
    benchmark expert-novice --quick``, whose zero-shot rows are the full run's: about 15 s), or
    None without the shared data folder."""
    from footcoach.bench.expert_novice_bench import BenchConfig, default_train_path, run
    from footcoach.errors import FootcoachError

    try:
        train = default_train_path()
    except FootcoachError as e:
        print(f"no real-data zero-shot figures for the card: {e}", flush=True)
        return None
    res = run(BenchConfig(train=train, quick=True, model_dir=models))
    real = {"shot_dribble": res.mean("bundled", "shot_dribble_acc"),
            "top1": res.mean("bundled", "top1"), "players": float(len(res.folds))}
    print(f"real data (Expert-Novice), zero-shot: shot/dribble {real['shot_dribble']:.1%}, "
          f"top-1 {real['top1']:.1%}", flush=True)
    return real


def app_scores(models: Path, work: Path) -> dict[str, dict[str, float]]:
    """``footcoach benchmark labelled`` pooled over the test sessions: with the exact ball or
    none, with the team tactic model or the players' vote alone."""
    from footcoach.analysis.session_scores import SessionScores
    from footcoach.bench.labelled_bench import LabelBall, score_folder

    out = {}
    for ball in (True, False):
        for team in (True, False):
            total = SessionScores()
            for i, name in enumerate(TEST_SESSIONS):
                folder = work / name
                track = LabelBall().track(folder, i) if ball else None
                total = total + score_folder(folder, model_dir=models, engine="onnx",
                                             tolerance_s=1.0, ball=track, team_model=team)[0]
            out[f"{'ball' if ball else 'no_ball'}_{'team' if team else 'vote'}"] = (
                total.ratios())
    return out


def extra_sessions(work: Path, name: str, seeds: tuple[int, ...], minutes: float,
                   context: str) -> Path:
    """Simulate sessions of the recipe's rotation (players and drill groups in turn) with
    ``seeds`` into ``work/name`` (those missing) and build ``work/data-{name}.h5``, a test-only
    dataset of them; returns the dataset."""
    folders = simulate(work / name, minutes, None, seeds=seeds)
    data = work / f"data-{name}.h5"
    fc("dataset", "build", *map(str, folders), "--out", str(data), "--seed", "0",
       "--test-sessions", ",".join(f.name for f in folders), "--context", context, "--force")
    return data


def fusion_power(work: Path, minutes: float, context: str) -> None:
    """``footcoach team-fusion --set`` for the models in ``work/model``, on the
    ``FUSION_SEEDS`` sessions."""
    data = extra_sessions(work, "fusion", FUSION_SEEDS, minutes, context)
    fc("team-fusion", str(work / "model"), str(data), "--set")


def constant_quality_mae(data: Path) -> float:
    """Quality MAE on the test split of always predicting the training split's median."""
    import numpy as np

    from footcoach.io.hdf5_dataset import DatasetFile

    with DatasetFile(data) as ds:
        q, split = ds.windows["quality"], ds.windows["split"]
    train, test = q[(split == 0) & np.isfinite(q)], q[(split == 2) & np.isfinite(q)]
    return float(np.mean(np.abs(test - np.median(train))))


def context_of(features: tuple[str, ...]) -> str:
    """The ``dataset build --context`` choice that gives ``features``."""
    from footcoach.domain.windowing import (
        CONTEXT_FEATURES,
        DEFAULT_CONTEXT_FEATURES,
        PLAYER_CONTEXT_FEATURES,
        POSSESSION_CONTEXT_FEATURES,
        RUN_CONTEXT_FEATURES,
        TEAM_ONLY_CONTEXT_FEATURES,
    )

    choices = {"all": CONTEXT_FEATURES, "ball": DEFAULT_CONTEXT_FEATURES,
               "runs": DEFAULT_CONTEXT_FEATURES + RUN_CONTEXT_FEATURES,
               "possession": DEFAULT_CONTEXT_FEATURES + POSSESSION_CONTEXT_FEATURES,
               "team": TEAM_ONLY_CONTEXT_FEATURES, "player": PLAYER_CONTEXT_FEATURES}
    return next(k for k, v in choices.items() if tuple(features) == v)



def member_command(data: Path, seed: int, out: Path, args: argparse.Namespace
                   ) -> list[str] | None:
    """The ``footcoach train`` arguments of the network with ``seed`` into ``out``: None when
    it is trained (its model JSON is written only at the end), ``--resume`` when a stopped run
    left a checkpoint (it goes on with the checkpoint's settings), else a new run."""
    if (out / "footcoach_model.json").is_file():
        return None
    if (out / "checkpoint" / "state.json").is_file():
        return ["train", str(data), "--out", str(out), "--resume", "--epochs", str(args.epochs),
                "--max-minutes", str(args.max_minutes), "--threads", str(args.threads)]
    return ["train", str(data), "--out", str(out), "--modalities", args.modalities, "--epochs",
            str(args.epochs), "--batch", "64", "--patience", "6", "--max-minutes",
            str(args.max_minutes), "--seed", str(seed), "--device", args.device,
            "--loss-weights", args.loss_weights, "--context-bins", str(args.context_bins),
            "--threads", str(args.threads)]


def robust_command(data: Path, seed: int, member: Path, out: Path, threads: int
                   ) -> list[str] | None:
    """The ``footcoach train`` arguments that fine-tune ``member`` with wrong sensors
    (``ROBUST_FINETUNE``) into ``out``, or None when that is done. A stopped run (a folder
    without its model JSON) is removed: it starts again (about 6 minutes)."""
    if (out / "footcoach_model.json").is_file():
        return None
    if out.exists():
        shutil.rmtree(out)
    return ["train", str(data), "--out", str(out), "--init", str(member), *ROBUST_FINETUNE,
            "--seed", str(seed), "--threads", str(threads)]


def train_members(work: Path, args: argparse.Namespace) -> None:
    """``footcoach train`` with seeds 0 .. members - 1, ``args.jobs`` at a time, into
    ``work/member-<seed>`` and ``footcoach ensemble`` of them into ``work/model`` (one member:
    straight into it). Run again, it skips the trained networks and resumes the stopped ones
    from their checkpoints (``member_command``)."""
    if args.members == 1:
        cmd = member_command(work / "data.h5", 0, work / "model", args)
        if cmd is not None:
            fc(*cmd)
        return
    outs = [work / f"member-{seed}" for seed in range(args.members)]
    todo = {}
    for seed, out in enumerate(outs):
        cmd = member_command(work / "data.h5", seed, out, args)
        if cmd is not None:
            resumed = "-resumed" if "--resume" in cmd else ""
            todo[work / f"train-member-{seed}{resumed}.log"] = cmd
    fc_in_groups(todo, args.jobs)
    if getattr(args, "robust", False):
        robust = [work / f"member-{seed}-robust" for seed in range(args.members)]
        fc_in_groups({work / f"robust-member-{seed}.log": cmd for seed, cmd in (
            (seed, robust_command(work / "data.h5", seed, outs[seed], robust[seed],
                                  args.threads)) for seed in range(args.members))
            if cmd is not None}, args.jobs)
        outs = robust
    model = work / "model"  # a fresh folder: the team stage writes its model into it next
    if model.is_symlink() or model.is_file():
        model.unlink()
    elif model.exists():
        shutil.rmtree(model)
    fc("ensemble", *map(str, outs), "--out", str(model), "--no-onnx")


def train_team_models(work: Path, data: Path, threads: int) -> None:
    """``footcoach train-team`` with each of ``TEAM_SEEDS``: the first into ``work/model``,
    the others two at a time (one torch thread each) into ``work/team-<seed>``; then
    ``footcoach team-ensemble`` adds those to the first."""
    def command(seed: int, out: Path, n_threads: int) -> list[str]:
        return ["train-team", str(data), "--out", str(out), "--epochs", str(TEAM_EPOCHS),
                "--seed", str(seed), "--threads", str(n_threads),
                *(["--deltas"] if TEAM_DELTAS else [])]

    fc(*command(TEAM_SEEDS[0], work / "model", threads))
    others = TEAM_SEEDS[1:]
    fc_in_groups({work / f"train-team-{seed}.log": command(seed, work / f"team-{seed}", 1)
                  for seed in others})
    if others:
        fc("team-ensemble", str(work / "model"), *(str(work / f"team-{s}") for s in others),
           "--data", str(data))


def reuse_team_model(source: Path, work: Path) -> list[str]:
    """Copy the team tactic model of ``source`` (``team_tactic*``: the JSON and every member's
    weights) into ``work/model`` instead of training one; returns the files copied.

    The team model reads no IMU and none of the network, so a bundle retrained with other
    network settings may keep the team model of the same recipe (hours of CPU). It must have
    held out the network's test sessions (``TEST_SESSIONS``): its test split is exactly those
    and none of them was in its training or validation split; otherwise SystemExit names the
    sessions. The fusion power is chosen again afterwards, for the new network.
    """
    from footcoach.analysis.team_tactic import load_team_model

    team = load_team_model(source)  # checks every weights file's sha256
    if team is None:
        raise SystemExit(f"{source}: no team tactic model (team_tactic.json) there")
    splits = team.doc.get("training", {}).get("sessions", {})
    seen = sorted(set(TEST_SESSIONS) & {s for k in ("train", "val") for s in splits.get(k, [])})
    if seen or sorted(splits.get("test", [])) != sorted(TEST_SESSIONS):
        raise SystemExit(f"{source}: its team tactic model's test sessions are "
                         f"{', '.join(splits.get('test', [])) or 'unknown'} (trained on "
                         f"{', '.join(seen) or 'none of ours'}), not the held-out "
                         f"{', '.join(TEST_SESSIONS)}")
    model = work / "model"
    if not (model / "footcoach_model.json").is_file():
        raise SystemExit(f"{model}: no trained network there (run the train stage first)")
    for old in model.glob("team_tactic*"):
        old.unlink()
    copied = []
    for path in sorted(source.glob("team_tactic*")):
        shutil.copy2(path, model / path.name)
        copied.append(path.name)
    return copied


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/footcoach-bundle"))
    ap.add_argument("--models", type=Path, default=ROOT / "models")
    ap.add_argument("--from-stage", choices=STAGES, default="simulate")
    ap.add_argument("--to-stage", choices=STAGES, default="package",
                    help="stop after this stage (dataset: only the sessions and data.h5)")
    ap.add_argument("--minutes", type=float, default=3.0, help="minutes per session")
    ap.add_argument("--video", metavar="WxH", default=None,
                    help="also render the sessions' video at this size (not read by the model)")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--max-minutes", type=float, default=MAX_MINUTES,
                    help=f"training wall-time limit per network (default {MAX_MINUTES:g})")
    ap.add_argument("--modalities", default="imu,context")
    ap.add_argument("--context", default="ball", help="dataset build --context (default ball)")
    ap.add_argument("--loss-weights", default=LOSS_WEIGHTS,
                    help=f"footcoach train --loss-weights (default {LOSS_WEIGHTS})")
    ap.add_argument("--context-bins", type=int, default=CONTEXT_BINS,
                    help=f"footcoach train --context-bins (default {CONTEXT_BINS})")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--members", type=int, default=MEMBERS,
                    help=f"networks in the ensemble, seeds 0 .. N-1 (default {MEMBERS}; 1: one "
                         "network, as the models bundled before session 16)")
    ap.add_argument("--team-sessions", type=int, default=TEAM_SESSIONS,
                    help=f"sessions of the team tactic model's dataset (default {TEAM_SESSIONS}; "
                         f"{N_SESSIONS} or fewer: the network's own)")
    ap.add_argument("--jobs", type=int, default=2,
                    help="networks trained at a time (default 2; each with --threads threads)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads for training (default 1, as the bundled model)")
    ap.add_argument("--robust", action=argparse.BooleanOptionalAction, default=True,
                    help="train stage: fine-tune each network with its vests turned before the "
                         "ensemble (ROBUST_FINETUNE; 2 or more --members; the bundled recipe "
                         "since session 27; --no-robust: the networks as trained)")
    ap.add_argument("--team-from", type=Path, default=None, metavar="DIR",
                    help="team stage: copy DIR's team tactic model (e.g. models, trained by this "
                         "recipe) instead of training it, then choose the fusion power again")
    args = ap.parse_args(argv)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    first, last = STAGES.index(args.from_stage), STAGES.index(args.to_stage)
    if first > last:
        ap.error(f"--from-stage {args.from_stage} comes after --to-stage {args.to_stage}")
    n_team = max(args.team_sessions, N_SESSIONS)
    team_data = work / ("data-team.h5" if n_team > N_SESSIONS else "data.h5")
    if first <= 0:
        simulate(work, args.minutes, args.video, n_team)
    if first <= 1 <= last:
        for data, count in {work / "data.h5": N_SESSIONS, team_data: n_team}.items():
            slim = ["--no-imu"] if data != work / "data.h5" else []  # the team model reads no IMU
            fc("dataset", "build", *(str(work / f"s{seed}") for seed, _ in session_recipe(count)),
               "--out", str(data), "--seed", "0", "--test-sessions", ",".join(TEST_SESSIONS),
               "--context", args.context, "--force", *slim)
    train_s = None
    if first <= 2 <= last:
        t0 = time.perf_counter()
        train_members(work, args)
        train_s = time.perf_counter() - t0
    if first <= 3 <= last:
        if args.team_from is not None:
            print(f"team tactic model from {args.team_from}: "
                  + ", ".join(reuse_team_model(args.team_from, work)), flush=True)
        else:
            train_team_models(work, team_data, args.threads)
        fusion_power(work, args.minutes, args.context)
    if last < 4:
        return 0
    package(work, args.models, train_s, args.minutes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
