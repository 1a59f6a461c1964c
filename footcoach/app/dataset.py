"""Use case: turn labelled session folders into the HDF5 training file, through the same
import -> align -> step path the analysis uses (:mod:`footcoach.sync.windows`,
:mod:`footcoach.io.video_crops`).

:func:`build_dataset` is a generator yielding :class:`BuildProgress` (the last one carries the
:class:`BuildResult`); ``cancel()`` returning True stops it with FootcoachError("cancelled") and
no output file. Per session: load (IMU lazily) and align; cut every player's IMU and context
steps on the session's step grid; decode the video once, block by block, cutting every player's
crops from each decoded frame; label each step at its centre from ``labels.json`` /
``annotations.json`` (:mod:`footcoach.io.labels`).

Which windows are kept (the ``windows`` table; steps are stored whatever is kept):

1. Candidates: every start such that the window's ``window_steps`` steps are one player's, its
   centre time lies inside a labelled action interval, and at least half its steps have some
   modality present.
2. Balance: per action class, keep-probability ``p_c = min(1, balance_ratio * median_c n_c /
   n_c)`` over the classes present (so the most frequent classes, typically running, are
   thinned); within a class the kept windows are spread evenly along (session, player, time).
   Each kept window records ``weight = 1 / p_c``: weighted counts give back the natural class
   frequencies.
3. Splits (:func:`assign_splits`), grouped by (session, player): no group is in two splits.
   With 4 or more sessions the test split takes whole sessions (sessions drawn in a seeded
   order, added while that brings the test share nearer its target, never all sessions), so
   its sessions share no player with training; the rest (or, with 1-2 sessions, all groups)
   are assigned greedily, largest group first, to the split that best reduces the squared
   deviation of the per-class counts (and the total) from the 70/15/15 targets, after giving
   the validation and test splits one group each when there are enough groups.
   ``BuildSettings.test_sessions`` names the test sessions instead (folder names): those
   sessions are the whole test split, whatever their number, so that datasets of different
   session sets can be scored on the same held-out sessions (naming every session gives a
   test-only dataset, to score a trained model on with ``footcoach evaluate``, not to train).
   Their windows are then balanced (rule 2) among themselves, after the splits are assigned,
   so the test windows are the same whatever other sessions a dataset holds (the training
   and validation windows are those of the balance over all candidates, as without this
   rule).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.app.align import AlignedSession, AlignSettings, align_session
from footcoach.app.load import load_session
from footcoach.domain.labels import ACTIONS
from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.windowing import WindowSpec
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import SPLITS, DatasetWriter, class_table
from footcoach.io.labels import SessionLabelTracks, read_label_tracks
from footcoach.io.video import VideoReader
from footcoach.io.video_crops import block_crops
from footcoach.sync.windows import (
    ContextBuilder,
    StepBlock,
    StepGrid,
    iter_step_blocks,
    step_grid,
)
from footcoach.synth.tracking_error import degrade_ball

Cancel = Callable[[], bool]
_UNITS_PER_SESSION = 1000
TEST_SESSIONS_MIN = 4
"""From this many sessions on, the test split takes whole sessions."""


@dataclass
class BuildSettings:
    """How sessions are cut (see the module docstring for the window and split rules).

    ``imu_offsets``: ``"manifest"`` applies the manifest's IMU clock offsets (what analysis
    does), ``"labels"`` the true offsets a synthetic ``labels.json`` records.
    ``ball_from_labels``: use a ball track of ``labels.json`` when the session has no tracked
    ball. ``ball_noise_m`` / ``ball_gap_share``: tracking errors added to that (exact, simulated)
    ball, :func:`footcoach.synth.tracking_error.degrade_ball` (seeded by ``seed`` and the
    session's index). ``block_steps``: steps decoded per video block (memory: block x players
    crops). ``test_sessions``: folder names of the sessions that form the test split (empty:
    drawn by ``seed``, rule 3 of the module docstring). ``store_imu=False`` leaves the vests
    out: no IMU file is read, the ``imu`` array stays unwritten (zeros, no disk space) and its
    mask column False, as for a player without a vest; the context and labels are those of a
    full build, the windows those whose steps have positions (rule 1); a dataset for the team
    tactic model, about a tenth of the size.
    """

    seed: int = 0
    spec: WindowSpec = field(default_factory=WindowSpec)
    compression: str = "lzf"
    chunk_steps: int = 8
    block_steps: int = 64
    imu_offsets: str = "manifest"
    ball_from_labels: bool = True
    ball_noise_m: float = 0.0
    ball_gap_share: float = 0.0
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    balance_ratio: float = 3.0
    min_present: float = 0.5
    test_sessions: tuple[str, ...] = ()
    store_imu: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["spec"] = self.spec.to_dict()
        return d


@dataclass
class BuildResult:
    """Figures of a finished build."""

    path: Path
    n_sessions: int
    n_players: int
    n_steps: int
    n_candidates: int
    n_windows: int
    windows_per_split: dict[str, int]
    action_table: dict[str, dict[str, int]]
    keep_probability: dict[str, float]
    elapsed_s: float
    file_bytes: int
    player_minutes: float

    @property
    def steps_per_s(self) -> float:
        return self.n_steps / self.elapsed_s if self.elapsed_s > 0 else float("inf")

    @property
    def bytes_per_player_minute(self) -> float:
        return self.file_bytes / self.player_minutes if self.player_minutes > 0 else 0.0


@dataclass
class BuildProgress:
    done: int
    total: int
    message: str
    result: BuildResult | None = None


@dataclass
class _Candidates:
    """Window candidates gathered over all sessions (one entry per window)."""

    start: list[np.ndarray] = field(default_factory=list)
    t_s: list[np.ndarray] = field(default_factory=list)
    action: list[np.ndarray] = field(default_factory=list)
    tactic: list[np.ndarray] = field(default_factory=list)
    quality: list[np.ndarray] = field(default_factory=list)
    group: list[np.ndarray] = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        keys = ("start", "t_s", "action", "tactic", "quality", "group")
        dtypes = (np.int64, np.float64, np.int16, np.int16, np.float32, np.int64)
        return {k: (np.concatenate(getattr(self, k)).astype(d) if getattr(self, k)
                    else np.zeros(0, d)) for k, d in zip(keys, dtypes, strict=True)}


def build_dataset(sessions: Sequence[str | Path], out: str | Path,
                  settings: BuildSettings | None = None, *,
                  cancel: Cancel | None = None) -> Iterator[BuildProgress]:
    """Build ``out`` from the labelled session folders (see the module docstring)."""
    s = settings or BuildSettings()
    if s.imu_offsets not in ("manifest", "labels"):
        raise ValueError("imu_offsets must be 'manifest' or 'labels'")
    if not sessions:
        raise FootcoachError("no sessions given", out)
    test_index = _test_session_indices(sessions, s.test_sessions, out)
    start = time.perf_counter()
    total = _UNITS_PER_SESSION * len(sessions)
    cands = _Candidates()
    session_docs: list[dict[str, Any]] = []
    player_docs: list[dict[str, Any]] = []
    with DatasetWriter(out, s.spec, compression=s.compression,
                       chunk_steps=s.chunk_steps) as writer:
        for i, folder in enumerate(sessions):
            base = i * _UNITS_PER_SESSION
            yield BuildProgress(base, total, f"loading {Path(folder).name}")
            for frac, msg in _add_session(writer, Path(folder), i, s, cands, session_docs,
                                          player_docs, cancel):
                yield BuildProgress(base + int(frac * (_UNITS_PER_SESSION - 1)), total, msg)
        yield BuildProgress(total - 1, total, "choosing windows and splits")
        c = cands.arrays()
        keep, weight, probs = balance_windows(c["action"], s.balance_ratio)
        group_split = assign_splits(c["group"][keep], c["action"][keep], len(player_docs),
                                    [d["session"] for d in player_docs], s.fractions, s.seed,
                                    test_sessions=test_index)
        test_probs = None
        if test_index is not None:  # named test sessions: balanced among themselves
            in_test = group_split[c["group"]] == SPLITS.index("test")
            keep[in_test], weight[in_test], test_probs = balance_windows(
                c["action"][in_test], s.balance_ratio)
        split = group_split[c["group"][keep]]
        for j, d in enumerate(player_docs):
            d["split"] = SPLITS[int(group_split[j])]
        windows = {k: c[k][keep] for k in ("start", "t_s", "action", "tactic", "quality")}
        windows.update(split=split, weight=weight[keep])
        table = class_table(windows["action"], split, [a.label for a in ACTIONS])
        counts = {n: int(np.count_nonzero(split == j)) for j, n in enumerate(SPLITS)}
        elapsed = time.perf_counter() - start
        minutes = sum(d["n_steps"] for d in player_docs) * s.spec.step_s / 60.0
        build = {"settings": s.to_dict(), "elapsed_s": round(elapsed, 3),
                 "n_candidates": len(keep), "keep_probability": probs,
                 "test_keep_probability": test_probs,
                 "windows_per_split": counts, "player_minutes": round(minutes, 3)}
        n_steps = writer.n_rows
        path = writer.finish(windows, {"sessions": session_docs, "players": player_docs,
                                       "build": build})
    result = BuildResult(path=path, n_sessions=len(session_docs), n_players=len(player_docs),
                         n_steps=n_steps, n_candidates=len(keep),
                         n_windows=int(keep.sum()), windows_per_split=counts,
                         action_table=table, keep_probability=probs,
                         elapsed_s=time.perf_counter() - start,
                         file_bytes=path.stat().st_size, player_minutes=minutes)
    yield BuildProgress(total, total, "done", result)


def run_build(sessions: Sequence[str | Path], out: str | Path,
              settings: BuildSettings | None = None, *,
              progress: Callable[[int, int, str], None] | None = None,
              cancel: Cancel | None = None) -> BuildResult:
    """:func:`build_dataset` driven to the end; ``progress(done, total, message)``."""
    result = None
    for p in build_dataset(sessions, out, settings, cancel=cancel):
        if progress is not None:
            progress(p.done, p.total, p.message)
        result = p.result or result
    assert result is not None
    return result


def _check_cancel(cancel: Cancel | None, where: Path, what: str) -> None:
    if cancel is not None and cancel():
        raise FootcoachError("cancelled", where, what)


def _load_labelled(folder: Path, s: BuildSettings
                   ) -> tuple[AlignedSession, SessionLabelTracks]:
    """Load (IMU lazily), read the labels (refusing an unlabelled session before the slow
    part), apply the true IMU offsets when asked, align."""
    loaded = load_session(folder, imu="lazy")
    labels = read_label_tracks(folder, {p.id: p.team for p in loaded.session.players})
    if labels is None:
        raise FootcoachError("the session has no labels.json or annotations.json: only "
                             "labelled sessions can be used for training", folder)
    if s.imu_offsets == "labels":
        from footcoach.synth.labels_io import read_labels  # true offsets of a simulation

        for c in read_labels(folder).clock_offsets:
            if c.player_id in loaded.imu_pending:
                path, _ = loaded.imu_pending[c.player_id]
                loaded.imu_pending[c.player_id] = (path, -c.imu_s)
    return align_session(loaded, AlignSettings(estimate_offsets=False)), labels


def session_steps(aligned: AlignedSession, spec: WindowSpec, *,
                  ball: TimeSeries | None = None) -> tuple[StepGrid, list[str], ContextBuilder]:
    """The step grid, the players (session order: those with IMU or positions) and the
    context builder of an aligned session; the ball defaults to the tracking data's. Analysis
    cuts a session the same way: :func:`footcoach.sync.windows.iter_step_blocks` on these,
    plus :func:`footcoach.io.video_crops.block_crops` per block."""
    session = aligned.loaded.session
    positions = session_positions(aligned)
    pids = [p.id for p in session.players if p.id in aligned.imu or p.id in positions]
    tracking = aligned.loaded.tracking
    if ball is None and tracking is not None:
        ball = tracking.ball
    teams = {p.id: p.team for p in session.players}
    ctx = ContextBuilder(positions, teams, session.pitch, ball=ball, spec=spec)
    return step_grid(*aligned.time_range, spec), pids, ctx


def _add_session(writer: DatasetWriter, folder: Path, index: int, s: BuildSettings,
                 cands: _Candidates, session_docs: list[dict[str, Any]],
                 player_docs: list[dict[str, Any]], cancel: Cancel | None
                 ) -> Iterator[tuple[float, str]]:
    """Write one session's steps; yields (fraction done, message)."""
    aligned, labels = _load_labelled(folder, s)
    session = aligned.loaded.session
    has_ball = aligned.loaded.tracking is not None and aligned.loaded.tracking.ball is not None
    ball = labels.ball if s.ball_from_labels and not has_ball else None
    degraded = ball is not None and (s.ball_noise_m > 0 or s.ball_gap_share > 0)
    if ball is not None and degraded:
        ball = degrade_ball(ball, s.ball_noise_m, s.ball_gap_share, seed=s.seed * 1000 + index)
    grid, pids, ctx = session_steps(aligned, s.spec, ball=ball)
    if not pids:
        raise FootcoachError("no player has IMU, GPS or tracking data",
                             folder / "session.toml")
    if grid.n < s.spec.window_steps:
        raise FootcoachError(f"the session is shorter than one window ({s.spec.window_s:g} s)",
                             folder)
    first = writer.reserve(len(pids) * grid.n)
    p_base = len(player_docs)
    for p, pid in enumerate(pids):
        action, tactic, quality = labels.at(pid, grid.t_centre)
        writer.write(first + p * grid.n, {
            "action": action, "tactic": tactic, "quality": quality, "t_s": grid.t_start,
            "player": np.full(grid.n, p_base + p, np.int32),
            "session": np.full(grid.n, index, np.int32)})
        player = session.player(pid)
        player_docs.append({"session": index, "id": pid, "team": player.team,
                            "number": player.number, "row_start": first + p * grid.n,
                            "n_steps": grid.n})
    yield 0.05, f"{folder.name}: aligned, {len(pids)} players, {grid.n} steps"
    video_ref = session.video if aligned.loaded.video is not None else None
    video = video_ref is not None
    masks = np.zeros((len(pids), grid.n, 3), bool)
    reader = VideoReader(session.path(video_ref.file)) if video_ref is not None else None
    try:
        imu = aligned.imu if s.store_imu else {}
        for block in iter_step_blocks(grid, pids, imu, ctx, s.spec, s.block_steps):
            _check_cancel(cancel, folder, f"t={block.grid.t_start[0]:.1f} s")
            if reader is not None:
                _add_crops(block, reader, ctx, aligned, s.spec, cancel)
            masks[:, block.offset:block.offset + block.grid.n] = block.mask
            _write_block(writer, block, first, grid.n, s.store_imu)
            done = (block.offset + block.grid.n) / grid.n
            yield 0.05 + 0.9 * done, f"{folder.name}: {block.grid.t_start[-1]:.0f} s"
    finally:
        if reader is not None:
            reader.close()
    for p, pid in enumerate(pids):
        _add_candidates(cands, masks[p], first + p * grid.n, grid, labels, pid, p_base + p, s)
    session_docs.append({"name": session.name, "path": str(folder.resolve()),
                         "synthetic": bool(session.synthetic), "label_source": labels.source,
                         "n_players": len(pids), "n_steps": grid.n, "k0": grid.k0,
                         "duration_s": grid.n * grid.step_s, "video": video,
                         "calibrated": session.calibration is not None,
                         "ball": ctx.ball is not None,
                         "ball_errors": ({"noise_m": s.ball_noise_m,
                                          "gap_share": s.ball_gap_share} if degraded else None)})
    yield 1.0, f"{folder.name}: done"


