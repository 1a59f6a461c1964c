"""One error family for everything the user can get wrong.

Readers raise :class:`FootcoachError` naming the file, the row or time, and what is wrong; the CLI
and the GUI turn it into one line (``footcoach: error: <file>[:<where>]: <what>``). Recoverable
oddities are collected as :class:`Diagnostics` warnings and the data is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class FootcoachError(Exception):
    """A problem with user input: ``file`` and ``where`` (row number, time, key) locate it."""

    def __init__(self, message: str, file: str | Path | None = None,
                 where: str | int | None = None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.where = where

    def __str__(self) -> str:
        parts = [p for p in (self.file, None if self.where is None else str(self.where)) if p]
        prefix = ":".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


@dataclass
class Diagnostics:
    """Warnings gathered while reading or cleaning data (the data is kept)."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str, file: str | Path | None = None,
             where: str | int | None = None) -> None:
        self.warnings.append(str(FootcoachError(message, file, where)))

    def extend(self, other: Diagnostics) -> None:
        self.warnings.extend(other.warnings)
