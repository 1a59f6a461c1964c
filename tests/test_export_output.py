"""footcoach/export/output.py: overwrite guard, atomic replacement, and clear one-line errors for
unwritable folders, full disks (a real 64 KiB tmpfs) and file-size limits (RLIMIT_FSIZE)."""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from footcoach.cli.main import main
from footcoach.errors import FootcoachError
from footcoach.export.output import (
    atomic_output,
    check_output,
    describe_os_error,
    write_bytes,
    write_text,
)

REPO = Path(__file__).resolve().parents[1]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _mount_tmpfs(where: Path, options: str) -> bool:
    if not IS_ROOT or shutil.which("mount") is None:
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True, check=False)
    return done.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], capture_output=True, check=False)


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (root only; skipped elsewhere)."""
    where = tmp_path / "tiny"
    if not _mount_tmpfs(where, "size=64k"):
        pytest.skip("needs root and a mountable tmpfs")
    try:
        yield where
    finally:
        _umount(where)


@pytest.fixture(scope="module")
def demo(analysed_demo: Path) -> Path:
    return analysed_demo


def _leftovers(folder: Path, name: str) -> list[str]:
    """Temporary files of ``name`` left in ``folder``."""
    return [p.name for p in folder.iterdir() if p.name.startswith(f".{name}.")]


# ------------------------------------------------------------------------ check_output
def test_check_output_guards(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    assert check_output(target) == target
    target.write_text("x")
    with pytest.raises(FootcoachError, match="--force"):
        check_output(target)
    assert check_output(target, force=True) == target
    with pytest.raises(FootcoachError, match="is a folder"):
        check_output(tmp_path, force=True)
    with pytest.raises(FootcoachError, match="does not exist") as info:
        check_output(tmp_path / "missing" / "a.csv")
    assert str(info.value).startswith(str(tmp_path / "missing" / "a.csv"))


def test_check_output_unwritable_folder(tmp_path: Path) -> None:
    if IS_ROOT:  # root ignores permission bits: use a read-only file system instead
        locked = tmp_path / "ro"
        if not _mount_tmpfs(locked, "ro,size=64k"):
            pytest.skip("cannot mount a read-only tmpfs")
        try:
            with pytest.raises(FootcoachError, match=r"read-only file system"):
                write_text(locked / "a.csv", "x")
        finally:
            _umount(locked)
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        try:
            with pytest.raises(FootcoachError, match=r"permission denied"):
                write_text(locked / "a.csv", "x")
        finally:
            locked.chmod(0o700)


# ----------------------------------------------------------------------- atomic_output
def test_atomic_output_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    target.chmod(0o600)
    with pytest.raises(RuntimeError), atomic_output(target, force=True) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old" and _leftovers(tmp_path, "r.json") == []
    with pytest.raises(KeyboardInterrupt), atomic_output(target, force=True) as tmp:  # cancel
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old" and _leftovers(tmp_path, "r.json") == []
    with atomic_output(target, force=True) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"  # not replaced before the writer is done
    assert target.read_text() == "new" and _leftovers(tmp_path, "r.json") == []
    assert target.stat().st_mode & 0o777 == 0o600  # a replaced file keeps its permissions


def test_atomic_output_refuses_empty_and_existing(tmp_path: Path) -> None:
    target = tmp_path / "e.csv"
    with pytest.raises(FootcoachError, match="no data"), atomic_output(target):
        pass
    assert not target.exists() and _leftovers(tmp_path, "e.csv") == []
    write_bytes(target, b"1")
    with pytest.raises(FootcoachError, match="exists"):
        write_bytes(target, b"2")
    write_bytes(target, b"2", force=True)
    assert target.read_bytes() == b"2"
    assert (tmp_path / "e.csv").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(("code", "words"), [
    (errno.ENOSPC, "disk full"), (errno.EDQUOT, "quota"), (errno.EFBIG, "too large"),
    (errno.EACCES, "permission denied"), (errno.EROFS, "read-only"),
])
def test_describe_os_error(code: int, words: str) -> None:
    assert words in describe_os_error(OSError(code, os.strerror(code)))


# -------------------------------------------------------------------- full disk, size limit
def test_disk_full_for_real(tiny_fs: Path) -> None:
    target = tiny_fs / "big.bin"
    target.write_bytes(b"old")
    with pytest.raises(FootcoachError, match="disk full") as info:
        write_bytes(target, b"x" * 200_000, force=True)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(target))
    assert target.read_bytes() == b"old"
    assert _leftovers(tiny_fs, "big.bin") == []


def test_cli_export_disk_full(demo: Path, tiny_fs: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tiny_fs / "all.json"  # the JSON export of the demo is ~170 KB
    assert main(["export", str(demo), "--format", "json", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "disk full" in err and str(out) in err
    assert sorted(p.name for p in tiny_fs.iterdir()) == []


def _limit_file_size() -> None:  # runs in the child before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16_000, 16_000))


def test_cli_export_file_too_large(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"  # ~35 KB of events: more than the 16 KB limit
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "footcoach.cli.main", "export", str(demo), "--format", "csv",
         "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        preexec_fn=_limit_file_size, check=False)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "file too large" in lines[0] and str(out) in lines[0]
    assert not out.exists() and _leftovers(tmp_path, "events.csv") == []
