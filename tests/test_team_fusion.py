"""How the team tactic model is weighed against the players' own tactic: the power of the
fusion, its file field, ``footcoach team-fusion`` on sessions neither model saw, and its use by
evaluate and analysis."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from footcoach.analysis.team_tactic import TEAM_JSON, fuse_with_team, load_team_model
from footcoach.cli.main import main
from footcoach.errors import FootcoachError

torch = pytest.importorskip("torch")


def test_fusion_power() -> None:
    player = np.array([[0.6, 0.4], [0.9, 0.1], [0.7, 0.3]])
    team = np.array([[0.3, 0.7], [0.2, 0.8], [np.nan, np.nan]])
    assert np.allclose(fuse_with_team(player, team, 1.0), fuse_with_team(player, team))
    half = fuse_with_team(player, team, 0.5)
    want = np.sqrt(player[1]) * team[1]
    assert np.allclose(half[1], want / want.sum())
    assert half[1].argmax() == 1 and fuse_with_team(player, team)[1].argmax() == 0
    alone = fuse_with_team(player, team, 0.0)  # the team model alone where it has one
    assert np.allclose(alone[:2], team[:2]) and np.allclose(alone[2], player[2])


def test_best_power_when_the_team_model_alone_scores_best() -> None:
    """0 cannot be stored: the best power above it wins, not the default of 1."""
    from footcoach.ml.team_fusion import best_power

    scores = {"powers": [0.0, 0.25, 0.5, 1.0], "ball": [0.94, 0.937, 0.933, 0.925],
              "no_ball": [0.92, 0.917, 0.912, 0.904]}
    assert best_power(scores) == 0.25
    tie = {"powers": [0.5, 1.0, 1.5], "ball": [0.9, 0.9, 0.8], "no_ball": [0.8, 0.8, 0.8]}
    assert best_power(tie) == 1.0
    assert best_power({"powers": [0.0], "ball": [0.9], "no_ball": [0.9]}) == 1.0


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A model folder (a random tiny network that records its dataset's sessions, and a team
    model trained on that dataset) and a second dataset whose test sessions neither saw."""
    from footcoach.app.dataset import BuildSettings, run_build
    from footcoach.io.hdf5_dataset import DatasetFile
    from footcoach.ml.config import ModelConfig
    from footcoach.ml.network import FootcoachNet
    from footcoach.ml.team_train import TeamTrainSettings, train_team_model
    from footcoach.ml.weights import save_model
    from footcoach.synth.simulate import simulate_session

    root = tmp_path_factory.mktemp("fusion")
    own = [simulate_session(root / f"m{i}", seed=40 + i, n_players=6, minutes=0.5, video=False)
           for i in range(3)]
    fresh = [simulate_session(root / f"f{i}", seed=50 + i, n_players=6, minutes=0.5,
                              video=False) for i in range(2)]
    data, other = root / "own.h5", root / "fresh.h5"
    run_build(own, data, BuildSettings(seed=0, test_sessions=("m2",)))
    run_build([own[0], *fresh], other, BuildSettings(seed=0, test_sessions=("f0", "f1")))
    with DatasetFile(data) as ds:
        spec = ds.spec
    cfg = ModelConfig.tiny(window=spec, modalities=("imu", "context"))
    torch.manual_seed(0)
    model = root / "model"
    save_model(FootcoachNet(cfg).eval(), cfg, model, metrics={}, training_info={
        "dataset_sessions": [{"name": f.name} for f in own]})
    train_team_model(data, model, TeamTrainSettings(epochs=3, hidden=8, channels=8,
                                                    threads=1), progress=None)
    return {"model": model, "own": data, "fresh": other}


