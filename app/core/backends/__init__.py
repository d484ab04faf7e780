"""Adapters between the app and the codec's public APIs (``codec.api``, ``codec.baselines``,
``codec.eval``). Each adapter imports lazily (torch must never load on the GUI thread) and falls
back to a small local implementation where a codec-side module does not exist yet.
"""

__all__: list[str] = []
