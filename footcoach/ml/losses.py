"""The joint multitask loss (PAPER.md: L = l1 * MSE(quality) + l2 * CE(tactic) + l3 * CE(action)).

Targets may be partly missing (a window with an action label but no quality score, a real-data
sample with no tactic): action/tactic ``-1`` and quality ``NaN`` mean "no label" and those samples
do not contribute to that term. Quality is compared on the 0-1 scale (points / 100), so the three
terms have similar magnitudes at initialisation.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from footcoach.ml.config import LossWeights
from footcoach.ml.network import FootcoachOutput

NO_LABEL = -1
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
               tactic_class_weights: Tensor | None = None) -> LossTerms:
    """Joint loss of a batch.

    ``action`` (B,) int class or -1; ``tactic`` (B,) int class or -1; ``quality`` (B,) float points
    0-100 or NaN. Optional per-class weights (12,) / (8,) for imbalanced data. Terms whose weight
    is 0 are still reported (for logging) but do not enter ``total``.
    """
    a = _masked_ce(output.action_logits, action, action_class_weights)
    t = _masked_ce(output.tactic_logits, tactic, tactic_class_weights)
    q_valid = torch.isfinite(quality)
    if bool(q_valid.any()):
        q = F.mse_loss(output.quality[q_valid] / 100.0, quality[q_valid].float() / 100.0)
    else:
        q = output.quality.sum() * 0.0
    total = output.quality.new_zeros(())
    for w, term in ((weights.action, a), (weights.tactic, t), (weights.quality, q)):
        if w:
            total = total + w * term
    return LossTerms(total, a.detach(), t.detach(), q.detach())


class JointLoss(nn.Module):
    """:func:`joint_loss` as a module with fixed weights (class weights as buffers)."""

    def __init__(self, weights: LossWeights = JOINT, *,
                 action_class_weights: Tensor | None = None,
                 tactic_class_weights: Tensor | None = None):
        super().__init__()
        self.weights = weights
        self.action_class_weights: Tensor | None
        self.tactic_class_weights: Tensor | None
        self.register_buffer("action_class_weights", action_class_weights)
        self.register_buffer("tactic_class_weights", tactic_class_weights)

    def forward(self, output: FootcoachOutput, action: Tensor, tactic: Tensor,
                quality: Tensor) -> LossTerms:
        return joint_loss(output, action, tactic, quality, self.weights,
                          action_class_weights=self.action_class_weights,
                          tactic_class_weights=self.tactic_class_weights)
