"""``footcoach benchmark baseline``: the window features, the ball hiding and the gradient
boosting baseline end to end on the tiny learnable dataset (the IMU carries the action and the
quality, the first context feature the tactic)."""

from __future__ import annotations

import numpy as np
import pytest
from ml_data_fixtures import write_tiny_dataset

from footcoach.analysis.imu_features import sample_features
from footcoach.bench.window_baseline import (
    WindowBaselineSettings,
    ball_columns,
    feature_names,
    format_report,
    hide_ball,
    run_baseline,
    window_features,
)
from footcoach.cli.main import main
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import DatasetFile

FAST = WindowBaselineSettings(max_iter=25)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp("bl") / "tiny.h5", players=10, steps=48)


def test_window_features_are_the_context_steps_then_the_imu_features(tiny):
    with DatasetFile(tiny) as ds:
        windows = ds.window_indices("test")
        x = window_features(ds, windows)
        names = feature_names(ds)
        spec = ds.spec
        w, k = spec.window_steps, len(spec.context_features)
        assert x.shape == (len(windows), len(names))
        i = int(windows[3])
        steps = ds.window(i)
        assert np.allclose(x[3, :w * k], steps["context"].ravel())
        imu = steps["imu"][:, :, :6].reshape(-1, 6)
        n = sample_features(imu, spec.imu_rate_hz).size
        assert np.allclose(x[3, w * k:w * k + n], sample_features(imu, spec.imu_rate_hz),
                           equal_nan=True)
        per = spec.imu_per_step  # the central second: steps w/2 - 1 and w/2
        centre = imu[(w // 2 - 1) * per:(w // 2 + 1) * per]
        assert np.allclose(x[3, w * k + n:], sample_features(centre, spec.imu_rate_hz),
                           equal_nan=True)
        cols = ball_columns(ds)
        ball = [c for c in spec.context_features if c.startswith("ball_")]
        assert len(cols) == w * len(ball) and all(".ball_" in names[c] for c in cols)


def test_hide_ball_hides_only_those_columns_in_the_asked_share():
    x = np.ones((2000, 5))
    out = hide_ball(x, np.array([1, 3]), 0.5, np.random.default_rng(0))
    rows = np.isnan(out).any(axis=1)
    assert 0.45 < rows.mean() < 0.55
    assert np.isnan(out[rows][:, [1, 3]]).all() and not np.isnan(out[:, [0, 2, 4]]).any()
    assert np.isnan(hide_ball(x, np.array([0]), 1.0, np.random.default_rng(0))[:, 0]).all()
    assert not np.isnan(x).any()  # a copy


def test_the_baseline_learns_the_tiny_dataset(tiny):
    r = run_baseline(tiny, settings=FAST)
    assert r["windows"]["train"] == 6 * 12 and r["windows"]["test"] == 2 * 12
    for k in ("with_ball", "without_ball"):
        sc = r[k]
        assert sc["action_acc"] >= 0.8 and sc["tactic_acc"] >= 0.8, sc  # chance 1/4, 1/3
        assert 0 < sc["action_f1"] <= 1
    with DatasetFile(tiny) as ds:  # better than always the training mean quality
        q = ds.windows["quality"]
        tr, te = ds.window_indices("train"), ds.window_indices("test")
        mean_mae = float(np.mean(np.abs(q[te] - q[tr].mean())))
    assert r["with_ball"]["quality_mae"] < 0.7 * mean_mae
    text = format_report(r, tiny, "test", {"with_ball": r["with_ball"]})
    assert "| gradient boosting | yes |" in text and "| network | yes |" in text
    assert text.splitlines()[-1].startswith("baseline: action ")


def test_the_baseline_refuses_bad_settings(tiny):
    with pytest.raises(FootcoachError, match="ball dropout"):
        run_baseline(tiny, settings=WindowBaselineSettings(ball_dropout=1.5))
    with pytest.raises(FootcoachError, match="split"):
        run_baseline(tiny, split="train", settings=FAST)


def test_cli_prints_the_table_and_the_last_line(tiny, capsys):
    assert main(["benchmark", "baseline", str(tiny), "--max-iter", "10", "--seed", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("baseline: action ") and "quality MAE" in out[-1]
    assert any(line.startswith("| gradient boosting | hidden |") for line in out)
    assert main(["benchmark", "baseline", str(tiny), "--ball-dropout", "2"]) == 2
    assert "ball dropout must be in 0..1" in capsys.readouterr().err


def test_a_window_with_an_imu_gap_has_unknown_imu_features(tmp_path):
    import h5py

    data = write_tiny_dataset(tmp_path / "gap.h5", players=6, steps=16)
    with h5py.File(data, "r+") as h5:
        mask = h5["mask"][()]
        mask[5, 1] = False  # step 5 of player 0 has no IMU
        h5["mask"][...] = mask
    with DatasetFile(data) as ds:
        w, k = ds.spec.window_steps, len(ds.spec.context_features)
        windows = np.arange(ds.n_windows)
        x = window_features(ds, windows)
        starts = ds.windows["start"]
        hit = (starts <= 5) & (starts + w > 5)
        assert hit.any() and (~hit).any()
        assert np.isnan(x[hit, w * k:]).all()
        assert not np.isnan(x[~hit, w * k:]).all(axis=1).any()
