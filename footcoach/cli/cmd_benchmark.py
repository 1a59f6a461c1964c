"""``footcoach benchmark io|gui|analyze|labelled|baseline|expert-novice``: figures as tables,
never timed tests."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "footcoach"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("benchmark", help="speed, memory and accuracy figures")
    bsub = p.add_subparsers(dest="benchmark", metavar="WHICH", required=True)
    b = bsub.add_parser("io", help="import + align a generated 90-minute, 22-player session")
    b.add_argument("--players", type=int, default=22)
    b.add_argument("--minutes", type=float, default=90.0)
    b.add_argument("--cache", type=Path, default=None,
                   help=f"where the generated session is kept (default {DEFAULT_CACHE})")
    b.set_defaults(func=_io)
    g = bsub.add_parser("gui", help="random-seek latency of the review app's frame path "
                                    "(original and scrubbing proxy)")
    g.add_argument("--video", type=Path, action="append", default=None, metavar="PATH",
                   help="a video file or session folder to measure (repeatable; default: the "
                        "demo session's video when bundled)")
    g.add_argument("-n", type=int, default=100, help="random seeks per measurement")
    g.add_argument("--seconds", type=float, default=20.0,
                   help="length of the generated 1080p clip")
    g.add_argument("--cache", type=Path, default=None,
                   help=f"where the generated clip and the proxies are kept "
                        f"(default {DEFAULT_CACHE / 'bench-gui'})")
    g.add_argument("--stall", action="store_true",
                   help="instead: the longest event-loop stall while the app analyses the demo "
                        "session (random-init model; torch and ONNX engines)")
    g.set_defaults(func=_gui)
    a = bsub.add_parser("analyze", help="session analysis speed and memory vs the video-decode "
                                        "floor, both engines, extrapolated to 90 min x 22")
    a.add_argument("--session", type=Path, default=None,
                   help="session folder to analyse (default: a simulated one, cached)")
    a.add_argument("--minutes", type=float, default=10.0,
                   help="length of the simulated session (default 10; simulated once, cached)")
    a.add_argument("--players", type=int, default=10, help="players of the simulated session")
    a.add_argument("--engine", choices=("both", "torch", "onnx"), default="both")
    a.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu")
    a.add_argument("--batch", type=int, default=128)
    a.add_argument("--model", type=Path, default=None, metavar="DIR",
                   help="model folder, or 'random' for a random-init default-size model with "
                        "the video branch (default: bundled, else random)")
    a.add_argument("--video-stride", type=int, default=None, metavar="N",
                   help="first stride of the random-init model's video encoder (default 2; "
                        "with --model random only)")
    a.add_argument("--decode-threads", choices=("slice", "frame", "auto"), default=None,
                   help="FFmpeg threading of the analysis video (default: the analysis's "
                        "choice: auto = frame and slice threads with 8 cores or more, or 4 "
                        "with the engine on a GPU; slice otherwise)")
    a.add_argument("--crop-workers", type=int, default=None, metavar="N",
                   help="threads that cut the player crops while the next frames decode "
                        "(default 1: more gained nothing on a 16-core GPU machine)")
    a.add_argument("--cache", type=Path, default=None,
                   help=f"where the simulated session and model are kept "
                        f"(default {DEFAULT_CACHE / 'bench-analyze'})")
    a.set_defaults(func=_analyze)
    lab = bsub.add_parser("labelled", help="the app's analysis of labelled sessions scored step "
                                          "by step (players, team vote, displayed phases)")
    lab.add_argument("sessions", type=Path, nargs="+", metavar="SESSION")
    lab.add_argument("--model", type=Path, default=None, metavar="DIR",
                     help="model folder (default: the bundled one)")
    lab.add_argument("--engine", choices=("auto", "torch", "onnx"), default="auto")
    lab.add_argument("--tolerance", type=float, default=1.0, metavar="S",
                     help="tactic also counted right when it matches the label within +/- S "
                          "seconds (default 1)")
    lab.add_argument("--ball-from-labels", action="store_true",
                     help="analyse with the ball track of each session's labels.json (the "
                          "simulator's ball; not cached) instead of the session's own")
    lab.add_argument("--ball-noise", type=float, default=0.0, metavar="M",
                     help="with --ball-from-labels: correlated tracking noise (m per axis)")
    lab.add_argument("--ball-gaps", type=float, default=0.0, metavar="SHARE",
                     help="with --ball-from-labels: share of the ball samples hidden (0..1)")
    lab.add_argument("--no-team-model", action="store_true",
                     help="vote the team tactic without the model folder's team tactic model")
    lab.add_argument("--without-vests", action="store_true",
                     help="analyse copies of the sessions without their IMU vests (as if "
                          "recorded with GPS only)")
    lab.add_argument("--without-positions", action="store_true",
                     help="analyse copies of the sessions without their GPS units and tracking "
                          "data (as if recorded with vests only)")
    lab.set_defaults(func=_labelled)
    bl = bsub.add_parser("baseline", help="gradient boosting on a dataset file's windows "
                                          "(context steps + IMU features), beside the network")
    bl.add_argument("data", type=Path, metavar="DATA.h5")
    bl.add_argument("--split", choices=("val", "test"), default="test")
    bl.add_argument("--ball-dropout", type=float, default=0.5, metavar="P",
                    help="share of the training windows with the ball features hidden "
                         "(default 0.5, as footcoach train)")
    bl.add_argument("--seed", type=int, default=0)
    bl.add_argument("--max-iter", type=int, default=300, metavar="N",
                    help="boosting rounds at most (early stopping may end sooner; default 300)")
    bl.add_argument("--model", type=Path, default=None, metavar="DIR",
                    help="also score this network on the same windows (needs torch)")
    bl.set_defaults(func=_baseline)
    _register_expert_novice(bsub)


def _io(args: argparse.Namespace) -> int:
    from footcoach.bench.io_bench import run

    cache = args.cache or DEFAULT_CACHE / f"bench-io-{args.players}p-{args.minutes:g}min"
    print(run(cache, players=args.players, minutes=args.minutes))
    return 0


def _gui(args: argparse.Namespace) -> int:
    from footcoach.bench.gui_bench import default_videos, run, run_stall
    from footcoach.gui.frame_bench import measure_frame_path

    if args.stall:
        from footcoach.gui.stall_probe import measure_analysis_stall

        print(run_stall(args.cache or DEFAULT_CACHE / "bench-gui-stall", measure_analysis_stall))
        return 0

    videos = args.video if args.video else default_videos()
    cache = args.cache or DEFAULT_CACHE / "bench-gui"
    print(run(videos, cache, measure_frame_path, n=args.n, seconds=args.seconds))
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from footcoach.bench.analyze_bench import run
    from footcoach.errors import FootcoachError

    engines = ("torch", "onnx") if args.engine == "both" else (args.engine,)
    if args.video_stride is not None and (str(args.model) != "random" or args.video_stride < 1):
        raise FootcoachError("--video-stride N (N >= 1) sizes the random-init model: give it "
                             "with --model random (a trained model keeps its own stride)")
    if args.crop_workers is not None and args.crop_workers < 1:
        raise FootcoachError(f"--crop-workers must be 1 or more, got {args.crop_workers}")
    print(run(args.cache or DEFAULT_CACHE / "bench-analyze", session=args.session,
              minutes=args.minutes, players=args.players, engines=engines, device=args.device,
              batch=args.batch, model_dir=args.model, video_stride=args.video_stride,
              decode_threads=args.decode_threads and args.decode_threads.upper(),
              crop_workers=args.crop_workers))
    return 0


def _labelled(args: argparse.Namespace) -> int:
    from footcoach.bench.labelled_bench import LabelBall, run
    from footcoach.cli.progress import ProgressLine
    from footcoach.errors import FootcoachError

    if not 0 <= args.tolerance <= 10:
        raise FootcoachError(f"--tolerance must be 0..10 s, got {args.tolerance:g}")
    errors = args.ball_noise != 0 or args.ball_gaps != 0
    if errors and not args.ball_from_labels:
        raise FootcoachError("--ball-noise and --ball-gaps go with --ball-from-labels")
    if not (args.ball_noise >= 0 and 0 <= args.ball_gaps < 1):
        raise FootcoachError(f"--ball-noise must be >= 0 m and --ball-gaps in 0..1, got "
                             f"{args.ball_noise:g} and {args.ball_gaps:g}")
    label_ball = LabelBall(args.ball_noise, args.ball_gaps) if args.ball_from_labels else None
    bar = ProgressLine("labelled")
    try:
        text = run(args.sessions, model_dir=args.model, engine=args.engine,
                   tolerance_s=args.tolerance, progress=bar, label_ball=label_ball,
                   team_model=not args.no_team_model,
                   drop=[d for d, on in (("imu", args.without_vests),
                                         ("positions", args.without_positions)) if on])
    finally:
        bar.close()
    print(text)
    return 0


def _baseline(args: argparse.Namespace) -> int:
    import tempfile

    from footcoach.bench.window_baseline import (
        WindowBaselineSettings,
        format_report,
        run_baseline,
    )
    from footcoach.cli.progress import ProgressLine

    settings = WindowBaselineSettings(ball_dropout=args.ball_dropout, seed=args.seed,
                                      max_iter=args.max_iter)
    settings.validate()
    network = None
    if args.model is not None:
        from footcoach.cli.cmd_ml import _require_torch

        _require_torch("benchmark baseline --model")
        from footcoach.ml.evaluate import evaluate, headline

        with tempfile.TemporaryDirectory() as tmp:
            network = {k: headline(evaluate(args.model, args.data, split=args.split,
                                            out=Path(tmp) / k, without_ball=k != "with_ball"))
                       for k in ("with_ball", "without_ball")}
    bar = ProgressLine("baseline")
    try:
        result = run_baseline(args.data, split=args.split, settings=settings, progress=bar)
    finally:
        bar.close()
    print(format_report(result, args.data, args.split, network))
    return 0


def _register_expert_novice(bsub: argparse._SubParsersAction) -> None:
    e = bsub.add_parser("expert-novice", help="real IMU data: the network (IMU only) vs a "
                                              "feature + gradient-boosting baseline, by player")
    e.add_argument("--train", type=Path, default=None, metavar="CSV",
                   help="derived Expert-Novice file (default: the shared data's "
                        "lower_body_imu_players_1-3_5-7.csv.gz); alone: leave-one-player-out")
    e.add_argument("--test", type=Path, default=None, metavar="CSV",
                   help="held-out players in the same format: train on --train, score this")
    e.add_argument("--segments", default="upper_spine",
                   help="comma-separated sensors (upper_spine, hips, right_foot, left_foot, "
                        "right_lower_leg, ...; default upper_spine, vest-like)")
    e.add_argument("--mirror", default="auto",
                   help="left-footers to mirror: auto (detected from the feet), none, or "
                        "player numbers like 5,8")
    e.add_argument("--rate-hz", type=float, default=100.0,
                   help="sampling rate assumed for the recordings (undocumented; ~96-100 Hz)")
    e.add_argument("--epochs", type=int, default=None, help="network training epochs")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--model", type=Path, default=None, metavar="DIR",
                   help="model for the zero-shot row (default: the bundled one)")
    e.add_argument("--no-zero-shot", action="store_true", help="skip the bundled model")
    e.add_argument("--quick", action="store_true",
                   help="a few epochs of a small network and a short baseline (tests)")
    e.set_defaults(func=_expert_novice)


def _expert_novice(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from footcoach.bench.baseline import BaselineSettings
    from footcoach.bench.expert_novice_bench import (
        BenchConfig,
        default_train_path,
        format_report,
        run,
    )
    from footcoach.cli.progress import ProgressLine
    from footcoach.errors import FootcoachError
    from footcoach.ml.expert_novice import NetSettings

    mirror: str | tuple[int, ...] = args.mirror
    if args.mirror not in ("auto", "none"):
        try:
            mirror = tuple(int(p) for p in args.mirror.split(",") if p.strip())
        except ValueError:
            raise FootcoachError(f"--mirror takes auto, none or player numbers, not "
                                 f"{args.mirror!r}") from None
    net = NetSettings(seed=args.seed)
    net = net.quick() if args.quick else net
    if args.epochs is not None:
        net = replace(net, epochs=max(1, args.epochs))
    cfg = BenchConfig(train=args.train or default_train_path(), test=args.test,
                      segments=tuple(s.strip() for s in args.segments.split(",") if s.strip()),
                      rate_hz=args.rate_hz, mirror=mirror, quick=args.quick, net=net,
                      baseline=BaselineSettings(seed=args.seed), model_dir=args.model,
                      zero_shot=not args.no_zero_shot)
    bar = ProgressLine("expert-novice")
    try:
        result = run(cfg, progress=bar)
    finally:
        bar.close()
    print(format_report(result))
    return 0
