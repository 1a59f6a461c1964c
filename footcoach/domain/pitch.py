"""Pitch geometry and its anchoring on the Earth (for GPS)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Pitch:
    """A rectangular pitch; footcoach's pitch frame has its origin at a corner, x along the
    length (0..length_m), y across (0..width_m), metres.

    GPS positions are placed on it either by the four corners (``corners_lonlat``, in the order
    (0,0), (length,0), (length,width), (0,width) of the pitch frame), or by the position of the
    (0,0) corner (``origin_lonlat``) and the compass heading of the x axis (``heading_deg``,
    clockwise from north).
    """

    length_m: float = 105.0
    width_m: float = 68.0
    corners_lonlat: tuple[tuple[float, float], ...] | None = None
    origin_lonlat: tuple[float, float] | None = None
    heading_deg: float | None = None

    def __post_init__(self) -> None:
        if not (self.length_m > 0 and self.width_m > 0):
            raise ValueError("pitch length and width must be positive")
        if self.corners_lonlat is not None:
            self.corners_lonlat = tuple((float(a), float(b)) for a, b in self.corners_lonlat)
            if len(self.corners_lonlat) != 4:
                raise ValueError("pitch corners must be exactly 4 (lon, lat) points")

    @property
    def has_geo_anchor(self) -> bool:
        return self.corners_lonlat is not None or (
            self.origin_lonlat is not None and self.heading_deg is not None)

    @property
    def goals_xy(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Centres of the two goal lines in pitch metres."""
        return (0.0, self.width_m / 2), (self.length_m, self.width_m / 2)
