"""Robust reading of delimited text exports (IMU, GPS, wide sensor files) into numpy columns.

Real exports are messy: UTF-8 with or without BOM or cp1252 from Excel (``m/s²``, ``°/s``), CRLF,
``,`` ``;`` or tab delimiters (``;`` with decimal commas ``1,25``), vendor metadata lines above
the header, quoted numbers, extra columns, units in the header (``AccX (g)``, ``gyro_x_dps``),
gzip. :func:`read_table` turns such a file into a :class:`Table` of float64 / text columns with
the 1-based file line of every data row; :func:`read_time` finds and parses the time column.
Problems raise :class:`FootcoachError` naming the file and ``line N``; recoverable oddities go
to an optional :class:`Diagnostics`. This module holds the names, layout detection, the
line-by-line parser and the time axis; :mod:`footcoach.io.tabular_fast` the bytes (loading,
decoding) and the pyarrow fast path that plain files take.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from footcoach.errors import Diagnostics, FootcoachError

MIN_ROWS = 10
_DELIMITERS = ("\t", ";", ",")
_NA = {"", "nan", "na", "n/a", "#n/a", "null", "none", "-", "--", "?"}
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?)?"
                     r"(Z|[+-]\d{2}(:?\d{2})?)?$")
_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?([.,]\d+)?$")
_SPLIT_RE = re.compile(r"[^0-9A-Za-z]+")
_CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+\d*|\d+")
_UNIT_RE = re.compile(r"^(.*?)\s*[(\[{]\s*([^)\]}]*)\s*[)\]}]\s*$")
NL = b"\n"
EXCEL_EPOCH_UNIX_DAYS = 25569.0  # days from 1899-12-30 (Excel's day 0) to 1970-01-01

_UNIT_ALIASES: dict[str, tuple[str, ...]] = {
    "g": ("g", "gs", "g0", "gn"),
    "mg": ("mg", "millig"),
    "m/s^2": ("m/s2", "ms2", "ms-2", "m/s/s", "mps2", "m/ss", "m/sec2", "mpss"),
    "deg/s": ("deg/s", "dps", "degs", "degps", "degree/s", "degrees/s", "deg/sec", "degsec"),
    "rad/s": ("rad/s", "rads", "radps", "rad/sec", "radsec"),
    "uT": ("ut", "microtesla", "utesla"),
    "mT": ("mt",),
    "nT": ("nt",),
    "gauss": ("gauss", "ga"),
    "mgauss": ("mgauss", "mga"),
    "s": ("s", "sec", "secs", "second", "seconds"),
    "ms": ("ms", "msec", "millis", "millisecond", "milliseconds"),
    "us": ("us", "usec", "microsecond", "microseconds"),
    "ns": ("ns", "nsec", "nanosecond", "nanoseconds"),
    "m": ("m", "meter", "meters", "metre", "metres"),
    "cm": ("cm",),
    "mm": ("mm",),
    "m/s": ("m/s", "mps", "ms-1", "m/sec"),
    "km/h": ("km/h", "kmh", "kph", "kmph", "km/hr", "kmhr"),
    "mph": ("mph", "mi/h"),
    "deg": ("deg", "degree", "degrees"),
}
_UNITS = {alias: unit for unit, aliases in _UNIT_ALIASES.items() for alias in aliases}


def parse_unit(text: str) -> str | None:
    """Canonical unit (``g``, ``m/s^2``, ``deg/s``, ``rad/s``, ``uT``, ``s``, ``ms``, ``m/s``,
    ``km/h``, ``m``, ``deg``...) of a spelling like ``m/s²``, ``°/s``, ``dps``, ``µT``, or None."""
    key = (text.strip().lower().replace("²", "2").replace("^", "").replace("°", "deg")
           .replace("µ", "u").replace("μ", "u").replace(" ", "").replace("_", "/"))
    return _UNITS.get(key)


@dataclass(frozen=True)
class ColumnName:
    """A header cell split into lower-case name tokens and a declared unit.

    ``AccX (g)`` -> tokens ``("acc", "x")``, unit ``"g"``; ``accelerometer_x_m_s2`` ->
    ``("accelerometer", "x")``, ``"m/s^2"``; ``Timestamp`` -> ``("timestamp",)``, None.
    """

    raw: str
    tokens: tuple[str, ...]
    unit: str | None


def split_name(name: str) -> ColumnName:
    """Tokenise a column name and pull out its unit (bracketed, or trailing tokens)."""
    base, unit = name.strip(), None
    m = _UNIT_RE.match(base)
    if m and parse_unit(m.group(2)):
        base, unit = m.group(1), parse_unit(m.group(2))
    raw = [p for p in _SPLIT_RE.split(base) if p]
    if unit is None:
        for k in (3, 2, 1):
            if len(raw) > k:
                tail = raw[-k:]
                found = parse_unit("/".join(tail)) or parse_unit("".join(tail))
                if found:
                    raw, unit = raw[:-k], found
                    break
    tokens = tuple(t.lower() for part in raw for t in (_CAMEL_RE.findall(part) or [part]))
    return ColumnName(name, tokens, unit)


@dataclass
class Table:
    """A delimited text file as columns.

    Attributes:
        path: the file.
        names: C header cells as written (stripped); ``col1``... for headerless files.
        columns: C arrays of length N: float64 (NaN = empty/NA) for numeric columns, ``str``
            arrays for text columns (timestamps, labels).
        numeric: C flags, True for float64 columns.
        lines: (N,) int64, the 1-based line in the (decompressed) file of each data row.
        metadata: the non-blank lines above the header.
        header_line: 1-based line of the header, 0 when the file has none.
        header: every header cell, including the columns ``only`` left out.
        arrow_text: pyarrow copies of text columns made by the fast path, ``{index: (array,
            copy)}``; used (by :func:`read_time`) only while ``columns[index] is array``.
    """

    path: Path
    names: list[str]
    columns: list[np.ndarray]
    numeric: list[bool]
    lines: np.ndarray
    metadata: list[str] = field(default_factory=list)
    header_line: int = 0
    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    header: list[str] = field(default_factory=list)
    arrow_text: dict[int, tuple[np.ndarray, object]] = field(default_factory=dict, repr=False,
                                                              compare=False)

    def __len__(self) -> int:
        return int(self.lines.shape[0])

    @property
    def parsed_names(self) -> list[ColumnName]:
        return [split_name(n) for n in self.names]

    def error(self, message: str, row: int | None = None) -> FootcoachError:
        """A FootcoachError at data row ``row`` (0-based), or at the header when None."""
        line = int(self.lines[row]) if row is not None and len(self) else self.header_line or 1
        return FootcoachError(message, self.path, f"line {line}")

    def numeric_column(self, index: int) -> np.ndarray:
        """Column ``index`` as float64 (N,); raises if it is text or holds no value at all."""
        name = self.names[index]
        col = self.columns[index]
        if not self.numeric[index]:
            bad = next(i for i, v in enumerate(col) if _to_float(v, self.decimal) is None)
            raise self.error(f"column {name!r} is not numeric (value {col[bad]!r})", bad)
        if len(col) and np.isnan(col[0]) and np.all(np.isnan(col)):  # (col[0]: cheap test)
            raise self.error(f"column {name!r} has no values (every row is empty or NaN)", 0)
        return col


def read_table(path: str | Path, *, diag: Diagnostics | None = None, has_header: bool = True,
               min_rows: int = MIN_ROWS, only: Callable[[str], bool] | None = None) -> Table:
    """Read a delimited text export (optionally .gz) into a :class:`Table`.

    The delimiter (tab, ``;``, ``,``) is sniffed from the last lines; the header is the first
    line of mostly non-numeric cells followed by data rows with the same number of fields
    (lines above it are kept as ``metadata``). ``;``/tab files with ``1,25`` use decimal commas.
    ``only(name)`` keeps just the columns it accepts (faster on wide files).

    Plain files are parsed by pyarrow (:mod:`footcoach.io.tabular_fast`); anything it cannot
    read exactly as the line-by-line parser would (:func:`table_from_lines`) is read by that
    parser, which names the offending line.
    """
    from footcoach.io.tabular_fast import (  # loads pyarrow
        as_bytes,
        close_data,
        decode,
        open_data,
        read_table_fast,
    )

    path = Path(path)
    data = open_data(path)
    try:
        table = read_table_fast(data, path, diag=diag, has_header=has_header,
                                min_rows=min_rows, only=only)
        if table is not None:
            return table
        text, encoding = decode(path, as_bytes(data))
    finally:
        close_data(data)
    del data
    return table_from_lines(text.splitlines(), path, diag=diag, has_header=has_header,
                            min_rows=min_rows, encoding=encoding, only=only)


def table_from_lines(lines: Sequence[str], path: Path, *, diag: Diagnostics | None = None,
                     has_header: bool = True, min_rows: int = MIN_ROWS, encoding: str = "utf-8",
                     only: Callable[[str], bool] | None = None, fast: bool = True) -> Table:
    """The parsing half of :func:`read_table` on already-decoded lines (line 1 = ``lines[0]``).

    Plain columns are parsed by pyarrow, the others (all with ``fast=False``) cell by cell,
    naming a bad cell's line."""
    numbered = [(i + 1, s) for i, s in enumerate(lines) if s.strip()]
    if not numbered:
        raise FootcoachError("the file is empty", path, "line 1")
    lay = layout(numbered, numbered, path, has_header)
    names, metadata, header_line = lay.names, lay.metadata, lay.header_line
    delimiter, decimal, body = lay.delimiter, lay.decimal, numbered[lay.body_index:]
    if len(body) < min_rows:
        where = f"line {body[-1][0] if body else header_line or 1}"
        raise FootcoachError(f"only {len(body)} data rows (at least {min_rows} are needed)",
                             path, where)
    line_no = np.array([n for n, _ in body], dtype=np.int64)
    wanted = [j for j, n in enumerate(names) if only is None or only(n)]
    table = Table(path, [names[j] for j in wanted], [], [], line_no, metadata, header_line,
                  delimiter, decimal, encoding, names)
    from footcoach.io.tabular_fast import columns_from_lines

    parsed = columns_from_lines(body, lay, wanted, path) if fast else None
    if parsed is None:
        cells = _rows(body, delimiter, len(names), path)
        parsed = []
        for j, col in enumerate(zip(*cells, strict=True)):
            if j not in wanted:
                continue
            try:
                parsed.append(_convert(col, decimal))
            except _BadCell as bad:
                raise table.error(f"non-numeric value {col[bad.row]!r} in column "
                                  f"{names[j]!r}", bad.row) from None
    table.columns = [c for c, _ in parsed]
    table.numeric = [n for _, n in parsed]
    if diag is not None and encoding == "cp1252":
        diag.warn("not UTF-8: decoded as Windows-1252 (Excel)", path)
    return table


