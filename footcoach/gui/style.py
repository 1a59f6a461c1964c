"""Colours, pyqtgraph defaults and the time axis shared by the views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from footcoach.app.review_data import format_time
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.session import Player

# One colour per action class, chosen to stay apart from each other on a dark background.
ACTION_COLORS: dict[Action, str] = {
    Action.TAKE_OFF: "#8dd3c7",
    Action.SHOOTING: "#e41a1c",
    Action.TURNING: "#ffd92f",
    Action.DEFENDING: "#377eb8",
    Action.RUNNING: "#4daf4a",
    Action.PASSING: "#ff7f00",
    Action.DRIBBLING: "#984ea3",
    Action.STOPPING: "#a6761d",
    Action.JUMPING: "#f781bf",
    Action.SLIDING: "#66c2a5",
    Action.SPRINTING: "#b2df8a",
    Action.ASSISTING_DEFENCE: "#80b1d3",
}

TACTIC_COLORS: dict[Tactic, str] = {
    Tactic.BALL_POSSESSION: "#1b9e77",
    Tactic.PRESSING: "#d95f02",
    Tactic.ASSISTING_DEFENCE: "#7570b3",
    Tactic.BREAKTHROUGH: "#e7298a",
    Tactic.RUNNING: "#66a61e",
    Tactic.PASSING: "#e6ab02",
    Tactic.SHOOTING: "#a6761d",
    Tactic.RETREATING_DEFENCE: "#5e8fbf",
}

TEAM_COLORS = ("#f0f0f0", "#ffb000", "#22b8cf", "#ff6b6b")
"""Marker colours for the first, second... team (by order of appearance)."""

PLAYHEAD_COLOR = "#ff4040"
SELECTION_COLOR = "#ffffff"
BACKGROUND = "#1e1f22"
FOREGROUND = "#d0d0d0"
MODALITY_COLORS = {"video": "#4c9be8", "imu": "#f28e2b", "position": "#59a14f"}


def team_colors(players: Sequence[Player]) -> dict[str, str]:
    """Player id -> marker colour of their team (teams coloured by order of appearance)."""
    teams: list[str] = []
    out: dict[str, str] = {}
    for p in players:
        if p.team not in teams:
            teams.append(p.team)
        out[p.id] = TEAM_COLORS[teams.index(p.team) % len(TEAM_COLORS)]
    return out


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
