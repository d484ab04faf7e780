"""Plain, frozen result types of the public API (no torch, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Progress", "EncodeResult", "DecodeResult", "BitstreamHeader", "ProfileInfo", "ModelInfo"]


@dataclass(frozen=True)
class Progress:
    """One progress report of a running encode.

    ``stage`` is "analysis", "lof" (latent overfitting), "greedy", "coding" or "synthesis".
    ``estimated_bpp`` is a rate estimated from likelihoods (label it "estimated" when shown);
    ``psnr`` is the PSNR of the current iterate's reconstruction, where known.
    """

    stage: str
    iteration: int
    total: int
    estimated_bpp: float | None = None
    psnr: float | None = None


@dataclass(frozen=True)
class BitstreamHeader:
    """Everything the container says about a bitstream, validated."""

    format_version: int
    model_id: str
    profile: str
    quality: float
    height: int
    width: int
    segment_lengths: tuple[int, ...]
    total_bytes: int
    steps: int

    def describe(self) -> str:
        """Multi-line human-readable dump (used by ``msp info`` and the app)."""
        lines = [
            f"format version : {self.format_version}",
            f"model id       : {self.model_id}",
            f"profile        : {self.profile}",
            f"quality        : {self.quality:.3f}",
            f"image size     : {self.width} x {self.height}",
            f"total bytes    : {self.total_bytes}",
            f"bpp            : {8 * self.total_bytes / (self.width * self.height):.4f}",
            f"segments       : {len(self.segment_lengths)} ({', '.join(map(str, self.segment_lengths))} bytes)",
            f"decode steps   : {self.steps} sequential",
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class EncodeResult:
    """What :func:`codec.api.encode` returns.

    ``reconstruction`` is exactly what :func:`codec.api.decode` of ``data`` gives (H x W x 3
    uint8). ``bpp`` is measured from ``len(data)``; ``estimated_bpp`` from likelihoods.
    """

    data: bytes
    reconstruction: np.ndarray
    profile: str
    quality: float
    height: int
    width: int
    bpp: float
    estimated_bpp: float
    steps: int
    encode_seconds: float
    device: str
    lof_iterations: int = 0
    notes: tuple[str, ...] = ()
    """What the encode did not do as its profile says, and why (e.g. LOF skipped on a huge image)."""

    @property
    def num_bytes(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class DecodeResult:
    """What :func:`codec.api.decode` returns: the image (H x W x 3 uint8) and its header."""

    image: np.ndarray
    header: BitstreamHeader
    decode_seconds: float
    device: str


@dataclass(frozen=True)
class ProfileInfo:
    """A profile as shown to users: name, description and its complexity figures."""

    name: str
    description: str
    steps: int
    lof_iterations: int
    lof_step_search: bool
    lof_snap_symbols: bool

    @property
    def greedy(self) -> bool:
        """Whether the encoder searches beyond its LOF run (step size or symbol snapping)."""
        return self.lof_step_search or self.lof_snap_symbols


@dataclass(frozen=True)
class ModelInfo:
    """The weights the codec encodes with: what every bitstream names, and where they came from."""

    model_id: str
    """16 hex digits (first 8 bytes of the SHA-256 of the weights file), written into each file."""
    source: str
    """The weights file, or "untrained" for the random initialisation ($MSP_UNTRAINED=1)."""
    latent_channels: int
    parameters: int
