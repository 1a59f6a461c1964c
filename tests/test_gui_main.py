"""The main window end to end, offscreen: open a session folder, play, seek, step, shortcuts,
player selection, recent sessions, window layout, a screenshot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gui_fixtures import FPS, VIDEO_START_S, make_events, make_session, read_pattern
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from footcoach.gui.main_window import MainWindow
from footcoach.gui.state import AppState
from footcoach.gui.style import apply_dark_theme


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_session(tmp_path_factory.mktemp("gui-main") / "demo")


@pytest.fixture()
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "footcoach.ini"), QSettings.Format.IniFormat)


@pytest.fixture()
def window(qtbot, settings: QSettings, session_dir: Path):  # type: ignore[no-untyped-def]
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    assert win.open_session(session_dir), win.last_error
    win.set_result(make_events())
    yield win
    win.close()


def shown_index(image: QImage | None) -> int:
    assert image is not None

    def rgb_at(x: int, y: int) -> tuple[int, int, int]:
        c = image.pixelColor(x, y)
        return c.red(), c.green(), c.blue()

    return read_pattern(rgb_at)


def expected_frame(t: float) -> int:
    return int(np.floor((t - VIDEO_START_S) * FPS + 1e-9))


def test_open_session_shows_everything(window: MainWindow, session_dir: Path) -> None:
    state = window.state
    assert state.loaded is not None and state.player_ids == ["p1", "p2"]
    assert window.windowTitle() == "footcoach - gui-test"
    assert state.frame_times is not None and state.frame_times[0] == VIDEO_START_S
    assert len(state.events) == len(make_events())
    assert window.event_table.model.rowCount() == len(state.events)
    assert "2 players" in window.status.text() and "SYNTHETIC" in window.status.text()
    assert window.player_box.count() == 3
    assert window.recent_sessions()[0] == str(session_dir.resolve())


def test_play_moves_the_playhead_and_the_picture_follows(qtbot, window: MainWindow) -> None:
    state, video = window.state, window.video
    state.set_time(1.0)
    state.set_playing(True)
    qtbot.waitUntil(lambda: state.time_s > 1.6, timeout=5000)
    # while playing, the frame on screen is never ahead of the playhead and keeps up with it
    qtbot.waitUntil(lambda: 0 <= expected_frame(state.time_s) - video.displayed_index <= 3,
                    timeout=2000)
    assert shown_index(video.current_image) == video.displayed_index
    state.set_playing(False)
    stopped_at = state.time_s
    qtbot.waitUntil(lambda: video.displayed_index == expected_frame(stopped_at), timeout=3000)
    assert shown_index(video.current_image) == expected_frame(stopped_at)
    assert state.time_s == stopped_at
    # playback stops by itself at the end
    state.set_time(state.time_range[1] - 0.2)
    with qtbot.waitSignal(state.playing_changed, timeout=3000,
                          check_params_cb=lambda playing: playing is False):
        state.set_playing(True)
    assert state.time_s == state.time_range[1]


def test_seek_and_step_show_the_exact_frame(qtbot, window: MainWindow) -> None:
    state, video = window.state, window.video
    window.transport.jump.setText("0:03.1")
    window.transport.jump.returnPressed.emit()
    assert state.time_s == pytest.approx(3.1)
    qtbot.waitUntil(lambda: video.displayed_index == expected_frame(3.1), timeout=3000)
    assert shown_index(video.current_image) == expected_frame(3.1)
    window.transport.forward_button.click()
    i = expected_frame(3.1) + 1
    assert state.time_s == pytest.approx(VIDEO_START_S + i / FPS)
    qtbot.waitUntil(lambda: video.displayed_index == i, timeout=3000)
    window.transport.back_button.click()
    window.transport.back_button.click()
    qtbot.waitUntil(lambda: video.displayed_index == i - 2, timeout=3000)
    assert shown_index(video.current_image) == i - 2
    assert window.transport.time_label.text().endswith(f"#{i - 2}")
    # the slider seeks too
    slider = window.transport.slider
    slider.setValue(slider.maximum() // 2)
    assert state.time_s == pytest.approx(state.time_range[1] / 2, abs=0.01)
    window.transport.jump.setText("soon")
    window.transport.jump.returnPressed.emit()
    assert "cannot read" in window.transport.jump.toolTip()


def test_keyboard_shortcuts(qtbot, window: MainWindow) -> None:
    state = window.state
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.video.view.setFocus()
    state.set_time(2.0)
    i = state.frame_index()
    qtbot.keyClick(window, Qt.Key.Key_Period)
    assert state.frame_index() == i + 1
    qtbot.keyClick(window, Qt.Key.Key_Comma)
    qtbot.keyClick(window, Qt.Key.Key_Comma)
    assert state.frame_index() == i - 1
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert state.time_s == pytest.approx(VIDEO_START_S + (i - 1) / FPS + 1.0)
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert state.time_s == state.time_range[0]
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert state.playing
    qtbot.keyClick(window, Qt.Key.Key_K)
    assert not state.playing
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert state.playing and state.rate == 1.0
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert state.rate == 2.0 and window.transport.speed.currentText() == "2x"
    state.set_time(3.0)
    qtbot.keyClick(window, Qt.Key.Key_J)  # change direction: reverse at 1x
    assert state.playing and state.rate == -1.0
    t = state.time_s
    qtbot.waitUntil(lambda: state.time_s < t - 0.1, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not state.playing
    qtbot.keyClick(window, Qt.Key.Key_Up)
    assert state.rate == -2.0
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert not window.video.overlays_visible
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert window.video.overlays_visible


def test_selecting_a_player_updates_every_view(qtbot, window: MainWindow) -> None:
    state = window.state
    window.player_box.setCurrentIndex(window.player_box.findData("p2"))
    assert state.selected_player == "p2"
    assert "#10 Ben" in window.imu_plot.title.text()
    assert window.timeline._row_band.isVisible()
    assert window.timeline.quality_label.toPlainText() == "quality: #10 Ben"
    window.heatmap_action.setChecked(True)
    assert window.pitch_map.heatmap_player == "p2"
    # selecting an event elsewhere moves the player selector
    state.select_event("p1-3", seek=True)
    assert window.player_box.currentData() == "p1"
    assert state.time_s == 3.0
    assert "#7 Ana" in window.attention.summary.text()


def test_timeline_click_seeks_the_video(qtbot, window: MainWindow) -> None:
    tl = window.timeline
    pos = tl.scene_point(4.4, 0.0)
    qtbot.mouseClick(tl.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert window.state.time_s == pytest.approx(4.4, abs=0.05)
    assert window.state.selected_event == "p1-4"
    target = expected_frame(window.state.time_s)
    qtbot.waitUntil(lambda: window.video.displayed_index == target, timeout=3000)


def test_open_errors_are_reported(window: MainWindow, tmp_path: Path) -> None:
    assert not window.open_session(tmp_path)
    assert "no session.toml" in window.last_error and str(tmp_path) in window.last_error
    assert window.state.loaded is not None  # the open session stays


def test_layout_and_recent_sessions_survive_a_restart(qtbot, settings: QSettings,
                                                      session_dir: Path) -> None:
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    win.open_session(session_dir)
    win.resize(795, 640)  # the offscreen screen is 800x800
    size = (win.size().width(), win.size().height())
    win.docks["attention"].hide()
    win.close()
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    again.show()
    assert (again.size().width(), again.size().height()) == size
    assert not again.docks["attention"].isVisible()
    assert again.recent_sessions() == [str(session_dir.resolve())]
    again.close()


def test_close_session_clears_the_views(window: MainWindow) -> None:
    window.close_session()
    assert window.state.loaded is None and window.video.server is None
    assert window.event_table.model.rowCount() == 0
    assert window.windowTitle() == "footcoach"


def test_screenshot_at_laptop_size(qtbot, window: MainWindow, tmp_path: Path) -> None:
    app = QApplication.instance()
    apply_dark_theme(app)  # type: ignore[arg-type]
    state = window.state
    state.set_time(2.3)
    state.select_event("p1-2")
    qtbot.waitUntil(lambda: window.video.displayed_index == expected_frame(2.3), timeout=3000)
    image = window.grab().toImage()
    assert (image.width(), image.height()) == (1366, 768)
    out = Path(os.environ.get("FOOTCOACH_GUI_SHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    assert image.save(str(out / "main_window_test.png"))
    # the video, the timeline and the plots are really drawn: many distinct colours
    small = image.scaled(200, 112).convertToFormat(QImage.Format.Format_RGB888)
    colours = {small.pixel(x, y) for x in range(200) for y in range(112)}
    assert len(colours) > 200


def test_many_qt_calls_do_not_crash_python() -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None per void call and to True per
    emit and soon aborts the interpreter; the pinned PySide6 must not (and must not leak)."""
    code = ("import sys\nfrom footcoach.gui.state import AppState\n"
            "s = AppState()\nn0, t0 = sys.getrefcount(None), sys.getrefcount(True)\n"
            "for k in range(50000):\n    s.time_changed.emit(k * 0.1)\n"
            "    s.setObjectName('x')\n"
            "assert abs(sys.getrefcount(None) - n0) < 100, 'None leaks'\n"
            "assert abs(sys.getrefcount(True) - t0) < 100, 'True leaks'\nprint('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() == "ok"


def test_state_without_session_is_inert() -> None:
    state = AppState()
    state.set_playing(True)
    assert not state.playing  # nothing to play
    state.step_frames(1)
    assert state.time_s == 0.0
    assert state.frame_index() == -1
    with pytest.raises(ValueError):
        state.set_rate(0)


def test_the_analysis_warnings_about_vests_reach_the_status_bar(window: MainWindow) -> None:
    before = len(window.state.loaded.diagnostics.warnings)  # type: ignore[union-attr]
    said = "vest of p1: repeated the same reading (a stuck sensor) at 0:01.0-0:04.0 (3 s in all)"
    for _ in range(2):  # the same warning of a second analysis is not repeated
        window.set_result(make_events(), warnings=[said])
    assert len(window.state.loaded.diagnostics.warnings) == before + 1  # type: ignore[union-attr]
    assert f"{before + 1} warnings" in window.status.text()
    assert said in window.status.toolTip()


def test_the_data_warnings_dialog_lists_the_sensors_first(qtbot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QApplication

    from footcoach.gui.warnings_dialog import WarningsDialog

    loaded = window.state.loaded
    assert loaded is not None
    said = "vest of p2: repeated the same reading (a stuck sensor) at 0:01.0-0:04.0 (3 s)"
    window.set_result(make_events(), warnings=[said])
    assert "href='#warnings'" in window.status.text()
    window.status.linkActivated.emit("#warnings")  # the count in the status bar is a link
    dialog = next(w for w in QApplication.topLevelWidgets()
                  if isinstance(w, WarningsDialog) and w.isVisible())
    assert dialog.list.count() == len(loaded.diagnostics.warnings)
    assert dialog.list.item(0).text() == said
    assert "about the players' sensors (first)" in dialog.summary.text()
    dialog.copy_all()
    assert QApplication.clipboard().text().splitlines()[0] == said
    dialog.close()
    empty = WarningsDialog([])
    qtbot.addWidget(empty)
    assert empty.list.count() == 0 and not empty.copy_button.isEnabled()
    assert window.show_warnings().isVisible()
