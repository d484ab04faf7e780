"""The complete MSP codec model: transforms, variable-rate gains and the MSP entropy model.

One set of weights covers the whole quality range: ``quality`` in [0, 1] picks a point on
the learned gain curve (per-channel gain before quantisation, inverse gain after, log-linearly
interpolated between the training lambdas), so the latent is coarser or finer while the
transforms and the probability model stay the same.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from codec.entropy_models.code_lengths import categorical_code_lengths, gaussian_code_lengths
from codec.entropy_models.coder import SegmentDecoder, SegmentEncoder
from codec.entropy_models.factorized import FACTORIZED_LIMIT, FactorizedDensity
from codec.entropy_models.gaussian import SCALE_MAX, SCALE_MIN, SYMBOL_LIMIT
from codec.entropy_models.msp import (
    IntegerBackbone,
    MSPBackbone,
    MSPRate,
    StepRequest,
    decimate,
    msp_rate,
    run_progressive,
    straight_through_round,
)
from codec.entropy_models.schedule import SUBPOSITIONS, MSPSchedule, MSPStep
from codec.models.precision import run_transform, transform_precision
from codec.models.tiling import run_tiled
from codec.models.transforms import DEFAULT_BLOCKS, DOWNSAMPLING, AnalysisTransform, SynthesisTransform, receptive_radius
from codec.models.wavelet import WaveletAnalysis, WaveletSynthesis, wavelet_channels
from codec.stage_timing import stage, staged

__all__ = ["ModelConfig", "MSPCodecModel", "TrainOutput", "LatentCode", "CodedSymbols"]

# Images up to WHOLE_IMAGE_PIXELS on both sides run through the transforms in one piece; larger
# ones in tiles of TILE_PIXELS (plus an overlap wider than the transforms' receptive field), so
# memory stays bounded for huge images. Small tiles are quicker too, not only leaner: a 1024-px
# tile's full-resolution activations (38 MB in bf16) do not stay in cache, and every
# element-wise pass over them ran at memory speed. A 2048x1368 image on 2 cores: analysis 446 ->
# 331 ms, synthesis 495 -> 424 ms with 512-px tiles; a Kodak image is quickest whole.
WHOLE_IMAGE_PIXELS = 1024
TILE_PIXELS = 512
TILE_MARGIN_PIXELS = 64

DEFAULT_LAMBDAS = (0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483)
TRANSFORMS = ("learned", "wavelet")
SYNTHESIS_INPUTS = ("round", "coder")
# Initial gain of the wavelet latent at the middle lambda: a quantiser step of 0.2 on coefficients
# of an image in [0, 1] (the transform is near-orthonormal): about 32 dB on Kodak (kodim23: gain 3,
# 5, 10 give 29.8, 32.7, 36.2 dB), then learned.
WAVELET_INITIAL_GAIN = 5.0
# Initial predicted scale of the wavelet latent. The learned transforms start small and grow with
# the entropy model; wavelet coefficients are up to ~+-20 from step 0, and at the backbone's
# default scale (e^1) they sit where the discretised Gaussian's likelihood is at its floor, so
# no gradient reaches the mean or the scale: a first run learned nothing in 400 steps (the
# parameter head moved by 0.005) while its rate rose from 2 to 9 bpp.
WAVELET_INITIAL_SCALE = 16.0


@dataclass(frozen=True)
class ModelConfig:
    """Architecture hyper-parameters, stored next to the weights."""

    transform_width: int = 64
    latent_channels: int = 96
    msp_features: int = 64
    msp_depth: int = 2
    lambdas: tuple[float, ...] = field(default=DEFAULT_LAMBDAS)
    transform: str = "learned"  # or "wavelet": the fixed colour + CDF 9/7 packet of models/wavelet.py
    residual_blocks: tuple[int, int, int] = DEFAULT_BLOCKS  # per transform at 1/2, 1/4, 1/8 resolution

    def __post_init__(self) -> None:
        if len(self.residual_blocks) != 3 or min(self.residual_blocks) < 1:
            raise ValueError(
                f"residual_blocks needs three counts of at least 1 (1/2, 1/4, 1/8 resolution), not {self.residual_blocks}"
            )
        if self.transform not in TRANSFORMS:
            raise ValueError(f"unknown transform {self.transform!r}; expected one of {', '.join(TRANSFORMS)}")
        if self.transform == "wavelet" and self.latent_channels != wavelet_channels():
            raise ValueError(f"the wavelet transform gives {wavelet_channels()} latent channels, not {self.latent_channels}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        data = dict(data)
        data["lambdas"] = tuple(data.get("lambdas", DEFAULT_LAMBDAS))
        data["residual_blocks"] = tuple(data.get("residual_blocks", DEFAULT_BLOCKS))
        return cls(**data)


@dataclass(frozen=True)
class TrainOutput:
    x_hat: torch.Tensor
    rate: MSPRate
    lam: float | torch.Tensor  # (B,) when the batch mixes qualities


@dataclass(frozen=True)
class LatentCode:
    """Entropy-coded latent: one segment for the coarsest scale, one per progressive scale."""

    segments: tuple[bytes, ...]
    y_hat: torch.Tensor  # (1, C, h, w) unpadded, exactly what the decoder reconstructs
    estimated_bits: float
    means: torch.Tensor | None = None  # predicted means (1, C, h, w), when asked for


@dataclass(frozen=True)
class CodedSymbols:
    """The symbols one step of the schedule decoded (or the coarsest scale's): where each sits in
    the latent and what it cost in the file.

    ``bits`` are code lengths under the coder's fixed-point models
    (:mod:`codec.entropy_models.code_lengths`), so a segment's add up to its size but for the
    coder's final words; ``rows`` and ``cols`` index the unpadded latent grid, ``channels`` its
    channels."""

    step: MSPStep | None
    """None for the coarsest scale, coded with the factorised prior."""
    scale: int
    channels: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    bits: np.ndarray


class MSPCodecModel(nn.Module):
    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        self.config = config
        n_levels = len(config.lambdas)
        c = config.latent_channels
        if config.transform == "wavelet":
            self.g_a: nn.Module = WaveletAnalysis()
            self.g_s: nn.Module = WaveletSynthesis()
        else:
            self.g_a = AnalysisTransform(config.transform_width, c, config.residual_blocks)
            self.g_s = SynthesisTransform(config.transform_width, c, config.residual_blocks)
        # Initial gains follow sqrt(lambda): finer quantisation where distortion weighs more.
        lam = torch.tensor(config.lambdas, dtype=torch.float32)
        init = 0.5 * torch.log(lam / lam[n_levels // 2])
        if config.transform == "wavelet":
            init = init + math.log(WAVELET_INITIAL_GAIN)
        self.log_gain = nn.Parameter(init.view(-1, 1).repeat(1, c))
        self.log_inv_gain = nn.Parameter(-init.view(-1, 1).repeat(1, c))
        self.backbone = MSPBackbone(c, config.msp_features, config.msp_depth)
        if config.transform == "wavelet":
            with torch.no_grad():
                self.backbone.head_bias[4 * c :] = math.log(WAVELET_INITIAL_SCALE)
        self.factorized = FactorizedDensity(c)
        self._integer_backbone: IntegerBackbone | None = None

    # ------------------------------------------------------------------ variable rate
    def rate_point(self, quality: float) -> tuple[torch.Tensor, torch.Tensor, float]:
        """(gain, inverse gain, lambda) at ``quality`` in [0, 1]."""
        q = min(max(float(quality), 0.0), 1.0)
        t = q * (len(self.config.lambdas) - 1)
        lo = min(math.floor(t), len(self.config.lambdas) - 2) if len(self.config.lambdas) > 1 else 0
        a = t - lo
        hi = min(lo + 1, len(self.config.lambdas) - 1)
        log_gain = (1 - a) * self.log_gain[lo] + a * self.log_gain[hi]
        log_inv = (1 - a) * self.log_inv_gain[lo] + a * self.log_inv_gain[hi]
        lam = math.exp((1 - a) * math.log(self.config.lambdas[lo]) + a * math.log(self.config.lambdas[hi]))
        return torch.exp(log_gain), torch.exp(log_inv), lam

    def rate_points(self, qualities: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-sample (gain (B, C), inverse gain (B, C), lambda (B,)) for ``qualities`` (B,).

        The same log-linear curve as :meth:`rate_point`, one point per batch element: a batch
        that mixes qualities gives every optimiser step gradients from the whole rate range,
        instead of one quality's (whose gradient norm varies ~20x across the range)."""
        n = len(self.config.lambdas)
        q = qualities.detach().float().clamp(0.0, 1.0).to(self.log_gain.device)
        if n == 1:
            lam = torch.full_like(q, self.config.lambdas[0])
            return self.log_gain[0].exp().expand(len(q), -1), self.log_inv_gain[0].exp().expand(len(q), -1), lam
        t = q * (n - 1)
        lo = t.floor().long().clamp(max=n - 2)
        a = (t - lo).unsqueeze(1)
        log_gain = (1 - a) * self.log_gain[lo] + a * self.log_gain[lo + 1]
        log_inv = (1 - a) * self.log_inv_gain[lo] + a * self.log_inv_gain[lo + 1]
        log_lam = torch.log(torch.tensor(self.config.lambdas, dtype=torch.float32, device=q.device))
        lam = torch.exp((1 - a[:, 0]) * log_lam[lo] + a[:, 0] * log_lam[lo + 1])
        return torch.exp(log_gain), torch.exp(log_inv), lam

    @torch.no_grad()
    def calibrate_initial_scales(self, images: torch.Tensor, quality: float = 0.5) -> torch.Tensor:
        """Start the entropy model's predicted scale of every latent channel at that channel's
        standard deviation on ``images`` (returned).

        For the fixed wavelet transform, whose bands differ in magnitude by 100x from step 0:
        one shared initial scale is far too wide for the fine bands (a run at scale 16 spent its
        first 300 steps at ~3 bpp, and Adam moves a log-scale bias by at most the learning rate
        per step) or far too narrow for the coarse ones (no gradient at all, see
        WAVELET_INITIAL_SCALE). Each channel's zero-context scale is where its entropy model
        would start if it were a plain factorised model; the MSP then learns the context."""
        gain, _, _ = self.rate_point(quality)
        y = self.g_a(images).float() * gain.view(1, -1, 1, 1)
        std = y.std(dim=(0, 2, 3)).clamp(SCALE_MIN, SCALE_MAX)
        c = self.latent_channels
        # Space-to-depth rows are channel-major: row 4 * channel + sub-position.
        self.backbone.head_bias[4 * c :] = torch.log(std).repeat_interleave(4)
        return std

    @property
    def latent_channels(self) -> int:
        return self.config.latent_channels

    # ------------------------------------------------------------------ training
    def forward_train(
        self,
        x: torch.Tensor,
        quality: float | torch.Tensor,
        schedule: MSPSchedule,
        transform_context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
        synthesis_input: str = "round",
    ) -> TrainOutput:
        """x in [0, 1], (B, 3, H, W) with H, W multiples of 8 * 2**scales.

        ``quality`` is one quality for the batch, or a (B,) tensor of one per sample (then
        ``lam`` of the output is a (B,) tensor too). ``transform_context`` wraps the
        transforms only (e.g. bf16 autocast): the entropy model always runs in fp32, its
        likelihoods are too sensitive for bf16. ``synthesis_input`` is what the synthesis sees:
        ``"round"`` (round(y)) or ``"coder"`` (mean + round(y - mean), each mean from the
        teacher-forced unroll: the form the decoder hands it).
        """
        if synthesis_input not in SYNTHESIS_INPUTS:
            raise ValueError(f"unknown synthesis input {synthesis_input!r}; expected one of {', '.join(SYNTHESIS_INPUTS)}")
        lam: float | torch.Tensor
        if isinstance(quality, torch.Tensor):
            gain, inv_gain, lam = self.rate_points(quality)
            gain, inv_gain = gain[:, :, None, None], inv_gain[:, :, None, None]
        else:
            gain, inv_gain, lam = self.rate_point(quality)
            gain, inv_gain = gain.view(1, -1, 1, 1), inv_gain.view(1, -1, 1, 1)
        with transform_context():
            y = self.g_a(x)
        y = y.float() * gain
        y_noisy = y + torch.empty_like(y).uniform_(-0.5, 0.5)
        coder_form = synthesis_input == "coder"
        rate = msp_rate(self.backbone, self.factorized.likelihood, y_noisy, schedule, clean=y if coder_form else None)
        if coder_form:
            assert rate.y_hat is not None  # clean was given: the decoder's form of y
            y_dec = rate.y_hat
        else:
            y_dec = straight_through_round(y)
        with transform_context():
            x_hat = self.g_s(y_dec * inv_gain)
        return TrainOutput(x_hat=x_hat.float(), rate=rate, lam=lam)

    # ------------------------------------------------------------------ coding
    def transforms_channels_last(self) -> None:
        """The analysis and synthesis in channels-last memory: oneDNN's convolutions run faster in
        it (training, and coding on a CPU, where :func:`~codec.models.precision.run_transform`
        feeds them channels-last inputs)."""
        for transform in (self.g_a, self.g_s):
            # torch's stubs leave memory_format out of Module.to, which takes it (documented, and what it does here).
            transform.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def prepare_for_coding(self) -> None:
        """Build the integer backbone; on a CPU, lay the transforms out channels-last."""
        self.integer_backbone()
        if self.log_gain.device.type == "cpu":
            self.transforms_channels_last()

    def integer_backbone(self) -> IntegerBackbone:
        """Fixed-point twin of the backbone, built once per weights (call after loading)."""
        if self._integer_backbone is None:
            self._integer_backbone = IntegerBackbone(self.backbone).to(self.log_gain.device)
        return self._integer_backbone

    def tile_margin(self, base: int) -> int:
        """The overlap (image pixels, a multiple of 8) that tiles of these transforms need, given
        the one (``base``) that one residual block per scale needs: deeper stages see further."""
        if self.config.transform != "learned":
            return base
        extra = receptive_radius(self.config.residual_blocks) - receptive_radius(DEFAULT_BLOCKS)
        return base + max(0, extra) * DOWNSAMPLING

    def invalidate_coding_cache(self) -> None:
        self._integer_backbone = None

    @torch.no_grad()
    def analyse(self, x: torch.Tensor, quality: float) -> torch.Tensor:
        """Padded image in [0, 1] (1, 3, 8h, 8w) -> gained latent (1, C, h, w), float32."""
        gain, _, _ = self.rate_point(quality)
        precision = transform_precision(x.device)
        y = run_tiled(
            lambda t: run_transform(self.g_a, t, precision), x, 1 / DOWNSAMPLING, self.latent_channels, TILE_PIXELS,
            self.tile_margin(TILE_MARGIN_PIXELS), WHOLE_IMAGE_PIXELS,
        )
        return y.float() * gain.view(1, -1, 1, 1)

    def synthesise(self, y_hat: torch.Tensor, quality: float) -> torch.Tensor:
        """Latent -> image; tiled with overlap above WHOLE_IMAGE_PIXELS so 8K images fit in memory."""
        _, inv_gain, _ = self.rate_point(quality)
        y = y_hat.float() * inv_gain.view(1, -1, 1, 1).to(y_hat.device)
        tile, margin = TILE_PIXELS // DOWNSAMPLING, self.tile_margin(TILE_MARGIN_PIXELS) // DOWNSAMPLING
        # Full fp32 convolutions on a GPU (cuDNN would use TF32), so that an image decoded on
        # another device differs at most in the last bit of a few pixels.
        precision = transform_precision(y.device)
        with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True, allow_tf32=False):
            return run_tiled(
                lambda t: run_transform(self.g_s, t, precision), y, DOWNSAMPLING, 3, tile, margin,
                WHOLE_IMAGE_PIXELS // DOWNSAMPLING,
            )

    @torch.no_grad()
    @staged("msp coding loop")
    def compress_latent(
        self,
        y: torch.Tensor,
        schedule: MSPSchedule,
        on_step: Callable[[int], None] | None = None,
        with_means: bool = False,
    ) -> LatentCode:
        """Quantise and entropy-code a latent (1, C, h, w); returns segments and y_hat."""
        device = y.device
        _, _, hv, wv = y.shape
        y_pad, coarse_valid = _pad_latent(y, schedule)  # float32 is exact here: halves peak memory
        scales = decimate(y_pad, schedule.scales)
        coarsest = scales[-1]
        sym_c = torch.clamp(torch.round(coarsest), -FACTORIZED_LIMIT, FACTORIZED_LIMIT)
        sym_c = torch.where(coarse_valid, sym_c, torch.zeros_like(sym_c))
        coarse_enc = SegmentEncoder()
        with stage("coarsest scale (factorised)"):
            coarse_syms, coarse_probs = self._coarsest_rows(sym_c, coarse_valid)
            coarse_enc.encode_categorical(coarse_syms, coarse_probs)
            bits = float(-np.log2(coarse_probs[np.arange(coarse_syms.size), coarse_syms + FACTORIZED_LIMIT]).sum())

        encoders = {s: SegmentEncoder() for s in range(schedule.scales)}
        targets = {s: F.pixel_unshuffle(scales[s], 2) for s in range(schedule.scales)}

        def code_step(req: StepRequest) -> torch.Tensor:
            nonlocal bits
            with stage(f"entropy coding, scale {req.scale}"):
                y_vals = targets[req.scale].take(req.flat).cpu().numpy()
                symbols = np.clip(np.round(y_vals - req.means), -SYMBOL_LIMIT, SYMBOL_LIMIT).astype(np.int32)
                bits += encoders[req.scale].encode_gaussian(symbols, req.scale_indices)
                return torch.from_numpy(symbols.astype(np.float64) + req.means)

        _, c_pad, h_pad, w_pad = y_pad.shape
        result = run_progressive(
            self.integer_backbone(), sym_c, (c_pad, h_pad, w_pad), (hv, wv), schedule, code_step, device, on_step,
            collect_means=with_means,
        )
        segments = (coarse_enc.finish(), *(encoders[s].finish() for s in range(schedule.scales - 1, -1, -1)))
        return LatentCode(
            segments=segments,
            y_hat=result.y_hat[..., :hv, :wv].float(),
            estimated_bits=bits,
            means=result.means[..., :hv, :wv] if result.means is not None else None,
        )

    @torch.no_grad()
    @staged("msp coding loop")
    def decompress_latent(
        self,
        segments: tuple[bytes, ...],
        latent_size: tuple[int, int],
        schedule: MSPSchedule,
        device: torch.device,
        on_step: Callable[[int], None] | None = None,
        observe: Callable[[CodedSymbols], None] | None = None,
    ) -> torch.Tensor:
        """Inverse of :meth:`compress_latent` (segments must already be checksum-verified).

        ``observe`` is handed, in coding order, what the coarsest scale and then each step decoded,
        with the code length of every symbol (the bits report; decoding itself needs none of it)."""
        hv, wv = latent_size
        c = self.latent_channels
        a = schedule.alignment
        h, w = -(-hv // a) * a, -(-wv // a) * a
        coarse_valid = _coarse_valid(hv, wv, h, w, schedule, c, device)
        sym_c = torch.zeros(coarse_valid.shape, dtype=torch.float64, device=device)
        # Channel by channel (the coding order is channel-major): the pmf rows of a whole 66 Mpx
        # image's coarsest scale would take gigabytes, and a forged segment is caught after its
        # first channel by the decoder's information budget.
        with stage("coarsest scale (factorised)"):
            tables = self.factorized.tables()
            per_channel = int(coarse_valid[0, 0].sum())
            coarse_decoder = SegmentDecoder(segments[0])
            decoded = [
                coarse_decoder.decode_categorical(
                    np.ascontiguousarray(np.broadcast_to(tables[ch], (per_channel, tables.shape[1])))
                )
                for ch in range(c)
            ]
            coarse_decoder.finish()
        sym_c[coarse_valid] = torch.from_numpy(np.concatenate(decoded).astype(np.float64)).to(device)
        if observe is not None:
            observe(_coarsest_symbols(np.concatenate(decoded), coarse_valid, schedule.scales, tables))
        decoders = {s: SegmentDecoder(segments[schedule.scales - s]) for s in range(schedule.scales)}

        def code_step(req: StepRequest) -> torch.Tensor:
            with stage(f"entropy coding, scale {req.scale}"):
                symbols = decoders[req.scale].decode_gaussian(req.scale_indices)
            if observe is not None:
                observe(_step_symbols(req, symbols))
            return torch.from_numpy(symbols.astype(np.float64) + req.means)

        y_hat = run_progressive(self.integer_backbone(), sym_c, (c, h, w), (hv, wv), schedule, code_step, device, on_step).y_hat
        for decoder in decoders.values():
            decoder.finish()
        return y_hat[..., :hv, :wv].float()

    def _coarsest_rows(self, sym_c: torch.Tensor, valid: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Valid coarsest symbols in coding order (channel-major, raster) with their pmf rows."""
        tables = self.factorized.tables()
        channel_of = torch.arange(sym_c.shape[1], device=sym_c.device).view(1, -1, 1, 1).expand_as(sym_c)
        chans = channel_of[valid].cpu().numpy()
        syms = sym_c[valid].cpu().numpy().astype(np.int32)
        return syms, tables[chans]


def _coarsest_symbols(symbols: np.ndarray, valid: torch.Tensor, scales: int, tables: np.ndarray) -> CodedSymbols:
    """The coarsest scale's symbols (channel-major, raster: the order they are coded in), placed
    on the latent grid: its element (i, j) is the latent's (i * 2**S + 2**S - 1, ...)."""
    _, channels, rows, cols = (t.cpu().numpy() for t in valid.nonzero(as_tuple=True))
    stride = 2**scales
    bits = categorical_code_lengths(tables)[channels, symbols + FACTORIZED_LIMIT]
    return CodedSymbols(None, scales, channels, rows * stride + stride - 1, cols * stride + stride - 1, bits)


def _step_symbols(req: StepRequest, symbols: np.ndarray) -> CodedSymbols:
    """One step's symbols placed on the latent grid: space-to-depth channel ``4 c + p`` of block
    (r, q) is element (2 r + dr, 2 q + dc) of its scale, (dr, dc) being sub-position p."""
    _, s2d, blocks_r, blocks_c = (t.cpu().numpy() for t in req.index)
    offsets = np.array(SUBPOSITIONS)[s2d % 4]
    stride = 2**req.scale
    rows = (2 * blocks_r + offsets[:, 0]) * stride + stride - 1
    cols = (2 * blocks_c + offsets[:, 1]) * stride + stride - 1
    return CodedSymbols(req.step, req.scale, s2d // 4, rows, cols, gaussian_code_lengths(symbols, req.scale_indices))


def _pad_latent(y: torch.Tensor, schedule: MSPSchedule) -> tuple[torch.Tensor, torch.Tensor]:
    _, c, hv, wv = y.shape
    a = schedule.alignment
    h, w = -(-hv // a) * a, -(-wv // a) * a
    y_pad = F.pad(y, (0, w - wv, 0, h - hv))
    return y_pad, _coarse_valid(hv, wv, h, w, schedule, c, y.device)


def _coarse_valid(hv: int, wv: int, h: int, w: int, schedule: MSPSchedule, c: int, device: torch.device) -> torch.Tensor:
    stride = schedule.alignment
    rows = torch.arange(h // stride, device=device) * stride + stride - 1
    cols = torch.arange(w // stride, device=device) * stride + stride - 1
    valid = (rows < hv).view(-1, 1) & (cols < wv).view(1, -1)
    return valid.view(1, 1, *valid.shape).expand(1, c, *valid.shape)


def image_padding(height: int, width: int) -> tuple[int, int]:
    """Padded image size: the next multiple of the transforms' downsampling."""
    return -(-height // DOWNSAMPLING) * DOWNSAMPLING, -(-width // DOWNSAMPLING) * DOWNSAMPLING
