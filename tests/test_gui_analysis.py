"""Running the analysis from the review app, offscreen: the worker thread, progress, Cancel,
the no-model message, the cached result on open, and the GUI-thread stall probe.

A tiny random-init model (torch engine) keeps the runs short; its events mean nothing, only
that they flow into the views.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from gui_fixtures import make_session, results_in
from PySide6.QtCore import QSettings, Qt, QTimer

from footcoach.app.analysis_cache import ANALYSIS_DIR
from footcoach.app.analyze import AnalysisResult
from footcoach.gui.analysis_worker import AnalysisWorker, one_line
from footcoach.gui.main_window import MainWindow
from footcoach.gui.stall_probe import StallProbe

torch = pytest.importorskip("torch")

SECONDS = 8.0
REPO = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-init model (safetensors + JSON; the torch engine runs it)."""
    from footcoach.ml.config import ModelConfig
    from footcoach.ml.predict import save_random_model

    torch.set_num_threads(2)
    return save_random_model(tmp_path_factory.mktemp("model"), config=ModelConfig.tiny(),
                             seed=5, onnx=False, purpose="GUI tests")


@pytest.fixture(scope="module")
def session_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_session(tmp_path_factory.mktemp("tpl") / "s", seconds=SECONDS)


@pytest.fixture()
def session(session_template: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "session"
    shutil.copytree(session_template, dst)
    return dst


def new_window(qtbot, tmp_path: Path, name: str = "footcoach.ini") -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(settings=QSettings(str(tmp_path / name), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture()
def window(qtbot, tmp_path: Path, session: Path, model_dir: Path):  # type: ignore[no-untyped-def]
    win = new_window(qtbot, tmp_path)
    assert not win.tools.analysis_action.isEnabled()  # no session yet
    assert win.open_session(session), win.last_error
    win.tools.analysis_options = {"model_dir": model_dir, "engine": "torch", "device": "cpu"}
    yield win
    win.close()


def test_run_analysis_fills_the_event_table_and_timeline(qtbot, window: MainWindow,
                                                         session: Path) -> None:
    tools = window.tools
    assert tools.analysis_action.isEnabled() and not window.state.events
    reports: list[tuple[int, int, str]] = []
    tools.analysis.progress.connect(lambda d, t, m: reports.append((d, t, m)))
    with (qtbot.waitSignal(tools.analysis.stopped, timeout=TIMEOUT_MS),
          qtbot.waitSignal(tools.analysis.finished, timeout=TIMEOUT_MS) as blocker):
        tools.analysis_action.trigger()
        assert tools.analysis.is_running() and not tools.analysis_action.isEnabled()
        assert tools.analysis_bar.isVisible()
    result = blocker.args[0]
    assert isinstance(result, AnalysisResult) and result.events and not result.from_cache
    # progress came through, in order, ending at the total
    assert len(reports) >= 4 and reports[-1][0] == reports[-1][1]
    assert [d for d, _, _ in reports] == sorted(d for d, _, _ in reports)
    # the views show the events; the thread is gone, the action is back, the bar hidden
    state = window.state
    assert len(state.events) == len(result.events)
    assert window.event_table.model.rowCount() == len(state.events)
    drawn = sum(item.count for item in window.timeline.action_items.values())
    assert drawn == sum(1 for e in state.events if e.action is not None) > 0
    assert not tools.analysis.is_running() and tools.analysis_action.isEnabled()
    assert not tools.analysis_bar.isVisible()
    assert f"{len(result.events)} events" in window.status.text()
    assert len(results_in(session)) == 1


def test_cached_analysis_is_shown_when_the_session_is_opened(qtbot, window: MainWindow,
                                                             session: Path,
                                                             tmp_path: Path) -> None:
    with qtbot.waitSignal(window.tools.analysis.stopped, timeout=TIMEOUT_MS):
        window.tools.analysis_action.trigger()
    n = len(window.state.events)
    assert n > 0
    other = new_window(qtbot, tmp_path, "other.ini")
    assert other.open_session(session), other.last_error
    assert [e.to_dict() for e in other.state.events] == \
        [e.to_dict() for e in window.state.events]
    # running it again is a cache hit, still through the worker
    other.tools.analysis_options = dict(window.tools.analysis_options)
    with qtbot.waitSignal(other.tools.analysis.finished, timeout=TIMEOUT_MS) as blocker:
        other.tools.analysis_action.trigger()
    assert blocker.args[0].from_cache
    other.close()


def test_cancel_button_stops_without_caching(qtbot, window: MainWindow, session: Path) -> None:
    tools = window.tools
    finished: list[object] = []
    tools.analysis.finished.connect(finished.append)
    with (qtbot.waitSignal(tools.analysis.stopped, timeout=TIMEOUT_MS),
          qtbot.waitSignal(tools.analysis.cancelled, timeout=TIMEOUT_MS)):
        tools.analysis_action.trigger()
        assert tools.analysis_bar.cancel_button.isEnabled()
        qtbot.mouseClick(tools.analysis_bar.cancel_button, Qt.MouseButton.LeftButton)
        assert not tools.analysis_bar.cancel_button.isEnabled()
    assert not finished and not window.state.events
    assert results_in(session) == []
    assert tools.analysis_action.isEnabled() and not tools.analysis_bar.isVisible()
    assert window.last_error == ""


def test_worker_cancelled_mid_run(session: Path, model_dir: Path) -> None:
    """Cancel from the progress report "aligning the streams" (a direct connection: the flag
    is set before the analysis goes on): the run stops there, nothing is cached."""
    worker = AnalysisWorker(session, model_dir=model_dir, engine="torch", device="cpu")
    seen: list[str] = []
    outcome: list[str] = []

    def on_progress(done: int, total: int, message: str) -> None:
        seen.append(message)
        if done >= 1:
            worker.cancel()

    worker.progress.connect(on_progress, Qt.ConnectionType.DirectConnection)
    worker.finished.connect(lambda r: outcome.append("finished"))
    worker.errored.connect(lambda m: outcome.append(f"errored {m}"))
    worker.cancelled.connect(lambda: outcome.append("cancelled"))
    worker.done.connect(lambda: outcome.append("done"))
    worker.run()  # in this thread: the signals arrive directly
    assert outcome == ["cancelled", "done"]
    assert seen == ["loading the session", "aligning the streams"]
    assert results_in(session) == []


def test_no_model_shows_a_one_line_message(qtbot, window: MainWindow, tmp_path: Path) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    window.tools.analysis_options = {"model_dir": empty}
    with qtbot.waitSignal(window.tools.analysis.errored, timeout=TIMEOUT_MS) as blocker:
        window.tools.analysis_action.trigger()
    message = blocker.args[0]
    assert "footcoach_model.json is missing" in message and str(empty) in message
    assert "\n" not in message
    qtbot.waitUntil(lambda: window.last_error == message, timeout=5000)
    qtbot.waitUntil(lambda: not window.tools.analysis.is_running(), timeout=5000)
    assert window.tools.analysis_action.isEnabled() and not window.state.events


def test_one_line() -> None:
    assert one_line("\n  a: b\nTraceback ...\n") == "a: b"
    assert one_line("x") == "x"


def test_stall_probe_sees_a_busy_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    probe = StallProbe(interval_ms=5)
    QTimer.singleShot(40, lambda: time.sleep(0.08))  # block the event loop for 80 ms
    probe.start()
    qtbot.wait(250)
    stats = probe.stop()
    assert stats.ticks > 3 and stats.interval_ms == 5
    assert stats.max_gap_ms >= 80.0  # the sleep is in some gap (sleep waits at least 80 ms)
    assert stats.p50_ms <= stats.p99_ms <= stats.max_gap_ms
    assert stats.duration_s > 0.2
    with pytest.raises(ValueError):
        StallProbe(interval_ms=0)


@pytest.mark.slow
def test_screenshot_after_analysis_with_the_bundled_model(qtbot, tmp_path: Path) -> None:
    """The main window on the demo session analysed with the trained model, at 1366x768
    (written to $FOOTCOACH_GUI_SHOTS, e.g. docs/images, else a temporary folder)."""
    models, demo = REPO / "models", REPO / "resources" / "demo-session"
    if not (models / "footcoach_model.json").is_file() or not demo.is_dir():
        pytest.skip("no trained model in models/ (or no demo session): no screenshot")
    from footcoach.gui.style import apply_dark_theme

    folder = tmp_path / "demo"
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns(ANALYSIS_DIR))
    apply_dark_theme(qtbot_app())
    win = new_window(qtbot, tmp_path)
    assert win.open_session(folder), win.last_error
    win.tools.analysis_options = {"model_dir": models, "device": "cpu"}
    with qtbot.waitSignal(win.tools.analysis.stopped, timeout=600_000):
        win.tools.analysis_action.trigger()
    assert win.state.events, win.last_error
    event = win.state.events[len(win.state.events) // 2]
    win.state.select_player(event.player_id)
    win.state.select_event(event.id, seek=True)
    qtbot.wait(500)
    image = win.grab().toImage()
    assert (image.width(), image.height()) == (1366, 768)
    out = Path(os.environ.get("FOOTCOACH_GUI_SHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    assert image.save(str(out / "main_window_analysis.png"))
    win.close()


def qtbot_app():  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    return QApplication.instance()
