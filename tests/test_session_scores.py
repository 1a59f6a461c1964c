"""Step-by-step scores of an analysed session (analysis/session_scores.py) on hand-made
arrays, and ``footcoach benchmark labelled`` end to end on a copy of the demo session."""

from __future__ import annotations

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
