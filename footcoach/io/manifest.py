"""Read and write ``session.toml`` (the session folder's manifest)."""

from __future__ import annotations

import math
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.pitch import Pitch
from footcoach.domain.session import Player, Session, TrackingRef, VideoRef
from footcoach.errors import FootcoachError

MANIFEST = "session.toml"
FORMAT_NAME = "footcoach-session"
FORMAT_VERSION = 1


def read_manifest(folder: str | Path, *, check_files: bool = True) -> Session:
    """Parse ``folder/session.toml`` into a :class:`Session`.

    Raises FootcoachError naming the manifest and the key when it is unreadable or names a file
    that does not exist (``check_files``).
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if folder.is_file() and folder.name == MANIFEST:
        path, folder = folder, folder.parent
    if not path.is_file():
        raise FootcoachError("not a session folder (no session.toml)", folder)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FootcoachError(f"invalid TOML: {exc}", path) from None
    try:
        session = _session_from_doc(doc, folder)
    except (KeyError, TypeError, ValueError) as exc:
        raise FootcoachError(f"bad manifest entry: {exc}", path) from None
    if check_files:
        for key, rel in _named_files(session):
            if not session.path(rel).is_file():
                raise FootcoachError(f"{key} names a missing file {rel!r}", path)
    return session


def write_manifest(session: Session, folder: str | Path | None = None) -> Path:
    """Write the manifest atomically (temp file + rename) and return its path."""
    folder = Path(folder) if folder is not None else session.root
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    atomic_write_text(path, tomli_w.dumps(_doc_from_session(session)))
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); keep an existing file's mode, else rw-r--r--
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _named_files(session: Session) -> list[tuple[str, str]]:
    files: list[tuple[str, str]] = []
    if session.video is not None:
        files.append(("video.file", session.video.file))
    for p in session.players:
        if p.imu:
            files.append((f"players[{p.id}].imu", p.imu))
        if p.gps:
            files.append((f"players[{p.id}].gps", p.gps))
    if session.tracking is not None:
        files.extend((f"tracking.files.{k}", v) for k, v in session.tracking.files.items())
    return files


def _session_from_doc(doc: dict[str, Any], folder: Path) -> Session:
    fmt = doc.get("format", FORMAT_NAME)
    if fmt != FORMAT_NAME:
        raise ValueError(f"format is {fmt!r}, expected {FORMAT_NAME!r}")
    if int(doc.get("version", 1)) > FORMAT_VERSION:
        raise ValueError(f"version {doc['version']} is newer than this footcoach understands")
    pitch_doc = doc.get("pitch", {})
    pitch = Pitch(
        length_m=float(pitch_doc.get("length_m", 105.0)),
        width_m=float(pitch_doc.get("width_m", 68.0)),
        corners_lonlat=tuple(tuple(c) for c in pitch_doc["corners_lonlat"])
        if "corners_lonlat" in pitch_doc else None,
        origin_lonlat=tuple(pitch_doc["origin_lonlat"])
        if "origin_lonlat" in pitch_doc else None,
        heading_deg=float(pitch_doc["heading_deg"]) if "heading_deg" in pitch_doc else None,
    )
    video = None
    if "video" in doc:
        video = VideoRef(file=str(doc["video"]["file"]),
                         start_s=float(doc["video"].get("start_s", 0.0)))
    calibration = None
    if "calibration" in doc:
        cal = doc["calibration"]
        calibration = CameraCalibration(np.asarray(cal["homography"], dtype=float),
                                        tuple(cal["image_size"]))
    players = []
    seen: set[str] = set()
    for i, p in enumerate(doc.get("players", [])):
        pid = str(p["id"])
        if pid in seen:
            raise ValueError(f"players[{i}]: duplicate player id {pid!r}")
        seen.add(pid)
        players.append(Player(
            id=pid, name=str(p.get("name", "")),
            number=int(p["number"]) if "number" in p else None, team=str(p.get("team", "")),
            imu=p.get("imu"), gps=p.get("gps"),
            imu_offset_s=float(p.get("imu_offset_s", 0.0)),
            gps_offset_s=float(p.get("gps_offset_s", 0.0)),
            tracking_id=str(p["tracking_id"]) if "tracking_id" in p else None,
        ))
    tracking = None
    if "tracking" in doc:
        t = doc["tracking"]
        tracking = TrackingRef(format=str(t["format"]),
                               files={str(k): str(v) for k, v in t["files"].items()},
                               offset_s=float(t.get("offset_s", 0.0)))
    epoch = doc.get("clock", {}).get("epoch_s")
    return Session(
        name=str(doc.get("name", folder.name)), root=folder.resolve(),
        date=str(doc.get("date", "")), pitch=pitch, video=video, calibration=calibration,
        players=players, tracking=tracking,
        clock_epoch_s=float(epoch) if epoch is not None else None,
        synthetic=bool(doc.get("synthetic", False)), notes=str(doc.get("notes", "")),
    )


def _doc_from_session(s: Session) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "name": s.name}
    if s.date:
        doc["date"] = s.date
    doc["synthetic"] = s.synthetic
    if s.notes:
        doc["notes"] = s.notes
    if s.clock_epoch_s is not None:
        doc["clock"] = {"epoch_s": s.clock_epoch_s}
    pitch: dict[str, Any] = {"length_m": s.pitch.length_m, "width_m": s.pitch.width_m}
    if s.pitch.corners_lonlat is not None:
        pitch["corners_lonlat"] = [list(c) for c in s.pitch.corners_lonlat]
    if s.pitch.origin_lonlat is not None:
        pitch["origin_lonlat"] = list(s.pitch.origin_lonlat)
    if s.pitch.heading_deg is not None:
        pitch["heading_deg"] = s.pitch.heading_deg
    doc["pitch"] = pitch
    if s.video is not None:
        doc["video"] = {"file": s.video.file, "start_s": s.video.start_s}
    if s.calibration is not None:
        doc["calibration"] = {"homography": s.calibration.homography.tolist(),
                              "image_size": list(s.calibration.image_size)}
    players = [_player_doc(p) for p in s.players]
    doc["players"] = players
    if s.tracking is not None:
        doc["tracking"] = {"format": s.tracking.format, "files": dict(s.tracking.files),
                           "offset_s": s.tracking.offset_s}
    return doc


def _player_doc(p: Player) -> dict[str, Any]:
    d: dict[str, Any] = {"id": p.id}
    if p.name:
        d["name"] = p.name
    if p.number is not None:
        d["number"] = p.number
    if p.team:
        d["team"] = p.team
    for key in ("imu", "gps", "tracking_id"):
        if getattr(p, key) is not None:
            d[key] = getattr(p, key)
    for key in ("imu_offset_s", "gps_offset_s"):
        if getattr(p, key) != 0.0 and math.isfinite(getattr(p, key)):
            d[key] = getattr(p, key)
    return d
