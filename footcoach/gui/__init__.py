"""The review app (PySide6 + pyqtgraph): the only package that imports Qt.

Entry point: :func:`footcoach.gui.main_window.run_gui`. Views follow one
:class:`footcoach.gui.state.AppState`.

PySide6 is pinned to 6.11.3: 6.12.0 on CPython 3.11 drops a reference to ``None`` on every
``void`` Qt call and to ``True`` on every ``Signal.emit()``, which aborts the interpreter
("none_dealloc") after a few thousand calls (tests/test_gui_main.py guards the pin).
"""
