"""The graphics items drawn over the video: a player's label box at their feet, and the placement
that keeps neighbouring labels from covering each other."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from footcoach.app.review_data import event_caption
from footcoach.domain.events import Event


class PlayerLabelItem(QGraphicsItem):
    """A dot at the player's feet and a label box above it, drawn at screen size (it ignores
    the view's scaling so it stays readable on a shrunk frame).

    Unselected players get one compact line (``#4 running 82``); the selected player gets two
    lines (name, then action · tactic · quality) and a white frame. :meth:`set_lift` moves the
    box up (screen pixels) so that neighbouring labels do not cover each other.
    """

    PAD = 3
    GAP = 8  # pixels between the dot and the box when not lifted

    def __init__(self, caption: str, short: str, team_color: str = "#ffffff") -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(10)
        self._font = QFont()
        self._font.setPointSizeF(8.0)
        self._caption = caption
        self._short = short
        self._team_color = QColor(team_color)
        self._detail = ""
        self._compact = ""
        self._color = QColor("#bbbbbb")
        self._selected = False
        self._lift = float(self.GAP)
        self._lines: list[str] = []
        self._rect = QRectF()
        self._relayout()

    def set_content(self, event: Event | None, color: QColor, selected: bool) -> None:
        detail = event_caption(event)
        if (detail, color.rgba(), selected) == (self._detail, self._color.rgba(), self._selected):
            return
        self._detail, self._color, self._selected = detail, color, selected
        compact = [self._short]
        if event is not None:
            compact.append(event.action.label)
            if event.quality is not None:
                compact.append(f"{event.quality:.0f}")
        self._compact = " ".join(compact)
        self.setZValue(12 if selected else 10)
        self._relayout()

    @property
    def text(self) -> str:
        """Full text: name and action · tactic · quality."""
        return f"{self._caption}  {self._detail}".strip()

    def box_size(self) -> tuple[float, float]:
        return self._rect.width(), self._rect.height()

    def set_lift(self, pixels: float) -> None:
        """Put the box bottom ``pixels`` above the dot (at least :attr:`GAP`)."""
        lift = max(float(pixels), float(self.GAP))
        if lift != self._lift:
            self._lift = lift
            self._relayout()

    def _relayout(self) -> None:
        self.prepareGeometryChange()
        fm = QFontMetrics(self._font)
        if self._selected:
            self._lines = [self._caption] + ([self._detail] if self._detail else [])
        else:
            self._lines = [self._compact or self._short]
        w = max(fm.horizontalAdvance(s) for s in self._lines) + 2 * self.PAD
        h = fm.height() * len(self._lines) + 2 * self.PAD
        self._rect = QRectF(-w / 2, -h - self._lift, w, h)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2, -2, 2, self._lift + 6)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        edge = QColor("#ffffff") if self._selected else self._color
        painter.setPen(QPen(edge, 2.0 if self._selected else 1.0))
        painter.drawLine(0, -3, 0, int(self._rect.bottom()))
        painter.setBrush(QBrush(QColor(0, 0, 0, 175)))
        painter.drawRoundedRect(self._rect, 3, 3)
        painter.setBrush(QBrush(self._color))
        painter.drawEllipse(QRectF(-3.5, -3.5, 7, 7))
        painter.setFont(self._font)
        fm = QFontMetrics(self._font)
        x = int(self._rect.left() + self.PAD)
        y = self._rect.top() + self.PAD + fm.ascent()
        if self._selected:
            painter.setPen(QColor("#ffffff"))
            painter.drawText(x, int(y), self._lines[0])
            if len(self._lines) > 1:
                painter.setPen(self._color.lighter(130))
                painter.drawText(x, int(y + fm.height()), self._lines[1])
        else:
            painter.setPen(self._team_color)
            painter.drawText(x, int(y), self._short)
            rest = self._lines[0][len(self._short):]
            if rest:
                painter.setPen(self._color.lighter(140))
                painter.drawText(x + fm.horizontalAdvance(self._short), int(y), rest)


def spread_labels(anchors: list[tuple[float, float]], sizes: list[tuple[float, float]],
                  gap: float = PlayerLabelItem.GAP, margin: float = 2.0) -> list[float]:
    """Lift (pixels above the anchor) for each label box so that no two boxes overlap.

    ``anchors``: (x, y) screen pixels of the players' feet; ``sizes``: (width, height) of their
    label boxes, centred over the anchor. Labels are placed in the given order (put the
    selected player first); each starts just above its anchor and moves up past every box it
    would cover. Returns one lift per label.
    """
    placed: list[QRectF] = []
    lifts: list[float] = []
    for (x, y), (w, h) in zip(anchors, sizes, strict=True):
        rect = QRectF(x - w / 2, y - gap - h, w, h)
        for _ in range(len(placed) + 1):
            hits = [r for r in placed if r.adjusted(-margin, -margin, margin, margin)
                    .intersects(rect)]
            if not hits:
                break
            top = min(r.top() for r in hits)
            rect.moveBottom(top - margin)
        placed.append(rect)
        lifts.append(y - rect.bottom())
    return lifts
