"""MSP Studio: a desktop app that compares the MSP learned codec with classic codecs, live.

Layout (napari-style split):

- :mod:`app.core`     plain-Python state, values and codec access; never imports Qt.
- :mod:`app.workers`  Qt threading: the long-lived MSP worker thread and the classic-codec pool.
- :mod:`app.widgets`  the thin Qt widget layer, talking to the core through signals.
"""

__all__: list[str] = []
