"""The team tactic model: numpy inference against its torch twin, file checks, training on a
small real dataset, and its use in session analysis (team phases, cache key, cached arrays)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from footcoach.analysis.team_tactic import (
    TEAM_JSON,
    TEAM_WEIGHTS,
    TeamTacticModel,
    fuse_with_team,
    load_team_model,
    team_probabilities,
)
from footcoach.cli.main import main
from footcoach.domain.labels import TACTICS
from footcoach.errors import FootcoachError

torch = pytest.importorskip("torch")

from footcoach.ml.team_train import (  # noqa: E402  (after the torch check)
    TeamTacticNet,
    TeamTrainSettings,
    save_team_model,
    team_sequences,
    train_team_model,
)

FEATURES = ["speed_mps", "x_norm", "ball_dist_m"]


def random_team_model(out: Path, features: list[str] = FEATURES, seed: int = 0,
                      hidden: int = 8, channels: int = 12, deltas: bool = False
                      ) -> TeamTacticModel:
    torch.manual_seed(seed)
    dil = (1, 2)
    shell = TeamTacticModel({}, list(features), [f"t{i}" for i in range(8)],
                            np.linspace(0, 1, len(features)).astype(np.float32),
                            np.linspace(1, 2, len(features)).astype(np.float32),
                            hidden, channels, dil, deltas)
    net = TeamTacticNet(shell.n_inputs, hidden, channels, dil)
    save_team_model(net, shell, out, {"data": "none (random init)"}, {})
    model = load_team_model(out)
    assert model is not None
    return model


@pytest.mark.parametrize("deltas", [False, True])
def test_numpy_inference_matches_torch(tmp_path: Path, deltas: bool) -> None:
    model = random_team_model(tmp_path, deltas=deltas)
    assert model.deltas is deltas
    net = TeamTacticNet(model.n_inputs, model.hidden, model.channels, model.dilations)
    from safetensors.torch import load_file

    net.load_state_dict(load_file(tmp_path / TEAM_WEIGHTS))
    net.eval()
    rng = np.random.default_rng(1)
    own, opp = rng.normal(size=(4, 30, 3)), rng.normal(size=(3, 30, 3))
    own[1, 5:9, 2] = np.nan  # unknown values
    own_p, opp_p = np.ones((4, 30), bool), np.ones((3, 30), bool)
    own_p[2, 10:20] = False  # a player without a position for a while
    opp_p[:, 25:] = False  # no opponent at the end
    x_own, x_opp = model.player_inputs(own), model.player_inputs(opp)
    got = model.logits(x_own, own_p, x_opp, opp_p)
    with torch.no_grad():
        want = net(torch.from_numpy(x_own), torch.from_numpy(own_p), torch.from_numpy(x_opp),
                   torch.from_numpy(opp_p)).numpy()
    assert got.shape == (30, 8)
    assert np.abs(got - want).max() < 1e-4
    # the unknown values reach the model as 0 with a validity flag of 0
    assert x_own[1, 6, 2] == 0 and x_own[1, 6, 5] == 0 and x_own[1, 4, 5] == 1
    if deltas:  # the change since the step before; 0 next to an unknown value and at step 0
        assert x_own.shape[-1] == 9 and (x_own[:, 0, 6:] == 0).all()
        assert np.isclose(x_own[0, 3, 6], x_own[0, 3, 0] - x_own[0, 2, 0])
        assert x_own[1, 5, 8] == 0 and x_own[1, 9, 8] == 0


def test_team_probabilities_per_team(tmp_path: Path) -> None:
    model = random_team_model(tmp_path)
    rng = np.random.default_rng(2)
    context = rng.normal(size=(5, 12, 3)).astype(np.float32)
    present = np.ones((5, 12), bool)
    present[:2, 8:] = False  # team A has nobody with a position from step 8
    probs = team_probabilities(model, context, present, ["A", "A", "B", "B", ""])
    assert set(probs) == {"A", "B"}
    assert np.allclose(probs["B"].sum(-1), 1, atol=1e-5)
    assert np.isnan(probs["A"][8:]).all() and np.allclose(probs["A"][:8].sum(-1), 1, atol=1e-5)
    # a team without opponents gets nothing (the model always saw two teams)
    assert team_probabilities(model, context, present, ["A"] * 5) == {}
    # the player without a team is on neither side: moving him changes nothing
    context2 = context.copy()
    context2[4] += 5
    same = team_probabilities(model, context2, present, ["A", "A", "B", "B", ""])
    assert np.allclose(same["B"], probs["B"])


def test_fuse_with_team() -> None:
    player = np.array([[0.6, 0.4], [0.5, 0.5], [0.7, 0.3], [np.nan, np.nan]])
    team = np.array([[0.2, 0.8], [0.9, 0.1], [np.nan, np.nan], [0.5, 0.5]])
    both = fuse_with_team(player, team)
    assert both[0].argmax() == 1 and np.isclose(both[0].sum(), 1)
    assert np.allclose(both[0], [0.12 / 0.44, 0.32 / 0.44])
    assert both[1].argmax() == 0
    assert np.allclose(both[2], player[2])  # no team probabilities: the player's alone
    assert np.isnan(both[3]).all()  # no prediction of the player: none
    assert fuse_with_team(player, None) is player


def test_loading_checks_the_hash_and_the_format(tmp_path: Path) -> None:
    assert load_team_model(tmp_path) is None  # no team model: None
    random_team_model(tmp_path)
    blob = bytearray((tmp_path / TEAM_WEIGHTS).read_bytes())
    blob[-1] ^= 0xFF
    (tmp_path / TEAM_WEIGHTS).write_bytes(bytes(blob))
    with pytest.raises(FootcoachError, match="sha256") as exc:
        load_team_model(tmp_path)
    assert TEAM_WEIGHTS in str(exc.value)
    doc = json.loads((tmp_path / TEAM_JSON).read_text())
    doc["format"] = "something else"
    (tmp_path / TEAM_JSON).write_text(json.dumps(doc))
    with pytest.raises(FootcoachError, match="cannot read the team tactic model"):
        load_team_model(tmp_path)


# ------------------------------------------------------------------ training on a dataset
@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real dataset of 3 short simulated sessions (two teams each), one of them the test
    session."""
    from footcoach.app.dataset import BuildSettings, run_build
    from footcoach.synth.simulate import simulate_session

    root = tmp_path_factory.mktemp("team-data")
    folders = [simulate_session(root / f"s{i}", seed=20 + i, n_players=6, minutes=0.5,
                                video=False) for i in range(3)]
    out = root / "data.h5"
    run_build(folders, out, BuildSettings(seed=0, test_sessions=("s2",)))
    return out


