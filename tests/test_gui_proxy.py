"""Scrubbing proxies: building one (same frames and times, all keyframes, cancellable, keyed by
the source), the frame server previewing from it, the video view building it in the
background, and the seek benchmark of the GUI frame path."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from gui_fixtures import FPS, VIDEO_START_S, image_index, make_session, read_pattern
from PySide6.QtCore import QSettings

from footcoach.app.proxy import (
    PROXY_DIR,
    SEEK_BUDGET_MS,
    build_proxy,
    estimated_seek_ms,
    find_proxy,
    iter_build_proxy,
    proxy_path,
    proxy_size,
)
from footcoach.bench.gui_bench import bench_one
from footcoach.errors import FootcoachError
from footcoach.gui.frame_bench import measure_frame_path
from footcoach.gui.frame_server import FrameServer
from footcoach.gui.main_window import MainWindow
from footcoach.io.video import VideoReader


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_session(tmp_path_factory.mktemp("gui-proxy") / "s")


@pytest.fixture(scope="module")
def proxy(session_dir: Path) -> Path:
    path = build_proxy(session_dir / "video.mp4", session_dir / PROXY_DIR)
    assert path is not None
    return path


# --------------------------------------------------------------------------- building
def test_proxy_size_and_seek_estimate() -> None:
    assert proxy_size(1920, 1080) == (960, 540)
    assert proxy_size(3840, 1600) == (960, 400)
    assert proxy_size(1280, 338) == (960, 254)
    assert proxy_size(320, 192) == (320, 192)  # never enlarged
    with pytest.raises(ValueError):
        proxy_size(0, 10)
    # a 1080p file with a keyframe every 2 s at 25 fps needs one; a small 1 s GOP file not
    assert estimated_seek_ms(1920, 1080, np.arange(0, 500, 50), 500) > SEEK_BUDGET_MS
    assert estimated_seek_ms(320, 192, np.arange(0, 137, 25), 137) < SEEK_BUDGET_MS
    assert estimated_seek_ms(960, 540, np.arange(500), 500) < SEEK_BUDGET_MS


def test_proxy_has_the_same_frames_and_times(session_dir: Path, proxy: Path) -> None:
    assert proxy.parent == session_dir / PROXY_DIR
    assert proxy.name.startswith("video.mp4.") and proxy.name.endswith(".proxy.mp4")
    with VideoReader(session_dir / "video.mp4") as src, VideoReader(proxy) as px:
        assert px.frame_count == src.frame_count
        np.testing.assert_allclose(px.frame_times, src.frame_times, atol=1e-6)
        assert (px.width, px.height) == (320, 192)
        assert len(px.keyframe_indices) == px.frame_count  # every frame a keyframe
        for i in (0, 1, 57, px.frame_count - 1):
            rgb = px.frame(i)
            assert read_pattern(lambda x, y, a=rgb: tuple(int(v) for v in a[y, x])) == i
    assert find_proxy(session_dir / "video.mp4", session_dir / PROXY_DIR) == proxy
    assert not [p for p in proxy.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_a_changed_video_gets_a_new_proxy_and_the_old_one_goes(tmp_path: Path,
                                                              session_dir: Path) -> None:
    video = tmp_path / "video.mp4"
    shutil.copy2(session_dir / "video.mp4", video)
    folder = tmp_path / "proxies"
    first = build_proxy(video, folder)
    assert first is not None and build_proxy(video, folder) == first  # found, not rebuilt
    st = video.stat()
    os.utime(video, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert proxy_path(video, folder) != first and find_proxy(video, folder) is None
    second = build_proxy(video, folder)
    assert second is not None and second.is_file() and not first.exists()


def test_cancelling_leaves_nothing_behind(tmp_path: Path, session_dir: Path) -> None:
    dest = tmp_path / "p" / "x.proxy.mp4"
    steps = iter_build_proxy(session_dir / "video.mp4", dest)
    done, total = next(steps)
    assert 0 < done < total
    steps.close()
    assert list(dest.parent.iterdir()) == []
    calls: list[int] = []
    result = build_proxy(session_dir / "video.mp4", tmp_path / "q",
                         progress=lambda d, _n: calls.append(d), cancel=lambda: len(calls) >= 2)
    assert result is None and list((tmp_path / "q").iterdir()) == []


def test_a_file_that_is_not_a_video_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(FootcoachError, match=r"clip\.mp4"):
        build_proxy(bad, tmp_path / "proxies")
    with pytest.raises(FootcoachError, match=r"missing\.mp4"):
        proxy_path(tmp_path / "missing.mp4", tmp_path)


# --------------------------------------------------------------------------- frame server
def test_a_jump_shows_the_proxy_frame_then_the_original(qtbot, session_dir: Path,
                                                        proxy: Path) -> None:
    server = FrameServer(session_dir / "video.mp4")
    try:
        server.set_proxy(proxy)
        assert server.has_proxy
        previews: list[int] = []
        server.preview_ready.connect(lambda i, img: previews.append(image_index(img) - i))
        with qtbot.waitSignal(server.frame_ready, timeout=5000) as original, \
                qtbot.waitSignal(server.preview_ready, timeout=5000) as preview:
            server.request(110)  # far from where the original decoder stands
        assert preview.args[0] == 110 and image_index(preview.args[1]) == 110
        assert original.args[0] == 110 and image_index(original.args[1]) == 110
        # playing on from there: the original decoder continues, no more previews
        count = server.previews
        for index in range(111, 120):
            with qtbot.waitSignal(server.frame_ready, timeout=5000) as blocker:
                server.request(index)
            assert image_index(blocker.args[1]) == index
        assert server.previews == count and previews == [0]
    finally:
        server.stop()


def test_a_proxy_of_another_video_is_refused(session_dir: Path, tmp_path: Path) -> None:
    short = make_session(tmp_path / "short", seconds=2.0)
    other = build_proxy(short / "video.mp4", tmp_path / "px")
    assert other is not None
    server = FrameServer(session_dir / "video.mp4")
    try:
        with pytest.raises(FootcoachError, match="frames"):
            server.set_proxy(other)
        assert not server.has_proxy
    finally:
        server.stop()


def test_view_size_decoding(session_dir: Path) -> None:
    server = FrameServer(session_dir / "video.mp4")
    try:
        assert server.display_size == (320, 192)
        server.set_view_size(100, 60)  # a small window: decode at about its size
        assert server.display_size == (128, 76)
        server.set_view_size(2000, 1000)  # never larger than the video
        assert server.display_size == (320, 192)
    finally:
        server.stop()


# --------------------------------------------------------------------------- in the window
def test_the_window_builds_the_proxy_in_the_background(qtbot, session_dir: Path,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "s"
    shutil.copytree(session_dir, folder, ignore=shutil.ignore_patterns("analysis"))
    settings = QSettings(str(tmp_path / "fc.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    assert win.tools.proxy_action.isChecked()
    win.video.proxy_policy = "always"  # the test video is quick to seek in anyway
    progress: list[int] = []
    win.video.proxy_progress.connect(lambda d, _n: progress.append(d))
    with qtbot.waitSignal(win.video.proxy_ready, timeout=20000) as ready:
        assert win.open_session(folder), win.last_error
    assert Path(ready.args[0]).parent == folder / PROXY_DIR
    assert progress and not win.proxy_bar.isVisible()
    server = win.video.server
    assert server is not None and server.has_proxy
    frame = 100
    t = VIDEO_START_S + frame / FPS
    win.state.set_time(t)
    qtbot.waitUntil(lambda: win.video.displayed_index == frame
                    and not win.video.showing_preview, timeout=5000)
    assert image_index(win.video.current_image) == frame  # type: ignore[arg-type]
    assert server.previews >= 1
    # reopening finds the proxy at once; switching it off stops using it
    win.open_session(folder)
    assert win.video.builder is None and win.video.server is not None
    assert win.video.server.has_proxy
    win.tools.proxy_action.setChecked(False)
    assert not win.video.server.has_proxy and settings.value("video/proxy") in (False, "false")
    win.close()


def test_closing_while_building_cancels(qtbot, session_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    shutil.copytree(session_dir, folder, ignore=shutil.ignore_patterns("analysis"))
    win = MainWindow(settings=QSettings(str(tmp_path / "fc.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.video.proxy_policy = "always"
    with qtbot.waitSignal(win.video.proxy_progress, timeout=10000):
        assert win.open_session(folder)
    win.close_session()
    assert win.video.builder is None
    proxies = folder / PROXY_DIR
    assert not proxies.exists() or not [p for p in proxies.iterdir() if p.name.startswith(".")]
    win.close()


# --------------------------------------------------------------------------- benchmark
def test_frame_path_benchmark(session_dir: Path, proxy: Path, tmp_path: Path) -> None:
    plain = measure_frame_path(session_dir / "video.mp4", n=12, seed=1)
    assert plain["previews"] == 0 and 0 < plain["p50_ms"] <= plain["p95_ms"] <= plain["max_ms"]
    assert plain["frames"] == 138
    fast = measure_frame_path(session_dir / "video.mp4", n=12, seed=1, proxy=proxy)
    assert fast["previews"] + fast["cached"] >= 10  # the first pictures come from the proxy
    lines = bench_one(session_dir / "video.mp4", tmp_path, measure_frame_path, n=4)
    assert "138 frames, 320x192" in lines[0]
    assert len(lines) == 6 and "proxy 320x192 all-intra" in lines[-1]


def test_benchmark_gui_command(session_dir: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    from footcoach.cli.main import main

    code = main(["benchmark", "gui", "--video", str(session_dir), "-n", "3",
                 "--seconds", "0.2", "--cache", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "goal p95 < 40 ms" in out
    assert "video.mp4: 138 frames, 320x192" in out
    assert "1080p, 2 s GOP (0.2 s clip): 5 frames, 1920x1080" in out
    assert out.count("GUI proxy, back to back") == 2
    assert main(["benchmark", "gui", "--video", str(tmp_path / "none"), "--cache",
                 str(tmp_path / "other")]) == 2  # a missing video: one line, exit 2
    assert "no such video" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()  # it stopped before generating anything


def test_proxy_folder_falls_back_to_the_cache(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from footcoach.app.proxy import proxy_folder

    session = tmp_path / "session"
    session.mkdir()
    assert proxy_folder(session) == session / PROXY_DIR
    if os.geteuid() == 0:
        pytest.skip("root can write everywhere")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    session.chmod(0o555)
    try:
        folder = proxy_folder(session)
    finally:
        session.chmod(0o755)
    assert folder.parent == tmp_path / "cache" / "footcoach" / "proxies"
