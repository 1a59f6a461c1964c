"""Command-line front end: one verb per use case, no logic of its own (calls footcoach.app)."""
