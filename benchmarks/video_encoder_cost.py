"""What the video encoder costs on this CPU, per first-block stride (``ModelConfig.video_stride``).

    .venv/bin/python benchmarks/video_encoder_cost.py [--strides 1,2,4] [--threads 1]

For the default window (8 steps x 0.5 s, 8 fps: 4 frames of 64 x 64 px per step) and the
default encoder widths (8/32/64), it times with random input:

* analysis: the encoder alone in eval mode, per player step (batch of 128 steps; the analysis
  encodes each player step once and reuses it across overlapping windows);
* training: a forward and backward pass of the encoder, per window of 8 steps (batch of 64
  windows), which is what a training epoch pays for the video branch on top of the rest.

The figures are wall time on ``--threads`` torch threads (default 1: analysis keeps the other
core for video decoding). Random input is enough: the cost does not depend on the values.
"""

from __future__ import annotations

import argparse
import time

import torch

from footcoach.ml.config import ModelConfig
from footcoach.ml.encoders import VideoEncoder


def _best_of(fn, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up (allocations, oneDNN primitive choice)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(stride: int, cfg: ModelConfig) -> tuple[float, float, int]:
    """(eval ms per step, train fwd+bwd ms per window, parameters) for one stride."""
    w = cfg.window
    enc = VideoEncoder(w.frames_per_step, w.crop_px, cfg.video_channels, cfg.latent_dim,
                       cfg.cnn_dropout, stride)
    steps = torch.randn(128, 3, w.frames_per_step, w.crop_px, w.crop_px)
    enc.eval()
    with torch.inference_mode():
        eval_s = _best_of(lambda: enc(steps))
    enc.train()
    windows = 64
    batch = torch.randn(windows * w.window_steps, 3, w.frames_per_step, w.crop_px, w.crop_px)

    def step() -> None:
        enc.zero_grad()
        enc(batch).sum().backward()

    train_s = _best_of(step, repeats=3)
    params = sum(p.numel() for p in enc.parameters())
    return 1e3 * eval_s / len(steps), 1e3 * train_s / windows, params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strides", default="1,2,4")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = ModelConfig()
    w = cfg.window
    print(f"video encoder {'/'.join(map(str, cfg.video_channels))}, {w.frames_per_step} frames "
          f"of {w.crop_px}x{w.crop_px} px per step, {w.window_steps} steps per window; "
          f"{args.threads} torch thread(s)")
    print(f"{'stride':>6} {'eval ms/step':>13} {'train ms/window':>16} {'parameters':>11}")
    for stride in (int(s) for s in args.strides.split(",")):
        ev, tr, n = measure(stride, cfg)
        print(f"{stride:>6} {ev:>13.3f} {tr:>16.1f} {n:>11,}")


if __name__ == "__main__":
    main()
