"""Moving streams onto the session clock and resampling them onto a common grid.

Clock convention (footcoach/domain/session.py): a sample at its stream time ``t`` lies at
session time ``t + offset_s``, plus ``stream_epoch - session_epoch`` when both the stream and the
session have an absolute epoch (Unix seconds of their ``t == 0``).
"""

from __future__ import annotations

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError


def session_grid(t_start: float, t_end: float, rate_hz: float) -> np.ndarray:
    """Regular times ``t_start + k / rate_hz`` (seconds, shape (K,)) up to and including
    ``t_end`` (within a nanosecond). Computed from integer ``k``, so nothing drifts."""
    if rate_hz <= 0:
        raise ValueError("rate_hz must be positive")
    if t_end < t_start:
        return np.empty(0)
    n = int(np.floor((t_end - t_start) * rate_hz + 1e-9)) + 1
    return t_start + np.arange(n) / rate_hz


def resample(ts: TimeSeries, t_grid: np.ndarray, *, max_gap_s: float | None = None) -> TimeSeries:
    """Linear interpolation of every channel onto ``t_grid`` (seconds, (K,), same clock as ``ts``).

    A grid time gets NaN when it lies outside the source's time span (no extrapolation), when the
    two source samples around it are further apart than ``max_gap_s`` (default 1.5 source
    intervals, i.e. a sample is missing there), or when one of them is NaN (unless the grid time
    falls exactly on the other). Downsampling by interpolation aliases; low-pass first (e.g.
    :func:`footcoach.sync.filters.moving_average`) when going to a much lower rate.
    """
    t_grid = np.asarray(t_grid, dtype=np.float64)
    n = len(ts)
    c = ts.values.shape[1]
    out = np.empty((t_grid.size, c))  # rows left NaN are filled below
    meta = dict(ts.meta)
    if t_grid.size > 1:
        meta["rate_hz"] = float(1.0 / np.median(np.diff(t_grid)))
    if n == 0 or t_grid.size == 0:
        out.fill(np.nan)
        return ts.replace(t=t_grid, values=out, meta=meta)
    s = ts.t
    steps = np.diff(s)
    if np.any(steps <= 0):
        bad = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise FootcoachError("times must increase to resample", ts.source or None,
                             f"t={s[bad]:.3f}s")
    if n == 1:
        out.fill(np.nan)
        hit = t_grid == s[0]
        out[hit] = ts.values[0]
        return ts.replace(t=t_grid, values=out, meta=meta)
    if max_gap_s is None:
        max_gap_s = 1.5 / float(1.0 / np.median(steps))  # = 1.5 / ts.rate_hz (steps > 0)
    inside = (t_grid >= s[0]) & (t_grid <= s[-1])
    j = np.clip(_last_at_or_before(s, t_grid), 0, n - 2)
    span = s[j + 1] - s[j]
    w = np.clip((t_grid - s[j]) / span, 0.0, 1.0)
    on_sample = (w == 0.0) | (w == 1.0)
    good = inside & ((span <= max_gap_s * (1 + 1e-9)) | on_sample)
    ok = np.flatnonzero(good)
    if ok.size < t_grid.size:
        out[~good] = np.nan
    for a in range(0, ok.size, _CHUNK_ROWS):  # in blocks: a few MB of temporaries, cache-warm
        rows = ok[a:a + _CHUNK_ROWS]
        _interpolate(ts.values, j[rows], w[rows], out, rows)
    return ts.replace(t=t_grid, values=out, meta=meta)


_CHUNK_ROWS = 1 << 15


