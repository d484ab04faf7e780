"""SSIMULACRA2 computed the way libjxl's tool computes it, bit for bit, in numpy.

A transcription of ``ssimulacra2.cc`` (cloudinary/ssimulacra2 at 81feacf, SSIMULACRA 2.1) and of
the libjxl pieces it calls, so that scores can be compared with published ones. The Python port
on PyPI (``ssimulacra2``) is 0.4 to 19 points from the tool (far more on noise in small
images), mostly from its border handling; the steps below are the tool's, in its order:

1. 8-bit sRGB to linear sRGB: libjxl's rational-polynomial sRGB curve, as a 256-entry table.
2. For each of up to 6 scales: linear RGB to XYB (the opsin absorbance matrix and bias, libjxl's
   fast cube root), then the "positive" rescaling (B becomes B - Y + 0.55, X becomes
   14 X + 0.42, Y becomes Y + 0.01).
3. libjxl's recursive Gaussian, sigma 1.5 (Charalampidis' truncated-cosine IIR, over rows then
   columns, inputs outside the image read as zero: the border outputs are *not* renormalised,
   they darken).
4. The SSIM map without the luminance denominator, and the edge maps ("ringing": the
   distorted image has detail the original lacks; "blurring": the reverse), each reduced to
   its mean and its 4-norm per channel.
5. The next scale: a 2x2 box average of the linear RGB images, the last row / column repeated
   when a side is odd. A scale is computed as long as the *previous* one was at least 8 px a
   side (so a 17 x 9 image gets a second scale of 9 x 5, as in the tool).
6. The weighted sum of the norms with the tool's 108 weights, taken in its order (channel,
   scale, norm, map) and numbered over the scales actually computed: a small image with fewer
   than 6 scales uses the next channel's weights early, exactly as the tool does. Then the
   tool's polynomial and power law, and 100 when the sum is not positive.

Why bit for bit: the IIR's poles lie on the unit circle, so its float32 rounding errors never
decay, and on smooth content (the coarse scales, high qualities) they are a visible part of the
SSIM error. An exact-arithmetic blur scores up to 0.1 points from the tool, and even exact sRGB
and cube-root values move the rounding noise enough for 0.03. So every step that feeds the blur
repeats the tool's float32 operations in its order, its fused multiply-adds (it runs on
AVX2/AVX-512) emulated in float64 with one rounding; sums over a map are float64, as there.
Against the tool the scores agree to its 8 printed decimals (tests/eval/test_perceptual_metrics.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from codec.errors import ImageInputError

__all__ = ["MIN_SIDE", "NUM_SCALES", "BLUR_SIGMA", "ssimulacra2", "RecursiveGaussian", "recursive_gaussian", "blur"]

#: The tool refuses anything smaller ("Minimum image size is 8x8 pixels").
MIN_SIDE = 8
NUM_SCALES = 6
BLUR_SIGMA = 1.5

_F = np.float32
_C2 = _F(0.0009)

# lib/jxl/opsin_params.h: the absorbance matrix rows sum to 1 in float, as there.
_M02, _M00 = _F(0.078), _F(0.30)
_M12, _M10 = _F(0.078), _F(0.23)
_M20, _M21 = _F(0.24342268924547819), _F(0.20476744424496821)
_OPSIN_ABSORBANCE = np.array([
    [_M00, _F(1.0) - _M02 - _M00, _M02],
    [_M10, _F(1.0) - _M12 - _M10, _M12],
    [_M20, _M21, _F(1.0) - _M20 - _M21],
], dtype=np.float32)
_OPSIN_BIAS = _F(0.0037930732552754493)
_NEG_CBRT_BIAS = -np.cbrt(_OPSIN_BIAS)

# ssimulacra2.cc, Msssim::Score: channel-major (X, Y, B-Y), then scale, then norm (1, 4), then
# map (SSIM, ringing, blurring): one row per channel and scale.
_WEIGHTS = np.array([
    0.0, 0.0007376606707406586, 0.0, 0.0, 0.0007793481682867309, 0.0,
    0.0, 0.0004371155730107379, 0.0, 1.1041726426657346, 0.00066284834129271, 0.00015231632783718752,
    0.0, 0.0016406437456599754, 0.0, 1.8422455520539298, 11.441172603757666, 0.0,
    0.0007989109436015163, 0.000176816438078653, 0.0, 1.8787594979546387, 10.94906990605142, 0.0,
    0.0007289346991508072, 0.9677937080626833, 0.0, 0.00014003424285435884, 0.9981766977854967, 0.00031949755934435053,
    0.0004550992113792063, 0.0, 0.0, 0.0013648766163243398, 0.0, 0.0,
    0.0, 0.0, 0.0, 7.466890328078848, 0.0, 17.445833984131262,
    0.0006235601634041466, 0.0, 0.0, 6.683678146179332, 0.00037724407979611296, 1.027889937768264,
    225.20515300849274, 0.0, 0.0, 19.213238186143016, 0.0011401524586618361, 0.001237755635509985,
    176.39317598450694, 0.0, 0.0, 24.43300999870476, 0.28520802612117757, 0.0004485436923833408,
    0.0, 0.0, 0.0, 34.77906344483772, 44.835625328877896, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0008680556573291698, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0005313191874358747, 0.0, 0.00016533814161379112, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0004179171803251336, 0.0017290828234722833, 0.0,
    0.0020827005846636437, 0.0, 0.0, 8.826982764996862, 23.19243343998926, 0.0,
    95.1080498811086, 0.9863978034400682, 0.9834382792465353, 0.0012286405048278493, 171.2667255897307, 0.9807858872435379,
    0.0, 0.0, 0.0, 0.0005130064588990679, 0.0, 0.00010854057858411537,
])


def ssimulacra2(reference: np.ndarray, distorted: np.ndarray) -> float:
    """SSIMULACRA2 of ``distorted`` against ``reference`` (H x W x 3 uint8 sRGB, same shape):
    100 for identical images, lower is worse, negative for the worst.

    Raises :class:`ImageInputError` under :data:`MIN_SIDE` px a side, where the tool refuses too
    (with no scale computed the score would read as a perfect 100)."""
    for name, image in (("reference", reference), ("distorted", distorted)):
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ImageInputError(f"{name} must be an H x W x 3 uint8 array")
    if reference.shape != distorted.shape:
        raise ImageInputError(f"shapes differ: {reference.shape} vs {distorted.shape}")
    if min(reference.shape[:2]) < MIN_SIDE:
        raise ImageInputError(f"SSIMULACRA2 needs {MIN_SIDE} px a side, not {reference.shape[1]}x{reference.shape[0]}")
    linear1, linear2 = _linear_planes(reference), _linear_planes(distorted)
    norms: list[np.ndarray] = []  # per scale: [channel, norm, map]
    for scale in range(NUM_SCALES):
        if min(linear1.shape[1:]) < MIN_SIDE:  # the previous scale's size, as in the tool
            break
        if scale:
            linear1, linear2 = _downsample_2x2(linear1), _downsample_2x2(linear2)
        norms.append(_scale_norms(_positive_xyb(linear1), _positive_xyb(linear2)))
    return _score(norms)


@dataclass(frozen=True)
class RecursiveGaussian:
    """libjxl's ``RecursiveGaussian``: three second-order recurrences (k = 1, 3, 5) in float32.

    ``n2`` and ``d1`` drive the column pass (its equation 35); ``mul_in``, ``mul_prev`` and
    ``mul_prev2`` are the same recurrences expanded over four consecutive outputs, which is how
    the row pass computes them (four lanes at a time)."""

    radius: int
    n2: np.ndarray  # (3,)
    d1: np.ndarray  # (3,)
    mul_in: np.ndarray  # (3, 4)
    mul_prev: np.ndarray  # (3, 4)
    mul_prev2: np.ndarray  # (3, 4)


def recursive_gaussian(sigma: float = BLUR_SIGMA) -> RecursiveGaussian:
    """``CreateRecursiveGaussian`` (Charalampidis 2016, truncated cosines): the coefficients in
    double, stored in float as the tool stores them."""
    radius = float(round(3.2795 * sigma + 0.2546))  # (57), "N"
    omega = [k * math.pi / (2.0 * radius) for k in (1, 3, 5)]
    p = [1.0 / math.tan(0.5 * omega[0]), -1.0 / math.tan(0.5 * omega[1]), 1.0 / math.tan(0.5 * omega[2])]
    r = [p[0] * p[0] / math.sin(omega[0]), -p[1] * p[1] / math.sin(omega[1]), p[2] * p[2] / math.sin(omega[2])]
    rho = [math.exp(-0.5 * sigma * sigma * w * w) / radius for w in omega]
    d_13 = p[0] * r[1] - r[0] * p[1]
    d_35 = p[1] * r[2] - r[1] * p[2]
    d_51 = p[2] * r[0] - r[2] * p[0]
    zeta_15, zeta_35 = d_35 / d_13, d_51 / d_13
    a = np.array([p, r, [zeta_15, zeta_35, 1.0]])
    gamma = np.array([1.0, radius * radius - sigma * sigma, zeta_15 * rho[0] + zeta_35 * rho[1] + rho[2]])
    beta = np.linalg.solve(a, gamma)  # (53)
    n2 = np.array([-beta[i] * math.cos(omega[i] * (radius + 1.0)) for i in range(3)])  # (33)
    d1 = np.array([-2.0 * math.cos(w) for w in omega])
    d_2 = d1 * d1
    mul_prev = np.stack([-d1, d_2 - 1.0, -d_2 * d1 + 2.0 * d1, d_2 * d_2 - 3.0 * d_2 + 1.0], axis=1)
    mul_prev2 = np.stack([-np.ones(3), d1, -d_2 + 1.0, d_2 * d1 - 2.0 * d1], axis=1)
    mul_in = np.stack([n2, -d1 * n2, d_2 * n2 - n2, -d_2 * d1 * n2 + 2.0 * d1 * n2], axis=1)
    return RecursiveGaussian(radius=int(radius), n2=n2.astype(np.float32), d1=d1.astype(np.float32),
                             mul_in=mul_in.astype(np.float32), mul_prev=mul_prev.astype(np.float32),
                             mul_prev2=mul_prev2.astype(np.float32))


_GAUSSIAN = recursive_gaussian()
_LANES = 4  # the row pass: HWY_CAPPED(float, 4)


def blur(planes: np.ndarray, rg: RecursiveGaussian = _GAUSSIAN) -> np.ndarray:
    """libjxl's ``FastGaussian`` on each plane of a (P, H, W) float32 array: the row pass, then
    the column pass, inputs outside the image read as zero (no renormalisation at the borders).

    Emulated operation for operation in float32, fused multiply-adds included (the tool runs
    them on AVX2/AVX-512): its recurrences have their poles on the unit circle, so rounding
    errors never decay, and on smooth content (coarse scales, high qualities) they are a
    visible part of the SSIM error the score sums. The exact-arithmetic equivalent, a 9-tap FIR
    with zero padding, is up to 0.1 points away from the tool; this is within 1e-8."""
    count, height, width = planes.shape
    by_column = np.ascontiguousarray(planes.transpose(2, 0, 1), dtype=np.float32).reshape(width, count * height)
    rows = _row_pass(by_column, rg).reshape(width, count, height)  # each step one column, all rows
    by_row = np.ascontiguousarray(rows.transpose(2, 1, 0)).reshape(height, count * width)
    return _column_pass(by_row, rg).reshape(height, count, width).transpose(1, 0, 2)


def _fma(a: np.ndarray | np.float32, b: np.ndarray | np.float32, c: np.ndarray | np.float32) -> np.ndarray:
    """a * b + c rounded once to float32, as a fused multiply-add: the product of two float32
    values is exact in float64, and so is the sum here but for vanishingly rare ties."""
    return (np.asarray(a, dtype=np.float64) * b + c).astype(np.float32)


def _input_sums(lines: np.ndarray, radius: int) -> np.ndarray:
    """in[n - N - 1] + in[n + N - 1] along axis 0 for n = -N + 1 .. length - 1, zero outside,
    in float32: what every step of both passes feeds its recurrences (row i is n = i - N + 1)."""
    length = lines.shape[0]
    padded = np.zeros((length + 3 * radius, *lines.shape[1:]), dtype=np.float32)
    padded[2 * radius: 2 * radius + length] = lines
    count = length + radius - 1
    return padded[:count] + padded[2 * radius: 2 * radius + count]


def _row_pass(lines: np.ndarray, rg: RecursiveGaussian) -> np.ndarray:
    """``FastGaussian1D`` along axis 0 of a (W, M) array (M rows at once): one output at a time
    up to the first aligned position, then four at a time with the expanded coefficients, then
    one at a time for the remainder. Within a block of four, the input terms do not depend on
    earlier outputs, so they are computed for all blocks at once; only the two fused
    multiply-adds with the previous outputs are left to the loop."""
    width, count = lines.shape
    radius = rg.radius
    sums = _input_sums(lines, radius)  # row n + N - 1 feeds output n
    out = np.empty((width, count), dtype=np.float32)
    n2, minus_d1 = rg.mul_in[:, 0:1], rg.mul_prev[:, 0:1].astype(np.float64)
    prev = np.zeros((3, count), dtype=np.float32)
    prev2 = np.zeros((3, count), dtype=np.float32)

    def one_output(n: int) -> None:
        nonlocal prev, prev2
        term = n2 * sums[n + radius - 1] - prev2  # MulAdd(-1, prev2, ...): exact product
        current = (minus_d1 * prev + term).astype(np.float32)
        prev2, prev = prev, current
        if n >= 0:
            out[n] = current[0] + (current[1] + current[2])

    n = -radius + 1
    first_aligned = -(-(radius + 1) // _LANES) * _LANES
    while n < min(first_aligned, width):
        one_output(n)
        n += 1
    blocks = len(range(n, width - radius + 1 - (_LANES - 1), _LANES))
    if blocks:
        start = n + radius - 1
        block_sums = sums[start: start + blocks * _LANES].reshape(blocks, _LANES, count)
        mul_in = rg.mul_in[:, None, :, None]  # (3, 1, lanes, 1)
        inputs = block_sums[None, :, 0:1] * mul_in  # lane j: in_0 * mul_in[j] ...
        for i in range(1, _LANES):  # ... + in_i * mul_in[j - i], fused, for the lanes j >= i
            inputs[:, :, i:] = _fma(mul_in[:, :, : _LANES - i], block_sums[None, :, i:i + 1], inputs[:, :, i:])
        mul_prev2 = rg.mul_prev2[:, :, None].astype(np.float64)  # (3, lanes, 1)
        mul_prev = rg.mul_prev[:, :, None].astype(np.float64)
        for block in range(blocks):
            lanes = (mul_prev2 * prev2[:, None] + inputs[:, block]).astype(np.float32)
            lanes = (mul_prev * prev[:, None] + lanes).astype(np.float32)
            prev2, prev = lanes[:, _LANES - 2], lanes[:, _LANES - 1]
            out[n:n + _LANES] = lanes[0] + (lanes[1] + lanes[2])
            n += _LANES
    while n < width:
        one_output(n)
        n += 1
    return out


def _column_pass(lines: np.ndarray, rg: RecursiveGaussian) -> np.ndarray:
    """``FastGaussianVertical`` along axis 0 of a (H, M) array, every column at once:
    equation 35, y = n2 * in + (-d1 * y[-1] - y[-2]), both as fused multiply-adds."""
    height, count = lines.shape
    radius = rg.radius
    weighted = rg.n2[:, None, None].astype(np.float64) * _input_sums(lines, radius)[None]  # exact
    minus_d1 = -rg.d1[:, None].astype(np.float64)
    out = np.empty((height, count), dtype=np.float32)
    prev = np.zeros((3, count), dtype=np.float32)
    prev2 = np.zeros((3, count), dtype=np.float32)
    for i in range(height + radius - 1):
        inner = (minus_d1 * prev - prev2).astype(np.float32)  # NegMulSub(d1, y[-1], y[-2])
        current = (weighted[:, i] + inner).astype(np.float32)
        prev2, prev = prev, current
        if i >= radius - 1:
            out[i - radius + 1] = current[0] + (current[1] + current[2])
    return out


def _linear_planes(image: np.ndarray) -> np.ndarray:
    """(3, H, W) float32 linear sRGB from 8-bit sRGB, through a 256-entry table."""
    return np.ascontiguousarray(_SRGB_TO_LINEAR[image].transpose(2, 0, 1))


def _srgb_to_linear_table() -> np.ndarray:
    """The tool's linear value of each 8-bit code: the PNG loader's ``code * (1 / 255)`` in
    float, then ``TF_SRGB::DisplayFromEncoded``, a rational polynomial (Horner, fused) and a
    float division above 0.04045, a division by 12.92 below. Bit for bit, because the blur's
    rounding noise, which the score sees, depends on the exact input bits."""
    x = np.arange(256, dtype=np.float32) * np.float32(1.0 / 255)
    p = np.array([2.200248328e-04, 1.043637593e-02, 1.624820318e-01, 7.961564959e-01, 8.210152774e-01], np.float32)
    q = np.array([2.631846970e-01, 1.076976492e+00, 4.987528350e-01, -5.512498495e-02, 6.521209011e-03], np.float32)
    yp, yq = np.full_like(x, p[4]), np.full_like(x, q[4])
    for i in (3, 2, 1, 0):
        yp, yq = _fma(yp, x, p[i]), _fma(yq, x, q[i])
    low = x * (np.float32(1.0) / np.float32(12.92))
    return np.where(x > np.float32(0.04045), yp / yq, low).astype(np.float32)


_SRGB_TO_LINEAR = _srgb_to_linear_table()


def _downsample_2x2(planes: np.ndarray) -> np.ndarray:
    """ssimulacra2.cc ``Downsample(in, 2, 2)``: the mean of each 2x2 block, an odd last row or
    column repeated (so it counts twice in its block), output ceil(H/2) x ceil(W/2)."""
    _, height, width = planes.shape
    padded = np.pad(planes, ((0, 0), (0, height % 2), (0, width % 2)), mode="edge")
    total = (padded[:, 0::2, 0::2] + padded[:, 0::2, 1::2]) + padded[:, 1::2, 0::2] + padded[:, 1::2, 1::2]
    return total * _F(0.25)


def _positive_xyb(linear: np.ndarray) -> np.ndarray:
    """libjxl's ``LinearSRGBToXYB`` (intensity target 255, so no extra scale; fused
    multiply-adds), then ssimulacra2.cc ``MakePositiveXYB``: every channel roughly in 0..1."""
    r, g, b = linear
    m = _OPSIN_ABSORBANCE
    mixed = [np.maximum(_fma(m[i, 0], r, _fma(m[i, 1], g, _fma(m[i, 2], b, _OPSIN_BIAS))), _F(0.0)) for i in range(3)]
    mixed = [_cube_root_and_add(v, _NEG_CBRT_BIAS) for v in mixed]
    x = _F(0.5) * (mixed[0] - mixed[1])
    y = _F(0.5) * (mixed[0] + mixed[1])
    return np.stack([x * _F(14.0) + _F(0.42), y + _F(0.01), (mixed[2] - y) + _F(0.55)])


def _cube_root_and_add(x: np.ndarray, add: np.float32) -> np.ndarray:
    """``CubeRootAndAdd`` of lib/jxl/fast_math-inl.h, bit for bit: an exponent trick for
    x^(-1/3), four Newton steps, then x * r^2 + add (6 ulp from cbrt, and not the same 6 ulp)."""
    third, four_thirds = _F(1.0) / _F(3), _F(4.0) / _F(3)
    x_third = third * x
    bits = x.view(np.int32)
    guess = np.where(bits == 0, 0, 0x54800000 - (bits >> 23) * 0x002AAAAA).astype(np.int32)
    r = guess.view(np.float32)
    for _ in range(3):
        r2 = r * r
        r = _fma(-x_third, r2 * r2, four_thirds * r)
    r2 = r * r
    r = _fma(third, _fma(-x, r2 * r2, r), r)
    return _fma(r * r, x, add)


def _scale_norms(img1: np.ndarray, img2: np.ndarray) -> np.ndarray:
    """[channel, norm (1, 4), map (SSIM, ringing, blurring)] at one scale: ``SSIMMap`` and
    ``EdgeDiffMap`` of ssimulacra2.cc."""
    mu1, mu2 = blur(img1), blur(img2)
    sigma11, sigma22, sigma12 = blur(img1 * img1), blur(img2 * img2), blur(img1 * img2)

    mu11, mu22, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    diff = mu1 - mu2
    num_m = _F(1.0) - diff * diff
    num_s = _F(2.0) * (sigma12 - mu12) + _C2
    denom_s = (sigma11 - mu11) + (sigma22 - mu22) + _C2
    ssim_error = np.maximum(1.0 - (num_m * num_s / denom_s).astype(np.float64), 0.0)

    detail1 = np.abs(img1 - mu1).astype(np.float64)
    detail2 = np.abs(img2 - mu2).astype(np.float64)
    edge = (1.0 + detail2) / (1.0 + detail1) - 1.0
    ringing = np.maximum(edge, 0.0)
    blurring = np.maximum(-edge, 0.0)

    maps = np.stack([ssim_error, ringing, blurring], axis=1)  # (channel, map, H, W)
    mean = maps.mean(axis=(2, 3))
    fourth = np.sqrt(np.sqrt((maps * maps * maps * maps).mean(axis=(2, 3))))
    return np.stack([mean, fourth], axis=1)


def _score(norms: list[np.ndarray]) -> float:
    """ssimulacra2.cc ``Msssim::Score``: the weights are numbered over the scales computed."""
    ordered = np.stack(norms, axis=1).reshape(-1)  # channel, scale, norm, map
    total = float(np.dot(_WEIGHTS[: ordered.size], np.abs(ordered)))
    total *= 0.9562382616834844
    total = 2.326765642916932 * total - 0.020884521182843837 * total * total + 6.248496625763138e-05 * total ** 3
    if total <= 0.0:
        return 100.0
    return 100.0 - 10.0 * total ** 0.6276336467831387
