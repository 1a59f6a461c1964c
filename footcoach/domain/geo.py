"""WGS84 longitude/latitude <-> footcoach pitch frame (metres).

The pitch frame (see :class:`footcoach.domain.pitch.Pitch`) has its origin at a corner, ``x``
along the length (0..L) and ``y`` across (0..W), in metres. It is **right-handed seen from
above**: the ``y`` axis is the ``x`` axis turned 90 degrees counter-clockwise, i.e. it points to
the *left* of someone standing at the origin and looking along ``+x``. With ``heading_deg`` the
compass bearing of ``+x`` (clockwise from north), ``+y`` has the bearing ``heading_deg - 90``.
Example: ``heading_deg = 90`` (x towards east) gives ``y`` towards north. The corners in frame
order (0,0), (L,0), (L,W), (0,W) therefore go round the pitch counter-clockwise on a map.

Method: geodetic -> Earth-centred (ECEF, WGS84 ellipsoid) -> local east/north/up tangent plane
at the pitch origin; the up component is dropped (it is ~d^2 / 2R, under 1 mm
100 m away), then a 2-D rotation and shift give the pitch frame. Over a 200 m pitch the plane
distance agrees with the ellipsoidal geodesic distance to well under 1 cm, and the inverse is
exact to micrometres (the plane point is converted back through ECEF).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from footcoach.domain.pitch import Pitch

WGS84_A = 6378137.0
"""WGS84 semi-major axis, metres."""
WGS84_F = 1.0 / 298.257223563
"""WGS84 flattening."""
_E2 = WGS84_F * (2.0 - WGS84_F)


def _geodetic_to_ecef(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    """(N,) lon, lat in degrees on the ellipsoid (height 0) -> (N, 3) ECEF metres."""
    lon = np.radians(lon_deg)
    lat = np.radians(lat_deg)
    n = WGS84_A / np.sqrt(1.0 - _E2 * np.sin(lat) ** 2)
    return np.stack([n * np.cos(lat) * np.cos(lon),
                     n * np.cos(lat) * np.sin(lon),
                     n * (1.0 - _E2) * np.sin(lat)], axis=-1)


def _ecef_to_lonlat(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) ECEF metres -> (lon, lat) degrees, each (N,). Fixed-point iteration on latitude
    (converges to ~1e-12 rad in a few steps near the Earth's surface)."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    lat = np.arctan2(z, p * (1.0 - _E2))
    for _ in range(6):
        n = WGS84_A / np.sqrt(1.0 - _E2 * np.sin(lat) ** 2)
        h = p / np.cos(lat) - n
        lat = np.arctan2(z, p * (1.0 - _E2 * n / (n + h)))
    return np.degrees(lon), np.degrees(lat)


def _enu_basis(lon0_deg: float, lat0_deg: float) -> np.ndarray:
    """(3, 3) rows: the east, north and up unit vectors (ECEF) at a reference point."""
    lon, lat = np.radians(lon0_deg), np.radians(lat0_deg)
    sl, cl = np.sin(lon), np.cos(lon)
    sp, cp = np.sin(lat), np.cos(lat)
    return np.array([[-sl, cl, 0.0],
                     [-sp * cl, -sp * sl, cp],
                     [cp * cl, cp * sl, sp]])


@dataclass(frozen=True)
class LocalTangentPlane:
    """East/north metres on the plane tangent to the WGS84 ellipsoid at ``(lon0, lat0)``."""

    lon0: float
    lat0: float

    def to_en(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """lon, lat (degrees, any matching shapes) -> (..., 2) east, north in metres."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        d = _geodetic_to_ecef(lon, lat) - _geodetic_to_ecef(np.array(self.lon0),
                                                            np.array(self.lat0))
        enu = d @ _enu_basis(self.lon0, self.lat0).T
        return enu[..., :2]

    def to_lonlat(self, en: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., 2) east, north metres -> (lon, lat) degrees."""
        en = np.asarray(en, dtype=np.float64)
        enu = np.concatenate([en, np.zeros((*en.shape[:-1], 1))], axis=-1)
        xyz = enu @ _enu_basis(self.lon0, self.lat0) + _geodetic_to_ecef(
            np.array(self.lon0), np.array(self.lat0))
        return _ecef_to_lonlat(xyz)


@dataclass(frozen=True)
class GeoToPitch:
    """A placed pitch: converts lon/lat (degrees) to pitch metres and back.

    Attributes:
        plane: the tangent plane at the pitch origin (corner (0, 0)).
        heading_deg: compass bearing of the pitch ``+x`` axis at the origin, clockwise from
            north, in [0, 360).
        length_m, width_m: the pitch size used (given, else estimated from the corners).
        corner_length_m, corner_width_m: the size of the rectangle fitted to the corners
            (equal to length/width for ``from_origin_heading``).
        residual_m: largest distance (m) between a given corner and the fitted rectangle's
            corner (0 for ``from_origin_heading``); a few cm is normal for surveyed corners.
    """

    plane: LocalTangentPlane
    heading_deg: float
    length_m: float
    width_m: float
    corner_length_m: float
    corner_width_m: float
    residual_m: float = 0.0

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_origin_heading(cls, origin_lonlat: tuple[float, float], heading_deg: float,
                            length_m: float = 105.0, width_m: float = 68.0) -> GeoToPitch:
        """The (0, 0) corner at ``origin_lonlat`` (lon, lat degrees) and ``+x`` along the
        compass bearing ``heading_deg`` (clockwise from north); ``+y`` is 90 deg to its left."""
        lon0, lat0 = float(origin_lonlat[0]), float(origin_lonlat[1])
        _check_lonlat(np.array([[lon0, lat0]]))
        if not (length_m > 0 and width_m > 0):
            raise ValueError("pitch length and width must be positive")
        return cls(LocalTangentPlane(lon0, lat0), float(heading_deg) % 360.0,
                   float(length_m), float(width_m), float(length_m), float(width_m), 0.0)

    @classmethod
    def from_corners(cls, corners_lonlat: np.ndarray | list[tuple[float, float]] |
                     tuple[tuple[float, float], ...],
                     length_m: float | None = None,
                     width_m: float | None = None) -> GeoToPitch:
        """Fit the pitch to its 4 corners (lon, lat degrees), given in any order.

        The corners are put in counter-clockwise order (seen on a map); ``+x`` runs along a
        long side. The origin is the first given corner when ``+x`` can run from it along a
        long side with the pitch on the left, else the corner after it counter-clockwise (so
        corners given in frame order (0,0), (L,0), (L,W), (0,W) keep that meaning). A
        rectangle is fitted (centre = corner mean, direction = mean of the side directions)
        and its size is the estimate of length/width when these are not given.
        """
        pts = np.asarray(corners_lonlat, dtype=np.float64)
        if pts.shape != (4, 2):
            raise ValueError(f"pitch corners must be 4 (lon, lat) pairs, got shape {pts.shape}")
        _check_lonlat(pts)
        fit_plane = LocalTangentPlane(float(pts[:, 0].mean()), float(pts[:, 1].mean()))
        en = fit_plane.to_en(pts[:, 0], pts[:, 1])
        ordered = _order_corners(en)
        centre, ux, half_l, half_w, residual = _fit_rectangle(ordered)
        if half_l < 0.5 or half_w < 0.5:
            raise ValueError("pitch corners are degenerate (repeated or collinear points)")
        uy = np.array([-ux[1], ux[0]])
        # re-anchor on the plane at the origin, so that heading_deg is the true bearing there
        ends = np.stack([centre - half_l * ux - half_w * uy, centre + half_l * ux - half_w * uy])
        lon, lat = fit_plane.to_lonlat(ends)
        plane = LocalTangentPlane(float(lon[0]), float(lat[0]))
        x_end = plane.to_en(lon[1], lat[1])
        heading = float(np.degrees(np.arctan2(x_end[0], x_end[1]))) % 360.0
        length = float(length_m) if length_m is not None else 2 * half_l
        width = float(width_m) if width_m is not None else 2 * half_w
        if not (length > 0 and width > 0):
            raise ValueError("pitch length and width must be positive")
        return cls(plane, heading, length, width,
                   2 * half_l, 2 * half_w, residual)

    # ----------------------------------------------------------------- conversions
    @property
    def _axes(self) -> np.ndarray:
        """(2, 2) rows: unit ``+x`` and ``+y`` in east/north."""
        h = np.radians(self.heading_deg)
        return np.array([[np.sin(h), np.cos(h)], [-np.cos(h), np.sin(h)]])

    def to_pitch(self, lon: np.ndarray | float, lat: np.ndarray | float
                 ) -> tuple[np.ndarray, np.ndarray]:
        """lon, lat (degrees, broadcastable) -> (x, y) pitch metres, float64 arrays of the
        broadcast shape. NaN in gives NaN out."""
        lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=np.float64),
                                           np.asarray(lat, dtype=np.float64))
        xy = self.plane.to_en(lon_a, lat_a) @ self._axes.T
        return xy[..., 0], xy[..., 1]

    def to_lonlat(self, x: np.ndarray | float, y: np.ndarray | float
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) pitch metres (broadcastable) -> (lon, lat) degrees, float64 arrays."""
        x_a, y_a = np.broadcast_arrays(np.asarray(x, dtype=np.float64),
                                       np.asarray(y, dtype=np.float64))
        xy = np.stack([x_a, y_a], axis=-1)
        en = xy @ self._axes
        return self.plane.to_lonlat(en)

    @property
    def origin_lonlat(self) -> tuple[float, float]:
        """(lon, lat) of the pitch origin (corner (0, 0))."""
        return self.plane.lon0, self.plane.lat0

    def corners_lonlat(self) -> tuple[tuple[float, float], ...]:
        """The 4 corners (lon, lat) in frame order (0,0), (L,0), (L,W), (0,W) for the pitch
        size in use (``length_m`` x ``width_m``)."""
        lon, lat = self.to_lonlat(np.array([0.0, self.length_m, self.length_m, 0.0]),
                                  np.array([0.0, 0.0, self.width_m, self.width_m]))
        return tuple((float(a), float(b)) for a, b in zip(lon, lat, strict=True))

    def as_pitch(self) -> Pitch:
        """A :class:`Pitch` carrying this placement (corners in frame order)."""
        return Pitch(length_m=self.length_m, width_m=self.width_m,
                     corners_lonlat=self.corners_lonlat(), origin_lonlat=self.origin_lonlat,
                     heading_deg=self.heading_deg)


