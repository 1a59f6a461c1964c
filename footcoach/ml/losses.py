"""The joint multitask loss (PAPER.md: L = l1 * MSE(quality) + l2 * CE(tactic) + l3 * CE(action)).

Targets may be partly missing (a window with an action label but no quality score, a real-data
sample with no tactic): action/tactic ``-1`` and quality ``NaN`` mean "no label" and those samples
do not contribute to that term. Quality is compared on the 0-1 scale (points / 100), so the three
terms have similar magnitudes at initialisation.

With ``LossWeights(learned=True)`` the balance is learned (uncertainty weighting, Kendall, Gal &
Cipolla, CVPR 2018, in the form ``sum_i exp(-s_i) * L_i + s_i``): a term the network fits poorly
(large ``L_i``) is weighed down as ``s_i`` grows towards ``log L_i``; ``s_i`` starts at
``-log(w_i)`` so that training starts from the configured weights.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from footcoach.ml.config import LossWeights
from footcoach.ml.network import FootcoachOutput

NO_LABEL = -1
TERMS = ("action", "tactic", "quality")
"""The order of the terms in :attr:`JointLoss.log_var`."""
JOINT = LossWeights()


class LossTerms(NamedTuple):
    """The weighted total (scalar, differentiable) and the unweighted terms (scalars).

    A term with no labelled sample in the batch is 0 (and adds nothing to the gradient).
    ``quality`` is the MSE on the 0-1 scale; its square root times 100 is the RMSE in points.
    """

    total: Tensor
    action: Tensor
    tactic: Tensor
    quality: Tensor


def _masked_ce(logits: Tensor, target: Tensor, weight: Tensor | None) -> Tensor:
    target = target.long()
    valid = target != NO_LABEL
    if not bool(valid.any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits[valid], target[valid], weight=weight)


def joint_loss(output: FootcoachOutput, action: Tensor, tactic: Tensor, quality: Tensor,
               weights: LossWeights = JOINT, *,
               action_class_weights: Tensor | None = None,
               tactic_class_weights: Tensor | None = None,
               log_var: Tensor | None = None) -> LossTerms:
    """Joint loss of a batch.

    ``action`` (B,) int class or -1; ``tactic`` (B,) int class or -1; ``quality`` (B,) float points
    0-100 or NaN. Optional per-class weights (12,) / (8,) for imbalanced data. Terms whose weight
    is 0 are still reported (for logging) but do not enter ``total``. ``log_var`` (3,) learned
    log-variances in :data:`TERMS` order: each term of weight above 0 enters as
    ``exp(-s) * term + s`` instead of ``weight * term``.
    """
    a = _masked_ce(output.action_logits, action, action_class_weights)
    t = _masked_ce(output.tactic_logits, tactic, tactic_class_weights)
    q_valid = torch.isfinite(quality)
    if bool(q_valid.any()):
        q = F.mse_loss(output.quality[q_valid] / 100.0, quality[q_valid].float() / 100.0)
    else:
        q = output.quality.sum() * 0.0
    total = output.quality.new_zeros(())
    for k, (name, term) in enumerate(zip(TERMS, (a, t, q), strict=True)):
        w = getattr(weights, name)
        if not w:
            continue
        if log_var is None:
            total = total + w * term
        else:
            total = total + torch.exp(-log_var[k]) * term + log_var[k]
    return LossTerms(total, a.detach(), t.detach(), q.detach())


class JointLoss(nn.Module):
    """:func:`joint_loss` as a module (class weights as buffers). With ``weights.learned`` it
    holds the learned log-variances ``log_var`` (3,) in :data:`TERMS` order, a parameter the
    optimizer must train beside the network's; otherwise the weights are fixed and it has no
    parameter."""

    def __init__(self, weights: LossWeights = JOINT, *,
                 action_class_weights: Tensor | None = None,
                 tactic_class_weights: Tensor | None = None):
        super().__init__()
        self.weights = weights
        self.action_class_weights: Tensor | None
        self.tactic_class_weights: Tensor | None
        self.register_buffer("action_class_weights", action_class_weights)
        self.register_buffer("tactic_class_weights", tactic_class_weights)
        self.log_var: nn.Parameter | None = None
        if weights.learned:
            start = [-math.log(w) if w > 0 else 0.0 for w in self.configured()]
            self.log_var = nn.Parameter(torch.tensor(start, dtype=torch.float32))

    def configured(self) -> tuple[float, float, float]:
        """The configured weights in :data:`TERMS` order."""
        a, t, q = (float(getattr(self.weights, name)) for name in TERMS)
        return a, t, q

    def effective_weights(self) -> dict[str, float]:
        """The weight each term has now: ``exp(-s)`` when learned, else the configured one
        (0 for a term left out)."""
        fixed = self.configured()
        if self.log_var is None:
            return dict(zip(TERMS, fixed, strict=True))
        s = self.log_var.detach().cpu().tolist()
        return {t: (math.exp(-v) if w > 0 else 0.0)
                for t, w, v in zip(TERMS, fixed, s, strict=True)}

    def weights_text(self) -> str:
        """``"  weights a/t/q 1.02/0.61/8.4"`` for an epoch line when the weights are learned
        ("" when they are fixed)."""
        if self.log_var is None:
            return ""
        w = self.effective_weights()
        return "  weights a/t/q " + "/".join(f"{w[t]:.3g}" for t in TERMS)

    def learned_state(self, at_best: dict[str, float]) -> dict[str, Any]:
        """Checkpoint entries of learned weights: ``loss_log_var`` (now) and
        ``loss_weights_at_best`` (the best epoch's effective weights); {} when fixed."""
        if self.log_var is None:
            return {}
        return {"loss_log_var": self.log_var.detach().cpu().tolist(),
                "loss_weights_at_best": at_best}

    def restore_learned(self, state: dict[str, Any]) -> None:
        """Take the learned log-variances back from a checkpoint's entries (a run resumed)."""
        if self.log_var is not None and "loss_log_var" in state:
            with torch.no_grad():
                self.log_var.copy_(torch.tensor(state["loss_log_var"], dtype=torch.float32))

    def forward(self, output: FootcoachOutput, action: Tensor, tactic: Tensor,
                quality: Tensor) -> LossTerms:
        return joint_loss(output, action, tactic, quality, self.weights,
                          action_class_weights=self.action_class_weights,
                          tactic_class_weights=self.tactic_class_weights,
                          log_var=self.log_var)
