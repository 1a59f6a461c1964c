"""``footcoach gui [SESSION]``: the desktop review app."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser("gui", help="the desktop review app")
    p.add_argument("session", type=Path, nargs="?", metavar="SESSION")
    # hidden: the packaged app's smoke test opens the window and quits after SECONDS
    p.add_argument("--quit-after", type=float, default=None, metavar="SECONDS",
                   help=argparse.SUPPRESS)
    p.set_defaults(func=lambda a: launch(a.session, a.quit_after))


def launch(session: Path | None, quit_after_s: float | None = None) -> int:
    from footcoach.gui.main_window import run_gui

    return run_gui(str(session) if session is not None else None, quit_after_s=quit_after_s)
