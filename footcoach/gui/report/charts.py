"""Vector charts of the PDF report, drawn with QPainter into a rectangle of device units:
horizontal (stacked) bars, a histogram, a trend line, event timelines and a pitch with a
heatmap and trajectories. Text is measured on the device, so labels never overlap the plot.

Series are ``(name, values, colour)`` with ``values`` a numpy array of shape (C,) for C
categories (NaN = no value). Times are session seconds, labelled ``m:ss``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen
from scipy.ndimage import gaussian_filter

from footcoach.app.review_data import format_time
from footcoach.domain.pitch import Pitch
from footcoach.gui.pitch_map import pitch_lines
from footcoach.gui.report.layout import Theme

Series = tuple[str, np.ndarray, str]
GRASS = "#3d7a47"
GRASS_LINE = "#eef5ee"
HEAT_STOPS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
LEFT, RIGHT, VCENTER = (Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignRight,
                        Qt.AlignmentFlag.AlignVCenter)
HCENTER, TOP = Qt.AlignmentFlag.AlignHCenter, Qt.AlignmentFlag.AlignTop


def nice_ticks(hi: float, n: int = 5) -> np.ndarray:
    """Round tick values from 0 to at least ``hi`` (about ``n`` intervals)."""
    if not np.isfinite(hi) or hi <= 0:
        hi = 1.0
    raw = hi / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return step * np.arange(math.ceil(hi / step - 1e-9) + 1)


def _tick_text(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


# ------------------------------------------------------------------------------ legend
def _legend_rows(theme: Theme, width: float, items: Sequence[tuple[str, str]]
                 ) -> list[list[tuple[str, str, float]]]:
    font = theme.font(7.5)
    sw, gap = theme.mm(2.6), theme.mm(4)
    rows: list[list[tuple[str, str, float]]] = [[]]
    x = 0.0
    for name, color in items:
        w = sw + theme.mm(1.2) + theme.text_width(font, name)
        if rows[-1] and x + w > width:
            rows.append([])
            x = 0.0
        rows[-1].append((name, color, w))
        x += w + gap
    return rows


def legend_height(theme: Theme, width: float, items: Sequence[tuple[str, str]]) -> float:
    line = theme.metrics(theme.font(7.5)).height() + theme.mm(0.8)
    return len(_legend_rows(theme, width, items)) * line + theme.mm(1.5)


def draw_legend(p: QPainter, theme: Theme, rect: QRectF, items: Sequence[tuple[str, str]]
                ) -> None:
    """Colour swatches and names, wrapped into rows."""
    font = theme.font(7.5)
    line = theme.metrics(font).height() + theme.mm(0.8)
    sw = theme.mm(2.6)
    p.setFont(font)
    for r, row in enumerate(_legend_rows(theme, rect.width(), items)):
        x, y = rect.left(), rect.top() + r * line
        for name, color, w in row:
            p.fillRect(QRectF(x, y + (line - sw) / 2, sw, sw), QColor(color))
            p.setPen(QColor(theme.ink))
            p.drawText(QRectF(x + sw + theme.mm(1.2), y, w, line), int(LEFT | VCENTER), name)
            x += w + theme.mm(4)


# ------------------------------------------------------------------------------ axes
def _grid_x(p: QPainter, theme: Theme, plot: QRectF, ticks: np.ndarray, labels: list[str],
            scale: float) -> None:
    """Vertical grid lines at ``ticks`` (value * scale from the plot's left) and labels."""
    font = theme.font(7)
    p.setFont(font)
    th = theme.metrics(font).height()
    for v, text in zip(ticks, labels, strict=True):
        x = plot.left() + v * scale
        p.setPen(theme.pen(theme.rule, 0.4))
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        p.setPen(QColor(theme.muted))
        w = theme.text_width(font, text) + theme.mm(1)
        p.drawText(QRectF(x - w / 2, plot.bottom() + theme.mm(0.8), w, th), int(HCENTER | TOP),
                   text)


def _axis_title(p: QPainter, theme: Theme, rect: QRectF, text: str) -> None:
    if text:
        p.setFont(theme.font(7, italic=True))
        p.setPen(QColor(theme.muted))
        p.drawText(rect, int(HCENTER | Qt.AlignmentFlag.AlignBottom), text)


def hbars(p: QPainter, theme: Theme, rect: QRectF, categories: Sequence[str],
          series: Sequence[Series], *, stacked: bool = True, percent: bool = False,
          totals: Sequence[str] | None = None, x_label: str = "") -> None:
    """Horizontal bars, one row per category: stacked segments (``stacked``) or one thin bar
    per series side by side. ``percent`` draws each row as shares of its total (0-100 %);
    ``totals`` texts are written after each row's bar (default: the row total)."""
    font = theme.font(7.5)
    fm = theme.metrics(font)
    label_w = max((fm.horizontalAdvance(c) for c in categories), default=0.0) + theme.mm(2)
    vals = np.nan_to_num(np.array([s[1] for s in series], np.float64).reshape(len(series), -1))
    row_tot = vals.sum(axis=0)
    if percent:
        vals = np.where(row_tot > 0, 100 * vals / np.where(row_tot > 0, row_tot, 1), 0)
    ends = vals.sum(axis=0) if stacked else vals.max(axis=0, initial=0.0)
    if totals is None:
        totals = [_tick_text(float(v)) for v in row_tot]
    tot_w = max((fm.horizontalAdvance(t) for t in totals), default=0.0) + theme.mm(2)
    ticks = np.array([0, 25, 50, 75, 100.0]) if percent else nice_ticks(float(ends.max(
        initial=0.0)))
    axis_h = fm.height() + theme.mm(1) + (fm.height() if x_label else 0.0)
    plot = QRectF(rect.left() + label_w, rect.top(), rect.width() - label_w - tot_w,
                  rect.height() - axis_h)
    scale = plot.width() / max(float(ticks[-1]), 1e-9)
    labels = [f"{_tick_text(t)}%" if percent else _tick_text(t) for t in ticks]
    _grid_x(p, theme, plot, ticks, labels, scale)
    n = max(len(categories), 1)
    band = plot.height() / n
    bar_h = band * 0.68
    for i, cat in enumerate(categories):
        y = plot.top() + i * band + (band - bar_h) / 2
        p.setFont(font)
        p.setPen(QColor(theme.ink))
        p.drawText(QRectF(rect.left(), plot.top() + i * band, label_w - theme.mm(2), band),
                   int(RIGHT | VCENTER), cat)
        x = plot.left()
        for k, (_, _, color) in enumerate(series):
            v = float(vals[k, i])
            if stacked:
                p.fillRect(QRectF(x, y, v * scale, bar_h), QColor(color))
                x += v * scale
            else:
                h = bar_h / len(series)
                p.fillRect(QRectF(plot.left(), y + k * h, v * scale, h * 0.9), QColor(color))
        end = plot.left() + float(ends[i]) * scale
        p.setPen(QColor(theme.muted))
        p.drawText(QRectF(end + theme.mm(1), plot.top() + i * band, tot_w, band),
                   int(LEFT | VCENTER), totals[i])
    p.setPen(theme.pen(theme.ink, 0.6))
    p.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.left(), plot.bottom()))
    _axis_title(p, theme, QRectF(plot.left(), plot.bottom(), plot.width(), axis_h), x_label)


