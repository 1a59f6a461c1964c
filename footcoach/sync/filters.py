"""Preprocessing of one stream: repeated times, outliers, the nominal grid, gaps, smoothing.

The steps follow the paper (PAPER.md, "Preprocessing"): drop repeated timestamps, remove
outliers (GPS spikes, IMU saturation), put the stream on its nominal sampling grid so dropouts
become explicit NaN rows, interpolate short gaps linearly, smooth IMU with a moving average.
Everything works on whole numpy arrays; a 90-minute 100 Hz IMU stream (540k x 9) takes a small
fraction of a second per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError

G0_MPS2 = 9.80665
"""Standard gravity: converts accelerometer readings in g to m/s^2."""

_ACC_UNITS = {"g": 1.0, "m/s^2": 1.0 / G0_MPS2, "m/s2": 1.0 / G0_MPS2}  # unit -> factor to g
_GYRO_UNITS = {"rad/s": 1.0, "deg/s": np.pi / 180.0, "dps": np.pi / 180.0}  # -> rad/s


@dataclass(frozen=True)
class Gap:
    """A run of grid rows with a missing value: ``start_s`` is the first missing row's time,
    ``end_s`` the time of the next complete row (or one interval past the last row)."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class GapReport:
    """What :func:`fill_gaps` found and did. Row counts are grid rows; a row is *missing* when any
    of its channels is NaN.

    Attributes:
        rate_hz: the nominal rate of the grid.
        n_input: rows of the input series.
        n_grid: rows of the grid (first to last input sample).
        n_merged: input samples dropped because an earlier sample took the same grid slot.
        n_missing_before: grid rows missing before interpolation.
        n_filled: rows made complete by interpolation.
        n_missing_after: rows still missing afterwards.
        longest_gap_s: the longest run of missing rows before interpolation, in seconds.
        gap_start_s, gap_end_s: (G,) the runs left missing (longer than ``max_gap_s`` or at
            either end), as in :class:`Gap`; :attr:`gaps` lists them as objects.
    """

    rate_hz: float
    n_input: int
    n_grid: int
    n_merged: int = 0
    n_missing_before: int = 0
    n_filled: int = 0
    n_missing_after: int = 0
    longest_gap_s: float = 0.0
    gap_start_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    gap_end_s: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def gaps(self) -> list[Gap]:
        return [Gap(a, b) for a, b in zip(self.gap_start_s.tolist(), self.gap_end_s.tolist(),
                                          strict=True)]


def accelerometer_columns(ts: TimeSeries) -> tuple[list[int], np.ndarray]:
    """Indices of the three accelerometer channels (``acc*`` named, unit ``g`` or ``m/s^2``)
    and the factors (3,) that convert each to g."""
    idx, scale = [], []
    for i, (name, unit) in enumerate(zip(ts.channels, ts.units, strict=True)):
        u = unit.strip().lower()
        if name.lower().startswith("acc") and u in _ACC_UNITS:
            idx.append(i)
            scale.append(_ACC_UNITS[u])
    if len(idx) != 3:
        raise FootcoachError(
            f"need three accelerometer channels (acc_*, in g or m/s^2), found {list(ts.channels)}",
            ts.source or None)
    return idx, np.asarray(scale)


def has_nan(values: np.ndarray) -> bool:
    """Whether the float array holds a NaN: one pass with no temporary array (NaN propagates
    through ``min``), much cheaper than ``np.isnan(values).any()`` on long streams."""
    return bool(values.size) and bool(np.isnan(values.min()))


def nan_rows(values: np.ndarray) -> np.ndarray:
    """(N,) bool: the rows of (N, C) ``values`` with a NaN."""
    if not has_nan(values):
        return np.zeros(values.shape[0], dtype=bool)
    rows: np.ndarray = np.isnan(values).any(axis=1)
    return rows


# ---------------------------------------------------------------------------------------------
# repeated timestamps


