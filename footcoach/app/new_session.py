"""Build a session folder from raw files (``footcoach new``, the GUI's "New session" dialog).

Every input is read and validated by its reader before anything is written; the folder is
assembled beside the target and renamed into place, so a failure leaves nothing half-made.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from footcoach.app.load import session_epoch
from footcoach.domain.geo import GeoToPitch, pitch_from_session
from footcoach.domain.pitch import Pitch
from footcoach.domain.session import Player, Session, TrackingRef, VideoRef
from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.gps_csv import check_on_pitch, read_gps_csv, read_pitch_corners
from footcoach.io.imu_csv import read_imu_csv
from footcoach.io.manifest import MANIFEST, write_manifest
from footcoach.io.tracking import read_tracking
from footcoach.io.video import probe_video


@dataclass
class NewSessionRequest:
    """What the user gave. ``imu``/``gps`` map player id -> file (see :func:`player_files`)."""

    out_dir: Path
    video: Path | None = None
    imu: dict[str, Path] = field(default_factory=dict)
    gps: dict[str, Path] = field(default_factory=dict)
    tracking: list[Path] = field(default_factory=list)
    tracking_format: str | None = None
    pitch_corners: Path | None = None
    pitch_size: tuple[float, float] | None = None
    pitch_origin: tuple[float, float] | None = None
    pitch_heading_deg: float | None = None
    name: str | None = None


def player_files(specs: list[str], kind: str) -> dict[str, Path]:
    """``["p07=vest7.csv", "runs/ID_2.csv"]`` -> ``{"p07": vest7.csv, "ID_2": runs/ID_2.csv}``.

    The player id is the file stem unless given as ``ID=FILE``.
    """
    out: dict[str, Path] = {}
    for spec in specs:
        pid, sep, path = spec.partition("=")
        file = Path(path if sep else spec)
        pid = pid.strip() if sep else file.name.split(".")[0]
        if not pid:
            raise FootcoachError(f"empty player id in --{kind} {spec!r}")
        if pid in out:
            raise FootcoachError(f"player {pid!r} is given two {kind} files "
                                 f"({out[pid]} and {file}); name them ID=FILE", file)
        out[pid] = file
    return out


def detect_tracking_format(files: list[Path]) -> str:
    """Guess the provider format from the files' names and first bytes."""
    suffixes = sorted(f.suffix.lower() for f in files)
    heads = [_head(f) for f in files]
    if suffixes == [".csv", ".csv"]:
        return "metrica"
    if ".dat" in suffixes:
        return "tracab"
    if ".txt" in suffixes and ".xml" in suffixes:
        return "epts"
    if any("<Positions" in h or "<PutDataRequest" in h or "<MatchInformation" in h for h in heads):
        return "sportec"
    if suffixes == [".json", ".json"] or (".json" in suffixes and ".xml" in suffixes):
        return "tracab"
    raise FootcoachError("cannot tell the tracking format from these files; pass "
                         "--tracking-format metrica|epts|tracab|sportec", files[0])


