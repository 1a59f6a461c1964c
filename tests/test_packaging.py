"""The packaged app (packaging/): fast checks that need no PyInstaller build.

* The spec names the CLI entry and bundles the model and the demo session (without its analysis
  cache) at the places the app looks for them under ``sys._MEIPASS``; it excludes torch and the
  ONNX export tools but keeps what the app loads at run time.
* The app analyses through ONNX Runtime without torch: the CLI runs in a subprocess where torch
  cannot be imported, ``analyze --engine auto`` picks onnx; the review app starts and quits
  (hidden ``gui --quit-after``) there too.

The real bundle is built and launched by packaging/smoke.sh (minutes, not part of the suite).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from footcoach.io.manifest import read_manifest, write_manifest

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "packaging" / "footcoach.spec"
DEMO = REPO / "resources" / "demo-session"
PYINSTALLER_CALLS = {"collect_submodules", "Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"}
NO_TORCH = ("import sys\n"
            "sys.modules.update({'torch': None, 'torchvision': None})\n"
            "from footcoach.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))\n")


# ------------------------------------------------------------------------------ the spec
def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _calls(tree: ast.Module, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name) and n.func.id == name]


def _is_pyinstaller_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").startswith("PyInstaller")
    if isinstance(node, ast.Assign):
        if not all(isinstance(t, ast.Name) for t in node.targets):
            return True  # a.binaries = ... (needs the Analysis)
        call = node.value
        return (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id in PYINSTALLER_CALLS)
    return not isinstance(node, ast.Import | ast.FunctionDef)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The spec's own definitions (paths, data lists, excludes, filters), executed without
    PyInstaller: every statement that builds the bundle is left out."""
    tree = _spec_tree()
    body = [n for n in tree.body if not _is_pyinstaller_statement(n)]
    ns: dict[str, Any] = {"SPECPATH": str(SPEC.parent), "__name__": "footcoach_spec"}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(SPEC), "exec"), ns)
    return ns


def test_spec_builds_the_cli_entry_as_the_footcoach_binary(spec: dict[str, Any]) -> None:
    tree = _spec_tree()
    (analysis,) = _calls(tree, "Analysis")
    assert ast.unparse(analysis.args[0]) == "[str(ENTRY)]"
    entry = spec["ENTRY"]
    assert entry.is_file()
    entry_tree = ast.parse(entry.read_text(encoding="utf-8"))
    imports = {(n.module, a.name) for n in ast.walk(entry_tree)
               if isinstance(n, ast.ImportFrom) for a in n.names}
    assert ("footcoach.cli.main", "main") in imports
    for call in _calls(tree, "EXE") + _calls(tree, "COLLECT"):
        names = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg == "name"}
        assert names == {"name": "footcoach"}
    keywords = {k.arg: ast.unparse(k.value) for k in analysis.keywords}
    assert keywords["datas"] == "model_datas() + demo_datas()"
    assert keywords["excludes"] == "EXCLUDES"
    assert keywords["hiddenimports"] == "HIDDEN"  # the cmd_* modules are imported by name


def test_spec_bundles_the_model_files(spec: dict[str, Any]) -> None:
    datas = spec["model_datas"]()
    assert {d for _, d in datas} == {"models"}
    names = {Path(s).name for s, _ in datas}
    assert {"footcoach_encoder.onnx", "footcoach_head.onnx", "footcoach_model.json",
            "footcoach_model.safetensors"} <= names
    assert all(Path(s).is_file() for s, _ in datas)
    team = REPO / "models" / "team_tactic.json"
    if team.is_file():  # the team model and every member of an ensemble
        doc = json.loads(team.read_text())
        assert {"team_tactic.json", doc["weights"],
                *(m["weights"] for m in doc.get("members") or [])} <= names


