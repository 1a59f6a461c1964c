"""A training session as described by its folder's ``session.toml`` manifest.

Paths are relative to ``Session.root``. Clock convention: a stream sample at its own time ``t``
lies at session time ``t + offset_s`` (plus ``t0_epoch_s - clock_epoch_s`` when both the stream
and the session have an absolute epoch). The video's first frame is at ``VideoRef.start_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.pitch import Pitch


@dataclass
class Player:
    """One player with the files of their wearables (paths relative to the session root)."""

    id: str
    name: str = ""
    number: int | None = None
    team: str = ""
    imu: str | None = None
    gps: str | None = None
    imu_offset_s: float = 0.0
    gps_offset_s: float = 0.0
    tracking_id: str | None = None


@dataclass
class VideoRef:
    """The session video and where its first frame lies on the session clock (seconds)."""

    file: str
    start_s: float = 0.0


@dataclass
class TrackingRef:
    """Provider tracking data read through kloppy (``format``: metrica, epts, tracab, sportec)."""

    format: str
    files: dict[str, str]
    offset_s: float = 0.0


@dataclass
class Session:
    """Everything the manifest says about a session; the streams themselves are read by ``io``."""

    name: str
    root: Path = field(default_factory=Path)
    date: str = ""
    pitch: Pitch = field(default_factory=Pitch)
    video: VideoRef | None = None
    calibration: CameraCalibration | None = None
    players: list[Player] = field(default_factory=list)
    tracking: TrackingRef | None = None
    clock_epoch_s: float | None = None
    synthetic: bool = False
    notes: str = ""

    def player(self, player_id: str) -> Player:
        for p in self.players:
            if p.id == player_id:
                return p
        raise KeyError(f"session {self.name!r} has no player {player_id!r}")

    def path(self, relative: str) -> Path:
        """Absolute path of a file named in the manifest."""
        return (self.root / relative).resolve()

    @property
    def modalities(self) -> tuple[str, ...]:
        """Which of ``video``, ``imu``, ``gps``, ``tracking`` the session has."""
        have = []
        if self.video is not None:
            have.append("video")
        if any(p.imu for p in self.players):
            have.append("imu")
        if any(p.gps for p in self.players):
            have.append("gps")
        if self.tracking is not None:
            have.append("tracking")
        return tuple(have)
