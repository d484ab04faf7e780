"""Keep full garbage-collector passes from stalling the event loop during encodes.

A full (generation-2) collection walks every object the collector tracks. Once torch, the model,
numpy, Qt's wrappers and pyqtgraph are loaded that is about 250k objects and about 90 ms on a
2-core CPU, paid, with the GIL held, by whichever thread happens to allocate when the threshold
trips: while the worker allocates tensors during an encode, that is a visible hitch of the UI.
Those objects live as long as the app does, so once start-up is over they are moved out of the
collector's reach (``gc.freeze``); later passes walk only what was created since.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_startup_objects"]


def freeze_startup_objects() -> int:
    """Collect start-up garbage once, then freeze what survives; returns how many objects are frozen.

    Call once, when the long-lived objects exist (the model is loaded). The price is bounded:
    a start-up object that later becomes part of unreachable *cyclic* garbage stays allocated
    (reference counting still frees everything else), so call it once, not per image.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
