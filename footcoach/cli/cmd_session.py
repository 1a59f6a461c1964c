"""``footcoach new | check | metrics``: build, validate and summarise session folders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from footcoach.errors import FootcoachError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("new", help="build a session folder from raw files",
                       description="Build a session folder from raw files. Each file is read and "
                                   "validated first; an existing session is never overwritten.")
    p.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    p.add_argument("--name", help="session name (default: the folder name)")
    p.add_argument("--video", type=Path, help="the sideline video (any codec PyAV reads)")
    p.add_argument("--imu", nargs="+", default=[], metavar="[ID=]FILE",
                   help="IMU CSV per player; the id is the file stem unless given as ID=FILE")
    p.add_argument("--gps", nargs="+", default=[], metavar="[ID=]FILE",
                   help="GPS CSV per player (lat/lon or pitch x/y)")
    p.add_argument("--tracking", nargs="+", default=[], type=Path, metavar="FILE",
                   help="provider tracking files (Metrica home+away CSV, EPTS xml+txt, "
                        "TRACAB meta+raw, Sportec meta+positions)")
    p.add_argument("--tracking-format", choices=["metrica", "epts", "tracab", "sportec"])
    p.add_argument("--pitch-corners", type=Path, metavar="FILE",
                   help="CSV with the 4 pitch corners (longitude,latitude)")
    p.add_argument("--pitch-size", type=_size, metavar="LxW",
                   help="pitch size in metres, e.g. 105x68")
    p.add_argument("--pitch-origin", type=_lonlat, metavar="LON,LAT",
                   help="GPS position of the pitch corner used as origin")
    p.add_argument("--pitch-heading", type=float, metavar="DEG",
                   help="compass bearing of the pitch length axis (with --pitch-origin)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("check", help="validate a session and print its summary and quality table")
    p.add_argument("session", type=Path, metavar="SESSION")
    p.add_argument("--max-gap", type=float, default=1.0, metavar="S",
                   help="longest gap (seconds) filled by interpolation (default 1.0)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("metrics",
                       help="load metrics per player (distance, speed bands, PlayerLoad)")
    p.add_argument("session", type=Path, metavar="SESSION")
    p.add_argument("--csv", type=Path, metavar="FILE", help="also write the table as CSV")
    p.add_argument("--hsr", type=float, default=5.5, metavar="M/S",
                   help="high-speed running threshold (default 5.5 m/s)")
    p.add_argument("--sprint", type=float, default=7.0, metavar="M/S",
                   help="sprint threshold (default 7.0 m/s)")
    p.add_argument("--period", action="append", default=[], type=_period, metavar="NAME=START-END",
                   help="report a period of the session clock in seconds, e.g. drill1=120-600 "
                        "(repeatable; default the whole session)")
    p.add_argument("--bouts", type=Path, metavar="XLSX",
                   help="drill bouts sheet (split name, start, end); one period per bout")
    p.set_defaults(func=cmd_metrics)


def _size(text: str) -> tuple[float, float]:
    try:
        a, b = text.lower().split("x")
        return float(a), float(b)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LENGTHxWIDTH in metres, got {text!r}") from None


def _lonlat(text: str) -> tuple[float, float]:
    try:
        a, b = text.split(",")
        return float(a), float(b)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LON,LAT, got {text!r}") from None


def _period(text: str) -> tuple[str, float, float]:
    try:
        name, span = text.split("=")
        a, b = span.split("-")
        return name, float(a), float(b)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=START-END seconds, got {text!r}") from None


def _print_warnings(warnings: list[str], limit: int = 20) -> None:
    for w in warnings[:limit]:
        print(f"footcoach: warning: {w}", file=sys.stderr)
    if len(warnings) > limit:
        print(f"footcoach: warning: ... and {len(warnings) - limit} more", file=sys.stderr)


def cmd_new(args: argparse.Namespace) -> int:
    from footcoach.app.new_session import NewSessionRequest, build_session, player_files

    if (args.pitch_origin is None) != (args.pitch_heading is None):
        raise FootcoachError("--pitch-origin and --pitch-heading go together")
    req = NewSessionRequest(
        out_dir=args.out_dir, name=args.name, video=args.video,
        imu=player_files(args.imu, "imu"), gps=player_files(args.gps, "gps"),
        tracking=list(args.tracking), tracking_format=args.tracking_format,
        pitch_corners=args.pitch_corners, pitch_size=args.pitch_size,
        pitch_origin=args.pitch_origin, pitch_heading_deg=args.pitch_heading)
    out, diag = build_session(req)
    _print_warnings(diag.warnings)
    print(f"session written to {out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from footcoach.app.check import check_session

    report = check_session(args.session, max_gap_s=args.max_gap)
    print(report.format())
    _print_warnings(report.warnings)
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    from footcoach.app.metrics import session_metrics

    table = session_metrics(args.session, hsr_mps=args.hsr, sprint_mps=args.sprint,
                            periods=args.period or None, bouts_xlsx=args.bouts)
    print(table.format())
    if args.csv:
        table.to_csv(args.csv)
        print(f"metrics written to {args.csv}")
    _print_warnings(table.warnings)
    return 0