def session_positions(aligned: AlignedSession) -> dict[str, TimeSeries]:
    """player id -> positions (:meth:`AlignedSession.positions`)."""
    return aligned.positions()


def _add_crops(block: StepBlock, reader: VideoReader, ctx: ContextBuilder,
               aligned: AlignedSession, spec: WindowSpec, cancel: Cancel | None) -> None:
    """Fill ``block.video`` and its video mask column from the session video."""
    session = aligned.loaded.session
    assert session.video is not None
    times = block.grid.frame_times(spec.frames_per_step)
    xy = np.stack([ctx.smoothed_xy(pid, times.reshape(-1)) for pid in block.player_ids])
    block.video, block.mask[:, :, 0] = block_crops(
        reader, times, xy, session.calibration, start_s=session.video.start_s,
        crop_px=spec.crop_px, cancel=cancel)


def _write_block(writer: DatasetWriter, block: StepBlock, first: int, n_steps: int,
                 imu: bool = True) -> None:
    """Queue one block's step arrays (rows of each player) for writing."""
    known = np.isfinite(block.context)
    context = np.where(known, block.context, 0.0).astype(np.float32)
    for p in range(len(block.player_ids)):
        arrays = {"context": context[p], "context_valid": known[p], "mask": block.mask[p]}
        if imu:
            arrays["imu"] = block.imu[p]
        if block.video is not None:
            arrays["video"] = block.video[p]
        writer.write_async(first + p * n_steps + block.offset, arrays)


