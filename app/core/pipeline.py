"""One job, start to finish, without Qt: encode, decode (timed), measure.

Every codec runs the same way, through its catalogue codec (``codec.baselines``): the workers
decide only which thread a job runs on (by the codec's capabilities). Workers call these functions
on their own threads; everything here is plain Python so the same code is exercised by headless
tests. Cancellation is cooperative: ``cancel()`` is polled between stages (and inside encodes of
codecs that report progress, through their callback) and raises :class:`EncodeCancelled`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from codec.baselines import ImageCodec, get_codec
from codec.baselines.msp import msp_key
from codec.errors import CodecError, EncodeCancelled
from codec.eval.metrics import MS_SSIM_MIN_SIDE, bits_per_pixel
from codec.types import Progress

from app.core.backends import metrics as metrics_backend
from app.core.backends import msp as msp_backend
from app.core.codecs import SideSettings, has_devices
from app.core.image_io import MAX_PIXELS, LoadedImage
from app.core.results import EncodeOutcome, Metrics

__all__ = ["run_job", "codec_for", "original_outcome", "outcome_from_bitstream", "CancelFn", "ProgressFn"]

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


_codecs: dict[tuple[str, str], ImageCodec] = {}
_codecs_lock = threading.Lock()


def codec_for(settings: SideSettings) -> ImageCodec:
    """The catalogue's codec for ``settings`` (on its device, where it has a choice): created once
    and shared by the worker threads (a codec is a frozen value; encoding holds no per-call state)."""
    key = (settings.codec, settings.device)
    with _codecs_lock:
        codec = _codecs.get(key)
        if codec is None:
            if settings.entry is None:
                raise CodecError("the original is not encoded")
            devices = {"device": settings.device} if has_devices(settings.codec) else {}
            # The key's own settings count (a preview's "msp-balanced:lof_iterations=0").
            codec = _codecs[key] = get_codec(settings.codec, **devices)
        return codec


def _encode(image: LoadedImage, settings: SideSettings, progress: ProgressFn | None,
            cancel: CancelFn | None, preview: bool) -> EncodeOutcome:
    codec = codec_for(settings)
    start = time.perf_counter()
    encoded = codec.encode_with_progress(image.pixels, settings.quality, progress, cancel)
    encode_seconds = time.perf_counter() - start
    _check(cancel)
    decode_seconds: float | None = None
    if preview and encoded.reconstruction is not None:
        # The encoder's picture is the decoder's, bit for bit: a preview is wanted on screen now,
        # and its decode time is never shown (a timed decode was 0.64 s of the first picture's 2.6 s).
        reconstruction = np.asarray(encoded.reconstruction, dtype=np.uint8)
    else:
        start = time.perf_counter()
        reconstruction = np.asarray(codec.decode(encoded.data), dtype=np.uint8)
        decode_seconds = time.perf_counter() - start
    _check(cancel)
    # Codecs that pad to even sizes (4:2:0) return the padded frame: crop back to the original.
    reconstruction = np.ascontiguousarray(reconstruction[: image.height, : image.width, :3])
    if reconstruction.shape != image.pixels.shape:
        raise CodecError(f"{codec.label} returned a {reconstruction.shape} image for {image.pixels.shape}")
    data = encoded.data
    return EncodeOutcome(
        image_key=image.key, settings=settings, data=data, reconstruction=reconstruction,
        num_bytes=len(data), bpp=bits_per_pixel(len(data), image.height, image.width),
        metrics=metrics_backend.compute_metrics(image.pixels, reconstruction),
        encode_seconds=encode_seconds, decode_seconds=decode_seconds, device=settings.device, label=settings.label(),
        estimated_bpp=encoded.estimated_bpp, header_text=codec.describe_bitstream(data), preview=preview)


def run_job(image: LoadedImage, settings: SideSettings, progress: ProgressFn | None = None,
            cancel: CancelFn | None = None, preview: bool = False) -> EncodeOutcome:
    """Produce the outcome of ``settings`` on ``image``; raises CodecError subclasses.

    A ``preview`` (a side's stand-in while its real job runs) takes the encoder's own
    reconstruction where the codec gives one, instead of a timed decode."""
    _check(cancel)
    if settings.is_original:
        return original_outcome(image)
    return _encode(image, settings, progress, cancel, preview)


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
    settings = SideSettings(msp_key(header.profile), header.quality, device)
    outcome = EncodeOutcome(
        image_key=image_key, settings=settings, data=bytes(data), reconstruction=pixels, num_bytes=len(data),
        bpp=bits_per_pixel(len(data), height, width), metrics=metrics, encode_seconds=None,
        decode_seconds=float(decoded.decode_seconds), device=str(decoded.device), label=f"{source_name}",
        header_text=header.describe(), source_name=source_name)
    return outcome, pixels
