"""A writable copy of the bundled demo session (synthetic) without its video, for tests that
change its files (a vest turned, frozen or swapped...)."""

from __future__ import annotations

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
