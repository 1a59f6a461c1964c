"""The byte level of :func:`footcoach.io.tabular.read_table`: loading, decoding, and the fast
path through pyarrow's CSV reader.

The file is read once as bytes (gzip decompressed); a large plain file is memory-mapped instead
(:func:`open_data`), so its bytes are read in place from the OS cache, not copied. Its encoding,
delimiter, decimal mark, metadata lines and header are found exactly as on the line-by-line path
(:func:`footcoach.io.tabular.layout`), from the first and last few KB; the body (the bytes after
the header line) then goes to ``pyarrow.csv.read_csv`` with fixed column names and types
(float64 for numeric columns, text for the rest). Whenever pyarrow could disagree with the
line-by-line parser (it rejects a cell, rows are ragged, data rows hold non-ASCII text, quote
characters or odd line breaks...), :func:`read_table_fast` returns None and the caller reads the
file line by line, which gives the precise ``<file>:line N: ...`` error or the same table more
slowly.

The same pyarrow parsing serves :func:`footcoach.io.tabular.table_from_lines`
(:func:`columns_from_lines`); the vectorised parsing of text time columns (ISO 8601, clock
time) serves :func:`footcoach.io.tabular.read_time`.
"""

from __future__ import annotations

import contextlib
import gzip
import mmap
import os
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.tabular import (
    _CLOCK_RE,
    _ISO_RE,
    _NA,
    NL,
    Layout,
    Table,
    _BadCell,
    _convert,
    _rows,
    _split,
    layout,
)

MAP_MIN_BYTES = 1 << 20
"""Plain files from this size on are memory-mapped rather than read into a bytes object."""
HEAD_BYTES = 64 * 1024
TAIL_BYTES = 16 * 1024
_BOM = b"\xef\xbb\xbf"
_ODD_BYTES = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
"""Line breaks for ``str.splitlines`` (or whitespace for ``str.strip``) that pyarrow keeps."""
_NEEDLES = (b"\x00", *_ODD_BYTES, b"(", b'"')
_SCAN_BYTES = 1 << 20
_CONTROLS = bytes(c for c in range(32) if chr(c) not in "\t\r\n\x0c\x1a")
_NULLS = sorted({v for t in _NA for v in (t, t.upper(), t.capitalize(), t.title())})
_FLOAT_LIKE = (r"^[-+]?(\d[\d_]*[.,]?[\d_]*|[.,]\d[\d_]*)(e[-+]?\d[\d_]*)?$"
               r"|^[-+]?(inf|infinity|nan)$")
