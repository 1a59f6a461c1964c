"""File > Export in the review app: data, clip, playlist and report exports run in the
background with progress and Cancel, ask before replacing a file, and write what the CLI
writes (the coach's corrections included)."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import av
import pytest
from PySide6.QtCore import QSettings

from footcoach.gui.export_menu import DATA_EXPORTS
from footcoach.gui.main_window import MainWindow

TIMEOUT_MS = 120_000


@pytest.fixture()
def window(qtbot, analysed_demo: Path, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    folder = Path(shutil.copytree(analysed_demo, tmp_path / "demo"))
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    assert win.open_session(folder), win.last_error
    qtbot.waitUntil(lambda: len(win.state.events) > 0, timeout=TIMEOUT_MS)
    return win


def finish(qtbot, win: MainWindow, start) -> object:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(win.exports.task.finished, timeout=TIMEOUT_MS) as blocker:
        assert start()
    qtbot.waitUntil(lambda: not win.exports.task.is_running(), timeout=TIMEOUT_MS)
    return blocker.args[0]


def test_events_csv_has_the_corrected_events(qtbot, window: MainWindow,
                                            tmp_path: Path) -> None:
    first = window.state.events[0]
    window.corrections.delete_event(first.id)  # saved to annotations.json at once
    out = tmp_path / "events.csv"
    events_csv = next(e for e in DATA_EXPORTS if e.fmt == "csv" and e.what == "events")
    message = finish(qtbot, window, lambda: window.exports.export_data(events_csv, out))
    assert str(out) in str(message)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(window.state.events)
    assert first.id not in {r["id"] for r in rows}


def test_existing_file_is_kept_when_the_coach_declines(qtbot, window: MainWindow,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "session.json"
    out.write_text("keep me")
    window.exports.ask_overwrite = lambda path: False
    assert not window.exports.export_data(DATA_EXPORTS[2], out)
    assert out.read_text() == "keep me" and not window.exports.task.is_running()
    window.exports.ask_overwrite = lambda path: True
    finish(qtbot, window, lambda: window.exports.export_data(DATA_EXPORTS[2], out))
    assert out.read_text().lstrip().startswith("{")


def test_clip_of_the_selected_event(qtbot, window: MainWindow, tmp_path: Path) -> None:
    event = min(window.state.events, key=lambda e: e.end_s - e.start_s)
    window.state.select_event(event.id)
    assert window.exports.clip_action.isEnabled()
    out = tmp_path / "clip.mp4"
    finish(qtbot, window, lambda: window.exports.export_clip(out))
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert stream.codec_context.name == "h264"
    fps = 25.0
    expected = round((event.end_s - event.start_s + 2 * 1.0) * fps)  # 1 s padding each side
    assert abs(frames - expected) <= 2


def test_cancelled_playlist_leaves_no_file(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.event_table.set_filter(player=window.state.player_ids[0])
    listed = window.event_table.visible_events()
    assert 1 < len(listed) <= 60
    out = tmp_path / "playlist.mp4"
    seen: list[int] = []

    def cancel_on_progress(done: int, total: int, message: str) -> None:
        seen.append(done)
        if done > 0:
            window.exports.cancel()

    window.exports.task.progress.connect(cancel_on_progress)
    with qtbot.waitSignal(window.exports.task.cancelled, timeout=TIMEOUT_MS):
        assert window.exports.export_playlist(out)
    qtbot.waitUntil(lambda: not window.exports.task.is_running(), timeout=TIMEOUT_MS)
    assert seen and not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".playlist")]
    assert window.exports.playlist_action.isEnabled()


def test_player_report(qtbot, window: MainWindow, tmp_path: Path) -> None:
    assert not window.exports.player_report_action.isEnabled()  # no player selected yet
    pid = window.state.player_ids[0]
    window.state.select_player(pid)
    assert window.exports.player_report_action.isEnabled()
    out = tmp_path / "player.pdf"
    finish(qtbot, window, lambda: window.exports.export_report(out, player=True))
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) >= 2
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout
        player = next(p for p in window.state.loaded.session.players  # type: ignore[union-attr]
                      if p.id == pid)
        assert player.name in text and "SYNTHETIC" in text.upper()


def test_export_menu_lists_every_export(window: MainWindow) -> None:
    file_menu = window.menuBar().actions()[0].menu()
    export = next(a.menu() for a in file_menu.actions() if a.text() == "&Export")
    titles = [a.text() for a in export.actions() if not a.isSeparator()]
    assert titles == [e.title for e in DATA_EXPORTS] + [
        "&Clip of the selected event...", "Clip &playlist of the listed events...",
        "PDF &report...", "PDF report of the selected &player..."]
