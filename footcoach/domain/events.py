"""An analysed or annotated event: one player's action over an interval."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from footcoach.domain.labels import Action, Tactic


@dataclass
class Event:
    """One player's action between ``start_s`` and ``end_s`` (session clock, seconds).

    ``quality`` is the 0-100 execution score; ``confidence`` the model's probability (1.0 for a
    coach's annotation). ``modality_attention`` maps ``"video"``, ``"imu"``, ``"position"`` to
    weights summing to 1; ``source`` is ``"model"`` or ``"coach"``.
    """

    id: str
    player_id: str
    start_s: float
    end_s: float
    action: Action
    tactic: Tactic | None = None
    quality: float | None = None
    confidence: float = 1.0
    modality_attention: dict[str, float] = field(default_factory=dict)
    source: str = "model"

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["action"] = self.action.label
        d["tactic"] = self.tactic.label if self.tactic is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        """Inverse of :meth:`to_dict` (labels by name)."""
        tactic = d.get("tactic")
        quality = d.get("quality")
        attention = d.get("modality_attention") or {}
        return cls(
            id=str(d["id"]), player_id=str(d["player_id"]),
            start_s=float(d["start_s"]), end_s=float(d["end_s"]),
            action=Action.parse(str(d["action"])),
            tactic=Tactic.parse(str(tactic)) if tactic not in (None, "") else None,
            quality=None if quality is None else float(quality),
            confidence=float(d.get("confidence", 1.0)),
            modality_attention={str(k): float(v) for k, v in attention.items()},
            source=str(d.get("source", "model")),
        )
