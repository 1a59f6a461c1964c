"""A sampled multichannel signal on a clock in seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class TimeSeries:
    """Samples of one stream (an IMU vest, a GPS unit, a tracked player...).

    Attributes:
        t: float64 array (N,), sample times in seconds. On the stream's own clock until the
            stream is aligned (``sync``), then on the session clock. Non-decreasing.
        values: float64 array (N, C) (float32 is kept as float32: aligned 100 Hz IMU of long
            sessions is stored that way to halve memory); NaN marks a missing value.
        channels: C channel names, e.g. ``("acc_x", "acc_y", "acc_z")``.
        units: C unit strings, e.g. ``("g", "g", "g")``; SI-ish spellings: ``g``, ``m/s^2``,
            ``deg/s``, ``rad/s``, ``uT``, ``m``, ``deg``, ``m/s``.
        name: what the stream is (``"imu"``, ``"gps"``, ``"tracking"``).
        source: the file it came from, for messages.
        t0_epoch_s: the absolute time (Unix seconds, UTC) of ``t == 0`` when the file gave
            absolute timestamps, else None.
    """

    t: np.ndarray
    values: np.ndarray
    channels: tuple[str, ...]
    units: tuple[str, ...]
    name: str = ""
    source: str = ""
    t0_epoch_s: float | None = None
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=np.float64)
        values = np.asarray(self.values)
        if values.dtype != np.float32:
            values = values.astype(np.float64, copy=False)
        if values.ndim == 1:
            values = values[:, None]
        self.values = values
        self.channels = tuple(self.channels)
        self.units = tuple(self.units)
        if self.t.ndim != 1 or self.values.shape[0] != self.t.shape[0]:
            raise ValueError(f"time {self.t.shape} and values {self.values.shape} disagree")
        if len(self.channels) != self.values.shape[1] or len(self.units) != len(self.channels):
            raise ValueError("one channel name and one unit per column are needed")

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) if len(self) > 1 else 0.0

    @property
    def rate_hz(self) -> float:
        """Nominal sampling rate from the median sample interval (0 when undefined)."""
        if len(self) < 2:
            return 0.0
        dt = np.diff(self.t)
        dt = dt[dt > 0]
        return float(1.0 / np.median(dt)) if dt.size else 0.0

    def index(self, channel: str) -> int:
        try:
            return self.channels.index(channel)
        except ValueError:
            raise KeyError(f"{self.name or 'stream'} has no channel {channel!r}") from None

    def channel(self, channel: str) -> np.ndarray:
        """The (N,) column of one channel."""
        return self.values[:, self.index(channel)]

    def has(self, *channels: str) -> bool:
        return all(c in self.channels for c in channels)

    def select(self, channels: list[str] | tuple[str, ...]) -> TimeSeries:
        idx = [self.index(c) for c in channels]
        return self.replace(values=self.values[:, idx], channels=tuple(channels),
                            units=tuple(self.units[i] for i in idx))

    def slice_time(self, start_s: float, end_s: float) -> TimeSeries:
        """Samples with start_s <= t < end_s."""
        lo, hi = np.searchsorted(self.t, [start_s, end_s], side="left")
        return self.replace(t=self.t[lo:hi], values=self.values[lo:hi])

    def shifted(self, offset_s: float) -> TimeSeries:
        """The same samples with ``offset_s`` added to every time."""
        return self.replace(t=self.t + offset_s)

    def replace(self, **changes: object) -> TimeSeries:
        fields = dict(t=self.t, values=self.values, channels=self.channels, units=self.units,
                      name=self.name, source=self.source, t0_epoch_s=self.t0_epoch_s,
                      meta=dict(self.meta))
        fields.update(changes)
        return TimeSeries(**fields)  # type: ignore[arg-type]
