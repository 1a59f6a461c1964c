"""The review app's File > Export menu: events/phases/metrics as CSV, JSON or Sportscode XML,
an annotated clip of the selected event or a playlist of the listed events, and the PDF report
(whole session or the selected player).

Every export runs as a :mod:`footcoach.gui.background` job with a progress bar and a Cancel
button in the status bar; the GUI stays responsive. Exports read the session folder as the
CLI does (:func:`footcoach.app.reviewed.load_reviewed`: the cached analysis with the coach's
corrections, which the app saves after every change), so the app and ``footcoach export`` give
the same files. An existing file is replaced only after the coach agreed; files are written
atomically (a cancel or a full disk leaves the old file as it was).

For tests, :attr:`ExportMenu.ask_path` and :attr:`ExportMenu.ask_overwrite` can be replaced
(the file dialog and the question box need a person).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from footcoach.gui.background import BackgroundTask, Progress
from footcoach.gui.session_tools import AnalysisBar

if TYPE_CHECKING:
    from footcoach.gui.main_window import MainWindow

MAX_PLAYLIST = 60
"""Most events one playlist clip may hold (a longer one is refused with a message)."""


@dataclass(frozen=True)
class DataExport:
    """One entry of the data submenu."""

    title: str
    fmt: str  # csv | json | sportscode
    what: str  # events | phases | metrics | all
    suffix: str
    file_filter: str


DATA_EXPORTS = (
    DataExport("&Events as CSV...", "csv", "events", ".csv", "CSV files (*.csv)"),
    DataExport("&Load metrics as CSV...", "csv", "metrics", ".csv", "CSV files (*.csv)"),
    DataExport("Everything as &JSON...", "json", "all", ".json", "JSON files (*.json)"),
    DataExport("&Sportscode XML...", "sportscode", "events", ".xml",
               "Sportscode XML (*.xml)"),
)


def data_job(folder: Path, export: DataExport, out: Path) -> Callable[..., Any]:
    """A background job writing ``export`` of ``folder`` to ``out`` (force: already asked)."""

    def job(progress: Progress, cancel: Callable[[], bool]) -> str:
        from footcoach.export import json_export, sportscode, tables

        progress(0, 1, f"writing {out.name}")
        writer = {"csv": tables.write_csv, "json": json_export.write_json,
                  "sportscode": sportscode.write_sportscode}[export.fmt]
        summary = writer(folder, out, what=export.what, force=True)
        progress(1, 1, "done")
        return f"exported to {', '.join(str(p) for p in summary.paths)}"

    return job


def clip_job(folder: Path, out: Path, event_ids: tuple[str, ...]) -> Callable[..., Any]:
    """A background job writing an annotated clip (one event) or playlist (several)."""

    def job(progress: Progress, cancel: Callable[[], bool]) -> str:
        from footcoach.export.clip import ClipRequest, export_clip

        result = export_clip(folder, out, ClipRequest(event_ids=event_ids), force=True,
                             progress=progress, cancel=cancel)
        return (f"clip written to {result.path} ({result.frames} frames, "
                f"{result.duration_s:.1f} s)")

    return job


def report_job(folder: Path, out: Path, player: str | None) -> Callable[..., Any]:
    """A background job writing the PDF report (of one player when ``player`` is given)."""

    def job(progress: Progress, cancel: Callable[[], bool]) -> str:
        from footcoach.gui.report import build_report

        build_report(folder, out, player=player, force=True, progress=progress, cancel=cancel)
        return f"report written to {out}"

    return job


class ExportMenu(QObject):
    """Builds the Export submenu of ``window`` and runs one export at a time."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.task = BackgroundTask(self, name="footcoach-export")
        self.bar = AnalysisBar(window)
        self.bar.bar.setFormat("export %p%")
        self.bar.cancel_button.setToolTip("Stop the export (no file is written)")
        self.bar.cancel_button.clicked.connect(self.cancel)
        self.task.progress.connect(self.bar.show_progress)
        self.task.finished.connect(self._finished)
        self.task.errored.connect(self._errored)
        self.task.cancelled.connect(
            lambda: window.statusBar().showMessage("export cancelled; nothing written", 5000))
        self.task.stopped.connect(self._stopped)
        self.ask_path: Callable[[str, str, str], str | None] = self._ask_path
        """(title, suggested file name, filter) -> chosen path or None."""
        self.ask_overwrite: Callable[[Path], bool] = self._ask_overwrite
        self.data_actions: list[QAction] = []
        self.clip_action = QAction("&Clip of the selected event...", window)
        self.clip_action.triggered.connect(lambda: self.export_clip())
        self.playlist_action = QAction("Clip &playlist of the listed events...", window)
        self.playlist_action.setToolTip("One video of the events the Events table lists (its "
                                        "filters apply), with a title card before each")
        self.playlist_action.triggered.connect(lambda: self.export_playlist())
        self.report_action = QAction("PDF &report...", window)
        self.report_action.triggered.connect(lambda: self.export_report())
        self.player_report_action = QAction("PDF report of the selected &player...", window)
        self.player_report_action.triggered.connect(lambda: self.export_report(player=True))
        for export in DATA_EXPORTS:
            action = QAction(export.title, window)
            action.triggered.connect(lambda _c=False, e=export: self.export_data(e))
            self.data_actions.append(action)
        state = window.state
        for signal in (state.session_changed, state.result_changed, state.event_selected,
                       state.player_selected):
            signal.connect(lambda *_a: self.update_enabled())
        self.update_enabled()

    def build_menu(self, parent: QMenu) -> QMenu:
        menu = parent.addMenu("&Export")
        menu.setToolTipsVisible(True)
        menu.addActions(self.data_actions)
        menu.addSeparator()
        menu.addActions([self.clip_action, self.playlist_action])
        menu.addSeparator()
        menu.addActions([self.report_action, self.player_report_action])
        return menu

    # ------------------------------------------------------------------ state
    def update_enabled(self) -> None:
        state = self.window.state
        idle = not self.task.is_running()
        has_session = state.loaded is not None and idle
        has_events = has_session and bool(state.events)
        has_video = has_events and state.loaded is not None and state.loaded.session.video \
            is not None
        for action in self.data_actions:
            action.setEnabled(has_events or (has_session and action.text().startswith("&Load")))
        self.clip_action.setEnabled(bool(has_video and state.selected_event))
        self.playlist_action.setEnabled(bool(has_video))
        self.report_action.setEnabled(has_events)
        self.player_report_action.setEnabled(bool(has_events and state.selected_player))

    def _folder(self) -> Path | None:
        loaded = self.window.state.loaded
        return loaded.session.root if loaded is not None else None

    # ------------------------------------------------------------------ actions
    def export_data(self, export: DataExport, path: str | Path | None = None) -> bool:
        folder = self._folder()
        if folder is None:
            return False
        out = self._target(export.title, f"{folder.name}-{export.what}{export.suffix}",
                           export.file_filter, path)
        return out is not None and self._start(data_job(folder, export, out), out)

    def export_clip(self, path: str | Path | None = None) -> bool:
        folder, event_id = self._folder(), self.window.state.selected_event
        if folder is None or not event_id:
            return False
        out = self._target("Export clip", f"{folder.name}-{event_id}.mp4",
                           "MP4 video (*.mp4)", path)
        return out is not None and self._start(clip_job(folder, out, (event_id,)), out)

    def export_playlist(self, path: str | Path | None = None) -> bool:
        folder = self._folder()
        if folder is None:
            return False
        ids = tuple(e.id for e in self.window.event_table.visible_events())
        if not ids:
            self.window.show_error("the Events table lists no events: change its filters")
            return False
        if len(ids) > MAX_PLAYLIST:
            self.window.show_error(f"the Events table lists {len(ids)} events; a playlist "
                                   f"holds at most {MAX_PLAYLIST}: filter by player, action "
                                   "or quality first")
            return False
        out = self._target("Export playlist", f"{folder.name}-playlist.mp4",
                           "MP4 video (*.mp4)", path)
        return out is not None and self._start(clip_job(folder, out, ids), out)

    def export_report(self, path: str | Path | None = None, *, player: bool = False) -> bool:
        folder = self._folder()
        pid = self.window.state.selected_player if player else None
        if folder is None or (player and not pid):
            return False
        name = f"{folder.name}-{pid}-report.pdf" if pid else f"{folder.name}-report.pdf"
        out = self._target("Export PDF report", name, "PDF files (*.pdf)", path)
        return out is not None and self._start(report_job(folder, out, pid), out)

    def cancel(self) -> None:
        if self.task.is_running():
            self.task.cancel()
            self.bar.cancel_button.setEnabled(False)
            self.window.statusBar().showMessage("cancelling the export ...")

    # ------------------------------------------------------------------ internals
    def _target(self, title: str, suggested: str, file_filter: str,
                path: str | Path | None) -> Path | None:
        """The file to write: ``path`` or the coach's choice; None when they cancelled or
        declined to replace an existing file."""
        if path is None:
            start = self.window.settings.value("export/folder", str(Path.home()), type=str)
            chosen = self.ask_path(title, str(Path(start) / suggested), file_filter)
            if not chosen:
                return None
            path = chosen
        out = Path(path)
        if out.exists() and not self.ask_overwrite(out):
            return None
        self.window.settings.setValue("export/folder", str(out.parent))
        return out

    def _start(self, job: Callable[..., Any], out: Path) -> bool:
        if self.task.is_running():
            return False
        self.task.start_job(job, str(out))
        self.bar.start()
        self.update_enabled()
        self.window.statusBar().showMessage(f"exporting {out.name} ...")
        return True

    def _ask_path(self, title: str, suggested: str, file_filter: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, title, suggested, file_filter,
            options=QFileDialog.Option.DontConfirmOverwrite)  # asked by _ask_overwrite
        return path or None

    def _ask_overwrite(self, path: Path) -> bool:
        parent: QWidget = self.window
        answer = QMessageBox.question(parent, "Replace file?",
                                      f"{path.name} already exists in {path.parent}.\n"
                                      "Replace it?")
        return answer == QMessageBox.StandardButton.Yes

    def _finished(self, message: object) -> None:
        self.window.statusBar().showMessage(str(message), 10000)

    def _errored(self, message: str) -> None:
        self.window.statusBar().clearMessage()
        self.window.show_error(message)

    def _stopped(self) -> None:
        self.bar.hide()
        self.update_enabled()
