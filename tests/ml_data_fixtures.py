"""A tiny, learnable HDF5 training file written with the real DatasetWriter (for the train and
evaluate tests): each player's steps carry one action / tactic / quality per 4-step segment, and
the IMU, context and video of a step encode them (plus noise), so a network can learn them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from footcoach.domain.windowing import WindowSpec
from footcoach.io.hdf5_dataset import DatasetWriter
from footcoach.ml.config import ModelConfig

SPEC = ModelConfig.tiny().window
N_ACTIONS, N_TACTICS = 4, 3  # classes used (of 12 / 8)


def write_tiny_dataset(path: Path, *, players: int = 12, steps: int = 48, seed: int = 0,
                       spec: WindowSpec = SPEC, ball_errors: dict[str, float] | None = None
                       ) -> Path:
    """``players`` players of ``steps`` steps; players 0..n-5 train, then 2 val, 2 test.
    ``ball_errors``: recorded in the session entry, as ``dataset build --ball-noise``."""
    rng = np.random.default_rng(seed)
    seg = spec.window_steps
    f, c, p, k = spec.frames_per_step, spec.crop_px, spec.imu_per_step, len(
        spec.context_features)
    win: dict[str, list[np.ndarray]] = {k2: [] for k2 in ("start", "t_s", "action", "tactic",
                                                          "quality", "split", "weight")}
    split_of = [0] * (players - 4) + [1, 1, 2, 2]
    with DatasetWriter(path, spec, compression="none") as w:
        for j in range(players):
            first = w.reserve(steps)
            n_seg = steps // seg
            a_seg = rng.integers(0, N_ACTIONS, n_seg)
            t_seg = rng.integers(0, N_TACTICS, n_seg)
            q_seg = rng.uniform(20, 90, n_seg).astype(np.float32)
            action = np.repeat(a_seg, seg).astype(np.int16)
            tactic = np.repeat(t_seg, seg).astype(np.int16)
            quality = np.repeat(q_seg, seg)
            imu = rng.normal(0, 0.3, (steps, p, 9)).astype(np.float32)
            imu[:, :, 0] += action[:, None] * 1.0
            imu[:, :, 1] += quality[:, None] / 50.0
            context = rng.normal(0, 0.3, (steps, k)).astype(np.float32)
            context[:, 0] += tactic * 1.5
            video = rng.integers(0, 40, (steps, f, c, c, 3)).astype(np.uint8)
            video[..., 0] += (action * 50).astype(np.uint8)[:, None, None, None]
            w.write(first, {
                "video": video, "imu": imu, "context": context,
                "context_valid": np.ones((steps, k), bool), "mask": np.ones((steps, 3), bool),
                "action": action, "tactic": tactic, "quality": quality,
                "player": np.full(steps, j, np.int32), "session": np.zeros(steps, np.int32),
                "t_s": np.arange(steps) * spec.step_s})
            for s0 in range(0, n_seg * seg - seg + 1, seg):  # one window per segment
                centre = s0 + seg // 2
                win["start"].append(np.array([first + s0]))
                win["t_s"].append(np.array([centre * spec.step_s]))
                win["action"].append(action[centre:centre + 1])
                win["tactic"].append(tactic[centre:centre + 1])
                win["quality"].append(quality[centre:centre + 1])
                win["split"].append(np.array([split_of[j]]))
                win["weight"].append(np.array([1.0]))
        players_doc = [{"session": 0, "id": f"p{j}", "team": "A", "number": j,
                        "row_start": j * steps, "n_steps": steps} for j in range(players)]
        sessions_doc = [{"name": "tiny", "path": str(path), "synthetic": True,
                         "label_source": "fixture", "n_players": players, "n_steps": steps,
                         "k0": 0, "duration_s": steps * spec.step_s, "video": True,
                         "calibrated": False, "ball": False, "ball_errors": ball_errors}]
        w.finish({k2: np.concatenate(v) for k2, v in win.items()},
                 {"sessions": sessions_doc, "players": players_doc,
                  "build": {"settings": {"seed": seed, "fixture": True}}})
    return path
