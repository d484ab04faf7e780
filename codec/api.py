"""The public API of the MSP codec: encode, decode, read_header, bit_allocation, profiles, devices.

Everything here takes and returns plain values (numpy arrays, bytes, frozen dataclasses);
torch stays inside. Errors a user can cause are :class:`codec.errors.CodecError`.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from codec.bit_allocation import BitsRecorder
from codec.bitstream import FORMAT_VERSION, Container, code_to_quality, pack, quality_to_code, unpack
from codec.errors import BitstreamError, EncodeCancelled, ProfileError
from codec.image_io import check_size, to_rgb_array
from codec.lof import lof_skip_reason
from codec.models.msp_codec import MSPCodecModel, image_padding
from codec.models.transforms import DOWNSAMPLING
from codec.profiles import DEFAULT_PROFILE, PROFILE_NAMES, Profile, get_profile, load_profiles
from codec.stage_timing import stage
from codec.types import BitAllocation, BitstreamHeader, DecodeResult, EncodeResult, ModelInfo, ProfileInfo, Progress
from codec.zoo import LoadedModel, default_model

__all__ = [
    "encode",
    "decode",
    "read_header",
    "bit_allocation",
    "list_profiles",
    "available_devices",
    "model_info",
    "DEFAULT_PROFILE",
    "PROFILE_NAMES",
]

ProgressCallback = Callable[[Progress], None]
CancelCallback = Callable[[], bool]

_device_models: dict[tuple[str, str], MSPCodecModel] = {}
_lock = threading.Lock()


def available_devices() -> list[str]:
    """'cpu', plus 'cuda' when a CUDA GPU is usable."""
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def _resolve_device(device: str) -> torch.device:
    if device not in ("cpu", "cuda"):
        raise ProfileError(f"unknown device {device!r}; use 'cpu' or 'cuda'")
    if device == "cuda" and not torch.cuda.is_available():
        raise ProfileError("device 'cuda' requested but no CUDA GPU is available")
    return torch.device(device)


def _model(device: torch.device) -> tuple[MSPCodecModel, LoadedModel]:
    loaded = default_model()
    key = (loaded.model_id, device.type)
    with _lock:
        model = _device_models.get(key)
        if model is None:
            model = loaded.model if device.type == "cpu" else copy.deepcopy(loaded.model).to(device)
            model.eval()
            # Inference only: LOF optimises the latent, never the weights, so a model shared by
            # concurrent encodes has no gradient state for any of them to switch.
            model.requires_grad_(False)
            model.prepare_for_coding()
            _device_models[key] = model
    return model, loaded


def model_info() -> ModelInfo:
    """The default weights (loaded on first use: reads the file and builds the model)."""
    loaded = default_model()
    return ModelInfo(
        model_id=loaded.model_id,
        source=loaded.source,
        latent_channels=loaded.model.config.latent_channels,
        parameters=sum(p.numel() for p in loaded.model.parameters()),
    )


def list_profiles() -> list[ProfileInfo]:
    channels = default_model().model.config.latent_channels
    return [
        ProfileInfo(p.name, p.description, p.steps(channels), p.lof_iterations, p.lof_step_search, p.lof_snap_symbols)
        for p in load_profiles().values()
    ]


def _to_tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    h, w = image.shape[:2]
    ph, pw = image_padding(h, w)
    x = torch.from_numpy(np.array(image, copy=True)).to(device).permute(2, 0, 1).unsqueeze(0).float() / 255.0
    if (ph, pw) != (h, w):
        x = F.pad(x, (0, pw - w, 0, ph - h), mode="replicate")
    return x


def _to_image(x_hat: torch.Tensor, height: int, width: int) -> np.ndarray:
    x = x_hat[0, :, :height, :width].clamp(0, 1).mul(255).round().to(torch.uint8)
    return x.permute(1, 2, 0).cpu().numpy()


def _check_cancel(cancel: CancelCallback | None) -> None:
    if cancel is not None and cancel():
        raise EncodeCancelled("encode cancelled")


def encode(
    image,
    profile: str = DEFAULT_PROFILE,
    quality: float = 0.5,
    device: str = "cpu",
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    lof_iterations: int | None = None,
    max_pixels: int | None = None,
) -> EncodeResult:
    """Compress an image (HxWx3 uint8 array, PIL image, or path) into .msp bytes.

    ``quality`` runs from 0.0 (smallest files) to 1.0 (best quality). ``progress`` is called
    from this thread; ``cancel`` is polled between steps and makes the encoder raise
    :class:`EncodeCancelled`. The returned reconstruction is exactly what :func:`decode`
    gives for the returned bytes on the same device. ``lof_iterations`` overrides the
    profile's latent-overfitting budget (0 disables it; quick previews, tests); the bitstream
    and its decoding do not depend on it. ``max_pixels`` lowers the format's pixel limit: a
    larger image raises :class:`SizeLimitError` before it is decoded or encoded.
    """
    if not isinstance(quality, (int, float)) or not 0.0 <= float(quality) <= 1.0:
        raise ProfileError(f"quality must be a number from 0.0 to 1.0, not {quality!r}")
    prof = get_profile(profile)
    if lof_iterations is not None:
        if lof_iterations < 0:
            raise ProfileError("lof_iterations must be >= 0")
        prof = dataclasses.replace(prof, lof_iterations=int(lof_iterations))
    dev = _resolve_device(device)
    array = to_rgb_array(image, max_pixels)
    start = time.perf_counter()
    height, width = array.shape[:2]
    q_code = quality_to_code(quality)
    q = code_to_quality(q_code)
    model, loaded = _model(dev)
    steps = prof.steps(model.latent_channels)
    report = progress or (lambda _p: None)
    with torch.inference_mode(False), torch.no_grad():
        _check_cancel(cancel)
        report(Progress("analysis", 0, 1))
        with stage("analysis"):
            x = _to_tensor(array, dev)
            y = model.analyse(x, q)
        lof_iterations = 0
        skipped = lof_skip_reason(height, width, prof.lof_iterations)
        notes = (skipped,) if skipped else ()
        judged = None  # LOF's winner, already coded and decoded when it judged it
        if prof.lof_iterations > 0 and not skipped:
            from codec.lof import overfit_latent

            with stage("lof"):
                lof = overfit_latent(model, x, y, q, prof, height, width, progress=report, cancel=cancel)
            y, lof_iterations, judged = lof.latent, lof.iterations, lof.final
        del x  # the image tensor is not needed for coding: free it before the largest allocations
        _check_cancel(cancel)

        def on_step(i: int) -> None:
            report(Progress("coding", i, steps))
            _check_cancel(cancel)

        if judged is not None and judged.code is not None and judged.reconstruction is not None:
            code = judged.code  # the same deterministic coding of the same latent: not done twice
            recon = judged.reconstruction[0].permute(1, 2, 0).cpu().numpy()
            report(Progress("coding", steps, steps))
        else:
            code = model.compress_latent(y, prof.schedule, on_step=on_step)
            report(Progress("synthesis", 0, 1))
            with stage("synthesis"):
                recon = _to_image(model.synthesise(code.y_hat, q), height, width)
    with stage("container"):
        data = pack(Container(loaded.model_id, prof.name, q_code, height, width, code.segments))
    return EncodeResult(
        data=data,
        reconstruction=recon,
        profile=prof.name,
        quality=q,
        height=height,
        width=width,
        bpp=8 * len(data) / (height * width),
        estimated_bpp=code.estimated_bits / (height * width),
        steps=steps,
        encode_seconds=time.perf_counter() - start,
        device=dev.type,
        lof_iterations=lof_iterations,
        notes=notes,
    )


def _header(container: Container, total_bytes: int, latent_channels: int) -> BitstreamHeader:
    try:
        prof = get_profile(container.profile)
    except ProfileError:
        raise BitstreamError(f"bitstream uses profile {container.profile!r}, unknown to this codec") from None
    if len(container.segments) != prof.schedule.scales + 1:
        raise BitstreamError(
            f"corrupt bitstream: {len(container.segments)} segments, profile {prof.name} needs {prof.schedule.scales + 1}"
        )
    return BitstreamHeader(
        format_version=FORMAT_VERSION,
        model_id=container.model_id,
        profile=container.profile,
        quality=container.quality,
        height=container.height,
        width=container.width,
        segment_lengths=tuple(len(s) for s in container.segments),
        total_bytes=total_bytes,
        steps=prof.steps(latent_channels),
    )


def read_header(data: bytes) -> BitstreamHeader:
    """Validate a bitstream's container (checksums included) without decoding it."""
    container = unpack(data)
    return _header(container, len(data), default_model().model.latent_channels)


