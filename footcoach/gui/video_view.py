"""The video with per-player overlays, following the playhead.

Frames come from a :class:`~footcoach.gui.frame_server.FrameServer` (worker thread, newest
request only), decoded at about the size they are shown. For a file that is slow to seek in, a
scrubbing proxy is built in the background (:class:`~footcoach.gui.proxy.ProxyBuilder`, kept in
the session's ``analysis/proxy``); once ready, a seek shows the proxy's frame at once and the
original frame replaces it when decoded.

Each player's current action, tactic and quality are drawn at the player's feet through the
session's camera calibration (pitch metres -> image pixels); without a calibration the same
lines are shown in a side list.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QPainter,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from footcoach.app.proxy import find_proxy
from footcoach.app.review_data import event_caption, player_caption, position_at
from footcoach.domain.calibration import CameraCalibration
from footcoach.errors import FootcoachError
from footcoach.gui.frame_server import FrameServer
from footcoach.gui.overlay_items import PlayerLabelItem, spread_labels
from footcoach.gui.proxy import ProxyBuilder
from footcoach.gui.state import AppState
from footcoach.gui.style import ACTION_COLORS, qcolor, team_colors


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
        self.resized.emit()


class VideoView(QWidget):
    """The session video at the playhead, with toggleable player overlays.

    Use :meth:`open_video` (returns the session-clock frame times to hand to
    :meth:`AppState.set_session`) and :meth:`close_video`.

    ``proxy_policy``: ``"auto"`` builds and uses a scrubbing proxy for videos that are slow to
    seek in (:attr:`FrameServer.needs_proxy`), ``"always"`` for every video, ``"off"`` never.

    Signals:
        frame_displayed(int): a frame was put on screen (its index; also for proxy previews).
        error(str): a frame could not be decoded.
        proxy_progress(int, int): building the proxy: frames done, frame count.
        proxy_ready(str): the proxy is in use (its path).
        proxy_failed(str): the proxy could not be built (seeking uses the original).
    """

    frame_displayed = Signal(int)
    error = Signal(str)
    proxy_progress = Signal(int, int)
    proxy_ready = Signal(str)
    proxy_failed = Signal(str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.server: FrameServer | None = None
        self.builder: ProxyBuilder | None = None
        self.proxy_policy = "auto"
        self.displayed_index = -1
        self.current_image: QImage | None = None
        self.showing_preview = False
        """True while the frame on screen comes from the proxy (the original is on its way)."""
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
        self.view.resized.connect(self._tell_view_size)
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
    def open_video(self, path: str | Path, start_s: float = 0.0,
                   proxy_dir: str | Path | None = None) -> np.ndarray:
        """Open ``path`` (its first frame at ``start_s`` on the session clock); returns the (F,)
        session-clock time of each frame. Raises FootcoachError when it cannot be read.

        ``proxy_dir`` (a session's ``analysis/proxy``): where the scrubbing proxy is found, or
        built in the background when missing (see :attr:`proxy_policy`); None: no proxy."""
        self.close_video()
        server = FrameServer(path)
        server.frame_ready.connect(self._on_frame)
        server.preview_ready.connect(self._on_preview)
        server.failed.connect(self._on_failed)  # bound methods run in the GUI thread
        self.server = server
        self._video_start_s = float(start_s)
        self.scene.setSceneRect(QRectF(0, 0, server.width, server.height))
        self._pixmap.setPixmap(QPixmap())
        self.view.fit()
        self._tell_view_size()
        if proxy_dir is not None:
            self._start_proxy(Path(path), Path(proxy_dir))
        return server.frame_times + self._video_start_s

    def frame_times_from(self, start_s: float) -> np.ndarray | None:
        """(F,) session-clock frame times when the video's first frame is put at ``start_s``
        (for a sync preview; None without a video)."""
        if self.server is None:
            return None
        self._video_start_s = float(start_s)
        return self.server.frame_times + self._video_start_s

    def _start_proxy(self, path: Path, folder: Path) -> None:
        server = self.server
        if server is None or self.proxy_policy == "off":
            return
        if self.proxy_policy == "auto" and not server.needs_proxy:
            return
        ready = find_proxy(path, folder)
        if ready is not None:
            self._use_proxy(str(ready))
            return
        builder = ProxyBuilder(path, folder)
        builder.progress.connect(self.proxy_progress)
        builder.built.connect(self._use_proxy)
        builder.failed.connect(self.proxy_failed)
        self.builder = builder
        builder.start()

    def _use_proxy(self, path: str) -> None:
        if self.server is None:
            return
        try:
            self.server.set_proxy(path)
        except FootcoachError as exc:
            self.proxy_failed.emit(str(exc))
            return
        self.proxy_ready.emit(path)

    def _tell_view_size(self) -> None:
        """Decode at about the size shown; a frame on screen that is now too small for the
        view is decoded again."""
        server = self.server
        if server is None:
            return
        ratio = self.view.devicePixelRatioF()
        vp = self.view.viewport().size()
        server.set_view_size(vp.width() * ratio, vp.height() * ratio)
        image = self.current_image
        if image is not None and self._requested >= 0 and not self.state.playing \
                and image.width() < server.display_size[0]:
            server.request(self._requested)

    def close_video(self) -> None:
        if self.builder is not None:
            self.builder.cancel()
            self.builder.wait(10_000)  # polls the flag per frame; never destroy it running
            self.builder.deleteLater()
            self.builder = None
        if self.server is not None:
            self.server.frame_ready.disconnect(self._on_frame)
            self.server.preview_ready.disconnect(self._on_preview)
            self.server.failed.disconnect(self._on_failed)
            self.server.stop()
            self.server.deleteLater()
            self.server = None
        self._requested = -1
        self.displayed_index = -1
        self.showing_preview = False
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
                self.showing_preview = False
                self._pixmap.setPixmap(QPixmap())
                self._show_message("No video at this time")
            elif index != self._requested:
                self._requested = index
                self.server.request(index)
        self._update_overlays()

    def _on_frame(self, index: int, image: QImage) -> None:
        self._show(index, image, preview=False)

    def _on_preview(self, index: int, image: QImage) -> None:
        self._show(index, image, preview=True)

    def _show(self, index: int, image: QImage, preview: bool) -> None:
        if self._requested < 0 or self.server is None:  # the playhead left the video meanwhile
            return
        self.current_image = image
        self.displayed_index = index
        self.showing_preview = preview
        self._pixmap.setPixmap(QPixmap.fromImage(image))
        self._pixmap.setScale(self.server.width / max(image.width(), 1))
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
