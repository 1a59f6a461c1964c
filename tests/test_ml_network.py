"""The CNN-LSTM network: shapes per ablation, modality masks, cached-step heads, loss, learning."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
import torch

from footcoach.domain.windowing import DEFAULT_CONTEXT_FEATURES
from footcoach.errors import FootcoachError
from footcoach.ml.config import (
    ABLATIONS,
    MODALITIES,
    LossWeights,
    ModelConfig,
    NormStats,
)
from footcoach.ml.encoders import VideoEncoder, augment_steps, masked_softmax, video_augment
from footcoach.ml.losses import JointLoss, joint_loss
from footcoach.ml.network import (
    FootcoachNet,
    corrupt_modalities,
    hide_features,
    modality_dropout,
    parameter_count,
    rotate_vests,
    sliding_windows,
)

torch.set_num_threads(2)
VIDEO, IMU, CONTEXT = range(3)


def inputs(cfg: ModelConfig, b: int, s: int | None = None, seed: int = 0
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random video (uint8), IMU and context inputs of shape (b, s, ...) for ``cfg``."""
    g = torch.Generator().manual_seed(seed)
    w = cfg.window
    s = w.window_steps if s is None else s
    video = torch.randint(0, 256, (b, s, 3, w.frames_per_step, w.crop_px, w.crop_px),
                          dtype=torch.uint8, generator=g)
    imu = torch.randn(b, s, w.imu_per_step, cfg.imu_in_channels, generator=g)
    context = torch.randn(b, s, cfg.n_context, generator=g)
    return video, imu, context


@pytest.fixture(scope="module")
def tiny() -> ModelConfig:
    return ModelConfig.tiny()


@pytest.mark.parametrize("ablation", ABLATIONS)
def test_output_shapes_for_each_ablation(tiny: ModelConfig, ablation: str) -> None:
    cfg = tiny.with_ablation(ablation)
    model = FootcoachNet(cfg).eval()
    out = model(*inputs(cfg, b=3))
    s = cfg.window.window_steps
    assert out.action_logits.shape == (3, 12)
    assert out.tactic_logits.shape == (3, 8)
    assert out.quality.shape == (3,)
    assert out.modality_weights.shape == (3, s, 3)
    assert out.time_weights.shape == (3, s)
    assert bool(((out.quality >= 0) & (out.quality <= 100)).all())
    assert torch.allclose(out.time_weights.sum(-1), torch.ones(3))
    assert torch.allclose(out.modality_weights.sum(-1), torch.ones(3, s))
    if ablation == "cnn":
        assert torch.allclose(out.time_weights, torch.full((3, s), 1 / s))
    if ablation == "cnn_lstm":
        assert bool((out.time_weights[:, -1] == 1).all())
    if ablation in ("cnn", "cnn_lstm"):  # no modality attention: equal weights
        assert torch.allclose(out.modality_weights, torch.full((3, s, 3), 1 / 3))
    assert (parameter_count(model) > 0) and (cfg.uses_lstm == (ablation != "cnn"))


def test_default_config_matches_the_window_contract() -> None:
    cfg = ModelConfig()
    assert (cfg.window.window_steps, cfg.window.frames_per_step, cfg.window.crop_px,
            cfg.window.imu_per_step, cfg.n_context) == (8, 4, 64, 50, len(DEFAULT_CONTEXT_FEATURES))
    model = FootcoachNet(cfg).eval()
    with torch.inference_mode():
        out = model(*inputs(cfg, b=2))
    assert out.action_logits.shape == (2, 12) and out.modality_weights.shape == (2, 8, 3)
    assert model.window_head.lstm is not None and model.window_head.lstm.hidden_size == 256
    assert model.window_head.lstm.num_layers == 2


def test_hidden_video_does_not_change_the_output(tiny: ModelConfig) -> None:
    model = FootcoachNet(tiny).eval()
    video, imu, context = inputs(tiny, b=4)
    mask = torch.ones(4, tiny.window.window_steps, 3, dtype=torch.bool)
    mask[..., VIDEO] = False
    a = model(video, imu, context, mask)
    b = model(255 - video, imu, context, mask)
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y)
    assert bool((a.modality_weights[..., VIDEO] == 0).all())
    assert torch.allclose(a.modality_weights.sum(-1), torch.ones(4, tiny.window.window_steps))
    # and with the video shown, it does change the output
    shown = model(255 - video, imu, context)
    assert not torch.equal(shown.action_logits, a.action_logits)


