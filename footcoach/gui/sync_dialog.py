"""Sync dialog: shift a stream's clock offset while watching, or accept the automatic estimate.

Streams: the video (where its first frame lies on the session clock, ``VideoRef.start_s``) and
each player's IMU and GPS (``Player.imu_offset_s`` / ``gps_offset_s``: seconds added to the
stream's own clock). Every change is previewed at once: the open session's streams are shifted
in memory and the views are refreshed with the playhead, selection and playback kept, so the
IMU plot, the pitch map and the labels on the video follow. *Save* writes ``session.toml``
atomically and reloads the session from disk; closing without saving restores the old offsets.

The automatic estimate (:func:`footcoach.sync.offsets.estimate_imu_gps_offset`) cross-correlates
the player's IMU and GPS accelerations: its ``offset_s`` is added to the IMU clock
(``imu.t + offset_s`` is GPS time), so accepting it adds it to the IMU offset shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from footcoach.app.review_data import player_caption
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.gui.state import AppState
from footcoach.gui.video_view import VideoView
from footcoach.io.manifest import write_manifest
from footcoach.sync.offsets import OffsetEstimate, estimate_imu_gps_offset

PREVIEW_DELAY_MS = 120
"""Offset changes are previewed after this pause (holding an arrow key stays smooth)."""
RANGE_S = 3600.0
GOOD_CONFIDENCE = 0.5
MIN_OVERLAP_S = 30.0
"""The estimate needs this much IMU and GPS data at the same time (its default)."""


@dataclass
class StreamOffset:
    """One stream's offset: ``key`` is ``"video"``, ``"imu:<player>"`` or ``"gps:<player>"``;
    ``saved`` is the manifest's value, ``value`` the one being previewed (seconds)."""

    key: str
    label: str
    saved: float
    value: float

    @property
    def player_id(self) -> str:
        return self.key.partition(":")[2]

    @property
    def kind(self) -> str:
        return self.key.partition(":")[0]