def histogram(p: QPainter, theme: Theme, rect: QRectF, edges: np.ndarray,
              series: Sequence[Series], *, x_label: str = "", y_label: str = "") -> None:
    """Counts per bin (``edges`` (B+1,)), the series' bars side by side in each bin."""
    font = theme.font(7)
    fm = theme.metrics(font)
    top = max((float(np.max(s[1], initial=0)) for s in series), default=1.0)
    ticks = nice_ticks(top, 4)
    left = max(fm.horizontalAdvance(_tick_text(t)) for t in ticks) + theme.mm(1.5)
    left += fm.height() if y_label else 0.0
    axis_h = fm.height() * (2 if x_label else 1) + theme.mm(1)
    plot = QRectF(rect.left() + left, rect.top() + theme.mm(1), rect.width() - left,
                  rect.height() - axis_h - theme.mm(1))
    _grid_y(p, theme, plot, ticks, [_tick_text(t) for t in ticks])
    sx = plot.width() / float(edges[-1] - edges[0])
    bw = (edges[1] - edges[0]) * sx
    k = max(len(series), 1)
    for j, (_, counts, color) in enumerate(series):
        for b, c in enumerate(np.asarray(counts, np.float64)):
            if c <= 0:
                continue
            h = c / ticks[-1] * plot.height()
            x = plot.left() + (edges[b] - edges[0]) * sx + bw * 0.08 + j * bw * 0.84 / k
            p.fillRect(QRectF(x, plot.bottom() - h, bw * 0.84 / k, h), QColor(color))
    xt = edges[:: max(1, (len(edges) - 1) // 5)]
    _x_labels(p, theme, plot, [(float((v - edges[0]) * sx), _tick_text(float(v))) for v in xt])
    _axis_title(p, theme, QRectF(plot.left(), plot.bottom(), plot.width(), axis_h), x_label)
    _y_title(p, theme, QRectF(rect.left(), plot.top(), fm.height(), plot.height()), y_label)


def _grid_y(p: QPainter, theme: Theme, plot: QRectF, ticks: np.ndarray, labels: list[str]
            ) -> None:
    font = theme.font(7)
    p.setFont(font)
    th = theme.metrics(font).height()
    for v, text in zip(ticks, labels, strict=True):
        y = plot.bottom() - v / ticks[-1] * plot.height()
        p.setPen(theme.pen(theme.rule, 0.4))
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        p.setPen(QColor(theme.muted))
        p.drawText(QRectF(plot.left() - theme.mm(15), y - th / 2, theme.mm(14), th),
                   int(RIGHT | VCENTER), text)
    p.setPen(theme.pen(theme.ink, 0.6))
    p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))


