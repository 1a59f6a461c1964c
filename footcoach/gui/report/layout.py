"""A small flowing page layout for the PDF report: blocks that measure themselves, pagination
that splits long tables and grids between pages, and the theme (fonts, colours, units).

Everything is in device units of the paint device (the PDF writer at ``Theme.dpi``); sizes are
given in points or millimetres and converted with :meth:`Theme.pt` / :meth:`Theme.mm`. Text is
measured with the device's font metrics, so what is measured is what is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPaintDevice, QPainter, QPen

FONT_FAMILIES = ["DejaVu Sans", "Helvetica", "Arial", "Noto Sans", "sans-serif"]


@dataclass
class Theme:
    """Fonts and colours of the report on the device ``device`` (a QPdfWriter)."""

    device: QPaintDevice
    dpi: float
    ink: str = "#1d2433"
    muted: str = "#5f6b7a"
    rule: str = "#d5dae1"
    band: str = "#f2f4f7"
    accent: str = "#16365c"
    accent_light: str = "#dfe8f3"
    warn: str = "#b42318"
    warn_light: str = "#fdecea"
    gap_mm: float = 3.0

    def pt(self, points: float) -> float:
        """Points (1/72 inch) -> device units."""
        return points * self.dpi / 72.0

    def mm(self, millimetres: float) -> float:
        """Millimetres -> device units."""
        return millimetres * self.dpi / 25.4

    def font(self, size_pt: float, *, bold: bool = False, condensed: bool = False,
             italic: bool = False) -> QFont:
        f = QFont()
        f.setFamilies(FONT_FAMILIES)
        f.setPointSizeF(size_pt)
        f.setBold(bold)
        f.setItalic(italic)
        if condensed:
            f.setStretch(QFont.Stretch.Condensed)
        return f

    def metrics(self, font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font, self.device)

    def text_width(self, font: QFont, text: str) -> float:
        return self.metrics(font).horizontalAdvance(text)

    def wrapped_height(self, font: QFont, text: str, width: float) -> float:
        """Height of ``text`` word-wrapped to ``width`` device units."""
        r = self.metrics(font).boundingRect(QRectF(0, 0, width, 1e7),
                                            int(Qt.TextFlag.TextWordWrap), text)
        return r.height()

    def pen(self, color: str, width_pt: float = 0.5) -> QPen:
        p = QPen(QColor(color))
        p.setWidthF(self.pt(width_pt))
        return p


# ------------------------------------------------------------------------------ blocks
class Block:
    """Something placed on a page: measures its height for a width, draws in a rectangle."""

    keep_with_next = False
    space_after_mm = 3.0
    space_before_mm = 0.0

    def height(self, theme: Theme, width: float) -> float:
        raise NotImplementedError

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        raise NotImplementedError

    def split(self, theme: Theme, width: float, avail: float
              ) -> tuple[Block | None, Block | None]:
        """A first part fitting ``avail`` and the rest; ``(None, self)`` when it cannot split."""
        return None, self


class PageBreak(Block):
    def height(self, theme: Theme, width: float) -> float:
        return 0.0

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        return None


@dataclass
class Spacer(Block):
    mm_: float = 3.0

    def height(self, theme: Theme, width: float) -> float:
        return theme.mm(self.mm_)

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        return None


@dataclass
class Heading(Block):
    """A section title (level 1: large with a rule under it; level 2: smaller)."""

    text: str
    level: int = 1
    keep_with_next = True

    @property
    def space_before_mm(self) -> float:  # type: ignore[override]
        return 4.0 if self.level == 1 else 1.0

    def _font(self, theme: Theme) -> QFont:
        return theme.font(15 if self.level == 1 else 11, bold=True)

    def height(self, theme: Theme, width: float) -> float:
        extra = theme.mm(2.5) if self.level == 1 else theme.mm(0.5)
        return theme.wrapped_height(self._font(theme), self.text, width) + extra

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        p.setFont(self._font(theme))
        p.setPen(QColor(theme.accent if self.level == 1 else theme.ink))
        p.drawText(rect, int(Qt.TextFlag.TextWordWrap), self.text)
        if self.level == 1:
            p.setPen(theme.pen(theme.accent, 1.2))
            y = rect.bottom() - theme.mm(1.2)
            p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))


@dataclass
class Paragraph(Block):
    text: str
    size_pt: float = 9.0
    color: str = ""
    italic: bool = False
    bold: bool = False

    def _font(self, theme: Theme) -> QFont:
        return theme.font(self.size_pt, italic=self.italic, bold=self.bold)

    def height(self, theme: Theme, width: float) -> float:
        return theme.wrapped_height(self._font(theme), self.text, width)

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        p.setFont(self._font(theme))
        p.setPen(QColor(self.color or theme.ink))
        p.drawText(rect, int(Qt.TextFlag.TextWordWrap), self.text)


@dataclass
class Callout(Block):
    """A tinted box with a bold title and wrapped text (the synthetic-data notice)."""

    title: str
    text: str
    color: str = "#b42318"
    fill: str = "#fdecea"

    def _inner(self, theme: Theme, width: float) -> float:
        return width - 2 * theme.mm(3) - theme.mm(1.2)

    def height(self, theme: Theme, width: float) -> float:
        inner = self._inner(theme, width)
        return (theme.wrapped_height(theme.font(9.5, bold=True), self.title, inner)
                + theme.wrapped_height(theme.font(8.5), self.text, inner) + theme.mm(5))

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        p.fillRect(rect, QColor(self.fill))
        p.fillRect(QRectF(rect.left(), rect.top(), theme.mm(1.2), rect.height()),
                   QColor(self.color))
        x = rect.left() + theme.mm(1.2) + theme.mm(3)
        inner = self._inner(theme, rect.width())
        y = rect.top() + theme.mm(2)
        p.setPen(QColor(self.color))
        f = theme.font(9.5, bold=True)
        p.setFont(f)
        h = theme.wrapped_height(f, self.title, inner)
        p.drawText(QRectF(x, y, inner, h), int(Qt.TextFlag.TextWordWrap), self.title)
        p.setPen(QColor(theme.ink))
        f = theme.font(8.5)
        p.setFont(f)
        p.drawText(QRectF(x, y + h + theme.mm(1), inner, rect.bottom() - y - h),
                   int(Qt.TextFlag.TextWordWrap), self.text)


@dataclass
class Chart(Block):
    """A fixed-height drawing (``draw(p, theme, rect)``) with an optional title and legend."""

    height_mm: float
    paint: Callable[[QPainter, Theme, QRectF], None]
    title: str = ""
    legend: Sequence[tuple[str, str]] = ()

    def _legend_h(self, theme: Theme, width: float) -> float:
        from footcoach.gui.report.charts import legend_height

        return legend_height(theme, width, self.legend) if self.legend else 0.0

    def _title_h(self, theme: Theme, width: float) -> float:
        if not self.title:
            return 0.0
        return theme.wrapped_height(theme.font(9, bold=True), self.title, width) + theme.mm(1)

    def height(self, theme: Theme, width: float) -> float:
        return (theme.mm(self.height_mm) + self._title_h(theme, width)
                + self._legend_h(theme, width))

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        from footcoach.gui.report.charts import draw_legend

        y = rect.top()
        if self.title:
            th = self._title_h(theme, rect.width())
            p.setFont(theme.font(9, bold=True))
            p.setPen(QColor(theme.ink))
            p.drawText(QRectF(rect.left(), y, rect.width(), th), int(Qt.TextFlag.TextWordWrap),
                       self.title)
            y += th
        if self.legend:
            lh = self._legend_h(theme, rect.width())
            draw_legend(p, theme, QRectF(rect.left(), y, rect.width(), lh), self.legend)
            y += lh
        p.save()
        self.paint(p, theme, QRectF(rect.left(), y, rect.width(), rect.bottom() - y))
        p.restore()


@dataclass
class Row(Block):
    """Blocks side by side (``weights`` share the width); as tall as the tallest."""

    blocks: Sequence[Block]
    weights: Sequence[float] = ()
    gap_mm: float = 5.0

    def _widths(self, theme: Theme, width: float) -> list[float]:
        w = list(self.weights) or [1.0] * len(self.blocks)
        free = width - theme.mm(self.gap_mm) * (len(self.blocks) - 1)
        return [free * x / sum(w) for x in w]

    def height(self, theme: Theme, width: float) -> float:
        return max((b.height(theme, w) for b, w in
                    zip(self.blocks, self._widths(theme, width), strict=True)), default=0.0)

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        x = rect.left()
        for b, w in zip(self.blocks, self._widths(theme, rect.width()), strict=True):
            b.draw(p, theme, QRectF(x, rect.top(), w, b.height(theme, w)))
            x += w + theme.mm(self.gap_mm)


@dataclass
class Grid(Block):
    """Cells in ``ncols`` columns, row by row; splits between rows across pages."""

    cells: Sequence[Block]
    ncols: int
    gap_mm: float = 4.0

    def _cell_w(self, theme: Theme, width: float) -> float:
        return (width - theme.mm(self.gap_mm) * (self.ncols - 1)) / self.ncols

    def _rows(self) -> list[Sequence[Block]]:
        return [self.cells[i:i + self.ncols] for i in range(0, len(self.cells), self.ncols)]

    def _row_h(self, theme: Theme, width: float, row: Sequence[Block]) -> float:
        cw = self._cell_w(theme, width)
        return max(c.height(theme, cw) for c in row)

    def height(self, theme: Theme, width: float) -> float:
        rows = self._rows()
        gap = theme.mm(self.gap_mm)
        return sum(self._row_h(theme, width, r) for r in rows) + gap * max(len(rows) - 1, 0)

    def split(self, theme: Theme, width: float, avail: float
              ) -> tuple[Block | None, Block | None]:
        used, n = 0.0, 0
        for row in self._rows():
            h = self._row_h(theme, width, row) + (theme.mm(self.gap_mm) if n else 0.0)
            if used + h > avail:
                break
            used, n = used + h, n + 1
        if n == 0:
            return None, self
        k = n * self.ncols
        return (Grid(self.cells[:k], self.ncols, self.gap_mm),
                Grid(self.cells[k:], self.ncols, self.gap_mm))

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        cw = self._cell_w(theme, rect.width())
        y = rect.top()
        for row in self._rows():
            h = self._row_h(theme, rect.width(), row)
            for i, c in enumerate(row):
                x = rect.left() + i * (cw + theme.mm(self.gap_mm))
                c.draw(p, theme, QRectF(x, y, cw, c.height(theme, cw)))
            y += h + theme.mm(self.gap_mm)


# ------------------------------------------------------------------------------ pagination
@dataclass
class Placed:
    block: Block
    rect: QRectF


@dataclass
class Paginator:
    """Flows blocks onto pages of ``width`` x ``height`` device units (the content area)."""

    theme: Theme
    width: float
    height: float
    pages: list[list[Placed]] = field(default_factory=list)

    def run(self, blocks: Sequence[Block]) -> list[list[Placed]]:
        self.pages = [[]]
        y = 0.0
        queue = list(blocks)
        while queue:
            b = queue.pop(0)
            if isinstance(b, PageBreak):
                if self.pages[-1]:
                    self.pages.append([])
                    y = 0.0
                continue
            if y > 0.0:
                y += self.theme.mm(b.space_before_mm)
            h = b.height(self.theme, self.width)
            need = h + (self._next_min(queue) if b.keep_with_next else 0.0)
            if y + need <= self.height + 1e-6 or (y == 0.0 and h <= self.height):
                self._place(b, y, h)
                y += h + self.theme.mm(b.space_after_mm)
                continue
            first, rest = b.split(self.theme, self.width, self.height - y)
            if first is not None and rest is not None:
                self._place(first, y, first.height(self.theme, self.width))
                queue.insert(0, rest)
            elif y == 0.0:  # taller than a page and cannot split: placed as it is
                self._place(b, y, h)
            else:
                queue.insert(0, b)
            self.pages.append([])
            y = 0.0
        return [pg for pg in self.pages if pg] or [[]]

    def _place(self, b: Block, y: float, h: float) -> None:
        self.pages[-1].append(Placed(b, QRectF(0, y, self.width, h)))

    def _next_min(self, queue: list[Block]) -> float:
        """Height the next block needs at least on this page (its first row when it splits)."""
        if not queue or isinstance(queue[0], PageBreak):
            return 0.0
        nxt = queue[0]
        first, _ = nxt.split(self.theme, self.width, self.height)
        probe = first if first is not None else nxt
        if isinstance(probe, Grid):
            return probe._row_h(self.theme, self.width, probe._rows()[0])
        if isinstance(probe, Table):
            return probe.min_height(self.theme, self.width)
        return min(probe.height(self.theme, self.width), self.height)


# ------------------------------------------------------------------------------ tables
@dataclass
class Table(Block):
    """A table that fits its width: the font shrinks (down to ``min_pt``) until every column's
    widest text fits, headers wrap; splits between rows across pages (header repeated).

    ``align``: one of ``"l"``, ``"r"``, ``"c"`` per column; ``strong`` row indices drawn bold on
    a tinted band (totals); ``swatches`` optional colour per row shown before the first cell.
    """

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: str = ""
    size_pt: float = 8.0
    min_pt: float = 5.5
    strong: frozenset[int] = frozenset()
    swatches: Sequence[str] = ()

    def _fit(self, theme: Theme, width: float) -> tuple[float, list[float]]:
        size = self.size_pt
        while True:
            widths = self._natural(theme, size)
            if sum(widths) <= width or size <= self.min_pt:
                break
            size = max(self.min_pt, size - 0.25)
        total = sum(widths)
        scale = width / total if total > width else 1.0
        widths = [w * scale for w in widths]
        if total < width:  # spread the spare width evenly
            widths = [w + (width - total) / len(widths) for w in widths]
        return size, widths

    def _pad(self, theme: Theme) -> float:
        return theme.mm(1.4)

    def _natural(self, theme: Theme, size: float) -> list[float]:
        body, head = theme.font(size), theme.font(size, bold=True)
        out = []
        for c, title in enumerate(self.header):
            cells = [r[c] for r in self.rows]
            w_cells = max((theme.text_width(body, s) for s in cells), default=0.0)
            w_head = max((theme.text_width(head, part) for part in title.split()), default=0.0)
            sw = theme.mm(3.2) if c == 0 and self.swatches else 0.0
            out.append(max(w_cells * (1.08 if self.strong else 1.0), w_head) + 2 * self._pad(theme)
                       + sw)
        return out

    def _head_h(self, theme: Theme, size: float, widths: list[float]) -> float:
        f = theme.font(size, bold=True)
        return max(theme.wrapped_height(f, t, w - 2 * self._pad(theme) + 1)
                   for t, w in zip(self.header, widths, strict=True)) + theme.mm(2.2)

    def _row_h(self, theme: Theme, size: float) -> float:
        return theme.metrics(theme.font(size)).height() + theme.mm(1.6)

    def min_height(self, theme: Theme, width: float) -> float:
        size, widths = self._fit(theme, width)
        return self._head_h(theme, size, widths) + 2 * self._row_h(theme, size)

    def height(self, theme: Theme, width: float) -> float:
        size, widths = self._fit(theme, width)
        return self._head_h(theme, size, widths) + len(self.rows) * self._row_h(theme, size)

    def split(self, theme: Theme, width: float, avail: float
              ) -> tuple[Block | None, Block | None]:
        size, widths = self._fit(theme, width)
        n = int((avail - self._head_h(theme, size, widths)) // self._row_h(theme, size))
        if n < 2 or n >= len(self.rows):
            return None, self
        strong = self.strong
        return (Table(self.header, self.rows[:n], self.align, self.size_pt, self.min_pt,
                      frozenset(i for i in strong if i < n), self.swatches[:n]),
                Table(self.header, self.rows[n:], self.align, self.size_pt, self.min_pt,
                      frozenset(i - n for i in strong if i >= n), self.swatches[n:]))

    def draw(self, p: QPainter, theme: Theme, rect: QRectF) -> None:
        size, widths = self._fit(theme, rect.width())
        pad = self._pad(theme)
        hh, rh = self._head_h(theme, size, widths), self._row_h(theme, size)
        p.fillRect(QRectF(rect.left(), rect.top(), rect.width(), hh), QColor(theme.accent))
        p.setFont(theme.font(size, bold=True))
        p.setPen(QColor("#ffffff"))
        x = rect.left()
        for c, (t, w) in enumerate(zip(self.header, widths, strict=True)):
            flags = self._flags(c) | int(Qt.TextFlag.TextWordWrap)
            p.drawText(QRectF(x + pad, rect.top(), w - 2 * pad + 1, hh), flags, t)
            x += w
        y = rect.top() + hh
        for i, row in enumerate(self.rows):
            band = QColor(theme.accent_light) if i in self.strong else (
                QColor(theme.band) if i % 2 else None)
            if band is not None:
                p.fillRect(QRectF(rect.left(), y, rect.width(), rh), band)
            p.setFont(theme.font(size, bold=i in self.strong))
            p.setPen(QColor(theme.ink))
            x = rect.left()
            for c, (cell, w) in enumerate(zip(row, widths, strict=True)):
                left = x + pad
                if c == 0 and i < len(self.swatches) and self.swatches[i]:
                    s = theme.mm(2.2)
                    p.fillRect(QRectF(left, y + (rh - s) / 2, s, s), QColor(self.swatches[i]))
                    left += theme.mm(3.2)
                p.drawText(QRectF(left, y, x + w - pad - left, rh), self._flags(c), cell)
                x += w
            y += rh
        p.setPen(theme.pen(theme.rule, 0.6))
        p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))

    def _flags(self, c: int) -> int:
        a = self.align[c] if c < len(self.align) else ("l" if c == 0 else "r")
        h = {"l": Qt.AlignmentFlag.AlignLeft, "r": Qt.AlignmentFlag.AlignRight,
             "c": Qt.AlignmentFlag.AlignHCenter}[a]
        return int(h | Qt.AlignmentFlag.AlignVCenter)
