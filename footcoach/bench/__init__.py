"""``footcoach benchmark``: speed, memory and accuracy figures (never timed tests)."""
