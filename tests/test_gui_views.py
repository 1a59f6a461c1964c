"""Timeline, IMU plot, pitch map, attention panel and event table, driven offscreen."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from gui_fixtures import make_events, make_session, p1_xy, p2_xy
from PySide6.QtCore import Qt

from footcoach.app.load import LoadedSession, load_session
from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.session import Player, Session
from footcoach.domain.timeseries import TimeSeries
from footcoach.gui.attention_panel import AttentionPanel
from footcoach.gui.event_table import EventTable
from footcoach.gui.imu_plot import WINDOWS, ImuPlot
from footcoach.gui.pitch_map import PitchMap, pitch_lines
from footcoach.gui.state import AppState
from footcoach.gui.timeline import Timeline


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> LoadedSession:
    return load_session(make_session(tmp_path_factory.mktemp("gui-views") / "s"))


@pytest.fixture()
def state(loaded: LoadedSession) -> AppState:
    s = AppState()
    s.set_session(loaded, make_events())
    return s


def show(qtbot, widget, w: int = 900, h: int = 400):  # type: ignore[no-untyped-def]
    qtbot.addWidget(widget)
    widget.resize(w, h)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


# ------------------------------------------------------------------ timeline
def test_timeline_click_seeks_and_selects_the_event_under_the_mouse(qtbot, state) -> None:
    tl = show(qtbot, Timeline(state))
    assert tl.rows == ["p1", "p2"]
    assert sum(item.count for item in tl.action_items.values()) == len(state.events)
    target = state.event_index.event_at("p2", 3.3)
    pos = tl.scene_point(3.3, 1.0)  # the #10 Ben track at 3.3 s
    qtbot.mouseClick(tl.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert state.time_s == pytest.approx(3.3, abs=0.05)
    assert state.selected_event == target.id
    assert state.selected_player == "p2"
    assert tl._selection.isVisible()
    # a click on the quality plot seeks only
    qpt = tl.quality.getViewBox().mapViewToScene(tl.quality.getViewBox().mapSceneToView(
        tl.quality.getViewBox().sceneBoundingRect().center()))
    qtbot.mouseClick(tl.graphics.viewport(), Qt.MouseButton.LeftButton,
                     pos=tl.graphics.mapFromScene(qpt))
    assert state.selected_event == target.id
    assert state.time_s != pytest.approx(3.3, abs=0.05)


def test_timeline_playhead_follows_time_and_stays_in_view(qtbot, state) -> None:
    tl = show(qtbot, Timeline(state))
    state.set_time(4.2)
    assert all(line.value() == pytest.approx(4.2) for line in tl.playheads)
    tl.tracks.setXRange(0.0, 1.0, padding=0)
    state.set_time(5.0)  # outside the zoomed view: the view moves to it
    (x0, x1), _ = tl.tracks.getViewBox().viewRange()
    assert x0 <= 5.0 <= x1 and x1 - x0 == pytest.approx(1.0, rel=0.05)


def big_event_list(n: int, players: int, seconds: float) -> list[Event]:
    rng = np.random.default_rng(0)
    per = n // players
    events = []
    for p in range(players):
        edges = np.sort(rng.uniform(0, seconds, per + 1))
        acts = rng.integers(0, len(Action), per)
        tacs = rng.integers(0, len(Tactic), per)
        q = rng.uniform(0, 100, per)
        for k in range(per):
            events.append(Event(f"e{p}-{k}", f"p{p}", float(edges[k]), float(edges[k + 1]),
                                Action(int(acts[k])), Tactic(int(tacs[k])), float(q[k])))
    return events


def test_timeline_and_table_handle_100k_events(qtbot, tmp_path: Path) -> None:
    seconds = 5400.0
    events = big_event_list(100_000, 20, seconds)
    session = Session("big", players=[Player(f"p{i}") for i in range(20)])
    loaded = LoadedSession(session)
    state = AppState()
    start = time.perf_counter()
    state.set_session(loaded, events)
    tl = show(qtbot, Timeline(state))
    table = show(qtbot, EventTable(state))
    build_s = time.perf_counter() - start
    assert sum(item.count for item in tl.action_items.values()) == 100_000
    assert sum(item.count for item in tl.tactic_items.values()) > 0
    start = time.perf_counter()
    tl.graphics.grab()
    draw_s = time.perf_counter() - start
    start = time.perf_counter()
    table.set_filter(action=Action.SHOOTING, min_quality=50)
    table.view.sortByColumn(6, Qt.SortOrder.DescendingOrder)
    filter_s = time.perf_counter() - start
    expected = sum(e.action == Action.SHOOTING and e.quality >= 50 for e in events)  # type: ignore[operator]
    assert table.model.rowCount() == expected
    first = table.model.event_at(0)
    assert first.quality == max(e.quality for e in events if e.action == Action.SHOOTING)
    print(f"100k events: build {build_s:.2f} s, draw {draw_s * 1e3:.0f} ms, "
          f"filter+sort {filter_s * 1e3:.0f} ms")
    assert build_s < 10 and draw_s < 2 and filter_s < 1


# ------------------------------------------------------------------ IMU plot
def test_imu_plot_shows_the_selected_player_with_a_cursor(qtbot, state) -> None:
    plot = show(qtbot, ImuPlot(state), 500, 400)
    assert plot.points_drawn() == 0
    state.select_player("p1")
    assert "#7 Ana" in plot.title.text()
    assert plot.points_drawn() > 0
    state.set_time(3.0)
    assert all(c.value() == 3.0 for c in plot.cursors)
    speed = plot.speed_curve.yData
    assert np.nanmedian(speed) == pytest.approx(6.0, abs=0.05)  # p1 runs at 6 m/s
    x = plot.acc_curves[3].yData  # |a| around 1 g
    assert 0.8 < np.nanmedian(x) < 1.2


def test_imu_plot_decimates_a_90_minute_session(qtbot) -> None:
    t = np.arange(0, 5400, 0.01)
    rng = np.random.default_rng(2)
    values = np.c_[rng.standard_normal((t.size, 3)) * 0.3 + [0, 0, 1],
                   rng.standard_normal((t.size, 3))]
    imu = TimeSeries(t, values, ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
                     ("g",) * 3 + ("rad/s",) * 3)
    tg = np.arange(0, 5400, 0.1)
    gps = TimeSeries(tg, np.c_[50 + 0 * tg, 30 + 0 * tg, 3 + np.sin(tg)],
                     ("x", "y", "speed"), ("m", "m", "m/s"))
    loaded = LoadedSession(Session("long", players=[Player("a")]), imu={"a": imu},
                           gps={"a": gps})
    state = AppState()
    state.set_session(loaded)
    plot = show(qtbot, ImuPlot(state), 600, 400)
    state.select_player("a")
    plot.window_box.setCurrentIndex([w for _, w in WINDOWS].index(None))
    px = plot._pixels()
    assert plot.points_drawn() <= 8 * (2 * px + 4)  # 8 curves, 2 points per pixel column
    start = time.perf_counter()
    for k in range(100):  # playback ticks: only the cursor moves
        state.set_time(1000 + k * 0.04)
    whole_ms = (time.perf_counter() - start) * 10
    plot.window_box.setCurrentIndex(1)  # 30 s around the playhead
    start = time.perf_counter()
    for k in range(100):
        state.set_time(2000 + k * 0.5)  # 50 s of playhead travel: some re-decimations
    follow_ms = (time.perf_counter() - start) * 10
    v0, v1 = plot.visible_range()
    assert v0 < state.time_s < v1 and v1 - v0 == pytest.approx(30.0)
    print(f"IMU plot per playhead move: whole session {whole_ms:.2f} ms, 30 s window "
          f"{follow_ms:.2f} ms")
    assert whole_ms < 20 and follow_ms < 30


def test_imu_plot_shades_where_the_vest_stopped_measuring(qtbot, tmp_path: Path) -> None:
    t = np.arange(0, 120, 0.01)
    rng = np.random.default_rng(4)
    values = np.c_[rng.standard_normal((t.size, 3)) * 0.3 + [0, 0, 1],
                   rng.standard_normal((t.size, 3))]
    values[3000:7000] = values[2999]  # frozen from 0:29.99 to 1:09.99
    imu = TimeSeries(t, values, ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
                     ("g",) * 3 + ("rad/s",) * 3)
    loaded = LoadedSession(Session("faulty", players=[Player("a"), Player("b")]),
                           imu={"a": imu, "b": imu.replace(values=values[::-1].copy())})
    state = AppState()
    state.set_session(loaded)
    plot = show(qtbot, ImuPlot(state), 700, 360)
    state.select_player("a")
    assert [(f.kind, round(f.start_s, 2), round(f.end_s, 2)) for f in plot.faults] == [
        ("frozen", 29.99, 69.99)]
    assert "vest frozen 0:30.0-1:10.0, set aside" in plot.fault_label.text()
    assert plot.fault_label.isVisible()
    regions = [item for item in plot.acc.items if isinstance(item, pg.LinearRegionItem)]
    assert len(regions) == 1 and regions[0].getRegion() == pytest.approx((29.99, 69.99))
    state.set_time(60.0)
    plot.window_box.setCurrentIndex(2)  # 2 minutes: the fault and its edges in view
    plot.grab().save(str(tmp_path / "imu_fault.png"))
    state.select_player("b")  # the same fault, elsewhere: the old shading goes
    regions = [item for item in plot.acc.items if isinstance(item, pg.LinearRegionItem)]
    assert len(regions) == 1 and regions[0].getRegion()[0] == pytest.approx(50.0, abs=0.02)
    state.select_player("")
    assert plot.faults == [] and not [i for i in plot.gyro.items
                                      if isinstance(i, pg.LinearRegionItem)]
    assert not plot.fault_label.isVisible()


def test_imu_plot_shades_where_the_gps_unit_repeated_its_fix(qtbot) -> None:
    t = np.arange(0, 60, 0.01)
    rng = np.random.default_rng(6)
    values = np.c_[rng.normal(0, 0.5, (t.size, 3)) + np.array([0.0, 0.0, 1.0]),
                   rng.standard_normal((t.size, 3))]
    imu = TimeSeries(t, values, ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
                     ("g",) * 3 + ("rad/s",) * 3)
    tg = np.arange(0, 60, 0.1)
    xy = np.c_[20 + 10 * np.cos(0.3 * tg), 15 + 10 * np.sin(0.3 * tg)]
    xy[200:400] = xy[199]  # the unit holds its fix from 19.9 s to 39.9 s; the vest runs on
    gps = TimeSeries(tg, xy, ("x", "y"), ("m", "m"))
    state = AppState()
    state.set_session(LoadedSession(Session("gps", players=[Player("a")]), imu={"a": imu},
                                    gps={"a": gps}))
    plot = show(qtbot, ImuPlot(state), 700, 360)
    state.select_player("a")
    assert [f.kind for f in plot.faults] == ["frozen position"]
    assert "GPS position frozen 0:19.9-0:39.9, set aside" in plot.fault_label.text()
    shaded = [i for i in plot.speed.items if isinstance(i, pg.LinearRegionItem)]
    assert len(shaded) == 1 and not [i for i in plot.acc.items
                                     if isinstance(i, pg.LinearRegionItem)]



def test_imu_plot_shades_where_the_gps_position_drifted(qtbot) -> None:
    t = np.arange(0, 60, 0.01)
    rng = np.random.default_rng(7)
    values = np.c_[rng.normal(0, 0.01, (t.size, 3)) + np.array([0.0, 0.0, 1.0]),
                   rng.normal(0, 0.02, (t.size, 3))]  # a player standing
    imu = TimeSeries(t, values, ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
                     ("g",) * 3 + ("rad/s",) * 3)
    tg = np.arange(0, 60, 0.1)
    x = 20.0 + np.clip(tg - 20.0, 0.0, 6.0) * 3.0  # pulled 18 m away at 3 m/s from 20 s
    y = 15.0 + np.clip(tg - 40.0, 0.0, 15.0) * 4.0  # a run of 15 s the unit measured
    speed = np.where((tg >= 40.0) & (tg < 55.0), 4.0, 0.0)  # and 0 while the position drifted
    gps = TimeSeries(tg, np.c_[x, y, speed], ("x", "y", "speed"), ("m", "m", "m/s"))
    state = AppState()
    state.set_session(LoadedSession(Session("gps", players=[Player("a")]), imu={"a": imu},
                                    gps={"a": gps}))
    plot = show(qtbot, ImuPlot(state), 700, 360)
    state.select_player("a")
    assert [f.kind for f in plot.faults] == ["drifting position"]
    assert "GPS position drifting (multipath) 0:19.0-0:27.0, set aside" in (
        plot.fault_label.text())
    assert len([i for i in plot.speed.items if isinstance(i, pg.LinearRegionItem)]) == 1


def test_imu_plot_does_not_read_another_players_vest_beside_a_gps_unit(
        qtbot, tmp_path: Path) -> None:
    from demo_copy import demo_with_swapped_vests

    from footcoach.app.load import load_session
    from footcoach.sync.sensor_faults import find_gps_faults

    loaded = load_session(demo_with_swapped_vests(tmp_path, speed_column=False))
    assert find_gps_faults(loaded.gps["a02"], loaded.imu["a02"])  # b03's vest, read as a02's
    state = AppState()
    state.set_session(loaded)
    plot = show(qtbot, ImuPlot(state), 700, 360)
    state.select_player("a02")
    assert plot.faults == []  # the vest follows b03's track: not read for a02's GPS unit
    state.select_player("a03")
    assert plot._own_vest("a03") and not plot._own_vest("b03")

# ------------------------------------------------------------------ pitch map
def test_pitch_map_places_players_and_trails(qtbot, state) -> None:
    pm = show(qtbot, PitchMap(state), 500, 350)
    state.set_time(3.0)
    assert pm.positions["p1"] == pytest.approx(tuple(p1_xy(np.array([3.0]))[0]), abs=0.01)
    assert pm.positions["p2"] == pytest.approx(tuple(p2_xy(np.array([3.0]))[0]), abs=0.2)
    trail_x, _ = pm._trails["p1"].getData()
    assert trail_x.min() == pytest.approx(20.0, abs=0.01) and trail_x.max() <= 38.01
    pm.tail_box.setValue(1)
    trail_x, _ = pm._trails["p1"].getData()
    assert trail_x.min() >= 31.9
    assert pm._numbers["p1"].textItem.toPlainText() == "7"


def test_pitch_map_click_selects_and_heatmap_follows_selection(qtbot, state) -> None:
    pm = show(qtbot, PitchMap(state), 500, 350)
    state.set_time(2.0)
    x, y = pm.positions["p2"]
    scene_pt = pm.plot.getViewBox().mapViewToScene(pg_point(x, y))
    qtbot.mouseClick(pm.plot_widget.viewport(), Qt.MouseButton.LeftButton,
                     pos=pm.plot_widget.mapFromScene(scene_pt))
    assert state.selected_player == "p2"
    assert pm.heatmap_player == ""
    pm.set_heatmap_visible(True)
    assert pm.heatmap_player == "p2"
    image = pm.heatmap.image
    assert image is not None and image.shape == (105, 68)
    assert np.unravel_index(np.argmax(image), image.shape)[0] in range(54, 67)  # p2 circles x=60
    state.select_player("p1")
    assert pm.heatmap_player == "p1"
    pm.set_heatmap_visible(False)
    assert pm.heatmap_player == ""


def pg_point(x: float, y: float):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPointF
    return QPointF(x, y)


def test_pitch_lines_are_to_scale() -> None:
    from footcoach.domain.pitch import Pitch

    x, y = pitch_lines(Pitch(105, 68))
    assert np.nanmin(x) == pytest.approx(-1.5) and np.nanmax(x) == pytest.approx(106.5)
    assert np.nanmin(y) == 0 and np.nanmax(y) == 68
    # the penalty area line at 16.5 m is there
    assert np.any(np.isclose(x, 16.5))
    xs, _ = pitch_lines(Pitch(50, 30))  # a small-sided pitch: markings scaled down
    assert not np.any(np.isclose(xs, 16.5)) and np.nanmax(xs) < 52


# ------------------------------------------------------------------ attention panel
def test_attention_panel_shows_the_selected_event(qtbot, state) -> None:
    panel = show(qtbot, AttentionPanel(state), 400, 350)
    assert panel.modality_values == {"video": 0.0, "imu": 0.0, "position": 0.0}
    profile = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    state.set_result(state.events, {"p1-2": profile})
    state.select_event("p1-2")
    assert panel.modality_values == {"video": 0.5, "imu": 0.3, "position": 0.2}
    assert "#7 Ana" in panel.summary.text()
    assert panel.profile is not None and np.allclose(panel.profile, profile)
    x, y = panel.time_curve.getData()
    assert np.allclose(y, profile) and x[0] == pytest.approx(0.1) and x[-1] == pytest.approx(0.9)
    state.set_time(2.5)
    assert panel.time_cursor.isVisible() and panel.time_cursor.value() == pytest.approx(0.5)
    state.select_event("p2-0")  # no profile for this one
    assert panel.profile is None
    state.select_event("")
    assert "Select an event" in panel.summary.text()


# ------------------------------------------------------------------ event table
def test_event_table_filters(qtbot, state) -> None:
    table = show(qtbot, EventTable(state), 700, 300)
    events = state.events
    assert table.model.rowCount() == len(events)
    table.set_filter(player="p2")
    assert {e.player_id for e in table.visible_events()} == {"p2"}
    assert table.model.rowCount() == sum(e.player_id == "p2" for e in events)
    table.set_filter(min_quality=70)
    assert table.model.rowCount() == sum((e.quality or 0) >= 70 for e in events)
    action = events[3].action
    table.set_filter(action=action)
    assert [e.id for e in table.visible_events()] == [e.id for e in events if e.action == action]
    tactic = events[0].tactic
    table.set_filter(player="p1", tactic=tactic)
    assert [e.id for e in table.visible_events()] == [
        e.id for e in events if e.player_id == "p1" and e.tactic == tactic]
    # the widgets drive the same filter
    table.set_filter()
    table.action_box.setCurrentIndex(table.action_box.findData(action))
    assert table.model.rowCount() == sum(e.action == action for e in events)
    assert table.count.text() == f"{table.model.rowCount()} of {len(events)} events"


def test_event_table_selection_and_double_click_seek(qtbot, state) -> None:
    table = show(qtbot, EventTable(state), 700, 300)
    table.view.sortByColumn(6, Qt.SortOrder.DescendingOrder)  # best quality first
    best = table.model.event_at(0)
    assert best.quality == max(e.quality for e in state.events)  # type: ignore[type-var]
    rect = table.view.visualRect(table.model.index(0, 3))
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert state.selected_event == best.id
    state.set_time(0.0)
    qtbot.mouseDClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert state.time_s == pytest.approx(best.start_s)
    # selecting elsewhere (timeline) selects the row here
    state.select_event("p2-1")
    row = table.view.selectionModel().currentIndex().row()
    assert table.model.event_at(row).id == "p2-1"
