"""The colours footcoach draws with everywhere (review app, clips, reports), as ``#rrggbb``
strings so that every layer can use them without Qt."""

from __future__ import annotations

from collections.abc import Sequence

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

MODALITY_COLORS = {"video": "#4c9be8", "imu": "#f28e2b", "position": "#59a14f"}

RGB = tuple[int, int, int]


def hex_rgb(color: str) -> RGB:
    """``"#4daf4a"`` -> ``(77, 175, 74)``."""
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def team_colors(players: Sequence[Player]) -> dict[str, str]:
    """Player id -> marker colour of their team (teams coloured by order of appearance)."""
    teams: list[str] = []
    out: dict[str, str] = {}
    for p in players:
        if p.team not in teams:
            teams.append(p.team)
        out[p.id] = TEAM_COLORS[teams.index(p.team) % len(TEAM_COLORS)]
    return out
