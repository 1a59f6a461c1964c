"""``footcoach benchmark labelled SESSION...``: the app's analysis of labelled sessions scored
step by step against their ground truth (:mod:`footcoach.analysis.session_scores`).

Each session is analysed as the app does it (``footcoach analyze``: the manifest's clock
offsets, the session's own ball track if it has tracking data, else none; the cache is used), and
its labels (``labels.json`` of a simulated session, or a coach's ``annotations.json``) are read
at the step times. The table has one row per session and the pooled figures; the last line is
``labelled: action <a>%, tactic <t>% (team vote <v>%, phases <p>%), quality MAE <q>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from footcoach.analysis.session_scores import LabelGrid, SessionScores, score_session
from footcoach.app.analysis_cache import AnalysisResult
from footcoach.app.analyze import run_analysis
from footcoach.domain.labels import TACTICS
from footcoach.errors import FootcoachError
from footcoach.io.labels import read_label_tracks

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


def score_folder(folder: Path, *, model_dir: Path | None, engine: str,
                 tolerance_s: float, progress: Progress | None = None) -> SessionScores:
    result = run_analysis(folder, progress=progress, model_dir=model_dir, engine=engine,
                          device="cpu")
    steps = result.steps
    teams = [result.teams.get(pid, "") for pid in steps.player_ids]
    return score_session(steps.action_probs, steps.tactic_probs, steps.quality, steps.valid,
                         teams, label_grid(folder, result, tolerance_s), phase_tactics(result),
                         name=folder.name)


def _row(name: str, s: SessionScores) -> str:
    r = s.ratios()
    return (f"| {name} | {s.player_steps} | {r['action']:.1%} | {r['tactic']:.1%} | "
            f"{r['tactic_tolerant']:.1%} | {r['team']:.1%} | {r['team_tolerant']:.1%} | "
            f"{r['phase']:.1%} | {r['phase_tolerant']:.1%} | {r['quality_mae']:.2f} |")


def run(folders: Sequence[Path], *, model_dir: Path | None = None, engine: str = "auto",
        tolerance_s: float = 1.0, progress: Progress | None = None) -> str:
    """Score every session; the report as markdown text (module docstring)."""
    if not folders:
        raise FootcoachError("give at least one labelled session folder")
    total = SessionScores()
    rows = []
    for i, folder in enumerate(folders):
        def said(done: int, of: int, message: str, name: str = f"{i + 1}/{len(folders)} "
                 f"{Path(folder).name}") -> None:
            if progress is not None:
                progress(done, of, f"{name}: {message}")

        s = score_folder(Path(folder), model_dir=model_dir, engine=engine,
                         tolerance_s=tolerance_s, progress=said)
        rows.append(_row(Path(folder).name, s))
        total = total + s
    r = total.ratios()
    tol = f"+/-{tolerance_s:g} s"
    head = ["| session | player steps | action | tactic | tactic " + tol + " | team vote | "
            "team vote " + tol + " | phases | phases " + tol + " | quality MAE |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    return "\n".join([
        f"benchmark labelled: {len(folders)} session(s), every analysed player step with an "
        "action label (no thinning); analysis as `footcoach analyze` (no ball track unless the "
        "session has tracking data)", "", *head, *rows, _row("**pooled**", total), "",
        f"labelled: action {r['action']:.1%}, tactic {r['tactic']:.1%} (team vote "
        f"{r['team']:.1%}, phases {r['phase']:.1%}), quality MAE {r['quality_mae']:.2f}"])
