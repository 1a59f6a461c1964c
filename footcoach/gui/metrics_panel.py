"""Load metrics per player (distance, speed bands, efforts, top speed, PlayerLoad), sortable.

Computed by :func:`footcoach.analysis.metrics.compute_metrics` on the open session's GPS and IMU
streams in a background thread (long sessions take a moment), whenever a session is shown; as
``footcoach metrics`` does, a GPS position that moved further than the player did
(:func:`footcoach.app.metrics.without_drift`) adds no distance.
Double-clicking a row selects the player; the selected player's row is highlighted.
"""

from __future__ import annotations

import contextlib
import math
import threading
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from footcoach.analysis.metrics import MetricsRow, compute_metrics, metrics_to_csv
from footcoach.app.metrics import without_drift
from footcoach.app.review_data import player_caption
from footcoach.errors import FootcoachError
from footcoach.gui.state import AppState
from footcoach.sync.vest_identity import own_vests

# (attribute, header, decimals, scale, tooltip)
COLUMNS: tuple[tuple[str, str, int, float, str], ...] = (
    ("player", "Player", 0, 1.0, ""),
    ("duration_min", "min", 1, 1.0, "Minutes with data"),
    ("distance_m", "Dist m", 0, 1.0, "Total distance (m)"),
    ("m_per_min", "m/min", 0, 1.0, "Distance per minute"),
    ("dist_walk_m", "Walk", 0, 1.0, "Distance walking, < 2 m/s (m)"),
    ("dist_jog_m", "Jog", 0, 1.0, "Distance jogging, 2-4 m/s (m)"),
    ("dist_run_m", "Run", 0, 1.0, "Distance running, 4-5.5 m/s (m)"),
    ("dist_hsr_m", "HSR", 0, 1.0, "High-speed running, 5.5-7 m/s (m)"),
    ("dist_sprint_m", "Sprint", 0, 1.0, "Sprinting, > 7 m/s (m)"),
    ("n_sprints", "Sprints", 0, 1.0, "Sprints (> 7 m/s for 1 s or more)"),
    ("n_accels", "Acc", 0, 1.0, "Accelerations (> 3 m/s² for 0.5 s or more)"),
    ("n_decels", "Dec", 0, 1.0, "Decelerations (< -3 m/s² for 0.5 s or more)"),
    ("max_speed_mps", "Top km/h", 1, 3.6, "Top speed (km/h)"),
    ("player_load", "PL", 0, 1.0, "PlayerLoad (accelerometer, arbitrary units)"),
    ("player_load_per_min", "PL/min", 2, 1.0, "PlayerLoad per minute"),
)
SORT_ROLE = Qt.ItemDataRole.UserRole
AnyIndex = QModelIndex | QPersistentModelIndex


