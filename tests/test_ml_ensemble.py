"""Ensembles (``footcoach ensemble``): trained networks of one config answer as one model.

The members here are tiny random-init networks saved as model folders; the ensemble must give
the mean of its members' probabilities and quality scores, round-trip through safetensors with
its hash checked, refuse members that were not trained alike, export to ONNX with parity, and
run a session analysis like a single network.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from gui_fixtures import make_session

from footcoach.cli.main import main
from footcoach.errors import FootcoachError
from footcoach.ml.config import ModelConfig, NormStats, read_model_json
from footcoach.ml.network import EnsembleNet, FootcoachNet, build_network
from footcoach.ml.weights import combine_models, load_model, save_model

torch.set_num_threads(2)
CFG = ModelConfig.tiny(modalities=("imu", "context"))


def _inputs(seed: int = 0, b: int = 3, s: int = 4
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    imu = torch.randn(b, s, 20, 9, generator=g)
    context = torch.randn(b, s, CFG.n_context, generator=g)
    mask = torch.ones(b, s, 3, dtype=torch.bool)
    return imu, context, mask


def _member(folder: Path, seed: int, cfg: ModelConfig = CFG) -> Path:
    torch.manual_seed(seed)
    save_model(FootcoachNet(cfg).eval(), cfg, folder,
               training_info={"data": "none (random init)", "seed": seed, "seconds": 10.0 + seed,
                              "history": [{"epoch": 1}], "settings": {"seed": seed}},
               metrics={})
    return folder


@pytest.fixture(scope="module")
def members(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two members; the second with another input normalisation (training estimates it from
    windows drawn with the run's seed), which it must keep inside the ensemble."""
    root = tmp_path_factory.mktemp("members")
    other = replace(CFG.norm_stats, imu_mean=(0.5,) * 9, context_std=(2.0,) * CFG.n_context)
    return [_member(root / "m0", 0), _member(root / "m1", 1, replace(CFG, norm=other))]


