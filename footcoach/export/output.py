"""Where every export lands: never overwrite without permission, write atomically, and turn
full disks and unwritable paths into one clear :class:`FootcoachError`.

Writers that stream (a clip, a PDF) use :func:`atomic_output`: they write to a hidden temporary
file beside the target, which replaces the target only when the writer finished; on an error or
a cancel the temporary file is removed and an existing target is left as it was.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from footcoach.errors import FootcoachError


def check_output(path: str | Path, *, force: bool = False) -> Path:
    """Validate an export target before any work is done.

    Raises FootcoachError when ``path`` exists and ``force`` is False, is a folder, or its
    folder is missing or not writable. Returns the path.
    """
    path = Path(path)
    if path.is_dir():
        raise FootcoachError("is a folder; give a file name", path)
    if path.exists() and not force:
        raise FootcoachError("exists; pass --force to overwrite it", path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FootcoachError(f"folder {parent} does not exist", path)
    if not os.access(parent, os.W_OK | os.X_OK):
        reason = "read-only file system" if _read_only(parent) else "permission denied"
        raise FootcoachError(f"cannot write in folder {parent} ({reason})", path)
    return path


def _read_only(folder: Path) -> bool:
    """True when ``folder`` lies on a file system mounted read-only."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def describe_os_error(exc: OSError) -> str:
    """A short human reason for an OSError raised while writing an export."""
    if exc.errno == errno.ENOSPC:
        return "disk full (no space left on device); nothing was written"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded; nothing was written"
    if exc.errno == errno.EFBIG:
        return "file too large for this file system or limit; nothing was written"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    return exc.strerror or str(exc)


@contextmanager
def atomic_output(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Context manager yielding a temporary path beside ``path`` to write the export to.

    On normal exit the temporary file is fsynced and renamed over ``path``; on any exception
    (a cancel included) it is deleted and ``path`` is untouched. OSErrors (disk full,
    permissions) become FootcoachError naming ``path``.
    """
    path = check_output(path, force=force)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{path.suffix}",
                                        dir=path.parent)
    except OSError as exc:
        raise FootcoachError(f"cannot write: {describe_os_error(exc)}", path) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise FootcoachError("the writer produced no data", path)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # a replaced file keeps its permissions (a private 0600 file stays private)
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise FootcoachError(f"cannot write: {describe_os_error(exc)}", path) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes, *, force: bool = False) -> Path:
    """Write a small export (CSV, JSON, XML) in one go, atomically; returns the path."""
    path = Path(path)
    with atomic_output(path, force=force) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise FootcoachError(f"cannot write: {describe_os_error(exc)}", path) from None
    return path


def write_text(path: str | Path, text: str, *, force: bool = False) -> Path:
    """:func:`write_bytes` of UTF-8 text."""
    return write_bytes(path, text.encode("utf-8"), force=force)