def test_cli_scores_the_powers_and_sets_the_best(folders: dict[str, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from footcoach.ml.evaluate import evaluate
    from footcoach.ml.team_fusion import best_power, fusion_scores

    model = tmp_path / "model"
    shutil.copytree(folders["model"], model)
    scores = fusion_scores(model, folders["fresh"], (0.0, 0.5, 1.0))
    assert scores["sessions"] == ["f0", "f1"] and scores["windows"] > 0
    assert all(0 <= a <= 1 for a in [*scores["ball"], *scores["no_ball"]])
    # the plain product is what evaluate reports for the folder
    m = evaluate(model, folders["fresh"], out=tmp_path / "m", device="cpu")
    assert np.isclose(m["tactic_with_team_model"]["accuracy"], scores["ball"][2])
    assert m["tactic_with_team_model"]["player_power"] == 1.0

    assert main(["team-fusion", str(model), str(folders["fresh"]), "--powers", "0.5,1",
                 "--set"]) == 0
    out = capsys.readouterr().out
    assert "| power | with the ball | without |" in out and "written to" in out
    team = load_team_model(model)
    assert team is not None
    doc = json.loads((model / TEAM_JSON).read_text())
    assert team.player_power == doc["player_power"] == best_power(doc["fusion"])
    assert doc["fusion"]["powers"] == [0.5, 1.0]
    m2 = evaluate(model, folders["fresh"], out=tmp_path / "m2", device="cpu")
    tw = m2["tactic_with_team_model"]
    assert tw["player_power"] == team.player_power
    assert np.isclose(tw["accuracy"], scores["ball"][[0.0, 0.5, 1.0].index(team.player_power)])


def test_sessions_of_the_models_datasets_are_refused(folders: dict[str, Path],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["team-fusion", str(folders["model"]), str(folders["own"])]) == 2
    err = capsys.readouterr().err
    assert "m2" in err and "neither model" in err and str(folders["own"]) in err
    assert main(["team-fusion", str(folders["model"]), str(folders["fresh"]), "--powers",
                 "1,x"]) == 2
    assert "--powers takes numbers" in capsys.readouterr().err
    assert json.loads((folders["model"] / TEAM_JSON).read_text())["player_power"] == 1.0


@pytest.mark.parametrize("bad", [0, -1, 10, "x"])
def test_a_bad_power_in_the_file_is_refused(folders: dict[str, Path], tmp_path: Path,
                                            bad: object) -> None:
    import shutil

    model = tmp_path / "model"
    shutil.copytree(folders["model"], model)
    doc = json.loads((model / TEAM_JSON).read_text())
    doc["player_power"] = bad
    (model / TEAM_JSON).write_text(json.dumps(doc))
    with pytest.raises(FootcoachError, match="cannot read the team tactic model") as exc:
        load_team_model(model)
    assert TEAM_JSON in str(exc.value)


def test_analysis_uses_the_power(folders: dict[str, Path], tmp_path: Path) -> None:
    """The session analysis fuses with the folder's power, and the power enters the cache
    key."""
    import shutil

    from footcoach.app.analyze import run_analysis
    from footcoach.ml.team_fusion import set_player_power
    from footcoach.synth.simulate import simulate_session

    model = tmp_path / "model"
    shutil.copytree(folders["model"], model)
    session = simulate_session(tmp_path / "s", seed=7, n_players=4, minutes=0.5, video=False)
    plain = run_analysis(session, model_dir=model, engine="torch", device="cpu",
                         team_model=False)
    product = run_analysis(session, model_dir=model, engine="torch", device="cpu")
    set_player_power(model, 0.25)
    weighed = run_analysis(session, model_dir=model, engine="torch", device="cpu")
    assert not weighed.from_cache and weighed.key != product.key
    assert weighed.model["team_model"]["player_power"] == 0.25
    from footcoach.cli.cmd_analyze import format_summary

    assert "players' vote (power 0.25) x team tactic model" in format_summary(weighed)
    for i, pid in enumerate(plain.steps.player_ids):
        team = plain.teams[pid]
        want = fuse_with_team(plain.steps.tactic_probs[i], weighed.team_tactic_probs[team], 0.25)
        assert np.allclose(weighed.steps.tactic_probs[i], want, atol=1e-5, equal_nan=True)
    assert not np.allclose(weighed.steps.tactic_probs, product.steps.tactic_probs,
                           equal_nan=True)
