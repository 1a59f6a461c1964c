"""Per-step model outputs -> events per player and tactic phases per team (pure numpy).

Input: one prediction per *centre step* (the step at the centre of the window that produced it;
:mod:`footcoach.app.analyze`). For one player, ``N`` steps of ``step_s`` seconds at times ``t``
(N,) seconds: action probabilities (N, 12), tactic probabilities (N, 8), quality (N,) points
0-100, modality attention (N, 3) (video, imu, context/position), time attention (N, W) (the
window's weights over its W steps), and ``valid`` (N,) bool (False where no window was centred
on the step or the window had too little data; those steps never belong to an event).

Labelling rule (:func:`label_runs`), the same for actions and team tactics:

1. *Smoothing*: a centred moving mean of the probabilities over ``smooth_steps`` steps (odd;
   only valid steps count, never across an invalid step), then the per-step label is the
   argmax. This is a soft median filter: a single-step flicker loses to its neighbours.
2. *Minimum duration*: runs of equal labels shorter than ``min_steps`` are merged into a
   neighbouring run, shortest first (length 1, then 2, ...). The run takes the label of the
   left or right neighbour, whichever class has the higher mean (smoothed) probability over the
   run. A short run with no valid neighbour (an isolated stretch of valid steps) is dropped.
3. The remaining runs become segments ``[a, b)`` of step indices.

An event spans ``[t[a] - step_s / 2, t[b - 1] + step_s / 2]`` (each prediction stands for the
step around its time), clipped to the session. Its ``tactic`` is the argmax of the mean tactic
probability over the segment, ``quality`` the mean quality, ``confidence`` the mean raw
probability of the event's action over the segment (the mean max-probability where smoothing
did not change the label), ``modality_attention`` the mean modality weights (renormalised, keys
``video``, ``imu``, ``position``). Its time-attention profile (:func:`event_time_profile`)
sums the windows' time weights of the segment's centre steps onto the steps they cover, keeps
the event's own steps and normalises to 1 (a (b - a,) array spread over the event).

Team phases (:func:`team_phases`): per team and step, the mean tactic probability over the team's
players with a valid prediction (the players' tactic already includes the team tactic model
where the model folder has one: :mod:`footcoach.analysis.team_tactic`), then the labelling rule
with the team settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from footcoach.domain.events import Event
from footcoach.domain.labels import ACTIONS, TACTICS, Tactic

#: Event.modality_attention keys, in the order of the model's modality axis.
ATTENTION_KEYS: tuple[str, ...] = ("video", "imu", "position")


@dataclass(frozen=True)
class EventSettings:
    """How per-step predictions become segments (module docstring).

    ``smooth_steps``: width of the centred moving mean (odd, 1 = none); ``min_event_s``: the
    shortest player event; ``min_phase_s``: the shortest team phase.
    """

    smooth_steps: int = 3
    min_event_s: float = 1.0
    min_phase_s: float = 2.0

    def __post_init__(self) -> None:
        if self.smooth_steps < 1 or self.smooth_steps % 2 == 0:
            raise ValueError("smooth_steps must be a positive odd number")
        if self.min_event_s < 0 or self.min_phase_s < 0:
            raise ValueError("minimum durations must be >= 0")

    def to_dict(self) -> dict[str, float | int]:
        return {"smooth_steps": self.smooth_steps, "min_event_s": self.min_event_s,
                "min_phase_s": self.min_phase_s}


@dataclass(frozen=True)
class TeamPhase:
    """One team's tactical behaviour between ``start_s`` and ``end_s`` (session seconds);
    ``confidence`` is the mean team probability of ``tactic`` over the phase."""

    team: str
    start_s: float
    end_s: float
    tactic: Tactic
    confidence: float
    n_players: int

    def to_dict(self) -> dict[str, object]:
        return {"team": self.team, "start_s": self.start_s, "end_s": self.end_s,
                "tactic": self.tactic.label, "confidence": self.confidence,
                "n_players": self.n_players}

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> TeamPhase:
        return cls(team=str(d["team"]), start_s=float(d["start_s"]),  # type: ignore[arg-type]
                   end_s=float(d["end_s"]), tactic=Tactic.parse(str(d["tactic"])),  # type: ignore[arg-type]
                   confidence=float(d["confidence"]),  # type: ignore[arg-type]
                   n_players=int(d["n_players"]))  # type: ignore[call-overload]


# ------------------------------------------------------------------------------ labelling
def smooth_probs(probs: np.ndarray, valid: np.ndarray, width: int) -> np.ndarray:
    """Centred moving mean of ``probs`` (N, C) over ``width`` steps, counting only valid steps
    and never reaching across an invalid one; rows of invalid steps are NaN. -> (N, C)."""
    probs = np.asarray(probs, np.float64)
    valid = np.asarray(valid, bool)
    out = np.full(probs.shape, np.nan)
    half = width // 2
    for a, b in _true_runs(valid):
        seg = probs[a:b]
        if half == 0:
            out[a:b] = seg
            continue
        csum = np.vstack([np.zeros((1, seg.shape[1])), np.cumsum(seg, axis=0)])
        i = np.arange(b - a)
        lo, hi = np.maximum(i - half, 0), np.minimum(i + half + 1, b - a)
        out[a:b] = (csum[hi] - csum[lo]) / (hi - lo)[:, None]
    return out


def _true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges of the runs of True in a (N,) bool array."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(),
                    strict=True))


def runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """``(start, stop, label)`` of each run of equal labels in (N,) int labels; label -1 (no
    prediction) ends a run and forms no run itself."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return []
    cut = np.flatnonzero(np.diff(labels) != 0) + 1
    starts = np.r_[0, cut]
    stops = np.r_[cut, labels.size]
    return [(int(a), int(b), int(labels[a])) for a, b in zip(starts, stops, strict=True)
            if labels[a] >= 0]


