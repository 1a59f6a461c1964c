"""Moving streams onto the session clock and resampling them onto a common grid.

Clock convention (footcoach/domain/session.py): a sample at its stream time ``t`` lies at
session time ``t + offset_s``, plus ``stream_epoch - session_epoch`` when both the stream and the
session have an absolute epoch (Unix seconds of their ``t == 0``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

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


def resample(ts: TimeSeries, t_grid: np.ndarray, *, max_gap_s: float | None = None,
             dtype: DTypeLike = np.float64) -> TimeSeries:
    """Linear interpolation of every channel onto ``t_grid`` (seconds, (K,), same clock as ``ts``).

    A grid time gets NaN when it lies outside the source's time span (no extrapolation), when the
    two source samples around it are further apart than ``max_gap_s`` (default 1.5 source
    intervals, i.e. a sample is missing there), or when one of them is NaN (unless the grid time
    falls exactly on the other). Downsampling by interpolation aliases; low-pass first (e.g.
    :func:`footcoach.sync.smoothing.moving_average`) when going to a much lower rate.

    The result's values are (K, C) of ``dtype``: float64, or float32 for long 100 Hz streams
    (computed in float64 block by block and rounded once, exactly as
    ``resample(ts, t_grid).values.astype(np.float32)`` but without the float64 copy).
    """
    t_grid = np.asarray(t_grid, dtype=np.float64)
    n = len(ts)
    c = ts.values.shape[1]
    out = np.empty((t_grid.size, c), dtype=dtype)
    meta = dict(ts.meta)
    if t_grid.size > 1:  # the diff is a temporary: partition it in place
        meta["rate_hz"] = float(1.0 / np.median(np.diff(t_grid), overwrite_input=True))
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
    if max_gap_s is None:  # = 1.5 / ts.rate_hz (steps > 0)
        max_gap_s = 1.5 / float(1.0 / np.median(steps, overwrite_input=True))
    del steps
    limit = max_gap_s * (1 + 1e-9)
    scratch = None if out.dtype == np.float64 else np.empty((min(_CHUNK_ROWS, t_grid.size), c))
    for a in range(0, t_grid.size, _CHUNK_ROWS):  # in blocks: everything stays cache-warm
        rows = slice(a, min(a + _CHUNK_ROWS, t_grid.size))
        dst = out[rows] if scratch is None else scratch[:rows.stop - a]
        _resample_block(s, ts.values, t_grid[rows], limit, dst)
        if scratch is not None:
            out[rows] = dst
    return ts.replace(t=t_grid, values=out, meta=meta)


_CHUNK_ROWS = 1 << 14


def _resample_block(s: np.ndarray, values: np.ndarray, tg: np.ndarray, limit: float,
                    dst: np.ndarray) -> None:
    """:func:`resample` of the grid times ``tg`` (M,) into ``dst`` (M, C) float64, from the
    source times ``s`` (N >= 2, increasing) and ``values`` (N, C); ``limit`` is the longest
    source interval interpolated across (``max_gap_s`` plus a relative 1e-9)."""
    lo, hi = tg.min(), tg.max()  # NaN when tg has one: then the comparisons are False
    inside = None if lo >= s[0] and hi <= s[-1] else (tg >= s[0]) & (tg <= s[-1])
    j, s0, s1 = _bracket(s, tg, inside)
    span = s1 - s0
    w = tg - s0
    w /= span
    np.clip(w, 0.0, 1.0, out=w)
    good = span <= limit
    if not good.all():
        good |= (w == 0.0) | (w == 1.0)  # on a sample: its neighbour's distance is moot
    if inside is not None:
        good &= inside
    if good.all():
        _interpolate(values, j, w, dst)
        return
    ok = np.flatnonzero(good)
    dst[~good] = np.nan
    if ok.size:
        part = np.empty((ok.size, dst.shape[1]))
        _interpolate(values, j[ok], w[ok], part)
        dst[ok] = part


def _bracket(s: np.ndarray, t: np.ndarray,
             inside: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(j, s[j], s[j + 1])`` for times ``t`` (M,) in increasing ``s`` (N >= 2): ``j`` in
    ``0 .. N - 2`` is the last index with ``s[j] <= t`` (N - 2 for ``t == s[-1]``) wherever
    ``inside`` (None: everywhere), any valid index elsewhere. Guessed from the mean step,
    checked, and searched only where the guess is wrong (an irregular ``s``)."""
    n = s.size
    with np.errstate(invalid="ignore"):
        guess = t - s[0]
        guess *= (n - 1) / (s[-1] - s[0])
        np.floor(guess, out=guess)
        np.clip(guess, 0, n - 2, out=guess)
        j = guess.astype(np.int64)
    np.clip(j, 0, n - 2, out=j)  # a NaN t gives any integer
    s0 = np.take(s, j)
    s1 = np.take(s[1:], j)
    wrong = (s0 > t) | ((s1 <= t) & (j < n - 2))
    if inside is not None:
        wrong &= inside
    if wrong.any():
        k = np.flatnonzero(wrong)
        jk = np.clip(np.searchsorted(s, t[k], side="right") - 1, 0, n - 2)
        j[k] = jk
        s0[k] = s[jk]
        s1[k] = s[jk + 1]
    return j, s0, s1


def _interpolate(values: np.ndarray, j: np.ndarray, w: np.ndarray, dst: np.ndarray) -> None:
    """``dst = values[j] (1 - w) + values[j + 1] w`` (M rows, C channels, ``dst`` float64),
    exactly ``values[j]`` where ``w == 0`` and ``values[j + 1]`` where ``w == 1`` (a NaN on the
    other side ignored). Consecutive ``j`` are read as slices, not gathers."""
    m, c = j.size, values.shape[1]
    if j[-1] - j[0] == m - 1 and np.all(np.diff(j) == 1):
        v0, v1 = values[j[0]:j[0] + m], values[j[0] + 1:j[0] + m + 1]
    else:
        v0, v1 = np.take(values, j, axis=0), np.take(values, j + 1, axis=0)
    at0 = w == 0.0
    if v0.flags.c_contiguous and v1.flags.c_contiguous and dst.flags.c_contiguous:
        # the same products on flat arrays (a per-row weight broadcast over C columns is
        # several times slower than repeating it)
        weight = np.repeat(w, c)
        later = v1.reshape(-1) * weight
        np.subtract(1.0, weight, out=weight)
        flat = dst.reshape(-1)
        np.multiply(v0.reshape(-1), weight, out=flat)
        flat += later
        if at0.any():
            np.copyto(flat, v0.reshape(-1), where=np.repeat(at0, c))
    else:
        np.multiply(v0, 1.0 - w[:, None], out=dst)
        dst += v1 * w[:, None]
        if at0.any():
            np.copyto(dst, v0, where=at0[:, None])
    at1 = w == 1.0
    if at1.any():
        dst[at1] = values[j[at1] + 1]


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
