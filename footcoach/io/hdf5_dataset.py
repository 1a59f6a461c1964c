"""The training-data file (HDF5 via h5py, no torch): per-*step* arrays and a table of windows.

Overlapping windows share storage: every step of every player is stored once, rows of one player
contiguous and in time order, and a window is ``window_steps`` consecutive rows of one player.
Layout (N steps, M windows; F frames, S crop pixels, P IMU samples per step, K context features)::

    video          (N, F, S, S, 3) uint8   RGB player crops (zeros where mask[:, 0] is False)
    imu            (N, P, 9) float32       acc g, gyro rad/s, mag unit field; NaN -> 0
    context        (N, K) float32          context feature step means (spec order); NaN -> 0
    context_valid  (N, K) bool             False where a feature was unknown (e.g. no ball)
    mask           (N, 3) bool             modality present: video, imu, position
    action         (N,) int16              action class at the step centre, -1 none
    tactic         (N,) int16              tactic class at the step centre, -1 none
    quality        (N,) float32            0-100 at the step centre, NaN none
    player         (N,) int32              index into the ``players`` attribute
    session        (N,) int32              index into the ``sessions`` attribute
    t_s            (N,) float64            step start, session clock (s)
    windows/start  (M,) int64              first row of the window
    windows/t_s    (M,) float64            window centre time (s)
    windows/action, windows/tactic (M,) int16, windows/quality (M,) float32: labels at the centre
    windows/split  (M,) int8               0 train, 1 val, 2 test
    windows/weight (M,) float32            1 / keep-probability of its class (see the builder)

Root attributes: ``schema``, ``schema_version``, ``window_spec`` (JSON of
:meth:`WindowSpec.to_dict`), ``action_names``, ``tactic_names``, ``split_names``,
``modalities``, ``imu_channels``, ``context_features``, ``sessions`` and ``players`` (JSON
lists), ``build`` (JSON settings and figures). Step arrays are chunked by ``chunk_steps`` rows
and compressed (lzf by default).

:class:`DatasetWriter` writes to a temporary name beside the target and renames it at
:meth:`DatasetWriter.finish`; :meth:`DatasetWriter.abort` removes it, so a cancelled or failed
build leaves no partial file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from footcoach.domain.labels import ACTIONS, TACTICS
from footcoach.domain.windowing import WindowSpec
from footcoach.errors import FootcoachError

SCHEMA = "footcoach-dataset"
SCHEMA_VERSION = 1
SPLITS: tuple[str, ...] = ("train", "val", "test")
MODALITIES: tuple[str, ...] = ("video", "imu", "position")
IMU_CHANNEL_NAMES: tuple[str, ...] = ("acc_x_g", "acc_y_g", "acc_z_g", "gyro_x_rads",
                                      "gyro_y_rads", "gyro_z_rads", "mag_x", "mag_y", "mag_z")
STEP_FIELDS: tuple[str, ...] = ("video", "imu", "context", "context_valid", "mask", "action",
                                "tactic", "quality", "player", "session", "t_s")
WINDOW_FIELDS: tuple[str, ...] = ("start", "t_s", "action", "tactic", "quality", "split",
                                  "weight")
_WINDOW_DTYPES = {"start": np.int64, "t_s": np.float64, "action": np.int16,
                  "tactic": np.int16, "quality": np.float32, "split": np.int8,
                  "weight": np.float32}


def step_layout(spec: WindowSpec) -> dict[str, tuple[tuple[int, ...], type]]:
    """Per-step shape (without the leading N) and dtype of every step dataset."""
    f, s, p, k = spec.frames_per_step, spec.crop_px, spec.imu_per_step, len(
        spec.context_features)
    return {"video": ((f, s, s, 3), np.uint8), "imu": ((p, 9), np.float32),
            "context": ((k,), np.float32), "context_valid": ((k,), np.bool_),
            "mask": ((len(MODALITIES),), np.bool_), "action": ((), np.int16),
            "tactic": ((), np.int16), "quality": ((), np.float32), "player": ((), np.int32),
            "session": ((), np.int32), "t_s": ((), np.float64)}


CHUNK_TARGET_BYTES = 32 * 1024
"""Small per-step arrays are chunked to about this many bytes (a multiple of ``chunk_steps``
rows, at most 4096); large ones (the video) by ``chunk_steps`` rows."""


def chunk_rows(shape: tuple[int, ...], dtype: type, chunk_steps: int) -> int:
    """Rows per chunk of a step dataset whose rows have ``shape`` and ``dtype``."""
    row_bytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    rows = min(4096, max(1, CHUNK_TARGET_BYTES // max(row_bytes, 1)))
    return max(chunk_steps, rows // chunk_steps * chunk_steps)


def compression_options(compression: str) -> dict[str, Any]:
    """h5py keyword arguments for ``"lzf"``, ``"gzip"`` / ``"gzip1"`` .. ``"gzip9"`` or
    ``"none"``."""
    c = compression.strip().lower()
    if c == "none":
        return {}
    if c == "lzf":
        return {"compression": "lzf", "shuffle": True}
    if c.startswith("gzip"):
        level = int(c[4:] or 4)
        if not 0 <= level <= 9:
            raise ValueError(f"gzip level must be 0-9, got {level}")
        return {"compression": "gzip", "compression_opts": level, "shuffle": True}
    raise ValueError(f"unknown compression {compression!r} (lzf, gzip1..gzip9, none)")


class DatasetWriter:
    """Writes a dataset file step block by step block (see the module docstring).

    Usage: ``rows = w.reserve(n)`` grows every step dataset by n rows and returns the first
    new row; ``w.write(row, arrays)`` fills rows; ``w.write_async`` does the same on a
    background thread (compression then overlaps the caller's video decoding; at most
    ``max_pending`` writes are queued); ``w.finish(windows, attrs)`` writes the window table and
    attributes and renames the file into place.
    """

    def __init__(self, path: str | Path, spec: WindowSpec, *, compression: str = "lzf",
                 chunk_steps: int = 8, max_pending: int = 2) -> None:
        self.path = Path(path)
        self.spec = spec
        self.tmp = self.path.with_name(f".{self.path.name}.partial-{os.getpid()}")
        self.n_rows = 0
        opts = compression_options(compression)
        self.compression = compression
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f: h5py.File | None = h5py.File(self.tmp, "w")
        except OSError as exc:
            raise FootcoachError(f"cannot create the dataset file: {exc}", self.path) from None
        for name, (shape, dtype) in step_layout(spec).items():
            rows = chunk_rows(shape, dtype, chunk_steps)
            kw = dict(opts)
            if np.dtype(dtype).itemsize == 1:
                kw.pop("shuffle", None)  # byte shuffling does nothing to 1-byte values
            self._f.create_dataset(name, shape=(0, *shape), maxshape=(None, *shape),
                                   dtype=dtype, chunks=(rows, *shape), **kw)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="footcoach-h5")
        self._pending: list[Future[None]] = []
        self._max_pending = max(1, int(max_pending))

    @property
    def file(self) -> h5py.File:
        if self._f is None:
            raise ValueError("the dataset writer is closed")
        return self._f

    def reserve(self, n: int) -> int:
        """Append ``n`` empty rows to every step dataset; returns the first new row."""
        first = self.n_rows
        self.n_rows += int(n)
        for name in STEP_FIELDS:
            self.file[name].resize(self.n_rows, axis=0)
        return first

    def write(self, row: int, arrays: Mapping[str, np.ndarray]) -> None:
        """Write ``arrays`` (field -> (n, ...) values) into rows ``row .. row + n - 1``."""
        self.wait()
        self._write(row, arrays)

    def _write(self, row: int, arrays: Mapping[str, np.ndarray]) -> None:
        for name, values in arrays.items():
            values = np.asarray(values)
            self.file[name][row:row + len(values)] = values

    def write_async(self, row: int, arrays: Mapping[str, np.ndarray]) -> None:
        """:meth:`write` on the background thread (the arrays must not change afterwards)."""
        while len(self._pending) >= self._max_pending:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(self._write, row, dict(arrays)))

    def wait(self) -> None:
        """Block until every queued write is done (re-raising its error)."""
        while self._pending:
            self._pending.pop(0).result()

    def finish(self, windows: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> Path:
        """Write the window table and attributes, close, rename into place; returns the path."""
        self.wait()
        self._pool.shutdown()
        f = self.file
        g = f.create_group("windows")
        for name in WINDOW_FIELDS:
            data = np.asarray(windows[name], dtype=_WINDOW_DTYPES[name])
            g.create_dataset(name, data=data, chunks=(max(1, min(len(data), 65536)),)
                             if len(data) else None)
        base: dict[str, Any] = {
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
            "window_spec": json.dumps(self.spec.to_dict()),
            "action_names": json.dumps([a.label for a in ACTIONS]),
            "tactic_names": json.dumps([t.label for t in TACTICS]),
            "split_names": json.dumps(list(SPLITS)), "modalities": json.dumps(list(MODALITIES)),
            "imu_channels": json.dumps(list(IMU_CHANNEL_NAMES)),
            "context_features": json.dumps(list(self.spec.context_features)),
            "compression": self.compression,
        }
        for key, value in {**base, **attrs}.items():
            f.attrs[key] = value if isinstance(value, str | int | float) else json.dumps(value)
        f.close()
        self._f = None
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Close and delete the temporary file (never raises)."""
        for fut in self._pending:
            fut.cancel()
        self._pool.shutdown(wait=True)
        self._pending.clear()
        if self._f is not None:
            with contextlib.suppress(Exception):  # already failing; deleted next
                self._f.close()
            self._f = None
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._f is not None:
            self.abort()


