"""benchmarks/learning_curve.py's training plan: finished counts are skipped, an interrupted run
goes on from its checkpoint (run here on a tiny dataset), a new one gets the bundled recipe."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ml_data_fixtures import write_tiny_dataset  # noqa: E402

pytest.importorskip("torch")


def test_plan_skips_finished_resumes_interrupted_and_starts_new(tmp_path: Path) -> None:
    import learning_curve

    from footcoach.cli.main import main

    for n in (5, 6, 7):
        write_tiny_dataset(tmp_path / f"data-{n}.h5", players=8, steps=48)
    assert main(["train", str(tmp_path / "data-5.h5"), "--out", str(tmp_path / "model-5"),
                 "--epochs", "1", "--batch", "16", "--threads", "1"]) == 0
    assert main(["train", str(tmp_path / "data-6.h5"), "--out", str(tmp_path / "model-6"),
                 "--epochs", "1", "--batch", "16", "--threads", "1"]) == 0
    (tmp_path / "model-6" / "footcoach_model.json").unlink()  # as if stopped mid-run
    args = argparse.Namespace(epochs=2, max_minutes=5.0, seed=0, threads=1)
    plan = dict(learning_curve.train_commands(tmp_path, [5, 6, 7], args))
    assert sorted(plan) == [6, 7]
    assert "--resume" in plan[6] and "--loss-weights" not in plan[6]
    fresh = plan[7]
    assert "--resume" not in fresh
    assert fresh[fresh.index("--loss-weights") + 1] == learning_curve.LOSS_WEIGHTS
    assert fresh[fresh.index("--modalities") + 1] == "imu,context"
    subprocess.run(plan[6], cwd=ROOT, check=True, capture_output=True)
    state = json.loads((tmp_path / "model-6" / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 2 and (tmp_path / "model-6" / "footcoach_model.json").is_file()
