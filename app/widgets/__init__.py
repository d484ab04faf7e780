"""The thin Qt widget layer: each module is one widget that observes core state objects."""

__all__: list[str] = []
