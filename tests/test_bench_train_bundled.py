"""benchmarks/train_bundled.py's helpers: trainings run ``--jobs`` at a time with a log each,
and ``--team-from`` reuses a held-out team tactic model (hashes checked, test sessions
compared) instead of training one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import train_bundled  # noqa: E402

from footcoach.analysis.team_tactic import load_team_model  # noqa: E402

pytest.importorskip("torch")


def test_groups_run_with_a_log_each_and_name_the_failed_log(tmp_path: Path) -> None:
    runs = {tmp_path / f"run-{i}.log": ["simulate", "--help"] for i in range(3)}
    train_bundled.fc_in_groups(runs, size=2)
    for log in runs:
        assert "--seed" in log.read_text()  # each run wrote its own help text into its log
    bad = {tmp_path / "ok.log": ["simulate", "--help"],
           tmp_path / "bad.log": ["simulate", "--no-such-option"]}
    with pytest.raises(SystemExit, match=r"bad\.log") as err:
        train_bundled.fc_in_groups(bad, size=3)
    assert "ok.log" not in str(err.value)


@pytest.fixture(scope="module")
def team_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A team tactic model trained on 3 short simulated sessions, s2 held out."""
    from footcoach.app.dataset import BuildSettings, run_build
    from footcoach.ml.team_train import TeamTrainSettings, train_team_model
    from footcoach.synth.simulate import simulate_session

    root = tmp_path_factory.mktemp("bundle-team")
    folders = [simulate_session(root / f"s{i}", seed=60 + i, n_players=6, minutes=0.5,
                                video=False) for i in range(3)]
    data = root / "data.h5"
    run_build(folders, data, BuildSettings(seed=0, test_sessions=("s2",)))
    out = root / "team"
    train_team_model(data, out, TeamTrainSettings(epochs=1, seed=0, hidden=8, channels=8,
                                                   crop_steps=40, threads=1), progress=None)
    return out


def test_team_from_copies_a_held_out_team_model(team_folder: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train_bundled, "TEST_SESSIONS", ("s2",))
    work = tmp_path / "work"
    with pytest.raises(SystemExit, match="no trained network"):
        train_bundled.reuse_team_model(team_folder, work)
    (work / "model").mkdir(parents=True)
    (work / "model" / "footcoach_model.json").write_text("{}")
    (work / "model" / "team_tactic_9.safetensors").write_text("stale")  # an older member
    copied = train_bundled.reuse_team_model(team_folder, work)
    assert copied == ["team_tactic.json", "team_tactic.safetensors"]
    assert not (work / "model" / "team_tactic_9.safetensors").exists()
    reused, original = load_team_model(work / "model"), load_team_model(team_folder)
    assert reused is not None and original is not None
    assert reused.doc["sha256"] == original.doc["sha256"]


def test_team_from_refuses_a_model_that_saw_the_test_sessions(
        team_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "footcoach_model.json").write_text("{}")
    monkeypatch.setattr(train_bundled, "TEST_SESSIONS", ("s1", "s2"))
    with pytest.raises(SystemExit, match=r"trained on s1\), not the held-out s1, s2"):
        train_bundled.reuse_team_model(team_folder, tmp_path)
    with pytest.raises(SystemExit, match="no team tactic model"):
        train_bundled.reuse_team_model(tmp_path / "model", tmp_path)


def test_members_are_skipped_when_trained_and_resumed_when_stopped(tmp_path: Path) -> None:
    args = train_bundled.argparse.Namespace(
        epochs=40, max_minutes=120.0, threads=1, modalities="imu,context", device="cpu",
        loss_weights="quality=10,tactic=0.5", context_bins=16)
    data, out = tmp_path / "data.h5", tmp_path / "member-1"
    new = train_bundled.member_command(data, 1, out, args)
    assert new is not None and "--resume" not in new
    assert new[new.index("--seed") + 1] == "1"
    assert new[new.index("--loss-weights") + 1] == "quality=10,tactic=0.5"
    (out / "checkpoint").mkdir(parents=True)
    (out / "checkpoint" / "state.json").write_text("{}")
    resumed = train_bundled.member_command(data, 1, out, args)
    assert resumed is not None and "--resume" in resumed and "--seed" not in resumed
    (out / "footcoach_model.json").write_text("{}")
    assert train_bundled.member_command(data, 1, out, args) is None