def merge_short(labels: np.ndarray, probs: np.ndarray, min_steps: int) -> np.ndarray:
    """Rule 2 of the module docstring on (N,) int labels (-1 = none) with (N, C) probabilities
    (NaN rows where invalid); returns new labels."""
    labels = np.array(labels, np.int64, copy=True)
    for length in range(1, max(min_steps, 1)):
        changed = True
        while changed:
            changed = False
            touched = -1
            for a, b, _ in runs(labels):
                if b - a != length or a <= touched:
                    continue
                left = int(labels[a - 1]) if a > 0 else -1
                right = int(labels[b]) if b < labels.size else -1
                options = [c for c in (left, right) if c >= 0]
                if options:
                    score = np.nanmean(probs[a:b], axis=0)
                    labels[a:b] = max(options, key=lambda c: score[c])
                else:
                    labels[a:b] = -1
                touched = b  # the neighbours changed: look again in the next sweep
                changed = True
    return labels


def label_runs(probs: np.ndarray, valid: np.ndarray, smooth_steps: int, min_steps: int
               ) -> list[tuple[int, int, int]]:
    """Segments ``(start, stop, class)`` of per-step probabilities (N, C) with (N,) validity by
    the labelling rule of the module docstring."""
    probs = np.asarray(probs, np.float64)
    valid = np.asarray(valid, bool) & np.all(np.isfinite(probs), axis=1)
    if probs.shape[0] == 0:
        return []
    smooth = smooth_probs(probs, valid, smooth_steps)
    labels = np.where(valid, np.argmax(np.nan_to_num(smooth, nan=-1.0), axis=1), -1)
    return runs(merge_short(labels, smooth, min_steps))


# ---------------------------------------------------------------------------------- events
@dataclass
class PlayerSteps:
    """Per-step predictions of one player (shapes in the module docstring)."""

    player_id: str
    t: np.ndarray
    action_probs: np.ndarray
    tactic_probs: np.ndarray
    quality: np.ndarray
    modality_attention: np.ndarray
    time_attention: np.ndarray
    valid: np.ndarray