def test_spec_bundles_the_members_of_a_team_model_ensemble(spec: dict[str, Any],
                                                          tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(REPO / "models", models, ignore=shutil.ignore_patterns("metrics"))
    for k in (1, 2):
        (models / f"team_tactic_{k}.safetensors").write_bytes(b"\0")
    model_datas = types.FunctionType(spec["model_datas"].__code__, dict(spec, MODELS=models))
    names = {Path(s).name for s, _ in model_datas()}
    assert {"team_tactic_1.safetensors", "team_tactic_2.safetensors"} <= names


def test_spec_bundles_the_demo_session_without_its_outputs(spec: dict[str, Any],
                                                           tmp_path: Path) -> None:
    demo = tmp_path / "demo-session"
    shutil.copytree(DEMO, demo, ignore=shutil.ignore_patterns("video.mp4"))
    (demo / "video.mp4").write_bytes(b"\0")
    (demo / "analysis" / "0123" / "proxy").mkdir(parents=True)
    (demo / "analysis" / "0123" / "result.json").write_text("{}")
    (demo / "annotations.json").write_text("{}")
    demo_datas = types.FunctionType(spec["demo_datas"].__code__, dict(spec, DEMO=demo))
    datas = demo_datas()
    rel = {(Path(s).relative_to(demo).as_posix(), d) for s, d in datas}
    assert ("session.toml", "resources/demo-session") in rel
    assert ("video.mp4", "resources/demo-session") in rel
    assert ("imu/a02.csv", "resources/demo-session/imu") in rel
    assert not [r for r, _ in rel if r.startswith("analysis") or r == "annotations.json"]


def test_bundle_layout_is_where_the_app_looks_when_frozen(spec: dict[str, Any], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Lay out the spec's data files as PyInstaller does (under sys._MEIPASS): the app finds
    the model and a complete demo session there, not the ones in the checkout."""
    from footcoach.app.engines import default_model_dir, require_model
    from footcoach.cli.cmd_synth import demo_session_path

    bundle = tmp_path / "_internal"
    for src, dest in spec["model_datas"]() + spec["demo_datas"]():
        (bundle / dest).mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, bundle / dest / Path(src).name)
        except OSError:
            shutil.copy2(src, bundle / dest)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert default_model_dir() == bundle / "models"
    assert require_model(None).sha256
    demo = demo_session_path()
    assert demo == bundle / "resources" / "demo-session"
    session = read_manifest(demo, check_files=True)  # every file the manifest names is there
    assert session.synthetic and len(session.players) == 10
    assert not (demo / "analysis").exists()


def test_spec_excludes_torch_and_keeps_what_the_app_loads(spec: dict[str, Any]) -> None:
    excludes = set(spec["EXCLUDES"])
    assert {"torch", "torchvision", "onnx", "onnxscript", "pytest"} <= excludes
    # run-time needs (each of these broke the bundle once when excluded)
    needed = {"onnxruntime", "av", "h5py", "cv2", "scipy", "scipy.optimize._highspy",
              "pyarrow", "pyarrow.csv", "pyarrow.compute", "PySide6.QtOpenGL", "PySide6.QtSvg",
              "PySide6.QtWidgets", "pyqtgraph", "kloppy", "openpyxl", "safetensors"}
    assert not needed & excludes
    keep = spec["keep"]
    for dropped in ("pyarrow/libarrow_flight.so.2600", "pyarrow/arrow_flight.dll",
                    "pyarrow/lib.pyx", "pyarrow/include/arrow/api.h",
                    "PySide6/Qt/translations/qtbase_de.qm"):
        assert not keep(dropped), dropped
    for kept in ("pyarrow/libarrow.so.2600", "pyarrow/libparquet.so.2600",
                 "pyarrow/libarrow_python.so.2600", "pyarrow/_csv.cpython-311-x86_64-linux-gnu.so",
                 "PySide6/Qt/plugins/platforms/libqoffscreen.so", "models/footcoach_head.onnx",
                 "resources/demo-session/video.mp4", "cv2/cv2.abi3.so"):
        assert keep(kept), kept


# ----------------------------------------------------------------------- without torch
@pytest.fixture(scope="module")
def small_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo session (synthetic) cut to 2 players per team, IMU + GPS, no video."""
    folder = tmp_path_factory.mktemp("packaging") / "small"
    session = read_manifest(DEMO)
    players = ([p for p in session.players if p.team == "A"][:2]
               + [p for p in session.players if p.team == "B"][:2])
    for p in players:
        for rel in (p.imu, p.gps):
            assert rel is not None
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(DEMO / rel, folder / rel)
    write_manifest(dataclasses.replace(session, players=players, video=None, calibration=None,
                                       root=folder), folder)
    return folder


def _isolated_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True, exist_ok=True)
    return dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                XDG_CACHE_HOME=str(home / ".cache"), QT_QPA_PLATFORM="offscreen",
                PYTHONPATH=str(REPO))


def test_cli_analyses_with_onnx_when_torch_is_missing(small_session: Path,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "events.json"
    run = subprocess.run([sys.executable, "-c", NO_TORCH, "analyze", str(small_session),
                          "--engine", "auto", "--out", str(out)],
                         capture_output=True, text=True, env=_isolated_env(tmp_path),
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    head = run.stdout.splitlines()[0]
    assert "4 players" in head and "(onnx on " in head, head
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["events"]) > 0
    assert {e["player_id"] for e in doc["events"]} <= {"a02", "a03", "b02", "b03"}


def test_gui_opens_and_quits_after_the_given_time_without_torch(small_session: Path,
                                                                tmp_path: Path) -> None:
    env = _isolated_env(tmp_path)
    ok = subprocess.Popen([sys.executable, "-c", NO_TORCH, "gui", str(small_session),
                           "--quit-after", "0.5"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env)
    bad = subprocess.Popen([sys.executable, "-c", NO_TORCH, "gui", str(tmp_path / "nowhere"),
                            "--quit-after", "0.5"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env)
    _, ok_err = ok.communicate(timeout=120)
    _, bad_err = bad.communicate(timeout=120)
    assert ok.returncode == 0, ok_err[-2000:]
    assert bad.returncode == 1  # the error the window showed is the exit status and on stderr
    assert "no session.toml" in bad_err


def test_training_commands_say_that_torch_is_missing(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", NO_TORCH, "train", str(tmp_path / "d.h5"),
                          "--out", str(tmp_path / "model")], capture_output=True, text=True,
                         env=_isolated_env(tmp_path), timeout=60)
    assert run.returncode == 2
    assert "`footcoach train` needs torch" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "model").exists()
