"""``footcoach benchmark labelled SESSION...``: the app's analysis of labelled sessions scored
step by step against their ground truth (:mod:`footcoach.analysis.session_scores`).

Each session is analysed as the app does it (``footcoach analyze``: the manifest's clock
offsets, the session's own ball track if it has tracking data, else none; the cache is used), or
with the ball of its ``labels.json`` (a simulated session's exact ball, optionally with
tracking errors: :class:`LabelBall`; such runs are not cached), and
its labels (``labels.json`` of a simulated session, or a coach's ``annotations.json``) are read
at the step times. The table has one row per session and the pooled figures, then (for
simulated sessions, whose ``labels.json`` lists its drills) the pooled figures per drill kind;
the last line is
``labelled: action <a>%, tactic <t>% (team vote <v>%, phases <p>%), quality MAE <q>``.
``drop`` analyses copies of the sessions recorded without the vests (``"imu"``) or without
positions (``"positions"``: the GPS units and any tracking data): :func:`without_streams`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from footcoach.analysis.session_scores import LabelGrid, SessionScores, score_session
from footcoach.app.analysis_cache import AnalysisResult
from footcoach.app.analyze import run_analysis
from footcoach.domain.labels import TACTICS
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import FootcoachError
from footcoach.io.labels import ANNOTATIONS_FILE, read_label_tracks
from footcoach.io.manifest import read_manifest, write_manifest
from footcoach.synth.labels_io import LABELS_FILE, read_labels
from footcoach.synth.tracking_error import degrade_ball

Progress = Callable[[int, int, str], None]


def label_grid(folder: Path, result: AnalysisResult, tolerance_s: float) -> LabelGrid:
    """The session's labels at the analysis' step times (and at offsets within
    ``+/- tolerance_s``, every 0.1 s)."""
    labels = read_label_tracks(folder, result.teams or None)
    if labels is None:
        raise FootcoachError("no ground truth (labels.json or annotations.json)", folder)
    t = result.steps.t
    k = max(0, round(tolerance_s / 0.1))
    offsets = np.linspace(-tolerance_s, tolerance_s, 2 * k + 1) if k else np.zeros(1)
    pids = result.steps.player_ids
    rows = [labels.at(pid, t) for pid in pids]
    near = np.stack([np.stack([labels.at(pid, t + d)[1] for pid in pids]) for d in offsets])
    return LabelGrid(action=np.stack([r[0] for r in rows]).astype(np.int64),
                     tactic=np.stack([r[1] for r in rows]).astype(np.int64),
                     quality=np.stack([r[2] for r in rows]).astype(np.float64),
                     tactic_near=near.astype(np.int64))


def phase_tactics(result: AnalysisResult) -> dict[str, np.ndarray]:
    """team -> (N,) index of the displayed phase's tactic at each step time (-1 outside)."""
    t = result.steps.t
    out: dict[str, np.ndarray] = {}
    for ph in result.phases:
        row = out.setdefault(ph.team, np.full(t.size, -1, np.int64))
        row[(t >= ph.start_s) & (t < ph.end_s)] = TACTICS.index(ph.tactic)
    return out


@dataclass(frozen=True)
class LabelBall:
    """Analyse with the ball track of the session's ``labels.json``, with tracking errors
    (:func:`~footcoach.synth.tracking_error.degrade_ball`: ``noise_m`` metres of correlated
    noise per axis, ``gap_share`` of the samples hidden; seeded by the session's place in the
    list, so a rerun gives the same errors)."""

    noise_m: float = 0.0
    gap_share: float = 0.0

    def describe(self) -> str:
        errors = (f", {self.noise_m:g} m noise and {self.gap_share:.0%} gaps"
                  if self.noise_m > 0 or self.gap_share > 0 else ", exact")
        return f"the ball of labels.json (simulated{errors})"

    def track(self, folder: Path, index: int) -> TimeSeries:
        labels = read_label_tracks(folder)
        if labels is None or labels.ball is None:
            raise FootcoachError("no ball track in labels.json (simulated sessions have one)",
                                 folder)
        if self.noise_m > 0 or self.gap_share > 0:
            return degrade_ball(labels.ball, self.noise_m, self.gap_share, seed=index)
        return labels.ball


#: What :func:`without_streams` can leave out of a session.
DROPPABLE = ("imu", "positions")


def without_streams(folder: Path, into: Path, drop: Sequence[str]) -> Path:
    """A copy of session ``folder`` in ``into/<folder name>`` as if it had been recorded without
    ``drop``: ``"imu"`` removes the players' vests from the manifest, ``"positions"`` their GPS
    units and the session's tracking data (and so its ball track). The files the copy still
    names, its labels and annotations are symbolic links (copies where links fail); its
    analysis cache is its own. Returns the copy's folder."""
    unknown = sorted(set(drop) - set(DROPPABLE))
    if unknown:
        raise FootcoachError(f"cannot drop {', '.join(unknown)} (choose from "
                             f"{', '.join(DROPPABLE)})")
    session = read_manifest(folder)
    players = [replace(p, imu=None if "imu" in drop else p.imu,
                       gps=None if "positions" in drop else p.gps) for p in session.players]
    if not any(p.imu or p.gps for p in players):
        raise FootcoachError(f"without {' and '.join(drop)} no player has a sensor left",
                             folder)
    copy = replace(session, players=players, root=into / Path(folder).name,
                   tracking=None if "positions" in drop else session.tracking)
    named = [f for p in players for f in (p.imu, p.gps) if f]
    named += [copy.video.file] if copy.video is not None else []
    named += list(copy.tracking.files.values()) if copy.tracking is not None else []
    for rel in [*named, LABELS_FILE, ANNOTATIONS_FILE]:
        source = session.path(rel)
        if not source.is_file():
            continue
        target = copy.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(source, target)
        except OSError:
            shutil.copy2(source, target)
    write_manifest(copy, copy.root)
    return copy.root