class DatasetFile:
    """Read access to a dataset file without loading the step arrays (h5py slices on demand).

    ``windows``: the whole window table (field -> (M,) array, small); :meth:`window` reads the
    ``window_steps`` rows of one window.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FootcoachError("dataset file not found", self.path)
        try:
            self.h5 = h5py.File(self.path, "r")
        except OSError as exc:
            raise FootcoachError(f"not a readable HDF5 file: {exc}", self.path) from None
        try:
            self._check()
            a = self.h5.attrs
            self.spec = WindowSpec.from_dict(json.loads(a["window_spec"]))
            self.action_names: list[str] = json.loads(a["action_names"])
            self.tactic_names: list[str] = json.loads(a["tactic_names"])
            self.sessions: list[dict[str, Any]] = json.loads(a["sessions"])
            self.players: list[dict[str, Any]] = json.loads(a["players"])
            self.build: dict[str, Any] = json.loads(a.get("build", "{}"))
            self.windows = {k: self.h5["windows"][k][()] for k in WINDOW_FIELDS}
            self._dsets = {k: self.h5[k] for k in STEP_FIELDS}  # one handle each (fast reads)
        except FootcoachError:
            self.h5.close()
            raise
        except (KeyError, ValueError, TypeError) as exc:
            self.h5.close()
            raise FootcoachError(f"damaged dataset file: {exc}", self.path) from None

    def _check(self) -> None:
        a = self.h5.attrs
        if a.get("schema") != SCHEMA:
            raise FootcoachError(f"not a footcoach dataset (schema != {SCHEMA!r})", self.path)
        if int(a.get("schema_version", 0)) > SCHEMA_VERSION:
            raise FootcoachError(f"schema_version {a['schema_version']} is newer than this "
                                 "footcoach understands", self.path)
        missing = [k for k in STEP_FIELDS if k not in self.h5]
        missing += [f"windows/{k}" for k in WINDOW_FIELDS if f"windows/{k}" not in self.h5]
        if missing:
            raise FootcoachError(f"damaged dataset file: missing {', '.join(missing)}",
                                 self.path)

    @property
    def n_steps(self) -> int:
        return int(self.h5["action"].shape[0])

    @property
    def n_windows(self) -> int:
        return int(self.windows["start"].shape[0])

    def window_indices(self, split: str | None = None) -> np.ndarray:
        """Indices of the windows of a split (``train``, ``val``, ``test``; None: all)."""
        if split is None:
            return np.arange(self.n_windows)
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r} (expected one of {', '.join(SPLITS)})")
        return np.flatnonzero(self.windows["split"] == SPLITS.index(split))

    def steps(self, start: int, stop: int,
              fields: tuple[str, ...] = STEP_FIELDS) -> dict[str, np.ndarray]:
        """Rows ``start .. stop - 1`` of the step datasets named in ``fields``."""
        return {k: self._dsets[k][start:stop] for k in fields}

    def window(self, i: int, fields: tuple[str, ...] = STEP_FIELDS) -> dict[str, Any]:
        """The steps of window ``i`` (field -> (window_steps, ...)) plus its table entries
        under ``"window_<field>"``."""
        start = int(self.windows["start"][i])
        out = self.steps(start, start + self.spec.window_steps, fields)
        for k in WINDOW_FIELDS:
            out[f"window_{k}"] = self.windows[k][i]
        return out

    def close(self) -> None:
        self.h5.close()

    def __enter__(self) -> DatasetFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@dataclass
class DatasetInfo:
    """What ``footcoach dataset info`` prints."""

    path: Path
    schema_version: int
    spec: WindowSpec
    datasets: list[tuple[str, tuple[int, ...], str, str]]  # name, shape, dtype, storage
    sessions: list[dict[str, Any]]
    n_players: int
    n_steps: int
    windows_per_split: dict[str, int]
    action_table: dict[str, dict[str, int]]  # class -> split -> windows
    tactic_table: dict[str, dict[str, int]]
    file_bytes: int
    build: dict[str, Any]


def class_table(labels: np.ndarray, split: np.ndarray, names: list[str]
                ) -> dict[str, dict[str, int]]:
    """class name -> split name -> count (``"none"`` for -1), plus ``"total"`` per class."""
    table: dict[str, dict[str, int]] = {}
    for c, name in [(-1, "none"), *enumerate(names)]:
        row = {s: int(np.count_nonzero((labels == c) & (split == i)))
               for i, s in enumerate(SPLITS)}
        if c == -1 and not any(row.values()):
            continue
        row["total"] = sum(row.values())
        table[name] = row
    return table


def dataset_info(path: str | Path) -> DatasetInfo:
    """Summary of a dataset file: schema, counts per split, class tables."""
    with DatasetFile(path) as ds:
        sets = []
        for name in [*STEP_FIELDS, *(f"windows/{k}" for k in WINDOW_FIELDS)]:
            d = ds.h5[name]
            storage = f"chunks {d.chunks[0]}" if d.chunks else "contiguous"
            if d.compression:
                storage += f", {d.compression}"
                if d.compression_opts is not None:
                    storage += f" {d.compression_opts}"
            sets.append((name, tuple(d.shape), str(d.dtype), storage))
        w = ds.windows
        return DatasetInfo(
            path=ds.path, schema_version=int(ds.h5.attrs["schema_version"]), spec=ds.spec,
            datasets=sets, sessions=ds.sessions, n_players=len(ds.players),
            n_steps=ds.n_steps,
            windows_per_split={s: int(np.count_nonzero(w["split"] == i))
                               for i, s in enumerate(SPLITS)},
            action_table=class_table(w["action"], w["split"], ds.action_names),
            tactic_table=class_table(w["tactic"], w["split"], ds.tactic_names),
            file_bytes=ds.path.stat().st_size, build=ds.build)


def format_class_table(title: str, table: dict[str, dict[str, int]]) -> str:
    """A fixed-width text table: class, train, val, test, total."""
    cols = [*SPLITS, "total"]
    width = max([len(title), *(len(k) for k in table)]) + 2
    lines = [f"{title:<{width}}" + "".join(f"{c:>8}" for c in cols)]
    for name, row in table.items():
        lines.append(f"{name:<{width}}" + "".join(f"{row.get(c, 0):>8}" for c in cols))
    totals = {c: sum(r.get(c, 0) for r in table.values()) for c in cols}
    lines.append(f"{'all':<{width}}" + "".join(f"{totals[c]:>8}" for c in cols))
    return "\n".join(lines)


def format_info(info: DatasetInfo) -> str:
    """Multi-line text of :func:`dataset_info` (schema, sessions, counts, class tables)."""
    s = info.spec
    lines = [f"dataset {info.path} ({info.file_bytes / 1e6:.1f} MB), schema version "
             f"{info.schema_version}",
             f"steps of {s.step_s:g} s, windows of {s.window_steps} steps ({s.window_s:g} s); "
             f"video {s.frames_per_step} x {s.crop_px}x{s.crop_px} crops per step "
             f"({s.video_fps:g} fps), IMU {s.imu_per_step} x 9 per step ({s.imu_rate_hz:g} Hz), "
             f"{len(s.context_features)} context features",
             "", "schema:"]
    for name, shape, dtype, storage in info.datasets:
        lines.append(f"  {name:<16} {shape!s:<26} {dtype:<8} {storage}")
    synth = sum(bool(x.get("synthetic")) for x in info.sessions)
    lines += ["", f"{len(info.sessions)} sessions ({synth} synthetic), {info.n_players} players, "
              f"{info.n_steps} steps",
              "windows: " + ", ".join(f"{k} {v}" for k, v in info.windows_per_split.items())
              + f" (total {sum(info.windows_per_split.values())})", "",
              format_class_table("action", info.action_table), "",
              format_class_table("tactic", info.tactic_table)]
    return "\n".join(lines)
