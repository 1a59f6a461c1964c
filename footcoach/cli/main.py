"""``footcoach`` console script: parses arguments and turns FootcoachError into one line.

Every subcommand lives in a ``footcoach.cli.cmd_*`` module exposing ``register(subparsers)``;
each registered parser sets ``func(args) -> int``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from footcoach import __version__
from footcoach.errors import FootcoachError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    from footcoach.cli import cmd_session

    parser = argparse.ArgumentParser(
        prog="footcoach",
        description="Multimodal (video + IMU + GPS) football training and tactical analysis.",
    )
    parser.add_argument("--version", action="version", version=f"footcoach {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    cmd_session.register(sub)
    for name in ("cmd_synth", "cmd_dataset", "cmd_ml", "cmd_analyze", "cmd_export", "cmd_clip",
                 "cmd_report", "cmd_gui",
                 "cmd_benchmark"):
        module = _optional_module(name)
        if module is not None:
            module.register(sub)
    return parser


def _optional_module(name: str):  # type: ignore[no-untyped-def]
    """Command modules added by later work register themselves when present."""
    import importlib
    import importlib.util

    full = f"footcoach.cli.{name}"
    if importlib.util.find_spec(full) is None:
        return None
    return importlib.import_module(full)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM: unwind like Ctrl-C, so that exports remove their temporary files."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread() \
            and args.command not in ("gui", "demo"):  # Qt's event loop keeps the default
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except FootcoachError as exc:
        if args.debug:
            raise
        print(f"footcoach: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("footcoach: cancelled", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one line unless --debug
        if args.debug:
            raise
        print(f"footcoach: internal error: {type(exc).__name__}: {exc} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
