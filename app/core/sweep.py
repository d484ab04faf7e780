"""The background RD sweep: which (codec, quality) points to measure, in which order.

Fast classic codecs first so the plot fills quickly, VVC among them (it is the reference), then
the MSP profiles from cheapest to most expensive. Qualities go outside-in (ends first, then the
middle) so each curve spans its range early and then densifies point by point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.core.codecs import CLASSIC_KEYS, SideSettings, msp_key

__all__ = ["SWEEP_QUALITIES", "sweep_plan"]

SWEEP_QUALITIES: tuple[float, ...] = (0.1, 0.9, 0.5, 0.3, 0.7)


def sweep_plan(msp_profiles: Sequence[str], classic: Iterable[str] = CLASSIC_KEYS,
               qualities: Sequence[float] = SWEEP_QUALITIES, device: str = "cpu",
               skip: Iterable[SideSettings] = ()) -> list[SideSettings]:
    done = set(skip)
    plan: list[SideSettings] = []
    for key in classic:
        plan.extend(SideSettings(key, q) for q in qualities)
    for profile in msp_profiles:
        plan.extend(SideSettings(msp_key(profile), q, device) for q in qualities)
    return [s for s in plan if s not in done]
