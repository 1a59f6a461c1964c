"""Evaluation of a model folder on one split of an HDF5 dataset: ``footcoach evaluate``.

Scores (numpy, :mod:`footcoach.analysis.classification`): accuracy and macro-F1 per task, the
per-class table, confusion matrices (CSV + PNG drawn with Pillow), the quality error in points
on the 0-100 scale (MAE, RMSE, bias; overall and per true action, beside a reference that
knows the action but not its execution), the accuracy by the distance of each window's centre
to the nearest change of its player's label, and the modality attention averages (PAPER.md section
5.3): the mean modality weight (video, imu, context) of each window, each step weighted by the
window's temporal attention, averaged over all windows and per true class of each task. The
network has one modality attention per step shared by all heads, so "per task" here means
grouped by the classes of that task.

Output folder (``out``)::

    metrics.json                      everything below, plus the data description
    metrics.md                        the summary, per-class and attention tables (markdown)
    confusion_action.csv/.png, confusion_tactic.csv/.png
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch.utils.data import DataLoader

from footcoach.analysis.classification import (
    confusion_csv,
    group_vote_report,
    per_class_markdown,
    regression_errors,
    task_report,
)
from footcoach.analysis.team_tactic import TeamTacticModel, fuse_with_team, load_team_model
from footcoach.domain.windowing import BALL_FEATURE_PREFIX
from footcoach.errors import FootcoachError
from footcoach.io.hdf5_dataset import DatasetFile
from footcoach.io.manifest import atomic_write_bytes, atomic_write_text
from footcoach.ml.config import MODALITIES, ModelConfig, read_model_json
from footcoach.ml.network import Network, corrupt_modalities, hide_features, rotate_vests
from footcoach.ml.team_train import window_team_probabilities
from footcoach.ml.train import available_cores, ball_columns, resolve_device
from footcoach.ml.weights import load_model


@dataclass
class Predictions:
    """Per-window outputs (N windows): true/predicted classes, quality points, attention."""

    action_true: np.ndarray
    action_pred: np.ndarray
    tactic_true: np.ndarray
    tactic_pred: np.ndarray
    quality_true: np.ndarray
    quality_pred: np.ndarray
    modality: np.ndarray  # (N, 3) time-weighted mean modality weights
    weight: np.ndarray  # (N,) dataset weights (1 / keep-probability)
    action_conf: np.ndarray  # (N,) softmax probability of the predicted action
    tactic_probs: np.ndarray  # (N, 8) softmax tactic probabilities
    team_moment: np.ndarray  # (N,) int64 key of (session, team, centre time); unique per
    #                          window for players without a team
    action_change_s: np.ndarray | None = None  # (N,) s to the nearest change of the player's
    tactic_change_s: np.ndarray | None = None  # step label (label_change_distances); inf: none
    who: np.ndarray | None = None  # (N, 3) session index, player index, centre time in ms


def hidden_modality_indices(hide: Sequence[str], cfg: ModelConfig) -> list[int]:
    """Indices (into :data:`MODALITIES`) of the modalities named in ``hide``; raises
    :class:`FootcoachError` for an unknown name or when nothing the model reads would be left."""
    unknown = sorted(set(hide) - set(MODALITIES))
    if unknown:
        raise FootcoachError(f"unknown modality {', '.join(unknown)} to hide (choose from "
                             f"{', '.join(MODALITIES)})")
    if set(cfg.modalities) <= set(hide):
        raise FootcoachError(f"hiding {', '.join(sorted(set(hide)))} leaves nothing the model "
                             f"reads (it reads {', '.join(cfg.modalities)})")
    return [MODALITIES.index(m) for m in MODALITIES if m in hide]


@torch.no_grad()
def predict(model: Network, data: str | Path, split: str = "test", *, batch: int = 64,
            device: str | torch.device = "cpu", without_ball: bool = False,
            hide: Sequence[str] = (), corrupt: Sequence[str] = (), seed: int = 0,
            vest_rotation: float = 0.0) -> Predictions:
    """Run ``model`` (eval mode) over every window of ``split``; ``without_ball`` hides the
    ball-relative context features (scores as for sessions without a ball track); ``hide``
    names whole modalities (``MODALITIES``) masked out at every step, as in a session
    recorded without them (``"imu"``: no vests; ``"context"``: no positions); ``corrupt``
    names modalities given noise in every window while still marked present, as from a sensor
    delivering wrong data (:func:`~footcoach.ml.network.corrupt_modalities` with the model's
    normalisation; one of them per window, drawn with ``seed``); ``vest_rotation`` turns each
    window's vest by that many degrees about an axis drawn with ``seed``
    (:func:`~footcoach.ml.network.rotate_vests`: a vest worn or slipped at another angle).
    A model that reads de-tilted vests (config ``vest_upright``) gets each player's vest
    de-tilted as analysis does, and ``vest_rotation`` then turns each player's vest for the
    whole session (an axis per player) before it is de-tilted."""
    from footcoach.ml.data import WindowDataset, vest_rotations

    cfg = model.config
    hidden_modalities = hidden_modality_indices(hide, cfg)
    if set(corrupt) - {"imu", "context"}:
        raise FootcoachError(f"only imu and context can be corrupted, not "
                             f"{', '.join(sorted(set(corrupt) - {'imu', 'context'}))}")
    built = torch.tensor([m in cfg.modalities for m in MODALITIES])
    generator = torch.Generator(device=device).manual_seed(seed)
    rots = (vest_rotations(data, cfg.vest_upright, turn_deg=vest_rotation, seed=seed)
            if cfg.vest_upright else None)
    ds = WindowDataset(data, split, video="video" in cfg.modalities, vest_rotations=rots)
    if len(ds) == 0:
        raise FootcoachError(f"the {split} split has no windows", data)
    if ds.spec != cfg.window:
        raise FootcoachError("the dataset's window spec differs from the model's "
                             f"(dataset {ds.spec.to_dict()}, model {cfg.window.to_dict()})", data)
    model = model.to(device).eval()
    hidden = ball_columns(cfg) if without_ball else []
    cols: dict[str, list[np.ndarray]] = {k: [] for k in Predictions.__dataclass_fields__}
    who: list[np.ndarray] = []
    for b in DataLoader(ds, batch_size=batch, shuffle=False, num_workers=0):
        video = b["video"].to(device) if b["video"].shape[-1] > 0 else None
        context = hide_features(b["context"].to(device), hidden, 1.0)
        mask = b["mask"].to(device)
        mask[..., hidden_modalities] = False
        imu = b["imu"].to(device)
        if vest_rotation and rots is None:
            imu = rotate_vests(imu, vest_rotation, generator)
        if corrupt:
            imu, context = corrupt_modalities(imu, context, mask & built.to(device), 1.0,
                                              cfg.norm_stats, generator, corrupt)
        out = model(video, imu, context, mask)
        mod = (out.time_weights.unsqueeze(-1) * out.modality_weights).sum(1)
        mod = mod / mod.sum(-1, keepdim=True).clamp_min(1e-12)
        probs = torch.softmax(out.action_logits, -1)
        for key, value in (("action_true", b["action"]), ("action_pred", probs.argmax(-1)),
                           ("tactic_true", b["tactic"]),
                           ("tactic_pred", out.tactic_logits.argmax(-1)),
                           ("quality_true", b["quality"]), ("quality_pred", out.quality),
                           ("modality", mod), ("weight", b["weight"]),
                           ("action_conf", probs.max(-1).values),
                           ("tactic_probs", torch.softmax(out.tactic_logits, -1))):
            cols[key].append(value.cpu().numpy())
        who.append(np.c_[b["session"].numpy(), b["player"].numpy(),
                         np.rint(b["t_s"].numpy() * 1000.0)].astype(np.int64))
    ds.close()
    arrays = {k: np.concatenate(v) for k, v in cols.items() if v}
    who_all = np.concatenate(who)
    change = label_change_distances(data, who_all)
    return Predictions(**arrays, team_moment=team_moments(data, who_all),
                       action_change_s=change["action"], tactic_change_s=change["tactic"],
                       who=who_all)


CHANGE_BINS_S = (0.0, 0.5, 1.0, 2.0, 4.0, float("inf"))
"""Edges (s) of the distance bins of :func:`accuracy_by_label_change`."""


def label_change_distances(data: str | Path, who: np.ndarray) -> dict[str, np.ndarray]:
    """Task ("action", "tactic") -> (N,) seconds from each window's centre to the nearest
    change of its player's label of that task, inf where that label never changes.

    ``who``: (N, 3) = (session, player index, centre time in ms). Step labels are taken at the
    step centres, so a change is placed at the start time of the first step with the new label
    (within a quarter step of the true instant)."""
    with DatasetFile(data) as ds:
        labels = {task: ds.h5[task][()] for task in ("action", "tactic")}
        t, player = ds.h5["t_s"][()], ds.h5["player"][()]
    centre = who[:, 2] / 1000.0
    out = {}
    for task, label in labels.items():
        first = np.flatnonzero((label[1:] != label[:-1]) & (player[1:] == player[:-1])) + 1
        dist = np.full(len(who), np.inf)
        for pid in np.unique(who[:, 1]):
            sel = who[:, 1] == pid
            times = np.sort(t[first[player[first] == pid]])
            if not times.size:
                continue
            k = np.searchsorted(times, centre[sel])
            before = np.abs(centre[sel] - times[np.clip(k - 1, 0, times.size - 1)])
            after = np.abs(times[np.clip(k, 0, times.size - 1)] - centre[sel])
            dist[sel] = np.minimum(before, after)
        out[task] = dist
    return out


def accuracy_by_label_change(true: np.ndarray, pred: np.ndarray, distance_s: np.ndarray
                             ) -> list[dict[str, Any]]:
    """Accuracy of the windows in each :data:`CHANGE_BINS_S` bin of their distance to the
    nearest label change: most errors of short phases sit next to their boundaries."""
    rows = []
    for lo, hi in pairwise(CHANGE_BINS_S):
        sel = (distance_s >= lo) & ((distance_s < hi) | (hi == float("inf")))  # inf: no change
        n = int(sel.sum())
        rows.append({"from_s": lo, "to_s": hi, "n": n,
                     "accuracy": float(np.mean(true[sel] == pred[sel])) if n else None})
    return rows


def team_moments(data: str | Path, who: np.ndarray) -> np.ndarray:
    """(N,) group key of each window from ``who`` (N, 3) = (session, player index, centre time
    in ms): windows of one team's players at the same instant share a key."""
    with DatasetFile(data) as ds:
        teams = [str(p.get("team") or "") for p in ds.players]
    names = sorted(set(teams) - {""})
    team_idx = np.array([names.index(t) if t else -1 for t in teams], np.int64)
    t = team_idx[who[:, 1]]
    rows = np.c_[who[:, 0], t, who[:, 2]]
    rows[t < 0, 1] = -1 - np.arange(int((t < 0).sum()))  # no team: a group of its own
    return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def attention_table(p: Predictions, names: list[str], task: str) -> list[dict[str, Any]]:
    """Mean modality weights per true class of ``task`` (classes with windows only)."""
    true = p.action_true if task == "action" else p.tactic_true
    rows = []
    for i, name in enumerate(names):
        sel = true == i
        if sel.any():
            m = p.modality[sel].mean(0)
            rows.append({"class": name, "n": int(sel.sum()),
                         **{mod: float(m[j]) for j, mod in enumerate(MODALITIES)}})
    return rows