def test_robust_fine_tuning_starts_from_each_member_and_restarts_a_stopped_run(
        tmp_path: Path) -> None:
    data, member, out = tmp_path / "data.h5", tmp_path / "member-2", tmp_path / "member-2-robust"
    cmd = train_bundled.robust_command(data, 2, member, out, 1)
    assert cmd is not None and cmd[cmd.index("--init") + 1] == str(member)
    assert cmd[cmd.index("--seed") + 1] == "2"
    assert "--vest-upright" in cmd and cmd[cmd.index("--imu-yaw") + 1] == "45"
    assert cmd[cmd.index("--imu-rotation") + 1] == "0" and "--modality-corruption" not in cmd
    (out / "checkpoint").mkdir(parents=True)  # stopped: no model JSON
    assert train_bundled.robust_command(data, 2, member, out, 1) == cmd and not out.exists()
    out.mkdir()
    (out / "footcoach_model.json").write_text("{}")
    assert train_bundled.robust_command(data, 2, member, out, 1) is None


def test_the_card_explains_a_tactic_weight_below_one() -> None:
    from bundled_card import tactic_weight_text

    assert tactic_weight_text({"action": 1.0, "tactic": 1.0, "quality": 10.0}) == ""
    text = tactic_weight_text({"action": 1.0, "tactic": 0.5, "quality": 10.0})
    assert "weighed 0.5, not 1" in text and "The weight of the tactic term" in text


def test_the_card_compares_the_ensemble_with_the_baseline_it_measured() -> None:
    from bundled_card import BASELINE, baseline_text

    ahead = baseline_text(0.937, 0.925, 0.843, 0.811, 9.94, 10.31)
    assert ahead.startswith("- A classical model is behind this ensemble on actions")
    assert "0.4 points less than this ensemble with the ball and 0.9 points less without" in ahead
    assert "1.8 points below and 3.4 points below the ensemble" in ahead
    assert "2.1 points worse with the ball" in ahead
    level = baseline_text(BASELINE["action"][0] - 0.001, BASELINE["action"][1] + 0.002,
                          0.8, 0.8, 13.0, 13.0)
    assert "is level with this ensemble on actions" in level
    assert "0.1 points more than this ensemble with the ball and 0.2 points less" in level
    assert "1.0 points better with the ball" in level
    weaker = baseline_text(0.90, 0.90, 0.8, 0.8, 12.0, 12.4)
    assert "is ahead of this ensemble on actions" in weaker
    mixed = baseline_text(0.95, 0.90, 0.8, 0.8, 12.0, 12.4)
    assert "is mixed against this ensemble on actions" in mixed


def test_the_card_gives_the_real_data_check_or_says_it_was_not_run() -> None:
    from bundled_card import real_data_text

    missing = real_data_text(None)
    assert missing.startswith("- Synthetic only")
    assert "not run when this card was written" in missing
    text = real_data_text({"shot_dribble": 0.770, "top1": 0.335, "players": 6.0})
    assert "(6 players" in text and "shots from dribbles 77.0% of the time" in text
    assert "12 actions 33.5% of the time" in text


def test_the_card_gives_the_figures_without_vests_and_without_positions() -> None:
    from bundled_card import missing_modality_text

    def ev(action: float, tactic: float, mae: float, app: float | None) -> dict[str, Any]:
        e: dict[str, Any] = {"action": {"accuracy": action}, "tactic": {"accuracy": tactic},
                             "quality": {"mae": mae}}
        if app is not None:
            e["tactic_with_team_model"] = {"accuracy": app}
        return e

    assert missing_modality_text(ev(0.9, 0.8, 10.0, 0.9), None) == ""
    text = missing_modality_text(ev(0.925, 0.811, 10.31, 0.901),
                                 (ev(0.873, 0.79, 11.9, 0.899), ev(0.86, 0.676, 11.26, None),
                                  ev(0.667, 0.777, 15.71, 0.85)))
    assert text.startswith("- Sessions recorded without vests") and text.endswith(".\n")
    lines = text.splitlines()
    assert all(len(line) <= 96 for line in lines) and all(x.startswith("  ") for x in lines[1:])
    text = " ".join(line.strip() for line in lines)
    both, rest = text.split("; GPS only", 1)
    gps, vests = rest.split("; vests only", 1)
    assert "action 92.5%" in both and "tactic as the app shows it 90.1%" in both
    assert "action 87.3%" in gps and "quality MAE 11.90" in gps and "89.9%" in gps
    assert "action 86.0%, the network's tactic 67.6%, quality MAE 11.26" in vests
    assert "as the app shows it" not in vests.split(".")[0]
    noisy = vests.split("A sensor that gives wrong data", 1)[1]
    assert "action 66.7%" in noisy and "tactic as the app shows it 85.0%" in noisy
    assert "--modality-corruption 0.3" in noisy and "is not recognised" in text
    robust = " ".join(line.strip() for line in missing_modality_text(
        ev(0.925, 0.811, 10.31, 0.901), (ev(0.873, 0.79, 11.9, 0.899),
                                         ev(0.86, 0.676, 11.26, None),
                                         ev(0.871, 0.78, 12.0, 0.89)), 0.3).splitlines())
    assert "Trained with wrong sensors (`--modality-corruption 0.3`)" in robust
    assert "action 87.1%" in robust and "not recognised" not in robust
    four = (ev(0.873, 0.79, 11.9, 0.899), ev(0.86, 0.676, 11.26, None),
            ev(0.667, 0.777, 15.71, 0.85), ev(0.744, 0.70, 14.93, 0.88))
    plain = " ".join(line.strip() for line in missing_modality_text(
        ev(0.925, 0.811, 10.31, 0.901), four).splitlines())
    assert "A vest worn at another angle is read as if it sat right: with each vest turned 45 " \
           "degrees about a random axis (`--vest-rotation 45`; `metrics/turned-vests/`), " \
           "action 74.4%" in plain
    turned = " ".join(line.strip() for line in missing_modality_text(
        ev(0.925, 0.811, 10.31, 0.901), four, 0.0, 45.0).splitlines())
    assert "Fine-tuned with vests turned by up to 45 degrees (`--imu-rotation 45`)" in turned
    assert "as if it sat right" not in turned and "is not recognised" in turned
    upright = " ".join(line.strip() for line in missing_modality_text(
        ev(0.925, 0.811, 10.31, 0.901), four, upright=True, yaw=45.0).splitlines())
    assert "turns each player's vest upright before the networks read it" in upright
    assert "(`--imu-yaw 45`)" in upright and "about an axis drawn per player, for the whole " \
        "session, then de-tilted (`--vest-rotation 45`; `metrics/turned-vests/`), action " \
        "74.4%" in upright
    assert "as if it sat right" not in upright and "--imu-rotation" not in upright


