"""``footcoach clip SESSION (--event ID ... | --from S --to S) --out F.mp4``: annotated video.

One event gives one clip (``--pad`` seconds around it); several ``--event`` give a playlist in
one file with a title card before each clip; ``--from/--to`` (session clock: seconds, ``m:ss``
or ``h:mm:ss``) cuts a range. Players' labels, a pitch map and a title bar are drawn on every
frame; ``--player`` picks the highlighted player. A progress line shows on stderr; Ctrl-C
cancels and leaves no file. An existing file is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from footcoach.errors import FootcoachError

if TYPE_CHECKING:
    from footcoach.export.clip import ClipRequest


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "clip", help="cut events (or a time range) from the session video into an annotated "
                     "H.264 MP4",
        description="Cut events or a time range from the session video, with the players' "
                    "labels, a pitch map and the event's title drawn on every frame. Several "
                    "--event make one playlist file with a title card before each clip.")
    p.add_argument("session", type=Path, metavar="SESSION")
    p.add_argument("--event", action="append", default=[], metavar="ID",
                   help="event id (repeatable, or comma-separated): one clip per event, in "
                        "this order")
    p.add_argument("--from", dest="start", type=_time, metavar="S",
                   help="range start on the session clock (seconds, m:ss or h:mm:ss)")
    p.add_argument("--to", dest="end", type=_time, metavar="S", help="range end")
    p.add_argument("--player", metavar="ID",
                   help="player to highlight (default: each event's player)")
    p.add_argument("--pad", type=float, default=None, metavar="S",
                   help="seconds kept before and after each event (default 1.0)")
    p.add_argument("--out", type=Path, required=True, metavar="F.mp4", help="file to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_clip)


def _time(text: str) -> float:
    from footcoach.app.review_data import parse_time

    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def request_from_args(args: argparse.Namespace) -> ClipRequest:
    """The :class:`~footcoach.export.clip.ClipRequest` the arguments ask for
    (FootcoachError when they do not make one)."""
    from footcoach.export.clip import DEFAULT_PAD_S, ClipRequest, parse_event_ids

    events = parse_event_ids(args.event)
    has_range = args.start is not None or args.end is not None
    if events and has_range:
        raise FootcoachError("give either --event or --from/--to, not both")
    if not events and not has_range:
        raise FootcoachError("say what to cut: --event ID (repeatable) or --from S --to S")
    if has_range and (args.start is None or args.end is None):
        raise FootcoachError("--from and --to go together")
    if has_range and args.pad is not None:
        raise FootcoachError("--pad applies to --event clips; widen --from/--to instead")
    pad = DEFAULT_PAD_S if args.pad is None else args.pad
    return ClipRequest(event_ids=events,
                       time_range=(args.start, args.end) if has_range else None,
                       player_id=args.player, pad_s=pad)


def cmd_clip(args: argparse.Namespace) -> int:
    from footcoach.cli.progress import ProgressLine
    from footcoach.export.clip import write_clip

    request = request_from_args(args)
    bar = ProgressLine("clip")
    result = None
    try:
        with contextlib.closing(write_clip(args.session, args.out, request,
                                           force=args.force)) as steps:
            for p in steps:
                bar(p.done, p.total, p.message)
                result = p.result or result
    finally:
        bar.close()
    assert result is not None
    sound = "with audio" if result.audio else "no audio"
    kind = f"{result.clips} clips with title cards" if result.clips > 1 else "1 clip"
    note = " - SYNTHETIC session" if result.synthetic else ""
    print(f"{result.path}: {kind}, {result.frames} frames, {result.duration_s:.1f} s, "
          f"{result.width}x{result.height} at {result.fps:g} fps, H.264, {sound}{note} "
          f"(made in {result.elapsed_s:.1f} s, {result.encode_fps:.0f} frames/s)")
    return 0
