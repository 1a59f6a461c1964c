"""Array helpers behind the review app's views (no Qt here, so they are tested without a display).

Everything is on the session clock in seconds. Streams are :class:`TimeSeries`; events are
:class:`Event` lists turned once into column arrays (:class:`EventColumns`) so that filtering,
sorting, drawing and "which event is under the playhead" stay fast with 100k events.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from footcoach.domain.events import Event
from footcoach.domain.labels import Tactic
from footcoach.domain.session import Player
from footcoach.domain.timeseries import TimeSeries

MAX_POSITION_GAP_S = 2.0
"""A position is interpolated between two GPS fixes only when they are at most this far apart."""


# --------------------------------------------------------------------------- events as columns
@dataclass(frozen=True)
class EventColumns:
    """Column view of an event list (all arrays have shape (N,)).

    ``player`` indexes ``player_ids``; ``tactic`` is -1 where the event has none; ``quality``
    is NaN where the event has none.
    """

    start: np.ndarray  # float64 seconds
    end: np.ndarray  # float64 seconds
    player: np.ndarray  # int32 index into player_ids
    action: np.ndarray  # int16 Action value
    tactic: np.ndarray  # int16 Tactic value or -1
    quality: np.ndarray  # float64 0..100 or NaN
    confidence: np.ndarray  # float64 0..1
    player_ids: tuple[str, ...]

    @classmethod
    def build(cls, events: Sequence[Event], player_ids: Sequence[str] = ()) -> EventColumns:
        """Columns of ``events``; players not in ``player_ids`` are appended in order of use."""
        ids = list(player_ids)
        code = {pid: i for i, pid in enumerate(ids)}
        n = len(events)
        player = np.empty(n, dtype=np.int32)
        for i, e in enumerate(events):
            c = code.get(e.player_id)
            if c is None:
                c = code[e.player_id] = len(ids)
                ids.append(e.player_id)
            player[i] = c
        return cls(
            start=np.fromiter((e.start_s for e in events), np.float64, n),
            end=np.fromiter((e.end_s for e in events), np.float64, n),
            player=player,
            action=np.fromiter((int(e.action) for e in events), np.int16, n),
            tactic=np.fromiter((-1 if e.tactic is None else int(e.tactic) for e in events),
                               np.int16, n),
            quality=np.fromiter((np.nan if e.quality is None else e.quality for e in events),
                                np.float64, n),
            confidence=np.fromiter((e.confidence for e in events), np.float64, n),
            player_ids=tuple(ids),
        )

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def player_code(self, player_id: str) -> int:
        """Index of ``player_id`` in :attr:`player_ids` (-1 when it has no events)."""
        try:
            return self.player_ids.index(player_id)
        except ValueError:
            return -1


class EventIndex:
    """"Which event of player P covers time t" in O(log n) per query.

    Built once per event list; events of one player may overlap (the latest-starting event
    that covers ``t`` wins).
    """

    def __init__(self, events: Sequence[Event], columns: EventColumns | None = None):
        self.events = list(events)
        self.columns = columns if columns is not None else EventColumns.build(self.events)
        cols = self.columns
        self._by_player: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for code, pid in enumerate(cols.player_ids):
            rows = np.flatnonzero(cols.player == code)
            order = rows[np.argsort(cols.start[rows], kind="stable")]
            starts = cols.start[order]
            # running maximum of the ends: lets a query stop scanning back early
            reach = np.maximum.accumulate(cols.end[order]) if order.size else cols.end[order]
            self._by_player[pid] = (starts, reach, order)

    def event_at(self, player_id: str, t: float) -> Event | None:
        """The event of ``player_id`` with ``start_s <= t < end_s`` (None when there is none)."""
        entry = self._by_player.get(player_id)
        if entry is None:
            return None
        starts, reach, order = entry
        i = int(np.searchsorted(starts, t, side="right")) - 1
        end = self.columns.end
        while i >= 0 and reach[i] > t:
            row = int(order[i])
            if end[row] > t:
                return self.events[row]
            i -= 1
        return None


def team_tactic_segments(columns: EventColumns, mask: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The team's tactic over time: at each instant, the tactic most players' events carry
    (only the events where ``mask`` (N,) is True, when given).

    Returns ``(start, end, tactic)`` arrays of shape (M,): consecutive pieces with one majority
    tactic (ties go to the lower Tactic value); instants where no event carries a tactic are left
    out. Cost O(N log N + M * 8) for N events.
    """
    keep = columns.tactic >= 0
    if mask is not None:
        keep &= mask
    s, e, k = columns.start[keep], columns.end[keep], columns.tactic[keep].astype(np.intp)
    if s.size == 0:
        empty = np.empty(0)
        return empty, empty.copy(), np.empty(0, dtype=np.int16)
    edges = np.unique(np.concatenate([s, e]))
    n_k = len(Tactic)
    size = edges.size * n_k
    opened = np.bincount(np.searchsorted(edges, s) * n_k + k, minlength=size)
    closed = np.bincount(np.searchsorted(edges, e) * n_k + k, minlength=size)
    delta = (opened - closed).reshape(edges.size, n_k)
    counts = np.cumsum(delta, axis=0)[:-1]  # counts on [edges[i], edges[i+1])
    best = np.argmax(counts, axis=1)
    active = counts[np.arange(best.size), best] > 0
    lo, hi = edges[:-1], edges[1:]
    # merge neighbours that carry the same tactic and touch
    label = np.where(active, best, -1)
    change = np.r_[True, label[1:] != label[:-1]]
    first = np.flatnonzero(change)
    last = np.r_[first[1:] - 1, label.size - 1]
    seg_label = label[first]
    ok = seg_label >= 0
    return lo[first][ok], hi[last][ok], seg_label[ok].astype(np.int16)