# ---------------------------------------------------------------- structure

@dataclass
class Layout:
    """Where things are in a delimited file (see :func:`layout`).

    Attributes:
        delimiter, decimal: the field separator and the decimal mark (``.`` or ``,``).
        names: the header cells (stripped, trailing empty cells dropped, blanks named ``colN``).
        metadata: the non-blank lines above the header.
        header_line: 1-based line of the header (0: no header).
        body_index: index in the ``head`` sample of the first data row.
    """

    delimiter: str
    decimal: str
    names: list[str]
    metadata: list[str]
    header_line: int
    body_index: int


def layout(head: Sequence[tuple[int, str]], tail: Sequence[tuple[int, str]], path: Path,
           has_header: bool) -> Layout:
    """Sniff the delimiter and decimal mark from the last non-blank lines ``tail`` (at least
    50, or the whole file) and find the header among the first ``head`` lines (at least 200, or
    the whole file); both as ``(1-based line, text)`` pairs."""
    delimiter, width = _sniff(list(tail[-50:]), path)
    decimal = "," if delimiter != "," and _decimal_comma(list(tail[-20:]), delimiter) else "."
    if not has_header:
        return Layout(delimiter, decimal, [f"col{i + 1}" for i in range(width)], [], 0, 0)
    h = _find_header(list(head[:200]), delimiter, decimal, width, path)
    names = [c.strip() for c in _split(head[h][1], delimiter)]
    names = [n or f"col{i + 1}" for i, n in enumerate(_trim(names))]
    return Layout(delimiter, decimal, names, [s.strip() for _, s in head[:h]], head[h][0], h + 1)


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])


