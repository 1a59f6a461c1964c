"""Simulate a whole training session and write it as a session folder.

``simulate_session`` plans a sequence of drills with short transitions (``plan_session``),
runs the world (``run_world``), derives the sensors (vest IMU at 100 Hz, GNSS at 10 Hz), the
video (``render.py``, optional) and the ground truth, and writes::

    OUT/session.toml          manifest (synthetic = true, pitch origin + heading, players)
    OUT/imu/<player>.csv      vest IMU (unix_time_ms, acc g, gyro deg/s, mag uT)
    OUT/gps/<player>.csv      GNSS (unix_time_ms, latitude, longitude, speed_mps, hdop)
    OUT/labels.json           ground truth (labels_io.py)
    OUT/video.mp4             sideline camera (when ``video``), calibration in the manifest

The same arguments give byte-identical CSV and label files (one seeded random generator per
stage). The manifest leaves the IMU clock offsets at 0 (as a real import would): their true
values are in labels.json for checking the sync estimator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.geo import GeoToPitch
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.pitch import Pitch
from footcoach.domain.session import Player, Session, VideoRef
from footcoach.errors import FootcoachError
from footcoach.io.manifest import atomic_write_text, write_manifest
from footcoach.synth.agents import PlayerProfile, make_profiles
from footcoach.synth.drills import DRILL_KINDS, BaseDrill, GameDrill, RepDrill, Transition
from footcoach.synth.drills_scripted import PassingPattern, SprintAgility
from footcoach.synth.gps_model import gps_csv_text, simulate_gps
from footcoach.synth.imu_model import earth_field_pitch, imu_csv_text, simulate_imu
from footcoach.synth.labels_io import (
    ActionSegment,
    ClockOffset,
    DrillSegment,
    SessionLabels,
    TacticSegment,
    write_labels,
)
from footcoach.synth.trajectories import SimTrajectories
from footcoach.synth.world import DT, World

Progress = Callable[[int, int, str], None]
DEFAULT_ORIGIN = (-9.1240, 41.7265)
"""(lon, lat) of the default pitch origin (a training ground in northern Portugal)."""
_PRIORITY = ("small_sided_game", "sprint_agility", "shooting", "pressing", "passing_pattern",
             "breakthrough", "retreat", "possession")
_WEIGHT = {"small_sided_game": 1.5}
MIN_TACTIC_S = 1.0


@dataclass
class SimResult:
    """The simulated world and its ground truth, before any file is written."""

    world: World
    traj: SimTrajectories
    plan: list[tuple[str, float, float]]
    labels_actions: list[ActionSegment]
    labels_tactics: list[TacticSegment]


def plan_session(minutes: float, rng: np.random.Generator,
                 drills: Sequence[str] | None = None) -> list[tuple[str, float]]:
    """``[(kind, seconds), ...]`` alternating drills and transitions, ``minutes`` in total.

    All eight drill kinds fit from about 6 minutes; shorter sessions keep the first of
    ``_PRIORITY`` (the small-sided game first), in the canonical order."""
    total = float(minutes) * 60.0
    if not total >= 20.0:
        raise ValueError(f"a session must last at least 20 s, got {total:g} s")
    if drills is None:
        n = int(np.clip(total // 45, 1, len(DRILL_KINDS)))
        keep = set(_PRIORITY[:n])
        kinds = [k for k in DRILL_KINDS if k in keep]
    else:
        unknown = [k for k in drills if k not in DRILL_KINDS]
        if unknown or not drills:
            raise ValueError(f"unknown drill kinds {unknown} (known: {', '.join(DRILL_KINDS)})")
        kinds = list(drills)
    rests = [float(rng.uniform(8.0, 12.0)) for _ in kinds[1:]]
    play = total - sum(rests)
    weights = np.array([_WEIGHT.get(k, 1.0) for k in kinds])
    durations = play * weights / weights.sum()
    plan: list[tuple[str, float]] = []
    for j, kind in enumerate(kinds):
        plan.append((kind, float(durations[j])))
        if j < len(rests):
            plan.append(("transition", rests[j]))
    return plan


def make_drill(kind: str, duration_s: float) -> BaseDrill:
    if kind == "sprint_agility":
        return SprintAgility(duration_s)
    if kind == "passing_pattern":
        return PassingPattern(duration_s)
    if kind in ("breakthrough", "shooting", "retreat"):
        return RepDrill(kind, duration_s)
    return GameDrill(kind, duration_s)


def run_world(*, seed: int = 0, n_players: int = 10, minutes: float = 10.0,
              pitch_size: tuple[float, float] = (40.0, 30.0),
              drills: Sequence[str] | None = None, progress: Progress | None = None,
              cancel: Callable[[], bool] | None = None) -> SimResult:
    """Run the drills and return the trajectories and labelled segments (no files)."""
    rng = np.random.default_rng([seed, 1])
    profiles = make_profiles(rng, n_players)
    plan = plan_session(minutes, rng, drills)
    ticks = [max(round(d / DT), 1) for _, d in plan]
    n_ticks = sum(ticks)
    world = World(profiles, pitch_size[0], pitch_size[1], n_ticks, rng, np.zeros((n_players, 2)))
    drill_objs: list[BaseDrill] = []
    for kind, d in plan:
        drill_objs.append(make_drill(kind, d) if kind != "transition" else Transition(d))
    world.bodies.pos = drill_objs[0].start_positions(world)
    world.refresh()
    spans = []
    for j, (drill, k) in enumerate(zip(drill_objs, ticks, strict=True)):
        if cancel is not None and cancel():
            raise FootcoachError("cancelled", None, f"simulating {drill.name}")
        if isinstance(drill, Transition):
            drill.targets = drill_objs[j + 1].start_positions(world)
        t0 = world.t
        world.run(drill, k)
        spans.append((drill.name, t0, world.t))
        if progress is not None:
            progress(world.k, n_ticks, f"simulated {drill.name}")
    world.finish()
    actions = _action_segments(world)
    tactics = _tactic_segments(world)
    traj = _trajectories(world, actions, tactics)
    return SimResult(world, traj, spans, actions, tactics)


def _action_segments(w: World) -> list[ActionSegment]:
    out = [ActionSegment(w.profiles[a.player].id, a.start_s, a.end_s, a.action, a.quality,
                         a.params) for a in w.actions]
    out.sort(key=lambda a: (a.player_id, a.start_s))
    return out


def _tactic_segments(w: World) -> list[TacticSegment]:
    """Team tactic runs, with runs shorter than ``MIN_TACTIC_S`` merged into the previous."""
    out: list[TacticSegment] = []
    min_ticks = round(MIN_TACTIC_S / DT)
    for team, name in ((0, "A"), (1, "B")):
        seq = w.rec_tactic[team].copy()
        change = np.flatnonzero(np.diff(seq) != 0) + 1
        starts = np.r_[0, change]
        ends = np.r_[change, len(seq)]
        for s, e in zip(starts, ends, strict=True):
            if e - s < min_ticks and s > 0:
                seq[s:e] = seq[s - 1]
        w.rec_tactic[team] = seq
        change = np.flatnonzero(np.diff(seq) != 0) + 1
        for s, e in zip(np.r_[0, change], np.r_[change, len(seq)], strict=True):
            out.append(TacticSegment(name, s * DT, e * DT, Tactic(int(seq[s]))))
    return out


def _trajectories(w: World, actions: list[ActionSegment],
                  tactics: list[TacticSegment]) -> SimTrajectories:
    f = w.n_ticks
    t = np.arange(f) * DT
    phase = np.zeros((w.P, f), dtype=np.float32)
    ids = [p.id for p in w.profiles]
    for a in actions:
        i = ids.index(a.player_id)
        k0, k1 = round(a.start_s / DT), round(a.end_s / DT)
        if k1 > k0:
            phase[i, k0:k1] = (np.arange(k1 - k0) / (k1 - k0)).astype(np.float32)
    tactic = np.stack([w.rec_tactic[w.team[i]] for i in range(w.P)]).astype(np.int16)
    heading = (w.rec_heading + np.pi) % (2 * np.pi) - np.pi
    return SimTrajectories(
        rate_hz=1.0 / DT, t=t, xy=w.rec_xy.copy(), z=w.rec_z.copy(), heading=heading,
        action=w.rec_action.copy(), action_phase=phase, tactic=tactic,
        ball_xyz=w.rec_ball.copy(), player_ids=ids, names=[p.name for p in w.profiles],
        teams=[p.team for p in w.profiles], numbers=[p.number for p in w.profiles])


def session_epoch_ms(seed: int) -> int:
    """Start of the session (Unix ms): 1 March 2024 16:00 UTC plus ``seed`` days (mod 365)."""
    start = datetime(2024, 3, 1, 16, 0, tzinfo=UTC) + timedelta(days=int(seed) % 365)
    return int(start.timestamp() * 1000)


def _player_doc(p: PlayerProfile) -> dict[str, object]:
    return {"id": p.id, "name": p.name, "team": p.team, "number": p.number,
            "max_speed_mps": round(p.max_speed, 3), "max_accel_mps2": round(p.max_accel, 3),
            "max_decel_mps2": round(p.max_decel, 3), "jump_height_m": round(p.jump_height, 3),
            "kick_speed_mps": round(p.kick_speed, 3), "skill": round(p.skill, 3)}


def simulate_session(out_dir: str | Path, *, seed: int = 0, n_players: int = 10,
                     minutes: float = 10.0, video: bool = True,
                     video_size: tuple[int, int] = (960, 540),
                     progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
                     pitch_size: tuple[float, float] = (40.0, 30.0),
                     origin_lonlat: tuple[float, float] = DEFAULT_ORIGIN,
                     heading_deg: float | None = None,
                     drills: Sequence[str] | None = None) -> Path:
    """Simulate a session and write its folder (see the module docstring); returns ``out_dir``.

    ``progress(done, total, message)`` reports the stages; ``cancel()`` returning True stops
    with FootcoachError("cancelled"). ``heading_deg`` (compass bearing of the pitch x axis)
    defaults to a seed-dependent value; ``drills`` picks drill kinds (``DRILL_KINDS``).
    """
    out = Path(out_dir)
    n_video = 1 if video else 0
    total_steps = 100 + 2 * n_players + 20 * n_video

    def report(done: int, message: str) -> None:
        if progress is not None:
            progress(min(done, total_steps), total_steps, message)

    res = run_world(seed=seed, n_players=n_players, minutes=minutes, pitch_size=pitch_size,
                    drills=drills, cancel=cancel,
                    progress=lambda d, n, m: report(int(100 * d / max(n, 1)), m))
    w, traj = res.world, res.traj
    if heading_deg is None:
        heading_deg = float(np.random.default_rng([seed, 2]).uniform(0, 360))
    geo = GeoToPitch.from_origin_heading(origin_lonlat, heading_deg, *pitch_size)
    epoch_ms = session_epoch_ms(seed)
    (out / "imu").mkdir(parents=True, exist_ok=True)
    (out / "gps").mkdir(parents=True, exist_ok=True)
    offs_rng = np.random.default_rng([seed, 3])
    offsets = [float(np.round(np.clip(offs_rng.normal(0, 0.15), -0.45, 0.45), 3))
               for _ in w.profiles]
    field = earth_field_pitch(heading_deg)
    done = 100
    for i, p in enumerate(w.profiles):
        if cancel is not None and cancel():
            raise FootcoachError("cancelled", out, f"sensors of {p.id}")
        rec = simulate_imu(traj, w.events, p, i, offsets[i], field,
                           np.random.default_rng([seed, 4, i]))
        atomic_write_text(out / "imu" / f"{p.id}.csv", imu_csv_text(rec, epoch_ms))
        done += 1
        report(done, f"IMU {p.id}")
        gps = simulate_gps(traj, i, geo, np.random.default_rng([seed, 5, i]))
        atomic_write_text(out / "gps" / f"{p.id}.csv", gps_csv_text(gps, epoch_ms))
        done += 1
        report(done, f"GPS {p.id}")
    pitch = Pitch(length_m=pitch_size[0], width_m=pitch_size[1],
                  origin_lonlat=(float(origin_lonlat[0]), float(origin_lonlat[1])),
                  heading_deg=float(heading_deg))
    calibration = None
    if video:
        calibration = _render(out, traj, pitch, video_size, seed, cancel,
                              lambda d, n: report(done + int(20 * d / max(n, 1)), "video"))
    labels = SessionLabels(
        seed=seed, duration_s=float(traj.t[-1] + DT), epoch_ms=epoch_ms,
        players=[_player_doc(p) for p in w.profiles],
        clock_offsets=[ClockOffset(p.id, offsets[i], 0.0) for i, p in enumerate(w.profiles)],
        drills=[DrillSegment(n, a, b) for n, a, b in res.plan],
        actions=res.labels_actions, tactics=res.labels_tactics,
        ball_xyz=traj.ball_xyz, ball_rate_hz=1.0 / DT)
    write_labels(out / "labels.json", labels)
    session = Session(
        name=out.name or f"synthetic-{seed}", root=out,
        date=datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        pitch=pitch, video=VideoRef("video.mp4", 0.0) if video else None,
        calibration=calibration, clock_epoch_s=epoch_ms / 1000.0, synthetic=True,
        notes=f"synthetic session (footcoach simulator, seed {seed}); ground truth in "
              "labels.json",
        players=[Player(id=p.id, name=p.name, number=p.number, team=p.team,
                        imu=f"imu/{p.id}.csv", gps=f"gps/{p.id}.csv") for p in w.profiles])
    write_manifest(session, out)
    report(total_steps, "done")
    return out


def _render(out: Path, traj: SimTrajectories, pitch: Pitch, size: tuple[int, int], seed: int,
            cancel: Callable[[], bool] | None, progress: Callable[[int, int], None]
            ) -> CameraCalibration:
    """Render video.mp4 with the sideline camera of ``render_camera.py`` and return its
    calibration (imported here so that the simulator core does not need the renderer)."""
    from footcoach.synth.render import render_video
    from footcoach.synth.render_camera import default_camera

    camera = default_camera(pitch, size)
    render_video(out / "video.mp4", traj, pitch, camera, fps=25.0, size=size, seed=seed,
                 progress=progress, cancel=cancel)
    return camera.calibration()


def action_counts(actions: Sequence[ActionSegment]) -> dict[str, int]:
    """Number of segments per action label (all twelve, zeros included)."""
    counts = {a.label: 0 for a in Action}
    for a in actions:
        counts[a.action.label] += 1
    return counts


def realtime_ratio(simulated_s: float, wall_s: float) -> float:
    return simulated_s / wall_s if wall_s > 0 else math.inf
