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
from typing import Any

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


# ---------------------------------------------------------------------- event-loop stalls
MeasureStall = Callable[..., dict[str, Any]]
"""``measure(session, model_dir=, engine=, device=) -> {"max_gap_ms", "p99_ms", "p50_ms",
"ticks", "analysis_s", "events", "interval_ms", "max_at_s"}``
(:func:`footcoach.gui.stall_probe.measure_analysis_stall`)."""

DEMO_SESSION = REPO / "resources" / "demo-session"


def stall_inputs(cache: Path, session: Path | None = None) -> tuple[Path, Path]:
    """(session copy, model folder): a copy of ``session`` (default: the demo session) in
    ``cache`` without its analysis folder (the bundled files are never written to), and a
    random-init default-size model with its ONNX graphs (made once)."""
    import shutil

    source = session or DEMO_SESSION
    if not (source / "session.toml").is_file():
        raise FootcoachError("no session here (session.toml is missing)", source)
    copy = cache / "stall-session"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("analysis"))
    model = cache / "model-random-default"
    if not (model / "footcoach_encoder.onnx").is_file():
        from footcoach.ml.predict import save_random_model

        print(f"saving a random-init default-size model into {model} (+ ONNX export) ...",
              flush=True)
        save_random_model(model, purpose="GUI stall benchmark")
    return copy, model


def run_stall(cache: Path, measure: MeasureStall, *, session: Path | None = None,
              engines: tuple[str, ...] = ("torch", "onnx"), device: str = "cpu",
              repeats: int = 2) -> str:
    """The longest GUI event-loop stall while the main window analyses ``session`` in its
    worker thread (no cache), ``repeats`` times per engine: the first run of an engine in the
    process may include importing its runtime (torch / onnxruntime), later runs do not."""
    folder, model = stall_inputs(cache, session)
    lines = [f"benchmark gui --stall: {folder.name} copied from {session or DEMO_SESSION}, "
             f"random-init default-size model, device {device}; a 5 ms GUI timer, gaps in ms",
             f"  {'engine':<8} {'run':<22} {'max gap':>8} {'at (s)':>7} {'p99':>7} "
             f"{'p50':>7} {'analysis s':>11} {'events':>7}"]
    for engine in engines:
        for k in range(repeats):
            r = measure(folder, model_dir=model, engine=engine, device=device)
            what = "first in the process" if k == 0 else f"again ({k + 1})"
            lines.append(f"  {engine:<8} {what:<22} {r['max_gap_ms']:8.1f} "
                         f"{r['max_at_s']:7.2f} {r['p99_ms']:7.1f} {r['p50_ms']:7.1f} "
                         f"{r['analysis_s']:11.1f} {r['events']:7d}")
    return "\n".join(lines)
