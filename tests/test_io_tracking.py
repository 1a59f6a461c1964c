"""Provider tracking through kloppy on kloppy's own small real fixtures (one per format)."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.tracking import FORMATS, TrackingData, read_tracking

FIX = Path("/work/shared/data/kloppy-test-fixtures")
FILES: dict[str, dict[str, Path]] = {
    "metrica": {"home": FIX / "metrica_home.csv", "away": FIX / "metrica_away.csv"},
    "epts": {"meta": FIX / "epts_metrica_metadata.xml", "raw": FIX / "epts_metrica_tracking.txt"},
    "tracab": {"meta": FIX / "tracab_meta.xml", "raw": FIX / "tracab_raw.dat"},
    "tracab_json": {"meta": FIX / "tracab_meta.json", "raw": FIX / "tracab_raw.json"},
    "sportec": {"meta": FIX / "sportec_meta.xml", "raw": FIX / "sportec_positional.xml"},
}
# format, frames, pitch length, width, frame ids of the first/last frame
EXPECTED = {
    "metrica": ("metrica", 6, 105.0, 68.0, 1, 145006),
    "epts": ("epts", 100, 105.0, 68.0, 450, 699),
    "tracab": ("tracab", 7, 105.0, 68.0, 1848508, 2017933),
    "tracab_json": ("tracab", 7, 105.0, 68.0, 1848508, 2017933),
    "sportec": ("sportec", 202, 100.0, 68.0, 10000, 100100),
}


@pytest.fixture(scope="module")
def loaded() -> dict[str, TrackingData]:
    return {name: read_tracking(EXPECTED[name][0], files) for name, files in FILES.items()}


@pytest.mark.parametrize("name", list(FILES))
def test_frames_pitch_and_positions(loaded: dict[str, TrackingData], name: str) -> None:
    _, frames, length, width, first_id, last_id = EXPECTED[name]
    td = loaded[name]
    assert len(td) == frames
    assert (td.pitch.length_m, td.pitch.width_m) == (length, width)
    assert td.frame_rate == 25.0
    assert td.frame_id[0] == first_id and td.frame_id[-1] == last_id
    assert set(np.unique(td.period)) == {1, 2}
    assert td.t[0] == 0.0 and np.all(np.diff(td.t) > 0)
    assert td.players
    for key, ts in td.players.items():
        assert ts.channels == ("x", "y") and ts.units == ("m", "m")
        assert ts.values.shape == (frames, 2) and ts.t is td.t
        assert td.player_info[key]["team"] in ("home", "away")
        xy = ts.values[np.isfinite(ts.values[:, 0])]
        assert len(xy) > 0
        # players stand on the pitch (a goalkeeper may be a little behind his line)
        assert np.all((xy[:, 0] > -3) & (xy[:, 0] < length + 3)), key
        assert np.all((xy[:, 1] > -3) & (xy[:, 1] < width + 3)), key
    assert td.ball is not None and td.ball.channels == ("x", "y", "z")
    assert np.isfinite(td.ball.values[0, :2]).all()


def test_clock_keeps_the_gap_between_periods(loaded: dict[str, TrackingData]) -> None:
    # EPTS: frames 450-499 then 650-699 at 25 fps
    t = loaded["epts"].t
    assert t[49] == pytest.approx(49 / 25) and t[50] == pytest.approx(200 / 25)
    assert loaded["epts"].provider_t0_s == pytest.approx(450 / 25)
    # TRACAB: the clock is the frame counter / 25
    tr = loaded["tracab"]
    assert np.allclose(tr.t, (tr.frame_id - tr.frame_id[0]) / 25.0, atol=1e-6)


def _tracab_dat_first_frame(path: Path) -> tuple[dict[tuple[int, int], tuple[float, float]],
                                                 tuple[float, float, float]]:
    """Tiny independent parser: (team, jersey) -> (x_cm, y_cm) and the ball (x, y, z) cm."""
    line = path.read_text().splitlines()[0]
    _, objects, ball = line.split(":")[:3]
    players = {}
    for obj in filter(None, objects.split(";")):
        team, _, jersey, x, y, _ = obj.split(",")
        if int(team) in (0, 1):
            players[(int(team), int(jersey))] = (float(x), float(y))
    bx, by, bz = (float(v) for v in ball.split(",")[:3])
    return players, (bx, by, bz)


@pytest.mark.parametrize("name", ["tracab", "tracab_json"])
def test_tracab_centimetres_to_pitch_metres(loaded: dict[str, TrackingData], name: str) -> None:
    td = loaded[name]
    players, ball = _tracab_dat_first_frame(FILES["tracab"]["raw"])
    by_shirt = {(info["team"], info["jersey"]): key for key, info in td.player_info.items()}
    assert len(players) >= 20
    for (team, jersey), (x_cm, y_cm) in players.items():
        key = by_shirt[("home" if team == 1 else "away", jersey)]
        x, y = td.players[key].values[0]
        assert x == pytest.approx(52.5 + x_cm / 100, abs=1e-6)
        assert y == pytest.approx(34.0 + y_cm / 100, abs=1e-6)  # TRACAB's y points up
    # away #9 (id 12314) at (6, -913) cm from the centre spot
    assert np.allclose(td.players["12314"].values[0], [52.56, 24.87], atol=1e-6)
    assert np.allclose(td.ball.values[0], [52.5 + ball[0] / 100, 34 + ball[1] / 100,
                                           ball[2] / 100], atol=1e-6)
    assert td.player_info["12314"]["jersey"] == 9
    assert td.player_info["12314"]["name"] == "Away Player Four"


def test_metrica_csv_keeps_metricas_top_left_origin(loaded: dict[str, TrackingData]) -> None:
    td = loaded["metrica"]
    rows = FILES["metrica"]["home"].read_text().splitlines()
    first = rows[3].split(",")
    # Player11 (home #11) and the ball in frame 1; Metrica: (0,0) top-left, (1,1) bottom-right
    x11, y11 = float(first[3]), float(first[4])
    assert np.allclose(td.players["home_11"].values[0], [x11 * 105, (1 - y11) * 68])
    assert np.allclose(td.ball.values[0, :2], [float(first[-2]) * 105,
                                               (1 - float(first[-1])) * 68])
    assert np.isnan(td.ball.values[:, 2]).all()  # no ball height in Metrica CSV
    assert td.player_info["home_11"] == {"team": "home", "jersey": 11, "name": None,
                                         "provider_id": "home_11", "team_name": "Home"}
    # Player2..: present in period 1; Player12..14 come on in period 2 (NaN before)
    assert np.isnan(td.players["home_12"].values[:3]).all()
    assert np.isfinite(td.players["home_12"].values[3:]).all()
    assert td.t[3] == pytest.approx(5800.16 - 0.04)


@pytest.mark.parametrize("name", ["epts", "sportec", "tracab"])
def test_agrees_with_kloppys_own_metric_transform(loaded: dict[str, TrackingData],
                                                   name: str) -> None:
    from kloppy import metrica, sportec, tracab

    loader = {"epts": metrica.load_tracking_epts, "sportec": sportec.load_tracking,
              "tracab": tracab.load}[name]
    files = FILES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = loader(meta_data=str(files["meta"]), raw_data=str(files["raw"]),
                    coordinates="secondspectrum")  # metres, centre origin, y up
    td = loaded[name]
    half_l, half_w = td.pitch.length_m / 2, td.pitch.width_m / 2
    checked = 0
    for i, frame in enumerate(ds.records):
        for player, pdata in frame.players_data.items():
            if pdata.coordinates is None or np.isnan(pdata.coordinates.x):
                continue
            got = td.players[str(player.player_id)].values[i]
            assert got == pytest.approx([pdata.coordinates.x + half_l,
                                         pdata.coordinates.y + half_w], abs=1e-6)
            checked += 1
        if frame.ball_coordinates is not None:
            assert td.ball.values[i, :2] == pytest.approx(
                [frame.ball_coordinates.x + half_l, frame.ball_coordinates.y + half_w],
                abs=1e-6)
    assert checked > 20


def test_sportec_known_ball_value(loaded: dict[str, TrackingData]) -> None:
    # <Frame N="10000" ... X="2.69" Y="0.26" Z="0.06"/> of the ball, pitch 100 x 68 m
    assert np.allclose(loaded["sportec"].ball.values[0], [52.69, 34.26, 0.06])


def test_sample_rate_and_limit() -> None:
    td = read_tracking("epts", FILES["epts"], sample_rate=0.5, limit=10)
    assert len(td) == 10 and td.frame_rate == 12.5
    assert list(td.frame_id[:3]) == [450, 452, 454]
    assert np.allclose(np.diff(td.t), 0.08)


def test_metrica_warns_about_the_assumed_pitch_size() -> None:
    diag = Diagnostics()
    read_tracking("Metrica", {"home_data": FILES["metrica"]["home"],
                              "away_data": FILES["metrica"]["away"]}, diagnostics=diag)
    assert any("105 x 68" in w and "metrica_home.csv" in w for w in diag.warnings)


def test_bad_inputs_raise_footcoach_errors(tmp_path: Path) -> None:
    with pytest.raises(FootcoachError, match="unknown tracking format 'hawkeye'"):
        read_tracking("hawkeye", FILES["tracab"])
    with pytest.raises(FootcoachError, match="needs a 'raw' file"):
        read_tracking("tracab", {"meta": FILES["tracab"]["meta"]})
    with pytest.raises(FootcoachError, match="not home"):
        read_tracking("tracab", {**FILES["tracab"], "home": FILES["metrica"]["home"]})
    missing = tmp_path / "nope.dat"
    with pytest.raises(FootcoachError, match="file not found") as err:
        read_tracking("tracab", {"meta": FILES["tracab"]["meta"], "raw": missing})
    assert str(missing) in str(err.value)
    # a truncated meta file is named; so is a raw file kloppy cannot read
    broken = tmp_path / "broken.xml"
    broken.write_text("<TracabMetaData><match iFrameRateFps=")
    with pytest.raises(FootcoachError, match="not well-formed XML") as err:
        read_tracking("tracab", {"meta": broken, "raw": FILES["tracab"]["raw"]})
    assert str(err.value).startswith(f"{broken}:line 1:")
    broken_json = tmp_path / "meta.json"
    broken_json.write_text('{"FrameRate": 25,')
    with pytest.raises(FootcoachError, match="not valid JSON") as err:
        read_tracking("tracab", {"meta": broken_json, "raw": FILES["tracab_json"]["raw"]})
    assert str(err.value).startswith(str(broken_json))
    with pytest.raises(FootcoachError, match="could not read epts") as err:
        read_tracking("epts", {"meta": FILES["epts"]["meta"], "raw": FILES["tracab"]["raw"]})
    assert "tracab_raw.dat" in str(err.value) and "epts_metrica_metadata.xml" in str(err.value)
    bad_raw = tmp_path / "raw.dat"
    shutil.copy(FILES["tracab"]["raw"], bad_raw)
    bad_raw.write_text("1848508:0,1,9,six,-913,0.00;:\n")
    with pytest.raises(FootcoachError, match="'six'") as err:
        read_tracking("tracab", {"meta": FILES["tracab"]["meta"], "raw": bad_raw})
    assert str(bad_raw) in str(err.value)
    with pytest.raises(FootcoachError, match="sample_rate"):
        read_tracking("epts", FILES["epts"], sample_rate=2)


def test_formats_table() -> None:
    assert set(FORMATS) == {"metrica", "epts", "tracab", "sportec"}


def test_shifted_moves_every_series_onto_one_new_clock(loaded: dict[str, TrackingData]) -> None:
    td = loaded["epts"]
    moved = td.shifted(12.5)
    assert np.allclose(moved.t, td.t + 12.5) and td.t[0] == 0.0
    assert all(ts.t is moved.t for ts in moved.players.values())
    assert moved.ball is not None and moved.ball.t is moved.t
    assert np.array_equal(moved.players["Track_1"].values, td.players["Track_1"].values,
                          equal_nan=True)
    with pytest.raises(ValueError):
        moved.t[0] = 1.0  # shared clock is read-only
