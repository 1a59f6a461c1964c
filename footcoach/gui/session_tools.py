"""The main window's actions that create or change a session: "New session" over raw files,
"Synchronise streams" and "Camera calibration"; the scrubbing-proxy setting; and the place of
the analysis (its worker comes with the model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from footcoach.errors import FootcoachError
from footcoach.gui.calibration_dialog import CalibrationDialog
from footcoach.gui.frame_server import rgb_to_qimage
from footcoach.gui.new_session_dialog import NewSessionDialog
from footcoach.gui.sync_dialog import SyncDialog
from footcoach.io.manifest import write_manifest
from footcoach.io.video import VideoReader

if TYPE_CHECKING:
    from footcoach.gui.main_window import MainWindow

ANALYSIS_PENDING = "The analysis (model) is not part of this build yet."


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
        self.analysis_action.setEnabled(False)
        self.analysis_action.setToolTip(ANALYSIS_PENDING)
        self.analysis_action.setStatusTip(ANALYSIS_PENDING)
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

