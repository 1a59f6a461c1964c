"""A writable copy of the bundled demo session (synthetic) without its video, for tests that
change its files (a vest turned, frozen or swapped...)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo-session"


def demo_without_video(tmp_path: Path, name: str = "demo") -> Path:
    """``tmp_path/name``: the demo's manifest, sensors and labels, without its video, its
    ``[video]`` table and any analysis cache."""
    folder = tmp_path / name
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("analysis", "video.mp4"))
    manifest = folder / "session.toml"
    text = manifest.read_text()
    start = text.index("[video]")
    end = text.find("\n[", start + 1)
    manifest.write_text(text[:start] + (text[end + 1:] if end >= 0 else ""))
    return folder


def demo_with_faulty_vests(tmp_path: Path) -> Path:
    """The demo session (no video) with a02's vest stuck on one reading for rows 3000-6999 and
    a03's accelerometer reading no gravity (acc_z zero) for rows 5000-7999."""
    folder = demo_without_video(tmp_path)
    for name, first, last, what in (("a02", 3000, 6999, "frozen"), ("a03", 5000, 7999, "z")):
        path = folder / "imu" / f"{name}.csv"
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
        head, body = rows[0], rows[1:]
        z = head.index("acc_z_g")
        for k in range(first, last + 1):
            if what == "frozen":
                body[k][1:] = body[first - 1][1:]  # times go on, readings stay
            else:
                body[k][z] = "0.0000"
        with path.open("w", newline="") as f:
            csv.writer(f).writerows([head, *body])
    return folder


def demo_with_swapped_vests(tmp_path: Path, *, speed_column: bool = True) -> Path:
    """The demo (no video) with a02's and b03's vests swapped in its manifest; without
    ``speed_column``, every GPS file loses its speed column."""
    folder = demo_without_video(tmp_path)
    manifest = folder / "session.toml"
    text = (manifest.read_text().replace('imu = "imu/a02.csv"', 'imu = "imu/SWAP"')
            .replace('imu = "imu/b03.csv"', 'imu = "imu/a02.csv"')
            .replace('imu = "imu/SWAP"', 'imu = "imu/b03.csv"'))
    manifest.write_text(text)
    if not speed_column:
        for path in (folder / "gps").glob("*.csv"):
            with path.open(newline="") as f:
                rows = list(csv.reader(f))
            drop = rows[0].index("speed_mps")
            with path.open("w", newline="") as f:
                csv.writer(f).writerows([r[:drop] + r[drop + 1:] for r in rows])
    return folder


def demo_with_held_fix(tmp_path: Path) -> Path:
    """The demo (no video) with b02's GPS unit repeating one fix (and speed) for rows 300-699
    (40 s)."""
    folder = demo_without_video(tmp_path)
    path = folder / "gps" / "b02.csv"
    with path.open(newline="") as f:
        head, *body = list(csv.reader(f))
    for row in body[300:700]:
        row[1:] = body[299][1:]
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([head, *body])
    return folder
