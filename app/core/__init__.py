"""Plain-Python core of MSP Studio: values, state objects and codec access.

Nothing in this package imports Qt, so it can be unit-tested and reused headless; the widget
layer observes the state objects through :class:`app.core.events.Event`.
"""

__all__: list[str] = []
