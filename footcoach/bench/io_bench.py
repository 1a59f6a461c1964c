"""``footcoach benchmark io``: import + align a 90-minute, 22-player session (100 Hz IMU CSV,
10 Hz GPS CSV in the simulator's vendor-like layouts) and report seconds and peak RSS.

The session is generated once (random-walk players on a 105 x 68 m pitch; synthetic) and cached;
the measurement runs in a fresh subprocess so its peak RSS is the import's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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


def measure(session: Path) -> dict[str, float]:
    """Run import + align in a fresh interpreter; return seconds and peak RSS (MB)."""
    code = (
        "import json, resource, time, sys\n"
        "from footcoach.app.load import load_session\n"
        "from footcoach.app.align import align_session, AlignSettings\n"
        "t0 = time.perf_counter()\n"
        f"loaded = load_session({str(session)!r}, imu='lazy')\n"
        "t1 = time.perf_counter()\n"
        "aligned = align_session(loaded, AlignSettings(estimate_offsets=False))\n"
        "t2 = time.perf_counter()\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'import_s': t1 - t0, 'align_s': t2 - t1, 'total_s': t2 - t0,"
        " 'peak_rss_mb': rss, 'players': len(loaded.imu),"
        " 'imu_rows': sum(len(v) for v in aligned.imu.values())}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(cache: Path, *, players: int = 22, minutes: float = 90.0) -> str:
    t = time.perf_counter()
    generate_session(cache, players=players, minutes=minutes,
                     progress=lambda d, n, m: print(f"\r{m} ({d}/{n})", end="", flush=True))
    gen_s = time.perf_counter() - t
    r = measure(cache)
    lines = [
        f"benchmark io: {players} players x {minutes:g} min, synthetic CSVs in {cache}"
        f" (generated in {gen_s:.0f} s, cached)",
        f"  rows read       IMU {int(r['imu_rows']):,} (100 Hz), GPS {int(r['imu_rows']) // 10:,}",
        f"  import          {r['import_s']:.1f} s",
        f"  clean + align   {r['align_s']:.1f} s",
        f"  total           {r['total_s']:.1f} s   (goal < 10 s)",
        f"  peak RSS        {r['peak_rss_mb']:.0f} MB   (goal < 1024 MB)",
    ]
    return "\n".join(lines)
