"""The rows every data export is made of, and the CSV export.

What is exported comes from :func:`footcoach.app.reviewed.load_reviewed`: the newest cached
analysis with the coach's corrections applied. ``what`` picks the tables:

- ``events``: one row per event (:data:`EVENT_COLUMNS`), sorted by start then player;
- ``phases``: one row per team tactic phase of the analysis (:data:`PHASE_COLUMNS`);
- ``metrics``: the load metrics per player and period (:data:`METRICS_COLUMNS`, from
  :func:`footcoach.app.metrics.session_metrics`);
- ``all``: the three.

Times are seconds on the session clock. Missing values are ``None`` in the rows (an empty CSV
cell, JSON ``null``).

CSV layout (:func:`write_csv`): UTF-8 with a byte-order mark (so that Excel shows accents;
pandas and ``csv`` with ``utf-8-sig`` drop it), comma separated, ``.`` decimals, one header row
and no comment lines, CRLF line ends (RFC 4180), fields quoted only where needed. A synthetic
session has ``synthetic`` = ``true`` on every row, so a table copied elsewhere still says so.
``--what all`` writes the events to ``OUT`` and the phases and metrics beside it as
``<OUT stem>_phases.csv`` and ``<OUT stem>_metrics.csv``; the files are replaced together only
when all of them were written.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from footcoach.analysis.metrics import MetricsRow
from footcoach.app.reviewed import ReviewedSession, load_reviewed
from footcoach.domain.events import Event
from footcoach.domain.session import Player
from footcoach.errors import FootcoachError
from footcoach.export.output import atomic_output, check_output, describe_os_error

WHATS = ("events", "phases", "metrics", "all")
MODALITIES = ("video", "imu", "position")

EVENT_COLUMNS = ("id", "player_id", "player_name", "player_number", "team", "start_s", "end_s",
                 "duration_s", "action", "tactic", "quality", "confidence", "attention_video",
                 "attention_imu", "attention_position", "source", "synthetic")
PHASE_COLUMNS = ("team", "start_s", "end_s", "duration_s", "tactic", "confidence", "n_players",
                 "synthetic")
METRICS_COLUMNS = ("player", "player_name", "player_number", "team",
                   *(f.name for f in fields(MetricsRow) if f.name != "player"), "synthetic")

# Decimals of CSV cells (JSON keeps full precision): ms for times, 0.01 points for quality.
_CSV_DECIMALS = {"start_s": 3, "end_s": 3, "duration_s": 3, "quality": 2, "confidence": 4,
                 "attention_video": 4, "attention_imu": 4, "attention_position": 4,
                 "duration_min": 3}
_METRICS_DECIMALS = 3
UTF8_BOM = b"\xef\xbb\xbf"


def parts(what: str) -> tuple[str, ...]:
    """The tables ``what`` names: ``"all"`` -> events, phases, metrics."""
    if what not in WHATS:
        raise FootcoachError(f"unknown --what {what!r} (expected one of {', '.join(WHATS)})")
    return ("events", "phases", "metrics") if what == "all" else (what,)


@dataclass
class ExportData:
    """Everything an export may write: the reviewed session and, when asked for, its metrics
    (``metrics`` None when not asked for or not computable; ``warnings`` says why).
    ``data_warnings``: what reading the streams for the metrics noticed (gaps, dropouts)."""

    reviewed: ReviewedSession
    what: tuple[str, ...]
    metrics: list[MetricsRow] | None = None
    warnings: list[str] = field(default_factory=list)
    data_warnings: list[str] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        return self.reviewed.synthetic

    def players(self) -> dict[str, Player]:
        return {p.id: p for p in self.reviewed.session.players}


@dataclass
class ExportSummary:
    """What an export wrote: ``paths``, row ``counts`` per table, ``warnings`` about the
    export and ``data_warnings`` about the streams read for the metrics."""

    paths: list[Path]
    counts: dict[str, int]
    synthetic: bool
    warnings: list[str] = field(default_factory=list)
    data_warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the CLI, e.g. ``352 events, 27 phases (synthetic session) -> out.json``."""
        what = ", ".join(f"{n} {k}" for k, n in self.counts.items())
        note = " (synthetic session)" if self.synthetic else ""
        return f"wrote {what}{note} to {', '.join(str(p) for p in self.paths)}"


def load_export_data(folder: str | Path, what: str = "events", *,
                     metrics: bool = True) -> ExportData:
    """Read what ``what`` needs from a session folder (``metrics=False``: leave the metrics
    out of ``all``, for formats that cannot hold them).

    Events need an analysis or coach annotations (FootcoachError telling to run
    ``footcoach analyze`` otherwise); phases need an analysis. ``metrics`` alone raises when the
    metrics cannot be computed; with ``all`` that becomes a warning and ``metrics`` stays None.
    """
    want = parts(what)
    if not metrics and what == "all":
        want = ("events", "phases")
    reviewed = load_reviewed(folder, require_events="events" in want)
    data = ExportData(reviewed, want)
    if "phases" in want and reviewed.result is None:
        if what == "phases":
            raise FootcoachError("the session has no analysis, so no team phases: run "
                                 f"`footcoach analyze {reviewed.folder}` first", reviewed.folder)
        data.warnings.append("no analysis: the team phases are empty")
    if reviewed.stale_corrections:
        ids = ", ".join(reviewed.stale_corrections[:5])
        data.warnings.append(f"{len(reviewed.stale_corrections)} coach corrections refer to "
                             f"events the current analysis no longer has ({ids})")
    if "metrics" in want:
        from footcoach.app.metrics import session_metrics

        try:
            table = session_metrics(folder)
        except FootcoachError as exc:
            if what == "metrics":
                raise
            data.warnings.append(f"metrics left out: {exc}")
        else:
            data.metrics = table.rows
            data.data_warnings.extend(table.warnings)
    return data


