"""``footcoach gui [SESSION]``: the desktop review app."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("gui", help="the desktop review app")
    p.add_argument("session", type=Path, nargs="?", metavar="SESSION")
    p.set_defaults(func=lambda a: launch(a.session))


def launch(session: Path | None) -> int:
    from footcoach.gui.main_window import run_gui

    return run_gui(str(session) if session is not None else None)
