"""Runs a bitrate search on one side: its quality searched until its size is closest to a goal.

Two goals share the one search: the other side's bitrate (:meth:`BitrateMatcher.start`, "match
B's bitrate to A") and a size the user typed (:meth:`BitrateMatcher.start_size`, "20 KiB",
"0.25 bpp"). Each probe of the :class:`~app.core.bitrate_search.BitrateSearch` is a background
job at ``Priority.MATCH`` (above the sweep, below the user's own requests); the best quality
found is then set on the side like any other settings change, so the side's normal encode shows
it (usually a cache hit: the probe already ran it). A probe pushed aside by a user request is
submitted again. While it searches, the side's ``activity`` says so (its panel shows it: the
picture on that side is about to change) and ``probed`` hands each probe's RD point to the plot.
A search that ends says how (``ended``, a :class:`SearchReport`), out-of-reach targets included.
Plain Python: the controller feeds it the service's job events.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.bitrate_search import BitrateSearch, SearchVerdict
from app.core.codecs import SideSettings, title_of
from app.core.events import Event
from app.core.formatting import format_bytes
from app.core.jobs import JobRunner, Priority
from app.core.results import EncodeOutcome, RDPoint
from app.core.size_target import SizeTarget
from app.core.state import ComparisonState, SideName

__all__ = ["BitrateMatcher", "SearchReport", "report_text"]


@dataclass(frozen=True)
class _Goal:
    """What a search aims at, and how the side's panel names it."""

    bpp: float
    doing: str
    """The activity: "Matching A's bitrate", "Reaching 20 KiB"."""
    size: SizeTarget | None = None
    """The user's target; None when matching the other side."""


@dataclass(frozen=True)
class SearchReport:
    """How a finished search ended: what it aimed at and the best it found."""

    side: SideName
    codec: str
    target: SizeTarget | None
    """The user's target; None for a bitrate match."""
    target_bpp: float
    verdict: SearchVerdict
    quality: float
    bpp: float
    num_bytes: int
    probes: int

    @property
    def reachable(self) -> bool:
        return self.verdict in (SearchVerdict.REACHED, SearchVerdict.CLOSEST)


def report_text(report: SearchReport) -> str:
    """One sentence for the user: reached, or why not and what the nearest reachable size is."""
    codec = title_of(report.codec)
    got = f"{format_bytes(report.num_bytes)}, {report.bpp:.3f} bpp, at q={report.quality:.3f}"
    if report.target is None:
        return f"{codec} matched at q={report.quality:.3f} ({report.bpp:.3f} bpp)"
    wanted = report.target.describe()
    if report.verdict is SearchVerdict.REACHED:
        return f"{codec} reached {wanted}: {got}"
    if report.verdict is SearchVerdict.CLOSEST:  # no quality within the tolerance: say how far off
        off = 100.0 * (report.bpp / report.target_bpp - 1.0)
        return f"{codec} came within {abs(off):.1f} % of {wanted} ({'over' if off > 0 else 'under'}): {got}"
    if report.verdict is SearchVerdict.BELOW_SMALLEST:
        return f"{wanted} is below {codec}'s smallest file on this image ({got}); showing that"
    return f"{wanted} is above {codec}'s largest file on this image ({got}); showing that"


def _last_probe(search: BitrateSearch) -> str:
    if not search.probes:
        return ""
    quality, bpp = list(search.probes.items())[-1]
    return f" (q={quality:.3f} gave {bpp:.3f} bpp)"