def test_the_card_describes_networks_fine_tuned_from_trained_ones() -> None:
    from bundled_card import _runs_text, finetune_text, training_seconds, training_settings

    base_settings = {"lr": 5e-4, "epochs": 40, "select": "score", "seed": 0}
    tune_settings = {"lr": 2e-4, "epochs": 6, "max_train_windows": 20000, "seed": 0,
                     "modality_corruption": 0.3}
    plain = {"settings": base_settings, "seconds": 9000.0,
             "members": [{"seed": 0, "epochs_run": 40, "best_epoch": 35, "stopped": "epochs",
                          "seconds": 9000.0}]}
    assert finetune_text(plain) == "" and training_settings(plain) is base_settings
    assert training_seconds(plain, None) == 9000.0
    assert "seed 0 ran 40 epochs (best epoch 35" not in _runs_text(plain, "scores")  # one run
    assert _runs_text(plain, "scores").startswith("Ran 40 epochs (best epoch 35; stopped by: "
                                                  "epochs) in 150.0 minutes")
    tuned = {"settings": tune_settings, "seconds": 600.0, "members": [
        {"seed": s, "epochs_run": 6, "best_epoch": 5, "stopped": "epochs", "seconds": 300.0,
         "init_from": [{"seed": s, "epochs_run": 40, "best_epoch": 35, "stopped": "epochs",
                        "seconds": 9000.0, "settings": base_settings}]} for s in (0, 1)]}
    assert training_settings(tuned) == base_settings
    assert training_seconds(tuned, None) == 600.0 + 18000.0
    runs = _runs_text(tuned, "scores")
    assert ("seed 1 ran 40 epochs (best epoch 35; stopped by: epochs) in 150.0 minutes, then "
            "was fine-tuned 6 epochs (best epoch 5; stopped by: epochs) in 5.0 minutes") in runs
    text = finetune_text(tuned)
    assert "`--modality-corruption 0.3`" in text and "at most 6 epochs of 20000" in text
    assert "lr 0.0002" in text and "Fine-tuning a bundled network with wrong sensors" in text
    rotated = {**tuned, "settings": {**tune_settings, "modality_corruption": 0.0,
                                     "imu_rotation": 45.0}}
    text = finetune_text(rotated)
    assert "with its vests turned (`--imu-rotation 45`: each training window's vest turned by " \
           "up to 45 degrees" in text and "--modality-corruption" not in text
    assert "\"A vest at another angle\"" in text and "unless `--no-robust`" in text
    upright = {**tuned, "settings": {**tune_settings, "modality_corruption": 0.0,
                                     "imu_rotation": 0.0, "vest_upright": True,
                                     "imu_yaw": 45.0}}
    text = finetune_text(upright)
    assert "to read de-tilted vests (`--vest-upright`" in text and "`--imu-yaw 45`" in text
    assert "--imu-rotation" not in text and "--modality-corruption" not in text
    assert "\"Vests turned upright before the network reads them\"" in text
