"""An ensemble of team tactic models: ``footcoach team-ensemble MODEL_DIR OTHER_DIR...``.

Team models trained with other seeds on the same data (``footcoach train-team --seed K``) make
their errors in different places; their mean probabilities (:func:`~footcoach.analysis.
team_tactic.step_probabilities`) are steadier than any one of them. Combining copies each other
folder's weights into MODEL_DIR as ``team_tactic_K.safetensors`` and lists them, with their own
normalisation, sha256, training summary and test metrics, under the JSON's ``members``. The
ensemble's test metrics are then scored again on the given datasets' test sessions (numpy
inference, the app's code path): ``metrics`` become the ensemble's and ``member_metrics`` keep
each member's own. The fusion power (``player_power``) is kept; ``footcoach team-fusion --set``
chooses it again for the ensemble.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from footcoach.analysis.team_tactic import (
    TEAM_JSON,
    TeamTacticModel,
    load_team_member,
    load_team_model,
    step_probabilities,
)
from footcoach.errors import FootcoachError
from footcoach.io.manifest import atomic_write_bytes
from footcoach.ml.team_train import TeamSequence, prediction_scores, team_sequences

#: What a member entry keeps of its own team_tactic.json.
_MEMBER_KEYS = ("sha256", "mean", "std", "hidden", "channels", "dilations", "deltas")


def combine_team_models(model_dir: str | Path, others: Sequence[str | Path],
                        data: Sequence[str | Path],
                        progress: Callable[[str], None] | None = print) -> dict[str, Any]:
    """Add the team models of ``others`` as members of ``model_dir``'s, score the ensemble on
    the test sessions of ``data`` and write ``team_tactic.json`` atomically; returns it."""
    folder = Path(model_dir)
    base = load_team_model(folder)
    if base is None:
        raise FootcoachError("no team tactic model here to add members to (footcoach "
                             "train-team first)", folder / TEAM_JSON)
    if not others:
        raise FootcoachError("team-ensemble needs at least one other model folder")
    doc = copy.deepcopy(base.doc)
    entries = list(doc.get("members") or [])
    member_metrics = list(doc.get("member_metrics") or [doc.get("metrics", {})])
    known = {m.sha256 for m in (base, *base.members)} | {doc["sha256"]}
    blobs: list[tuple[str, bytes]] = []
    for other in others:
        model = load_team_model(other)
        where = Path(other) / TEAM_JSON
        if model is None:
            raise FootcoachError("no team tactic model in this folder", where)
        if model.members:
            raise FootcoachError("this team model is itself an ensemble; give its members' "
                                 "folders instead", where)
        if (model.context_features != base.context_features
                or model.tactic_labels != base.tactic_labels):
            raise FootcoachError(f"other context features or tactic labels than {folder}",
                                 where)
        if model.sha256 in known:
            raise FootcoachError("these weights are already in the ensemble", where)
        known.add(model.sha256)
        name = f"team_tactic_{len(entries) + 1}.safetensors"
        blobs.append((name, (Path(other) / str(model.doc["weights"])).read_bytes()))
        training = model.doc.get("training", {})
        entries.append({"weights": name, **{k: model.doc[k] for k in _MEMBER_KEYS},
                        "training": {"data": training.get("data"),
                                     "settings": training.get("settings"),
                                     "best_epoch": training.get("best_epoch"),
                                     "seconds": training.get("seconds"),
                                     "from": str(other)}})
        member_metrics.append(model.doc.get("metrics", {}))
    for name, blob in blobs:
        atomic_write_bytes(folder / name, blob)
    doc["members"] = entries
    doc["member_metrics"] = member_metrics
    # Score with the new members (their files are in place; the JSON is not yet).
    base.members = [load_team_member(folder / TEAM_JSON, base.doc, e) for e in entries]
    if progress is not None:
        progress(f"scoring the ensemble of {1 + len(entries)} team models on the test sessions")
    doc["metrics"] = score_team_model(base, data)
    atomic_write_bytes(folder / TEAM_JSON, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))
    return doc


def score_team_model(model: TeamTacticModel, data: Sequence[str | Path]) -> dict[str, Any]:
    """The test metrics of ``model`` (with its members) on ``data``'s test sessions, as
    ``footcoach train-team`` records them: ``test_with_ball`` and ``test_without_ball`` on the
    first dataset, ``test_with_ball_of_dataset_K`` on the K-th (K >= 2). Numpy inference."""
    paths = [Path(d) for d in data]
    seqs, features, tactics = team_sequences(paths)
    if features != model.context_features or tactics != model.tactic_labels:
        raise FootcoachError("the team tactic model reads other context features or tactic "
                             "labels than this dataset has", paths[0])
    ball = np.array([f.startswith("ball_") for f in features])

    def scores(source: int, hide: bool) -> dict[str, Any]:
        test = [q for q in seqs if q.split == "test" and q.source == source]
        if not test:
            return {}
        pred = np.concatenate([_predict(model, q, ball if hide else None) for q in test])
        return prediction_scores(pred, test, tactics)

    metrics = {"test_with_ball": scores(0, False), "test_without_ball": scores(0, True)}
    for k in range(1, len(paths)):
        metrics[f"test_with_ball_of_dataset_{k + 1}"] = scores(k, False)
    return metrics


def _predict(model: TeamTacticModel, q: TeamSequence, hide: np.ndarray | None) -> np.ndarray:
    own, opp = q.own, q.opp
    if hide is not None:
        own, opp = own.copy(), opp.copy()
        own[..., hide] = np.nan
        opp[..., hide] = np.nan
    return step_probabilities(model, own, q.own_present, opp, q.opp_present).argmax(-1)