def pitch_from_session(pitch: Pitch) -> GeoToPitch | None:
    """The GPS placement a session's :class:`Pitch` describes: from its corners when given
    (taken in frame order when they allow it, see :meth:`GeoToPitch.from_corners`), else from
    its origin and heading, else None (the pitch is not placed on the Earth)."""
    if pitch.corners_lonlat is not None:
        return GeoToPitch.from_corners(pitch.corners_lonlat, pitch.length_m, pitch.width_m)
    if pitch.origin_lonlat is not None and pitch.heading_deg is not None:
        return GeoToPitch.from_origin_heading(pitch.origin_lonlat, pitch.heading_deg,
                                              pitch.length_m, pitch.width_m)
    return None


# --------------------------------------------------------------------- helpers
def _check_lonlat(pts: np.ndarray) -> None:
    if not np.all(np.isfinite(pts)):
        raise ValueError("pitch coordinates must be finite numbers")
    if np.any(np.abs(pts[:, 0]) > 180) or np.any(np.abs(pts[:, 1]) > 90):
        raise ValueError("pitch coordinates must be (longitude, latitude) in degrees: "
                         "|lon| <= 180, |lat| <= 90 (are the columns swapped?)")


def _order_corners(en: np.ndarray) -> np.ndarray:
    """(4, 2) corners -> (4, 2) counter-clockwise, starting at the frame origin (see
    :meth:`GeoToPitch.from_corners`)."""
    centre = en.mean(axis=0)
    ang = np.arctan2(en[:, 1] - centre[1], en[:, 0] - centre[0])
    ccw = [int(i) for i in np.argsort(ang)]
    start = ccw.index(0)
    ring = np.roll(en[ccw], -start, axis=0)  # ring[0] is the first given corner
    sides = np.linalg.norm(np.roll(ring, -1, axis=0) - ring, axis=1)  # 0->1, 1->2, ...
    if sides[0] + sides[2] < sides[1] + sides[3]:
        ring = np.roll(ring, -1, axis=0)
    return ring


