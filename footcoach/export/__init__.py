"""Exports of an analysed session for other tools.

- :mod:`footcoach.export.output`: where every export lands (overwrite guard, atomic writes,
  clear disk-full / permission errors);
- :mod:`footcoach.export.tables`: the event, phase and metrics rows, and the CSV export;
- :mod:`footcoach.export.json_export`: one JSON document (schema in its docstring);
- :mod:`footcoach.export.sportscode`: Hudl Sportscode XML edit list.

Every export writes the reviewed events (:func:`footcoach.app.reviewed.load_reviewed`: the
analysis with the coach's corrections applied).
"""
