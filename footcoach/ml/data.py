"""A torch Dataset over the HDF5 training file (:mod:`footcoach.io.hdf5_dataset`).

Each item is one window (``window_steps`` consecutive steps of one player). With video, items are
read from the file on demand (the crops are large); nothing is loaded up front except the small
window table. The HDF5 file is opened on first use in each process, so a ``DataLoader`` with
worker processes gives every worker its own handle (h5py handles must not cross a fork).
Without video the step arrays are small (about 1.9 kB per step: 24 simulated player-hours are
0.33 GB) and are read into memory once (``in_memory``), which makes an epoch several times
faster than thousands of small compressed HDF5 reads.

Item (S = window_steps, F frames, H = W = crop_px, P IMU samples per step, K features), shaped
for :class:`footcoach.ml.network.FootcoachNet`::

    video    (S, 3, F, H, W) uint8    RGB crops, channels first
    imu      (S, P, 9) float32
    context  (S, K) float32           NaN where the feature was unknown (the network flags it)
    mask     (S, 3) bool              video, imu, position/context present
                                      (with ``vest_rotations``, the IMU's x/y/z triads are
                                      turned by its (session, player)'s matrix: de-tilted)
    action, tactic  int64             labels at the window centre (-1 none)
    quality  float32                  0-100 at the window centre (NaN none)
    weight   float32                  1 / keep-probability of the window's class
    player, session  int64; t_s float64 (window centre)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from footcoach.domain.vest_frame import rotation_about, rotation_onto, turn_triads
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import DatasetFile

Item = dict[str, torch.Tensor]
#: (session, player) of a window or step as one integer: ``session * KEY_BASE + player``.
KEY_BASE = 100_000


def vest_means(path: str | Path, chunk: int = 32_768) -> dict[int, np.ndarray]:
    """Each (session, player)'s mean acceleration (3,) over the steps of the file that have a
    vest, keyed ``session * KEY_BASE + player``; players without a vest step are left out."""
    sums: dict[int, np.ndarray] = {}
    counts: dict[int, int] = {}
    with DatasetFile(path) as ds:
        h5 = ds.h5
        for a in range(0, int(h5["mask"].shape[0]), chunk):
            has = h5["mask"][a:a + chunk, 1]
            if not has.any():
                continue
            keys = (h5["session"][a:a + chunk].astype(np.int64) * KEY_BASE
                    + h5["player"][a:a + chunk])[has]
            acc = h5["imu"][a:a + chunk, :, :3][has].astype(np.float64)  # (n, P, 3)
            step_sum = acc.sum(axis=1)
            found, inverse = np.unique(keys, return_inverse=True)
            total = np.zeros((found.size, 3))
            np.add.at(total, inverse, step_sum)
            n = np.bincount(inverse, minlength=found.size) * acc.shape[1]
            for k, tot, c in zip(found.tolist(), total, n.tolist(), strict=True):
                sums[k] = sums.get(k, 0.0) + tot
                counts[k] = counts.get(k, 0) + c
    return {k: sums[k] / counts[k] for k in sums if np.linalg.norm(sums[k]) > 0}


def upright_direction(path: str | Path, split: str = "train") -> tuple[float, float, float]:
    """The mean of the unit mean accelerations of the vests of ``split``'s players (a unit
    vector): where a model's de-tilted vests point (config ``vest_upright``)."""
    means = vest_means(path)
    with DatasetFile(path) as ds:
        starts = ds.windows["start"][ds.window_indices(split)]
        keys = set((ds.h5["session"][()][starts].astype(np.int64) * KEY_BASE
                    + ds.h5["player"][()][starts]).tolist())
    units = [m / np.linalg.norm(m) for k, m in means.items() if k in keys]
    if not units:
        raise FootcoachError(f"no {split} window has a vest: nothing to de-tilt onto", path)
    mean = np.mean(units, axis=0)
    x, y, z = (float(v) for v in mean / np.linalg.norm(mean))
    return x, y, z


def vest_rotations(path: str | Path, target: Sequence[float], *, turn_deg: float = 0.0,
                   seed: int = 0) -> dict[int, np.ndarray]:
    """(session, player) key -> the (3, 3) rotation that de-tilts its vest onto ``target``.

    ``turn_deg`` > 0 first turns each player's vest by that angle about an axis drawn per
    player with ``seed`` (a vest worn turned for the whole session), then de-tilts the turned
    vest, as analysis would: the matrix returned is the two together."""
    rng = np.random.default_rng(seed)
    out = {}
    for k, m in sorted(vest_means(path).items()):
        turn = rotation_about(rng.normal(size=3), turn_deg) if turn_deg else np.eye(3)
        out[k] = rotation_onto(turn @ m, target) @ turn
    return out


def window_arrays(raw: dict[str, Any]) -> dict[str, Any]:
    """The numpy form of an item from :meth:`DatasetFile.window` output (no torch): video to
    channels first, context NaN where not valid, centre labels from the window table."""
    ctx = np.where(raw["context_valid"], raw["context"], np.nan).astype(np.float32)
    return {
        "video": np.ascontiguousarray(raw["video"].transpose(0, 4, 1, 2, 3)),
        "imu": raw["imu"], "context": ctx, "mask": raw["mask"],
        "action": np.int64(raw["window_action"]), "tactic": np.int64(raw["window_tactic"]),
        "quality": np.float32(raw["window_quality"]), "weight": np.float32(raw["window_weight"]),
        "player": np.int64(raw["player"][0]), "session": np.int64(raw["session"][0]),
        "t_s": np.float64(raw["window_t_s"]),
    }