def _x_labels(p: QPainter, theme: Theme, plot: QRectF, marks: Sequence[tuple[float, str]]
              ) -> None:
    font = theme.font(7)
    p.setFont(font)
    p.setPen(QColor(theme.muted))
    th = theme.metrics(font).height()
    for x, text in marks:
        w = theme.text_width(font, text) + theme.mm(1)
        cx = min(max(plot.left() + x, plot.left() + w / 2), plot.right() - w / 2)
        p.drawText(QRectF(cx - w / 2, plot.bottom() + theme.mm(0.8), w, th), int(HCENTER | TOP),
                   text)


def _y_title(p: QPainter, theme: Theme, rect: QRectF, text: str) -> None:
    if not text:
        return
    p.save()
    p.setFont(theme.font(7, italic=True))
    p.setPen(QColor(theme.muted))
    p.translate(rect.left(), rect.bottom())
    p.rotate(-90)
    p.drawText(QRectF(0, 0, rect.height(), rect.width()), int(HCENTER | TOP), text)
    p.restore()


def _time_marks(t0: float, t1: float, width: float, min_gap: float) -> list[tuple[float, str]]:
    span = max(t1 - t0, 1e-9)
    steps = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
    step = next((s for s in steps if width * s / span >= min_gap), 7200)
    first = math.ceil(t0 / step) * step
    return [((t - t0) / span * width, format_time(t, 0))
            for t in np.arange(first, t1 + 1e-9, step)]


