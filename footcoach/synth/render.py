"""Synthetic sideline video of a simulated session.

A fixed :class:`~footcoach.synth.render_camera.SidelineCamera` looks at the pitch; the static
background (grass, lines, goals, trees, sky) is rendered once per session, then every frame at
``t = i / fps`` on the session clock copies it, draws shadows, players (articulated figures in
team kits, posed by ``action`` / ``action_phase``) and the ball far to near, adds sensor noise and
is encoded as H.264 MP4 (:class:`footcoach.io.video_writer.H264Writer`). The session's look
(lighting, kits, grass, noise level, compression) comes from the seed; the same seed gives the
same frames.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.pitch import Pitch
from footcoach.errors import FootcoachError
from footcoach.io.video_writer import H264Writer
from footcoach.synth import render_pose as rp
from footcoach.synth.render_camera import SidelineCamera, default_camera
from footcoach.synth.render_figures import FigureDrawer, Kit, Look, player_looks, team_kits
from footcoach.synth.render_pitch import Lighting, render_background
from footcoach.synth.trajectories import SimTrajectories

__all__ = ["FrameRenderer", "SidelineCamera", "VideoStats", "caption", "default_camera",
           "render_video"]

DEFAULT_SIZE = (960, 540)
CRF_RANGE = (20, 28)  # x264 constant rate factor drawn per session (inclusive)
NOISE_SIGMA_RANGE = (0.8, 2.5)  # sensor noise, 8-bit levels (std), drawn per session
_SUN_DRIFT_RAD_PER_S = np.deg2rad(0.25) / 60.0  # shadows turn slowly over a session
_N_NOISE = 8


@dataclass(frozen=True)
class VideoStats:
    """What :func:`render_video` made.

    ``elapsed_s`` covers rendering and encoding (background included); ``render_fps`` is
    ``n_frames / elapsed_s``.
    """

    path: Path
    n_frames: int
    fps: float
    size: tuple[int, int]
    duration_s: float
    crf: int
    seed: int
    elapsed_s: float
    kits: dict[str, Kit]
    lighting: Lighting
    noise_sigma: float

    @property
    def render_fps(self) -> float:
        return self.n_frames / self.elapsed_s if self.elapsed_s > 0 else float("inf")


def _check(traj: SimTrajectories) -> None:
    p, f = traj.xy.shape[:2] if traj.xy.ndim == 3 else (-1, -1)
    want = {"xy": (p, f, 2), "z": (p, f), "heading": (p, f), "action": (p, f),
            "action_phase": (p, f), "ball_xyz": (f, 3), "t": (f,)}
    for name, shape in want.items():
        got = np.shape(getattr(traj, name))
        if got != shape:
            raise FootcoachError(f"trajectory field {name} has shape {got}, expected {shape}",
                                 None, "render")
    if f < 1 or not traj.rate_hz > 0:
        raise FootcoachError("trajectories need at least one sample and a positive rate",
                             None, "render")
    if not (len(traj.teams) == len(traj.numbers) == p):
        raise FootcoachError("trajectories need one team and one number per player",
                             None, "render")


class FrameRenderer:
    """Renders frames of one simulated session at any session time.

    Args:
        traj: the session's ground truth.
        pitch: the pitch the trajectories are on.
        camera: a :class:`SidelineCamera`, a :class:`CameraCalibration` (the 3D camera is
            recovered from it), or None for :func:`default_camera` at ``size``.
        size: (width, height); only used when ``camera`` is None, else must match it or be None.
        seed: everything random about the look of the session.
        cones_xy: (N, 2) training cones in pitch metres (default: corners of a training area).
    """

    def __init__(self, traj: SimTrajectories, pitch: Pitch,
                 camera: SidelineCamera | CameraCalibration | None = None, *,
                 size: tuple[int, int] | None = None, seed: int = 0,
                 cones_xy: np.ndarray | None = None) -> None:
        _check(traj)
        if isinstance(camera, CameraCalibration):
            camera = SidelineCamera.from_calibration(camera)
        if camera is None:
            camera = default_camera(pitch, size or DEFAULT_SIZE)
        if size is not None and tuple(size) != camera.size:
            raise ValueError(f"size {tuple(size)} differs from the camera's image {camera.size}")
        self.traj, self.pitch, self.camera, self.seed = traj, pitch, camera, int(seed)
        seq = np.random.SeedSequence(self.seed).spawn(6)
        look_rng, bg_rng, noise_rng, gait_rng, self._frame_rng, crf_rng = (
            np.random.default_rng(s) for s in seq)
        self.lighting = Lighting.from_rng(look_rng)
        self.kits = team_kits(look_rng)
        self.looks: list[Look] = player_looks(look_rng, list(traj.teams), list(traj.numbers),
                                              self.kits, self.lighting)
        self.crf = int(crf_rng.integers(CRF_RANGE[0], CRF_RANGE[1] + 1))
        self.background = render_background(camera, pitch, self.lighting, bg_rng, cones_xy)
        self.drawer = FigureDrawer(camera, self.lighting, self.background)
        self.noise_sigma = float(noise_rng.uniform(*NOISE_SIGMA_RANGE))
        self._noise = self._noise_bank(noise_rng)
        self._prepare_motion(gait_rng)

    @property
    def duration_s(self) -> float:
        """Length of the session: one sample period per trajectory sample."""
        return len(self.traj.t) / self.traj.rate_hz

    def n_frames(self, fps: float) -> int:
        return round(self.duration_s * fps)

    def _noise_bank(self, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
        w, h = self.camera.size
        bank = []
        for _ in range(_N_NOISE):
            n = np.rint(rng.normal(0.0, self.noise_sigma, (h, w, 3)))
            bank.append((np.clip(n, 0, 255).astype(np.uint8), np.clip(-n, 0, 255).astype(np.uint8)))
        return bank

    def _prepare_motion(self, rng: np.random.Generator) -> None:
        """Per-sample speed, gait cycles, turn direction and ball spin from the trajectories."""
        tr = self.traj
        dt = 1.0 / tr.rate_hz
        n = len(tr.t)
        if n > 1:
            vel = np.gradient(tr.xy, dt, axis=1)
            self._heading = np.unwrap(tr.heading, axis=1)
            yaw_rate = np.gradient(self._heading, dt, axis=1)
        else:
            vel = np.zeros_like(tr.xy)
            self._heading = tr.heading.astype(np.float64)
            yaw_rate = np.zeros_like(self._heading)
        self._speed = np.linalg.norm(vel, axis=2)
        rate = rp.stride_rate_hz(self._speed)
        self._cycles = (np.cumsum(rate, axis=1) * dt
                        + rng.uniform(0.0, 1.0, (tr.n_players, 1)))
        self._turn = np.where(yaw_rate >= 0, 1.0, -1.0)
        ball = np.asarray(tr.ball_xyz, dtype=np.float64)
        step = np.linalg.norm(np.diff(ball, axis=0), axis=1) if n > 1 else np.zeros(0)
        self._ball_spin = np.concatenate([[0.0], np.cumsum(np.nan_to_num(step))]) / 0.11

    def state(self, t_s: float) -> tuple[np.ndarray, np.ndarray | None, float]:
        """World joints (P, 17, 3), the ball (3,) or None, and the ball's spin angle at ``t_s``."""
        tr = self.traj
        n = len(tr.t)
        s = float(np.clip(t_s * tr.rate_hz, 0.0, n - 1))
        i0 = int(np.floor(s))
        i1 = min(i0 + 1, n - 1)
        w = s - i0
        k = tr.at_time(t_s)

        def lerp(a: np.ndarray) -> np.ndarray:
            return (1.0 - w) * a[:, i0] + w * a[:, i1]

        xy, heading, lift = lerp(tr.xy), lerp(self._heading), lerp(tr.z)
        speed, cycles = lerp(self._speed), lerp(self._cycles)
        same = tr.action[:, i0] == tr.action[:, i1]
        phase = np.where(same, lerp(tr.action_phase), tr.action_phase[:, k])
        bodies = rp.body_joints([
            rp.pose_for(int(tr.action[p, k]), float(phase[p]), float(speed[p]),
                        float(cycles[p]), float(self._turn[p, k]))
            for p in range(tr.n_players)])
        scale = np.array([lk.height_scale for lk in self.looks])
        joints = rp.world_joints(bodies, xy, heading, np.maximum(lift, 0.0), scale)
        b0, b1 = tr.ball_xyz[i0], tr.ball_xyz[i1]
        ball = (1.0 - w) * b0 + w * b1
        spin = (1.0 - w) * self._ball_spin[i0] + w * self._ball_spin[i1]
        return joints, (ball if np.all(np.isfinite(ball)) else None), float(spin)

    def frame(self, t_s: float, *, noise_index: int | None = None) -> np.ndarray:
        """The frame at session time ``t_s``: (H, W, 3) uint8 RGB.

        ``noise_index`` picks the sensor-noise pattern (default: drawn from the session's frame
        generator, so a sequence of calls is reproducible for a seed).
        """
        joints, ball, spin = self.state(t_s)
        img = self.background.copy()
        az = self.lighting.sun_azimuth_rad + _SUN_DRIFT_RAD_PER_S * t_s
        self.drawer.draw(img, joints, self.looks, ball, spin, self.drawer.shadow_offset(az))
        if noise_index is None:
            noise_index = int(self._frame_rng.integers(_N_NOISE))
        pos, neg = self._noise[noise_index % _N_NOISE]
        cv2.add(img, pos, dst=img)  # saturating
        cv2.subtract(img, neg, dst=img)
        return img


