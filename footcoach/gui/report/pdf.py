"""``build_report``: the PDF session report, drawn with QPdfWriter + QPainter (fonts embedded,
charts as vectors, video frames as images at about 200 dpi).

Pages are laid out from the writer's page rectangle (A4 or Letter), paginated first so the
footer can say "page X of Y", then painted. The PDF is rendered into memory and written through
:func:`footcoach.export.output.atomic_output` (no overwrite without ``force``; a cancel or an
error leaves no file; a full disk is reported clearly). Safe to call from a worker thread once
a QGuiApplication exists (no widgets are used).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPageLayout, QPageSize, QPainter, QPdfWriter

from footcoach.app.report_data import ReportData, gather_report_data
from footcoach.errors import FootcoachError
from footcoach.export.output import atomic_output, check_output, describe_os_error
from footcoach.gui.report.layout import Paginator, Placed, Theme
from footcoach.gui.report.sections import player_report, team_report

Progress = Callable[[int, int, str], None]
Cancel = Callable[[], bool]

PAGE_SIZES = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
DPI = 600
MARGIN_MM = 16.0
HEADER_MM = 9.0
FOOTER_MM = 9.0
DATA_SHARE = 800
"""Progress: gathering the data fills 0-800 of 1000, painting the pages the rest."""


@dataclass
class ReportResult:
    """What :func:`build_report` wrote: the path, page count, size in bytes, the time it
    took (seconds) and recoverable warnings."""

    path: Path
    pages: int
    size_bytes: int
    seconds: float
    warnings: list[str] = field(default_factory=list)


def build_report(folder: str | Path, out: str | Path, *, player: str | None = None,
                 page_size: str = "a4", force: bool = False, progress: Progress | None = None,
                 cancel: Cancel | None = None) -> ReportResult:
    """Write the PDF report of session ``folder`` to ``out``.

    ``player``: a player id for a one-player report (None: the whole session). ``page_size``:
    ``"a4"`` or ``"letter"``. ``progress(done, 1000, message)``; ``cancel()`` returning True
    stops with FootcoachError("cancelled") and writes nothing. Raises FootcoachError when
    ``out`` exists (without ``force``), the session has no analysis, or the player is unknown.
    """
    start = time.perf_counter()
    size_key = page_size.lower()
    if size_key not in PAGE_SIZES:
        raise FootcoachError(f"unknown page size {page_size!r} (use a4 or letter)")
    out = check_output(out, force=force)

    def data_progress(done: int, total: int, message: str) -> None:
        if progress is not None:
            progress(DATA_SHARE * done // max(total, 1), 1000, message)

    data = gather_report_data(folder, player=player, progress=data_progress, cancel=cancel)
    pdf = render_pdf(data, size_key, progress=progress, cancel=cancel)
    with atomic_output(out, force=force) as tmp:
        try:
            tmp.write_bytes(pdf.data)
        except OSError as exc:
            raise FootcoachError(f"cannot write: {describe_os_error(exc)}", out) from None
    if progress is not None:
        progress(1000, 1000, f"wrote {out.name}")
    return ReportResult(out, pdf.pages, len(pdf.data), time.perf_counter() - start,
                        list(data.warnings))


@dataclass
class RenderedPdf:
    data: bytes
    pages: int


def report_title(d: ReportData) -> str:
    s = d.summary
    who = f"player report: {d.caption(d.player)}" if d.player else "session report"
    return f"{s.name}: {who}" + (" (synthetic data)" if s.synthetic else "")


def render_pdf(d: ReportData, page_size: str = "a4", *, progress: Progress | None = None,
               cancel: Cancel | None = None) -> RenderedPdf:
    """Lay out and paint the report into memory; returns the PDF bytes and page count."""
    buf = QBuffer()
    buf.setData(QByteArray())
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setPageSize(QPageSize(PAGE_SIZES[page_size]))
    writer.setPageOrientation(QPageLayout.Orientation.Portrait)
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    writer.setResolution(DPI)
    writer.setTitle(report_title(d))
    writer.setCreator("footcoach")
    theme = Theme(writer, float(DPI))
    full = QRectF(0, 0, writer.width(), writer.height())
    content = full.adjusted(theme.mm(MARGIN_MM), theme.mm(MARGIN_MM + HEADER_MM),
                            -theme.mm(MARGIN_MM), -theme.mm(MARGIN_MM + FOOTER_MM))
    blocks = player_report(d) if d.player else team_report(d)
    pages = Paginator(theme, content.width(), content.height()).run(blocks)
    painter = QPainter()
    if not painter.begin(writer):
        raise FootcoachError("cannot start the PDF writer")
    try:
        for i, page in enumerate(pages):
            if cancel is not None and cancel():
                raise FootcoachError("cancelled", None, f"page {i + 1} of {len(pages)}")
            if i:
                writer.newPage()
            _paint_page(painter, theme, full, content, page, d, i + 1, len(pages))
            if progress is not None:
                progress(DATA_SHARE + (1000 - DATA_SHARE) * (i + 1) // len(pages), 1000,
                         f"page {i + 1} of {len(pages)}")
    finally:
        painter.end()
    buf.close()
    return RenderedPdf(bytes(buf.data().data()), len(pages))


def _paint_page(p: QPainter, theme: Theme, full: QRectF, content: QRectF, page: list[Placed],
                d: ReportData, number: int, total: int) -> None:
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    _frame(p, theme, full, d, number, total)
    for placed in page:
        r = placed.rect.translated(content.left(), content.top())
        p.save()
        placed.block.draw(p, theme, r)
        p.restore()


def _frame(p: QPainter, theme: Theme, full: QRectF, d: ReportData, number: int,
           total: int) -> None:
    """Header (report title, synthetic badge) and footer (generated, "page X of Y")."""
    s = d.summary
    m = theme.mm(MARGIN_MM)
    top = QRectF(m, m, full.width() - 2 * m, theme.mm(HEADER_MM - 3))
    font = theme.font(8)
    p.setFont(font)
    p.setPen(QColor(theme.muted))
    left = f"footcoach · {report_title(d).removesuffix(' (synthetic data)')}"
    badge = "SYNTHETIC DATA" if s.synthetic else (s.date or "")
    bf = theme.font(7.5, bold=True)
    bw = theme.text_width(bf, badge) + theme.mm(4) if badge else 0.0
    p.drawText(QRectF(top.left(), top.top(), top.width() - bw - theme.mm(3), top.height()),
               int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
               theme.metrics(font).elidedText(left, Qt.TextElideMode.ElideMiddle,
                                              top.width() - bw - theme.mm(3)))
    if badge:
        br = QRectF(top.right() - bw, top.top() + theme.mm(0.5), bw, top.height() - theme.mm(1))
        if s.synthetic:
            p.fillRect(br, QColor(theme.warn))
            p.setPen(QColor("#ffffff"))
        p.setFont(bf)
        p.drawText(br, int(Qt.AlignmentFlag.AlignCenter), badge)
    p.setPen(theme.pen(theme.rule, 0.6))
    y = top.bottom() + theme.mm(1)
    p.drawLine(QPointF(top.left(), y), QPointF(top.right(), y))
    bottom = QRectF(m, full.height() - m - theme.mm(FOOTER_MM - 3), full.width() - 2 * m,
                    theme.mm(FOOTER_MM - 3))
    p.drawLine(bottom.topLeft(), bottom.topRight())
    p.setFont(theme.font(7.5))
    p.setPen(QColor(theme.muted))
    note = f"Generated {s.generated}" + (" · synthetic data" if s.synthetic else "")
    p.drawText(bottom, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom), note)
    p.drawText(bottom, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
               f"page {number} of {total}")
