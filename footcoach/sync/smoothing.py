"""Smoothing of sampled streams: the paper's moving average over NaN-holed data and the
centred double smoothing used for positions and speeds. Both run over whole arrays in
cache-sized blocks (a 90-minute 100 Hz IMU stream, 540k x 9, in a small fraction of a second).
"""

from __future__ import annotations

import numpy as np

from footcoach.domain.timeseries import TimeSeries
from footcoach.sync.filters import has_nan, mask_runs


def moving_average(
    ts: TimeSeries, window_samples: int, *, centred: bool = False, min_valid: int = 1,
    overwrite: bool = False,
) -> TimeSeries:
    """Moving average over ``window_samples`` rows, ignoring NaN.

    Causal (the paper's form): ``S(t) = 1/w sum_{i=0}^{w-1} X(t-i)``; centred: the window
    ``[t - (w-1)//2, t + w//2]``. The series should be on a regular grid (:func:`fill_gaps`).

    NaN handling (chosen so one missing sample does not spread): a NaN sample stays NaN, and
    every other output is the mean of the *valid* samples in its window, or NaN when fewer than
    ``min_valid`` are valid. Near the series' ends the window is truncated the same way.

    ``overwrite=True`` lets a short window over float64 data without NaN (the usual IMU case)
    write its result into ``ts.values`` instead of a new array (the caller gives them up).
    """
    if window_samples < 1:
        raise ValueError("window_samples must be >= 1")
    if window_samples == 1 or len(ts) == 0:
        return ts.replace()
    w = int(window_samples)
    v = ts.values
    n = v.shape[0]
    nan = np.isnan(v) if has_nan(v) else None
    a, b = ((w - 1) // 2, w // 2 + 1) if centred else (w - 1, 1)  # window [i - a, i + b)
    if nan is None and w <= _DIRECT_MAX:
        inplace = overwrite and v.dtype == np.float64 and v.flags.c_contiguous and \
            v.flags.writeable
        return ts.replace(values=_direct_means(v, a, b, min_valid, inplace))
    if nan is not None:
        n_ok = np.count_nonzero(~nan, axis=0)
        centre = np.where(n_ok > 0, np.where(nan, 0.0, v).sum(axis=0) / np.maximum(n_ok, 1), 0.0)
        x = np.where(nan, 0.0, v - centre)  # centring keeps the running sums small (precision)
        count = _window_sums((~nan).astype(np.float64), a, b)
    else:  # a long window without NaN
        centre = v.mean(axis=0)
        x = v - centre
        i = np.arange(n)
        count = (np.minimum(i + b, n) - np.maximum(i - a, 0)).astype(np.float64)[:, None]
    out = _window_sums(x, a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        out /= count
    out += centre
    if nan is not None:
        out[nan] = np.nan
    few = count < min_valid
    if few.any():
        out[np.broadcast_to(few, out.shape)] = np.nan
    return ts.replace(values=out)


_DIRECT_MAX = 16
"""Windows up to this many samples are summed directly (fewer passes than running sums)."""
_BLOCK_ROWS = 4096


def _direct_means(v: np.ndarray, a: int, b: int, min_valid: int,
                  inplace: bool = False) -> np.ndarray:
    """:func:`moving_average` of (N, C) ``v`` without NaN over the windows ``[i - a, i + b)``
    (``a + b <= _DIRECT_MAX``), summed in the general path's order, block by block so each
    block is summed, divided and checked while in cache. ``inplace``: the result overwrites
    ``v`` (float64), each block once no later window needs its original rows (kept aside)."""
    n = v.shape[0]
    out = v if inplace else np.empty(v.shape)
    centre = np.zeros(v.shape[1:])
    rows = min(n, _BLOCK_ROWS)
    src = np.empty((rows + a + b, *v.shape[1:]), dtype=v.dtype)  # the block and its margins
    acc = np.empty((rows, *v.shape[1:]))
    before = v[:0]  # the original rows [r0 - a, r0) (a copy: in place, they are overwritten)
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        base = r0 - before.shape[0]  # src[k] is row base + k
        src[:before.shape[0]] = before
        after = min(n, r1 + b)
        src[before.shape[0]:after - base] = v[r0:after]
        block = acc[:r1 - r0]
        block.fill(0.0)
        for o in range(-a, b):  # row i sums x[i - a], ..., x[i + b - 1] in this order
            lo, hi = max(r0, -o), min(r1, n - o)
            if lo < hi:
                block[lo - r0:hi - r0] += src[lo + o - base:hi + o - base]
        if r0 >= a and r1 - 1 + b <= n:  # whole windows: count == a + b on every row
            block /= float(a + b)  # (a scalar: a per-row count array is slower, same result)
            block += 0.0  # the general path's centre (zeros)
            if a + b < min_valid:
                block.fill(np.nan)
        else:
            i = np.arange(r0, r1)
            count = (np.minimum(i + b, n) - np.maximum(i - a, 0)).astype(np.float64)[:, None]
            block /= count
            block += centre
            few = count < min_valid
            if few.any():
                block[np.broadcast_to(few, block.shape)] = np.nan
        before = v[max(0, r1 - a):r1]
        if inplace:
            before = before.copy()
        out[r0:r1] = block
    return out


def _window_sums(x: np.ndarray, a: int, b: int) -> np.ndarray:
    """``sum(x[max(i - a, 0) : min(i + b, n)])`` for every row i of ``x`` (N, C)."""
    n = x.shape[0]
    if a + b <= _DIRECT_MAX:  # row i sums x[i - a], ..., x[i + b - 1] in this order
        total = np.zeros((n, *x.shape[1:]))
        for r0 in range(0, n, _BLOCK_ROWS):  # block by block, so the rows stay in cache
            r1 = min(n, r0 + _BLOCK_ROWS)
            for o in range(-a, b):
                lo, hi = max(r0, -o), min(r1, n - o)
                if lo < hi:
                    total[lo:hi] += x[lo + o:hi + o]
        return total
    cs = np.empty((n + 1, *x.shape[1:]))
    cs[0] = 0.0
    np.cumsum(x, axis=0, out=cs[1:])
    return _shifted(cs, b, n) - _shifted(cs, -a, n)


def _shifted(cs: np.ndarray, off: int, n: int) -> np.ndarray:
    """``cs[clip(i + off, 0, n)]`` for i in 0..n-1, by slicing (``cs`` has n + 1 rows)."""
    out = np.empty((n, *cs.shape[1:]), dtype=cs.dtype)
    lo = min(n, max(0, -off))
    hi = max(lo, min(n, n - off + 1))
    out[:lo] = cs[0]
    out[lo:hi] = cs[lo + off:hi + off]
    out[hi:] = cs[n]
    return out


def centred_smooth(values: np.ndarray, half_width: int) -> np.ndarray:
    """Centred moving average of (N,) or (N, C) data that keeps straight lines straight.

    Each sample is averaged with up to ``half_width`` samples on each side, the window shrinking
    symmetrically near the ends of each run of valid samples (so linear trends, e.g. a player
    running at constant velocity, pass through unchanged, also at the edges); NaN stays NaN.
    Applied twice it is a triangular kernel of ``4 half_width + 1`` samples.
    """
    v = np.asarray(values, dtype=np.float64)
    one_d = v.ndim == 1
    v2 = v[:, None] if one_d else v
    out = np.full_like(v2, np.nan)
    n = v2.shape[0]
    if half_width < 1 or n == 0:
        return v.copy()
    pos = np.arange(n)
    for c in range(v2.shape[1]):
        col = v2[:, c]
        ok = np.isfinite(col)
        if not ok.any():
            continue
        starts, ends = mask_runs(ok)
        run_start = np.full(n, 0)
        run_end = np.full(n, 0)
        run_id = np.cumsum(np.isin(pos, starts)) - 1
        run_start[ok] = starts[run_id[ok]]
        run_end[ok] = ends[run_id[ok]] - 1
        hw = np.minimum(half_width, np.minimum(pos - run_start, run_end - pos))
        hw = np.where(ok, hw, 0)
        base = np.nanmean(col)
        cs = np.concatenate([[0.0], np.cumsum(np.where(ok, col - base, 0.0))])
        s = cs[pos + hw + 1] - cs[pos - hw]
        res = s / (2 * hw + 1) + base
        out[:, c] = np.where(ok, res, np.nan)
    return out[:, 0] if one_d else out
