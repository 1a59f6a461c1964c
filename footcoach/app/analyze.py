"""Use case: analyse a whole session with the model -> events, team phases, per-step arrays.

Pipeline (:func:`analyze_session`, a generator the CLI and the GUI drive):

1. Model description (``footcoach_model.json``; "no bundled model" when missing), cache key
   (:mod:`footcoach.app.analysis_cache`); a cache hit returns at once, without an engine.
2. Load (IMU read lazily, one player at a time) and align, as the dataset builder does.
3. The step path of the dataset builder: :func:`footcoach.app.dataset.session_steps`, then
   :func:`footcoach.sync.windows.iter_step_blocks` (IMU + context of every player,
   ``block_steps`` steps at a time) and :func:`footcoach.io.video_crops.block_crops` per block
   (the video decoded once, forward, all players' crops cut from each frame). Blocks are
   prepared in a background thread one block ahead (:class:`_Prefetch`): decoding overlaps
   with inference.
4. Each step of each player is encoded once (``engine.encode``); only the last
   ``window_steps - 1`` step features per player are kept between blocks. The window head runs
   on every window of ``window_steps`` consecutive steps (stride 1) as soon as its steps are
   encoded: the analysis cost does not grow with the window overlap, and memory is bounded by
   one block of crops plus the per-step outputs.
5. A window's outputs are assigned to its centre step (step ``start + window_steps // 2``):
   action and tactic probabilities (softmax), quality, modality attention (the window's
   per-step modality weights averaged with its time-attention weights) and time attention.
   A window is skipped (its centre step stays invalid) when fewer than ``MIN_PRESENT`` of its
   steps have any modality.
6. With a team tactic model in the model folder (:mod:`footcoach.analysis.team_tactic`), each
   player's tactic probabilities are multiplied by his team's from that model, computed from
   every player's context steps of the whole session.
7. Events and team phases (:mod:`footcoach.analysis.events`); the result is saved under
   ``SESSION/analysis/<key>/`` (atomically, only when finished: a cancel leaves nothing).

``cancel()`` returning True (polled per block and per decoded frame, from the analysing thread
and the block thread, so it must be thread-safe: e.g. reading a flag) stops with
FootcoachError("cancelled").
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from footcoach.analysis.events import EventSettings, PlayerSteps, player_events, team_phases
from footcoach.analysis.team_tactic import (
    TEAM_JSON,
    TeamTacticModel,
    fuse_with_team,
    load_team_model,
    team_probabilities,
)
from footcoach.app.align import AlignSettings, align_session
from footcoach.app.analysis_cache import (
    AnalysisResult,
    StepPredictions,
    cache_key,
    find_cached,
    input_fingerprint,
    load_cached_result,
    save_result,
)
from footcoach.app.dataset import session_steps
from footcoach.app.engines import (
    Engine,
    inference_threads,
    model_fault_settings,
    open_engine,
    require_model,
    video_decode_plan,
)
from footcoach.app.load import load_session
from footcoach.domain.events import Event
from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.vest_frame import pose_segments, rotation_onto, turn_triads
from footcoach.domain.windowing import WindowSpec
from footcoach.errors import FootcoachError
from footcoach.io.manifest import read_manifest
from footcoach.io.video import VideoReader
from footcoach.io.video_crops import block_crops
from footcoach.ml.config import ModelMeta
from footcoach.sync.sensor_faults import DEFAULT_FAULTS, FaultSettings
from footcoach.sync.windows import ContextBuilder, StepBlock, StepGrid, iter_step_blocks

__all__ = ["AnalysisProgress", "AnalysisResult", "AnalyzeOptions", "analyze_session",
           "load_cached_result", "run_analysis"]

Cancel = Callable[[], bool]
MIN_PRESENT = 0.5
"""A window is analysed when at least this share of its steps has some modality."""


class AnalysisProgress(NamedTuple):
    """One progress report; the last one carries the result."""

    done: int
    total: int
    message: str
    result: AnalysisResult | None = None


@dataclass(frozen=True)
class AnalyzeOptions:
    """Engine-side knobs (not part of the cache key): ``batch`` steps or windows per engine
    call, ``block_steps`` steps per block (memory: players x block_steps crops),
    ``decode_threads`` the FFmpeg threading of the video (``"SLICE"``, ``"FRAME"`` or
    ``"AUTO"``) and ``crop_workers`` the threads that cut crops (None: chosen for the machine,
    :func:`footcoach.app.engines.video_decode_plan`)."""

    batch: int = 128
    block_steps: int = 32
    events: EventSettings = field(default_factory=EventSettings)
    decode_threads: str | None = None
    crop_workers: int | None = None


def analysis_settings(spec: WindowSpec, events: EventSettings,
                      team_model: TeamTacticModel | None = None,
                      sensor_faults: FaultSettings | None = DEFAULT_FAULTS,
                      vest_upright: Sequence[float] = ()) -> dict[str, Any]:
    """The engine-independent settings that enter the cache key (with the team tactic
    model's sha256, None without one, the IMU fault thresholds, None when off, and the
    direction a model de-tilts vests onto, when it does: the weights alone do not say it)."""
    return {"window": spec.to_dict(), "events": events.to_dict(), "min_present": MIN_PRESENT,
            "align": {"estimate_offsets": False,
                      "sensor_faults": (sensor_faults.to_dict() if sensor_faults is not None
                                        else None)},
            "team_model": team_model.sha256 if team_model is not None else None,
            **({"team_player_power": team_model.player_power}
               if team_model is not None and team_model.player_power != 1.0 else {}),
            **({"vest_upright": list(vest_upright)} if vest_upright else {})}


def open_team_model(meta: ModelMeta, use: bool = True) -> TeamTacticModel | None:
    """The team tactic model beside the network (``team_tactic.json``), or None when there is
    none or ``use`` is False. Its context features must be the network's."""
    if not use:
        return None
    folder = meta.json_path.parent
    team = load_team_model(folder)
    if team is not None and team.context_features != list(meta.config.window.context_features):
        raise FootcoachError("the team tactic model reads other context features than the "
                             "network (train it on a dataset built for this network)",
                             folder / TEAM_JSON)
    return team


