"""The "New session" dialog: build a session folder from raw files (the ``footcoach new`` logic,
:func:`footcoach.app.new_session.build_session`).

The coach picks a folder and name, the video, IMU and GPS files (one per player; the player id
defaults to the file name and can be edited), provider tracking files and the pitch corners.
Every file is read and checked in a background thread; a problem is shown as a message naming
the file and what is wrong, and the dialog stays open to fix it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from footcoach.app.new_session import NewSessionRequest, build_session, player_files
from footcoach.errors import FootcoachError

VIDEO_FILTER = "Videos (*.mp4 *.mov *.mkv *.avi *.m4v *.mts);;All files (*)"
TABLE_FILTER = "Sensor files (*.csv *.csv.gz *.txt *.tsv *.xlsx);;All files (*)"
TRACKING_FORMATS = ("auto", "metrica", "epts", "tracab", "sportec")


class PathField(QWidget):
    """A line edit with a "Browse..." button (a file, or a folder with ``folder=True``)."""

    def __init__(self, caption: str, file_filter: str = "", folder: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption, self.file_filter, self.folder = caption, file_filter, folder
        self.edit = QLineEdit(self)
        browse = QPushButton("Browse...", self)
        browse.setAutoDefault(False)
        browse.clicked.connect(self.browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)

    def browse(self) -> None:
        start = self.edit.text() or str(Path.home())
        if self.folder:
            chosen = QFileDialog.getExistingDirectory(self, self.caption, start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, self.caption, start, self.file_filter)
        if chosen:
            self.edit.setText(chosen)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None


class PlayerFiles(QWidget):
    """Files of one kind (IMU or GPS), one per player: an editable player id and the file
    (``with_ids=False``: just the files)."""

    def __init__(self, kind: str, parent: QWidget | None = None, with_ids: bool = True) -> None:
        super().__init__(parent)
        self.kind = kind
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(("player id", "file"))
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(90)
        self.table.setColumnHidden(0, not with_ids)
        add = QPushButton("Add files...", self)
        add.setAutoDefault(False)
        add.clicked.connect(self.choose)
        remove = QPushButton("Remove", self)
        remove.setAutoDefault(False)
        remove.clicked.connect(self.remove_selected)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.table, 1)
        row.addLayout(buttons)

    def choose(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, f"{self.kind.upper()} files",
                                                str(Path.home()), TABLE_FILTER)
        for f in files:
            self.add_file(Path(f))

    def add_file(self, path: Path, player_id: str | None = None) -> None:
        """Add ``path``; the player id defaults to the file name without its extensions."""
        pid = player_id if player_id is not None else path.name.split(".")[0]
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(pid))
        item = QTableWidgetItem(str(path))
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, 1, item)

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)

    def paths(self) -> list[Path]:
        """The files in the order shown."""
        items = [self.table.item(r, 1) for r in range(self.table.rowCount())]
        return [Path(i.text()) for i in items if i is not None]

    def files(self) -> dict[str, Path]:
        """Player id -> file; raises FootcoachError on an empty or repeated id."""
        specs = []
        for row in range(self.table.rowCount()):
            id_item, file_item = self.table.item(row, 0), self.table.item(row, 1)
            pid = id_item.text().strip() if id_item is not None else ""
            path = file_item.text() if file_item is not None else ""
            specs.append(f"{pid}={path}")
        return player_files(specs, self.kind)


class NewSessionDialog(QDialog):
    """Collects a :class:`NewSessionRequest` and builds the session in a background thread.

    Signals:
        created(str): the session folder was written (its path); the dialog then closes.
        failed(str): building failed (the message is also shown in a message box).
        _finished(object, str): internal: the worker's result (path or None, error text).
    """

    created = Signal(str)
    failed = Signal(str)
    _finished = Signal(object, str)

    def __init__(self, parent: QWidget | None = None, start_folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New session")
        self.last_error = ""
        self.warnings: list[str] = []
        self.parent_field = PathField("Folder to create the session in", folder=True,
                                      parent=self)
        self.parent_field.edit.setText(str(start_folder or Path.home()))
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("e.g. 2026-11-26 U17 training")
        self.video_field = PathField("Session video", VIDEO_FILTER, parent=self)
        self.imu_files = PlayerFiles("imu", self)
        self.gps_files = PlayerFiles("gps", self)
        self.tracking_list = PlayerFiles("tracking", self, with_ids=False)
        self.tracking_format = QComboBox(self)
        self.tracking_format.addItems(TRACKING_FORMATS)
        self.corners_field = PathField("Pitch corners (CSV of 4 lon/lat points)",
                                       "CSV (*.csv *.txt);;All files (*)", parent=self)
        self.size_box = QCheckBox("set the pitch size", self)
        self.length_spin = QDoubleSpinBox(self)
        self.width_spin = QDoubleSpinBox(self)
        for spin, value in ((self.length_spin, 105.0), (self.width_spin, 68.0)):
            spin.setRange(5.0, 200.0)
            spin.setValue(value)
            spin.setSuffix(" m")
            spin.setEnabled(False)
            self.size_box.toggled.connect(spin.setEnabled)
        size_row = QHBoxLayout()
        size_row.addWidget(self.size_box)
        size_row.addWidget(QLabel("length", self))
        size_row.addWidget(self.length_spin)
        size_row.addWidget(QLabel("width", self))
        size_row.addWidget(self.width_spin)
        size_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Create in", self.parent_field)
        form.addRow("Session name", self.name_edit)
        form.addRow("Video", self.video_field)
        form.addRow("IMU files", self.imu_files)
        form.addRow("GPS files", self.gps_files)
        form.addRow("Tracking files", self.tracking_list)
        form.addRow("Tracking format", self.tracking_format)
        form.addRow("Pitch corners", self.corners_field)
        form.addRow("Pitch size", size_row)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.create_session)
        self.buttons.rejected.connect(self.reject)
        hint = QLabel("The files are checked, then copied into a new folder <i>Create in / "
                      "Session name</i>. Player ids come from the file names; edit them in "
                      "the tables (the same id joins a player's IMU and GPS).", self)
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self._finished.connect(self._on_finished)
        self.resize(720, 600)

    def request(self) -> NewSessionRequest:
        """The request the form describes; raises FootcoachError when it is incomplete."""
        parent = self.parent_field.path()
        name = self.name_edit.text().strip()
        if parent is None or not name:
            raise FootcoachError("choose the folder to create the session in and a name")
        if any(c in name for c in '/\\:*?"<>|'):
            raise FootcoachError(f"the session name {name!r} cannot contain / \\ : * ? \" < > |")
        tracking = self.tracking_list.paths()
        fmt = self.tracking_format.currentText()
        return NewSessionRequest(
            out_dir=parent / name, video=self.video_field.path(),
            imu=self.imu_files.files(), gps=self.gps_files.files(), tracking=tracking,
            tracking_format=None if fmt == "auto" else fmt,
            pitch_corners=self.corners_field.path(),
            pitch_size=(self.length_spin.value(), self.width_spin.value())
            if self.size_box.isChecked() else None,
            name=name)

    def create_session(self) -> None:
        """Check the form and build the session in a background thread."""
        try:
            req = self.request()
        except FootcoachError as exc:
            self._fail(str(exc))
            return
        self.buttons.setEnabled(False)
        self.progress.show()

        def work() -> None:
            try:
                path, diag = build_session(req)
            except FootcoachError as exc:
                self._finished.emit(None, str(exc))
                return
            except OSError as exc:
                where = exc.filename or req.out_dir
                self._finished.emit(None, f"{where}: {exc.strerror or exc}")
                return
            except Exception as exc:  # shown to the user, never as a traceback
                self._finished.emit(None, f"unexpected problem: {type(exc).__name__}: {exc}")
                return
            self.warnings = list(diag.warnings)
            self._finished.emit(path, "")

        threading.Thread(target=work, name="footcoach-new-session", daemon=True).start()

    def _on_finished(self, path: object, error: str) -> None:
        self.buttons.setEnabled(True)
        self.progress.hide()
        if error or path is None:
            self._fail(error or "the session was not created")
            return
        self.created.emit(str(path))
        self.accept()

    def _fail(self, message: str) -> None:
        self.last_error = message
        self.failed.emit(message)
        box = QMessageBox(QMessageBox.Icon.Warning, "New session", message,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
