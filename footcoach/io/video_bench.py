"""Speed figures for video access: random seek latency and sequential decode rate.

Used by ``footcoach benchmark gui`` (how fast can the review app jump and play) and to judge
whether a session video needs a seek-friendly proxy. :func:`write_benchmark_video` makes a
pitch-like synthetic H.264 file of any size and keyframe interval to measure against.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from footcoach.io.video import VideoReader
from footcoach.io.video_writer import H264Writer


def measure_seek_latency(path: str | Path, n: int = 100, seed: int = 0) -> dict[str, float]:
    """Time ``n`` requests of uniformly random frame indices (random order), RGB included.

    Returns milliseconds ``p50_ms``, ``p95_ms``, ``max_ms``, ``mean_ms``, plus ``n``, ``open_ms``
    (opening and indexing the file), ``seeks`` (how many requests needed a container seek; the
    others decoded forward from the previous position) and the video's ``frames``,
    ``width``, ``height`` and ``gop_mean`` (mean keyframe interval in frames).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    t0 = time.perf_counter()
    with VideoReader(path) as reader:
        open_ms = (time.perf_counter() - t0) * 1e3
        rng = np.random.default_rng(seed)
        indices = rng.integers(0, reader.frame_count, size=n)
        latencies = np.empty(n, dtype=np.float64)
        for k, i in enumerate(indices):
            t = time.perf_counter()
            reader.frame(int(i))
            latencies[k] = (time.perf_counter() - t) * 1e3
        frames = reader.frame_count
        width, height, seeks = reader.width, reader.height, reader.seek_count
        gop_mean = frames / max(len(reader.keyframe_indices), 1)
    return {
        "p50_ms": float(np.percentile(latencies, 50)),
        "p95_ms": float(np.percentile(latencies, 95)),
        "max_ms": float(latencies.max()),
        "mean_ms": float(latencies.mean()),
        "n": float(n),
        "open_ms": open_ms,
        "seeks": float(seeks),
        "frames": float(frames),
        "width": float(width),
        "height": float(height),
        "gop_mean": float(gop_mean),
    }


def measure_decode_fps(
    path: str | Path, *, max_frames: int | None = None, size: tuple[int, int] | None = None
) -> dict[str, float]:
    """Sequential decode from frame 0 with RGB conversion (optionally scaled to ``size``).

    Returns ``fps`` (frames per second), ``frames`` decoded and ``seconds`` taken.
    """
    with VideoReader(path) as reader:
        stop = reader.frame_count if max_frames is None else min(max_frames, reader.frame_count)
        t0 = time.perf_counter()
        count = 0
        for _ in reader.iter_frames(0, stop, size=size):
            count += 1
        seconds = time.perf_counter() - t0
    return {
        "fps": count / seconds if seconds > 0 else float("inf"),
        "frames": float(count),
        "seconds": seconds,
    }


def write_benchmark_video(
    path: str | Path,
    *,
    width: int = 1920,
    height: int = 1080,
    fps: float = 25.0,
    seconds: float = 20.0,
    gop: int | None = 50,
    crf: int = 23,
    seed: int = 0,
) -> Path:
    """Write a synthetic sideline-like clip: striped grass panning, lines, moving players, grain.

    The content keeps x264 busy the way real footage does (camera pan, motion, sensor noise), so
    decode and seek timings are representative. Returns ``path``.
    """
    rng = np.random.default_rng(seed)
    n_frames = round(seconds * fps)
    pan_px = 400
    wide_w = width + pan_px
    background = np.empty((height, wide_w, 3), dtype=np.uint8)
    stripe = (np.arange(wide_w) // max(wide_w // 16, 1)) % 2
    background[:] = np.where(stripe[None, :, None] == 1, [52, 128, 48], [60, 142, 56])
    texture = rng.normal(0.0, 6.0, size=(height // 8 + 1, wide_w // 8 + 1, 1))
    texture = np.repeat(np.repeat(texture, 8, axis=0), 8, axis=1)[:height, :wide_w]
    background = np.clip(background + texture, 0, 255).astype(np.uint8)
    for x in range(wide_w // 10, wide_w, wide_w // 4):
        background[:, x : x + 4] = 235
    background[height // 10 : height // 10 + 4, :] = 235
    background[-height // 10 : -height // 10 + 4, :] = 235
    grain = [rng.integers(-4, 5, size=(height, width, 1), dtype=np.int16) for _ in range(4)]
    n_players = 22
    pos = rng.uniform([0, height * 0.15], [width, height * 0.85], size=(n_players, 2))
    vel = rng.normal(0.0, 6.0, size=(n_players, 2))
    colors = np.where(np.arange(n_players)[:, None] < 11, [200, 30, 30], [30, 40, 200])
    pw, ph = max(width // 80, 4), max(height // 25, 8)
    with H264Writer(path, width, height, fps, crf=crf, gop=gop) as writer:
        for k in range(n_frames):
            offset = int(pan_px * (0.5 + 0.5 * np.sin(2 * np.pi * k / max(n_frames, 1))))
            img = background[:, offset : offset + width].astype(np.int16) + grain[k % 4]
            vel += rng.normal(0.0, 0.8, size=vel.shape)
            pos += vel
            pos[:, 0] %= width
            pos[:, 1] = np.clip(pos[:, 1], ph, height - ph)
            for (x, y), c in zip(pos.astype(int), colors, strict=True):
                img[max(y - ph, 0) : y, max(x - pw // 2, 0) : x + pw // 2] = c
            writer.write(np.clip(img, 0, 255).astype(np.uint8))
    return Path(path)