def _last_at_or_before(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``searchsorted(s, t, side="right") - 1`` for increasing ``s`` (N >= 2): the index of
    the last ``s <= t`` (-1 if none). Guessed from the mean step, checked, and searched only
    where the guess is wrong (an irregular ``s``)."""
    n = s.size
    with np.errstate(invalid="ignore", divide="ignore"):
        guess = np.floor((t - s[0]) * ((n - 1) / (s[-1] - s[0])))
    j = np.clip(guess, -1, n - 1, out=guess).astype(np.int64)  # NaN t: checked below
    lo_ok = (j < 0) | (s[np.maximum(j, 0)] <= t)
    hi_ok = (j >= n - 1) | (s[np.minimum(j + 1, n - 1)] > t)
    wrong = ~(lo_ok & hi_ok)
    if wrong.any():
        j[wrong] = np.searchsorted(s, t[wrong], side="right") - 1
    return j


def _interpolate(values: np.ndarray, j: np.ndarray, w: np.ndarray, out: np.ndarray,
                 rows: np.ndarray) -> None:
    """``out[rows] = values[j] (1 - w) + values[j + 1] w`` (M rows, C channels), exactly
    ``values[j]`` where ``w == 0`` and ``values[j + 1]`` where ``w == 1`` (a NaN on the other
    side ignored). Consecutive ``rows`` / ``j`` are handled as slices, not gathers."""
    m = rows.size
    if j[-1] - j[0] == m - 1 and np.all(np.diff(j) == 1):
        v0 = values[j[0]:j[0] + m]
        v1 = values[j[0] + 1:j[0] + m + 1] * w[:, None]
    else:
        v0 = np.take(values, j, axis=0)
        v1 = np.take(values, j + 1, axis=0) * w[:, None]
    sliced = bool(rows[-1] - rows[0] == m - 1)
    dst = out[rows[0]:rows[0] + m] if sliced else np.empty((m, values.shape[1]))
    np.multiply(v0, 1.0 - w[:, None], out=dst)
    dst += v1
    at0 = w == 0.0
    if at0.any():
        np.copyto(dst, v0, where=at0[:, None])
    at1 = w == 1.0
    if at1.any():
        dst[at1] = values[j[at1] + 1]
    if not sliced:
        out[rows] = dst


def clock_shift_s(offset_s: float, stream_epoch: float | None,
                  session_epoch: float | None) -> float:
    """Seconds to add to a stream's times to put them on the session clock."""
    shift = float(offset_s)
    if stream_epoch is not None and session_epoch is not None:
        shift += float(stream_epoch) - float(session_epoch)
    return shift


def to_session_clock(
    ts: TimeSeries,
    offset_s: float,
    stream_epoch: float | None = None,
    session_epoch: float | None = None,
) -> TimeSeries:
    """The stream with its times on the session clock: ``t + offset_s`` (+ epoch difference).

    ``stream_epoch`` defaults to ``ts.t0_epoch_s``; the epoch difference is applied only when
    both epochs are known. The result's ``t0_epoch_s`` is ``session_epoch`` (the absolute time of
    session time 0, None when unknown) and ``meta["clock_shift_s"]`` records the shift applied.
    """
    if stream_epoch is None:
        stream_epoch = ts.t0_epoch_s
    shift = clock_shift_s(offset_s, stream_epoch, session_epoch)
    meta = dict(ts.meta)
    meta["clock_shift_s"] = shift
    return ts.replace(t=ts.t + shift, t0_epoch_s=session_epoch, meta=meta)


def resample_to_length(values: np.ndarray, length: int) -> np.ndarray:
    """The paper's length resampling ``X'(t) = X(t L / T)`` for ``t = 0..T-1``.

    ``values`` is (L,) or (L, C); the result is (T,) or (T, C), linear interpolation between
    neighbouring rows at the fractional index ``t L / T`` (clamped to the last row). NaN rows
    spread to the outputs interpolated from them.
    """
    v = np.asarray(values, dtype=np.float64)
    if length < 1:
        raise ValueError("length must be >= 1")
    n = v.shape[0]
    if n == 0:
        raise ValueError("cannot resample an empty sequence")
    pos = np.minimum(np.arange(length) * (n / length), n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    if v.ndim > 1:
        frac = frac.reshape((-1,) + (1,) * (v.ndim - 1))
    res: np.ndarray = v[lo] * (1.0 - frac) + v[hi] * frac
    exact = (pos == lo)
    if exact.any():
        res[exact] = v[lo[exact]]
    return res
