"""``footcoach benchmark expert-novice`` on small real subsets, and its pieces on known signals."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest

from footcoach.analysis.imu_features import (
    CHANNEL_FEATURES,
    channel_features,
    dominant_frequency,
    feature_names,
    sample_features,
)
from footcoach.bench.expert_novice_bench import (
    GROUP_OF,
    LABELS,
    lopo_folds,
    macro_f1,
    mirror_imu,
    partner,
    scores_of,
    to_vest_frame,
    zero_shot_scores,
)
from footcoach.cli.main import main
from footcoach.errors import FootcoachError

LAST_LINE = re.compile(r"^expert-novice: model macro-F1 (\d\.\d{3}), baseline macro-F1 "
                       r"(\d\.\d{3}), score MAE (\d+\.\d)%$")


@pytest.fixture(scope="module")
def derived(shared_data: Path) -> Path:
    return shared_data / "expert-novice-soccer-imu" / "derived" / \
        "lower_body_imu_players_1-3_5-7.csv.gz"


def _subset(src: Path, dst: Path, players: set[int], samples: set[int]) -> Path:
    """Copy the header and the rows of ``players`` x ``samples`` into a new .csv.gz."""
    with gzip.open(src, "rt", encoding="utf-8") as f, gzip.open(dst, "wt", encoding="utf-8") as g:
        g.write(next(f))
        for line in f:
            p, s = line.split(",", 2)[:2]
            if int(p) in players and int(s) in samples:
                g.write(line)
    return dst


#: two repetitions of a kick (penalty kick), a dribble (dribble_short) and juggling
SAMPLES = {1, 2, 25, 26, 33, 34}


@pytest.fixture(scope="module")
def small(derived: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("en")
    return {"lopo": _subset(derived, d / "p1_5_6.csv.gz", {1, 5, 6}, SAMPLES),
            "train": _subset(derived, d / "p1_5.csv.gz", {1, 5}, SAMPLES),
            "test": _subset(derived, d / "p6.csv.gz", {6}, SAMPLES)}


# ---- features ------------------------------------------------------------------------------
def test_dominant_frequency_of_sines() -> None:
    rate = 100.0
    t = np.arange(500) / rate
    x = np.column_stack([np.sin(2 * np.pi * 2.7 * t), 0.3 * np.sin(2 * np.pi * 7.3 * t + 1.0),
                         np.full_like(t, 4.0)])
    f = dominant_frequency(x, rate)
    assert f[0] == pytest.approx(2.7, abs=0.05)
    assert f[1] == pytest.approx(7.3, abs=0.05)
    assert f[2] == 0.0  # a constant has no peak


def test_channel_features_of_offset_sine() -> None:
    rate = 100.0
    t = np.arange(800) / rate
    x = (1.5 + 2.0 * np.sin(2 * np.pi * 2.0 * t))[:, None]
    feats = dict(zip(CHANNEL_FEATURES, channel_features(x, rate)[0], strict=True))
    assert feats["mean"] == pytest.approx(1.5, abs=1e-3)
    assert feats["std"] == pytest.approx(2.0 / np.sqrt(2), rel=1e-3)
    assert feats["min"] == pytest.approx(-0.5, abs=0.01)  # samples miss the exact extremes
    assert feats["max"] == pytest.approx(3.5, abs=0.01)
    assert feats["p50"] == pytest.approx(1.5, abs=0.05)
    assert feats["energy"] == pytest.approx(1.5 ** 2 + 2.0, rel=1e-3)  # mean^2 + a^2 / 2
    assert feats["dom_freq_hz"] == pytest.approx(2.0, abs=0.05)
    assert feats["band_1_3"] > 0.95 and feats["band_6_12"] < 0.01
    # |d/dt (a sin wt)| averages 2 a w / pi
    assert feats["jerk"] == pytest.approx(2 * 2.0 * 2 * np.pi * 2.0 / np.pi, rel=0.02)
    assert feats["skew"] == pytest.approx(0.0, abs=0.05)
    assert feats["kurtosis"] == pytest.approx(1.5, abs=0.05)  # a sine's kurtosis


def test_sample_features_layout_and_gaps() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 12))
    x[:, 7] = 2 * x[:, 6] + 1  # perfectly correlated gyro x/y of the 2nd sensor
    names = feature_names(["a", "b"])
    v = sample_features(x, 100.0)
    assert v.shape == (len(names),) and len(set(names)) == len(names)
    assert v[names.index("duration_s")] == pytest.approx(3.0)
    r = np.corrcoef(x[:, 7], x[:, 9])[0, 1]
    assert v[names.index("b.corr.acc_y.gyro_x")] == pytest.approx(r)
    x[10:20, 0] = np.nan  # gaps are interpolated over, never NaN features
    assert np.isfinite(sample_features(x, 100.0)).all()
    with pytest.raises(ValueError):
        sample_features(x[:, :5], 100.0)


# ---- frames, folds, metrics ----------------------------------------------------------------
def test_frames_and_mirroring() -> None:
    rest = np.array([[0.0, -1.0, 0.0, 0.1, 0.2, 0.3]])  # suit frame: -1 g on y (up) at rest
    assert to_vest_frame(rest)[0, :3].tolist() == [0.0, 0.0, 1.0]  # vest: +1 g on z (up)
    m = mirror_imu(np.tile(rest, (1, 2)))
    assert m[0, :6].tolist() == [0.0, -1.0, 0.0, 0.1, -0.2, -0.3]
    assert np.array_equal(mirror_imu(m), np.tile(rest, (1, 2)))
    assert partner("right_foot") == "left_foot" and partner("left_lower_leg") == "right_lower_leg"
    assert partner("upper_spine") == "upper_spine"


def test_lopo_never_mixes_players() -> None:
    players = np.repeat([1, 2, 3, 5, 6, 7], 4)
    folds = lopo_folds(players)
    assert [f.test_players for f in folds] == [(p,) for p in (1, 2, 3, 5, 6, 7)]
    for f in folds:
        assert not set(f.train_players) & set(f.test_players)
        assert set(f.train_players) | set(f.test_players) == {1, 2, 3, 5, 6, 7}
    with pytest.raises(FootcoachError):
        lopo_folds(np.array([4, 4]))


def test_scores() -> None:
    y = np.array([0, 1, 5, 8, 8])
    pred = np.array([0, 0, 6, 8, 5])  # 0 and 1 are both kicks, 5 and 6 both dribbles
    s = scores_of(y, pred, np.array([1.0, 2.0, 3.0, 4.0, 2.5]),
                  np.array([1.3, 2.0, 3.0, 4.0, 2.5]))
    assert s["acc9"] == pytest.approx(0.4)
    assert s["acc3"] == pytest.approx(0.8)  # only the juggle -> dribble is a wrong group
    assert s["mae_pct"] == pytest.approx(0.3 / 5 / 3 * 100)
    assert macro_f1(np.array([0, 0, 1]), np.array([0, 0, 1])) == 1.0
    assert macro_f1(y, pred) == pytest.approx((2 / 3 + 0 + 0 + 0 + 2 / 3) / 5)
    labels = ("take-off", "shooting", "dribbling")
    probs = np.array([[0.0, 0.6, 0.4], [0.5, 0.2, 0.3], [0.1, 0.1, 0.8]])
    z = zero_shot_scores(np.array([0, 5, 8]), probs, labels)  # juggling (8) is left out
    assert z == {"shot_dribble_acc": 1.0, "top1": 0.5, "n": 2.0}
    assert len(GROUP_OF) == len(LABELS) == 9


# ---- the command on real data ----------------------------------------------------------------
def _last_line(out: str) -> re.Match[str]:
    last = out.strip().splitlines()[-1]
    m = LAST_LINE.match(last)
    assert m, last
    return m


def test_cli_lopo_quick(small: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark", "expert-novice", "--train", str(small["lopo"]), "--quick"]) == 0
    out = capsys.readouterr().out
    m = _last_line(out)
    assert 0.0 <= float(m.group(1)) <= 1.0 and 0.0 <= float(m.group(2)) <= 1.0
    rows = {r.split("|")[1].strip(): r for r in out.splitlines() if r.startswith("| player ")}
    assert sorted(rows) == ["player 1", "player 5", "player 6"]
    for row in rows.values():  # both models and the bundled model scored every fold
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == "6"
        assert "-" not in [*cells[2:6], *cells[7:11], *cells[12:14]]
    assert "mirrored players (left-footed): 5" in out  # detected from the feet, label-free
    assert "leave-one-player-out (3 folds)" in out


def test_cli_train_test_quick(small: dict[str, Path], capsys: pytest.CaptureFixture[str]
                              ) -> None:
    args = ["benchmark", "expert-novice", "--train", str(small["train"]), "--test",
            str(small["test"]), "--quick", "--no-zero-shot", "--segments",
            "upper_spine,right_foot"]
    assert main(args) == 0
    out = capsys.readouterr().out
    _last_line(out)
    assert "train file -> test file" in out and "p6.csv.gz: players 6, 6 recordings" in out
    assert "| test file | 6 |" in out
    # the same player on both sides is refused (one line, exit 2)
    assert main(["benchmark", "expert-novice", "--train", str(small["train"]), "--test",
                 str(small["train"]), "--quick"]) == 2
    assert "in both the training and the test file" in capsys.readouterr().err


def test_network_is_deterministic(small: dict[str, Path]) -> None:
    from footcoach.bench.expert_novice_bench import load_data
    from footcoach.ml.expert_novice import NetSettings, predict_network, train_network

    data = load_data(small["train"], ["upper_spine"], mirror="none")
    s = NetSettings(labels=LABELS).quick()
    runs = []
    for _ in range(2):
        model = train_network(data.recordings, data.labels, data.scores, 100.0, s)
        runs.append(predict_network(model, data.recordings[:3], 100.0, s))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert runs[0][0].shape == (3, 9) and np.allclose(runs[0][0].sum(axis=1), 1.0)
    assert ((runs[0][1] >= 1.0) & (runs[0][1] <= 4.0)).all()
