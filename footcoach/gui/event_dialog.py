"""A small form to edit or add an event: player, action, tactic, quality, start and end."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from footcoach.app.review_data import player_caption
from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.session import Player

NO_QUALITY = -1.0
"""The quality spin box's "none" value (shown as "none")."""


class EventDialog(QDialog):
    """Fields of one event. :meth:`changes` gives what to pass to
    :meth:`CorrectionsController.edit_event` (or to build a new :class:`Event`)."""

    def __init__(self, title: str, players: list[Player], event: Event,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.player = QComboBox(self)
        for p in players:
            self.player.addItem(player_caption(p), p.id)
        if self.player.findData(event.player_id) < 0:
            self.player.addItem(event.player_id, event.player_id)
        self.player.setCurrentIndex(self.player.findData(event.player_id))
        self.action = QComboBox(self)
        for a in Action:
            self.action.addItem(a.label, a)
        self.action.setCurrentIndex(self.action.findData(event.action))
        self.tactic = QComboBox(self)
        self.tactic.addItem("(none)", None)
        for k in Tactic:
            self.tactic.addItem(k.label, k)
        self.tactic.setCurrentIndex(max(self.tactic.findData(event.tactic), 0))
        self.quality = QDoubleSpinBox(self)
        self.quality.setRange(NO_QUALITY, 100.0)
        self.quality.setDecimals(0)
        self.quality.setSpecialValueText("none")
        self.quality.setValue(NO_QUALITY if event.quality is None else float(event.quality))
        self.start = QDoubleSpinBox(self)
        self.end = QDoubleSpinBox(self)
        for box, value in ((self.start, event.start_s), (self.end, event.end_s)):
            box.setRange(-1e6, 1e6)
            box.setDecimals(2)
            box.setSuffix(" s")
            box.setValue(value)
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #ff7070;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Player", self.player)
        form.addRow("Action", self.action)
        form.addRow("Tactic", self.tactic)
        form.addRow("Quality (0-100)", self.quality)
        form.addRow("Start", self.start)
        form.addRow("End", self.end)
        form.addRow(self.problem)
        form.addRow(buttons)

    def changes(self) -> dict[str, Any]:
        quality = self.quality.value()
        return {
            "player_id": str(self.player.currentData()),
            "action": self.action.currentData(),
            "tactic": self.tactic.currentData(),
            "quality": None if quality <= NO_QUALITY else float(quality),
            "start_s": float(self.start.value()),
            "end_s": float(self.end.value()),
        }

    def accept(self) -> None:
        if self.end.value() <= self.start.value():
            self.problem.setText("The event must end after it starts.")
            return
        super().accept()
