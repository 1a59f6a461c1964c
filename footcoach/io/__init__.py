"""Readers and writers per file format. No torch, no Qt (tests/test_layering.py)."""
