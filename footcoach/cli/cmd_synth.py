"""``footcoach simulate`` (synthetic sessions) and ``footcoach demo`` (the bundled demo)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from footcoach.cli.progress import ProgressLine
from footcoach.errors import FootcoachError

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo-session"


def demo_session_path() -> Path:
    """The bundled demo session (inside a source checkout or a packaged app)."""
    frozen = Path(getattr(sys, "_MEIPASS", "")) / "resources" / "demo-session"
    for candidate in (frozen, DEMO):
        if (candidate / "session.toml").is_file():
            return candidate
    raise FootcoachError("the bundled demo session is missing (resources/demo-session)")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("simulate", help="write a synthetic training session (video, IMU, GPS, "
                                        "labels)")
    p.add_argument("out", type=Path, metavar="OUT")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--players", type=int, default=10)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--no-video", action="store_true", help="skip rendering the video")
    p.add_argument("--size", default="960x540", metavar="WxH", help="video size (default 960x540)")
    p.add_argument("--drills", default=None, metavar="LIST",
                   help="comma-separated drill kinds, in this order (default: as many as fit "
                        "the minutes, about 45 s each, small-sided game first); kinds: "
                        "sprint_agility, passing_pattern, possession, pressing, breakthrough, "
                        "shooting, retreat, small_sided_game")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("demo", help="open the bundled demo session (synthetic) in the app")
    p.add_argument("--headless", action="store_true",
                   help="no window: check, analyse and print the results")
    p.set_defaults(func=cmd_demo)


def cmd_simulate(args: argparse.Namespace) -> int:
    from footcoach.synth.simulate import simulate_session

    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise FootcoachError(f"--size must be WIDTHxHEIGHT, got {args.size!r}") from None
    if (args.out / "session.toml").exists():
        raise FootcoachError("a session already exists here; choose another folder", args.out)
    if not args.minutes * 60.0 >= 20.0:
        raise FootcoachError(f"--minutes {args.minutes:g}: a session must last at least 20 s "
                             "(--minutes 0.34 or more)")
    drills = None
    if args.drills is not None:
        from footcoach.synth.drills import DRILL_KINDS

        drills = [d.strip() for d in args.drills.split(",") if d.strip()]
        unknown = [d for d in drills if d not in DRILL_KINDS]
        if unknown or not drills:
            raise FootcoachError(f"--drills: unknown drill kind(s) {', '.join(unknown) or '-'} "
                                 f"(known: {', '.join(DRILL_KINDS)})")
    bar = ProgressLine("simulate")
    t0 = time.perf_counter()
    out = simulate_session(args.out, seed=args.seed, n_players=args.players,
                           minutes=args.minutes, video=not args.no_video, video_size=(w, h),
                           progress=bar, drills=drills)
    bar.close()
    wall = time.perf_counter() - t0
    print(f"synthetic session written to {out} ({args.minutes:g} min, {args.players} players, "
          f"{wall:.0f} s wall, {args.minutes * 60 / max(wall, 1e-9):.1f}x real time)")
    return 0


def writable_demo(path: Path) -> Path:
    """``path`` when the app may write its analysis cache there; else (a read-only install,
    e.g. Program Files or a signed macOS app) a copy in the user's data folder, made once."""
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        return path
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    copy = base / "footcoach" / "demo-session"
    if not (copy / "session.toml").is_file():
        try:
            shutil.copytree(path, copy, ignore=shutil.ignore_patterns("analysis"),
                            dirs_exist_ok=True)
        except OSError as exc:
            raise FootcoachError(f"the demo session is read-only and cannot be copied to "
                                 f"{copy}: {exc.strerror or exc}", path) from None
    return copy


def cmd_demo(args: argparse.Namespace) -> int:
    path = writable_demo(demo_session_path())
    if not args.headless:
        from footcoach.cli.cmd_gui import launch

        return launch(path)
    from footcoach.app.check import check_session
    from footcoach.app.metrics import session_metrics

    print(check_session(path).format())
    print()
    print(session_metrics(path).format())
    from footcoach.app.engines import NoModelError
    from footcoach.cli.cmd_analyze import print_analysis

    print()
    try:
        return print_analysis(path)
    except NoModelError:
        print("analysis: the model is not bundled yet (models/footcoach_model.json is missing; "
              "see README, 'Status')")
        return 0
