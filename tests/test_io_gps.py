"""GPS CSV reader: the real U18 Catapult files, vendor/simulator/pitch layouts, validation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from footcoach.domain.pitch import Pitch
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.gps_csv import check_on_pitch, read_gps_csv, read_pitch_corners

FIXTURES = Path(__file__).parent / "fixtures" / "gps"
N = 30


def _write(tmp_path: Path, lines: list[str], name: str = "gps.csv") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _latlon_rows(n: int = N) -> list[tuple[float, float]]:
    return [(41.7260 + 1e-6 * i, -9.1236 + 2e-6 * i) for i in range(n)]


def test_real_u18_positional_file(shared_data: Path) -> None:
    path = shared_data / "gnss-football-tactical" / "Dataset_A_Positional_data" / "U18_ID1.csv"
    diag = Diagnostics()
    ts = read_gps_csv(path, diag=diag)
    assert 33_000 <= len(ts) <= 35_500
    assert ts.channels == ("lat", "lon") and ts.units == ("deg", "deg")
    assert ts.meta["coords"] == "latlon" and ts.meta["time_kind"] == "excel_days"
    assert np.median(np.diff(ts.t)) == pytest.approx(0.1, abs=1e-6)
    start = datetime.fromtimestamp(ts.t0_epoch_s or 0, UTC)
    assert (start.year, start.month, start.day, start.hour) == (2021, 11, 19, 17)
    assert 60 * 60 < ts.duration_s < 70 * 60
    gaps = ts.meta["gaps"]
    assert gaps["gaps"] > 1000 and gaps["longest_gap_s"] <= 1.0  # type: ignore[index]
    assert 8.0 < ts.meta["effective_rate_hz"] < 9.5  # type: ignore[operator]
    assert any("dropouts" in w for w in diag.warnings)
    assert np.nanmedian(ts.channel("lat")) == pytest.approx(41.726, abs=0.01)
    assert np.nanmedian(ts.channel("lon")) == pytest.approx(-9.124, abs=0.01)


def test_real_pitch_corners(shared_data: Path) -> None:
    corners = read_pitch_corners(shared_data / "gnss-football-tactical" / "Dataset_B_Pitch.csv")
    assert len(corners) == 4
    assert corners[0] == pytest.approx((-9.12436877, 41.72674194))


def test_pitch_corners_in_lat_lon_order(tmp_path: Path) -> None:
    p = _write(tmp_path, ["lat,lon", "41.1,-9.1", "41.2,-9.1", "41.2,-9.0", "41.1,-9.0"])
    assert read_pitch_corners(p)[1] == (-9.1, 41.2)
    bad = _write(tmp_path, ["lat,lon", "41.1,-9.1", "41.2,-9.1", "41.2,-9.0", "41.1,-9.0",
                            "41.0,-9.0"], "five.csv")
    with pytest.raises(FootcoachError, match=r"five\.csv:line 6: expected 4 pitch corners"):
        read_pitch_corners(bad)


def test_catapult_layout_fixture() -> None:
    diag = Diagnostics()
    ts = read_gps_csv(FIXTURES / "catapult_10hz_layout_fixture.csv", diag=diag)
    assert ts.channels == ("lat", "lon", "speed", "hdop", "sats")
    assert ts.units == ("deg", "deg", "m/s", "1", "1")
    assert len(ts) == 34 and ts.meta["time_column"] == "Timestamp"
    assert ts.meta["speed_unit_detected"] == "m/s"
    assert ts.channel("speed")[0] == pytest.approx(2.0)
    assert ts.meta["gaps"]["gaps"] == 1  # type: ignore[index]
    no_fix = np.flatnonzero(np.isnan(ts.channel("lat")))
    assert no_fix.tolist() == [23]  # the (0, 0) row became NaN
    assert any("(0, 0)" in w and "line 34" in w for w in diag.warnings)
    assert datetime.fromtimestamp(ts.t0_epoch_s or 0, UTC).strftime("%H:%M:%S") == "17:10:32"


def test_speed_in_km_h_is_converted(tmp_path: Path) -> None:
    rows = [f"{0.1 * i:.1f},{lat},{lon},{18 + i % 3},0.8" for i, (lat, lon)
            in enumerate(_latlon_rows())]
    ts = read_gps_csv(_write(tmp_path, ["Time,Latitude,Longitude,Speed (km/h),HDOP", *rows]))
    assert ts.channel("speed")[0] == pytest.approx(5.0)
    assert ts.meta["speed_unit_detected"] == "km/h"


def test_undeclared_fast_speed_guessed_as_km_h(tmp_path: Path) -> None:
    rows = [f"{0.1 * i:.1f},{lat},{lon},{20 + i % 5}" for i, (lat, lon)
            in enumerate(_latlon_rows())]
    diag = Diagnostics()
    ts = read_gps_csv(_write(tmp_path, ["Time,Latitude,Longitude,Velocity", *rows]), diag=diag)
    assert ts.channel("speed")[0] == pytest.approx(20 / 3.6)
    assert any("km/h is assumed" in w for w in diag.warnings)


def test_simulator_layout(tmp_path: Path) -> None:
    rows = [f"{1_700_000_000_000 + 100 * i},{lat},{lon},{1.5},{0.9}" for i, (lat, lon)
            in enumerate(_latlon_rows())]
    ts = read_gps_csv(_write(tmp_path, ["unix_time_ms,latitude,longitude,speed_mps,hdop",
                                        *rows]))
    assert ts.channels == ("lat", "lon", "speed", "hdop")
    assert ts.t0_epoch_s == pytest.approx(1_700_000_000.0)
    assert ts.rate_hz == pytest.approx(10.0)


@pytest.mark.parametrize("header", ["time,x_m,y_m", "Time,X,Y", "t,pos_x (cm),pos_y (cm)"])
def test_pitch_xy_layouts(tmp_path: Path, header: str) -> None:
    scale = 100.0 if "cm" in header else 1.0
    rows = [f"{0.1 * i:.1f},{(10 + i) * scale},{(20 + 0.5 * i) * scale}" for i in range(N)]
    ts = read_gps_csv(_write(tmp_path, [header, *rows]))
    assert ts.channels == ("x", "y") and ts.units == ("m", "m")
    assert ts.meta["coords"] == "pitch"
    assert ts.channel("x")[3] == pytest.approx(13.0)


def test_latitude_out_of_range_names_the_row(tmp_path: Path) -> None:
    rows = [f"{0.1 * i:.1f},{lat},{lon}" for i, (lat, lon) in enumerate(_latlon_rows())]
    rows[12] = "1.2,95.0,41.7"
    p = _write(tmp_path, ["time,latitude,longitude", *rows], "lat.csv")
    with pytest.raises(FootcoachError, match=r"lat\.csv:line 14: latitude 95 is outside "
                                             r"\[-90, 90\] \(are latitude and longitude"):
        read_gps_csv(p)


def test_longitude_out_of_range_names_the_row(tmp_path: Path) -> None:
    rows = [f"{0.1 * i:.1f},{lat},{lon}" for i, (lat, lon) in enumerate(_latlon_rows())]
    rows[5] = "0.5,41.7,-190.0"
    with pytest.raises(FootcoachError, match=r"lon\.csv:line 7: longitude -190 is outside"):
        read_gps_csv(_write(tmp_path, ["time,latitude,longitude", *rows], "lon.csv"))


def test_no_position_columns(tmp_path: Path) -> None:
    rows = [f"{0.1 * i:.1f},1,2" for i in range(N)]
    with pytest.raises(FootcoachError, match=r"pos\.csv:line 1: no position columns"):
        read_gps_csv(_write(tmp_path, ["time,a,b", *rows], "pos.csv"))


def _track(xy: np.ndarray) -> TimeSeries:
    return TimeSeries(np.arange(len(xy)) * 0.1, xy, ("x", "y"), ("m", "m"), name="gps",
                      source="player7.csv")


def test_check_on_pitch() -> None:
    pitch = Pitch(105.0, 68.0)
    xy = np.c_[np.linspace(0, 105, 100), np.full(100, 34.0)]
    xy[10:14] = [200.0, 34.0]  # 4 of 99 fixes far off: tolerated
    xy[20] = np.nan
    check_on_pitch(_track(xy), xy, pitch)
    xy[40:50] = [-80.0, 34.0]  # now 14 of 99 off
    with pytest.raises(FootcoachError, match=r"player7\.csv:t=1\.0 s: 14% of the GPS fixes"):
        check_on_pitch(_track(xy), xy, pitch)
    check_on_pitch(_track(xy), xy, pitch, margin_m=200.0)


def test_empty_optional_column_is_dropped(tmp_path: Path) -> None:
    rows = [f"{0.1 * i:.1f},{lat},{lon},," for i, (lat, lon) in enumerate(_latlon_rows())]
    diag = Diagnostics()
    ts = read_gps_csv(_write(tmp_path, ["time,lat,lon,hdop,speed", *rows]), diag=diag)
    assert ts.channels == ("lat", "lon")
    assert sum("holds no numbers" in w for w in diag.warnings) == 2
