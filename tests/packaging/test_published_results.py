"""The published figures describe the weights that ship: the Kodak results file, the model card
and the README all name the shipped model id. Weights are replaced often (the training issue
ships whenever Kodak improves), and a README quoting the previous weights' BD-rate is the kind
of staleness nobody notices by reading."""

from __future__ import annotations

import json
from pathlib import Path

from codec import zoo
from codec.data import WEIGHTS

ROOT = Path(__file__).resolve().parents[2]
KODAK_RESULTS = ROOT / "resources" / "results" / "kodak_msp.json"


def _shipped_model_id() -> str:
    return zoo.checksum_path(WEIGHTS).read_text().split()[0][: 2 * zoo.MODEL_ID_BYTES]


def test_the_kodak_results_were_measured_with_the_shipped_weights() -> None:
    results = json.loads(KODAK_RESULTS.read_text())
    msp_curves = [c for c in results["codecs"] if c["name"].startswith("msp-")]
    assert msp_curves, "no MSP curve in the published Kodak results"
    for curve in msp_curves:
        assert curve["settings"]["model"].split()[0] == _shipped_model_id(), curve["name"]


def test_the_model_card_and_readme_name_the_shipped_weights() -> None:
    model_id = _shipped_model_id()
    card = (WEIGHTS.parent / "MODEL_CARD.md").read_text()
    glance = card.split("## At a glance", 1)[1].split("\n## ", 1)[0]
    assert f"`{model_id}`" in glance  # the card opens on the file it sits beside
    readme = (ROOT / "README.md").read_text()
    shipped_rows = [line for line in readme.splitlines() if line.startswith("| **MSP balanced**") and "shipped" in line]
    assert len(shipped_rows) == 1 and model_id[:8] in shipped_rows[0]  # the results table's headline row
