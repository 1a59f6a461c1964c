"""Top view of the pitch: markings to scale, each player's trail over the last N seconds, their
current position with their number, and a heatmap of the selected player's positions.

Coordinates are the pitch frame in metres (x along the length to the right, y across, up).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from scipy.ndimage import gaussian_filter

from footcoach.app.review_data import occupancy, position_at, tail
from footcoach.domain.pitch import Pitch
from footcoach.gui.state import AppState
from footcoach.gui.style import configure_pyqtgraph, qcolor, team_colors

LINE_COLOR = "#e8f0e8"
GRASS_COLOR = "#2e5d34"
HEATMAP_BIN_M = 1.0


def pitch_lines(pitch: Pitch) -> tuple[np.ndarray, np.ndarray]:
    """Markings of ``pitch`` as one polyline with NaN breaks: ``(x, y)`` arrays in metres.

    Regulation sizes (penalty area 16.5 x 40.32 m, goal area 5.5 x 18.32 m, centre circle and
    penalty arcs 9.15 m, penalty spot 11 m, goal 7.32 m) are scaled down in proportion on pitches
    smaller than 105 x 68 m (training pitches), never up.
    """
    length, width = pitch.length_m, pitch.width_m
    k = min(1.0, length / 105.0, width / 68.0)
    cy = width / 2
    parts: list[np.ndarray] = []

    def rect(x0: float, y0: float, x1: float, y1: float) -> None:
        parts.append(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]))

    def arc(cx: float, cy_: float, r: float, a0: float, a1: float, n: int = 64) -> None:
        a = np.linspace(a0, a1, n)
        parts.append(np.c_[cx + r * np.cos(a), cy_ + r * np.sin(a)])

    rect(0, 0, length, width)
    parts.append(np.array([[length / 2, 0], [length / 2, width]]))
    arc(length / 2, cy, 9.15 * k, 0, 2 * np.pi)
    arc(length / 2, cy, 0.25, 0, 2 * np.pi, 12)
    for end, sign in ((0.0, 1.0), (length, -1.0)):
        rect(end, cy - 20.16 * k, end + sign * 16.5 * k, cy + 20.16 * k)
        rect(end, cy - 9.16 * k, end + sign * 5.5 * k, cy + 9.16 * k)
        rect(end, cy - 3.66 * k, end - sign * 1.5 * k, cy + 3.66 * k)  # the goal
        spot = end + sign * 11.0 * k
        arc(spot, cy, 0.25, 0, 2 * np.pi, 12)
        # the part of the 9.15 m circle outside the penalty area
        half = np.arccos(min(5.5 / 9.15, 1.0))
        centre = 0.0 if sign > 0 else np.pi
        arc(spot, cy, 9.15 * k, centre - half, centre + half, 32)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for p in parts:
        xs += [p[:, 0], np.array([np.nan])]
        ys += [p[:, 1], np.array([np.nan])]
    return np.concatenate(xs), np.concatenate(ys)


class PitchMap(QWidget):
    """Pitch view following the playhead; clicking a player selects them."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.state = state
        self.tail_box = QSpinBox(self)
        self.tail_box.setRange(0, 120)
        self.tail_box.setValue(10)
        self.tail_box.setSuffix(" s")
        self.tail_box.setToolTip("Length of the trails behind the players")
        self.tail_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.tail_box.valueChanged.connect(lambda _v: self._update())
        self.heatmap_box = QCheckBox("heatmap", self)
        self.heatmap_box.setToolTip("Where the selected player spent the session")
        self.heatmap_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.heatmap_box.toggled.connect(self.set_heatmap_visible)
        head = QHBoxLayout()
        head.setContentsMargins(4, 2, 4, 0)
        head.addWidget(QLabel("trail", self))
        head.addWidget(self.tail_box)
        head.addStretch(1)
        head.addWidget(self.heatmap_box)
        self.plot_widget = pg.PlotWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addWidget(self.plot_widget, 1)

        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.grass = QGraphicsRectItem()
        self.grass.setBrush(QBrush(QColor(GRASS_COLOR)))
        self.grass.setPen(QPen(Qt.PenStyle.NoPen))
        self.grass.setZValue(-20)
        self.plot.addItem(self.grass)
        self.heatmap = pg.ImageItem()
        lut = pg.colormap.get("inferno").getLookupTable(nPts=256, alpha=True)
        lut[0, 3] = 0
        self.heatmap.setLookupTable(lut)
        self.heatmap.setOpacity(0.85)
        self.heatmap.setZValue(-15)
        self.heatmap.hide()
        self.plot.addItem(self.heatmap)
        self.lines = pg.PlotCurveItem(pen=pg.mkPen(LINE_COLOR, width=1.5), connect="finite")
        self.lines.setZValue(-10)
        self.plot.addItem(self.lines)
        self.markers = pg.ScatterPlotItem(size=17, pxMode=True)
        self.markers.setZValue(10)
        self.markers.sigClicked.connect(self._marker_clicked)
        self.plot.addItem(self.markers)
        self._trails: dict[str, pg.PlotCurveItem] = {}
        self._numbers: dict[str, pg.TextItem] = {}
        self._team_color: dict[str, str] = {}
        self.positions: dict[str, tuple[float, float]] = {}
        """Where each player is drawn now (pitch metres); players without a position are absent."""
        self._heat_player = ""

        state.session_changed.connect(self._rebuild)
        state.time_changed.connect(lambda _t: self._update())
        state.player_selected.connect(self._on_player)
        self._rebuild()

    # ------------------------------------------------------------------ building
    def _rebuild(self) -> None:
        for item in [*self._trails.values(), *self._numbers.values()]:
            self.plot.removeItem(item)
        self._trails.clear()
        self._numbers.clear()
        self._team_color.clear()
        loaded = self.state.loaded
        pitch = loaded.session.pitch if loaded is not None else Pitch()
        x, y = pitch_lines(pitch)
        self.lines.setData(x, y)
        margin = 4.0
        self.grass.setRect(QRectF(-margin, -margin, pitch.length_m + 2 * margin,
                                  pitch.width_m + 2 * margin))
        self.plot.setXRange(-margin, pitch.length_m + margin, padding=0)
        self.plot.setYRange(-margin, pitch.width_m + margin, padding=0)
        self._heat_player = ""
        if loaded is not None:
            self._team_color = team_colors(loaded.session.players)
            for p in loaded.session.players:
                color = self._team_color[p.id]
                trail = pg.PlotCurveItem(pen=pg.mkPen(qcolor(color, 150), width=1.5))
                self.plot.addItem(trail)
                self._trails[p.id] = trail
                label = str(p.number) if p.number is not None else p.id[:3]
                text = pg.TextItem(label, color="#000000", anchor=(0.5, 0.5))
                font = text.textItem.font()
                font.setPointSizeF(7)
                font.setBold(True)
                text.setFont(font)
                text.setZValue(11)
                self.plot.addItem(text)
                self._numbers[p.id] = text
        self._on_player(self.state.selected_player)

    # ------------------------------------------------------------------ state -> view
    def _update(self) -> None:
        loaded = self.state.loaded
        self.positions = {}
        if loaded is None:
            self.markers.setData([])
            return
        t = self.state.time_s
        seconds = float(self.tail_box.value())
        spots = []
        for p in loaded.session.players:
            gps = loaded.gps.get(p.id)
            trail, number = self._trails[p.id], self._numbers[p.id]
            if gps is None or not gps.has("x", "y"):
                trail.setData([], [])
                number.hide()
                continue
            xy = tail(gps, t, seconds) if seconds > 0 else np.empty((0, 2))
            trail.setData(xy[:, 0], xy[:, 1], connect="finite")
            pos = position_at(gps, t)
            if not np.all(np.isfinite(pos)):
                number.hide()
                continue
            self.positions[p.id] = (float(pos[0]), float(pos[1]))
            selected = p.id == self.state.selected_player
            spots.append({
                "pos": (pos[0], pos[1]), "data": p.id,
                "brush": pg.mkBrush(self._team_color[p.id]),
                "pen": pg.mkPen("#ffffff" if selected else "#000000", width=3 if selected else 1),
                "size": 21 if selected else 17,
            })
            number.setPos(float(pos[0]), float(pos[1]))
            number.show()
        self.markers.setData(spots)

    def _on_player(self, player_id: str) -> None:
        if self.heatmap_box.isChecked():
            self._build_heatmap()
        self._update()

    def set_heatmap_visible(self, visible: bool) -> None:
        if self.heatmap_box.isChecked() != visible:
            self.heatmap_box.setChecked(visible)  # re-enters through toggled
            return
        if visible:
            self._build_heatmap()
        else:
            self.heatmap.hide()

    def _build_heatmap(self) -> None:
        loaded = self.state.loaded
        pid = self.state.selected_player
        gps = loaded.gps.get(pid) if loaded is not None and pid else None
        if gps is None or not gps.has("x", "y"):
            self.heatmap.hide()
            self._heat_player = ""
            return
        if pid != self._heat_player:
            pitch = loaded.session.pitch  # type: ignore[union-attr]
            counts = occupancy(gps.channel("x"), gps.channel("y"), pitch.length_m,
                               pitch.width_m, HEATMAP_BIN_M)
            smooth = gaussian_filter(counts, sigma=1.5)
            top = float(smooth.max()) or 1.0
            self.heatmap.setImage(smooth, levels=(top * 0.02, top))
            self.heatmap.setRect(QRectF(0, 0, counts.shape[0] * HEATMAP_BIN_M,
                                        counts.shape[1] * HEATMAP_BIN_M))
            self._heat_player = pid
        self.heatmap.show()

    @property
    def heatmap_player(self) -> str:
        """Whose heatmap is shown ("" when hidden)."""
        return self._heat_player if self.heatmap.isVisible() else ""

    # ------------------------------------------------------------------ view -> state
    def _marker_clicked(self, item: pg.ScatterPlotItem, points: list, ev: object) -> None:
        if len(points):
            self.state.select_player(str(points[0].data()))
