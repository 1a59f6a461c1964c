"""The analysis result and its cache beside the session.

Layout: ``SESSION/analysis/<key>/result.json`` (events, team phases, model and settings, input
fingerprint) and ``SESSION/analysis/<key>/steps.npz`` (per-step arrays for the timeline, the
events' time-attention profiles). Both are written atomically, the arrays first: a folder
without ``result.json`` is not a result (a crash or a cancel leaves no partial cache).

The key (:func:`cache_key`) is a hash of the model's weights sha256, the engine-independent
settings (window spec, event settings, format version) and the session's input files (path,
size, sampled content digest): editing a file or swapping the model makes a new key, copying
the session folder elsewhere does not; the engine, device and batch size do not either (both
engines give the same events).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.analysis.events import TeamPhase
from footcoach.domain.events import Event
from footcoach.domain.session import Session
from footcoach.errors import FootcoachError
from footcoach.io.manifest import MANIFEST, atomic_write_bytes, read_manifest

ANALYSIS_DIR = "analysis"
RESULT_JSON = "result.json"
STEPS_NPZ = "steps.npz"
SCHEMA_VERSION = 2
"""2 (session 15): the players' tactic probabilities include the team tactic model and the
result may hold the team model's own (``team_tactic_*`` arrays); version-1 caches are
recomputed."""
FORMAT = "footcoach-analysis"


@dataclass
class StepPredictions:
    """Per-step model outputs of P players on the session's N steps (one row per centre step).

    ``t`` (N,) prediction time of each row, session seconds (the centre of the window that
    made it); ``action_probs`` (P, N, 12), ``tactic_probs`` (P, N, 8) softmax probabilities,
    ``quality`` (P, N) points 0-100, ``modality_attention`` (P, N, 3) (video, imu, position),
    ``time_attention`` (P, N, W) the window's weights over its W steps; all float32, NaN where
    ``valid`` (P, N) bool is False (no window centred there, or too little data in it).
    """

    player_ids: list[str]
    t: np.ndarray
    action_probs: np.ndarray
    tactic_probs: np.ndarray
    quality: np.ndarray
    modality_attention: np.ndarray
    time_attention: np.ndarray
    valid: np.ndarray

    ARRAYS = ("t", "action_probs", "tactic_probs", "quality", "modality_attention",
              "time_attention", "valid")

    def player(self, player_id: str) -> dict[str, np.ndarray]:
        """The arrays of one player (``t`` shared)."""
        p = self.player_ids.index(player_id)
        return {k: (self.t if k == "t" else getattr(self, k)[p]) for k in self.ARRAYS}


@dataclass
class AnalysisResult:
    """Everything one analysis produced (saved by :func:`save_result`).

    ``events`` sorted by (player order, start); ``phases`` team tactic phases;
    ``time_attention[event_id]`` (T,) profile over the event; ``steps`` the per-step arrays;
    ``model`` (sha256, json path, config summary); ``settings`` the engine-independent
    settings of the key; ``run`` how it was computed (engine, device, timings); ``inputs`` the
    input fingerprint (:func:`input_fingerprint`); ``key`` the
    cache key; ``path`` the cache folder (None when not saved); ``from_cache`` whether it was
    read from the cache; ``team_tactic_probs`` team -> (N, 8) the team tactic model's
    probabilities at the step times (empty without a team model).
    """

    session_name: str
    events: list[Event]
    phases: list[TeamPhase]
    time_attention: dict[str, np.ndarray]
    steps: StepPredictions
    teams: dict[str, str]
    time_range: tuple[float, float]
    model: dict[str, Any]
    settings: dict[str, Any]
    run: dict[str, Any] = field(default_factory=dict)
    inputs: list[list[Any]] = field(default_factory=list)
    key: str = ""
    path: Path | None = None
    from_cache: bool = False
    team_tactic_probs: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def model_sha256(self) -> str:
        return str(self.model.get("sha256", ""))

    def to_json_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "schema_version": SCHEMA_VERSION, "key": self.key,
                "session": self.session_name, "time_range": list(self.time_range),
                "teams": self.teams, "model": self.model, "settings": self.settings,
                "run": self.run, "inputs": self.inputs,
                "events": [e.to_dict() for e in self.events],
                "phases": [p.to_dict() for p in self.phases]}


# ------------------------------------------------------------------------------ the key
def input_files(session: Session) -> list[Path]:
    """The files a session's analysis reads: the manifest, every player's IMU/GPS file, the
    video and the tracking files (those that exist)."""
    paths = [session.root / MANIFEST]
    for p in session.players:
        paths += [session.path(f) for f in (p.imu, p.gps) if f]
    if session.video is not None:
        paths.append(session.path(session.video.file))
    if session.tracking is not None:
        paths += [session.path(f) for f in session.tracking.files.values()]
    return paths


SAMPLE_BYTES = 1 << 20
"""Bytes hashed at the start, middle and end of each input file for its fingerprint."""


def content_digest(path: Path, sample: int = SAMPLE_BYTES) -> str:
    """16 hex digits of BLAKE2b over a file's size and content: all of it up to 3 x ``sample``
    bytes, else its first, middle and last ``sample`` bytes (so a 5 GB video costs 3 MiB of
    reading). Copies of a session keep their digests; edits change them (an in-place edit
    that keeps the size and touches only unsampled bytes would not; that is the trade-off
    for an instant cache check)."""
    h = hashlib.blake2b(digest_size=8)
    size = path.stat().st_size
    h.update(str(size).encode())
    with open(path, "rb") as fh:
        if size <= 3 * sample:
            h.update(fh.read())
        else:
            for offset in (0, (size - sample) // 2, size - sample):
                fh.seek(offset)
                h.update(fh.read(sample))
    return h.hexdigest()


def input_fingerprint(session: Session) -> list[list[Any]]:
    """``[relative path, size bytes, content digest]`` of each input file (missing: size -1,
    digest ""); see :func:`content_digest`."""
    out: list[list[Any]] = []
    for path in input_files(session):
        try:
            size, digest = path.stat().st_size, content_digest(path)
        except OSError:
            size, digest = -1, ""
        try:
            name = str(path.relative_to(session.root))
        except ValueError:
            name = str(path)
        out.append([name, size, digest])
    return out


def cache_key(model_sha256: str, settings: dict[str, Any], fingerprint: list[list[Any]]
              ) -> str:
    """16 hex digits of SHA-256 over the model hash, the settings and the input fingerprint."""
    doc = json.dumps({"model": model_sha256, "settings": settings, "inputs": fingerprint,
                      "schema": SCHEMA_VERSION}, sort_keys=True)
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()[:16]


def sensor_warnings(run: dict[str, Any]) -> list[str]:
    """The sentences about the session's sensors in a result's ``run`` (``vest_warnings`` in
    the caches of footcoach before sensor faults were looked for)."""
    return [str(w) for w in run.get("sensor_warnings", run.get("vest_warnings", []))]


def cache_dir(folder: str | Path, key: str) -> Path:
    return Path(folder) / ANALYSIS_DIR / key


# --------------------------------------------------------------------------- save / load
def save_result(result: AnalysisResult, folder: str | Path) -> Path:
    """Write ``result`` under ``folder/analysis/<result.key>/`` (arrays first, then the JSON);
    returns the cache folder and sets ``result.path``."""
    out = cache_dir(folder, result.key)
    out.mkdir(parents=True, exist_ok=True)
    s = result.steps
    arrays: dict[str, np.ndarray] = {k: getattr(s, k) for k in StepPredictions.ARRAYS}
    ids = list(result.time_attention)
    profiles = [np.asarray(result.time_attention[i], np.float32) for i in ids]
    arrays["profile_values"] = (np.concatenate(profiles) if profiles
                                else np.zeros(0, np.float32))
    arrays["profile_offsets"] = np.cumsum([0, *(p.size for p in profiles)]).astype(np.int64)
    team_names = sorted(result.team_tactic_probs)
    for i, team in enumerate(team_names):
        arrays[f"team_tactic_{i}"] = np.asarray(result.team_tactic_probs[team], np.float32)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    atomic_write_bytes(out / STEPS_NPZ, buf.getvalue())
    doc = result.to_json_dict()
    doc["player_ids"] = list(s.player_ids)
    doc["profile_ids"] = ids
    doc["team_tactic_teams"] = team_names
    text = json.dumps(doc, indent=1, allow_nan=False, default=_json_default)
    atomic_write_bytes(out / RESULT_JSON, (text + "\n").encode("utf-8"))
    result.path = out
    return out


def _json_default(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def load_result(path: str | Path) -> AnalysisResult:
    """Read a cache folder written by :func:`save_result` (FootcoachError when unreadable)."""
    out = Path(path)
    js = out / RESULT_JSON
    try:
        doc = json.loads(js.read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT or doc.get("schema_version") != SCHEMA_VERSION:
            raise ValueError("not a footcoach analysis of this schema version")
        with np.load(out / STEPS_NPZ) as z:
            arrays = {k: z[k] for k in z.files}
        steps = StepPredictions(player_ids=list(doc["player_ids"]),
                                **{k: arrays[k] for k in StepPredictions.ARRAYS})
        offs = arrays["profile_offsets"]
        profiles = {pid: arrays["profile_values"][offs[i]:offs[i + 1]].astype(np.float64)
                    for i, pid in enumerate(doc["profile_ids"])}
        return AnalysisResult(
            session_name=str(doc["session"]), events=[Event.from_dict(e) for e in doc["events"]],
            phases=[TeamPhase.from_dict(p) for p in doc["phases"]], time_attention=profiles,
            steps=steps, teams={str(k): str(v) for k, v in doc["teams"].items()},
            time_range=(float(doc["time_range"][0]), float(doc["time_range"][1])),
            model=dict(doc["model"]), settings=dict(doc["settings"]), run=dict(doc["run"]),
            inputs=list(doc.get("inputs") or []), key=str(doc["key"]), path=out, from_cache=True,
            team_tactic_probs={str(team): arrays[f"team_tactic_{i}"]
                               for i, team in enumerate(doc.get("team_tactic_teams") or [])})
    except FootcoachError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise FootcoachError(f"cannot read the cached analysis: {exc}", js) from None


def find_cached(folder: str | Path, key: str) -> AnalysisResult | None:
    """The cached result with ``key``, or None (also when it cannot be read)."""
    out = cache_dir(folder, key)
    if not (out / RESULT_JSON).is_file():
        return None
    try:
        return load_result(out)
    except FootcoachError:
        return None


def load_cached_result(folder: str | Path) -> AnalysisResult | None:
    """The newest cached analysis of a session whose input files are unchanged (for the GUI;
    whatever model made it), or None."""
    root = Path(folder) / ANALYSIS_DIR
    if not root.is_dir():
        return None
    try:
        current = input_fingerprint(read_manifest(folder))
    except FootcoachError:
        return None
    found = sorted(root.glob(f"*/{RESULT_JSON}"), key=lambda p: p.stat().st_mtime,
                   reverse=True)
    for js in found:
        try:
            doc = json.loads(js.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if doc.get("inputs") == current:
            try:
                return load_result(js.parent)
            except FootcoachError:
                continue
    return None