# --------------------------------------------------------------------------- signals
def decimate_minmax(t: np.ndarray, y: np.ndarray, t0: float, t1: float,
                    n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce samples in ``[t0, t1)`` to a min and a max per time bin, for drawing.

    ``t`` (N,) sorted seconds, ``y`` (N,) values (NaN = missing). With ``n_bins`` bins of equal
    width (one per pixel column) the result has at most ``2 * n_bins`` points: per non-empty
    bin its minimum and maximum in the order they occur, at their own sample times, so peaks
    survive and the line looks like the full-resolution one. When the range holds no more than
    ``2 * n_bins`` samples they are returned unchanged. Bins whose samples are all NaN give one
    NaN point (a gap in the line). One sample on each side of the range is kept so the line
    reaches the plot edges.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    lo = max(int(np.searchsorted(t, t0, side="left")) - 1, 0)
    hi = min(int(np.searchsorted(t, t1, side="left")) + 1, t.shape[0])
    ts, ys = t[lo:hi], y[lo:hi]
    if ts.shape[0] <= 2 * n_bins:
        return ts.copy(), ys.copy()
    width = (t1 - t0) / n_bins
    bins = np.clip(((ts - t0) // width).astype(np.int64), -1, n_bins)
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    finite = np.isfinite(ys)
    y_lo = np.where(finite, ys, np.inf)
    y_hi = np.where(finite, ys, -np.inf)
    # arg-min/max per bin: reduceat on values, then find the positions of those values
    mins = np.minimum.reduceat(y_lo, starts)
    maxs = np.maximum.reduceat(y_hi, starts)
    seg = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, ts.shape[0]]))
    pos = np.arange(ts.shape[0])
    big = ts.shape[0]
    i_min = np.minimum.reduceat(np.where(y_lo == mins[seg], pos, big), starts)
    i_max = np.minimum.reduceat(np.where(y_hi == maxs[seg], pos, big), starts)
    empty = ~np.isfinite(mins)
    a = np.minimum(i_min, i_max)
    b = np.maximum(i_min, i_max)
    a[empty] = starts[empty]
    b[empty] = starts[empty]
    idx = np.column_stack([a, b]).ravel()
    out_t = ts[idx]
    out_y = ys[idx].copy()
    out_y[np.repeat(empty, 2)] = np.nan
    return out_t, out_y


def acc_magnitude(imu: TimeSeries) -> np.ndarray:
    """(N,) Euclidean norm of acc_x, acc_y, acc_z (same unit as the channels)."""
    acc = imu.select(("acc_x", "acc_y", "acc_z")).values
    return np.sqrt(np.sum(acc * acc, axis=1))


def speed_of(gps: TimeSeries) -> np.ndarray:
    """(N,) speed in m/s: the ``speed`` channel when present, else from x/y differences."""
    if gps.has("speed"):
        return gps.channel("speed")
    if not gps.has("x", "y") or len(gps) < 2:
        return np.full(len(gps), np.nan)
    dt = np.diff(gps.t)
    dist = np.hypot(np.diff(gps.channel("x")), np.diff(gps.channel("y")))
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(dt > 0, dist / dt, np.nan)
    return np.r_[v[:1], v]


