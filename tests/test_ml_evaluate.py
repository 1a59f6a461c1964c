"""Evaluation: the metric functions on hand-made cases, and ``evaluate`` end to end on a tiny
trained model (files written, figures consistent with the predictions)."""

from __future__ import annotations

import csv
import io
import json

import h5py
import numpy as np
import pytest
import torch
from ml_data_fixtures import write_tiny_dataset
from PIL import Image

from footcoach.analysis.classification import (
    accuracy,
    class_scores,
    confusion_csv,
    confusion_matrix,
    group_vote_report,
    macro_f1,
    regression_errors,
    task_report,
)
from footcoach.cli.main import main
from footcoach.errors import FootcoachError
from footcoach.ml.config import MODALITIES, ModelConfig
from footcoach.ml.evaluate import (
    Predictions,
    data_description,
    evaluate,
    predict,
    quality_by_action,
    training_quality_medians,
)
from footcoach.ml.train import TrainSettings, train
from footcoach.ml.weights import load_model

# true 0,0,1,1,2 (the -1 sample is unlabelled and ignored), predicted 0,1,1,1,0
TRUE = np.array([0, 0, 1, 1, 2, -1])
PRED = np.array([0, 1, 1, 1, 0, 2])


def test_confusion_accuracy_and_macro_f1_on_a_hand_made_case():
    cm = confusion_matrix(TRUE, PRED, 4)
    assert cm.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    assert accuracy(TRUE, PRED) == pytest.approx(3 / 5)
    s = class_scores(cm)
    assert s.precision[:3] == pytest.approx([0.5, 2 / 3, 0.0])
    assert s.recall[:3] == pytest.approx([0.5, 1.0, 0.0])
    assert s.f1[:3] == pytest.approx([0.5, 0.8, 0.0])
    # class 3 occurs neither as truth nor as prediction: not part of the macro mean
    assert macro_f1(cm) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    w = np.array([1, 1, 1, 1, 4, 1])
    assert accuracy(TRUE, PRED, w) == pytest.approx(3 / 8)


def test_task_report_and_csv():
    r = task_report(TRUE, PRED, ["a", "b", "c", "d"], weight=np.ones(6))
    assert r["n"] == 5 and r["accuracy"] == pytest.approx(0.6)
    assert r["per_class"][1] == {"class": "b", "precision": pytest.approx(2 / 3),
                                 "recall": 1.0, "f1": pytest.approx(0.8), "support": 2}
    rows = list(csv.reader(io.StringIO(confusion_csv(np.array(r["confusion"]), r["labels"]))))
    assert rows[0] == ["true\\pred", "a", "b", "c", "d"]
    assert rows[1] == ["a", "1", "1", "0", "0"] and rows[3] == ["c", "1", "0", "0", "0"]
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([0, 5]), np.array([0, 1]), 3)


def test_group_vote_averages_the_members_probabilities():
    # group 7: three windows of label 1; two lean to 0 a little, one is sure of 1 -> votes 1
    # group 3: one window of label 0, predicted 2; group 5: unlabelled only -> left out
    true = np.array([1, 1, 1, 0, -1])
    probs = np.array([[0.5, 0.4, 0.1], [0.5, 0.4, 0.1], [0.0, 1.0, 0.0], [0.1, 0.2, 0.7],
                      [1.0, 0.0, 0.0]])
    r = group_vote_report(true, probs, np.array([7, 7, 7, 3, 5]), ["a", "b", "c"])
    assert r["n"] == 2 and r["n_samples"] == 4 and r["mean_group_size"] == 2.0
    assert r["accuracy"] == 0.5 and r["confusion"] == [[0, 0, 1], [0, 1, 0], [0, 0, 0]]
    assert accuracy(true[:4], probs[:4].argmax(1)) == 0.25  # per window: only 1 of 4


def test_regression_errors():
    e = regression_errors(np.array([50.0, 60.0, np.nan, 80.0]), np.array([52.0, 57.0, 1.0, 80.0]))
    assert e["n"] == 3 and e["mae"] == pytest.approx(5 / 3)
    assert e["rmse"] == pytest.approx(np.sqrt(13 / 3)) and e["bias"] == pytest.approx(-1 / 3)


