"""benchmarks/ablation.py end to end on a tiny dataset: the table it writes, and that it builds
the bundled recipe (loss weights, context bins) when asked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ml_data_fixtures import write_tiny_dataset  # noqa: E402

pytest.importorskip("torch")


def test_ablation_writes_the_table_with_the_asked_recipe(tmp_path: Path) -> None:
    import ablation

    data = write_tiny_dataset(tmp_path / "tiny.h5", players=8, steps=48)
    out, work = tmp_path / "ablation.md", tmp_path / "models"
    args = [str(data), "--out", str(out), "--work", str(work), "--seeds", "0", "1",
            "--configs", "cnn", "full", "--epochs", "1", "--batch", "16",
            "--modalities", "imu,context", "--device", "cpu", "--threads", "1",
            "--joint-baselines", "--loss-weights", "quality=10", "--context-bins", "4"]
    assert ablation.main(args) == 0
    text = out.read_text()
    assert "Joint-loss weights quality=10; context bins 4." in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert [r.split(" | ")[0] for r in rows[1:]] == ["| CNN only", "| + multitask (full)"]
    assert all("+/-" in r for r in rows[1:])  # mean +/- std over the two seeds
    model = json.loads((work / "full-joint-s0" / "footcoach_model.json").read_text())
    assert model["config"]["context_bins"] == 4
    assert model["config"]["loss"]["quality"] == 10.0
    results = json.loads((work / "ablation.json").read_text())
    assert sorted(results) == ["cnn", "full"] and len(results["full"]) == 2
    # --reuse scores the same folders again without training
    before = (work / "full-joint-s0" / "footcoach_model.safetensors").stat().st_mtime_ns
    assert ablation.main([*args, "--reuse"]) == 0
    assert (work / "full-joint-s0" / "footcoach_model.safetensors").stat().st_mtime_ns == before


def test_ablation_adds_the_tactic_fused_with_a_held_out_team_model(tmp_path: Path) -> None:
    """``--team-model DIR``: a column of the tactic as the app shows it (fused with the folder's
    team tactic model); refused when that team model trained on a test session."""
    import shutil

    import ablation
    import h5py

    data = write_tiny_dataset(tmp_path / "tiny.h5", players=8, steps=48)
    with h5py.File(data, "r+") as f:  # name the players' splits, as dataset build does
        players = json.loads(f.attrs["players"])
        for p, split in zip(players, ["train"] * 4 + ["val"] * 2 + ["test"] * 2, strict=True):
            p["split"] = split
        f.attrs["players"] = json.dumps(players)
    team = tmp_path / "team"
    team.mkdir()
    for path in (ROOT / "models").glob("team_tactic*"):
        shutil.copy2(path, team / path.name)
    out = tmp_path / "ablation.md"
    args = [str(data), "--out", str(out), "--work", str(tmp_path / "models"), "--seeds", "0",
            "--configs", "full", "--epochs", "1", "--batch", "16", "--modalities",
            "imu,context", "--device", "cpu", "--threads", "1", "--team-model", str(team)]
    assert ablation.main(args) == 0
    power = json.loads((team / "team_tactic.json").read_text())["player_power"]
    header, _, row = [x for x in out.read_text().splitlines() if x.startswith("|")]
    assert header.endswith(f"| tactic with the team model (power {power:g}) |")
    assert row.count("|") == header.count("|") and row.endswith("% +/- 0.0 |")
    results = json.loads((tmp_path / "models" / "ablation.json").read_text())
    assert 0.0 <= results["full"][0]["fused_acc"] <= 1.0

    doc = json.loads((team / "team_tactic.json").read_text())
    doc["training"]["sessions"]["train"].append("tiny")  # the test session, now trained on
    (team / "team_tactic.json").write_text(json.dumps(doc))
    with pytest.raises(SystemExit, match="trained on test sessions"):
        ablation.main([*args, "--reuse"])
