"""The team tactic model: one team's tactic at each step from the context of all players.

The per-player network reads one player's window; a team's tactic (one label for all its
players) also depends on what the other players do: a team-mate's run in behind, how many of
the team are on the wrong side of the ball, who won it back a moment ago. This small model
reads the position/context features of every player of both teams at once:

1. Each player's context step (the network's ``context_features``, normalised with the team
   model's own mean and std, 0 where unknown) and its validity flags, ``x`` (2F,), go through
   a two-layer MLP, one for the team's players and one for the opponents (``hidden`` units,
   ReLU).
2. At each step the team's embeddings are pooled over the players with a position then
   (mean and max), and the opponents' the same way: ``z`` (4 hidden,) per step.
3. A stack of 1-D convolutions over time (kernel 3, ``dilations`` 1, 2, 4, 8: it sees 15 steps,
   7.5 s, either side) with ReLU, then a linear layer: 8 tactic logits per step.

Analysis multiplies each player's tactic probabilities (the per-player network's, from his
window), raised to the model's ``player_power`` (1 unless the JSON says otherwise; below 1 the
team model weighs more), with his team's from this model (:func:`fuse_with_team`); the events'
tactic, the team vote (the mean over the team's players) and the team phases all use the
product. Training lives in
:mod:`footcoach.ml.team_train` (torch); inference here is numpy only, so it runs with either
engine and in a packaged app without torch. Files in the model folder:
``team_tactic.json`` (architecture, labels, features, normalisation, training data, metrics,
the weights' sha256) and ``team_tactic.safetensors``.

An ensemble (``footcoach team-ensemble``) adds further models of the same features and labels,
trained with other seeds: ``team_tactic_K.safetensors`` (K = 1, 2, ...), each with its own
normalisation and sha256 under the JSON's ``members``; a team's probabilities are then the mean
of every member's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.errors import FootcoachError

TEAM_JSON = "team_tactic.json"
TEAM_WEIGHTS = "team_tactic.safetensors"
TEAM_FORMAT = "footcoach-team-tactic"
TEAM_SCHEMA = 1
KERNEL = 3


@dataclass
class TeamTacticModel:
    """Weights (name -> float32 array; names of :data:`weight_names`) and description."""

    weights: dict[str, np.ndarray]
    context_features: list[str]
    tactic_labels: list[str]
    mean: np.ndarray
    std: np.ndarray
    hidden: int = 64
    channels: int = 128
    dilations: tuple[int, ...] = (1, 2, 4, 8)
    deltas: bool = False
    #: Exponent of the player's probabilities in :func:`fuse_with_team` (chosen on sessions
    #: that neither model trained on; ``benchmarks/team_fusion.py``).
    player_power: float = 1.0
    #: The weights' sha256; with ``members``, one over every member's (the analysis cache key).
    sha256: str = ""
    doc: dict[str, Any] = field(default_factory=dict)
    #: Further models of the same features and labels (other seeds) whose probabilities
    #: :func:`step_probabilities` averages with this one's.
    members: list[TeamTacticModel] = field(default_factory=list)

    @property
    def n_inputs(self) -> int:
        return (3 if self.deltas else 2) * len(self.context_features)

    def player_inputs(self, context: np.ndarray) -> np.ndarray:
        """(..., N, F) context steps, NaN where unknown -> (..., N, 2F) float32 model inputs
        (normalised values, 0 where unknown, and validity flags); with ``deltas`` also the
        change of each normalised value since the step before (0 where either is unknown):
        (..., N, 3F)."""
        ok = np.isfinite(context)
        x = np.where(ok, (np.nan_to_num(context) - self.mean) / self.std, 0.0)
        parts = [x, ok]
        if self.deltas:
            both = ok[..., 1:, :] & ok[..., :-1, :]
            d = np.where(both, x[..., 1:, :] - x[..., :-1, :], 0.0)
            parts.append(np.concatenate([np.zeros_like(x[..., :1, :]), d], axis=-2))
        return np.concatenate(parts, axis=-1).astype(np.float32)

    def logits(self, own: np.ndarray, own_present: np.ndarray, opp: np.ndarray,
               opp_present: np.ndarray) -> np.ndarray:
        """Tactic logits (N, 8) of the team whose players' inputs are ``own`` (P, N, 2F) with
        ``own_present`` (P, N) bool, against ``opp`` (Q, N, 2F) / ``opp_present`` (Q, N)."""
        w = self.weights
        z = np.concatenate([_pool(_mlp(own, w, "own"), own_present),
                            _pool(_mlp(opp, w, "opp"), opp_present)], axis=-1).T  # (4H, N)
        for i, d in enumerate(self.dilations):
            z = np.maximum(_conv1d(z, w[f"conv{i}.weight"], w[f"conv{i}.bias"], d), 0.0)
        out = w["out.weight"][:, :, 0] @ z + w["out.bias"][:, None]
        return np.asarray(out.T, np.float32)


def weight_names(n_layers: int) -> list[str]:
    """The weight names of a model with ``n_layers`` convolutions."""
    names = [f"{side}{k}.{p}" for side in ("own", "opp") for k in (1, 2)
             for p in ("weight", "bias")]
    names += [f"conv{i}.{p}" for i in range(n_layers) for p in ("weight", "bias")]
    return [*names, "out.weight", "out.bias"]


def _mlp(x: np.ndarray, w: Mapping[str, np.ndarray], side: str) -> np.ndarray:
    h = np.maximum(x @ w[f"{side}1.weight"].T + w[f"{side}1.bias"], 0.0)
    return np.maximum(h @ w[f"{side}2.weight"].T + w[f"{side}2.bias"], 0.0)


def _pool(h: np.ndarray, present: np.ndarray) -> np.ndarray:
    """(P, N, H) embeddings -> (N, 2H): mean and max over the players present at each step
    (0 where none is)."""
    m = np.asarray(present, bool)[..., None]
    n = m.sum(axis=0)
    mean = np.where(m, h, 0.0).sum(axis=0) / np.maximum(n, 1)
    top = np.where(m, h, -np.inf).max(axis=0, initial=-np.inf)
    top = np.where(n > 0, top, 0.0)
    return np.concatenate([mean, top], axis=-1)


def _conv1d(z: np.ndarray, weight: np.ndarray, bias: np.ndarray, dilation: int) -> np.ndarray:
    """(C_in, N) -> (C_out, N): kernel-3 convolution with ``dilation``, zero padding (same
    length), as ``torch.nn.Conv1d(padding=dilation)``."""
    n = z.shape[1]
    zp = np.pad(z, ((0, 0), (dilation, dilation)))
    out = np.repeat(bias[:, None], n, axis=1).astype(np.float64)
    for j in range(weight.shape[2]):
        out += weight[:, :, j] @ zp[:, j * dilation: j * dilation + n]
    return out


def step_probabilities(model: TeamTacticModel, own: np.ndarray, own_present: np.ndarray,
                       opp: np.ndarray, opp_present: np.ndarray) -> np.ndarray:
    """(N, 8) float64 tactic probabilities of the team whose players' context steps are
    ``own`` (P, N, F), NaN where unknown, with ``own_present`` (P, N) bool, against ``opp``
    (Q, N, F) / ``opp_present`` (Q, N): the softmax of the model's logits, averaged over the
    model and its ``members``."""
    total = np.zeros((own.shape[1], len(model.tactic_labels)))
    for m in (model, *model.members):
        z = m.logits(m.player_inputs(own), own_present, m.player_inputs(opp),
                     opp_present).astype(np.float64)
        p = np.exp(z - z.max(axis=-1, keepdims=True))
        total += p / p.sum(axis=-1, keepdims=True)
    return total / (1 + len(model.members))


def team_probabilities(model: TeamTacticModel, context: np.ndarray, present: np.ndarray,
                       teams: Sequence[str]) -> dict[str, np.ndarray]:
    """team -> (N, 8) tactic probabilities, for every named team with an opponent.

    ``context`` (P, N, F) the players' context steps (NaN where unknown), ``present`` (P, N)
    bool their position validity, ``teams`` (P,) team names ("" = none: neither side). The
    probabilities are NaN at steps where the team has no player with a position.
    """
    context = np.asarray(context, np.float32)
    present = np.asarray(present, bool)
    named = sorted({t for t in teams if t})
    out: dict[str, np.ndarray] = {}
    for team in named:
        own = [i for i, t in enumerate(teams) if t == team]
        opp = [i for i, t in enumerate(teams) if t and t != team]
        if not opp:
            continue
        p = step_probabilities(model, context[own], present[own], context[opp], present[opp])
        p[~present[own].any(axis=0)] = np.nan
        out[team] = p.astype(np.float32)
    return out


def fuse_with_team(player: np.ndarray, team: np.ndarray | None, player_power: float = 1.0
                   ) -> np.ndarray:
    """(..., 8) a player's tactic probabilities (from his own windows) to the power
    ``player_power``, times his team's from the team model, renormalised; the player's alone
    where the team model has none."""
    if team is None:
        return player
    prod = (player if player_power == 1.0 else np.power(player, player_power)) * team
    total = prod.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        both = prod / total
    usable = np.isfinite(both).all(axis=-1) & (total[..., 0] > 0)
    return np.where(usable[..., None], both, player).astype(np.float32)


# ------------------------------------------------------------------------------ files
def check_player_power(value: Any) -> float:
    """The JSON's ``player_power``: a finite number in (0, 4]."""
    power = float(value)
    if not 0.0 < power <= 4.0:
        raise ValueError(f"player_power must be in (0, 4], got {value!r}")
    return power


