"""Use cases shared by the CLI and the GUI (pure Python; long work yields progress)."""
