"""The GUI's array helpers (no Qt needed): decimation, event lookup, team tactic, positions."""

from __future__ import annotations

import time

import numpy as np
import pytest

from footcoach.app.review_data import (
    EventColumns,
    EventIndex,
    decimate_minmax,
    event_caption,
    format_time,
    occupancy,
    parse_time,
    position_at,
    speed_of,
    tail,
    team_tactic_segments,
)
from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.timeseries import TimeSeries


def ev(eid: str, pid: str, s: float, e: float, action: Action = Action.RUNNING,
       tactic: Tactic | None = None, quality: float | None = None) -> Event:
    return Event(eid, pid, s, e, action, tactic, quality)


# ------------------------------------------------------------------ decimation
def test_decimate_keeps_every_bin_extreme_and_bounds_the_point_count() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(0, 5400, 0.01)  # 90 minutes at 100 Hz
    y = rng.standard_normal(t.size)
    y[123_456] = 25.0  # a single-sample spike must survive
    y[400_000] = -30.0
    start = time.perf_counter()
    xt, xy = decimate_minmax(t, y, 0.0, 5400.0, 1000)
    elapsed = time.perf_counter() - start
    assert xt.size <= 2 * 1000 + 4
    assert xy.max() == 25.0 and xy.min() == -30.0
    assert np.all(np.diff(xt) >= 0)  # still in time order
    # each pixel column keeps its own min and max
    width = 5400.0 / 1000
    for k in (0, 228, 999):
        m = (t >= k * width) & (t < (k + 1) * width)
        mo = (xt >= k * width) & (xt < (k + 1) * width)
        assert xy[mo].max() == y[m].max() and xy[mo].min() == y[m].min()
    assert elapsed < 0.5


def test_decimate_returns_raw_samples_when_few_and_marks_nan_gaps() -> None:
    t = np.arange(0, 10, 0.1)
    y = np.sin(t)
    xt, _ = decimate_minmax(t, y, 2.0, 4.0, 100)
    assert np.array_equal(xt, t[19:41])  # one sample beyond each edge
    t2 = np.arange(0, 100, 0.01)
    y2 = np.ones_like(t2)
    y2[(t2 >= 40) & (t2 < 60)] = np.nan
    _, gy = decimate_minmax(t2, y2, 0, 100, 50)
    assert np.isnan(gy).sum() >= 2 * 9  # the empty bins become gaps in the line
    with pytest.raises(ValueError):
        decimate_minmax(t, y, 0, 1, 0)


# ------------------------------------------------------------------ events
def test_event_index_finds_the_event_under_the_playhead() -> None:
    events = [ev("a", "p1", 0, 2), ev("b", "p1", 2, 3), ev("c", "p2", 1, 5),
              ev("long", "p3", 0, 100), ev("short", "p3", 10, 11)]
    idx = EventIndex(events)
    assert idx.event_at("p1", 1.99).id == "a"  # type: ignore[union-attr]
    assert idx.event_at("p1", 2.0).id == "b"  # type: ignore[union-attr]
    assert idx.event_at("p1", 3.0) is None
    assert idx.event_at("p2", 0.5) is None
    assert idx.event_at("nobody", 1.0) is None
    # overlapping events: the latest-starting one that covers t wins, the long one elsewhere
    assert idx.event_at("p3", 10.5).id == "short"  # type: ignore[union-attr]
    assert idx.event_at("p3", 50.0).id == "long"  # type: ignore[union-attr]


def test_event_columns_code_players_in_session_order() -> None:
    events = [ev("a", "p2", 0, 1, quality=50), ev("b", "x9", 0, 1), ev("c", "p1", 0, 1)]
    cols = EventColumns.build(events, ["p1", "p2"])
    assert cols.player_ids == ("p1", "p2", "x9")
    assert list(cols.player) == [1, 2, 0]
    assert list(cols.tactic) == [-1, -1, -1]
    assert cols.quality[0] == 50 and np.isnan(cols.quality[1])


