"""Entry script of the packaged app (PyInstaller freezes this file as the ``footcoach`` binary).

It runs the console script ``footcoach.cli.main:main``. Started without arguments (a double
click on the binary or on macOS's footcoach.app) the packaged app opens the review app, i.e.
``footcoach gui``; with arguments it is the ordinary CLI.
"""

from __future__ import annotations

import multiprocessing
import sys

from footcoach.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    argv = sys.argv[1:] or (["gui"] if getattr(sys, "frozen", False) else [])
    sys.exit(main(argv))