def _trim(cells: list[str]) -> list[str]:
    """Drop empty trailing cells (``1,2,3,`` exports)."""
    end = len(cells)
    while end > 1 and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _sniff(sample: list[tuple[int, str]], path: Path) -> tuple[str, int]:
    """Delimiter and field count of the data rows, from the last lines of the file."""
    best: tuple[int, str, int] | None = None
    for d in _DELIMITERS:
        counts = Counter(len(_trim(_split(s, d))) for _, s in sample)
        width, n = counts.most_common(1)[0]
        if width > 1 and n == len(sample):
            return d, width
        if width > 1 and (best is None or n > best[0]):
            best = (n, d, width)
    if best is None:
        line, text = sample[-1]
        raise FootcoachError("only one column found: the delimiter is not a comma, semicolon or "
                             f"tab (row {text[:60]!r})", path, f"line {line}")
    return best[1], best[2]


def _decimal_comma(sample: list[tuple[int, str]], delimiter: str) -> bool:
    cells = [c.strip() for _, s in sample for c in _split(s, delimiter)]
    return sum(bool(re.fullmatch(r"[-+]?\d*,\d+", c)) for c in cells) > len(cells) // 4


def _to_float(cell: str, decimal: str = ".") -> float | None:
    c = cell.strip()
    if c.lower() in _NA:
        return np.nan
    try:
        return float(c.replace(",", ".") if decimal == "," else c)
    except ValueError:
        return None


