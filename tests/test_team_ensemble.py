"""Ensembles of team tactic models (``footcoach team-ensemble``): the mean of the members'
probabilities, the files and their hashes, the re-scored metrics (numpy, the app's path, against
torch training's own scoring), refusals, and the analysis cache key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from footcoach.analysis.team_tactic import (
    TEAM_JSON,
    load_team_model,
    step_probabilities,
    team_probabilities,
)
from footcoach.cli.main import main
from footcoach.errors import FootcoachError

torch = pytest.importorskip("torch")

from footcoach.ml.team_ensemble import combine_team_models, score_team_model  # noqa: E402
from footcoach.ml.team_train import TeamTrainSettings, train_team_model  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A real dataset of 3 short simulated sessions (s2 the test session) and three team
    models trained on it with seeds 0, 1 and 2."""
    from footcoach.app.dataset import BuildSettings, run_build
    from footcoach.synth.simulate import simulate_session

    root = tmp_path_factory.mktemp("team-ensemble")
    folders = [simulate_session(root / f"s{i}", seed=40 + i, n_players=6, minutes=0.5,
                                video=False) for i in range(3)]
    data = root / "data.h5"
    run_build(folders, data, BuildSettings(seed=0, test_sessions=("s2",)))
    out = {"data": data}
    for seed in range(3):
        out[f"m{seed}"] = root / f"m{seed}"
        train_team_model(data, out[f"m{seed}"], TeamTrainSettings(
            epochs=3, seed=seed, hidden=8, channels=8, crop_steps=40, threads=1,
            deltas=True), progress=None)
    return out


def _fresh(trained: dict[str, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "ens"
    shutil.copytree(trained["m0"], folder)
    return folder


def test_scoring_matches_training(trained: dict[str, Path]) -> None:
    """The numpy scoring of one model gives the test metrics its torch training recorded."""
    model = load_team_model(trained["m1"])
    assert model is not None
    got = score_team_model(model, [trained["data"]])
    want = model.doc["metrics"]
    for key in ("test_with_ball", "test_without_ball"):
        assert got[key]["team_steps"] == want[key]["team_steps"] > 0
        assert got[key]["accuracy"] == pytest.approx(want[key]["accuracy"], abs=2e-3)


def test_ensemble_averages_the_members(trained: dict[str, Path], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = _fresh(trained, tmp_path)
    assert main(["team-ensemble", str(folder), str(trained["m1"]), str(trained["m2"]),
                 "--data", str(trained["data"])]) == 0
    out = capsys.readouterr().out
    assert "ensemble test with ball: team-step accuracy" in out
    assert "team tactic ensemble of 3 models" in out
    doc = json.loads((folder / TEAM_JSON).read_text())
    assert [e["weights"] for e in doc["members"]] == ["team_tactic_1.safetensors",
                                                      "team_tactic_2.safetensors"]
    assert [e["training"]["settings"]["seed"] for e in doc["members"]] == [1, 2]
    singles = [load_team_model(trained[f"m{k}"]) for k in range(3)]
    assert all(s is not None for s in singles)
    assert doc["member_metrics"] == [s.doc["metrics"] for s in singles if s is not None]
    ens = load_team_model(folder)
    assert ens is not None and len(ens.members) == 2
    # a new identity for the analysis cache, from every member's weights
    assert ens.sha256 not in {s.sha256 for s in singles if s is not None}
    # each member keeps its own normalisation (other seeds may draw other validation sessions)
    assert singles[1] is not None and singles[2] is not None
    assert np.array_equal(ens.members[1].std, singles[2].std)
    assert ens.members[0].weights.keys() == singles[1].weights.keys()
    assert all(np.array_equal(ens.members[0].weights[k], singles[1].weights[k])
               for k in singles[1].weights)
    rng = np.random.default_rng(4)
    context = rng.normal(size=(6, 20, len(ens.context_features))).astype(np.float32)
    present = np.ones((6, 20), bool)
    teams = ["A", "A", "A", "B", "B", "B"]
    got = team_probabilities(ens, context, present, teams)
    each = [team_probabilities(s, context, present, teams) for s in singles if s is not None]
    for team in ("A", "B"):
        assert np.allclose(got[team], np.mean([e[team] for e in each], axis=0), atol=1e-6)
        assert np.allclose(got[team].sum(-1), 1, atol=1e-5)
    # the metrics are the ensemble's, scored again
    assert doc["metrics"] == score_team_model(ens, [trained["data"]])
    assert step_probabilities(ens, context[:3], present[:3], context[3:],
                              present[3:]).shape == (20, 8)


def test_refusals(trained: dict[str, Path], tmp_path: Path,
                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = _fresh(trained, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    data = str(trained["data"])
    assert main(["team-ensemble", str(folder), str(empty), "--data", data]) == 2
    assert "no team tactic model in this folder" in capsys.readouterr().err
    assert main(["team-ensemble", str(empty), str(folder), "--data", data]) == 2
    assert "no team tactic model here" in capsys.readouterr().err
    assert main(["team-ensemble", str(folder), str(trained["m0"]), "--data", data]) == 2
    assert "already in the ensemble" in capsys.readouterr().err
    assert not (folder / "team_tactic_1.safetensors").exists()  # nothing written
    combine_team_models(folder, [trained["m1"]], [trained["data"]], progress=None)
    other = shutil.copytree(trained["m2"], tmp_path / "other")
    with pytest.raises(FootcoachError, match="itself an ensemble"):
        combine_team_models(other, [folder], [trained["data"]], progress=None)
    # a member's weights changed on disk: loading refuses, naming that file
    member = folder / "team_tactic_1.safetensors"
    blob = bytearray(member.read_bytes())
    blob[-1] ^= 0xFF
    member.write_bytes(bytes(blob))
    with pytest.raises(FootcoachError, match="sha256") as err:
        load_team_model(folder)
    assert "team_tactic_1.safetensors" in str(err.value)
    # a member entry that points outside the folder is refused
    doc = json.loads((folder / TEAM_JSON).read_text())
    doc["members"][0]["weights"] = "../m1/team_tactic.safetensors"
    (folder / TEAM_JSON).write_text(json.dumps(doc))
    with pytest.raises(FootcoachError, match="not in the model folder"):
        load_team_model(folder)
