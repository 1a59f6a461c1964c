"""``footcoach analyze SESSION``: the model over a whole session -> events, team phases.

Shows a progress bar (Ctrl-C cancels; nothing is cached then), prints a summary (events per
player and action, team tactic phases, mean modality attention) and writes the events to
``--out`` (JSON with ``schema_version``, or CSV when the name ends in ``.csv``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from footcoach.app.analysis_cache import SCHEMA_VERSION, AnalysisResult, sensor_warnings
from footcoach.cli.progress import ProgressLine
from footcoach.domain.labels import ACTIONS
from footcoach.errors import FootcoachError
from footcoach.io.manifest import atomic_write_text
from footcoach.sync.sensor_faults import DEFAULT_FAULTS, FaultKind, FaultSettings

CSV_COLUMNS = ("id", "player_id", "start_s", "end_s", "action", "tactic", "quality",
               "confidence", "attention_video", "attention_imu", "attention_position", "source")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser("analyze", help="run the model over a session: events per player, team "
                                       "tactic phases (cached under SESSION/analysis)")
    p.add_argument("session", type=Path, metavar="SESSION")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--engine", choices=("auto", "torch", "onnx"), default="auto",
                   help="inference engine (auto: ONNX Runtime when the graphs are there)")
    p.add_argument("--model", type=Path, default=None, metavar="DIR",
                   help="model folder (default: the bundled models/)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="write the events to FILE (.json, or .csv)")
    p.add_argument("--batch", type=int, default=128, help="steps / windows per engine call")
    p.add_argument("--no-cache", action="store_true",
                   help="recompute even when a cached result matches")
    p.add_argument("--no-team-model", action="store_true",
                   help="team phases from the players' vote alone, without the model "
                        "folder's team tactic model (team_tactic.json)")
    p.add_argument("--keep", nargs="+", default=[], choices=[*sorted(KEEPABLE), "round-body"],
                   metavar="FAULT",
                   help="let the model read the data of these sensor faults as they are "
                        "instead of setting them aside: frozen (a vest repeating one reading), "
                        "turned (a vest far from upright), held-fix (a GPS unit holding its "
                        "fix), drift (a GPS position moving further than the player); "
                        "round-body: a vest turned round the body is not turned back")
    p.set_defaults(func=cmd_analyze)


#: ``--keep`` names of the sensor faults the analysis sets aside by default.
KEEPABLE: dict[str, FaultKind] = {"frozen": "frozen", "turned": "turned",
                                  "held-fix": "frozen position", "drift": "drifting position"}


def fault_settings(keep: list[str]) -> FaultSettings:
    """The sensor checks of the analysis with the ``--keep`` faults read as they are."""
    kept = {KEEPABLE[k] for k in keep if k in KEEPABLE}
    return replace(DEFAULT_FAULTS,
                   set_aside=tuple(k for k in DEFAULT_FAULTS.set_aside if k not in kept),
                   round_body_min_deg=(360.0 if "round-body" in keep
                                       else DEFAULT_FAULTS.round_body_min_deg))


def cmd_analyze(args: argparse.Namespace) -> int:
    result = analyze_with_progress(args.session, model_dir=args.model, engine=args.engine,
                                   device=args.device, batch=args.batch,
                                   use_cache=not args.no_cache,
                                   team_model=not args.no_team_model,
                                   sensor_faults=fault_settings(args.keep))
    print(format_summary(result))
    if args.out is not None:
        write_events(result, args.out)
        print(f"events written to {args.out}")
    return 0


def analyze_with_progress(session: Path, **kwargs: object) -> AnalysisResult:
    """Run the analysis with a progress line on stderr; Ctrl-C ends the line and re-raises."""
    from footcoach.app.analyze import analyze_session

    bar = ProgressLine("analyze")
    result = None
    try:
        for p in analyze_session(session, **kwargs):  # type: ignore[arg-type]
            bar(p.done, p.total, p.message)
            result = p.result or result
    finally:
        bar.close()
    assert result is not None
    if result.run.get("not_cached"):
        print(f"footcoach: warning: {result.run['not_cached']}", file=sys.stderr)
    for warning in sensor_warnings(result.run):
        print(f"footcoach: warning: {warning}", file=sys.stderr)
    if result.run.get("data_warnings"):
        print(f"footcoach: {result.run['data_warnings']} data warnings while loading (gaps, "
              f"units, vests...); `footcoach check {session}` lists them", file=sys.stderr)
    return result


def print_analysis(session: Path) -> int:
    """Analyse ``session`` with the bundled model and print the summary (``footcoach demo``)."""
    print(format_summary(analyze_with_progress(session)))
    return 0


# ---------------------------------------------------------------------------- summary
def format_summary(result: AnalysisResult) -> str:
    """Events per player and action, team phases, mean modality attention (text table)."""
    run = result.run
    lo, hi = result.time_range
    head = (f"analysis of {result.session_name!r}: {len(result.events)} events, "
            f"{len(result.steps.player_ids)} players, {hi - lo:.0f} s, model "
            f"{result.model_sha256[:12]}")
    if result.from_cache:
        head += f" (cached, {result.path})"
    else:
        head += (f" ({run.get('engine')} on {run.get('device')}, {run.get('windows')} windows "
                 f"in {run.get('elapsed_s', 0.0):.1f} s)")
    lines = [head, "", _event_table(result), ""]
    lines += _phase_lines(result)
    lines.append("")
    lines.append(_attention_line(result))
    return "\n".join(lines)


def _event_table(result: AnalysisResult) -> str:
    counts = Counter((e.player_id, e.action) for e in result.events)
    used = [a for a in ACTIONS if any(k[1] == a for k in counts)]
    if not used:
        return "events per player: none"
    names = [a.label for a in used]
    width = max(6, *(len(p) for p in result.steps.player_ids))
    rows = ["events per player and action", f"{'player':<{width}} " +
            " ".join(f"{n[:10]:>10}" for n in names) + f" {'total':>6}"]
    for pid in result.steps.player_ids:
        c = [counts.get((pid, a), 0) for a in used]
        rows.append(f"{pid:<{width}} " + " ".join(f"{v:>10}" for v in c) + f" {sum(c):>6}")
    return "\n".join(rows)


def _team_model_share(result: AnalysisResult) -> float:
    """Share of the team steps where the team tactic model had positions to read (0 without a
    team model or positions)."""
    probs = [np.asarray(p) for p in result.team_tactic_probs.values()]
    steps = sum(p.shape[0] for p in probs)
    read = sum(int(np.isfinite(p).all(axis=-1).sum()) for p in probs)
    return read / steps if steps else 0.0


def _phase_lines(result: AnalysisResult) -> list[str]:
    if not result.phases:
        return ["team tactic phases: none (no team names, or no predictions)"]
    team_model = result.model.get("team_model")
    power = float(team_model.get("player_power", 1.0)) if team_model else 1.0
    read = _team_model_share(result)
    how = (("players' vote" + (f" (power {power:g})" if power != 1.0 else "")
            + f" x team tactic model {str(team_model['sha256'])[:12]}"
            + (f", which had positions at {read:.0%} of the steps" if read < 0.995 else ""))
           if team_model and read > 0 else "players' vote")
    out = [f"team tactic phases (share of the analysed time; {how})"]
    if team_model and read == 0:
        out.append("  no positions in this session: the team tactic model had nothing to read "
                   "and each player's tactic comes from his vest alone, which is much less "
                   "reliable (README, \"Sessions without vests or without positions\")")
    for team in sorted({p.team for p in result.phases}):
        phases = [p for p in result.phases if p.team == team]
        total = sum(p.end_s - p.start_s for p in phases) or 1.0
        share: dict[str, float] = {}
        for p in phases:
            share[p.tactic.label] = share.get(p.tactic.label, 0.0) + p.end_s - p.start_s
        parts = ", ".join(f"{k} {v / total:.0%}"
                          for k, v in sorted(share.items(), key=lambda kv: -kv[1]))
        out.append(f"  team {team}: {len(phases)} phases: {parts}")
    return out


def _attention_line(result: AnalysisResult) -> str:
    att = result.steps.modality_attention[result.steps.valid]
    if att.size == 0:
        return "mean modality attention: -"
    mean = np.nanmean(att, axis=0)
    return ("mean modality attention: " +
            ", ".join(f"{k} {v:.2f}" for k, v in zip(("video", "imu", "position"), mean,
                                                       strict=True)))


# ------------------------------------------------------------------------------ export
def write_events(result: AnalysisResult, path: Path) -> None:
    """Events (and team phases, in JSON) to ``path``: CSV when it ends in ``.csv``, else JSON
    with ``schema_version``; written atomically."""
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for e in result.events:
            a = e.modality_attention
            w.writerow([e.id, e.player_id, f"{e.start_s:.3f}", f"{e.end_s:.3f}", e.action.label,
                        e.tactic.label if e.tactic is not None else "",
                        "" if e.quality is None else f"{e.quality:.2f}", f"{e.confidence:.4f}",
                        *(f"{a.get(k, float('nan')):.4f}" for k in ("video", "imu", "position")),
                        e.source])
        text = buf.getvalue()
    else:
        doc = {"schema_version": SCHEMA_VERSION, "session": result.session_name,
               "model_sha256": result.model_sha256, "settings": result.settings,
               "events": [e.to_dict() for e in result.events],
               "team_phases": [p.to_dict() for p in result.phases]}
        text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise FootcoachError(f"cannot write the events: {exc}", path) from None