def test_random_step_masks_give_zero_weight_and_renormalise(tiny: ModelConfig) -> None:
    model = FootcoachNet(tiny).eval()
    s = tiny.window.window_steps
    mask = torch.rand(6, s, 3, generator=torch.Generator().manual_seed(3)) > 0.5
    mask[0, 0] = False  # one step with nothing at all
    steps = model.encode_steps(*inputs(tiny, b=6), mask)
    w = steps.modality_weights
    assert bool((w[~mask] == 0).all())
    has_any = mask.any(-1)
    assert torch.equal(steps.step_mask, has_any)
    assert torch.allclose(w.sum(-1)[has_any], torch.ones(int(has_any.sum())))
    assert bool((steps.features[0, 0] == 0).all())
    out = model.head(steps.features, steps.step_mask, steps.modality_weights)
    assert float(out.time_weights[0, 0].detach()) == 0.0  # an empty step gets no attention
    assert bool(torch.isfinite(out.action_logits).all())


def test_imu_only_and_video_only_inputs(tiny: ModelConfig) -> None:
    model = FootcoachNet(tiny).eval()
    video, imu, context = inputs(tiny, b=2)
    imu_only = model(imu=imu)
    assert bool((imu_only.modality_weights[..., IMU] == 1).all())
    video_only = model(video=video)
    assert bool((video_only.modality_weights[..., VIDEO] == 1).all())
    # a float 0..1 video is the same input as uint8 0..255
    as_float = model(video=video.float() / 255)
    assert torch.allclose(as_float.quality, video_only.quality, atol=1e-5)
    # a network built for IMU only ignores video given to it
    imu_net = FootcoachNet(ModelConfig.tiny(modalities=("imu",))).eval()
    assert imu_net.encoder.video is None
    x = imu_net(video, imu, context)
    y = imu_net(imu=imu)
    assert torch.equal(x.action_logits, y.action_logits)
    with pytest.raises(ValueError, match="no input"):
        model()
    empty = torch.zeros(2, tiny.window.window_steps, 3, tiny.window.frames_per_step, 0, 0,
                        dtype=torch.uint8)  # a dataset that skipped the crops
    assert torch.equal(model(empty, imu, context).quality, model(None, imu, context).quality)


def test_head_over_cached_steps_equals_forward_on_each_window(tiny: ModelConfig) -> None:
    model = FootcoachNet(tiny).eval()
    n, s = 11, tiny.window.window_steps
    video, imu, context = inputs(tiny, b=1, s=n, seed=5)
    mask = torch.rand(1, n, 3, generator=torch.Generator().manual_seed(1)) > 0.3
    mask[..., IMU] = True
    with torch.no_grad():
        stream = model.encode_steps(video, imu, context, mask)  # each step encoded once
        windows = sliding_windows(stream.features[0], s)
        assert windows.shape == (n - s + 1, s, tiny.latent_dim)
        cached = model.head(windows, sliding_windows(stream.step_mask[0], s),
                            sliding_windows(stream.modality_weights[0], s))
        win = [sliding_windows(x[0], s) for x in (video, imu, context, mask)]
        direct = model(*win)
    for a, b in zip(cached, direct, strict=True):
        assert torch.allclose(a, b, atol=1e-5), (a - b).abs().max()
    with pytest.raises(ValueError):
        sliding_windows(stream.features[0, :2], s)


def test_bidirectional_lstm_reads_the_steps_after_each_step(tiny: ModelConfig) -> None:
    """``lstm_bidirectional``: the head's LSTM outputs 2 x hidden per step, and a change in
    the last step reaches the first step's output (it cannot one-way)."""
    torch.manual_seed(0)
    bi = FootcoachNet(replace(tiny, lstm_bidirectional=True)).eval()
    one = FootcoachNet(tiny).eval()
    feats = torch.randn(2, tiny.window.window_steps, tiny.latent_dim)
    later = feats.clone()
    later[:, -1] += 1.0
    with torch.no_grad():
        for model, reaches in ((bi, True), (one, False)):
            lstm = model.window_head.lstm
            assert lstm is not None
            a, b = lstm(feats)[0], lstm(later)[0]
            width = tiny.lstm_hidden * (2 if reaches else 1)
            assert a.shape == (2, tiny.window.window_steps, width)
            assert bool((a[:, 0] != b[:, 0]).any()) is reaches
    back = ModelConfig.from_dict(json.loads(json.dumps(bi.config.to_dict())))
    assert back.lstm_bidirectional and not ModelConfig.from_dict(
        {k: v for k, v in bi.config.to_dict().items() if k != "lstm_bidirectional"}
    ).lstm_bidirectional  # descriptions written before the setting: one-way