def event_time_profile(time_attention: np.ndarray, a: int, b: int) -> np.ndarray:
    """Time-attention profile (b - a,) of the segment ``[a, b)`` of centre steps.

    ``time_attention`` (N, W): row ``c`` holds the weights of the window centred on step ``c``,
    covering steps ``c - W // 2 .. c - W // 2 + W - 1``. Rows with NaN (no window) add nothing.
    """
    n, w = time_attention.shape
    acc = np.zeros(n + 2 * w)  # shifted by W: windows reaching past either end stay in range
    for c in range(a, b):
        row = time_attention[c]
        if np.all(np.isfinite(row)):
            first = c - w // 2 + w
            acc[first:first + w] += row
    prof = acc[a + w:b + w]
    total = prof.sum()
    return prof / total if total > 0 else np.full(b - a, 1.0 / max(b - a, 1))


def player_events(steps: PlayerSteps, step_s: float, settings: EventSettings,
                  time_range: tuple[float, float], *, first_id: int = 0
                  ) -> tuple[list[Event], dict[str, np.ndarray]]:
    """Events of one player (sorted, non-overlapping) and their time-attention profiles by id.

    Ids are ``"<player>-<n>"`` numbered from ``first_id``.
    """
    min_steps = int(np.ceil(settings.min_event_s / step_s - 1e-9))
    segs = label_runs(steps.action_probs, steps.valid, settings.smooth_steps, min_steps)
    events: list[Event] = []
    profiles: dict[str, np.ndarray] = {}
    lo, hi = time_range
    for k, (a, b, label) in enumerate(segs):
        part = slice(a, b)
        ok = steps.valid[part]
        tactic_mean = np.nanmean(steps.tactic_probs[part][ok], axis=0)
        attn = np.nanmean(steps.modality_attention[part][ok], axis=0)
        attn = attn / attn.sum() if np.isfinite(attn).all() and attn.sum() > 0 else attn
        ev = Event(
            id=f"{steps.player_id}-{first_id + k}", player_id=steps.player_id,
            start_s=float(max(lo, steps.t[a] - step_s / 2)),
            end_s=float(min(hi, steps.t[b - 1] + step_s / 2)),
            action=ACTIONS[label], tactic=TACTICS[int(np.argmax(tactic_mean))],
            quality=float(np.nanmean(steps.quality[part][ok])),
            confidence=float(np.nanmean(steps.action_probs[part][ok][:, label])),
            modality_attention={key: float(v) for key, v in zip(ATTENTION_KEYS, attn,
                                                                 strict=True)},
            source="model")
        events.append(ev)
        profiles[ev.id] = event_time_profile(steps.time_attention, a, b)
    return events, profiles


def team_phases(t: np.ndarray, tactic_probs: np.ndarray, valid: np.ndarray,
                teams: Sequence[str], step_s: float, settings: EventSettings,
                time_range: tuple[float, float]) -> list[TeamPhase]:
    """Tactic phases of every named team (module docstring), sorted by team then time.

    ``tactic_probs`` (P, N, 8) and ``valid`` (P, N) of the P players, ``teams`` (P,) their team
    names ("" = no team: not counted).
    """
    out: list[TeamPhase] = []
    min_steps = int(np.ceil(settings.min_phase_s / step_s - 1e-9))
    lo, hi = time_range
    for team in sorted({tm for tm in teams if tm}):
        members = [i for i, tm in enumerate(teams) if tm == team]
        ok = np.asarray(valid, bool)[members]  # (Pt, N)
        probs = np.where(ok[..., None], tactic_probs[members], 0.0)
        count = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = probs.sum(axis=0) / count[:, None]
        have = count > 0
        for a, b, label in label_runs(mean, have, settings.smooth_steps, min_steps):
            out.append(TeamPhase(team=team, start_s=float(max(lo, t[a] - step_s / 2)),
                                 end_s=float(min(hi, t[b - 1] + step_s / 2)),
                                 tactic=TACTICS[label],
                                 confidence=float(np.nanmean(mean[a:b, label])),
                                 n_players=int(np.max(count[a:b]))))
    return out