def drill_spans(folder: Path) -> list[tuple[str, float, float]]:
    """``(kind, start_s, end_s)`` of the drills a simulated session's ``labels.json`` lists
    (none for a coach's annotations)."""
    if not (folder / LABELS_FILE).is_file():
        return []
    return [(d.name, d.start_s, d.end_s) for d in read_labels(folder).drills]


def score_folder(folder: Path, *, model_dir: Path | None, engine: str,
                 tolerance_s: float, progress: Progress | None = None,
                 ball: TimeSeries | None = None, team_model: bool = True
                 ) -> tuple[SessionScores, dict[str, SessionScores]]:
    """The session's scores, and the scores of each drill kind it has."""
    result = run_analysis(folder, progress=progress, model_dir=model_dir, engine=engine,
                          device="cpu", ball=ball, team_model=team_model)
    steps = result.steps
    teams = [result.teams.get(pid, "") for pid in steps.player_ids]
    grid, phases = label_grid(folder, result, tolerance_s), phase_tactics(result)

    def scores(within: np.ndarray | None = None) -> SessionScores:
        return score_session(steps.action_probs, steps.tactic_probs, steps.quality,
                             steps.valid, teams, grid, phases, name=folder.name, steps=within)

    drills: dict[str, SessionScores] = {}
    for kind, start, end in drill_spans(folder):
        drills[kind] = drills.get(kind, SessionScores()) + scores((steps.t >= start)
                                                                 & (steps.t < end))
    return scores(), drills


def _row(name: str, s: SessionScores) -> str:
    r = s.ratios()
    return (f"| {name} | {s.player_steps} | {r['action']:.1%} | {r['tactic']:.1%} | "
            f"{r['tactic_tolerant']:.1%} | {r['team']:.1%} | {r['team_tolerant']:.1%} | "
            f"{r['phase']:.1%} | {r['phase_tolerant']:.1%} | {r['quality_mae']:.2f} |")


def run(folders: Sequence[Path], *, model_dir: Path | None = None, engine: str = "auto",
        tolerance_s: float = 1.0, progress: Progress | None = None,
        label_ball: LabelBall | None = None, team_model: bool = True,
        drop: Sequence[str] = ()) -> str:
    """Score every session; the report as markdown text (module docstring);
    ``team_model=False`` votes the team tactic without the model folder's team tactic model;
    ``drop`` scores copies of the sessions without those streams (:func:`without_streams`)."""
    if not folders:
        raise FootcoachError("give at least one labelled session folder")
    if drop:
        with tempfile.TemporaryDirectory(prefix="footcoach-labelled-") as tmp:
            copies = [without_streams(Path(f), Path(tmp) / str(i), drop)
                      for i, f in enumerate(folders)]
            text = run(copies, model_dir=model_dir, engine=engine, tolerance_s=tolerance_s,
                       progress=progress, label_ball=label_ball, team_model=team_model)
        what = " and ".join("the vests" if d == "imu" else "positions" for d in DROPPABLE
                            if d in drop)
        return text.replace("\n", f"\nSessions analysed without {what} (copies of "
                            "them whose manifest leaves those files out).\n", 1)
    total = SessionScores()
    rows = []
    by_drill: dict[str, SessionScores] = {}
    for i, folder in enumerate(folders):
        def said(done: int, of: int, message: str, name: str = f"{i + 1}/{len(folders)} "
                 f"{Path(folder).name}") -> None:
            if progress is not None:
                progress(done, of, f"{name}: {message}")

        ball = None if label_ball is None else label_ball.track(Path(folder), i)
        s, drills = score_folder(Path(folder), model_dir=model_dir, engine=engine,
                                 tolerance_s=tolerance_s, progress=said, ball=ball,
                                 team_model=team_model)
        rows.append(_row(Path(folder).name, s))
        total = total + s
        for kind, part in drills.items():
            by_drill[kind] = by_drill.get(kind, SessionScores()) + part
    r = total.ratios()
    tol = f"+/-{tolerance_s:g} s"
    ball_said = ("no ball track unless the session has tracking data" if label_ball is None
                 else label_ball.describe())
    if not team_model:
        ball_said += "; team vote without the team tactic model"
    head = ["| session | player steps | action | tactic | tactic " + tol + " | team vote | "
            "team vote " + tol + " | phases | phases " + tol + " | quality MAE |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    drill_rows = ["", "By drill (pooled over the sessions; the transitions between drills are "
                  "`transition`):", "", head[0].replace("| session |", "| drill |"), head[1],
                  *(_row(k, v) for k, v in sorted(by_drill.items(),
                                                  key=lambda kv: -kv[1].player_steps))
                  ] if by_drill else []
    return "\n".join([
        f"benchmark labelled: {len(folders)} session(s), every analysed player step with an "
        f"action label (no thinning); analysis as `footcoach analyze` ({ball_said})", "",
        *head, *rows, _row("**pooled**", total), *drill_rows, "",
        f"labelled: action {r['action']:.1%}, tactic {r['tactic']:.1%} (team vote "
        f"{r['team']:.1%}, phases {r['phase']:.1%}), quality MAE {r['quality_mae']:.2f}"])
