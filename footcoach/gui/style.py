"""Colours, pyqtgraph defaults and the time axis shared by the views."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from footcoach.app.review_data import format_time
from footcoach.domain.palette import (
    ACTION_COLORS,
    MODALITY_COLORS,
    TACTIC_COLORS,
    TEAM_COLORS,
    team_colors,
)

__all__ = ["ACTION_COLORS", "MODALITY_COLORS", "TACTIC_COLORS", "TEAM_COLORS", "team_colors"]

PLAYHEAD_COLOR = "#ff4040"
SELECTION_COLOR = "#ffffff"
BACKGROUND = "#1e1f22"
FOREGROUND = "#d0d0d0"


def qcolor(hex_color: str, alpha: int = 255) -> QColor:
    c = QColor(hex_color)
    c.setAlpha(alpha)
    return c


def configure_pyqtgraph() -> None:
    """Dark plots with antialiasing off (faster for dense curves)."""
    pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND, antialias=False)


class TimeAxis(pg.AxisItem):
    """A bottom axis that labels session seconds as ``m:ss`` (``h:mm:ss`` past an hour)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="bottom", **kwargs)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        decimals = 0 if spacing >= 1 else (1 if spacing >= 0.1 else 2)
        return [format_time(v, decimals) for v in values]


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style with a dark palette, matching the plots (video review is done in the dark)."""
    app.setStyle("Fusion")
    p = QPalette()
    role = QPalette.ColorRole
    for r, c in ((role.Window, "#2b2d31"), (role.WindowText, "#dcdcdc"), (role.Base, "#1e1f22"),
                 (role.AlternateBase, "#26282c"), (role.ToolTipBase, "#2b2d31"),
                 (role.ToolTipText, "#dcdcdc"), (role.Text, "#dcdcdc"), (role.Button, "#35373c"),
                 (role.ButtonText, "#dcdcdc"), (role.BrightText, "#ff5555"),
                 (role.Highlight, "#3d6fb4"), (role.HighlightedText, "#ffffff"),
                 (role.Link, "#6ea8fe"), (role.PlaceholderText, "#8a8a8a")):
        p.setColor(r, QColor(c))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(disabled, r, QColor("#6f6f6f"))
    app.setPalette(p)