class SyncDialog(QDialog):
    """Non-modal: the coach keeps playing and seeking in the main window while it is open.

    ``reload`` is called after saving (the main window reads the session again from disk).

    Signals:
        previewed(): the views now show the offsets in the table.
        saved(str): the manifest was written (its path).
    """

    previewed = Signal()
    saved = Signal(str)

    def __init__(self, state: AppState, video: VideoView, reload: Callable[[], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        loaded = state.loaded
        if loaded is None:
            raise ValueError("the sync dialog needs an open session")
        self.setWindowTitle("Synchronise streams")
        self.state, self.video, self._reload = state, video, reload
        self.loaded = loaded
        self._imu: dict[str, TimeSeries] = dict(loaded.imu)  # on the session clock as saved
        self._gps: dict[str, TimeSeries] = dict(loaded.gps)
        self.estimate: OffsetEstimate | None = None
        self._estimate_for = ""
        self._estimate_base = 0.0
        self.offsets = self._collect()
        self._done = False

        self.table = QTableWidget(len(self.offsets), 3, self)
        self.table.setHorizontalHeaderLabels(("stream", "saved (s)", "now (s)"))
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, off in enumerate(self.offsets):
            self.table.setItem(row, 0, QTableWidgetItem(off.label))
            self.table.setItem(row, 1, QTableWidgetItem(f"{off.saved:+.3f}"))
            self._show_value(row)
        self.table.itemSelectionChanged.connect(self._row_chosen)

        self.spin = QDoubleSpinBox(self)
        self.spin.setRange(-RANGE_S, RANGE_S)
        self.spin.setDecimals(3)
        self.spin.setSingleStep(0.04)
        self.spin.setSuffix(" s")
        self.spin.setKeyboardTracking(False)
        self.spin.setToolTip("Offset of the chosen stream; arrow keys move it by one step")
        self.spin.valueChanged.connect(self._spin_changed)
        nudges = QHBoxLayout()
        nudges.addWidget(QLabel("offset", self))
        nudges.addWidget(self.spin)
        for step in (-1.0, -0.1, -0.04, 0.04, 0.1, 1.0):
            b = QPushButton(f"{step:+g} s", self)
            b.setAutoDefault(False)
            b.clicked.connect(lambda _c=False, s=step: self.nudge(s))
            nudges.addWidget(b)
        self.step_label = QLabel(self)
        self.estimate_label = QLabel(self)
        self.estimate_label.setWordWrap(True)
        self.estimate_button = QPushButton("Estimate IMU offset", self)
        self.estimate_button.setAutoDefault(False)
        self.estimate_button.clicked.connect(self.run_estimate)
        self.accept_button = QPushButton("Accept estimate", self)
        self.accept_button.setAutoDefault(False)
        self.accept_button.clicked.connect(self.accept_estimate)
        auto = QHBoxLayout()
        auto.addWidget(self.estimate_button)
        auto.addWidget(self.accept_button)
        auto.addWidget(self.estimate_label, 1)
        self.save_button = QPushButton("Save", self)
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Revert", self)
        self.revert_button.setAutoDefault(False)
        self.revert_button.clicked.connect(self.revert)
        close = QPushButton("Close", self)
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        for b in (self.revert_button, self.save_button, close):
            bottom.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Shift a stream until the video, the IMU plot and the pitch map "
                                "agree; positive values move the stream later.", self))
        layout.addWidget(self.table, 1)
        layout.addLayout(nudges)
        layout.addWidget(self.step_label)
        layout.addLayout(auto)
        layout.addLayout(bottom)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.preview)
        self.resize(620, 520)
        start = next((r for r, o in enumerate(self.offsets)
                      if o.player_id and o.player_id == state.selected_player), 0)
        if self.offsets:
            self.table.selectRow(start)
        self._row_chosen()
        state.session_changed.connect(self._session_replaced)

    # ------------------------------------------------------------------ model
    def _collect(self) -> list[StreamOffset]:
        session = self.loaded.session
        out: list[StreamOffset] = []
        if session.video is not None and self.video.server is not None:
            out.append(StreamOffset("video", "Video (start on the session clock)",
                                    session.video.start_s, session.video.start_s))
        for p in session.players:
            name = player_caption(p)
            if p.id in self._imu:
                out.append(StreamOffset(f"imu:{p.id}", f"{name} · IMU", p.imu_offset_s,
                                        p.imu_offset_s))
            if p.id in self._gps:
                out.append(StreamOffset(f"gps:{p.id}", f"{name} · GPS", p.gps_offset_s,
                                        p.gps_offset_s))
        return out

    @property
    def current(self) -> StreamOffset | None:
        row = self.table.currentRow()
        return self.offsets[row] if 0 <= row < len(self.offsets) else None

    def offset(self, key: str) -> StreamOffset:
        return next(o for o in self.offsets if o.key == key)

    def select_stream(self, key: str) -> None:
        self.table.selectRow(self.offsets.index(self.offset(key)))

    def set_offset(self, key: str, seconds: float, *, now: bool = False) -> None:
        """Set a stream's offset (previewed after :data:`PREVIEW_DELAY_MS`, or at once)."""
        off = self.offset(key)
        off.value = float(seconds)
        self._show_value(self.offsets.index(off))
        if off is self.current:
            self.spin.blockSignals(True)
            self.spin.setValue(off.value)
            self.spin.blockSignals(False)
        if now:
            self.preview()
        else:
            self._timer.start()

    def nudge(self, seconds: float) -> None:
        off = self.current
        if off is not None:
            self.set_offset(off.key, off.value + seconds)

    def _show_value(self, row: int) -> None:
        off = self.offsets[row]
        item = QTableWidgetItem(f"{off.value:+.3f}")
        changed = abs(off.value - off.saved) > 1e-9
        font = QFont()
        font.setBold(changed)
        item.setFont(font)
        if changed:
            item.setForeground(QBrush(QColor("#ffd92f")))
        self.table.setItem(row, 2, item)

    def _row_chosen(self) -> None:
        off = self.current
        self.spin.setEnabled(off is not None)
        if off is None:
            return
        self.spin.blockSignals(True)
        self.spin.setValue(off.value)
        self.spin.blockSignals(False)
        fps = self.video.server.fps if self.video.server is not None else 0.0
        if fps > 0:
            self.spin.setSingleStep(round(1.0 / fps, 4))
            self.step_label.setText(f"Arrow keys step one video frame ({1.0 / fps:.3f} s).")
        if off.player_id and off.player_id != self.state.selected_player:
            self.state.select_player(off.player_id)
        self._show_estimate()

    def _spin_changed(self, value: float) -> None:
        off = self.current
        if off is not None:
            self.set_offset(off.key, value)

    # ------------------------------------------------------------------ preview
    def preview(self) -> None:
        """Show the offsets in the table in every view now."""
        self._timer.stop()
        loaded = self.loaded
        for off in self.offsets:
            shift = off.value - off.saved
            source = self._imu if off.kind == "imu" else self._gps if off.kind == "gps" else None
            if source is None:
                continue
            ts = source[off.player_id]
            target = loaded.imu if off.kind == "imu" else loaded.gps
            target[off.player_id] = ts.shifted(shift) if shift else ts
        video = next((o for o in self.offsets if o.kind == "video"), None)
        frame_times = self.state.frame_times
        if video is not None:
            frame_times = self.video.frame_times_from(video.value)
        state = self.state
        t, player, event = state.time_s, state.selected_player, state.selected_event
        playing = state.playing
        state.set_session(loaded, state.events, state.time_attention, frame_times=frame_times)
        state.select_player(player)
        if event:
            state.select_event(event)
        state.set_time(t)
        state.set_playing(playing)
        self.previewed.emit()

    def revert(self) -> None:
        """Back to the saved offsets (previewed at once)."""
        for row, off in enumerate(self.offsets):
            off.value = off.saved
            self._show_value(row)
        self._row_chosen()
        self.preview()

    # ------------------------------------------------------------------ estimate
    def run_estimate(self) -> OffsetEstimate | None:
        """Estimate the IMU-GPS offset of the chosen stream's player (from the streams as
        previewed now)."""
        off = self.current
        if off is None or not off.player_id:
            return None
        pid = off.player_id
        imu, gps = self.loaded.imu.get(pid), self.loaded.gps.get(pid)
        if imu is None or gps is None or not gps.has("x", "y"):
            self.estimate_label.setText("This player needs both IMU and GPS positions.")
            return None
        self.setCursor(Qt.CursorShape.WaitCursor)
        try:
            self.estimate = estimate_imu_gps_offset(imu, gps)
        except FootcoachError as exc:
            self.estimate = None
            self.estimate_label.setText(str(exc))
            return None
        finally:
            self.unsetCursor()
        self._estimate_for = f"imu:{pid}"
        self._estimate_base = self.offset(f"imu:{pid}").value
        self._show_estimate()
        return self.estimate

    @property
    def suggested_imu_offset(self) -> float | None:
        """The IMU offset the estimate suggests for its player (seconds), or None."""
        if self.estimate is None or not self._estimate_for:
            return None
        return self._estimate_base + self.estimate.offset_s

    def accept_estimate(self) -> None:
        value = self.suggested_imu_offset
        if value is not None:
            self.select_stream(self._estimate_for)
            self.set_offset(self._estimate_for, value, now=True)
            self.run_estimate()  # shows what is left (about 0)

    def _show_estimate(self) -> None:
        off = self.current
        has_pair = off is not None and off.player_id != "" \
            and f"imu:{off.player_id}" in {o.key for o in self.offsets} \
            and f"gps:{off.player_id}" in {o.key for o in self.offsets}
        self.estimate_button.setEnabled(has_pair)
        shown = off is not None and self._estimate_for == f"imu:{off.player_id}"
        est = self.estimate if shown else None
        self.accept_button.setEnabled(est is not None and abs(est.offset_s) > 1e-4)
        if est is None:
            self.estimate_label.setText("" if has_pair else
                                        "(the estimate needs a player with IMU and GPS)")
            return
        if est.n_samples < MIN_OVERLAP_S * 10:  # the estimate works on 10 Hz features
            self.estimate_label.setText(
                f"No estimate: IMU and GPS overlap for {est.n_samples / 10:.0f} s, at least "
                f"{MIN_OVERLAP_S:g} s are needed. Align by eye.")
            self.accept_button.setEnabled(False)
            return
        good = est.confidence >= GOOD_CONFIDENCE
        colour = "#7fd17f" if good else "#ffb000" if est.confidence >= 0.2 else "#ff7070"
        verdict = "" if good else " - weak, check by eye"
        self.estimate_label.setText(
            f"IMU {est.offset_s:+.2f} s → offset {self.suggested_imu_offset:+.3f} s "
            f"<span style='color:{colour}'>(confidence {est.confidence:.2f}{verdict})</span>")

    # ------------------------------------------------------------------ save / close
    @property
    def changed(self) -> bool:
        return any(abs(o.value - o.saved) > 1e-9 for o in self.offsets)

    def save(self) -> bool:
        """Write the offsets to session.toml (atomically), then reload the session."""
        session = self.loaded.session
        for off in self.offsets:
            if off.kind == "video" and session.video is not None:
                session.video.start_s = off.value
            elif off.kind in ("imu", "gps"):
                setattr(session.player(off.player_id), f"{off.kind}_offset_s", off.value)
        try:
            path = write_manifest(session, session.root)
        except OSError as exc:
            QMessageBox.warning(self, "footcoach", f"{session.root}: cannot save: {exc}")
            return False
        self._done = True
        self.saved.emit(str(path))
        self.accept()
        self._reload()
        return True

    def _session_replaced(self) -> None:
        """Another session was opened (or this one closed): the dialog has nothing left to do."""
        if self.state.loaded is not self.loaded and not self._done:
            self._done = True
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._finish()
        super().closeEvent(event)

    def reject(self) -> None:
        self._finish()
        super().reject()

    def _finish(self) -> None:
        """Closing without saving puts the saved offsets back on screen."""
        if not self._done:
            self._done = True
            if self.changed:
                for off in self.offsets:
                    off.value = off.saved
                self.preview()