def _add_candidates(cands: _Candidates, mask: np.ndarray, row: int, grid: StepGrid,
                    labels: SessionLabelTracks, pid: str, group: int,
                    s: BuildSettings) -> None:
    """Record the windows of one player that pass rule 1 of the module docstring."""
    w = s.spec.window_steps
    n_win = grid.n - w + 1
    if n_win < 1:
        return
    starts = np.arange(n_win)
    t_centre = (grid.k0 + starts + w / 2.0) * grid.step_s
    action, tactic, quality = labels.at(pid, t_centre)
    present = np.convolve(mask.any(axis=1).astype(np.float64), np.ones(w), "valid") / w
    ok = (action >= 0) & (present >= s.min_present)
    cands.start.append(row + starts[ok])
    cands.t_s.append(t_centre[ok])
    cands.action.append(action[ok])
    cands.tactic.append(tactic[ok])
    cands.quality.append(quality[ok])
    cands.group.append(np.full(int(ok.sum()), group, np.int64))


def balance_windows(action: np.ndarray, ratio: float
                    ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Keep mask (M,) bool, weight (M,) float32 = 1 / p_class, and p per class label (rule 2
    of the module docstring); windows in the order given (the spreading order)."""
    action = np.asarray(action)
    keep = np.ones(action.size, bool)
    weight = np.ones(action.size, np.float32)
    probs: dict[str, float] = {}
    counts = np.array([np.count_nonzero(action == int(a)) for a in ACTIONS])
    if not counts.any():
        return keep, weight, probs
    cap = ratio * float(np.median(counts[counts > 0]))
    for a, n in zip(ACTIONS, counts, strict=True):
        if n == 0:
            continue
        p = min(1.0, cap / n)
        probs[a.label] = round(float(p), 4)
        idx = np.flatnonzero(action == int(a))
        i = np.arange(idx.size)
        keep[idx] = np.floor((i + 1) * p + 0.5) > np.floor(i * p + 0.5)
        weight[idx] = 1.0 / p
    return keep, weight, probs


def _test_session_indices(sessions: Sequence[str | Path], names: Sequence[str],
                          out: str | Path) -> list[int] | None:
    """Indices into ``sessions`` of the folders named in ``names`` (None when no names)."""
    if not names:
        return None
    folders = [Path(f).name for f in sessions]
    missing = [n for n in names if n not in folders]
    if missing:
        raise FootcoachError(f"test session {missing[0]!r} is not among the sessions given "
                             f"({', '.join(folders)})", out)
    return sorted({i for i, f in enumerate(folders) if f in names})


def assign_splits(group: np.ndarray, action: np.ndarray, n_groups: int,
                  group_session: Sequence[int], fractions: Sequence[float], seed: int, *,
                  test_sessions: Sequence[int] | None = None) -> np.ndarray:
    """Split index (0 train, 1 val, 2 test) per group (rule 3 of the module docstring).

    ``group``/``action``: (M,) group index and action class of each kept window;
    ``group_session``: (n_groups,) session index of each group; ``test_sessions``: session
    indices that form the test split (None: drawn).
    """
    rng = np.random.default_rng([seed, 7])
    frac = np.asarray(fractions, np.float64) / np.sum(fractions)
    counts = np.zeros((n_groups, len(ACTIONS)), np.float64)
    np.add.at(counts, (np.asarray(group, np.int64), np.asarray(action, np.int64)), 1.0)
    sessions = np.asarray(group_session, np.int64)
    split = np.zeros(n_groups, np.int8)
    free = np.ones(n_groups, bool)
    totals = counts.sum(axis=1)
    grand = totals.sum()
    uniq = np.unique(sessions)
    open_splits = [0, 1, 2]
    if test_sessions is not None:
        test = np.isin(sessions, np.asarray(test_sessions, np.int64))
        split[test] = 2
        free &= ~test
        open_splits = [0, 1]
    elif uniq.size >= TEST_SESSIONS_MIN:  # whole sessions to test
        sess_tot = {int(u): totals[sessions == u].sum() for u in uniq}
        chosen: list[int] = []
        have = 0.0
        for u in rng.permutation(uniq):
            if len(chosen) == uniq.size - 1:
                break
            new = have + sess_tot[int(u)]
            if not chosen or abs(new - frac[2] * grand) < abs(have - frac[2] * grand):
                chosen.append(int(u))
                have = new
        test = np.isin(sessions, chosen)
        split[test] = 2
        free &= ~test
        open_splits = [0, 1]
    target = frac[:, None] * counts.sum(axis=0)[None, :]
    have_counts = np.zeros_like(target)
    have_counts[2] = counts[split == 2].sum(axis=0) if not free.all() else 0.0
    order = [int(g) for g in rng.permutation(n_groups) if free[g]]
    order.sort(key=lambda g: -totals[g])
    if len(order) >= len(open_splits):  # one group each for the small splits first
        for sp in [x for x in open_splits if x != 0]:
            g = min(order, key=lambda g: abs(totals[g] - frac[sp] * grand))
            order.remove(g)
            split[g] = sp
            have_counts[sp] += counts[g]
    scale = counts.sum(axis=0) + 1.0
    for g in order:
        best, best_cost = 0, np.inf
        for sp in open_splits:
            trial = have_counts.copy()
            trial[sp] += counts[g]
            cost = float(np.sum((trial - target) ** 2 / scale)
                         + np.sum((trial.sum(axis=1) - frac * grand) ** 2) / max(grand, 1.0))
            if cost < best_cost - 1e-12:
                best, best_cost = sp, cost
        split[g] = best
        have_counts[best] += counts[g]
    return split
