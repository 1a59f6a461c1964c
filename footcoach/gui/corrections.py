"""The coach's corrections to the events: edit an event's labels or quality, add one, delete one;
undo/redo through a QUndoStack; saved after every change to ``annotations.json`` in the session
folder (atomically) and applied again when the session is reopened.

``annotations.json`` is an overlay on whatever events the analysis produced::

    {"format": "footcoach-annotations", "version": 1,
     "edited":  [event, ...],   # corrected copies of analysis events (same id), source "coach"
     "added":   [event, ...],   # events the coach created, source "coach"
     "deleted": [id, ...]}      # analysis events the coach removed

(each ``event`` as :meth:`footcoach.domain.events.Event.to_dict`). The coach's events are the
club's own labels: ``edited`` + ``added`` are what a dataset builder takes as ground truth.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from footcoach.domain.events import Event
from footcoach.errors import FootcoachError
from footcoach.gui.state import AppState
from footcoach.io.manifest import atomic_write_text

ANNOTATIONS_FILE = "annotations.json"
FORMAT_NAME = "footcoach-annotations"
FORMAT_VERSION = 1


@dataclass
class Corrections:
    """The overlay described in the module docstring."""

    edited: dict[str, Event] = field(default_factory=dict)
    added: dict[str, Event] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)

    def apply(self, base: Sequence[Event]) -> list[Event]:
        """``base`` with edits put in, deletions left out and additions appended (by start)."""
        out = [self.edited.get(e.id, e) for e in base if e.id not in self.deleted]
        out.extend(sorted(self.added.values(), key=lambda e: (e.start_s, e.player_id)))
        return out

    def stale(self, base: Sequence[Event]) -> list[str]:
        """Ids of edits or deletions whose event is not in ``base`` (a re-analysis renamed or
        dropped it)."""
        ids = {e.id for e in base}
        return sorted(i for i in [*self.edited, *self.deleted] if i not in ids)

    def to_json(self) -> str:
        doc: dict[str, Any] = {
            "format": FORMAT_NAME, "version": FORMAT_VERSION,
            "edited": [e.to_dict() for e in self.edited.values()],
            "added": [e.to_dict() for e in self.added.values()],
            "deleted": sorted(self.deleted),
        }
        return json.dumps(doc, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, path: Path) -> Corrections:
        """Parse ``annotations.json``; FootcoachError naming the file and entry when it is bad."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FootcoachError(f"invalid JSON: {exc.msg}", path,
                                 f"line {exc.lineno}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
            raise FootcoachError(f"not a footcoach annotations file (format must be "
                                 f"{FORMAT_NAME!r})", path)
        if int(doc.get("version", 1)) > FORMAT_VERSION:
            raise FootcoachError(f"version {doc['version']} is newer than this footcoach "
                                 "understands", path)
        out = cls()
        for key in ("edited", "added"):
            for i, item in enumerate(doc.get(key, [])):
                try:
                    event = Event.from_dict(item)
                except (KeyError, TypeError, ValueError) as exc:
                    raise FootcoachError(f"bad event: {exc}", path, f"{key}[{i}]") from None
                getattr(out, key)[event.id] = event
        out.deleted = {str(i) for i in doc.get("deleted", [])}
        return out


def load_corrections(folder: str | Path) -> Corrections:
    """The corrections saved in ``folder`` (empty when there is no annotations file)."""
    path = Path(folder) / ANNOTATIONS_FILE
    if not path.is_file():
        return Corrections()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FootcoachError(f"cannot read: {exc}", path) from None
    return Corrections.from_json(text, path)


def save_corrections(folder: str | Path, corrections: Corrections) -> Path:
    """Write ``annotations.json`` atomically; returns its path."""
    path = Path(folder) / ANNOTATIONS_FILE
    try:
        atomic_write_text(path, corrections.to_json())
    except OSError as exc:
        raise FootcoachError(f"cannot save the corrections: {exc}", path) from None
    return path


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
