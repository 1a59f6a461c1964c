"""Evaluation: the metric functions on hand-made cases, and ``evaluate`` end to end on a tiny
trained model (files written, figures consistent with the predictions)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
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
from footcoach.ml.config import ModelConfig
from footcoach.ml.evaluate import evaluate, predict
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
    tv = doc["tactic_team_vote"]
    assert tv["n_samples"] == n and 1 <= tv["n"] <= n and "Team tactic" in md
    assert tv["mean_group_size"] == pytest.approx(n / tv["n"])


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
