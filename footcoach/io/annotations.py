"""The coach's corrections overlay, ``annotations.json`` in a session folder.

``annotations.json`` is an overlay on whatever events the analysis produced::

    {"format": "footcoach-annotations", "version": 1,
     "edited":  [event, ...],   # corrected copies of analysis events (same id), source "coach"
     "added":   [event, ...],   # events the coach created, source "coach"
     "deleted": [id, ...]}      # analysis events the coach removed

(each ``event`` as :meth:`footcoach.domain.events.Event.to_dict`). The coach's events are the
club's own labels: ``edited`` + ``added`` are what a dataset builder takes as ground truth.
Written atomically (:func:`footcoach.io.manifest.atomic_write_text`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from footcoach.domain.events import Event
from footcoach.errors import FootcoachError
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
