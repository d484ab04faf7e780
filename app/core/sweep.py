"""The background RD sweep: which (codec, quality) points to measure, in which order.

The codecs of the pool first (the classic ones: fast, so the plot fills quickly, VVC among them as
the reference), then those of the model thread (the MSP profiles, cheapest first). Qualities go outside-in (ends first, then the
middle) so each curve spans its range early and then densifies point by point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.core.codecs import SideSettings, pool_codecs

__all__ = ["SWEEP_QUALITIES", "sweep_plan"]

SWEEP_QUALITIES: tuple[float, ...] = (0.1, 0.9, 0.5, 0.3, 0.7)


def sweep_plan(model_codecs: Sequence[str], pool: Iterable[str] | None = None,
               qualities: Sequence[float] = SWEEP_QUALITIES, device: str = "cpu",
               skip: Iterable[SideSettings] = ()) -> list[SideSettings]:
    """Points of the ``pool`` codecs (default: all of the catalogue's), then of ``model_codecs``."""
    done = set(skip)
    plan: list[SideSettings] = []
    for key in pool_codecs() if pool is None else pool:
        plan.extend(SideSettings(key, q) for q in qualities)
    for key in model_codecs:
        plan.extend(SideSettings(key, q, device) for q in qualities)
    return [s for s in plan if s not in done]
