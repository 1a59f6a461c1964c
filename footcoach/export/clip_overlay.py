"""Drawing a clip's overlays on an RGB video frame (numpy + OpenCV shapes, Pillow text).

What a frame carries (:func:`draw_overlay`), all sized in proportion to the frame height
(designed at 540 px):

* a title bar along the top: the event (``"a02 #7 - Sprinting - q 94 - 00:12.3"``), an accent
  stripe in the action's colour, the running session clock and a ``SYNTHETIC`` tag when the
  session comes from the simulator; under it a thin timeline of the clip with the event's span
  and the playhead;
* at each player's feet (pitch metres -> pixels through the camera calibration) a dot and a
  label box, placed so that neighbouring boxes do not cover each other: ``#4 running 82`` for
  most players, two lines (name; action · tactic · quality) in a white frame for the
  highlighted one, as the review app shows them;
* a small top view of the pitch in the bottom-right corner with every player's dot (team
  colour; a white ring round the highlighted player) and the ball when known.

:class:`OverlaySource` builds the :class:`OverlayScene` of a session time from the session's
positions and events. Text and colours come from :mod:`footcoach.export.title_card`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from footcoach.app.load import LoadedSession
from footcoach.app.review_data import EventIndex, event_caption, player_caption, position_at
from footcoach.domain.events import Event
from footcoach.domain.palette import hex_rgb, team_colors
from footcoach.domain.pitch import Pitch
from footcoach.domain.session import Player, Session
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.export.title_card import (
    BALL_RGB,
    BAR_RGB,
    DESIGN_HEIGHT,
    GRASS_RGB,
    LINE_RGB,
    NO_EVENT_RGB,
    RGB,
    WHITE,
    action_rgb,
    clock_text,
    draw_text,
    event_title,
    fill_rect,
    lighter,
    tag,
    text_size,
)
from footcoach.io.labels import LABELS_FILE, read_synthetic_labels

PLAYER_HEIGHT_M = 1.8
"""Height used to put a label above a player's head (metres)."""


# --------------------------------------------------------------------------------- scene
@dataclass
class PlayerMark:
    """One player at the frame's time: ``uv`` pixel position of their feet (None when off
    screen or unknown), ``xy`` pitch metres (None when unknown), their current event, and
    ``height_px`` how tall they look (labels go above the head)."""

    player_id: str
    short: str  # "#4" or the player id
    caption: str  # "#4 Pau A4"
    team_rgb: RGB
    uv: tuple[float, float] | None = None
    xy: tuple[float, float] | None = None
    event: Event | None = None
    highlighted: bool = False
    height_px: float = 0.0  # about how tall the player looks on the frame (0: unknown)


@dataclass
class OverlayScene:
    """Everything drawn on one frame (see the module docstring)."""

    title: str
    clock: str
    synthetic: bool
    pitch: Pitch
    players: list[PlayerMark] = field(default_factory=list)
    ball_xy: tuple[float, float] | None = None
    accent: RGB = NO_EVENT_RGB
    timeline: tuple[float, float, float] | None = None  # clip start, clip end, now (seconds)
    event_span: tuple[float, float] | None = None  # the event on that timeline (seconds)


def draw_overlay(frame: np.ndarray, scene: OverlayScene) -> np.ndarray:
    """Draw ``scene`` on ``frame`` ((H, W, 3) uint8 RGB) in place; returns ``frame``."""
    s = frame.shape[0] / DESIGN_HEIGHT
    draw_player_labels(frame, scene.players, s)
    draw_pitch_inset(frame, scene, s)
    draw_title_bar(frame, scene, s)
    return frame


