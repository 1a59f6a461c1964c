"""Training of the team tactic model (:mod:`footcoach.analysis.team_tactic`), in torch.

``footcoach train-team DATA.h5 [DATA2.h5 ...] --out MODEL_DIR``. The data are the per-step
arrays of ``footcoach dataset build`` files (every player's context at every step, with the
labels), cut into one sequence per session, team and file: the team's players, its opponents,
and the team's tactic at each step (the most common label of its players). The test sessions
stay out of training and are scored at the end; a share of the other sessions (``val_share``,
chosen by the seed) picks the epoch. Each training sequence is a random ``crop_steps`` cut of a
session; the ball features are hidden in ``ball_dropout`` of them (so one model serves sessions
with and without a ball track), and one player of a side is dropped at random (missing vests).
Adam with a one-cycle learning rate, gradient clipping at 5. The weights are written as
safetensors with their sha256 in ``team_tactic.json``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch import nn

from footcoach.analysis.team_tactic import (
    KERNEL,
    TEAM_FORMAT,
    TEAM_JSON,
    TEAM_SCHEMA,
    TEAM_WEIGHTS,
    TeamTacticModel,
    team_probabilities,
)
from footcoach.errors import FootcoachError
from footcoach.io.manifest import atomic_write_bytes
from footcoach.ml.config import MODEL_JSON, read_model_json

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TeamTrainSettings:
    """Training knobs (module docstring); ``threads`` torch CPU threads (0: torch's default)."""

    epochs: int = 320
    seed: int = 0
    lr: float = 2e-3
    weight_decay: float = 1e-4
    crop_steps: int = 120
    ball_dropout: float = 0.5
    player_dropout: float = 0.5
    val_share: float = 0.1
    hidden: int = 64
    channels: int = 128
    dilations: tuple[int, ...] = (1, 2, 4, 8)
    dropout: float = 0.2
    deltas: bool = False
    threads: int = 0


@dataclass
class TeamSequence:
    """One team in one session: ``own`` (P, N, F) / ``opp`` (Q, N, F) context steps (NaN where
    unknown) and position flags ``own_present`` (P, N) / ``opp_present`` (Q, N); ``tactic``
    (N,) the team's label per step (-1 none); ``split`` "train", "val" or "test"; ``source``
    the index of the dataset it came from."""

    session: str
    team: str
    own: np.ndarray
    own_present: np.ndarray
    opp: np.ndarray
    opp_present: np.ndarray
    tactic: np.ndarray
    split: str
    source: int = 0


class TeamTacticNet(nn.Module):
    """The torch twin of :class:`~footcoach.analysis.team_tactic.TeamTacticModel` (same
    weight names)."""

    def __init__(self, n_inputs: int, hidden: int, channels: int, dilations: tuple[int, ...],
                 dropout: float = 0.2, n_tactics: int = 8):
        super().__init__()
        self.own1, self.own2 = nn.Linear(n_inputs, hidden), nn.Linear(hidden, hidden)
        self.opp1, self.opp2 = nn.Linear(n_inputs, hidden), nn.Linear(hidden, hidden)
        self.dilations = dilations
        width = 4 * hidden
        for i, d in enumerate(dilations):
            setattr(self, f"conv{i}", nn.Conv1d(width, channels, KERNEL, padding=d, dilation=d))
            width = channels
        self.out = nn.Conv1d(width, n_tactics, 1)
        self.drop = nn.Dropout(dropout)

    @staticmethod
    def _pool(h: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        m = present[..., None]
        n = m.sum(0)
        mean = torch.where(m, h, 0.0).sum(0) / n.clamp(min=1)
        top = torch.where(m, h, -torch.inf).amax(0)
        return torch.cat([mean, torch.where(n > 0, top, 0.0)], -1)

    def forward(self, own: torch.Tensor, own_present: torch.Tensor, opp: torch.Tensor,
                opp_present: torch.Tensor) -> torch.Tensor:
        """``own`` (P, N, 2F) / ``own_present`` (P, N) bool, ``opp`` (Q, N, 2F) / (Q, N) ->
        logits (N, 8)."""
        a = torch.relu(self.own2(torch.relu(self.own1(own))))
        b = torch.relu(self.opp2(torch.relu(self.opp1(opp))))
        z = torch.cat([self._pool(a, own_present), self._pool(b, opp_present)], -1).T[None]
        for i in range(len(self.dilations)):
            z = self.drop(torch.relu(getattr(self, f"conv{i}")(z)))
        return self.out(z)[0].T


# ---------------------------------------------------------------------------- the data
def team_sequences(data: str | Path | Sequence[str | Path], val_share: float = 0.1,
                   seed: int = 0) -> tuple[list[TeamSequence], list[str], list[str]]:
    """The team sequences of one dataset or several, their context feature names and tactic
    names.

    Several datasets (say the same sessions built with the exact ball and with tracking errors)
    give one sequence per team, session *and* file. Sessions are matched by folder: a session
    that is a test session in one file may not be a training session in another, and the
    validation sessions are drawn from the sessions of all files, so a session's copies share
    its split."""
    paths = [Path(data)] if isinstance(data, str | Path) else [Path(d) for d in data]
    if not paths:
        raise FootcoachError("no dataset given")
    metas = [_read_meta(p) for p in paths]
    features, tactics = metas[0]["features"], metas[0]["tactics"]
    for p, m in zip(paths[1:], metas[1:], strict=True):
        if m["features"] != features or m["tactics"] != tactics:
            raise FootcoachError(f"other context features or tactic labels than {paths[0]}", p)
    test: set[str] = set().union(*(m["test"] for m in metas))
    for p, m in zip(paths, metas, strict=True):
        clash = sorted((m["names"] - m["test"]) & test)
        if clash:
            raise FootcoachError(f"session {clash[0]} is a training session here and a test "
                                 "session in another dataset; build them with the same "
                                 "--test-sessions", p)
    others = list(dict.fromkeys(n for m in metas for n in m["order"] if n not in test))
    rng = np.random.default_rng(seed)
    n_val = round(val_share * len(others)) if len(others) > 1 else 0
    val = set(rng.choice(others, size=n_val, replace=False).tolist()) if n_val else set()
    out: list[TeamSequence] = []
    for k, p in enumerate(paths):
        out += _file_sequences(p, test, val, k)
    return out, features, tactics


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        with h5py.File(path, "r") as f:
            players = json.loads(f.attrs["players"])
            sessions = json.loads(f.attrs["sessions"])
            meta = {"features": list(json.loads(f.attrs["context_features"])),
                    "tactics": list(json.loads(f.attrs["tactic_names"]))}
            missing = [k for k in ("context", "mask", "tactic") if k not in f]
            if missing:
                raise KeyError(f"no {missing[0]!r} array")
    except (OSError, KeyError, ValueError) as exc:
        raise FootcoachError(f"not a footcoach dataset with per-step context: {exc}",
                             path) from None
    meta["order"] = [_session_key(sessions[i]) for i in sorted({p["session"] for p in players})]
    meta["names"] = set(meta["order"])
    meta["test"] = {_session_key(sessions[p["session"]]) for p in players
                    if p.get("split") == "test"}
    return meta


def _session_key(doc: dict[str, Any]) -> str:
    """A session's identity across datasets: its folder (two folders may share a name)."""
    return str(doc.get("path") or doc["name"])


def _file_sequences(path: Path, test: set[str], val: set[str], source: int
                    ) -> list[TeamSequence]:
    with h5py.File(path, "r") as f:
        players = json.loads(f.attrs["players"])
        sessions = json.loads(f.attrs["sessions"])
        n_tactics = len(json.loads(f.attrs["tactic_names"]))
        context = f["context"][:]
        present = f["mask"][:, 2]
        tactic = f["tactic"][:]
    out = []
    for si in sorted({p["session"] for p in players}):
        name, key = sessions[si]["name"], _session_key(sessions[si])
        members = [p for p in players if p["session"] == si]
        split = "test" if key in test else "val" if key in val else "train"
        for team in sorted({p["team"] for p in members if p["team"]}):
            own = [p for p in members if p["team"] == team]
            opp = [p for p in members if p["team"] and p["team"] != team]
            if not opp:
                continue
            n = min(p["n_steps"] for p in members)

            def rows(ps: list[dict[str, Any]], a: np.ndarray, n: int = n) -> np.ndarray:
                return np.stack([a[p["row_start"]:p["row_start"] + n] for p in ps])

            labels = rows(own, tactic).astype(np.int64)
            out.append(TeamSequence(name, team, rows(own, context),
                                    rows(own, present).astype(bool), rows(opp, context),
                                    rows(opp, present).astype(bool),
                                    _team_label(labels, n_tactics), split, source))
    return out


def _team_label(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(P, N) player labels -> (N,) the most common one (ties: the lower index; -1 none)."""
    counts = np.stack([(labels == c).sum(0) for c in range(n_classes)], axis=-1)
    return np.where(counts.sum(-1) > 0, counts.argmax(-1), -1)


def normalisation(seqs: list[TeamSequence]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (F,) of the known context values of the training sequences."""
    x = np.concatenate([s.own.reshape(-1, s.own.shape[-1]) for s in seqs
                        if s.split == "train"])
    ok = np.isfinite(x)
    n = np.maximum(ok.sum(0), 1)
    mean = np.where(ok, x, 0.0).sum(0) / n
    var = np.where(ok, (x - mean) ** 2, 0.0).sum(0) / n
    return mean.astype(np.float32), (np.sqrt(var) + 1e-6).astype(np.float32)


def window_team_probabilities(model: TeamTacticModel, data: str | Path, who: np.ndarray,
                              without_ball: bool = False) -> np.ndarray:
    """(N, 8) the team model's probabilities for the team of each window's player at the
    window's centre (NaN for a player without a team or opponents). ``who`` (N, 3) =
    (session index, player index, centre time in ms) of the dataset's windows;
    ``without_ball`` hides the ball features, as :func:`footcoach.ml.evaluate.evaluate`."""
    out = np.full((len(who), len(model.tactic_labels)), np.nan, np.float32)
    with h5py.File(Path(data), "r") as f:
        players = json.loads(f.attrs["players"])
        features = list(json.loads(f.attrs["context_features"]))
        if features != model.context_features:
            raise FootcoachError("the team tactic model reads other context features than "
                                 "this dataset has", data)
        hide = np.array([x.startswith("ball_") for x in features]) & without_ball
        for si in np.unique(who[:, 0]):
            members = [j for j, p in enumerate(players) if p["session"] == si]
            n = min(players[j]["n_steps"] for j in members)
            rows = [slice(players[j]["row_start"], players[j]["row_start"] + n)
                    for j in members]
            context = np.stack([f["context"][r] for r in rows])
            context[..., hide] = np.nan
            present = np.stack([f["mask"][r, 2] for r in rows]).astype(bool)
            times = f["t_s"][rows[0]]
            teams = [str(players[j].get("team") or "") for j in members]
            probs = team_probabilities(model, context, present, teams)
            sel = np.flatnonzero(who[:, 0] == si)
            k = np.clip(np.searchsorted(times, who[sel, 2] / 1000.0 - 1e-4), 0, n - 1)
            for w, step in zip(sel, k, strict=True):
                team = teams[members.index(int(who[w, 1]))]
                if team in probs:
                    out[w] = probs[team][step]
    return out


# ------------------------------------------------------------------------------ training
def train_team_model(data: str | Path | Sequence[str | Path], out_dir: str | Path,
                     settings: TeamTrainSettings = TeamTrainSettings(),
                     progress: Progress | None = print,
                     cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Train, score the test sessions, write ``team_tactic.json`` + ``.safetensors`` into
    ``out_dir``; returns the JSON document. ``data``: one dataset or several
    (:func:`team_sequences`); the metrics ``test_with_ball`` and ``test_without_ball`` are on
    the first one's test sessions, ``test_with_ball_of_dataset_K`` on the K-th's (K >= 2)."""
    t_start = time.perf_counter()
    s = settings
    if s.epochs < 1:
        raise FootcoachError(f"epochs must be >= 1, got {s.epochs}")
    torch.manual_seed(s.seed)
    rng = np.random.default_rng(s.seed)
    if s.threads > 0:
        torch.set_num_threads(s.threads)
    paths = [Path(data)] if isinstance(data, str | Path) else [Path(d) for d in data]
    seqs, features, tactics = team_sequences(paths, s.val_share, s.seed)
    check_network_features(out_dir, features, paths[0])
    train = [q for q in seqs if q.split == "train"]
    if not train:
        raise FootcoachError("no training session with two teams", paths[0])
    mean, std = normalisation(seqs)
    shell = TeamTacticModel({}, features, tactics, mean, std, s.hidden, s.channels,
                            s.dilations, s.deltas)
    ball = np.array([f.startswith("ball_") for f in features] * (3 if s.deltas else 2))
    net = TeamTacticNet(shell.n_inputs, s.hidden, s.channels, s.dilations, s.dropout,
                        len(tactics))
    opt = torch.optim.Adam(net.parameters(), lr=s.lr, weight_decay=s.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, s.lr, total_steps=s.epochs * len(train))
    tensors = {id(q): _tensors(shell, q) for q in seqs}
    best: tuple[float, int, dict[str, torch.Tensor]] | None = None
    history = []
    for epoch in range(1, s.epochs + 1):
        net.train()
        total = 0.0
        for i in rng.permutation(len(train)):
            if cancel is not None and cancel():
                raise FootcoachError("cancelled", paths[0], f"epoch {epoch}")
            q = train[i]
            own, own_p, opp, opp_p, y = _augment(tensors[id(q)], s, rng, ball)
            loss = nn.functional.cross_entropy(net(own, own_p, opp, opp_p), y, ignore_index=-1)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            sched.step()
            total += loss.item()
        val = _accuracy(net, [q for q in seqs if q.split == "val"], tensors, ball)
        history.append({"epoch": epoch, "loss": total / len(train), "val_accuracy": val})
        score = val if val == val else float(epoch)  # no validation: the last epoch
        if best is None or score >= best[0]:
            best = (score, epoch, {k: v.detach().clone() for k, v in net.state_dict().items()})
        if progress is not None:
            progress(f"epoch {epoch}/{s.epochs}: loss {total / len(train):.4f}, validation "
                     f"team-step accuracy {val:.1%} ({time.perf_counter() - t_start:.0f} s)")
    assert best is not None
    net.load_state_dict(best[2])
    first = [q for q in seqs if q.source == 0]
    metrics = {"test_with_ball": _scores(net, first, tensors, ball, tactics, hide=False),
               "test_without_ball": _scores(net, first, tensors, ball, tactics, hide=True)}
    for k in range(1, len(paths)):
        metrics[f"test_with_ball_of_dataset_{k + 1}"] = _scores(
            net, [q for q in seqs if q.source == k], tensors, ball, tactics, hide=False)
    data_doc: str | list[str] = str(paths[0]) if len(paths) == 1 else [str(p) for p in paths]
    training = {"data": data_doc, "settings": asdict(s), "best_epoch": best[1],
                "seconds": round(time.perf_counter() - t_start, 1), "history": history,
                "sessions": {sp: sorted({q.session for q in seqs if q.split == sp})
                             for sp in ("train", "val", "test")}}
    return save_team_model(net, shell, out_dir, training, metrics)


def check_network_features(out_dir: str | Path, features: list[str], data: str | Path
                           ) -> None:
    """Refuse to train into a model folder whose network reads other context features than
    the dataset has (analysis would refuse the pair later)."""
    if not (Path(out_dir) / MODEL_JSON).is_file():
        return
    network = list(read_model_json(out_dir).config.window.context_features)
    if network != features:
        raise FootcoachError(f"the network in {out_dir} reads other context features than this "
                             f"dataset ({len(network)} against {len(features)}); build the "
                             "dataset with the network's `dataset build --context`, or train "
                             "into another folder", data)


def _tensors(model: TeamTacticModel, q: TeamSequence) -> tuple[torch.Tensor, ...]:
    return (torch.from_numpy(model.player_inputs(q.own)), torch.from_numpy(q.own_present),
            torch.from_numpy(model.player_inputs(q.opp)), torch.from_numpy(q.opp_present),
            torch.from_numpy(q.tactic))


def _hide_ball(x: torch.Tensor, ball: np.ndarray) -> torch.Tensor:
    x = x.clone()
    x[..., torch.from_numpy(ball)] = 0.0
    return x


def _augment(t: tuple[torch.Tensor, ...], s: TeamTrainSettings, rng: np.random.Generator,
             ball: np.ndarray) -> tuple[torch.Tensor, ...]:
    own, own_p, opp, opp_p, y = t
    n = y.shape[0]
    if n > s.crop_steps:
        a = int(rng.integers(0, n - s.crop_steps + 1))
        own, own_p, opp, opp_p, y = (own[:, a:a + s.crop_steps], own_p[:, a:a + s.crop_steps],
                                     opp[:, a:a + s.crop_steps], opp_p[:, a:a + s.crop_steps],
                                     y[a:a + s.crop_steps])
    if rng.random() < s.ball_dropout:
        own, opp = _hide_ball(own, ball), _hide_ball(opp, ball)
    if own.shape[0] > 2 and rng.random() < s.player_dropout:
        keep = np.sort(rng.permutation(own.shape[0])[:-1])
        own, own_p = own[keep], own_p[keep]
    if opp.shape[0] > 2 and rng.random() < s.player_dropout:
        keep = np.sort(rng.permutation(opp.shape[0])[:-1])
        opp, opp_p = opp[keep], opp_p[keep]
    return own, own_p, opp, opp_p, y


def _predict(net: TeamTacticNet, t: tuple[torch.Tensor, ...], ball: np.ndarray,
             hide: bool) -> np.ndarray:
    own, own_p, opp, opp_p, _ = t
    if hide:
        own, opp = _hide_ball(own, ball), _hide_ball(opp, ball)
    net.eval()
    with torch.no_grad():
        return net(own, own_p, opp, opp_p).argmax(-1).numpy()


def _accuracy(net: TeamTacticNet, seqs: list[TeamSequence], tensors: dict[int, Any],
              ball: np.ndarray) -> float:
    right = total = 0
    for q in seqs:
        on = q.tactic >= 0
        right += int((_predict(net, tensors[id(q)], ball, False) == q.tactic)[on].sum())
        total += int(on.sum())
    return right / total if total else float("nan")


def _scores(net: TeamTacticNet, seqs: list[TeamSequence], tensors: dict[int, Any],
            ball: np.ndarray, tactics: list[str], hide: bool) -> dict[str, Any]:
    """Team-step accuracy, macro-F1 and per-class recall on the test sessions."""
    test = [q for q in seqs if q.split == "test"]
    if not test:
        return {}
    pred = np.concatenate([_predict(net, tensors[id(q)], ball, hide) for q in test])
    return prediction_scores(pred, test, tactics)


def prediction_scores(pred: np.ndarray, test: list[TeamSequence], tactics: list[str]
                      ) -> dict[str, Any]:
    """Team-step accuracy, macro-F1 and per-class recall of ``pred`` (the predicted tactic
    indices of the ``test`` sequences' steps, concatenated in their order)."""
    true = np.concatenate([q.tactic for q in test])
    on = true >= 0
    pred, true = pred[on], true[on]
    f1s, recall = [], {}
    for c, name in enumerate(tactics):
        tp = int(((pred == c) & (true == c)).sum())
        n_true, n_pred = int((true == c).sum()), int((pred == c).sum())
        if n_true:
            recall[name] = round(tp / n_true, 4)
            f1s.append(2 * tp / (n_true + n_pred))
    return {"team_steps": int(on.sum()), "accuracy": round(float((pred == true).mean()), 4),
            "macro_f1": round(float(np.mean(f1s)), 4), "recall": recall,
            "sessions": sorted({q.session for q in test})}


def save_team_model(net: TeamTacticNet, shell: TeamTacticModel, out_dir: str | Path,
                    training: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """Write ``net``'s weights (safetensors) and ``team_tactic.json`` (the features, labels
    and normalisation of ``shell``, its sizes, ``training`` and ``metrics``) into
    ``out_dir``; returns the JSON document."""
    from safetensors.torch import save as save_safetensors

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().float() for k, v in net.state_dict().items()}
    blob = save_safetensors(state)
    doc = {"format": TEAM_FORMAT, "schema_version": TEAM_SCHEMA, "weights": TEAM_WEIGHTS,
           "sha256": hashlib.sha256(blob).hexdigest(),
           "context_features": shell.context_features, "tactic_labels": shell.tactic_labels,
           "mean": shell.mean.tolist(), "std": shell.std.tolist(), "hidden": shell.hidden,
           "channels": shell.channels, "dilations": list(shell.dilations),
           "deltas": shell.deltas, "player_power": shell.player_power,
           "parameter_count": int(sum(p.numel() for p in net.parameters())),
           "training": training, "metrics": metrics}
    atomic_write_bytes(out / TEAM_WEIGHTS, blob)
    atomic_write_bytes(out / TEAM_JSON, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))
    return doc
