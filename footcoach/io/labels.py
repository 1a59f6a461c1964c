"""Ground-truth labels of a session as per-player interval tracks, from either source:

* ``labels.json`` (the simulator's ground truth, :mod:`footcoach.synth.labels_io`): per-player
  action segments with quality, per-team tactic segments (a player gets its team's tactic), and
  optionally a ball track (key ``"ball"``: ``{"rate_hz", "start_s", "x": [...], "y": [...],
  "z": [...]}``, metres on the session clock, ``null`` for a missing sample).
* ``annotations.json`` (the coach's corrections, written by the app): either the app's overlay
  ``{"format": "footcoach-annotations", "version", "edited": [event...], "added": [event...],
  "deleted": [id...]}`` (``edited`` + ``added`` are the coach's labels) or a plain
  ``{"schema_version", "events": [event...]}``; each event as
  :meth:`footcoach.domain.events.Event.to_dict` (player, start, end, action, tactic, quality).

When both exist the coach's events win over ``labels.json`` during the times they cover (per
player); elsewhere the simulator's labels stand. :meth:`SessionLabelTracks.at` turns the tracks
into per-time label arrays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError

LABELS_FILE = "labels.json"
ANNOTATIONS_FILE = "annotations.json"
SYNTH_SCHEMA = "footcoach-synthetic-labels"
SYNTH_SCHEMA_VERSION = 1
ANNOTATIONS_FORMAT = "footcoach-annotations"
ANNOTATIONS_VERSION = 1
NO_LABEL = -1


@dataclass
class Track:
    """Labelled intervals ``[start_s, end_s)`` of one player (sorted, non-overlapping after
    :meth:`overlay`); ``value`` is a class index, ``quality`` 0-100 or NaN."""

    start_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    end_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    value: np.ndarray = field(default_factory=lambda: np.empty(0, np.int16))
    quality: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))

    @classmethod
    def from_rows(cls, rows: list[tuple[float, float, int, float]]) -> Track:
        rows = sorted(r for r in rows if r[1] > r[0])
        if not rows:
            return cls()
        a = np.asarray(rows, dtype=np.float64)
        return cls(a[:, 0], a[:, 1], a[:, 2].astype(np.int16), a[:, 3].astype(np.float32))

    def rows(self) -> list[tuple[float, float, int, float]]:
        return [(float(s), float(e), int(v), float(q)) for s, e, v, q in
                zip(self.start_s, self.end_s, self.value, self.quality, strict=True)]

    def at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(value (T,) int16, -1 outside every interval; quality (T,) float32, NaN)``."""
        times = np.asarray(times, np.float64)
        value = np.full(times.shape, NO_LABEL, np.int16)
        quality = np.full(times.shape, np.nan, np.float32)
        if self.start_s.size == 0:
            return value, quality
        j = np.searchsorted(self.start_s, times, side="right") - 1
        jj = np.clip(j, 0, None)
        inside = (j >= 0) & (times < self.end_s[jj])
        value[inside] = self.value[jj[inside]]
        quality[inside] = self.quality[jj[inside]]
        return value, quality

    def overlay(self, top: Track) -> Track:
        """This track with ``top``'s intervals replacing whatever they cover."""
        if top.start_s.size == 0:
            return self
        out: list[tuple[float, float, int, float]] = []
        cover = top.rows()
        for s, e, v, q in self.rows():
            pieces = [(s, e)]
            for cs, ce, _, _ in cover:
                nxt = []
                for a, b in pieces:
                    if ce <= a or cs >= b:
                        nxt.append((a, b))
                        continue
                    if a < cs:
                        nxt.append((a, cs))
                    if ce < b:
                        nxt.append((ce, b))
                pieces = nxt
            out.extend((a, b, v, q) for a, b in pieces)
        return Track.from_rows(out + cover)


