"""Ground truth of a synthetic session: ``labels.json`` (written atomically, read back with
clear errors).

Layout (``schema`` ``footcoach-synthetic-labels``, ``schema_version`` 1)::

    {"schema", "schema_version", "synthetic": true, "seed", "duration_s", "epoch_ms",
     "quality_formulas": "footcoach.synth.quality",
     "players": [{"id", "name", "team", "number", "max_speed_mps", "max_accel_mps2",
                  "max_decel_mps2", "jump_height_m", "kick_speed_mps", "skill"}],
     "clock_offsets": [{"player_id", "imu_s", "gps_s"}],
     "drills": [{"name", "start_s", "end_s"}],
     "actions": [{"player_id", "start_s", "end_s", "action", "quality", "params": {...}}],
     "tactics": [{"team", "start_s", "end_s", "tactic"}],
     "ball": {"rate_hz", "start_s", "x": [...], "y": [...], "z": [...]}}

``ball`` is the simulated ball's centre at the world's 25 Hz (metres on the pitch, z up,
``null`` while out of play): the exact track, as an optical tracking provider would give it
without its errors. The dataset builder uses it for the ball context features.

Times are seconds on the session clock (the GPS clock; the video's first frame is at 0).
``imu_s`` is the vest clock minus the session clock: the true ``Player.imu_offset_s`` of the
manifest is ``-imu_s``. Action segments of a player tile the session without gaps or overlaps;
so do the tactic segments of a team. Labels are the paper's names (``Action.label``,
``Tactic.label``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.domain.labels import Action, Tactic
from footcoach.errors import FootcoachError
from footcoach.io.manifest import atomic_write_text

LABELS_FILE = "labels.json"
SCHEMA = "footcoach-synthetic-labels"
SCHEMA_VERSION = 1


@dataclass
class ActionSegment:
    player_id: str
    start_s: float
    end_s: float
    action: Action
    quality: float
    params: dict[str, float] = field(default_factory=dict)


@dataclass
class TacticSegment:
    team: str
    start_s: float
    end_s: float
    tactic: Tactic


@dataclass
class DrillSegment:
    name: str
    start_s: float
    end_s: float


@dataclass
class ClockOffset:
    """True clock offsets of one player's devices: device clock minus session clock, s."""

    player_id: str
    imu_s: float
    gps_s: float = 0.0


@dataclass
class SessionLabels:
    """Everything ``labels.json`` holds (see the module docstring)."""

    seed: int
    duration_s: float
    epoch_ms: int
    players: list[dict[str, Any]]
    clock_offsets: list[ClockOffset]
    drills: list[DrillSegment]
    actions: list[ActionSegment]
    tactics: list[TacticSegment]
    synthetic: bool = True
    ball_xyz: np.ndarray | None = None
    """(N, 3) ball centre (pitch metres, z up) at ``ball_rate_hz`` from t = 0; NaN out of play."""
    ball_rate_hz: float = 25.0

    def actions_for(self, player_id: str) -> list[ActionSegment]:
        return [a for a in self.actions if a.player_id == player_id]

    def action_at(self, player_id: str, t_s: float) -> ActionSegment | None:
        """The segment of ``player_id`` with ``start_s <= t_s < end_s``."""
        for a in self.actions:
            if a.player_id == player_id and a.start_s <= t_s < a.end_s:
                return a
        return None

    def tactic_at(self, team: str, t_s: float) -> Tactic | None:
        for s in self.tactics:
            if s.team == team and s.start_s <= t_s < s.end_s:
                return s.tactic
        return None

    def offset(self, player_id: str) -> ClockOffset:
        for c in self.clock_offsets:
            if c.player_id == player_id:
                return c
        raise KeyError(player_id)


def _r(x: float, nd: int = 3) -> float:
    return float(round(float(x), nd))


