"""The video with per-player overlays, following the playhead.

Frames come from a :class:`~footcoach.gui.frame_server.FrameServer` (worker thread, newest
request only). Each player's current action, tactic and quality are drawn at the player's feet
through the session's camera calibration (pitch metres -> image pixels); without a calibration
the same lines are shown in a side list.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.events import Event
from footcoach.gui.data import event_caption, player_caption, position_at
from footcoach.gui.frame_server import FrameServer
from footcoach.gui.state import AppState
from footcoach.gui.style import ACTION_COLORS, qcolor, team_colors


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


class _FrameView(QGraphicsView):
    """Shows the scene scaled to fit, keeping the aspect ratio."""

    resized = Signal()

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setBackgroundBrush(QBrush(QColor("#000000")))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def fit(self) -> None:
        rect = self.sceneRect()
        if rect.width() > 0 and rect.height() > 0:
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()


class VideoView(QWidget):
    """The session video at the playhead, with toggleable player overlays.

    Use :meth:`open_video` (returns the session-clock frame times to hand to
    :meth:`AppState.set_session`) and :meth:`close_video`.

    Signals:
        frame_displayed(int): a frame was put on screen (its index).
        error(str): a frame could not be decoded.
    """

    frame_displayed = Signal(int)
    error = Signal(str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.server: FrameServer | None = None
        self.displayed_index = -1
        self.current_image: QImage | None = None
        self._video_start_s = 0.0
        self._requested = -1
        self._overlays = True
        self._labels: dict[str, PlayerLabelItem] = {}

        self.scene = QGraphicsScene(self)
        self._pixmap = QGraphicsPixmapItem()
        self._pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene.addItem(self._pixmap)
        self._message = QGraphicsSimpleTextItem()
        self._message.setBrush(QBrush(QColor("#a0a0a0")))
        self._message.setZValue(20)
        self.scene.addItem(self._message)
        self.view = _FrameView(self.scene, self)
        self.view.resized.connect(self._spread_labels)
        self.side_list = QListWidget(self)
        self.side_list.setFixedWidth(220)
        self.side_list.setWordWrap(True)
        self.side_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.side_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.side_list.setToolTip("Players (the video has no camera calibration, so labels "
                                  "cannot be placed on the players)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.side_list)
        self.side_list.hide()
        self._show_message("No session")

        state.session_changed.connect(self._rebuild_overlays)
        state.result_changed.connect(self._refresh)
        state.player_selected.connect(lambda _pid: self._update_overlays())
        state.time_changed.connect(self._on_time)

    # ------------------------------------------------------------------ video
    def open_video(self, path: str | Path, start_s: float = 0.0) -> np.ndarray:
        """Open ``path`` (its first frame at ``start_s`` on the session clock); returns the (F,)
        session-clock time of each frame. Raises FootcoachError when it cannot be read."""
        self.close_video()
        server = FrameServer(path)
        server.frame_ready.connect(self._on_frame)
        server.failed.connect(self._on_failed)  # bound methods run in the GUI thread
        self.server = server
        self._video_start_s = float(start_s)
        self.scene.setSceneRect(QRectF(0, 0, server.width, server.height))
        self._pixmap.setPixmap(QPixmap())
        self._pixmap.setScale(server.width / server.display_size[0])
        self.view.fit()
        return server.frame_times + self._video_start_s

    def close_video(self) -> None:
        if self.server is not None:
            self.server.frame_ready.disconnect(self._on_frame)
            self.server.failed.disconnect(self._on_failed)
            self.server.stop()
            self.server.deleteLater()
            self.server = None
        self._requested = -1
        self.displayed_index = -1
        self.current_image = None
        self._pixmap.setPixmap(QPixmap())
        self.scene.setSceneRect(QRectF(0, 0, 640, 360))
        self._show_message("No video")

    def _on_time(self, t: float) -> None:
        self._refresh()

    def _refresh(self) -> None:
        if self.server is not None:
            index = self.state.frame_index()
            if index < 0:
                self._requested = -1
                self.displayed_index = -1
                self._pixmap.setPixmap(QPixmap())
                self._show_message("No video at this time")
            elif index != self._requested:
                self._requested = index
                self.server.request(index)
        self._update_overlays()

    def _on_frame(self, index: int, image: QImage) -> None:
        if self._requested < 0:  # the playhead left the video meanwhile
            return
        self.current_image = image
        self.displayed_index = index
        self._pixmap.setPixmap(QPixmap.fromImage(image))
        self._show_message("")
        self.frame_displayed.emit(index)

    def _on_failed(self, index: int, message: str) -> None:
        self.error.emit(message)

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        rect = self.scene.sceneRect()
        font = self._message.font()
        font.setPointSizeF(max(rect.height() / 24, 8))
        self._message.setFont(font)
        br = self._message.boundingRect()
        self._message.setPos(rect.center().x() - br.width() / 2, rect.center().y() - br.height())

    # ------------------------------------------------------------------ overlays
    @property
    def overlays_visible(self) -> bool:
        return self._overlays

    def set_overlays_visible(self, visible: bool) -> None:
        self._overlays = bool(visible)
        self._update_overlays()

    @property
    def calibration(self) -> CameraCalibration | None:
        loaded = self.state.loaded
        return loaded.session.calibration if loaded is not None else None

    def _rebuild_overlays(self) -> None:
        for item in self._labels.values():
            self.scene.removeItem(item)
        self._labels.clear()
        self.side_list.clear()
        loaded = self.state.loaded
        if loaded is None:
            return
        colors = team_colors(loaded.session.players)
        for player in loaded.session.players:
            short = f"#{player.number}" if player.number is not None else player.id
            item = PlayerLabelItem(player_caption(player), short, colors[player.id])
            item.hide()
            self.scene.addItem(item)
            self._labels[player.id] = item
            list_item = QListWidgetItem(player_caption(player))
            list_item.setData(Qt.ItemDataRole.UserRole, player.id)
            self.side_list.addItem(list_item)
        self._update_overlays()

    def _update_overlays(self) -> None:
        loaded = self.state.loaded
        calibration = self.calibration
        on_video = self._overlays and calibration is not None and self.server is not None
        self.side_list.setVisible(self._overlays and loaded is not None and not on_video)
        if loaded is None:
            return
        t = self.state.time_s
        players = loaded.session.players
        xy = np.full((len(players), 2), np.nan)
        if on_video:
            for i, p in enumerate(players):
                gps = loaded.gps.get(p.id)
                if gps is not None and gps.has("x", "y"):
                    xy[i] = position_at(gps, t)
            assert calibration is not None
            uv = calibration.pitch_to_image(xy)
            sx = self.scene.sceneRect().width() / max(calibration.image_size[0], 1)
            sy = self.scene.sceneRect().height() / max(calibration.image_size[1], 1)
        for i, p in enumerate(players):
            event = self.state.event_index.event_at(p.id, t)
            detail = event_caption(event)
            color = qcolor(ACTION_COLORS[event.action]) if event else QColor("#bbbbbb")
            selected = p.id == self.state.selected_player
            item = self._labels[p.id]
            item.set_content(event, color, selected)
            visible = on_video and bool(np.all(np.isfinite(uv[i])))
            if visible:
                item.setPos(float(uv[i, 0]) * sx, float(uv[i, 1]) * sy)
                visible = self.scene.sceneRect().contains(item.pos())
            item.setVisible(visible)
            list_item = self.side_list.item(i)
            text = f"{player_caption(p)}\n  {detail}" if detail else player_caption(p)
            if list_item is not None and (list_item.text(), list_item.font().bold()) != (
                    text, selected):
                list_item.setText(text)
                font = list_item.font()
                font.setBold(selected)
                list_item.setFont(font)
        if on_video:
            self._spread_labels()

    def _spread_labels(self) -> None:
        """Lift label boxes so they do not cover each other (screen pixels; the selected
        player's label keeps its place, the others are placed from the bottom of the frame)."""
        items = [(pid, it) for pid, it in self._labels.items() if it.isVisible()]
        if not items:
            return
        selected = self.state.selected_player
        anchors = {pid: self.view.mapFromScene(it.pos()) for pid, it in items}
        items.sort(key=lambda e: (e[0] != selected, -anchors[e[0]].y()))
        lifts = spread_labels([(anchors[pid].x(), anchors[pid].y()) for pid, _ in items],
                              [it.box_size() for _, it in items])
        for (_, item), lift in zip(items, lifts, strict=True):
            item.set_lift(lift)

    def label_text(self, player_id: str) -> str:
        """The overlay text currently shown for a player (for tests and accessibility)."""
        return self._labels[player_id].text

    def label_visible(self, player_id: str) -> bool:
        return self._labels[player_id].isVisible()
