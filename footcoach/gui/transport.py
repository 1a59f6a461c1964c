"""Playback controls: play/pause, frame step, speed, jump to time, time slider, shortcuts.

:class:`PlaybackClock` advances :attr:`AppState.time_s` from a QTimer by the wall-clock time
elapsed times the rate, so playback keeps real time whatever the decoder manages (the frame
server drops frames it cannot deliver in time).

Keyboard (window-wide through :meth:`Transport.actions`): Space play/pause, comma/period one
frame back/forward, Left/Right 1 s, Shift+Left/Right 10 s, J/K/L reverse-faster/pause/
forward-faster, Up/Down speed up/down, Home/End start/end.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from footcoach.app.review_data import format_time, parse_time
from footcoach.gui.state import SPEEDS, AppState

TICK_MS = 15
"""Playback timer interval (about 66 updates per second)."""
SLIDER_STEPS_PER_S = 100
"""The time slider's resolution (10 ms)."""


class PlaybackClock(QObject):
    """Moves the playhead while :attr:`AppState.playing`; stops at either end."""

    def __init__(self, state: AppState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._elapsed = QElapsedTimer()
        state.playing_changed.connect(self._on_playing)

    def _on_playing(self, playing: bool) -> None:
        if playing:
            lo, hi = self.state.time_range
            t = self.state.time_s
            if (self.state.rate > 0 and t >= hi) or (self.state.rate < 0 and t <= lo):
                self.state.set_time(lo if self.state.rate > 0 else hi)  # replay from the end
            self._elapsed.start()
            self._timer.start()
        else:
            self._timer.stop()

    def _tick(self) -> None:
        dt = self._elapsed.restart() / 1000.0
        state = self.state
        lo, hi = state.time_range
        t = state.time_s + dt * state.rate
        state.set_time(t)
        if t >= hi or t <= lo:
            state.set_playing(False)


class Transport(QWidget):
    """The control bar under the video. Owns the :class:`PlaybackClock`."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.clock = PlaybackClock(state, self)
        style = self.style()
        self.play_button = QToolButton(self)
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(state.toggle_playing)
        self.back_button = QToolButton(self)
        self.back_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward))
        self.back_button.setToolTip("One frame back (,)")
        self.back_button.clicked.connect(lambda: self._step(-1))
        self.forward_button = QToolButton(self)
        self.forward_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.forward_button.setToolTip("One frame forward (.)")
        self.forward_button.clicked.connect(lambda: self._step(1))
        self.speed = QComboBox(self)
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}x", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setToolTip("Playback speed (Up / Down)")
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed.currentIndexChanged.connect(self._speed_chosen)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self._slider_moved)
        self.time_label = QLabel(self)
        self.time_label.setMinimumWidth(150)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.jump = QLineEdit(self)
        self.jump.setPlaceholderText("go to m:ss")
        self.jump.setMaximumWidth(90)
        self.jump.setToolTip("Jump to a time: seconds, m:ss or h:mm:ss, then Enter")
        self.jump.returnPressed.connect(self._jump)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for w in (self.back_button, self.play_button, self.forward_button, self.speed):
            layout.addWidget(w)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.time_label)
        layout.addWidget(self.jump)
        self._actions = self._make_actions()
        self.addActions(self._actions)

        state.session_changed.connect(self._on_session)
        state.time_changed.connect(self._on_time)
        state.playing_changed.connect(self._on_playing)
        state.rate_changed.connect(self._on_rate)
        self._on_session()

    # ------------------------------------------------------------------ actions
    def _make_actions(self) -> list[QAction]:
        s = self.state
        spec = [
            ("Play / pause", "Space", s.toggle_playing),
            ("Frame back", ",", lambda: self._step(-1)),
            ("Frame forward", ".", lambda: self._step(1)),
            ("Back 1 s", "Left", lambda: self._seek_by(-1.0)),
            ("Forward 1 s", "Right", lambda: self._seek_by(1.0)),
            ("Back 10 s", "Shift+Left", lambda: self._seek_by(-10.0)),
            ("Forward 10 s", "Shift+Right", lambda: self._seek_by(10.0)),
            ("Play backwards (faster)", "J", lambda: self.shuttle(-1)),
            ("Pause", "K", lambda: s.set_playing(False)),
            ("Play forwards (faster)", "L", lambda: self.shuttle(1)),
            ("Faster", "Up", lambda: self.change_speed(1)),
            ("Slower", "Down", lambda: self.change_speed(-1)),
            ("Go to start", "Home", lambda: s.set_time(s.time_range[0])),
            ("Go to end", "End", lambda: s.set_time(s.time_range[1])),
        ]
        actions = []
        for text, key, slot in spec:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            actions.append(action)
        return actions

    def actions(self) -> list[QAction]:
        """The playback actions with their shortcuts (for a "Playback" menu)."""
        return list(self._actions)

    def _step(self, n: int) -> None:
        self.state.set_playing(False)
        self.state.step_frames(n)

    def _seek_by(self, seconds: float) -> None:
        self.state.set_time(self.state.time_s + seconds)

    def shuttle(self, direction: int) -> None:
        """J/L: start playing in ``direction`` at 1x, or double the speed if already playing
        that way (up to the fastest speed)."""
        s = self.state
        if s.playing and (s.rate > 0) == (direction > 0):
            i = min(SPEEDS.index(abs(s.rate)) + 1 if abs(s.rate) in SPEEDS else 2,
                    len(SPEEDS) - 1)
            s.set_rate(direction * SPEEDS[i])
        else:
            s.set_rate(direction * 1.0)
            s.set_playing(True)

    def change_speed(self, steps: int) -> None:
        i = self.speed.currentIndex() + steps
        self.speed.setCurrentIndex(min(max(i, 0), len(SPEEDS) - 1))

    def _speed_chosen(self, index: int) -> None:
        magnitude = SPEEDS[index]
        self.state.set_rate(magnitude if self.state.rate > 0 else -magnitude)

    # ------------------------------------------------------------------ state -> widgets
    def _on_session(self) -> None:
        lo, hi = self.state.time_range
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(round((hi - lo) * SLIDER_STEPS_PER_S), 0))
        self.slider.setPageStep(10 * SLIDER_STEPS_PER_S)
        self.slider.setSingleStep(SLIDER_STEPS_PER_S // 10)
        self.slider.blockSignals(False)
        enabled = hi > lo
        for w in (self.play_button, self.back_button, self.forward_button, self.slider,
                  self.jump):
            w.setEnabled(enabled)
        self._on_time(self.state.time_s)

    def _on_time(self, t: float) -> None:
        lo, hi = self.state.time_range
        self.slider.blockSignals(True)
        self.slider.setValue(round((t - lo) * SLIDER_STEPS_PER_S))
        self.slider.blockSignals(False)
        frame = self.state.frame_index(t)
        text = f"{format_time(t)} / {format_time(hi)}"
        if frame >= 0:
            text += f"  #{frame}"
        self.time_label.setText(text)

    def _on_playing(self, playing: bool) -> None:
        pixmap = QStyle.StandardPixmap
        icon = pixmap.SP_MediaPause if playing else pixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _on_rate(self, rate: float) -> None:
        if abs(rate) in SPEEDS:
            self.speed.blockSignals(True)
            self.speed.setCurrentIndex(SPEEDS.index(abs(rate)))
            self.speed.blockSignals(False)
        self.speed.setToolTip(f"Playback speed ({'reverse' if rate < 0 else 'forward'})")

    # ------------------------------------------------------------------ widgets -> state
    def _slider_moved(self, value: int) -> None:
        self.state.set_time(self.state.time_range[0] + value / SLIDER_STEPS_PER_S)

    def _jump(self) -> None:
        try:
            t = parse_time(self.jump.text())
        except ValueError as exc:
            self.jump.setStyleSheet("border: 1px solid #e04040;")
            self.jump.setToolTip(str(exc))
            return
        self.jump.setStyleSheet("")
        self.jump.setToolTip("Jump to a time: seconds, m:ss or h:mm:ss, then Enter")
        self.state.set_time(t)