def test_time_prior_weights_the_window_centre(tiny: ModelConfig) -> None:
    """``time_prior``: a learned bias per window step, aligned on the window centre, is added
    to the temporal attention scores (also for inputs longer than a window); off, or without
    attention, the config is refused."""
    torch.manual_seed(0)
    model = FootcoachNet(replace(tiny, time_prior=True)).eval()
    head = model.window_head
    assert head.time_prior is not None and head.time_prior.shape == (tiny.window.window_steps,)
    w = tiny.window.window_steps
    feats = torch.randn(3, w, tiny.latent_dim)
    with torch.no_grad():
        flat = head(feats)[3]
        head.time_prior[w // 2] = 20.0  # a strong prior on the centre step
        peaked = head(feats)[3]
        longer = head(torch.randn(2, w + 5, tiny.latent_dim))[3]
    assert not bool((flat.argmax(dim=1) == w // 2).all())
    assert bool((peaked[:, w // 2] > 0.99).all())
    assert bool((longer.argmax(dim=1) == (w + 5) // 2).all())  # the longer input's centre
    assert FootcoachNet(tiny).window_head.time_prior is None
    with pytest.raises(FootcoachError, match="time_prior biases the temporal attention"):
        replace(tiny, time_prior=True, ablation="cnn_lstm")
    back = ModelConfig.from_dict(json.loads(json.dumps(model.config.to_dict())))
    assert back.time_prior and not ModelConfig.from_dict(
        {k: v for k, v in model.config.to_dict().items() if k != "time_prior"}
    ).time_prior  # descriptions written before the setting: content-only attention


def test_bad_input_shape_is_rejected(tiny: ModelConfig) -> None:
    model = FootcoachNet(tiny).eval()
    video, imu, _ = inputs(tiny, b=2)
    with pytest.raises(ValueError, match="imu input has shape"):
        model(video, imu[..., :6])


def test_context_nan_is_flagged_not_propagated(tiny: ModelConfig) -> None:
    model = FootcoachNet(tiny).eval()
    _, imu, context = inputs(tiny, b=2)
    gap = context.clone()
    gap[..., 6] = float("nan")  # no ball track
    zero = context.clone()
    zero[..., 6] = 0.0
    a, b = model(imu=imu, context=gap), model(imu=imu, context=zero)
    assert bool(torch.isfinite(a.action_logits).all())
    assert not torch.equal(a.action_logits, b.action_logits)  # a gap is not the value 0


def test_modality_dropout_never_hides_everything() -> None:
    g = torch.Generator().manual_seed(0)
    mask = torch.ones(2000, 4, 3, dtype=torch.bool)
    mask[:1000, :, VIDEO] = False  # half the windows have no video at all
    out = modality_dropout(mask, 0.9, generator=g)
    assert bool(out.any(-1).any(-1).all())
    assert not bool((out & ~mask).any())  # never shows what was missing
    mid = modality_dropout(mask, 0.2, generator=g)
    hidden = (~mid[1000:, 0, :]).float().mean()
    assert 0.1 < float(hidden) < 0.3
    assert torch.equal(modality_dropout(mask, 0.0), mask)


def test_corrupt_modalities_swaps_one_present_modality_for_noise() -> None:
    """A share ``p`` of the windows with two modalities gets one of them (never both, and
    never a lone one) replaced by noise of the normalisation's statistics; hidden context
    features stay NaN; the mask is left alone."""
    g = torch.Generator().manual_seed(0)
    imu, ctx = torch.zeros(4000, 4, 10, 9), torch.zeros(4000, 4, 6)
    ctx[:, :, 2] = float("nan")
    mask = torch.ones(4000, 4, 3, dtype=torch.bool)
    mask[..., VIDEO] = False
    mask[:500, :, CONTEXT] = False  # IMU alone: never corrupted
    norm = NormStats(imu_mean=(1.0,) * 9, imu_std=(2.0,) * 9, context_mean=(3.0,) * 6,
                     context_std=(0.5,) * 6)
    new_imu, new_ctx = corrupt_modalities(imu, ctx, mask, 0.3, norm, g)
    assert new_imu is not None and new_ctx is not None
    hit_imu = (new_imu != 0).flatten(1).any(1)
    hit_ctx = (new_ctx.nan_to_num(0) != 0).flatten(1).any(1)
    assert not bool((hit_imu & hit_ctx).any()) and not bool(hit_imu[:500].any())
    assert 0.25 < float((hit_imu | hit_ctx)[500:].float().mean()) < 0.35
    assert 0.4 < float(hit_imu[500:].float().sum() / (hit_imu | hit_ctx)[500:].sum()) < 0.6
    noise = new_imu[hit_imu]
    assert abs(float(noise.mean()) - 1.0) < 0.05 and abs(float(noise.std()) - 2.0) < 0.05
    assert torch.isnan(new_ctx[:, :, 2]).all()
    assert abs(float(new_ctx[hit_ctx][:, :, 3].mean()) - 3.0) < 0.05
    assert torch.equal(imu, torch.zeros_like(imu))  # the inputs themselves are untouched
    only_imu, same_ctx = corrupt_modalities(imu, ctx, mask, 1.0, norm, g, candidates=("imu",))
    assert only_imu is not None and bool((only_imu != 0).flatten(1).any(1)[500:].all())
    assert same_ctx is ctx
    assert corrupt_modalities(imu, ctx, mask, 0.0, norm) == (imu, ctx)


@pytest.mark.parametrize(("setting", "value", "bad"), [("modality_corruption", 0.9, 1.0),
                                                      ("imu_rotation", 90.0, 200.0)])
def test_wrong_sensor_augmentation_changes_the_inputs_only_in_training(
        tiny: ModelConfig, setting: str, value: float, bad: float) -> None:
    """Noise (``modality_corruption``) and turned vests (``imu_rotation``): stored in the
    config (older descriptions load 0), checked, and applied in training mode only."""
    cfg = replace(tiny, modality_dropout=0.0, modalities=("imu", "context"), cnn_dropout=0.0,
                  lstm_dropout=0.0, head_dropout=0.0,  # training mode is random only by it
                  **{setting: value})
    assert ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    old = {k: v for k, v in cfg.to_dict().items() if k != setting}
    assert getattr(ModelConfig.from_dict(old), setting) == 0.0  # older descriptions
    with pytest.raises(FootcoachError, match=setting):
        replace(cfg, **{setting: bad})
    torch.manual_seed(0)
    model = FootcoachNet(cfg)
    clean = FootcoachNet(replace(cfg, **{setting: 0.0}))
    clean.load_state_dict(model.state_dict())
    _, imu, context = inputs(cfg, 6)
    with torch.no_grad():
        model.eval()
        clean.eval()
        assert torch.equal(model(None, imu, context).quality, clean(None, imu, context).quality)
        model.train()
        clean.train()  # BatchNorm then uses the batch statistics in both
        reference = clean(None, imu, context).quality
        assert torch.equal(clean(None, imu, context).quality, reference)
        assert not torch.allclose(model(None, imu, context).quality, reference)


def test_hide_features_hides_whole_windows_and_only_those_columns() -> None:
    g = torch.Generator().manual_seed(0)
    ctx = torch.randn(4000, 5, 6)
    cols = [1, 4]
    out = hide_features(ctx, cols, 0.5, generator=g)
    nan = torch.isnan(out[:, :, cols])
    per_window = nan.flatten(1)
    assert bool((per_window.all(1) | ~per_window.any(1)).all())  # all or none of a window
    assert 0.45 < float(per_window.all(1).float().mean()) < 0.55
    keep = [0, 2, 3, 5]
    assert torch.equal(out[:, :, keep], ctx[:, :, keep]) and not torch.isnan(ctx).any()
    assert torch.isnan(hide_features(ctx, cols, 1.0)[:, :, cols]).all()
    assert hide_features(ctx, cols, 0.0) is ctx and hide_features(ctx, [], 1.0) is ctx


def test_masked_softmax_all_masked_row_is_zero() -> None:
    scores = torch.tensor([[1.0, 2.0, 3.0], [5.0, -1.0, 0.0]])
    mask = torch.tensor([[True, False, True], [False, False, False]])
    w = masked_softmax(scores, mask)
    assert float(w[0, 1]) == 0.0 and abs(float(w[0].sum()) - 1) < 1e-6
    assert bool((w[1] == 0).all())


def test_config_json_round_trip_and_validation() -> None:
    cfg = ModelConfig(ablation="cnn_lstm", modalities=("imu", "context"), latent_dim=96,
                      norm=NormStats.identity(9, len(DEFAULT_CONTEXT_FEATURES)),
                      loss=LossWeights.single("tactic"))
    back = ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg
    assert cfg.to_dict()["window"]["crop_px"] == 64
    with pytest.raises(FootcoachError, match="ablation"):
        ModelConfig(ablation="lstm_only")
    with pytest.raises(FootcoachError, match="modalities"):
        ModelConfig(modalities=("audio",))
    with pytest.raises(FootcoachError, match="std"):
        ModelConfig(norm=NormStats(imu_std=(0.0,) * 9))
    with pytest.raises(FootcoachError, match="unknown model config keys"):
        ModelConfig.from_dict({**cfg.to_dict(), "colour": "red"})
    with pytest.raises(ValueError):
        LossWeights.single("speed")
    with pytest.raises(FootcoachError, match="video_stride"):
        ModelConfig(video_stride=0)


def test_video_stride_is_one_for_older_descriptions_and_shrinks_the_first_block() -> None:
    """A description written before ``video_stride`` existed rebuilds the stride-1 network
    it was trained as (same parameter shapes, so a wrong stride would load silently)."""
    cfg = ModelConfig()
    assert cfg.video_stride == 2
    old = {k: v for k, v in cfg.to_dict().items() if k != "video_stride"}
    assert ModelConfig.from_dict(old).video_stride == 1
    x = torch.randn(2, 3, 4, 64, 64)
    sizes = {}
    for stride in (1, 2):
        enc = VideoEncoder(4, 64, (8, 32, 64), 16, 0.0, stride).eval()
        sizes[stride] = enc.features[0](x).shape
        assert enc(x).shape == (2, 16)
    assert sizes[1] == (2, 8, 4, 64, 64) and sizes[2] == (2, 8, 4, 32, 32)


def test_video_augment_keeps_layout_and_treats_a_window_as_one_clip() -> None:
    torch.manual_seed(0)
    frame = torch.randint(0, 256, (3, 1, 24, 24), dtype=torch.uint8)
    clip = frame.expand(3, 4, 24, 24).unsqueeze(0).repeat(2, 1, 1, 1, 1)  # (S=2, 3, F=4, H, W)
    out = augment_steps(clip, video_augment(crop_px=16))
    assert out.shape == (2, 3, 4, 16, 16) and out.dtype == torch.float32
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    # identical frames stay identical: one set of random parameters for the whole window
    assert torch.allclose(out, out[:1, :, :1].expand_as(out))
    plain = augment_steps(clip, video_augment(crop_px=24, strength=0.0))
    assert torch.allclose(plain, clip.float() / 255, atol=1e-6)


def test_joint_loss_ignores_missing_labels() -> None:
    torch.manual_seed(0)
    model = FootcoachNet(ModelConfig.tiny()).eval()
    out = model(*inputs(model.config, b=4))
    action = torch.tensor([1, -1, 3, 0])
    tactic = torch.tensor([-1, -1, 2, 5])
    quality = torch.tensor([50.0, float("nan"), 80.0, float("nan")])
    terms = joint_loss(out, action, tactic, quality, LossWeights(quality=2.0, tactic=0.5))
    keep = torch.tensor([0, 2, 3])
    ce = torch.nn.functional.cross_entropy
    assert torch.allclose(terms.action, ce(out.action_logits[keep], action[keep]))
    assert torch.allclose(terms.tactic, ce(out.tactic_logits[[2, 3]], tactic[[2, 3]]))
    q = ((out.quality[[0, 2]] - quality[[0, 2]]) / 100) ** 2
    assert torch.allclose(terms.quality, q.mean())
    assert torch.allclose(terms.total, 2 * terms.quality + 0.5 * terms.tactic + terms.action)
    none = JointLoss(LossWeights.single("action"))(
        out, torch.full((4,), -1), tactic, torch.full((4,), float("nan")))
    assert float(none.total.detach()) == 0.0 and float(none.quality) == 0.0
    none.total.backward()  # a batch without labels still gives a (zero) gradient


def test_learned_loss_weights_start_from_the_configured_ones_and_follow_the_terms() -> None:
    torch.manual_seed(0)
    model = FootcoachNet(ModelConfig.tiny()).eval()
    out = model(*inputs(model.config, b=4))
    action, tactic = torch.tensor([1, 2, 3, 0]), torch.tensor([0, 1, 2, 5])
    quality = torch.tensor([50.0, 20.0, 80.0, 60.0])
    weights = LossWeights(quality=10.0, tactic=0.0, learned=True)
    loss_fn = JointLoss(weights)
    assert loss_fn.effective_weights() == pytest.approx(
        {"action": 1.0, "tactic": 0.0, "quality": 10.0})
    assert "weights a/t/q 1/0/10" in loss_fn.weights_text()
    fixed = joint_loss(out, action, tactic, quality, replace(weights, learned=False))
    terms = loss_fn(out, action, tactic, quality)
    s = loss_fn.log_var.detach()
    # exp(-s) * L + s: at the start, the fixed total plus the log-variances of the terms used
    assert torch.allclose(terms.total, fixed.total + s[0] + s[2])
    terms.total.backward()
    grad = loss_fn.log_var.grad
    # d/ds (exp(-s) L + s) = 1 - exp(-s) L: a term with a large weighted loss is weighed down
    assert torch.allclose(grad, torch.stack([1 - terms.action, torch.tensor(0.0),
                                             1 - 10 * terms.quality]), atol=1e-5)
    assert list(loss_fn.parameters()) == [loss_fn.log_var]
    assert list(JointLoss(LossWeights()).parameters()) == []  # fixed weights: nothing to learn


def _tactic_gradients(share: float) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Gradients of the tactic term alone (no dropout) by parameter name, and the eval output."""
    torch.manual_seed(0)
    cfg = ModelConfig.tiny(loss=LossWeights(tactic_shared=share), modality_dropout=0.0,
                           cnn_dropout=0.0, head_dropout=0.0, lstm_dropout=0.0)
    model = FootcoachNet(cfg).train()
    x = inputs(cfg, b=4)
    out = model(*x)
    joint_loss(out, torch.full((4,), -1), torch.tensor([0, 1, 2, 5]),
               torch.full((4,), float("nan"))).total.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return grads, model.eval()(*x).tactic_logits.detach()


def test_tactic_shared_keeps_the_tactic_gradient_out_of_the_shared_layers() -> None:
    full, out_full = _tactic_gradients(1.0)
    half, _ = _tactic_gradients(0.5)
    apart, out_apart = _tactic_gradients(0.0)
    shared = [n for n in full if not n.startswith("window_head.tactic.")]
    assert any(n.startswith("encoder.") for n in shared)
    assert any(n.startswith("window_head.lstm.") for n in shared)
    # 0: the tactic head learns, nothing it shares does; 0.5: half the gradient; 1: all of it
    assert all(n not in apart or not apart[n].any() for n in shared)
    assert all(bool(apart[n].abs().sum() > 0) for n in full if n not in shared)
    for n in full:
        scale = 1.0 if n.startswith("window_head.tactic.") else 0.5
        assert torch.allclose(half[n], scale * full[n], atol=1e-6), n
    torch.testing.assert_close(out_apart, out_full)  # inference is the same network


def _learnable_batch(cfg: ModelConfig, n: int) -> tuple[tuple[torch.Tensor, ...], ...]:
    """Labels that follow from the inputs: action = sign pattern of two IMU channel means,
    tactic = sign of a context feature, quality from a third IMU channel."""
    video, imu, context = inputs(cfg, b=n, seed=11)
    m = imu.mean(dim=(1, 2))
    action = 2 * (m[:, 0] > 0).long() + (m[:, 1] > 0).long()
    tactic = (context[..., 0].mean(1) > 0).long()
    quality = 50 + 40 * torch.tanh(4 * m[:, 2])
    return (video, imu, context), (action, tactic, quality)


@pytest.fixture()
def one_thread() -> Iterator[None]:
    """Tiny tensors: one thread avoids OpenMP overhead (4x faster on a busy 2-core machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_a_few_train_steps_lower_the_loss(one_thread: None) -> None:
    torch.manual_seed(0)
    cfg = ModelConfig.tiny(modality_dropout=0.0, cnn_dropout=0.0)
    model = FootcoachNet(cfg).train()
    (video, imu, context), (action, tactic, quality) = _learnable_batch(cfg, 32)
    loss_fn = JointLoss(cfg.loss)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        terms = loss_fn(model(video, imu, context), action, tactic, quality)
        terms.total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(terms.total.item())
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < 0.6 * first, losses


def test_modalities_order_is_the_mask_order() -> None:
    assert MODALITIES == ("video", "imu", "context")


def test_training_encodes_only_available_steps(tiny: ModelConfig) -> None:
    """Hidden steps do not enter the BatchNorm statistics in training."""
    torch.manual_seed(0)
    model = FootcoachNet(tiny).train()
    twin = copy.deepcopy(model)
    video, imu, context = inputs(tiny, b=4)
    mask = torch.ones(4, tiny.window.window_steps, 3, dtype=torch.bool)
    mask[2:, :, VIDEO] = False
    model.encoder(video, imu, context, mask)
    twin.encoder(video[:2], imu[:2], context[:2], mask[:2])  # only the windows with video
    bn, bn_twin = (next(m for m in net.encoder.modules() if isinstance(m, torch.nn.BatchNorm3d))
                   for net in (model, twin))
    for stat in ("running_mean", "running_var"):
        assert torch.allclose(getattr(bn, stat), getattr(bn_twin, stat), atol=1e-6)


def test_rotate_vests_turns_every_sensor_of_a_window_by_one_rotation() -> None:
    """Each window gets one proper rotation by the given angle, shared by its steps and by the
    accelerometer, gyroscope and magnetometer triads (what a vest worn at another angle
    measures); lengths stay, 0 degrees changes nothing, NaN stays NaN."""
    b, s, t = 200, 3, 4
    eye = torch.eye(3)
    imu = eye.reshape(1, 1, 1, 9).expand(b, s, t, 9).clone()  # triads e_x, e_y, e_z
    g = torch.Generator().manual_seed(0)
    out = rotate_vests(imu, 60.0, g)
    rot = out.reshape(b, s, t, 3, 3)  # row k: the image of e_k, i.e. R transposed
    assert torch.allclose(rot, rot[:, :1, :1].expand_as(rot))  # one rotation per window
    r = rot[:, 0, 0]
    assert torch.allclose(r @ r.transpose(1, 2), eye.expand(b, 3, 3), atol=1e-5)
    assert torch.allclose(torch.linalg.det(r), torch.ones(b), atol=1e-5)
    angle = torch.rad2deg(torch.arccos(((r.diagonal(dim1=1, dim2=2).sum(-1) - 1) / 2)
                                       .clamp(-1, 1)))
    assert torch.allclose(angle, torch.full((b,), 60.0), atol=0.05)
    assert not torch.allclose(r[0], r[1])  # the axis differs between windows
    per_window = rotate_vests(imu, torch.tensor([0.0, 90.0]).repeat(b // 2), g)
    assert torch.equal(per_window[0], imu[0]) and not torch.allclose(per_window[1], imu[1])
    x = torch.randn(5, 2, 3, 9)
    assert torch.allclose(rotate_vests(x, 135.0).reshape(5, 2, 3, 3, 3).norm(dim=-1),
                          x.reshape(5, 2, 3, 3, 3).norm(dim=-1), atol=1e-5)
    x[0, 0, 0, 4] = float("nan")
    assert torch.isnan(rotate_vests(x, 30.0)[0, 0, 0, 3:6]).all()
    with pytest.raises(ValueError, match="triads"):
        rotate_vests(torch.zeros(2, 1, 1, 8), 10.0)
