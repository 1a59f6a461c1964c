"""The shared delimited-text core: real export oddities are read, bad input is named by line."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.tabular import (
    find_time_column,
    gap_summary,
    parse_unit,
    read_table,
    read_time,
    split_name,
)

HEADER = "time,acc_x,acc_y"


def _rows(n: int = 12, dt: float = 0.01) -> list[str]:
    return [f"{i * dt:.2f},{0.1 * i:.2f},{-1 + 0.01 * i:.3f}" for i in range(n)]


def _write(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8", newline="")
    return p


def _csv(tmp_path: Path, lines: list[str], name: str = "data.csv", eol: str = "\n") -> Path:
    return _write(tmp_path, eol.join(lines) + eol, name)


def _error(path: Path, **kw: object) -> str:
    with pytest.raises(FootcoachError) as info:
        table = read_table(path, **kw)  # type: ignore[arg-type]
        read_time(table)
    return str(info.value)


# ------------------------------------------------------------------ oddities read correctly

def test_plain_csv_columns_and_line_numbers(tmp_path: Path) -> None:
    t = read_table(_csv(tmp_path, [HEADER, *_rows()]))
    assert t.names == ["time", "acc_x", "acc_y"]
    assert t.numeric == [True, True, True]
    np.testing.assert_allclose(t.columns[1], 0.1 * np.arange(12), atol=1e-12)
    assert t.lines[0] == 2 and t.lines[-1] == 13 and t.header_line == 1


def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    p = _write(tmp_path, ("\ufeff" + "\r\n".join([HEADER, *_rows()]) + "\r\n").encode())
    t = read_table(p)
    assert t.names[0] == "time"
    assert t.columns[2][-1] == pytest.approx(-0.89)


def test_cp1252_units_in_header(tmp_path: Path) -> None:
    lines = ["Time (s);Acc X (m/s²);Gyro X (°/s)"] + [f"{i},0;9,81;1,5" for i in range(12)]
    p = _write(tmp_path, "\r\n".join(lines).encode("cp1252"))
    diag = Diagnostics()
    t = read_table(p, diag=diag)
    assert t.encoding == "cp1252" and t.decimal == "," and t.delimiter == ";"
    assert [split_name(n).unit for n in t.names] == ["s", "m/s^2", "deg/s"]
    assert t.columns[1][0] == pytest.approx(9.81) and t.columns[0][3] == pytest.approx(3.0)
    assert any("Windows-1252" in w for w in diag.warnings)


def test_semicolon_with_decimal_commas(tmp_path: Path) -> None:
    lines = ["t;ax;ay"] + [f"{i},5;{i},25;-1,0" for i in range(12)]
    t = read_table(_csv(tmp_path, lines))
    assert t.delimiter == ";" and t.decimal == ","
    assert t.columns[1][2] == pytest.approx(2.25)


def test_tab_delimited(tmp_path: Path) -> None:
    t = read_table(_csv(tmp_path, [r.replace(",", "\t") for r in [HEADER, *_rows()]]))
    assert t.delimiter == "\t" and t.columns[1][5] == pytest.approx(0.5)


def test_quoted_numbers_and_names(tmp_path: Path) -> None:
    lines = ['"time", "Acc X (g)", "note"'] + [f'"{i * 0.01:.2f}","{i}.5","ok, fine"'
                                                for i in range(12)]
    t = read_table(_csv(tmp_path, lines))
    assert t.names == ["time", "Acc X (g)", "note"]
    assert t.numeric == [True, True, False]
    assert t.columns[1][3] == 3.5 and t.columns[2][0] == "ok, fine"


def test_metadata_lines_above_header(tmp_path: Path) -> None:
    meta = ['"Athlete: Player 7"', '"Team: U18"', '"Date: 19/11/2021"', "Device,S5 #123",
            '"Period: Session"', "", '"Sensor: GNSS"', '"Export: v2"']
    t = read_table(_csv(tmp_path, [*meta, "Timestamp,Latitude,Longitude",
                                   *(f"{i},41.7,-9.1" for i in range(12))]))
    assert t.header_line == 9
    assert t.metadata[0] == '"Athlete: Player 7"' and len(t.metadata) == 7
    assert t.names == ["Timestamp", "Latitude", "Longitude"] and t.lines[0] == 10


def test_extra_columns_and_trailing_delimiter(tmp_path: Path) -> None:
    lines = ["time,acc_x,temp,label,"] + [f"{i},{i},30.5,walk," for i in range(12)]
    t = read_table(_csv(tmp_path, lines))
    assert t.names == ["time", "acc_x", "temp", "label"]
    assert t.numeric == [True, True, True, False]


def test_missing_cells_are_nan(tmp_path: Path) -> None:
    rows = _rows()
    rows[3] = "0.03,,NaN"
    rows[4] = "0.04,NA"  # short row: the missing last cell is empty
    t = read_table(_csv(tmp_path, [HEADER, *rows]))
    assert np.isnan(t.columns[1][3]) and np.isnan(t.columns[2][3])
    assert np.isnan(t.columns[1][4]) and np.isnan(t.columns[2][4])


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    p = _write(tmp_path, gzip.compress(("\n".join([HEADER, *_rows()]) + "\n").encode()),
               "data.csv.gz")
    assert len(read_table(p)) == 12


def test_utf16_excel_unicode_text(tmp_path: Path) -> None:
    p = _write(tmp_path, "\r\n".join(r.replace(",", "\t") for r in [HEADER, *_rows()])
               .encode("utf-16"))
    t = read_table(p)
    assert t.encoding == "utf-16" and t.columns[1][11] == pytest.approx(1.1)


def test_headerless_and_only(tmp_path: Path) -> None:
    p = _csv(tmp_path, _rows())
    t = read_table(p, has_header=False)
    assert t.names == ["col1", "col2", "col3"] and t.lines[0] == 1
    t = read_table(_csv(tmp_path, [HEADER, *_rows()], "b.csv"), only=lambda n: n != "acc_x")
    assert t.names == ["time", "acc_y"] and t.header == ["time", "acc_x", "acc_y"]


@pytest.mark.parametrize(("name", "tokens", "unit"), [
    ("AccX (g)", ("acc", "x"), "g"),
    ("Acc X [m/s^2]", ("acc", "x"), "m/s^2"),
    ("gyro_x_dps", ("gyro", "x"), "deg/s"),
    ("accelerometer_x_m_s2", ("accelerometer", "x"), "m/s^2"),
    ("mag_x_uT", ("mag", "x"), "uT"),
    ("Magnetometer X (µT)", ("magnetometer", "x"), "uT"),
    ("unix_time_ms", ("unix", "time"), "ms"),
    ("Speed (km/h)", ("speed",), "km/h"),
    ("speed_mps", ("speed",), "m/s"),
    (" Longitude", ("longitude",), None),
    ("# Sats", ("sats",), None),
    ("rotationRateX", ("rotation", "rate", "x"), None),
    ("x_m", ("x",), "m"),
])
def test_split_name(name: str, tokens: tuple[str, ...], unit: str | None) -> None:
    parsed = split_name(name)
    assert parsed.tokens == tokens and parsed.unit == unit


def test_parse_unit_spellings() -> None:
    assert parse_unit("m/s²") == parse_unit("m_s2") == parse_unit("ms^-2") == "m/s^2"
    assert parse_unit("°/s") == parse_unit("deg/sec") == parse_unit("DPS") == "deg/s"
    assert parse_unit("rad/s") == parse_unit("rads") == "rad/s"
    assert parse_unit("banana") is None


# ------------------------------------------------------------------ time parsing

def _time(tmp_path: Path, name: str, values: list[str]) -> tuple[np.ndarray, float | None, str]:
    p = _csv(tmp_path, [f"{name},v"] + [f"{v},1" for v in values], f"{len(values)}_t.csv")
    axis = read_time(read_table(p))
    return axis.t, axis.t0_epoch_s, axis.kind


def test_time_relative_seconds(tmp_path: Path) -> None:
    t, t0, kind = _time(tmp_path, "time", [f"{5 + 0.01 * i:.2f}" for i in range(12)])
    assert kind == "relative" and t0 is None
    np.testing.assert_allclose(t, 0.01 * np.arange(12), atol=1e-9)


def test_time_epoch_seconds_and_millis_by_magnitude(tmp_path: Path) -> None:
    t, t0, kind = _time(tmp_path, "timestamp", [f"{1637341832.5 + 0.1 * i:.1f}"
                                                for i in range(12)])
    assert kind == "epoch_s" and t0 == pytest.approx(1637341832.5) and t[1] == pytest.approx(0.1)
    t, t0, kind = _time(tmp_path, "timestamp", [str(1637341832500 + 10 * i) for i in range(13)])
    assert kind == "epoch_ms" and t0 == pytest.approx(1637341832.5)
    np.testing.assert_allclose(t, 0.01 * np.arange(13), atol=1e-12)


def test_time_in_ms_declared_by_name(tmp_path: Path) -> None:
    t, t0, kind = _time(tmp_path, "time_ms", [str(100 + 10 * i) for i in range(12)])
    assert kind == "relative" and t0 is None and t[1] == pytest.approx(0.01)


def test_time_iso8601_variants(tmp_path: Path) -> None:
    zulu = [f"2021-11-19T17:10:32.{i}Z" for i in range(10)]
    t, t0, kind = _time(tmp_path, "datetime", [*zulu, "2021-11-19T17:10:33.0Z",
                                               "2021-11-19T17:10:33.1Z"])
    expected = datetime(2021, 11, 19, 17, 10, 32, tzinfo=UTC).timestamp()
    assert kind == "iso8601" and t0 == pytest.approx(expected)
    np.testing.assert_allclose(t, 0.1 * np.arange(12), atol=1e-6)
    naive = [f"2021-11-19 17:10:{32 + i:02d}" for i in range(12)]
    t, t0n, _ = _time(tmp_path, "time", naive)
    assert t0n == pytest.approx(expected) and t[-1] == pytest.approx(11.0)
    offset = [f"2021-11-19T18:10:{32 + i:02d}+01:00" for i in range(11)]
    _, t0o, _ = _time(tmp_path, "utc", offset)
    assert t0o == pytest.approx(expected)


def test_time_excel_serial_days(tmp_path: Path) -> None:
    days = [f"{44519.71565509259 + i * 0.1 / 86400:.12f}" for i in range(12)]
    t, t0, kind = _time(tmp_path, "Timestamp", days)
    assert kind == "excel_days"
    assert datetime.fromtimestamp(t0 or 0, UTC).strftime("%Y-%m-%d %H:%M") == "2021-11-19 17:10"
    np.testing.assert_allclose(t, 0.1 * np.arange(12), atol=1e-9)


def test_time_clock_strings_and_midnight(tmp_path: Path) -> None:
    t, t0, kind = _time(tmp_path, "Time", [f"23:59:59.{i}" for i in range(10)]
                        + ["00:00:00.0", "00:00:00.1"])
    assert kind == "clock" and t0 is None
    np.testing.assert_allclose(t, 0.1 * np.arange(12), atol=1e-9)
    t, _, _ = _time(tmp_path, "time", [f"01:{i:02d}.5" for i in range(11)])  # mm:ss.s
    assert t[-1] == pytest.approx(10.0)


def test_find_time_column_prefers_absolute(tmp_path: Path) -> None:
    p = _csv(tmp_path, ["Seconds,Timestamp,Velocity"] + [f"{i},{44519.7 + i * 1e-6},1"
                                                          for i in range(12)])
    assert find_time_column(read_table(p)) == 1


def test_repeated_timestamps_are_kept_with_a_warning(tmp_path: Path) -> None:
    rows = _rows(20)
    rows[6] = rows[5].split(",")[0] + ",9,9"
    diag = Diagnostics()
    axis = read_time(read_table(_csv(tmp_path, [HEADER, *rows])), diag=diag)
    assert len(axis.t) == 20 and axis.t[6] == axis.t[5]
    assert any("1 repeated time" in w and "line 8" in w for w in diag.warnings)


def test_rows_without_time_are_dropped(tmp_path: Path) -> None:
    rows = _rows(20)
    rows[4] = ",1,1"
    diag = Diagnostics()
    axis = read_time(read_table(_csv(tmp_path, [HEADER, *rows])), diag=diag)
    assert len(axis.t) == 19 and not axis.keep[4]
    assert any("line 6" in w for w in diag.warnings)


def test_gap_summary() -> None:
    t = np.r_[np.arange(10) * 0.1, 1.5 + np.arange(5) * 0.1]
    g = gap_summary(t)
    assert g["gaps"] == 1 and g["longest_gap_s"] == pytest.approx(0.6)
    assert g["missing_s"] == pytest.approx(0.5)


# ------------------------------------------------------------------ bad input

def test_missing_file(tmp_path: Path) -> None:
    assert "nope.csv" in _error(tmp_path / "nope.csv") and "not found" in _error(
        tmp_path / "nope.csv")


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    msg = _error(_write(tmp_path, content, "empty.csv"))
    assert "empty.csv:line 1:" in msg and "empty" in msg


def test_binary_garbage(tmp_path: Path) -> None:
    data = b"time,acc\n1,2\n" + bytes(range(256)) * 4
    msg = _error(_write(tmp_path, data, "garbage.bin"))
    assert "garbage.bin:line 3:" in msg and "binary" in msg
    undecodable = b"time,acc\n" + b"1,\x81\x8d\x90\n" * 12
    msg = _error(_write(tmp_path, undecodable, "bad.csv"))
    assert "bad.csv:line 2:" in msg and "undecodable" in msg


def test_damaged_gzip(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join([HEADER, *_rows(200)])).encode())
    msg = _error(_write(tmp_path, data[: len(data) // 2], "cut.csv.gz"))
    assert "cut.csv.gz" in msg and "gzip" in msg


def test_no_header(tmp_path: Path) -> None:
    msg = _error(_csv(tmp_path, _rows(), "nohead.csv"))
    assert "nohead.csv:line 1:" in msg and "starts with data" in msg
    msg = _error(_csv(tmp_path, ["just some notes", "and more notes"] * 6, "notes.csv"))
    assert "notes.csv:line" in msg


def test_wrong_delimiter(tmp_path: Path) -> None:
    msg = _error(_csv(tmp_path, [r.replace(",", "|") for r in [HEADER, *_rows()]], "pipe.csv"))
    assert "pipe.csv:line 13:" in msg and "delimiter" in msg


def test_non_numeric_cell(tmp_path: Path) -> None:
    rows = _rows(20)
    rows[7] = "0.07,abc,-0.93"
    msg = _error(_csv(tmp_path, [HEADER, *rows], "cell.csv"))
    assert "cell.csv:line 9:" in msg and "'abc'" in msg and "'acc_x'" in msg


def test_ragged_row(tmp_path: Path) -> None:
    rows = _rows(20)
    rows[10] = "0.10,1,2,3,4"
    msg = _error(_csv(tmp_path, [HEADER, *rows], "ragged.csv"))
    assert "ragged.csv:line 12:" in msg and "5 fields" in msg


def test_time_running_backwards(tmp_path: Path) -> None:
    rows = _rows(20)
    rows[12] = "0.05,1,1"
    msg = _error(_csv(tmp_path, [HEADER, *rows], "back.csv"))
    assert "back.csv:line 14:" in msg and "backwards" in msg and "0.050 s" in msg


def test_mostly_repeated_time_is_an_error(tmp_path: Path) -> None:
    rows = [f"{i // 10},1,1" for i in range(30)]
    msg = _error(_csv(tmp_path, [HEADER, *rows], "coarse.csv"))
    assert "coarse.csv:line 3:" in msg and "too coarse" in msg


def test_too_few_rows(tmp_path: Path) -> None:
    msg = _error(_csv(tmp_path, [HEADER, *_rows(5)], "short.csv"))
    assert "short.csv:line 6:" in msg and "only 5 data rows" in msg


def test_all_nan_channel(tmp_path: Path) -> None:
    rows = [f"{i * 0.01:.2f},,1" for i in range(12)]
    table = read_table(_csv(tmp_path, [HEADER, *rows], "nan.csv"))
    with pytest.raises(FootcoachError, match=r"nan\.csv:line 2: column 'acc_x' has no values"):
        table.numeric_column(1)


def test_text_column_as_number(tmp_path: Path) -> None:
    rows = [f"{i * 0.01:.2f},n/a?,1" for i in range(12)]
    table = read_table(_csv(tmp_path, [HEADER, *rows], "txt.csv"))
    with pytest.raises(FootcoachError, match=r"txt\.csv:line 2: column 'acc_x' is not numeric"):
        table.numeric_column(1)


def test_unrecognised_time_format(tmp_path: Path) -> None:
    rows = [f"day {i},1,1" for i in range(12)]
    msg = _error(_csv(tmp_path, [HEADER, *rows], "when.csv"))
    assert "when.csv:line 2:" in msg and "unrecognised time" in msg


def test_no_time_column(tmp_path: Path) -> None:
    rows = [f"{i},1,1" for i in range(12)]
    msg = _error(_csv(tmp_path, ["a,b,c", *rows], "notime.csv"))
    assert "notime.csv:line 1:" in msg and "no time column" in msg