def labels_to_dict(lab: SessionLabels) -> dict[str, Any]:
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "synthetic": lab.synthetic,
        "seed": lab.seed, "duration_s": _r(lab.duration_s), "epoch_ms": int(lab.epoch_ms),
        "quality_formulas": "footcoach.synth.quality",
        "players": lab.players,
        "clock_offsets": [{"player_id": c.player_id, "imu_s": _r(c.imu_s), "gps_s": _r(c.gps_s)}
                          for c in lab.clock_offsets],
        "drills": [{"name": d.name, "start_s": _r(d.start_s), "end_s": _r(d.end_s)}
                   for d in lab.drills],
        "actions": [{"player_id": a.player_id, "start_s": _r(a.start_s), "end_s": _r(a.end_s),
                     "action": a.action.label, "quality": _r(a.quality, 1),
                     "params": {k: _r(v) for k, v in sorted(a.params.items())}}
                    for a in lab.actions],
        "tactics": [{"team": s.team, "start_s": _r(s.start_s), "end_s": _r(s.end_s),
                     "tactic": s.tactic.label} for s in lab.tactics],
        **({"ball": _ball_doc(lab.ball_xyz, lab.ball_rate_hz)} if lab.ball_xyz is not None
           else {}),
    }


def _ball_doc(xyz: np.ndarray, rate_hz: float) -> dict[str, Any]:
    """The ``"ball"`` entry: centimetre-rounded x, y, z lists, ``null`` out of play."""
    xyz = np.asarray(xyz, np.float64).reshape(-1, 3)
    cols = {}
    for k, name in enumerate(("x", "y", "z")):
        c = np.round(xyz[:, k], 2)
        cols[name] = [None if not np.isfinite(v) else float(v) for v in c]
    return {"rate_hz": float(rate_hz), "start_s": 0.0, **cols}


def write_labels(path: str | Path, lab: SessionLabels) -> Path:
    """Write ``labels.json`` atomically; returns its path."""
    path = Path(path)
    if path.is_dir():
        path = path / LABELS_FILE
    text = json.dumps(labels_to_dict(lab), indent=1, ensure_ascii=False)
    atomic_write_text(path, text + "\n")
    return path


def read_labels(path: str | Path) -> SessionLabels:
    """Read ``labels.json`` (a file or a session folder). Raises FootcoachError naming the
    file and the entry on anything malformed."""
    path = Path(path)
    if path.is_dir():
        path = path / LABELS_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FootcoachError("no labels file", path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FootcoachError(f"invalid JSON: {exc}", path) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise FootcoachError(f"not a footcoach labels file (schema != {SCHEMA!r})", path)
    if int(doc.get("schema_version", 0)) > SCHEMA_VERSION:
        raise FootcoachError(f"schema_version {doc['schema_version']} is newer than this "
                             "footcoach understands", path)
    where = "header"
    try:
        clocks = []
        for k, c in enumerate(doc.get("clock_offsets", [])):
            where = f"clock_offsets[{k}]"
            clocks.append(ClockOffset(str(c["player_id"]), float(c["imu_s"]),
                                      float(c.get("gps_s", 0.0))))
        drills = []
        for k, d in enumerate(doc.get("drills", [])):
            where = f"drills[{k}]"
            drills.append(DrillSegment(str(d["name"]), float(d["start_s"]), float(d["end_s"])))
        actions = []
        for k, a in enumerate(doc.get("actions", [])):
            where = f"actions[{k}]"
            actions.append(ActionSegment(str(a["player_id"]), float(a["start_s"]),
                                         float(a["end_s"]), Action.parse(str(a["action"])),
                                         float(a["quality"]),
                                         {str(n): float(v)
                                          for n, v in a.get("params", {}).items()}))
        tactics = []
        for k, s in enumerate(doc.get("tactics", [])):
            where = f"tactics[{k}]"
            tactics.append(TacticSegment(str(s["team"]), float(s["start_s"]), float(s["end_s"]),
                                         Tactic.parse(str(s["tactic"]))))
        where = "ball"
        ball = doc.get("ball")
        ball_xyz = (np.array([[np.nan if v is None else float(v) for v in ball[c]]
                              for c in ("x", "y", "z")], np.float64).T
                    if ball is not None else None)
        where = "header"
        return SessionLabels(seed=int(doc.get("seed", 0)), duration_s=float(doc["duration_s"]),
                             epoch_ms=int(doc.get("epoch_ms", 0)),
                             players=list(doc.get("players", [])), clock_offsets=clocks,
                             drills=drills, actions=actions, tactics=tactics,
                             synthetic=bool(doc.get("synthetic", True)), ball_xyz=ball_xyz,
                             ball_rate_hz=float(ball["rate_hz"]) if ball is not None else 25.0)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FootcoachError(f"bad entry: {exc}", path, where) from None
