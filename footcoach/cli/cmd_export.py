"""``footcoach export SESSION --format csv|json|sportscode --out FILE``: the reviewed events
(analysis + the coach's corrections), team phases and load metrics for other tools.

``--what`` picks the tables: ``events`` (default for CSV and Sportscode), ``phases``,
``metrics`` (CSV, JSON) or ``all`` (default for JSON; CSV writes three files, Sportscode the
events and phases). ``--format`` may be left out when ``--out`` ends in ``.csv``, ``.json`` or
``.xml``. An existing file is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from footcoach.errors import FootcoachError

FORMATS = ("csv", "json", "sportscode")
SUFFIX_FORMAT = {".csv": "csv", ".json": "json", ".xml": "sportscode"}
DEFAULT_WHAT = {"csv": "events", "json": "all", "sportscode": "events"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser("export", help="write the reviewed events, team phases and metrics as "
                                      "CSV, JSON or Sportscode XML")
    p.add_argument("session", type=Path, metavar="SESSION")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="file format (default: from the --out suffix .csv, .json, .xml)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="file to write")
    p.add_argument("--what", choices=("events", "phases", "metrics", "all"), default=None,
                   help="which tables (default: events for csv and sportscode, all for json)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_export)


def resolve_format(fmt: str | None, out: Path) -> str:
    """``fmt`` or the format the suffix of ``out`` implies (FootcoachError when neither)."""
    if fmt is not None:
        return fmt
    guessed = SUFFIX_FORMAT.get(out.suffix.lower())
    if guessed is None:
        raise FootcoachError("cannot tell the format from the file name: pass --format "
                             "csv, json or sportscode", out)
    return guessed


def cmd_export(args: argparse.Namespace) -> int:
    from footcoach.export.json_export import write_json
    from footcoach.export.sportscode import write_sportscode
    from footcoach.export.tables import write_csv

    fmt = resolve_format(args.format, args.out)
    what = args.what or DEFAULT_WHAT[fmt]
    writer = {"csv": write_csv, "json": write_json, "sportscode": write_sportscode}[fmt]
    summary = writer(args.session, args.out, what=what, force=args.force)
    for w in summary.warnings:
        print(f"footcoach: warning: {w}", file=sys.stderr)
    if summary.data_warnings:
        print(f"footcoach: note: {len(summary.data_warnings)} data warnings (gaps, dropouts) "
              f"while computing the metrics; `footcoach check {args.session}` lists them",
              file=sys.stderr)
    print(summary.describe())
    return 0
