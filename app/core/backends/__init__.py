"""Adapters between the app and the codec's public APIs (``codec.api``, ``codec.eval``) where the
catalogue (``codec.baselines``) is not enough: loading the MSP model and reading .msp files,
measuring, and the published reference curve. Each imports what loads torch lazily (torch must
never load on the GUI thread).
"""

__all__: list[str] = []
