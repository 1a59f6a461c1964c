"""A small real session folder for the GUI tests, written into a temporary folder.

* ``video.mp4``: 320x192 H.264 at 25 fps, 1 s keyframe interval, first frame at session time
  ``VIDEO_START_S``. Each frame carries its own index as 8 black/white blocks along the top
  (bit 7 first), so a test can read back which frame is on screen.
* ``imu/p1.csv``, ``imu/p2.csv``: 100 Hz in the simulator's layout (acc in g, gyro in deg/s).
* ``gps/p1.csv``, ``gps/p2.csv``: 10 Hz lat/lon (+ speed, hdop). Player p1 runs along the pitch
  at y = 30 m from x = 20 m at 6 m/s; p2 circles (60, 40) m with radius 5 m.
* ``session.toml`` with the pitch placed by origin + heading and (optionally) a camera
  calibration that maps the whole pitch onto the frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.events import Event
from footcoach.domain.geo import GeoToPitch
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.pitch import Pitch
from footcoach.domain.session import Player, Session, VideoRef
from footcoach.io.manifest import write_manifest
from footcoach.io.video_writer import H264Writer

FPS = 25
WIDTH, HEIGHT = 320, 192
DURATION_S = 6.0
VIDEO_START_S = 0.5
EPOCH_S = 1_700_000_000.0
ORIGIN = (13.40, 52.50)  # lon, lat of the pitch corner (0, 0)
BLOCK = 40  # pixel size of one bit block


def frame_pattern(index: int) -> np.ndarray:
    """(HEIGHT, WIDTH, 3) uint8: green with the frame index as 8 bit blocks on top."""
    img = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    img[:, :] = (40, 110, 50)
    for bit in range(8):
        on = (index >> (7 - bit)) & 1
        img[:BLOCK, bit * BLOCK:(bit + 1) * BLOCK] = 255 if on else 0
    return img


def read_pattern(rgb_at: object) -> int:
    """Decode the index from a frame: ``rgb_at(x, y) -> (r, g, b)`` samples the image."""
    value = 0
    for bit in range(8):
        r, g, b = rgb_at(bit * BLOCK + BLOCK // 2, BLOCK // 2)  # type: ignore[operator]
        value = (value << 1) | int((r + g + b) / 3 > 127)
    return value


def p1_xy(t: np.ndarray) -> np.ndarray:
    return np.c_[20.0 + 6.0 * t, np.full_like(t, 30.0)]


def p2_xy(t: np.ndarray) -> np.ndarray:
    return np.c_[60.0 + 5.0 * np.cos(t), 40.0 + 5.0 * np.sin(t)]


def _write_imu(path: Path, t: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = t.size
    acc = np.c_[0.3 * np.sin(2 * np.pi * 2 * t), 0.2 * np.cos(2 * np.pi * 3 * t),
                1.0 + 0.4 * rng.standard_normal(n)]  # a player on the move
    gyro = 30.0 * np.c_[np.sin(t), np.cos(t), 0.5 * rng.standard_normal(n)]
    mag = np.tile([20.0, 0.0, -40.0], (n, 1))
    lines = ["unix_time_ms,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps,"
             "mag_x_uT,mag_y_uT,mag_z_uT"]
    for i in range(n):
        vals = ",".join(f"{v:.5f}" for v in (*acc[i], *gyro[i], *mag[i]))
        lines.append(f"{round((EPOCH_S + t[i]) * 1000)},{vals}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_gps(path: Path, t: np.ndarray, xy: np.ndarray, geo: GeoToPitch) -> None:
    lon, lat = geo.to_lonlat(xy[:, 0], xy[:, 1])
    v = np.r_[0.0, np.hypot(*np.diff(xy, axis=0).T) / np.diff(t)]
    v[0] = v[1]
    lines = ["unix_time_ms,latitude,longitude,speed_mps,hdop"]
    for i in range(t.size):
        lines.append(f"{round((EPOCH_S + t[i]) * 1000)},{lat[i]:.9f},{lon[i]:.9f},"
                     f"{v[i]:.3f},0.8")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def calibration() -> CameraCalibration:
    """The whole 105 x 68 m pitch seen from above, filling the 320x192 frame."""
    h = np.array([[WIDTH / 105.0, 0.0, 0.0],
                  [0.0, -HEIGHT / 68.0, HEIGHT],
                  [0.0, 0.0, 1.0]])
    return CameraCalibration(h, (WIDTH, HEIGHT))


def make_session(folder: Path, *, calibrated: bool = True, seconds: float = DURATION_S) -> Path:
    """Write the session described in the module docstring into ``folder``; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "imu").mkdir(exist_ok=True)
    (folder / "gps").mkdir(exist_ok=True)
    n_frames = round((seconds - VIDEO_START_S) * FPS)
    with H264Writer(folder / "video.mp4", WIDTH, HEIGHT, FPS, crf=18, gop=FPS) as writer:
        for i in range(n_frames):
            writer.write(frame_pattern(i))
    geo = GeoToPitch.from_origin_heading(ORIGIN, 90.0)
    t_imu = np.arange(0.0, seconds, 0.01)
    t_gps = np.arange(0.0, seconds, 0.1)
    for k, (pid, path_fn) in enumerate((("p1", p1_xy), ("p2", p2_xy))):
        _write_imu(folder / "imu" / f"{pid}.csv", t_imu, seed=k)
        _write_gps(folder / "gps" / f"{pid}.csv", t_gps, path_fn(t_gps), geo)
    session = Session(
        name="gui-test", root=folder,
        pitch=Pitch(105.0, 68.0, origin_lonlat=ORIGIN, heading_deg=90.0),
        video=VideoRef("video.mp4", VIDEO_START_S),
        calibration=calibration() if calibrated else None,
        players=[Player("p1", "Ana", 7, "A", imu="imu/p1.csv", gps="gps/p1.csv"),
                 Player("p2", "Ben", 10, "B", imu="imu/p2.csv", gps="gps/p2.csv")],
        synthetic=True,
    )
    write_manifest(session, folder)
    return folder


def make_events(seconds: float = DURATION_S) -> list[Event]:
    """Two players' events covering the session in 1 s pieces (p1) and 1.5 s pieces (p2),
    cycling through actions and tactics, with qualities 30..90 and modality attention."""
    events: list[Event] = []
    actions = list(Action)
    tactics = list(Tactic)
    for pid, length, offset in (("p1", 1.0, 0), ("p2", 1.5, 5)):
        k = 0
        t = 0.0
        while t + 1e-9 < seconds:
            end = min(t + length, seconds)
            events.append(Event(
                id=f"{pid}-{k}", player_id=pid, start_s=t, end_s=end,
                action=actions[(k + offset) % len(actions)],
                tactic=tactics[(k + offset) % len(tactics)],
                quality=30.0 + (k * 20) % 61, confidence=0.5 + 0.05 * (k % 10),
                modality_attention={"video": 0.5, "imu": 0.3, "position": 0.2}))
            k += 1
            t = end
    return events


def image_index(image) -> int:  # type: ignore[no-untyped-def]
    """The frame index painted into a rendered QImage (:func:`read_pattern` on its pixels)."""

    def rgb_at(x: int, y: int) -> tuple[int, int, int]:
        c = image.pixelColor(x, y)
        return c.red(), c.green(), c.blue()

    return read_pattern(rgb_at)


def results_in(folder: Path) -> list[Path]:
    """The cached analysis results (``result.json``) of a session folder."""
    from footcoach.app.analysis_cache import ANALYSIS_DIR, RESULT_JSON

    return sorted((folder / ANALYSIS_DIR).glob(f"*/{RESULT_JSON}"))