def _value_like(cell: str, decimal: str) -> bool:
    c = cell.strip()
    return (_to_float(c, decimal) is not None or bool(_ISO_RE.match(c))
            or bool(_CLOCK_RE.match(c)))


def _find_header(sample: list[tuple[int, str]], delimiter: str, decimal: str, width: int,
                 path: Path) -> int:
    """Index in ``sample`` of the header: names, then rows of values with as many fields."""
    rows = [_trim(_split(s, delimiter)) for _, s in sample]
    for i, cells in enumerate(rows[:-1]):
        names = sum(bool(c.strip()) and not _value_like(c, decimal) for c in cells)
        if len(cells) < width or names < max(1, len(cells) / 2):
            continue
        following = rows[i + 1:i + 4]
        if all(2 <= len(r) <= len(cells) and sum(_value_like(c, decimal) for c in r) > len(r) / 2
               for r in following):
            return i
    line, text = sample[0]
    what = "starts with data, not column names" if all(
        _value_like(c, decimal) for c in rows[0]) else "has no recognisable header line"
    raise FootcoachError(f"the file {what} (expected a line of column names such as "
                         f"'time,acc_x,...' followed by rows of numbers; got {text[:60]!r})",
                         path, f"line {line}")


def _rows(body: list[tuple[int, str]], delimiter: str, width: int, path: Path) -> list[list[str]]:
    reader = csv.reader((s for _, s in body), delimiter=delimiter, skipinitialspace=True)
    rows = list(reader)
    for k, cells in enumerate(rows):
        if len(cells) == width:
            continue
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            rows[k] = cells[:width]
        elif len(cells) < width:
            rows[k] = cells + [""] * (width - len(cells))
        else:
            raise FootcoachError(f"row has {len(cells)} fields but the header has {width}",
                                 path, f"line {body[k][0]}")
    return rows


