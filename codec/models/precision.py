"""The arithmetic the transforms run in at coding time: bf16 where the CPU computes it natively.

The analysis and synthesis are float networks (only the probability model must be bit-exact, and
it runs on integers: :mod:`codec.entropy_models.fixed_point`). On a CPU with AMX or AVX-512 BF16,
oneDNN runs their bf16 convolutions in channels-last layout several times faster than fp32:
kodim23's synthesis took 23 ms all-bf16 and 40 ms with its last layer in fp32, against 140 ms
(2 cores, Sapphire Rapids).

The last layer is where bf16 can cost quality: a bf16 output near white is only ~2 levels of 255
fine. The analysis keeps its last layer in fp32 (all-bf16 changed the file size by +0.04 to
+0.23 % and PSNR by +0.002 to +0.010 dB on 8 Kodak images). The synthesis runs its last layer in
bf16 too, but centred: its output is computed relative to ``output_centre`` (0.5, the middle of
the image range, where bf16 is finest) and the centre is added back in fp32. Kodak, 24 images,
quantised latents, mean PSNR at q = 0 / 1: fp32 last layer 27.2339 / 31.8400 dB, plain bf16
27.2333 / 31.8289, centred bf16 27.2312 / 31.8403 (within 0.003 dB); on a 2K image the last layer
took 108 ms in fp32 (with the 180 MB conversion of its input) and 16 ms centred in bf16.

An encoder's reconstruction is the decoder's on the same machine, as before; on machines of
different precision the pixels differ slightly, as float decoders do across back-ends anyway.
``MSP_TRANSFORM_PRECISION=fp32`` (or ``bf16``) overrides the choice, for figures that must
not depend on the CPU. CUDA keeps fp32 (its convolutions are pinned to deterministic fp32,
see :meth:`MSPCodecModel.synthesise`).
"""

from __future__ import annotations

import functools
import os

import torch
from torch import nn

__all__ = ["PRECISION_ENV", "PRECISIONS", "transform_precision", "run_transform"]

PRECISION_ENV = "MSP_TRANSFORM_PRECISION"
PRECISIONS = ("auto", "fp32", "bf16")


@functools.cache
def _cpu_has_native_bf16() -> bool:
    cpu = torch.cpu
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)


def transform_precision(device: torch.device) -> str:
    """'bf16' or 'fp32': what the transforms run in on ``device`` (the environment may force it)."""
    wanted = os.environ.get(PRECISION_ENV, "auto").strip().lower() or "auto"
    if wanted not in PRECISIONS:
        raise ValueError(f"{PRECISION_ENV}={wanted!r}: expected one of {', '.join(PRECISIONS)}")
    if device.type != "cpu":
        return "fp32"
    if wanted == "auto":
        return "bf16" if _cpu_has_native_bf16() else "fp32"
    return wanted


def run_transform(transform: nn.Module, x: torch.Tensor, precision: str) -> torch.Tensor:
    """``transform(x)`` in ``precision``, channels-last on a CPU. In bf16, all but the last layer
    of a sequential transform (``.net``) run under autocast; the last one runs in fp32, or, for
    a transform with an ``output_centre``, under autocast relative to that centre (its last layer
    takes the centre as a second argument). A transform without that structure (the fixed
    wavelet) runs in fp32. Works under autograd too (LOF)."""
    if x.device.type == "cpu":
        x = x.contiguous(memory_format=torch.channels_last)
    net = getattr(transform, "net", None)
    if precision != "bf16" or not isinstance(net, nn.Sequential):
        return transform(x)
    body, head = net[:-1], net[-1]
    centre = getattr(transform, "output_centre", None)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        features = body(x)
        if centre is not None:
            return head(features, centre).float() + centre
    return head(features.float())
