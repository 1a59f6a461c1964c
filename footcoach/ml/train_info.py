"""The ``training`` block of a trained model's JSON (:func:`footcoach.ml.train.train`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from footcoach.io.hdf5_dataset import DatasetFile
from footcoach.ml.finetune import init_provenance

if TYPE_CHECKING:
    from footcoach.ml.train import EpochStats, TrainSettings


def training_info(data: Path, s: TrainSettings, history: list[EpochStats], best_epoch: int,
                  seconds: float, device: torch.device, stopped: str, *,
                  learned_weights: dict[str, float] | None = None) -> dict[str, Any]:
    """The ``training`` block of the model JSON: data, settings, budget, history (and, with
    learned loss weights, their values at the best epoch; fine-tuned, what it started from)."""
    with DatasetFile(data) as ds:
        sessions = [{k: d.get(k) for k in ("name", "synthetic", "n_players", "duration_s",
                                           "video")} for d in ds.sessions]
        counts = {sp: int(ds.window_indices(sp).size) for sp in ("train", "val", "test")}
        build = ds.build
    return {"dataset": str(data.resolve()), "dataset_sessions": sessions,
            "windows_per_split": counts, "dataset_build": build.get("settings", {}),
            "settings": asdict(s), "epochs_run": len(history), "best_epoch": best_epoch,
            "stopped": stopped, "seconds": round(seconds, 1), "device": str(device),
            "threads": torch.get_num_threads(),
            "history": [asdict(h) for h in history],
            **({"init_from": init_provenance(s.init)} if s.init else {}),
            **({"learned_loss_weights": learned_weights} if learned_weights else {})}
