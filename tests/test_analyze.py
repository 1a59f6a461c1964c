"""Session analysis end to end on a small real session folder and a tiny random model.

The ONNX export takes tens of seconds (torch.export), so the tests that need the ONNX graphs
are marked slow; the others run the torch engine.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gui_fixtures import make_session, results_in

from footcoach.app.analysis_cache import RESULT_JSON, SCHEMA_VERSION, load_cached_result
from footcoach.app.analyze import AnalysisProgress, analyze_session, run_analysis
from footcoach.app.engines import (
    NoModelError,
    OnnxEngine,
    choose_engine,
    inference_threads,
    video_decode_plan,
)
from footcoach.cli.main import main
from footcoach.errors import FootcoachError

torch = pytest.importorskip("torch")

SECONDS = 10.0


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-init model (safetensors + JSON, no ONNX graphs)."""
    from footcoach.ml.config import ModelConfig
    from footcoach.ml.network import FootcoachNet
    from footcoach.ml.weights import save_model

    torch.set_num_threads(2)
    torch.manual_seed(3)
    cfg = ModelConfig.tiny()
    out = tmp_path_factory.mktemp("model")
    save_model(FootcoachNet(cfg).eval(), cfg, out,
               training_info={"data": "none (random init)"}, metrics={})
    return out


@pytest.fixture(scope="module")
def onnx_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same model with its ONNX graphs exported beside it."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from footcoach.ml.onnx_export import export_onnx
    from footcoach.ml.weights import load_model

    out = tmp_path_factory.mktemp("onnx-model")
    shutil.copytree(model_dir, out, dirs_exist_ok=True)
    model, _ = load_model(out)
    export_onnx(model, out)
    return out


@pytest.fixture(scope="module")
def session_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_session(tmp_path_factory.mktemp("tpl") / "s", seconds=SECONDS)


