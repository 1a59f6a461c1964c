"""``footcoach benchmark gui``: how fast the review app shows a randomly chosen frame.

For each video (the bundled demo session's, any given with ``--video``, and a generated 1080p
H.264 clip with a 2-second keyframe interval, cached) it measures random-seek latency:

* ``reader``: :func:`footcoach.io.video_bench.measure_seek_latency`, a bare
  :class:`~footcoach.io.video.VideoReader` decoding full frames (what the app did before the
  scrubbing proxy);
* ``GUI original``: the app's frame path (:class:`footcoach.gui.frame_server.FrameServer`) on
  the original file, frames decoded for a 1366x768 window's video area;
* ``GUI proxy``: the same with the scrubbing proxy (:mod:`footcoach.app.proxy`), requests back
  to back (scrubbing) and 0.3 s apart (clicking along the timeline while the original frame of
  the previous click is being decoded).

The Qt measurement is passed in by the CLI (this package does not import the GUI).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from footcoach.app.proxy import PROXY_MAX_SIZE, build_proxy, proxy_path, proxy_size
from footcoach.errors import FootcoachError
from footcoach.io.manifest import read_manifest
from footcoach.io.video import VideoReader
from footcoach.io.video_bench import measure_seek_latency, write_benchmark_video

MeasureFramePath = Callable[..., dict[str, float]]
"""``measure(path, n=, seed=, proxy=, view_size=, pause_s=) -> {"p50_ms", "p95_ms", ...}``
(:func:`footcoach.gui.frame_bench.measure_frame_path`)."""

REPO = Path(__file__).resolve().parents[2]
DEMO_VIDEO = REPO / "resources" / "demo-session" / "video.mp4"
VIEW_SIZE = (880, 495)
"""The video area of the main window at 1366x768 (pixels)."""
GOAL_P95_MS = 40.0
CLICK_PAUSE_S = 0.3


def default_videos() -> list[Path]:
    """The demo session's video when it is there."""
    return [DEMO_VIDEO] if DEMO_VIDEO.is_file() else []


def resolve_video(path: Path) -> Path:
    """A video file, or a session folder (its manifest's video); FootcoachError when neither."""
    if path.is_dir():
        session = read_manifest(path)
        if session.video is None:
            raise FootcoachError("the session has no video", path / "session.toml")
        return session.path(session.video.file)
    if not path.is_file():
        raise FootcoachError("no such video file or session folder", path)
    return path


def benchmark_video(cache: Path, seconds: float = 20.0) -> Path:
    """The generated 1920x1080 25 fps H.264 clip with a keyframe every 2 s (made once)."""
    path = cache / f"bench-gui-1080p-gop50-{seconds:g}s.mp4"
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        write_benchmark_video(path, width=1920, height=1080, fps=25, seconds=seconds, gop=50)
    return path


def _row(video: str, what: str, r: dict[str, float], extra: str = "") -> str:
    return (f"  {video:<28} {what:<30} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} "
            f"{r['max_ms']:7.1f}  {extra}")


def bench_one(video: Path, cache: Path, measure: MeasureFramePath, *, n: int = 100,
              seed: int = 0, label: str = "") -> list[str]:
    """Table lines for one video (building its proxy in ``cache/proxies`` when missing)."""
    label = label or video.name
    with VideoReader(video) as reader:
        frames, w, h = reader.frame_count, reader.width, reader.height
        gop = frames / max(len(reader.keyframe_indices), 1)
    head = f"{label}: {frames} frames, {w}x{h}, mean keyframe interval {gop:.0f} frames"
    lines = [head]
    base = measure_seek_latency(video, n=n, seed=seed)
    lines.append(_row("", "reader, full frame (before)", base))
    orig = measure(video, n=n, seed=seed, view_size=VIEW_SIZE)
    lines.append(_row("", "GUI original", orig))
    folder = cache / "proxies"
    had = proxy_path(video, folder).is_file()
    t0 = time.perf_counter()
    proxy = build_proxy(video, folder)  # no cancel: always a path
    build_s = time.perf_counter() - t0
    if proxy is None:
        raise FootcoachError("the proxy was not built", video)
    for what, pause in (("GUI proxy, back to back", 0.0),
                        (f"GUI proxy, {CLICK_PAUSE_S:g} s apart", CLICK_PAUSE_S)):
        r = measure(video, n=n, seed=seed, proxy=proxy, view_size=VIEW_SIZE, pause_s=pause)
        lines.append(_row("", what, r, f"{r['previews']:.0f}/{n} previews"))
    pw, ph = proxy_size(w, h, PROXY_MAX_SIZE)
    mb = proxy.stat().st_size / 1e6
    built = "cached" if had else f"built in {build_s:.1f} s ({frames / build_s:.0f} fps)"
    lines.append(f"  proxy {pw}x{ph} all-intra, {mb:.1f} MB ({mb * 1e3 / frames:.1f} kB/frame),"
                 f" {built}")
    return lines


def run(videos: list[Path], cache: Path, measure: MeasureFramePath, *, n: int = 100,
        seed: int = 0, seconds: float = 20.0) -> str:
    """The whole table: each of ``videos``, then the generated 1080p 2-s-GOP clip."""
    items = [(resolve_video(v), "") for v in videos]
    t0 = time.perf_counter()
    generated = benchmark_video(cache, seconds)
    gen_s = time.perf_counter() - t0
    items.append((generated, f"1080p, 2 s GOP ({seconds:g} s clip)"))
    lines = [f"benchmark gui: random-seek latency to the first picture (ms), n={n}, "
             f"view {VIEW_SIZE[0]}x{VIEW_SIZE[1]}, goal p95 < {GOAL_P95_MS:g} ms",
             f"  {'':<28} {'path':<30} {'p50':>7} {'p95':>7} {'max':>7}"]
    for video, label in items:
        lines.extend(bench_one(video, cache, measure, n=n, seed=seed, label=label))
    if gen_s > 1:
        lines.append(f"(generated the 1080p clip in {gen_s:.0f} s; cached in {cache})")
    return "\n".join(lines)
