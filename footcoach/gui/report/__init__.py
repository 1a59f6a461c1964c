"""The PDF session report (``footcoach report``; the review app's "Export report").

:func:`build_report` gathers the figures (:mod:`footcoach.app.report_data`, no Qt) and draws
them with QPdfWriter + QPainter (:mod:`.pdf`, :mod:`.sections`, :mod:`.charts`,
:mod:`.layout`). It needs a QGuiApplication: :func:`ensure_app` makes one for scripts and the
CLI (offscreen when there is no display).
"""

from __future__ import annotations

import os
import sys
import threading

from footcoach.gui.report.pdf import PAGE_SIZES, ReportResult, build_report, render_pdf

__all__ = ["PAGE_SIZES", "ReportResult", "build_report", "ensure_app", "render_pdf"]

_APP: object = None


def ensure_app() -> object:
    """The running QGuiApplication, or a new one (with ``QT_QPA_PLATFORM=offscreen`` when no
    display is available). Must be called from the main thread when none exists yet."""
    global _APP
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication

    app = QCoreApplication.instance()
    if app is not None:
        return app
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("create the QGuiApplication in the main thread before building a "
                           "report from a worker thread")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            or sys.platform in ("win32", "darwin")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _APP = QGuiApplication(sys.argv[:1])
    return _APP
