"""How much the team tactic model weighs against the players' own tactic probabilities.

Analysis fuses each player's tactic probabilities ``p`` (from his window) with his team's ``q``
from the team model as ``p ** a * q``, renormalised (:func:`~footcoach.analysis.team_tactic.
fuse_with_team`); ``a`` is the team model's ``player_power`` (1 by default). The better the
team model, the less the players' probabilities should count, so ``a`` is a property of the
pair of models in one folder. ``footcoach team-fusion MODEL_DIR DATA.h5`` scores the tactic of
the test windows of DATA.h5 for a grid of ``a`` (with the ball features and with them hidden)
and ``--set`` writes the best into ``team_tactic.json``. The sessions of that split must be
ones that neither model trained on (checked against both models' JSON), otherwise the choice
would favour what the models have memorised.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from footcoach.analysis.team_tactic import (
    TEAM_JSON,
    check_player_power,
    fuse_with_team,
    load_team_model,
)
from footcoach.errors import FootcoachError
from footcoach.io.manifest import atomic_write_bytes
from footcoach.ml.config import read_model_json

#: Exponents tried by default (1 is the plain product).
DEFAULT_POWERS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5)


def model_sessions(model_dir: str | Path) -> set[str]:
    """Names of every session in the datasets of a folder's network (its training info) and
    team model (train, validation and test): sessions whose scores are not independent of the
    two models."""
    names = {str(d.get("name")) for d in
             read_model_json(model_dir).training.get("dataset_sessions", [])}
    team = load_team_model(model_dir)
    if team is not None:
        for split in team.doc.get("training", {}).get("sessions", {}).values():
            names.update(split)
    return names


def dataset_test_sessions(data: str | Path) -> list[str]:
    """Names of the sessions of the dataset's test split."""
    with h5py.File(Path(data), "r") as f:
        players = json.loads(f.attrs["players"])
        sessions = json.loads(f.attrs["sessions"])
    return sorted({sessions[p["session"]]["name"] for p in players if p.get("split") == "test"})


def fusion_scores(model_dir: str | Path, data: str | Path,
                  powers: Sequence[float] = DEFAULT_POWERS, device: str = "cpu",
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Tactic accuracy of the test windows of ``data`` for each power (0: the team model
    alone where it has a prediction), with the ball features and with them hidden:
    ``{"powers": [...], "ball": [...], "no_ball": [...], "network": {"ball": acc, "no_ball":
    acc}, "windows": n, "sessions": [...]}``."""
    from footcoach.ml.evaluate import predict
    from footcoach.ml.team_train import window_team_probabilities
    from footcoach.ml.weights import load_model

    team = load_team_model(model_dir)
    if team is None:
        raise FootcoachError("the model folder has no team tactic model", model_dir)
    sessions = dataset_test_sessions(data)
    seen = sorted(set(sessions) & model_sessions(model_dir))
    if seen:
        raise FootcoachError(f"test sessions {', '.join(seen[:5])} are in the dataset of the "
                             "network or of the team model; choose the power on sessions "
                             "that neither model's dataset holds", data)
    model, _ = load_model(model_dir, device=device)
    out: dict[str, Any] = {"powers": [float(a) for a in powers], "network": {},
                           "sessions": sessions}
    for key, hide in (("ball", False), ("no_ball", True)):
        if progress is not None:
            progress(f"scoring the test windows {'without' if hide else 'with'} the ball")
        p = predict(model, data, "test", device=device, without_ball=hide)
        assert p.who is not None
        team_p = window_team_probabilities(team, data, p.who, hide)
        valid = p.tactic_true >= 0
        out["windows"] = int(valid.sum())
        out["network"][key] = float((p.tactic_probs.argmax(-1) == p.tactic_true)[valid].mean())
        out[key] = [float((np.nan_to_num(fuse_with_team(p.tactic_probs, team_p, a)).argmax(-1)
                           == p.tactic_true)[valid].mean()) for a in powers]
    return out


def best_power(scores: dict[str, Any]) -> float:
    """The power above 0 with the highest mean of the two accuracies (ties: the one nearer
    1). 0 (the team model alone) cannot be stored, so when it scores best the smallest power
    tried above it wins instead if it is the best of those; 1 when no power above 0 was
    tried."""
    mean = {a: (b + n) / 2 for a, b, n in zip(scores["powers"], scores["ball"],
                                              scores["no_ball"], strict=True) if a > 0}
    if not mean:
        return 1.0
    top = max(mean.values())
    return min((a for a, m in mean.items() if m == top), key=lambda a: abs(a - 1.0))


def set_player_power(model_dir: str | Path, power: float, scores: dict[str, Any] | None = None
                     ) -> None:
    """Write ``power`` (and the scores it was chosen from) into the folder's
    ``team_tactic.json`` (atomically; the weights and their sha256 are unchanged)."""
    try:
        power = check_player_power(power)
    except ValueError as exc:
        raise FootcoachError(str(exc), model_dir) from None
    js = Path(model_dir) / TEAM_JSON
    if load_team_model(model_dir) is None:
        raise FootcoachError("the model folder has no team tactic model", model_dir)
    doc = json.loads(js.read_text(encoding="utf-8"))
    doc["player_power"] = float(power)
    if scores is not None:
        doc["fusion"] = scores
    atomic_write_bytes(js, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))
