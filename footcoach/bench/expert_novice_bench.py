"""``footcoach benchmark expert-novice``: the network vs a classical baseline on real IMU data.

Data: the Expert-Novice Soccer dataset (``/work/shared/data/expert-novice-soccer-imu``,
SOURCE.md): one recording per repetition of 9 football actions, 17-IMU Perception Neuron suit,
~96-100 Hz (taken as ``rate_hz``, default 100), each with a 1-4 expert score. Protocol: with
only a training file, leave-one-player-out (one fold per player); with a test file, train on
the training file and score the test file (its players must not be in the training file).

Compared, on the same folds:

* the footcoach network, IMU only (``footcoach.ml.expert_novice``), trained per fold;
* the classical baseline (``footcoach.bench.baseline``): handcrafted features
  (``footcoach.analysis.imu_features``) and scikit-learn's histogram gradient boosting;
* the bundled model zero-shot (``models/``): its action head on the upper-spine recordings
  turned into its vest frame, kicks counted right when "shooting" beats "dribbling" and
  dribbles when "dribbling" wins (juggling has no counterpart and is left out).

Sensor frame of the data (checked against the suit's orientation quaternions and positions in
the raw files): x right, y up, z backward, and ``A`` is minus the specific force (-1 g on y at
rest). Mirroring (a left-footer made right-footed) reflects x and swaps left/right segments.

This module imports neither torch nor scikit-learn at import time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.analysis.imu_features import feature_matrix
from footcoach.bench.baseline import BaselineSettings, baseline_fit_predict
from footcoach.errors import FootcoachError
from footcoach.io.expert_novice import ACTIONS_BY_SAMPLE, read_expert_novice_derived

Progress = Callable[[int, int, str], None]
LABELS: tuple[str, ...] = tuple(a for a, _ in ACTIONS_BY_SAMPLE)
GROUPS: tuple[str, ...] = ("shot", "dribble", "juggle")
#: 9-class index -> 3-class group index (kicks -> shot, dribble_* -> dribble, juggling).
GROUP_OF = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2])
DEFAULT_TRAIN = "expert-novice-soccer-imu/derived/lower_body_imu_players_1-3_5-7.csv.gz"
VEST_SEGMENT = "upper_spine"


def default_train_path() -> Path:
    """The derived training file in the shared data folder ($FOOTCOACH_SHARED_DATA, ../shared/data
    beside the repository, or /work/shared/data)."""
    repo = Path(__file__).resolve().parents[2]
    for base in (os.environ.get("FOOTCOACH_SHARED_DATA"), repo.parent / "shared" / "data",
                 Path("/work/shared/data")):
        if base and (Path(base) / DEFAULT_TRAIN).is_file():
            return Path(base) / DEFAULT_TRAIN
    raise FootcoachError(f"no default training file ({DEFAULT_TRAIN} in the shared data "
                         "folder; set FOOTCOACH_SHARED_DATA or pass --train)")


# ---- data --------------------------------------------------------------------------------
@dataclass
class EnData:
    """Recordings of one file. ``recordings[i]`` (N_i, 6 * len(segments)) acc g / gyro rad/s
    in the suit's sensor frame (mirrored players reflected); ``vest[i]`` (N_i, 6) the upper
    spine in the footcoach vest frame; ``players``/``samples``/``labels`` (n,) int, ``scores``
    (n,) float 1-4."""

    path: Path
    segments: tuple[str, ...]
    players: np.ndarray
    samples: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    recordings: list[np.ndarray]
    vest: list[np.ndarray]
    mirrored: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.recordings)

    def subset(self, idx: np.ndarray) -> EnData:
        return replace(self, players=self.players[idx], samples=self.samples[idx],
                       labels=self.labels[idx], scores=self.scores[idx],
                       recordings=[self.recordings[i] for i in idx],
                       vest=[self.vest[i] for i in idx])


def mirror_imu(x: np.ndarray) -> np.ndarray:
    """Left-right reflection of (N, 6 * k) suit-frame data: acc x, gyro y and gyro z negated
    (x is the lateral axis; angular velocity is an axial vector)."""
    sign = np.tile([-1.0, 1.0, 1.0, 1.0, -1.0, -1.0], x.shape[1] // 6)
    return x * sign


def to_vest_frame(x: np.ndarray) -> np.ndarray:
    """Suit-frame (x right, y up, z back; acc = -specific force) (N, 6) -> the footcoach vest
    frame (x forward, y left, z up; acc = specific force, +1 g up at rest), (N, 6)."""
    ax, ay, az, wx, wy, wz = x.T
    return np.column_stack([az, ax, -ay, -wz, -wx, wy])


def partner(segment: str) -> str:
    """``right_foot`` <-> ``left_foot`` (etc.); a central segment is its own partner."""
    for a, b in (("right_", "left_"), ("left_", "right_")):
        if segment.startswith(a):
            return b + segment[len(a):]
    return segment


def _read_segments(path: Path, segments: Sequence[str], rate_hz: float
                   ) -> tuple[list[tuple[int, int, str, float]], dict[str, list[np.ndarray]]]:
    keys: list[tuple[int, int, str, float]] = []
    data: dict[str, list[np.ndarray]] = {}
    for seg in dict.fromkeys(segments):
        rows = read_expert_novice_derived(path, segment=seg, rate_hz=rate_hz)
        k = [(r.player, r.sample, r.action, r.expert_score) for r in rows]
        if keys and k != keys:
            raise FootcoachError(f"segment {seg} has different recordings than the others", path)
        keys = k
        data[seg] = [r.imu.values for r in rows]
    return keys, data


def footedness(right: Sequence[np.ndarray], left: Sequence[np.ndarray], players: np.ndarray
               ) -> dict[int, str]:
    """``"left"`` or ``"right"`` per player: the foot whose peak |gyro| (summed over axes) is
    larger in the median recording (label-free: the kicking foot spins hardest)."""
    out = {}
    for p in np.unique(players):
        idx = np.flatnonzero(players == p)
        r = np.median([np.nanmax(np.abs(right[i][:, 3:]).sum(axis=1)) for i in idx.tolist()])
        lf = np.median([np.nanmax(np.abs(left[i][:, 3:]).sum(axis=1)) for i in idx.tolist()])
        out[int(p)] = "left" if lf > r else "right"
    return out


def load_data(path: str | Path, segments: Sequence[str], *, rate_hz: float = 100.0,
              mirror: str | Sequence[int] = "auto") -> EnData:
    """Read ``segments`` (and the upper spine) of every recording of a derived-layout file.

    ``mirror``: ``"auto"`` mirrors players whose left foot kicks harder (:func:`footedness`),
    ``"none"`` nobody, or a list of player numbers.
    """
    path = Path(path)
    if not segments:
        raise FootcoachError("no segment given", path)
    need = [*segments, VEST_SEGMENT]
    if mirror != "none":
        need += [partner(s) for s in segments]
    if mirror == "auto":
        need += ["right_foot", "left_foot"]
    keys, data = _read_segments(path, need, rate_hz)
    players = np.array([k[0] for k in keys])
    unknown = sorted({k[2] for k in keys} - set(LABELS))
    if unknown:
        raise FootcoachError(f"unknown action {unknown[0]!r} (expected one of "
                             f"{', '.join(LABELS)})", path)
    if mirror == "auto":
        feet = footedness(data["right_foot"], data["left_foot"], players)
        flip = {p for p, f in feet.items() if f == "left"}
    elif mirror == "none":
        flip = set()
    else:
        flip = {int(p) for p in mirror}
    recs, vest = [], []
    for i, p in enumerate(players):
        segs = [partner(s) if p in flip else s for s in segments]
        x = np.column_stack([data[s][i] for s in segs])
        spine = data[VEST_SEGMENT][i]
        if p in flip:
            x, spine = mirror_imu(x), mirror_imu(spine)
        recs.append(x)
        vest.append(to_vest_frame(spine))
    return EnData(path, tuple(segments), players, np.array([k[1] for k in keys]),
                  np.array([LABELS.index(k[2]) for k in keys]),
                  np.array([k[3] for k in keys], dtype=np.float64), recs, vest,
                  tuple(sorted(int(p) for p in flip if p in set(players.tolist()))))


# ---- folds and metrics -------------------------------------------------------------------
@dataclass(frozen=True)
class Fold:
    """One train/test split: ``name`` and the players on each side."""

    name: str
    train_players: tuple[int, ...]
    test_players: tuple[int, ...]


def lopo_folds(players: np.ndarray) -> list[Fold]:
    """Leave-one-player-out: one fold per player, trained on all the others."""
    ps = [int(p) for p in np.unique(players)]
    if len(ps) < 2:
        raise FootcoachError(f"leave-one-player-out needs at least 2 players, got {ps}")
    return [Fold(f"player {p}", tuple(q for q in ps if q != p), (p,)) for p in ps]


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean F1 over the classes that occur in ``y_true`` or ``y_pred``."""
    f1s = []
    for c in np.union1d(y_true, y_pred):
        tp = np.sum((y_true == c) & (y_pred == c))
        denom = np.sum(y_true == c) + np.sum(y_pred == c)
        f1s.append(2.0 * tp / denom if denom else 0.0)
    return float(np.mean(f1s))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r; NaN when either side is constant."""
    a, b = np.asarray(a, float) - np.mean(a), np.asarray(b, float) - np.mean(b)
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-12 else float("nan")


def scores_of(y: np.ndarray, pred: np.ndarray, s: np.ndarray, s_pred: np.ndarray
              ) -> dict[str, float]:
    """acc9 / f1 (9-class), acc3 (shot/dribble/juggle from the 9-class predictions), mae_pct
    (score MAE as % of the 1-4 scale, i.e. MAE / 3 * 100) and r (Pearson) of one prediction."""
    ok = np.isfinite(s)
    return {"acc9": float(np.mean(y == pred)), "f1": macro_f1(y, pred),
            "acc3": float(np.mean(GROUP_OF[y] == GROUP_OF[pred])),
            "mae_pct": float(np.mean(np.abs(s_pred[ok] - s[ok])) / 3.0 * 100.0),
            "r": pearson(s[ok], s_pred[ok])}


def zero_shot_scores(y: np.ndarray, probs: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """The bundled model's probabilities (n, its classes) judged on kicks and dribbles:
    ``shot_dribble_acc`` (is P(shooting) vs P(dribbling) the right way round), ``top1`` (is
    the 12-class argmax the mapped class) and ``n`` (kicks + dribbles)."""
    sh, dr = list(labels).index("shooting"), list(labels).index("dribbling")
    keep = GROUP_OF[y] < 2
    want = np.where(GROUP_OF[y[keep]] == 0, sh, dr)
    p = probs[keep]
    pair = np.where(p[:, sh] >= p[:, dr], sh, dr)
    return {"shot_dribble_acc": float(np.mean(pair == want)),
            "top1": float(np.mean(p.argmax(axis=1) == want)), "n": float(keep.sum())}


# ---- the run -----------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchConfig:
    """What to run. ``net`` is a ``footcoach.ml.expert_novice.NetSettings`` (None: defaults,
    or their ``quick()`` form when ``quick``); ``model_dir`` the bundled model (None: the
    default folder; a folder without a model skips the zero-shot part)."""

    train: Path
    test: Path | None = None
    segments: tuple[str, ...] = (VEST_SEGMENT,)
    rate_hz: float = 100.0
    mirror: str | tuple[int, ...] = "auto"
    quick: bool = False
    net: Any = None
    baseline: BaselineSettings = field(default_factory=BaselineSettings)
    model_dir: Path | None = None
    zero_shot: bool = True


@dataclass
class FoldResult:
    fold: Fold
    n: int
    model: dict[str, float]
    baseline: dict[str, float]
    bundled: dict[str, float] | None
    seconds: dict[str, float]
    y: np.ndarray
    pred_model: np.ndarray
    pred_base: np.ndarray
    s: np.ndarray
    s_model: np.ndarray
    s_base: np.ndarray


@dataclass
class BenchResult:
    config: BenchConfig
    protocol: str
    train_desc: str
    test_desc: str
    mirrored: tuple[int, ...]
    net_desc: str
    bundled_desc: str
    folds: list[FoldResult]
    seconds: float

    def mean(self, which: str, key: str) -> float:
        vals = [getattr(f, which)[key] for f in self.folds if getattr(f, which) is not None]
        vals = [v for v in vals if np.isfinite(v)]
        return float(np.mean(vals)) if vals else float("nan")

    def pooled(self, which: str) -> dict[str, float]:
        y = np.concatenate([f.y for f in self.folds])
        s = np.concatenate([f.s for f in self.folds])
        pred = np.concatenate([getattr(f, f"pred_{which}") for f in self.folds])
        sp = np.concatenate([getattr(f, f"s_{which}") for f in self.folds])
        return scores_of(y, pred, s, sp)

    def last_line(self) -> str:
        return (f"expert-novice: model macro-F1 {self.mean('model', 'f1'):.3f}, baseline "
                f"macro-F1 {self.mean('baseline', 'f1'):.3f}, score MAE "
                f"{self.mean('model', 'mae_pct'):.1f}%")


def _describe(d: EnData) -> str:
    ps = ",".join(str(p) for p in np.unique(d.players))
    return f"{d.path.name}: players {ps}, {len(d)} recordings"


def _plan(cfg: BenchConfig) -> tuple[EnData, list[tuple[Fold, np.ndarray, np.ndarray]], str]:
    train = load_data(cfg.train, cfg.segments, rate_hz=cfg.rate_hz, mirror=cfg.mirror)
    if cfg.test is None:
        folds = [(f, np.flatnonzero(np.isin(train.players, f.train_players)),
                  np.flatnonzero(np.isin(train.players, f.test_players)))
                 for f in lopo_folds(train.players)]
        return train, folds, f"leave-one-player-out ({len(folds)} folds)"
    test = load_data(cfg.test, cfg.segments, rate_hz=cfg.rate_hz, mirror=cfg.mirror)
    both = sorted(set(train.players.tolist()) & set(test.players.tolist()))
    if both:
        raise FootcoachError(f"player(s) {both} are in both the training and the test file",
                             cfg.test)
    n = len(train)
    data = replace(train, players=np.r_[train.players, test.players],
                   samples=np.r_[train.samples, test.samples],
                   labels=np.r_[train.labels, test.labels],
                   scores=np.r_[train.scores, test.scores],
                   recordings=train.recordings + test.recordings, vest=train.vest + test.vest,
                   mirrored=tuple(sorted({*train.mirrored, *test.mirrored})))
    fold = Fold("test file", tuple(int(p) for p in np.unique(train.players)),
                tuple(int(p) for p in np.unique(test.players)))
    return data, [(fold, np.arange(n), np.arange(n, len(data)))], "train file -> test file"


def run(cfg: BenchConfig, *, progress: Progress | None = None,
        cancel: Callable[[], bool] | None = None) -> BenchResult:
    """Run the benchmark (module docstring). ``progress(done, total, message)`` is called as
    folds and epochs finish; ``cancel()`` returning True raises :class:`FootcoachError`."""
    from footcoach.ml import expert_novice as en_ml

    t_start = time.perf_counter()
    net = cfg.net or en_ml.NetSettings()
    net = replace(net.quick() if cfg.quick and cfg.net is None else net, labels=LABELS)
    data, folds, protocol = _plan(cfg)
    features = feature_matrix(data.recordings, cfg.rate_hz)
    bundled, bundled_desc = _bundled(cfg, en_ml)
    threads = en_ml.set_threads(net.threads)
    steps = net.epochs + 2
    results = []
    try:
        for k, (fold, tr, te) in enumerate(folds):
            assert not set(data.players[tr].tolist()) & set(data.players[te].tolist())

            def tick(done: int, total: int, msg: str, k: int = k, fold: Fold = fold) -> None:
                if progress is not None:
                    progress(k * steps + done, len(folds) * steps,
                             f"fold {k + 1}/{len(folds)} ({fold.name}): {msg}")

            def stop() -> bool:
                return cancel is not None and cancel()

            results.append(_run_fold(fold, data, tr, te, features, cfg, net, bundled, tick,
                                     stop, en_ml))
            if stop():
                raise FootcoachError("benchmark cancelled")
    finally:
        en_ml.set_threads(threads)
    net_desc = (f"IMU-only FootcoachNet ({', '.join(cfg.segments)}; {len(data.recordings[0][0])}"
                f" channels), {net.window_steps} steps x {net.step_s:g} s at "
                f"{net.imu_rate_hz:g} Hz, CNN {list(net.imu_channels)}, latent {net.latent_dim}, "
                f"LSTM {net.lstm_layers}x{net.lstm_hidden} + attention, {net.epochs} epochs, "
                f"batch {net.batch_size}, AdamW lr {net.lr:g} one-cycle, seed {net.seed}, "
                f"{net.threads} threads")
    if cfg.test is not None:
        tr_desc = _describe(data.subset(folds[0][1]))
        te_desc = _describe(replace(data.subset(folds[0][2]), path=cfg.test))
    else:
        tr_desc, te_desc = _describe(data), "each player in turn"
    return BenchResult(cfg, protocol, tr_desc, te_desc, data.mirrored, net_desc, bundled_desc,
                       results, time.perf_counter() - t_start)


def _bundled(cfg: BenchConfig, en_ml: Any) -> tuple[Any, str]:
    """The bundled model (or None) and a description for the report."""
    if not cfg.zero_shot:
        return None, "not run (--no-zero-shot)"
    from footcoach.app.engines import default_model_dir
    from footcoach.ml.config import MODEL_JSON
    from footcoach.ml.weights import load_model

    folder = cfg.model_dir or default_model_dir()
    if not (Path(folder) / MODEL_JSON).is_file():
        return None, f"not run (no model in {folder})"
    model, mcfg = load_model(folder)
    mods = "+".join(mcfg.modalities)
    return model, (f"{folder} ({mods} encoders; given IMU only, magnetometer and context "
                   f"masked; {mcfg.window.window_steps} x {mcfg.window.step_s:g} s windows "
                   f"every 1 s, mean softmax)")


def _run_fold(fold: Fold, data: EnData, tr: np.ndarray, te: np.ndarray, features: np.ndarray,
              cfg: BenchConfig, net: Any, bundled: Any, tick: Progress,
              stop: Callable[[], bool], en_ml: Any) -> FoldResult:
    secs: dict[str, float] = {}
    t0 = time.perf_counter()
    base_settings = (replace(cfg.baseline, max_iter=min(cfg.baseline.max_iter, 30))
                     if cfg.quick else cfg.baseline)
    pb, sb = baseline_fit_predict(features[tr], data.labels[tr], data.scores[tr], features[te],
                                  base_settings)
    secs["baseline"] = time.perf_counter() - t0
    tick(1, 1, "baseline done")
    t0 = time.perf_counter()
    model = en_ml.train_network([data.recordings[i] for i in tr], data.labels[tr],
                                data.scores[tr], cfg.rate_hz, net,
                                progress=lambda d, t, m: tick(1 + d, t, "network " + m),
                                cancel=stop)
    probs, sm = en_ml.predict_network(model, [data.recordings[i] for i in te], cfg.rate_hz, net)
    pm = probs.argmax(axis=1)
    secs["network"] = time.perf_counter() - t0
    zs = None
    if bundled is not None:
        t0 = time.perf_counter()
        bp = en_ml.bundled_action_probs(bundled, [data.vest[i] for i in te], cfg.rate_hz,
                                        groups=list(data.players[te]))
        zs = zero_shot_scores(data.labels[te], bp, bundled.config.action_labels)
        secs["bundled"] = time.perf_counter() - t0
    tick(net.epochs + 2, net.epochs + 2, "done")
    y, s = data.labels[te], data.scores[te]
    return FoldResult(fold, len(te), scores_of(y, pm, s, sm), scores_of(y, pb, s, sb), zs,
                      secs, y, pm, pb, s, sm, sb)


# ---- the report --------------------------------------------------------------------------
def _fmt(d: dict[str, float] | None, keys: Sequence[str]) -> list[str]:
    if d is None:
        return ["-"] * len(keys)
    out = []
    for k in keys:
        v = d.get(k, float("nan"))
        out.append("-" if not np.isfinite(v) else f"{v:.2f}" if k == "r" else
                   f"{100 * v:.1f}%" if k in ("acc9", "acc3", "shot_dribble_acc", "top1") else
                   f"{v:.1f}%" if k == "mae_pct" else f"{v:.3f}")
    return out


MODEL_KEYS = ("acc9", "f1", "acc3", "mae_pct", "r")
ZS_KEYS = ("shot_dribble_acc", "top1")


def format_report(res: BenchResult) -> str:
    """Markdown report: settings, one row per fold, the mean over folds and the pooled
    predictions; the last line is :meth:`BenchResult.last_line`."""
    mirrored = ", ".join(map(str, res.mirrored)) or "none"
    n_features = len(feature_matrix([np.zeros((8, 6 * len(res.config.segments)))], 100.0)[0])
    lines = [
        "# footcoach benchmark expert-novice (real data: Expert-Novice Soccer IMU suit)",
        "",
        f"- protocol: {res.protocol}; train: {res.train_desc}; test: {res.test_desc}",
        f"- segments: {', '.join(res.config.segments)}; rate taken as {res.config.rate_hz:g} Hz; "
        f"mirrored players (left-footed): {mirrored}",
        f"- network: {res.net_desc}",
        f"- baseline: {n_features} handcrafted features + HistGradientBoosting (scikit-learn), "
        f"{res.config.baseline.max_iter} iterations, seed {res.config.baseline.seed}",
        f"- bundled model zero-shot: {res.bundled_desc}",
        "",
        "acc9 / F1: 9-class accuracy and macro-F1; acc3: shot/dribble/juggle accuracy from the "
        "9-class predictions; MAE: expert-score MAE as % of the 1-4 scale; r: Pearson r of the "
        "score; zero-shot: shot-vs-dribble accuracy (P(shooting) vs P(dribbling)) and 12-class "
        "top-1 on kicks + dribbles.",
        "",
        "| fold | n | model acc9 | model F1 | model acc3 | model MAE | model r | base acc9 "
        "| base F1 | base acc3 | base MAE | base r | zero-shot shot/dribble | zero-shot top-1 "
        "| s (base/net) |",
        "|" + "---|" * 15,
    ]
    for f in res.folds:
        secs = f"{f.seconds.get('baseline', 0):.0f}/{f.seconds.get('network', 0):.0f}"
        lines.append("| " + " | ".join([f.fold.name, str(f.n), *_fmt(f.model, MODEL_KEYS),
                                         *_fmt(f.baseline, MODEL_KEYS),
                                         *_fmt(f.bundled, ZS_KEYS), secs]) + " |")
    if len(res.folds) > 1:
        def mean(which: str, keys: Sequence[str]) -> dict[str, float]:
            return {k: res.mean(which, k) for k in keys}

        zs = mean("bundled", ZS_KEYS) if res.folds[0].bundled is not None else None
        lines.append("| **mean** | " + " | ".join(
            [str(sum(f.n for f in res.folds)), *_fmt(mean("model", MODEL_KEYS), MODEL_KEYS),
             *_fmt(mean("baseline", MODEL_KEYS), MODEL_KEYS), *_fmt(zs, ZS_KEYS), ""]) + " |")
        lines.append("| pooled | " + " | ".join(
            [str(sum(f.n for f in res.folds)), *_fmt(res.pooled("model"), MODEL_KEYS),
             *_fmt(res.pooled("base"), MODEL_KEYS), "", "", ""]) + " |")
    lines += ["", f"Wall time: {res.seconds:.0f} s.", "", res.last_line()]
    return "\n".join(lines)
