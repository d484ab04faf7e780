import pytest

from codec.errors import ProfileError
from codec.profiles import LOF_PROXIES, load_profiles, parse_profiles

ENTRY = """
[custom]
description = "test"
scales = 3
spatial = "2x2"
channel_splits = [16]
lof_iterations = 4
"""


def test_optional_lof_settings_default_to_a_constant_noise_proxy():
    profile = parse_profiles(ENTRY)["custom"]
    assert profile.lof_proxy == "noise"
    assert profile.lof_final_learning_rate is None
    assert profile.lof_checkpoint_every == 0


def test_lof_settings_parse_from_the_table():
    text = ENTRY + 'lof_proxy = "rounding"\nlof_final_learning_rate = 0.002\n'
    profile = parse_profiles(text)["custom"]
    assert (profile.lof_proxy, profile.lof_final_learning_rate) == ("rounding", 0.002)


def test_an_unknown_proxy_is_a_profile_error_naming_the_profile():
    with pytest.raises(ProfileError, match=r"custom.*lof_proxy.*noise, rounding"):
        parse_profiles(ENTRY + 'lof_proxy = "gumbel"\n')


def test_shipped_profiles_grow_in_effort():
    fast, balanced, best = (load_profiles()[n] for n in ("fast", "balanced", "best"))
    steps = [p.steps(96) for p in (fast, balanced, best)]
    assert steps == sorted(steps) and len(set(steps)) == 3
    assert fast.lof_iterations == 0 < balanced.lof_iterations < best.lof_iterations
    assert best.lof_step_search and best.lof_snap_symbols
    assert not (fast.lof_step_search or fast.lof_snap_symbols or balanced.lof_step_search or balanced.lof_snap_symbols)
    assert {p.lof_proxy for p in load_profiles().values()} <= set(LOF_PROXIES)


def test_the_searches_beyond_lof_are_explicit_settings():
    profile = parse_profiles(ENTRY + "lof_step_search = true\n")["custom"]
    assert profile.lof_step_search and not profile.lof_snap_symbols
    with pytest.raises(ProfileError, match=r"custom.*greedy.*lof_step_search and lof_snap_symbols"):
        parse_profiles(ENTRY + "greedy = true\n")  # the old switch of both is refused, not ignored


def test_lofs_rate_proxy_may_unroll_a_cheaper_schedule_of_the_same_scales():
    profile = parse_profiles(ENTRY.replace("[16]", "[8, 16]") + "lof_proxy_channel_splits = [16]\n")["custom"]
    assert profile.schedule.channel_splits == (8, 16)
    assert profile.lof_proxy_schedule.channel_splits == (16,)
    assert profile.lof_proxy_schedule.steps(96) < profile.steps(96)
    assert (profile.lof_proxy_schedule.scales, profile.lof_proxy_schedule.spatial) == (3, "2x2")
    own = parse_profiles(ENTRY)["custom"]
    assert own.lof_proxy_schedule is own.schedule


def test_a_bad_proxy_schedule_is_a_profile_error_naming_the_profile():
    with pytest.raises(ProfileError, match=r"custom.*lof_proxy_channel_splits.*multiples of 8"):
        parse_profiles(ENTRY + "lof_proxy_channel_splits = [12]\n")


def test_only_balanced_unrolls_a_cheaper_proxy():
    """best's LOF runs on its own schedule: the cheaper proxy was measured for balanced only."""
    profiles = load_profiles()
    assert profiles["balanced"].lof_proxy_channel_splits == (16,)
    assert profiles["best"].lof_proxy_schedule == profiles["best"].schedule
    assert profiles["fast"].lof_iterations == 0