def caption(frame: np.ndarray, text: str = "synthetic", corner: str = "top-left") -> np.ndarray:
    """A copy of an (H, W, 3) uint8 frame with ``text`` on a dark box in a corner
    (``top-left``, ``top-right``, ``bottom-left``, ``bottom-right``): how synthetic frames are
    labelled wherever they are shown. The videos themselves carry no caption (a model must not
    learn it)."""
    out = np.ascontiguousarray(frame).copy()
    h, w = out.shape[:2]
    scale = max(0.4, h / 900.0)
    thick = max(1, round(scale * 1.6))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = max(4, th // 2)
    x = pad if corner.endswith("left") else w - tw - 3 * pad
    y = pad if corner.startswith("top") else h - th - base - 3 * pad
    box = out[y:y + th + base + 2 * pad, x:x + tw + 2 * pad]
    box[:] = (box.astype(np.float32) * 0.35).astype(np.uint8)
    cv2.putText(out, text, (x + pad, y + pad + th), cv2.FONT_HERSHEY_SIMPLEX, scale,
                (255, 255, 255), thick, cv2.LINE_AA)
    return out


class _Encoder:
    """Feeds frames to an :class:`H264Writer` from a worker thread, in order. PyAV and x264
    release the GIL while converting and encoding, so drawing the next frame overlaps them."""

    def __init__(self, writer: H264Writer, depth: int = 3) -> None:
        self._writer = writer
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="footcoach-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (frame := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write(frame)
                except BaseException as exc:  # handed to the caller by check()
                    self._error = exc

    def put(self, frame: np.ndarray) -> None:
        self.check()
        self._queue.put(frame)

    def stop(self) -> None:
        """Write what is queued and end the thread (never raises)."""
        self._queue.put(None)
        self._thread.join()

    def check(self) -> None:
        if self._error is not None:
            raise self._error


def render_video(path: str | Path, traj: SimTrajectories, pitch: Pitch,
                 calibration_or_camera: SidelineCamera | CameraCalibration | None = None, *,
                 fps: float = 25.0, size: tuple[int, int] | None = None, seed: int = 0,
                 progress: Callable[[int, int], None] | None = None,
                 cancel: Callable[[], bool] | None = None,
                 cones_xy: np.ndarray | None = None, crf: int | None = None) -> VideoStats:
    """Render the session to an H.264 MP4 at ``path``: frame ``i`` shows session time ``i / fps``.

    ``progress(done, total)`` is called about once per second of video and at the end;
    ``cancel()`` returning True stops the render, leaves no file at ``path`` (nor a partial one)
    and raises :class:`FootcoachError` ("cancelled"). ``crf`` overrides the per-seed compression
    (drawn from ``CRF_RANGE``). The frame count is ``round(len(traj.t) / traj.rate_hz * fps)``.
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    start = time.perf_counter()
    path = Path(path)
    renderer = FrameRenderer(traj, pitch, calibration_or_camera, size=size, seed=seed,
                             cones_xy=cones_xy)
    total = renderer.n_frames(fps)
    if total < 1:
        raise FootcoachError("the trajectories are shorter than one video frame", path)
    use_crf = renderer.crf if crf is None else int(crf)
    w, h = renderer.camera.size
    every = max(1, round(fps))
    # one x264 thread: the same seed must give the same file (``H264Writer``); the encoder
    # thread below still overlaps encoding with drawing
    with H264Writer(path, w, h, fps, crf=use_crf, preset="veryfast",
                    gop=max(1, round(fps)), threads=1) as writer:
        encoder = _Encoder(writer)  # encodes frame i while frame i + 1 is drawn
        try:
            for i in range(total):
                if cancel is not None and cancel():
                    raise FootcoachError("cancelled", path, f"frame {i} of {total}")
                encoder.put(renderer.frame(i / fps))
                if progress is not None and ((i + 1) % every == 0 or i + 1 == total):
                    progress(i + 1, total)
        finally:
            encoder.stop()
        encoder.check()
    return VideoStats(path=path, n_frames=total, fps=float(fps), size=(w, h),
                      duration_s=total / fps, crf=use_crf, seed=renderer.seed,
                      elapsed_s=time.perf_counter() - start, kits=renderer.kits,
                      lighting=renderer.lighting, noise_sigma=renderer.noise_sigma)
