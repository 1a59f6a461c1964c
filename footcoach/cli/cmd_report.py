"""``footcoach report SESSION --out F.pdf [--player ID] [--page-size a4|letter] [--force]``.

Writes the PDF session report (summary, data quality, load metrics, actions and tactics per
player and team, timelines, execution quality, modality attention, heatmaps and key moments
with video frames) from the session's analysis and the coach's corrections. ``--player`` makes
a one-player report. A progress line shows on stderr; Ctrl-C cancels and leaves no file; an
existing file is replaced only with ``--force``. Needs no display (Qt renders offscreen).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from footcoach.cli.progress import ProgressLine
from footcoach.errors import FootcoachError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "report", help="write a PDF report of an analysed session (or of one player)",
        description="Write a PDF report of an analysed session: summary, data quality, load "
                    "metrics, actions and tactics, timelines, execution quality, modality "
                    "attention, heatmaps and key moments with video frames. Uses the "
                    "newest analysis with the coach's corrections applied.")
    p.add_argument("session", type=Path, metavar="SESSION")
    p.add_argument("--out", type=Path, required=True, metavar="F.pdf", help="the PDF to write")
    p.add_argument("--player", metavar="ID", help="one-player report for player ID")
    p.add_argument("--page-size", choices=("a4", "letter"), default="a4",
                   help="paper size (default a4)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_report)


def use_offscreen_qt_without_display() -> None:
    """Qt needs a platform plugin; without a display the CLI renders offscreen."""
    if sys.platform in ("win32", "darwin"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def cmd_report(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() != ".pdf":
        raise FootcoachError("the report is a PDF: give a file name ending in .pdf", args.out)
    use_offscreen_qt_without_display()
    from footcoach.gui.report import build_report, ensure_app

    ensure_app()
    bar = ProgressLine("report")
    try:
        result = build_report(args.session, args.out, player=args.player,
                              page_size=args.page_size, force=args.force, progress=bar)
    finally:
        bar.close()
    print(f"wrote {result.path}: {result.pages} pages, {result.size_bytes / 1e6:.1f} MB "
          f"({args.page_size.upper() if args.page_size == 'a4' else 'Letter'}, "
          f"{result.seconds:.1f} s)")
    if result.warnings:
        print(f"{len(result.warnings)} data warnings (`footcoach check {args.session}` lists "
              "them)", file=sys.stderr)
    return 0