def _head(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(4096).decode("utf-8", "replace")
    except OSError as exc:
        raise FootcoachError(f"cannot read: {exc.strerror}", path) from None


def tracking_roles(fmt: str, files: list[Path]) -> dict[str, Path]:
    """Assign each file its role for :func:`footcoach.io.tracking.read_tracking`."""
    if len(files) != 2:
        raise FootcoachError(f"{fmt} tracking needs 2 files, got {len(files)}",
                             files[0] if files else None)
    a, b = files
    if fmt == "metrica":
        home = a if "home" in (_head(a).split("\n")[0].lower() + a.name.lower()) else b
        return {"home": home, "away": b if home is a else a}
    if fmt == "epts":
        return {"meta": a, "raw": b} if a.suffix.lower() == ".xml" else {"meta": b, "raw": a}
    if fmt in ("tracab", "sportec"):
        metas = [p for p in files if "meta" in p.name.lower()]
        meta = metas[0] if len(metas) == 1 else min(files, key=lambda p: p.stat().st_size)
        return {"meta": meta, "raw": b if meta is a else a}
    raise FootcoachError(f"unknown tracking format {fmt!r} (metrica, epts, tracab, sportec)")


def build_session(req: NewSessionRequest) -> tuple[Path, Diagnostics]:
    """Validate every input and write the session folder. Refuses to overwrite a session."""
    out = Path(req.out_dir)
    if (out / MANIFEST).exists():
        raise FootcoachError("a session already exists here; choose another folder", out)
    if out.exists() and any(out.iterdir()):
        raise FootcoachError("the folder exists and is not empty; choose a new folder", out)
    if req.video is None and not req.imu and not req.gps and not req.tracking:
        raise FootcoachError("nothing to import: give --video, --imu, --gps or --tracking", out)
    diag = Diagnostics()
    pitch = _pitch(req)
    if req.video is not None:
        probe_video(req.video)
    imu_streams = [read_imu_csv(path, diag=diag) for path in req.imu.values()]
    gps_streams = []
    geo = pitch_from_session(pitch)
    for path in req.gps.values():
        gps = read_gps_csv(path, diag=diag)
        gps_streams.append(gps)
        if geo is not None and gps.meta.get("coords") == "latlon":
            x, y = geo.to_pitch(gps.channel("lon"), gps.channel("lat"))
            check_on_pitch(gps, np.c_[x, y], pitch)
    tracking = None
    if req.tracking:
        fmt = req.tracking_format or detect_tracking_format(req.tracking)
        roles = tracking_roles(fmt, req.tracking)
        data = read_tracking(fmt, dict(roles))
        if req.pitch_size is None and pitch.corners_lonlat is None:
            pitch.length_m, pitch.width_m = data.pitch.length_m, data.pitch.width_m
        tracking = TrackingRef(fmt, {role: f"tracking/{p.name}" for role, p in roles.items()})
    epoch = session_epoch(None, gps_streams, imu_streams)
    return _write(req, out, pitch, tracking, epoch), diag


def _pitch(req: NewSessionRequest) -> Pitch:
    length, width = req.pitch_size or (105.0, 68.0)
    corners = read_pitch_corners(req.pitch_corners) if req.pitch_corners else None
    if corners is not None and req.pitch_size is None:
        try:
            geo = GeoToPitch.from_corners(corners)
        except ValueError as exc:
            raise FootcoachError(f"pitch corners unusable: {exc}", req.pitch_corners) from None
        length, width = geo.length_m, geo.width_m
    return Pitch(length_m=length, width_m=width, corners_lonlat=corners,
                 origin_lonlat=req.pitch_origin, heading_deg=req.pitch_heading_deg)


def _write(req: NewSessionRequest, out: Path, pitch: Pitch,
           tracking: TrackingRef | None, epoch: float | None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        video = None
        if req.video is not None:
            name = "video" + req.video.suffix.lower()
            shutil.copy2(req.video, staging / name)
            video = VideoRef(name, 0.0)
        players: dict[str, Player] = {}
        for kind, files in (("imu", req.imu), ("gps", req.gps)):
            if files:
                (staging / kind).mkdir()
            for pid, path in files.items():
                suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
                rel = f"{kind}/{pid}{suffix or '.csv'}"
                shutil.copy2(path, staging / rel)
                player = players.setdefault(pid, Player(id=pid, name=pid))
                setattr(player, kind, rel)
        if req.tracking:
            (staging / "tracking").mkdir()
            for path in req.tracking:
                shutil.copy2(path, staging / "tracking" / path.name)
        session = Session(name=req.name or out.name, root=staging,
                          date=dt.date.today().isoformat(), pitch=pitch, video=video,
                          players=list(players.values()), tracking=tracking,
                          clock_epoch_s=epoch)
        write_manifest(session, staging)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
