"""Plain, frozen result types of the public API (no torch, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Progress", "EncodeResult", "DecodeResult", "BitstreamHeader", "ProfileInfo", "ModelInfo", "StepBits",
    "SegmentBits", "BitAllocation",
]


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


@dataclass(frozen=True)
class StepBits:
    """The bits one step of the decoding schedule spent, or (step 0) the coarsest scale's."""

    step: int
    """1-based in decoding order (:attr:`BitstreamHeader.steps` of them); 0 for the coarsest scale,
    which is coded first, with the factorised prior (the only side information MSP has)."""
    scale: int
    """0 is the latent's full resolution, each next scale half of it; the coarsest is the last."""
    subposition: int | None
    """Which element of each 2x2 block (0 top left, 1 top right, 2 bottom left; the bottom right
    one is the coarser scale's); None for the coarsest scale."""
    parity: str
    """Block columns: "all", "even" or "odd" (the 2x4 order splits them); "" for the coarsest."""
    channels: tuple[int, int]
    """Latent channels first..end (end excluded)."""
    elements: int
    bits: float

    def part(self) -> str:
        """Which elements of its scale: e.g. "top right · even columns · ch 8-15" (channels
        inclusive), or "factorised · ch 0-95" for the coarsest scale."""
        first, end = self.channels
        if self.subposition is None:
            return f"factorised · ch {first}-{end - 1}"
        where = ("top left", "top right", "bottom left")[self.subposition]
        columns = "" if self.parity == "all" else f" · {self.parity} columns"
        return f"{where}{columns} · ch {first}-{end - 1}"

    def describe(self) -> str:
        """E.g. "scale 1 · top right · even columns · ch 8-15"."""
        return f"scale {self.scale} · {self.part()}"


@dataclass(frozen=True)
class SegmentBits:
    """One entropy-coded segment of a file: the coarsest scale's, or one finer scale's."""

    scale: int
    symbol_bits: float
    """The code lengths of its symbols under the coder's fixed-point models."""
    num_bytes: int

    @property
    def coder_bits(self) -> float:
        """What the range coder wrote beyond the symbols' code lengths: its final state words."""
        return 8 * self.num_bytes - self.symbol_bits


@dataclass(frozen=True)
class BitAllocation:
    """Where an MSP file's bits go (:func:`codec.api.bit_allocation`): per latent position, per
    step of the schedule, and the container around them, adding up to the file's size.

    Every latent element is coded exactly once, at one position, by one step; its cost is its code
    length under the probabilities the coder used, so the map and the steps hold the same bits.
    """

    header: BitstreamHeader
    latent_bits: np.ndarray
    """(h, w) float64: bits of all channels at each latent position (one per ``stride`` x
    ``stride`` image pixels)."""
    stride: int
    steps: tuple[StepBits, ...]
    """In decoding order: the coarsest scale (step 0) first."""
    segments: tuple[SegmentBits, ...]
    """In file order: the coarsest scale, then the finer scales, coarse to fine."""

    @property
    def symbol_bits(self) -> float:
        return sum(s.symbol_bits for s in self.segments)

    @property
    def coder_bits(self) -> float:
        return sum(s.coder_bits for s in self.segments)

    @property
    def container_bytes(self) -> int:
        """Header, checksums and segment lengths: the file less its entropy-coded segments."""
        return self.header.total_bytes - sum(s.num_bytes for s in self.segments)

    def bpp_map(self) -> np.ndarray:
        """(height, width) float32 at image resolution: each pixel's share of its latent position's
        bits (the position's bits over the pixels it covers, fewer at the right and bottom edges),
        so the map sums to :attr:`symbol_bits` and reads in bits per pixel."""
        height, width, k = self.header.height, self.header.width, self.stride
        rows, cols = self.latent_bits.shape
        covered_r = np.minimum(k, height - k * np.arange(rows))
        covered_c = np.minimum(k, width - k * np.arange(cols))
        per_pixel = (self.latent_bits / np.outer(covered_r, covered_c)).astype(np.float32)
        return np.repeat(np.repeat(per_pixel, k, axis=0), k, axis=1)[:height, :width]