class WindowDataset(Dataset[Item]):
    """Windows of one split (``"train"``, ``"val"``, ``"test"``; None: all) of a dataset file.

    ``transform`` (optional) maps the item dict to a new one (e.g. video augmentation).
    ``video=False`` skips reading the crops (IMU/position-only training: much less I/O); the
    item's video is then an empty (S, 3, F, 0, 0) tensor and the video mask False.
    ``in_memory`` (default: when ``video`` is False) reads the IMU, context and mask arrays of
    all steps into memory on first use instead of per window. ``vest_rotations``
    (:func:`vest_rotations`) de-tilts each window's vest with its player's matrix.
    """

    def __init__(self, path: str | Path, split: str | None = "train", *,
                 transform: Callable[[Item], Item] | None = None, video: bool = True,
                 in_memory: bool | None = None,
                 vest_rotations: dict[int, np.ndarray] | None = None) -> None:
        self.path = Path(path)
        self.vest_rotations = vest_rotations
        with DatasetFile(self.path) as ds:
            self.spec = ds.spec
            self.indices = ds.window_indices(split)
            self.table = {k: v[self.indices] for k, v in ds.windows.items()}
            starts = self.table["start"]
            self.table["player"] = ds.h5["player"][()][starts].astype(np.int64)
            self.table["session"] = ds.h5["session"][()][starts].astype(np.int64)
            self.action_names = ds.action_names
            self.tactic_names = ds.tactic_names
        self.split = split
        self.transform = transform
        self.video = video
        self.in_memory = (not video) if in_memory is None else bool(in_memory)
        self._memory: dict[str, np.ndarray] | None = None
        self._file: DatasetFile | None = None
        self._pid = -1

    def __len__(self) -> int:
        return int(self.indices.size)

    def _open(self) -> DatasetFile:
        if self._file is None or self._pid != os.getpid():
            self._file = DatasetFile(self.path)  # one handle per process (DataLoader workers)
            self._pid = os.getpid()
        return self._file

    def arrays(self, i: int) -> dict[str, Any]:
        """Item ``i`` as numpy arrays (what :meth:`__getitem__` converts to tensors)."""
        if not 0 <= i < len(self):
            raise IndexError(f"window {i} out of range ({len(self)} windows)")
        ds = self._open()
        fields: tuple[str, ...] = ("video", "imu", "context", "context_valid", "mask")
        if not self.video:
            fields = fields[1:]
        if self.in_memory:
            raw = self._window_from_memory(ds, int(self.indices[i]), fields)
        else:
            raw = ds.window(int(self.indices[i]), fields)
        raw["player"] = self.table["player"][i:i + 1]
        raw["session"] = self.table["session"][i:i + 1]
        if not self.video:
            s = self.spec
            raw["video"] = np.zeros((s.window_steps, s.frames_per_step, 0, 0, 3), np.uint8)
            raw["mask"] = raw["mask"].copy()
            raw["mask"][:, 0] = False
        if self.vest_rotations is not None:
            key = int(self.table["session"][i]) * KEY_BASE + int(self.table["player"][i])
            rot = self.vest_rotations.get(key)
            if rot is not None:
                raw["imu"] = turn_triads(raw["imu"], rot)
        return window_arrays(raw)

    def _window_from_memory(self, ds: DatasetFile, index: int, fields: tuple[str, ...]
                            ) -> dict[str, Any]:
        """What :meth:`DatasetFile.window` returns, sliced from the in-memory step arrays."""
        if self._memory is None:
            self._memory = {f: ds.h5[f][()] for f in fields}
        start = int(ds.windows["start"][index])
        out: dict[str, Any] = {f: self._memory[f][start:start + self.spec.window_steps]
                               for f in fields}
        for k, v in ds.windows.items():
            out[f"window_{k}"] = v[index]
        return out

    def __getitem__(self, i: int) -> Item:
        item = {k: torch.from_numpy(np.asarray(v)) for k, v in self.arrays(i).items()}
        return self.transform(item) if self.transform is not None else item

    def class_counts(self, task: str = "action") -> np.ndarray:
        """(classes,) windows per class of this split (-1 labels not counted)."""
        n = len(self.action_names if task == "action" else self.tactic_names)
        labels = self.table[task]
        return np.bincount(labels[labels >= 0].astype(np.int64), minlength=n)

    def sample_weights(self, task: str = "action") -> torch.Tensor:
        """(N,) float64 weights for a WeightedRandomSampler that draws classes equally often."""
        counts = self.class_counts(task).astype(np.float64)
        labels = self.table[task].astype(np.int64)
        w = np.where(labels >= 0, 1.0 / np.maximum(counts[np.clip(labels, 0, None)], 1.0), 0.0)
        return torch.from_numpy(w)

    def close(self) -> None:
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_file"] = None  # never pickle an open h5py handle (spawned workers)
        state["_pid"] = -1
        state["_memory"] = None  # workers read their own copy
        return state
