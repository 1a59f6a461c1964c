"""benchmarks/sensor_faults.py: the broken vests it writes (never through a link into the
original session) and, end to end on the demo session with the bundled model, its table."""

from __future__ import annotations

import csv
import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from demo_copy import demo_without_video

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import sensor_faults as sf  # noqa: E402

DEMO = ROOT / "resources" / "demo-session"


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / "imu").glob("*.csv"))}


@pytest.mark.parametrize("kind", sf.FAULTS)
def test_a_broken_vest_replaces_the_link_and_leaves_its_target(tmp_path: Path, kind: str) -> None:
    stream = "gps" if kind.startswith("gps") else "imu"
    original = tmp_path / "a02.csv"
    shutil.copy(DEMO / stream / "a02.csv", original)
    link = tmp_path / "copy.csv"
    link.symlink_to(original)
    sf.break_vest(link, kind, 100, 299)
    assert not link.is_symlink() and _rows(original) == _rows(DEMO / stream / "a02.csv")
    head, *before = _rows(original)
    _, *after = _rows(link)
    assert [r[0] for r in after] == [r[0] for r in before]  # the times go on
    assert after[:100] == before[:100] and after[300:] == before[300:]
    z = head.index("acc_z_g") if stream == "imu" else -1
    for k, row in enumerate(after[100:300], start=100):
        if kind in ("frozen", "gps-frozen"):
            assert row[1:] == before[99][1:]
        elif kind == "zeros":
            assert all(float(v) == 0.0 for v in row[1:])
        elif kind == "dead-z":
            assert float(row[z]) == 0.0
        elif kind.startswith("gps-drift-"):  # pulled away and back; the speed column kept
            lat, lon = head.index("latitude"), head.index("longitude")
            north = (float(row[lat]) - float(before[k][lat])) * 111_320.0
            east = ((float(row[lon]) - float(before[k][lon])) * 111_320.0
                    * np.cos(np.radians(float(before[k][lat]))))
            size = np.hypot(north, east)
            far = float(kind.rsplit("-", 1)[1])
            if k in (100, 299):
                assert size < 0.05
            elif 140 <= k <= 259:  # 4 s of ramp at 10 Hz either side
                assert size == pytest.approx(far, abs=0.05)
            assert row[head.index("speed_mps")] == before[k][head.index("speed_mps")]
        else:  # slipped: each triad turned about x, its length kept
            angle = np.radians(float(kind.split("-")[1]))
            was = np.array([float(v) for v in before[k][1:4]])
            now = np.array([float(v) for v in row[1:4]])
            assert now[0] == pytest.approx(was[0], abs=1e-4)
            assert np.linalg.norm(now) == pytest.approx(np.linalg.norm(was), abs=2e-4)
            assert now[2] == pytest.approx(np.sin(angle) * was[1] + np.cos(angle) * was[2],
                                           abs=2e-4)
    if kind == "dead-z":
        assert [r[:z] for r in after[100:300]] == [r[:z] for r in before[100:300]]


def test_the_table_on_the_demo_session(tmp_path: Path) -> None:
    if not (ROOT / "models" / "footcoach_model.json").is_file():
        pytest.skip("no bundled model in models/")
    demo = demo_without_video(tmp_path)
    before = _digest(demo)
    report = sf.run([demo], model_dir=None, faults=["frozen", "dead-z"], length_s=20.0, seed=0,
                    per_action=True)
    assert _digest(demo) == before  # the session itself is never touched
    rows = {tuple(c.strip() for c in line.strip("|").split("|")[:2]):
            [c.strip() for c in line.strip("|").split("|")[2:]]
            for line in report.splitlines() if line.startswith("| frozen") or
            line.startswith("| dead-z")}
    assert len(rows) == 8
    assert "frozen, per true action:" in report and "| running | " in report
    assert float(rows[("frozen", "as the app does it")][4]) < 0.1  # the vest set aside
    assert float(rows[("frozen", "without the check")][4]) > 0.1
    cells = int(rows[("frozen", "the session without the fault")][0])
    assert 10 * 35 <= cells <= 10 * 41  # ten vests, 20 s each, 0.5-s steps
    app, aside = rows[("frozen", "as the app does it")], rows[("frozen", "every fault set aside")]
    assert app == aside != rows[("frozen", "without the check")]
    assert rows[("dead-z", "as the app does it")] == rows[("dead-z", "without the check")]
    last = report.splitlines()[-1]
    assert last.startswith("sensor faults: frozen app ") and "; dead-z app " in last
    assert np.isclose(float(last.split("frozen app ")[1].split("%")[0]),
                      float(app[1].rstrip("%")))


def test_fault_names_on_the_command_line() -> None:
    import argparse

    assert sf.fault_kind("gps-frozen") == "gps-frozen"
    assert sf.fault_kind("slipped-30") == "slipped-30"
    assert sf.fault_kind("gps-drift-7.5") == "gps-drift-7.5"
    assert sf.fault_kind("slipped-60-z") == "slipped-60-z"
    for bad in ("slipped-x", "slipped-0", "slipped-200", "slipped-60-w", "gps-drift-0",
                "gps-drift-500",
                "melted"):
        with pytest.raises(argparse.ArgumentTypeError):
            sf.fault_kind(bad)


@pytest.mark.parametrize("axis", ["y", "z"])
def test_a_vest_slips_about_its_other_axes(tmp_path: Path, axis: str) -> None:
    path = tmp_path / "a02.csv"
    shutil.copy(DEMO / "imu" / "a02.csv", path)
    _, *before = _rows(path)
    sf.break_vest(path, f"slipped-90-{axis}", 100, 299)
    _, *after = _rows(path)
    kept = "xyz".index(axis)
    for k in (100, 200, 299):
        was = np.array([float(v) for v in before[k][1:4]])
        now = np.array([float(v) for v in after[k][1:4]])
        assert now[kept] == pytest.approx(was[kept], abs=1e-4)  # the axis it turned about
        assert np.linalg.norm(now) == pytest.approx(np.linalg.norm(was), abs=2e-4)
    assert after[99] == before[99] and after[300] == before[300]
