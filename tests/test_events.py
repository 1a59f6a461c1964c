"""Per-step predictions -> events and team phases, on hand-made probability arrays."""

from __future__ import annotations

import numpy as np
import pytest

from footcoach.analysis.events import (
    EventSettings,
    PlayerSteps,
    event_time_profile,
    label_runs,
    merge_short,
    player_events,
    runs,
    smooth_probs,
    team_phases,
)
from footcoach.domain.labels import Action, Tactic

STEP = 0.5


def one_hot(labels: list[int], n_classes: int, p: float = 0.9) -> np.ndarray:
    """(N, C) probabilities with ``p`` on the given class (rest spread evenly)."""
    out = np.full((len(labels), n_classes), (1 - p) / (n_classes - 1))
    out[np.arange(len(labels)), labels] = p
    return out


def player(labels: list[int], *, valid: np.ndarray | None = None, w: int = 4,
           pid: str = "p1", tactic: int = 1) -> PlayerSteps:
    n = len(labels)
    ta = np.tile(np.arange(1, w + 1, dtype=np.float64) / (w * (w + 1) / 2), (n, 1))
    mod = np.tile([0.2, 0.5, 0.3], (n, 1))
    ok = np.ones(n, bool) if valid is None else valid
    return PlayerSteps(pid, (np.arange(n) + 0.5) * STEP, one_hot(labels, 12),
                       one_hot([tactic] * n, 8), np.linspace(40, 80, n), mod, ta, ok)


def test_runs_skip_invalid_labels() -> None:
    assert runs(np.array([3, 3, -1, 3, 5, 5])) == [(0, 2, 3), (3, 4, 3), (4, 6, 5)]
    assert runs(np.array([], int)) == []


def test_smoothing_does_not_cross_invalid_steps() -> None:
    probs = one_hot([0, 0, 1, 1], 2)
    valid = np.array([True, True, False, True])
    out = smooth_probs(probs, valid, 3)
    assert np.isnan(out[2]).all()
    assert out[3, 1] == pytest.approx(0.9)  # alone in its run: unchanged
    assert out[1, 0] == pytest.approx(0.9)  # steps 0 and 1 only


def test_single_step_flicker_is_removed_by_smoothing() -> None:
    labels = [4] * 6 + [2] + [4] * 6
    segs = label_runs(one_hot(labels, 12), np.ones(13, bool), smooth_steps=3, min_steps=1)
    assert segs == [(0, 13, 4)]


def test_short_runs_merge_into_the_more_likely_neighbour() -> None:
    probs = one_hot([0] * 4 + [1] * 2 + [2] * 4, 3)
    probs[4:6] = [0.3, 0.4, 0.3]  # the short run leans neither way ...
    probs[4:6, 2] += 0.05  # ... then slightly to the right neighbour's class
    probs[4:6] /= probs[4:6].sum(axis=1, keepdims=True)
    labels = merge_short(np.array([0] * 4 + [1] * 2 + [2] * 4), probs, min_steps=3)
    assert labels.tolist() == [0] * 4 + [2] * 6


def test_isolated_short_stretch_is_dropped() -> None:
    valid = np.array([True] * 5 + [False] * 3 + [True] + [False] * 3)
    segs = label_runs(one_hot([1] * 12, 4), valid, smooth_steps=1, min_steps=2)
    assert segs == [(0, 5, 1)]


def test_player_events_fields_and_minimum_duration() -> None:
    labels = [4] * 8 + [6] * 1 + [4] * 3 + [10] * 6
    steps = player(labels)
    settings = EventSettings(smooth_steps=1, min_event_s=1.0)
    events, profiles = player_events(steps, STEP, settings, (0.0, 9.0))
    assert [e.action for e in events] == [Action.RUNNING, Action.SPRINTING]
    first, second = events
    assert first.start_s == 0.0 and first.end_s == pytest.approx(6.0)
    assert second.start_s == pytest.approx(6.0) and second.end_s == pytest.approx(9.0)
    assert first.tactic == Tactic.PRESSING
    assert 40 <= first.quality <= 80  # type: ignore[operator]
    assert first.confidence == pytest.approx((11 * 0.9 + (0.1 / 11)) / 12)
    assert sum(first.modality_attention.values()) == pytest.approx(1.0)
    assert set(first.modality_attention) == {"video", "imu", "position"}
    assert profiles[first.id].shape == (12,)
    assert profiles[first.id].sum() == pytest.approx(1.0)
    assert first.id != second.id


def test_events_are_clipped_to_the_session() -> None:
    steps = player([3] * 6)
    events, _ = player_events(steps, STEP, EventSettings(), (0.4, 2.6))
    assert events[0].start_s == pytest.approx(0.4) and events[0].end_s == pytest.approx(2.6)


def test_time_profile_accumulates_windows_onto_steps() -> None:
    w = 4
    ta = np.full((10, w), np.nan)
    ta[5] = [0.0, 0.0, 1.0, 0.0]  # window centred on step 5 covers steps 3..6, peaks at 5
    ta[6] = [0.0, 0.0, 0.0, 1.0]  # window centred on step 6 covers 4..7, peaks at 7
    prof = event_time_profile(ta, 5, 8)  # steps 5, 6, 7
    assert prof.tolist() == [0.5, 0.0, 0.5]


def test_team_phases_average_players_of_each_team() -> None:
    n = 12
    t = (np.arange(n) + 0.5) * STEP
    tactic = np.zeros((3, n, 8))
    tactic[0] = one_hot([1] * n, 8, 0.6)            # team A: pressing ...
    tactic[1] = one_hot([1] * 6 + [7] * 6, 8, 0.8)  # ... then retreating (stronger player)
    tactic[2] = one_hot([0] * n, 8)                  # team B: possession
    valid = np.ones((3, n), bool)
    valid[2, :4] = False
    phases = team_phases(t, tactic, valid, ["A", "A", "B"], STEP,
                         EventSettings(smooth_steps=1, min_phase_s=1.0), (0.0, 6.0))
    a = [p for p in phases if p.team == "A"]
    b = [p for p in phases if p.team == "B"]
    assert [p.tactic for p in a] == [Tactic.PRESSING, Tactic.RETREATING_DEFENCE]
    assert a[0].end_s == pytest.approx(3.0) and a[1].start_s == pytest.approx(3.0)
    assert a[0].n_players == 2
    assert len(b) == 1 and b[0].tactic == Tactic.BALL_POSSESSION
    assert b[0].start_s == pytest.approx(2.0)  # player 3 has no prediction before step 4


def test_players_without_team_make_no_phase() -> None:
    tactic = one_hot([2] * 6, 8)[None]
    assert team_phases(np.arange(6) * STEP, tactic, np.ones((1, 6), bool), [""], STEP,
                       EventSettings(), (0.0, 3.0)) == []


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        EventSettings(smooth_steps=2)
