"""The events of a session as the coach last left them: the newest cached analysis with the
coach's corrections (``annotations.json``) applied - what the review app shows and what every
export writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from footcoach.app.analysis_cache import AnalysisResult, load_cached_result
from footcoach.domain.events import Event
from footcoach.domain.session import Session
from footcoach.errors import FootcoachError
from footcoach.io.annotations import Corrections, load_corrections
from footcoach.io.manifest import read_manifest


@dataclass
class ReviewedSession:
    """A session folder's manifest, its analysis (None when never analysed with the current
    inputs) and its corrected events (sorted by start, then player).

    ``stale_corrections``: ids of edits/deletions whose event the analysis no longer has.
    """

    folder: Path
    session: Session
    result: AnalysisResult | None
    corrections: Corrections
    events: list[Event] = field(default_factory=list)
    stale_corrections: list[str] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        """True when the session was made by footcoach's simulator."""
        return bool(self.session.synthetic)

    def event(self, event_id: str) -> Event:
        """The event with id ``event_id``; FootcoachError naming the session when absent."""
        for ev in self.events:
            if ev.id == event_id:
                return ev
        raise FootcoachError(f"no event with id {event_id!r} ({len(self.events)} events; "
                             "`footcoach export SESSION --format csv` lists them)", self.folder)


def load_reviewed(folder: str | Path, *, require_events: bool = False) -> ReviewedSession:
    """Read ``folder``'s manifest, newest valid cached analysis and corrections.

    ``require_events``: raise FootcoachError when there is neither an analysis nor any coach
    event (the message says to run ``footcoach analyze`` first).
    """
    folder = Path(folder)
    session = read_manifest(folder)
    result = load_cached_result(folder)
    corrections = load_corrections(folder)
    base = list(result.events) if result is not None else []
    events = sorted(corrections.apply(base), key=lambda e: (e.start_s, e.player_id, e.id))
    if require_events and not events:
        raise FootcoachError("the session has no analysis and no annotated events: run "
                             f"`footcoach analyze {folder}` first", folder)
    return ReviewedSession(folder, session, result, corrections, events,
                           corrections.stale(base))
