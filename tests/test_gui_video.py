"""Frame server and video view, offscreen, on a real H.264 file whose frames show their index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_fixtures import (
    FPS,
    VIDEO_START_S,
    calibration,
    image_index,
    make_events,
    make_session,
    p1_xy,
)

from footcoach.app.load import LoadedSession, load_session
from footcoach.errors import FootcoachError
from footcoach.gui.frame_server import FrameServer
from footcoach.gui.state import AppState
from footcoach.gui.video_view import VideoView


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_session(tmp_path_factory.mktemp("gui-video") / "s")


@pytest.fixture(scope="module")
def uncalibrated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_session(tmp_path_factory.mktemp("gui-video-nocal") / "s", calibrated=False,
                        seconds=2.0)


@pytest.fixture()
def server(session_dir: Path):  # type: ignore[no-untyped-def]
    s = FrameServer(session_dir / "video.mp4")
    yield s
    s.stop()


def test_frame_server_serves_the_requested_frame(qtbot, server: FrameServer) -> None:
    for index in (0, 37, 5, server.frame_count - 1):
        with qtbot.waitSignal(server.frame_ready, timeout=5000) as blocker:
            server.request(index)
        got, image = blocker.args
        assert got == index
        assert image_index(image) == index
        assert (image.width(), image.height()) == (320, 192)
    with pytest.raises(IndexError):
        server.request(server.frame_count)


def test_frame_server_drops_stale_requests_while_scrubbing(qtbot, server: FrameServer) -> None:
    shown: list[int] = []
    server.frame_ready.connect(lambda i, _img: shown.append(i))
    for index in range(0, 130):  # a fast scrub: far more requests than it can decode
        server.request(index)
    qtbot.waitUntil(lambda: bool(shown) and shown[-1] == 129, timeout=5000)
    assert server.decoded < 130
    assert shown == sorted(shown)  # never an older frame after a newer one


def test_sequential_playback_decodes_forward_without_seeking(qtbot, server: FrameServer) -> None:
    with qtbot.waitSignal(server.frame_ready, timeout=5000):
        server.request(10)
    seeks = server.seek_count
    for index in range(11, 60):
        with qtbot.waitSignal(server.frame_ready, timeout=5000) as blocker:
            server.request(index)
        assert blocker.args[0] == index and image_index(blocker.args[1]) == index
    assert server.seek_count == seeks  # 49 frames across 2 keyframes, not one seek
    with qtbot.waitSignal(server.frame_ready, timeout=5000) as blocker:
        server.request(58)  # one step back comes from the cache
    assert image_index(blocker.args[1]) == 58
    assert server.seek_count == seeks


def test_frame_server_rejects_a_file_that_is_not_a_video(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(FootcoachError, match=r"notes\.mp4"):
        FrameServer(bad)


def _view(qtbot, folder: Path) -> tuple[AppState, VideoView, LoadedSession]:  # type: ignore[no-untyped-def]
    loaded = load_session(folder)
    state = AppState()
    view = VideoView(state)
    qtbot.addWidget(view)
    view.resize(640, 400)
    view.show()
    ref = loaded.session.video
    assert ref is not None
    times = view.open_video(loaded.session.path(ref.file), ref.start_s)
    state.set_session(loaded, make_events(), frame_times=times)
    return state, view, loaded


def test_video_view_shows_the_frame_at_the_playhead(qtbot, session_dir: Path) -> None:
    state, view, _ = _view(qtbot, session_dir)
    try:
        for t in (0.5, 1.0, 2.345, 4.0, 5.9):
            state.set_time(t)
            expected = int(np.floor((t - VIDEO_START_S) * FPS + 1e-9))
            assert state.frame_index() == expected
            qtbot.waitUntil(lambda e=expected: view.displayed_index == e, timeout=5000)
            assert view.current_image is not None
            assert image_index(view.current_image) == expected
        state.set_time(0.2)  # before the first frame: no picture
        assert view.displayed_index == -1
        assert view._message.text() == "No video at this time"
    finally:
        view.close_video()


def test_overlay_labels_sit_on_the_players(qtbot, session_dir: Path) -> None:
    state, view, _ = _view(qtbot, session_dir)
    try:
        state.set_time(2.25)
        assert view.label_visible("p1")
        expected_uv = calibration().pitch_to_image(p1_xy(np.array([2.25])))[0]
        pos = view._labels["p1"].pos()
        assert (pos.x(), pos.y()) == pytest.approx(tuple(expected_uv), abs=0.2)
        event = state.event_index.event_at("p1", 2.25)
        assert event is not None and event.id == "p1-2"
        assert view.label_text("p1") == f"#7 Ana  {event.action.label} · " \
                                        f"{event.tactic.label} · Q{event.quality:.0f}"  # type: ignore[union-attr]
        assert not view.side_list.isVisible()
        view.set_overlays_visible(False)
        assert not view.label_visible("p1") and not view.label_visible("p2")
        view.set_overlays_visible(True)
        assert view.label_visible("p1")
    finally:
        view.close_video()


def test_without_calibration_the_labels_go_to_a_side_list(qtbot, uncalibrated_dir: Path) -> None:
    state, view, _ = _view(qtbot, uncalibrated_dir)
    try:
        state.set_time(1.2)
        assert view.side_list.isVisible()
        assert not view.label_visible("p1")
        texts = [view.side_list.item(i).text() for i in range(view.side_list.count())]
        e1 = state.event_index.event_at("p1", 1.2)
        assert e1 is not None
        assert texts[0].startswith("#7 Ana") and e1.action.label in texts[0]
        view.set_overlays_visible(False)
        assert not view.side_list.isVisible()
    finally:
        view.close_video()
