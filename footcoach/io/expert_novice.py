"""Readers for the Expert-Novice Soccer IMU dataset (Perception Neuron Pro suit, ~96-100 Hz).

Two layouts (see /work/shared/data/expert-novice-soccer-imu/SOURCE.md):

- raw ``MotionData/PlayerN/Sxx.txt``: headerless, 336 comma-separated floats per frame (21 bones
  x 16 features named in ``feature_info.csv`` as ``<bone>-<feature>-<axis>``); ``A`` is the
  acceleration in g and ``W`` the angular velocity in rad/s, both in the sensor frame.
- derived ``lower_body_imu_*.csv.gz``: one row per frame with ``player, sample, action,
  expert_score, frame`` and ``<segment>_acc_{x,y,z}_g`` / ``<segment>_gyr_{x,y,z}_rads``.

The sampling rate is undocumented; times are built as ``frame / rate_hz`` (default 100 Hz).
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import Diagnostics, FootcoachError
from footcoach.io.imu_csv import (
    AXES,
    TARGET_UNIT,
    TO_TARGET,
    find_imu_columns,
    match_sensor_column,
)
from footcoach.io.tabular import Table, read_table, split_name, table_from_lines

ACTIONS_BY_SAMPLE = (("penalty_kick", 1), ("free_kick", 5), ("direct_shot", 9),
                     ("shot_from_cross", 13), ("volley", 17), ("dribble_long", 21),
                     ("dribble_short", 25), ("dribble_straight", 29), ("juggling", 33))
BONES = {"hips": 1, "right_upper_leg": 2, "right_lower_leg": 3, "right_foot": 4,
         "left_upper_leg": 5, "left_lower_leg": 6, "left_foot": 7, "head": 16, "neck": 17,
         "upper_spine": 18}
_KEYS = ("player", "sample", "action", "expert_score", "frame")
IMU_CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
IMU_UNITS = ("g", "g", "g", "rad/s", "rad/s", "rad/s")


def action_for_sample(sample: int) -> str:
    """The action of sample index 1..36 (S01-S04 penalty_kick ... S33-S36 juggling)."""
    if not 1 <= sample <= 36:
        raise ValueError(f"sample index {sample} is outside 1..36")
    return ACTIONS_BY_SAMPLE[(sample - 1) // 4][0]


@dataclass
class Sample:
    """One recorded repetition: ``imu`` holds acc (g) and gyro (rad/s) of one segment, (N, 6)."""

    player: int
    sample: int
    action: str
    expert_score: float
    imu: TimeSeries


def read_feature_info(path: str | Path) -> list[str]:
    """The 336 raw column names (``01-X-x`` ... ``21-W-z``), one per line."""
    path = Path(path)
    try:
        names = [s.strip() for s in path.read_text(encoding="utf-8-sig").splitlines()]
    except (OSError, UnicodeDecodeError) as e:
        raise FootcoachError(f"cannot read the feature list ({e})", path) from None
    names = [n for n in names if n]
    for k, n in enumerate(names):
        if not re.fullmatch(r"\d{2}-[A-Z]-[a-z]", n):
            raise FootcoachError(f"not a feature name like '01-A-x': {n!r}", path, f"line {k + 1}")
    return names


def read_expert_novice_raw(path: str | Path, feature_info_csv: str | Path, *,
                           bone: str | int = "18", rate_hz: float = 100.0,
                           diag: Diagnostics | None = None) -> TimeSeries:
    """Acceleration (g) and angular velocity (rad/s) of one bone of a raw ``Sxx.txt`` file.

    ``bone`` is the index 1..21 (``"18"`` = upper spine, ``"04"`` = right foot) or a name of
    :data:`BONES`. Returns a TimeSeries ``imu`` (N, 6) with ``t = i / rate_hz``; ``meta`` has
    ``player``, ``sample``, ``action`` (from the path ``PlayerN/Sxx.txt`` when it matches),
    ``bone`` and ``rate_assumed_hz``.
    """
    path = Path(path)
    features = read_feature_info(feature_info_csv)
    number = BONES.get(str(bone)) if not str(bone).isdigit() else int(bone)
    if number is None or not 1 <= number <= 21:
        raise FootcoachError(f"unknown bone {bone!r} (use 1..21 or one of {', '.join(BONES)})",
                             feature_info_csv)
    wanted = [f"{number:02d}-{f}-{a}" for f in ("A", "W") for a in AXES]
    missing = [w for w in wanted if w not in features]
    if missing:
        raise FootcoachError(f"feature list lacks {', '.join(missing)}", feature_info_csv)
    table = read_table(path, diag=diag, has_header=False)
    if len(table.names) != len(features):
        raise table.error(f"{len(table.names)} values per row, but {Path(feature_info_csv).name} "
                          f"names {len(features)}", 0)
    values = np.column_stack([table.numeric_column(features.index(w)) for w in wanted])
    meta: dict[str, object] = {"bone": f"{number:02d}", "rate_assumed_hz": rate_hz,
                               "columns": dict(zip(IMU_CHANNELS, wanted, strict=True))}
    player = re.search(r"player\s*(\d+)", path.parent.name, re.IGNORECASE)
    sample = re.fullmatch(r"S(\d+)", path.stem, re.IGNORECASE)
    if player:
        meta["player"] = int(player.group(1))
    if sample and 1 <= int(sample.group(1)) <= 36:
        meta["sample"] = int(sample.group(1))
        meta["action"] = action_for_sample(int(sample.group(1)))
    t = np.arange(len(table), dtype=np.float64) / rate_hz
    return TimeSeries(t, values, IMU_CHANNELS, IMU_UNITS, name="imu", source=str(path),
                      meta=meta)


def _lines_of_first_samples(path: Path, max_samples: int) -> list[str]:
    """Header + the rows of the first ``max_samples`` (player, sample) groups, streamed."""
    lines: list[str] = []
    keys: set[str] = set()
    try:
        with path.open("rb") as probe:
            gz = probe.read(2) == b"\x1f\x8b"
        opener = gzip.open if gz else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
            for line in f:
                if len(lines) > 0 and line.strip():
                    key = ",".join(line.split(",", 2)[:2])
                    if key not in keys:
                        if len(keys) == max_samples:
                            break
                        keys.add(key)
                lines.append(line.rstrip("\r\n"))
    except FileNotFoundError:
        raise FootcoachError("file not found", path) from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as e:
        raise FootcoachError(f"cannot read the file ({e})", path) from None
    return lines


def read_expert_novice_derived(path_csv_gz: str | Path, *, segment: str = "upper_spine",
                               max_samples: int | None = None, rate_hz: float = 100.0,
                               diag: Diagnostics | None = None) -> list[Sample]:
    """The samples of the derived CSV, each an IMU TimeSeries (N, 6) of one ``segment``.

    Rows are grouped by (player, sample) with vectorised numpy work (only the key and segment
    columns are parsed); ``max_samples`` reads just the first groups (fast tests). ``t`` is
    ``(frame - first frame) / rate_hz``.
    """
    path = Path(path_csv_gz)
    key = "_".join(split_name(segment).tokens)

    def only(name: str) -> bool:
        return name in _KEYS or "_".join(split_name(name).tokens[:len(key.split("_"))]) == key

    if max_samples is None:
        table = read_table(path, diag=diag, only=only, min_rows=1)
    else:
        table = table_from_lines(_lines_of_first_samples(path, max_samples), path, diag=diag,
                                 only=only, min_rows=1)
    missing = [k for k in _KEYS if k not in table.names]
    if missing:
        raise table.error(f"not the derived Expert-Novice layout: no {', '.join(missing)} column")
    if len(table.names) == len(_KEYS):
        segments = sorted({hit[0] for n in table.header if (hit := match_sensor_column(n))})
        raise table.error(f"no segment {segment!r} in the file (segments: {', '.join(segments)})")
    found = find_imu_columns(table, segment, diag)
    imu = np.column_stack([table.numeric_column(j) * TO_TARGET[s][_unit(table, j, s)]
                           for s in ("acc", "gyro") for j in found.cols[s]])
    return _group(table, imu, rate_hz, found.segment)


def _unit(table: Table, j: int, sensor: str) -> str:
    unit = split_name(table.names[j]).unit or TARGET_UNIT[sensor]
    if unit not in TO_TARGET[sensor]:
        raise table.error(f"column {table.names[j]!r} has unit {unit}, not a {sensor} unit")
    return unit


def _integers(table: Table, name: str) -> np.ndarray:
    col = table.numeric_column(table.names.index(name))
    bad = np.flatnonzero(~np.isfinite(col) | (col != np.round(col)))
    if bad.size:
        raise table.error(f"{name} must be a whole number, got {col[bad[0]]!r}", int(bad[0]))
    return col.astype(np.int64)


def _group(table: Table, imu: np.ndarray, rate_hz: float, segment: str) -> list[Sample]:
    player, sample, frame = (_integers(table, k) for k in ("player", "sample", "frame"))
    score = table.numeric_column(table.names.index("expert_score"))
    action = table.columns[table.names.index("action")].astype(str)
    keys = player * 1000 + sample
    starts = np.r_[0, np.flatnonzero(np.diff(keys)) + 1]
    ends = np.r_[starts[1:], len(keys)]
    if len(np.unique(keys)) != len(starts):
        seen: set[int] = set()
        for a in starts:
            if int(keys[a]) in seen:
                raise table.error(f"rows of player {player[a]} sample {sample[a]} are split "
                                  "into several blocks", int(a))
            seen.add(int(keys[a]))
    inside = np.ones(len(keys), dtype=bool)
    inside[starts] = False
    back = np.flatnonzero(inside[1:] & (np.diff(frame) <= 0))
    if back.size:
        k = int(back[0]) + 1
        raise table.error(f"frame {frame[k]} does not follow frame {frame[k - 1]}", k)
    out = []
    for a, b in zip(starts, ends, strict=True):
        t = (frame[a:b] - frame[a]) / rate_hz
        ts = TimeSeries(t, imu[a:b].copy(), IMU_CHANNELS, IMU_UNITS, name="imu",
                        source=str(table.path),
                        meta={"player": int(player[a]), "sample": int(sample[a]),
                              "segment": segment, "rate_assumed_hz": rate_hz,
                              "first_line": int(table.lines[a])})
        out.append(Sample(int(player[a]), int(sample[a]), str(action[a]), float(score[a]), ts))
    return out