def dedupe_times(ts: TimeSeries, tol_s: float = 1e-6) -> tuple[TimeSeries, int]:
    """Keep the first of samples sharing a timestamp; also drop samples going back in time.

    A sample is kept when its time exceeds every earlier time by more than ``tol_s`` (so a clock
    that jumps backwards loses the samples until it passes its earlier maximum); samples with a
    non-finite time are dropped too. Returns the cleaned series and how many rows were dropped.
    """
    t = ts.t
    if len(ts) == 0:
        return ts, 0
    if np.isfinite(t[0]) and np.isfinite(t[-1]) and bool(np.all(t[1:] > t[:-1] + tol_s)):
        return ts, 0  # increasing (so finite between the ends): the test below keeps every row
    finite = np.isfinite(t)
    prev_max = np.maximum.accumulate(np.where(finite, t, -np.inf))
    keep = finite.copy()
    keep[1:] &= t[1:] > prev_max[:-1] + tol_s
    n_dropped = int(len(ts) - np.count_nonzero(keep))
    if n_dropped == 0:
        return ts, 0
    return ts.replace(t=t[keep], values=ts.values[keep]), n_dropped


# ---------------------------------------------------------------------------------------------
# outliers


def remove_gps_spikes(
    ts: TimeSeries,
    max_speed_mps: float = 12.0,
    max_accel_mps2: float = 10.0,
    *,
    x: str = "x",
    y: str = "y",
    window_s: float = 1.0,
    noise_m: float = 0.5,
    max_piece_s: float = 60.0,
) -> tuple[TimeSeries, int]:
    """Set to NaN the GPS fixes (whole rows) whose position implies an impossible movement.

    Positions are the ``x``, ``y`` channels in metres; ``noise_m`` of ordinary GNSS noise (and
    quantisation) is always allowed. Two passes:

    1. Spikes and short bursts. The reference of each fix is the per-axis median of the valid
       fixes within ``window_s`` around it, each first moved along the window's median velocity
       to the fix's time (so a running player's trend does not bias it, also near ends and
       gaps); it resists bursts of up to half the window and follows real steps. A fix ``e``
       metres off its reference must have left the true path and come back within about one
       sample interval ``dt``: a speed ``e/dt`` and an acceleration ``2 e / dt^2``. It is
       removed when either exceeds its limit, i.e. when
       ``e > noise_m + min(max_speed * dt, max_accel * dt^2 / 2)``. Fixes with fewer than 3
       valid fixes in their window are not judged.
    2. Jumps. Consecutive remaining fixes further apart than ``noise_m + max_speed * (t2 - t1)``
       split the track into pieces; of the two pieces around each jump the one with fewer fixes
       is removed when it lasts less than ``max_piece_s`` (a receiver settling at switch-on, a
       multipath episode). Jumps between two long pieces are left (no way to tell which side is
       wrong; :mod:`footcoach.analysis.metrics` drops impossible speeds).

    Returns the cleaned series and the number of rows set to NaN.
    """
    if not ts.has(x, y):
        raise FootcoachError(f"GPS spike removal needs channels {x!r} and {y!r} in metres, "
                             f"found {list(ts.channels)}", ts.source or None)
    rate = ts.rate_hz
    if len(ts) < 3 or rate <= 0:
        return ts, 0
    xy = ts.values[:, [ts.index(x), ts.index(y)]]
    idx = np.flatnonzero(np.isfinite(xy[:, 0]) & np.isfinite(xy[:, 1]))
    if idx.size < 3:
        return ts, 0
    dt = 1.0 / rate
    pts, tt = xy[idx], ts.t[idx]  # windows run over valid fixes, so NaN rows do not widen them
    ref, counts = _robust_reference(pts, tt, max(1, round(window_s * rate / 2.0)))
    err = np.hypot(pts[:, 0] - ref[:, 0], pts[:, 1] - ref[:, 1])
    limit = noise_m + min(max_speed_mps * dt, 0.5 * max_accel_mps2 * dt * dt)
    bad = (err > limit) & (counts >= 3)
    keep = idx[~bad]
    bad_rows = [idx[bad], _short_pieces(ts.t[keep], xy[keep], keep, max_speed_mps, noise_m,
                                        max_piece_s)]
    rows = np.concatenate(bad_rows)
    if rows.size == 0:
        return ts, 0
    values = ts.values.copy()
    values[rows, :] = np.nan
    return ts.replace(values=values), int(rows.size)


