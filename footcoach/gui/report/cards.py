"""Report blocks beyond the generic layout: key-figure tiles, label/value lists, titled
columns, key-moment cards (video frame + vector box) and small pitch cards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from footcoach.app.report_data import KeyMoment
from footcoach.app.review_data import format_time
from footcoach.gui.report import charts
from footcoach.gui.report.layout import Block, Heading, Theme

BEST, WORST = "#1e7b45", "#b42318"
THUMB_DPI = 200.0
"""Video frames are resampled to about this resolution at their printed size."""


def fit_text(p: QPainter, theme: Theme, rect: QRectF, text: str, size_pt: float, color: str,
             *, bold: bool = False, italic: bool = False, min_pt: float = 5.5) -> None:
    """One left-aligned line in ``rect``: the font shrinks (to ``min_pt``) until ``text`` fits;
    only then is the end elided."""
    size = size_pt
    while size > min_pt and theme.text_width(
            theme.font(size, bold=bold, italic=italic), text) > rect.width():
        size -= 0.25
    font = theme.font(size, bold=bold, italic=italic)
    p.setFont(font)
    p.setPen(QColor(color))
    shown = theme.metrics(font).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
    p.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)


@dataclass
class Kpis(Block):
    """Key figures as tiles: ``items`` (value, label)."""

    items: Sequence[tuple[str, str]]

    def height(self, theme: Theme, width: float) -> float:
        return theme.mm(17)

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        n = max(len(self.items), 1)
        gap = theme.mm(3)
        w = (rect.width() - gap * (n - 1)) / n
        for i, (value, label) in enumerate(self.items):
            r = QRectF(rect.left() + i * (w + gap), rect.top(), w, rect.height())
            p.fillRect(r, QColor(theme.band))
            p.fillRect(QRectF(r.left(), r.top(), w, theme.mm(0.8)), QColor(theme.accent))
            size = 16.0
            while size > 8 and theme.text_width(theme.font(size, bold=True), value) > w * 0.9:
                size -= 0.5
            p.setFont(theme.font(size, bold=True))
            p.setPen(QColor(theme.accent))
            p.drawText(r.adjusted(0, theme.mm(1.5), 0, -r.height() * 0.38),
                       int(Qt.AlignmentFlag.AlignCenter), value)
            p.setFont(theme.font(7.5))
            p.setPen(QColor(theme.muted))
            p.drawText(r.adjusted(theme.mm(1), r.height() * 0.6, -theme.mm(1), 0),
                       int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                           | Qt.TextFlag.TextWordWrap), label)


@dataclass
class KeyValues(Block):
    """Two columns: a bold label and a wrapped value per line."""

    items: Sequence[tuple[str, str]]
    label_mm: float = 32.0

    def _rows(self, theme: Theme, width: float) -> list[float]:
        f = theme.font(8.5)
        vw = width - theme.mm(self.label_mm)
        return [theme.wrapped_height(f, v, vw) + theme.mm(1.2) for _, v in self.items]

    def height(self, theme: Theme, width: float) -> float:
        return sum(self._rows(theme, width))

    def split(self, theme: Theme, width: float, avail: float
              ) -> tuple[Block | None, Block | None]:
        heights = np.cumsum(self._rows(theme, width))
        n = int(np.searchsorted(heights, avail, side="right"))
        if n < 2 or n >= len(self.items):
            return None, self
        return (KeyValues(self.items[:n], self.label_mm),
                KeyValues(self.items[n:], self.label_mm))

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        y = rect.top()
        lw = theme.mm(self.label_mm)
        for (k, v), h in zip(self.items, self._rows(theme, rect.width()), strict=True):
            p.setFont(theme.font(8.5, bold=True))
            p.setPen(QColor(theme.muted))
            p.drawText(QRectF(rect.left(), y, lw, h), int(Qt.AlignmentFlag.AlignLeft), k)
            p.setFont(theme.font(8.5))
            p.setPen(QColor(theme.ink))
            p.drawText(QRectF(rect.left() + lw, y, rect.width() - lw, h),
                       int(Qt.TextFlag.TextWordWrap), v)
            y += h


@dataclass
class MomentCard(Block):
    """A key moment: the video frame around the player (box and number drawn as vectors)
    and three caption lines."""

    moment: KeyMoment
    player: str
    number: str
    color: str
    _img: QImage | None = field(default=None, init=False, repr=False)

    def _image_h(self, width: float) -> float:
        return width * 9 / 16

    def height(self, theme: Theme, width: float) -> float:
        line = theme.metrics(theme.font(7.5)).height()
        return self._image_h(width) + 3 * line + theme.mm(2.5)

    def _qimage(self, theme: Theme, width: float) -> QImage | None:
        """The crop resampled to about THUMB_DPI at its printed width."""
        img = self.moment.image
        if img is None:
            return None
        if self._img is None:
            h, w = img.shape[:2]
            q = QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
            target = round(width / theme.dpi * THUMB_DPI)
            self._img = q.scaledToWidth(target, Qt.TransformationMode.SmoothTransformation)
        return self._img

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        m, e = self.moment, self.moment.event
        ir = QRectF(rect.left(), rect.top(), rect.width(), self._image_h(rect.width()))
        img = self._qimage(theme, rect.width())
        p.fillRect(ir, QColor("#20262e" if img is not None else theme.band))
        if img is not None and m.image is not None:
            h, w = m.image.shape[:2]
            k = min(ir.width() / w, ir.height() / h)
            target = QRectF(ir.center().x() - w * k / 2, ir.center().y() - h * k / 2,
                            w * k, h * k)
            p.drawImage(target, img)
            if m.box is not None:
                self._draw_box(p, theme, target, m.box, w)
        if m.note:
            f = theme.font(6.5, italic=True)
            nh = theme.metrics(f).height() + theme.mm(0.8)
            band = QRectF(ir.left(), ir.bottom() - nh, ir.width(), nh)
            p.fillRect(band, QColor(0, 0, 0, 150))
            fit_text(p, theme, band.adjusted(theme.mm(1), 0, -theme.mm(1), 0), m.note, 6.5,
                     "#ffffff", italic=True)
        p.setPen(theme.pen(theme.rule, 0.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(ir)
        line = theme.metrics(theme.font(7.5)).height()
        y = ir.bottom() + theme.mm(1)
        kind = "BEST" if m.kind == "best" else "WORST"
        q = "–" if e.quality is None else f"{e.quality:.0f}"
        tactic = e.tactic.label if e.tactic is not None else "no tactic"
        source = " · coach" if e.source != "model" else ""
        lines = ((f"{kind} {e.action.label}: quality {q}", BEST if m.kind == "best" else WORST,
                  True),
                 (f"{self.player}  {format_time(e.start_s, 1)}–{format_time(e.end_s, 1)}",
                  theme.ink, False),
                 (f"{tactic} · confidence {e.confidence:.2f}{source}", theme.muted, False))
        for i, (text, color, bold) in enumerate(lines):
            fit_text(p, theme, QRectF(rect.left(), y + i * line, rect.width(), line), text, 7.5,
                     color, bold=bold)

    def _draw_box(self, p: QPainter, theme: Theme, ir: QRectF,
                  box: tuple[float, float, float, float], src_w: int) -> None:
        k = ir.width() / src_w
        x0, y0, x1, y1 = (v * k for v in box)
        r = QRectF(ir.left() + x0, ir.top() + y0, x1 - x0, y1 - y0).intersected(ir)
        p.save()
        p.setClipRect(ir)
        p.setPen(theme.pen("#ffffff", 1.6))
        p.drawRect(r)
        p.setPen(theme.pen(self.color, 0.8))
        p.drawRect(r)
        f = theme.font(6.5, bold=True)
        tw = theme.text_width(f, self.number) + theme.mm(1.6)
        th = theme.metrics(f).height()
        tag = QRectF(r.center().x() - tw / 2, max(r.top() - th - theme.mm(0.6), ir.top()), tw, th)
        p.fillRect(tag, QColor(self.color))
        p.setFont(f)
        p.setPen(QColor("#ffffff"))
        p.drawText(tag, int(Qt.AlignmentFlag.AlignCenter), self.number)
        p.restore()


@dataclass
class PitchCard(Block):
    """A small pitch with one player's heatmap and trajectory, titled."""

    title: str
    pitch_m: tuple[float, float]
    grid: np.ndarray | None
    tracks: Sequence[tuple[np.ndarray, str]]

    def height(self, theme: Theme, width: float) -> float:
        line = theme.metrics(theme.font(8, bold=True)).height()
        return line + theme.mm(1) + (width - theme.mm(3)) * self.pitch_m[1] / self.pitch_m[0] \
            + theme.mm(3)

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        line = theme.metrics(theme.font(8, bold=True)).height()
        p.setFont(theme.font(8, bold=True))
        p.setPen(QColor(theme.ink))
        p.drawText(QRectF(rect.left(), rect.top(), rect.width(), line),
                   int(Qt.AlignmentFlag.AlignLeft), self.title)
        p.save()
        charts.pitch(p, theme, rect.adjusted(0, line + theme.mm(1), 0, 0), self.pitch_m,
                     grid=self.grid, tracks=self.tracks)
        p.restore()


@dataclass
class Titled(Block):
    """A small titled column: a level-2 heading over one block."""

    title: str
    inner: Block

    def height(self, theme: Theme, width: float) -> float:
        return Heading(self.title, 2).height(theme, width) + self.inner.height(theme, width)

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        head = Heading(self.title, 2)
        hh = head.height(theme, rect.width())
        head.draw(p, theme, QRectF(rect.left(), rect.top(), rect.width(), hh))
        self.inner.draw(p, theme, QRectF(rect.left(), rect.top() + hh, rect.width(),
                                         self.inner.height(theme, rect.width())))