def test_sequences_follow_the_dataset(dataset: Path) -> None:
    seqs, features, tactics = team_sequences(dataset, val_share=0.5, seed=0)
    assert len(tactics) == 8 and "ball_dist_m" in features
    assert {q.split for q in seqs} == {"train", "val", "test"}
    assert sorted(q.session for q in seqs if q.split == "test") == ["s2", "s2"]
    with h5py.File(dataset, "r") as f:
        players = json.loads(f.attrs["players"])
        tactic = f["tactic"][:]
    q = seqs[0]
    own = [p for p in players if p["session"] == 0 and p["team"] == q.team]
    assert q.own.shape[0] == len(own) and q.opp.shape[0] == 6 - len(own)
    first = tactic[own[0]["row_start"]:own[0]["row_start"] + q.tactic.size]
    assert (q.tactic == first).mean() > 0.9  # one label per team: its players agree


def test_several_datasets_of_the_same_sessions(dataset: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The sessions built again with tracking errors in the ball: one sequence per team, session
    and file, each session's copies in the same split; other test sessions are refused."""
    from footcoach.app.dataset import BuildSettings, run_build

    folders = sorted(p for p in dataset.parent.iterdir() if p.is_dir())
    noisy = tmp_path / "noisy.h5"
    run_build(folders, noisy, BuildSettings(seed=0, test_sessions=("s2",), ball_noise_m=1.5,
                                            ball_gap_share=0.3))
    one, _, _ = team_sequences(dataset, val_share=0.5, seed=0)
    both, features, _ = team_sequences([dataset, noisy], val_share=0.5, seed=0)
    assert len(both) == 2 * len(one) and {q.source for q in both} == {0, 1}
    split = {(q.session, q.team): q.split for q in one}
    assert all(split[q.session, q.team] == q.split for q in both)
    ball = features.index("ball_dist_m")
    a, b = both[0], both[len(one)]
    assert (a.session, a.team) == (b.session, b.team)
    assert np.array_equal(a.tactic, b.tactic) and np.array_equal(a.own_present, b.own_present)
    seen = np.isfinite(a.own[..., ball]) & np.isfinite(b.own[..., ball])
    assert np.nanmean(np.abs(a.own[..., ball] - b.own[..., ball])[seen]) > 0.1  # other ball
    assert main(["train-team", str(dataset), str(noisy), "--out", str(tmp_path / "m"),
                 "--epochs", "1", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "test with ball of dataset 2: team-step accuracy" in out
    doc = json.loads((tmp_path / "m" / TEAM_JSON).read_text())
    assert doc["training"]["data"] == [str(dataset), str(noisy)]
    assert doc["metrics"]["test_with_ball"]["team_steps"] == doc["metrics"][
        "test_with_ball_of_dataset_2"]["team_steps"]
    other = tmp_path / "other.h5"
    run_build(folders, other, BuildSettings(seed=0, test_sessions=("s1",)))
    with pytest.raises(FootcoachError, match="s1 is a training session here") as err:
        team_sequences([dataset, other])
    assert str(dataset) in str(err.value)


def test_training_lowers_the_loss_and_writes_a_loadable_model(dataset: Path,
                                                              tmp_path: Path) -> None:
    lines: list[str] = []
    doc = train_team_model(dataset, tmp_path, TeamTrainSettings(
        epochs=6, hidden=16, channels=16, crop_steps=40, val_share=0.0, threads=1),
        progress=lines.append)
    assert len(lines) == 6 and lines[0].startswith("epoch 1/6: loss ")
    losses = [h["loss"] for h in doc["training"]["history"]]
    assert losses[-1] < losses[0]
    assert doc["metrics"]["test_with_ball"]["team_steps"] > 0
    model = load_team_model(tmp_path)
    assert model is not None and model.sha256 == doc["sha256"]
    with pytest.raises(FootcoachError, match="cancelled"):
        train_team_model(dataset, tmp_path / "c", TeamTrainSettings(epochs=2, threads=1),
                         progress=None, cancel=lambda: True)


def test_cli_train_team(dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                        ) -> None:
    assert main(["train-team", str(dataset), "--out", str(tmp_path), "--epochs", "2",
                 "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "test with ball: team-step accuracy" in out and (tmp_path / TEAM_JSON).is_file()
    assert json.loads((tmp_path / TEAM_JSON).read_text())["deltas"] is False
    assert main(["train-team", str(dataset), "--out", str(tmp_path / "d"), "--epochs", "1",
                 "--threads", "1", "--deltas"]) == 0
    deltas = load_team_model(tmp_path / "d")
    assert deltas is not None and deltas.deltas
    assert deltas.n_inputs == 3 * len(deltas.context_features)
    assert main(["train-team", str(dataset), "--out", str(tmp_path), "--ball-dropout",
                 "2"]) == 2
    assert "--ball-dropout must be in 0..1" in capsys.readouterr().err
    # a folder whose network reads other context features is refused before training
    from dataclasses import replace

    from footcoach.ml.config import ModelConfig
    from footcoach.ml.network import FootcoachNet
    from footcoach.ml.weights import save_model

    tiny = ModelConfig.tiny()
    cfg = ModelConfig.tiny(window=replace(tiny.window,
                                          context_features=tiny.window.context_features[:5]))
    other = tmp_path / "other"
    save_model(FootcoachNet(cfg).eval(), cfg, other, training_info={"data": "none"},
               metrics={})
    assert main(["train-team", str(dataset), "--out", str(other), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "reads other context features than this dataset" in err and str(dataset) in err
    assert not (other / TEAM_JSON).exists()


# ------------------------------------------------------------------------------ analysis
def test_analysis_uses_the_team_model(tmp_path: Path) -> None:
    """With a team model beside the network the team vote changes, the cache key differs, the
    team probabilities are cached, and ``team_model=False`` gives the plain vote."""
    from footcoach.app.analyze import run_analysis
    from footcoach.ml.config import ModelConfig
    from footcoach.ml.network import FootcoachNet
    from footcoach.ml.weights import save_model
    from footcoach.synth.simulate import simulate_session

    cfg = ModelConfig.tiny()
    torch.manual_seed(3)
    net_dir = tmp_path / "model"
    save_model(FootcoachNet(cfg).eval(), cfg, net_dir, training_info={"data": "none"},
               metrics={})
    session = simulate_session(tmp_path / "s", seed=6, n_players=4, minutes=0.5, video=False)
    plain = run_analysis(session, model_dir=net_dir, engine="torch", device="cpu")
    assert plain.team_tactic_probs == {} and plain.model["team_model"] is None

    features = list(cfg.window.context_features)
    random_team_model(net_dir, features, seed=1)
    with_team = run_analysis(session, model_dir=net_dir, engine="torch", device="cpu")
    assert with_team.key != plain.key and not with_team.from_cache
    assert set(with_team.team_tactic_probs) == set(plain.teams.values()) == {"A", "B"}
    assert with_team.team_tactic_probs["A"].shape == (plain.steps.t.size, 8)
    assert [p.to_dict() for p in with_team.phases] != [p.to_dict() for p in plain.phases]
    # every player's tactic is his window's times his team's
    for i, pid in enumerate(plain.steps.player_ids):
        team = plain.teams[pid]
        want = fuse_with_team(plain.steps.tactic_probs[i], with_team.team_tactic_probs[team])
        assert np.allclose(with_team.steps.tactic_probs[i], want, atol=1e-5, equal_nan=True)
    assert not np.allclose(with_team.steps.tactic_probs, plain.steps.tactic_probs,
                           equal_nan=True)
    # the events' tactic is the argmax of the mean fused probabilities over the event
    t = with_team.steps.t
    for ev in with_team.events:
        i = with_team.steps.player_ids.index(ev.player_id)
        on = (t > ev.start_s) & (t < ev.end_s) & with_team.steps.valid[i]
        mean = with_team.steps.tactic_probs[i][on].mean(axis=0)
        assert ev.tactic == TACTICS[int(mean.argmax())]
    from footcoach.cli.cmd_analyze import format_summary

    assert "players' vote x team tactic model" in format_summary(with_team)
    assert "players' vote)" in format_summary(plain)
    cached = run_analysis(session, model_dir=net_dir, engine="torch", device="cpu")
    assert cached.from_cache
    assert np.array_equal(cached.team_tactic_probs["B"], with_team.team_tactic_probs["B"],
                          equal_nan=True)
    without = run_analysis(session, model_dir=net_dir, engine="torch", device="cpu",
                           team_model=False)
    assert without.key == plain.key

    other = tmp_path / "other"
    shutil.copytree(net_dir, other)
    random_team_model(other, FEATURES)  # trained for other context features
    with pytest.raises(FootcoachError, match="other context features"):
        run_analysis(session, model_dir=other, engine="torch", device="cpu")


def test_evaluate_scores_the_windows_with_the_team_model(dataset: Path, tmp_path: Path) -> None:
    """``footcoach evaluate`` on a folder with a team model adds the windows' tactic as the app
    gives it (window x team at the window's centre), beside the network's own."""
    from footcoach.io.hdf5_dataset import DatasetFile
    from footcoach.ml.config import ModelConfig
    from footcoach.ml.evaluate import evaluate, predict, summary_markdown
    from footcoach.ml.network import FootcoachNet
    from footcoach.ml.team_train import window_team_probabilities
    from footcoach.ml.weights import save_model

    with DatasetFile(dataset) as ds:
        spec = ds.spec
    cfg = ModelConfig.tiny(window=spec, modalities=("imu", "context"))
    torch.manual_seed(0)
    net = FootcoachNet(cfg).eval()
    save_model(net, cfg, tmp_path, training_info={"data": "none"}, metrics={})
    plain = evaluate(tmp_path, dataset, out=tmp_path / "m0", device="cpu")
    assert "tactic_with_team_model" not in plain
    train_team_model(dataset, tmp_path, TeamTrainSettings(epochs=2, hidden=8, channels=8,
                                                          threads=1), progress=None)
    m = evaluate(tmp_path, dataset, out=tmp_path / "m1", device="cpu")
    tw = m["tactic_with_team_model"]
    assert tw["n"] == m["tactic"]["n"] and 0 <= tw["accuracy"] <= 1
    assert tw["team_vote"]["n"] > 0
    assert "Tactic with the team tactic model" in summary_markdown(m)
    # the fused tactic by the distance to a label change: the bins hold every window and
    # weigh back to the fused accuracy
    rows = tw["by_label_change"]
    assert [r["n"] for r in rows] == [r["n"] for r in m["tactic"]["by_label_change"]]
    assert sum(r["n"] * r["accuracy"] for r in rows if r["n"]) == pytest.approx(
        tw["accuracy"] * tw["n"])
    assert "| tactic with the team tactic model |" in summary_markdown(m)
    assert "team tactic model |" not in summary_markdown(plain)
    # the mapping: a window gets its team's probabilities at its centre step
    team = load_team_model(tmp_path)
    assert team is not None
    preds = predict(net, dataset, device="cpu")
    assert preds.who is not None
    probs = window_team_probabilities(team, dataset, preds.who)
    seqs, _, _ = team_sequences(dataset, 0.0)
    with h5py.File(dataset, "r") as f:
        players = json.loads(f.attrs["players"])
        sessions = json.loads(f.attrs["sessions"])
        t_s = f["t_s"][:]
    for w in (0, len(preds.who) // 2, len(preds.who) - 1):
        s_idx, p_idx, t_ms = (int(v) for v in preds.who[w])
        player = players[p_idx]
        q = next(q for q in seqs if q.session == sessions[s_idx]["name"]
                 and q.team == player["team"])
        k = round((t_ms / 1000.0 - t_s[player["row_start"]]) / spec.step_s)
        z = team.logits(team.player_inputs(q.own), q.own_present, team.player_inputs(q.opp),
                        q.opp_present)[k]
        assert np.allclose(probs[w], np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
                           atol=1e-5)