@pytest.fixture()
def session(session_template: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "session"
    shutil.copytree(session_template, dst)
    return dst


def test_generator_yields_progress_then_the_result(session: Path, model_dir: Path) -> None:
    reports = list(analyze_session(session, model_dir=model_dir, engine="torch", device="cpu",
                                   block_steps=8))
    assert all(isinstance(r, AnalysisProgress) for r in reports)
    assert len(reports) >= 5  # load, align, open, 3 blocks, done
    done = [r.done for r in reports]
    assert done == sorted(done) and reports[-1].done == reports[-1].total
    assert all(r.result is None for r in reports[:-1])
    result = reports[-1].result
    assert result is not None and not result.from_cache
    s = result.steps
    n_p, n = len(s.player_ids), s.t.size
    assert s.player_ids == ["p1", "p2"]
    assert s.action_probs.shape == (n_p, n, 12) and s.tactic_probs.shape == (n_p, n, 8)
    assert s.time_attention.shape == (n_p, n, 4) and s.modality_attention.shape == (n_p, n, 3)
    # one window per start: n - W + 1 per player, each on its centre step
    assert result.run["windows"] == n_p * (n - 3) == int(s.valid.sum())
    assert not s.valid[:, :2].any() and not s.valid[:, -1].any()
    probs = s.action_probs[s.valid]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    q = s.quality[s.valid]
    assert ((q >= 0) & (q <= 100)).all()
    assert results_in(session) == [result.path / RESULT_JSON]


def test_events_are_well_formed(session: Path, model_dir: Path) -> None:
    result = run_analysis(session, model_dir=model_dir, engine="torch", device="cpu")
    lo, hi = result.time_range
    assert result.events
    assert len({e.id for e in result.events}) == len(result.events)
    for pid in ("p1", "p2"):
        evs = [e for e in result.events if e.player_id == pid]
        assert evs, pid
        for a, b in itertools.pairwise(evs):
            assert a.end_s <= b.start_s + 1e-9
        for e in evs:
            assert lo - 1e-9 <= e.start_s < e.end_s <= hi + 1e-9
            assert e.source == "model" and e.tactic is not None
            assert 0.0 <= e.confidence <= 1.0
            assert sum(e.modality_attention.values()) == pytest.approx(1.0, abs=1e-4)
            prof = result.time_attention[e.id]
            assert prof.ndim == 1 and prof.sum() == pytest.approx(1.0)
    assert {p.team for p in result.phases} == {"A", "B"}


def test_cache_hit_needs_no_engine_and_input_change_misses(session: Path, model_dir: Path,
                                                          tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    first = run_analysis(session, model_dir=model, engine="torch", device="cpu")
    # without the weights no engine can be opened: only the cache can answer
    (model / "footcoach_model.safetensors").unlink()
    second = run_analysis(session, model_dir=model, engine="torch", device="cpu")
    assert second.from_cache and second.key == first.key
    assert [e.to_dict() for e in second.events] == [e.to_dict() for e in first.events]
    np.testing.assert_array_equal(second.steps.action_probs, first.steps.action_probs)
    for k, v in first.time_attention.items():
        np.testing.assert_allclose(second.time_attention[k], v, rtol=1e-6)
    gui = load_cached_result(session)
    assert gui is not None and gui.key == first.key
    imu = session / "imu" / "p1.csv"
    os.utime(imu, ns=(imu.stat().st_atime_ns, imu.stat().st_mtime_ns + 10**9))
    assert load_cached_result(session) is not None  # touched or copied, same content: a hit
    with open(imu, "ab") as fh:  # an edit
        fh.write(b"\n")
    assert load_cached_result(session) is None
    with pytest.raises(FootcoachError):  # a cache miss now needs the (deleted) weights
        run_analysis(session, model_dir=model, engine="torch", device="cpu")


def test_cancel_stops_early_and_caches_nothing(session: Path, model_dir: Path) -> None:
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    gen = analyze_session(session, model_dir=model_dir, engine="torch", device="cpu",
                          block_steps=4, cancel=cancel)
    with pytest.raises(FootcoachError, match="cancelled"):
        for _ in gen:
            pass
    assert results_in(session) == []
    assert load_cached_result(session) is None


@pytest.mark.slow
def test_torch_and_onnx_agree(session: Path, onnx_model_dir: Path) -> None:
    a = run_analysis(session, model_dir=onnx_model_dir, engine="torch", device="cpu",
                     use_cache=False)
    b = run_analysis(session, model_dir=onnx_model_dir, engine="onnx", device="cpu",
                     use_cache=False)
    assert (a.run["engine"], b.run["engine"]) == ("torch", "onnx")
    np.testing.assert_array_equal(a.steps.valid, b.steps.valid)
    v = a.steps.valid
    for name in ("action_probs", "tactic_probs", "modality_attention", "time_attention"):
        diff = np.abs(getattr(a.steps, name)[v] - getattr(b.steps, name)[v]).max()
        assert diff < 1e-4, name
    assert np.abs(a.steps.quality[v] - b.steps.quality[v]).max() < 1e-2  # points 0-100
    strip = ("quality", "confidence", "modality_attention")
    assert ([{k: x for k, x in e.to_dict().items() if k not in strip} for e in a.events]
            == [{k: x for k, x in e.to_dict().items() if k not in strip} for e in b.events])
    assert [p.to_dict()["tactic"] for p in a.phases] == [p.to_dict()["tactic"] for p in b.phases]


def test_block_size_does_not_change_the_outputs(session: Path, model_dir: Path) -> None:
    small = run_analysis(session, model_dir=model_dir, engine="torch", device="cpu",
                         block_steps=3, batch=16, use_cache=False)
    large = run_analysis(session, model_dir=model_dir, engine="torch", device="cpu",
                         block_steps=64, use_cache=False)
    np.testing.assert_array_equal(small.steps.valid, large.steps.valid)
    v = large.steps.valid
    np.testing.assert_allclose(small.steps.action_probs[v], large.steps.action_probs[v],
                               atol=1e-5)
    np.testing.assert_allclose(small.steps.time_attention[v], large.steps.time_attention[v],
                               atol=1e-5)


def test_decoding_and_crop_threads_do_not_change_the_outputs(session: Path,
                                                             model_dir: Path) -> None:
    one = run_analysis(session, model_dir=model_dir, engine="torch", device="cpu",
                       use_cache=False, decode_threads="SLICE", crop_workers=1)
    three = run_analysis(session, model_dir=model_dir, engine="torch", device="cpu",
                         use_cache=False, decode_threads="AUTO", crop_workers=3)
    assert one.run["video_decode"] == {"threads": "SLICE", "crop_workers": 1}
    assert three.run["video_decode"] == {"threads": "AUTO", "crop_workers": 3}
    np.testing.assert_array_equal(one.steps.valid, three.steps.valid)
    np.testing.assert_array_equal(one.steps.action_probs, three.steps.action_probs)
    assert [e.action for e in one.events] == [e.action for e in three.events]


def test_video_decode_plan_gives_frame_threads_only_to_spare_cores() -> None:
    for device in ("cpu", "cuda"):
        assert video_decode_plan(device, 2) == ("SLICE", 1)  # the engine needs the other core
        assert video_decode_plan(device, 16) == ("AUTO", 1)
    assert video_decode_plan("cpu", 4) == ("SLICE", 1)
    assert video_decode_plan("cuda", 4) == ("AUTO", 1)


@pytest.mark.slow
def test_onnx_analysis_runs_without_torch(session: Path, onnx_model_dir: Path) -> None:
    code = ("import sys\n"
            "from footcoach.app.analyze import run_analysis\n"
            f"r = run_analysis({str(session)!r}, model_dir={str(onnx_model_dir)!r}, engine='auto',"
            " device='cpu', use_cache=False)\n"
            "print(r.run['engine'], 'torch' in sys.modules)\n")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root)
    assert out.stdout.split() == ["onnx", "False"]


def test_engine_choice(model_dir: Path) -> None:
    assert choose_engine(model_dir, "auto", "cpu") == "torch"  # no ONNX graphs here
    assert choose_engine(model_dir, "torch", "cpu") == "torch"
    with pytest.raises(FootcoachError, match="onnx"):
        choose_engine(model_dir, "onnx", "cpu")
    with pytest.raises(FootcoachError):
        choose_engine(model_dir, "tensorflow", "cpu")


def test_graphs_left_by_an_earlier_model_are_not_used(onnx_model_dir: Path,
                                                      tmp_path: Path) -> None:
    from footcoach.ml.config import ModelConfig
    from footcoach.ml.network import FootcoachNet
    from footcoach.ml.weights import save_model

    folder = tmp_path / "model"
    shutil.copytree(onnx_model_dir, folder)
    assert choose_engine(folder, "auto", "cpu") == "onnx"
    cfg = ModelConfig.tiny()  # another model saved into the folder: the graphs are stale
    save_model(FootcoachNet(cfg).eval(), cfg, folder, training_info={}, metrics={})
    assert (folder / "footcoach_head.onnx").is_file()
    assert choose_engine(folder, "auto", "cpu") == "torch"
    with pytest.raises(FootcoachError, match="exported for this model"):
        choose_engine(folder, "onnx", "cpu")


def test_engine_leaves_a_core_to_the_video_decoder(onnx_model_dir: Path) -> None:
    cores = len(os.sched_getaffinity(0))
    assert inference_threads(False) == 0  # the engine's default: every core
    assert inference_threads(True) == max(1, cores - 1)
    engine = OnnxEngine(onnx_model_dir, device="cpu", threads=1)
    opts = engine.runner.sessions["encoder"].get_session_options()
    assert opts.intra_op_num_threads == 1


def test_cli_writes_json_and_csv(session: Path, model_dir: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "events.json"
    assert main(["analyze", str(session), "--model", str(model_dir), "--engine", "torch",
                 "--device", "cpu", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "events per player and action" in text and "mean modality attention" in text
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == SCHEMA_VERSION and doc["events"]
    assert {e["player_id"] for e in doc["events"]} == {"p1", "p2"}
    csv_out = tmp_path / "events.csv"
    assert main(["analyze", str(session), "--model", str(model_dir), "--out",
                 str(csv_out)]) == 0
    rows = csv_out.read_text().splitlines()
    assert rows[0].startswith("id,player_id,start_s,end_s,action,tactic")
    assert len(rows) == 1 + len(doc["events"])
    assert "cached" in capsys.readouterr().out  # the second run was a cache hit


def test_cli_without_model_is_one_line_exit_2(session: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["analyze", str(session), "--model", str(empty)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no model" in err[0] and "footcoach_model.json" in err[0]
    with pytest.raises(NoModelError):
        run_analysis(session, model_dir=empty)


def test_session_without_video_uses_imu_and_positions(session: Path, model_dir: Path) -> None:
    from dataclasses import replace

    from footcoach.io.manifest import read_manifest, write_manifest

    write_manifest(replace(read_manifest(session), video=None, calibration=None), session)
    (session / "video.mp4").unlink()
    result = run_analysis(session, model_dir=model_dir, engine="torch", device="cpu")
    att = result.steps.modality_attention[result.steps.valid]
    assert att.size and np.all(att[:, 0] == 0.0)  # no video: no weight on it
    assert all(e.modality_attention["video"] == 0.0 for e in result.events)


@pytest.fixture()
def read_only_demo(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A copy of the demo session on a read-only file system (a tmpfs remounted read-only;
    root only: permission bits do not stop root)."""

    mnt = tmp_path / "ro"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs",
                                            str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("needs root and mount to make a read-only file system")
    try:
        demo = Path(__file__).resolve().parents[1] / "resources" / "demo-session"
        shutil.copytree(demo, mnt / "demo-session", ignore=shutil.ignore_patterns("analysis"))
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        yield mnt / "demo-session"
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_read_only_session_is_analysed_uncached(read_only_demo: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from footcoach.cli.cmd_synth import writable_demo

    result = run_analysis(read_only_demo, engine="onnx", device="cpu")
    assert result.events and "not cached" in result.run["not_cached"]
    assert not (read_only_demo / "analysis").exists()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    copy = writable_demo(read_only_demo)  # `footcoach demo` from a read-only install
    assert copy == tmp_path / "data" / "footcoach" / "demo-session"
    assert (copy / "session.toml").is_file() and (copy / "video.mp4").is_file()
    assert writable_demo(copy) == copy


def test_cli_says_when_the_team_model_had_no_positions(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """The demo without its GPS units: the team tactic model reads only positions, so the
    summary says the tactic came from the vests alone; with positions it names the model."""
    from footcoach.bench.labelled_bench import without_streams
    from footcoach.cli.main import main

    repo = Path(__file__).resolve().parents[1]
    if not (repo / "models" / "footcoach_model.json").is_file():
        pytest.skip("no bundled model in models/")
    demo = repo / "resources" / "demo-session"
    vests_only = without_streams(demo, tmp_path / "vests", ["positions"])
    both = without_streams(demo, tmp_path / "both", [])
    for folder, expected in ((vests_only, True), (both, False)):
        assert main(["analyze", str(folder), "--device", "cpu", "--engine", "onnx"]) == 0
        out = capsys.readouterr().out
        line = next(x for x in out.splitlines() if x.startswith("team tactic phases"))
        assert ("no positions in this session" in out) is expected
        assert ("x team tactic model" in line) is not expected
