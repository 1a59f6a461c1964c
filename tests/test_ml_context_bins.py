"""The piecewise-linear context encoding (``ModelConfig.context_bins``): what the context encoder
reads, the bin edges taken from the training split, the JSON round trip, the refusals, training
from the CLI and the ONNX export."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from ml_data_fixtures import write_tiny_dataset

from footcoach.cli.main import main
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import DatasetFile
from footcoach.ml.config import ModelConfig, NormStats
from footcoach.ml.network import FootcoachNet
from footcoach.ml.train import norm_stats
from footcoach.ml.weights import load_model

torch.set_num_threads(2)
NAN = float("nan")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("bins") / "tiny.h5", players=8, steps=64)


def encoder_input(model: FootcoachNet, context: torch.Tensor) -> torch.Tensor:
    """What the context encoder's MLP receives for ``context`` (1, 1, K): (1, (2 + T) K)."""
    assert model.encoder.context is not None
    seen: list[torch.Tensor] = []
    hook = model.encoder.context.mlp.register_forward_hook(lambda _m, i, _o: seen.append(i[0]))
    with torch.no_grad():
        model.encode_steps(context=context)
    hook.remove()
    return seen[0]


def test_each_feature_climbs_through_its_bins_and_a_gap_reads_zero() -> None:
    cfg = ModelConfig.tiny(context_bins=4, modalities=("context",))  # edges -2, -1, 0, 1, 2
    k = cfg.n_context
    ctx = torch.zeros(1, 1, k)
    ctx[0, 0, :3] = torch.tensor([0.5, 5.0, NAN])
    x = encoder_input(FootcoachNet(cfg).eval(), ctx)
    assert x.shape == (1, 6 * k)
    ple = x[0, k:5 * k].reshape(k, 4)
    assert ple[0].tolist() == [1.0, 1.0, 0.5, 0.0]
    assert ple[1].tolist() == [1.0, 1.0, 1.0, 1.0]  # above the last edge: saturated
    assert ple[2].tolist() == [0.0, 0.0, 0.0, 0.0]  # missing
    assert ple[3].tolist() == [1.0, 1.0, 0.0, 0.0]  # 0 sits on an edge
    assert x[0, 5 * k:].tolist() == [0.0, 0.0, 1.0] + [0.0] * (k - 3)  # the missing flags


def test_repeated_quantiles_make_a_step() -> None:
    """A 0/1 flag has edges like (0, 0, 0, 1, 1): its zero-width bins switch at the edge."""
    base = ModelConfig.tiny(modalities=("context",))
    k = base.n_context
    norm = replace(base.norm_stats, context_edges=((0.0, 0.0, 0.0, 1.0, 1.0),) * k)
    cfg = replace(base, context_bins=4, norm=norm)
    model = FootcoachNet(cfg).eval()
    off = encoder_input(model, torch.zeros(1, 1, k))[0, k:5 * k].reshape(k, 4)[0]
    on = encoder_input(model, torch.ones(1, 1, k))[0, k:5 * k].reshape(k, 4)[0]
    assert off.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert on.tolist() == [1.0, 1.0, 1.0, 0.0]


def test_edges_are_quantiles_of_the_training_split(data: Path) -> None:
    plain = norm_stats(data, "train")
    binned = norm_stats(data, "train", context_bins=4)
    assert plain.context_edges == ()
    assert binned.context_mean == plain.context_mean  # the rest is unchanged
    with DatasetFile(data) as ds:
        idx = ds.window_indices("train")
        assert idx.size <= 400  # all of them are sampled
        ctx = np.concatenate([np.where(w["context_valid"], w["context"], np.nan) for w in (
            ds.window(int(i), ("context", "context_valid")) for i in idx)])
    edges = np.array(binned.context_edges)
    assert edges.shape == (ctx.shape[1], 5)
    for j in range(ctx.shape[1]):
        col = ctx[:, j][np.isfinite(ctx[:, j])]
        if col.size:
            np.testing.assert_allclose(edges[j], np.quantile(col.astype(np.float64),
                                                             np.linspace(0, 1, 5)), atol=1e-6)
    assert (np.diff(edges, axis=1) >= 0).all()


