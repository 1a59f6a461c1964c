"""``footcoach benchmark io``: import + align a 90-minute, 22-player session (100 Hz IMU CSV,
10 Hz GPS CSV in the simulator's vendor-like layouts) and report wall and CPU seconds, CPU per
stage and peak RSS.

The session is generated once (random-walk players on a 105 x 68 m pitch; synthetic) and cached;
the measurement runs in a fresh subprocess so its peak RSS and CPU time are the import's own.
CPU time (user + system, all threads) is the figure to compare on a shared machine: wall time
also counts the waits for cores other programs hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.domain.geo import GeoToPitch
from footcoach.domain.pitch import Pitch
from footcoach.domain.session import Player, Session
from footcoach.io.manifest import MANIFEST, write_manifest

ORIGIN = (-9.1237, 41.7261)
T0_MS = 1_700_000_000_000


def generate_session(out: Path, *, players: int = 22, minutes: float = 90.0, seed: int = 0,
                     progress: Callable[[int, int, str], None] | None = None) -> Path:
    """Write a synthetic session of ``players`` IMU + GPS CSVs (skipped when already there)."""
    if (out / MANIFEST).exists():
        return out
    rng = np.random.default_rng(seed)
    pitch = Pitch(105.0, 68.0, origin_lonlat=ORIGIN, heading_deg=90.0)
    geo = GeoToPitch.from_origin_heading(ORIGIN, 90.0)
    (out / "imu").mkdir(parents=True, exist_ok=True)
    (out / "gps").mkdir(exist_ok=True)
    session = Session(name=f"benchmark {players}p {minutes:g}min (synthetic)", root=out,
                      pitch=pitch, synthetic=True)
    n_gps = int(minutes * 60 * 10)
    for i in range(players):
        pid = f"p{i + 1:02d}"
        xy = _walk(rng, n_gps)
        lon, lat = geo.to_lonlat(xy[:, 0], xy[:, 1])
        t_gps = T0_MS + np.arange(n_gps) * 100
        speed = np.r_[0, np.hypot(*np.diff(xy, axis=0).T) * 10]
        _write(out / "gps" / f"{pid}.csv", "unix_time_ms,latitude,longitude,speed_mps,hdop",
               np.c_[t_gps, lat, lon, speed, np.full(n_gps, 0.8)], "%d,%.8f,%.8f,%.2f,%.1f")
        n_imu = n_gps * 10
        t_imu = T0_MS + np.arange(n_imu) * 10
        acc = rng.normal(0, 0.3, (n_imu, 3)) + np.array([0.0, 0.0, 1.0])
        gyro = rng.normal(0, 40, (n_imu, 3))
        mag = rng.normal(0, 1, (n_imu, 3)) + np.array([20.0, 0.0, -40.0])
        _write(out / "imu" / f"{pid}.csv",
               "unix_time_ms,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps,"
               "mag_x_uT,mag_y_uT,mag_z_uT", np.c_[t_imu, acc, gyro, mag],
               "%d" + ",%.4f" * 3 + ",%.2f" * 3 + ",%.1f" * 3)
        session.players.append(Player(pid, pid, i + 1, "A" if i < players // 2 else "B",
                                      imu=f"imu/{pid}.csv", gps=f"gps/{pid}.csv"))
        if progress:
            progress(i + 1, players, f"generated {pid}")
    write_manifest(session, out)
    return out


def _walk(rng: np.random.Generator, n: int) -> np.ndarray:
    """A smooth random walk at 10 Hz kept on the pitch, (n, 2) metres."""
    acc = rng.normal(0, 1.5, (n, 2))
    v = np.zeros((n, 2))
    for k in range(1, n):  # n = 54k: a plain loop is fine for a one-off generator
        v[k] = 0.97 * v[k - 1] + 0.1 * acc[k]
    size = np.array([105.0, 68.0])
    xy = np.cumsum(v * 0.1, axis=0) + size / 2
    return size - np.abs(size - np.mod(xy, 2 * size))  # reflect at the touchlines


def _write(path: Path, header: str, rows: np.ndarray, fmt: str) -> None:
    np.savetxt(path, rows, fmt=fmt, delimiter=",", header=header, comments="")


_MEASURE = """\
import json, resource, time
from footcoach.bench.memory import peak_rss_mb
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
w0, c0 = time.perf_counter(), cpu()
from footcoach.app.load import load_session
from footcoach.app.align import align_session, AlignSettings
loaded = load_session({session!r}, imu='lazy')
w1, c1 = time.perf_counter(), cpu()
aligned = align_session(loaded, AlignSettings(estimate_offsets=False))
w2, c2 = time.perf_counter(), cpu()
print(json.dumps({{'import_s': w1 - w0, 'align_s': w2 - w1, 'total_s': w2 - w0,
    'import_cpu_s': c1 - c0, 'align_cpu_s': c2 - c1, 'total_cpu_s': c2 - c0,
    'peak_rss_mb': peak_rss_mb(),
    'players': len(aligned.imu), 'imu_rows': sum(len(v) for v in aligned.imu.values()),
    'gps_rows': sum(len(v) for v in aligned.gps.values()), 'stages': aligned.stage_cpu_s}}))
"""


def measure(session: Path) -> dict[str, Any]:
    """Run import + align in a fresh interpreter. Returns wall seconds (``import_s``,
    ``align_s``, ``total_s``), CPU seconds of the process, all threads (``import_cpu_s``,
    ``align_cpu_s``, ``total_cpu_s``; the import includes starting Python and loading the
    modules), ``stages`` (CPU seconds per alignment stage, see ``AlignedSession.stage_cpu_s``),
    row counts and the peak RSS (MB)."""
    code = _MEASURE.format(session=str(session))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(cache: Path, *, players: int = 22, minutes: float = 90.0) -> str:
    t = time.perf_counter()
    generate_session(cache, players=players, minutes=minutes,
                     progress=lambda d, n, m: print(f"\r{m} ({d}/{n})", end="", flush=True))
    gen_s = time.perf_counter() - t
    r = measure(cache)
    stages: dict[str, float] = r["stages"]
    others = r["align_cpu_s"] - sum(stages.values())
    lines = [
        f"benchmark io: {players} players x {minutes:g} min, synthetic CSVs in {cache}"
        f" (generated in {gen_s:.0f} s, cached)",
        f"  rows read       IMU {int(r['imu_rows']):,} (100 Hz), GPS {int(r['gps_rows']):,}",
        "                  wall      CPU (user + system, all threads)",
        f"  import          {r['import_s']:5.1f} s  {r['import_cpu_s']:5.1f} s"
        "   (Python start, modules, GPS files)",
        f"  clean + align   {r['align_s']:5.1f} s  {r['align_cpu_s']:5.1f} s",
        *(f"    {stage:<14}          {seconds:5.1f} s" for stage, seconds in stages.items()),
        f"    {'parser threads':<14}          {max(others, 0.0):5.1f} s"
        "   (CSV parsing outside the worker threads)",
        f"  total           {r['total_s']:5.1f} s  {r['total_cpu_s']:5.1f} s   (goal < 10 s wall)",
        f"  peak RSS        {r['peak_rss_mb']:.0f} MB   (goal < 1024 MB)",
        f"  {os.cpu_count()} CPU cores; wall time counts waits for cores other programs use",
    ]
    return "\n".join(lines)