def _short_pieces(t: np.ndarray, xy: np.ndarray, rows: np.ndarray, max_speed_mps: float,
                  noise_m: float, max_piece_s: float) -> np.ndarray:
    """Rows of the short pieces cut off by impossible jumps (see :func:`remove_gps_spikes`)."""
    if t.size < 2:
        return np.empty(0, dtype=np.int64)
    dist = np.hypot(*np.diff(xy, axis=0).T)
    jump = dist > noise_m + max_speed_mps * np.diff(t)
    if not jump.any():
        return np.empty(0, dtype=np.int64)
    label = np.concatenate([[0], np.cumsum(jump)])
    size = np.bincount(label)
    first = np.searchsorted(label, np.arange(size.size))
    span = t[np.minimum(first + size - 1, t.size - 1)] - t[first]
    j = np.flatnonzero(jump)
    left, right = label[j], label[j + 1]
    drop = np.where(size[left] < size[right], left, right)
    drop = drop[span[drop] < max_piece_s]
    return rows[np.isin(label, drop)]


def _robust_reference(pts: np.ndarray, tt: np.ndarray,
                      half: int) -> tuple[np.ndarray, np.ndarray]:
    """Detrended running median of positions ``pts`` (M, 2) at times ``tt`` (M,) over
    ``2 half + 1`` fixes: (reference (M, 2), valid fixes per window (M,))."""
    w = 2 * half + 1
    p_win = np.lib.stride_tricks.sliding_window_view(
        np.pad(pts, ((half, half), (0, 0)), constant_values=np.nan), w, axis=0)  # (M, 2, W)
    t_win = np.lib.stride_tricks.sliding_window_view(
        np.pad(tt, half, constant_values=np.nan), w)  # (M, W)
    with np.errstate(invalid="ignore", divide="ignore"):
        vel = np.diff(pts, axis=0) / np.diff(tt)[:, None]  # (M-1, 2)
    v_win = np.lib.stride_tricks.sliding_window_view(
        np.pad(vel, ((half, half), (0, 0)), constant_values=np.nan), 2 * half, axis=0)
    v_med = _nanmedian_rows(v_win)  # (M, 2)
    v_med = np.where(np.isfinite(v_med), v_med, 0.0)
    moved = p_win - v_med[:, :, None] * (t_win - tt[:, None])[:, None, :]
    if np.isfinite(tt).all():  # only the padding is NaN: the window minus what falls outside
        i = np.arange(tt.size)
        counts = np.minimum(i, half) + 1 + np.minimum(tt.size - 1 - i, half)
    else:
        counts = np.count_nonzero(np.isfinite(t_win), axis=1)
    return _nanmedian_rows(moved), counts