def test_team_tactic_is_the_majority_over_time() -> None:
    events = [ev("1", "p1", 0, 10, tactic=Tactic.PRESSING),
              ev("2", "p2", 0, 4, tactic=Tactic.PRESSING),
              ev("3", "p3", 4, 10, tactic=Tactic.RETREATING_DEFENCE),
              ev("4", "p2", 4, 10, tactic=Tactic.RETREATING_DEFENCE),
              ev("5", "p1", 12, 13, tactic=Tactic.PASSING),
              ev("6", "p4", 20, 21)]  # no tactic: not on the team track
    s, e, k = team_tactic_segments(EventColumns.build(events))
    assert list(zip(s, e, k, strict=True)) == [
        (0, 4, Tactic.PRESSING), (4, 10, Tactic.RETREATING_DEFENCE), (12, 13, Tactic.PASSING)]
    empty = team_tactic_segments(EventColumns.build([]))
    assert all(a.size == 0 for a in empty)


def test_event_caption() -> None:
    e = ev("1", "p1", 0, 1, Action.SHOOTING, Tactic.BREAKTHROUGH, 71.6)
    assert event_caption(e) == "shooting · breakthrough · Q72"
    assert event_caption(ev("2", "p1", 0, 1, Action.TAKE_OFF)) == "take-off"
    assert event_caption(None) == ""


# ------------------------------------------------------------------ positions
def gps(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> TimeSeries:
    return TimeSeries(t, np.c_[x, y], ("x", "y"), ("m", "m"), name="gps")


def test_position_interpolates_and_respects_gaps() -> None:
    t = np.array([0.0, 1.0, 2.0, 10.0])
    g = gps(t, np.array([0.0, 10.0, 20.0, 30.0]), np.array([5.0, 5.0, 5.0, 5.0]))
    assert np.allclose(position_at(g, 0.25), [2.5, 5.0])
    assert np.allclose(position_at(g, 2.0), [20.0, 5.0])
    assert np.all(np.isnan(position_at(g, 5.0)))  # 8 s without a fix
    assert np.all(np.isnan(position_at(g, -0.1)))
    assert np.all(np.isnan(position_at(g, 10.1)))
    assert tail(g, 2.0, 1.5).tolist() == [[10.0, 5.0], [20.0, 5.0]]


def test_speed_from_channel_or_from_positions() -> None:
    t = np.arange(0, 5, 0.5)
    g = gps(t, 3.0 * t, np.zeros_like(t))
    assert np.allclose(speed_of(g), 3.0)
    g2 = TimeSeries(t, np.c_[3 * t, 0 * t, np.full_like(t, 7.0)], ("x", "y", "speed"),
                    ("m", "m", "m/s"))
    assert np.allclose(speed_of(g2), 7.0)


def test_occupancy_counts_positions_per_cell() -> None:
    x = np.array([0.5, 0.7, 104.9, np.nan, 200.0])
    y = np.array([0.5, 0.2, 67.5, 3.0, 3.0])
    h = occupancy(x, y, 105.0, 68.0, 1.0)
    assert h.shape == (105, 68)
    assert h[0, 0] == 2 and h[104, 67] == 1 and h.sum() == 3


# ------------------------------------------------------------------ time text
@pytest.mark.parametrize(("text", "seconds"), [
    ("75.5", 75.5), ("1:15.5", 75.5), ("0:01:15.5", 75.5), ("1:00:00", 3600.0), ("-2", -2.0),
    (" 12 ", 12.0)])
def test_parse_time(text: str, seconds: float) -> None:
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "1:2:3:4", "1,5"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_time(text)


def test_format_time() -> None:
    assert format_time(75.5) == "1:15.50"
    assert format_time(59.999) == "1:00.00"
    assert format_time(3725.0, 0) == "1:02:05"
    assert format_time(-3.0, 1) == "-0:03.0"
    assert format_time(float("nan")) == "--:--"
