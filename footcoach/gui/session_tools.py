"""The main window's actions that create or change a session: "New session" over raw files,
"Synchronise streams" and "Camera calibration"; the scrubbing-proxy setting; and "Run analysis"
(:class:`footcoach.gui.analysis_worker.AnalysisTask`, with a progress bar and a Cancel button
for the status bar).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QHBoxLayout, QProgressBar, QPushButton, QWidget

from footcoach.errors import FootcoachError
from footcoach.gui.analysis_worker import AnalysisTask
from footcoach.gui.calibration_dialog import CalibrationDialog
from footcoach.gui.frame_server import rgb_to_qimage
from footcoach.gui.new_session_dialog import NewSessionDialog
from footcoach.gui.sync_dialog import SyncDialog
from footcoach.io.manifest import write_manifest
from footcoach.io.video import VideoReader

if TYPE_CHECKING:
    from footcoach.gui.main_window import MainWindow

ANALYSIS_TIP = "Analyse the open session with the model (actions, tactics, quality)"


class AnalysisBar(QWidget):
    """Status-bar widget shown while an analysis runs: a progress bar and a Cancel button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(200)
        self.bar.setFormat("analysis %p%")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the analysis (nothing is saved)")
        box.addWidget(self.bar)
        box.addWidget(self.cancel_button)
        self.hide()

    def start(self) -> None:
        self.bar.setRange(0, 0)  # busy until the first report
        self.bar.setToolTip("starting the analysis")
        self.cancel_button.setEnabled(True)
        self.show()

    def show_progress(self, done: int, total: int, message: str) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(min(done, max(total, 1)))
        self.bar.setToolTip(message)


