"""``msp plot`` colours (issue #18, item 7): each codec keeps its catalogue colour in every plot,
published anchors take their codec's, and no two curves of a plot look the same."""

from __future__ import annotations

from codec.baselines import catalogue, colour_of
from codec.baselines.registry import codec_family
from codec.eval.plot import curve_colours
from codec.eval.reference import DEFAULT_REFERENCES, REFERENCES, load_reference


def test_published_anchors_take_their_codecs_colour_whatever_the_spelling() -> None:
    vvc, hevc, avif = colour_of("vvc"), colour_of("hevc"), colour_of("avif")
    for name in ("vtm", "VTM", "vtm18"):
        assert codec_family(name) == "vvc" and colour_of(name, "hybrid") == vvc, name
    for name in ("hm", "HM", "bpg444"):
        assert codec_family(name) == "hevc" and colour_of(name, "hybrid") == hevc, name
    assert colour_of("av1", "hybrid") == avif
    assert codec_family("msp-balanced:lof_iterations=0") == "msp-balanced"
    assert codec_family("cheng2020-anchor") is None


def test_every_reference_curve_of_a_plot_has_a_colour_of_its_own() -> None:
    curves = [load_reference(name) for name in (*DEFAULT_REFERENCES, "mlic++", "hm", "vtm18")]
    colours = curve_colours(curves)
    learned = [c for c in curves if c.kind == "learned"]
    # published learned codecs: all different, and none in an MSP profile's colour (also solid)
    ours = {e.colour for e in catalogue() if e.kind == "learned"}
    picked = [colours[c.name] for c in learned]
    assert len(set(picked)) == len(picked)
    assert not set(picked) & ours
    # a codec's published curves keep its colour
    for curve in curves:
        family = codec_family(curve.name)
        if family is not None:
            assert colours[curve.name] == colour_of(family), curve.name
    assert {REFERENCES[c.name].kind for c in curves} == {"hybrid", "learned"}
