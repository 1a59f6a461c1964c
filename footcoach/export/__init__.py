"""Exports of an analysed session for other tools: events/metrics CSV, JSON, Sportscode XML."""
