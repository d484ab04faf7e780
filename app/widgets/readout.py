"""Per-side numbers: bytes, bpp, % of original, PSNR, MS-SSIM (and dB), SSIMULACRA2, FLIP, times, device.

SSIMULACRA2 and FLIP arrive a few seconds after the rest (measured in another process:
:mod:`app.core.perceptual`); until then their rows say "computing…"."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from app.core.formatting import READOUT_FIELDS, readout_rows
from app.core.image_io import LoadedImage
from app.core.results import EncodeOutcome

__all__ = ["ReadoutView"]

_TIPS = {
    "bpp": "8 x file bytes / (H x W); an 'estimated' rate comes from the model's likelihoods",
    "% of original": "size relative to the opened file (raw 24-bit RGB when there is no file)",
    "PSNR": "PSNR-RGB: MSE over all H x W x 3 values (CompressAI convention)",
    "MS-SSIM": "MS-SSIM-RGB (pytorch_msssim, data_range 255) and -10 log10(1 - MS-SSIM) in dB; "
               "needs both sides > 160 px",
    "SSIMULACRA2": "SSIMULACRA2, computed as libjxl's own tool computes it (the same scores, so comparable with "
                   "published ones): 100 = identical, higher is better; about 90 = visually lossless, 50 = medium "
                   "quality, below 30 = low. Measured in the background (under a second at 768x512); not above "
                   "Full HD",
    "FLIP": "NVIDIA's FLIP (flip-evaluator): mean perceived error when flipping between the picture and the "
            "original, 0 = identical, lower is better; viewed at 67 pixels per degree (a 4K screen 0.7 m wide "
            "from 0.7 m). Measured in the background (about 1.5 s at 768x512); not above Full HD",
    "Encode": "wall-clock encode time, including model work on the chosen device",
    "Decode": "wall-clock decode time of the bitstream",
}


class ReadoutView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(10)
        layout.setVerticalSpacing(2)
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.values: dict[str, QLabel] = {}
        for name in READOUT_FIELDS:
            value = QLabel("—")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            caption = QLabel(f"{name}:")
            if name in _TIPS:
                caption.setToolTip(_TIPS[name])
                value.setToolTip(_TIPS[name])
            layout.addRow(caption, value)
            self.values[name] = value

    def show_outcome(self, outcome: EncodeOutcome | None, image: LoadedImage | None) -> None:
        rows = readout_rows(outcome, image) if outcome is not None else {}
        for name, label in self.values.items():
            label.setText(rows.get(name, "—"))

    def text(self, name: str) -> str:
        return self.values[name].text()
