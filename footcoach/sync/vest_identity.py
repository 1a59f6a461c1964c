"""Is each vest on the player the manifest names? Its movement against every GPS track.

When vests and positions come from separate devices (GPS units, or a provider's tracking data
mapped to players by ``tracking_id``), a vest file can be given to the wrong player: two vests
swapped at kit-up, a vest number mis-typed in the manifest, a wrong tracking id. The
analysis would then read one player's movement with another's positions. Each second, a worn
vest's movement (the spread of ``|a|`` within the second, g) rises and falls with the speed
of the same player's GPS track (m/s): over the 960 vests of the simulator's 96 training
sessions (3 minutes each) the Pearson correlation of the two is 0.69 or more (median 0.85)
for the same player, and between different players 0.51 at the 99th percentile, 0.70 at most.
A vest whose movement follows another player's track clearly better than its own player's (by
``margin``, 0.2, and at least ``min_r``, 0.5) is named; none of the 960 is. Real sessions
with both a vest and a GPS track per player were not available to check it on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.sync.movement import track_speed, vest_intensity

#: Seconds of common coverage below which nothing is said.
MIN_SECONDS = 60


@dataclass(frozen=True)
class VestMatch:
    """The vest named for ``player`` moves with ``other``'s track (Pearson ``r_other``) more
    than with its own player's (``r_own``; NaN without a usable track)."""

    player: str
    other: str
    r_own: float
    r_other: float

    def warning(self) -> str:
        own = f"{self.r_own:.2f}" if np.isfinite(self.r_own) else "nothing"
        return (f"vest of {self.player}: it moves with the track of {self.other} (r = "
                f"{self.r_other:.2f}) rather than with {self.player}'s ({own}); is it "
                f"{self.other}'s vest? (check the manifest's imu files and tracking ids)")


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < MIN_SECONDS or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def vest_mismatches(imu: Mapping[str, TimeSeries], gps: Mapping[str, TimeSeries], *,
                    margin: float = 0.2, min_r: float = 0.5) -> list[VestMatch]:
    """The vests (``imu`` player -> stream, session clock) that follow another player's track
    (``gps`` player -> GPS or tracking positions with x, y in metres) better than their own
    (module docstring)."""
    tracks = sorted(p for p, ts in gps.items() if len(ts) and ts.has("x", "y"))
    vests = sorted(p for p, ts in imu.items() if len(ts))
    if len(tracks) < 2 or not vests:
        return []
    lo = min(float(gps[p].t[0]) for p in tracks)
    hi = max(float(gps[p].t[-1]) for p in tracks)
    edges = np.arange(np.floor(lo), np.ceil(hi) + 1.0)
    if edges.size - 1 < MIN_SECONDS:
        return []
    speed = {p: track_speed(gps[p], edges) for p in tracks}
    out = []
    for p in vests:
        moving = vest_intensity(imu[p], edges)
        r = {q: _pearson(moving, speed[q]) for q in tracks}
        others = {q: v for q, v in r.items() if q != p and np.isfinite(v)}
        if not others:
            continue
        best = max(others, key=lambda q: others[q])
        own = r.get(p, float("nan"))
        if others[best] >= min_r and (not np.isfinite(own) or others[best] - own >= margin):
            out.append(VestMatch(p, best, own, others[best]))
    return out


def own_vests(imu: Mapping[str, TimeSeries], gps: Mapping[str, TimeSeries]
              ) -> dict[str, TimeSeries]:
    """``imu`` without the vests that follow another player's track (:func:`vest_mismatches`):
    those to read beside each player's own GPS unit (a vest of someone else would show him
    standing while he runs, or running while he stands)."""
    elsewhere = {m.player for m in vest_mismatches(imu, gps)}
    return {pid: ts for pid, ts in imu.items() if pid not in elsewhere}
