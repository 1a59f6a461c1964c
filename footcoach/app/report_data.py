"""Everything the PDF session report shows, gathered into plain dataclasses and numpy arrays
(no Qt here: the numbers are tested without a display, and the GUI can reuse them).

:func:`gather_report_data` reads a session folder once: the coach-corrected events
(:func:`~footcoach.app.reviewed.load_reviewed`), the aligned streams and data-quality table
(:func:`~footcoach.app.check.check_session`), the load metrics
(:func:`~footcoach.app.metrics.session_metrics`), and decodes one video frame per key moment.
With ``player`` set the report is about one player (their events, streams and moments; team
figures stay for comparison). Times are session seconds; positions pitch metres.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from footcoach import __version__
from footcoach.analysis.events import TeamPhase
from footcoach.analysis.metrics import MetricsRow
from footcoach.app.align import AlignedSession
from footcoach.app.check import check_session
from footcoach.app.metrics import session_metrics
from footcoach.app.review_data import EventColumns, occupancy, player_caption, position_at
from footcoach.app.reviewed import ReviewedSession, load_reviewed
from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.events import Event
from footcoach.domain.labels import ACTIONS, TACTICS
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.io.video import VideoReader
from footcoach.sync.quality import QualityRow

Progress = Callable[[int, int, str], None]
Cancel = Callable[[], bool]

MODALITIES: tuple[str, ...] = ("video", "imu", "position")
QUALITY_EDGES = np.arange(0.0, 100.0 + 1e-9, 5.0)
"""Bin edges (21,) of the quality histogram, points 0-100."""
TREND_BIN_CHOICES_S = (10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0)
MAX_TREND_BINS = 24
MAX_TRACK_POINTS = 2400
"""Trajectories are thinned to at most this many points per player (a vector polyline)."""


@dataclass
class SessionSummary:
    """What the cover page says about the session. ``teams`` maps team name to player ids
    (manifest order); ``captions`` player id -> ``"#7 Ana"``."""

    name: str
    folder: Path
    date: str
    synthetic: bool
    notes: str
    time_range: tuple[float, float]
    pitch_m: tuple[float, float]
    pitch_anchor: str
    video: str
    calibrated: bool
    modalities: tuple[str, ...]
    teams: dict[str, list[str]]
    captions: dict[str, str]
    model: str
    n_events: int
    n_coach_edited: int
    n_coach_added: int
    n_deleted: int
    n_stale: int
    generated: str

    @property
    def duration_s(self) -> float:
        return self.time_range[1] - self.time_range[0]


@dataclass
class CountTable:
    """Event counts by label: ``per_player`` (P, K) int64 for ``player_ids``; ``per_team``
    team -> (K,); ``total`` (K,). ``labels`` the K class names (Action or Tactic order)."""

    labels: tuple[str, ...]
    player_ids: list[str]
    per_player: np.ndarray
    per_team: dict[str, np.ndarray]
    total: np.ndarray


@dataclass
class QualityStats:
    """Execution-quality distribution and trend of each group (a team, or a player).

    ``edges`` (B+1,) histogram edges (points); ``hist[g]`` (B,) counts; ``trend_edges`` (M+1,)
    session seconds; ``trend_mean[g]`` (M,) mean quality of the events centred in each bin
    (NaN when none); ``trend_count[g]`` (M,); ``mean``/``median`` per group (NaN when empty).
    """

    groups: list[str]
    edges: np.ndarray
    hist: dict[str, np.ndarray]
    trend_edges: np.ndarray
    trend_mean: dict[str, np.ndarray]
    trend_count: dict[str, np.ndarray]
    mean: dict[str, float]
    median: dict[str, float]
    best: list[Event]
    worst: list[Event]


@dataclass
class AttentionByAction:
    """Mean modality attention (video, imu, position) of the events of each action:
    ``mean`` (12, 3), NaN rows for actions without events carrying attention; ``count`` (12,)."""

    modalities: tuple[str, ...]
    mean: np.ndarray
    count: np.ndarray


@dataclass
class PlayerTrack:
    """One player's positions: ``xy`` (K, 2) thinned trajectory (NaN rows are gaps);
    ``grid`` (nx, ny) seconds spent per ``bin_m`` cell (index [i, j] covers x in
    [i*bin, (i+1)*bin), y likewise)."""

    player_id: str
    team: str
    xy: np.ndarray
    grid: np.ndarray
    bin_m: float


@dataclass
class KeyMoment:
    """A best or worst event of its action type and the video frame that shows it.

    ``time_s`` the instant shown (the peak of the event's time attention, else its centre);
    ``image`` (h, w, 3) uint8 RGB crop around the player (None without video); ``box``
    (x0, y0, x1, y1) crop pixels around the player (None without calibration or position);
    ``rank`` 1 = best (or worst) of the type.
    """

    event: Event
    kind: str
    rank: int
    time_s: float
    image: np.ndarray | None = None
    box: tuple[float, float, float, float] | None = None
    note: str = ""


@dataclass
class ReportData:
    """Everything a report shows; ``player`` None for the team report. ``sensor_notes``: what
    to check about the sensors of the players in it
    (:meth:`AlignedSession.sensor_warnings`)."""

    summary: SessionSummary
    player: str | None
    player_ids: list[str]
    team_of: dict[str, str]
    events: list[Event]
    columns: EventColumns
    phases: list[TeamPhase]
    quality_rows: list[QualityRow]
    quality_summary: list[QualityRow]
    metrics: list[MetricsRow]
    metric_means: dict[str, dict[str, float]]
    actions: CountTable
    tactics: CountTable
    quality: QualityStats
    attention: AttentionByAction
    tracks: list[PlayerTrack]
    team_grids: dict[str, np.ndarray]
    moments: list[KeyMoment]
    warnings: list[str] = field(default_factory=list)
    sensor_notes: list[str] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        return self.summary.synthetic

    def caption(self, player_id: str) -> str:
        return self.summary.captions.get(player_id, player_id)


# ------------------------------------------------------------------------------ counting
def count_labels(columns: EventColumns, player_ids: Sequence[str], team_of: dict[str, str],
                 kind: str) -> CountTable:
    """Counts of ``kind`` ("action" or "tactic") per player (rows in ``player_ids`` order),
    per team and in total; events without a tactic are not counted as tactics."""
    labels = tuple(a.label for a in (ACTIONS if kind == "action" else TACTICS))
    codes = columns.action if kind == "action" else columns.tactic
    per_player = np.zeros((len(player_ids), len(labels)), np.int64)
    for row, pid in enumerate(player_ids):
        sel = (columns.player == columns.player_code(pid)) & (codes >= 0)
        per_player[row] = np.bincount(codes[sel].astype(np.intp), minlength=len(labels))
    per_team: dict[str, np.ndarray] = {}
    for row, pid in enumerate(player_ids):
        team = team_of.get(pid, "")
        per_team[team] = per_team.get(team, np.zeros(len(labels), np.int64)) + per_player[row]
    return CountTable(labels, list(player_ids), per_player, per_team, per_player.sum(axis=0))


def trend_edges(t0: float, t1: float) -> np.ndarray:
    """Bin edges covering ``[t0, t1]`` seconds: the smallest round width (10 s, 15 s, 30 s,
    1 min ...) giving at most 24 bins, starting on a multiple of the width (ends that stick
    out by less than 5 % of a bin are left out; events there count in the nearest bin)."""
    span = max(t1 - t0, 1e-6)
    width = next((w for w in TREND_BIN_CHOICES_S if span / w <= MAX_TREND_BINS - 1),
                 float(math.ceil(span / (MAX_TREND_BINS - 1))))
    start = math.floor(t0 / width + 0.05) * width
    n = max(math.ceil((t1 - start) / width - 0.05), 1)
    return start + width * np.arange(n + 1)


def quality_stats(events: Sequence[Event], groups: Mapping[str, Sequence[Event]],
                  time_range: tuple[float, float], n_extremes: int = 5) -> QualityStats:
    """Histogram, per-bin mean trend, mean and median of each group's event qualities (events
    without a quality are left out); ``best``/``worst`` are the ``n_extremes`` highest and
    lowest quality events of ``events``."""
    t_edges = trend_edges(*time_range)
    hist, tmean, tcount, mean, median = {}, {}, {}, {}, {}
    for name, evs in groups.items():
        q = np.array([e.quality for e in evs if e.quality is not None], np.float64)
        c = np.array([(e.start_s + e.end_s) / 2 for e in evs if e.quality is not None])
        hist[name] = np.histogram(q, bins=QUALITY_EDGES)[0]
        idx = np.clip(np.searchsorted(t_edges, c, side="right") - 1, 0, t_edges.size - 2)
        m = t_edges.size - 1
        tcount[name] = np.bincount(idx, minlength=m)[:m] if q.size else np.zeros(m, np.int64)
        sums = np.bincount(idx, weights=q, minlength=m)[:m] if q.size else np.zeros(m)
        with np.errstate(invalid="ignore", divide="ignore"):
            tmean[name] = np.where(tcount[name] > 0, sums / np.maximum(tcount[name], 1), np.nan)
        mean[name] = float(q.mean()) if q.size else float("nan")
        median[name] = float(np.median(q)) if q.size else float("nan")
    rated = sorted((e for e in events if e.quality is not None),
                   key=lambda e: (-float(e.quality or 0.0), e.start_s))
    best = rated[:n_extremes]
    worst = [e for e in reversed(rated) if e not in best][:n_extremes]
    return QualityStats(list(groups), QUALITY_EDGES.copy(), hist, t_edges, tmean, tcount,
                        mean, median, best, worst)


def attention_by_action(events: Sequence[Event]) -> AttentionByAction:
    """Mean modality attention per action over the events that carry attention weights."""
    sums = np.zeros((len(ACTIONS), len(MODALITIES)))
    count = np.zeros(len(ACTIONS), np.int64)
    for e in events:
        if not e.modality_attention:
            continue
        sums[int(e.action)] += [e.modality_attention.get(m, 0.0) for m in MODALITIES]
        count[int(e.action)] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count[:, None] > 0, sums / np.maximum(count, 1)[:, None], np.nan)
    return AttentionByAction(MODALITIES, mean, count)


def metric_means(rows: Sequence[MetricsRow], team_of: dict[str, str]
                 ) -> dict[str, dict[str, float]]:
    """Mean of every numeric metric over each team's rows, and over all rows (key ``""``: the
    squad); NaN values and missing counts are ignored (NaN when nothing is left)."""
    names = [f.name for f in fields(MetricsRow) if f.name not in ("player", "period")]
    groups: dict[str, list[MetricsRow]] = {"": list(rows)}
    for r in rows:
        team = team_of.get(r.player, "")
        if team:
            groups.setdefault(team, []).append(r)
    out: dict[str, dict[str, float]] = {}
    for team, rs in groups.items():
        out[team] = {}
        for n in names:
            vals = np.array([np.nan if getattr(r, n) is None else float(getattr(r, n))
                             for r in rs], np.float64)
            ok = vals[np.isfinite(vals)]
            out[team][n] = float(ok.mean()) if ok.size else float("nan")
    return out


def player_track(gps: TimeSeries, player_id: str, team: str, pitch_m: tuple[float, float],
                 bin_m: float) -> PlayerTrack:
    """Occupancy (seconds per cell) and a thinned trajectory of one aligned GPS track."""
    xy = gps.select(("x", "y")).values
    dt = float(np.median(np.diff(gps.t))) if len(gps) > 1 else 0.1
    grid = occupancy(xy[:, 0], xy[:, 1], pitch_m[0], pitch_m[1], bin_m) * dt
    step = max(1, math.ceil(len(xy) / MAX_TRACK_POINTS))
    return PlayerTrack(player_id, team, np.asarray(xy[::step], np.float64), grid, bin_m)


def zone_shares(grid: np.ndarray, n_long: int = 3, n_across: int = 3) -> np.ndarray:
    """(n_long, n_across) fraction of the time in ``grid`` (nx, ny) spent in each zone: the
    pitch cut into ``n_long`` equal parts along x (thirds from x = 0) and ``n_across`` across y
    (channels from y = 0). Cells are given to the zone holding their centre; sums to 1 (all
    zeros when the grid is empty)."""
    nx, ny = grid.shape
    ix = np.minimum((np.arange(nx) + 0.5) * n_long // nx, n_long - 1).astype(np.intp)
    iy = np.minimum((np.arange(ny) + 0.5) * n_across // ny, n_across - 1).astype(np.intp)
    out = np.zeros((n_long, n_across))
    np.add.at(out, (ix[:, None], iy[None, :]), grid)
    total = out.sum()
    return out / total if total > 0 else out


# ------------------------------------------------------------------------------ key moments
def select_moments(events: Sequence[Event], per_type: int = 1) -> list[KeyMoment]:
    """The ``per_type`` best and worst quality events of each action (Action order, best
    first); an event is never both, so a type with one rated event has only a best."""
    out: list[KeyMoment] = []
    for action in ACTIONS:
        rated = sorted((e for e in events if e.action == action and e.quality is not None),
                       key=lambda e: (-float(e.quality or 0.0), e.start_s))
        best = rated[:per_type]
        worst = [e for e in reversed(rated) if e not in best][:per_type]
        out += [KeyMoment(e, "best", i + 1, _moment_time(e)) for i, e in enumerate(best)]
        out += [KeyMoment(e, "worst", i + 1, _moment_time(e)) for i, e in enumerate(worst)]
    return out


def _moment_time(event: Event, profile: np.ndarray | None = None) -> float:
    if profile is not None and profile.size and np.all(np.isfinite(profile)):
        k = int(np.argmax(profile))
        return event.start_s + (k + 0.5) / profile.size * (event.end_s - event.start_s)
    return (event.start_s + event.end_s) / 2


def crop_around(cal: CameraCalibration | None, xy: np.ndarray, frame_w: int, frame_h: int,
                span_m: float = 16.0, aspect: float = 16 / 9, min_w: int = 192
                ) -> tuple[tuple[int, int, int, int], tuple[float, float, float, float] | None]:
    """Crop window ``(x0, y0, w, h)`` in frame pixels around the player standing at pitch
    ``xy`` (2,), about ``span_m`` metres wide at the player's depth, and the player's box
    ``(x0, y0, x1, y1)`` inside that crop (about 1.2 x 2.2 m). The whole frame and no box when
    there is no calibration or the player is not in view."""
    whole = (0, 0, frame_w, frame_h)
    if cal is None or not np.all(np.isfinite(xy)):
        return whole, None
    sx = frame_w / max(cal.image_size[0], 1)
    sy = frame_h / max(cal.image_size[1], 1)
    pts = np.asarray(xy, np.float64) + np.array([[0, 0], [0.5, 0], [-0.5, 0], [0, 0.5], [0, -0.5]])
    uv = cal.pitch_to_image(pts) * (sx, sy)
    if not np.all(np.isfinite(uv)):
        return whole, None
    u, v = uv[0]
    if not (0 <= u < frame_w and 0 <= v < frame_h):
        return whole, None
    scale = max(float(np.hypot(*(uv[1] - uv[2]))), float(np.hypot(*(uv[3] - uv[4]))), 1e-6)
    w = min(max(span_m * scale, min_w), frame_w)
    h = min(w / aspect, frame_h)
    w = h * aspect
    x0 = round(min(max(u - w / 2, 0), frame_w - w))
    y0 = round(min(max(v - 1.0 * scale - h / 2, 0), frame_h - h))
    box = (u - 0.6 * scale - x0, v - 2.1 * scale - y0, u + 0.6 * scale - x0, v + 0.2 * scale - y0)
    return (x0, y0, round(w), round(h)), box


def add_frames(moments: list[KeyMoment], video: Path, video_start_s: float,
               cal: CameraCalibration | None, gps: dict[str, TimeSeries],
               progress: Progress | None = None, cancel: Cancel | None = None) -> list[str]:
    """Decode each moment's frame (in time order, so the reader decodes forward) and crop it
    around the player; returns warnings for moments outside the video."""
    warnings: list[str] = []
    with VideoReader(video, thread_type="SLICE") as reader:
        for done, m in enumerate(sorted(moments, key=lambda m: m.time_s), start=1):
            if cancel is not None and cancel():
                raise FootcoachError("cancelled", video, "key-moment frames")
            try:
                _, rgb = reader.frame_at_time(m.time_s - video_start_s)
            except IndexError:
                m.note = "outside the video"
                warnings.append(f"event {m.event.id} at {m.time_s:.1f} s is outside the video")
                continue
            track = gps.get(m.event.player_id)
            xy = position_at(track, m.time_s) if track is not None else np.full(2, np.nan)
            (x0, y0, w, h), box = crop_around(cal, xy, rgb.shape[1], rgb.shape[0])
            m.image = np.ascontiguousarray(rgb[y0:y0 + h, x0:x0 + w])
            m.box = box
            if box is None:
                m.note = ("whole frame: no camera calibration" if cal is None else
                          "whole frame: no GPS position at this instant"
                          if not np.all(np.isfinite(xy)) else
                          "whole frame: the player is outside the camera view")
            if progress is not None:
                progress(done, len(moments), f"frame of {m.event.id}")
    return warnings


# ------------------------------------------------------------------------------ gathering
_STEPS = (("reading the analysis", 0), ("checking the streams", 50), ("computing metrics", 300),
          ("counting events", 420), ("choosing key moments", 480))
"""Progress of each step in thousandths (frames of the key moments fill 500 to 1000)."""


def _summary(rv: ReviewedSession, aligned: AlignedSession) -> SessionSummary:
    s = rv.session
    loaded = aligned.loaded
    teams: dict[str, list[str]] = {}
    for p in s.players:
        teams.setdefault(p.team, []).append(p.id)
    anchor = ("4 GPS corners" if s.pitch.corners_lonlat else
              "GPS origin + heading" if s.pitch.has_geo_anchor else "no GPS anchor")
    video = "none"
    if loaded.video is not None and s.video is not None:
        v = loaded.video
        video = (f"{s.video.file}: {v.width}x{v.height} {v.codec}, {v.fps:.2f} fps, "
                 f"{v.duration_s:.1f} s")
    model = "no analysis (coach annotations only)"
    if rv.result is not None:
        m = rv.result.model
        mods = "+".join(str(x) for x in m.get("modalities", [])) or "?"
        model = (f"{Path(str(m.get('json', 'model'))).stem} ({mods}; sha256 "
                 f"{rv.result.model_sha256[:12]}), engine {rv.result.run.get('engine', '?')}")
        team = m.get("team_model")
        if team:
            model += f"; team tactic model (sha256 {str(team.get('sha256', ''))[:12]})"
    c = rv.corrections
    return SessionSummary(
        name=s.name, folder=rv.folder, date=s.date, synthetic=rv.synthetic, notes=s.notes,
        time_range=aligned.time_range, pitch_m=(s.pitch.length_m, s.pitch.width_m),
        pitch_anchor=anchor, video=video, calibrated=s.calibration is not None,
        modalities=s.modalities, teams=teams,
        captions={p.id: player_caption(p) for p in s.players}, model=model,
        n_events=len(rv.events), n_coach_edited=len(c.edited), n_coach_added=len(c.added),
        n_deleted=len(c.deleted), n_stale=len(rv.stale_corrections),
        generated=f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, footcoach {__version__}")


def _quality_groups(rv: ReviewedSession, summary: SessionSummary, team_of: dict[str, str],
                    player: str | None, events: list[Event]) -> dict[str, list[Event]]:
    """Team report: one group per team; player report: the player, then their team."""
    def team_events(team: str) -> list[Event]:
        return [e for e in rv.events if team_of.get(e.player_id, "") == team]

    if player is not None:
        team = team_of.get(player, "")
        return {summary.captions.get(player, player): events,
                (f"team {team}" if team else "all players"): team_events(team)}
    return {(f"team {t}" if t else "no team"): team_events(t) for t in summary.teams}


def gather_report_data(folder: str | Path, *, player: str | None = None,
                       moments_per_type: int = 1, progress: Progress | None = None,
                       cancel: Cancel | None = None) -> ReportData:
    """Read ``folder`` and compute every figure of the report (see the module docstring).

    Raises FootcoachError when the session has no events (run ``footcoach analyze``), when
    ``player`` is not one of its players, or ``"cancelled"`` when ``cancel()`` turns True.
    ``progress(done, 1000, message)`` is called after each step and each decoded frame.
    """
    folder = Path(folder)

    def step(i: int) -> None:
        message, done = _STEPS[i]
        if cancel is not None and cancel():
            raise FootcoachError("cancelled", folder, message)
        if progress is not None:
            progress(done, 1000, message)

    step(0)
    rv = load_reviewed(folder, require_events=True)
    session = rv.session
    ids = [p.id for p in session.players]
    ids += sorted({e.player_id for e in rv.events} - set(ids))
    team_of = {p.id: p.team for p in session.players}
    if player is not None and player not in ids:
        raise FootcoachError(f"no player {player!r} in the session (players: {', '.join(ids)})",
                             folder / "session.toml")
    step(1)
    check = check_session(folder)
    aligned = check.aligned
    warnings = list(check.warnings)
    step(2)
    try:
        metrics = session_metrics(folder).rows
    except FootcoachError as exc:
        metrics, warnings = [], [*warnings, f"no load metrics: {exc}"]
    step(3)
    scope = [player] if player is not None else ids
    events = [e for e in rv.events if e.player_id in scope]
    all_cols = EventColumns.build(rv.events, ids)
    summary = _summary(rv, aligned)
    quality = quality_stats(events, _quality_groups(rv, summary, team_of, player, events),
                            summary.time_range)
    bin_m = max(1.0, round(max(summary.pitch_m) / 50))
    tracks = [player_track(aligned.gps[pid], pid, team_of.get(pid, ""), summary.pitch_m, bin_m)
              for pid in scope if pid in aligned.gps and aligned.gps[pid].has("x", "y")]
    team_grids: dict[str, np.ndarray] = {}
    for tr in tracks:
        team_grids[tr.team] = team_grids.get(tr.team, np.zeros_like(tr.grid)) + tr.grid
    step(4)
    moments = select_moments(events, moments_per_type)
    if rv.result is not None:
        for m in moments:
            m.time_s = _moment_time(m.event, rv.result.time_attention.get(m.event.id))
    if session.video is not None and aligned.loaded.video is not None and moments:
        def frames_done(done: int, total: int, message: str) -> None:
            if progress is not None:
                progress(500 + 500 * done // max(total, 1), 1000, message)

        warnings += add_frames(moments, session.path(session.video.file), session.video.start_s,
                               session.calibration, aligned.gps, frames_done, cancel)
    if progress is not None:
        progress(1000, 1000, "report data ready")
    return ReportData(
        summary=summary, player=player, player_ids=scope, team_of=team_of, events=events,
        columns=EventColumns.build(events, scope),
        phases=list(rv.result.phases) if rv.result is not None else [],
        quality_rows=[r for r in aligned.quality.rows if player is None or r.player == player],
        quality_summary=aligned.quality.summary(),
        metrics=[r for r in metrics if player is None or r.player == player],
        metric_means=metric_means(metrics, team_of),
        actions=count_labels(all_cols, ids, team_of, "action"),
        tactics=count_labels(all_cols, ids, team_of, "tactic"),
        quality=quality, attention=attention_by_action(events), tracks=tracks,
        team_grids=team_grids, moments=moments, warnings=warnings,
        sensor_notes=aligned.sensor_warnings(scope))
