"""Why the model said what it said about the selected event: how much it relied on each modality
(video / IMU / position weights, from ``Event.modality_attention``) and on each moment of the
window (the time-attention profile, ``AppState.time_attention[event_id]``, a (T,) array spread
evenly over the event from ``start_s`` to ``end_s``)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from footcoach.app.review_data import format_time, player_caption
from footcoach.domain.events import Event
from footcoach.gui.state import AppState
from footcoach.gui.style import MODALITY_COLORS, PLAYHEAD_COLOR, configure_pyqtgraph

MODALITIES: tuple[tuple[str, str], ...] = (("video", "video"), ("imu", "IMU"),
                                            ("position", "position"))


class AttentionPanel(QWidget):
    """Event summary, modality attention bars and the time-attention profile."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.state = state
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.graphics, 1)

        self.bars_plot: pg.PlotItem = self.graphics.addPlot(row=0, col=0)
        self.bars_plot.setTitle("<span style='font-size:8pt'>modality attention</span>")
        self.bars_plot.setMouseEnabled(x=False, y=False)
        self.bars_plot.setMenuEnabled(False)
        self.bars_plot.hideButtons()
        self.bars_plot.setXRange(0, 1, padding=0.02)
        self.bars_plot.setYRange(-0.5, len(MODALITIES) - 0.5, padding=0.05)
        self.bars_plot.getViewBox().invertY(True)
        self.bars_plot.getAxis("left").setTicks(
            [[(float(i), name) for i, (_, name) in enumerate(MODALITIES)], []])
        self.bars_plot.getAxis("left").setWidth(60)
        self.bars = pg.BarGraphItem(x0=np.zeros(3), y=np.arange(3, dtype=float), height=0.6,
                                    width=np.zeros(3),
                                    brushes=[pg.mkBrush(MODALITY_COLORS[k]) for k, _ in MODALITIES],
                                    pen=pg.mkPen(None))
        self.bars_plot.addItem(self.bars)
        self.bar_labels = []
        for i in range(len(MODALITIES)):
            text = pg.TextItem("", color="#f0f0f0", anchor=(0, 0.5))
            text.setPos(0.0, float(i))
            self.bars_plot.addItem(text)
            self.bar_labels.append(text)

        self.time_plot: pg.PlotItem = self.graphics.addPlot(row=1, col=0)
        self.time_plot.setTitle("<span style='font-size:8pt'>time attention</span>")
        self.time_plot.setMouseEnabled(x=False, y=False)
        self.time_plot.setMenuEnabled(False)
        self.time_plot.hideButtons()
        self.time_plot.getAxis("left").setWidth(60)
        self.time_plot.setLabel("bottom", "seconds into the event")
        self.time_curve = pg.PlotDataItem(pen=pg.mkPen("#f2c14e", width=2),
                                          fillLevel=0.0, brush=pg.mkBrush(242, 193, 78, 60))
        self.time_plot.addItem(self.time_curve)
        self.time_cursor = pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen(PLAYHEAD_COLOR, width=1))
        self.time_plot.addItem(self.time_cursor, ignoreBounds=True)

        self.modality_values: dict[str, float] = {}
        self.profile: np.ndarray | None = None
        state.event_selected.connect(self._show)
        state.result_changed.connect(lambda: self._show(state.selected_event))
        state.session_changed.connect(lambda: self._show(state.selected_event))
        state.time_changed.connect(self._on_time)
        self._show(state.selected_event)

    def _show(self, event_id: str) -> None:
        event = self.state.event_by_id(event_id) if event_id else None
        self.summary.setText(self._summary(event))
        weights = dict(event.modality_attention) if event is not None else {}
        self.modality_values = {k: float(weights.get(k, 0.0)) for k, _ in MODALITIES}
        widths = np.array([self.modality_values[k] for k, _ in MODALITIES])
        self.bars.setOpts(width=widths)
        for i, (key, _) in enumerate(MODALITIES):
            has = event is not None and key in weights
            self.bar_labels[i].setText(f" {widths[i]:.0%}" if has else (" -" if event else ""))
            self.bar_labels[i].setPos(float(widths[i]), float(i))
        profile = self.state.time_attention.get(event_id) if event is not None else None
        self.profile = None if profile is None or profile.size == 0 else profile
        if event is not None and self.profile is not None:
            n = self.profile.size
            dur = max(event.end_s - event.start_s, 1e-6)
            x = (np.arange(n) + 0.5) * dur / n
            self.time_curve.setData(x, self.profile)
            self.time_plot.setXRange(0, dur, padding=0)
            self.time_plot.setYRange(0, float(np.nanmax(self.profile)) * 1.1 or 1.0, padding=0)
            self.time_plot.setTitle("<span style='font-size:8pt'>time attention</span>")
        else:
            self.time_curve.setData([], [])
            note = "no time-attention profile" if event is not None else "time attention"
            self.time_plot.setTitle(f"<span style='font-size:8pt'>{note}</span>")
        self._on_time(self.state.time_s)

    def _on_time(self, t: float) -> None:
        event = self.state.event_by_id(self.state.selected_event)
        if event is None or self.profile is None:
            self.time_cursor.hide()
            return
        self.time_cursor.setValue(t - event.start_s)
        self.time_cursor.setVisible(event.start_s <= t <= event.end_s)

    def _summary(self, event: Event | None) -> str:
        if event is None:
            return "<i>Select an event (timeline or event list) to see what the model used.</i>"
        loaded = self.state.loaded
        who = event.player_id
        if loaded is not None and event.player_id in loaded.player_ids:
            who = player_caption(loaded.session.player(event.player_id))
        tactic = f", {event.tactic.label}" if event.tactic is not None else ""
        quality = f" - quality {event.quality:.0f}" if event.quality is not None else ""
        return (f"<b>{who}</b>: {event.action.label}{tactic}{quality}<br>"
                f"{format_time(event.start_s)}-{format_time(event.end_s)}, "
                f"confidence {event.confidence:.0%}, {event.source}")
