"""Step-by-step scores of an analysed session (analysis/session_scores.py) on hand-made
arrays, and ``footcoach benchmark labelled`` end to end on a copy of the demo session."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from footcoach.analysis.session_scores import LabelGrid, SessionScores, score_session, team_labels
from footcoach.app.analysis_cache import ANALYSIS_DIR
from footcoach.cli.main import main

REPO = Path(__file__).resolve().parents[1]


def one_hot(idx: list[list[int]], n: int) -> np.ndarray:
    return np.eye(n)[np.asarray(idx)]


def test_team_labels_take_the_members_majority():
    tactic = np.array([[1, 1, -1, 2], [1, 3, -1, 2], [0, 3, -1, -1]])
    np.testing.assert_array_equal(team_labels(tactic, [0, 1, 2]), [1, 3, -1, 2])
    np.testing.assert_array_equal(team_labels(tactic, [2]), [0, 3, -1, -1])


def test_scores_of_two_players_of_one_team():
    # 2 players, 4 steps. Player 0: actions right at steps 0-2; player 1 wrong at step 1.
    # Step 3 of player 1 is invalid; step 2 of player 0 has no action label.
    action = one_hot([[0, 1, 2, 3], [0, 0, 2, 3]], 12)
    truth_action = np.array([[0, 1, -1, 3], [0, 1, 2, 3]])
    # tactics: both players say 4 at steps 0-1 and 5 at steps 2-3; the label turns 4 -> 5
    # at step 3 (one step late), so step 2 is wrong strictly but right within the tolerance
    tactic = one_hot([[4, 4, 5, 5], [4, 4, 5, 5]], 8)
    truth_tactic = np.array([[4, 4, 4, 5], [4, 4, 4, 5]])
    near = np.stack([np.array([[4, 4, 4, 5]] * 2), np.array([[4, 4, 5, 5]] * 2)])
    quality = np.array([[50.0, 60.0, 70.0, 80.0], [10.0, 20.0, 30.0, np.nan]])
    truth_q = np.array([[55.0, 60.0, np.nan, 70.0], [20.0, 20.0, 30.0, 40.0]])
    valid = np.array([[True] * 4, [True, True, True, False]])
    labels = LabelGrid(truth_action, truth_tactic, truth_q, near)
    phases = {"A": np.array([4, 4, 4, -1])}
    s = score_session(action, tactic, quality, valid, ["A", "A"], labels, phases, name="x")
    assert s.player_steps == 6 and s.action_right == 5
    assert s.tactic_steps == 6 and s.tactic_right == 5 and s.tactic_right_tolerant == 6
    # quality where both are known: player 0 steps 0, 1, 3; player 1 steps 0, 1, 2
    assert s.quality_steps == 6 and s.quality_abs_error == pytest.approx(5 + 0 + 10 + 10 + 0 + 0)
    assert (s.team_steps, s.team_right, s.team_right_tolerant) == (4, 3, 4)
    assert (s.phase_steps, s.phase_right, s.phase_right_tolerant) == (3, 3, 3)
    both = s + s
    assert both.player_steps == 12 and both.sessions == ["x", "x"]
    r = both.ratios()
    assert r["action"] == pytest.approx(5 / 6) and r["quality_mae"] == pytest.approx(25 / 6)
    assert r["team"] == 0.75 and r["team_tolerant"] == 1.0
    assert np.isnan(SessionScores().ratios()["phase"])
    # counted over steps 2-3 only (one drill's), then over steps 0-1: the two add up
    late = score_session(action, tactic, quality, valid, ["A", "A"], labels, phases,
                         steps=np.array([False, False, True, True]))
    assert (late.player_steps, late.action_right, late.tactic_right) == (2, 2, 1)
    assert (late.team_steps, late.team_right, late.phase_steps, late.phase_right) == (2, 1, 1, 1)
    early = score_session(action, tactic, quality, valid, ["A", "A"], labels, phases,
                          steps=np.array([True, True, False, False]))
    pooled = early + late
    for name in ("player_steps", "action_right", "tactic_right", "tactic_right_tolerant",
                 "quality_steps", "team_steps", "team_right", "phase_steps", "phase_right"):
        assert getattr(pooled, name) == getattr(s, name), name


def test_cli_labelled_benchmark_on_the_demo(tmp_path, capsys):
    demo = REPO / "resources" / "demo-session"
    if not (REPO / "models" / "footcoach_model.json").is_file() or not demo.is_dir():
        pytest.skip("no bundled model or demo session")
    folder = tmp_path / "demo"
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns(ANALYSIS_DIR))
    assert main(["benchmark", "labelled", str(folder), "--engine", "onnx"]) == 0
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    assert last.startswith("labelled: action ") and "team vote" in last
    row = next(line for line in out.splitlines() if line.startswith("| demo |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert int(cells[1]) > 1000  # every labelled player step, not a thinned sample
    action = float(cells[2].rstrip("%"))
    assert 50.0 < action <= 100.0  # the bundled model is far better than chance (8%)
    (folder / "labels.json").unlink()
    assert main(["benchmark", "labelled", str(folder)]) == 2
    assert "no ground truth" in capsys.readouterr().err


def test_cli_labelled_benchmark_with_the_simulated_ball(tmp_path, capsys):
    """``--ball-from-labels`` analyses with the simulator's ball (exact or with tracking
    errors), says so, changes the model's inputs and leaves the session's cache alone."""
    if not (REPO / "models" / "footcoach_model.json").is_file():
        pytest.skip("no bundled model")
    from footcoach.synth.simulate import simulate_session

    folder = simulate_session(tmp_path / "s", seed=6, n_players=4, minutes=0.5, video=False)

    def pooled(*extra: str) -> tuple[str, str]:
        assert main(["benchmark", "labelled", str(folder), "--engine", "onnx", *extra]) == 0
        out = capsys.readouterr().out
        return out.splitlines()[0], next(x for x in out.splitlines() if "**pooled**" in x)

    head, plain = pooled()
    assert "no ball track unless the session has tracking data" in head
    assert main(["benchmark", "labelled", str(folder), "--engine", "onnx"]) == 0
    out = capsys.readouterr().out
    drills = out[out.index("By drill"):].splitlines()
    rows = {r.split("|")[1].strip(): int(r.split("|")[2]) for r in drills if r.startswith("| ")
            and not r.startswith("| drill") and "---" not in r}
    total = int(plain.split("|")[2])
    assert rows and sum(rows.values()) == total  # the drills tile the session
    assert set(rows) <= {"transition", "sprint_agility", "passing_pattern", "possession",
                         "pressing", "breakthrough", "shooting", "retreat", "small_sided_game"}
    cached = sorted((folder / ANALYSIS_DIR).iterdir())
    head, exact = pooled("--ball-from-labels")
    assert "the ball of labels.json (simulated, exact)" in head
    assert exact != plain  # the ball features reached the model
    head, noisy = pooled("--ball-from-labels", "--ball-noise", "1.5", "--ball-gaps", "0.3")
    assert "1.5 m noise and 30% gaps" in head and noisy != exact
    assert sorted((folder / ANALYSIS_DIR).iterdir()) == cached  # these runs were not cached
    assert main(["benchmark", "labelled", str(folder), "--ball-noise", "1"]) == 2
    assert "go with --ball-from-labels" in capsys.readouterr().err
    doc = json.loads((folder / "labels.json").read_text())
    del doc["ball"]
    (folder / "labels.json").write_text(json.dumps(doc))
    assert main(["benchmark", "labelled", str(folder), "--ball-from-labels"]) == 2
    assert "no ball track in labels.json" in capsys.readouterr().err


def test_session_copies_without_vests_or_positions(tmp_path):
    """``without_streams`` leaves the dropped files out of the copy's manifest, links the rest
    and the labels, and never touches the original."""
    from footcoach.bench.labelled_bench import without_streams
    from footcoach.errors import FootcoachError
    from footcoach.io.manifest import read_manifest
    from footcoach.synth.simulate import simulate_session

    folder = simulate_session(tmp_path / "s", seed=6, n_players=4, minutes=0.34, video=False)
    before = (folder / "session.toml").read_text()
    no_imu = read_manifest(without_streams(folder, tmp_path / "a", ["imu"]))
    assert no_imu.root == (tmp_path / "a" / "s")
    assert all(p.imu is None and p.gps for p in no_imu.players)
    assert (no_imu.root / "labels.json").read_text() == (folder / "labels.json").read_text()
    assert not (no_imu.root / "imu").exists()
    no_gps = read_manifest(without_streams(folder, tmp_path / "b", ["positions"]))
    assert all(p.gps is None and p.imu for p in no_gps.players)
    assert no_gps.tracking is None and no_gps.modalities == ("imu",)
    assert (folder / "session.toml").read_text() == before
    with pytest.raises(FootcoachError, match="no player has a sensor left"):
        without_streams(folder, tmp_path / "c", ["imu", "positions"])
    with pytest.raises(FootcoachError, match="cannot drop video"):
        without_streams(folder, tmp_path / "d", ["video"])


def test_cli_labelled_benchmark_without_vests_or_positions(tmp_path, capsys):
    if not (REPO / "models" / "footcoach_model.json").is_file():
        pytest.skip("no bundled model")
    from footcoach.synth.simulate import simulate_session

    folder = simulate_session(tmp_path / "s", seed=6, n_players=4, minutes=0.5, video=False)

    def run(*extra: str) -> tuple[list[str], str]:
        assert main(["benchmark", "labelled", str(folder), "--engine", "onnx", *extra]) == 0
        lines = capsys.readouterr().out.splitlines()
        return lines, next(x for x in lines if "**pooled**" in x)

    _, plain = run()
    cached = sorted((folder / ANALYSIS_DIR).iterdir())
    lines, gps_only = run("--without-vests")
    assert lines[1] == ("Sessions analysed without the vests (copies of them whose manifest "
                        "leaves those files out).")
    lines, vests_only = run("--without-positions")
    assert "without positions" in lines[1]
    # the vests cover every analysed step; the simulated GPS has dropouts that leave some out
    steps = [int(row.split("|")[2]) for row in (plain, gps_only, vests_only)]
    assert steps[2] == steps[0] and 0.9 * steps[0] < steps[1] <= steps[0]
    assert len({plain, gps_only, vests_only}) == 3
    assert sorted((folder / ANALYSIS_DIR).iterdir()) == cached
    assert main(["benchmark", "labelled", str(folder), "--without-vests",
                 "--without-positions"]) == 2
    assert "no player has a sensor left" in capsys.readouterr().err
