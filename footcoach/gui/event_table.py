"""The event list: a table over the analysis events with filters (player, action, tactic,
minimum quality). Clicking a row selects the event; double-clicking also seeks to it.

Filtering and sorting run on numpy columns (:class:`footcoach.app.review_data.EventColumns`), so the
table stays quick with 100k events (no per-row Python in a proxy model).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from footcoach.app.review_data import EventColumns, format_time, player_caption
from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.gui.state import AppState
from footcoach.gui.style import ACTION_COLORS

COLUMNS = ("start", "end", "dur", "player", "action", "tactic", "quality", "conf.", "source")
WIDTHS = ("0:00:00.00", "0:00:00.00", "000.0", "#00 Firstname", "assisting def.",
          "retreating def.", "quality", "0.00", "source")
"""Sample texts that set the initial column widths."""
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
AnyIndex = QModelIndex | QPersistentModelIndex


class EventTableModel(QAbstractTableModel):
    """Rows are the events that pass the filter, in the chosen sort order."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.events: list[Event] = []
        self.columns = EventColumns.build([])
        self.captions: dict[str, str] = {}
        self.rows = np.empty(0, dtype=np.int64)
        self._position = np.empty(0, dtype=np.int64)
        self._sort = (0, Qt.SortOrder.AscendingOrder)
        self.player: str | None = None
        self.action: Action | None = None
        self.tactic: Tactic | None = None
        self.min_quality = 0.0

    # ------------------------------------------------------------------ content
    def set_events(self, events: list[Event], columns: EventColumns,
                   captions: dict[str, str]) -> None:
        self.beginResetModel()
        self.events, self.columns, self.captions = events, columns, captions
        self._apply()
        self.endResetModel()

    def set_filter(self, *, player: str | None = None, action: Action | None = None,
                   tactic: Tactic | None = None, min_quality: float = 0.0) -> None:
        """Show only events of ``player``, with ``action`` and ``tactic``, and quality of at
        least ``min_quality`` (None / 0: no condition; with a minimum quality, events without a
        quality are hidden)."""
        self.beginResetModel()
        self.player, self.action, self.tactic = player, action, tactic
        self.min_quality = float(min_quality)
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        c = self.columns
        mask = np.ones(len(c), dtype=bool)
        if self.player:
            mask &= c.player == c.player_code(self.player)
        if self.action is not None:
            mask &= c.action == int(self.action)
        if self.tactic is not None:
            mask &= c.tactic == int(self.tactic)
        if self.min_quality > 0:
            with np.errstate(invalid="ignore"):
                mask &= c.quality >= self.min_quality
        rows = np.flatnonzero(mask)
        key = self._sort_key(self._sort[0])[rows]
        order = np.argsort(key, kind="stable")
        if self._sort[1] == Qt.SortOrder.DescendingOrder:
            order = order[::-1]
        self.rows = rows[order]
        self._position = np.full(len(c), -1, dtype=np.int64)
        self._position[self.rows] = np.arange(self.rows.size)

    def _sort_key(self, column: int) -> np.ndarray:
        c = self.columns
        name = COLUMNS[column]
        if name == "end":
            return c.end
        if name == "dur":
            return c.end - c.start
        if name == "player":
            return c.player.astype(np.float64)
        if name == "action":
            return np.array([Action(a).label for a in range(len(Action))])[c.action] \
                if len(c) else c.start
        if name == "tactic":
            return c.tactic.astype(np.float64)
        if name == "quality":
            return np.where(np.isnan(c.quality), -1.0, c.quality)
        if name == "conf.":
            return c.confidence
        if name == "source":
            return np.array([e.source for e in self.events]) if self.events else c.start
        return c.start

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._apply()
        self.layoutChanged.emit()

    def event_at(self, row: int) -> Event:
        return self.events[int(self.rows[row])]

    def table_row(self, state_row: int) -> int:
        """Table row of the event at ``state_row`` in the event list (-1 when filtered out)."""
        if not 0 <= state_row < self._position.size:
            return -1
        return int(self._position[state_row])

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else int(self.rows.size)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self.event_at(index.row())
        name = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(e, name)
        if role == Qt.ItemDataRole.DecorationRole and name == "action":
            return QColor(ACTION_COLORS[e.action])
        if role == Qt.ItemDataRole.TextAlignmentRole and name in (
                "start", "end", "dur", "quality", "conf."):
            return _ALIGN_RIGHT
        if role == Qt.ItemDataRole.UserRole:
            return e.id
        return None

    def _text(self, e: Event, name: str) -> str:
        if name == "start":
            return format_time(e.start_s)
        if name == "end":
            return format_time(e.end_s)
        if name == "dur":
            return f"{e.end_s - e.start_s:.1f}"
        if name == "player":
            return self.captions.get(e.player_id, e.player_id)
        if name == "action":
            return e.action.label
        if name == "tactic":
            return e.tactic.label if e.tactic is not None else ""
        if name == "quality":
            return "" if e.quality is None else f"{e.quality:.0f}"
        if name == "conf.":
            return f"{e.confidence:.2f}"
        return e.source


