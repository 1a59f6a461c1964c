"""Drill bouts from the real U18 session-details workbook and small generated ones."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.session_details import Bout, excel_serial_to_epoch_s, read_bouts

REAL = Path("/work/shared/data/gnss-football-tactical/Datset_C_SessionDetails.xlsx")


def test_excel_serial_to_epoch() -> None:
    assert float(excel_serial_to_epoch_s(25569.0)) == 0.0
    got = excel_serial_to_epoch_s(np.array([44519.75, 44519.0]))
    want = [datetime(2021, 11, 19, 18, 0, tzinfo=UTC).timestamp(),
            datetime(2021, 11, 19, tzinfo=UTC).timestamp()]
    assert got.shape == (2,) and np.allclose(got, want, atol=1e-6)


def test_real_workbook_six_players_four_bouts() -> None:
    diag = Diagnostics()
    bouts = read_bouts(REAL, diagnostics=diag)
    assert len(bouts) == 24
    assert sorted({b.player_id for b in bouts}) == [f"ID_{i}" for i in range(1, 7)]
    assert sorted({b.name for b in bouts}) == [f"{i}_MSG_6X6" for i in range(1, 5)]
    for b in bouts:
        assert b.duration_s == pytest.approx(b.end_epoch_s - b.start_epoch_s)
        assert b.duration_file_s is not None
        assert abs(b.duration_s - b.duration_file_s) < 1.0  # the file rounds to seconds
        assert (b.format, b.length_m, b.width_m) == ("6 v 6", 32.0, 24.0)
        assert b.tags == "training" and b.team == "A"
    assert diag.warnings == []
    first = bouts[0]
    # "Player ID" holds "Player 6" and "Player Name" holds "ID_1" in this export
    assert (first.player_id, first.player_label, first.row) == ("ID_1", "Player 6", 2)
    start = datetime.fromtimestamp(first.start_epoch_s, UTC)
    assert start.isoformat(timespec="seconds") == "2021-11-19T17:55:14+00:00"
    assert first.duration_s == pytest.approx(77.08, abs=0.01)
    assert first.extra["Orientation"] == "LARGO" and first.extra["Total Space"] == 768
    # the four bouts follow each other, the same times for every player
    starts = sorted({round(b.start_epoch_s, 3) for b in bouts})
    assert len(starts) == 4 and np.all(np.diff(starts) > 60)


def _write(path: Path, rows: list[list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


HEADER = ["Player", "Split Name", "Split Start Time", "Split End Time", "Duration", "Width"]


def test_title_lines_date_cells_and_iso_strings(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.xlsx", [
        ["Training 2024-03-02"], [],
        HEADER,
        ["P7", "warm-up", datetime(2024, 3, 2, 10, 0, 0), datetime(2024, 3, 2, 10, 5, 30),
         330, 40],
        [None, None, None, None, None, None],
        ["P8", "rondo", "2024-03-02T10:10:00", "2024-03-02T11:12:00+01:00", None, ""],
        ["P9", "game", 45353.5, "45353.5125", 1000, None],
    ])
    diag = Diagnostics()
    bouts = read_bouts(path, diagnostics=diag)
    assert [b.name for b in bouts] == ["warm-up", "rondo", "game"]
    assert [b.row for b in bouts] == [4, 6, 7]
    b0 = bouts[0]
    assert b0.player_id == "P7" and b0.player_label == ""
    assert b0.start_epoch_s == datetime(2024, 3, 2, 10, tzinfo=UTC).timestamp()
    assert b0.duration_s == 330.0 and b0.width_m == 40.0 and b0.length_m is None
    assert bouts[1].duration_s == 120.0  # naive = UTC; 11:12+01:00 is 10:12 UTC
    assert diag.warnings and "row 7" in diag.warnings[0] and "1000 s" in diag.warnings[0]


def test_player_columns_in_the_usual_order(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.xlsx", [
        ["Player ID", "Player Name", "Split Name", "Split Start Time", "Split End Time"],
        ["ID_3", "Ana", "1_MSG", 45000.5, 45000.51],
    ])
    (b,) = read_bouts(path)
    assert (b.player_id, b.player_label) == ("ID_3", "Ana")
    assert isinstance(b, Bout) and b.duration_s == pytest.approx(864.0)


@pytest.mark.parametrize(("rows", "message"), [
    ([["Player", "Start", "End"], ["P1", 45000.5, 45000.6]], "no header row"),
    ([HEADER, ["P1", "a", "noon", 45000.6, None, None]], r"row 2: Split Start Time 'noon'"),
    ([HEADER, ["P1", "a", 45000.6, None, None, None]], "row 2: Split End Time is empty"),
    ([HEADER, ["P1", "a", 45000.6, 45000.5, None, None]], "row 2: bout ends"),
    ([HEADER, ["P1", "a", 45000.5, 45000.6, None, "wide"]], "row 2: width 'wide'"),
    ([HEADER, [None] * 6], "no bouts found"),
])
def test_bad_rows_are_named(tmp_path: Path, rows: list[list[Any]], message: str) -> None:
    path = _write(tmp_path / "bad.xlsx", rows)
    with pytest.raises(FootcoachError, match=message) as err:
        read_bouts(path)
    assert str(err.value).startswith(str(path))


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("Player,Split Name\n")
    with pytest.raises(FootcoachError, match=r"not a readable \.xlsx"):
        read_bouts(path)
    with pytest.raises(FootcoachError, match="not found"):
        read_bouts(tmp_path / "missing.xlsx")