class SessionTools(QObject):
    """Owns the actions and opens the dialogs (non-modal; each method returns its dialog)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.new_action = QAction("&New session from files...", window)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.setToolTip("Build a session folder from a video and sensor files")
        self.new_action.triggered.connect(self.new_session)
        self.sync_action = QAction("&Synchronise streams...", window)
        self.sync_action.setToolTip("Shift the video, IMU or GPS clock of the open session")
        self.sync_action.triggered.connect(self.sync_streams)
        self.calibrate_action = QAction("Camera &calibration...", window)
        self.calibrate_action.setToolTip("Click pitch landmarks on a frame to place the labels "
                                         "on the players")
        self.calibrate_action.triggered.connect(self.calibrate_camera)
        self.analysis_action = QAction("&Run analysis", window)
        self.analysis_action.setShortcut(QKeySequence("Ctrl+R"))
        self.analysis_action.setToolTip(ANALYSIS_TIP)
        self.analysis_action.setStatusTip(ANALYSIS_TIP)
        self.analysis_action.triggered.connect(self.run_analysis)
        self.analysis_options: dict[str, Any] = {}
        """Extra ``analyze_session`` options (``model_dir``, ``engine``, ``device``, ...)."""
        self.analysis = AnalysisTask(self)
        self.analysis_bar = AnalysisBar(window)
        self.analysis_bar.cancel_button.clicked.connect(self.cancel_analysis)
        self.analysis.progress.connect(self._analysis_progress)
        self.analysis.finished.connect(self._analysis_finished)
        self.analysis.errored.connect(self._analysis_errored)
        self.analysis.cancelled.connect(self._analysis_cancelled)
        self.analysis.stopped.connect(self._analysis_stopped)
        self._analysed: Path | None = None
        self.proxy_action = QAction("Scrubbing &proxy for slow videos", window)
        self.proxy_action.setCheckable(True)
        self.proxy_action.setChecked(bool(window.settings.value("video/proxy", True, type=bool)))
        self.proxy_action.setToolTip("Build a small all-keyframe copy of videos that are slow "
                                     "to seek in (kept in the session's analysis/proxy folder)")
        self.proxy_action.toggled.connect(self._proxy_toggled)
        window.video.proxy_policy = "auto" if self.proxy_action.isChecked() else "off"
        self.sync_dialog: SyncDialog | None = None
        window.state.session_changed.connect(self._update_enabled)
        self._update_enabled()

    def _update_enabled(self) -> None:
        loaded = self.window.state.loaded
        self.sync_action.setEnabled(loaded is not None)
        self.analysis_action.setEnabled(loaded is not None and not self.analysis.is_running())
        self.calibrate_action.setEnabled(loaded is not None and loaded.session.video is not None
                                         and self.window.video.server is not None)

    def _proxy_toggled(self, on: bool) -> None:
        """Remembered in the settings; turning it off stops using the proxy of the video
        shown, turning it on takes effect when a session is opened."""
        self.window.settings.setValue("video/proxy", on)
        video = self.window.video
        video.proxy_policy = "auto" if on else "off"
        if not on and video.server is not None:
            video.server.set_proxy(None)

    # ------------------------------------------------------------------ analysis
    def run_analysis(self) -> bool:
        """Start analysing the open session in the worker thread (False when no session is
        open or an analysis is already running)."""
        loaded = self.window.state.loaded
        if loaded is None or self.analysis.is_running():
            return False
        self._analysed = loaded.session.root.resolve()
        self.window.sensor_check.cancel()  # the analysis aligns and warns the same way
        self.analysis.start(loaded.session.root, **self.analysis_options)
        self.analysis_action.setEnabled(False)
        self.analysis_bar.start()
        self.window.statusBar().showMessage("analysing the session ...")
        return True

    def cancel_analysis(self) -> None:
        if self.analysis.is_running():
            self.analysis.cancel()
            self.analysis_bar.cancel_button.setEnabled(False)
            self.window.statusBar().showMessage("cancelling the analysis ...")

    def _analysis_progress(self, done: int, total: int, message: str) -> None:
        self.analysis_bar.show_progress(done, total, message)
        self.window.statusBar().showMessage(f"analysis: {message}")

    def _analysis_finished(self, result: object) -> None:
        from footcoach.app.analysis_cache import AnalysisResult, sensor_warnings

        window = self.window
        assert isinstance(result, AnalysisResult)
        current = window.session_path.resolve() if window.session_path is not None else None
        if current is None or current != self._analysed:
            window.statusBar().showMessage("the analysis finished for a session that is no "
                                           "longer open; it is cached there", 8000)
            return
        window.set_result(result.events, result.time_attention,
                          sensor_warnings(result.run))
        how = "from the cache" if result.from_cache else "done"
        window.statusBar().showMessage(f"analysis {how}: {len(result.events)} events", 8000)

    def _analysis_errored(self, message: str) -> None:
        self.window.statusBar().clearMessage()
        self.window.show_error(message)

    def _analysis_cancelled(self) -> None:
        self.window.statusBar().showMessage("analysis cancelled", 5000)

    def _analysis_stopped(self) -> None:
        self.analysis_bar.hide()
        self._update_enabled()

    # ------------------------------------------------------------------ new session
    def new_session(self) -> NewSessionDialog:
        start = self.window.session_path.parent if self.window.session_path else None
        dialog = NewSessionDialog(self.window, start)
        dialog.created.connect(self.window.open_session)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ sync
    def sync_streams(self) -> SyncDialog | None:
        if self.window.state.loaded is None:
            return None
        if self.sync_dialog is not None and self.sync_dialog.isVisible():
            self.sync_dialog.raise_()
            return self.sync_dialog
        dialog = SyncDialog(self.window.state, self.window.video, self.window.reload_session,
                            self.window)
        dialog.saved.connect(
            lambda path: self.window.statusBar().showMessage(f"offsets saved to {path}", 5000))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda _o=None: setattr(self, "sync_dialog", None))
        self.sync_dialog = dialog
        dialog.show()
        return dialog

    # ------------------------------------------------------------------ calibration
    def calibrate_camera(self) -> CalibrationDialog | None:
        """Open the calibration dialog on the video frame at the playhead (the first frame
        when the playhead is outside the video)."""
        window = self.window
        loaded = window.state.loaded
        if loaded is None or loaded.session.video is None:
            return None
        path = loaded.session.path(loaded.session.video.file)
        index = max(window.state.frame_index(), 0)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            with VideoReader(path) as reader:
                frame = rgb_to_qimage(reader.frame(index))
                size = (reader.width, reader.height)
        except FootcoachError as exc:
            window.show_error(str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        dialog = CalibrationDialog(frame, size, loaded.session.pitch,
                                   loaded.session.calibration, window)
        dialog.accepted.connect(lambda: self._save_calibration(dialog))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _save_calibration(self, dialog: CalibrationDialog) -> None:
        loaded = self.window.state.loaded
        if loaded is None or dialog.calibration is None:
            return
        session = loaded.session
        session.calibration = dialog.calibration
        try:
            path = write_manifest(session, session.root)
        except OSError as exc:
            self.window.show_error(f"{session.root}: cannot save the calibration: {exc}")
            return
        self.window.reload_session()
        self.window.statusBar().showMessage(f"camera calibration saved to {path}", 5000)

