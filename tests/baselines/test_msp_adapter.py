"""The MSP codec behind the baseline interface."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from codec.baselines import get_codec


def test_listing_codecs_does_not_load_torch():
    code = (
        "import sys; from codec.baselines import available_codecs; "
        "names = [c.name for c in available_codecs()]; "
        "assert 'jpeg' in names; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow  # loads torch and the model
def test_msp_round_trip_matches_the_api(make_image):
    from codec import api

    codec = get_codec("msp-fast")
    image = make_image(48, 64, seed=4)
    data = codec.encode(image, 0.5)
    decoded = codec.decode(data)
    assert decoded.shape == image.shape and decoded.dtype == np.uint8
    direct = api.encode(image, profile="fast", quality=0.5)
    assert direct.data == data  # profile and quality pass through unchanged ("fast" has no LOF)
    assert np.array_equal(decoded, direct.reconstruction)
    description = codec.describe()
    assert description.library.startswith("MSP")
    assert description.settings["model"].startswith(api.model_info().model_id)  # results name their weights


def test_optional_settings_parse_from_text():
    """`--codecs msp-balanced:lof_iterations=0` (the LOF ablation from the command line)."""
    from codec.baselines.registry import parse_codec_spec
    from codec.errors import CodecError

    ablated = parse_codec_spec("msp-balanced:lof_iterations=0")
    assert ablated.lof_iterations == 0 and ablated.name == "msp-balanced:lof_iterations=0"  # its name is its spec
    assert parse_codec_spec("msp-balanced-lof0") == ablated  # the name results files had before
    assert parse_codec_spec("msp-balanced:lof_iterations=none").lof_iterations is None
    with pytest.raises(CodecError, match="not a valid int"):
        parse_codec_spec("msp-balanced:lof_iterations=many")
