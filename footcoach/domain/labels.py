"""The paper's label sets: 12 player actions and 8 tactical behaviours (PAPER.md, "Labels").

The integer value of each member is its class index in the model's output heads; the order is
fixed (changing it invalidates trained weights).
"""

from __future__ import annotations

from enum import IntEnum
from typing import TypeVar

E = TypeVar("E", bound=IntEnum)


class Action(IntEnum):
    """Individual player actions (model head of 12 classes)."""

    TAKE_OFF = 0
    SHOOTING = 1
    TURNING = 2
    DEFENDING = 3
    RUNNING = 4
    PASSING = 5
    DRIBBLING = 6
    STOPPING = 7
    JUMPING = 8
    SLIDING = 9
    SPRINTING = 10
    ASSISTING_DEFENCE = 11

    @property
    def label(self) -> str:
        """Human-readable name, e.g. ``"take-off"``, ``"assisting defence"``."""
        return self.name.lower().replace("_", " ").replace("take off", "take-off")

    @classmethod
    def parse(cls, text: str) -> Action:
        """Accept ``"take-off"``, ``"TAKE_OFF"``, ``"assisting defence"`` or an index."""
        return _parse(cls, text)


class Tactic(IntEnum):
    """Team / player tactical behaviours (model head of 8 classes)."""

    BALL_POSSESSION = 0
    PRESSING = 1
    ASSISTING_DEFENCE = 2
    BREAKTHROUGH = 3
    RUNNING = 4
    PASSING = 5
    SHOOTING = 6
    RETREATING_DEFENCE = 7

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> Tactic:
        return _parse(cls, text)


def _parse(cls: type[E], text: str | int) -> E:
    if isinstance(text, int) or str(text).strip().isdigit():
        return cls(int(text))
    key = str(text).strip().upper().replace("-", "_").replace(" ", "_")
    try:
        return cls[key]
    except KeyError:
        names = ", ".join(m.name.lower() for m in cls)
        kind = cls.__name__.lower()
        raise ValueError(f"unknown {kind} {text!r} (expected one of {names})") from None


ACTIONS: tuple[Action, ...] = tuple(Action)
TACTICS: tuple[Tactic, ...] = tuple(Tactic)
