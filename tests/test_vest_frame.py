"""De-tilted vests (:mod:`footcoach.domain.vest_frame`): the rotations, a vest stream turned
upright, the per-player matrices of a training file, training and analysis with a model that
reads de-tilted vests (config ``vest_upright``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from gui_fixtures import make_session
from ml_data_fixtures import write_tiny_dataset

from footcoach.domain.timeseries import TimeSeries
from footcoach.domain.vest_frame import (
    mean_acceleration,
    pose_direction,
    pose_segments,
    rotation_about,
    rotation_onto,
    turn_triads,
    upright_vest,
)
from footcoach.errors import FootcoachError

torch = pytest.importorskip("torch")


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


@pytest.mark.parametrize(("a", "b"), [((0.2, -0.3, 0.9), (0, 0, 1)), ((1, 0, 0), (0, 1, 0)),
                                      ((0, 0, 1), (0, 0, -1)), ((0.5, 0.5, 0.1), (0.5, 0.5, 0.1))])
def test_rotation_onto_takes_a_onto_b_and_is_a_rotation(a, b):
    r = rotation_onto(a, b)
    np.testing.assert_allclose(r @ _unit(np.array(a, float)), _unit(np.array(b, float)),
                               atol=1e-12)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)


def test_rotation_onto_takes_random_directions_onto_each_other() -> None:
    rng = np.random.default_rng(0)
    for a, b in [(rng.normal(size=3), rng.normal(size=3)) for _ in range(20)] + [
            (np.array([0.0, 0.0, 2.0]), np.array([0.0, 0.0, 1.0])),
            (np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, -3.0])),
            (np.array([1.0, 0.0, 0.0]), np.array([-1.0, 0.0, 0.0]))]:
        r = rotation_onto(a, b)
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-9)
        assert np.linalg.det(r) == pytest.approx(1.0)
        np.testing.assert_allclose(r @ (a / np.linalg.norm(a)), b / np.linalg.norm(b),
                                   atol=1e-9)


def test_rotation_about_keeps_its_axis_and_turns_by_the_angle():
    axis = np.array([1.0, 2.0, 2.0]) / 3.0
    r = rotation_about(axis, 40.0)
    np.testing.assert_allclose(r @ axis, axis, atol=1e-12)
    side = np.cross(axis, [0.0, 0.0, 1.0])
    side /= np.linalg.norm(side)
    assert np.degrees(np.arccos(side @ r @ side)) == pytest.approx(40.0)
    np.testing.assert_allclose(rotation_about((0, 0, 1), 90) @ [1, 0, 0], [0, 1, 0], atol=1e-12)


def _vest(n: int = 3000, turn: np.ndarray | None = None, seed: int = 0) -> TimeSeries:
    rng = np.random.default_rng(seed)
    acc = np.c_[0.3 * rng.standard_normal(n), 0.3 * rng.standard_normal(n),
                1.0 + 0.3 * rng.standard_normal(n)]
    gyro = rng.standard_normal((n, 3))
    values = np.c_[acc, gyro, np.full(n, 7.0)]
    if turn is not None:
        values[:, :6] = turn_triads(values[:, :6], turn)
    values[100:120, 0] = np.nan  # a gap stays a gap
    return TimeSeries(np.arange(n) * 0.01, values,
                      ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "temp"),
                      ("g", "g", "g", "deg/s", "deg/s", "deg/s", "C"))


def test_upright_vest_points_the_pose_at_the_target_and_turns_every_triad():
    tilt = rotation_about((1.0, -0.5, 0.0), 35.0)
    raw = _vest(turn=tilt)
    target = _unit(np.array([-0.08, 0.0, 1.0]))
    pose = pose_direction(raw)
    assert pose is not None  # on a vest that sat alike all session, pose and mean agree
    assert np.degrees(np.arccos(pose @ _unit(mean_acceleration(raw)))) < 1.0  # type: ignore[arg-type]
    upright, angle = upright_vest(raw, target)
    assert angle is not None and 30.0 < angle < 42.0
    after = pose_direction(upright)
    assert after is not None and np.degrees(np.arccos(after @ target)) < 0.01
    r = rotation_onto(pose, target)
    ok = np.isfinite(raw.values).all(axis=1)
    np.testing.assert_allclose(upright.values[ok, 3:6], raw.values[ok, 3:6] @ r.T, atol=1e-9)
    np.testing.assert_array_equal(upright.values[:, 6], raw.values[:, 6])  # not a triad
    assert np.isnan(upright.values[100:120, :3]).all() and not np.isnan(upright.values[:100]).any()
    assert np.array_equal(raw.values[:, 0:3][ok], _vest(turn=tilt).values[:, 0:3][ok])  # a copy


def _slipped_vest(turns: list[tuple[float, float, float]], seconds: float = 180.0) -> TimeSeries:
    """A vest worn upright that is turned ``deg`` about x from ``t0`` to ``t1`` for each
    ``(t0, t1, deg)``."""
    vest = _vest(n=int(seconds * 100), seed=4)
    values = vest.values.copy()
    for t0, t1, deg in turns:
        at = (vest.t >= t0) & (vest.t < t1)
        values[at, :6] = turn_triads(values[at, :6], rotation_about((1.0, 0.0, 0.0), deg))
    return vest.replace(values=values)


def test_pose_segments_follow_a_vest_that_slipped_and_came_back():
    assert [t for t, _ in pose_segments(_vest(n=18000))] == [0.0]  # sat alike: one pose
    poses = pose_segments(_slipped_vest([(60.0, 120.0, 40.0)]))
    assert [t for t, _ in poses] == [0.0, 60.0, 120.0]
    up = np.array([0.0, 0.0, 1.0])
    tilts = [np.degrees(np.arccos(p @ up)) for _, p in poses]
    assert tilts[0] < 3 and abs(tilts[1] - 40.0) < 3 and tilts[2] < 3
    short = pose_segments(_slipped_vest([(60.0, 70.0, 80.0)]))  # 10 s lying down: kept
    assert len(short) == 1 and np.degrees(np.arccos(short[0][1] @ up)) < 3
    small = pose_segments(_slipped_vest([(60.0, 120.0, 10.0)]))  # under SEGMENT_CHANGE_DEG
    assert len(small) == 1
    whole = pose_segments(_slipped_vest([(0.0, 180.0, 90.0)]))  # turned all session
    assert len(whole) == 1 and abs(np.degrees(np.arccos(whole[0][1] @ up)) - 90.0) < 3


def test_the_turned_check_from_the_vest_pose_reads_a_vest_in_a_pose_of_its_own():
    from footcoach.domain.vest import acc_block_sums
    from footcoach.sync.sensor_faults import FaultSettings, _turned_blocks, find_imu_faults

    whole = _slipped_vest([(0.0, 180.0, 90.0)])
    assert [f.kind for f in find_imu_faults(whole)[0]] == ["turned"]  # from z: set aside
    from_pose = FaultSettings(turned_from="pose")
    assert find_imu_faults(whole, from_pose)[0] == []
    long = _slipped_vest([(60.0, 120.0, 90.0)])  # a minute turned: a pose of its own, read
    assert [f.kind for f in find_imu_faults(long)[0]] == ["turned"]
    assert find_imu_faults(long, from_pose)[0] == []
    # the poses it is measured from: a 25-s departure in the middle of a pose is far from it
    vest = _slipped_vest([(60.0, 85.0, 90.0)])
    blocks = acc_block_sums(vest.values, [0, 1, 2])
    up = np.array([0.0, 0.0, 1.0])
    one_pose = _turned_blocks(vest.t, blocks, 10.0, 70.0, len(vest), 10, [(0.0, up)])
    assert 55.0 < vest.t[one_pose][0] < 65.0 and 80.0 < vest.t[one_pose][-1] < 90.0
    assert not _turned_blocks(vest.t, blocks, 10.0, 70.0, len(vest), 10, pose_segments(vest)).any()
    assert "turned_from" not in FaultSettings().to_dict()
    assert from_pose.to_dict()["turned_from"] == "pose"
    with pytest.raises(ValueError, match="turned_from"):
        FaultSettings(turned_from="x")


def test_a_vest_without_an_accelerometer_or_samples_stays_as_worn():
    short = _vest(n=50)
    assert upright_vest(short, (0, 0, 1)) == (short, None)
    gyro_only = TimeSeries(np.arange(500) * 0.01, np.ones((500, 3)),
                           ("gyro_x", "gyro_y", "gyro_z"), ("deg/s",) * 3)
    assert upright_vest(gyro_only, (0, 0, 1))[1] is None


# ---- a training file -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("vf") / "tiny.h5", players=8, steps=64)


def test_vest_means_and_rotations_of_a_training_file(data):
    import h5py

    from footcoach.ml.data import (
        KEY_BASE,
        WindowDataset,
        upright_direction,
        vest_means,
        vest_rotations,
    )

    means = vest_means(data, chunk=100)  # chunks that split players
    with h5py.File(data, "r") as h5:
        player, acc = h5["player"][()], h5["imu"][:, :, :3].astype(np.float64)
    assert sorted(means) == list(range(8))  # session 0: key = player
    for j in range(8):
        np.testing.assert_allclose(means[j], acc[player == j].reshape(-1, 3).mean(axis=0),
                                   rtol=1e-9, atol=1e-12)
    target = upright_direction(data)
    expected = np.mean([_unit(means[j]) for j in range(4)], axis=0)  # players 0-3 train
    np.testing.assert_allclose(target, _unit(expected), atol=1e-9)
    rots = vest_rotations(data, target)
    for j in range(8):
        np.testing.assert_allclose(rots[j] @ _unit(means[j]), target, atol=1e-9)
    turned = vest_rotations(data, target, turn_deg=45.0, seed=1)
    for j in range(8):  # turned, then de-tilted: the mean still lands on the target
        np.testing.assert_allclose(turned[j] @ _unit(means[j]), target, atol=1e-9)
        assert not np.allclose(turned[j], rots[j], atol=1e-3)
    plain = WindowDataset(data, "test", video=False)
    up = WindowDataset(data, "test", video=False, vest_rotations=rots)
    key = int(plain.table["session"][0]) * KEY_BASE + int(plain.table["player"][0])
    np.testing.assert_allclose(up.arrays(0)["imu"], turn_triads(plain.arrays(0)["imu"],
                                                                rots[key]), atol=1e-5)
    assert not np.allclose(up.arrays(0)["imu"], plain.arrays(0)["imu"], atol=1e-2)


def test_cli_trains_with_upright_vests_and_fine_tuning_keeps_or_drops_them(data, tmp_path,
                                                                            capsys):
    from footcoach.cli.main import main
    from footcoach.ml.data import upright_direction
    from footcoach.ml.weights import load_model

    common = ["--epochs", "1", "--batch", "8", "--workers", "0", "--threads", "1"]
    out = tmp_path / "up"
    assert main(["train", str(data), "--out", str(out), "--modalities", "imu,context",
                 "--vest-upright", "--imu-yaw", "30", *common]) == 0
    doc = json.loads((out / "footcoach_model.json").read_text())["config"]
    np.testing.assert_allclose(doc["vest_upright"], upright_direction(data), atol=1e-9)
    assert doc["imu_yaw"] == 30.0
    kept = tmp_path / "kept"
    assert main(["train", str(data), "--out", str(kept), "--init", str(out), *common]) == 0
    assert load_model(kept)[1].vest_upright == load_model(out)[1].vest_upright
    dropped = tmp_path / "dropped"
    assert main(["train", str(data), "--out", str(dropped), "--init", str(out),
                 "--no-vest-upright", *common]) == 0
    assert load_model(dropped)[1].vest_upright == ()
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(out), "--resume", "--epochs", "2",
                 "--vest-upright"]) == 2
    assert "--vest-upright is a setting of a new run" in capsys.readouterr().err


def test_config_refuses_a_vest_upright_that_is_not_a_unit_vector():
    from footcoach.ml.config import ModelConfig

    assert ModelConfig.tiny(vest_upright=(0.0, 0.6, 0.8)).vest_upright == (0.0, 0.6, 0.8)
    for bad in ((0.0, 0.0, 2.0), (1.0, 0.0), (float("nan"), 0.0, 1.0)):
        with pytest.raises(FootcoachError, match="vest_upright"):
            ModelConfig.tiny(vest_upright=bad)
    with pytest.raises(FootcoachError, match="imu_yaw"):
        ModelConfig.tiny(imu_yaw=200.0)


def test_yaw_augmentation_keeps_the_component_along_the_upright_axis():
    from footcoach.ml.network import rotate_vests

    imu = torch.randn(5, 4, 20, 9)
    axis = (0.0, 0.6, 0.8)
    out = rotate_vests(imu, torch.full((5,), 70.0), axis=axis)
    a = torch.tensor(axis)
    for j in range(3):
        np.testing.assert_allclose((out[..., 3 * j:3 * j + 3] @ a).numpy(),
                                   (imu[..., 3 * j:3 * j + 3] @ a).numpy(), atol=1e-5)
    assert not torch.allclose(out, imu, atol=1e-2)


# ---- analysis ------------------------------------------------------------------------------
def _tiny_model(folder: Path, vest_upright: tuple[float, ...], seed: int = 3) -> Path:
    """A tiny random-init model folder that reads vests as worn or de-tilted."""
    from footcoach.ml.config import ModelConfig
    from footcoach.ml.network import FootcoachNet
    from footcoach.ml.weights import save_model

    torch.manual_seed(seed)
    cfg = ModelConfig.tiny(vest_upright=vest_upright)
    save_model(FootcoachNet(cfg).eval(), cfg, folder, training_info={"data": "none"},
               metrics={})
    return folder


def _tilt_vests(session: Path, degrees: float, from_s: float = 0.0) -> None:
    """Turn every vest CSV of ``session`` by ``degrees`` in the plane of its mean acceleration
    and the vertical (so a de-tilt onto z undoes it exactly), from ``from_s`` seconds on."""
    for csv in sorted((session / "imu").glob("*.csv")):
        lines = csv.read_text(encoding="utf-8").splitlines()
        rows = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
        m = rows[:, 1:4].mean(axis=0)
        turn = rotation_about(np.cross(m, [0.0, 0.0, 1.0]), degrees)
        at = rows[:, 0] >= rows[0, 0] + 1000.0 * from_s
        rows[at, 1:10] = turn_triads(rows[at, 1:10], turn)
        body = [f"{int(r[0])}," + ",".join(f"{v:.6f}" for v in r[1:]) for r in rows]
        csv.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")


def test_analysis_with_an_upright_model_reads_a_tilted_vest_as_an_upright_one(tmp_path):
    from footcoach.app.analyze import run_analysis

    session = make_session(tmp_path / "s", seconds=10.0)
    tilted = tmp_path / "tilted"
    shutil.copytree(session, tilted)
    _tilt_vests(tilted, 25.0)
    probs = {}
    for name, up in (("as worn", ()), ("upright", (0.0, 0.0, 1.0))):
        model = _tiny_model(tmp_path / name, up)
        for folder in (session, tilted):
            res = run_analysis(folder, model_dir=model, engine="torch", device="cpu")
            probs[name, folder.name] = res.steps.action_probs[res.steps.valid]
    moved = {name: float(np.abs(probs[name, "s"] - probs[name, "tilted"]).max())
             for name in ("as worn", "upright")}
    assert moved["upright"] < moved["as worn"] / 20


def test_analysis_with_an_upright_model_follows_a_vest_that_slipped(tmp_path):
    from footcoach.app.analyze import run_analysis
    from footcoach.bench.labelled_bench import without_streams

    made = make_session(tmp_path / "s", seconds=60.0)
    turned = tmp_path / "slipped"
    shutil.copytree(made, turned)
    _tilt_vests(turned, 35.0, from_s=30.0)  # a new pose for the second half
    # vests only: the fixture's tracks leave the pitch after 20 s
    session = without_streams(made, tmp_path / "a", ["positions"])
    slipped = without_streams(turned, tmp_path / "b", ["positions"])
    moved = {}
    for name, up in (("as worn", ()), ("upright", (0.0, 0.0, 1.0))):
        model = _tiny_model(tmp_path / name, up, seed=5)
        probs = []
        for folder in (session, slipped):
            res = run_analysis(folder, model_dir=model, engine="torch", device="cpu")
            late = res.steps.valid & (res.steps.t >= 35.0)[None, :]
            probs.append(res.steps.action_probs[late])
        moved[name] = float(np.abs(probs[0] - probs[1]).max())
    assert moved["upright"] < moved["as worn"] / 5


def test_the_checks_of_an_analysis_follow_the_model(tmp_path):
    from footcoach.app.engines import default_fault_settings, model_fault_settings, require_model
    from footcoach.sync.sensor_faults import DEFAULT_FAULTS

    for name, up, expected in (("worn", (), "z"), ("upright", (0.0, 0.0, 1.0), "pose")):
        _tiny_model(tmp_path / name, up)
        settings = model_fault_settings(require_model(tmp_path / name))
        assert settings.turned_from == expected
        assert settings.set_aside == DEFAULT_FAULTS.set_aside
        assert default_fault_settings(tmp_path / name) == settings
    assert default_fault_settings(tmp_path / "none") is DEFAULT_FAULTS
    assert model_fault_settings(None) is DEFAULT_FAULTS
