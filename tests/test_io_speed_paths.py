"""The faster import paths give exactly what the plain ones give: memory-mapped files, the
one-pass byte scan, IMU values read into a reused buffer, GPS/IMU files read by several
threads (warnings in file order, the first bad file named)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_io_tabular_fast import FALLBACK, VARIANTS, _careful, _same, _write

from footcoach.app.load import load_session
from footcoach.bench.io_bench import generate_session
from footcoach.errors import FootcoachError
from footcoach.io import tabular_fast
from footcoach.io.imu_csv import read_imu_csv
from footcoach.io.tabular import read_table


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated (synthetic) session: 3 players x 0.5 min, IMU 100 Hz + GPS 10 Hz."""
    return generate_session(tmp_path_factory.mktemp("io") / "s", players=3, minutes=0.5)


@pytest.mark.parametrize("name", sorted(VARIANTS) + sorted(FALLBACK))
def test_memory_mapped_files_give_the_careful_table(tmp_path: Path, name: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / f"{name}.csv", {**VARIANTS, **FALLBACK}[name])
    monkeypatch.setattr(tabular_fast, "MAP_MIN_BYTES", 1)  # every non-empty plain file
    data = tabular_fast.open_data(path)
    try:
        assert not isinstance(data, bytes)
        mapped = tabular_fast.read_table_fast(data, path)
    finally:
        tabular_fast.close_data(data)
    plain = tabular_fast.read_table_fast(tabular_fast.load_bytes(path), path)
    assert (mapped is None) == (plain is None) == (name in FALLBACK)
    _same(read_table(path), _careful(path))


def test_small_gzip_and_missing_files_are_not_mapped(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    small = _write(tmp_path / "small.csv", VARIANTS["plain"])
    assert isinstance(tabular_fast.open_data(small), bytes)
    monkeypatch.setattr(tabular_fast, "MAP_MIN_BYTES", 1)
    text = VARIANTS["long"]
    for name in ("packed.csv", "packed.csv.gz"):  # gzip by its magic bytes or its name
        packed = _write(tmp_path / name, gzip.compress(text))
        assert tabular_fast.open_data(packed) == text
    with pytest.raises(FootcoachError, match="file not found"):
        tabular_fast.open_data(tmp_path / "nope.csv")
    with pytest.raises(FootcoachError, match="the file is empty"):
        read_table(_write(tmp_path / "empty.csv", b""))


def test_one_pass_scan_finds_what_separate_searches_find() -> None:
    rng = np.random.default_rng(3)
    alphabet = np.frombuffer(b"0123456789.,-\n\r\x00\x0b\x0c\x1c\x1d\x1e\x1f(\"ab\xe9", np.uint8)
    for size in (0, 1, 1000, tabular_fast._SCAN_BYTES + 17, 3 * tabular_fast._SCAN_BYTES):
        for density in (0.0, 1e-6, 0.01):
            data = bytearray(rng.choice(alphabet[:14], size).tobytes())
            for pos in rng.integers(0, max(size, 1), int(density * size)):
                data[pos] = int(rng.choice(alphabet))
            raw = bytes(data)
            for start in (0, 3):
                scan = tabular_fast._scan(raw, start)
                assert scan.ascii == raw[start:].isascii()
                for needle in tabular_fast._NEEDLES:
                    assert scan.last[needle] == raw.rfind(needle, start)


def test_imu_values_into_a_reused_buffer(session: Path) -> None:
    path = session / "imu" / "p01.csv"
    plain = read_imu_csv(path)
    buffer = np.full(plain.values.size + 50, 7.0)
    into = read_imu_csv(path, buffer=buffer)
    assert np.shares_memory(into.values, buffer) and into.values.flags.c_contiguous
    np.testing.assert_array_equal(into.values, plain.values)  # gyro converted from deg/s
    assert into.meta["gyro_unit_detected"] == "deg/s"
    small = read_imu_csv(path, buffer=np.empty(10))
    assert not np.shares_memory(small.values, buffer)
    np.testing.assert_array_equal(small.values, plain.values)


def test_parallel_reads_keep_file_order_and_name_the_first_bad_file(session: Path,
                                                                     tmp_path: Path) -> None:
    copy = tmp_path / "s"
    shutil.copytree(session, copy)
    for p in ("p01", "p03"):  # a dropout each: one warning per file
        gps = copy / "gps" / f"{p}.csv"
        lines = gps.read_text().splitlines()
        gps.write_text("\n".join(lines[:50] + lines[80:]) + "\n")
    first = load_session(copy).diagnostics.warnings
    assert [w.split(":")[0] for w in first] == [str(copy / "gps" / f"{p}.csv")
                                                for p in ("p01", "p03")]
    assert load_session(copy).diagnostics.warnings == first  # the same, in the same order
    steps: list[tuple[int, int, str]] = []
    load_session(copy, progress=lambda d, n, m: steps.append((d, n, m)))
    assert steps == [(i + 1, 6, m) for i, m in enumerate(
        ["IMU p01", "GPS p01", "IMU p02", "GPS p02", "IMU p03", "GPS p03"])]
    (copy / "gps" / "p02.csv").write_text("unix_time_ms,latitude\nnot,a,table\n")
    (copy / "imu" / "p03.csv").write_text("garbage\n")
    with pytest.raises(FootcoachError, match=r"gps[/\\]p02\.csv"):
        load_session(copy)
