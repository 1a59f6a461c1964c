"""The selected player's IMU (acceleration x/y/z and magnitude, gyroscope x/y/z) and GPS speed,
around the playhead, with a cursor line at the playhead. Stretches where the vest stopped
measuring (:mod:`footcoach.sync.sensor_faults`) are shaded over the IMU plots, those where the
GPS unit repeated its last fix over the speed plot, and named above the plots.

Curves are decimated to a minimum and a maximum per pixel column
(:func:`footcoach.app.review_data.decimate_minmax`), computed for a range twice as wide as the
view, so moving the playhead redraws from the cache until the view leaves that range: a
90-minute 100 Hz session draws as fast as a 10-second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from footcoach.app.engines import default_fault_settings
from footcoach.app.review_data import acc_magnitude, decimate_minmax, player_caption, speed_of
from footcoach.gui.state import AppState
from footcoach.gui.style import PLAYHEAD_COLOR, TimeAxis, configure_pyqtgraph
from footcoach.sync.sensor_faults import (
    DEFAULT_FAULTS,
    GPS_KINDS,
    FaultSettings,
    SensorFault,
    clock,
    find_gps_faults,
    find_imu_faults,
)
from footcoach.sync.vest_identity import own_vests

WINDOWS: tuple[tuple[str, float | None], ...] = (
    ("10 s", 10.0), ("30 s", 30.0), ("2 min", 120.0), ("10 min", 600.0), ("whole session", None))
"""Choices of the visible time span (None: the whole session)."""
DEFAULT_WINDOW = 1
AXIS_COLORS = ("#e15759", "#59a14f", "#4e79a7", "#f0f0f0")  # x, y, z, magnitude
FAULT_BRUSH = (240, 160, 40, 60)  # amber, translucent: a stretch the vest did not measure


@dataclass
class _Series:
    curve: pg.PlotDataItem
    t: np.ndarray
    y: np.ndarray


class ImuPlot(QWidget):
    """Three stacked plots sharing the time axis: acceleration, angular rate, speed."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.state = state
        self._own_vests: tuple[object, set[str]] | None = None  # (session, players)
        self._settings: FaultSettings | None = None  # the fault checks' settings
        self.title = QLabel("No player selected", self)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.window_box = QComboBox(self)
        for text, seconds in WINDOWS:
            self.window_box.addItem(text, seconds)
        self.window_box.setCurrentIndex(DEFAULT_WINDOW)
        self.window_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.window_box.currentIndexChanged.connect(lambda _i: self._refresh(force=True))
        head = QHBoxLayout()
        head.setContentsMargins(4, 2, 4, 0)
        head.addWidget(self.title, 1)
        keys = " ".join(f"<span style='color:{c}'>&#9632; {n}</span>"
                        for c, n in zip(AXIS_COLORS, ("x", "y", "z", "|a|"), strict=True))
        head.addWidget(QLabel(keys, self))
        head.addSpacing(12)
        head.addWidget(QLabel("span", self))
        head.addWidget(self.window_box)
        self.fault_label = QLabel(self)  # where the vest stopped measuring (hidden: nowhere)
        self.fault_label.setWordWrap(True)
        self.fault_label.setStyleSheet(f"color: rgb{FAULT_BRUSH[:3]}; padding: 0 4px;")
        self.fault_label.hide()
        self.graphics = pg.GraphicsLayoutWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addWidget(self.fault_label)
        layout.addWidget(self.graphics, 1)

        self.acc = self._add_plot(0, "acc")
        self.gyro = self._add_plot(1, "gyro")
        self.speed = self._add_plot(2, "speed")
        self.speed.getAxis("bottom").setStyle(showValues=True)
        for plot in (self.acc, self.gyro):
            plot.setXLink(self.speed)
        self.acc_curves = [self._curve(self.acc, AXIS_COLORS[i], name)
                           for i, name in enumerate(("x", "y", "z", "|a|"))]
        self.gyro_curves = [self._curve(self.gyro, AXIS_COLORS[i], name)
                            for i, name in enumerate(("x", "y", "z"))]
        self.speed_curve = self._curve(self.speed, "#f0f0f0", "speed")
        self.cursors = []
        for plot in (self.acc, self.gyro, self.speed):
            line = pg.InfiniteLine(0.0, angle=90, movable=False,
                                   pen=pg.mkPen(PLAYHEAD_COLOR, width=1.5))
            plot.addItem(line, ignoreBounds=True)
            self.cursors.append(line)
        self._series: list[_Series] = []
        self.faults: list[SensorFault] = []
        self._fault_items: list[tuple[pg.PlotItem, pg.LinearRegionItem]] = []
        self._cache: tuple[float, float, float] | None = None  # extent lo, hi, bin width
        self.graphics.scene().sigMouseClicked.connect(self._clicked)

        state.session_changed.connect(lambda: self._load_player(state.selected_player))
        state.player_selected.connect(self._load_player)
        state.time_changed.connect(lambda _t: self._refresh())
        self._load_player(state.selected_player)

    def _add_plot(self, row: int, name: str) -> pg.PlotItem:
        plot = self.graphics.addPlot(row=row, col=0, axisItems={"bottom": TimeAxis()})
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.getAxis("left").setWidth(52)
        plot.getAxis("bottom").setStyle(showValues=False)
        plot.getViewBox().setAutoVisible(y=True)
        return plot

    @staticmethod
    def _curve(plot: pg.PlotItem, color: str, name: str) -> pg.PlotDataItem:
        curve = pg.PlotDataItem(pen=pg.mkPen(color, width=1), name=name, connect="finite")
        plot.addItem(curve)
        return curve

    # ------------------------------------------------------------------ data
    def _load_player(self, player_id: str) -> None:
        loaded = self.state.loaded
        self._series = []
        for curve in [*self.acc_curves, *self.gyro_curves, self.speed_curve]:
            curve.setData([], [])
        self._show_faults([])
        if loaded is None or not player_id:
            self.title.setText("Select a player to see their IMU and speed")
            self._refresh(force=True)
            return
        try:
            caption = player_caption(loaded.session.player(player_id))
        except KeyError:
            caption = player_id
        parts = []
        imu = loaded.imu.get(player_id)
        if imu is not None and imu.has("acc_x", "acc_y", "acc_z"):
            for curve, ch in zip(self.acc_curves, ("acc_x", "acc_y", "acc_z"), strict=False):
                self._series.append(_Series(curve, imu.t, imu.channel(ch)))
            self._series.append(_Series(self.acc_curves[3], imu.t, acc_magnitude(imu)))
            self.acc.setLabel("left", "acc", units=imu.units[imu.index("acc_x")])
            parts.append(f"IMU {imu.rate_hz:.0f} Hz")
        if imu is not None and imu.has("gyro_x", "gyro_y", "gyro_z"):
            for curve, ch in zip(self.gyro_curves, ("gyro_x", "gyro_y", "gyro_z"), strict=False):
                self._series.append(_Series(curve, imu.t, imu.channel(ch)))
            self.gyro.setLabel("left", "gyro", units=imu.units[imu.index("gyro_x")])
        gps = loaded.gps.get(player_id)
        if gps is not None and len(gps):
            self._series.append(_Series(self.speed_curve, gps.t, speed_of(gps)))
            self.speed.setLabel("left", "speed", units="m/s")
            parts.append(f"GPS {gps.rate_hz:.0f} Hz")
        self.title.setText(f"<b>{caption}</b>" if parts else f"<b>{caption}</b>: no IMU or GPS")
        if self._settings is None:  # as an analysis with the bundled model checks
            self._settings = default_fault_settings()
        faults = find_imu_faults(imu, self._settings)[0] if imu is not None else []
        if gps is not None and gps.has("x", "y"):
            faults += find_gps_faults(gps, imu if self._own_vest(player_id) else None,
                                      self._settings)
        self._show_faults(sorted(faults, key=lambda f: f.start_s))
        self.title.setToolTip(", ".join(parts))
        self._refresh(force=True)

    def _own_vest(self, player_id: str) -> bool:
        """Whether the player's vest is read beside his GPS unit for its checks: not when it
        follows another player's track (:func:`footcoach.sync.vest_identity.own_vests`, found
        once per session shown)."""
        loaded = self.state.loaded
        if loaded is None:
            return False
        if self._own_vests is None or self._own_vests[0] is not loaded:
            self._own_vests = (loaded, set(own_vests(loaded.imu, loaded.gps)))
        return player_id in self._own_vests[1]

    def _show_faults(self, faults: list[SensorFault]) -> None:
        """Shade ``faults`` over the IMU plots (replacing the previous player's)."""
        for plot, item in self._fault_items:
            plot.removeItem(item)
        self._fault_items = []
        self.faults = list(faults)
        aside = (self._settings or DEFAULT_FAULTS).set_aside
        text = "; ".join(_fault_text(f, aside) for f in self.faults[:3])
        if len(self.faults) > 3:
            text += f" and {len(self.faults) - 3} more"
        self.fault_label.setText(f"\u25a0 {text}" if text else "")
        self.fault_label.setVisible(bool(text))
        for f in self.faults:
            for plot in ((self.speed,) if f.kind in GPS_KINDS else (self.acc, self.gyro)):
                item = pg.LinearRegionItem((f.start_s, f.end_s), movable=False,
                                           brush=pg.mkBrush(*FAULT_BRUSH),
                                           pen=pg.mkPen(None))
                item.setZValue(-10)
                item.setToolTip(_fault_text(f, aside))
                plot.addItem(item, ignoreBounds=True)
                self._fault_items.append((plot, item))

    # ------------------------------------------------------------------ drawing
    def visible_range(self) -> tuple[float, float]:
        """The time span shown for the current playhead and span choice (seconds)."""
        span = self.window_box.currentData()
        lo, hi = self.state.time_range
        if span is None:
            return lo, max(hi, lo + 1.0)
        t = self.state.time_s
        v0 = t - span / 2
        if hi - lo <= span:
            return lo, max(hi, lo + 1.0)
        v0 = min(max(v0, lo), hi - span)  # stay inside the session; cursor off-centre at ends
        return v0, v0 + span

    def _pixels(self) -> int:
        return max(int(self.speed.getViewBox().width()), 200)

    def _refresh(self, force: bool = False) -> None:
        t = self.state.time_s
        for line in self.cursors:
            line.setValue(t)
        v0, v1 = self.visible_range()
        bin_w = (v1 - v0) / self._pixels()
        cache = self._cache
        if force or cache is None or v0 < cache[0] or v1 > cache[1] \
                or not np.isclose(cache[2], bin_w, rtol=0.25):
            self._redecimate(v0, v1, bin_w)
        self.speed.setXRange(v0, v1, padding=0)

    def _redecimate(self, v0: float, v1: float, bin_w: float) -> None:
        span = v1 - v0
        lo, hi = self.state.time_range
        e0 = max(v0 - span / 2, lo - span) if self.window_box.currentData() else v0
        e1 = min(v1 + span / 2, hi + span) if self.window_box.currentData() else v1
        n_bins = max(int(np.ceil((e1 - e0) / bin_w)), 1)
        for s in self._series:
            x, y = decimate_minmax(s.t, s.y, e0, e1, n_bins)
            s.curve.setData(x, y, connect="finite")
        self._cache = (e0, e1, bin_w)

    def points_drawn(self) -> int:
        """Points currently handed to the curves (all channels), for tests."""
        return sum(0 if s.curve.xData is None else int(s.curve.xData.size) for s in self._series)

    def _clicked(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        for plot in (self.acc, self.gyro, self.speed):
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(ev.scenePos()):
                self.state.set_time(vb.mapSceneToView(ev.scenePos()).x())
                ev.accept()
                return


def _fault_text(f: SensorFault, set_aside: tuple[str, ...] = DEFAULT_FAULTS.set_aside) -> str:
    """``vest frozen 1:39.0-2:39.0, set aside`` (what the analysis did with it)."""
    what = {"frozen": "vest frozen", "no gravity": "vest reads no gravity",
            "turned": "vest turned far from upright",
            "frozen position": "GPS position frozen",
            "drifting position": "GPS position drifting (multipath)"}[f.kind]
    done = "set aside" if f.kind in set_aside else "kept"
    return f"{what} {clock(f.start_s)}-{clock(f.end_s)}, {done}"
