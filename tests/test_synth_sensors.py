"""Vest IMU and GNSS models on hand-made trajectories (standing, jogging, sprinting)."""

from __future__ import annotations

import numpy as np
import pytest

from footcoach.domain.geo import GeoToPitch
from footcoach.domain.labels import Action, Tactic
from footcoach.synth.agents import G, make_profiles, vertical_profile
from footcoach.synth.gps_model import gauss_markov2, gps_csv_text, simulate_gps
from footcoach.synth.imu_model import (
    IMU_HEADER,
    ImuSpec,
    earth_field_pitch,
    imu_csv_text,
    simulate_imu,
)
from footcoach.synth.trajectories import SimTrajectories
from footcoach.synth.world import ImuEvent

RATE = 25.0


def straight_run(speeds: list[float], seconds: float = 12.0) -> SimTrajectories:
    """One player per speed, running along +x at that constant speed (0 = standing)."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    p = len(speeds)
    xy = np.zeros((p, n, 2))
    for i, v in enumerate(speeds):
        xy[i, :, 0] = 2.0 + v * t
        xy[i, :, 1] = 5.0 + 3.0 * i
    return SimTrajectories(
        rate_hz=RATE, t=t, xy=xy, z=np.zeros((p, n)), heading=np.zeros((p, n)),
        action=np.full((p, n), int(Action.RUNNING), dtype=np.int16),
        action_phase=np.zeros((p, n), dtype=np.float32),
        tactic=np.full((p, n), int(Tactic.RUNNING), dtype=np.int16),
        ball_xyz=np.full((n, 3), np.nan), player_ids=[f"p{i}" for i in range(p)],
        names=[f"P{i}" for i in range(p)], teams=["A"] * p, numbers=list(range(p)))


@pytest.fixture(scope="module")
def runs() -> tuple[SimTrajectories, list]:
    traj = straight_run([0.0, 3.0, 8.0])
    profiles = make_profiles(np.random.default_rng(0), 3)
    return traj, profiles


def _imu(traj: SimTrajectories, profiles: list, i: int, events: list[ImuEvent] | None = None,
         offset: float = 0.0, seed: int = 0):
    spec = ImuSpec(dropouts=(0, 0))
    return simulate_imu(traj, events or [], profiles[i], i, offset, earth_field_pitch(30.0),
                        np.random.default_rng(seed), spec)


def test_standing_vest_reads_one_g_and_earth_field(runs) -> None:
    traj, profiles = runs
    rec = _imu(traj, profiles, 0)
    acc = np.linalg.norm(rec.acc_g, axis=1)
    assert abs(acc.mean() - 1.0) < 0.03
    assert acc.std() < 0.03
    assert rec.acc_g[:, 2].mean() > 0.95          # z up along the spine
    assert np.abs(np.degrees(rec.gyro_rads)).mean() < 3.0     # bias + noise only (deg/s)
    mag = np.linalg.norm(rec.mag_ut, axis=1)
    assert 40 < mag.mean() < 60                    # ~50 uT Earth field + hard iron


def test_step_impacts_grow_with_speed_and_cadence_is_physiological(runs) -> None:
    traj, profiles = runs
    jog, sprint = _imu(traj, profiles, 1), _imu(traj, profiles, 2)
    jog_z, sprint_z = jog.acc_g[:, 2], sprint.acc_g[:, 2]
    assert np.percentile(sprint_z, 95) > np.percentile(jog_z, 95) + 0.4
    assert 1.6 < np.percentile(jog_z, 95) < 3.2
    assert 2.2 < np.percentile(sprint_z, 95) < 5.0
    assert np.percentile(sprint_z, 5) < 0.45       # near-weightless flight phases
    for rec, lo, hi in ((jog, 2.4, 3.3), (sprint, 3.8, 4.8)):
        z = rec.acc_g[:, 2] - rec.acc_g[:, 2].mean()
        spec = np.abs(np.fft.rfft(z * np.hanning(len(z))))
        f = np.fft.rfftfreq(len(z), 0.01)
        band = (f > 1.5) & (f < 6.0)
        assert lo < f[band][np.argmax(spec[band])] < hi
    # trunk leans forward more when running fast: acc_x carries -g sin(lean)
    assert sprint.acc_g[:, 0].mean() < jog.acc_g[:, 0].mean() < 0


def test_jump_flight_is_weightless_and_landing_spikes(runs) -> None:
    traj, profiles = runs
    prof = vertical_profile("jump", 0.45)
    ev = ImuEvent(0, 5.0, "jump", {"height": 0.45})
    rec = _imu(traj, profiles, 0, [ev])
    t = rec.t_device
    fl0, fl1 = prof.phases["flight"]
    flight = (t > 5.0 + fl0 + 0.05) & (t < 5.0 + fl1 - 0.05)
    assert np.abs(rec.acc_g[flight, 2]).max() < 0.3
    land = (t > 5.0 + fl1 - 0.02) & (t < 5.0 + fl1 + 0.15)
    assert rec.acc_g[land, 2].max() > 3.0
    assert abs(prof.z[-1]) < 0.01 and prof.z.max() > 0.45     # rises by the jump height


def test_kick_and_turn_show_on_gyro(runs) -> None:
    traj, profiles = runs
    rec = _imu(traj, profiles, 0, [ImuEvent(0, 6.0, "kick", {"speed": 28.0, "foot": 1.0})])
    near = np.abs(rec.t_device - 6.0) < 1.0
    assert np.linalg.norm(rec.gyro_rads[near], axis=1).max() > 2.5
    assert np.linalg.norm(rec.gyro_rads[~near], axis=1).max() < 0.3
    assert np.linalg.norm(rec.acc_g[near], axis=1).max() > 3.0


def test_clock_offset_shifts_the_device_grid(runs) -> None:
    traj, profiles = runs
    rec = _imu(traj, profiles, 0, offset=0.237)
    assert rec.t_device[0] == pytest.approx(0.24)            # first 10 ms tick after the offset
    assert np.allclose(np.diff(rec.t_device), 0.01)
    text = imu_csv_text(rec, 1_700_000_000_000)
    lines = text.splitlines()
    assert lines[0] == IMU_HEADER and len(lines) == len(rec.t_device) + 1
    assert lines[1].startswith("1700000000240,")


def test_saturation_and_dropouts() -> None:
    traj = straight_run([0.0], seconds=20.0)
    prof = make_profiles(np.random.default_rng(1), 2)
    ev = [ImuEvent(0, 8.0, "tackle", {"strength": 1.0})] * 40      # a pile-up far over 16 g
    rec = simulate_imu(traj, ev, prof[0], 0, 0.0, earth_field_pitch(0.0),
                       np.random.default_rng(3), ImuSpec(dropouts=(3, 3)))
    assert np.abs(rec.acc_g).max() <= 16.0 and np.isclose(np.abs(rec.acc_g).max(), 16.0)
    gaps = np.diff(rec.t_device)
    assert 1 <= int(np.sum(gaps > 0.015)) <= 3
    assert len(rec.t_device) < 20 * 100


def test_gauss_markov_is_correlated_with_unit_variance() -> None:
    x = gauss_markov2(200_000, 50.0, np.random.default_rng(0))
    assert 0.85 < x.std() < 1.15
    assert np.corrcoef(x[:-1], x[1:])[0, 1] > 0.99          # not white noise


def test_gps_noise_dropouts_speed_and_latlon() -> None:
    traj = straight_run([0.0, 4.0], seconds=600.0)
    geo = GeoToPitch.from_origin_heading((-9.124, 41.7265), 30.0, 40.0, 30.0)
    recs = [simulate_gps(traj, i, geo, np.random.default_rng(i)) for i in (0, 1)]
    for i, rec in enumerate(recs):
        n_expected = 6000
        missing = 1 - len(rec.t) / n_expected
        assert 0.015 < missing < 0.08
        x, y = geo.to_pitch(rec.lon, rec.lat)
        truth = np.stack([2.0 + (4.0 if i else 0.0) * rec.t, 5.0 + 3.0 * i + 0 * rec.t], 1)
        err = np.hypot(x - truth[:, 0], y - truth[:, 1])
        core = err < np.percentile(err, 99)                  # spikes aside
        assert 0.15 < np.sqrt(np.mean(err[core] ** 2)) < 1.3
        ex = x - truth[:, 0]
        assert np.corrcoef(ex[:-1], ex[1:])[0, 1] > 0.9       # correlated, not white
        assert abs(np.median(rec.speed_mps) - (4.0 if i else 0.05)) < 0.15
        assert np.all(rec.hdop >= 0.5)
    text = gps_csv_text(recs[1], 1_700_000_000_000).splitlines()
    assert text[0] == "unix_time_ms,latitude,longitude,speed_mps,hdop"
    ms, lat, lon, _, _ = text[1].split(",")
    assert int(ms) >= 1_700_000_000_000 and 41.7 < float(lat) < 41.8 and -9.2 < float(lon) < -9.0


def test_earth_field_follows_pitch_heading() -> None:
    north = earth_field_pitch(0.0)      # +x points north: horizontal field along +x
    east = earth_field_pitch(90.0)      # +x east, +y north: field along +y
    assert north[0] > 20 and abs(north[1]) < 2
    assert east[1] > 20 and abs(east[0]) < 2
    assert north[2] < -40               # northern hemisphere: field points down
    assert np.linalg.norm(north) == pytest.approx(50.0)
    assert pytest.approx(9.80665) == G