def training_quality_medians(data: str | Path, n_actions: int) -> np.ndarray:
    """(n_actions,) median quality (points) of the training split's windows of each action
    (NaN for an action without scored training windows)."""
    with DatasetFile(data) as ds:
        w = ds.windows
        a, q, split = w["action"][()], w["quality"][()], w["split"][()]
    ok = (split == 0) & np.isfinite(q)
    return np.array([float(np.median(q[ok & (a == i)])) if np.any(ok & (a == i)) else np.nan
                     for i in range(n_actions)])


def quality_by_action(p: Predictions, names: list[str],
                      medians: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Quality error per true action: n, the model's MAE and, with ``medians`` (the training
    median of each action), ``reference_mae``: the error of a predictor that knows the true
    action and nothing about how it was executed. A model at or above its reference reads
    nothing of the execution from the signals."""
    rows = []
    for i, name in enumerate(names):
        sel = (p.action_true == i) & np.isfinite(p.quality_true)
        if not sel.any():
            continue
        row: dict[str, Any] = {"class": name, "n": int(sel.sum()), **{
            f"quality_{k}": v for k, v in regression_errors(
                p.quality_true[sel], p.quality_pred[sel]).items() if k != "n"}}
        if medians is not None and np.isfinite(medians[i]):
            row["reference_mae"] = float(np.mean(np.abs(p.quality_true[sel] - medians[i])))
        rows.append(row)
    return rows


def score(p: Predictions, cfg: ModelConfig, quality_medians: np.ndarray | None = None
          ) -> dict[str, Any]:
    """All the figures of an evaluation (JSON-ready). ``quality_medians``: the training
    median quality per action (:func:`training_quality_medians`) for the reference errors."""
    action = task_report(p.action_true, p.action_pred, list(cfg.action_labels), p.weight)
    tactic = task_report(p.tactic_true, p.tactic_pred, list(cfg.tactic_labels), p.weight)
    quality: dict[str, Any] = regression_errors(p.quality_true, p.quality_pred)
    quality["by_action"] = quality_by_action(p, list(cfg.action_labels), quality_medians)
    refs = [r for r in quality["by_action"] if "reference_mae" in r]
    if refs:
        quality["reference_mae"] = float(sum(r["reference_mae"] * r["n"] for r in refs)
                                         / sum(r["n"] for r in refs))
    overall = p.modality.mean(0) if len(p.modality) else np.full(3, np.nan)
    team = group_vote_report(p.tactic_true, p.tactic_probs, p.team_moment,
                             list(cfg.tactic_labels))
    if p.action_change_s is not None and p.tactic_change_s is not None:
        action["by_label_change"] = accuracy_by_label_change(p.action_true, p.action_pred,
                                                             p.action_change_s)
        tactic["by_label_change"] = accuracy_by_label_change(p.tactic_true, p.tactic_pred,
                                                             p.tactic_change_s)
    return {"n_windows": int(p.action_true.size), "action": action, "tactic": tactic,
            "tactic_team_vote": team, "quality": quality,
            "modality_attention": {
                "overall": {m: float(overall[j]) for j, m in enumerate(MODALITIES)},
                "by_action": attention_table(p, list(cfg.action_labels), "action"),
                "by_tactic": attention_table(p, list(cfg.tactic_labels), "tactic")}}


def data_description(data: str | Path, split: str, without_ball: bool = False,
                     hide: Sequence[str] = (), corrupt: Sequence[str] = (),
                     vest_rotation: float = 0.0) -> dict[str, Any]:
    """Which data the figures come from (sessions of the split, synthetic or real, whether
    the ball features were there, which modalities were hidden, given noise or turned)."""
    with DatasetFile(data) as ds:
        idx = ds.window_indices(split)
        starts = ds.windows["start"][idx]
        sess = np.unique(ds.h5["session"][()][starts]) if idx.size else np.zeros(0, int)
        docs = [ds.sessions[int(i)] for i in sess]
        cv = ds.h5["context_valid"]
        ball = [k for k, n in enumerate(ds.spec.context_features)
                if n.startswith(BALL_FEATURE_PREFIX)]
        has_ball = bool(ball) and cv.shape[0] > 0 and bool(np.any(cv[:, ball[0]]))
    synthetic = all(bool(d.get("synthetic")) for d in docs)
    names = [str(d.get("name")) for d in docs]
    errors = next((d["ball_errors"] for d in docs if d.get("ball_errors")), None)
    ball = has_ball and not without_ball
    note = (" (hidden)" if has_ball and without_ball else
            f" with simulated tracking errors ({errors['noise_m']:g} m noise, "
            f"{errors['gap_share']:.0%} gaps)" if ball and errors else "")
    hidden = [m for m in MODALITIES if m in hide]
    noisy = [m for m in MODALITIES if m in corrupt]
    hidden_note = (f"; {' and '.join(MODALITY_NAMES[m] for m in hidden)} hidden"
                   if hidden else "")
    hidden_note += (f"; {' or '.join(MODALITY_NAMES[m] for m in noisy)} giving noise while "
                    "marked present" if noisy else "")
    hidden_note += (f"; each vest turned by {vest_rotation:g} degrees about a random axis"
                    if vest_rotation else "")
    return {"dataset": str(Path(data).resolve()), "split": split, "sessions": names,
            "synthetic": synthetic, "ball_track": ball, "ball_errors": errors if ball else None,
            "hidden_modalities": hidden, "noisy_modalities": noisy,
            "vest_rotation_deg": vest_rotation,
            "text": f"{'synthetic' if synthetic else 'real/mixed'} {split} split of "
                    f"{Path(data).name}: {idx.size} windows from sessions "
                    f"{', '.join(names) or '-'}; "
                    f"{'with' if ball else 'without'} a ball track{note}{hidden_note}"}


#: How :func:`data_description` names a hidden modality.
MODALITY_NAMES = {"video": "the video", "imu": "the vests (IMU)",
                  "context": "the positions (GPS/tracking)"}


# ---- drawing ---------------------------------------------------------------------------------
def confusion_png(cm: np.ndarray, names: list[str], title: str) -> bytes:
    """A row-normalised confusion heatmap with counts, as PNG bytes (Pillow only)."""
    cm = np.asarray(cm, np.float64)
    n = len(names)
    cell, left = 44, 150
    width = left + n * cell + 20
    title_lines = textwrap.wrap(title, width=max(30, (width - 20) // 6))
    top = 150 + 12 * (len(title_lines) - 1)
    img = Image.new("RGB", (width, top + n * cell + 40), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    for k, line in enumerate(title_lines):
        d.text((10, 8 + 12 * k), line, fill="black", font=font)
    d.text((8, top - 18), "true \\ predicted ->", fill="black", font=font)
    rows = cm.sum(1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    for i in range(n):
        d.text((8, top + i * cell + cell // 2 - 6), names[i][:22], fill="black", font=font)
        label = Image.new("RGB", (120, 14), "white")
        ImageDraw.Draw(label).text((0, 0), names[i][:22], fill="black", font=font)
        img.paste(label.rotate(90, expand=True), (left + i * cell + cell // 2 - 7, top - 126))
        for j in range(n):
            f = frac[i, j]
            shade = (int(255 - 200 * f), int(255 - 120 * f), 255)
            x0, y0 = left + j * cell, top + i * cell
            d.rectangle([x0, y0, x0 + cell - 1, y0 + cell - 1], fill=shade, outline=(200,) * 3)
            if cm[i, j]:
                d.text((x0 + 6, y0 + cell // 2 - 6), f"{int(cm[i, j])}",
                       fill="white" if f > 0.6 else "black", font=font)
    d.text((10, top + n * cell + 12), "rows: true class (colour = fraction of the row)",
           fill="black", font=font)
    from io import BytesIO

    buf = BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# ---- text --------------------------------------------------------------------------------------
def label_change_markdown(action: dict[str, Any], tactic: dict[str, Any],
                          fused: dict[str, Any] | None = None) -> list[str]:
    """The accuracy-by-distance-to-a-label-change table (nothing for older metrics);
    ``fused``: the tactic report with the team tactic model, a last column when it has one."""
    if "by_label_change" not in action or "by_label_change" not in tactic:
        return []
    team = (fused or {}).get("by_label_change")

    def acc(r: dict[str, Any]) -> str:
        return "-" if r["accuracy"] is None else f"{r['accuracy']:.1%}"

    lines = ["Accuracy by the distance of the window centre to the nearest change of the "
             "player's label (most errors of short phases sit at their boundaries):", "",
             "| distance | action windows | action accuracy | tactic windows | tactic "
             "accuracy |" + (" tactic with the team tactic model |" if team else ""),
             "|---|---|---|---|---|" + ("---|" if team else "")]
    for k, (ra, rt) in enumerate(zip(action["by_label_change"], tactic["by_label_change"],
                                     strict=True)):
        span = (f">= {ra['from_s']:g} s" if ra["to_s"] in (None, float("inf"))  # None: JSON
                else f"{ra['from_s']:g}-{ra['to_s']:g} s")
        lines.append(f"| {span} | {ra['n']} | {acc(ra)} | {rt['n']} | {acc(rt)} |"
                     + (f" {acc(team[k])} |" if team else ""))
    return [*lines, ""]


def summary_markdown(m: dict[str, Any]) -> str:
    """The evaluation as markdown: summary, per-class tables, attention table."""
    a, t, q = m["action"], m["tactic"], m["quality"]
    members = m.get("model", {}).get("members", 1)
    lines = [f"Data: {m['data']['text']}.", ""]
    if members > 1:
        lines += [f"Model: an ensemble of {members} networks (their mean probabilities and "
                  "quality scores).", ""]
    lines += ["| task | accuracy | macro-F1 | windows |", "|---|---|---|---|",
              f"| action (12 classes) | {a['accuracy']:.1%} | {a['macro_f1']:.3f} | {a['n']} |",
              f"| tactic (8 classes) | {t['accuracy']:.1%} | {t['macro_f1']:.3f} | {t['n']} |",
              "", f"Quality score error (0-100 points): MAE {q['mae']:.2f}, RMSE "
                  f"{q['rmse']:.2f}, bias {q['bias']:+.2f} (n = {q['n']}).", ""]
    tv = m.get("tactic_team_vote")
    if tv and tv["n"]:
        lines += [f"Team tactic (the mean of a team's players' tactic probabilities at one "
                  f"instant, as the app's team phases): accuracy {tv['accuracy']:.1%}, macro-F1 "
                  f"{tv['macro_f1']:.3f} over {tv['n']} team-instants "
                  f"({tv['mean_group_size']:.1f} player windows each on average).", ""]
    tw = m.get("tactic_with_team_model")
    if tw:
        power = tw.get("player_power", 1.0)
        lines += ["Tactic with the team tactic model (each window's tactic probabilities"
                  + (f" to the power {power:g}" if power != 1.0 else "")
                  + f" times its team's from team_tactic.json, as the app shows them): accuracy "
                  f"{tw['accuracy']:.1%}, macro-F1 {tw['macro_f1']:.3f}; team vote "
                  f"{tw['team_vote']['accuracy']:.1%}.", ""]
    elif "context" in m["data"].get("hidden_modalities", ()):
        lines += ["No team tactic model applied: it reads the positions, which were hidden.", ""]
    if "weighted_accuracy" in a:
        lines += [f"Accuracy with the natural class frequencies (windows weighted by 1 / keep-"
                  f"probability): action {a['weighted_accuracy']:.1%}, tactic "
                  f"{t['weighted_accuracy']:.1%}.", ""]
    lines += label_change_markdown(a, t, tw)
    lines += [per_class_markdown(a, "action"), "", per_class_markdown(t, "tactic"), ""]
    lines += quality_markdown(q)
    att = m["modality_attention"]
    lines += ["Modality attention (time-weighted mean per window):", "",
              "| group | n | video | imu | context |", "|---|---|---|---|---|",
              "| all windows | {} | {:.2f} | {:.2f} | {:.2f} |".format(
                  m["n_windows"], *(att["overall"][k] for k in MODALITIES))]
    for task in ("action", "tactic"):
        for r in att[f"by_{task}"]:
            lines.append(f"| {task}: {r['class']} | {r['n']} | {r['video']:.2f} | "
                         f"{r['imu']:.2f} | {r['context']:.2f} |")
    return "\n".join(lines) + "\n"


def quality_markdown(q: dict[str, Any]) -> list[str]:
    """The per-action quality table (lines; none for metrics written before it existed)."""
    rows = q.get("by_action") or []
    if not rows:
        return []
    lines = ["Quality error per true action (points). Reference: always the training median "
             "of the true action, i.e. knowing the action and nothing of its execution"
             + (f" ({q['reference_mae']:.2f} over all windows)." if "reference_mae" in q
                else "."), "",
             "| action | n | MAE | RMSE | bias | reference MAE |", "|---|---|---|---|---|---|"]
    for r in rows:
        ref = f"{r['reference_mae']:.1f}" if "reference_mae" in r else "-"
        lines.append(f"| {r['class']} | {r['n']} | {r['quality_mae']:.1f} | "
                     f"{r['quality_rmse']:.1f} | {r['quality_bias']:+.1f} | {ref} |")
    return [*lines, ""]


def evaluate(model_dir: str | Path, data: str | Path, *, split: str = "test",
             out: str | Path | None = None, device: str = "auto", batch: int = 64,
             without_ball: bool = False, hide: Sequence[str] = (),
             corrupt: Sequence[str] = (), vest_rotation: float = 0.0) -> dict[str, Any]:
    """Evaluate a model folder on ``split`` of ``data``; writes the files of the module
    docstring to ``out`` (default ``model_dir/metrics``) and returns the metrics dict.
    ``without_ball`` hides the ball-relative features (as for a session without ball track);
    ``hide`` whole modalities, ``corrupt`` gives them noise and ``vest_rotation`` turns the
    vests (see :func:`predict`). The
    team tactic model reads the positions, so with ``"context"`` hidden it is not applied (as
    in the app); with noisy positions it reads the true ones (the noise reaches the network
    only)."""
    torch.set_num_threads(available_cores())
    meta = read_model_json(model_dir)
    model, cfg = load_model(model_dir, device=resolve_device(device))
    preds = predict(model, data, split, batch=batch, device=resolve_device(device),
                    without_ball=without_ball, hide=hide, corrupt=corrupt,
                    vest_rotation=vest_rotation)
    m = score(preds, cfg, training_quality_medians(data, len(cfg.action_labels)))
    team = load_team_model(model_dir)
    if team is not None and preds.who is not None and "context" not in hide:
        m["tactic_with_team_model"] = with_team_model(preds, cfg, team, data, without_ball)
    m["data"] = data_description(data, split, without_ball, hide, corrupt, vest_rotation)
    m["model"] = {"folder": str(Path(model_dir).resolve()), "sha256": meta.sha256,
                  "ablation": cfg.ablation, "modalities": list(cfg.modalities),
                  "members": cfg.members}
    folder = Path(out) if out is not None else Path(model_dir) / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    for task in ("action", "tactic"):
        cm = np.asarray(m[task]["confusion"])
        names = m[task]["labels"]
        atomic_write_text(folder / f"confusion_{task}.csv", confusion_csv(cm, names))
        atomic_write_bytes(folder / f"confusion_{task}.png", confusion_png(
            cm, names, f"{task} confusion: {m['data']['text']}"))
    atomic_write_text(folder / "metrics.json",
                      json.dumps(_finite(m), indent=1, allow_nan=False) + "\n")
    atomic_write_text(folder / "metrics.md", summary_markdown(m))
    return m


def with_team_model(p: Predictions, cfg: ModelConfig, team: TeamTacticModel,
                    data: str | Path, without_ball: bool) -> dict[str, Any]:
    """Tactic scores of the windows as the app gives them with the model folder's team tactic
    model: each window's tactic probabilities times those of its team at the window's centre
    (:func:`~footcoach.analysis.team_tactic.fuse_with_team`); also the team vote of those."""
    assert p.who is not None
    labels = list(cfg.tactic_labels)
    fused = fuse_with_team(p.tactic_probs,
                           window_team_probabilities(team, data, p.who, without_ball),
                           team.player_power)
    pred = np.nan_to_num(fused).argmax(-1)
    report = task_report(p.tactic_true, pred, labels, p.weight)
    if p.tactic_change_s is not None:
        report["by_label_change"] = accuracy_by_label_change(p.tactic_true, pred,
                                                             p.tactic_change_s)
    report["team_vote"] = group_vote_report(p.tactic_true, np.nan_to_num(fused),
                                            p.team_moment, labels)
    report["team_model_sha256"] = team.sha256
    report["player_power"] = team.player_power
    return report


def _finite(x: Any) -> Any:
    """A JSON-ready copy with NaN/inf floats as None (strict JSON has no NaN)."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


def headline(m: dict[str, Any]) -> dict[str, float]:
    """The few figures a model card or ablation table needs."""
    return {"action_acc": m["action"]["accuracy"], "action_f1": m["action"]["macro_f1"],
            "tactic_acc": m["tactic"]["accuracy"], "tactic_f1": m["tactic"]["macro_f1"],
            "quality_mae": m["quality"]["mae"]}
