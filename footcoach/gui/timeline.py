"""Timeline: one track per player with action segments, the team tactic track, the quality curve
and the playhead. Click to seek (and pick the event under the mouse), drag the playhead, wheel
to zoom, drag to pan.

Segments are drawn as one :class:`SegmentsItem` per class (a single ``drawRects`` call over a
packed rectangle array), so 100k events cost 20 graphics items, not 100k.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from footcoach.app.review_data import player_caption, team_tactic_segments
from footcoach.domain.labels import Action, Tactic
from footcoach.gui.state import AppState
from footcoach.gui.style import (
    ACTION_COLORS,
    PLAYHEAD_COLOR,
    SELECTION_COLOR,
    TACTIC_COLORS,
    TimeAxis,
    configure_pyqtgraph,
    qcolor,
)

ROW_HEIGHT = 0.72
"""Height of a segment bar in track units (one track = 1)."""
TACTIC_GAP = 0.6
"""Extra space between the last player track and the team tactic track."""


class SegmentsItem(pg.GraphicsObject):
    """Many filled rectangles of one colour, drawn with one ``drawRects`` call.

    Coordinates are data coordinates: ``x0``, ``x1`` (N,) seconds, ``y0``, ``y1`` (N,) track
    units. Its shape for hit-testing is its bounding box (cheap at any N).
    """

    def __init__(self, color: str) -> None:
        super().__init__()
        self._brush = QBrush(qcolor(color))
        self._rects = internals.PrimitiveArray(QRectF, 4)
        self._bounds = QRectF()
        self.count = 0

    def set_rects(self, x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> None:
        self.prepareGeometryChange()
        n = int(np.size(x0))
        self.count = n
        self._rects.resize(n)
        if n:
            mem = self._rects.ndarray()
            mem[:, 0] = x0
            mem[:, 1] = y0
            mem[:, 2] = np.maximum(x1 - x0, 0.0)
            mem[:, 3] = y1 - y0
            self._bounds = QRectF(float(np.min(x0)), float(np.min(y0)),
                                  float(np.max(x1) - np.min(x0)), float(np.max(y1) - np.min(y0)))
        else:
            self._bounds = QRectF()
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self._bounds)
        return path

    def dataBounds(self, ax: int, frac: float = 1.0,
                   orthoRange: Any = None) -> tuple[float | None, float | None]:
        if self.count == 0:
            return None, None
        b = self._bounds
        return (b.left(), b.right()) if ax == 0 else (b.top(), b.bottom())

    def paint(self, painter: QPainter, *args: Any) -> None:
        if self.count == 0:
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        painter.drawRects(*self._rects.drawargs())


def _chips(title: str, colors: dict[Any, str]) -> str:
    chips = " ".join(
        f'<span style="white-space:nowrap"><span style="background-color:{c}">'
        f"&nbsp;&nbsp;&nbsp;</span>&nbsp;{m.label}</span>&nbsp;"
        for m, c in colors.items())
    return f"<b>{title}</b>&nbsp; {chips}"


class Legend(QLabel):
    """Colour chips of the action classes and of the tactic classes (wraps when narrow)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet("font-size: 7.5pt; padding: 0px 4px;")
        self.setText(_chips("Actions", ACTION_COLORS) + "<br>"
                     + _chips("Team tactic", TACTIC_COLORS))


