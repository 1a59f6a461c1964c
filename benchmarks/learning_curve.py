"""Learning curve of the bundled model's recipe: the same network trained on more simulated
sessions, scored on the same held-out sessions. Synthetic data only.

    .venv/bin/python benchmarks/learning_curve.py --work /tmp/lc --counts 24,48,72

The sessions follow ``benchmarks/train_bundled.py``'s recipe (``train_bundled.simulate``):
session ``k`` has seed ``11 + k``, ``(10, 8, 12, 10, 10, 10)[k % 6]`` players and the drill group
``DRILL_GROUPS[k % 7]`` (3 minutes, no video); counts past the bundled model's continue it. For each
count ``n`` the first ``n`` sessions are cut into ``data-n.h5`` with the bundled model's test
sessions pinned (``footcoach dataset build --test-sessions s12,s17,s18,s31``), and a model is
trained with the bundled model's settings (``footcoach train``: IMU + context, batch 64, loss
weights, context bins, patience 6). Every model is then scored on the test split of the largest
count's file, so all rows share the same test windows (with the ball track, and with its
features hidden). ``--jobs 2`` trains two models at a time with one thread each. Counts whose
model is written are not trained again; a training that was stopped goes on from its checkpoint
(``footcoach train --resume``).

The table (markdown) is printed and written to ``WORK/learning_curve.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_bundled import CONTEXT_BINS, LOSS_WEIGHTS, TEST_SESSIONS, simulate

ROOT = Path(__file__).resolve().parents[1]


def _footcoach(*args: str, threads: int | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "footcoach", *args]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    return cmd


def build(work: Path, sessions: list[Path]) -> Path:
    out = work / f"data-{len(sessions)}.h5"
    if not out.exists():
        subprocess.run(_footcoach("dataset", "build", *map(str, sessions), "--out", str(out),
                                  "--seed", "0", "--test-sessions", ",".join(TEST_SESSIONS)),
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return out


def train_commands(work: Path, counts: list[int], args: argparse.Namespace
                   ) -> list[tuple[int, list[str]]]:
    todo = []
    for n in counts:
        model = work / f"model-{n}"
        if (model / "footcoach_model.json").exists():
            continue
        if (model / "checkpoint" / "state.json").exists():  # an interrupted run goes on
            todo.append((n, _footcoach(
                "train", str(work / f"data-{n}.h5"), "--out", str(model), "--resume",
                "--epochs", str(args.epochs), "--max-minutes", str(args.max_minutes),
                threads=args.threads)))
            continue
        todo.append((n, _footcoach(
            "train", str(work / f"data-{n}.h5"), "--out", str(model), "--modalities",
            "imu,context", "--epochs", str(args.epochs), "--batch", "64", "--patience", "6",
            "--seed", str(args.seed), "--device", "cpu", "--loss-weights", LOSS_WEIGHTS,
            "--context-bins", str(CONTEXT_BINS), "--max-minutes", str(args.max_minutes),
            threads=args.threads)))
    return todo


def run_training(work: Path, todo: list[tuple[int, list[str]]], jobs: int) -> None:
    """Run the training commands, ``jobs`` at a time; each one's log goes to WORK/train-n.log."""
    running: list[tuple[int, subprocess.Popen[bytes], float]] = []
    while todo or running:
        while todo and len(running) < jobs:
            n, cmd = todo.pop(0)
            log = (work / f"train-{n}.log").open("wb")
            running.append((n, subprocess.Popen(cmd, cwd=ROOT, stdout=log,
                                                stderr=subprocess.STDOUT), time.time()))
        time.sleep(2)
        for item in list(running):
            n, proc, t0 = item
            if proc.poll() is not None:
                running.remove(item)
                if proc.returncode != 0:
                    raise SystemExit(f"training on {n} sessions failed: see "
                                     f"{work / f'train-{n}.log'}")
                (work / f"model-{n}" / "train_seconds.txt").write_text(f"{time.time() - t0:.0f}\n")
                print(f"trained on {n} sessions in {time.time() - t0:.0f} s", flush=True)


def score(work: Path, n: int, test_data: Path) -> dict[str, Any]:
    from footcoach.ml.evaluate import evaluate

    model = work / f"model-{n}"
    info = json.loads((model / "footcoach_model.json").read_text())["training"]
    with_ball = evaluate(model, test_data, split="test", device="cpu")
    without = evaluate(model, test_data, split="test", device="cpu", without_ball=True)
    secs = (model / "train_seconds.txt")
    return {"n": n, "windows": info["windows_per_split"], "with": with_ball, "without": without,
            "best_epoch": info.get("best_epoch"), "epochs": info.get("epochs_run"),
            "seconds": float(secs.read_text()) if secs.exists() else float("nan")}


def table(rows: list[dict[str, Any]], test_data: Path) -> str:
    head = ("| sessions (train + val) | training windows | with the ball: action / tactic / "
            "quality MAE | without it | best epoch | training, s |\n|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        w, nb = r["with"], r["without"]
        lines.append(
            f"| {r['n'] - len(TEST_SESSIONS)} | {r['windows'].get('train', 0)} | "
            f"{w['action']['accuracy']:.1%} ({w['action']['macro_f1']:.3f}) / "
            f"{w['tactic']['accuracy']:.1%} / {w['quality']['mae']:.2f} | "
            f"{nb['action']['accuracy']:.1%} / {nb['tactic']['accuracy']:.1%} / "
            f"{nb['quality']['mae']:.2f} | {r['best_epoch']} of {r['epochs']} | "
            f"{r['seconds']:.0f} |")
    n_test = rows[0]["with"]["n_windows"] if rows else 0
    lines.append(f"\nTest: {n_test} windows of the held-out sessions {', '.join(TEST_SESSIONS)} "
                 f"(synthetic), the test split of {test_data.name}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/footcoach-curve"))
    ap.add_argument("--counts", default="24,48,72",
                    help="session counts, test sessions included (each >= 5)")
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--max-minutes", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    counts = sorted({int(c) for c in args.counts.split(",")})
    if counts[0] <= len(TEST_SESSIONS) or counts[-1] < 32:
        ap.error("--counts: each count must exceed 4, the largest must be >= 32 (s31 is the "
                 "21st session)")
    args.work.mkdir(parents=True, exist_ok=True)
    sessions = simulate(args.work, args.minutes, None, counts[-1])
    for n in counts:
        print(f"dataset of {n} sessions: {build(args.work, sessions[:n])}", flush=True)
    run_training(args.work, train_commands(args.work, counts, args), args.jobs)
    test_data = args.work / f"data-{counts[-1]}.h5"
    rows = [score(args.work, n, test_data) for n in counts]
    (args.work / "scores.json").write_text(json.dumps(
        [{k: v for k, v in r.items() if k not in ("with", "without")} |
         {"with": {t: r["with"][t] for t in ("action", "tactic", "quality")},
          "without": {t: r["without"][t] for t in ("action", "tactic", "quality")}}
         for r in rows], indent=1, default=str))
    text = table(rows, test_data)
    (args.work / "learning_curve.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
