"""Camera calibration dialog: click 4 or more pitch landmarks on a video frame to set the
pitch -> image homography.

Each click on the frame adds a numbered point (drag it to adjust); in the table the coach says
which landmark it is (:func:`footcoach.gui.landmarks.pitch_landmarks`) or types its pitch x / y.
With 4 or more assigned points the homography is fitted
(:meth:`CameraCalibration.from_correspondences`); the dialog shows each point's reprojection
error and draws the pitch markings through the new homography over the frame. The previous
calibration, when there is one, is drawn dashed for comparison.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QMouseEvent,
    QPainterPath,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.pitch import Pitch
from footcoach.gui.landmarks import (
    Landmark,
    pitch_landmarks,
    projected_lines,
    reprojection_errors,
    three_collinear,
)

CUSTOM = "type x, y"
COLS = ("#", "image u, v", "landmark", "x (m)", "y (m)", "error (px)")
GOOD_PX = 3.0
"""Reprojection errors above this many pixels are flagged."""
SUGGEST_PX = 30.0
"""A new point gets the landmark projected within this many pixels (by the current fit)."""


class PointItem(QGraphicsEllipseItem):
    """A draggable marker (screen-sized) with its number; reports moves to the dialog."""

    RADIUS = 6.0

    def __init__(self, number: int, dialog: CalibrationDialog) -> None:
        r = self.RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r)
        self._dialog = dialog
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setPen(QPen(QColor("#000000"), 1.5))
        self.setBrush(QBrush(QColor("#ffd92f")))
        self.setZValue(10)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.text = QGraphicsSimpleTextItem(str(number), self)
        self.text.setBrush(QBrush(QColor("#ffd92f")))
        self.text.setPos(r + 1, -2 * r - 2)

    def set_number(self, number: int) -> None:
        self.text.setText(str(number))

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self._dialog._point_moved(self)
        return super().itemChange(change, value)


class _FrameView(QGraphicsView):
    """The frame, scaled to fit; a left click on empty frame adds a point."""

    clicked = Signal(QPointF)

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setBackgroundBrush(QBrush(QColor("#000000")))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMinimumSize(480, 270)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        item = self.itemAt(event.position().toPoint())
        on_point = isinstance(item, (PointItem, QGraphicsSimpleTextItem))
        if event.button() == Qt.MouseButton.LeftButton and not on_point:
            pos = self.mapToScene(event.position().toPoint())
            if self.sceneRect().contains(pos):
                self.clicked.emit(pos)
                event.accept()
                return
        super().mousePressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)


class CalibrationDialog(QDialog):
    """Fits a :class:`CameraCalibration` from clicked landmarks on ``frame``.

    ``frame`` is a video frame (any size: clicks are mapped to pixels of the video, which is
    ``image_size`` = (width, height)); ``current`` is the session's calibration, drawn dashed.
    After ``accept()``, :attr:`calibration` holds the fit.

    Signals:
        fitted(): the fit changed (:attr:`calibration` may be None: fewer than 4 points, or
            degenerate ones).
    """

    fitted = Signal()

    def __init__(self, frame: QImage, image_size: tuple[int, int], pitch: Pitch,
                 current: CameraCalibration | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Camera calibration")
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.pitch = pitch
        self.current = current
        self.landmarks: list[Landmark] = pitch_landmarks(pitch)
        self.calibration: CameraCalibration | None = None
        self.errors = np.empty(0)
        self.points: list[PointItem] = []

        self.scene = QGraphicsScene(self)
        self.scene.setSceneRect(QRectF(0, 0, *self.image_size))
        pixmap = QGraphicsPixmapItem(QPixmap.fromImage(frame))
        pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        pixmap.setScale(self.image_size[0] / max(frame.width(), 1))
        self.scene.addItem(pixmap)
        self.old_lines = self._lines_item(QColor(120, 200, 255, 200), dashed=True)
        self.new_lines = self._lines_item(QColor(255, 255, 255, 230), dashed=False)
        if current is not None:
            self.old_lines.setPath(self._path(projected_lines(pitch, current)))
        self.view = _FrameView(self.scene, self)
        self.view.clicked.connect(self.add_point)

        self.table = QTableWidget(0, len(COLS), self)
        self.table.setHorizontalHeaderLabels(COLS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        remove = QPushButton("Remove point", self)
        remove.clicked.connect(self.remove_selected)
        clear = QPushButton("Clear", self)
        clear.clicked.connect(self.clear_points)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        side = QWidget(self)
        box = QVBoxLayout(side)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(QLabel("Click a pitch landmark on the frame, then say which one it is. "
                             "4 points or more, spread over the pitch.", side))
        box.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(remove)
        row.addWidget(clear)
        row.addStretch(1)
        box.addLayout(row)
        box.addWidget(self.summary)
        split = QSplitter(self)
        split.addWidget(self.view)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.buttons)
        self.resize(1200, 620)
        self._refit()

    # ------------------------------------------------------------------ drawing helpers
    def _lines_item(self, color: QColor, dashed: bool) -> QGraphicsPathItem:
        item = QGraphicsPathItem()
        pen = QPen(color, 1.6)
        pen.setCosmetic(True)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        item.setPen(pen)
        item.setZValue(5)
        self.scene.addItem(item)
        return item

    def _path(self, uv: np.ndarray) -> QPainterPath:
        """A path through ``uv`` (N, 2) pixels, broken at NaN rows and far outside the frame."""
        path = QPainterPath()
        w, h = self.image_size
        far = 4.0 * max(w, h)
        pen_down = False
        for u, v in uv:
            ok = np.isfinite(u) and np.isfinite(v) and -far < u < w + far and -far < v < h + far
            if not ok:
                pen_down = False
            elif pen_down:
                path.lineTo(float(u), float(v))
            else:
                path.moveTo(float(u), float(v))
                pen_down = True
        return path

    # ------------------------------------------------------------------ points
    def add_point(self, pos: QPointF) -> int:
        """Add a point at ``pos`` (video pixels); returns its row. When a fit (or the session's
        calibration) puts an unused landmark within :data:`SUGGEST_PX`, it is preselected."""
        item = PointItem(len(self.points) + 1, self)
        self.scene.addItem(item)
        self.points.append(item)
        row = self.table.rowCount()
        self.table.insertRow(row)
        combo = QComboBox(self.table)
        combo.addItem("- choose -", None)
        for i, mark in enumerate(self.landmarks):
            combo.addItem(mark.label, i)
        combo.addItem(CUSTOM, -1)
        self.table.setCellWidget(row, 2, combo)
        spins = []
        for col in (3, 4):
            spin = QDoubleSpinBox(self.table)
            spin.setRange(-500.0, 500.0)
            spin.setDecimals(2)
            spin.setEnabled(False)
            spin.valueChanged.connect(lambda _v: self._refit())
            self.table.setCellWidget(row, col, spin)
            spins.append(spin)
        combo.currentIndexChanged.connect(lambda _i, c=combo: self._landmark_chosen(c))
        item.setPos(pos)  # fills the u, v cell through _point_moved
        suggestion = self._suggest(pos)
        if suggestion is not None:
            combo.setCurrentIndex(combo.findData(suggestion))
        self._refit()
        return row

    def _suggest(self, pos: QPointF) -> int | None:
        calibration = self.calibration or self.current
        if calibration is None:
            return None
        used = {self.assigned_landmark(r) for r in range(len(self.points) - 1)}
        uv = calibration.pitch_to_image(np.array([[m.x, m.y] for m in self.landmarks]))
        d = np.hypot(uv[:, 0] - pos.x(), uv[:, 1] - pos.y())
        d[[i for i in used if i is not None and i >= 0]] = np.inf
        d[~np.isfinite(d)] = np.inf
        best = int(np.argmin(d))
        return best if d[best] <= SUGGEST_PX else None

    def set_landmark(self, row: int, landmark: int | str) -> None:
        """Assign a landmark to the point in ``row``: an index into :attr:`landmarks` or a
        name; the same as choosing it in the table."""
        if isinstance(landmark, str):
            landmark = [m.name for m in self.landmarks].index(landmark)
        combo = self._combo(row)
        combo.setCurrentIndex(combo.findData(landmark))

    def set_pitch_xy(self, row: int, x: float, y: float) -> None:
        """Type pitch coordinates (metres) for the point in ``row``."""
        combo = self._combo(row)
        combo.setCurrentIndex(combo.findData(-1))
        sx, sy = self._spins(row)
        sx.setValue(x)
        sy.setValue(y)

    def assigned_landmark(self, row: int) -> int | None:
        """Index of the landmark of ``row``; -1 for typed coordinates; None when unassigned."""
        data = self._combo(row).currentData()
        return None if data is None else int(data)

    def _combo(self, row: int) -> QComboBox:
        widget = self.table.cellWidget(row, 2)
        assert isinstance(widget, QComboBox)
        return widget

    def _spins(self, row: int) -> tuple[QDoubleSpinBox, QDoubleSpinBox]:
        a, b = self.table.cellWidget(row, 3), self.table.cellWidget(row, 4)
        assert isinstance(a, QDoubleSpinBox) and isinstance(b, QDoubleSpinBox)
        return a, b

    def _landmark_chosen(self, combo: QComboBox) -> None:
        row = next(r for r in range(self.table.rowCount()) if self._combo(r) is combo)
        data = combo.currentData()
        sx, sy = self._spins(row)
        custom = data is not None and int(data) == -1
        for spin in (sx, sy):
            spin.setEnabled(custom)
        if data is not None and int(data) >= 0:
            mark = self.landmarks[int(data)]
            for spin, value in ((sx, mark.x), (sy, mark.y)):
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        self._refit()

    def _point_moved(self, item: PointItem) -> None:
        if item not in self.points:
            return
        row = self.points.index(item)
        pos = item.pos()
        self.table.setItem(row, 1, QTableWidgetItem(f"{pos.x():.1f}, {pos.y():.1f}"))
        self.table.setItem(row, 0, QTableWidgetItem(str(row + 1)))
        self._refit()

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()},
                      reverse=True)
        for row in rows:
            self.remove_point(row)

    def remove_point(self, row: int) -> None:
        item = self.points.pop(row)
        self.scene.removeItem(item)
        self.table.removeRow(row)
        for i, p in enumerate(self.points):
            p.set_number(i + 1)
            self.table.setItem(i, 0, QTableWidgetItem(str(i + 1)))
        self._refit()

    def clear_points(self) -> None:
        while self.points:
            self.remove_point(len(self.points) - 1)

    # ------------------------------------------------------------------ fitting
    def correspondences(self) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """``(pitch_xy (K, 2), image_uv (K, 2), rows)`` of the assigned points."""
        xy, uv, rows = [], [], []
        for row, item in enumerate(self.points):
            if self.assigned_landmark(row) is None:
                continue
            sx, sy = self._spins(row)
            xy.append((sx.value(), sy.value()))
            uv.append((item.pos().x(), item.pos().y()))
            rows.append(row)
        return np.array(xy, dtype=float).reshape(-1, 2), np.array(uv).reshape(-1, 2), rows

    def _refit(self) -> None:
        if not hasattr(self, "summary"):
            return
        xy, uv, rows = self.correspondences()
        self.calibration = None
        self.errors = np.full(len(self.points), np.nan)
        message = ""
        if len(rows) == 4 and (three_collinear(xy) or three_collinear(uv)):
            message = ("Cannot fit: three of the four points lie on one line; add a point "
                       "off that line.")
        elif len(rows) >= 4:
            try:
                fit = CameraCalibration.from_correspondences(xy, uv, self.image_size)
            except ValueError as exc:
                fit, message = None, f"Cannot fit: {exc}."
            if fit is not None and not np.all(np.isfinite(fit.pitch_to_image(xy))):
                fit, message = None, ("Cannot fit: the points contradict each other (some "
                                      "would lie behind the camera); check their landmarks.")
            self.calibration = fit
        if self.calibration is not None:
            self.errors[rows] = reprojection_errors(self.calibration, xy, uv)
            self.new_lines.setPath(self._path(projected_lines(self.pitch, self.calibration)))
            e = self.errors[rows]
            rms = float(np.sqrt(np.mean(e ** 2)))
            message = (f"{len(rows)} points: reprojection error RMS {rms:.2f} px, "
                       f"worst {np.max(e):.2f} px (point {rows[int(np.argmax(e))] + 1}).")
            if len(rows) == 4:
                message += " 4 points fit exactly: add more to check the calibration."
        else:
            self.new_lines.setPath(QPainterPath())
            if not message:
                message = f"{len(rows)} of 4 points assigned; the pitch lines appear at 4."
        self._show_errors()
        self.summary.setText(message)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(
            self.calibration is not None)
        self.fitted.emit()

    def _show_errors(self) -> None:
        for row, err in enumerate(self.errors):
            cell = QTableWidgetItem("" if not np.isfinite(err) else f"{err:.2f}")
            if np.isfinite(err) and err > GOOD_PX:
                cell.setForeground(QBrush(QColor("#ff7070")))
            self.table.setItem(row, 5, cell)