"""Matches (lower-case) every cell Python's ``float`` accepts, and a few more."""
_ISO_STRICT = (r"^[12]\d{3}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?"
               r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$")
_CLOCK_GROUPS = r"^(?P<a>\d{1,2}):(?P<b>\d{2})(?::(?P<s>\d{2}))?(?P<f>[.,]\d+)?$"


def read_table_fast(data: bytes | mmap.mmap, path: Path, *, diag: Diagnostics | None = None,
                    has_header: bool = True, min_rows: int = 10,
                    only: Callable[[str], bool] | None = None) -> Table | None:
    """The :class:`Table` of the delimited text ``data`` (the file's bytes, decompressed, or
    its memory map: see :func:`open_data`), or None when the line-by-line parser must read it
    (to give its error, or a result pyarrow could get differently). Peak memory is about
    ``data`` plus twice the parsed columns."""
    scan = _scan(data, 3 if data[:3] == _BOM else 0)
    found = _encoding(data, path, scan)
    if found is None:
        return None
    encoding, start, ascii_all = found
    edges = _edges(data, start, encoding)
    if edges is None:
        return None
    head, tail, head_text = edges
    try:
        lay = layout(head, tail, path, has_header)
    except FootcoachError:
        return None
    offset = start + _byte_length(head_text, lay.header_line, encoding)
    if not _plain_body(data, offset, ascii_all, scan):
        return None
    wanted = [j for j, n in enumerate(lay.names) if only is None or only(n)]
    quoted = scan.last[b'"'] >= offset
    parsed = _parse(data, offset, lay, head[lay.body_index:lay.body_index + 200], wanted,
                    path, quoted)
    if parsed is None:
        return None
    columns, maybe_blank = parsed
    n_rows = len(maybe_blank) if maybe_blank is not None else len(columns[0].values)
    if quoted and _physical_lines(as_bytes(data), offset) != n_rows:
        return None  # a quoted cell spans lines
    lines = np.arange(lay.header_line + 1, lay.header_line + 1 + n_rows, dtype=np.int64)
    if maybe_blank is not None and maybe_blank.any():
        blank = _blank_lines(as_bytes(data), offset, n_rows)
        if blank is None or np.any(blank & ~maybe_blank):
            return None
        columns = [_Column(c.values[~blank], c.numeric,
                           None if c.arrow is None else c.arrow.filter(pa.array(~blank)))
                   for c in columns]
        lines = lines[~blank]
    if len(lines) < min_rows:
        return None
    table = Table(path, [lay.names[j] for j in wanted], [c.values for c in columns],
                  [c.numeric for c in columns], lines, lay.metadata, lay.header_line,
                  lay.delimiter, lay.decimal, encoding, lay.names,
                  {k: (c.values, c.arrow) for k, c in enumerate(columns) if c.arrow is not None})
    if diag is not None and encoding == "cp1252":
        diag.warn("not UTF-8: decoded as Windows-1252 (Excel)", path)
    return table


# ---------------------------------------------------------------- bytes

def load_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when they are gzip (whatever the name)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FootcoachError("file not found", path) from None
    except IsADirectoryError:
        raise FootcoachError("is a directory, not a file", path) from None
    except OSError as e:
        raise FootcoachError(f"cannot read the file ({e.strerror})", path) from None
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise FootcoachError(f"damaged gzip file ({e})", path) from None
    if path.suffix.lower() == ".gz" and data:
        raise FootcoachError("named .gz but not a gzip file", path)
    return data


def open_data(path: Path) -> bytes | mmap.mmap:
    """The file's contents for :func:`read_table_fast`: a read-only memory map of a plain file
    of at least ``MAP_MIN_BYTES`` (no copy, no fresh memory to fault in: about 35 ms less per
    36 MB file), else :func:`load_bytes` (gzip, small, unreadable files and their errors).
    Release it with :func:`close_data`."""
    if path.suffix.lower() != ".gz":
        try:
            with open(path, "rb") as f:
                if os.fstat(f.fileno()).st_size >= MAP_MIN_BYTES and f.read(2) != b"\x1f\x8b":
                    return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            pass  # load_bytes gives the error
    return load_bytes(path)


def close_data(data: bytes | mmap.mmap) -> None:
    """Unmap what :func:`open_data` mapped (left to the garbage collector while arrays still
    point into it)."""
    if isinstance(data, mmap.mmap):
        with contextlib.suppress(BufferError):
            data.close()


def _drop_pages(data: bytes | mmap.mmap) -> None:
    """Let the OS unmap a memory map's pages (they are read again from its cache if needed)."""
    if isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(OSError, ValueError):
            data.madvise(mmap.MADV_DONTNEED)


def as_bytes(data: bytes | mmap.mmap) -> bytes:
    """``data`` as a bytes object (a copy of a memory map)."""
    return data if isinstance(data, bytes) else data[:]


def _isascii(data: bytes | mmap.mmap, start: int = 0) -> bool:
    """``data[start:].isascii()`` without copying a memory map."""
    if isinstance(data, bytes):
        return (data[start:] if start else data).isascii()
    body = np.frombuffer(data, np.uint8, offset=min(start, len(data)))
    return body.size == 0 or int(body.max()) < 0x80


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-16 (BOM), UTF-8 (BOM optional) or else Windows-1252; raises on
    empty or binary data (NUL byte, undecodable byte, > 1% control characters)."""
    if not data.strip():
        raise FootcoachError("the file is empty", path, "line 1")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise FootcoachError("damaged UTF-16 text", path) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise FootcoachError("binary data, not a text export (NUL byte)", path,
                             f"line {data.count(NL, 0, nul) + 1}")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError as e:
            bad = e.start
    else:
        raise FootcoachError("binary data or unknown text encoding (undecodable byte)", path,
                             f"line {data.count(NL, 0, bad) + 1}")
    check_controls(path, text[:200_000])
    return text, "utf-8" if encoding == "utf-8-sig" else encoding


def check_controls(path: Path, head: str) -> None:
    """Raise when more than 1% of ``head`` (the first 200,000 characters) are control
    characters other than tab, CR, LF, form feed and Ctrl-Z."""
    controls = [i for i, ch in enumerate(head) if ch < " " and ch not in "\t\r\n\x0c\x1a"]
    if len(controls) > 0.01 * len(head):
        raise FootcoachError("binary data, not a text export (control characters)", path,
                             f"line {head.count(chr(10), 0, controls[0]) + 1}")


class _Scan(NamedTuple):
    """What :func:`_scan` found in ``data[start:]``."""

    ascii: bool  # all of it is ASCII
    last: dict[bytes, int]  # the last position in data of each of _NEEDLES (-1: none)


def _scan(data: bytes | mmap.mmap, start: int) -> _Scan:
    """One pass over ``data[start:]`` 1 MB at a time, each piece checked while in cache:
    whether it is ASCII and where each of ``_NEEDLES`` (NUL, the odd line-break bytes, ``(``
    and ``"``) last occurs (ten passes over a 36 MB file took about 3x longer)."""
    last = dict.fromkeys(_NEEDLES, -1)
    ascii_all = True
    for a in range(start, len(data), _SCAN_BYTES):
        piece = data[a:a + _SCAN_BYTES]
        ascii_all = ascii_all and piece.isascii()
        for needle in _NEEDLES:
            k = piece.rfind(needle)
            if k >= 0:
                last[needle] = a + k
    return _Scan(ascii_all, last)


def _encoding(data: bytes | mmap.mmap, path: Path,
              scan: _Scan) -> tuple[str, int, bool] | None:
    """``(encoding, bytes to skip (BOM), whole file ASCII)`` checked as :func:`decode` would,
    or None when it would raise or gives UTF-16; ``scan``: :func:`_scan` from after a BOM."""
    try:
        if scan.ascii:  # data.isascii(), or a BOM and data[3:].isascii()
            start = 3 if data[:3] == _BOM else 0
            if not data[start:start + 4096].strip() or scan.last[b"\x00"] >= 0:
                return None  # empty (or starts with 4 KB of blanks), binary
            head = data[start:start + 200_000]
            if len(head) - len(head.translate(None, _CONTROLS)) > 0.01 * len(head):
                return None  # too many control characters (check_controls would raise)
            return "utf-8", start, start == 0
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return None
        _, encoding = decode(path, as_bytes(data))  # rare: non-ASCII; checks as the careful path
    except FootcoachError:
        return None
    return encoding, (3 if encoding == "utf-8" and data[:3] == _BOM else 0), False


def _numbered(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    return [(i + first_line, s) for i, s in enumerate(text.splitlines()) if s.strip()]


def _edges(data: bytes | mmap.mmap, start: int,
           encoding: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]], str] | None:
    """The first (>= 250) and last (>= 50) non-blank lines as ``(1-based line, text)`` (the
    tail's line numbers are not known: 0), and the decoded head; None for a file without LF."""
    size = HEAD_BYTES
    while True:
        if len(data) - start <= size + TAIL_BYTES:
            text = data[start:].decode(encoding)
            numbered = _numbered(text)
            return numbered, numbered, text
        cut = data.rfind(NL, start, start + size)
        if cut < 0:
            return None
        text = data[start:cut + 1].decode(encoding)
        head = _numbered(text)
        if len(head) >= 250:
            break
        size *= 4
    size = TAIL_BYTES
    while len(data) - size > start:
        cut = data.find(NL, len(data) - size)
        if cut < 0:
            return None
        tail = _numbered(data[cut + 1:].decode(encoding), 0)
        if len(tail) >= 50:
            return head, tail, text
        size *= 4
    return head, _numbered(data[start:].decode(encoding)), text


def _byte_length(text: str, lines: int, encoding: str) -> int:
    """Bytes taken by the first ``lines`` lines (with their line breaks) of ``text``."""
    chars = sum(len(s) for s in text.splitlines(keepends=True)[:lines])
    return len(text[:chars].encode(encoding))


def _plain_body(data: bytes | mmap.mmap, offset: int, ascii_all: bool,
                scan: _Scan | None = None) -> bool:
    """True when the body ``data[offset:]`` is ASCII, holds no line break or whitespace that
    pyarrow and ``str.splitlines``/``str.strip`` see differently, and no ``nan(...)`` (a float
    to pyarrow). ``scan``: :func:`_scan` of ``data`` (else the bytes are searched here)."""
    if not ascii_all and not _isascii(data, offset):
        return False
    if scan is None:
        scan = _scan(data, offset)
    if any(scan.last[b] >= offset for b in _ODD_BYTES):
        return False
    return scan.last[b"("] < offset or re.search(
        rb"(?i)nan\(", memoryview(data)[offset:]) is None


def _physical_lines(data: bytes, offset: int) -> int:
    """Lines of ``data[offset:]`` as ``str.splitlines`` counts them (LF, CRLF, CR breaks)."""
    n_cr = data.count(b"\r", offset)
    breaks = data.count(NL, offset) + n_cr - (data.count(b"\r\n", offset) if n_cr else 0)
    return breaks + (len(data) > offset and data[-1:] not in (b"\n", b"\r"))


def _blank_lines(data: bytes, offset: int, n_lines: int) -> np.ndarray | None:
    """(n_lines,) bool, True for the empty lines of ``data[offset:]``; None when it has bare
    CR line breaks or not ``n_lines`` lines."""
    if data.count(b"\r", offset) != data.count(b"\r\n", offset):
        return None
    body = np.frombuffer(data, np.uint8, offset=offset)
    ends = np.flatnonzero(body == 10)
    if body.size and body[-1] != 10:
        ends = np.append(ends, body.size)
    if ends.size != n_lines:
        return None
    starts = np.r_[0, ends[:-1] + 1]
    length = ends - starts
    first = body[np.minimum(starts, max(body.size - 1, 0))] if body.size else starts
    blank: np.ndarray = (length == 0) | ((length == 1) & (first == 13))
    return blank


# ---------------------------------------------------------------- columns

def columns_from_lines(body: list[tuple[int, str]], lay: Layout, wanted: list[int],
                       path: Path) -> list[tuple[np.ndarray, bool]] | None:
    """:func:`read_table_fast`'s parsing for already split, non-blank lines ``body`` (as
    ``(line, text)``): the wanted columns, or None when they must be read cell by cell."""
    try:
        data = "\n".join(s for _, s in body).encode("ascii")
    except UnicodeEncodeError:
        return None
    if not wanted or not _plain_body(data, 0, True):
        return None
    parsed = _parse(data, 0, lay, body[:200], wanted, path, data.find(b'"') >= 0)
    if parsed is None or len(parsed[0][0].values) != len(body):
        return None
    return [(c.values, c.numeric) for c in parsed[0]]


class _Column(NamedTuple):
    values: np.ndarray  # (N,) float64, or str for a text column
    numeric: bool
    arrow: pa.ChunkedArray | None  # a text column's stripped cells as pyarrow strings


def _parse(data: bytes | mmap.mmap, offset: int, lay: Layout, sample: list[tuple[int, str]],
           wanted: list[int], path: Path, quoted: bool = True
           ) -> tuple[list[_Column], np.ndarray | None] | None:
    """The wanted columns of the body ``data[offset:]``, one row per line, empty lines
    included (float64 or ``str`` arrays, numeric flag), and the rows that may be empty lines
    (None: none can be, since a float column has no empty cell). ``sample``, the first lines,
    decides which columns are numeric; ``quoted``: the body holds a ``"`` (else quoting is
    switched off, which parses a little faster)."""
    width = len(lay.names)
    if not sample or not wanted:
        return None
    fields = len(_split(sample[0][1], lay.delimiter))
    if fields < width:
        return None
    try:
        cells = list(zip(*_rows(sample, lay.delimiter, width, path), strict=True))
        numeric = {j: _convert(cells[j], lay.decimal)[1] for j in wanted}
    except (FootcoachError, _BadCell):
        return None
    extra = list(range(width, fields))  # trailing empty cells ("1,2,3,"): must stay empty
    types = {f"c{j}": pa.float64() if numeric[j] else pa.string() for j in wanted}
    types.update({f"c{j}": pa.string() for j in extra})
    try:
        table = pacsv.read_csv(
            pa.py_buffer(memoryview(data)[offset:]),
            read_options=pacsv.ReadOptions(column_names=[f"c{j}" for j in range(fields)]),
            parse_options=pacsv.ParseOptions(delimiter=lay.delimiter,
                                             quote_char='"' if quoted else False,
                                             double_quote=True, escape_char=False,
                                             newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types, include_columns=list(types), null_values=_NULLS,
                strings_can_be_null=False, quoted_strings_can_be_null=True,
                decimal_point=lay.decimal))
    except (pa.ArrowException, ValueError):
        return None
    _drop_pages(data)  # parsed: the file's pages need not stay in this process's memory
    for j in extra:
        if not pc.all(pc.equal(pc.utf8_trim_whitespace(table.column(f"c{j}")), "")).as_py():
            return None
    out: list[_Column] = []
    maybe_blank: np.ndarray | None = np.ones(table.num_rows, dtype=bool)
    columns = {f"c{j}": table.column(f"c{j}") for j in wanted}
    del table  # each column's arrow memory goes as soon as it is converted
    for j in wanted:
        col = columns.pop(f"c{j}")
        if numeric[j]:
            if col.null_count == 0:
                maybe_blank = None
            elif maybe_blank is not None:
                maybe_blank &= np.asarray(col.is_null().to_numpy(zero_copy_only=False))
            values = col.to_numpy()
            out.append(_Column(values if values.flags.writeable else values.copy(), True, None))
        else:
            text = _text_column(col, quoted)
            if text is None:
                return None
            if maybe_blank is not None:
                maybe_blank &= text[0] == ""
            out.append(_Column(text[0], False, text[1]))
    return out, maybe_blank


def _text_column(col: pa.ChunkedArray,
                 quoted: bool) -> tuple[np.ndarray, pa.ChunkedArray] | None:
    """A text column as a stripped ``str`` array (and its pyarrow twin), or None when the
    line-by-line parser could read it differently: a quote or line break left in a cell (only
    possible when the body is ``quoted``), a cell that may be a number, or no cell but NA
    markers (that column is numeric, all NaN)."""
    if quoted and pc.any(pc.match_substring_regex(col, r'["\r\n]')).as_py():
        return None
    trimmed = pc.utf8_trim_whitespace(col)
    lower = pc.utf8_lower(trimmed)
    na = pc.is_in(lower, value_set=pa.array(sorted(_NA)))
    if pc.all(na).as_py() or pc.any(pc.and_(pc.match_substring_regex(lower, _FLOAT_LIKE),
                                            pc.invert(na))).as_py():
        return None
    return np.asarray(trimmed.to_numpy(zero_copy_only=False), dtype=str), trimmed


# ---------------------------------------------------------------- text time columns

def text_time(table: Table, j: int) -> tuple[np.ndarray, str]:
    """Seconds (N,) of the text time column ``j`` (NaN where the cell is an NA marker) and its
    kind, ``iso8601`` (Unix seconds; naive = UTC) or ``clock`` (seconds of the day, wrapping
    past midnight). Cells of the usual forms are parsed by pyarrow, the others one by one."""
    col = table.columns[j]
    sample = next((c for c in col if c.strip()), "")
    if _ISO_RE.match(sample):
        return _iso_seconds(table, col, _arrow_text(table, j)), "iso8601"
    if not _CLOCK_RE.match(sample):
        raise table.error(f"unrecognised time {str(sample)!r} in column {table.names[j]!r} "
                          "(expected seconds, Unix epoch, ISO 8601, Excel serial days or "
                          "hh:mm:ss.s)", 0)
    out = _clock_seconds(table, col, _arrow_text(table, j))
    valid = np.flatnonzero(~np.isnan(out))
    wraps = np.flatnonzero(np.diff(out[valid]) < -43200)
    for w in wraps:  # past midnight
        out[valid[w + 1]:] += 86400.0
    return out, "clock"


def _arrow_text(table: Table, j: int) -> pa.ChunkedArray:
    """Column ``j``'s cells as pyarrow strings: the fast path's copy when it still matches."""
    cached = table.arrow_text.get(j)
    if cached is not None and cached[0] is table.columns[j]:
        return cached[1]
    return pa.chunked_array([pa.array(table.columns[j], pa.string())])


def _na_mask(cells: pa.ChunkedArray) -> np.ndarray:
    """(N,) bool: the (stripped) cells that are NA markers."""
    na = pc.is_in(pc.utf8_lower(cells), value_set=pa.array(sorted(_NA)))
    return np.asarray(na.to_numpy(zero_copy_only=False), dtype=bool)


def _iso_seconds(table: Table, col: np.ndarray, cells: pa.ChunkedArray) -> np.ndarray:
    """Unix seconds of the ISO 8601 cells ``col`` (stripped; ``cells`` as pyarrow strings)."""
    out = np.full(len(col), np.nan)
    na = _na_mask(cells)
    cells = pc.replace_substring(cells, ",", ".")
    fast = np.asarray(pc.match_substring_regex(cells, _ISO_STRICT).to_numpy(
        zero_copy_only=False), dtype=bool) & ~na
    rows = np.flatnonzero(fast)
    try:
        picked = cells.filter(pa.array(fast))
        has_zone = pc.or_(pc.ends_with(picked, "Z"),  # "+hh:mm": the 6th last is a sign
                          pc.is_in(pc.utf8_slice_codeunits(picked, -6, -5), pa.array(["+", "-"])))
        zoned = pc.if_else(has_zone, picked, pc.binary_join_element_wise(picked, "Z", ""))
        ns = pc.cast(zoned, pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()
        out[rows] = (ns // 1000) / 1e6  # microseconds, as datetime.timestamp() does
    except (pa.ArrowException, ValueError):
        fast[:] = False
    for i in np.flatnonzero(~fast & ~na):
        c = col[i]
        try:
            stamp = datetime.fromisoformat(c.strip().replace(",", "."))
        except ValueError:
            raise table.error(f"unreadable ISO 8601 time {str(c)!r}", int(i)) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        out[i] = stamp.timestamp()
    return out


def _clock_seconds(table: Table, col: np.ndarray, cells: pa.ChunkedArray) -> np.ndarray:
    """Seconds of the day of ``hh:mm:ss.s`` / ``mm:ss.s`` cells (no midnight wrap yet)."""
    out = np.full(len(col), np.nan)
    na = _na_mask(cells)
    parts = pc.extract_regex(cells.combine_chunks(), _CLOCK_GROUPS)
    fast = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool) & ~na
    if fast.any():
        got = parts.filter(pa.array(fast))
        a, b, s = (pc.cast(pc.if_else(pc.equal(got.field(k), ""), "0", got.field(k)),
                       pa.int64()).to_numpy() for k in ("a", "b", "s"))
        frac = pc.replace_substring(got.field("f"), ",", ".")
        part = pc.cast(pc.if_else(pc.equal(frac, ""), "0", frac), pa.float64()).to_numpy()
        hms = np.asarray(pc.not_equal(got.field("s"), "").to_numpy(zero_copy_only=False))
        whole = np.where(hms, a * 3600 + b * 60 + s, a * 60 + b)
        out[fast] = whole.astype(np.float64) + part
    for i in np.flatnonzero(~fast & ~na):  # what RE2 did not match (e.g. non-ASCII digits)
        c = col[i]
        m = _CLOCK_RE.match(c.strip())
        if m is None:
            raise table.error(f"unreadable clock time {str(c)!r}", int(i))
        a_, b_, sec, f_ = m.groups()
        frac_s = float(f_.replace(",", ".")) if f_ else 0.0
        if sec is None:  # mm:ss.s
            out[i] = int(a_) * 60 + int(b_) + frac_s
        else:
            out[i] = int(a_) * 3600 + int(b_) * 60 + int(sec) + frac_s
    return out
