"""Shared test setup: offscreen Qt, the real public data folder, small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]


def _shared_data() -> Path | None:
    candidates = [os.environ.get("FOOTCOACH_SHARED_DATA"), REPO.parent / "shared" / "data",
                  Path("/work/shared/data")]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return None


SHARED_DATA = _shared_data()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: real public football data (see each folder's SOURCE.md)."""
    if SHARED_DATA is None:
        pytest.skip("real data folder ../shared/data not found (set FOOTCOACH_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def analysed_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled demo session (resources/demo-session, synthetic) analysed once per
    test run with the bundled model on ONNX Runtime (the repository ships no analysis cache).
    Read-only: tests that write copy it (``shutil.copytree``; the cache stays valid on copies).
    """
    import shutil

    from footcoach.app.analyze import run_analysis

    dst = tmp_path_factory.mktemp("analysed") / "demo-session"
    shutil.copytree(REPO / "resources" / "demo-session", dst,
                    ignore=shutil.ignore_patterns("analysis"))
    run_analysis(dst, engine="onnx", device="cpu")
    return dst
