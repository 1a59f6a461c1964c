"""GPS / GNSS CSV exports -> a TimeSeries of lat/lon (deg) or pitch x/y (m) [+ speed, hdop, sats].

Recognised layouts include the real U18 Catapult files (``Timestamp, Longitude, Latitude``,
Excel-serial days), Catapult 10 Hz exports with metadata lines above the header (``Timestamp``,
``Latitude``, ``Longitude``, ``Velocity`` / ``Speed (km/h)``, ``HDOP``, ``# Sats``), the
simulator's ``unix_time_ms,latitude,longitude,speed_mps,hdop`` and pitch-coordinate files
(``x_m,y_m`` / ``X,Y``). Dropouts are reported (``meta["gaps"]``), never filled here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from footcoach.domain.pitch import Pitch
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.tabular import ColumnName, Table, gap_summary, read_table, read_time

_LAT = frozenset({"lat", "latitude"})
_LON = frozenset({"lon", "lng", "long", "longitude"})
_SPEED = frozenset({"speed", "velocity", "vel", "spd"})
_SATS = frozenset({"sats", "sat", "satellites", "satellite", "nsat", "nsats", "numsats"})
_POS = frozenset({"pos", "position", "pitch", "field", "loc", "location", "coord", "coords"})
_NOT_SPEED = frozenset({"max", "min", "avg", "mean", "x", "y", "z", "vertical"})
_SPEED_TO_MPS = {"m/s": 1.0, "km/h": 1.0 / 3.6, "mph": 0.44704}
_LEN_TO_M = {"m": 1.0, "cm": 0.01, "mm": 0.001}


def _role(name: ColumnName) -> str | None:
    tokens = set(name.tokens)
    if tokens & _LAT:
        return "lat"
    if tokens & _LON:
        return "lon"
    if name.tokens and name.tokens[-1] in ("x", "y") and set(name.tokens[:-1]) <= _POS \
            and (name.unit is None or name.unit in _LEN_TO_M):
        return name.tokens[-1]
    if tokens & _SPEED and not tokens & _NOT_SPEED:
        return "speed"
    if "hdop" in tokens:
        return "hdop"
    if tokens & _SATS:
        return "sats"
    return None


def _columns(table: Table, time_column: int) -> dict[str, int]:
    """Role (lat, lon, x, y, speed, hdop, sats) -> column index; the first column wins."""
    roles: dict[str, int] = {}
    for j, name in enumerate(table.parsed_names):
        role = _role(name)
        if role is not None and role not in roles and j != time_column:
            roles[role] = j
    return roles


def read_gps_csv(path: str | Path, *, diag: Diagnostics | None = None) -> TimeSeries:
    """Read a GPS export.

    Returns a TimeSeries named ``gps`` with channels ``lat, lon`` (deg) or ``x, y`` (m, pitch
    frame) then, when present, ``speed`` (m/s, converted from km/h or mph), ``hdop`` and
    ``sats`` (unit ``1``); ``t`` (N,) seconds from the first fix; ``t0_epoch_s`` when absolute.
    ``meta``: ``coords`` (``"latlon"`` | ``"pitch"``), ``columns``, ``time_kind``,
    ``speed_unit_detected``, ``gaps`` (dropouts: steps > 1.5 x the median step), and
    ``effective_rate_hz``. Fixes at exactly (0, 0) are no-fix markers and become NaN.
    """
    table = read_table(path, diag=diag)
    time = read_time(table, diag=diag)
    roles = _columns(table, time.column)
    if "lat" in roles and "lon" in roles:
        coords, pos = "latlon", ("lat", "lon")
        if diag is not None and ("x" in roles or "y" in roles):
            diag.warn("the file has both lat/lon and x/y columns; lat/lon is used", table.path)
    elif "x" in roles and "y" in roles:
        coords, pos = "pitch", ("x", "y")
    else:
        raise table.error("no position columns (expected latitude + longitude, or x + y in "
                          f"metres; the columns are {', '.join(table.names)})")
    for role in ("speed", "hdop", "sats"):
        j = roles.get(role, -1)
        if j >= 0 and (not table.numeric[j] or np.all(np.isnan(table.columns[j]))):
            del roles[role]
            if diag is not None:
                diag.warn(f"column {table.names[j]!r} holds no numbers and is ignored", table.path)
    data = {role: table.numeric_column(j)[time.keep] for role, j in roles.items()}
    rows = np.flatnonzero(time.keep)
    meta: dict[str, object] = {"coords": coords, "time_kind": time.kind,
                               "time_column": table.names[time.column],
                               "columns": {r: table.names[j] for r, j in roles.items()}}
    if coords == "latlon":
        _check_latlon(table, data, rows, diag)
        units = ["deg", "deg"]
    else:
        for axis in pos:
            data[axis] = data[axis] * _LEN_TO_M[table.parsed_names[roles[axis]].unit or "m"]
        units = ["m", "m"]
    channels = list(pos)
    if "speed" in roles:
        unit = _speed_unit(table, roles["speed"], data["speed"], diag)
        meta["speed_unit_detected"] = unit
        data["speed"] = data["speed"] * _SPEED_TO_MPS[unit]
    for extra, unit in (("speed", "m/s"), ("hdop", "1"), ("sats", "1")):
        if extra in roles:
            channels.append(extra)
            units.append(unit)
    meta["gaps"] = gaps = gap_summary(time.t)
    duration = float(time.t[-1] - time.t[0])
    meta["effective_rate_hz"] = (len(time.t) - 1) / duration if duration > 0 else 0.0
    if gaps["gaps"] and diag is not None:
        n = gaps["gaps"]
        diag.warn(f"{n} dropout{'s' if n != 1 else ''} (steps > 1.5 x the median "
                  f"{gaps['median_dt_s']:.3g} s), longest {gaps['longest_gap_s']:.3g} s, "
                  f"{gaps['missing_s']:.1f} s missing in total", table.path)
    values = np.column_stack([data[c] for c in channels])
    return TimeSeries(time.t, values, tuple(channels), tuple(units), name="gps",
                      source=str(path), t0_epoch_s=time.t0_epoch_s, meta=meta)


def _check_latlon(table: Table, data: dict[str, np.ndarray], rows: np.ndarray,
                  diag: Diagnostics | None) -> None:
    lat, lon = data["lat"], data["lon"]
    for what, values, limit in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        bad = np.flatnonzero(np.abs(values) > limit)
        if bad.size:
            k = int(bad[0])
            hint = " (are latitude and longitude swapped?)" if what == "latitude" and \
                abs(lon[k]) <= 90 else ""
            raise table.error(f"{what} {values[k]:g} is outside [-{limit:g}, {limit:g}]{hint}",
                              int(rows[k]))
    null = np.flatnonzero((lat == 0) & (lon == 0))
    if null.size:
        lat[null] = np.nan
        lon[null] = np.nan
        if diag is not None:
            diag.warn(f"{null.size} fixes at (0, 0) treated as no fix", table.path,
                      f"line {table.lines[rows[null[0]]]}")


def _speed_unit(table: Table, j: int, speed: np.ndarray, diag: Diagnostics | None) -> str:
    declared = table.parsed_names[j].unit
    if declared in _SPEED_TO_MPS:
        return declared
    finite = speed[np.isfinite(speed)]
    p99 = float(np.percentile(finite, 99)) if finite.size else 0.0
    unit = "km/h" if p99 > 12.0 else "m/s"
    if diag is not None and unit == "km/h":
        diag.warn(f"speed column {table.names[j]!r} has no unit; its 99th percentile "
                  f"{p99:.3g} is too fast for m/s, so km/h is assumed", table.path)
    return unit


def check_on_pitch(ts: TimeSeries, pitch_xy: np.ndarray, pitch: Pitch,
                   margin_m: float = 50.0) -> None:
    """Raise FootcoachError (naming the first offending time) when more than 5% of the fixes
    in ``pitch_xy`` ((N, 2) pitch metres for ``ts.t``; NaN = no fix) lie more than
    ``margin_m`` outside the pitch rectangle [0, length] x [0, width]."""
    xy = np.asarray(pitch_xy, dtype=np.float64).reshape(-1, 2)
    if len(xy) != len(ts):
        raise ValueError(f"pitch_xy has {len(xy)} rows for {len(ts)} samples")
    ok = np.all(np.isfinite(xy), axis=1)
    off = ok & ((xy[:, 0] < -margin_m) | (xy[:, 0] > pitch.length_m + margin_m)
                | (xy[:, 1] < -margin_m) | (xy[:, 1] > pitch.width_m + margin_m))
    n_ok = int(ok.sum())
    if n_ok and off.sum() > 0.05 * n_ok:
        k = int(np.flatnonzero(off)[0])
        raise FootcoachError(
            f"{100.0 * off.sum() / n_ok:.0f}% of the GPS fixes lie more than {margin_m:g} m off "
            f"the {pitch.length_m:g} x {pitch.width_m:g} m pitch (first at x={xy[k, 0]:.0f} m, "
            f"y={xy[k, 1]:.0f} m): wrong pitch corners or another venue?",
            ts.source or None, f"t={ts.t[k]:.1f} s")


def read_pitch_corners(path: str | Path) -> tuple[tuple[float, float], ...]:
    """The 4 pitch corners of a ``longitude,latitude`` (or ``lat,lon``) CSV, as (lon, lat)
    degrees in file order."""
    table = read_table(path, min_rows=4)
    roles = {r: j for j, n in enumerate(table.parsed_names) if (r := _role(n)) in ("lat", "lon")}
    if set(roles) != {"lat", "lon"}:
        raise table.error("expected longitude and latitude columns, got "
                          f"{', '.join(table.names)}")
    if len(table) != 4:
        raise table.error(f"expected 4 pitch corners, got {len(table)} rows", len(table) - 1)
    lon, lat = table.numeric_column(roles["lon"]), table.numeric_column(roles["lat"])
    for k in range(4):
        if not (abs(lat[k]) <= 90 and abs(lon[k]) <= 180):
            raise table.error(f"corner ({lon[k]}, {lat[k]}) is not a valid longitude, latitude",
                              k)
    return tuple((float(lon[k]), float(lat[k])) for k in range(4))
