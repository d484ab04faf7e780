"""The text table of ``msp bench --stages``: one profile's encode and decode, stage by stage."""

from __future__ import annotations

from codec.stage_timing import StageTime, StageTimes

__all__ = ["format_breakdown"]

UNSTAGED = "(outside every stage)"


def format_breakdown(profile: str, encode: StageTimes, decode: StageTimes, repeat: int) -> str:
    """Rows in the order the stages first ran (the encode's, then the decode's own), each with its
    own seconds and share of the total on both sides; ``ms/call`` divides the decode's seconds
    by its calls (the encode's for encode-only stages), i.e. one MSP step's cost per scale."""
    enc = {s.name: s for s in encode.stages}
    dec = {s.name: s for s in decode.stages}
    names = list(dict.fromkeys([*enc, *dec]))
    width = max([len(UNSTAGED), len("stage"), *(len(n) for n in names)])
    lines = [
        f"{profile}: own seconds per stage (a nested stage is named by its path and excludes its children); "
        f"medians of {repeat} run(s)",
        f"{'stage':<{width}} {'encode s':>9} {'share':>6} {'decode s':>9} {'share':>6} {'calls':>9} {'ms/call':>8}",
    ]
    for name in names:
        e, d = enc.get(name), dec.get(name)
        per_call = d or e
        assert per_call is not None  # every name comes from one side or the other
        calls = f"{e.calls if e else '-'}/{d.calls if d else '-'}"
        lines.append(
            f"{name:<{width}} {_cell(e, encode)} {_cell(d, decode)} {calls:>9} "
            f"{1000 * per_call.seconds / max(per_call.calls, 1):>8.2f}"
        )
    for label, of in ((UNSTAGED, lambda t: t.unstaged_seconds), ("total", lambda t: t.total_seconds)):
        lines.append(f"{label:<{width}} {_seconds_cell(of(encode), encode)} {_seconds_cell(of(decode), decode)}")
    return "\n".join(lines)


def _cell(stage: StageTime | None, times: StageTimes) -> str:
    if stage is None:
        return f"{'-':>9} {'-':>6}"
    return _seconds_cell(stage.seconds, times)


def _seconds_cell(seconds: float, times: StageTimes) -> str:
    share = 100 * seconds / times.total_seconds if times.total_seconds > 0 else 0.0
    return f"{seconds:>9.4f} {share:>5.1f}%"
