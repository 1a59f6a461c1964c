"""``footcoach dataset build | info``: labelled sessions -> HDF5 training file, and its summary."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from footcoach.errors import FootcoachError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser("dataset", help="build or describe an HDF5 training dataset",
                       description="Cut labelled sessions (simulated, or real ones with "
                                   "annotations.json) into per-player windows for training.")
    dsub = p.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)

    b = dsub.add_parser("build", help="build data.h5 from session folders")
    b.add_argument("sessions", nargs="+", type=Path, metavar="SESSION")
    b.add_argument("--out", type=Path, required=True, metavar="FILE", help="output .h5 file")
    b.add_argument("--seed", type=int, default=0, help="seed of the split assignment")
    b.add_argument("--compression", default="lzf", metavar="NAME",
                   help="lzf (default), gzip1..gzip9 or none")
    b.add_argument("--imu-offsets", choices=["manifest", "labels"], default="manifest",
                   help="IMU clock offsets: the manifest's (as analysis) or the simulator's "
                        "true ones from labels.json")
    b.add_argument("--balance", type=float, default=3.0, metavar="R",
                   help="keep at most R x the median class count of windows per action class "
                        "(default 3)")
    b.add_argument("--context", choices=["ball", "runs", "possession", "all", "team", "player"],
                   default="ball",
                   help="context features per step: ball (the player's own, the team-shape and "
                        "the ball-relative features: 31, default, as the bundled model), runs "
                        "(those and the 4 run features: the fastest forward run of a team-mate "
                        "and of an opponent, the share of each team running back), possession "
                        "(the 31 and which team last controlled the ball, and for how long), "
                        "all (every feature: the 31, the 3 session-capacity, the run and the "
                        "possession features; capacity did not help in a test, "
                        "docs/ablation.md), team (the first 23, without the ball-relative ones) "
                        "or player (the first 12 only)")
    b.add_argument("--no-ball", action="store_true",
                   help="ignore the ball track of labels.json (the ball features are then "
                        "unknown unless the session has tracking data with the ball)")
    b.add_argument("--ball-noise", type=float, default=0.0, metavar="M",
                   help="add tracking errors to the simulated ball of labels.json: correlated "
                        "position noise of M metres (standard deviation per axis)")
    b.add_argument("--ball-gaps", type=float, default=0.0, metavar="SHARE",
                   help="...and gaps (about 1 s each) hiding this share (0..1) of its samples")
    b.add_argument("--no-imu", action="store_true",
                   help="leave the IMU out (marked absent; no IMU file is read): the positions, "
                        "context and labels only, for the team tactic model (train-team), about "
                        "a tenth of the size and faster to build")
    b.add_argument("--test-sessions", default="", metavar="NAMES",
                   help="comma-separated folder names of the sessions that form the test split "
                        "(default: whole sessions drawn by --seed when there are 4 or more)")
    b.add_argument("--test-only", action="store_true",
                   help="every session forms the test split: a dataset to score a trained "
                        "model on (footcoach evaluate MODEL DATA.h5), say the bundled one on "
                        "your own labelled sessions, not to train on")
    b.add_argument("--window-steps", type=int, default=8, metavar="N",
                   help="steps of 0.5 s per window (default 8: 4 s, as the bundled model); "
                        "the labels are those at the window centre")
    b.add_argument("--force", action="store_true", help="overwrite an existing output file")
    b.set_defaults(func=cmd_build)

    i = dsub.add_parser("info", help="print a dataset's schema, counts and class table")
    i.add_argument("dataset", type=Path, metavar="FILE")
    i.set_defaults(func=cmd_info)


def cmd_build(args: argparse.Namespace) -> int:
    from footcoach.app.dataset import BuildSettings, run_build
    from footcoach.cli.progress import ProgressLine
    from footcoach.domain.windowing import (
        CONTEXT_FEATURES,
        DEFAULT_CONTEXT_FEATURES,
        PLAYER_CONTEXT_FEATURES,
        POSSESSION_CONTEXT_FEATURES,
        RUN_CONTEXT_FEATURES,
        TEAM_ONLY_CONTEXT_FEATURES,
        WindowSpec,
    )
    from footcoach.io.hdf5_dataset import compression_options, format_class_table

    if args.out.exists() and not args.force:
        raise FootcoachError("the output file exists (use --force to overwrite)", args.out)
    try:
        features = {"player": PLAYER_CONTEXT_FEATURES, "team": TEAM_ONLY_CONTEXT_FEATURES,
                    "ball": DEFAULT_CONTEXT_FEATURES,
                    "runs": DEFAULT_CONTEXT_FEATURES + RUN_CONTEXT_FEATURES,
                    "possession": DEFAULT_CONTEXT_FEATURES + POSSESSION_CONTEXT_FEATURES,
                    "all": CONTEXT_FEATURES}[args.context]
        settings = BuildSettings(seed=args.seed, compression=args.compression,
                                 imu_offsets=args.imu_offsets, balance_ratio=args.balance,
                                 spec=WindowSpec(context_features=features,
                                                 window_steps=args.window_steps),
                                 ball_from_labels=not args.no_ball,
                                 ball_noise_m=args.ball_noise, ball_gap_share=args.ball_gaps,
                                 store_imu=not args.no_imu,
                                 test_sessions=tuple(n.strip() for n in
                                                     args.test_sessions.split(",") if n.strip()))
        if args.test_only:
            if settings.test_sessions:
                raise ValueError("give --test-only or --test-sessions, not both")
            settings = replace(settings, test_sessions=tuple(p.name for p in args.sessions))
        if not 2 <= args.window_steps <= 64:
            raise ValueError(f"--window-steps must be 2..64, got {args.window_steps}")
        if not (args.ball_noise >= 0 and 0 <= args.ball_gaps < 1):
            raise ValueError(f"--ball-noise must be >= 0 and --ball-gaps in 0..1 (below 1), "
                             f"got {args.ball_noise} and {args.ball_gaps}")
        compression_options(settings.compression)
    except ValueError as exc:
        raise FootcoachError(str(exc), args.out) from None
    bar = ProgressLine("dataset")
    try:
        result = run_build(args.sessions, args.out, settings, progress=bar)
    finally:
        bar.close()
    print(f"dataset written to {result.path}: {result.n_sessions} sessions, "
          f"{result.n_players} players, {result.n_steps} steps, {result.n_windows} windows "
          f"(of {result.n_candidates} candidates)")
    print(f"{result.elapsed_s:.1f} s ({result.steps_per_s:.0f} steps/s), "
          f"{result.file_bytes / 1e6:.1f} MB "
          f"({result.bytes_per_player_minute / 1e6:.2f} MB per player-minute)")
    kept = ", ".join(f"{k} {v:.2f}" for k, v in result.keep_probability.items() if v < 1)
    if kept:
        print(f"thinned classes (keep probability): {kept}")
    print()
    print(format_class_table("action", result.action_table))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from footcoach.io.hdf5_dataset import dataset_info, format_info

    print(format_info(dataset_info(args.dataset)))
    return 0
