"""The sensor check the review app runs when a session without a cached analysis is opened:
its warnings reach the status bar before any analysis, and a check of a session that is no
longer open is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_copy import demo_with_faulty_vests, demo_without_video
from PySide6.QtCore import QSettings

from footcoach.app.align import align_session
from footcoach.app.check import sensor_warnings_of
from footcoach.app.load import load_session
from footcoach.errors import FootcoachError
from footcoach.gui.main_window import MainWindow

STUCK = "vest of a02: repeated the same reading"


@pytest.fixture()
def window(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    win = MainWindow(settings=QSettings(str(tmp_path / "footcoach.ini"),
                                        QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def test_the_sensor_warnings_are_those_of_the_analysis_alignment(tmp_path: Path) -> None:
    folder = demo_with_faulty_vests(tmp_path)
    said = sensor_warnings_of(folder)
    assert said == align_session(load_session(folder)).sensor_warnings()
    assert any(w.startswith(STUCK) for w in said)
    assert any(w.startswith("vest of a03:") for w in said)  # the dead z axis (kept)
    assert sensor_warnings_of(demo_without_video(tmp_path, "clean")) == []


def test_aligning_stops_when_cancelled(tmp_path: Path) -> None:
    folder = demo_without_video(tmp_path)
    polled: list[int] = []

    def cancel() -> bool:
        polled.append(1)
        return len(polled) > 2  # the third stream

    with pytest.raises(FootcoachError, match="cancelled"):
        sensor_warnings_of(folder, cancel=cancel)
    assert len(polled) == 3


def test_opening_a_session_checks_its_sensors_in_the_background(qtbot, window: MainWindow,
                                                                tmp_path: Path) -> None:
    folder = demo_with_faulty_vests(tmp_path)
    assert not (folder / "analysis").exists()
    with qtbot.waitSignal(window.sensor_check.found, timeout=60000) as found:
        assert window.open_session(folder), window.last_error
    assert found.args[0] == folder.resolve()
    loaded = window.state.loaded
    assert loaded is not None
    stuck = [w for w in loaded.diagnostics.warnings if STUCK in w]
    assert len(stuck) == 1  # not repeated beside the same warning from the loading
    assert "warnings</a>" in window.status.text()
    assert STUCK in window.status.toolTip()
    assert window.statusBar().currentMessage().startswith("sensor check: ")
    assert not (folder / "analysis").exists()  # nothing was analysed or cached


def test_the_check_of_a_session_no_longer_open_is_dropped(qtbot, window: MainWindow,
                                                          tmp_path: Path) -> None:
    faulty = demo_with_faulty_vests(tmp_path)
    clean = demo_without_video(tmp_path, "clean")
    seen: list[Path] = []
    window.sensor_check.found.connect(lambda folder, _w: seen.append(folder))
    assert window.open_session(faulty)
    assert window.open_session(clean)  # at once: the first check is cancelled or ignored
    qtbot.waitUntil(lambda: clean.resolve() in seen, timeout=60000)
    qtbot.waitUntil(lambda: not window.sensor_check.is_running(), timeout=60000)
    loaded = window.state.loaded
    assert loaded is not None and loaded.session.root.resolve() == clean.resolve()
    assert not any(STUCK in w for w in loaded.diagnostics.warnings)
    assert seen[-1] == clean.resolve()