def trend(p: QPainter, theme: Theme, rect: QRectF, edges: np.ndarray, series: Sequence[Series],
          *, y_range: tuple[float, float] = (0.0, 100.0), y_label: str = "") -> None:
    """Mean per time bin (``edges`` (M+1,) seconds) as lines with dots; NaN bins break the
    line."""
    font = theme.font(7)
    fm = theme.metrics(font)
    lo, hi = y_range
    ticks = np.linspace(lo, hi, 5)
    left = fm.horizontalAdvance(_tick_text(hi)) + theme.mm(1.5) + (fm.height() if y_label else 0)
    axis_h = fm.height() + theme.mm(1)
    plot = QRectF(rect.left() + left, rect.top() + theme.mm(1), rect.width() - left,
                  rect.height() - axis_h - theme.mm(1))
    _grid_y(p, theme, plot, ticks - lo, [_tick_text(t) for t in ticks])
    t0, t1 = float(edges[0]), float(edges[-1])
    centres = (edges[:-1] + edges[1:]) / 2
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    for _, y, color in series:
        path = QPainterPath()
        pen = theme.pen(color, 1.3)
        started = False
        pts = []
        for t, v in zip(centres, np.asarray(y, np.float64), strict=True):
            if not np.isfinite(v):
                started = False
                continue
            pt = QPointF(plot.left() + (t - t0) / (t1 - t0) * plot.width(),
                         plot.bottom() - (min(max(v, lo), hi) - lo) / (hi - lo) * plot.height())
            path.lineTo(pt) if started else path.moveTo(pt)
            started = True
            pts.append(pt)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.setBrush(QBrush(QColor(color)))
        p.setPen(Qt.PenStyle.NoPen)
        r = theme.pt(1.6)
        for pt in pts:
            p.drawEllipse(pt, r, r)
    _x_labels(p, theme, plot, _time_marks(t0, t1, plot.width(), theme.mm(14)))
    _y_title(p, theme, QRectF(rect.left(), plot.top(), fm.height(), plot.height()), y_label)


def timeline(p: QPainter, theme: Theme, rect: QRectF, lanes: Sequence[str],
             spans: Sequence[tuple[int, float, float, str]], t0: float, t1: float) -> None:
    """One lane per label; ``spans`` (lane, start s, end s, colour) drawn as bars."""
    font = theme.font(7.5)
    fm = theme.metrics(font)
    label_w = max((fm.horizontalAdvance(s) for s in lanes), default=0.0) + theme.mm(2)
    axis_h = fm.height() + theme.mm(1)
    plot = QRectF(rect.left() + label_w, rect.top(), rect.width() - label_w,
                  rect.height() - axis_h)
    band = plot.height() / max(len(lanes), 1)
    marks = _time_marks(t0, t1, plot.width(), theme.mm(14))
    for x, _ in marks:
        p.setPen(theme.pen(theme.rule, 0.4))
        p.drawLine(QPointF(plot.left() + x, plot.top()), QPointF(plot.left() + x, plot.bottom()))
    for i, name in enumerate(lanes):
        y = plot.top() + i * band
        if i % 2:
            p.fillRect(QRectF(plot.left(), y, plot.width(), band), QColor(theme.band))
        p.setFont(font)
        p.setPen(QColor(theme.ink))
        p.drawText(QRectF(rect.left(), y, label_w - theme.mm(2), band), int(RIGHT | VCENTER),
                   name)
    sx = plot.width() / max(t1 - t0, 1e-9)
    for lane, s, e, color in spans:
        x0 = plot.left() + (max(s, t0) - t0) * sx
        x1 = plot.left() + (min(e, t1) - t0) * sx
        y = plot.top() + lane * band + band * 0.15
        gap = theme.pt(0.35) if x1 - x0 > theme.pt(1.5) else 0.0  # keeps neighbours apart
        p.fillRect(QRectF(x0, y, max(x1 - x0 - gap, theme.pt(0.6)), band * 0.7), QColor(color))
    p.setPen(theme.pen(theme.ink, 0.6))
    p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
    _x_labels(p, theme, plot, marks)


