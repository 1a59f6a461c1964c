"""The coach's corrections to the events: edit an event's labels or quality, add one, delete one;
undo/redo through a QUndoStack; saved after every change to ``annotations.json`` in the session
folder (atomically, :mod:`footcoach.io.annotations` describes the file) and applied again when
the session is reopened.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from footcoach.domain.events import Event
from footcoach.errors import FootcoachError
from footcoach.gui.state import AppState
from footcoach.io.annotations import (
    ANNOTATIONS_FILE,
    Corrections,
    load_corrections,
    save_corrections,
)

__all__ = ["ANNOTATIONS_FILE", "Corrections", "CorrectionsController", "load_corrections",
           "save_corrections"]


# --------------------------------------------------------------------------- undo commands
class _Change(QUndoCommand):
    """Swap the coach's version of one event (``before`` -> ``after``; None = absent)."""

    def __init__(self, controller: CorrectionsController, text: str,
                 before: tuple[str, Event | None], after: tuple[str, Event | None]) -> None:
        super().__init__(text)
        self._c = controller
        self._before, self._after = before, after

    def redo(self) -> None:
        self._c._set_entry(*self._after)

    def undo(self) -> None:
        self._c._set_entry(*self._before)


class CorrectionsController(QObject):
    """Owns the undo stack and the corrections of the open session, and keeps
    :attr:`AppState.events` = corrections applied to the analysis events.

    Signals:
        saved(str): annotations.json was written (its path).
        failed(str): saving failed (the message).
    """

    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, state: AppState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.stack = QUndoStack(self)
        self.base: list[Event] = []
        self.corrections = Corrections()
        self.folder: Path | None = None
        self._model_ids: set[str] = set()

    def reset(self, base: Sequence[Event], folder: str | Path | None,
              corrections: Corrections | None = None) -> list[Event]:
        """Start over on new analysis events (``base``) of the session in ``folder``; returns
        the corrected list (what the views should show). Clears the undo history."""
        self.stack.clear()
        self.base = list(base)
        self._model_ids = {e.id for e in self.base}
        self.folder = Path(folder) if folder is not None else None
        self.corrections = corrections if corrections is not None else Corrections()
        return self.corrections.apply(self.base)

    def current(self, event_id: str) -> Event | None:
        return self.state.event_by_id(event_id)

    # ------------------------------------------------------------------ edits
    def edit_event(self, event_id: str, **changes: Any) -> None:
        """Change fields of an event (``action``, ``tactic``, ``quality``, ``start_s``,
        ``end_s``, ``player_id``); the result becomes a coach event (confidence 1)."""
        old = self.current(event_id)
        if old is None:
            raise KeyError(f"no event {event_id!r}")
        new = replace(old, **changes, source="coach", confidence=1.0)
        if new.end_s <= new.start_s:
            raise ValueError("an event must end after it starts")
        if new == old:
            return
        self.stack.push(_Change(self, f"Edit {old.action.label} of {old.player_id}",
                                (event_id, self._entry(event_id)), (event_id, new)))

    def add_event(self, event: Event) -> Event:
        """Add a coach event (a fresh id is given when empty or taken)."""
        if not event.id or self.current(event.id) is not None or event.id in self._model_ids:
            event = replace(event, id=f"coach-{uuid.uuid4().hex[:10]}")
        if event.end_s <= event.start_s:
            raise ValueError("an event must end after it starts")
        event = replace(event, source="coach", confidence=1.0)
        self.stack.push(_Change(self, f"Add {event.action.label} for {event.player_id}",
                                (event.id, None), (event.id, event)))
        return event

    def delete_event(self, event_id: str) -> None:
        event = self.current(event_id)
        if event is None:
            raise KeyError(f"no event {event_id!r}")
        self.stack.push(_Change(self, f"Delete {event.action.label} of {event.player_id}",
                                (event_id, self._entry(event_id)), (event_id, None)))

    # ------------------------------------------------------------------ internals
    def _entry(self, event_id: str) -> Event | None:
        """The coach's current version of an id (an edit or an addition), None when the id is
        deleted or absent; for an untouched model event, the model event itself."""
        c = self.corrections
        if event_id in c.deleted or (event_id not in self._model_ids
                                     and event_id not in c.added):
            return None
        return c.edited.get(event_id) or c.added.get(event_id) or self.current(event_id)

    def _set_entry(self, event_id: str, event: Event | None) -> None:
        c = self.corrections
        c.edited.pop(event_id, None)
        c.added.pop(event_id, None)
        c.deleted.discard(event_id)
        if event_id in self._model_ids:
            if event is None:
                c.deleted.add(event_id)
            elif event.source == "coach":
                c.edited[event_id] = event
        elif event is not None:
            c.added[event_id] = event
        self.state.set_result(c.apply(self.base), self.state.time_attention)
        self._save()

    def _save(self) -> None:
        if self.folder is None:
            return
        try:
            path = save_corrections(self.folder, self.corrections)
        except FootcoachError as exc:
            self.failed.emit(str(exc))
            return
        self.saved.emit(str(path))
