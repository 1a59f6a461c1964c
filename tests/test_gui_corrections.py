"""Corrections: edit, add, delete with undo/redo, saved to annotations.json and reloaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gui_fixtures import make_events, make_session
from PySide6.QtCore import QSettings

from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.errors import FootcoachError
from footcoach.gui.corrections import (
    ANNOTATIONS_FILE,
    Corrections,
    load_corrections,
    save_corrections,
)
from footcoach.gui.main_window import MainWindow


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_session(tmp_path_factory.mktemp("gui-corr") / "s", seconds=3.0)


@pytest.fixture()
def session_dir(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "session"))


def open_window(qtbot, folder: Path, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    assert win.open_session(folder), win.last_error
    win.set_result(make_events(3.0))
    return win


def test_edit_undo_redo_and_reload(qtbot, session_dir: Path, tmp_path: Path) -> None:
    win = open_window(qtbot, session_dir, tmp_path)
    state, stack = win.state, win.corrections.stack
    state.select_event("p1-1")
    assert state.event_by_id("p1-1").action != Action.SLIDING  # type: ignore[union-attr]
    dialog = win.edit_selected_event()
    assert dialog is not None
    dialog.action.setCurrentIndex(dialog.action.findData(Action.SLIDING))
    dialog.quality.setValue(95)
    dialog.accept()
    edited = state.event_by_id("p1-1")
    assert edited is not None and edited.action == Action.SLIDING and edited.quality == 95
    assert edited.source == "coach" and edited.confidence == 1.0
    assert win.event_table.model.rowCount() == len(make_events(3.0))
    saved = json.loads((session_dir / ANNOTATIONS_FILE).read_text())
    assert [e["id"] for e in saved["edited"]] == ["p1-1"]
    assert saved["edited"][0]["action"] == "sliding"
    stack.undo()
    assert state.event_by_id("p1-1").action != Action.SLIDING  # type: ignore[union-attr]
    assert json.loads((session_dir / ANNOTATIONS_FILE).read_text())["edited"] == []
    stack.redo()
    assert state.event_by_id("p1-1").action == Action.SLIDING  # type: ignore[union-attr]
    assert state.selected_event == "p1-1"
    win.close()
    # close and reopen: the correction is still there, on top of the same analysis
    again = open_window(qtbot, session_dir, tmp_path)
    event = again.state.event_by_id("p1-1")
    assert event is not None and event.action == Action.SLIDING and event.quality == 95
    assert again.corrections.stack.count() == 0
    again.close()


def test_add_and_delete_events(qtbot, session_dir: Path, tmp_path: Path) -> None:
    win = open_window(qtbot, session_dir, tmp_path)
    state = win.state
    n = len(state.events)
    state.select_player("p2")
    state.set_time(1.25)
    dialog = win.add_event_at_playhead()
    assert dialog is not None
    dialog.action.setCurrentIndex(dialog.action.findData(Action.SLIDING))
    dialog.tactic.setCurrentIndex(dialog.tactic.findData(Tactic.PRESSING))
    dialog.end.setValue(1.0)  # ends before it starts: refused, the dialog stays
    dialog.accept()
    assert dialog.problem.text() and len(state.events) == n
    dialog.end.setValue(2.0)
    dialog.accept()
    assert len(state.events) == n + 1
    new = state.event_by_id(state.selected_event)
    assert new is not None and new.id.startswith("coach-") and new.player_id == "p2"
    assert (new.start_s, new.end_s, new.action, new.tactic) == (1.25, 2.0, Action.SLIDING,
                                                                Tactic.PRESSING)
    assert win.timeline.action_items[Action.SLIDING].count == sum(
        e.action == Action.SLIDING for e in state.events)
    state.select_event("p1-0")
    win.delete_selected_event()
    assert state.event_by_id("p1-0") is None and state.selected_event == ""
    assert len(state.events) == n
    saved = load_corrections(session_dir)
    assert saved.deleted == {"p1-0"} and list(saved.added) == [new.id]
    win.corrections.stack.undo()  # the deletion
    assert state.event_by_id("p1-0") is not None
    win.corrections.stack.undo()  # the addition
    assert len(state.events) == n and load_corrections(session_dir).added == {}
    win.close()


def test_corrections_apply_to_a_new_analysis(tmp_path: Path) -> None:
    base = make_events(3.0)
    c = Corrections()
    c.edited["p1-0"] = Event("p1-0", "p1", 0.0, 1.0, Action.JUMPING, source="coach")
    c.deleted.add("p2-1")
    c.deleted.add("gone")
    c.added["coach-x"] = Event("coach-x", "p2", 0.2, 0.4, Action.TURNING, source="coach")
    out = c.apply(base)
    assert [e.id for e in out] == [e.id for e in base if e.id != "p2-1"] + ["coach-x"]
    assert out[0].action == Action.JUMPING
    assert c.stale(base) == ["gone"]
    save_corrections(tmp_path, c)
    back = load_corrections(tmp_path)
    assert back.apply(base) == out and back.deleted == c.deleted


def test_a_broken_annotations_file_is_reported_and_not_overwritten(
        qtbot, session_dir: Path, tmp_path: Path) -> None:
    path = session_dir / ANNOTATIONS_FILE
    path.write_text('{"format": "footcoach-annotations", "edited": [{"id": 1}]}')
    with pytest.raises(FootcoachError, match=r"edited\[0\]"):
        load_corrections(session_dir)
    win = open_window(qtbot, session_dir, tmp_path)
    assert ANNOTATIONS_FILE in win.last_error and "edited[0]" in win.last_error
    win.state.select_event("p1-0")
    win.delete_selected_event()  # works in the session, but is not saved over the bad file
    assert win.state.event_by_id("p1-0") is None
    assert "edited" in path.read_text() and '"id": 1' in path.read_text()
    path.write_text("{not json")
    with pytest.raises(FootcoachError, match="invalid JSON"):
        load_corrections(session_dir)
    win.close()
