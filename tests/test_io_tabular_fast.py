"""The pyarrow fast path of read_table gives exactly the line-by-line parser's table, and files it
cannot read exactly fall back to that parser, with its precise ``file:line N`` errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.tabular import Table, TimeAxis, read_table, read_time, table_from_lines
from footcoach.io.tabular_fast import decode, load_bytes, read_table_fast

HEADER = "unix_time_ms,acc_x_g,acc_y_g,gyro_z_dps,label"


def _rows(n: int, start: int = 0) -> list[str]:
    rng = np.random.default_rng(n + start)
    v = rng.normal(0.0, 1.0, (n, 3))
    return [f"{1_700_000_000_000 + 10 * (start + i)},{v[i, 0]:.4f},{v[i, 1]:.6g},{v[i, 2]:.2e},"
            f"{'walk' if i % 3 else 'run'}" for i in range(n)]


def _write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _careful(path: Path, **kw: object) -> Table:
    """The reference: the same file through the cell-by-cell parser only."""
    text, encoding = decode(path, load_bytes(path))
    return table_from_lines(text.splitlines(), path, encoding=encoding, fast=False,
                            **kw)  # type: ignore[arg-type]


def _same(fast: Table, careful: Table) -> None:
    for name in ("names", "numeric", "metadata", "header_line", "delimiter", "decimal",
                 "encoding", "header"):
        assert getattr(fast, name) == getattr(careful, name), name
    np.testing.assert_array_equal(fast.lines, careful.lines)
    assert len(fast.columns) == len(careful.columns)
    for a, b, numeric in zip(fast.columns, careful.columns, fast.numeric, strict=True):
        assert a.dtype.kind == b.dtype.kind == ("f" if numeric else "U")
        np.testing.assert_array_equal(a, b)  # NaN == NaN here; values bit for bit
    ta, tb = _time(fast), _time(careful)
    if isinstance(ta, str) or isinstance(tb, str):
        assert ta == tb
    else:
        np.testing.assert_array_equal(ta.t, tb.t)
        assert (ta.t0_epoch_s, ta.kind, ta.column) == (tb.t0_epoch_s, tb.kind, tb.column)
        np.testing.assert_array_equal(ta.keep, tb.keep)


def _time(table: Table) -> TimeAxis | str:
    try:
        return read_time(table)
    except FootcoachError as e:
        return str(e)


def _check(path: Path, *, fast_path: bool, **kw: object) -> Table:
    """read_table == the careful parser; ``fast_path``: pyarrow read it (else it declined)."""
    taken = read_table_fast(load_bytes(path), path, **kw) is not None  # type: ignore[arg-type]
    assert taken == fast_path
    table = read_table(path, **kw)  # type: ignore[arg-type]
    _same(table, _careful(path, **kw))
    return table


# ------------------------------------------------------------------ identical tables

LONG = [HEADER, *_rows(3000)]  # > 64 KB + 16 KB: the head/tail sampling is exercised

VARIANTS: dict[str, bytes] = {
    "plain": "\n".join([HEADER, *_rows(50)]).encode() + b"\n",
    "long": "\n".join(LONG).encode() + b"\n",
    "long_crlf_bom": b"\xef\xbb\xbf" + "\r\n".join(LONG).encode() + b"\r\n",
    "long_no_final_newline": "\n".join(LONG).encode(),
    "cr_only": "\r".join([HEADER, *_rows(40)]).encode() + b"\r",
    "tab": "\n".join(r.replace(",", "\t") for r in LONG).encode(),
    "metadata": "\n".join(['"Athlete: Player 7"', "Device,S5 #123", "", '"Export: v2"',
                           *LONG]).encode(),
    "blank_lines": "\n".join([HEADER, *_rows(20), "", "", *_rows(2000, 20), ""]).encode()
    + b"\n\n",
    "blank_lines_crlf": "\r\n".join([HEADER, *_rows(20), "", *_rows(30, 20), ""]).encode(),
    "trailing_delimiter": "\n".join(r + "," for r in LONG).encode(),
    "na_cells": "\n".join([HEADER] + [r if i % 7 else ",".join([
        r.split(",")[0], ("", "NA", "nan", "NaN", "-", "null", "N/A")[i // 7 % 7], "", "?", "walk"])
        for i, r in enumerate(_rows(400))]).encode(),
    "quoted": "\n".join(['"t","Acc X (g)","note"'] + [f'"{i * 0.01:.2f}","{i}.5","ok, {i}"'
                                                       for i in range(3000)]).encode(),
    "semicolon_decimal_comma_cp1252": "\r\n".join(
        ["Time (s);Acc X (m/s²);Gyro X (°/s)"]
        + [f"{i},{i % 10};9,{i % 7}1;-1,5e-2" for i in range(3000)]).encode("cp1252"),
    "iso_time": "\n".join(["datetime;v"] + [
        f"2021-11-19{'T' if i % 2 else ' '}17:{10 + i // 600:02d}:{i // 10 % 60:02d}"
        f"{'.' if i % 3 else ','}{i % 10}{('Z', '', '+00:00')[i % 3]};{i}"
        for i in range(3000)]).encode(),
    "iso_time_irregular_forms": "\n".join(["timestamp,v"] + [
        f"2021-11-19T{'18' if i % 2 else '17'}:10:{i:02d}{'+0100' if i % 2 else '.0Z'},{i}"
        for i in range(40)] + [f"2021-11-19T17:11:{i:02d}.{i}Z,{i}" for i in range(12)]).encode(),
    "clock_time_past_midnight": "\n".join(["Time;v"] + [
        f"{(82800 + i) // 3600 % 24:02d}:{(82800 + i) // 60 % 60:02d}:{(82800 + i) % 60:02d}"
        f"{'.' if i % 2 else ','}{i % 10};{i}" for i in range(4000)]
        + [f"{i // 60}:{i % 60:02d};1" for i in range(3)]).encode(),
    "excel_days": "\n".join(["Timestamp, Longitude, Latitude"] + [
        f"{44519.71565509259 + i * 0.1 / 86400:.12f},-9.12{i % 97:02d},41.7" for i in
        range(2000)]).encode(),
}
FALLBACK: dict[str, bytes] = {
    "spaces_before_quotes": "\n".join(["t, v"] + [f'{i}, "{i}.5"' for i in range(30)]).encode(),
    "short_row": "\n".join([HEADER, *_rows(20), "1700000000500,1.5", *_rows(20, 21)]).encode(),
    "whitespace_line": "\n".join([HEADER, *_rows(20), "   ", *_rows(20, 21)]).encode(),
    "utf8_text_cells": "\n".join([HEADER, *(r.replace("walk", "marché") for r in _rows(30))])
    .encode(),
    "underscore_numbers": "\n".join(["t,v"] + [f"{i},1_{i:03d}" for i in range(30)]).encode(),
    "form_feed_line_break": "\n".join([HEADER, *_rows(20), "\x0c" + _rows(1, 20)[0]]).encode(),
    "quoted_line_break": "\n".join([HEADER, *_rows(20), '1700000000300,1,2,3,"a', 'b"',
                                    *_rows(20, 31)]).encode(),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_fast_path_gives_the_careful_table(tmp_path: Path, name: str) -> None:
    _check(_write(tmp_path / f"{name}.csv", VARIANTS[name]), fast_path=True)


@pytest.mark.parametrize("name", sorted(FALLBACK))
def test_files_pyarrow_cannot_read_exactly_fall_back(tmp_path: Path, name: str) -> None:
    _check(_write(tmp_path / f"{name}.csv", FALLBACK[name]), fast_path=False)


def test_gzip_headerless_and_only(tmp_path: Path) -> None:
    p = _write(tmp_path / "d.csv.gz", gzip.compress("\n".join(LONG).encode()))
    _check(p, fast_path=True)
    _check(p, fast_path=True, only=lambda n: n in ("unix_time_ms", "gyro_z_dps"))
    p = _write(tmp_path / "nohead.csv", "\n".join(LONG[1:]).encode())
    assert _check(p, fast_path=True, has_header=False).names[0] == "col1"


def test_fast_table_values_and_lines(tmp_path: Path) -> None:
    t = _check(_write(tmp_path / "b.csv", VARIANTS["blank_lines"]), fast_path=True)
    assert len(t) == 2020 and t.lines[19] == 21 and t.lines[20] == 24
    assert t.columns[0][20] == 1_700_000_000_200 and t.columns[4][0] == "run"
    t = _check(_write(tmp_path / "c.csv", VARIANTS["semicolon_decimal_comma_cp1252"]),
               fast_path=True)
    assert t.columns[1][3] == pytest.approx(9.31) and t.columns[2][0] == -0.015


def test_cp1252_warning_on_the_fast_path(tmp_path: Path) -> None:
    diag = Diagnostics()
    read_table(_write(tmp_path / "x.csv", VARIANTS["semicolon_decimal_comma_cp1252"]), diag=diag)
    assert any("Windows-1252" in w for w in diag.warnings)


def test_real_files(shared_data: Path) -> None:
    gnss = shared_data / "gnss-football-tactical" / "Dataset_A_Positional_data" / "U18_ID1.csv"
    _check(gnss, fast_path=True)
    motion = shared_data / "expert-novice-soccer-imu" / "MotionData" / "Player6" / "S01.txt"
    _check(motion, fast_path=True, has_header=False)
    fixtures = Path(__file__).parent / "fixtures"
    for p in sorted(fixtures.glob("*/*.csv")):
        _same(read_table(p), _careful(p))


# ------------------------------------------------------------------ errors deep in a big file

def _error(path: Path, **kw: object) -> str:
    with pytest.raises(FootcoachError) as info:
        read_time(read_table(path, **kw))  # type: ignore[arg-type]
    with pytest.raises(FootcoachError) as ref:
        read_time(_careful(path, **kw))
    assert str(info.value) == str(ref.value)
    return str(info.value)


def test_bad_cell_deep_inside_gets_the_careful_error(tmp_path: Path) -> None:
    rows = list(LONG)
    cells = LONG[2500].split(",")
    cells[1] = "abc"
    rows[2500] = ",".join(cells)
    msg = _error(_write(tmp_path / "deep.csv", "\n".join(rows)))
    assert msg.startswith(f"{tmp_path / 'deep.csv'}:line 2501: non-numeric value 'abc'")
    assert "'acc_x_g'" in msg


def test_nan_payload_is_left_to_python_float(tmp_path: Path) -> None:
    p = _write(tmp_path / "payload.csv", "\n".join(["t,v"] + [f"{i},{'nan(1)' if i == 5 else i}"
                                                              for i in range(30)]))
    assert read_table_fast(load_bytes(p), p) is None  # pyarrow would read a NaN
    assert "payload.csv:line 7: non-numeric value 'nan(1)'" in _error(p)


def test_ragged_row_deep_inside(tmp_path: Path) -> None:
    rows = list(LONG)
    rows[2800] += ",7,8"
    msg = _error(_write(tmp_path / "ragged.csv", "\n".join(rows)))
    assert "ragged.csv:line 2801: row has 7 fields but the header has 5" in msg


def test_vectorised_checks_name_the_file_line(tmp_path: Path) -> None:
    rows = list(LONG)
    rows[2000] = rows[10]  # time jumps back
    msg = _error(_write(tmp_path / "back.csv", "\n".join(["# export v2", "", *rows])))
    assert "back.csv:line 2003: time runs backwards" in msg and "(line 2002)" in msg
    nan = "\n".join(["t,a,b"] + [f"{i},,{i}" for i in range(3000)])
    table = read_table(_write(tmp_path / "nan.csv", nan))
    with pytest.raises(FootcoachError, match=r"nan\.csv:line 2: column 'a' has no values"):
        table.numeric_column(1)
    msg = _error(_write(tmp_path / "few.csv", "\n".join(["t,a", "", "0,1", "", "1,2"])))
    assert "few.csv:line 5: only 2 data rows" in msg
    coarse = "\n".join(["t,a"] + [f"{i // 10},{i}" for i in range(3000)])
    assert "coarse.csv:line 3: the time repeats" in _error(_write(tmp_path / "coarse.csv",
                                                                  coarse))


def test_bad_text_times_deep_inside(tmp_path: Path) -> None:
    iso = VARIANTS["iso_time"].decode().splitlines()
    iso[2500] = "2021-02-30T17:10:00Z;" + iso[2500].split(";")[1]
    msg = _error(_write(tmp_path / "iso.csv", "\n".join(iso)))
    assert "iso.csv:line 2501: unreadable ISO 8601 time '2021-02-30T17:10:00Z'" in msg
    clock = VARIANTS["clock_time_past_midnight"].decode().splitlines()
    clock[900] = "12:3x;5"
    msg = _error(_write(tmp_path / "clock.csv", "\n".join(clock)))
    assert "clock.csv:line 901: unreadable clock time '12:3x'" in msg
