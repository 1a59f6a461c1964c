"""The dataset builder end to end on tiny simulated sessions: shapes, determinism, splits,
labels against labels.json, crops against the rendered video, the torch Dataset, cancel, coach
annotations and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from footcoach.app.align import align_session
from footcoach.app.dataset import BuildSettings, build_dataset, run_build
from footcoach.app.load import load_session
from footcoach.cli.main import main
from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.windowing import (
    CONTEXT_FEATURES,
    DEFAULT_CONTEXT_FEATURES,
    PLAYER_CONTEXT_FEATURES,
    POSSESSION_CONTEXT_FEATURES,
    RUN_CONTEXT_FEATURES,
    WindowSpec,
)
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import SPLITS, STEP_FIELDS, WINDOW_FIELDS, DatasetFile
from footcoach.io.video import VideoReader
from footcoach.io.video_crops import crop_boxes, cut_crops_yuv420, nearest_frames
from footcoach.sync.windows import ContextBuilder
from footcoach.synth.labels_io import read_labels
from footcoach.synth.simulate import run_world, simulate_session

SEED_VIDEO, SEED_PLAIN = 5, 6  # seed 5 dresses team A in an orange bib and team B in blue
PLAYERS, MINUTES = 4, 1 / 3
SPEC = WindowSpec()


@pytest.fixture(scope="module")
def sessions(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sessions")
    vid = simulate_session(root / "vid", seed=SEED_VIDEO, n_players=PLAYERS, minutes=MINUTES,
                           video_size=(320, 180))
    plain = simulate_session(root / "plain", seed=SEED_PLAIN, n_players=PLAYERS,
                             minutes=MINUTES, video=False)
    return vid, plain


@pytest.fixture(scope="module")
def world():
    """The simulated world behind the video session (the renderer's ground truth)."""
    return run_world(seed=SEED_VIDEO, n_players=PLAYERS, minutes=MINUTES)


@pytest.fixture(scope="module")
def built(sessions, tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "data.h5"
    return run_build(list(sessions), out, BuildSettings(seed=1))


def player_rows(ds: DatasetFile, j: int) -> slice:
    p = ds.players[j]
    return slice(p["row_start"], p["row_start"] + p["n_steps"])


def test_shapes_dtypes_and_attributes(built):
    with DatasetFile(built.path) as ds:
        h = ds.h5
        n = ds.n_steps
        assert n == 2 * PLAYERS * 40 == built.n_steps
        k = len(DEFAULT_CONTEXT_FEATURES)
        expect = {"video": ((n, 4, 64, 64, 3), np.uint8), "imu": ((n, 50, 9), np.float32),
                  "context": ((n, k), np.float32), "context_valid": ((n, k), np.bool_),
                  "mask": ((n, 3), np.bool_), "action": ((n,), np.int16),
                  "tactic": ((n,), np.int16), "quality": ((n,), np.float32),
                  "player": ((n,), np.int32), "session": ((n,), np.int32),
                  "t_s": ((n,), np.float64)}
        for name, (shape, dtype) in expect.items():
            assert h[name].shape == shape and h[name].dtype == dtype, name
            assert h[name].chunks is not None and h[name].compression == "lzf"
        assert ds.spec == SPEC and h.attrs["schema_version"] == 1
        assert [s["synthetic"] for s in ds.sessions] == [True, True]
        assert [s["video"] for s in ds.sessions] == [True, False]
        assert ds.action_names[Action.TAKE_OFF] == "take-off" and len(ds.tactic_names) == 8
        assert ds.build["settings"]["seed"] == 1
        mask = h["mask"][()]
        session = h["session"][()]
        assert mask[session == 0, 0].mean() > 0.5 and not mask[session == 1, 0].any()
        assert mask[:, 1].mean() > 0.8 and mask[:, 2].mean() > 0.6
        assert np.isfinite(h["imu"][()]).all() and np.isfinite(h["context"][()]).all()
        ball = [SPEC.context_features.index(f) for f in ("ball_dist_m", "ball_control_m")]
        valid = h["context_valid"][:, ball]
        assert valid.any() and not valid.all()  # the simulator's ball, unknown out of play
        assert ds.n_windows == built.n_windows > 0
        assert (ds.windows["weight"] >= 1.0).all()


def test_build_is_deterministic(sessions, built, tmp_path):
    again = run_build(list(sessions), tmp_path / "again.h5", BuildSettings(seed=1))
    with h5py.File(built.path, "r") as a, h5py.File(again.path, "r") as b:
        for name in [*STEP_FIELDS, *(f"windows/{k}" for k in WINDOW_FIELDS)]:
            np.testing.assert_array_equal(a[name][()], b[name][()], err_msg=name)
        assert a.attrs["players"] == b.attrs["players"]


def test_windows_stay_within_one_player_and_groups_within_one_split(built):
    with DatasetFile(built.path) as ds:
        player = ds.h5["player"][()]
        t = ds.h5["t_s"][()]
        seen: dict[int, set[int]] = {}
        for start, split in zip(ds.windows["start"], ds.windows["split"], strict=True):
            rows = slice(start, start + SPEC.window_steps)
            assert len(set(player[rows])) == 1
            np.testing.assert_allclose(np.diff(t[rows]), SPEC.step_s)
            seen.setdefault(int(player[start]), set()).add(int(split))
        assert all(len(s) == 1 for s in seen.values())
        assert len({next(iter(s)) for s in seen.values()}) == 3  # all splits used
        for j, p in enumerate(ds.players):
            if j in seen:
                assert SPLITS.index(p["split"]) in seen[j]


def test_window_and_step_labels_match_labels_json(sessions, built):
    with DatasetFile(built.path) as ds:
        labels = [read_labels(folder) for folder in sessions]
        team = {(p["session"], p["id"]): p["team"] for p in ds.players}
        player = ds.h5["player"][()]
        w = ds.windows
        assert len(w["start"]) > 50
        for i in range(len(w["start"])):
            p = ds.players[int(player[w["start"][i]])]
            lab = labels[p["session"]]
            t = float(w["t_s"][i])
            seg = lab.action_at(p["id"], t)
            assert seg is not None and w["action"][i] == int(seg.action)
            assert w["quality"][i] == pytest.approx(seg.quality, abs=0.05)
            assert w["tactic"][i] == int(lab.tactic_at(team[(p["session"], p["id"])], t))
            k = w["start"][i] - p["row_start"]
            assert t == pytest.approx((k + SPEC.window_steps / 2) * SPEC.step_s)
        rows = player_rows(ds, 2)
        p = ds.players[2]
        for t0, a, tac in zip(ds.h5["t_s"][rows], ds.h5["action"][rows], ds.h5["tactic"][rows],
                              strict=True):
            seg = labels[0].action_at(p["id"], t0 + SPEC.step_s / 2)
            assert a == (int(seg.action) if seg else -1)
            assert tac == int(labels[0].tactic_at(p["team"], t0 + SPEC.step_s / 2))


def test_crops_show_the_players_team_colours(sessions, built, world):
    """Render check: the simulator's renderer paints each team's shirts in its kit colour; the
    centre of a player's crop must hold more pixels of its own team's shirt than of the other's.
    """
    from footcoach.io.manifest import read_manifest
    from footcoach.synth.render import FrameRenderer

    session = read_manifest(sessions[0])
    renderer = FrameRenderer(world.traj, session.pitch, session.calibration, seed=SEED_VIDEO)
    shirt = {t: np.asarray(renderer.looks[i].shirt, float)
             for i, t in enumerate(world.traj.teams)}
    assert np.linalg.norm(shirt["A"] - shirt["B"]) > 150
    wins, total = 0, 0
    with DatasetFile(built.path) as ds:
        for j, p in enumerate(ds.players):
            if p["session"] != 0:
                continue
            rows = player_rows(ds, j)
            crops = ds.h5["video"][rows][ds.h5["mask"][rows][:, 0]][:, :, 8:56, 8:56]
            c = crops.astype(float)
            grass = np.median(c.reshape(len(c), -1, 3), axis=1)[:, None, None, None, :]
            fg = np.linalg.norm(c - grass, axis=-1) > 40
            own = np.linalg.norm(c - shirt[p["team"]], axis=-1)
            other = np.linalg.norm(c - shirt["B" if p["team"] == "A" else "A"], axis=-1)
            vote = ((own < other) & fg).sum(axis=(1, 2, 3)) - ((other < own) & fg).sum(
                axis=(1, 2, 3))
            assert vote.mean() > 0, p["id"]
            wins += int((vote > 0).sum())
            total += len(vote)
    assert total > 100 and wins / total > 0.7


def test_crops_come_from_the_frame_at_the_step_time(sessions, built, world):
    """Each stored crop is cut from the video frame nearest its sampling time, around the
    player's position; the simulated player's true position lies inside the crop."""
    aligned = align_session(load_session(sessions[0], imu="lazy"))
    s = aligned.loaded.session
    ctx = ContextBuilder(aligned.gps, {p.id: p.team for p in s.players}, s.pitch, spec=SPEC)
    traj = world.traj
    inside, valid_total = 0, 0
    with DatasetFile(built.path) as ds, VideoReader(s.path("video.mp4")) as reader:
        for j, p in enumerate(ds.players[:PLAYERS]):
            rows = player_rows(ds, j)
            t0 = ds.h5["t_s"][rows]
            times = (t0[:, None] + (np.arange(4) + 0.5)[None, :] * SPEC.step_s / 4).ravel()
            boxes = crop_boxes(s.calibration, ctx.smoothed_xy(p["id"], times))
            frames = nearest_frames(reader.frame_times, times, 0.0)
            video = ds.h5["video"][rows].reshape(-1, 64, 64, 3)
            mask = np.repeat(ds.h5["mask"][rows][:, 0], 4)
            for k in (5, 17, 30):
                if mask[k]:
                    pic = reader.picture_yuv420(frames[k])
                    np.testing.assert_array_equal(
                        video[k], cut_crops_yuv420(pic, boxes[k:k + 1], 64)[0])
            i = traj.player_ids.index(p["id"])
            true_xy = np.c_[np.interp(times, traj.t, traj.xy[i, :, 0]),
                            np.interp(times, traj.t, traj.xy[i, :, 1])]
            foot = s.calibration.pitch_to_image(true_xy)
            near = np.abs(foot - boxes[:, :2]).max(axis=1) < boxes[:, 2] / 2
            inside += int(near[mask].sum())
            valid_total += int(mask.sum())
    assert valid_total > 300 and inside / valid_total > 0.9


def test_torch_dataset_reads_the_same_arrays_lazily(built):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    from footcoach.ml.data import WindowDataset

    data = WindowDataset(built.path, split="train")
    assert data._file is None and len(data) == built.windows_per_split["train"]
    with h5py.File(built.path, "r") as h:
        order = np.flatnonzero(h["windows/split"][()] == 0)
        for i in (0, len(data) // 2, len(data) - 1):
            item = data[i]
            w = int(order[i])
            start = int(h["windows/start"][w])
            rows = slice(start, start + SPEC.window_steps)
            assert item["video"].shape == (8, 3, 4, 64, 64) and item["video"].dtype == torch.uint8
            np.testing.assert_array_equal(item["video"].numpy(),
                                          h["video"][rows].transpose(0, 4, 1, 2, 3))
            np.testing.assert_array_equal(item["imu"].numpy(), h["imu"][rows])
            ctx = np.where(h["context_valid"][rows], h["context"][rows], np.nan)
            np.testing.assert_array_equal(item["context"].numpy(), ctx)
            np.testing.assert_array_equal(item["mask"].numpy(), h["mask"][rows])
            assert int(item["action"]) == int(h["windows/action"][w])
            assert int(item["tactic"]) == int(h["windows/tactic"][w])
    loader = DataLoader(data, batch_size=4, num_workers=2, shuffle=False)
    batch = next(iter(loader))
    assert batch["video"].shape == (4, 8, 3, 4, 64, 64)
    for b in range(4):
        np.testing.assert_array_equal(batch["imu"][b].numpy(), data[b]["imu"].numpy())
    no_video = WindowDataset(built.path, split="val", video=False)[0]
    assert no_video["video"].numel() == 0 and not no_video["mask"][:, 0].any()
    assert data.class_counts().sum() == len(data)


def test_in_memory_windows_equal_the_lazily_read_ones(built):
    pytest.importorskip("torch")
    from footcoach.ml.data import WindowDataset

    lazy = WindowDataset(built.path, split="train", video=False, in_memory=False)
    memory = WindowDataset(built.path, split="train", video=False)
    assert memory.in_memory and not lazy.in_memory and not WindowDataset(built.path).in_memory
    for i in (0, len(lazy) // 3, len(lazy) - 1):
        a, b = lazy[i], memory[i]
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k].numpy(), b[k].numpy(), err_msg=k)
    assert memory._memory is not None and lazy._memory is None


def test_cancel_stops_the_build_and_leaves_no_file(sessions, tmp_path):
    polls = []

    def cancel() -> bool:
        polls.append(1)
        return len(polls) > 10

    out = tmp_path / "cancelled.h5"
    with pytest.raises(FootcoachError, match="cancelled"):
        for _ in build_dataset([sessions[0]], out, cancel=cancel):
            pass
    assert len(polls) == 11
    assert list(tmp_path.iterdir()) == []
    gen = build_dataset([sessions[1]], out)  # a consumer that stops early
    next(gen)
    next(gen)
    gen.close()
    assert list(tmp_path.iterdir()) == []


def test_coach_annotations_feed_the_dataset(sessions, tmp_path):
    folder = tmp_path / "corrected"
    shutil.copytree(sessions[1], folder)
    ev = Event("c1", "a02", 5.0, 9.0, Action.JUMPING, Tactic.SHOOTING, 88.0, source="coach")
    (folder / "annotations.json").write_text(json.dumps({"schema_version": 1,
                                                         "events": [ev.to_dict()]}))
    result = run_build([folder], tmp_path / "c.h5")
    with DatasetFile(result.path) as ds:
        assert ds.sessions[0]["label_source"] == "synthetic+annotations"
        j = [p["id"] for p in ds.players].index("a02")
        w = ds.windows
        mine = (ds.h5["player"][()][w["start"]] == j) & (w["t_s"] >= 5.0) & (w["t_s"] < 9.0)
        assert mine.sum() >= 4
        assert (w["action"][mine] == Action.JUMPING).all()
        assert (w["tactic"][mine] == Tactic.SHOOTING).all()
        np.testing.assert_allclose(w["quality"][mine], 88.0)


def test_unlabelled_session_is_refused(sessions, tmp_path):
    folder = tmp_path / "unlabelled"
    shutil.copytree(sessions[1], folder)
    (folder / "labels.json").unlink()
    with pytest.raises(FootcoachError, match=r"no labels\.json or annotations\.json"):
        run_build([folder], tmp_path / "x.h5")
    assert not (tmp_path / "x.h5").exists()


def test_cli_build_and_info(sessions, tmp_path, capsys):
    out = tmp_path / "cli.h5"
    assert main(["dataset", "build", str(sessions[1]), "--out", str(out), "--seed", "2"]) == 0
    text = capsys.readouterr().out
    assert "steps/s" in text and "MB per player-minute" in text
    assert "action" in text and "train" in text and "running" in text
    assert main(["dataset", "info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "schema version 1" in info and "video" in info and "windows/split" in info
    assert "tactic" in info and "1 sessions (1 synthetic)" in info
    assert main(["dataset", "build", str(sessions[1]), "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["dataset", "info", str(tmp_path / "missing.h5")]) == 2


def test_cli_build_with_longer_windows(sessions, tmp_path, capsys):
    """``--window-steps`` sets the window length; the step rows stay the same, each window
    takes its labels at its own centre time, and fewer windows fit a short session."""
    short, long_ = tmp_path / "w8.h5", tmp_path / "w12.h5"
    assert main(["dataset", "build", str(sessions[1]), "--out", str(short), "--balance",
                 "1000"]) == 0
    assert main(["dataset", "build", str(sessions[1]), "--out", str(long_), "--balance",
                 "1000", "--window-steps", "12"]) == 0
    with DatasetFile(short) as a, DatasetFile(long_) as b:
        assert a.spec.window_steps == 8 and b.spec.window_steps == 12
        np.testing.assert_array_equal(a.h5["context"][:], b.h5["context"][:])
        assert 0 < b.n_windows < a.n_windows
        for ds, centre_s in ((a, 2.0), (b, 3.0)):  # labels at start + window_steps x 0.5 s / 2
            start = ds.h5["windows/start"][:]
            np.testing.assert_allclose(ds.h5["windows/t_s"][:] - ds.h5["t_s"][:][start],
                                       centre_s)
    capsys.readouterr()
    assert main(["dataset", "build", str(sessions[1]), "--out", str(tmp_path / "x.h5"),
                 "--window-steps", "1"]) == 2
    assert "--window-steps must be 2..64" in capsys.readouterr().err


def test_cli_build_pins_the_test_sessions(sessions, tmp_path, capsys):
    """``--test-sessions`` names the folders whose players form the whole test split; a name
    that is not among the sessions is refused before any work; naming them all gives a
    test-only dataset."""
    out = tmp_path / "pinned.h5"
    assert main(["dataset", "build", *map(str, sessions), "--out", str(out),
                 "--test-sessions", sessions[1].name]) == 0
    with DatasetFile(out) as ds:
        split = {SPLITS[int(s)] for s in ds.windows["split"]}
        by_session = {ds.sessions[p["session"]]["path"]: set() for p in ds.players}
        for p in ds.players:
            by_session[ds.sessions[p["session"]]["path"]].add(p["split"])
    assert split == {"train", "val", "test"}
    assert by_session[str(sessions[1].resolve())] == {"test"}
    assert "test" not in by_session[str(sessions[0].resolve())]
    capsys.readouterr()
    bad = tmp_path / "bad.h5"
    assert main(["dataset", "build", *map(str, sessions), "--out", str(bad),
                 "--test-sessions", "nope"]) == 2
    assert "test session 'nope' is not among the sessions given" in capsys.readouterr().err
    assert not bad.exists()
    # naming every session: a test-only dataset, scored by evaluate, refused by train
    only = tmp_path / "test-only.h5"
    assert main(["dataset", "build", *map(str, sessions), "--out", str(only), "--test-sessions",
                 f"{sessions[0].name},{sessions[1].name}"]) == 0
    with DatasetFile(only) as ds:
        assert {SPLITS[int(s)] for s in ds.windows["split"]} == {"test"}
        assert {p["split"] for p in ds.players} == {"test"}
    same = tmp_path / "same.h5"
    assert main(["dataset", "build", *map(str, sessions), "--out", str(same), "--test-only"]) == 0
    with DatasetFile(only) as a, DatasetFile(same) as b:
        np.testing.assert_array_equal(a.windows["start"], b.windows["start"])
    capsys.readouterr()
    assert main(["dataset", "build", *map(str, sessions), "--out", str(bad), "--test-only",
                 "--test-sessions", sessions[0].name]) == 2
    assert "--test-only or --test-sessions, not both" in capsys.readouterr().err
    assert main(["train", str(only), "--out", str(tmp_path / "m"), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "the train split has no windows (a test-only dataset" in err and str(only) in err


def _test_windows(path: Path) -> list[tuple[str, str, float, int, float]]:
    """(session folder, player id, centre time, action, weight) of the test windows."""
    with DatasetFile(path) as ds:
        w, rows = ds.windows, ds.window_indices("test")
        players = [ds.players[int(ds.h5["player"][int(r)])] for r in w["start"][rows]]
        return [(Path(ds.sessions[p["session"]]["path"]).name, p["id"], float(t), int(a),
                 float(wt))
                for p, t, a, wt in zip(players, w["t_s"][rows], w["action"][rows],
                                       w["weight"][rows], strict=True)]


def test_pinned_test_windows_do_not_depend_on_the_other_sessions(sessions, tmp_path):
    """Named test sessions are balanced among themselves: adding a training session leaves
    the test windows (and their weights) exactly as they were."""
    other = simulate_session(tmp_path / "other", seed=SEED_PLAIN + 7, n_players=PLAYERS,
                             minutes=MINUTES, video=False)
    small, large = tmp_path / "small.h5", tmp_path / "large.h5"
    test = sessions[1].name
    assert main(["dataset", "build", str(sessions[0]), str(sessions[1]), "--out", str(small),
                 "--test-sessions", test]) == 0
    assert main(["dataset", "build", str(sessions[0]), str(other), str(sessions[1]), "--out",
                 str(large), "--test-sessions", test]) == 0
    a, b = _test_windows(small), _test_windows(large)
    assert a and a == b and {w[0] for w in a} == {test}
    with DatasetFile(small) as s1, DatasetFile(large) as s2:
        assert s1.build["test_keep_probability"] == s2.build["test_keep_probability"]
        assert s1.windows["split"].size != s2.windows["split"].size  # more training windows


def test_cli_build_with_player_context_only(sessions, tmp_path):
    """``--context player`` keeps the first twelve features, equal to the default build's;
    ``--context runs`` adds the 4 run features after the default 31, ``--context possession``
    the 2 possession features, ``--context all`` the 3 capacity features, then the run and
    the possession features."""
    full, player, every = tmp_path / "full.h5", tmp_path / "player.h5", tmp_path / "all.h5"
    runs, poss = tmp_path / "runs.h5", tmp_path / "poss.h5"
    assert main(["dataset", "build", str(sessions[1]), "--out", str(full)]) == 0
    for out, context in ((player, "player"), (every, "all"), (runs, "runs"),
                         (poss, "possession")):
        assert main(["dataset", "build", str(sessions[1]), "--out", str(out),
                     "--context", context]) == 0
    with (DatasetFile(full) as a, DatasetFile(player) as b, DatasetFile(every) as c,
          DatasetFile(runs) as r, DatasetFile(poss) as p):
        assert a.spec.context_features == DEFAULT_CONTEXT_FEATURES
        assert b.spec.context_features == PLAYER_CONTEXT_FEATURES
        assert c.spec.context_features == CONTEXT_FEATURES
        assert r.spec.context_features == DEFAULT_CONTEXT_FEATURES + RUN_CONTEXT_FEATURES
        assert p.spec.context_features == (DEFAULT_CONTEXT_FEATURES
                                           + POSSESSION_CONTEXT_FEATURES)
        ca, cb, cc = a.h5["context"][:], b.h5["context"][:], c.h5["context"][:]
        assert ca.shape[1] == len(DEFAULT_CONTEXT_FEATURES) and cb.shape[1] == 12
        np.testing.assert_array_equal(ca[:, :12], cb)
        np.testing.assert_array_equal(cc[:, :ca.shape[1]], ca)
        n = ca.shape[1]
        assert cc.shape[1] == n + 3 + 4 + 2
        # these sessions are shorter than the 30 s of track a player's capacity needs
        assert not c.h5["context_valid"][:, n:n + 3].any()
        # the run features only need the two teams' positions
        assert c.h5["context_valid"][:, n + 3:n + 7].mean() > 0.9
        np.testing.assert_array_equal(r.h5["context"][:], np.c_[ca, cc[:, n + 3:n + 7]])
        np.testing.assert_array_equal(p.h5["context"][:], np.c_[ca, cc[:, n + 7:]],
                                      strict=True)
        # possession is known once a player has controlled the simulator's ball
        assert p.h5["context_valid"][:, n:].mean() > 0.5
        team = a.h5["context_valid"][:, 12:23]
        assert team.mean() > 0.9  # two teams: the team-shape features are known


def test_ball_track_of_labels_json_feeds_the_ball_features(sessions, tmp_path):
    """The simulator writes its ball (25 Hz, null out of play) into labels.json; the builder
    turns it into the ball features; ``--no-ball`` leaves them unknown and ``--context team``
    keeps the 23 features before them."""
    doc = json.loads((sessions[1] / "labels.json").read_text())
    ball = doc["ball"]
    assert ball["rate_hz"] == 25.0 and len(ball["x"]) == len(ball["y"]) == len(ball["z"])
    assert len(ball["x"]) == round(doc["duration_s"] * 25)
    lab = read_labels(sessions[1])
    assert lab.ball_xyz is not None and lab.ball_xyz.shape == (len(ball["x"]), 3)
    assert np.isfinite(lab.ball_xyz).any()
    with_ball, no_ball, team = tmp_path / "b.h5", tmp_path / "n.h5", tmp_path / "t.h5"
    assert main(["dataset", "build", str(sessions[1]), "--out", str(with_ball)]) == 0
    assert main(["dataset", "build", str(sessions[1]), "--out", str(no_ball), "--no-ball"]) == 0
    assert main(["dataset", "build", str(sessions[1]), "--out", str(team), "--context",
                 "team"]) == 0
    cols = [k for k, n in enumerate(DEFAULT_CONTEXT_FEATURES) if n.startswith("ball_")]
    with DatasetFile(with_ball) as a, DatasetFile(no_ball) as b, DatasetFile(team) as c:
        va, vb = a.h5["context_valid"][:], b.h5["context_valid"][:]
        assert va[:, cols].any(axis=0).all()  # every ball feature is known somewhere
        assert not vb[:, cols].any()
        others = [k for k in range(len(DEFAULT_CONTEXT_FEATURES)) if k not in cols]
        np.testing.assert_array_equal(a.h5["context"][:][:, others],
                                      b.h5["context"][:][:, others])
        assert len(c.spec.context_features) == 23
        np.testing.assert_array_equal(c.h5["context"][:], a.h5["context"][:][:, :23])


def test_ball_tracking_errors_change_only_the_ball_features(sessions, tmp_path):
    """``--ball-noise`` / ``--ball-gaps`` degrade the simulated ball: the ball features move
    and lose steps, the others stay, and the session record says what was added."""
    exact, noisy = tmp_path / "exact.h5", tmp_path / "noisy.h5"
    assert main(["dataset", "build", str(sessions[1]), "--out", str(exact)]) == 0
    assert main(["dataset", "build", str(sessions[1]), "--out", str(noisy), "--ball-noise",
                 "1.5", "--ball-gaps", "0.3"]) == 0
    cols = [k for k, n in enumerate(DEFAULT_CONTEXT_FEATURES) if n.startswith("ball_")]
    others = [k for k in range(len(DEFAULT_CONTEXT_FEATURES)) if k not in cols]
    with DatasetFile(exact) as a, DatasetFile(noisy) as b:
        ca, cb = a.h5["context"][:], b.h5["context"][:]
        np.testing.assert_array_equal(ca[:, others], cb[:, others])
        va, vb = a.h5["context_valid"][:, cols], b.h5["context_valid"][:, cols]
        assert vb.sum() < va.sum() and not (vb & ~va).any()  # gaps only remove steps
        both = va & vb
        dist = DEFAULT_CONTEXT_FEATURES.index("ball_dist_m")
        diff = np.abs(ca[both[:, 0], dist] - cb[both[:, 0], dist])
        assert 0.2 < np.median(diff) < 3.0  # moved by about the noise, not wrecked
        assert a.sessions[0]["ball_errors"] is None
        assert b.sessions[0]["ball_errors"] == {"noise_m": 1.5, "gap_share": 0.3}
    assert main(["dataset", "build", str(sessions[1]), "--out", str(tmp_path / "x.h5"),
                 "--ball-gaps", "1.5"]) == 2


def test_a_build_without_the_imu_keeps_the_context_and_labels(sessions, tmp_path):
    """``--no-imu``: the same context, labels and position mask as a full build, the IMU
    marked absent and not stored (no chunk written), the file much smaller."""
    full, slim = tmp_path / "full.h5", tmp_path / "slim.h5"
    assert main(["dataset", "build", str(sessions[1]), "--out", str(full)]) == 0
    assert main(["dataset", "build", str(sessions[1]), "--out", str(slim), "--no-imu"]) == 0
    with DatasetFile(full) as a, DatasetFile(slim) as b:
        for name in ("context", "context_valid", "tactic", "action", "quality", "t_s"):
            np.testing.assert_array_equal(a.h5[name][:], b.h5[name][:])
        ma, mb = a.h5["mask"][:], b.h5["mask"][:]
        assert ma[:, 1].any() and not mb[:, 1].any()
        np.testing.assert_array_equal(ma[:, [0, 2]], mb[:, [0, 2]])
        assert b.h5["imu"].id.get_storage_size() == 0 < a.h5["imu"].id.get_storage_size()
        assert not b.h5["imu"][:50].any()
        assert b.build["settings"]["store_imu"] is False and len(b.windows["start"]) > 0
    assert slim.stat().st_size < full.stat().st_size / 4


def test_true_imu_offsets_from_labels_shift_the_imu_steps(sessions, tmp_path):
    """``imu_offsets="labels"`` applies the simulator's true vest clock offsets: the stored IMU
    moves by ``imu_s`` against the manifest build (found by cross-correlation)."""
    base = run_build([sessions[1]], tmp_path / "m.h5")
    true = run_build([sessions[1]], tmp_path / "l.h5", BuildSettings(imu_offsets="labels"))
    offsets = {c.player_id: c.imu_s for c in read_labels(sessions[1]).clock_offsets}
    with DatasetFile(base.path) as a, DatasetFile(true.path) as b:
        assert b.build["settings"]["imu_offsets"] == "labels"
        for j, p in enumerate(a.players):
            signal = []
            for ds in (a, b):  # acc_z on the session clock, keyed by centiseconds
                rows = player_rows(ds, j)
                cs = np.rint(100 * ds.h5["t_s"][rows])[:, None] + np.arange(50)[None, :]
                signal.append(dict(zip(cs.ravel().astype(int).tolist(),
                                       ds.h5["imu"][rows][:, :, 2].ravel(), strict=True)))
            keys = np.array(sorted(signal[0]))[100:-100]
            x = np.array([signal[0][k] for k in keys])

            def corr(lag: int, keys=keys, x=x, y=signal[1]) -> float:
                v = np.array([y.get(k + lag, np.nan) for k in keys])
                ok = np.isfinite(v)
                return float(np.corrcoef(x[ok], v[ok])[0, 1])

            lags = list(range(-60, 61))
            best = lags[int(np.nanargmax([corr(lag) for lag in lags]))]
            assert abs(best + round(100 * offsets[p["id"]])) <= 1, (p["id"], best)


def test_positions_fall_back_to_tracking_for_players_without_gps():
    from footcoach.app.align import AlignedSession
    from footcoach.app.dataset import session_positions
    from footcoach.app.load import LoadedSession
    from footcoach.domain.pitch import Pitch
    from footcoach.domain.session import Player, Session
    from footcoach.domain.timeseries import TimeSeries
    from footcoach.io.tracking import TrackingData

    t = np.arange(10) / 10.0
    track = TimeSeries(t, np.c_[t, t], ("x", "y"), ("m", "m"))
    gps = TimeSeries(t, np.c_[t + 5, t], ("x", "y"), ("m", "m"))
    tracking = TrackingData(Pitch(), 10.0, {"home_7": track, "home_9": track}, {}, None, t)
    session = Session("s", players=[Player("p1", gps="g.csv", tracking_id="home_9"),
                                    Player("p2", tracking_id="home_7"), Player("p3")])
    loaded = LoadedSession(session=session, tracking=tracking)
    pos = session_positions(AlignedSession(loaded=loaded, gps={"p1": gps}))
    assert set(pos) == {"p1", "p2"} and pos["p1"] is gps and pos["p2"] is track