def draw_title_bar(frame: np.ndarray, scene: OverlayScene, s: float) -> None:
    """The band along the top: accent stripe, title, clock, ``SYNTHETIC`` tag."""
    width = frame.shape[1]
    size = max(round(17 * s), 9)
    small = max(round(14 * s), 8)
    _, text_h = text_size(scene.title, size, True)
    height = round(text_h + 12 * s)
    fill_rect(frame, 0, 0, width, height, BAR_RGB, 0.8)
    fill_rect(frame, 0, 0, max(round(6 * s), 2), height, scene.accent)
    right = width - round(10 * s)
    if scene.synthetic:
        _, tag_h = text_size("SYNTHETIC", small, True)
        right = tag(frame, "SYNTHETIC", right, (height - tag_h - small // 3) // 2, small)
        right -= round(12 * s)
    clock_w, clock_h = text_size(scene.clock, small)
    draw_text(frame, scene.clock, right - clock_w, (height - clock_h) // 2, (200, 200, 200),
              small)
    title = _fit(scene.title, size, True, right - clock_w - round(32 * s))
    draw_text(frame, title, round(16 * s), (height - text_h) // 2, WHITE, size, True)
    if scene.timeline is not None:
        _draw_timeline(frame, scene, height, s)


def _draw_timeline(frame: np.ndarray, scene: OverlayScene, top: int, s: float) -> None:
    """A thin strip under the title bar: the clip's time span, the event's part of it in
    the accent colour, and the playhead."""
    assert scene.timeline is not None
    start, end, now = scene.timeline
    width = frame.shape[1]
    h = max(round(4 * s), 2)
    fill_rect(frame, 0, top, width, top + h, BAR_RGB, 0.8)
    span = max(end - start, 1e-9)

    def x(t: float) -> float:
        return min(max((t - start) / span, 0.0), 1.0) * width

    if scene.event_span is not None:
        fill_rect(frame, x(scene.event_span[0]), top, x(scene.event_span[1]), top + h,
                  scene.accent)
    px = x(now)
    fill_rect(frame, px - max(s, 1.0), top, px + max(s, 1.0), top + h, WHITE)


def _fit(text: str, size: int, bold: bool, max_width: int) -> str:
    """``text`` shortened with an ellipsis to at most ``max_width`` pixels."""
    if text_size(text, size, bold)[0] <= max_width:
        return text
    while len(text) > 1 and text_size(text + "…", size, bold)[0] > max_width:
        text = text[:-1]
    return text + "…"


# --------------------------------------------------------------------------------- labels
def _label_lines(p: PlayerMark) -> list[tuple[str, RGB]]:
    """The label text as runs: one line ``#4 running 82`` or, highlighted, name + detail."""
    color = action_rgb(p.event)
    if p.highlighted:
        detail = event_caption(p.event) or "no event"
        return [(p.caption, WHITE), (detail, lighter(color, 0.3))]
    rest = []
    if p.event is not None:
        rest.append(p.event.action.label)
        if p.event.quality is not None:
            rest.append(f"{p.event.quality:.0f}")
    return [(p.short, p.team_rgb), ((" " + " ".join(rest)) if rest else "", lighter(color, 0.4))]


def draw_player_labels(frame: np.ndarray, players: Sequence[PlayerMark], s: float) -> None:
    """Each visible player's label box above their head, a leader line down to the head when
    the box had to move up, and a dot at their feet (boxes cover other players' dots). The
    highlighted player's box is placed
    first (it keeps its place) and drawn last (on top); the others stack from the bottom up."""
    size = max(round(12 * s), 8)
    pad = max(round(3 * s), 2)
    shown = [p for p in players if p.uv is not None]
    shown.sort(key=lambda p: (not p.highlighted, -p.uv[1] if p.uv else 0.0))
    sizes = [_box_size(p, size, pad) for p in shown]
    heads = [max(p.height_px, 4 * s) for p in shown]
    lifts = place_labels([p.uv for p in shown if p.uv is not None], sizes,
                         gap=[h + 4 * s for h in heads], margin=2 * s)
    boxes = []
    for p, (bw, bh), lift in zip(shown, sizes, lifts, strict=True):
        assert p.uv is not None
        x, y = round(p.uv[0]), round(p.uv[1])
        boxes.append((p, round(x - bw / 2), round(y - lift) - bh, bw, bh))
    for (p, _, top, _, bh), head in zip(boxes, heads, strict=True):
        assert p.uv is not None
        x, y = round(p.uv[0]), round(p.uv[1])
        if top + bh < y - head - 2 * s:
            thick = max(round((2 if p.highlighted else 1) * s), 1)
            cv2.line(frame, (x, round(y - head)), (x, top + bh), WHITE if p.highlighted
                     else action_rgb(p.event), thick, cv2.LINE_AA)
    r = max(round(3 * s), 2)
    for p in shown:
        assert p.uv is not None
        feet = (round(p.uv[0]), round(p.uv[1]))
        cv2.circle(frame, feet, r + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(frame, feet, r, WHITE if p.highlighted else action_rgb(p.event), -1,
                   cv2.LINE_AA)
    for p, left, top, bw, bh in reversed(boxes):  # the highlighted one last, on top
        _draw_box(frame, p, left, top, (bw, bh), size, pad, s)


def _box_size(p: PlayerMark, size: int, pad: int) -> tuple[int, int]:
    """(width, height) pixels of a player's label box."""
    lines = _label_lines(p)
    if p.highlighted:
        dims = [text_size(t, size, i == 0) for i, (t, _) in enumerate(lines)]
        w, h = max(d[0] for d in dims), sum(d[1] for d in dims)
    else:
        dims = [text_size(t, size) for t, _ in lines if t]
        w = sum(d[0] for d in dims) - 2 * (len(dims) - 1)  # masks carry 1 px margin a side
        h = dims[0][1]
    return w + 2 * pad, h + 2 * pad


def _draw_box(frame: np.ndarray, p: PlayerMark, left: int, top: int, box: tuple[int, int],
              size: int, pad: int, s: float) -> None:
    bw, bh = box
    fill_rect(frame, left, top, left + bw, top + bh, (0, 0, 0), 0.7)
    if p.highlighted:
        thick = max(round(2 * s), 1)
        cv2.rectangle(frame, (left, top), (left + bw - 1, top + bh - 1), WHITE, thick,
                      cv2.LINE_AA)
    ty, tx = top + pad, left + pad
    for i, (text, rgb) in enumerate(_label_lines(p)):
        if not text:
            continue
        w, h = draw_text(frame, text, tx, ty, rgb, size, p.highlighted and i == 0)
        if p.highlighted:
            ty += h
        else:
            tx += w - 2


def place_labels(anchors: Sequence[tuple[float, float]], sizes: Sequence[tuple[float, float]],
                 gap: float | Sequence[float] = 8.0, margin: float = 2.0) -> list[float]:
    """Lift (pixels between anchor and box bottom) of each label box so none overlap.

    ``anchors``: (x, y) pixels of the players' feet; ``sizes``: (width, height) of their boxes,
    centred over the anchor. Boxes are placed in the given order; each starts ``gap`` (one
    value, or one per label) above its anchor and moves up past every placed box it would
    cover (the review app's rule).
    """
    gaps = [float(gap)] * len(anchors) if isinstance(gap, int | float) else list(gap)
    placed: list[tuple[float, float, float, float]] = []  # left, top, right, bottom
    lifts: list[float] = []
    for (x, y), (w, h), g in zip(anchors, sizes, gaps, strict=True):
        left, right, bottom = x - w / 2, x + w / 2, y - g
        for _ in range(len(placed) + 1):
            hits = [r for r in placed if left < r[2] + margin and right > r[0] - margin
                    and bottom - h < r[3] + margin and bottom > r[1] - margin]
            if not hits:
                break
            bottom = min(r[1] for r in hits) - margin
        placed.append((left, bottom - h, right, bottom))
        lifts.append(y - bottom)
    return lifts


# --------------------------------------------------------------------------------- pitch map
def inset_rect(frame_shape: tuple[int, ...], pitch: Pitch) -> tuple[int, int, int, int]:
    """(left, top, width, height) pixels of the pitch map in the bottom-right corner."""
    fh, fw = int(frame_shape[0]), int(frame_shape[1])
    s = fh / DESIGN_HEIGHT
    width = 0.22 * fw
    height = width * pitch.width_m / pitch.length_m
    if height > 0.34 * fh:
        height = 0.34 * fh
        width = height * pitch.length_m / pitch.width_m
    margin = 10 * s
    w, h = round(width), round(height)
    return round(fw - margin - w), round(fh - margin - h), w, h


def draw_pitch_inset(frame: np.ndarray, scene: OverlayScene, s: float) -> None:
    """Top view of the pitch (x right, y up, as the sideline camera sees it) with the players
    and the ball."""
    pitch = scene.pitch
    left, top, w, h = inset_rect(frame.shape, pitch)
    border = 4 * s
    fill_rect(frame, left - border, top - border, left + w + border, top + h + border,
              (10, 30, 14), 0.55)
    fill_rect(frame, left, top, left + w, top + h, GRASS_RGB, 0.7)
    k = w / pitch.length_m

    def px(x: float, y: float) -> tuple[int, int]:
        return round(left + x * k), round(top + h - y * k)

    line = max(round(s), 1)
    cv2.rectangle(frame, px(0, pitch.width_m), px(pitch.length_m, 0), LINE_RGB, line)
    cv2.line(frame, px(pitch.length_m / 2, 0), px(pitch.length_m / 2, pitch.width_m), LINE_RGB,
             line)
    scale = min(1.0, pitch.length_m / 105.0, pitch.width_m / 68.0)
    cv2.circle(frame, px(pitch.length_m / 2, pitch.width_m / 2),
               max(round(9.15 * scale * k), 2), LINE_RGB, line, cv2.LINE_AA)
    for end, sign in ((0.0, 1.0), (pitch.length_m, -1.0)):
        cy = pitch.width_m / 2
        cv2.rectangle(frame, px(end, cy - 20.16 * scale), px(end + sign * 16.5 * scale,
                                                             cy + 20.16 * scale), LINE_RGB, line)
    r = max(round(3.5 * s), 2)
    for p in sorted(scene.players, key=lambda p: p.highlighted):
        if p.xy is None:
            continue
        c = px(*p.xy)
        if p.highlighted:
            cv2.circle(frame, c, r + max(round(3 * s), 2), WHITE, line + 1, cv2.LINE_AA)
        cv2.circle(frame, c, r + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(frame, c, r, p.team_rgb, -1, cv2.LINE_AA)
    if scene.ball_xy is not None:
        c = px(*scene.ball_xy)
        rb = max(round(2.5 * s), 2)
        cv2.circle(frame, c, rb + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(frame, c, rb, BALL_RGB, -1, cv2.LINE_AA)


# --------------------------------------------------------------------------------- scene data
class OverlaySource:
    """Builds the :class:`OverlayScene` of any session time from a session's positions and
    events (one per clip; cheap per frame: an interpolation and an event lookup per player).

    ``positions``: player id -> TimeSeries with ``x``, ``y`` pitch metres on the session clock;
    ``ball``: the same for the ball (or None); ``frame_size``: (width, height) of the output
    frames (the calibration's pixels are scaled to it).
    """

    def __init__(self, session: Session, positions: Mapping[str, TimeSeries],
                 events: Sequence[Event], frame_size: tuple[int, int], *,
                 ball: TimeSeries | None = None) -> None:
        self.session = session
        self.positions = dict(positions)
        self.ball = ball if ball is not None and ball.has("x", "y") else None
        self.index = EventIndex(events)
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))
        self._team = team_rgb(session.players)
        cal = session.calibration
        self._scale = None if cal is None else (frame_size[0] / max(cal.image_size[0], 1),
                                                frame_size[1] / max(cal.image_size[1], 1))

    def scene(self, t: float, *, highlight: str | None = None, title: str | None = None,
              accent: RGB | None = None) -> OverlayScene:
        """The overlay at session time ``t``. ``title=None``: the highlighted player's current
        event (or the session's name); ``accent=None``: that event's colour."""
        session = self.session
        players = session.players
        xy = np.full((len(players), 2), np.nan)
        for i, p in enumerate(players):
            ts = self.positions.get(p.id)
            if ts is not None and len(ts):
                xy[i] = position_at(ts, t)
        uv, height = self._project(xy)
        marks = []
        for i, p in enumerate(players):
            ok_xy = bool(np.all(np.isfinite(xy[i])))
            seen = uv is not None and ok_xy and self._on_frame(uv[i])
            marks.append(PlayerMark(
                p.id, f"#{p.number}" if p.number is not None else p.id, player_caption(p),
                self._team[p.id],
                uv=(float(uv[i, 0]), float(uv[i, 1])) if seen and uv is not None else None,
                xy=(float(xy[i, 0]), float(xy[i, 1])) if ok_xy else None,
                event=self.index.event_at(p.id, t), highlighted=p.id == highlight,
                height_px=float(height[i]) if seen and np.isfinite(height[i]) else 0.0))
        current = next((m.event for m in marks if m.highlighted), None)
        if title is None:
            title = self._dynamic_title(highlight, current, t)
        ball = None
        if self.ball is not None:
            b = position_at(self.ball, t)
            ball = (float(b[0]), float(b[1])) if np.all(np.isfinite(b)) else None
        return OverlayScene(title, clock_text(t), session.synthetic, session.pitch, marks, ball,
                            accent if accent is not None else action_rgb(current))

    def _dynamic_title(self, highlight: str | None, event: Event | None, t: float) -> str:
        if highlight is None:
            return self.session.name
        if event is not None:
            return event_title(event, self._player(highlight))
        player = self._player(highlight)
        who = highlight if player is None or player.number is None \
            else f"{highlight} #{player.number}"
        return f"{who} - no event - {clock_text(t)}"

    def _player(self, player_id: str) -> Player | None:
        return next((p for p in self.session.players if p.id == player_id), None)

    def _project(self, xy: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(N, 2) pitch metres -> (N, 2) frame pixels of the feet (None without calibration)
        and (N,) about how tall a player standing there looks, pixels: PLAYER_HEIGHT_M times
        the ground's largest local scale (px per metre), a fair stand-in for the vertical
        scale of a camera that looks at the pitch from its side or end."""
        cal = self.session.calibration
        n = len(xy)
        if cal is None or self._scale is None:
            return None, np.zeros(n)
        steps = np.array([[0.0, 0.0], [0.5, 0.0], [-0.5, 0.0], [0.0, 0.5], [0.0, -0.5]])
        pts = (xy[:, None, :] + steps[None, :, :]).reshape(-1, 2)
        uv = (cal.pitch_to_image(pts) * np.asarray(self._scale)).reshape(n, 5, 2)
        with np.errstate(invalid="ignore"):
            along_x = np.linalg.norm(uv[:, 1] - uv[:, 2], axis=1)
            along_y = np.linalg.norm(uv[:, 3] - uv[:, 4], axis=1)
            height = PLAYER_HEIGHT_M * np.fmax(along_x, along_y)
        return uv[:, 0], height

    def _on_frame(self, uv: np.ndarray) -> bool:
        w, h = self.frame_size
        return bool(np.all(np.isfinite(uv)) and 0 <= uv[0] < w and 0 <= uv[1] < h)


def team_rgb(players: Sequence[Player]) -> dict[str, RGB]:
    """Player id -> marker colour of their team (:func:`footcoach.domain.palette.team_colors`)."""
    return {pid: hex_rgb(c) for pid, c in team_colors(players).items()}


def clip_positions(loaded: LoadedSession) -> dict[str, TimeSeries]:
    """Player id -> positions (x, y pitch metres, session clock): the GPS, or for a player
    without GPS the provider tracking series named by its ``tracking_id``."""
    out = {pid: ts for pid, ts in loaded.gps.items() if ts.has("x", "y")}
    tracking = loaded.tracking
    if tracking is not None:
        for p in loaded.session.players:
            if p.id not in out and p.tracking_id and p.tracking_id in tracking.players:
                out[p.id] = tracking.players[p.tracking_id]
    return out


def clip_ball(loaded: LoadedSession) -> TimeSeries | None:
    """The ball (x, y pitch metres, session clock): the tracking data's, else a ball track
    in a synthetic session's ``labels.json``, else None. A bad labels file is reported in
    ``loaded.diagnostics`` and skipped (the ball is optional)."""
    if loaded.tracking is not None and loaded.tracking.ball is not None:
        return loaded.tracking.ball
    path = loaded.session.root / LABELS_FILE
    if not path.is_file():
        return None
    try:
        return read_synthetic_labels(path).ball
    except FootcoachError as exc:
        loaded.diagnostics.warn(f"ball track skipped: {exc.message}", path, exc.where)
        return None
