"""A vest that stops measuring (footcoach.sync.sensor_faults): frozen readings and an
accelerometer without gravity are found, set aside when a session is aligned, named by
``footcoach check`` and ``footcoach analyze``, and the analysis reads the player's positions
there instead; real recordings give no false alarm."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from demo_copy import demo_with_faulty_vests, demo_with_held_fix, demo_without_video

from footcoach.analysis.metrics import compute_metrics
from footcoach.app.align import AlignSettings, align_session
from footcoach.app.load import load_session
from footcoach.app.metrics import session_metrics
from footcoach.cli.main import main
from footcoach.domain.timeseries import TimeSeries
from footcoach.sync.movement import vest_intensity
from footcoach.sync.quality import clean_stream
from footcoach.sync.sensor_faults import (
    DEFAULT_FAULTS,
    FaultSettings,
    clock,
    fault_warning,
    find_gps_faults,
    find_imu_faults,
    find_position_drift,
    remove_imu_faults,
    set_aside,
    weak_gravity_rows,
)

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "resources" / "demo-session"
CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "mag_x", "mag_y", "mag_z")
UNITS = ("g", "g", "g", "deg/s", "deg/s", "deg/s", "uT", "uT", "uT")


def _worn(seconds: float = 60.0, rate_hz: float = 100.0, seed: int = 0) -> TimeSeries:
    """A worn vest: gravity on z, 0.3 g of motion, gyroscope noise, a slow magnetometer
    (repeating each value 10 times, as many vests do), rounded as vendors export it."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate_hz)
    v = np.empty((n, 9))
    v[:, :3] = np.round(rng.normal(0, 0.3, (n, 3)) + np.array([0.0, 0.0, 1.0]), 4)
    v[:, 3:6] = np.round(rng.normal(0, 40, (n, 3)), 2)
    v[:, 6:] = np.repeat(np.round(rng.normal(0, 30, (n // 10 + 1, 3)), 2), 10, axis=0)[:n]
    return TimeSeries(np.arange(n) / rate_hz, v, CHANNELS, UNITS, name="imu", source="p7.csv")


def test_a_frozen_stretch_is_found_when_it_lasts_the_minimum() -> None:
    ts = _worn()
    ts.values[1000:1400] = ts.values[999]  # 4 s of the last reading (mag too: a stuck logger)
    ts.values[3000:3150] = ts.values[2999]  # 1.5 s: shorter than the 2 s minimum
    faults, rows = find_imu_faults(ts)
    assert [(f.kind, f.start_s, f.end_s) for f in faults] == [("frozen", 9.99, 13.99)]
    assert rows.sum() == 401 and rows[999:1400].all()
    assert [f.kind for f in find_imu_faults(ts, FaultSettings(frozen_min_s=1.0))[0]] == [
        "frozen", "frozen"]
    ts.values[1200, 4] += 0.01  # one gyroscope value moves: 2.0 s before it, 1.98 s after
    assert [round(f.duration_s, 2) for f in find_imu_faults(ts)[0]] == [2.0]


def test_an_accelerometer_without_gravity_is_found_and_a_jump_is_not() -> None:
    ts = _worn()
    rng = np.random.default_rng(1)
    ts.values[2000:2500, :3] = rng.normal(0, 0.1, (500, 3))  # 5 s reading no gravity
    ts.values[4000:4060, :3] = rng.normal(0, 0.05, (60, 3))  # a 0.6 s flight: free fall
    faults, rows = find_imu_faults(ts)
    assert [f.kind for f in faults] == ["no gravity"]
    assert 19.5 <= faults[0].start_s <= 20.6 and 24.4 <= faults[0].end_s <= 25.5
    assert not rows.any()  # reported, not set aside (the network reads the other channels)
    both = FaultSettings(set_aside=("frozen", "no gravity"))
    rows = find_imu_faults(ts, both)[1]
    assert rows[2050:2450].all() and not rows[4000:4060].any()


def _turn(ts: TimeSeries, first: int, last: int, degrees: float) -> None:
    """Turn the accelerometer of rows ``first..last`` by ``degrees`` about x (in place)."""
    a = np.radians(degrees)
    rot = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ts.values[first:last + 1, :3] = ts.values[first:last + 1, :3] @ rot.T


def test_a_vest_far_from_upright_is_set_aside() -> None:
    ts = _worn(seconds=90)
    _turn(ts, 2000, 4999, 90.0)  # 30 s lying forwards (slipped): 20-50 s
    _turn(ts, 6000, 6499, 90.0)  # 5 s: a player on the ground, not a vest fault
    faults, rows = find_imu_faults(ts)
    assert [f.kind for f in faults] == ["turned"]
    assert 20.0 <= faults[0].start_s <= 25.0 and 45.0 <= faults[0].end_s <= 50.0
    assert rows[2600:4400].all() and not rows[5500:].any()
    assert fault_warning("p7", faults) is not None
    assert "sat more than 70 degrees from upright" in (fault_warning("p7", faults) or "")
    mild = _worn(seconds=90)
    _turn(mild, 2000, 4999, 60.0)  # within what the networks read better than no vest
    assert find_imu_faults(mild)[0] == []
    assert find_imu_faults(ts, FaultSettings(turned_max_deg=180.0))[0] == []


def test_zeros_are_one_frozen_fault_not_two() -> None:
    ts = _worn()
    ts.values[1000:1500] = 0.0
    faults, _ = find_imu_faults(ts)
    assert [f.kind for f in faults] == ["frozen"]


def test_gaps_neither_make_nor_hide_a_fault() -> None:
    ts = _worn()
    ts.values[500:700, :] = np.nan  # a dropout is a gap (cleaning fills or masks it)
    assert find_imu_faults(ts)[0] == []
    ts.values[2000:2500, :3] = 0.02  # no gravity after the gap (constant: frozen acc only)
    ts.values[2000:2500, 3:6] = np.random.default_rng(2).normal(0, 40, (500, 3))
    assert [f.kind for f in find_imu_faults(ts)[0]] == ["no gravity"]
    t = np.arange(100) / 100.0
    assert not weak_gravity_rows(t, np.full((100, 3), np.nan), 1.0, 0.4).any()


def test_cleaning_sets_a_fault_aside_and_counts_it() -> None:
    ts = _worn()
    ts.values[1000:1400] = ts.values[999]
    cleaned, row = clean_stream(ts, "imu")
    assert np.isnan(cleaned.values[1000:1400]).all()
    assert np.isfinite(cleaned.values[:990]).all() and np.isfinite(cleaned.values[1410:]).all()
    assert row.n_outliers == 401 and row.missing_after == pytest.approx(401 / 6000)
    assert [f.kind for f in cleaned.meta["sensor_faults"]] == ["frozen"]  # type: ignore[attr-defined]
    kept, row_kept = clean_stream(ts, "imu", faults=None)
    assert np.isfinite(kept.values).all() and row_kept.n_outliers == 0
    assert kept.meta["sensor_faults"] == []
    same, n, faults = remove_imu_faults(_worn())
    assert n == 0 and faults == [] and np.isfinite(same.values).all()


def test_the_warning_names_the_player_the_times_and_what_happens() -> None:
    ts = _worn(seconds=200)
    ts.values[6000:9000] = ts.values[5999]
    ts.values[15000:15300, :3] = 0.01 * np.random.default_rng(3).normal(size=(300, 3))
    faults, _ = find_imu_faults(ts)
    message = fault_warning("p7", faults)
    assert message is not None and message.startswith("vest of p7: repeated the same reading")
    assert "at 1:00.0-1:30.0 (30 s): set aside, the analysis reads only the player's positions" \
        in message
    assert "; read no gravity" in message
    assert message.endswith("(3 s): kept, the model reads the vest's other channels there")
    assert fault_warning("p7", []) is None
    assert clock(-3.26) == "-0:03.3" and clock(754.5) == "12:34.5" and clock(59.99) == "1:00.0"


def test_real_recordings_raise_no_fault(shared_data: Path) -> None:
    """The Expert-Novice suit (real, 1/64 g and 1 deg/s steps, shots and tackles) repeats its
    readings for at most 0.45 s, no second of it lacks gravity, and in the vest frame no
    sensor sits more than 70 degrees from upright."""
    from footcoach.bench.expert_novice_bench import to_vest_frame
    from footcoach.io.expert_novice import read_expert_novice_derived

    found = next((shared_data / "expert-novice-soccer-imu" / "derived").glob("*.csv.gz"))
    for segment in ("upper_spine", "right_lower_leg"):
        samples = read_expert_novice_derived(found, segment=segment, max_samples=60)
        assert len(samples) == 60  # in footcoach's vest frame (the suit's has y up)
        vest = [s.imu.replace(values=to_vest_frame(s.imu.values)) for s in samples]
        assert all(find_imu_faults(ts)[0] == [] for ts in vest)


def test_a_session_with_faulty_vests_is_checked_and_analysed_without_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = demo_with_faulty_vests(tmp_path)
    loaded = load_session(folder)
    aligned = align_session(loaded)
    assert sorted(aligned.imu_faults) == ["a02", "a03"]
    (frozen,), (weak,) = aligned.imu_faults["a02"], aligned.imu_faults["a03"]
    assert frozen.kind == "frozen" and frozen.duration_s == pytest.approx(40.0, abs=0.02)
    assert weak.kind == "no gravity"  # found to within half a window at either end:
    assert weak.duration_s == pytest.approx(30.0, abs=1.5)
    named = [w for w in loaded.diagnostics.warnings if "repeated the same reading" in w]
    assert len(named) == 1 and "a02.csv" in named[0]
    kept = align_session(load_session(folder), AlignSettings(faults=None))
    assert kept.imu_faults == {}
    imu, raw = aligned.imu["a02"], kept.imu["a02"]
    inside = (imu.t >= frozen.start_s) & (imu.t <= frozen.end_s)
    set_aside = np.isnan(imu.values).any(axis=1) & np.isfinite(raw.values).all(axis=1)
    near = (imu.t >= frozen.start_s - 0.05) & (imu.t <= frozen.end_s + 0.05)  # smoothing
    assert set_aside[inside].all() and not set_aside[~near].any()

    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "  check the vest of a02: repeated the same reading" in out
    assert f"at {clock(frozen.start_s)}-{clock(frozen.end_s)} (40 s): set aside" in out
    assert "  check the vest of a03: read no gravity" in out
    assert main(["metrics", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "warning: metrics of a02: his vest repeated one reading at" in err
    assert "metrics of a03" not in err  # no gravity: the load is still counted

    if not (REPO / "models" / "footcoach_model.json").is_file():
        pytest.skip("no bundled model in models/")
    from footcoach.app.analyze import run_analysis

    on = run_analysis(folder, engine="onnx", device="cpu")
    off = run_analysis(folder, engine="onnx", device="cpu", sensor_faults=None)
    assert on.key != off.key  # the fault thresholds are part of the cache key
    assert any("vest of a02: repeated" in w for w in on.run["sensor_warnings"])
    vests = 1  # modality_attention columns: video, imu, position
    t = on.steps.t
    deep = (t > frozen.start_s + 3) & (t < frozen.end_s - 3)
    clear = (t < frozen.start_s - 3) | (t > frozen.end_s + 3)
    seen_on = on.steps.player("a02")["modality_attention"][:, vests]
    seen_off = off.steps.player("a02")["modality_attention"][:, vests]
    valid = on.steps.player("a02")["valid"]
    assert valid[deep].all()  # still analysed, from the positions
    assert (seen_on[deep] == 0).all() and (seen_on[clear & valid] > 0).all()
    assert (seen_off[deep] > 0).all()
    kept = (t > weak.start_s + 3) & (t < weak.end_s - 3)  # no gravity: reported, still read
    assert (on.steps.player("a03")["modality_attention"][kept, vests] > 0).all()
    assert main(["analyze", str(folder), "--device", "cpu"]) == 0  # from the cache
    assert "footcoach: warning: vest of a02: repeated the same reading" in capsys.readouterr().err


def _track(seconds: float = 120.0) -> TimeSeries:
    """A GPS unit at 10 Hz on a player running circles of 10 m at 3 m/s."""
    t = np.arange(0, seconds, 0.1)
    xy = np.c_[20 + 10 * np.cos(0.3 * t), 15 + 10 * np.sin(0.3 * t)]
    return TimeSeries(t, np.round(xy, 2), ("x", "y"), ("m", "m"), name="gps", source="g7.csv")


def _vest(sd_g: float, seconds: float = 120.0) -> TimeSeries:
    """A vest whose |a| varies by about ``sd_g`` within each second (gravity on z)."""
    ts = _worn(seconds)
    up = np.array([0.0, 0.0, 1.0])
    ts.values[:, :3] = np.random.default_rng(5).normal(0, sd_g, (len(ts), 3)) + up
    return ts


def test_a_frozen_position_needs_a_vest_that_moves() -> None:
    gps = _track()
    gps.values[300:500] = gps.values[299]  # 20 s of the same fix, 29.9-49.9 s
    gps.values[800:880] = gps.values[799]  # 8 s: shorter than the 10 s minimum
    running, still = _vest(0.5), _vest(0.01)
    seconds = np.arange(30.0, 51.0)
    assert np.percentile(vest_intensity(running, seconds), 75) > 0.3  # moving_min_g
    assert np.percentile(vest_intensity(still, seconds), 75) < 0.05
    faults = find_gps_faults(gps, running)
    assert [(f.kind, round(f.start_s, 1), round(f.end_s, 1)) for f in faults] == [
        ("frozen position", 29.9, 49.9)]
    standing = gps.replace(values=np.full_like(gps.values, 20.0))  # the same fix throughout
    assert find_gps_faults(standing, still) == []  # a player standing: his fix may repeat
    assert find_gps_faults(gps, None) == []  # no vest: nothing tells
    cleared = set_aside(gps, faults, ("frozen position",))
    assert np.isnan(cleared.values[299:500]).all() and np.isfinite(cleared.values[:299]).all()
    assert set_aside(gps, faults, ("frozen",)) is gps
    message = fault_warning("g7", faults, ("frozen position",))
    assert message is not None and message.startswith(
        "GPS unit of g7: repeated the same position while the vest shows the player moving")
    assert message.endswith("(20 s): set aside, the analysis reads the player's vest there")


def test_a_position_that_moves_while_the_vest_stands_still_is_drifting() -> None:
    standing = _track().replace(values=np.full((1200, 2), 20.0))
    gps = standing.replace(values=standing.values.copy())
    gps.values[400:461, 0] += np.linspace(0.0, 18.0, 61)  # 3 m/s for 6 s (40-46 s), then held
    gps.values[461:, 0] += 18.0
    still, walking = _vest(0.01), _vest(0.1)
    (fault,) = find_gps_faults(gps, still)
    assert fault.kind == "drifting position"
    assert 37.0 <= fault.start_s <= 40.0 and 46.0 <= fault.end_s <= 49.0
    assert find_position_drift(gps, walking) == [fault]  # 3 m/s is more than a walk
    assert find_position_drift(gps, _vest(0.5)) == []  # a running vest: it may be true
    assert find_position_drift(gps, None) == []  # no vest, no speed column: nothing tells
    frozen = still.replace(values=np.tile(still.values[:1], (len(still), 1)))
    assert find_position_drift(gps, frozen) == []  # a vest repeating one reading says nothing
    short = standing.replace(values=standing.values.copy())
    short.values[400:421, 0] += np.linspace(0.0, 6.0, 21)  # 2 s only
    short.values[421:, 0] += 6.0
    assert find_position_drift(short, still) == []
    # the unit's own (Doppler) speed says the player stood there, and it measured his run of
    # 80-95 s at 4 m/s: found without a vest
    run = np.clip(gps.t - 80.0, 0.0, 15.0) * 4.0
    speed = np.where((gps.t >= 80.0) & (gps.t < 95.0), 4.0, 0.0)
    told = gps.replace(values=np.c_[gps.values[:, 0], gps.values[:, 1] + run, speed],
                       channels=("x", "y", "speed"), units=("m", "m", "m/s"))
    (alone,) = find_gps_faults(told, None)
    assert abs(alone.start_s - fault.start_s) <= 1 and abs(alone.end_s - fault.end_s) <= 1
    (both,) = find_gps_faults(told, still)  # the still vest is not believed during the run
    assert both == alone
    honest = told.replace(values=np.c_[told.values[:, :2], np.where(
        (gps.t >= 40.0) & (gps.t < 46.0), 3.0, speed)])
    assert find_gps_faults(honest, None) == []  # the unit measured the first run too
    zeros = told.replace(values=np.c_[told.values[:, :2], np.zeros(len(gps))])
    assert find_gps_faults(zeros, None) == []  # a column of zeros measures nothing
    message = fault_warning("g7", [fault], DEFAULT_FAULTS.set_aside)
    assert message is not None and message.startswith(
        "GPS unit of g7: moved further than the player did (while the vest shows him standing")
    assert message.endswith("set aside, the analysis reads the player's vest there")


def test_a_gps_unit_that_lost_its_fix_is_set_aside_and_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo with b02's GPS unit repeating one fix (and speed) for rows 300-699."""
    folder = demo_with_held_fix(tmp_path)
    loaded = load_session(folder)
    aligned = align_session(loaded)
    (fault,) = aligned.gps_faults["b02"]
    assert fault.kind == "frozen position" and fault.duration_s > 38
    assert list(aligned.gps_faults) == ["b02"] and aligned.imu_faults == {}
    gps = aligned.gps["b02"]
    assert np.isnan(gps.values[(gps.t > fault.start_s + 0.1) & (gps.t < fault.end_s - 0.1)]).all()
    inside = (gps.t > fault.start_s + 0.1) & (gps.t < fault.start_s + 38)  # the fix held
    assert any("b02.csv" in w and "repeated the same position" in w
               for w in loaded.diagnostics.warnings)
    kept = align_session(load_session(folder), AlignSettings(faults=None))
    assert kept.gps_faults == {} and np.isfinite(kept.gps["b02"].values[inside]).all()
    assert main(["check", str(folder)]) == 0
    assert "  check the GPS unit of b02: repeated the same position" in capsys.readouterr().out
    assert main(["metrics", str(folder)]) == 0
    err = capsys.readouterr().err
    assert f"warning: metrics of b02: his GPS unit held one fix at {clock(fault.start_s)}" in err
    assert "metrics of a02" not in err
    if not (REPO / "models" / "footcoach_model.json").is_file():
        pytest.skip("no bundled model in models/")
    from footcoach.app.analyze import run_analysis

    result = run_analysis(folder, engine="onnx", device="cpu")
    t = result.steps.t
    deep = (t > fault.start_s + 3) & (t < fault.end_s - 3)
    attention = result.steps.player("b02")["modality_attention"]  # video, imu, position
    assert (attention[deep, 2] == 0).all() and np.allclose(attention[deep, 1], 1.0)


def test_a_drifting_gps_position_is_set_aside_named_and_adds_no_distance(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo with b02's GPS position pulled 20 m north over rows 300-340 (4 s) and back over
    rows 660-700 (multipath); its speed column, measured from the Doppler shift, unchanged."""
    folder = demo_without_video(tmp_path)
    path = folder / "gps" / "b02.csv"
    with path.open(newline="") as f:
        head, *body = list(csv.reader(f))
    lat = head.index("latitude")
    for k in range(300, 701):
        x = min(k - 300, 700 - k, 40) / 40
        north = 20.0 * x * x * (3 - 2 * x)
        body[k][lat] = f"{float(body[k][lat]) + north / 111_320.0:.8f}"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([head, *body])
    loaded = load_session(folder)
    aligned = align_session(loaded)
    faults = aligned.gps_faults["b02"]
    assert {f.kind for f in faults} == {"drifting position"}
    t0 = float(loaded.gps["b02"].t[300])
    # the way out, while b02 stood: found; the way back, while he ran off the other way,
    # moved his position further than his own speed by 3 s or less: not found
    assert faults[0].start_s <= t0 + 2 <= faults[0].end_s and len(faults) == 1
    gps = aligned.gps["b02"]
    assert np.isnan(gps.values[(gps.t > faults[0].start_s + 0.1)
                               & (gps.t < faults[0].end_s - 0.1)]).all()
    assert list(aligned.gps_faults) == ["b02"] and aligned.imu_faults == {}
    (row,) = [r for r in aligned.quality.rows if (r.player, r.modality) == ("b02", "gps")]
    (before,) = [r for r in align_session(load_session(DEMO)).quality.rows
                 if (r.player, r.modality) == ("b02", "gps")]
    assert row.n_outliers - before.n_outliers == pytest.approx(50, abs=12)  # 5 s at 10 Hz
    assert main(["check", str(folder)]) == 0
    assert "  check the GPS unit of b02: moved further than the player did" in (
        capsys.readouterr().out)
    assert main(["metrics", str(folder)]) == 0
    assert "warning: metrics of b02: his GPS position moved further than he did at" in (
        capsys.readouterr().err)
    (checked,) = [r for r in session_metrics(folder).rows if r.player == "b02"]
    (raw,) = compute_metrics(loaded.gps["b02"], None, player="b02")
    (clean,) = [r for r in session_metrics(DEMO).rows if r.player == "b02"]
    assert raw.distance_m > clean.distance_m + 30  # 20 m out and 20 m back
    assert raw.distance_m - checked.distance_m > 15  # the way out is not counted


def test_the_analysis_can_be_told_to_keep_a_kind_of_fault(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``footcoach analyze --keep held-fix``: the held fix is named, kept, and read."""
    from footcoach.cli.cmd_analyze import fault_settings

    assert fault_settings([]) == DEFAULT_FAULTS
    assert fault_settings(["drift", "frozen"]).set_aside == ("turned", "frozen position")
    assert fault_settings(["round-body"]).round_body_min_deg == 360.0
    with pytest.raises(SystemExit):
        main(["analyze", str(DEMO), "--keep", "gravity"])
    capsys.readouterr()
    if not (REPO / "models" / "footcoach_model.json").is_file():
        pytest.skip("no bundled model in models/")
    folder = demo_with_held_fix(tmp_path)
    assert main(["analyze", str(folder), "--keep", "held-fix", "--engine", "onnx",
                 "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert "warning: GPS unit of b02: repeated the same position while the vest shows" in err
    assert "s): kept" in err and "set aside" not in err.split("GPS unit of b02")[1]
    from footcoach.app.analyze import run_analysis

    cached = run_analysis(folder, engine="onnx", device="cpu",
                          sensor_faults=fault_settings(["held-fix"]))
    assert cached.from_cache  # the same settings: the run above
    t = cached.steps.t
    held = (t > 35.0) & (t < 65.0)
    assert (cached.steps.player("b02")["modality_attention"][held, 2] > 0).all()  # positions