class BitrateMatcher:
    """At most one search at a time; starting another, or cancelling, abandons the current one."""

    def __init__(self, state: ComparisonState, runner: JobRunner) -> None:
        self.state = state
        self.runner = runner
        self.status = Event()  # (text): for the status bar
        self.probed = Event()  # (SideName, target bpp, list[RDPoint]): the probes so far, for the plot
        self.ended = Event()  # (SearchReport): a search that ran to its end
        self._search: BitrateSearch | None = None
        self._goal: _Goal | None = None
        self._job: int | None = None
        self._settings: SideSettings | None = None
        self._side = SideName.B
        self._trail: list[RDPoint] = []
        self._sizes: dict[float, int] = {}  # quality -> bytes of the probe
        state.image_changed.connect(self._clear_probes)

    def _clear_probes(self, *_image: object) -> None:
        """A new image: the probes of the last one are no points of its plot."""
        for name in SideName:
            self.probed.emit(name, None, [])

    def active(self) -> bool:
        """A search is under way."""
        return self._search is not None

    def searching(self) -> SideName | None:
        """The side being searched, if any."""
        return self._side if self._search is not None else None

    def start(self, target: SideName = SideName.B) -> None:
        """Search ``target``'s quality so that its bpp is closest to the other side's result.

        Nothing to match without a result on the other side, an image, or a codec on the target.
        """
        self.cancel()
        reference = self.state.side(target.other).result
        if reference is None:
            return
        self._begin(target, _Goal(reference.bpp, f"Matching {target.other.value}'s bitrate"),
                    f"Matching {title_of(self.state.side(target).settings.codec)} to {reference.bpp:.3f} bpp …")

    def start_size(self, target: SideName, size: SizeTarget) -> None:
        """Search ``target``'s quality so that its file is closest to ``size`` on the current image."""
        self.cancel()
        image = self.state.image
        if image is None:
            return
        codec = title_of(self.state.side(target).settings.codec)
        self._begin(target, _Goal(size.bpp(image.width, image.height), f"Reaching {size.describe()}", size),
                    f"Searching {codec}'s quality for {size.describe()} …")

    def _begin(self, target: SideName, goal: _Goal, text: str) -> None:
        if self.state.image is None or self.state.side(target).settings.is_original:
            return
        self._search = BitrateSearch(goal.bpp)
        self._goal = goal
        self._side = target
        self._trail = []
        self._sizes = {}
        self.status.emit(text)
        self.probed.emit(target, goal.bpp, [])
        self._next_probe()

    def cancel(self) -> None:
        if self._job is not None:
            self.runner.cancel(self._job)
        self._end(keep_probes=False)

    def _end(self, keep_probes: bool) -> None:
        """``keep_probes``: leave the probes on the plot (a target search that ran to its end:
        they show where the target lies on the codec's curve); else they go with the search."""
        if self._search is not None:
            self.state.side(self._side).set_activity("")
            if not keep_probes:
                self.probed.emit(self._side, None, [])
        self._search = None
        self._goal = None
        self._job = None
        self._settings = None

    # -- job events -------------------------------------------------------------------------------
    def on_finished(self, job_id: int, outcome: EncodeOutcome) -> None:
        if job_id != self._job or self._search is None or self._goal is None:
            return
        self._search.report(outcome.settings.quality, outcome.bpp)
        self._sizes[outcome.settings.quality] = outcome.num_bytes
        self._trail.append(RDPoint(outcome.settings, outcome.bpp, outcome.metrics.psnr, outcome.metrics.msssim_db))
        self.probed.emit(self._side, self._goal.bpp, list(self._trail))
        self._next_probe()

    def on_failed(self, job_id: int, text: str) -> None:
        if job_id == self._job:
            self.status.emit(f"Bitrate match failed: {text}")
            self.cancel()

    def on_cancelled(self, job_id: int, preempted: bool) -> None:
        image = self.state.image
        if job_id == self._job and preempted and self._settings is not None and image is not None:
            self._job = self.runner.submit(image, self._settings, Priority.MATCH)

    def _next_probe(self) -> None:
        search, goal = self._search, self._goal
        image = self.state.image
        if search is None or goal is None or image is None:
            return
        side = self.state.side(self._side)
        quality = search.next_quality()
        if quality is None:
            self._finish(search, goal)
            return
        self._settings = side.settings.with_(quality=quality)
        self._job = self.runner.submit(image, self._settings, Priority.MATCH)
        side.set_activity(f"{goal.doing} ({search.target:.3f} bpp): trying q={quality:.3f}" + _last_probe(search))

    def _finish(self, search: BitrateSearch, goal: _Goal) -> None:
        best, verdict = search.best(), search.verdict()
        self._end(keep_probes=goal.size is not None)
        if best is None or verdict is None:
            return
        side = self.state.side(self._side)
        report = SearchReport(self._side, side.settings.codec, goal.size, goal.bpp, verdict, best[0], best[1],
                              self._sizes.get(best[0], 0), len(search.probes))
        side.set_settings(side.settings.with_(quality=best[0]))
        self.status.emit(report_text(report))
        self.ended.emit(report)
