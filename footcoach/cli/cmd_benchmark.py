"""``footcoach benchmark io|gui|analyze|expert-novice``: figures as tables, never timed tests."""

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


def _io(args: argparse.Namespace) -> int:
    from footcoach.bench.io_bench import run

    cache = args.cache or DEFAULT_CACHE / f"bench-io-{args.players}p-{args.minutes:g}min"
    print(run(cache, players=args.players, minutes=args.minutes))
    return 0