class EventTable(QWidget):
    """Filter bar + table + count."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = EventTableModel(self)
        self.player_box = QComboBox(self)
        self.action_box = QComboBox(self)
        self.action_box.addItem("any action", None)
        for a in Action:
            self.action_box.addItem(a.label, a)
        self.tactic_box = QComboBox(self)
        self.tactic_box.addItem("any tactic", None)
        for k in Tactic:
            self.tactic_box.addItem(k.label, k)
        self.quality_box = QSpinBox(self)
        self.quality_box.setRange(0, 100)
        self.quality_box.setPrefix("Q >= ")
        self.quality_box.setToolTip("Minimum quality (0: show all)")
        for box in (self.player_box, self.action_box, self.tactic_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(7)
        self.count = QLabel(self)
        self.count.setStyleSheet("padding: 1px 4px;")
        bar = QHBoxLayout()
        bar.setContentsMargins(2, 2, 2, 2)
        for w in (self.player_box, self.action_box, self.tactic_box, self.quality_box):
            bar.addWidget(w)
        bar.addStretch(1)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(20)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setAlternatingRowColors(True)
        fm = self.view.fontMetrics()
        for i, sample in enumerate(WIDTHS):
            self.view.setColumnWidth(i, fm.horizontalAdvance(sample) + 18)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)

        for box in (self.player_box, self.action_box, self.tactic_box):
            box.currentIndexChanged.connect(lambda _i: self._filter_changed())
        self.quality_box.valueChanged.connect(lambda _v: self._filter_changed())
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self._syncing = False
        state.session_changed.connect(self._on_session)
        state.result_changed.connect(self._on_result)
        state.event_selected.connect(self._on_event)
        self._on_session()

    # ------------------------------------------------------------------ state -> view
    def _on_session(self) -> None:
        loaded = self.state.loaded
        self.player_box.blockSignals(True)
        self.player_box.clear()
        self.player_box.addItem("all players", None)
        if loaded is not None:
            for p in loaded.session.players:
                self.player_box.addItem(player_caption(p), p.id)
        self.player_box.blockSignals(False)
        self._on_result()

    def _on_result(self) -> None:
        loaded = self.state.loaded
        captions = {p.id: player_caption(p) for p in loaded.session.players} if loaded else {}
        self.model.set_events(self.state.events, self.state.columns, captions)
        self._update_count()
        self._on_event(self.state.selected_event)

    def _on_event(self, event_id: str) -> None:
        row = self.model.table_row(self.state.event_row(event_id)) if event_id else -1
        self._syncing = True
        selection = self.view.selectionModel()
        if row < 0:
            selection.clearSelection()
        else:
            index = self.model.index(row, 0)
            selection.setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            self.view.scrollTo(index)
        self._syncing = False

    def _update_count(self) -> None:
        self.count.setText(f"{self.model.rowCount()} of {len(self.state.events)} events")

    # ------------------------------------------------------------------ view -> state
    def set_filter(self, *, player: str | None = None, action: Action | None = None,
                   tactic: Tactic | None = None, min_quality: int = 0) -> None:
        """Set the filter widgets (and so the filter)."""
        for box, value in ((self.player_box, player), (self.action_box, action),
                           (self.tactic_box, tactic)):
            box.blockSignals(True)
            box.setCurrentIndex(max(box.findData(value), 0))
            box.blockSignals(False)
        self.quality_box.blockSignals(True)
        self.quality_box.setValue(int(min_quality))
        self.quality_box.blockSignals(False)
        self._filter_changed()

    def _filter_changed(self) -> None:
        self.model.set_filter(player=self.player_box.currentData(),
                              action=self.action_box.currentData(),
                              tactic=self.tactic_box.currentData(),
                              min_quality=float(self.quality_box.value()))
        self._update_count()
        self._on_event(self.state.selected_event)

    def visible_events(self) -> list[Event]:
        """The events the table shows, in order."""
        return [self.model.event_at(r) for r in range(self.model.rowCount())]

    def _row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not self._syncing and current.isValid():
            self.state.select_event(self.model.event_at(current.row()).id)

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.state.select_event(self.model.event_at(index.row()).id, seek=True)