@dataclass
class SessionLabelTracks:
    """Per-player action and tactic tracks of one session, and the ball when known.

    ``source``: ``"synthetic"``, ``"annotations"`` or ``"synthetic+annotations"``.
    """

    source: str
    actions: dict[str, Track] = field(default_factory=dict)
    tactics: dict[str, Track] = field(default_factory=dict)
    ball: TimeSeries | None = None
    files: tuple[Path, ...] = ()

    def at(self, player_id: str, times: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                            np.ndarray]:
        """Labels of a player at session ``times`` (T,): ``action`` (T,) int16 (-1 none),
        ``tactic`` (T,) int16 (-1 none), ``quality`` (T,) float32 (NaN none; the quality of
        the action interval)."""
        action, quality = self.actions.get(player_id, Track()).at(times)
        tactic, _ = self.tactics.get(player_id, Track()).at(times)
        return action, tactic, quality

    @property
    def player_ids(self) -> list[str]:
        return sorted(set(self.actions) | set(self.tactics))


def read_label_tracks(folder: str | Path, teams: Mapping[str, str] | None = None
                      ) -> SessionLabelTracks | None:
    """The ground truth of the session folder (None when it has neither labels file).

    ``teams`` (player id -> team) assigns team tactics to players; by default the teams listed
    in ``labels.json``. Raises FootcoachError naming the file and entry when a file is bad.
    """
    folder = Path(folder)
    lab_path, ann_path = folder / LABELS_FILE, folder / ANNOTATIONS_FILE
    out: SessionLabelTracks | None = None
    if lab_path.is_file():
        out = read_synthetic_labels(lab_path, teams)
    if ann_path.is_file():
        coach = tracks_from_events(read_annotation_events(ann_path), "annotations")
        coach.files = (ann_path,)
        if out is None:
            return coach
        for kind in ("actions", "tactics"):
            mine, theirs = getattr(out, kind), getattr(coach, kind)
            for pid, tr in theirs.items():
                mine[pid] = mine.get(pid, Track()).overlay(tr)
        out.source = f"{out.source}+annotations"
        out.files = (*out.files, ann_path)
    return out


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FootcoachError(f"cannot read: {exc.strerror or exc}", path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FootcoachError(f"invalid JSON: {exc}", path) from None


def read_synthetic_labels(path: Path, teams: Mapping[str, str] | None = None
                          ) -> SessionLabelTracks:
    """``labels.json`` (schema ``footcoach-synthetic-labels``, see
    :mod:`footcoach.synth.labels_io`) -> tracks. Raises FootcoachError naming the entry."""
    doc = _load_json(path)
    if not isinstance(doc, dict) or doc.get("schema") != SYNTH_SCHEMA:
        raise FootcoachError(f"not a footcoach labels file (schema != {SYNTH_SCHEMA!r})", path)
    where = "header"
    try:
        if int(doc.get("schema_version", 0)) > SYNTH_SCHEMA_VERSION:
            raise FootcoachError(f"schema_version {doc['schema_version']} is newer than this "
                                 "footcoach understands", path)
        team_of = {}
        for k, p in enumerate(doc.get("players", [])):
            where = f"players[{k}]"
            team_of[str(p["id"])] = str(p.get("team", ""))
        if teams:
            team_of.update({k: v for k, v in teams.items() if v})
        rows: dict[str, list[tuple[float, float, int, float]]] = {}
        for k, a in enumerate(doc.get("actions", [])):
            where = f"actions[{k}]"
            rows.setdefault(str(a["player_id"]), []).append(
                (float(a["start_s"]), float(a["end_s"]), int(Action.parse(str(a["action"]))),
                 float(a["quality"])))
        team_rows: dict[str, list[tuple[float, float, int, float]]] = {}
        for k, t in enumerate(doc.get("tactics", [])):
            where = f"tactics[{k}]"
            team_rows.setdefault(str(t["team"]), []).append(
                (float(t["start_s"]), float(t["end_s"]), int(Tactic.parse(str(t["tactic"]))),
                 np.nan))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FootcoachError(f"bad entry: {exc}", path, where) from None
    out = SessionLabelTracks("synthetic", files=(path,))
    out.actions = {pid: Track.from_rows(r) for pid, r in rows.items()}
    for pid, team in team_of.items():
        if team in team_rows:
            out.tactics[pid] = Track.from_rows(team_rows[team])
    out.ball = _ball_track(doc.get("ball"), path)
    return out


def _ball_track(doc: Any, path: Path) -> TimeSeries | None:
    """The optional ``"ball"`` entry of ``labels.json`` as a TimeSeries (x, y, z metres)."""
    if doc is None:
        return None
    try:
        rate = float(doc["rate_hz"])
        start = float(doc.get("start_s", 0.0))
        cols = [np.array([np.nan if v is None else float(v) for v in doc[k]], np.float64)
                for k in ("x", "y")]
        z = doc.get("z")
        cols.append(np.array([np.nan if v is None else float(v) for v in z], np.float64)
                    if z is not None else np.full(cols[0].size, np.nan))
        if not rate > 0 or len({c.size for c in cols}) != 1:
            raise ValueError("rate_hz must be positive and x, y, z of equal length")
    except (KeyError, TypeError, ValueError) as exc:
        raise FootcoachError(f"bad ball track: {exc}", path, "ball") from None
    t = start + np.arange(cols[0].size) / rate
    return TimeSeries(t, np.stack(cols, axis=1), ("x", "y", "z"), ("m", "m", "m"),
                      name="ball", source=str(path))


def read_annotation_events(path: str | Path) -> list[Event]:
    """The coach's events of ``annotations.json`` (either layout, see the module docstring)."""
    path = Path(path)
    doc = _load_json(path)
    if not isinstance(doc, dict):
        raise FootcoachError("not an annotations file (expected a JSON object)", path)
    if doc.get("format") == ANNOTATIONS_FORMAT:
        version = doc.get("version", 1)
        keys: tuple[str, ...] = ("edited", "added")
    elif "events" in doc:
        version = doc.get("schema_version", 1)
        keys = ("events",)
    else:
        raise FootcoachError(f"not a footcoach annotations file (needs format "
                             f"{ANNOTATIONS_FORMAT!r} or an 'events' list)", path)
    try:
        if int(version) > ANNOTATIONS_VERSION:
            raise FootcoachError(f"version {version} is newer than this footcoach understands",
                                 path)
    except (TypeError, ValueError):
        raise FootcoachError(f"bad version {version!r}", path) from None
    events = []
    for key in keys:
        items = doc.get(key, [])
        if not isinstance(items, list):
            raise FootcoachError(f"{key!r} must be a list", path)
        for i, item in enumerate(items):
            try:
                ev = Event.from_dict(item)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise FootcoachError(f"bad event: {exc}", path, f"{key}[{i}]") from None
            if not ev.end_s > ev.start_s:
                raise FootcoachError(f"event ends ({ev.end_s}) before it starts "
                                     f"({ev.start_s})", path, f"{key}[{i}]")
            events.append(ev)
    return events


def tracks_from_events(events: list[Event], source: str) -> SessionLabelTracks:
    """Per-player tracks of a list of events; where a player's events overlap, the later
    (in the list) wins."""
    out = SessionLabelTracks(source)
    for ev in events:
        act = Track.from_rows([(ev.start_s, ev.end_s, int(ev.action),
                                np.nan if ev.quality is None else float(ev.quality))])
        out.actions[ev.player_id] = out.actions.get(ev.player_id, Track()).overlay(act)
        if ev.tactic is not None:
            tac = Track.from_rows([(ev.start_s, ev.end_s, int(ev.tactic), np.nan)])
            out.tactics[ev.player_id] = out.tactics.get(ev.player_id, Track()).overlay(tac)
    return out