def analyze_session(folder: str | Path, *, model_dir: str | Path | None = None,
                    engine: str = "auto", device: str = "auto", batch: int = 128,
                    block_steps: int = 32, events: EventSettings | None = None,
                    use_cache: bool = True, cancel: Cancel | None = None,
                    ball: TimeSeries | None = None, team_model: bool = True,
                    sensor_faults: FaultSettings | None = DEFAULT_FAULTS,
                    decode_threads: str | None = None, crop_workers: int | None = None
                    ) -> Iterator[AnalysisProgress]:
    """Analyse the session in ``folder`` (module docstring); yields :class:`AnalysisProgress`,
    the last one with ``result``. ``use_cache=False`` recomputes (and rewrites the cache).
    ``ball`` (channels ``x``, ``y`` in pitch metres, session clock) replaces the session's own
    ball track for this run only (benchmarks: the simulator's ball); such a run neither reads
    nor writes the cache. ``team_model=False`` leaves out the model folder's team tactic model
    (:mod:`footcoach.analysis.team_tactic`): the players' tactic is their windows' alone.
    ``sensor_faults=None`` reads faulty stretches of a vest or GPS unit as data (benchmarks:
    what the fault detection of :mod:`footcoach.sync.sensor_faults` is worth).
    ``decode_threads`` and ``crop_workers``: :class:`AnalyzeOptions` (benchmarks)."""
    folder = Path(folder)
    ev = events or EventSettings()
    meta = require_model(model_dir)
    spec = meta.config.window
    session = read_manifest(folder)
    team = open_team_model(meta, team_model)
    if sensor_faults is not None:  # a model that turns vests upright reads a vest's own pose
        sensor_faults = model_fault_settings(meta, sensor_faults)
    settings = analysis_settings(spec, ev, team, sensor_faults, meta.config.vest_upright)
    fingerprint = input_fingerprint(session)
    key = cache_key(meta.sha256, settings, fingerprint)
    if use_cache and ball is None:
        cached = find_cached(folder, key)
        if cached is not None:
            yield AnalysisProgress(1, 1, "cached analysis", cached)
            return
    opts = AnalyzeOptions(batch, block_steps, ev, decode_threads, crop_workers)
    run = _Run(folder, meta, opts, cancel, ball, team)
    run.sensor_faults = sensor_faults
    yield from run.execute(engine, device)
    result = run.finish(settings, fingerprint, key)
    if ball is not None:
        result.run["not_cached"] = "a ball track given for this run only: not cached"
        yield AnalysisProgress(run.total, run.total, "done", result)
        return
    try:
        save_result(result, folder)
    except OSError as exc:  # a read-only session folder: the result stands, uncached
        result.run["not_cached"] = (f"{exc.filename or folder}: {exc.strerror or exc}; "
                                    "the analysis was not cached")
    yield AnalysisProgress(run.total, run.total, "done", result)


