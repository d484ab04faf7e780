"""One job, start to finish, without Qt: encode, decode (timed), measure.

Workers call these functions on their own threads; everything here is plain Python so the same
code is exercised by headless tests. Cancellation is cooperative: ``cancel()`` is polled between
stages (and inside MSP encodes through the API's callback) and raises :class:`EncodeCancelled`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from codec.errors import CodecError, EncodeCancelled
from codec.eval.metrics import MS_SSIM_MIN_SIDE, bits_per_pixel
from codec.types import Progress

from app.core.backends import metrics as metrics_backend
from app.core.backends import msp as msp_backend
from app.core.backends.classic import get_classic
from app.core.codecs import SideSettings, is_classic, is_msp, profile_of, spec_for
from app.core.image_io import MAX_PIXELS, LoadedImage
from app.core.results import EncodeOutcome, Metrics

__all__ = ["run_job", "original_outcome", "outcome_from_bitstream", "CancelFn", "ProgressFn"]

CancelFn = Callable[[], bool]
ProgressFn = Callable[[Progress], None]


def _check(cancel: CancelFn | None) -> None:
    if cancel is not None and cancel():
        raise EncodeCancelled("cancelled")


def original_outcome(image: LoadedImage) -> EncodeOutcome:
    """The "Original" side: the reference itself, sized as the file on disk."""
    settings = SideSettings("original")
    num_bytes = image.reference_bytes
    return EncodeOutcome(
        image_key=image.key, settings=settings, data=b"", reconstruction=image.pixels, num_bytes=num_bytes,
        bpp=bits_per_pixel(num_bytes, image.height, image.width),
        metrics=Metrics(psnr=None, msssim=1.0 if min(image.height, image.width) >= MS_SSIM_MIN_SIDE
                        else None, mse=0.0),
        encode_seconds=None, decode_seconds=None, device="-", label=f"Original ({image.format})")


def _run_classic(image: LoadedImage, settings: SideSettings, cancel: CancelFn | None) -> EncodeOutcome:
    codec = get_classic(settings.codec)
    start = time.perf_counter()
    data = codec.encode(image.pixels, settings.quality)
    encode_seconds = time.perf_counter() - start
    _check(cancel)
    start = time.perf_counter()
    reconstruction = np.asarray(codec.decode(data), dtype=np.uint8)
    decode_seconds = time.perf_counter() - start
    # Codecs that pad to even sizes (4:2:0) return the padded frame: crop back to the original.
    reconstruction = np.ascontiguousarray(reconstruction[: image.height, : image.width, :3])
    if reconstruction.shape != image.pixels.shape:
        raise CodecError(f"{settings.spec.label} returned a {reconstruction.shape} image for {image.pixels.shape}")
    _check(cancel)
    return EncodeOutcome(
        image_key=image.key, settings=settings, data=bytes(data), reconstruction=reconstruction,
        num_bytes=len(data), bpp=bits_per_pixel(len(data), image.height, image.width),
        metrics=metrics_backend.compute_metrics(image.pixels, reconstruction),
        encode_seconds=encode_seconds, decode_seconds=decode_seconds, device="cpu", label=settings.label())


def _run_msp(image: LoadedImage, settings: SideSettings, progress: ProgressFn | None,
             cancel: CancelFn | None) -> EncodeOutcome:
    result = msp_backend.encode(image.pixels, profile_of(settings.codec), settings.quality, settings.device,
                                progress, cancel)
    _check(cancel)
    decoded = msp_backend.decode(result.data, device=settings.device)
    _check(cancel)
    reconstruction = np.ascontiguousarray(decoded.image, dtype=np.uint8)
    return EncodeOutcome(
        image_key=image.key, settings=settings, data=bytes(result.data), reconstruction=reconstruction,
        num_bytes=len(result.data), bpp=bits_per_pixel(len(result.data), image.height, image.width),
        metrics=metrics_backend.compute_metrics(image.pixels, reconstruction),
        encode_seconds=float(result.encode_seconds), decode_seconds=float(decoded.decode_seconds),
        device=str(result.device), label=settings.label(), estimated_bpp=float(result.estimated_bpp),
        header_text=msp_backend.describe_header(decoded.header))


def run_job(image: LoadedImage, settings: SideSettings, progress: ProgressFn | None = None,
            cancel: CancelFn | None = None) -> EncodeOutcome:
    """Produce the outcome of ``settings`` on ``image``; raises CodecError subclasses."""
    _check(cancel)
    if settings.is_original:
        return original_outcome(image)
    if is_msp(settings.codec):
        return _run_msp(image, settings, progress, cancel)
    if is_classic(settings.codec):
        return _run_classic(image, settings, cancel)
    raise CodecError(f"unknown codec {spec_for(settings.codec).label}")


def outcome_from_bitstream(data: bytes, device: str, reference: LoadedImage | None,
                           source_name: str) -> tuple[EncodeOutcome, np.ndarray]:
    """Decode an opened .msp file: (outcome, decoded pixels). Metrics need a same-size reference."""
    header = msp_backend.read_header(data)
    decoded = msp_backend.decode(data, device=device, max_pixels=MAX_PIXELS)
    pixels = np.ascontiguousarray(decoded.image, dtype=np.uint8)
    height, width = pixels.shape[:2]
    if reference is not None and reference.pixels.shape == pixels.shape:
        metrics = metrics_backend.compute_metrics(reference.pixels, pixels)
        image_key = reference.key
    else:
        metrics = Metrics(psnr=None, msssim=None, mse=float("nan"))
        image_key = ""
    settings = SideSettings(f"msp:{getattr(header, 'profile', 'balanced')}", float(getattr(header, "quality", 0.5)), device)
    outcome = EncodeOutcome(
        image_key=image_key, settings=settings, data=bytes(data), reconstruction=pixels, num_bytes=len(data),
        bpp=bits_per_pixel(len(data), height, width), metrics=metrics, encode_seconds=None,
        decode_seconds=float(decoded.decode_seconds), device=str(decoded.device), label=f"{source_name}",
        header_text=msp_backend.describe_header(header), source_name=source_name)
    return outcome, pixels
