"""IMU vest / wearable CSV exports -> a TimeSeries in g, rad/s and uT.

Columns are recognised by meaning, not by a list of vendor spellings: a header cell is split
into tokens and a unit (``tabular.split_name``), its last token must be an axis (``x``/``y``/
``z``, also fused as in ``ax``, ``GyroX``), the token(s) before it a sensor word (accelerometer,
gyroscope, magnetometer families below) and anything before that names the sensor's segment
(``upper_spine_acc_x_g`` -> segment ``upper_spine``). Units come from the argument, the header,
the metadata lines above the header, or are guessed from the data (recorded in ``meta``).
Saturation and gaps are left to ``footcoach.sync``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.tabular import Table, gap_summary, parse_unit, read_table, read_time, split_name

SENSOR_WORDS: dict[str, frozenset[str]] = {
    "acc": frozenset({"a", "acc", "accel", "accl", "accelerometer", "acceleration",
                      "accelerations", "accelerometers"}),
    "gyro": frozenset({"g", "w", "gyr", "gyro", "gyroscope", "gyroscopes", "angularvelocity",
                       "angvel", "rotationrate", "omega"}),
    "mag": frozenset({"m", "mag", "magn", "magnetometer", "magnetometers", "magneticfield",
                      "magnetic", "compass"}),
}
_WORD_TO_SENSOR = {w: s for s, words in SENSOR_WORDS.items() for w in words}
AXES = ("x", "y", "z")
TO_TARGET: dict[str, dict[str, float]] = {
    "acc": {"g": 1.0, "mg": 1e-3, "m/s^2": 1.0 / 9.80665},
    "gyro": {"rad/s": 1.0, "deg/s": math.pi / 180.0},
    "mag": {"uT": 1.0, "mT": 1e3, "nT": 1e-3, "gauss": 100.0, "mgauss": 0.1},
}
TARGET_UNIT = {"acc": "g", "gyro": "rad/s", "mag": "uT"}
_LONG_NAMES = {"acc": "accelerometer", "gyro": "gyroscope", "mag": "magnetometer"}


def match_sensor_column(name: str) -> tuple[str, str, str] | None:
    """``(segment, sensor, axis)`` for an IMU column name, else None.

    ``"Acc X (g)"`` -> ``("", "acc", "x")``; ``"upper_spine_gyr_z_rads"`` ->
    ``("upper_spine", "gyro", "z")``; ``"gx"`` -> ``("", "gyro", "x")``.
    """
    tokens = split_name(name).tokens
    if not tokens:
        return None
    last = tokens[-1]
    if last in AXES:
        rest = tokens[:-1]
    elif len(last) >= 2 and last[-1] in AXES and last[:-1] in _WORD_TO_SENSOR:
        rest = (*tokens[:-1], last[:-1])
    else:
        return None
    if len(rest) >= 2 and "".join(rest[-2:]) in _WORD_TO_SENSOR:
        return "_".join(rest[:-2]), _WORD_TO_SENSOR["".join(rest[-2:])], last[-1]
    if rest and rest[-1] in _WORD_TO_SENSOR:
        return "_".join(rest[:-1]), _WORD_TO_SENSOR[rest[-1]], last[-1]
    return None


@dataclass
class ImuColumns:
    """Where one sensor's axes are in a table: ``cols[sensor]`` = 3 column indices (x, y, z)
    for ``acc``, ``gyro`` and, when complete, ``mag``; ``segments`` lists every segment seen."""

    segment: str
    cols: dict[str, tuple[int, int, int]]
    segments: list[str] = field(default_factory=list)


def _segment_key(text: str) -> str:
    return "_".join(split_name(text).tokens)


def _collect(table: Table, diag: Diagnostics | None) -> dict[str, dict[str, dict[str, int]]]:
    """segment -> sensor -> axis -> column index, for every IMU-looking column."""
    found: dict[str, dict[str, dict[str, int]]] = {}
    for j, name in enumerate(table.names):
        hit = match_sensor_column(name)
        if hit is None:
            continue
        seg, sensor, axis = hit
        axes = found.setdefault(seg, {}).setdefault(sensor, {})
        if axis in axes:
            if diag is not None:
                diag.warn(f"column {name!r} repeats {sensor} {axis} of "
                          f"{table.names[axes[axis]]!r}; the first is used", table.path)
            continue
        axes[axis] = j
    return found


def _choose(table: Table, found: dict[str, dict[str, dict[str, int]]],
            segment: str | None) -> tuple[str, list[str]]:
    complete = sorted(s for s, sensors in found.items()
                      if all(len(sensors.get(k, {})) == 3 for k in ("acc", "gyro")))
    if segment is not None:
        chosen = _segment_key(segment)
        if chosen not in found:
            listed = ", ".join(repr(s) for s in sorted(found)) or "none"
            raise table.error(f"no IMU segment {segment!r} in the file (segments: {listed})")
        return chosen, complete
    if "" in complete:
        return "", complete
    if not complete:  # the most complete candidate, for the error message that follows
        return max(found, key=lambda s: len(found[s]), default=""), complete
    if len(complete) > 1:
        raise table.error("the file holds several IMU sensors; choose one with segment= "
                          f"(segments: {', '.join(complete)})")
    return complete[0], complete


def find_imu_columns(table: Table, segment: str | None = None,
                     diag: Diagnostics | None = None) -> ImuColumns:
    """Locate the accelerometer, gyroscope (and magnetometer) axes of one sensor.

    ``segment`` picks one sensor of a wide file (``"upper_spine"``; ``"upper_spine_"`` works too).
    Without it, an unprefixed sensor is used, or the only one; several -> FootcoachError.
    """
    found = _collect(table, diag)
    chosen, segments = _choose(table, found, segment)
    sensors = found.get(chosen, {})
    cols: dict[str, tuple[int, int, int]] = {}
    for sensor in ("acc", "gyro", "mag"):
        axes = sensors.get(sensor, {})
        if len(axes) == 3:
            cols[sensor] = (axes["x"], axes["y"], axes["z"])
        elif sensor != "mag" or axes:
            missing = [a for a in AXES if a not in axes]
            message = (f"no {_LONG_NAMES[sensor]} {'/'.join(missing)} column "
                       f"(expected names like {sensor}_x, {sensor.capitalize()}X (unit); "
                       f"the columns are {', '.join(table.names)})")
            if sensor != "mag":
                raise table.error(message)
            if diag is not None:
                diag.warn(message + "; the magnetometer is ignored", table.path)
    return ImuColumns(chosen, cols, segments)


def resolve_unit(sensor: str, values: np.ndarray, table: Table, cols: tuple[int, int, int],
                 override: str | None, diag: Diagnostics | None) -> tuple[str, str]:
    """``(unit, how)`` of one sensor's (N, 3) ``values``; ``how`` is ``argument``, ``header``,
    ``metadata`` or ``guessed`` (guesses are reported to ``diag``)."""
    return _resolve_unit(sensor, lambda: values, table, cols, override, diag)


def _resolve_unit(sensor: str, values: Callable[[], np.ndarray], table: Table,
                  cols: tuple[int, int, int], override: str | None,
                  diag: Diagnostics | None) -> tuple[str, str]:
    """:func:`resolve_unit` asking for the values only when it must guess from them."""
    allowed = TO_TARGET[sensor]
    if override is not None:
        unit = parse_unit(override)
        if unit not in allowed:
            raise FootcoachError(f"unknown {_LONG_NAMES[sensor]} unit {override!r} "
                                 f"(use one of {', '.join(allowed)})", table.path)
        return unit, "argument"
    declared = {u for u in (split_name(table.names[j]).unit for j in cols) if u is not None}
    if len(declared) > 1 or (declared and not declared <= set(allowed)):
        raise table.error(f"{_LONG_NAMES[sensor]} columns declare unit(s) {sorted(declared)}; "
                          f"expected one of {', '.join(allowed)}")
    if declared:
        return declared.pop(), "header"
    from_meta = _unit_in_metadata(sensor, table.metadata)
    if from_meta is not None:
        return from_meta, "metadata"
    unit, why = _guess_unit(sensor, values())
    if diag is not None:
        diag.warn(f"{_LONG_NAMES[sensor]} unit not declared: took {unit} ({why}), converted to "
                  f"{TARGET_UNIT[sensor]}", table.path)
    return unit, "guessed"


def _unit_in_metadata(sensor: str, metadata: list[str]) -> str | None:
    words = SENSOR_WORDS[sensor] - {"a", "g", "w", "m"}
    for line in metadata:
        for part in re.split(r"[;|,]", line):
            tokens = re.split(r"[\s=:\"']+", part.strip())
            if not any(t.lower() in words for t in tokens) or any(
                    re.fullmatch(r"[±+-]?\d+(\.\d+)?", t) for t in tokens):
                continue  # not about this sensor, or a range such as "±16 g"
            for t in tokens:
                unit = parse_unit(t.strip("()[]"))
                if unit in TO_TARGET[sensor]:
                    return unit
    return None


def _guess_unit(sensor: str, values: np.ndarray) -> tuple[str, str]:
    rows = values[np.all(np.isfinite(values), axis=1)]
    if sensor == "gyro":
        p99 = float(np.percentile(np.abs(rows), 99)) if rows.size else 0.0
        return ("deg/s" if p99 > 20 else "rad/s"), f"99th percentile |gyro| = {p99:.3g}"
    norm = float(np.median(np.linalg.norm(rows, axis=1))) if rows.size else 0.0
    why = f"median |{sensor}| = {norm:.3g}"
    if sensor == "acc":
        unit = "mg" if norm > 300 else "m/s^2" if norm > 4 else "g"
        if norm < 0.3:
            why += ", too small to tell (no gravity?)"
        return unit, why
    return ("nT" if norm > 2000 else "gauss" if norm < 2 else "uT"), why


def _stack(columns: list[np.ndarray], keep: np.ndarray, buffer: np.ndarray | None = None,
           scale: list[float] | None = None) -> np.ndarray:
    """The (M, C) array of the C columns (N,) at the rows ``keep`` (N,) bool, each times its
    ``scale`` factor (none: 1), built in blocks of rows (writing whole columns of a wide
    C-order array at once is twice as slow); a view of ``buffer`` (float64, C-contiguous) when
    that holds M x C values."""
    if not keep.all():
        columns = [c[keep] for c in columns]
    n = len(columns[0]) if columns else 0
    size = n * len(columns)
    if buffer is not None and buffer.dtype == np.float64 and buffer.flags.c_contiguous and \
            buffer.size >= size:
        out = buffer.reshape(-1)[:size].reshape(n, len(columns))
    else:
        out = np.empty((n, len(columns)))
    factors = scale or [1.0] * len(columns)
    for r in range(0, n, 16384):
        block = out[r:r + 16384]
        for c, (col, factor) in enumerate(zip(columns, factors, strict=True)):
            if factor == 1.0:
                block[:, c] = col[r:r + 16384]
            else:
                np.multiply(col[r:r + 16384], factor, out=block[:, c])
    return out


def read_imu_csv(path: str | Path, *, diag: Diagnostics | None = None,
                 acc_unit: str | None = None, gyro_unit: str | None = None,
                 mag_unit: str | None = None, segment: str | None = None,
                 column_prefix: str | None = None, buffer: np.ndarray | None = None
                 ) -> TimeSeries:
    """Read an IMU CSV export (any layout this module recognises).

    Returns a TimeSeries named ``imu`` with channels ``acc_x, acc_y, acc_z`` (g),
    ``gyro_x, gyro_y, gyro_z`` (rad/s) and, when the file has them, ``mag_x, mag_y, mag_z``
    (uT); ``t`` (N,) seconds from the first sample, ``t0_epoch_s`` when the file's time was
    absolute. ``meta`` holds ``segment``, ``columns`` (channel -> source column),
    ``{acc,gyro,mag}_unit_detected`` and ``..._unit_source``, ``time_kind`` and ``gaps``.
    ``column_prefix`` is an alias of ``segment`` (``"upper_spine_"``).

    ``buffer``: a float64 C-contiguous array to write the values into when it is large enough
    (the result's values are then a view of it): reusing one across many files saves
    allocating, and the OS faulting in, tens of MB per file. The caller must not reuse it while
    the result is in use.
    """
    if segment is not None and column_prefix is not None and \
            _segment_key(segment) != _segment_key(column_prefix):
        raise FootcoachError(f"segment {segment!r} and column_prefix {column_prefix!r} disagree",
                             path)
    table = read_table(path, diag=diag)
    found = find_imu_columns(table, segment if segment is not None else column_prefix, diag)
    time = read_time(table, diag=diag)
    overrides = {"acc": acc_unit, "gyro": gyro_unit, "mag": mag_unit}
    channels, units = [], []
    meta: dict[str, object] = {"segment": found.segment, "segments": found.segments,
                               "columns": {}, "time_kind": time.kind,
                               "time_column": table.names[time.column]}
    columns: dict[str, str] = {}
    picked = [table.numeric_column(j) for cols in found.cols.values() for j in cols]
    scale: list[float] = []
    for k, (sensor, cols) in enumerate(found.cols.items()):
        unit, how = _resolve_unit(sensor, partial(_stack, picked[3 * k:3 * k + 3], time.keep),
                                  table, cols, overrides[sensor], diag)
        scale += [TO_TARGET[sensor][unit]] * 3  # converted while the values are stacked
        meta[f"{sensor}_unit_detected"] = unit
        meta[f"{sensor}_unit_source"] = how
        for axis, j in zip(AXES, cols, strict=True):
            channels.append(f"{sensor}_{axis}")
            units.append(TARGET_UNIT[sensor])
            columns[f"{sensor}_{axis}"] = table.names[j]
    meta["columns"] = columns
    values = _stack(picked, time.keep, buffer, scale)
    meta["gaps"] = gaps = gap_summary(time.t)
    if gaps["gaps"] and diag is not None:
        n = gaps["gaps"]
        diag.warn(f"{n} gap{'s' if n != 1 else ''} in the time (steps > 1.5 x the median "
                  f"{gaps['median_dt_s']:.4g} s), longest {gaps['longest_gap_s']:.3g} s",
                  table.path)
    return TimeSeries(time.t, values, tuple(channels), tuple(units), name="imu",
                      source=str(path), t0_epoch_s=time.t0_epoch_s, meta=meta)