class _BadCell(Exception):
    def __init__(self, row: int):
        super().__init__(row)
        self.row = row


def _convert(col: tuple[str, ...], decimal: str) -> tuple[np.ndarray, bool]:
    """(float64 array, True), or (str array, False) for a text column; raises _BadCell when a
    mostly numeric column holds a non-number."""
    arr = [c.replace(",", ".") for c in col] if decimal == "," else col
    try:
        return np.fromiter(map(float, arr), np.float64, len(arr)), True
    except ValueError:
        pass
    values = [_to_float(c) for c in arr]
    bad = [i for i, v in enumerate(values) if v is None]
    filled = sum(bool(c.strip()) and c.strip().lower() not in _NA for c in arr)
    if len(bad) > filled / 2:
        return np.array([c.strip() for c in col], dtype=str), False
    if bad:
        raise _BadCell(bad[0])
    return np.array(values, dtype=np.float64), True


# ---------------------------------------------------------------- time

_TIME_RANK = ({"timestamp", "datetime", "epoch", "utc", "unix"}, {"time"},
              {"t", "ts", "seconds", "sec", "elapsed", "s"})


@dataclass
class TimeAxis:
    """A parsed time column.

    Attributes:
        t: (M,) float64 seconds relative to the first kept sample (non-decreasing).
        t0_epoch_s: Unix seconds (UTC) of ``t == 0`` when the column was absolute, else None.
        kind: ``relative`` (seconds, or ms/us/ns declared in the name), ``epoch_s``,
            ``epoch_ms``, ``epoch_us``, ``epoch_ns``, ``excel_days``, ``iso8601`` or ``clock``.
        column: index of the time column in the table.
        keep: (N,) bool, the table rows that had a time (``t`` has one entry per True).
    """

    t: np.ndarray
    t0_epoch_s: float | None
    kind: str
    column: int
    keep: np.ndarray


def find_time_column(table: Table) -> int:
    """Index of the time column (``timestamp``/``unix_time_ms`` before ``time`` before ``t``)."""
    parsed = table.parsed_names
    for rank in _TIME_RANK:
        for j, name in enumerate(parsed):
            if set(name.tokens) & rank and (rank is not _TIME_RANK[2] or len(name.tokens) == 1):
                return j
    raise table.error("no time column (expected one named like time, timestamp, t, "
                      f"unix_time_ms; the columns are {', '.join(table.names)})")


def read_time(table: Table, *, diag: Diagnostics | None = None,
              column: int | None = None) -> TimeAxis:
    """Find and parse the time column, check it never runs backwards.

    Numbers are relative seconds unless the name declares ``ms``/``us``/``ns`` or the magnitude
    says Unix epoch (s >= 3e8, ms >= 1e11, us >= 1e14, ns >= 1e17) or Excel serial days (20000
    to 80000 with sub-10 s steps; taken as UTC, rounded to 1 ms). Text is ISO 8601 (naive =
    UTC) or ``hh:mm:ss.s`` / ``mm:ss.s`` clock time (wrapping past midnight).
    """
    j = find_time_column(table) if column is None else column
    name = split_name(table.names[j])
    if table.numeric[j]:
        raw = table.columns[j]
        keep = ~np.isnan(raw)
        t, t0, kind = _numeric_time(raw if keep.all() else raw[keep], name.unit)
    else:
        from footcoach.io.tabular_fast import text_time

        t_abs, kind = text_time(table, j)
        keep = ~np.isnan(t_abs)
        t_abs = t_abs[keep]
        t0 = float(t_abs[0]) if kind == "iso8601" and len(t_abs) else None
        t = t_abs - t_abs[0] if len(t_abs) else t_abs
    n_kept = int(np.count_nonzero(keep))
    rows = None if n_kept == len(table) else np.flatnonzero(keep)  # None: every row
    if rows is not None:
        if n_kept < MIN_ROWS:
            raise table.error(f"the time column {name.raw!r} is empty on most rows", 0)
        if diag is not None:
            first = int(np.flatnonzero(~keep)[0])
            diag.warn(f"{len(table) - n_kept} rows without a time were dropped", table.path,
                      f"line {table.lines[first]}")
    _check_monotonic(table, t, rows, diag)
    return TimeAxis(t, t0, kind, j, keep)


