"""``footcoach benchmark analyze``: session analysis speed and memory vs the video-decode floor.

On a simulated session (generated once into the cache, or ``--session``) and for each engine:

* the *floor*: decoding only the frames the model samples (every ``round(fps / 8)``-th frame
  for ``video_fps`` = 8 fps, nothing else: no colour conversion of 8-bit 4:2:0 video, which
  the analysis does not convert either, RGB frames for other formats), timed with FFmpeg's
  frame + slice threads and with slice threads only; the faster counts; the same decode with
  every frame converted to RGB is shown beside it;
* the end-to-end analysis (load, align, steps, crops, encoder, head, events; no cache), its
  windows/s and stage times, the ratio to the floor (goal <= 1.3x) and peak RSS (goal < 2 GB).

Each measurement runs in a fresh interpreter (peak RSS is its own). The model is the bundled one
when present, else (or with ``--model random``) a random-initialised network of the default size
with all three encoders, saved with its ONNX graphs into the cache. A model without a video
branch (the bundled IMU + position one) decodes no frame at all: the decode time is then shown
for reference only and the whole analysis time scales with minutes x players.

Extrapolation to 90 minutes and 22 players: opening the engine is paid once; the floor scales
with the minutes; the rest of the analysis time (everything but decoding) with minutes x
players, its fixed part too (loading, the pipeline's first block), so a longer session gives a
closer figure: the simulated session is 10 minutes long by default (the same analysis on 2
cores extrapolated to 221 s from 2 minutes and 185 s from 10; README, "Benchmarks");
the RSS estimate adds the aligned 100 Hz IMU of the extra player-minutes (10 float32 channels)
and the extra per-step outputs to the measured peak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from footcoach.ml.config import MODEL_JSON, ModelConfig

TARGET_MINUTES, TARGET_PLAYERS = 90.0, 22
IMU_BYTES_PER_PLAYER_S = 100 * 10 * 4  # aligned IMU: 100 Hz x 10 channels x float32
OUT_BYTES_PER_PLAYER_STEP = (12 + 8 + 1 + 3 + 8 + 1) * 4


def ensure_session(cache: Path, *, minutes: float, players: int) -> Path:
    """A simulated session with video in ``cache`` (generated when missing)."""
    from footcoach.synth.simulate import simulate_session

    out = cache / f"session-{players}p-{minutes:g}min"
    if not (out / "session.toml").is_file():
        print(f"simulating {minutes:g} min x {players} players into {out} ...", flush=True)
        simulate_session(out, seed=11, n_players=players, minutes=minutes)
    return out


def ensure_model(cache: Path, model_dir: Path | None = None,
                 video_stride: int | None = None) -> tuple[Path, str]:
    """The model to time: ``model_dir``, the bundled model, or a random-init default-size one
    (saved with ONNX graphs into the cache; ``video_stride`` sets its video encoder's first
    stride, default :class:`ModelConfig`'s). Returns (folder, description)."""
    from footcoach.app.engines import default_model_dir

    random_init = model_dir is not None and str(model_dir) == "random"
    for cand, what in ((model_dir, "given"), (default_model_dir(), "bundled")):
        if not random_init and cand is not None and (cand / MODEL_JSON).is_file():
            return cand, what
    config = ModelConfig() if video_stride is None else ModelConfig(video_stride=video_stride)
    suffix = "" if video_stride is None else f"-stride{video_stride}"
    out = cache / f"model-random-default{suffix}"
    if not (out / "footcoach_encoder.onnx").is_file():
        from footcoach.ml.predict import save_random_model

        print(f"saving a random-init default-size model into {out} (+ ONNX export) ...",
              flush=True)
        save_random_model(out, config=config)
    why = "asked for" if random_init else "no bundled model"
    return out, (f"random-init default size, video stride {config.video_stride}, video + IMU + "
                 f"context ({why})")


def _subprocess(code: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        raise RuntimeError("benchmark subprocess failed: " + " | ".join(tail))
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure_floor(session: Path, video_fps: float) -> dict[str, Any]:
    """Decode the session video at ``video_fps`` in a subprocess, with each of FFmpeg's
    threading modes: the floor is the faster one, pictures as the analysis reads them (4:2:0
    planes unconverted, else RGB); ``rgb_s`` the faster one converting every picture to RGB."""
    code = (
        "import json, time\n"
        "from footcoach.io.manifest import read_manifest\n"
        "from footcoach.io.video import VideoReader\n"
        f"s = read_manifest({str(session)!r})\n"
        "out, rgb = {}, {}\n"
        "for mode in ('AUTO', 'SLICE'):\n"
        "    for convert in (False, True):\n"
        "        t0 = time.perf_counter()\n"
        "        with VideoReader(s.path(s.video.file), thread_type=mode) as r:\n"
        f"            step = max(1, round(r.fps / {video_fps!r}))\n"
        "            n = 0\n"
        "            for i in range(0, r.frame_count, step):\n"
        "                if convert or r.picture_yuv420(i) is None:\n"
        "                    r.frame(i)\n"
        "                n += 1\n"
        "            size = (r.width, r.height, r.fps)\n"
        "        (rgb if convert else out)[mode] = time.perf_counter() - t0\n"
        "from footcoach.bench.memory import peak_rss_mb\n"
        "rss = peak_rss_mb()\n"
        "print(json.dumps({'floor_s': min(out.values()), 'by_mode_s': out, 'frames': n,"
        " 'rgb_s': min(rgb.values()), 'step': step, 'video': size, 'peak_rss_mb': rss}))\n")
    return _subprocess(code)


def measure_analysis(session: Path, model: Path, engine: str, device: str, batch: int,
                     decode_threads: str | None = None, crop_workers: int | None = None
                     ) -> dict[str, Any]:
    """One uncached analysis in a fresh interpreter: run info, events, peak RSS (MB);
    ``decode_threads`` and ``crop_workers`` as :class:`footcoach.app.analyze.AnalyzeOptions`
    (None: the analysis's own choice)."""
    code = (
        "import json, time\n"
        "from footcoach.app.analyze import run_analysis\n"
        "t0 = time.perf_counter()\n"
        f"r = run_analysis({str(session)!r}, model_dir={str(model)!r}, engine={engine!r},"
        f" device={device!r}, batch={batch}, use_cache=False, decode_threads={decode_threads!r},"
        f" crop_workers={crop_workers!r})\n"
        "el = time.perf_counter() - t0\n"
        "from footcoach.bench.memory import peak_rss_mb\n"
        "rss = peak_rss_mb()\n"
        "print(json.dumps({'total_s': el, 'run': r.run, 'events': len(r.events),"
        " 'peak_rss_mb': rss}))\n")
    return _subprocess(code)


def extrapolate(total_s: float, floor_s: float, minutes: float, players: int,
                peak_rss_mb: float, step_s: float) -> dict[str, float]:
    """90-minute, 22-player figures from one measurement (module docstring)."""
    tf = TARGET_MINUTES / minutes
    tp = TARGET_PLAYERS / players
    floor = floor_s * tf
    total = floor + max(total_s - floor_s, 0.0) * tf * tp
    extra_player_s = (TARGET_PLAYERS * TARGET_MINUTES - players * minutes) * 60.0
    extra = extra_player_s * (IMU_BYTES_PER_PLAYER_S + OUT_BYTES_PER_PLAYER_STEP / step_s)
    return {"floor_s": floor, "total_s": total, "ratio": total / floor if floor else 0.0,
            "peak_rss_mb": peak_rss_mb + max(extra, 0.0) / 2**20}


def run(cache: Path, *, session: Path | None = None, minutes: float = 10.0, players: int = 10,
        engines: tuple[str, ...] = ("torch", "onnx"), device: str = "cpu", batch: int = 128,
        model_dir: Path | None = None, video_stride: int | None = None,
        decode_threads: str | None = None, crop_workers: int | None = None) -> str:
    """Measure (module docstring) and return the report table (``video_stride``: of the
    random-init model only; ``decode_threads``, ``crop_workers``: :func:`measure_analysis`)."""
    from footcoach.app.load import load_session

    cache.mkdir(parents=True, exist_ok=True)
    folder = session or ensure_session(cache, minutes=minutes, players=players)
    model, model_what = ensure_model(cache, model_dir, video_stride)
    from footcoach.ml.config import read_model_json

    config = read_model_json(model).config
    spec = config.window
    uses_video = "video" in config.modalities
    loaded = load_session(folder, imu="lazy")
    lo, hi = loaded.time_range
    n_players = len(loaded.session.players)
    mins = (hi - lo) / 60.0
    floor = measure_floor(folder, spec.video_fps)
    w, h, fps = floor["video"]
    modes = ", ".join(f"{k.lower()} threads {v:.2f} s" for k, v in floor["by_mode_s"].items())
    floor_line = (f"  floor (decode {floor['frames']} frames at {spec.video_fps:g} fps, step "
                  f"{floor['step']}; the faster of {modes}): {floor['floor_s']:.2f} s "
                  f"(converting every frame to RGB as well: {floor['rgb_s']:.2f} s)")
    if not uses_video:  # the analysis decodes no frame: there is no decode floor to compare to
        floor_line += ("; NOT a floor for this model: it has no video branch and decodes no "
                       "frame (ratios below are to this decode time, for reference only)")
    lines = [
        f"benchmark analyze: {folder} ({mins:.1f} min, {n_players} players, video {w}x{h} "
        f"@ {fps:g} fps); model: {model_what} (modalities {', '.join(config.modalities)}); "
        f"device {device}",
        floor_line,
        f"  {'engine':<7} {'windows/s':>10} {'total s':>8} {'x floor':>8} {'peak RSS':>9}   "
        f"stages (s)",
    ]
    extrap = []
    for engine in engines:
        try:
            r = measure_analysis(folder, model, engine, device, batch, decode_threads,
                                 crop_workers)
        except RuntimeError as exc:
            lines.append(f"  {engine:<7} failed: {exc}")
            continue
        run_info = r["run"]
        stages = ", ".join(f"{k[:-2]} {v:.2f}" for k, v in run_info["timings_s"].items())
        if run_info.get("video_decode"):
            vd = run_info["video_decode"]
            stages += f" ({vd['threads'].lower()} decoding, crop threads: {vd['crop_workers']})"
        ratio = r["total_s"] / floor["floor_s"] if floor["floor_s"] else 0.0
        lines.append(f"  {engine + '/' + run_info['device']:<7} "
                     f"{run_info['windows'] / r['total_s']:>10.0f} {r['total_s']:>8.2f} "
                     f"{ratio:>7.2f}x {r['peak_rss_mb']:>6.0f} MB   {stages}")
        fixed = float(run_info["timings_s"].get("open_engine_s", 0.0))  # once per run
        x = extrapolate(r["total_s"] - fixed, floor["floor_s"] if uses_video else 0.0, mins,
                        n_players, r["peak_rss_mb"], spec.step_s)
        x["total_s"] += fixed
        if x["floor_s"]:
            x["ratio"] = x["total_s"] / x["floor_s"]
        if not uses_video:
            x["floor_s"], x["ratio"] = floor["floor_s"] * TARGET_MINUTES / mins, 0.0
        vs = (f"vs floor {x['floor_s']:.0f} s = {x['ratio']:.2f}x (goal <= 1.3x)" if uses_video
              else f"(decoding the sampled frames alone would take {x['floor_s']:.0f} s)")
        extrap.append(f"  {engine + '/' + run_info['device']:<7} analysis {x['total_s']:.0f} s "
                      f"{vs}, peak RSS ~{x['peak_rss_mb']:.0f} MB (goal < 2048 MB)")
    lines.append(f"extrapolated to {TARGET_MINUTES:g} min x {TARGET_PLAYERS} players:")
    lines += extrap
    return "\n".join(lines)