def load_team_model(folder: str | Path) -> TeamTacticModel | None:
    """The team model of a model folder (None when it has no ``team_tactic.json``), with the
    members of an ensemble.

    Every weights file's sha256 is checked against the JSON before use; safetensors never
    unpickles. Raises FootcoachError naming the file when it is malformed or a hash differs.
    """
    js = Path(folder) / TEAM_JSON
    if not js.is_file():
        return None
    try:
        doc = json.loads(js.read_text(encoding="utf-8"))
        if doc.get("format") != TEAM_FORMAT or doc.get("schema_version") != TEAM_SCHEMA:
            raise ValueError(f"not a {TEAM_FORMAT} file of schema version {TEAM_SCHEMA}")
        entries = doc.get("members") or []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError("'members' must be a list of objects")
        power = check_player_power(doc.get("player_power", 1.0))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FootcoachError(f"cannot read the team tactic model: {exc}", js) from None
    model = load_team_member(js, doc, doc)
    model.members = [load_team_member(js, doc, e) for e in entries]
    model.player_power, model.doc = power, doc
    if model.members:
        joined = "".join(m.sha256 for m in (model, *model.members))
        model.sha256 = hashlib.sha256(joined.encode("ascii")).hexdigest()
    return model


def load_team_member(js: Path, doc: dict[str, Any], entry: dict[str, Any]) -> TeamTacticModel:
    """One model of ``team_tactic.json`` ``js``: ``entry`` (the document itself, or one of its
    ``members``) names the weights file, its sha256, sizes and normalisation; ``doc`` gives the
    features and labels."""
    try:
        wfile = js.parent / str(entry["weights"])
        if wfile.parent != js.parent:
            raise ValueError(f"weights file {entry['weights']!r} is not in the model folder")
        data = wfile.read_bytes()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FootcoachError(f"cannot read the team tactic model: {exc}", js) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.get("sha256"):
        raise FootcoachError(f"the weights' sha256 {digest[:12]}... differs from the one "
                             f"recorded ({str(entry.get('sha256'))[:12]}...): refusing to load",
                             wfile)
    from safetensors.numpy import load as load_safetensors

    try:
        weights = {k: np.asarray(v, np.float32) for k, v in load_safetensors(data).items()}
        dil = tuple(int(d) for d in entry["dilations"])
        missing = set(weight_names(len(dil))) - set(weights)
        if missing:
            raise ValueError(f"weights missing: {', '.join(sorted(missing))}")
        model = TeamTacticModel(weights=weights,
                                context_features=list(doc["context_features"]),
                                tactic_labels=list(doc["tactic_labels"]),
                                mean=np.asarray(entry["mean"], np.float32),
                                std=np.asarray(entry["std"], np.float32),
                                hidden=int(entry["hidden"]), channels=int(entry["channels"]),
                                dilations=dil, deltas=bool(entry.get("deltas", False)),
                                sha256=digest)
        n_features = len(model.context_features)
        if model.mean.shape != (n_features,) or model.std.shape != (n_features,):
            raise ValueError(f"{wfile.name}: mean and std need {n_features} values")
        if weights["own1.weight"].shape[1] != model.n_inputs:
            raise ValueError(f"{wfile.name}: the weights read "
                             f"{weights['own1.weight'].shape[1]} inputs, not {model.n_inputs}")
        return model
    except (ValueError, KeyError, TypeError) as exc:
        raise FootcoachError(f"cannot read the team tactic model: {exc}", js) from None