def _open(data: bytes, model: MSPCodecModel, model_id: str, max_pixels: int | None) -> tuple[Container, BitstreamHeader, Profile]:
    """Everything a decode checks before it starts: container, size limit, profile, segments."""
    container = unpack(data, expected_model_id=model_id)
    check_size(container.width, container.height, max_pixels=max_pixels)
    header = _header(container, len(data), model.latent_channels)
    if any(len(s) % 4 for s in container.segments):
        raise BitstreamError("corrupt bitstream: segment length is not a whole number of 32-bit words")
    return container, header, get_profile(container.profile)


def _latent_size(container: Container) -> tuple[int, int]:
    return -(-container.height // DOWNSAMPLING), -(-container.width // DOWNSAMPLING)


def decode(data: bytes, device: str = "cpu", max_pixels: int | None = None) -> DecodeResult:
    """Decode .msp bytes to an HxWx3 uint8 image; raises BitstreamError on any corruption, and
    :class:`SizeLimitError` before any decoding when the declared size is over ``max_pixels``
    (which lowers the format's limit: an app or a server sets what its memory allows)."""
    dev = _resolve_device(device)
    start = time.perf_counter()
    model, loaded = _model(dev)
    with stage("container"):
        container, header, prof = _open(data, model, loaded.model_id, max_pixels)
    with torch.no_grad():
        y_hat = model.decompress_latent(container.segments, _latent_size(container), prof.schedule, dev)
        with stage("synthesis"):
            image = _to_image(model.synthesise(y_hat, container.quality), container.height, container.width)
    return DecodeResult(image=image, header=header, decode_seconds=time.perf_counter() - start, device=dev.type)


def bit_allocation(data: bytes, device: str = "cpu", max_pixels: int | None = None) -> BitAllocation:
    """Where the bits of .msp bytes go: the bits of every latent position (summed over channels;
    :meth:`BitAllocation.bpp_map` at image resolution), of every step of the profile's schedule,
    of the coder's final words and of the container, adding up to ``len(data)``.

    Each symbol counts its code length under the coder's own fixed-point probabilities, so the
    map matches the file, not an estimate. It decodes the latent (a decode's time, without the
    synthesis) and raises what :func:`decode` raises.
    """
    dev = _resolve_device(device)
    model, loaded = _model(dev)
    container, header, prof = _open(data, model, loaded.model_id, max_pixels)
    recorder = BitsRecorder(_latent_size(container), model.latent_channels)
    with torch.no_grad():
        model.decompress_latent(container.segments, _latent_size(container), prof.schedule, dev, observe=recorder.add)
    return recorder.allocation(header, DOWNSAMPLING)