def test_quality_by_action_against_the_action_median_reference():
    # action 0: true 40, 60 predicted 50, 50 (MAE 10); reference median 50 -> 10 as well
    # action 1: true 90, 70 predicted 88, 71 (MAE 1.5); reference 80 -> 10; action 2 unscored
    n = 5
    p = Predictions(action_true=np.array([0, 0, 1, 1, 2]), action_pred=np.zeros(n, int),
                    tactic_true=np.zeros(n, int), tactic_pred=np.zeros(n, int),
                    quality_true=np.array([40.0, 60.0, 90.0, 70.0, np.nan]),
                    quality_pred=np.array([50.0, 50.0, 88.0, 71.0, 30.0]),
                    modality=np.zeros((n, 3)), weight=np.ones(n), action_conf=np.ones(n),
                    tactic_probs=np.zeros((n, 8)), team_moment=np.arange(n))
    rows = quality_by_action(p, ["a", "b", "c"], np.array([50.0, 80.0, np.nan]))
    assert [r["class"] for r in rows] == ["a", "b"]
    assert rows[0]["n"] == 2 and rows[0]["quality_mae"] == 10.0
    assert rows[0]["reference_mae"] == 10.0
    assert rows[1]["quality_mae"] == 1.5 and rows[1]["quality_bias"] == pytest.approx(-0.5)
    assert rows[1]["reference_mae"] == 10.0
    assert "reference_mae" not in quality_by_action(p, ["a", "b", "c"])[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("ev")
    data = write_tiny_dataset(root / "tiny.h5", players=8, steps=48, seed=3)
    s = TrainSettings(epochs=3, batch_size=8, workers=0, lr=3e-3, threads=1)
    train(data, root / "m", s, config=ModelConfig.tiny(), log=None)
    return data, root / "m"


def test_evaluate_writes_consistent_metric_files(trained, tmp_path):
    data, model_dir = trained
    m = evaluate(model_dir, data, split="test", out=tmp_path, device="cpu")
    for name in ("metrics.json", "metrics.md", "confusion_action.csv", "confusion_action.png",
                 "confusion_tactic.csv", "confusion_tactic.png"):
        assert (tmp_path / name).is_file(), name
    model, _ = load_model(model_dir)
    p = predict(model, data, "test")
    n = p.action_true.size
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert doc["n_windows"] == n and np.sum(doc["action"]["confusion"]) == n
    assert doc["action"]["accuracy"] == pytest.approx(np.mean(p.action_true == p.action_pred))
    assert doc["quality"]["mae"] == pytest.approx(
        np.mean(np.abs(p.quality_true - p.quality_pred)), rel=1e-5)
    att = doc["modality_attention"]["overall"]
    assert sum(att.values()) == pytest.approx(1.0, abs=1e-4)
    assert doc["data"]["synthetic"] and doc["data"]["split"] == "test"
    assert m["model"]["sha256"] == doc["model"]["sha256"]
    img = Image.open(tmp_path / "confusion_action.png")
    assert img.size[0] > 12 * 40 and img.mode == "RGB"
    md = (tmp_path / "metrics.md").read_text()
    assert "Data: synthetic test split" in md and "| tactic | precision |" in md
    by_action = doc["quality"]["by_action"]
    assert sum(r["n"] for r in by_action) == np.isfinite(p.quality_true).sum()
    med = training_quality_medians(data, 12)
    first = by_action[0]
    k = list(m["action"]["labels"]).index(first["class"])
    sel = p.action_true == k
    assert first["reference_mae"] == pytest.approx(np.mean(np.abs(p.quality_true[sel] - med[k])))
    assert "| action | n | MAE | RMSE | bias | reference MAE |" in md
    tv = doc["tactic_team_vote"]
    assert tv["n_samples"] == n and 1 <= tv["n"] <= n and "Team tactic" in md
    assert tv["mean_group_size"] == pytest.approx(n / tv["n"])


def test_accuracy_by_distance_to_the_nearest_label_change(trained, tmp_path):
    """Each window's distance to its player's nearest tactic change, checked by brute force on
    the step rows; the bins cover every window and their accuracies are the plain ones."""
    data, model_dir = trained
    m = evaluate(model_dir, data, split="test", out=tmp_path, device="cpu")
    model, _ = load_model(model_dir)
    p = predict(model, data, "test")
    with h5py.File(data) as f:
        tactic, t, player = f["tactic"][()], f["t_s"][()], f["player"][()]
        w = f["windows"]
        test = np.flatnonzero(w["split"][()] == 2)
        centre, pid = w["t_s"][()][test], player[w["start"][()][test]]
    expected = []
    for c, j in zip(centre, pid, strict=True):
        rows = np.flatnonzero(player == j)
        changes = [t[r] for r in rows[1:] if tactic[r] != tactic[r - 1]]
        expected.append(min((abs(c - x) for x in changes), default=np.inf))
    np.testing.assert_allclose(p.tactic_change_s, expected, atol=1e-9)
    assert np.isfinite(p.tactic_change_s).all() and np.unique(p.tactic_change_s).size > 1
    rows = m["tactic"]["by_label_change"]
    assert sum(r["n"] for r in rows) == p.tactic_true.size
    for r in rows:
        sel = (p.tactic_change_s >= r["from_s"]) & (p.tactic_change_s < r["to_s"])
        assert r["n"] == sel.sum()
        if r["n"]:
            assert r["accuracy"] == pytest.approx(np.mean(p.tactic_true[sel] == p.tactic_pred[sel]))
    assert sum(r["n"] for r in m["action"]["by_label_change"]) == p.action_true.size
    md = (tmp_path / "metrics.md").read_text()
    assert "| distance | action windows | action accuracy | tactic windows |" in md
    assert "| >= 4 s |" in md and "| 1-2 s |" in md


def test_evaluate_without_ball_hides_the_ball_features(trained, tmp_path):
    """``without_ball`` feeds the model NaN for the ``ball_*`` columns: the outputs change and
    the data description says so."""
    data, model_dir = trained
    model, cfg = load_model(model_dir)
    assert any(n.startswith("ball_") for n in cfg.window.context_features)
    with_ball = predict(model, data, "test")
    without = predict(model, data, "test", without_ball=True)
    assert not np.allclose(with_ball.quality_pred, without.quality_pred)
    m = evaluate(model_dir, data, split="test", out=tmp_path, device="cpu", without_ball=True)
    assert m["data"]["ball_track"] is False and "ball track (hidden)" in m["data"]["text"]
    assert m["quality"]["mae"] == pytest.approx(
        np.mean(np.abs(without.quality_true - without.quality_pred)), rel=1e-5)


def test_data_description_names_simulated_ball_errors(tmp_path):
    plain = write_tiny_dataset(tmp_path / "plain.h5", players=6, steps=16)
    noisy = write_tiny_dataset(tmp_path / "noisy.h5", players=6, steps=16,
                               ball_errors={"noise_m": 1.5, "gap_share": 0.3})
    d = data_description(noisy, "test")
    assert d["ball_track"] and d["ball_errors"] == {"noise_m": 1.5, "gap_share": 0.3}
    assert d["text"].endswith("with a ball track with simulated tracking errors "
                              "(1.5 m noise, 30% gaps)")
    assert data_description(plain, "test")["text"].endswith("with a ball track")
    hidden = data_description(noisy, "test", without_ball=True)
    assert hidden["ball_errors"] is None and hidden["text"].endswith("ball track (hidden)")


def test_hidden_modalities_are_masked_out_at_every_step(trained, tmp_path):
    """``hide`` masks a modality as in a session recorded without it: it gets no attention,
    its values no longer matter, and the outputs are those of the network fed without it."""
    data, model_dir = trained
    model, cfg = load_model(model_dir)
    both = predict(model, data, "test")
    no_imu = predict(model, data, "test", hide=["imu"])
    assert np.all(no_imu.modality[:, MODALITIES.index("imu")] == 0)
    assert not np.allclose(both.quality_pred, no_imu.quality_pred)
    from footcoach.ml.data import WindowDataset
    ds = WindowDataset(data, "test", video="video" in cfg.modalities)
    items = [ds[i] for i in range(len(ds))]
    ds.close()
    video, context, mask = (torch.stack([it[k] for it in items])
                            for k in ("video", "context", "mask"))
    mask[..., MODALITIES.index("imu")] = False
    with torch.no_grad():
        direct = model.eval()(video if video.shape[-1] else None, None, context, mask)
    np.testing.assert_allclose(no_imu.quality_pred, direct.quality.numpy(), rtol=1e-5, atol=1e-4)
    m = evaluate(model_dir, data, split="test", out=tmp_path, device="cpu", hide=["context"])
    assert m["data"]["hidden_modalities"] == ["context"]
    assert m["data"]["text"].endswith("the positions (GPS/tracking) hidden")
    assert "tactic_with_team_model" not in m
    assert "No team tactic model applied" in (tmp_path / "metrics.md").read_text()


def test_hiding_an_unknown_or_every_modality_is_a_clear_error(trained):
    data, model_dir = trained
    model, cfg = load_model(model_dir)
    with pytest.raises(FootcoachError, match="unknown modality gps"):
        predict(model, data, "test", hide=["gps"])
    with pytest.raises(FootcoachError, match="leaves nothing the model reads"):
        predict(model, data, "test", hide=list(cfg.modalities))


def test_corrupted_modalities_stay_present_but_carry_noise(trained, tmp_path):
    """``corrupt`` feeds noise with the model's statistics in place of a modality that stays
    marked present: it still gets attention, the outputs change, a seed repeats them."""
    data, model_dir = trained
    model, _ = load_model(model_dir)
    clean = predict(model, data, "test")
    noisy = predict(model, data, "test", corrupt=["imu"], seed=3)
    again = predict(model, data, "test", corrupt=["imu"], seed=3)
    other = predict(model, data, "test", corrupt=["imu"], seed=4)
    imu = MODALITIES.index("imu")
    assert np.all(noisy.modality[:, imu] > 0)
    assert not np.allclose(clean.quality_pred, noisy.quality_pred)
    np.testing.assert_array_equal(noisy.quality_pred, again.quality_pred)
    assert not np.allclose(noisy.quality_pred, other.quality_pred)
    with pytest.raises(FootcoachError, match="only imu and context can be corrupted"):
        predict(model, data, "test", corrupt=["video"])
    m = evaluate(model_dir, data, split="test", out=tmp_path, device="cpu", corrupt=["imu"])
    assert m["data"]["noisy_modalities"] == ["imu"] and m["data"]["hidden_modalities"] == []
    assert m["data"]["text"].endswith("the vests (IMU) giving noise while marked present")
    assert m["quality"]["mae"] == pytest.approx(
        np.mean(np.abs(noisy.quality_true - predict(model, data, "test", corrupt=["imu"])
                       .quality_pred)), rel=1e-5)


def test_turned_vests_keep_their_attention_and_change_the_outputs(trained, tmp_path, capsys):
    """``vest_rotation`` turns each window's vest about a seeded random axis: the modality
    stays present, the outputs change, the same seed repeats them, 0 changes nothing."""
    data, model_dir = trained
    model, _ = load_model(model_dir)
    clean = predict(model, data, "test")
    turned = predict(model, data, "test", vest_rotation=90.0, seed=1)
    np.testing.assert_array_equal(
        turned.quality_pred, predict(model, data, "test", vest_rotation=90.0, seed=1).quality_pred)
    assert not np.allclose(clean.quality_pred, turned.quality_pred)
    np.testing.assert_array_equal(clean.quality_pred,
                                  predict(model, data, "test", vest_rotation=0.0).quality_pred)
    assert np.all(turned.modality[:, MODALITIES.index("imu")] > 0)
    m = evaluate(model_dir, data, split="test", out=tmp_path, device="cpu", vest_rotation=45.0)
    assert m["data"]["vest_rotation_deg"] == 45.0
    assert m["data"]["text"].endswith("each vest turned by 45 degrees about a random axis")
    capsys.readouterr()
    assert main(["evaluate", str(model_dir), str(data), "--out", str(tmp_path / "cli"),
                 "--vest-rotation", "45"]) == 0
    assert "each vest turned by 45 degrees" in capsys.readouterr().out
    assert main(["evaluate", str(model_dir), str(data), "--vest-rotation", "-5"]) == 2
    assert "0-180 degrees" in capsys.readouterr().err