# ------------------------------------------------------------------------------ pitch
def heat_image(grid: np.ndarray, upscale: int = 8) -> QImage:
    """(nx, ny) occupancy -> RGBA image (ny*upscale, nx*upscale) with y up, smoothed and
    coloured light yellow -> dark red, transparent where the player never was."""
    g = gaussian_filter(np.asarray(grid, np.float64), sigma=1.0, mode="constant")
    peak = float(g.max()) if g.size else 0.0
    v = g / peak if peak > 0 else g
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in HEAT_STOPS], float)
    pos = np.clip(v, 0, 1) * (len(stops) - 1)
    i0 = np.minimum(pos.astype(int), len(stops) - 2)
    f = (pos - i0)[..., None]
    rgb = stops[i0] * (1 - f) + stops[i0 + 1] * f
    alpha = np.clip((v - 0.04) * 2.2, 0, 0.92) * 255
    rgba = np.dstack([rgb, alpha]).astype(np.uint8)
    rgba = np.ascontiguousarray(np.flipud(np.transpose(rgba, (1, 0, 2))))
    h, w = rgba.shape[:2]
    img = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
    return img.scaled(w * upscale, h * upscale, Qt.AspectRatioMode.IgnoreAspectRatio,
                      Qt.TransformationMode.SmoothTransformation)


def pitch_rect(rect: QRectF, length_m: float, width_m: float) -> QRectF:
    """The largest rectangle of the pitch's aspect ratio centred in ``rect``."""
    scale = min(rect.width() / length_m, rect.height() / width_m)
    w, h = length_m * scale, width_m * scale
    return QRectF(rect.center().x() - w / 2, rect.center().y() - h / 2, w, h)


def pitch(p: QPainter, theme: Theme, rect: QRectF, pitch_m: tuple[float, float], *,
          grid: np.ndarray | None = None, tracks: Sequence[tuple[np.ndarray, str]] = ()
          ) -> None:
    """Top view of the pitch (x right, y up) with markings to scale, an optional occupancy
    heatmap ``grid`` (nx, ny) and trajectories ``(xy (K, 2) metres, colour)``."""
    length, width = pitch_m
    margin = theme.mm(1.5)
    inner = rect.adjusted(margin, margin, -margin, -margin)
    pr = pitch_rect(inner, length, width)
    p.fillRect(pr.adjusted(-margin, -margin, margin, margin), QColor(GRASS))
    sx = pr.width() / length

    def to_dev(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return pr.left() + x * sx, pr.bottom() - y * sx

    if grid is not None and grid.size and float(grid.max()) > 0:
        img = heat_image(grid)
        nx, ny = grid.shape
        bin_m = length / nx if nx else 1.0
        target = QRectF(pr.left(), pr.bottom() - ny * bin_m * sx, nx * bin_m * sx,
                        ny * bin_m * sx)
        p.drawImage(target, img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    lx, ly = pitch_lines(Pitch(length_m=length, width_m=width))
    p.setPen(theme.pen(GRASS_LINE, 0.7))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(_polyline(*to_dev(lx, ly)))
    for xy, color in tracks:
        c = QColor(color)
        c.setAlpha(210)
        pen = QPen(c)
        pen.setWidthF(theme.pt(0.7))
        p.setPen(pen)
        p.drawPath(_polyline(*to_dev(xy[:, 0], xy[:, 1])))


def _polyline(x: np.ndarray, y: np.ndarray) -> QPainterPath:
    """A path through the points; NaN points break it."""
    path = QPainterPath()
    pen_down = False
    for a, b in zip(x.tolist(), y.tolist(), strict=True):
        if not (math.isfinite(a) and math.isfinite(b)):
            pen_down = False
            continue
        if pen_down:
            path.lineTo(a, b)
        else:
            path.moveTo(a, b)
            pen_down = True
    return path
