"""The review app's session dialogs, offscreen on real widgets: camera calibration by clicking
landmarks, stream sync with live preview and the automatic IMU-GPS estimate, the metrics table,
"New session" over raw files, and the analysis placeholder."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from gui_fixtures import EPOCH_S, ORIGIN, calibration, make_events, make_session, p1_xy
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from footcoach.app.load import load_session
from footcoach.domain.geo import GeoToPitch
from footcoach.domain.pitch import Pitch
from footcoach.domain.session import Player, Session
from footcoach.gui.calibration_dialog import CalibrationDialog
from footcoach.gui.landmarks import is_full_pitch, pitch_landmarks
from footcoach.gui.main_window import MainWindow
from footcoach.gui.metrics_panel import MetricsPanel
from footcoach.gui.new_session_dialog import NewSessionDialog
from footcoach.gui.state import AppState
from footcoach.io.manifest import read_manifest, write_manifest


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session folder whose files also serve as "raw" inputs of a new session."""
    return make_session(tmp_path_factory.mktemp("gui-dialogs") / "raw")


@pytest.fixture()
def window(qtbot, tmp_path: Path):
    win = MainWindow(settings=QSettings(str(tmp_path / "fc.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def open_copy(window: MainWindow, raw_dir: Path, tmp_path: Path, *,
              calibrated: bool = True) -> Path:
    folder = tmp_path / "session"
    shutil.copytree(raw_dir, folder)
    if not calibrated:
        session = read_manifest(folder)
        session.calibration = None
        write_manifest(session, folder)
    assert window.open_session(folder), window.last_error
    window.set_result(make_events())
    return folder


# --------------------------------------------------------------------------- calibration
def click_at(qtbot, dialog: CalibrationDialog, uv: np.ndarray) -> None:
    pos = dialog.view.mapFromScene(QPointF(float(uv[0]), float(uv[1])))
    n = len(dialog.points)
    QTest.mouseClick(dialog.view.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, pos)
    qtbot.waitUntil(lambda: len(dialog.points) == n + 1, timeout=2000)


LANDMARKS = ("penalty spot x=0", "centre circle on halfway line, high y",
             "penalty area x=105, front corner, low y", "goal area x=0, front corner, low y",
             "penalty area x=0, front corner, high y", "goal area x=105, goal line, high y")


def test_landmarks_follow_the_pitch_size() -> None:
    full = pitch_landmarks(Pitch(105.0, 68.0))
    by_name = {m.name: (m.x, m.y) for m in full}
    assert by_name["penalty spot x=105"] == (94.0, 34.0)
    assert by_name["penalty area x=0, front corner, high y"] == pytest.approx((16.5, 54.16))
    assert len({(m.x, m.y) for m in full}) == len(full) == 27  # 9 + 9 per end
    small = pitch_landmarks(Pitch(40.0, 30.0))
    assert not is_full_pitch(Pitch(40.0, 30.0))
    assert {(m.x, m.y) for m in small} == {(0, 0), (40, 0), (40, 30), (0, 30), (20, 0),
                                           (20, 30), (0, 15), (40, 15), (20, 15)}


def test_clicked_landmarks_reproduce_the_camera(qtbot, window: MainWindow, raw_dir: Path,
                                                tmp_path: Path) -> None:
    folder = open_copy(window, raw_dir, tmp_path, calibrated=False)
    assert window.tools.calibrate_action.isEnabled()
    dialog = window.tools.calibrate_camera()
    assert dialog is not None and dialog.current is None
    qtbot.waitExposed(dialog)
    truth = calibration()  # the camera the fixture video was drawn for
    names = [m.name for m in dialog.landmarks]
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    for k, name in enumerate(LANDMARKS):
        mark = dialog.landmarks[names.index(name)]
        click_at(qtbot, dialog, truth.pitch_to_image(np.array([[mark.x, mark.y]]))[0])
        if k < 4:  # nothing to suggest from yet
            assert dialog.assigned_landmark(k) is None and not save.isEnabled()
            with qtbot.waitSignal(dialog.fitted, timeout=1000):
                dialog.set_landmark(k, name)
        else:  # the fit of the points so far suggests the landmark under the click
            assert dialog.assigned_landmark(k) == names.index(name)
        assert save.isEnabled() == (k >= 3)
    fit = dialog.calibration
    assert fit is not None
    grid = np.array([[x, y] for x in np.linspace(0, 105, 8) for y in np.linspace(0, 68, 6)])
    err = np.hypot(*(fit.pitch_to_image(grid) - truth.pitch_to_image(grid)).T)
    assert err.max() < 1.0
    assert np.all(dialog.errors < 1.0)
    assert "RMS" in dialog.summary.text()
    assert not dialog.new_lines.path().isEmpty()
    # a further click near a landmark gets it suggested by the fit
    mark = dialog.landmarks[names.index("penalty spot x=105")]
    click_at(qtbot, dialog, truth.pitch_to_image(np.array([[mark.x, mark.y]]))[0] + 2.0)
    assert dialog.assigned_landmark(len(LANDMARKS)) == names.index("penalty spot x=105")
    assert dialog.errors[-1] > 1.0  # it was clicked 2 px off
    dialog.remove_point(len(LANDMARKS))
    dialog.grab().save(str(tmp_path / "calibration.png"))
    with qtbot.waitSignal(window.state.session_changed, timeout=5000):
        QTest.mouseClick(save, Qt.MouseButton.LeftButton)
    saved = read_manifest(folder).calibration
    assert saved is not None and saved.image_size == (320, 192)
    assert np.hypot(*(saved.pitch_to_image(grid) - truth.pitch_to_image(grid)).T).max() < 1.0
    shown = window.state.loaded
    assert shown is not None and shown.session.calibration is not None
    assert window.video.calibration is shown.session.calibration


def test_degenerate_points_and_typed_coordinates(qtbot, window: MainWindow, raw_dir: Path,
                                                 tmp_path: Path) -> None:
    open_copy(window, raw_dir, tmp_path)
    dialog = window.tools.calibrate_camera()
    assert dialog is not None and dialog.current is not None
    qtbot.waitExposed(dialog)
    truth = calibration()
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)

    def click_landmark(xy: tuple[float, float]) -> None:
        click_at(qtbot, dialog, truth.pitch_to_image(np.array([xy]))[0])
        # the session's calibration suggests the landmark under the click
        assert dialog.assigned_landmark(len(dialog.points) - 1) is not None

    def click_typed(xy: tuple[float, float]) -> None:
        click_at(qtbot, dialog, truth.pitch_to_image(np.array([xy]))[0])
        row = len(dialog.points) - 1
        dialog.set_pitch_xy(row, *xy)  # a spot the coach measured: typed in
        assert dialog.assigned_landmark(row) == -1

    for xy in ((52.5, 0.0), (52.5, 24.85), (52.5, 34.0)):  # on the halfway line
        click_landmark(xy)
    assert dialog.calibration is None and "3 of 4" in dialog.summary.text()
    click_typed((30.0, 10.0))
    assert dialog.calibration is None and "one line" in dialog.summary.text()
    click_landmark((52.5, 68.0))  # four on one line and one off it: still no homography
    assert dialog.calibration is None and "Cannot fit" in dialog.summary.text()
    assert not save.isEnabled()
    click_typed((70.0, 60.0))
    assert dialog.calibration is not None and np.all(dialog.errors < 1.0)
    assert save.isEnabled()
    dialog.remove_point(0)
    dialog.remove_point(0)
    assert [p.text.text() for p in dialog.points] == ["1", "2", "3", "4"]
    assert dialog.calibration is not None and dialog.table.rowCount() == 4
    dialog.clear_points()
    assert dialog.calibration is None and dialog.table.rowCount() == 0
    dialog.reject()


# --------------------------------------------------------------------------- sync
def test_sync_preview_follows_and_save_reloads(qtbot, window: MainWindow, raw_dir: Path,
                                               tmp_path: Path) -> None:
    folder = open_copy(window, raw_dir, tmp_path)
    state = window.state
    state.set_time(3.0)
    dialog = window.tools.sync_streams()
    assert dialog is not None
    keys = [o.key for o in dialog.offsets]
    assert keys == ["video", "imu:p1", "gps:p1", "imu:p2", "gps:p2"]
    dialog.select_stream("gps:p1")
    assert state.selected_player == "p1"
    label_before = window.video._labels["p1"].pos().x()
    with qtbot.waitSignal(dialog.previewed, timeout=2000):
        dialog.spin.setValue(1.0)  # the coach moves the GPS one second later
    assert state.time_s == 3.0 and state.selected_player == "p1"
    assert window.pitch_map.positions["p1"] == pytest.approx(tuple(p1_xy(np.array([2.0]))[0]),
                                                             abs=0.05)
    # the label on the video moved with the player: 6 m at 320/105 px per metre
    assert label_before - window.video._labels["p1"].pos().x() == pytest.approx(
        6.0 * 320 / 105, abs=0.5)
    with qtbot.waitSignal(dialog.previewed, timeout=2000):
        dialog.select_stream("imu:p1")
        dialog.nudge(-0.5)
    assert window.imu_plot._series[0].t[0] == pytest.approx(-0.5)
    with qtbot.waitSignal(dialog.previewed, timeout=2000):
        dialog.set_offset("video", 1.0)
    assert state.frame_times is not None and state.frame_times[0] == pytest.approx(1.0)
    with qtbot.waitSignal(state.session_changed, timeout=5000):
        dialog.save_button.click()  # writes session.toml and reloads the session from disk
    saved = read_manifest(folder)
    assert saved.player("p1").gps_offset_s == 1.0
    assert saved.player("p1").imu_offset_s == -0.5
    assert saved.video is not None and saved.video.start_s == 1.0
    assert state.loaded is not None and state.loaded.gps["p1"].t[0] == pytest.approx(1.0)
    assert state.time_s == 3.0 and state.selected_player == "p1"
    assert len(state.events) == len(make_events())  # the analysis result is kept


def test_closing_without_saving_restores_the_offsets(qtbot, window: MainWindow,
                                                     raw_dir: Path, tmp_path: Path) -> None:
    folder = open_copy(window, raw_dir, tmp_path)
    before = (tmp_path / "session" / "session.toml").read_text()
    dialog = window.tools.sync_streams()
    assert dialog is not None
    with qtbot.waitSignal(dialog.previewed, timeout=2000):
        dialog.set_offset("gps:p2", 2.0, now=True)
    loaded = window.state.loaded
    assert loaded is not None and loaded.gps["p2"].t[0] == pytest.approx(2.0)
    with qtbot.waitSignal(dialog.previewed, timeout=2000):
        dialog.close()
    assert loaded.gps["p2"].t[0] == pytest.approx(0.0)
    assert (folder / "session.toml").read_text() == before
    # opening another session closes an open sync dialog (it belonged to the old one)
    dialog = window.tools.sync_streams()
    assert dialog is not None and dialog.isVisible()
    with qtbot.waitSignal(dialog.finished, timeout=2000):
        window.close_session()
    assert window.tools.sync_dialog is None or not window.tools.sync_dialog.isVisible()
    assert not window.tools.sync_action.isEnabled()


G = 9.80665


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    k = np.ones(n) / n
    pad = np.r_[np.full(n, x[0]), x, np.full(n, x[-1])]
    return np.convolve(np.convolve(pad, k, "same"), k, "same")[n:-n]


def make_moving_session(folder: Path, imu_lag_s: float, seconds: float = 120.0) -> Path:
    """One player running bouts of 2-6 s on the pitch; the vest's clock reads
    ``true - imu_lag_s`` (its IMU comes out that much early on the session clock)."""
    rng = np.random.default_rng(5)
    rate, n = 100, int(seconds * 100)
    dt = 1.0 / rate
    lengths = rng.integers(200, 600, size=n // 200 + 1)
    speed = _smooth(np.repeat(rng.choice([0.5, 2.0, 4.0, 6.0, 7.5], lengths.size), lengths)[:n],
                    90)
    heading = np.cumsum(0.35 + _smooth(np.repeat(rng.normal(0, 0.4, lengths.size),
                                                 lengths)[:n], 100)) * dt
    vel = np.c_[speed * np.cos(heading), speed * np.sin(heading)]
    pos = np.array([52.0, 34.0]) + np.cumsum(vel, axis=0) * dt
    acc = np.gradient(vel, dt, axis=0)
    c, s = np.cos(heading), np.sin(heading)
    body = np.c_[(acc[:, 0] * c + acc[:, 1] * s) / G, (-acc[:, 0] * s + acc[:, 1] * c) / G,
                 np.ones(n)] + rng.normal(0, 0.05, (n, 3))
    t = np.arange(n) * dt
    folder.mkdir(parents=True)
    (folder / "imu").mkdir()
    (folder / "gps").mkdir()
    imu_ms = np.round((EPOCH_S + t - imu_lag_s) * 1000)
    np.savetxt(folder / "imu" / "p1.csv",
               np.c_[imu_ms, body, np.zeros((n, 3)), np.tile([20.0, 0.0, -40.0], (n, 1))],
               fmt="%d" + ",%.5f" * 9, comments="",
               header="unix_time_ms,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps,"
                      "mag_x_uT,mag_y_uT,mag_z_uT")
    geo = GeoToPitch.from_origin_heading(ORIGIN, 90.0)
    fix = slice(0, None, 10)
    xy = pos[fix] + rng.normal(0, 0.05, pos[fix].shape)
    lon, lat = geo.to_lonlat(xy[:, 0], xy[:, 1])
    np.savetxt(folder / "gps" / "p1.csv",
               np.c_[np.round((EPOCH_S + t[fix]) * 1000), lat, lon, speed[fix],
                     np.full(lat.size, 0.8)],
               fmt="%d,%.9f,%.9f,%.3f,%.1f", comments="",
               header="unix_time_ms,latitude,longitude,speed_mps,hdop")
    write_manifest(Session(name="sync-test", root=folder,
                           pitch=Pitch(105.0, 68.0, origin_lonlat=ORIGIN, heading_deg=90.0),
                           players=[Player("p1", "Ana", 7, imu="imu/p1.csv",
                                           gps="gps/p1.csv")]), folder)
    return folder


def test_accepting_the_automatic_estimate(qtbot, window: MainWindow, tmp_path: Path) -> None:
    folder = make_moving_session(tmp_path / "moving", imu_lag_s=1.3)
    assert window.open_session(folder), window.last_error
    dialog = window.tools.sync_streams()
    assert dialog is not None
    dialog.select_stream("gps:p1")
    assert dialog.estimate_button.isEnabled() and not dialog.accept_button.isEnabled()
    est = dialog.run_estimate()
    assert est is not None and est.offset_s == pytest.approx(1.3, abs=0.1)
    assert est.confidence > 0.5 and "confidence" in dialog.estimate_label.text()
    assert dialog.accept_button.isEnabled()
    with qtbot.waitSignal(dialog.previewed, timeout=2000):
        dialog.accept_button.click()
    assert dialog.current is not None and dialog.current.key == "imu:p1"
    assert dialog.offset("imu:p1").value == pytest.approx(1.3, abs=0.1)
    assert dialog.estimate is not None and abs(dialog.estimate.offset_s) < 0.1  # re-checked
    with qtbot.waitSignal(window.state.session_changed, timeout=5000):
        dialog.save_button.click()
    assert read_manifest(folder).player("p1").imu_offset_s == pytest.approx(1.3, abs=0.1)
    reloaded = load_session(folder)
    assert reloaded.imu["p1"].t[0] == pytest.approx(0.0, abs=0.1)


def test_short_overlap_gives_no_estimate(window: MainWindow, raw_dir: Path,
                                         tmp_path: Path) -> None:
    open_copy(window, raw_dir, tmp_path)
    dialog = window.tools.sync_streams()
    assert dialog is not None
    dialog.select_stream("imu:p2")
    dialog.run_estimate()
    assert "No estimate" in dialog.estimate_label.text()
    assert not dialog.accept_button.isEnabled()
    dialog.close()


# --------------------------------------------------------------------------- metrics
def test_metrics_table_sorts_and_selects(qtbot, raw_dir: Path, tmp_path: Path) -> None:
    state = AppState()
    panel = MetricsPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    loaded = load_session(raw_dir)
    with qtbot.waitSignal(panel.computed, timeout=10000):
        state.set_session(loaded)
    assert panel.model.rowCount() == 2
    distances = {r.player: r.distance_m for r in panel.model.rows}
    assert distances["p1"] == pytest.approx(6.0 * 5.9, rel=0.05)  # 6 m/s for 5.9 s
    assert distances["p2"] == pytest.approx(5.0 * 5.9, rel=0.05)  # 1 rad/s on a 5 m circle
    panel.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    assert [panel.player_at(r) for r in range(2)] == ["p2", "p1"]
    panel.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    assert panel.player_at(0) == "p1"
    top_speed = panel.model.data(panel.proxy.mapToSource(panel.proxy.index(0, 12)))
    assert top_speed == "21.6"  # 6 m/s shown in km/h
    index = panel.proxy.index(1, 0)
    panel.table.doubleClicked.emit(index)
    assert state.selected_player == "p2"
    assert panel.table.selectionModel().selectedRows()[0].row() == 1
    out = panel.export_csv(tmp_path / "metrics.csv")
    assert out is not None and out.read_text().count("\n") == 3  # header + 2 players
    with qtbot.waitSignal(panel.computed, timeout=5000):
        state.set_session(None)
    assert panel.model.rowCount() == 0


def test_metrics_of_a_panel_closed_meanwhile_are_dropped_quietly(qtbot) -> None:
    """Closing the app while the metrics of a long session are computed: the worker finds its
    panel gone and stops without a traceback."""
    import threading

    import shiboken6

    from footcoach.app.load import LoadedSession
    from footcoach.domain.timeseries import TimeSeries

    t = np.arange(0, 1800, 0.1)  # 30 minutes of GPS and IMU
    gps = TimeSeries(t, np.c_[20 + 5 * np.cos(t / 5), 30 + 5 * np.sin(t / 5)], ("x", "y"),
                     ("m", "m"))
    ti = np.arange(0, 1800, 0.01)
    acc = np.c_[np.zeros((ti.size, 2)), np.ones(ti.size)]
    imu = TimeSeries(ti, np.c_[acc, np.zeros((ti.size, 3))],
                     ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
                     ("g",) * 3 + ("rad/s",) * 3)
    loaded = LoadedSession(Session("long", players=[Player("a")]), imu={"a": imu},
                           gps={"a": gps})
    errors: list[BaseException | None] = []
    before = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    try:
        state = AppState()
        panel = MetricsPanel(state)
        state.set_session(loaded)  # starts the worker
        shiboken6.delete(panel)
        for thread in threading.enumerate():
            if thread.name == "footcoach-metrics":
                thread.join(timeout=60)
    finally:
        threading.excepthook = before
    assert errors == []


# --------------------------------------------------------------------------- new session
def test_new_session_from_raw_files_opens_it(qtbot, window: MainWindow, raw_dir: Path,
                                             tmp_path: Path) -> None:
    dialog = window.tools.new_session()
    assert isinstance(dialog, NewSessionDialog)
    dialog.parent_field.edit.setText(str(tmp_path))
    dialog.name_edit.setText("tuesday")
    dialog.video_field.edit.setText(str(raw_dir / "video.mp4"))
    for pid in ("p1", "p2"):
        dialog.imu_files.add_file(raw_dir / "imu" / f"{pid}.csv")
        dialog.gps_files.add_file(raw_dir / "gps" / f"{pid}.csv", player_id=pid)
    with qtbot.waitSignal(window.state.session_changed, timeout=20000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    folder = tmp_path / "tuesday"
    assert (folder / "session.toml").is_file()
    assert window.session_path == folder.resolve()
    loaded = window.state.loaded
    assert loaded is not None and loaded.player_ids == ["p1", "p2"]
    assert set(loaded.imu) == set(loaded.gps) == {"p1", "p2"}
    assert window.video.server is not None


def test_new_session_shows_errors_in_a_dialog(qtbot, raw_dir: Path, tmp_path: Path) -> None:
    dialog = NewSessionDialog(None, tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    with qtbot.waitSignal(dialog.failed, timeout=2000) as blocker:
        ok.click()  # no name yet
    assert "name" in blocker.args[0]
    dialog.name_edit.setText("broken")
    broken = tmp_path / "vest9.csv"
    broken.write_text("unix_time_ms,acc_x_g\nabc,def\n")
    dialog.imu_files.add_file(broken)
    dialog.gps_files.add_file(raw_dir / "gps" / "p1.csv", player_id="vest9")
    with qtbot.waitSignal(dialog.failed, timeout=10000) as blocker:
        ok.click()
    message = blocker.args[0]
    assert "vest9.csv" in message and "Traceback" not in message
    boxes = [w for w in dialog.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "vest9.csv" in boxes[-1].text()
    assert dialog.isVisible() and not (tmp_path / "broken").exists()
    id_cell = dialog.imu_files.table.item(0, 0)
    assert id_cell is not None
    id_cell.setText("")
    with qtbot.waitSignal(dialog.failed, timeout=2000) as blocker:
        ok.click()
    assert "empty player id" in blocker.args[0]


def test_analysis_waits_for_the_model(window: MainWindow) -> None:
    action = window.tools.analysis_action
    assert not action.isEnabled() and "Analyse the open session" in action.toolTip()
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Analysis" in titles and "&Session" in titles
    assert not window.tools.sync_action.isEnabled()  # no session open yet
