"""The simulator end to end (no video): files, determinism, labels, physics, quality."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from footcoach.domain.labels import Action, Tactic
from footcoach.errors import FootcoachError
from footcoach.io.gps_csv import read_gps_csv
from footcoach.io.imu_csv import read_imu_csv
from footcoach.io.manifest import read_manifest
from footcoach.synth import quality as qf
from footcoach.synth.agents import vertical_profile
from footcoach.synth.imu_model import earth_field_pitch, simulate_imu
from footcoach.synth.labels_io import read_labels
from footcoach.synth.simulate import plan_session, run_world, simulate_session

SEED = 7


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "s1"
    return simulate_session(out, seed=SEED, n_players=4, minutes=1.0, video=False)


@pytest.fixture(scope="module")
def world():
    """A 2-minute, 6-player world with the sprint drill, shooting and a small-sided game."""
    return run_world(seed=3, n_players=6, minutes=2.0,
                     drills=["sprint_agility", "shooting", "small_sided_game"])


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "session.toml"}


def test_same_seed_gives_identical_files(session: Path, tmp_path: Path) -> None:
    again = simulate_session(tmp_path / "again", seed=SEED, n_players=4, minutes=1.0,
                             video=False)
    a, b = _files(session), _files(again)
    assert sorted(a) == sorted(b) and len(a) == 1 + 2 * 4
    assert all(a[k] == b[k] for k in a)
    other = simulate_session(tmp_path / "other", seed=SEED + 1, n_players=4, minutes=1.0,
                             video=False)
    assert _files(other)["imu/a02.csv"] != a["imu/a02.csv"]


def test_session_folder_reads_back_through_the_importers(session: Path) -> None:
    s = read_manifest(session)               # checks that every named file exists
    assert s.synthetic and s.video is None and len(s.players) == 4
    assert s.pitch.origin_lonlat is not None and s.pitch.heading_deg is not None
    assert {p.team for p in s.players} == {"A", "B"}
    lab = read_labels(session)
    n_fixes = 0
    for p in s.players:
        assert p.imu == f"imu/{p.id}.csv" and p.gps == f"gps/{p.id}.csv"
        imu = read_imu_csv(s.path(p.imu))
        assert imu.channels[:6] == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
        assert imu.units[3] == "rad/s" and imu.has("mag_x", "mag_y", "mag_z")
        assert imu.rate_hz == pytest.approx(100.0, rel=0.01)
        assert np.nanmax(np.abs(imu.values[:, 3:6])) < np.radians(2000) + 1e-6
        assert imu.t0_epoch_s is not None and s.clock_epoch_s is not None
        # the vest clock is off by the recorded offset: its first sample is at true time 0
        off = lab.offset(p.id).imu_s
        assert imu.t0_epoch_s - s.clock_epoch_s == pytest.approx(off, abs=0.011)
        gps = read_gps_csv(s.path(p.gps))
        assert gps.channels[:2] == ("lat", "lon") and gps.has("speed", "hdop")
        assert gps.rate_hz == pytest.approx(10.0, rel=0.01)
        n_fixes += len(gps)
        assert gps.t0_epoch_s is not None and abs(gps.t0_epoch_s - s.clock_epoch_s) < 1.0
    assert 0.01 < 1 - n_fixes / (4 * 600) < 0.1      # GNSS dropouts, 3-5 % on average
    header = (session / "imu" / "a02.csv").read_text().splitlines()[0]
    assert header == ("unix_time_ms,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps,"
                      "mag_x_uT,mag_y_uT,mag_z_uT")


def test_labels_tile_the_session(session: Path) -> None:
    lab = read_labels(session)
    doc = json.loads((session / "labels.json").read_text())
    assert doc["schema_version"] == 1 and doc["synthetic"] is True
    assert lab.duration_s == pytest.approx(60.0, abs=0.05)
    for pid in {p["id"] for p in lab.players}:
        segs = lab.actions_for(pid)
        assert segs[0].start_s == 0.0
        assert segs[-1].end_s == pytest.approx(lab.duration_s, abs=1e-6)
        for a, b in itertools.pairwise(segs):
            assert b.start_s == pytest.approx(a.end_s, abs=1e-6) and a.end_s > a.start_s
        assert all(0.0 <= s.quality <= 100.0 for s in segs)
    for team in "AB":
        tseg = [s for s in lab.tactics if s.team == team]
        assert tseg[0].start_s == 0.0 and tseg[-1].end_s == pytest.approx(lab.duration_s)
        assert all(b.start_s == pytest.approx(a.end_s) for a, b in itertools.pairwise(tseg))
    assert lab.drills[0].start_s == 0.0 and lab.drills[-1].end_s == pytest.approx(60.0, 0.05)
    assert lab.action_at("a02", 30.0) is not None and lab.tactic_at("B", 30.0) is not None


def test_labels_reader_reports_bad_files(tmp_path: Path, session: Path) -> None:
    doc = json.loads((session / "labels.json").read_text())
    doc["actions"][3]["action"] = "moonwalk"
    bad = tmp_path / "labels.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(FootcoachError, match=r"labels.json:actions\[3\]"):
        read_labels(bad)
    bad.write_text("{not json")
    with pytest.raises(FootcoachError, match="invalid JSON"):
        read_labels(bad)


def test_trajectories_match_labels_and_contract(world) -> None:
    tr, w = world.traj, world.world
    f = len(tr.t)
    assert tr.xy.shape == (6, f, 2) and tr.ball_xyz.shape == (f, 3) and tr.rate_hz == 25.0
    assert tr.action.dtype == np.int16 and tr.tactic.dtype == np.int16
    assert np.all((tr.action_phase >= 0) & (tr.action_phase < 1))
    for a in world.labels_actions[::7]:
        i = tr.player_ids.index(a.player_id)
        k0, k1 = round(a.start_s * 25), round(a.end_s * 25)
        assert np.all(tr.action[i, k0:k1] == int(a.action))
    assert np.isnan(tr.ball_xyz[:, 0]).any() and np.isfinite(tr.ball_xyz[:, 0]).any()
    assert np.all(tr.xy[..., 0] > -3) and np.all(tr.xy[..., 0] < w.length + 3)  # run-off only
    assert np.all(tr.xy[..., 1] > -3) and np.all(tr.xy[..., 1] < w.width + 3)


def test_physical_limits(world) -> None:
    tr, w = world.traj, world.world
    v = np.diff(tr.xy, axis=1) * tr.rate_hz                     # (P, F-1, 2)
    speed = np.hypot(v[..., 0], v[..., 1])
    acc = np.hypot(*(np.diff(v, axis=1) * tr.rate_hz).transpose(2, 0, 1))
    for i, p in enumerate(w.profiles):
        assert speed[i].max() <= p.max_speed + 1e-6
        assert 7.0 <= p.max_speed <= 9.5 and 3.5 <= p.max_accel <= 5.0
        cap = max(p.max_accel + 1.0, p.max_decel) * 1.05
        assert acc[i].max() <= cap, (p.id, acc[i].max(), cap)
        yaw = np.abs(np.diff(np.unwrap(tr.heading[i]))) * tr.rate_hz
        assert yaw.max() <= p.max_yaw_rate + 1e-6
    assert speed.max() > 6.0                                    # somebody really sprinted
    ball = tr.ball_xyz
    ok = np.isfinite(ball[:-1, 0]) & np.isfinite(ball[1:, 0])
    ball_speed = np.linalg.norm(np.diff(ball, axis=0)[ok], axis=1) * tr.rate_hz
    assert ball_speed.max() < 34.0 and ball_speed.max() > 15.0    # shots fly, none too fast


def test_quality_is_visible_in_the_motion(world) -> None:
    tr = world.traj
    best = {p.id: p.jump_height for p in world.world.profiles}
    sprints, jumps = [], []
    for a in world.labels_actions:
        i = tr.player_ids.index(a.player_id)
        k0, k1 = round(a.start_s * 25), round(a.end_s * 25)
        if a.action == Action.SPRINTING:
            v = np.hypot(*np.diff(tr.xy[i, k0:k1 + 1], axis=0).T) * 25
            sprints.append((a.quality, v.max() / a.params["reference_speed_mps"]))
        elif a.action in (Action.JUMPING, Action.TAKE_OFF):
            kind, scale = ("takeoff", 1.1) if a.action == Action.TAKE_OFF else ("jump", 1.0)
            prof = vertical_profile(kind, 0.4)          # body extension at take-off
            rise = tr.z[i, k0:k1].max() - prof.z[int(prof.phases["flight"][0] * 1000)]
            jumps.append((a.quality, rise / (scale * best[a.player_id])))
    assert len(sprints) >= 8 and len(jumps) >= 4
    for pairs in (sprints, jumps):
        q, x = np.array(pairs).T
        assert np.corrcoef(q, x)[0, 1] > 0.7


def test_sprints_hit_the_vest_harder_than_jogging(world) -> None:
    tr, w = world.traj, world.world
    sprint_z, jog_z = [], []
    for i, p in enumerate(w.profiles):
        rec = simulate_imu(tr, w.events, p, i, 0.0, earth_field_pitch(0.0),
                           np.random.default_rng(i))
        for a in world.labels_actions:
            if a.player_id != p.id or a.end_s - a.start_s < 1.0:
                continue
            m = (rec.t_device >= a.start_s) & (rec.t_device < a.end_s)
            if a.action == Action.SPRINTING:
                sprint_z.append(rec.acc_g[m, 2])
            elif a.action == Action.RUNNING and 2.0 < a.params["mean_speed_mps"] < 3.5:
                jog_z.append(rec.acc_g[m, 2])
    assert len(sprint_z) >= 5 and len(jog_z) >= 5
    hi_sprint = np.percentile(np.concatenate(sprint_z), 95)
    hi_jog = np.percentile(np.concatenate(jog_z), 95)
    assert hi_sprint > hi_jog + 0.3 and hi_sprint > 2.0


def test_quality_formulas_reward_better_execution() -> None:
    assert qf.sprint(8.0, 8.2) > qf.sprint(7.0, 8.2)
    assert qf.shot(28.0, 0.3) > qf.shot(20.0, 0.3) and qf.shot(25.0, 0.2) > qf.shot(25.0, 2.0)
    assert qf.pass_(12.0, 0.2, 12.0) > qf.pass_(12.0, 2.5, 12.0)
    assert qf.turn(0.6, np.pi) > qf.turn(1.2, np.pi)
    assert qf.stop(6.0, 3.0, 6.0) > qf.stop(6.0, 6.0, 6.0)
    assert qf.jump(0.5, 0.5) == 100.0 and qf.slide(3.0, True) > qf.slide(1.0, False)
    assert qf.reachable_speed(0.0, 200.0, 8.0, 4.0) == pytest.approx(8.0, abs=0.01)
    assert qf.reachable_speed(0.0, 10.0, 8.0, 4.0) < qf.reachable_speed(3.0, 10.0, 8.0, 4.0)


def test_plan_session() -> None:
    rng = np.random.default_rng(0)
    plan = plan_session(10.0, rng)
    assert sum(d for _, d in plan) == pytest.approx(600.0)
    assert len([k for k, _ in plan if k != "transition"]) == 8
    assert [k for k, _ in plan_session(1.0, rng)] == ["small_sided_game"]
    with pytest.raises(ValueError, match="unknown drill"):
        plan_session(2.0, rng, ["tiki-taka"])


def test_cli_simulate_runs_the_drills_asked_for(tmp_path: Path, capsys) -> None:
    from footcoach.cli.main import main

    out = tmp_path / "s"
    assert main(["simulate", str(out), "--seed", "2", "--players", "4", "--minutes", "1",
                 "--no-video", "--drills", "passing_pattern, retreat"]) == 0
    lab = read_labels(out)
    assert [d.name for d in lab.drills if d.name != "transition"] == ["passing_pattern", "retreat"]
    assert Tactic.PASSING in {t.tactic for t in lab.tactics}
    assert main(["simulate", str(tmp_path / "x"), "--minutes", "1", "--no-video",
                 "--drills", "rondo"]) == 2
    assert "unknown drill kind(s) rondo" in capsys.readouterr().err


@pytest.mark.slow
def test_ten_minute_session_has_every_class() -> None:
    res = run_world(seed=0, n_players=10, minutes=10.0)
    actions = {a.action for a in res.labels_actions}
    tactics = {t.tactic for t in res.labels_tactics}
    assert actions == set(Action), set(Action) - actions
    assert tactics == set(Tactic), set(Tactic) - tactics