# ------------------------------------------------------------------------------- rows
def _player_cells(player: Player | None) -> tuple[str, int | None, str]:
    if player is None:
        return "", None, ""
    return player.name, player.number, player.team


def event_row(event: Event, player: Player | None, synthetic: bool) -> dict[str, Any]:
    """One event as a flat row keyed by :data:`EVENT_COLUMNS` (full precision)."""
    name, number, team = _player_cells(player)
    att = event.modality_attention
    return {
        "id": event.id, "player_id": event.player_id, "player_name": name,
        "player_number": number, "team": team, "start_s": event.start_s, "end_s": event.end_s,
        "duration_s": event.end_s - event.start_s, "action": event.action.label,
        "tactic": event.tactic.label if event.tactic is not None else None,
        "quality": event.quality, "confidence": event.confidence,
        **{f"attention_{m}": att.get(m) for m in MODALITIES},
        "source": event.source, "synthetic": synthetic,
    }


def event_rows(data: ExportData) -> list[dict[str, Any]]:
    """The reviewed events as rows (sorted by start, then player)."""
    players = data.players()
    return [event_row(e, players.get(e.player_id), data.synthetic)
            for e in data.reviewed.events]


def phase_rows(data: ExportData) -> list[dict[str, Any]]:
    """The analysis' team tactic phases as rows keyed by :data:`PHASE_COLUMNS` (by start)."""
    result = data.reviewed.result
    phases = sorted(result.phases, key=lambda p: (p.start_s, p.team)) if result else []
    return [{"team": p.team, "start_s": p.start_s, "end_s": p.end_s,
             "duration_s": p.end_s - p.start_s, "tactic": p.tactic.label,
             "confidence": p.confidence, "n_players": p.n_players,
             "synthetic": data.synthetic} for p in phases]


def metrics_rows(data: ExportData) -> list[dict[str, Any]]:
    """The metrics rows keyed by :data:`METRICS_COLUMNS` (NaN -> None)."""
    players = data.players()
    out = []
    for r in data.metrics or []:
        name, number, team = _player_cells(players.get(r.player))
        row: dict[str, Any] = {"player": r.player, "player_name": name,
                               "player_number": number, "team": team}
        for f in fields(MetricsRow):
            v = getattr(r, f.name)
            if f.name != "player":
                row[f.name] = None if isinstance(v, float) and not math.isfinite(v) else v
        row["synthetic"] = data.synthetic
        out.append(row)
    return out


# -------------------------------------------------------------------------------- CSV
def _cell(key: str, value: Any) -> str:
    """A CSV cell: '' for None, 'true'/'false', floats rounded (``.`` decimals, no exponent)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        decimals = _CSV_DECIMALS.get(key, _METRICS_DECIMALS)
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)


def rows_to_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """CSV text (header + rows, CRLF line ends) of ``rows`` keyed by ``columns``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(c, row.get(c)) for c in columns])
    return buf.getvalue()


def csv_targets(out: str | Path, what: str) -> dict[str, Path]:
    """Where each table goes: ``out`` for one table; for ``all`` the events in ``out`` and
    ``<stem>_phases.csv``, ``<stem>_metrics.csv`` beside it."""
    out = Path(out)
    want = parts(what)
    if len(want) == 1:
        return {want[0]: out}
    return {"events": out, "phases": out.with_name(f"{out.stem}_phases.csv"),
            "metrics": out.with_name(f"{out.stem}_metrics.csv")}


def table_rows(data: ExportData) -> dict[str, tuple[Sequence[str], list[dict[str, Any]]]]:
    """``{table: (columns, rows)}`` of each table in ``data.what`` (metrics left out when
    they could not be computed)."""
    tables: dict[str, tuple[Sequence[str], list[dict[str, Any]]]] = {}
    if "events" in data.what:
        tables["events"] = (EVENT_COLUMNS, event_rows(data))
    if "phases" in data.what:
        tables["phases"] = (PHASE_COLUMNS, phase_rows(data))
    if "metrics" in data.what and data.metrics is not None:
        tables["metrics"] = (METRICS_COLUMNS, metrics_rows(data))
    return tables


def write_csv(folder: str | Path, out: str | Path, *, what: str = "events",
              force: bool = False) -> ExportSummary:
    """Write the session's ``what`` tables as CSV (layout in the module docstring).

    Every target is checked before any work (exists without ``force``, unwritable folder); the
    files are written to temporary files and all renamed into place only when every one was
    written, so a full disk leaves the old files as they were.
    """
    targets = csv_targets(out, what)
    for path in targets.values():
        check_output(path, force=force)
    data = load_export_data(folder, what)
    tables = table_rows(data)
    written = {k: targets[k] for k in tables}
    with ExitStack() as stack:
        for key, path in written.items():
            tmp = stack.enter_context(atomic_output(path, force=force))
            text = rows_to_csv(*tables[key])
            write_file(tmp, path, UTF8_BOM + text.encode("utf-8"))
    counts = {k: len(rows) for k, (_, rows) in tables.items()}
    return ExportSummary(list(written.values()), counts, data.synthetic, data.warnings,
                         data.data_warnings)


def write_file(tmp: Path, target: Path, data: bytes) -> None:
    """Write ``data`` to ``tmp``, the temporary file of ``target`` (OSError ->
    FootcoachError naming ``target``)."""
    try:
        tmp.write_bytes(data)
    except OSError as exc:
        raise FootcoachError(f"cannot write: {describe_os_error(exc)}", target) from None
