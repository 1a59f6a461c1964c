"""The layering rule: domain/io/sync/analysis/synth know nothing of torch or Qt; only ml imports
torch, only gui imports Qt; nothing imports gui except the CLI's gui command."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "footcoach"
QT = ("PySide6", "pyqtgraph", "shiboken6")
TORCH = ("torch", "torchvision", "onnxruntime")
PURE = ("domain", "io", "sync", "analysis", "synth", "app", "export")


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mods: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.add(node.module)
    return mods


@pytest.mark.parametrize("layer", PURE)
def test_pure_layers_import_neither_torch_nor_qt(layer: str) -> None:
    offenders = []
    for path in sorted((PKG / layer).rglob("*.py")):
        bad = imported_roots(path) & set(QT + TORCH)
        if bad:
            offenders.append(f"{path.relative_to(PKG)}: {sorted(bad)}")
    assert not offenders, "layering broken:\n" + "\n".join(offenders)


def test_only_ml_imports_torch_and_only_gui_imports_qt() -> None:
    offenders = []
    for path in sorted(PKG.rglob("*.py")):
        layer = path.relative_to(PKG).parts[0]
        roots = imported_roots(path)
        if roots & set(TORCH) - {"onnxruntime"} and layer != "ml":
            offenders.append(f"{path.relative_to(PKG)} imports torch")
        if roots & set(QT) and layer != "gui":
            offenders.append(f"{path.relative_to(PKG)} imports Qt")
        gui_users = {m for m in imported_modules(path) if m.startswith("footcoach.gui")}
        if gui_users and layer not in ("gui", "cli"):
            offenders.append(f"{path.relative_to(PKG)} imports the gui package")
    assert not offenders, "\n".join(offenders)


def test_importing_the_data_layers_loads_no_torch_or_qt() -> None:
    code = (
        "import sys, importlib, pkgutil, footcoach\n"
        "for layer in ('domain', 'io', 'sync', 'analysis'):\n"
        "    pkg = importlib.import_module('footcoach.' + layer)\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