def _fit_rectangle(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """Rectangle through 4 ordered corners (c[0]=(0,0), c[1]=(L,0), c[2]=(L,W), c[3]=(0,W)).

    Returns centre (2,), unit x direction (2,), half length, half width, and the largest
    corner residual in metres.
    """
    centre = c.mean(axis=0)
    along = (c[1] - c[0]) + (c[2] - c[3])
    across = (c[3] - c[0]) + (c[2] - c[1])
    a = along / max(np.linalg.norm(along), 1e-12)
    b = across / max(np.linalg.norm(across), 1e-12)
    ux = a + np.array([b[1], -b[0]])  # across turned 90 deg clockwise points along +x
    ux = ux / max(np.linalg.norm(ux), 1e-12)
    uy = np.array([-ux[1], ux[0]])
    local = (c - centre) @ np.stack([ux, uy]).T
    sx = np.array([-1.0, 1.0, 1.0, -1.0])
    sy = np.array([-1.0, -1.0, 1.0, 1.0])
    half_l = float(np.mean(sx * local[:, 0]))
    half_w = float(np.mean(sy * local[:, 1]))
    fitted = np.stack([sx * half_l, sy * half_w], axis=1)
    residual = float(np.max(np.linalg.norm(local - fitted, axis=1)))
    return centre, ux, half_l, half_w, residual