def _numeric_time(v: np.ndarray, unit: str | None) -> tuple[np.ndarray, float | None, str]:
    if not len(v):
        return v, None, "relative"
    first = float(v[0])
    mag = abs(first)
    scale = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9}.get(unit or "", 1.0)
    for kind, lo, s in (("epoch_ns", 1e17, 1e-9), ("epoch_us", 1e14, 1e-6),
                        ("epoch_ms", 1e11, 1e-3), ("epoch_s", 3e8, 1.0)):
        if mag >= lo and (unit is None or unit == "s" or scale == s):
            return (v - first) * s, first * s, kind
    dt = np.diff(v)
    step = float(np.median(dt)) if len(dt) else 1.0
    if unit is None and 2e4 <= mag <= 8e4 and 0 < step < 1.2e-4:
        t = np.round((v - first) * 86400.0, 3)
        return t, round((first - EXCEL_EPOCH_UNIX_DAYS) * 86400.0, 3), "excel_days"
    return (v - first) * scale, None, "relative"


def _check_monotonic(table: Table, t: np.ndarray, rows: np.ndarray | None,
                     diag: Diagnostics | None) -> None:
    """Raise when ``t`` (M,) runs backwards or repeats too often; ``rows`` (M,): the table
    row of each time (None: row k is time k)."""
    def row(k: int) -> int:
        return k if rows is None else int(rows[k])

    dt = np.diff(t)
    if dt.size and dt.min() < 0:
        k = int(np.flatnonzero(dt < 0)[0]) + 1
        raise table.error(f"time runs backwards: {t[k]:.3f} s comes after {t[k - 1]:.3f} s "
                          f"(line {table.lines[row(k - 1)]})", row(k))
    same = np.flatnonzero(dt == 0)
    if same.size > 0.2 * max(len(t), 1):
        raise table.error(f"the time repeats on {same.size} of {len(t)} rows: its resolution is "
                          "too coarse for the sampling rate", row(int(same[0]) + 1))
    if same.size and diag is not None:
        k = int(same[0]) + 1
        diag.warn(f"{same.size} repeated time stamps kept (first {t[k]:.3f} s)", table.path,
                  f"line {table.lines[row(k)]}")


def gap_summary(t: np.ndarray, factor: float = 1.5) -> dict[str, float]:
    """Dropouts in a time vector: steps longer than ``factor`` x the median step.

    Returns ``{"median_dt_s", "gaps", "longest_gap_s", "missing_s"}`` (missing = time lost
    beyond the nominal step, summed over the gaps).
    """
    dt = np.diff(t)
    pos = dt[dt > 0]
    if not pos.size:
        return {"median_dt_s": 0.0, "gaps": 0, "longest_gap_s": 0.0, "missing_s": 0.0}
    med = float(np.median(pos, overwrite_input=True))  # pos is a copy
    big = dt[dt > factor * med]
    return {"median_dt_s": med, "gaps": int(big.size),
            "longest_gap_s": float(big.max()) if big.size else 0.0,
            "missing_s": float(np.sum(big - med))}
