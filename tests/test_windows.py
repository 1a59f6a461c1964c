"""Step cutting (sync/windows.py), crop geometry (io/video_crops.py), label tracks
(io/labels.py) and the window selection / split rules of the dataset builder, on small
constructed inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from footcoach.app.dataset import assign_splits, balance_windows
from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.pitch import Pitch
from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.windowing import (
    CONTEXT_FEATURES,
    DEFAULT_CONTEXT_FEATURES,
    PLAYER_CONTEXT_FEATURES,
    POSSESSION_CONTEXT_FEATURES,
    WindowSpec,
)
from footcoach.errors import FootcoachError
from footcoach.io.labels import (
    Track,
    read_annotation_events,
    read_label_tracks,
)
from footcoach.io.video_crops import crop_boxes, cut_crop, nearest_frames, scaled_calibration
from footcoach.sync.ball_context import POSSESSION_MEMORY_S
from footcoach.sync.windows import (
    ContextBuilder,
    imu_steps,
    iter_step_blocks,
    step_grid,
    window_centre_times,
)
from footcoach.synth.render_camera import default_camera

SPEC = WindowSpec()
F = {name: i for i, name in enumerate(CONTEXT_FEATURES)}


def imu_series(t: np.ndarray, *, gyro_unit: str = "rad/s") -> TimeSeries:
    """9 channels: acc_x = t, acc_y = 2, acc_z = 1, gyro_z = 1 (in gyro_unit), mag = (30,0,-40)."""
    n = t.size
    v = np.zeros((n, 9))
    v[:, 0] = t
    v[:, 1] = 2.0
    v[:, 2] = 1.0
    v[:, 5] = 1.0
    v[:, 6] = 30.0
    v[:, 8] = -40.0
    ch = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "mag_x", "mag_y", "mag_z")
    units = ("g",) * 3 + (gyro_unit,) * 3 + ("uT",) * 3
    return TimeSeries(t, v.astype(np.float32), ch, units, name="imu")


def line_xy(t: np.ndarray, x0: float, y0: float, vx: float, vy: float) -> TimeSeries:
    return TimeSeries(t, np.c_[x0 + vx * t, y0 + vy * t], ("x", "y"), ("m", "m"), name="gps")


def test_step_grid_covers_whole_steps_only():
    g = step_grid(-0.18, 30.0, SPEC)
    assert (g.k0, g.n) == (0, 60)
    np.testing.assert_allclose(g.t_start[:3], [0.0, 0.5, 1.0])
    g2 = step_grid(0.2, 2.4, SPEC)
    assert (g2.k0, g2.n) == (1, 3)  # steps [0.5, 1), [1, 1.5), [1.5, 2); [2, 2.5) is cut
    ft = g2.frame_times(SPEC.frames_per_step)
    np.testing.assert_allclose(ft[0], [0.5625, 0.6875, 0.8125, 0.9375])
    np.testing.assert_allclose(window_centre_times(g, np.array([0, 3]), 8), [2.0, 3.5])
    assert g.sub(58, 70).n == 2 and g.sub(58, 70).k0 == 58


def test_imu_steps_pick_the_lattice_samples_convert_units_and_flag_gaps():
    t = np.arange(0, 1001) / 100.0  # 0..10 s at 100 Hz
    ts = imu_series(t, gyro_unit="deg/s")
    vals = ts.values.copy()
    vals[300:370, :] = np.nan  # all of step 6 (3.0-3.5 s), 20 of 50 samples of step 7
    ts = ts.replace(values=vals)
    grid = step_grid(0.0, 10.0, SPEC)
    imu, valid = imu_steps(ts, grid, SPEC)
    assert imu.shape == (20, 50, 9) and imu.dtype == np.float32
    np.testing.assert_allclose(imu[2, :, 0], 1.0 + np.arange(50) / 100.0, atol=1e-6)
    np.testing.assert_allclose(imu[2, 0, 5], np.pi / 180.0, rtol=1e-6)  # deg/s -> rad/s
    np.testing.assert_allclose(np.linalg.norm(imu[2, 0, 6:]), 1.0, rtol=1e-6)  # unit field
    assert not valid[6] and valid[7]
    assert np.all(imu[6] == 0.0) and np.all(imu[7, :20] == 0.0)
    np.testing.assert_allclose(imu[7, 20:, 0], 3.7 + np.arange(30) / 100.0, atol=1e-6)
    assert valid[[0, 1, 2, 5, 8]].all()


def test_imu_steps_interpolate_other_rates_and_handle_missing_stream():
    t = np.arange(0, 401) / 40.0  # 40 Hz
    imu, valid = imu_steps(imu_series(t), step_grid(0.0, 10.0, SPEC), SPEC)
    np.testing.assert_allclose(imu[4, :, 0], 2.0 + np.arange(50) / 100.0, atol=1e-5)
    assert valid.all()
    empty, ok = imu_steps(None, step_grid(0.0, 2.0, SPEC), SPEC)
    assert empty.shape == (4, 50, 9) and not ok.any()


def test_context_features_of_players_moving_in_straight_lines():
    t = np.arange(0, 201) / 10.0
    pitch = Pitch(40.0, 30.0)
    pos = {"a1": line_xy(t, 5.0, 10.0, 3.0, 0.0),  # runs along +x at 3 m/s
           "a2": line_xy(t, 5.0, 14.0, 3.0, 0.0),  # teammate 4 m to the left
           "b1": line_xy(t, 5.0, 4.0, 3.0, 0.0)}   # opponent 6 m to the right
    ball = TimeSeries(t, np.c_[8.0 + 3.0 * t, np.full(t.size, 10.0), np.zeros(t.size)],
                      ("x", "y", "z"), ("m", "m", "m"))
    teams = {"a1": "A", "a2": "A", "b1": "B"}
    grid = step_grid(0.0, 20.0, SPEC)
    out = ContextBuilder(pos, teams, pitch, ball=ball, spec=SPEC).steps(grid)
    ctx, valid = out["a1"]
    assert ctx.shape == (40, len(DEFAULT_CONTEXT_FEATURES))
    assert ctx.dtype == np.float32 and valid.all()
    k = 10  # step 5.0-5.5 s: x from 20 to 21.35
    c = ctx[k]
    assert c[F["speed_mps"]] == pytest.approx(3.0, abs=1e-3)
    assert c[F["accel_mps2"]] == pytest.approx(0.0, abs=1e-3)
    assert (c[F["heading_sin"]], c[F["heading_cos"]]) == pytest.approx((0.0, 1.0), abs=1e-4)
    assert c[F["x_norm"]] == pytest.approx((5 + 3 * 5.2) / 40, abs=1e-3)
    assert c[F["y_norm"]] == pytest.approx(10 / 30, abs=1e-4)
    assert c[F["ball_dist_m"]] == pytest.approx(3.0, abs=1e-3)
    assert c[F["ball_bearing_cos"]] == pytest.approx(1.0, abs=1e-4)  # ball straight ahead
    assert c[F["goal_dist_m"]] == pytest.approx(np.hypot(40 - 20.6, 5.0), abs=0.05)  # A -> x=40
    assert c[F["team_centroid_dist_m"]] == pytest.approx(4.0, abs=1e-3)
    assert c[F["nearest_opponent_m"]] == pytest.approx(6.0, abs=1e-3)
    b = out["b1"][0][k]  # team B attacks x = 0
    assert b[F["goal_dist_m"]] == pytest.approx(np.hypot(20.6, 11.0), abs=0.05)
    assert np.isnan(b[F["team_centroid_dist_m"]])  # no teammate
    no_ball = ContextBuilder(pos, teams, pitch, spec=SPEC).steps(grid)["a1"][0]
    assert np.isnan(no_ball[:, F["ball_dist_m"]]).all()
    assert np.isfinite(no_ball[:, F["speed_mps"]]).all()
    # team shape: A (a1, a2) and B (b1) all run at 3 m/s along +x; A attacks x = 40
    x = 5 + 3 * 5.2  # mean x over the step
    assert c[F["attack_progress"]] == pytest.approx(x / 40, abs=1e-3)
    assert c[F["team_progress"]] == pytest.approx(x / 40, abs=1e-3)
    assert c[F["team_lead_m"]] == pytest.approx(0.0, abs=1e-3)
    assert c[F["team_advance_mps"]] == pytest.approx(3.0, abs=1e-3)
    assert c[F["opponent_advance_mps"]] == pytest.approx(-3.0, abs=1e-3)  # B attacks x = 0
    assert c[F["team_speed_mps"]] == pytest.approx(3.0, abs=1e-3)
    assert c[F["team_spread_m"]] == pytest.approx(2.0, abs=1e-3)
    assert c[F["opponent_spread_m"]] == pytest.approx(0.0, abs=1e-3)
    assert c[F["nearest_mate_m"]] == pytest.approx(4.0, abs=1e-3)
    assert c[F["opponents_within_5m"]] == 0.0
    assert c[F["goal_side_m"]] == pytest.approx(0.0, abs=1e-3)
    assert b[F["attack_progress"]] == pytest.approx(1 - x / 40, abs=1e-3)
    assert b[F["team_lead_m"]] == pytest.approx(0.0, abs=1e-3)
    assert b[F["opponents_within_5m"]] == 0.0  # a1 6 m away, a2 10 m
    assert np.isnan(b[F["nearest_mate_m"]])


def test_ball_features_say_who_is_nearer_the_ball_and_where_it_goes():
    t = np.arange(0, 201) / 10.0
    pitch = Pitch(40.0, 30.0)
    pos = {"a1": line_xy(t, 5.0, 10.0, 3.0, 0.0),  # A attacks x = 40
           "a2": line_xy(t, 5.0, 14.0, 3.0, 0.0),
           "b1": line_xy(t, 5.0, 4.0, 3.0, 0.0)}
    ball = TimeSeries(t, np.c_[8.0 + 3.0 * t, np.full(t.size, 10.0), np.zeros(t.size)],
                      ("x", "y", "z"), ("m", "m", "m"))  # 3 m ahead of a1, same speed
    teams = {"a1": "A", "a2": "A", "b1": "B"}
    grid = step_grid(0.0, 20.0, SPEC)
    out = ContextBuilder(pos, teams, pitch, ball=ball, spec=SPEC).steps(grid)
    k = 10  # step 5.0-5.5 s: mean sample time 5.2 s
    a1, a2, b1 = (out[p][0][k] for p in ("a1", "a2", "b1"))
    gap = np.hypot(3.0, 6.0) - 3.0  # b1 is 6.7 m from the ball, a1 3 m
    assert a1[F["ball_control_m"]] == pytest.approx(gap, abs=1e-3)
    assert a2[F["ball_control_m"]] == pytest.approx(gap, abs=1e-3)
    assert b1[F["ball_control_m"]] == pytest.approx(-gap, abs=1e-3)
    assert a1[F["ball_dist_vs_team_m"]] == pytest.approx(0.0, abs=1e-4)  # A's nearest
    assert a2[F["ball_dist_vs_team_m"]] == pytest.approx(5.0 - 3.0, abs=1e-3)
    assert b1[F["ball_dist_vs_team_m"]] == pytest.approx(0.0, abs=1e-4)
    bx = 8.0 + 3.0 * 5.2
    assert a1[F["ball_progress"]] == pytest.approx(bx / 40, abs=1e-3)
    assert b1[F["ball_progress"]] == pytest.approx(1 - bx / 40, abs=1e-3)
    assert a1[F["ball_advance_mps"]] == pytest.approx(3.0, abs=1e-3)
    assert b1[F["ball_advance_mps"]] == pytest.approx(-3.0, abs=1e-3)
    assert a1[F["ball_speed_mps"]] == pytest.approx(3.0, abs=1e-3)
    no_ball = ContextBuilder(pos, teams, pitch, spec=SPEC).steps(grid)["a1"][0]
    ball_cols = [F[n] for n in DEFAULT_CONTEXT_FEATURES if n.startswith("ball_")]
    assert len(ball_cols) == 11 and np.isnan(no_ball[:, ball_cols]).all()
    # a gap in the ball track (out of play) is unknown, not interpolated across
    vals = ball.values.copy()
    vals[60:120] = np.nan  # 6.0-11.9 s
    gapped = ContextBuilder(pos, teams, pitch, ball=ball.replace(values=vals),
                            spec=SPEC).steps(grid)["a1"][0]
    assert np.isnan(gapped[14:22, ball_cols]).all()
    assert np.isfinite(gapped[:11, ball_cols]).all() and np.isfinite(gapped[25:, ball_cols]).all()


def test_team_shape_pressure_and_goal_side():
    t = np.arange(0, 101) / 10.0
    pitch = Pitch(40.0, 30.0)
    pos = {"a1": line_xy(t, 20.0, 15.0, 0.0, 0.0),   # A attacks x = 40
           "b1": line_xy(t, 17.0, 15.0, 0.0, 0.0),   # 3 m nearer A's own goal
           "b2": line_xy(t, 24.0, 15.0, 0.0, 0.0),   # 4 m ahead of a1
           "b3": line_xy(t, 30.0, 15.0, -2.0, 0.0)}  # 10 m ahead, running towards x = 0
    ball = TimeSeries(t, np.c_[np.full(t.size, 21.0), np.full(t.size, 15.0), np.zeros(t.size)],
                      ("x", "y", "z"), ("m", "m", "m"))  # 1 m ahead of a1
    out = ContextBuilder(pos, {"a1": "A", "b1": "B", "b2": "B", "b3": "B"}, pitch, ball=ball,
                         spec=SPEC).steps(step_grid(0.0, 10.0, SPEC))
    a = out["a1"][0][0]  # step 0.0-0.5 s: b3 at about 29.5
    # pressure on the ball: b1 (4 m) and b2 (3 m) within 5 m of it, b3 not
    assert a[F["ball_mates_within_5m"]] == 1.0 and a[F["ball_opponents_within_5m"]] == 2.0
    assert a[F["ball_control_m"]] == pytest.approx(3.0 - 1.0, abs=1e-3)
    assert a[F["ball_team_behind_share"]] == 1.0  # a1 is between the ball and his goal
    b = out["b2"][0][0]  # B attacks x = 0: b2 and b3 are goal-side of the ball, b1 is not
    assert b[F["ball_team_behind_share"]] == pytest.approx(2 / 3)
    assert b[F["ball_mates_within_5m"]] == 2.0 and b[F["ball_opponents_within_5m"]] == 1.0
    assert b[F["ball_speed_mps"]] == pytest.approx(0.0, abs=1e-6)
    assert a[F["opponents_within_5m"]] == 2.0
    assert a[F["goal_side_m"]] == pytest.approx(-3.0, abs=1e-3)  # b1 is goal-side of a1
    assert a[F["team_lead_m"]] == pytest.approx(20.0 - (17 + 24 + 29.55) / 3, abs=0.05)
    assert a[F["opponent_advance_mps"]] == pytest.approx(2.0 / 3, abs=0.02)  # B attacks x = 0
    b1 = out["b1"][0][0]
    assert b1[F["goal_side_m"]] == pytest.approx(-3.0, abs=1e-3)  # a1 is 3 m nearer x = 40
    assert b1[F["attack_progress"]] == pytest.approx(1 - 17 / 40, abs=1e-3)


def test_run_features_take_the_fastest_run_and_the_share_running_back():
    """One team-mate sprinting at goal hardly moves the team's mean velocity; the run features
    see it, and the share of a team running back."""
    t = np.arange(0, 101) / 10.0
    pitch = Pitch(60.0, 40.0)
    pos = {"a1": line_xy(t, 20.0, 10.0, 0.0, 0.0),  # A attacks x = 60: a1 stands
           "a2": line_xy(t, 20.0, 20.0, 6.0, 0.0),  # a2 sprints at goal
           "a3": line_xy(t, 20.0, 30.0, 1.0, 0.0),
           "b1": line_xy(t, 40.0, 10.0, 3.0, 0.0),  # B attacks x = 0: b1, b2 run back fast
           "b2": line_xy(t, 40.0, 20.0, 2.5, 0.0),
           "b3": line_xy(t, 40.0, 30.0, 1.0, 0.0)}  # b3 runs back slowly (under 2 m/s)
    teams = {p: p[0].upper() for p in pos}
    every = WindowSpec(context_features=CONTEXT_FEATURES)
    out = ContextBuilder(pos, teams, pitch, spec=every).steps(step_grid(0.0, 10.0, SPEC))
    a1, a2, b3 = (out[p][0][4] for p in ("a1", "a2", "b3"))
    assert a1[F["team_advance_mps"]] == pytest.approx(7.0 / 3, abs=1e-3)
    assert a1[F["mates_top_advance_mps"]] == pytest.approx(6.0, abs=1e-3)
    assert a2[F["mates_top_advance_mps"]] == pytest.approx(1.0, abs=1e-3)  # self excluded
    assert a1[F["opponents_top_advance_mps"]] == pytest.approx(-1.0, abs=1e-3)
    assert a1[F["team_retreat_share"]] == 0.0
    assert a1[F["opponents_retreat_share"]] == pytest.approx(2 / 3)
    assert b3[F["team_retreat_share"]] == pytest.approx(2 / 3)
    assert b3[F["mates_top_advance_mps"]] == pytest.approx(-2.5, abs=1e-3)
    assert b3[F["opponents_top_advance_mps"]] == pytest.approx(6.0, abs=1e-3)
    alone = ContextBuilder({"a1": pos["a1"]}, {"a1": "A"}, pitch,
                           spec=every).steps(step_grid(0.0, 10.0, SPEC))["a1"][0]
    run_cols = [F[n] for n in ("mates_top_advance_mps", "opponents_top_advance_mps",
                               "opponents_retreat_share")]
    assert np.isnan(alone[:, run_cols]).all()
    assert (alone[:, F["team_retreat_share"]] == 0.0).all()


def passed_ball(t: np.ndarray) -> TimeSeries:
    """a1's ball (0.5 m in front of him) until 5 s, a 14 m/s pass to b1 over 5-6 s, then b1's
    ball; unknown (out of play) over 16-17 s."""
    x = np.where(t < 5.0, 10.5, np.where(t < 6.0, 10.5 + 14.0 * (t - 5.0), 24.5))
    xy = np.c_[x, np.full(t.size, 10.0)]
    xy[(t >= 16.0) & (t < 17.0)] = np.nan
    return TimeSeries(t, xy, ("x", "y"), ("m", "m"), name="ball")


def test_possession_features_remember_the_last_change_of_team():
    """The team of the player who last controlled the ball, and the seconds since the ball
    last changed teams (capped; no change seen: the cap); a pass in flight belongs to nobody,
    so possession changes when b1 takes the ball, not when a1 strikes it."""
    t = np.arange(0, 301) / 10.0
    pitch = Pitch(40.0, 30.0)
    pos = {"a1": line_xy(t, 10.0, 10.0, 0.0, 0.0), "a2": line_xy(t, 10.0, 20.0, 0.0, 0.0),
           "b1": line_xy(t, 25.0, 10.0, 0.0, 0.0), "b2": line_xy(t, 25.0, 20.0, 0.0, 0.0),
           "x": line_xy(t, 20.0, 10.0, 0.0, 0.0)}  # no team
    teams = {"a1": "A", "a2": "A", "b1": "B", "b2": "B", "x": ""}
    spec = WindowSpec(context_features=DEFAULT_CONTEXT_FEATURES + POSSESSION_CONTEXT_FEATURES)
    out = ContextBuilder(pos, teams, pitch, ball=passed_ball(t), spec=spec).steps(
        step_grid(0.0, 30.0, SPEC))
    own, age = (spec.context_features.index(n) for n in POSSESSION_CONTEXT_FEATURES)
    a2, b2 = out["a2"][0], out["b2"][0]
    assert a2[4, own] == 1.0 and b2[4, own] == 0.0  # 2.0-2.5 s: A's ball
    assert a2[4, age] == pytest.approx(POSSESSION_MEMORY_S)  # no change seen yet
    assert a2[10, own] == 1.0  # 5.0-5.5 s: the pass is in flight, still A's
    assert a2[14, own] == 0.0 and b2[14, own] == 1.0  # 7.0-7.5 s: B's
    assert b2[14, age] == pytest.approx(a2[14, age])
    assert 0.9 < a2[14, age] < 1.5  # b1 took the ball at about 6 s
    assert a2[24, age] == pytest.approx(6.2, abs=0.3)  # 12-12.5 s
    assert a2[30, age] == pytest.approx(POSSESSION_MEMORY_S)  # 15-15.5 s: capped
    assert np.isnan(a2[33, [own, age]]).all()  # 16.5-17 s: no ball
    assert b2[36, own] == 1.0  # 18-18.5 s: the ball is back at b1's feet, still B's
    assert np.isnan(out["x"][0][4, [own, age]]).all()  # a player without a team
    no_ball = ContextBuilder(pos, teams, pitch, spec=spec).steps(step_grid(0.0, 30.0, SPEC))
    assert np.isnan(no_ball["a2"][0][:, [own, age]]).all()


def test_possession_features_of_a_block_see_the_change_before_it():
    t = np.arange(0, 301) / 10.0
    pos = {"a1": line_xy(t, 10.0, 10.0, 0.0, 0.0), "b1": line_xy(t, 25.0, 10.0, 0.0, 0.0)}
    spec = WindowSpec(context_features=DEFAULT_CONTEXT_FEATURES + POSSESSION_CONTEXT_FEATURES)
    ctx = ContextBuilder(pos, {"a1": "A", "b1": "B"}, Pitch(40.0, 30.0), ball=passed_ball(t),
                         spec=spec)
    grid = step_grid(0.0, 30.0, SPEC)
    whole = ctx.steps(grid)["a1"][0]
    blocks = list(iter_step_blocks(grid, ["a1"], {}, ctx, spec, block_steps=7))
    np.testing.assert_allclose(np.concatenate([b.context[0] for b in blocks]), whole,
                               rtol=1e-5)
    age = spec.context_features.index("ball_possession_age_s")
    assert whole[14, age] < 2.0  # the block of steps 14-20 saw the change at 6 s


def test_context_of_an_older_feature_list_keeps_its_columns():
    """A model saved with the first twelve features gets exactly those, in its order."""
    t = np.arange(0, 101) / 10.0
    pos = {"a": line_xy(t, 5.0, 10.0, 2.0, 0.0), "b": line_xy(t, 8.0, 12.0, 1.0, 0.0)}
    teams = {"a": "A", "b": "B"}
    grid = step_grid(0.0, 10.0, SPEC)
    full = ContextBuilder(pos, teams, Pitch(40, 30), spec=SPEC).steps(grid)["a"][0]
    old_spec = WindowSpec(context_features=PLAYER_CONTEXT_FEATURES[::-1])
    old = ContextBuilder(pos, teams, Pitch(40, 30), spec=old_spec).steps(grid)["a"][0]
    assert old.shape == (20, 12)
    np.testing.assert_array_equal(old, full[:, :12][:, ::-1])
    with pytest.raises(ValueError, match=r"unknown context feature.*ball_speed"):
        ContextBuilder(pos, teams, Pitch(40, 30),
                       spec=WindowSpec(context_features=("speed_mps", "ball_speed")))


def test_capacity_features_measure_the_player_against_his_own_session():
    """Top speed and top deceleration come from the whole track, so every step carries them;
    a player with under 30 s of track gets NaN."""
    t = np.arange(0, 901) / 10.0  # 90 s at 10 Hz
    # 2 m/s until 30 s, 6 m/s until 60 s, braking at 2 m/s^2 to a stop at 63 s, then standing
    v = np.where(t < 30, 2.0, np.where(t < 60, 6.0, np.clip(6.0 - 2.0 * (t - 60), 0.0, None)))
    x = np.concatenate([[0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(t))])
    pos = {"a": TimeSeries(t, np.c_[x, np.full(t.size, 10.0)], ("x", "y"), ("m", "m")),
           "b": line_xy(t[:200], 5.0, 5.0, 1.0, 0.0)}  # 20 s of track only
    grid = step_grid(0.0, 90.0, SPEC)
    every = WindowSpec(context_features=CONTEXT_FEATURES)
    out = ContextBuilder(pos, {"a": "A", "b": "B"}, Pitch(200, 60), spec=every).steps(grid)
    a = out["a"][0]
    assert a[:, F["session_top_speed_mps"]] == pytest.approx(np.full(grid.n, 6.0), abs=0.01)
    assert a[:, F["session_top_decel_mps2"]] == pytest.approx(np.full(grid.n, 2.0), abs=0.05)
    assert a[20, F["speed_share_of_top"]] == pytest.approx(2.0 / 6.0, abs=1e-3)  # 10-10.5 s
    assert a[90, F["speed_share_of_top"]] == pytest.approx(1.0, abs=1e-3)  # 45-45.5 s
    b = out["b"][0]
    cols = [F[n] for n in ("session_top_speed_mps", "session_top_decel_mps2",
                           "speed_share_of_top")]
    assert np.isnan(b[:, cols]).all() and np.isfinite(b[:20, F["speed_mps"]]).all()


def test_context_marks_steps_without_position():
    t = np.arange(0, 101) / 10.0
    xy = line_xy(t, 1.0, 1.0, 1.0, 1.0)
    vals = xy.values.copy()
    vals[40:60] = np.nan  # 4.0-5.9 s
    pos = {"p": xy.replace(values=vals)}
    ctx, valid = ContextBuilder(pos, {"p": ""}, Pitch(40, 30), spec=SPEC).steps(
        step_grid(0.0, 10.0, SPEC))["p"]
    assert valid[:7].all() and not valid[8:12].any() and valid[13:].all()
    assert np.isnan(ctx[9]).all()


def test_crop_box_height_matches_the_camera_projection_of_a_person():
    pitch = Pitch(40.0, 30.0)
    cam = default_camera(pitch, (960, 540))
    cal = cam.calibration()
    xy = np.array([[5.0, 2.0], [20.0, 15.0], [35.0, 28.0], [np.nan, 1.0]])
    boxes = crop_boxes(cal, xy, crop_scale=1.0)
    feet = cam.project(np.c_[xy, np.zeros(4)])
    heads = cam.project(np.c_[xy, np.full(4, 1.8)])
    true_h = np.abs(feet[:, 1] - heads[:, 1])
    np.testing.assert_allclose(boxes[:3, 2], true_h[:3], rtol=0.02)
    np.testing.assert_allclose(boxes[:3, :2], (feet[:3] + heads[:3]) / 2, atol=0.5)
    assert np.isnan(boxes[3]).all()
    half = scaled_calibration(cal, 480, 270)
    np.testing.assert_allclose(crop_boxes(half, xy[:3]), crop_boxes(cal, xy[:3]) / 2, atol=0.05)
    # an overhead (affine) view fits no sideline pinhole: the Jacobian scale is used instead
    top = CameraCalibration(np.array([[10.0, 0, 50], [0, 10.0, 20], [0, 0, 1]]), (500, 400))
    np.testing.assert_allclose(crop_boxes(top, np.array([[3.0, 4.0]]), crop_scale=1.0),
                               [[80.0, 60.0 - 9.0, 18.0]])


def test_cut_crop_copies_pixels_and_pads_outside_black():
    frame = np.arange(100 * 120 * 3, dtype=np.uint32).reshape(100, 120, 3).astype(np.uint8)
    crop = cut_crop(frame, np.array([30.0, 40.0, 16.0]), 16)
    np.testing.assert_array_equal(crop, frame[32:48, 22:38])
    edge = cut_crop(frame, np.array([2.0, 50.0, 16.0]), 16)
    assert np.all(edge[:, :6] == 0) and np.array_equal(edge[:, 6:], frame[42:58, 0:10])
    assert cut_crop(frame, np.array([60.0, 50.0, 40.0]), 64).shape == (64, 64, 3)


def test_nearest_frames_maps_times_to_frames_and_flags_outside():
    times = np.arange(50) / 25.0
    idx = nearest_frames(times, np.array([-1.0, 0.0, 0.0625, 0.1875, 1.97, 3.0]), 0.0)
    np.testing.assert_array_equal(idx, [-1, 0, 2, 5, 49, -1])
    np.testing.assert_array_equal(nearest_frames(times, np.array([10.0625]), 10.0), [2])


def test_track_lookup_and_overlay():
    base = Track.from_rows([(0.0, 2.0, 4, 50.0), (2.0, 5.0, 6, 70.0)])
    v, q = base.at(np.array([-1.0, 0.0, 1.99, 2.0, 4.9, 5.0]))
    np.testing.assert_array_equal(v, [-1, 4, 4, 6, 6, -1])
    np.testing.assert_allclose(q[1:5], [50, 50, 70, 70])
    over = base.overlay(Track.from_rows([(1.0, 3.0, 1, 90.0)]))
    v2, q2 = over.at(np.array([0.5, 1.5, 2.5, 3.5]))
    np.testing.assert_array_equal(v2, [4, 1, 1, 6])
    np.testing.assert_allclose(q2, [50, 90, 90, 70])


def _synthetic_labels(path, ball=False):
    doc = {"schema": "footcoach-synthetic-labels", "schema_version": 1, "synthetic": True,
           "seed": 0, "duration_s": 10.0, "epoch_ms": 0,
           "players": [{"id": "a1", "team": "A"}, {"id": "b1", "team": "B"}],
           "actions": [{"player_id": "a1", "start_s": 0, "end_s": 6, "action": "running",
                        "quality": 60.0},
                       {"player_id": "a1", "start_s": 6, "end_s": 10, "action": "shooting",
                        "quality": 80.0}],
           "tactics": [{"team": "A", "start_s": 0, "end_s": 10, "tactic": "pressing"},
                       {"team": "B", "start_s": 0, "end_s": 10, "tactic": "passing"}]}
    if ball:
        doc["ball"] = {"rate_hz": 10, "start_s": 0.0, "x": [1.0, 2.0, None], "y": [1, 1, 1]}
    path.write_text(json.dumps(doc))


def test_label_tracks_from_labels_json_with_coach_overlay(tmp_path):
    _synthetic_labels(tmp_path / "labels.json", ball=True)
    ev = Event("e1", "a1", 2.0, 4.0, Action.DRIBBLING, Tactic.BREAKTHROUGH, 75.0,
               source="coach")
    (tmp_path / "annotations.json").write_text(json.dumps(
        {"format": "footcoach-annotations", "version": 1, "edited": [], "added": [ev.to_dict()],
         "deleted": []}))
    tracks = read_label_tracks(tmp_path)
    assert tracks is not None and tracks.source == "synthetic+annotations"
    a, t, q = tracks.at("a1", np.array([1.0, 3.0, 5.0, 7.0, 11.0]))
    np.testing.assert_array_equal(a, [Action.RUNNING, Action.DRIBBLING, Action.RUNNING,
                                      Action.SHOOTING, -1])
    np.testing.assert_array_equal(t, [Tactic.PRESSING, Tactic.BREAKTHROUGH, Tactic.PRESSING,
                                      Tactic.PRESSING, -1])
    np.testing.assert_allclose(q[:4], [60, 75, 60, 80])
    _, tb, qb = tracks.at("b1", np.array([5.0]))
    assert tb[0] == Tactic.PASSING and np.isnan(qb[0])
    assert tracks.ball is not None and len(tracks.ball) == 3 and np.isnan(tracks.ball.values[2, 0])


def test_plain_events_annotations_and_errors(tmp_path):
    ev = Event("e1", "p9", 1.0, 2.0, Action.JUMPING, None, None, source="coach")
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps({"schema_version": 1, "events": [ev.to_dict()]}))
    tracks = read_label_tracks(tmp_path)
    assert tracks is not None and tracks.source == "annotations"
    a, t, q = tracks.at("p9", np.array([1.5]))
    assert a[0] == Action.JUMPING and t[0] == -1 and np.isnan(q[0])
    bad = dict(ev.to_dict(), action="moonwalk")
    path.write_text(json.dumps({"schema_version": 1, "events": [ev.to_dict(), bad]}))
    with pytest.raises(FootcoachError, match=r"annotations.json:events\[1\]: bad event"):
        read_annotation_events(path)
    path.write_text("{nope")
    with pytest.raises(FootcoachError, match="invalid JSON"):
        read_annotation_events(path)
    (tmp_path / "annotations.json").unlink()
    assert read_label_tracks(tmp_path) is None
    (tmp_path / "labels.json").write_text(json.dumps({"schema": "footcoach-synthetic-labels",
                                                      "actions": [{"player_id": "x"}]}))
    with pytest.raises(FootcoachError, match=r"labels.json:actions\[0\]"):
        read_label_tracks(tmp_path)


def test_balance_thins_frequent_classes_evenly_and_records_weights():
    action = np.array([4] * 300 + [1] * 10 + [6] * 20 + [2] * 30)
    keep, weight, probs = balance_windows(action, ratio=2.0)  # cap = 2 * median(10,20,30,300)
    assert probs["running"] == pytest.approx(50 / 300, abs=1e-3)
    assert keep[action == 4].sum() == 50 and keep[action != 4].all()
    gaps = np.diff(np.flatnonzero(keep[:300]))
    assert gaps.min() >= 5 and gaps.max() <= 7  # spread evenly, not clumped
    assert weight[0] == pytest.approx(6.0, rel=1e-3) and weight[-1] == 1.0


def _six_sessions(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """6 sessions x 10 player groups of 40-80 windows with random actions: the session of each
    group (60,), and the group and action of each window."""
    rng = np.random.default_rng(seed)
    sessions = np.repeat(np.arange(6), 10)
    group = np.concatenate([np.full(int(n), g) for g, n in
                            enumerate(rng.integers(40, 80, sessions.size))])
    return sessions, group, rng.integers(0, 12, group.size)


def test_splits_group_players_and_hold_out_whole_sessions():
    sessions, group, action = _six_sessions(1)
    n_groups = sessions.size
    split = assign_splits(group, action, n_groups, sessions, (0.7, 0.15, 0.15), seed=3)
    test_sessions = set(sessions[split == 2])
    assert test_sessions and not test_sessions & set(sessions[split != 2])
    share = np.bincount(split[group], minlength=3) / group.size
    assert share == pytest.approx([0.7, 0.15, 0.15], abs=0.06)
    again = assign_splits(group, action, n_groups, sessions, (0.7, 0.15, 0.15), seed=3)
    np.testing.assert_array_equal(split, again)
    # one session: groups of players, every split used, class spread follows the targets
    one = assign_splits(group[group < 10], action[group < 10], 10, [0] * 10,
                        (0.7, 0.15, 0.15), seed=0)
    assert set(one.tolist()) == {0, 1, 2}


def test_named_test_sessions_form_the_whole_test_split():
    """Pinned test sessions, however many, are exactly the test split; the groups of the
    other sessions go to training and validation."""
    sessions, group, action = _six_sessions(2)
    for pinned in ([1, 4], [0], [2, 3, 5]):
        split = assign_splits(group, action, sessions.size, sessions, (0.7, 0.15, 0.15),
                              seed=3, test_sessions=pinned)
        np.testing.assert_array_equal(split == 2, np.isin(sessions, pinned))
        assert set(split[~np.isin(sessions, pinned)].tolist()) == {0, 1}


def test_blocks_give_the_same_steps_as_the_whole_session():
    t_imu = np.arange(0, 2001) / 100.0
    t_gps = np.arange(0, 201) / 10.0
    rng = np.random.default_rng(0)
    imu = imu_series(t_imu)
    imu = imu.replace(values=imu.values * rng.uniform(0.5, 1.5, imu.values.shape))
    pos = {"a": line_xy(t_gps, 1.0, 2.0, 1.5, 0.5), "b": line_xy(t_gps, 30.0, 20.0, -2.0, 0.0)}
    pos["a"] = pos["a"].replace(values=pos["a"].values + rng.normal(0, 0.3, (201, 2)))
    grid = step_grid(0.0, 20.0, SPEC)
    ctx = ContextBuilder(pos, {"a": "A", "b": "B"}, Pitch(40, 30), spec=SPEC)
    blocks = list(iter_step_blocks(grid, ["a", "b", "c"], {"a": imu}, ctx, SPEC, block_steps=7))
    assert [b.offset for b in blocks] == list(range(0, 40, 7))
    whole_imu, whole_ok = imu_steps(imu, grid, SPEC)
    whole_ctx = ctx.steps(grid)
    np.testing.assert_array_equal(np.concatenate([b.imu[0] for b in blocks]), whole_imu)
    np.testing.assert_array_equal(np.concatenate([b.mask[0, :, 1] for b in blocks]), whole_ok)
    np.testing.assert_allclose(np.concatenate([b.context[1] for b in blocks]),
                               whole_ctx["b"][0], rtol=1e-6)
    c = np.concatenate([b.mask[2] for b in blocks])  # "c" has no data at all
    assert not c.any() and np.isnan(np.concatenate([b.context[2] for b in blocks])).all()