class Timeline(QWidget):
    """Player tracks + team tactic track (top plot) and the quality curve (bottom plot)."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.state = state
        self.legend = Legend(self)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.tracks: pg.PlotItem = self.graphics.addPlot(row=0, col=0,
                                                         axisItems={"bottom": TimeAxis()})
        self.quality: pg.PlotItem = self.graphics.addPlot(row=1, col=0,
                                                          axisItems={"bottom": TimeAxis()})
        self.graphics.ci.layout.setRowStretchFactor(0, 4)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.legend)
        layout.addWidget(self.graphics, 1)

        vb = self.tracks.getViewBox()
        vb.invertY(True)
        vb.setMouseEnabled(x=True, y=False)
        vb.setMenuEnabled(False)
        self.tracks.hideButtons()
        self.tracks.getAxis("left").setWidth(90)
        self.tracks.getAxis("bottom").setStyle(showValues=False)
        self.quality.setXLink(self.tracks)
        self.quality.setMouseEnabled(x=True, y=False)
        self.quality.setMenuEnabled(False)
        self.quality.hideButtons()
        self.quality.setYRange(0, 100, padding=0.05)
        self.quality.getAxis("left").setWidth(90)
        self.quality.setLabel("left", "quality")
        self.quality.getAxis("left").setTicks([[(0.0, "0"), (50.0, "50"), (100.0, "100")], []])
        self.quality.showGrid(x=False, y=True, alpha=0.2)
        self.quality_label = pg.TextItem("", color="#bbbbbb", anchor=(0, 0))
        self.quality_label.setParentItem(self.quality.getViewBox())
        self.quality_label.setPos(4, 0)
        small = QFont()
        small.setPointSizeF(7.5)
        self.tracks.getAxis("left").setStyle(tickFont=small)
        self.quality.getAxis("left").setStyle(tickFont=small)
        vb.sigResized.connect(lambda _vb: self._update_ticks())

        self.action_items = {a: SegmentsItem(ACTION_COLORS[a]) for a in Action}
        self.tactic_items = {k: SegmentsItem(TACTIC_COLORS[k]) for k in Tactic}
        for item in [*self.action_items.values(), *self.tactic_items.values()]:
            self.tracks.addItem(item)
        self._row_band = pg.LinearRegionItem(orientation="horizontal", movable=False,
                                             brush=pg.mkBrush(255, 255, 255, 22),
                                             pen=pg.mkPen(None))
        self._row_band.setZValue(-10)
        self._row_band.hide()
        self.tracks.addItem(self._row_band, ignoreBounds=True)
        self._selection = QGraphicsRectItem()
        pen = QPen(qcolor(SELECTION_COLOR), 2)
        pen.setCosmetic(True)
        self._selection.setPen(pen)
        self._selection.setZValue(20)
        self._selection.hide()
        self.tracks.addItem(self._selection, ignoreBounds=True)
        self.quality_curve = pg.PlotDataItem(pen=pg.mkPen("#e0e0e0", width=1), connect="finite",
                                             symbol="o", symbolSize=4, symbolPen=None,
                                             symbolBrush=pg.mkBrush("#e0e0e0"))
        self.quality_curve.setDownsampling(auto=True, method="peak")
        self.quality_curve.setClipToView(True)
        self.quality.addItem(self.quality_curve)
        self.playheads = []
        for plot in (self.tracks, self.quality):
            line = pg.InfiniteLine(0.0, angle=90, movable=True,
                                   pen=pg.mkPen(PLAYHEAD_COLOR, width=2),
                                   hoverPen=pg.mkPen(PLAYHEAD_COLOR, width=4))
            line.setZValue(30)
            line.sigPositionChanged.connect(self._playhead_dragged)
            plot.addItem(line, ignoreBounds=True)
            self.playheads.append(line)
        self._moving_playhead = False
        self._names: dict[str, str] = {}
        self.rows: list[str] = []
        self.tactic_rows: list[tuple[float, str]] = []
        """(track y, title) of the tactic tracks: one per team, or one for all players."""
        self.graphics.scene().sigMouseClicked.connect(self._clicked)

        state.session_changed.connect(self._rebuild)  # a new session brings new events too
        state.result_changed.connect(self._rebuild)
        state.time_changed.connect(self._on_time)
        state.player_selected.connect(self._on_player)
        state.event_selected.connect(self._on_event)
        self._rebuild()

    # ------------------------------------------------------------------ building
    def _rebuild(self) -> None:
        state = self.state
        cols = state.columns
        self.rows = list(cols.player_ids) or list(state.player_ids)
        n = len(self.rows)
        rows_y = cols.player.astype(np.float64)
        half = ROW_HEIGHT / 2
        for action, item in self.action_items.items():
            m = cols.action == int(action)
            item.set_rects(cols.start[m], cols.end[m], rows_y[m] - half, rows_y[m] + half)
        loaded = state.loaded
        self._names = {p.id: player_caption(p) for p in loaded.session.players} if loaded else {}
        self._build_tactic_tracks(n)
        self._update_ticks()
        lo, hi = state.time_range
        if hi <= lo and len(cols):
            lo, hi = float(cols.start.min()), float(cols.end.max())
        pad = max((hi - lo) * 0.01, 0.5)
        for plot in (self.tracks, self.quality):
            plot.getViewBox().setLimits(xMin=lo - pad, xMax=hi + pad, minXRange=0.5)
        self.tracks.setYRange(-0.6, self.tactic_rows[-1][0] + 0.6, padding=0)
        self.tracks.setXRange(lo, max(hi, lo + 1.0), padding=0.01)
        self._on_player(state.selected_player)
        self._on_event(state.selected_event)
        self._on_time(state.time_s)

    def _build_tactic_tracks(self, n_rows: int) -> None:
        """One tactic track per team (the tactic most of its players' events carry at each
        instant), or one "team tactic" track when the session has a single team."""
        cols = self.state.columns
        loaded = self.state.loaded
        team_of = {p.id: p.team for p in loaded.session.players} if loaded else {}
        teams = list(dict.fromkeys(team_of.get(pid, "") for pid in cols.player_ids))
        groups: list[tuple[str, np.ndarray]] = []
        if len(teams) > 1:
            for team in teams:
                codes = [i for i, pid in enumerate(cols.player_ids) if team_of.get(pid, "") == team]
                groups.append((f"tactic {team or '?'}", np.isin(cols.player, codes)))
        else:
            groups.append(("team tactic", np.ones(len(cols), dtype=bool)))
        self.tactic_rows = []
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []
        for j, (title, mask) in enumerate(groups):
            y = n_rows + TACTIC_GAP + j
            self.tactic_rows.append((y, title))
            s, e, k = team_tactic_segments(cols, mask)
            parts.append((s, e, k, y))
        half = ROW_HEIGHT / 2
        for tactic, item in self.tactic_items.items():
            xs0, xs1, ys = [], [], []
            for s, e, k, y in parts:
                m = k == int(tactic)
                xs0.append(s[m])
                xs1.append(e[m])
                ys.append(np.full(int(m.sum()), y))
            y_all = np.concatenate(ys)
            item.set_rects(np.concatenate(xs0), np.concatenate(xs1), y_all - half, y_all + half)

    def _update_ticks(self) -> None:
        """Label every player track, or every k-th one (and the selected one) when the tracks
        are too thin for their names."""
        vb = self.tracks.getViewBox()
        _, (y0, y1) = vb.viewRange()
        px_per_row = vb.height() / max(y1 - y0, 1e-9)
        step = max(1, int(np.ceil(11.0 / max(px_per_row, 1e-9))))
        selected = self.state.selected_player
        ticks = [(float(i), self._names.get(pid, pid)) for i, pid in enumerate(self.rows)
                 if i % step == 0 or pid == selected]
        ticks += [(y, name) for y, name in self.tactic_rows]
        self.tracks.getAxis("left").setTicks([ticks, []])

    def _update_quality(self) -> None:
        cols = self.state.columns
        pid = self.state.selected_player
        code = cols.player_code(pid) if pid else -1
        m = np.isfinite(cols.quality)
        if code >= 0:
            m &= cols.player == code
        mid = (cols.start[m] + cols.end[m]) / 2
        order = np.argsort(mid, kind="stable")
        self.quality_curve.setSymbol("o" if m.sum() <= 2000 else None)  # before: no 100k dots
        self.quality_curve.setData(mid[order], cols.quality[m][order])
        loaded = self.state.loaded
        who = "all players"
        if code >= 0:
            try:
                who = player_caption(loaded.session.player(pid)) if loaded else pid
            except KeyError:
                who = pid
        self.quality_label.setText(f"quality: {who}")

    # ------------------------------------------------------------------ state -> view
    def _on_time(self, t: float) -> None:
        self._moving_playhead = True
        for line in self.playheads:
            line.setValue(t)
        self._moving_playhead = False
        (x0, x1), _ = self.tracks.getViewBox().viewRange()
        if not x0 <= t <= x1:  # keep the playhead in view (playback, jumps)
            width = x1 - x0
            self.tracks.setXRange(t - 0.1 * width, t + 0.9 * width, padding=0)

    def _on_player(self, player_id: str) -> None:
        if player_id in self.rows:
            i = self.rows.index(player_id)
            self._row_band.setRegion((i - 0.5, i + 0.5))
            self._row_band.show()
        else:
            self._row_band.hide()
        self._update_ticks()
        self._update_quality()

    def _on_event(self, event_id: str) -> None:
        event = self.state.event_by_id(event_id) if event_id else None
        if event is None or event.player_id not in self.rows:
            self._selection.hide()
            return
        row = self.rows.index(event.player_id)
        self._selection.setRect(QRectF(event.start_s, row - ROW_HEIGHT / 2 - 0.05,
                                       event.end_s - event.start_s, ROW_HEIGHT + 0.1))
        self._selection.show()

    # ------------------------------------------------------------------ view -> state
    def _playhead_dragged(self, line: pg.InfiniteLine) -> None:
        if not self._moving_playhead:
            self.state.set_time(float(line.value()))

    def _clicked(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        pos = ev.scenePos()
        for plot in (self.tracks, self.quality):
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                p = vb.mapSceneToView(pos)
                self.click_at(p.x(), p.y() if plot is self.tracks else None)
                ev.accept()
                return

    def click_at(self, t: float, row_y: float | None = None) -> None:
        """What a click does: seek to ``t``; on a player track also select that player and the
        event under the mouse (if any)."""
        self.state.set_time(t)
        if row_y is None:
            return
        row = round(row_y)
        if 0 <= row < len(self.rows) and abs(row_y - row) <= 0.5:
            pid = self.rows[row]
            event = self.state.event_index.event_at(pid, t)
            if event is not None:
                self.state.select_event(event.id)
            else:
                self.state.select_player(pid)

    def scene_point(self, t: float, row_y: float) -> QPoint:
        """Widget (viewport) coordinates of data point (``t`` s, track ``row_y``), for tests."""
        scene_pt = self.tracks.getViewBox().mapViewToScene(QPointF(t, row_y))
        return self.graphics.mapFromScene(scene_pt)
