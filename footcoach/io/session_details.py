"""Drill bouts from a session-details spreadsheet (Catapult-style split export, .xlsx).

Layout (the GNSS football tactical dataset's ``Datset_C_SessionDetails.xlsx``): one row per
player and bout, a header row (possibly below a few title lines) with at least a split name,
split start and end times and a player column; optionally the drill's format, length, width,
duration, team and tags. Column names are matched case- and space-insensitively.

Times: Excel serial days since 1899-12-30 (local wall-clock time, treated as UTC - the same
convention as the GPS reader, so both land on one epoch clock), real date cells, or ISO
strings. They become Unix epoch seconds.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.errors import Diagnostics, FootcoachError

EXCEL_EPOCH_OFFSET_DAYS = 25569.0
"""Days from 1899-12-30 (Excel's serial day 0, allowing for its 1900 leap-year bug) to
1970-01-01."""

_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("split name", "bout", "bout name", "drill", "split"),
    "start": ("split start time", "start time", "start"),
    "end": ("split end time", "end time", "end"),
    "player_id": ("player id", "player", "athlete id", "athlete"),
    "player_name": ("player name", "athlete name", "name"),
    "duration": ("duration", "duration (s)", "duration s", "duration [s]"),
    "length": ("length", "length (m)", "length m"),
    "width": ("width", "width (m)", "width m"),
    "format": ("format",),
    "team": ("team", "number of team"),
    "tags": ("tags", "tag"),
}
_REQUIRED = ("name", "start", "end")
_ID_PATTERN = re.compile(r"^ID_\d+$", re.IGNORECASE)
_DURATION_TOLERANCE_S = 1.5


def excel_serial_to_epoch_s(days: np.ndarray | float) -> np.ndarray:
    """Excel serial day numbers (days since 1899-12-30, fraction = time of day) -> Unix epoch
    seconds, float64 of the same shape. The wall-clock time is taken as UTC. Valid from
    1900-03-01 (serial 61) on, where Excel's fictitious 1900-02-29 no longer matters.

    Example: 44519.75 -> 2021-11-19 18:00:00 -> 1637344800.0.
    """
    return (np.asarray(days, dtype=np.float64) - EXCEL_EPOCH_OFFSET_DAYS) * 86400.0


@dataclass(frozen=True)
class Bout:
    """One player's drill bout (a split), on the Unix epoch clock.

    Attributes:
        player_id: the player's id, e.g. ``"ID_1"`` (the value of the form ``ID_<n>`` when
            two player columns are present, see :func:`read_bouts`).
        name: the split name, e.g. ``"1_MSG_6X6"``.
        start_epoch_s, end_epoch_s: Unix seconds (wall-clock time taken as UTC).
        duration_s: ``end_epoch_s - start_epoch_s``.
        player_label: the other player column (``"Player 6"``), "" when absent.
        format: the drill format, e.g. ``"6 v 6"``.
        length_m, width_m: the drill area, metres (None when not given).
        duration_file_s: the file's own (rounded) duration column, None when absent.
        row: the spreadsheet row (1-based, as Excel shows it).
        extra: every other column, header -> value.
    """

    player_id: str
    name: str
    start_epoch_s: float
    end_epoch_s: float
    duration_s: float
    player_label: str = ""
    format: str = ""
    length_m: float | None = None
    width_m: float | None = None
    team: str = ""
    tags: str = ""
    duration_file_s: float | None = None
    row: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def read_bouts(xlsx_path: str | Path, *, diagnostics: Diagnostics | None = None) -> list[Bout]:
    """All bouts of a session-details workbook, in file order.

    The first sheet with a recognisable header (within its first 20 rows) is read. Rows with
    no split name and no times are skipped. When the file's duration column disagrees with
    end - start by more than 1.5 s, a diagnostic is recorded and the times are kept.

    Raises:
        FootcoachError: unreadable workbook, no header with split name / start / end, or a
            row with a missing or unreadable time, or an end not after its start.
    """
    path = Path(xlsx_path)
    rows = _sheet_rows(path)
    header_at, cols = _find_header(rows, path)
    header = rows[header_at]
    used = set(cols.values())
    player_id_col, label_col = _player_columns(rows[header_at + 1:], cols)
    bouts: list[Bout] = []
    for k, values in enumerate(rows[header_at + 1:], start=header_at + 2):
        def cell(key: str, values: tuple[Any, ...] = values) -> Any:
            return _at(values, cols.get(key))

        if all(_blank(cell(c)) for c in _REQUIRED):
            continue
        start = _epoch(cell("start"), path, k, header[cols["start"]])
        end = _epoch(cell("end"), path, k, header[cols["end"]])
        if not end > start:
            raise FootcoachError(f"bout ends ({end:.3f}) before it starts ({start:.3f})",
                                 path, f"row {k}")
        name = _text(cell("name"))
        if not name:
            raise FootcoachError("bout has no split name", path, f"row {k}")
        pid = _text(_at(values, player_id_col))
        label = _text(_at(values, label_col))
        dur_file = _number(cell("duration"), path, k, "duration")
        mismatch = dur_file is not None and abs(dur_file - (end - start)) > _DURATION_TOLERANCE_S
        if mismatch and diagnostics is not None:
            diagnostics.warn(f"duration column says {dur_file:g} s but the split lasts "
                             f"{end - start:.2f} s", path, f"row {k}")
        extra = {str(header[j]).strip(): v for j, v in enumerate(values)
                 if j < len(header) and j not in used and j not in (player_id_col, label_col)
                 and header[j] is not None}
        bouts.append(Bout(
            player_id=pid or label, name=name, start_epoch_s=start, end_epoch_s=end,
            duration_s=end - start, player_label=label if pid else "",
            format=" ".join(_text(cell("format")).split()),
            length_m=_number(cell("length"), path, k, "length"),
            width_m=_number(cell("width"), path, k, "width"),
            team=_text(cell("team")), tags=_text(cell("tags")), duration_file_s=dur_file,
            row=k, extra=extra))
    if not bouts:
        raise FootcoachError("no bouts found below the header", path, f"row {header_at + 1}")
    return bouts


# --------------------------------------------------------------------- helpers
def _sheet_rows(path: Path) -> list[tuple[Any, ...]]:
    """The rows (values only) of the first sheet that has a recognisable header."""
    if not path.is_file():
        raise FootcoachError("session details file not found", path)
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FootcoachError(f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})",
                             path) from exc
    try:
        sheets = [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets]
    finally:
        wb.close()
    for rows in sheets:
        if _header_index(rows) is not None:
            return rows
    return sheets[0] if sheets else []


def _norm(h: Any) -> str:
    return " ".join(str(h).strip().lower().replace("_", " ").split()) if h is not None else ""


def _header_map(row: tuple[Any, ...]) -> dict[str, int]:
    names = [_norm(h) for h in row]
    cols: dict[str, int] = {}
    for key, aliases in _COLUMNS.items():
        for alias in aliases:
            if alias in names and names.index(alias) not in cols.values():
                cols[key] = names.index(alias)
                break
    return cols


def _header_index(rows: list[tuple[Any, ...]]) -> int | None:
    for i, row in enumerate(rows[:20]):
        if all(k in _header_map(row) for k in _REQUIRED):
            return i
    return None


def _find_header(rows: list[tuple[Any, ...]], path: Path) -> tuple[int, dict[str, int]]:
    i = _header_index(rows)
    if i is None:
        want = ", ".join(repr(_COLUMNS[k][0]) for k in _REQUIRED)
        raise FootcoachError(f"no header row with columns {want} in the first 20 rows", path)
    return i, _header_map(rows[i])


def _player_columns(rows: list[tuple[Any, ...]], cols: dict[str, int]
                    ) -> tuple[int | None, int | None]:
    """(id column, label column). Exports sometimes swap "Player ID" and "Player Name"
    (the GNSS dataset has "Player 6" under Player ID and "ID_1" under Player Name): the
    column whose values look like ``ID_<n>`` is taken as the id."""
    a, b = cols.get("player_id"), cols.get("player_name")
    if a is None or b is None:
        return (a if a is not None else b), None

    def id_like(j: int) -> int:
        return sum(1 for r in rows if j < len(r) and _ID_PATTERN.match(_text(r[j])))

    return (b, a) if id_like(b) > id_like(a) else (a, b)


def _at(values: tuple[Any, ...], j: int | None) -> Any:
    return values[j] if j is not None and j < len(values) else None


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _number(v: Any, path: Path, row: int, what: str) -> float | None:
    if _blank(v):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise FootcoachError(f"{what} {v!r} is not a number", path, f"row {row}") from None


def _epoch(v: Any, path: Path, row: int, column: Any) -> float:
    """A time cell -> Unix seconds (Excel serial, date cell or ISO string; naive = UTC)."""
    if isinstance(v, datetime):
        dt = v if v.tzinfo is not None else v.replace(tzinfo=UTC)
        return dt.timestamp()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(excel_serial_to_epoch_s(float(v)))
    if isinstance(v, str) and v.strip():
        try:
            return float(excel_serial_to_epoch_s(float(v)))
        except ValueError:
            pass
        try:
            return _epoch(datetime.fromisoformat(v.strip()), path, row, column)
        except ValueError:
            pass
    name = str(column).strip() if column is not None else "time"
    if _blank(v):
        raise FootcoachError(f"{name} is empty", path, f"row {row}")
    raise FootcoachError(f"{name} {v!r} is not a time (Excel serial days or ISO date-time)",
                         path, f"row {row}")
