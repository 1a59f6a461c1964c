"""Loading and aligning a whole session: one lattice per modality, lazy == eager, manifest
offsets applied, `footcoach check` / `metrics` on IMU + GPS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from footcoach.app.align import align_session
from footcoach.app.load import load_session
from footcoach.bench.io_bench import generate_session
from footcoach.cli.main import main
from footcoach.io.manifest import read_manifest, write_manifest


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_session(tmp_path_factory.mktemp("s") / "bench", players=2, minutes=1.5)


def test_lazy_and_eager_alignment_agree_on_one_lattice(session: Path) -> None:
    eager = align_session(load_session(session))
    lazy = align_session(load_session(session, imu="lazy"))
    assert sorted(eager.imu) == sorted(lazy.imu) == ["p01", "p02"]
    for pid in eager.imu:
        np.testing.assert_array_equal(eager.imu[pid].t, lazy.imu[pid].t)
        np.testing.assert_array_equal(eager.imu[pid].values, lazy.imu[pid].values)
        assert eager.imu[pid].values.dtype == np.float32
        k = eager.imu[pid].t * 100
        np.testing.assert_allclose(k, np.rint(k), atol=1e-6)
        g = eager.gps[pid].t * 10
        np.testing.assert_allclose(g, np.rint(g), atol=1e-6)
    assert len(eager.quality.rows) == 4
    assert eager.time_range[1] - eager.time_range[0] == pytest.approx(90.0, abs=0.2)


def test_manifest_offset_shifts_the_stream(session: Path, tmp_path: Path) -> None:
    base = align_session(load_session(session))
    s = read_manifest(session)
    s.player("p01").imu_offset_s = 0.5
    s.root = session
    write_manifest(s, session)
    try:
        shifted = align_session(load_session(session))
    finally:
        s.player("p01").imu_offset_s = 0.0
        write_manifest(s, session)
    a, b = base.imu["p01"], shifted.imu["p01"]
    assert b.t[0] == pytest.approx(a.t[0] + 0.5, abs=1e-9)
    np.testing.assert_allclose(a.values[100:200], b.values[100:200], atol=1e-5)


def test_check_and_metrics_commands(session: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(session)]) == 0
    out = capsys.readouterr().out
    assert "[synthetic data]" in out
    assert "IMU-GPS clock offset estimates" in out
    for line in ("imu      p01", "gps      p02"):
        assert line in out
    csv = session.parent / "m.csv"
    assert main(["metrics", str(session), "--csv", str(csv), "--period", "first=0-45"]) == 0
    text = csv.read_text().splitlines()
    assert len(text) == 3 and "player_load" in text[0]
    row = dict(zip(text[0].split(","), text[1].split(","), strict=True))
    assert float(row["player_load"]) > 0 and float(row["distance_m"]) > 0
