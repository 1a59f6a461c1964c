"""Plain data: sessions, players, time series, pitch, calibration, labels, events.

Nothing here imports torch or Qt (tests/test_layering.py checks it).
"""

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.events import Event
from footcoach.domain.labels import ACTIONS, TACTICS, Action, Tactic
from footcoach.domain.pitch import Pitch
from footcoach.domain.session import Player, Session, VideoRef
from footcoach.domain.timeseries import TimeSeries

__all__ = [
    "ACTIONS",
    "TACTICS",
    "Action",
    "CameraCalibration",
    "Event",
    "Pitch",
    "Player",
    "Session",
    "Tactic",
    "TimeSeries",
    "VideoRef",
]
