"""Scores of a whole analysed session against its ground truth, step by step (pure numpy).

``footcoach evaluate`` scores a dataset's windows, which the builder thins (running is kept at
3x the median class) and where a team has about 2 windows per instant. What a coach sees is
different: the analysis of every player at every step, and the team phases voted from all of a
team's players. These scores compare that output with the labels at each step's time:

* **player steps**: every (player, step) with a valid prediction and an action label: action
  accuracy, tactic accuracy (steps with a tactic label) and quality MAE (steps with a score);
* **team steps**: per team and step, the argmax of the mean tactic probabilities of its players
  with a valid prediction (the vote behind the app's team phases), against the team's label;
* **team phases**: the tactic of the displayed phase covering the step (after the phase
  smoothing), against the label;
* each tactic score also **within a tolerance**: counted right when the prediction equals the
  label anywhere within ``+/- tolerance_s`` of the step. Team phases often last about as long as
  a window (median ~4 s in the simulator), so part of the strict error is the timing of a phase
  change; the tolerant figure says how much.

Counts are returned (not only ratios) so that several sessions can be pooled exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class LabelGrid:
    """Ground truth on the analysis step times of P players and N steps.

    ``action``, ``tactic`` (P, N) int (-1 no label) and ``quality`` (P, N) float (NaN none) at
    the step times; ``tactic_near`` (K, P, N) the tactic labels at K time offsets spanning the
    tolerance (offset 0 included).
    """

    action: np.ndarray
    tactic: np.ndarray
    quality: np.ndarray
    tactic_near: np.ndarray


@dataclass
class SessionScores:
    """Pooled counts of :func:`score_session` (add with ``+``); :meth:`ratios` gives the
    accuracies and the quality MAE."""

    player_steps: int = 0
    action_right: int = 0
    tactic_steps: int = 0
    tactic_right: int = 0
    tactic_right_tolerant: int = 0
    quality_steps: int = 0
    quality_abs_error: float = 0.0
    team_steps: int = 0
    team_right: int = 0
    team_right_tolerant: int = 0
    phase_steps: int = 0
    phase_right: int = 0
    phase_right_tolerant: int = 0
    sessions: list[str] = field(default_factory=list)

    def __add__(self, other: SessionScores) -> SessionScores:
        kw = {k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__}
        return SessionScores(**kw)

    @staticmethod
    def _ratio(num: float, den: int) -> float:
        return num / den if den else float("nan")

    def ratios(self) -> dict[str, float]:
        """Accuracies (0-1) and the quality MAE (points)."""
        r = self._ratio
        return {"action": r(self.action_right, self.player_steps),
                "tactic": r(self.tactic_right, self.tactic_steps),
                "tactic_tolerant": r(self.tactic_right_tolerant, self.tactic_steps),
                "quality_mae": r(self.quality_abs_error, self.quality_steps),
                "team": r(self.team_right, self.team_steps),
                "team_tolerant": r(self.team_right_tolerant, self.team_steps),
                "phase": r(self.phase_right, self.phase_steps),
                "phase_tolerant": r(self.phase_right_tolerant, self.phase_steps)}


def team_labels(tactic: np.ndarray, members: Sequence[int]) -> np.ndarray:
    """(…, N) the most common tactic label of the ``members`` rows (axis -2) at each step;
    -1 where none of them has one."""
    lab = np.asarray(tactic)[..., list(members), :]
    out = np.full(lab.shape[:-2] + lab.shape[-1:], -1, np.int64)
    best = np.zeros_like(out)
    for c in np.unique(lab[lab >= 0]):
        n = (lab == c).sum(axis=-2)
        better = n > best
        out[better], best[better] = int(c), n[better]
    return out


def score_session(action_probs: np.ndarray, tactic_probs: np.ndarray, quality: np.ndarray,
                  valid: np.ndarray, teams: Sequence[str], labels: LabelGrid,
                  phase_tactic: dict[str, np.ndarray] | None = None,
                  name: str = "", steps: np.ndarray | None = None) -> SessionScores:
    """Counts of one session (module docstring).

    ``action_probs`` (P, N, 12), ``tactic_probs`` (P, N, 8), ``quality`` (P, N) points and
    ``valid`` (P, N) bool: the analysis' per-step outputs; ``teams`` (P,) team names (""
    none); ``phase_tactic`` team -> (N,) tactic index of the displayed phase at each step (-1
    outside a phase); ``steps`` (N,) bool: count only these steps (e.g. one drill's).
    """
    within = np.ones(np.shape(valid)[-1], bool) if steps is None else np.asarray(steps, bool)
    valid = np.asarray(valid, bool) & within[None]
    s = SessionScores(sessions=[name] if name else [])
    on = valid & (labels.action >= 0)
    s.player_steps = int(on.sum())
    s.action_right = int((action_probs.argmax(-1) == labels.action)[on].sum())
    pred_t = tactic_probs.argmax(-1)
    t_on = on & (labels.tactic >= 0)
    s.tactic_steps = int(t_on.sum())
    s.tactic_right = int((pred_t == labels.tactic)[t_on].sum())
    s.tactic_right_tolerant = int((labels.tactic_near == pred_t[None]).any(0)[t_on].sum())
    q_on = on & np.isfinite(labels.quality) & np.isfinite(quality)
    s.quality_steps = int(q_on.sum())
    s.quality_abs_error = float(np.abs(quality - labels.quality)[q_on].sum())
    for team in sorted({t for t in teams if t}):
        members = [i for i, t in enumerate(teams) if t == team]
        ok = valid[members]
        votes = np.where(ok[..., None], tactic_probs[members], 0.0).sum(0)  # (N, 8)
        truth = team_labels(labels.tactic, members)
        near = team_labels(labels.tactic_near, members)  # (K, N)
        have = ok.any(0) & (truth >= 0)
        vote = votes.argmax(-1)
        s.team_steps += int(have.sum())
        s.team_right += int((vote == truth)[have].sum())
        s.team_right_tolerant += int((near == vote[None]).any(0)[have].sum())
        if phase_tactic is not None and team in phase_tactic:
            shown = np.asarray(phase_tactic[team])
            p_on = (shown >= 0) & (truth >= 0) & within
            s.phase_steps += int(p_on.sum())
            s.phase_right += int((shown == truth)[p_on].sum())
            s.phase_right_tolerant += int((near == shown[None]).any(0)[p_on].sum())
    return s
