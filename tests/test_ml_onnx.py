"""ONNX: the torch-free modules stay torch-free; export with dynamic axes matches torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from footcoach.ml import onnx_export as ox
from footcoach.ml.config import ModelConfig
from footcoach.ml.network import FootcoachNet

torch.set_num_threads(2)


def test_config_and_onnx_runner_import_without_torch() -> None:
    code = ("import sys, footcoach.ml, footcoach.ml.config, footcoach.ml.onnx_export\n"
            "from footcoach.ml import ModelConfig, read_model_json\n"
            "ModelConfig()\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
@pytest.mark.parametrize("variant", [{}, {"lstm_bidirectional": True}, {"time_prior": True}],
                         ids=["lstm", "bilstm", "time-prior"])
def test_onnx_export_matches_torch(tmp_path: Path, variant: dict[str, bool]) -> None:
    pytest.importorskip("onnxscript")
    pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    model = FootcoachNet(ModelConfig.tiny(**variant)).eval()
    if model.window_head.time_prior is not None:  # not all zeros: the prior must reach ONNX
        with torch.no_grad():
            model.window_head.time_prior.copy_(torch.linspace(-2.0, 2.0, 4))
    paths = ox.export_onnx(model, tmp_path)
    assert paths.encoder.is_file() and paths.head.is_file()
    diffs = ox.onnx_parity(model, tmp_path)
    assert max(diffs.values()) < 1e-4, diffs
    import onnx

    for path in (paths.encoder, paths.head):  # no source paths or line numbers in the bytes
        assert not any(n.metadata_props for n in onnx.load(str(path)).graph.node)
    runner = ox.OnnxFootcoach.from_dir(tmp_path)
    imu = torch.randn(2, 4, 20, 9).numpy()
    mask = torch.ones(2, 4, 3, dtype=torch.bool).numpy()
    steps = runner.encode_steps(None, imu, None, mask)  # IMU only: zeros fed, masks cleared
    assert (steps["modality_weights"][..., 1] == 1).all()


def test_package_exports_resolve() -> None:
    import footcoach.ml as ml

    for name in ml.__all__:
        assert getattr(ml, name) is not None
    with pytest.raises(AttributeError):
        _ = ml.NoSuchThing


def test_bundled_onnx_graphs_are_hash_checked(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    import shutil

    from footcoach.errors import FootcoachError
    from footcoach.ml.config import read_model_json

    models = Path(__file__).resolve().parents[1] / "models"
    for name in ("footcoach_model.json", ox.ENCODER_ONNX, ox.HEAD_ONNX):
        shutil.copy(models / name, tmp_path / name)
    hashes = read_model_json(tmp_path).onnx_sha256
    assert set(hashes) == {ox.ENCODER_ONNX, ox.HEAD_ONNX}
    ox.OnnxFootcoach.from_dir(tmp_path)  # intact copies load
    with open(tmp_path / ox.HEAD_ONNX, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(FootcoachError, match="sha256 mismatch"):
        ox.OnnxFootcoach.from_dir(tmp_path)
