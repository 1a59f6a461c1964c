"""JSON export: one document with the session, its reviewed events, team phases and metrics.

Schema (``schema_version`` 1; times in seconds on the session clock, ``null`` = missing)::

    {
      "format": "footcoach-export",
      "schema_version": 1,
      "generator": "footcoach 0.x",
      "exported_utc": "2024-03-08T18:00:00+00:00",
      "contents": ["events", "phases", "metrics"],    # which of the three lists are present
      "session": {
        "name": str, "date": str, "synthetic": bool, "notes": str,
        "clock_epoch_s": float | null,             # Unix time of session t = 0, when known
        "video": {"file": str, "start_s": float} | null,  # first frame on the session clock
        "time_range_s": [float, float] | null,     # analysed span (else the events' span)
        "players": [{"id": str, "name": str, "number": int | null, "team": str}]
      },
      "analysis": {                                # null when never analysed
        "key": str, "time_range_s": [float, float], "engine": str | null,
        "model": {"name": str, "sha256": str, "ablation": str | null,
                  "modalities": [str],
                  "team_model_sha256": str | null   # the team tactic model, if one was used
                  }
      } | null,
      "corrections": {"edited": int, "added": int, "deleted": int, "stale": [event id]},
      "events": [{                                 # sorted by start, then player
        "id": str, "player_id": str, "player_name": str, "player_number": int | null,
        "team": str, "start_s": float, "end_s": float, "duration_s": float,
        "action": str,                             # one of the 12 action labels
        "tactic": str | null,                      # one of the 8 tactic labels
        "quality": float | null,                   # 0-100 points
        "confidence": float,                       # 0-1 (1 for a coach's event)
        "modality_attention": {"video": float, "imu": float, "position": float},
        "source": "model" | "coach"
      }],
      "phases": [{"team": str, "start_s": float, "end_s": float, "duration_s": float,
                  "tactic": str, "confidence": float, "n_players": int}],
      "metrics": [{"player": str, "player_name": str, "player_number": int | null,
                   "team": str, "period": str, "start_s": float, "end_s": float,
                   "duration_min": float, "distance_m": float | null, ...}] | null,
      "warnings": [str],                           # about this export
      "data_warnings": [str]                       # gaps, dropouts met computing the metrics
    }

``events`` items are also read back by :meth:`footcoach.domain.events.Event.from_dict`
(:func:`read_export_events`). ``metrics`` holds every field of
:class:`footcoach.analysis.metrics.MetricsRow` (metres, m/s, counts, PlayerLoad units) and is
``null`` when the metrics could not be computed (``warnings`` says why). A list that was not
asked for (``--what``) is absent and not named in ``contents``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from footcoach import __version__
from footcoach.domain.events import Event
from footcoach.errors import FootcoachError
from footcoach.export.output import check_output, write_text
from footcoach.export.tables import (
    ExportData,
    ExportSummary,
    event_rows,
    load_export_data,
    metrics_rows,
    phase_rows,
)

FORMAT = "footcoach-export"
SCHEMA_VERSION = 1


def session_info(data: ExportData) -> dict[str, Any]:
    """The ``session`` object of the schema."""
    s = data.reviewed.session
    result = data.reviewed.result
    span: list[float] | None = None
    if result is not None:
        span = [float(result.time_range[0]), float(result.time_range[1])]
    elif data.reviewed.events:
        span = [min(e.start_s for e in data.reviewed.events),
                max(e.end_s for e in data.reviewed.events)]
    return {
        "name": s.name, "date": s.date, "synthetic": bool(s.synthetic), "notes": s.notes,
        "clock_epoch_s": s.clock_epoch_s,
        "video": ({"file": s.video.file, "start_s": s.video.start_s}
                  if s.video is not None else None),
        "time_range_s": span,
        "players": [{"id": p.id, "name": p.name, "number": p.number, "team": p.team}
                    for p in s.players],
    }


def analysis_info(data: ExportData) -> dict[str, Any] | None:
    """The ``analysis`` object of the schema (None when the session has no analysis)."""
    result = data.reviewed.result
    if result is None:
        return None
    model = result.model
    name = model.get("name") or (Path(str(model["json"])).stem if model.get("json") else "")
    return {
        "key": result.key, "time_range_s": [float(x) for x in result.time_range],
        "engine": result.run.get("engine"),
        "model": {"name": str(name), "sha256": result.model_sha256,
                  "ablation": model.get("ablation"),
                  "modalities": list(model.get("modalities") or []),
                  "team_model_sha256": (str(model["team_model"]["sha256"])
                                        if model.get("team_model") else None)},
    }


def export_document(data: ExportData, *, exported_utc: str | None = None) -> dict[str, Any]:
    """The whole JSON document (a dict of JSON types) of ``data``."""
    c = data.reviewed.corrections
    doc: dict[str, Any] = {
        "format": FORMAT, "schema_version": SCHEMA_VERSION,
        "generator": f"footcoach {__version__}",
        "exported_utc": exported_utc or datetime.now(UTC).isoformat(timespec="seconds"),
        "contents": list(data.what),
        "session": session_info(data),
        "analysis": analysis_info(data),
        "corrections": {"edited": len(c.edited), "added": len(c.added),
                        "deleted": len(c.deleted),
                        "stale": list(data.reviewed.stale_corrections)},
    }
    if "events" in data.what:
        doc["events"] = [_json_event(row, e) for row, e in
                         zip(event_rows(data), data.reviewed.events, strict=True)]
    if "phases" in data.what:
        doc["phases"] = [_without_flag(r) for r in phase_rows(data)]
    if "metrics" in data.what:
        doc["metrics"] = (None if data.metrics is None
                          else [_without_flag(r) for r in metrics_rows(data)])
    doc["warnings"] = list(data.warnings)
    doc["data_warnings"] = list(data.data_warnings)
    return doc


def _without_flag(row: dict[str, Any]) -> dict[str, Any]:
    """A row without its per-row ``synthetic`` flag (the session object holds it)."""
    return {k: v for k, v in row.items() if k != "synthetic"}


def _json_event(row: dict[str, Any], event: Event) -> dict[str, Any]:
    keys = ("id", "player_id", "player_name", "player_number", "team", "start_s", "end_s",
            "duration_s", "action", "tactic", "quality", "confidence")
    out = {k: row[k] for k in keys}
    out["modality_attention"] = dict(event.modality_attention)
    out["source"] = event.source
    return out


def to_json_text(doc: dict[str, Any]) -> str:
    """The document as indented UTF-8 JSON text (NaN is refused: missing values are null)."""
    try:
        return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError as exc:  # a NaN slipped through: a bug, but say where
        raise FootcoachError(f"cannot write the JSON export: {exc}") from None


def write_json(folder: str | Path, out: str | Path, *, what: str = "all",
               force: bool = False) -> ExportSummary:
    """Write the JSON export of ``folder`` to ``out`` (atomically; never over an existing
    file without ``force``)."""
    check_output(out, force=force)
    data = load_export_data(folder, what)
    doc = export_document(data)
    path = write_text(out, to_json_text(doc), force=force)
    counts = {k: len(doc[k]) for k in ("events", "phases", "metrics")
              if isinstance(doc.get(k), list)}
    return ExportSummary([path], counts, data.synthetic, data.warnings, data.data_warnings)


def read_export(path: str | Path) -> dict[str, Any]:
    """Read a JSON export back (FootcoachError when it is not one this version understands)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FootcoachError(f"cannot read: {exc}", path) from None
    except json.JSONDecodeError as exc:
        raise FootcoachError(f"invalid JSON: {exc.msg}", path, f"line {exc.lineno}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FootcoachError(f"not a footcoach export (format must be {FORMAT!r})", path)
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise FootcoachError(f"schema_version {doc.get('schema_version')!r} is not "
                             f"{SCHEMA_VERSION}", path)
    return doc


def read_export_events(path: str | Path) -> list[Event]:
    """The events of a JSON export as :class:`Event` objects."""
    doc = read_export(path)
    out = []
    for i, item in enumerate(doc.get("events") or []):
        try:
            out.append(Event.from_dict(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FootcoachError(f"bad event: {exc}", path, f"events[{i}]") from None
    return out
