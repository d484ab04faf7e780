"""The arithmetic the transforms run in at coding time: bf16 where the CPU computes it natively.

The analysis and synthesis are float networks (only the probability model must be bit-exact, and
it runs on integers: :mod:`codec.entropy_models.fixed_point`). On a CPU with AMX or AVX-512 BF16,
oneDNN runs their bf16 convolutions in channels-last layout several times faster than fp32:
kodim23's synthesis took 23 ms all-bf16 and 40 ms as shipped (last layer fp32) against 140 ms
(2 cores, Sapphire Rapids). Each transform's last
layer stays in fp32, because a bf16 output is only ~2 levels of 255 fine near white: with it in
bf16 the synthesis lost 0.007 dB at the top quality on Kodak, with it in fp32 0.001 dB (8 images,
fast profile; the analysis in bf16 changed the file size by +0.04 to +0.23 % and PSNR by
+0.002 to +0.010 dB).

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
    of a sequential transform (``.net``) run under autocast and the last one in fp32; a transform
    without that structure (the fixed wavelet) runs in fp32. Works under autograd too (LOF)."""
    if x.device.type == "cpu":
        x = x.contiguous(memory_format=torch.channels_last)
    net = getattr(transform, "net", None)
    if precision != "bf16" or not isinstance(net, nn.Sequential):
        return transform(x)
    body, head = net[:-1], net[-1]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        features = body(x)
    return head(features.float())