@pytest.fixture(scope="module")
def ensemble_dir(members: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ensemble") / "ens"
    combine_models(list(members), out)
    return out


def test_ensemble_answers_with_the_members_mean(members: list[Path], ensemble_dir: Path) -> None:
    nets = [load_model(m)[0] for m in members]
    ens, cfg = load_model(ensemble_dir)
    assert isinstance(ens, EnsembleNet) and cfg.members == 2
    imu, context, mask = _inputs()
    with torch.no_grad():
        outs = [net(None, imu, context, mask) for net in nets]
        steps = ens.encode_steps(None, imu, context, mask)
        out = ens.head(steps.features, steps.step_mask, steps.modality_weights)
        again = ens(None, imu, context, mask)
    assert steps.features.shape == (3, 4, 2 * CFG.latent_dim)
    for name in ("action_logits", "tactic_logits"):
        mean = torch.stack([torch.softmax(getattr(o, name), -1) for o in outs]).mean(0)
        torch.testing.assert_close(torch.softmax(getattr(out, name), -1), mean)
        # the members disagree, so the mean is not simply one member's answer
        assert not torch.allclose(torch.softmax(getattr(outs[0], name), -1), mean)
    torch.testing.assert_close(out.quality, (outs[0].quality + outs[1].quality) / 2)
    torch.testing.assert_close(out.time_weights, (outs[0].time_weights + outs[1].time_weights) / 2)
    torch.testing.assert_close(out.modality_weights,
                               (outs[0].modality_weights + outs[1].modality_weights) / 2)
    torch.testing.assert_close(again.action_logits, out.action_logits)


def test_ensemble_folder_records_its_members(members: list[Path], ensemble_dir: Path) -> None:
    meta = read_model_json(ensemble_dir)
    norms = tuple(read_model_json(m).config.norm_stats for m in members)
    assert norms[0] != norms[1]
    assert meta.config == replace(CFG, members=2, member_norms=norms)
    assert meta.config.member_config(1) == read_model_json(members[1]).config
    assert meta.parameter_count == 2 * sum(p.numel() for p in FootcoachNet(CFG).parameters())
    listed = meta.training["members"]
    assert [m["sha256"] for m in listed] == [read_model_json(m).sha256 for m in members]
    assert [m["seed"] for m in listed] == [0, 1]
    assert meta.training["seconds"] == 21.0 and "history" not in meta.training
    # the hash check covers the ensemble's own weights file
    weights = meta.weights_path.read_bytes()
    meta.weights_path.write_bytes(weights[:-1] + bytes([weights[-1] ^ 1]))
    try:
        with pytest.raises(FootcoachError, match="sha256 mismatch"):
            load_model(ensemble_dir)
    finally:
        meta.weights_path.write_bytes(weights)


def test_members_must_be_trained_alike(members: list[Path], tmp_path: Path) -> None:
    odd = _member(tmp_path / "odd", 2, replace(CFG, head_dropout=0.5))
    with pytest.raises(FootcoachError, match=r"differs from m0's in head_dropout") as err:
        combine_models([members[0], odd], tmp_path / "out")
    assert "odd" in str(err.value)
    wider = _member(tmp_path / "wide", 3, replace(CFG, lstm_hidden=48, norm=NormStats.identity(
        9, CFG.n_context, 0)))
    with pytest.raises(FootcoachError, match="lstm_hidden"):
        combine_models([members[0], wider], tmp_path / "out")
    with pytest.raises(FootcoachError, match="same weights are given twice"):
        combine_models([members[0], members[0]], tmp_path / "out")
    with pytest.raises(FootcoachError, match="at least 2"):
        combine_models([members[0]], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_ensemble_is_not_a_member(members: list[Path], ensemble_dir: Path,
                                     tmp_path: Path) -> None:
    with pytest.raises(FootcoachError, match="itself an ensemble"):
        combine_models([ensemble_dir, members[0]], tmp_path / "out")
    with pytest.raises(ValueError, match="EnsembleNet"):
        FootcoachNet(replace(CFG, members=2))
    assert isinstance(build_network(replace(CFG, members=3)), EnsembleNet)
    with pytest.raises(FootcoachError, match="members"):
        replace(CFG, members=0)
    with pytest.raises(FootcoachError, match="one entry per member"):
        replace(CFG, members=2, member_norms=(CFG.norm_stats,))


def test_cli_refuses_a_member_as_output(members: list[Path], capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    assert main(["ensemble", str(members[0]), str(members[1]), "--out", str(members[1])]) == 2
    assert "must be a new folder" in capsys.readouterr().err
    used = members[0].parent / "used"
    used.mkdir(exist_ok=True)
    (used / "footcoach_head.onnx").write_bytes(b"an older model's graph")
    assert main(["ensemble", str(members[0]), str(members[1]), "--out", str(used)]) == 2
    assert "new or empty folder" in capsys.readouterr().err
    assert (used / "footcoach_head.onnx").read_bytes() == b"an older model's graph"


@pytest.mark.slow
def test_cli_ensemble_exports_onnx_and_analyses_a_session(
        members: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("onnxscript")
    pytest.importorskip("onnxruntime")
    from footcoach.app.analyze import run_analysis

    out = tmp_path / "ens"
    assert main(["ensemble", str(members[0]), str(members[1]), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    parity = float(printed.split("max abs difference ")[1].split()[0])
    assert parity < 1e-4, printed
    assert set(read_model_json(out).onnx_sha256) == {"footcoach_encoder.onnx",
                                                     "footcoach_head.onnx"}
    session = make_session(tmp_path / "s", seconds=6.0)
    a = run_analysis(session, model_dir=out, engine="torch", device="cpu", use_cache=False)
    b = run_analysis(session, model_dir=out, engine="onnx", device="cpu", use_cache=False)
    one = [run_analysis(session, model_dir=m, engine="torch", device="cpu", use_cache=False)
           for m in members]
    v = a.steps.valid
    assert v.any() and (b.steps.valid == v).all()
    np.testing.assert_allclose(a.steps.action_probs[v], b.steps.action_probs[v], atol=1e-4)
    mean = (one[0].steps.action_probs[v] + one[1].steps.action_probs[v]) / 2
    np.testing.assert_allclose(a.steps.action_probs[v], mean, atol=1e-5)