class MetricsModel(QAbstractTableModel):
    """One row per :class:`MetricsRow`; missing values show as "-" and sort last."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[MetricsRow] = []
        self.captions: dict[str, str] = {}

    def set_rows(self, rows: list[MetricsRow], captions: dict[str, str]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.captions = dict(captions)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def value(self, row: int, column: int) -> float | str | None:
        """The raw value in a cell (scaled to the column's unit; None when missing)."""
        attr, _, _, scale, _ = COLUMNS[column]
        v = getattr(self.rows[row], attr)
        if attr == "player":
            return self.captions.get(str(v), str(v))
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return None
        return float(v) * scale

    def data(self, index: AnyIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        v = self.value(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if v is None:
                return "-"
            if isinstance(v, str):
                return v
            return f"{v:,.{COLUMNS[index.column()][2]}f}"
        if role == SORT_ROLE:
            if v is None:
                return -math.inf
            return v.lower() if isinstance(v, str) else v
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section][4] or None
        return None


class MetricsPanel(QWidget):
    """The metrics table of the open session.

    Signals:
        computed(): the table was filled for the session shown (also when it has no data).
        _done(int, object, str): internal: a worker finished (generation, rows, error).
    """

    computed = Signal()
    _done = Signal(int, object, str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = MetricsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.table.doubleClicked.connect(self._double_clicked)
        self.note = QLabel("No session", self)
        self.export_button = QPushButton("Export CSV...", self)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_csv)
        head = QHBoxLayout()
        head.setContentsMargins(4, 2, 4, 0)
        head.addWidget(self.note, 1)
        head.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)
        self._generation = 0
        self._done.connect(self._finished)
        state.session_changed.connect(self.recompute)
        state.player_selected.connect(self._highlight)

    # ------------------------------------------------------------------ computing
    def recompute(self) -> None:
        """Compute the metrics of the session shown, in a background thread."""
        self._generation += 1
        generation = self._generation
        loaded = self.state.loaded
        if loaded is None:
            self.model.set_rows([], {})
            self.note.setText("No session")
            self.export_button.setEnabled(False)
            self.computed.emit()
            return
        jobs = [(p.id, loaded.gps.get(p.id), loaded.imu.get(p.id))
                for p in loaded.session.players]
        jobs = [j for j in jobs if j[1] is not None or j[2] is not None]
        self.note.setText(f"Computing metrics of {len(jobs)} players...")

        def work() -> None:
            rows: list[MetricsRow] = []
            error = ""
            try:
                vests = own_vests(loaded.imu, loaded.gps)  # not another player's vest
                for pid, gps, imu in jobs:
                    if (gps is None or not len(gps)) and (imu is None or not len(imu)):
                        continue
                    own = vests.get(pid)
                    gps = without_drift(gps if gps is not None and len(gps) else None,
                                        imu=own if own is not None and len(own) else None)
                    rows.extend(compute_metrics(gps,
                                                imu if imu is not None and len(imu) else None,
                                                player=pid))
            except FootcoachError as exc:
                error = str(exc)
            with contextlib.suppress(RuntimeError):  # the panel was closed meanwhile
                self._done.emit(generation, rows, error)

        threading.Thread(target=work, name="footcoach-metrics", daemon=True).start()

    def _finished(self, generation: int, rows: object, error: str) -> None:
        if generation != self._generation:
            return  # a newer session is being computed
        loaded = self.state.loaded
        captions = {p.id: player_caption(p) for p in loaded.session.players} if loaded else {}
        assert isinstance(rows, list)
        self.model.set_rows(rows, captions)
        self.export_button.setEnabled(bool(rows))
        if error:
            self.note.setText(f"Metrics failed: {error}")
        elif not rows:
            self.note.setText("No player has GPS or IMU data")
        else:
            synthetic = "  [synthetic data]" if loaded and loaded.session.synthetic else ""
            self.note.setText(f"{len(rows)} players, whole session{synthetic}")
        self._highlight(self.state.selected_player)
        self.computed.emit()

    # ------------------------------------------------------------------ interaction
    def player_at(self, view_row: int) -> str:
        """Player id of a row as sorted on screen."""
        source = self.proxy.mapToSource(self.proxy.index(view_row, 0))
        return self.model.rows[source.row()].player

    def _double_clicked(self, index: QModelIndex) -> None:
        self.state.select_player(self.player_at(index.row()))

    def _highlight(self, player_id: str) -> None:
        for view_row in range(self.proxy.rowCount()):
            if self.player_at(view_row) == player_id:
                self.table.selectRow(view_row)
                return
        self.table.clearSelection()

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        """Write the table as CSV (asks for a file when ``path`` is None)."""
        if path is None:
            loaded = self.state.loaded
            start = str(loaded.session.root / "metrics.csv") if loaded else "metrics.csv"
            path, _ = QFileDialog.getSaveFileName(self, "Export metrics", start, "CSV (*.csv)")
            if not path:
                return None
        metrics_to_csv(self.model.rows, path)
        return Path(path)
