"""IMU CSV reader: vendor spellings, units declared or detected, sensor selection, bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.imu_csv import match_sensor_column, read_imu_csv

FIXTURES = Path(__file__).parent / "fixtures" / "imu"
SIM_HEADER = ("unix_time_ms,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps,"
              "mag_x_uT,mag_y_uT,mag_z_uT")
N = 40


def _motion(n: int = N) -> np.ndarray:
    """(n, 9): acc in g (|acc| ~ 1), gyro in rad/s, mag in uT."""
    i = np.arange(n)
    acc = np.c_[0.1 * np.sin(i / 5), -0.98 + 0.05 * np.cos(i / 3), 0.12 * np.ones(n)]
    gyro = np.c_[1.5 * np.sin(i / 4), -0.6 * np.ones(n), 0.3 * np.cos(i / 7)]
    mag = np.c_[20 + i * 0.1, -5 * np.ones(n), 40 * np.ones(n)]
    return np.hstack([acc, gyro, mag])


def _write(tmp_path: Path, header: str, rows: np.ndarray, time: list[str] | None = None,
           name: str = "imu.csv", sep: str = ",", top: tuple[str, ...] = ()) -> Path:
    time = time if time is not None else [f"{0.01 * i:.2f}" for i in range(len(rows))]
    lines = [*top, header] + [sep.join([time[k], *(f"{v:.9g}" for v in row)])
                              for k, row in enumerate(rows)]
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_simulator_layout_with_magnetometer(tmp_path: Path) -> None:
    m = _motion()
    raw = m.copy()
    raw[:, 3:6] = np.degrees(m[:, 3:6])
    ms = [str(1_700_000_000_000 + 10 * i) for i in range(N)]
    ts = read_imu_csv(_write(tmp_path, SIM_HEADER, raw, ms))
    assert ts.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z",
                           "mag_x", "mag_y", "mag_z")
    assert ts.units == ("g",) * 3 + ("rad/s",) * 3 + ("uT",) * 3
    np.testing.assert_allclose(ts.values, m, rtol=1e-5, atol=1e-5)
    assert ts.t0_epoch_s == pytest.approx(1_700_000_000.0)
    assert ts.rate_hz == pytest.approx(100.0)
    assert ts.meta["gyro_unit_detected"] == "deg/s" and ts.meta["gyro_unit_source"] == "header"
    assert ts.name == "imu" and ts.source.endswith("imu.csv")


def test_without_magnetometer_gives_six_channels(tmp_path: Path) -> None:
    ts = read_imu_csv(_write(tmp_path, "t,ax,ay,az,gx,gy,gz", _motion()[:, :6]))
    assert ts.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")


@pytest.mark.parametrize("names", [
    ["ax", "ay", "az", "gx", "gy", "gz"],
    ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"],
    ["AccX", "AccY", "AccZ", "GyroX", "GyroY", "GyroZ"],
    ["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"],
    ["Accelerometer X", "Accelerometer Y", "Accelerometer Z", "Gyroscope X", "Gyroscope Y",
     "Gyroscope Z"],
    ["Acc X (g)", "Acc Y (g)", "Acc Z (g)", "Gyro X (rad/s)", "Gyro Y (rad/s)",
     "Gyro Z (rad/s)"],
    ["acceleration_x", "acceleration_y", "acceleration_z", "angular_velocity_x",
     "angular_velocity_y", "angular_velocity_z"],
])
def test_vendor_spellings(tmp_path: Path, names: list[str]) -> None:
    m = _motion()[:, :6]
    ts = read_imu_csv(_write(tmp_path, ",".join(["time", *names]), m))
    np.testing.assert_allclose(ts.values, m, atol=1e-6)


def test_match_sensor_column() -> None:
    assert match_sensor_column("upper_spine_gyr_z_rads") == ("upper_spine", "gyro", "z")
    assert match_sensor_column("Magnetometer Y (µT)") == ("", "mag", "y")
    assert match_sensor_column("accelerometer_x_m_s2") == ("", "acc", "x")
    assert match_sensor_column("Latitude") is None
    assert match_sensor_column("max") is None


def test_m_s2_and_deg_s_detected_when_undeclared(tmp_path: Path) -> None:
    m = _motion()[:, :6]
    raw = np.c_[m[:, :3] * 9.80665, np.degrees(m[:, 3:6]) * 20]  # |gyro| up to ~1700 deg/s
    diag = Diagnostics()
    ts = read_imu_csv(_write(tmp_path, "time,ax,ay,az,gx,gy,gz", raw), diag=diag)
    np.testing.assert_allclose(ts.values[:, :3], m[:, :3], atol=1e-6)
    np.testing.assert_allclose(ts.values[:, 3:], m[:, 3:] * 20, rtol=1e-5)
    assert ts.meta["acc_unit_detected"] == "m/s^2" and ts.meta["acc_unit_source"] == "guessed"
    assert ts.meta["gyro_unit_detected"] == "deg/s"
    assert any("accelerometer unit not declared" in w for w in diag.warnings)
    assert any("gyroscope unit not declared" in w for w in diag.warnings)


def test_g_and_rad_s_detected_when_undeclared(tmp_path: Path) -> None:
    m = _motion()[:, :6]
    ts = read_imu_csv(_write(tmp_path, "time,ax,ay,az,gx,gy,gz", m))
    assert ts.meta["acc_unit_detected"] == "g" and ts.meta["gyro_unit_detected"] == "rad/s"
    np.testing.assert_allclose(ts.values, m, atol=1e-6)


def test_unit_arguments_override(tmp_path: Path) -> None:
    m = _motion()[:, :6]
    raw = np.c_[m[:, :3] * 9.80665, np.degrees(m[:, 3:6])]  # small deg/s: a guess says rad/s
    ts = read_imu_csv(_write(tmp_path, "time,ax,ay,az,gx,gy,gz", raw), acc_unit="m/s²",
                      gyro_unit="dps")
    np.testing.assert_allclose(ts.values, m, atol=1e-5)
    assert ts.meta["gyro_unit_source"] == "argument"
    with pytest.raises(FootcoachError, match="unknown gyroscope unit 'furlong'"):
        read_imu_csv(_write(tmp_path, "time,ax,ay,az,gx,gy,gz", raw), gyro_unit="furlong")


def test_units_from_metadata_lines(tmp_path: Path) -> None:
    m = _motion()[:, :6]
    raw = np.c_[m[:, :3] * 9.80665, np.degrees(m[:, 3:6])]
    top = ('"Device: vest 12"', '"Accelerometer units: m/s^2; Gyroscope units: deg/s"')
    ts = read_imu_csv(_write(tmp_path, "time,ax,ay,az,gx,gy,gz", raw, top=top))
    np.testing.assert_allclose(ts.values, m, atol=1e-5)
    assert ts.meta["acc_unit_source"] == ts.meta["gyro_unit_source"] == "metadata"


def test_magnetometer_in_gauss(tmp_path: Path) -> None:
    m = _motion()
    raw = m.copy()
    raw[:, 6:] = m[:, 6:] / 100.0
    header = "time,ax,ay,az,gx,gy,gz,Mag X (Gauss),Mag Y (Gauss),Mag Z (Gauss)"
    ts = read_imu_csv(_write(tmp_path, header, raw))
    np.testing.assert_allclose(ts.channel("mag_x"), m[:, 6], rtol=1e-5)


def test_excel_cp1252_semicolon_fixture() -> None:
    diag = Diagnostics()
    ts = read_imu_csv(FIXTURES / "excel_semicolon_cp1252_fixture.csv", diag=diag)
    assert len(ts) == 30 and ts.rate_hz == pytest.approx(100.0)
    assert ts.meta["acc_unit_detected"] == "m/s^2" and ts.meta["gyro_unit_detected"] == "deg/s"
    assert ts.channel("acc_y")[0] == pytest.approx(10.01 / 9.80665)
    assert ts.channel("gyro_y")[0] == pytest.approx(math.radians(-45.0))
    assert ts.meta["columns"]["acc_x"] == "Acc X (m/s²)"  # type: ignore[index]


def test_wide_file_needs_a_segment() -> None:
    with pytest.raises(FootcoachError) as info:
        read_imu_csv(FIXTURES / "wide_two_segments_fixture.csv")
    msg = str(info.value)
    assert "wide_two_segments_fixture.csv:line 1:" in msg and "chest, thigh" in msg


def test_segment_and_column_prefix_select_one_sensor() -> None:
    thigh = read_imu_csv(FIXTURES / "wide_two_segments_fixture.csv", segment="thigh")
    assert thigh.channel("acc_x")[0] == pytest.approx(0.9) and thigh.meta["segment"] == "thigh"
    chest = read_imu_csv(FIXTURES / "wide_two_segments_fixture.csv", column_prefix="chest_")
    assert chest.channel("acc_y")[0] == pytest.approx(-1.0)
    assert chest.meta["segments"] == ["chest", "thigh"]
    with pytest.raises(FootcoachError, match=r"no IMU segment 'ankle'.*'chest', 'thigh'"):
        read_imu_csv(FIXTURES / "wide_two_segments_fixture.csv", segment="ankle")


def test_missing_gyroscope_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FootcoachError, match=r"acc\.csv:line 1: no gyroscope x/y/z column"):
        read_imu_csv(_write(tmp_path, "time,ax,ay,az", _motion()[:, :3], name="acc.csv"))


def test_all_nan_channel_is_an_error(tmp_path: Path) -> None:
    raw = _motion()[:, :6]
    raw[:, 4] = np.nan
    with pytest.raises(FootcoachError, match=r"nan\.csv:line 2: column 'gy' has no values"):
        read_imu_csv(_write(tmp_path, "time,ax,ay,az,gx,gy,gz", raw, name="nan.csv"))


def test_time_backwards_names_the_row(tmp_path: Path) -> None:
    time = [f"{0.01 * i:.2f}" for i in range(N)]
    time[20] = "0.05"
    with pytest.raises(FootcoachError, match=r"back\.csv:line 22: time runs backwards"):
        read_imu_csv(_write(tmp_path, "time,ax,ay,az,gx,gy,gz", _motion()[:, :6], time,
                            name="back.csv"))


def test_non_numeric_sensor_cell_names_row_and_column(tmp_path: Path) -> None:
    p = _write(tmp_path, "time,ax,ay,az,gx,gy,gz", _motion()[:, :6], name="cell.csv")
    lines = p.read_text().splitlines()
    cells = lines[15].split(",")
    cells[5] = "1.2.3"
    lines[15] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(FootcoachError, match=r"cell\.csv:line 16: non-numeric value '1\.2\.3' "
                                             r"in column 'gy'"):
        read_imu_csv(p)


def test_gaps_are_reported(tmp_path: Path) -> None:
    time = [f"{0.01 * i + (0.5 if i >= 20 else 0):.2f}" for i in range(N)]
    diag = Diagnostics()
    ts = read_imu_csv(_write(tmp_path, "time,ax,ay,az,gx,gy,gz", _motion()[:, :6], time),
                      diag=diag)
    assert ts.meta["gaps"]["gaps"] == 1  # type: ignore[index]
    assert any("1 gap in the time" in w for w in diag.warnings)


def test_metadata_ranges_are_not_units(tmp_path: Path) -> None:
    m = _motion()[:, :6]
    raw = np.c_[m[:, :3] * 9.80665, m[:, 3:6]]
    top = ('"Accelerometer range: ±16 g"', '"Gyroscope range = 2000 dps"')
    diag = Diagnostics()
    ts = read_imu_csv(_write(tmp_path, "time,ax,ay,az,gx,gy,gz", raw, top=top), diag=diag)
    assert ts.meta["acc_unit_detected"] == "m/s^2" and ts.meta["acc_unit_source"] == "guessed"
    np.testing.assert_allclose(ts.values, m, atol=1e-6)
