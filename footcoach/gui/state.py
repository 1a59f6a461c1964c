"""The review app's single source of truth: session, events, playhead, selection, playback.

Every view holds a reference to one :class:`AppState` and follows its signals; views change the
state only through its methods (never each other). Nothing here reads files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from footcoach.app.review_data import EventColumns, EventIndex
from footcoach.domain.events import Event

if TYPE_CHECKING:
    from footcoach.app.load import LoadedSession

SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Playback speeds offered (magnitudes; the rate may be negative for reverse play)."""

FALLBACK_STEP_S = 0.1
"""Step size (seconds) of a "frame" step when the session has no video."""


class AppState(QObject):
    """Session, analysis result and playhead of the review app.

    Signals:
        session_changed(): a new session (with its events) was set; views rebuild everything.
        result_changed(): the events (and time attention) of the open session were replaced.
        time_changed(float): the playhead moved (session clock, seconds).
        player_selected(str): the selected player changed ("" for none).
        event_selected(str): the selected event changed ("" for none).
        playing_changed(bool): playback started or stopped.
        rate_changed(float): playback rate changed (1.0 = real time, negative = reverse).
    """

    session_changed = Signal()
    result_changed = Signal()
    time_changed = Signal(float)
    player_selected = Signal(str)
    event_selected = Signal(str)
    playing_changed = Signal(bool)
    rate_changed = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loaded: LoadedSession | None = None
        self.events: list[Event] = []
        self.columns: EventColumns = EventColumns.build([])
        self.event_index: EventIndex = EventIndex([], self.columns)
        self.time_attention: dict[str, np.ndarray] = {}
        self.frame_times: np.ndarray | None = None
        self.time_s: float = 0.0
        self.time_range: tuple[float, float] = (0.0, 0.0)
        self.selected_player: str = ""
        self.selected_event: str = ""
        self.playing: bool = False
        self.rate: float = 1.0
        self._event_rows: dict[str, int] = {}

    # ------------------------------------------------------------------ session and result
    @property
    def player_ids(self) -> list[str]:
        return self.loaded.player_ids if self.loaded is not None else []

    def set_session(self, loaded: LoadedSession | None, events: Sequence[Event] = (),
                    time_attention: Mapping[str, np.ndarray] | None = None, *,
                    frame_times: np.ndarray | None = None) -> None:
        """Show ``loaded`` (None clears). ``frame_times`` (F,) is the session-clock time of each
        video frame (used by frame steps and the video view). Stops playback and puts the
        playhead at the start."""
        self.set_playing(False)
        self.loaded = loaded
        self.time_range = loaded.time_range if loaded is not None else (0.0, 0.0)
        self.frame_times = None
        if frame_times is not None and len(frame_times):
            self.frame_times = np.asarray(frame_times, dtype=np.float64)
            lo = min(self.time_range[0], float(self.frame_times[0]))
            self.time_range = (lo, max(self.time_range[1], float(self.frame_times[-1])))
        self.selected_player = ""
        self.selected_event = ""
        self.time_s = self.time_range[0]
        self._set_events(events, time_attention)
        self.session_changed.emit()
        self.player_selected.emit("")
        self.event_selected.emit("")
        self.time_changed.emit(self.time_s)

    def set_result(self, events: Sequence[Event],
                   time_attention: Mapping[str, np.ndarray] | None = None) -> None:
        """Replace the events (e.g. after an analysis); ``time_attention[event_id]`` is an
        optional (T,) weight profile over the event's window."""
        self._set_events(events, time_attention)
        if self.selected_event and self.selected_event not in self._event_rows:
            self.selected_event = ""
            self.event_selected.emit("")
        self.result_changed.emit()

    def _set_events(self, events: Sequence[Event],
                    time_attention: Mapping[str, np.ndarray] | None) -> None:
        self.events = list(events)
        self.columns = EventColumns.build(self.events, self.player_ids)
        self.event_index = EventIndex(self.events, self.columns)
        self.time_attention = {k: np.asarray(v, dtype=np.float64)
                               for k, v in (time_attention or {}).items()}
        self._event_rows = {e.id: i for i, e in enumerate(self.events)}

    def event_by_id(self, event_id: str) -> Event | None:
        row = self._event_rows.get(event_id)
        return None if row is None else self.events[row]

    def event_row(self, event_id: str) -> int:
        """Position of the event in :attr:`events` (-1 when unknown)."""
        return self._event_rows.get(event_id, -1)

    # ------------------------------------------------------------------ playhead
    def set_time(self, t: float) -> None:
        """Move the playhead to ``t`` seconds, clamped to :attr:`time_range`."""
        lo, hi = self.time_range
        t = float(min(max(float(t), lo), hi)) if np.isfinite(t) else lo
        if t != self.time_s:
            self.time_s = t
            self.time_changed.emit(t)

    def frame_index(self, t: float | None = None) -> int:
        """Index of the video frame shown at ``t`` (default: the playhead); -1 before the first
        frame, after the last or without video."""
        ft = self.frame_times
        if ft is None or ft.size == 0:
            return -1
        t = self.time_s if t is None else t
        i = int(np.searchsorted(ft, t + 1e-6, side="right")) - 1
        if i < 0:
            return -1
        if i == ft.size - 1:
            last = ft[-1] - ft[-2] if ft.size > 1 else 0.04
            if t >= ft[-1] + last:
                return -1
        return i

    def step_frames(self, n: int) -> None:
        """Move ``n`` video frames forward (negative: back); without video, ``n`` x 0.1 s."""
        ft = self.frame_times
        if ft is None or ft.size == 0:
            self.set_time(self.time_s + n * FALLBACK_STEP_S)
            return
        i = int(np.searchsorted(ft, self.time_s + 1e-6, side="right")) - 1
        j = min(max(i + n, 0), ft.size - 1)
        if i < 0 and n < 0:  # before the video: plain time step
            self.set_time(self.time_s + n * FALLBACK_STEP_S)
            return
        self.set_time(float(ft[j]))

    # ------------------------------------------------------------------ selection
    def select_player(self, player_id: str) -> None:
        if player_id != self.selected_player:
            self.selected_player = player_id
            self.player_selected.emit(player_id)

    def select_event(self, event_id: str, *, seek: bool = False) -> None:
        """Select an event ("" clears); also selects its player; ``seek`` moves the playhead
        to the event's start."""
        event = self.event_by_id(event_id) if event_id else None
        if event_id and event is None:
            return
        if event is not None:
            self.select_player(event.player_id)
        if event_id != self.selected_event:
            self.selected_event = event_id
            self.event_selected.emit(event_id)
        if seek and event is not None:
            self.set_time(event.start_s)

    # ------------------------------------------------------------------ playback
    def set_playing(self, playing: bool) -> None:
        if playing and self.time_range[1] <= self.time_range[0]:
            playing = False
        if playing != self.playing:
            self.playing = playing
            self.playing_changed.emit(playing)

    def toggle_playing(self) -> None:
        self.set_playing(not self.playing)

    def set_rate(self, rate: float) -> None:
        """Playback rate: 0.25..4 forward, negative for reverse play."""
        rate = float(rate)
        if rate == 0 or not np.isfinite(rate):
            raise ValueError("playback rate must be a non-zero number")
        if rate != self.rate:
            self.rate = rate
            self.rate_changed.emit(rate)
