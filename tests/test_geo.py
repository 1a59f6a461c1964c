"""Lon/lat <-> pitch metres: round trips, corner fitting, accuracy vs an ellipsoidal geodesic,
and the real U18 pitch of the GNSS football dataset."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from footcoach.domain.geo import GeoToPitch, pitch_from_session
from footcoach.domain.pitch import Pitch

GNSS = Path("/work/shared/data/gnss-football-tactical")
ORIGIN = (-9.1244, 41.7267)  # lon, lat


def vincenty_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance on the WGS84 ellipsoid (Vincenty's inverse formula), metres."""
    a, f = 6378137.0, 1 / 298.257223563
    b = a * (1 - f)
    u1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    big_l = math.radians(lon2 - lon1)
    lam = big_l
    for _ in range(200):
        sl, cl = math.sin(lam), math.cos(lam)
        sin_s = math.hypot(math.cos(u2) * sl,
                           math.cos(u1) * math.sin(u2) - math.sin(u1) * math.cos(u2) * cl)
        cos_s = math.sin(u1) * math.sin(u2) + math.cos(u1) * math.cos(u2) * cl
        sigma = math.atan2(sin_s, cos_s)
        sin_a = math.cos(u1) * math.cos(u2) * sl / sin_s
        cos2a = 1 - sin_a**2
        cos2sm = cos_s - 2 * math.sin(u1) * math.sin(u2) / cos2a
        c = f / 16 * cos2a * (4 + f * (4 - 3 * cos2a))
        prev = lam
        lam = big_l + (1 - c) * f * sin_a * (
            sigma + c * sin_s * (cos2sm + c * cos_s * (-1 + 2 * cos2sm**2)))
        if abs(lam - prev) < 1e-13:
            break
    u_sq = cos2a * (a**2 - b**2) / b**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    ds = big_b * sin_s * (cos2sm + big_b / 4 * (
        cos_s * (-1 + 2 * cos2sm**2) - big_b / 6 * cos2sm * (-3 + 4 * sin_s**2)
        * (-3 + 4 * cos2sm**2)))
    return b * big_a * (sigma - ds)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * r * math.asin(math.sqrt(h))


@pytest.fixture
def placed() -> GeoToPitch:
    return GeoToPitch.from_origin_heading(ORIGIN, 156.2, 105.0, 68.0)


def test_round_trip_is_sub_millimetre(placed: GeoToPitch) -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-20, 200, 500)
    y = rng.uniform(-20, 200, 500)
    lon, lat = placed.to_lonlat(x, y)
    x2, y2 = placed.to_pitch(lon, lat)
    assert np.max(np.hypot(x2 - x, y2 - y)) < 1e-3
    lon2, lat2 = placed.to_lonlat(x2, y2)
    assert np.max(np.abs(lon2 - lon)) < 1e-9 and np.max(np.abs(lat2 - lat)) < 1e-9


def test_heading_convention_east_x_north_y() -> None:
    g = GeoToPitch.from_origin_heading((10.0, 50.0), 90.0)
    lon, lat = g.to_lonlat(np.array([100.0, 0.0]), np.array([0.0, 100.0]))
    assert lon[0] > 10.0 and abs(lat[0] - 50.0) < 1e-5  # +x is east
    assert lat[1] > 50.0 and abs(lon[1] - 10.0) < 1e-6  # +y is north (left of +x)
    # 1 degree of latitude is ~111.2 km at 50N
    x, y = g.to_pitch(10.0, 50.001)
    assert abs(float(y) - 111.23) < 0.05 and abs(float(x)) < 1e-6


def test_plane_distance_matches_geodesic(placed: GeoToPitch) -> None:
    rng = np.random.default_rng(2)
    pts = rng.uniform(0, 200, size=(40, 2))
    lon, lat = placed.to_lonlat(pts[:, 0], pts[:, 1])
    for i in range(0, 40, 2):
        plane = float(np.hypot(*(pts[i] - pts[i + 1])))
        geo = vincenty_m(lon[i], lat[i], lon[i + 1], lat[i + 1])
        assert abs(plane - geo) < 0.01, (plane, geo)
        # a sphere is only ~0.5 % off the ellipsoid: a coarse independent check
        assert abs(haversine_m(lon[i], lat[i], lon[i + 1], lat[i + 1]) - plane) < 0.006 * plane


def _rectangle_corners(g: GeoToPitch, length: float, width: float) -> np.ndarray:
    lon, lat = g.to_lonlat(np.array([0, length, length, 0.0]), np.array([0, 0, width, width]))
    return np.c_[lon, lat]


