"""Predefined profiles, loaded from the declarative table ``profiles.toml``.

Profiles differ only in data: the MSP decoding schedule (decode complexity) and the encoder's
latent-overfitting effort. Adding a profile means adding a table entry, never a code branch.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

from codec.entropy_models.schedule import MSPSchedule
from codec.errors import ProfileError

__all__ = ["Profile", "load_profiles", "parse_profiles", "LOF_PROXIES", "get_profile", "DEFAULT_PROFILE", "PROFILE_NAMES"]

DEFAULT_PROFILE = "balanced"
LOF_PROXIES = ("noise", "rounding")


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    schedule: MSPSchedule
    lof_iterations: int
    lof_learning_rate: float
    lof_step_search: bool = False
    """After the run, a second one from its best iterate at half the step size (and half the final
    step), kept only if its true cost is lower: ``lof_iterations // 2`` more iterations."""
    lof_snap_symbols: bool = False
    """Then snap symbols just above a quantisation boundary to the next smaller magnitude, in
    rounds kept only if the true cost goes down (three more real encodes)."""
    lof_checkpoint_every: int = 0
    """Judge the true cost every this many iterations (0: halfway and at the end only). Frequent
    checkpoints make a long run never end worse than a shorter one on the same decoder."""
    lof_proxy: str = "noise"
    """How LOF's gradient steps see quantisation: ``noise`` (additive uniform noise for the
    rate, straight-through rounding for the distortion, as in training) or ``rounding`` (the
    coder's own mean-relative rounding, straight-through, for both: the real bits up to the
    fixed-point means)."""
    lof_final_learning_rate: float | None = None
    """Cosine-decay the LOF step size to this value over the run (None: constant step). A
    decaying step lets a long run settle into a minimum instead of circling it."""
    lof_proxy_channel_splits: tuple[int, ...] | None = None
    """The channel groups of the MSP schedule that LOF's rate proxy unrolls, where not the coder's
    own (None). A schedule of fewer steps makes each gradient step cheaper; the true cost, which
    decides what is written, always codes with the profile's own schedule."""

    def steps(self, latent_channels: int) -> int:
        return self.schedule.steps(latent_channels)

    @property
    def lof_proxy_schedule(self) -> MSPSchedule:
        """The schedule LOF's rate proxy unrolls (see ``lof_proxy_channel_splits``)."""
        if self.lof_proxy_channel_splits is None:
            return self.schedule
        return dataclasses.replace(self.schedule, channel_splits=self.lof_proxy_channel_splits)


@functools.cache
def load_profiles() -> dict[str, Profile]:
    """The shipped table, ``codec/profiles.toml``."""
    return parse_profiles(resources.files("codec").joinpath("profiles.toml").read_text(encoding="utf-8"))


def parse_profiles(text: str) -> dict[str, Profile]:
    """Profiles from TOML text; a bad value is a :class:`ProfileError` naming the profile."""
    table = tomllib.loads(text)
    profiles = {}
    for name, entry in table.items():
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            hint = " (greedy is now lof_step_search and lof_snap_symbols)" if "greedy" in unknown else ""
            raise ProfileError(f"profile {name!r}: unknown setting(s) {', '.join(unknown)}{hint}")
        profile = Profile(
            name=name,
            description=entry["description"],
            schedule=MSPSchedule(
                scales=int(entry["scales"]),
                spatial=str(entry["spatial"]),
                channel_splits=tuple(int(c) for c in entry["channel_splits"]),
            ),
            lof_iterations=int(entry.get("lof_iterations", 0)),
            lof_learning_rate=float(entry.get("lof_learning_rate", 0.02)),
            lof_step_search=bool(entry.get("lof_step_search", False)),
            lof_snap_symbols=bool(entry.get("lof_snap_symbols", False)),
            lof_checkpoint_every=int(entry.get("lof_checkpoint_every", 0)),
            lof_proxy=_choice(name, "lof_proxy", str(entry.get("lof_proxy", "noise")), LOF_PROXIES),
            lof_final_learning_rate=(
                None if entry.get("lof_final_learning_rate") is None else float(entry["lof_final_learning_rate"])
            ),
            lof_proxy_channel_splits=(
                None
                if entry.get("lof_proxy_channel_splits") is None
                else tuple(int(c) for c in entry["lof_proxy_channel_splits"])
            ),
        )
        try:
            profile.lof_proxy_schedule  # noqa: B018 - built to validate it
        except ValueError as exc:
            raise ProfileError(f"profile {name!r}: lof_proxy_channel_splits: {exc}") from None
        profiles[name] = profile
    return profiles


# A table entry holds the profile's fields, with its schedule's fields in place of ``schedule``.
_KEYS = ({f.name for f in dataclasses.fields(Profile)} - {"name", "schedule"}) | {
    f.name for f in dataclasses.fields(MSPSchedule)
}


def _choice(profile: str, key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ProfileError(f"profile {profile!r}: {key} must be one of {', '.join(allowed)}, not {value!r}")
    return value


PROFILE_NAMES: tuple[str, ...] = tuple(load_profiles())


def get_profile(name: str) -> Profile:
    try:
        return load_profiles()[name]
    except KeyError:
        raise ProfileError(f"unknown profile {name!r}; choose one of {', '.join(PROFILE_NAMES)}") from None