def run_analysis(folder: str | Path, *, progress: Callable[[int, int, str], None] | None = None,
                 **kwargs: Any) -> AnalysisResult:
    """:func:`analyze_session` driven to the end; ``progress(done, total, message)``."""
    result = None
    for p in analyze_session(folder, **kwargs):
        if progress is not None:
            progress(p.done, p.total, p.message)
        result = p.result or result
    assert result is not None
    return result


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (float64 internally) -> float32."""
    z = np.asarray(logits, np.float64)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return (z / z.sum(axis=-1, keepdims=True)).astype(np.float32)


class _Prefetch:
    """Runs a block iterator in a background thread, at most ``depth`` blocks ahead, so that
    decoding and cropping the next block overlap with encoding this one (memory: ``depth + 1``
    blocks). Errors of the iterator are raised in the consuming thread; :meth:`close` (always
    call it) sets ``stop`` and waits for the thread."""

    _DONE = object()

    def __init__(self, items: Iterator[StepBlock], stop: threading.Event, depth: int = 1):
        self.queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self.stop = stop
        self.thread = threading.Thread(target=self._run, args=(items,), daemon=True,
                                       name="footcoach-analysis-blocks")
        self.thread.start()

    def _put(self, item: object) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items: Iterator[StepBlock]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
            self._put(self._DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def __iter__(self) -> Iterator[StepBlock]:
        while True:
            item = self.queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


class _Run:
    """State of one analysis: the streaming encoder/head loop and the per-step outputs."""

    def __init__(self, folder: Path, meta: ModelMeta, opts: AnalyzeOptions,
                 cancel: Cancel | None, ball: TimeSeries | None = None,
                 team_model: TeamTacticModel | None = None):
        self.folder, self.meta, self.opts, self.cancel = folder, meta, opts, cancel
        self.ball, self.team_model = ball, team_model
        self.sensor_faults: FaultSettings | None = DEFAULT_FAULTS
        self.spec = meta.config.window
        self.total = 4
        self.timings: dict[str, float] = {}
        self.n_windows = 0
        self.start = time.perf_counter()

    def _check_cancel(self, where: str) -> None:
        if self.cancel is not None and self.cancel():
            raise FootcoachError("cancelled", self.folder, where)

    def _timed(self, key: str, t0: float) -> float:
        now = time.perf_counter()
        self.timings[key] = self.timings.get(key, 0.0) + now - t0
        return now

    def execute(self, engine: str, device: str) -> Iterator[AnalysisProgress]:
        t0 = time.perf_counter()
        yield AnalysisProgress(0, self.total, "loading the session")
        loaded = load_session(self.folder, imu="lazy")
        self._check_cancel("loading")
        yield AnalysisProgress(1, self.total, "aligning the streams")
        aligned = align_session(loaded, AlignSettings(estimate_offsets=False,
                                                      faults=self.sensor_faults),
                                cancel=self._cancel_flag)
        self._check_cancel("aligning")
        self.aligned = aligned
        self.vest_turns = upright_turns(aligned.imu, self.meta.config.vest_upright)
        t0 = self._timed("load_align_s", t0)
        yield AnalysisProgress(2, self.total, "opening the model")
        session = aligned.loaded.session
        wants_video = "video" in self.meta.config.modalities
        has_video = session.video is not None and loaded.video is not None
        self.engine: Engine = open_engine(self.meta.json_path.parent, engine, device,
                                          threads=inference_threads(wants_video and has_video))
        t0 = self._timed("open_engine_s", t0)
        grid, pids, ctx = session_steps(aligned, self.spec, ball=self.ball)
        if not pids:
            raise FootcoachError("no player has IMU, GPS or tracking data",
                                 self.folder / "session.toml")
        if grid.n < self.spec.window_steps:
            raise FootcoachError(f"the session is shorter than one window "
                                 f"({self.spec.window_s:g} s)", self.folder)
        self.grid, self.pids = grid, pids
        self._allocate(len(pids), grid.n)
        n_blocks = -(-grid.n // self.opts.block_steps)
        self.total = 3 + n_blocks + 1
        plan = video_decode_plan(self.engine.device)
        self.video_plan = (self.opts.decode_threads or plan[0], self.opts.crop_workers or plan[1])
        reader = (VideoReader(session.path(session.video.file), thread_type=self.video_plan[0])
                  if wants_video and has_video and session.video is not None else None)
        self.reads_video = reader is not None
        stop = threading.Event()

        def stopped() -> bool:
            return stop.is_set() or self._cancel_flag()

        blocks = _Prefetch(self._blocks(grid, pids, ctx, reader, stopped), stop)
        try:
            for i, block in enumerate(blocks):
                t0 = self._timed("wait_blocks_s", t0)
                self._check_cancel(f"t={block.grid.t_start[0]:.1f} s")
                self._encode_block(block)
                t0 = time.perf_counter()
                yield AnalysisProgress(3 + i, self.total,
                                       f"analysed {block.grid.t_start[-1] + grid.step_s:.0f} s "
                                       f"of {grid.n * grid.step_s:.0f} s")
        finally:
            blocks.close()
            if reader is not None:
                reader.close()

    def _blocks(self, grid: StepGrid, pids: list[str], ctx: ContextBuilder,
                reader: VideoReader | None, cancel: Cancel) -> Iterator[StepBlock]:
        """The step blocks with their crops (run in the prefetch thread)."""
        session = self.aligned.loaded.session
        t0 = time.perf_counter()
        for block in iter_step_blocks(grid, pids, self.aligned.imu, ctx, self.spec,
                                      self.opts.block_steps):
            t0 = self._timed("steps_s", t0)
            for i, pid in enumerate(pids):  # a model reading de-tilted vests
                if pid in self.vest_turns:
                    starts, mats = self.vest_turns[pid]
                    pose = np.searchsorted(starts, block.grid.t_start, "right") - 1
                    for k in np.unique(pose):
                        at = pose == k
                        block.imu[i, at] = turn_triads(block.imu[i, at], mats[max(k, 0)])
            if reader is not None:
                assert session.video is not None
                times = block.grid.frame_times(self.spec.frames_per_step)
                xy = np.stack([ctx.smoothed_xy(pid, times.reshape(-1)) for pid in pids])
                block.video, block.mask[:, :, 0] = block_crops(
                    reader, times, xy, session.calibration, start_s=session.video.start_s,
                    crop_px=self.spec.crop_px, cancel=cancel, workers=self.video_plan[1])
                t0 = self._timed("decode_crops_s", t0)
            yield block
            t0 = time.perf_counter()

    def _cancel_flag(self) -> bool:
        return self.cancel is not None and bool(self.cancel())

    # ---------------------------------------------------------------- streaming inference
    def _allocate(self, n_players: int, n_steps: int) -> None:
        w = self.spec.window_steps
        cfg = self.meta.config
        nan = np.float32(np.nan)
        self.out = {
            "action_probs": np.full((n_players, n_steps, len(cfg.action_labels)), nan),
            "tactic_probs": np.full((n_players, n_steps, len(cfg.tactic_labels)), nan),
            "quality": np.full((n_players, n_steps), nan),
            "modality_attention": np.full((n_players, n_steps, 3), nan),
            "time_attention": np.full((n_players, n_steps, w), nan),
        }
        self.valid = np.zeros((n_players, n_steps), bool)
        # every step's context and position flag, for the team tactic model (P, N, F) / (P, N)
        n_ctx = len(self.spec.context_features) if self.team_model is not None else 0
        self.context = np.full((n_players, n_steps, n_ctx), nan)
        self.present = np.zeros((n_players, n_steps), bool)
        self.tail_f: np.ndarray | None = None  # (P, <= W-1, D) features of the last steps
        self.tail_m = np.zeros((n_players, 0), bool)
        self.tail_w = np.zeros((n_players, 0, 3), np.float32)

    def _encode_block(self, block: StepBlock) -> None:
        """Encode the block's steps once, then run the head on every window completed."""
        t0 = time.perf_counter()
        n_p, n = block.mask.shape[:2]
        flat = n_p * n
        if self.team_model is not None:
            self.context[:, block.offset:block.offset + n] = block.context
            self.present[:, block.offset:block.offset + n] = block.mask[:, :, 2]
        b = max(1, self.opts.batch)
        video = block.video
        feats, mweights, smask = [], [], []
        for s in range(0, flat, b):
            rows = slice(s, min(s + b, flat))

            def part(x: np.ndarray | None, rows: slice = rows) -> np.ndarray | None:
                return None if x is None else x.reshape(flat, 1, *x.shape[2:])[rows]

            f, mw, sm = self.engine.encode(part(video), part(block.imu), part(block.context),
                                           part(block.mask))  # type: ignore[arg-type]
            feats.append(f[:, 0])
            mweights.append(mw[:, 0])
            smask.append(sm[:, 0])
        f_all = np.concatenate(feats).reshape(n_p, n, -1)
        mw_all = np.concatenate(mweights).reshape(n_p, n, 3).astype(np.float32)
        sm_all = np.concatenate(smask).reshape(n_p, n).astype(bool)
        t0 = self._timed("encode_s", t0)
        if self.tail_f is None:
            self.tail_f = f_all[:, :0]
        full_f = np.concatenate([self.tail_f, f_all], axis=1)
        full_m = np.concatenate([self.tail_m, sm_all], axis=1)
        full_w = np.concatenate([self.tail_w, mw_all], axis=1)
        first = block.offset - self.tail_m.shape[1]  # global step index of full[:, 0]
        self._run_head(full_f, full_m, full_w, first)
        keep = self.spec.window_steps - 1
        self.tail_f = full_f[:, -keep:] if keep else full_f[:, :0]
        self.tail_m = full_m[:, -keep:] if keep else full_m[:, :0]
        self.tail_w = full_w[:, -keep:] if keep else full_w[:, :0]
        self._timed("head_s", t0)

    def _run_head(self, feats: np.ndarray, smask: np.ndarray, mweights: np.ndarray,
                  first: int) -> None:
        """Head on every window of ``feats`` (P, L, D) (global step of column 0: ``first``)."""
        w = self.spec.window_steps
        length = smask.shape[1]
        if length < w:
            return
        n_win = length - w + 1
        idx = np.arange(n_win)[:, None] + np.arange(w)[None, :]  # (n_win, W)
        present = smask[:, idx].mean(axis=2) >= MIN_PRESENT  # (P, n_win)
        players, starts = np.nonzero(present)
        if players.size == 0:
            return
        bsz = max(1, self.opts.batch)
        for s in range(0, players.size, bsz):
            pp, ss = players[s:s + bsz], starts[s:s + bsz]
            win = idx[ss]
            f = feats[pp[:, None], win]  # (B, W, D)
            m = smask[pp[:, None], win]
            action, tactic, quality, time_w = self.engine.head(f, m)
            mw = (time_w[:, :, None] * mweights[pp[:, None], win]).sum(axis=1)
            centre = first + ss + w // 2
            self.out["action_probs"][pp, centre] = softmax(action)
            self.out["tactic_probs"][pp, centre] = softmax(tactic)
            self.out["quality"][pp, centre] = quality
            self.out["modality_attention"][pp, centre] = mw
            self.out["time_attention"][pp, centre] = time_w
            self.valid[pp, centre] = True
            self.n_windows += pp.size

    # ------------------------------------------------------------------------- results
    def finish(self, settings: dict[str, Any], fingerprint: list[list[Any]], key: str
               ) -> AnalysisResult:
        t0 = time.perf_counter()
        grid, spec = self.grid, self.spec
        w = spec.window_steps
        t = (grid.k0 + np.arange(grid.n) + (w / 2.0 - w // 2)) * grid.step_s
        steps = StepPredictions(player_ids=list(self.pids), t=t, valid=self.valid, **self.out)
        session = self.aligned.loaded.session
        teams = {p.id: p.team for p in session.players if p.id in self.pids}
        time_range = self.aligned.time_range
        team_of = [teams.get(pid, "") for pid in self.pids]
        team_probs = (team_probabilities(self.team_model, self.context, self.present, team_of)
                      if self.team_model is not None else {})
        power = self.team_model.player_power if self.team_model is not None else 1.0
        for p, team in enumerate(team_of):  # each player's tactic x his team's (in place)
            if team in team_probs:
                steps.tactic_probs[p] = fuse_with_team(steps.tactic_probs[p], team_probs[team],
                                                       power)
        t0 = self._timed("team_model_s", t0)
        events: list[Event] = []
        profiles: dict[str, np.ndarray] = {}
        for pid in self.pids:
            arrays = steps.player(pid)
            ps = PlayerSteps(pid, t, *(arrays[k] for k in StepPredictions.ARRAYS[1:]))
            evs, prof = player_events(ps, grid.step_s, self.opts.events, time_range)
            events += evs
            profiles.update(prof)
        phases = team_phases(t, steps.tactic_probs, steps.valid, team_of, grid.step_s,
                             self.opts.events, time_range)
        self._timed("events_s", t0)
        elapsed = time.perf_counter() - self.start
        cfg = self.meta.config
        model = {"sha256": self.meta.sha256, "json": str(self.meta.json_path),
                 "ablation": cfg.ablation, "modalities": list(cfg.modalities),
                 "parameter_count": self.meta.parameter_count,
                 "action_labels": list(cfg.action_labels),
                 "tactic_labels": list(cfg.tactic_labels),
                 "team_model": ({"sha256": self.team_model.sha256,
                                 "json": str(self.meta.json_path.parent / TEAM_JSON),
                                 "player_power": self.team_model.player_power}
                                if self.team_model is not None else None)}
        run = {"engine": self.engine.name, "device": self.engine.device,
               "batch": self.opts.batch, "block_steps": self.opts.block_steps,
               "players": len(self.pids), "steps": grid.n, "windows": self.n_windows,
               "elapsed_s": round(elapsed, 4),
               "windows_per_s": round(self.n_windows / elapsed, 2) if elapsed > 0 else None,
               "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
               "video_decode": ({"threads": self.video_plan[0],
                                 "crop_workers": self.video_plan[1]}
                                if self.reads_video else None),
               "sensor_warnings": self.aligned.sensor_warnings(),
               "data_warnings": len(self.aligned.loaded.diagnostics.warnings)}
        return AnalysisResult(session_name=session.name, events=events, phases=phases,
                              time_attention=profiles, steps=steps, teams=teams,
                              time_range=(float(time_range[0]), float(time_range[1])),
                              model=model, settings=settings, run=run, inputs=fingerprint,
                              key=key, team_tactic_probs=team_probs)


def upright_turns(imu: dict[str, TimeSeries], target: Sequence[float]
                  ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Player -> the start times (s) of his vest's poses and the (3, 3) rotations that de-tilt
    each onto ``target`` (a model's ``vest_upright``; :mod:`footcoach.domain.vest_frame`: one
    pose for a vest that sat alike all session, a new one after it slipped,
    :func:`~footcoach.domain.vest_frame.pose_segments`); empty when ``target`` is empty (the
    model reads vests as worn). A vest whose pose cannot be told stays as worn."""
    if not target:
        return {}
    out = {}
    for pid, ts in imu.items():
        poses = pose_segments(ts)
        if poses:
            out[pid] = (np.array([t for t, _ in poses]),
                        np.stack([rotation_onto(p, target) for _, p in poses]))
    return out