@pytest.mark.parametrize("heading", [0.0, 33.0, 156.2, 271.5])
def test_corners_in_any_order_map_to_the_rectangle(heading: float) -> None:
    ref = GeoToPitch.from_origin_heading(ORIGIN, heading, 100.0, 60.0)
    corners = _rectangle_corners(ref, 100.0, 60.0)
    expected = np.array([[0, 0], [100, 0], [100, 60], [0, 60.0]])
    for order in ([0, 1, 2, 3], [0, 3, 2, 1], [2, 0, 3, 1], [1, 2, 3, 0]):
        g = GeoToPitch.from_corners(corners[order])
        assert g.length_m == pytest.approx(100.0, abs=0.01)
        assert g.width_m == pytest.approx(60.0, abs=0.01)
        assert g.residual_m < 0.01
        x, y = g.to_pitch(corners[:, 0], corners[:, 1])
        got = np.c_[x, y]
        # origin: the first given corner if +x can leave it along a long side with the
        # pitch on its left (corners 0 and 2), else the next corner counter-clockwise
        if order[0] in (1, 2):
            got = np.array([100.0, 60.0]) - got
        assert np.max(np.abs(got - expected)) < 0.01, (order, got)


def test_corners_in_frame_order_agree_with_origin_heading() -> None:
    ref = GeoToPitch.from_origin_heading(ORIGIN, 301.0, 90.0, 45.0)
    g = GeoToPitch.from_corners(_rectangle_corners(ref, 90.0, 45.0))
    assert g.heading_deg == pytest.approx(301.0, abs=1e-4)
    assert np.allclose(g.origin_lonlat, ORIGIN, atol=1e-9)
    rng = np.random.default_rng(3)
    lon = ORIGIN[0] + rng.uniform(-1e-3, 1e-3, 100)
    lat = ORIGIN[1] + rng.uniform(-1e-3, 1e-3, 100)
    xa, ya = ref.to_pitch(lon, lat)
    xb, yb = g.to_pitch(lon, lat)
    assert np.max(np.hypot(xa - xb, ya - yb)) < 0.005
    # x along the short side is turned so that x runs along the long side
    short_first = _rectangle_corners(ref, 90.0, 45.0)[[1, 2, 3, 0]]
    g2 = GeoToPitch.from_corners(short_first)
    assert g2.length_m == pytest.approx(90.0, abs=0.01) and g2.width_m < g2.length_m


def test_given_size_is_kept_and_noisy_corners_give_a_residual() -> None:
    ref = GeoToPitch.from_origin_heading(ORIGIN, 10.0, 100.0, 60.0)
    corners = _rectangle_corners(ref, 100.0, 60.0)
    corners[2, 0] += 1e-6  # ~8 cm east
    g = GeoToPitch.from_corners(corners, length_m=105.0, width_m=68.0)
    assert (g.length_m, g.width_m) == (105.0, 68.0)
    assert g.corner_length_m == pytest.approx(100.0, abs=0.1)
    assert 0.01 < g.residual_m < 0.1


def test_bad_corners_raise() -> None:
    with pytest.raises(ValueError, match="4"):
        GeoToPitch.from_corners([(0.0, 0.0)] * 3)
    with pytest.raises(ValueError, match="degenerate"):
        GeoToPitch.from_corners([ORIGIN] * 4)
    with pytest.raises(ValueError, match="swapped"):
        GeoToPitch.from_corners([(41.7, -200.0)] * 4)


def test_pitch_from_session() -> None:
    assert pitch_from_session(Pitch()) is None
    ref = GeoToPitch.from_origin_heading(ORIGIN, 45.0, 105.0, 68.0)
    by_heading = pitch_from_session(Pitch(origin_lonlat=ORIGIN, heading_deg=45.0))
    assert by_heading is not None and by_heading.heading_deg == 45.0
    by_corners = pitch_from_session(ref.as_pitch())
    assert by_corners is not None
    x, y = by_corners.to_pitch(*by_heading.to_lonlat(np.array([10.0, 90.0]),
                                                     np.array([5.0, 60.0])))
    assert np.allclose(x, [10.0, 90.0], atol=0.005) and np.allclose(y, [5.0, 60.0], atol=0.005)


def test_real_u18_pitch_corners_and_gps_fixes() -> None:
    corners = np.loadtxt(GNSS / "Dataset_B_Pitch.csv", delimiter=",", skiprows=1)
    g = GeoToPitch.from_corners(corners)
    # the 4 corners are the full pitch (~99 x 55 m), not the 32 x 24 m drill area
    assert g.length_m == pytest.approx(98.8, abs=0.3)
    assert g.width_m == pytest.approx(54.5, abs=0.3)
    assert g.residual_m < 0.1
    x, y = g.to_pitch(corners[:, 0], corners[:, 1])
    assert np.allclose(np.c_[x, y], [[0, 0], [g.length_m, 0], [g.length_m, g.width_m],
                                     [0, g.width_m]], atol=0.1)
    # real 10 Hz fixes of one player (tiny local loader: timestamp, lon, lat)
    fixes = np.loadtxt(GNSS / "Dataset_A_Positional_data" / "U18_ID3.csv",
                       delimiter=",", skiprows=1)
    px, py = g.to_pitch(fixes[:, 1], fixes[:, 2])
    near = (px > -2) & (px < g.length_m + 2) & (py > -2) & (py < g.width_m + 2)
    assert near.mean() > 0.98
    assert 20 < np.median(px) < g.length_m and 5 < np.median(py) < g.width_m