def test_json_round_trip_older_descriptions_and_refusals() -> None:
    cfg = ModelConfig.tiny(context_bins=3)
    doc = json.loads(json.dumps(cfg.to_dict()))
    assert ModelConfig.from_dict(doc) == cfg
    assert len(doc["norm"]["context_edges"]) == cfg.n_context
    plain = ModelConfig.tiny().to_dict()
    assert "context_edges" not in plain["norm"]
    del plain["context_bins"]  # a description written before the setting
    assert ModelConfig.from_dict(plain).context_bins == 0
    k = cfg.n_context
    with pytest.raises(FootcoachError, match="rows of 4 edges"):
        ModelConfig.tiny(context_bins=3, norm=NormStats.identity(9, k))
    with pytest.raises(FootcoachError, match="non-decreasing"):
        ModelConfig.tiny(context_bins=1, norm=replace(NormStats.identity(9, k),
                                                      context_edges=((1.0, 0.0),) * k))
    with pytest.raises(FootcoachError, match="context_bins is 0"):
        ModelConfig.tiny(norm=NormStats.identity(9, k, context_bins=2))
    with pytest.raises(FootcoachError, match=">= 0"):
        ModelConfig.tiny(context_bins=-1)


def test_cli_trains_a_binned_model_and_refuses_misuse(data: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bins"
    assert main(["train", str(data), "--out", str(out), "--epochs", "1", "--batch", "8",
                 "--modalities", "imu,context", "--workers", "0", "--threads", "1",
                 "--context-bins", "4"]) == 0
    model, cfg = load_model(out)
    assert cfg.context_bins == 4 and len(cfg.norm_stats.context_edges) == cfg.n_context
    assert cfg.norm_stats.context_edges == norm_stats(data, "train", context_bins=4).context_edges
    assert model.encoder.context is not None
    assert model.encoder.context.mlp[0].in_features == 6 * cfg.n_context
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(tmp_path / "x"), "--context-bins", "-2"]) == 2
    assert ">= 0" in capsys.readouterr().err
    assert main(["train", str(data), "--out", str(out), "--resume", "--context-bins", "8"]) == 2
    assert "own encoding is kept" in capsys.readouterr().err


def test_fine_tuning_keeps_the_encoding_and_refuses_a_donor_without_it(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--epochs", "1", "--batch", "8", "--workers", "0", "--threads", "1"]
    assert main(["train", str(data), "--out", str(tmp_path / "imu"), "--modalities", "imu",
                 *common]) == 0
    assert main(["train", str(data), "--out", str(tmp_path / "ctx"), "--modalities", "context",
                 "--context-bins", "4", *common]) == 0
    assert main(["train", str(data), "--out", str(tmp_path / "both"), "--init",
                 str(tmp_path / "ctx"), "--modalities", "imu,context", *common]) == 0
    _m, cfg = load_model(tmp_path / "both")
    assert cfg.context_bins == 4
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(tmp_path / "mixed"), "--init",
                 str(tmp_path / "imu"), "--init", str(tmp_path / "ctx"), "--modalities",
                 "imu,context", *common]) == 2
    assert "context_bins 4" in capsys.readouterr().err


@pytest.mark.slow
def test_onnx_export_of_a_binned_model_matches_torch(tmp_path: Path) -> None:
    pytest.importorskip("onnxscript")
    pytest.importorskip("onnxruntime")
    from footcoach.ml import onnx_export as ox

    torch.manual_seed(0)
    model = FootcoachNet(ModelConfig.tiny(context_bins=5)).eval()
    ox.export_onnx(model, tmp_path)
    diffs = ox.onnx_parity(model, tmp_path)
    assert max(diffs.values()) < 1e-4, diffs
