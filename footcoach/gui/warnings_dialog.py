"""Session > Data warnings: every warning about the open session's data in one list.

The status bar counts them and its tooltip lists them; this dialog is the readable form: the
sentences about the sensors first (a vest far from upright, turned, on the wrong player or
stopped measuring; a GPS unit that held its fix), then the rest (gaps, units...), each on its
own wrapped line, with a button that copies them all.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

#: Words that mark a warning about a player's sensor (shown first).
SENSOR_MARKS = ("vest of ", "GPS unit of ")


def ordered(warnings: Sequence[str]) -> list[str]:
    """``warnings`` with those about the sensors first, each group in its own order."""
    sensors = [w for w in warnings if any(m in w for m in SENSOR_MARKS)]
    return sensors + [w for w in warnings if w not in sensors]


class WarningsDialog(QDialog):
    """The list of ``warnings`` (see the module docstring)."""

    def __init__(self, warnings: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Data warnings")
        self.warnings = ordered(warnings)
        n_sensor = sum(any(m in w for m in SENSOR_MARKS) for w in self.warnings)
        head = (f"{len(self.warnings)} warnings about this session's data"
                + (f", {n_sensor} about the players' sensors (first)" if n_sensor else "")
                if self.warnings else "No warnings about this session's data.")
        self.summary = QLabel(head, self)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        for w in self.warnings:
            item = QListWidgetItem(w)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.list.addItem(item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("Copy all", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_all)
        self.copy_button.setEnabled(bool(self.warnings))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(760, 420)

    def copy_all(self) -> None:
        """Put every warning, one per line, on the clipboard."""
        QApplication.clipboard().setText("\n".join(self.warnings))
