"""The review app's main window: video + transport in the middle, pitch map and sensor / event /
attention panels on the right, the timeline underneath; menus, recent sessions and the window
layout remembered in QSettings (organisation "footcoach").

The lead's entry point is :func:`run_gui`; code that already holds a session uses
``MainWindow().set_session(loaded, events, time_attention)``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from footcoach.app.analysis_cache import load_cached_result, sensor_warnings
from footcoach.app.proxy import proxy_folder
from footcoach.app.review_data import player_caption
from footcoach.domain.events import Event
from footcoach.domain.labels import Action
from footcoach.errors import FootcoachError
from footcoach.gui.attention_panel import AttentionPanel
from footcoach.gui.corrections import Corrections, CorrectionsController, load_corrections
from footcoach.gui.event_dialog import EventDialog
from footcoach.gui.event_table import EventTable
from footcoach.gui.export_menu import ExportMenu
from footcoach.gui.imu_plot import ImuPlot
from footcoach.gui.metrics_panel import MetricsPanel
from footcoach.gui.pitch_map import PitchMap
from footcoach.gui.proxy import ProxyProgress
from footcoach.gui.sensor_check import SensorCheck
from footcoach.gui.session_tools import SessionTools
from footcoach.gui.state import AppState
from footcoach.gui.style import apply_dark_theme
from footcoach.gui.timeline import Timeline
from footcoach.gui.transport import Transport
from footcoach.gui.video_view import VideoView

if TYPE_CHECKING:
    from footcoach.app.load import LoadedSession

ORGANISATION = "footcoach"
APPLICATION = "footcoach"
MAX_RECENT = 8
DEFAULT_SIZE = (1366, 768)
LAYOUT_VERSION = 1


class MainWindow(QMainWindow):
    """The review app. ``settings`` defaults to ``QSettings("footcoach", "footcoach")``."""

    def __init__(self, state: AppState | None = None, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else AppState(self)
        self.settings = settings if settings is not None else QSettings(ORGANISATION,
                                                                        APPLICATION)
        self.last_error = ""
        self.session_path: Path | None = None
        self.setWindowTitle("footcoach")
        self.setDockNestingEnabled(True)

        self.video = VideoView(self.state)
        self.transport = Transport(self.state)
        central = QWidget(self)
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.video, 1)
        box.addWidget(self.transport)
        self.setCentralWidget(central)

        self.timeline = Timeline(self.state)
        self.pitch_map = PitchMap(self.state)
        self.imu_plot = ImuPlot(self.state)
        self.event_table = EventTable(self.state)
        self.attention = AttentionPanel(self.state)
        self.metrics = MetricsPanel(self.state)
        self.sensor_check = SensorCheck(self)
        self.sensor_check.found.connect(self._sensors_checked)
        self.tools = SessionTools(self)
        self.exports = ExportMenu(self)
        self.corrections = CorrectionsController(self.state, self)
        self.corrections.failed.connect(self.show_error)
        self.corrections.saved.connect(
            lambda path: self.statusBar().showMessage(f"corrections saved to {path}", 4000))
        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()
        self._build_menus()
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.linkActivated.connect(lambda _link: self.show_warnings())
        self.statusBar().addWidget(self.status, 1)
        self.video.error.connect(self.statusBar().showMessage)
        self.proxy_bar = ProxyProgress(self)
        self.statusBar().addPermanentWidget(self.proxy_bar)
        self.statusBar().addPermanentWidget(self.tools.analysis_bar)
        self.statusBar().addPermanentWidget(self.exports.bar)
        self.video.proxy_progress.connect(self.proxy_bar.show_progress)
        self.video.proxy_ready.connect(self.proxy_bar.finish)
        self.video.proxy_failed.connect(self.proxy_bar.finish)
        self.video.proxy_failed.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        self.state.player_selected.connect(self._on_player)
        self._restore_layout()
        self._show_summary()

    # ------------------------------------------------------------------ layout
    def _dock(self, key: str, title: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _build_docks(self) -> None:
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.setCorner(Qt.Corner.TopRightCorner, right)
        pitch = self._dock("pitch", "Pitch", self.pitch_map, right)
        sensors = self._dock("sensors", "Sensors", self.imu_plot, right)
        events = self._dock("events", "Events", self.event_table, right)
        attention = self._dock("attention", "Attention", self.attention, right)
        metrics = self._dock("metrics", "Metrics", self.metrics, right)
        self.splitDockWidget(pitch, sensors, Qt.Orientation.Vertical)
        self.tabifyDockWidget(sensors, events)
        self.tabifyDockWidget(events, attention)
        self.tabifyDockWidget(attention, metrics)
        sensors.raise_()
        timeline = self._dock("timeline", "Timeline", self.timeline,
                              Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([pitch], [470], Qt.Orientation.Horizontal)
        self.resizeDocks([pitch, sensors], [300, 390], Qt.Orientation.Vertical)
        self.resizeDocks([timeline], [265], Qt.Orientation.Vertical)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.tools.new_action)
        self.open_action = QAction("&Open session...", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_session)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        close_action = file_menu.addAction("&Close session")
        close_action.triggered.connect(self.close_session)
        file_menu.addSeparator()
        self.exports.build_menu(file_menu)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)

        edit_menu = self.menuBar().addMenu("&Edit")
        undo = self.corrections.stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.corrections.stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addActions([undo, redo])
        edit_menu.addSeparator()
        self.edit_action = edit_menu.addAction("&Edit selected event...")
        self.edit_action.setShortcut(QKeySequence("E"))
        self.edit_action.triggered.connect(self.edit_selected_event)
        self.add_action = edit_menu.addAction("&Add event at the playhead...")
        self.add_action.setShortcut(QKeySequence("A"))
        self.add_action.triggered.connect(self.add_event_at_playhead)
        self.delete_action = edit_menu.addAction("&Delete selected event")
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.triggered.connect(self.delete_selected_event)

        view_menu = self.menuBar().addMenu("&View")
        self.overlay_action = QAction("Player &labels on video", self)
        self.overlay_action.setCheckable(True)
        self.overlay_action.setChecked(True)
        self.overlay_action.setShortcut(QKeySequence("O"))
        self.overlay_action.setIconText("Labels")
        self.overlay_action.setToolTip("Show each player's action, tactic and quality on the "
                                       "video (O)")
        self.overlay_action.toggled.connect(self.video.set_overlays_visible)
        view_menu.addAction(self.overlay_action)
        self.heatmap_action = QAction("&Heatmap of the selected player", self)
        self.heatmap_action.setCheckable(True)
        self.heatmap_action.setShortcut(QKeySequence("H"))
        self.heatmap_action.setIconText("Heatmap")
        self.heatmap_action.setToolTip("Heatmap of the selected player on the pitch map (H)")
        self.heatmap_action.toggled.connect(self.pitch_map.set_heatmap_visible)
        self.pitch_map.heatmap_box.toggled.connect(self.heatmap_action.setChecked)
        view_menu.addAction(self.heatmap_action)
        self.fullscreen_action = QAction("&Full screen", self)
        self.fullscreen_action.setCheckable(True)
        self.fullscreen_action.setShortcut(QKeySequence.StandardKey.FullScreen)
        self.fullscreen_action.toggled.connect(
            lambda on: self.showFullScreen() if on else self.showNormal())
        view_menu.addAction(self.fullscreen_action)
        view_menu.addSeparator()
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())

        view_menu.addAction(self.tools.proxy_action)

        play_menu = self.menuBar().addMenu("&Playback")
        play_menu.addActions(self.transport.actions())
        session_menu = self.menuBar().addMenu("&Session")
        session_menu.addActions([self.tools.sync_action, self.tools.calibrate_action])
        self.warnings_action = session_menu.addAction("Data &warnings...")
        self.warnings_action.triggered.connect(self.show_warnings)
        analysis_menu = self.menuBar().addMenu("&Analysis")
        analysis_menu.setToolTipsVisible(True)
        analysis_menu.addAction(self.tools.analysis_action)
        help_menu = self.menuBar().addMenu("&Help")
        keys = help_menu.addAction("&Keyboard shortcuts")
        keys.triggered.connect(self._show_keys)

        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("toolbar-main")
        toolbar.setMovable(False)
        toolbar.addAction(self.open_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Player ", self))
        self.player_box = QComboBox(self)
        self.player_box.setMinimumWidth(150)
        self.player_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.player_box.currentIndexChanged.connect(self._player_chosen)
        toolbar.addWidget(self.player_box)
        toolbar.addSeparator()
        toolbar.addAction(self.overlay_action)
        toolbar.addAction(self.heatmap_action)
        toolbar.addAction(self.fullscreen_action)
        self.addToolBar(toolbar)

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            screen = QGuiApplication.primaryScreen()
            w, h = DEFAULT_SIZE
            if screen is not None:
                avail = screen.availableGeometry()
                w, h = min(w, avail.width()), min(h, avail.height())
            self.resize(w, h)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, LAYOUT_VERSION)

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.state.set_playing(False)
        self.tools.analysis.shutdown()
        self.sensor_check.shutdown()
        self.exports.task.shutdown()
        self.save_layout()
        self.video.close_video()
        super().closeEvent(event)

    # ------------------------------------------------------------------ sessions
    def choose_session(self) -> None:
        start = str(self.session_path.parent) if self.session_path else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open a session folder", start)
        if folder:
            self.open_session(folder)

    def open_session(self, folder: str | Path) -> bool:
        """Load a session folder and show it; on a problem show the message and return False."""
        from footcoach.app.load import load_session

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            loaded = load_session(folder)
        except FootcoachError as exc:
            self.show_error(str(exc))
            return False
        finally:
            QApplication.restoreOverrideCursor()
        cached = load_cached_result(folder)  # cheap: a JSON + npz when the inputs match
        if cached is not None:
            self.add_warnings(sensor_warnings(cached.run), loaded)
            self.set_session(loaded, cached.events, cached.time_attention)
            self.statusBar().showMessage(
                f"showing the cached analysis ({len(cached.events)} events)", 5000)
        else:
            self.set_session(loaded)
            self.check_sensors()
        return True

    def check_sensors(self) -> None:
        """Look for the open session's sensor faults in the background (:mod:`.sensor_check`);
        the warnings join the status bar's when found."""
        if self.session_path is not None:
            self.sensor_check.check(self.session_path)
            self.statusBar().showMessage("checking the sensors ...", 4000)

    def _sensors_checked(self, folder: Path, warnings: list[str]) -> None:
        if self.session_path is None or self.session_path.resolve() != folder:
            return  # another session is open now
        self.add_warnings(warnings)
        self._show_summary()
        self.statusBar().showMessage(
            f"sensor check: {len(warnings)} warnings about the sensors (Session > Data "
            "warnings)" if warnings else "sensor check: no sensor to check", 6000)

    def set_session(self, loaded: LoadedSession | None, events: Sequence[Event] = (),
                    time_attention: Mapping[str, np.ndarray] | None = None) -> None:
        """Show a loaded session (and its events). Opens its video; a video that cannot be read
        is reported and the rest of the session is still shown."""
        self.video.close_video()
        frame_times = None
        if loaded is not None and loaded.session.video is not None:
            ref = loaded.session.video
            try:
                frame_times = self.video.open_video(loaded.session.path(ref.file), ref.start_s,
                                                    proxy_folder(loaded.session.root))
            except FootcoachError as exc:
                self.show_error(str(exc))
        shown = self._corrected(loaded, events)
        self.state.set_session(loaded, shown, time_attention, frame_times=frame_times)
        self.session_path = loaded.session.root if loaded is not None else None
        self.setWindowTitle(f"footcoach - {loaded.session.name}" if loaded else "footcoach")
        self._fill_players()
        if self.session_path is not None:
            self._remember(self.session_path)
        self._show_summary()

    def reload_session(self) -> bool:
        """Read the open session again from disk (after its manifest changed), keeping the
        analysis events, the playhead and the selection; False (and a message) on a problem."""
        from footcoach.app.load import load_session

        if self.session_path is None:
            return False
        state = self.state
        t, player, event = state.time_s, state.selected_player, state.selected_event
        events, attention = list(self.corrections.base), dict(state.time_attention)
        try:
            loaded = load_session(self.session_path)
        except FootcoachError as exc:
            self.show_error(str(exc))
            return False
        self.set_session(loaded, events, attention)
        self.check_sensors()
        state.select_player(player)
        if event:
            state.select_event(event)
        state.set_time(t)
        return True

    def add_warnings(self, warnings: Sequence[str], loaded: LoadedSession | None = None) -> None:
        """Add the analysis' warnings about the data (a vest far from upright, a vest's sensor
        faults) to the session's, for the status bar; one already there is not repeated."""
        loaded = loaded or self.state.loaded
        if loaded is None:
            return
        have = loaded.diagnostics.warnings
        have += [w for w in warnings if not any(h.endswith(w) for h in have)]

    def set_result(self, events: Sequence[Event],
                   time_attention: Mapping[str, np.ndarray] | None = None,
                   warnings: Sequence[str] = ()) -> None:
        """Show new analysis events for the open session (the coach's corrections are applied
        to them again) and its ``warnings`` about the data (:meth:`add_warnings`)."""
        self.add_warnings(warnings)
        c = self.corrections
        shown = c.reset(events, c.folder, c.corrections)
        self._warn_stale(events)
        self.state.set_result(shown, time_attention)
        self._show_summary()

    def _corrected(self, loaded: LoadedSession | None, events: Sequence[Event]) -> list[Event]:
        """Load the session's annotations.json and apply it to ``events``. A file that cannot
        be read is reported and left alone (no corrections are saved over it)."""
        if loaded is None:
            return self.corrections.reset([], None)
        folder: Path | None = loaded.session.root
        try:
            saved = load_corrections(loaded.session.root)
        except FootcoachError as exc:
            self.show_error(f"{exc}\nCorrections will not be saved until the file is fixed.")
            saved, folder = Corrections(), None
        shown = self.corrections.reset(events, folder, saved)
        self._warn_stale(events)
        return shown

    def _warn_stale(self, events: Sequence[Event]) -> None:
        stale = self.corrections.corrections.stale(events) if events else []
        if stale:
            self.statusBar().showMessage(
                f"{len(stale)} saved corrections refer to events this analysis does not have",
                8000)

    # ------------------------------------------------------------------ corrections
    def edit_selected_event(self) -> EventDialog | None:
        """Open the edit form for the selected event (non-blocking; returns the dialog)."""
        event = self.state.event_by_id(self.state.selected_event)
        if event is None or self.state.loaded is None:
            self.statusBar().showMessage("Select an event first", 3000)
            return None
        dialog = EventDialog("Edit event", self.state.loaded.session.players, event, self)
        dialog.accepted.connect(
            lambda: self.corrections.edit_event(event.id, **dialog.changes()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def add_event_at_playhead(self) -> EventDialog | None:
        """Open the form for a new event of the selected player starting at the playhead."""
        loaded = self.state.loaded
        if loaded is None or not loaded.session.players:
            return None
        pid = self.state.selected_player or loaded.session.players[0].id
        t = self.state.time_s
        draft = Event("", pid, t, t + 1.0, Action.RUNNING, source="coach")
        dialog = EventDialog("Add event", loaded.session.players, draft, self)

        def add() -> None:
            event = self.corrections.add_event(Event("", **dialog.changes(), source="coach"))
            self.state.select_event(event.id)

        dialog.accepted.connect(add)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def delete_selected_event(self) -> None:
        if self.state.selected_event:
            self.corrections.delete_event(self.state.selected_event)

    def close_session(self) -> None:
        self.set_session(None)

    def show_error(self, message: str) -> None:
        """Tell the user (a non-blocking message box) and keep the text in :attr:`last_error`."""
        self.last_error = message
        box = QMessageBox(QMessageBox.Icon.Warning, "footcoach", message,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # ------------------------------------------------------------------ recent sessions
    def recent_sessions(self) -> list[str]:
        value = self.settings.value("recent/sessions", [])
        if isinstance(value, str):  # one entry comes back as a plain string from INI files
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _remember(self, folder: Path) -> None:
        path = str(Path(folder).resolve())
        recent = [p for p in self.recent_sessions() if p != path]
        self.settings.setValue("recent/sessions", [path, *recent][:MAX_RECENT])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_sessions()
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_session(p))

    # ------------------------------------------------------------------ player selector
    def _fill_players(self) -> None:
        self.player_box.blockSignals(True)
        self.player_box.clear()
        self.player_box.addItem("(none)", "")
        loaded = self.state.loaded
        if loaded is not None:
            for p in loaded.session.players:
                self.player_box.addItem(player_caption(p), p.id)
        self.player_box.blockSignals(False)

    def _player_chosen(self, index: int) -> None:
        self.state.select_player(str(self.player_box.itemData(index) or ""))

    def _on_player(self, player_id: str) -> None:
        self.player_box.blockSignals(True)
        self.player_box.setCurrentIndex(max(self.player_box.findData(player_id), 0))
        self.player_box.blockSignals(False)

    # ------------------------------------------------------------------ status
    def _show_summary(self) -> None:
        loaded = self.state.loaded
        if loaded is None:
            self.status.setText("Open a session folder (File &gt; Open session).")
            return
        parts = [f"{len(loaded.session.players)} players"]
        if loaded.video is not None:
            v = loaded.video
            parts.append(f"video {v.width}x{v.height} {v.fps:.3g} fps")
        parts.append(f"IMU {len(loaded.imu)}, GPS {len(loaded.gps)}")
        parts.append(f"{len(self.state.events)} events")
        if loaded.session.calibration is None and loaded.video is not None:
            parts.append("no camera calibration (labels in the side list)")
        if loaded.diagnostics.warnings:  # a link: Session > Data warnings
            parts.append(f"<a href='#warnings' style='color: inherit'>"
                         f"{len(loaded.diagnostics.warnings)} warnings</a>")
            self.status.setToolTip("\n".join(loaded.diagnostics.warnings))
        if loaded.session.synthetic:
            parts.append("SYNTHETIC data")
        self.status.setText("  ·  ".join(parts))

    def show_warnings(self) -> QDialog:
        """Session > Data warnings: the open session's warnings, the sensors' first."""
        from footcoach.gui.warnings_dialog import WarningsDialog

        loaded = self.state.loaded
        dialog = WarningsDialog(loaded.diagnostics.warnings if loaded is not None else [], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _show_keys(self) -> None:
        rows = "".join(f"<tr><td><b>{a.shortcut().toString()}</b></td><td>{a.text()}</td></tr>"
                       for a in [*self.transport.actions(), self.overlay_action,
                                 self.heatmap_action, self.fullscreen_action])
        box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts",
                          f"<table>{rows}</table>", QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


def run_gui(session_path: str | Path | None = None, quit_after_s: float | None = None) -> int:
    """Start the review app (opening ``session_path`` when given); returns the exit code.

    ``quit_after_s`` (smoke tests of the packaged app): close the window and quit after that many
    seconds; the exit code is then 1 when an error message was shown (printed to stderr)."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    apply_dark_theme(app)
    window = MainWindow()
    window.show()
    if quit_after_s is not None:
        QTimer.singleShot(max(0, round(quit_after_s * 1000)),
                          lambda: (window.close(), app.quit()))
    if session_path is not None:
        window.open_session(session_path)
    code = int(app.exec())
    if quit_after_s is not None and window.last_error:
        print(f"footcoach gui: {window.last_error}", file=sys.stderr)
        return code or 1
    return code