# --------------------------------------------------------------------------- positions
def position_at(gps: TimeSeries, t: float, max_gap_s: float = MAX_POSITION_GAP_S) -> np.ndarray:
    """(2,) pitch x, y metres at ``t``, linearly interpolated; NaN outside the data or across a
    gap longer than ``max_gap_s``."""
    n = len(gps)
    out = np.full(2, np.nan)
    if n == 0 or not (gps.t[0] <= t <= gps.t[-1]):
        return out
    xy = gps.values[:, :2] if gps.channels[:2] == ("x", "y") else gps.select(("x", "y")).values
    i = int(np.searchsorted(gps.t, t, side="left"))  # first fix at or after t
    if gps.t[i] == t:
        return xy[i].copy()
    j = i - 1
    t_a, t_b = gps.t[j], gps.t[i]
    if t_b - t_a > max_gap_s:
        return out
    w = (t - t_a) / (t_b - t_a)
    return (1 - w) * xy[j] + w * xy[i]


def tail(gps: TimeSeries, t: float, seconds: float) -> np.ndarray:
    """(K, 2) pitch x, y of the fixes in ``(t - seconds, t]`` (the trail behind the player)."""
    lo, hi = np.searchsorted(gps.t, [t - seconds, t], side="right")
    xy = gps.values[lo:hi, :2] if gps.channels[:2] == ("x", "y") else \
        gps.select(("x", "y")).values[lo:hi]
    return np.asarray(xy)


def occupancy(x: np.ndarray, y: np.ndarray, length_m: float, width_m: float,
              bin_m: float = 1.0) -> np.ndarray:
    """(ceil(length/bin), ceil(width/bin)) count of positions per pitch cell; NaN and off-pitch
    positions are left out. Index [i, j] covers x in [i*bin, (i+1)*bin), y likewise."""
    nx = max(int(np.ceil(length_m / bin_m)), 1)
    ny = max(int(np.ceil(width_m / bin_m)), 1)
    ok = np.isfinite(x) & np.isfinite(y)
    h, _, _ = np.histogram2d(x[ok], y[ok], bins=(nx, ny),
                             range=((0.0, nx * bin_m), (0.0, ny * bin_m)))
    return h


# --------------------------------------------------------------------------- captions
def player_caption(player: Player) -> str:
    """``"#7 Ana"``, ``"#7"``, or the player id."""
    if player.number is not None:
        return f"#{player.number} {player.name}".strip()
    return player.name or player.id


def event_caption(event: Event | None) -> str:
    """``"running · pressing · Q72"`` (parts that are missing are left out)."""
    if event is None:
        return ""
    parts = [event.action.label]
    if event.tactic is not None:
        parts.append(event.tactic.label)
    if event.quality is not None:
        parts.append(f"Q{event.quality:.0f}")
    return " · ".join(parts)


# --------------------------------------------------------------------------- time text
_CLOCK = re.compile(r"^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?)\s*$")


def parse_time(text: str) -> float:
    """``"75.5"``, ``"1:15.5"`` or ``"0:01:15.5"`` -> 75.5 seconds (``-`` prefix allowed).

    Raises ValueError with a readable message on anything else.
    """
    s = text.strip()
    sign = -1.0 if s.startswith("-") else 1.0
    m = _CLOCK.match(s.lstrip("-"))
    if not s or m is None:
        raise ValueError(f"cannot read {text!r} as a time (use seconds, m:ss or h:mm:ss)")
    a, b, sec = m.groups()
    if a is not None and b is not None:
        h, mi = int(a), int(b)
    else:
        h, mi = 0, int(a) if a is not None else 0
    return sign * (h * 3600 + mi * 60 + float(sec))


def format_time(seconds: float, decimals: int = 2) -> str:
    """Seconds -> ``"m:ss.ss"`` (``"h:mm:ss.ss"`` from one hour); negative values get ``-``."""
    if not np.isfinite(seconds):
        return "--:--"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    width = 3 + decimals if decimals else 2
    sec_text = f"{sec:0{width}.{decimals}f}"
    if sec_text.startswith("60"):  # rounding up to the next minute
        sec_text = f"{0:0{width}.{decimals}f}"
        m += 1
    if h >= 1 or m >= 60:
        h, m = h + m // 60, m % 60
        return f"{sign}{int(h)}:{int(m):02d}:{sec_text}"
    return f"{sign}{int(m)}:{sec_text}"