def _nanmedian_rows(windows: np.ndarray) -> np.ndarray:
    """Median over the last axis of (N, C, W) windows ignoring NaN (all-NaN -> NaN)."""
    w = np.sort(windows, axis=-1)  # NaN sort last, -inf first, +inf before NaN
    size = w.shape[-1]
    med: np.ndarray = 0.5 * (w[..., (size - 1) // 2] + w[..., size // 2])
    full = np.isfinite(w[..., 0]) & np.isfinite(w[..., -1])  # all W values finite
    if not full.all():  # the rest, with fewer valid values (ends, gaps)
        part = w[~full]
        cnt = np.count_nonzero(np.isfinite(part), axis=-1)
        lo = np.clip((cnt - 1) // 2, 0, None)
        hi = np.clip(cnt // 2, 0, None)
        a = np.take_along_axis(part, lo[..., None], axis=-1)[..., 0]
        b = np.take_along_axis(part, hi[..., None], axis=-1)[..., 0]
        rest = 0.5 * (a + b)
        rest[cnt == 0] = np.nan
        med[~full] = rest
    return med


def remove_imu_saturation(
    ts: TimeSeries,
    acc_range_g: float = 16.0,
    gyro_range_rads: float = 34.9,
    *,
    rel_tol: float = 1e-3,
) -> tuple[TimeSeries, int]:
    """Set to NaN the IMU values at or beyond the sensor's full-scale range (clipped samples).

    Accelerometer channels are recognised by their unit (``g`` or ``m/s^2``), gyroscope channels
    by ``rad/s`` or ``deg/s``; other channels (magnetometer...) are left alone. A value is
    saturated when ``|v| >= range * (1 - rel_tol)``; only that channel of the row becomes NaN (the
    gap filling then bridges short clipped runs). Returns the series and the number of rows
    with at least one saturated value.
    """
    limits = np.full(len(ts.channels), np.inf)
    for i, unit in enumerate(ts.units):
        u = unit.strip().lower()
        if u in _ACC_UNITS:
            limits[i] = acc_range_g / _ACC_UNITS[u]
        elif u in _GYRO_UNITS:
            limits[i] = gyro_range_rads / _GYRO_UNITS[u]
    if not np.isfinite(limits).any() or len(ts) == 0:
        return ts, 0
    bound = limits * (1.0 - rel_tol)
    if not _any_at_or_beyond(ts.values, bound):
        return ts, 0
    with np.errstate(invalid="ignore"):
        sat = np.abs(ts.values) >= bound
    rows = np.any(sat, axis=1)
    n_rows = int(np.count_nonzero(rows))
    if n_rows == 0:
        return ts, 0
    values = ts.values.copy()
    values[sat] = np.nan
    return ts.replace(values=values), n_rows


def _any_at_or_beyond(values: np.ndarray, bound: np.ndarray) -> bool:
    """``(np.abs(values) >= bound).any()`` for (N, C) ``values`` and (C,) ``bound``, checked
    block by block (cache-warm) on flat arrays (a (C,) broadcast per row is slow)."""
    rows = 32768
    if not values.flags.c_contiguous:
        with np.errstate(invalid="ignore"):
            return any(bool((np.abs(values[r:r + rows]) >= bound).any())
                       for r in range(0, values.shape[0], rows))
    size = min(rows, values.shape[0]) * values.shape[1]
    limit = np.tile(bound, size // max(1, values.shape[1]))
    buf = np.empty(size)
    for r in range(0, values.shape[0], rows):
        flat = values[r:r + rows].reshape(-1)
        part = np.abs(flat, out=buf[:flat.size])
        if np.greater_equal(part, limit[:flat.size]).any():  # NaN compares False
            return True
    return False


# ---------------------------------------------------------------------------------------------
# nominal grid and gap filling


def grid_steps(t: np.ndarray, dt: float) -> np.ndarray:
    """Grid index (N,) int64 of each sample, counting from 0 at ``t[0]``: the running sum of
    every time step rounded to whole intervals ``dt``. Rounding each step on its own (not the
    elapsed time) keeps a slightly wrong ``dt`` from accumulating over a long session."""
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    return _grid_steps(np.diff(t), dt)


def _grid_steps(steps: np.ndarray, dt: float) -> np.ndarray:
    """:func:`grid_steps` from the time steps (N - 1,) float64, which it overwrites."""
    steps /= dt
    np.rint(steps, out=steps)  # what np.round does with decimals=0
    k = np.empty(steps.size + 1, dtype=np.int64)
    k[0] = 0
    np.cumsum(steps.astype(np.int64), out=k[1:])
    return k


def nominal_grid(t: np.ndarray, rate_hz: float | None = None) -> tuple[float, float, np.ndarray]:
    """``(t0_s, dt_s, k)``: the regular grid ``t0 + k dt`` that best fits increasing sample times
    ``t`` (N,), and the grid index ``k`` (N,) of every sample.

    The interval starts as the median positive time step (or ``1/rate_hz`` when given); the
    samples get their indices from :func:`grid_steps`, then ``t0`` and (without ``rate_hz``)
    ``dt`` are fitted by least squares, so a clock running slightly off its nominal rate does not
    drift off the grid.
    """
    return _nominal_grid(t, np.diff(t), rate_hz)


def _nominal_grid(t: np.ndarray, steps: np.ndarray,
                  rate_hz: float | None) -> tuple[float, float, np.ndarray]:
    """:func:`nominal_grid` given ``steps = np.diff(t)``, which it overwrites."""
    if t.size < 2:
        return (float(t[0]) if t.size else 0.0), (1.0 / rate_hz if rate_hz else 1.0), \
            np.zeros(t.size, dtype=np.int64)
    if rate_hz:
        dt = 1.0 / rate_hz
    else:
        positive = steps[steps > 0]
        if positive.size == 0:
            raise FootcoachError("all samples share one time; no sampling rate")
        dt = float(np.median(positive, overwrite_input=True))
        del positive
    k = _grid_steps(steps, dt)
    kf = k.astype(np.float64)
    km, tm = kf.mean(), t.mean()
    if not rate_hz and k[-1] > 0:
        kf -= km  # the least-squares slope sum((k - km)(t - tm)) / sum((k - km)^2)
        dev = t - tm
        dev *= kf
        kf *= kf
        dt = float(np.sum(dev) / np.sum(kf))
    t0 = float(tm - dt * km)
    return t0, dt, k


def to_nominal_grid(ts: TimeSeries, rate_hz: float | None = None, *,
                    copy: bool = True) -> tuple[TimeSeries, int]:
    """Place the samples on their nominal regular grid; grid slots without a sample are NaN rows.

    Each sample goes to the slot counted by :func:`grid_steps` (on a steady clock its nearest
    slot, so it moves by its jitter only); when two samples land on one slot the first is kept.
    ``ts`` must have increasing times (see :func:`dedupe_times`). Returns the gridded series (times
    ``t0 + k dt``) and the number of samples dropped for sharing a slot. ``copy=False``: when
    the samples already are the grid rows, their (float64) values array is shared, not copied.
    """
    n = len(ts)
    if n == 0:
        return ts, 0
    steps = np.diff(ts.t)
    if np.any(steps <= 0):
        bad = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise FootcoachError("times must increase; remove repeated times first",
                             ts.source or None, f"t={ts.t[bad]:.3f}s")
    t0, dt, k = _nominal_grid(ts.t, steps, rate_hz)
    del steps
    n_grid = int(k[-1]) + 1
    if n_grid > 4 * n + 1_000_000:
        jump = int(np.argmax(np.diff(ts.t))) + 1
        raise FootcoachError(
            f"a gap of {ts.t[jump] - ts.t[jump - 1]:.1f}s would need {n_grid} grid rows "
            f"at {1 / dt:.3g} Hz for {n} samples; is this timestamp wrong?",
            ts.source or None, f"row {jump}")
    first = np.ones(n, dtype=bool)
    first[1:] = k[1:] != k[:-1]
    if n_grid == n and first.all():  # no dropout, nothing merged: k is 0..n-1
        values = ts.values.astype(np.float64, copy=copy)
    else:
        values = np.full((n_grid, ts.values.shape[1]), np.nan)
        if first.all():
            values[k] = ts.values
        else:
            values[k[first]] = ts.values[first]
    t_grid = np.arange(n_grid, dtype=np.float64)
    t_grid *= dt
    t_grid += t0  # = t0 + np.arange(n_grid) * dt
    meta = dict(ts.meta)
    meta["rate_hz"] = 1.0 / dt
    out = ts.replace(t=t_grid, values=values, meta=meta)
    return out, int(n - np.count_nonzero(first))


def mask_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the True runs of a 1-D boolean array."""
    if not mask.any():
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    d = np.diff(mask.astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _fill_short(v: np.ndarray, t: np.ndarray, dt: float, max_gap_s: float, nan: np.ndarray,
                row_nan: np.ndarray) -> np.ndarray:
    """Linear interpolation over each column's NaN runs of ``v`` (N, C) lasting at most
    ``max_gap_s`` (missing rows times ``dt``) with values on both sides. ``nan`` (N, C) and
    ``row_nan`` (N,) are ``isnan(v)`` and its any over the row."""
    if not row_nan.any():
        return v
    n = v.shape[0]
    if np.array_equal(nan, np.broadcast_to(row_nan[:, None], nan.shape)):
        nan_cols = row_nan[:, None]  # whole-row dropouts (the usual case): one index pass
    else:
        nan_cols = nan
    pos = np.arange(n)[:, None]
    prev = np.maximum.accumulate(np.where(nan_cols, -1, pos), axis=0)
    nxt = np.minimum.accumulate(np.where(nan_cols, n, pos)[::-1], axis=0)[::-1]
    fill = nan_cols & (prev >= 0) & (nxt < n) & ((nxt - prev - 1) * dt <= max_gap_s + 1e-9 * dt)
    fill = np.broadcast_to(fill, nan.shape) & nan
    prev = np.broadcast_to(prev, nan.shape)
    nxt = np.broadcast_to(nxt, nan.shape)
    rows, cols = np.nonzero(fill)
    if rows.size == 0:
        return v
    p, q = prev[rows, cols], nxt[rows, cols]
    w = (t[rows] - t[p]) / (t[q] - t[p])
    out = v.copy()
    out[rows, cols] = v[p, cols] + w * (v[q, cols] - v[p, cols])
    return out


def fill_gaps(
    ts: TimeSeries, max_gap_s: float, *, rate_hz: float | None = None, copy: bool = True
) -> tuple[TimeSeries, GapReport]:
    """Put ``ts`` on its nominal grid and interpolate gaps of at most ``max_gap_s`` seconds.

    Dropouts become explicit NaN rows (:func:`to_nominal_grid`), then each channel's NaN runs
    with known values on both sides and a length of at most ``max_gap_s`` (counted as missing
    rows times the interval) are filled by linear interpolation
    ``P(t) = P1 + (t - t1)/(t2 - t1) (P2 - P1)``. Longer gaps, and gaps at either end, stay NaN
    and are listed in the report. ``copy=False`` may share ``ts``'s values array (nothing to
    place or fill), for callers that make a new array next.
    """
    grid, n_merged = to_nominal_grid(ts, rate_hz, copy=copy)
    n_grid = len(grid)
    if n_grid < 2:  # no interval, nothing to fill
        missing = int(np.count_nonzero(nan_rows(grid.values)))
        return grid, GapReport(rate_hz=rate_hz or 0.0, n_input=len(ts), n_grid=n_grid,
                               n_merged=n_merged, n_missing_before=missing,
                               n_missing_after=missing)
    dt = 1.0 / float(grid.meta["rate_hz"])  # type: ignore[arg-type]
    if has_nan(grid.values):
        nan = np.isnan(grid.values)
        missing_before = nan.any(axis=1)
        values = _fill_short(grid.values, grid.t, dt, max_gap_s, nan, missing_before)
        del nan
        missing_after = missing_before if values is grid.values else nan_rows(values)
    else:
        values, missing_before = grid.values, np.zeros(n_grid, dtype=bool)
        missing_after = missing_before
    s0, e0 = mask_runs(missing_before)
    s1, e1 = (s0, e0) if missing_after is missing_before else mask_runs(missing_after)
    # a run reaching the end stops one step later
    gap_end = np.where(e1 < n_grid, grid.t[np.minimum(e1, n_grid - 1)], grid.t[-1] + dt)
    report = GapReport(
        rate_hz=1.0 / dt,
        n_input=len(ts),
        n_grid=n_grid,
        n_merged=n_merged,
        n_missing_before=int(np.count_nonzero(missing_before)),
        n_filled=int(np.count_nonzero(missing_before & ~missing_after)),
        n_missing_after=int(np.count_nonzero(missing_after)),
        longest_gap_s=float(np.max(e0 - s0) * dt) if s0.size else 0.0,
        gap_start_s=grid.t[s1],
        gap_end_s=gap_end,
    )
    return grid.replace(values=values), report
