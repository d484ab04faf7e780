"""Fuzz the codec's two doors: bitstreams into ``decode`` and image files into ``load_image``.

Not part of CI (tests/codec/test_fuzz.py and test_image_io.py run a derandomised few hundred
cases there); this runs the hundreds of thousands the reliability issue asks for:

    .venv/bin/python scripts/fuzz.py --bitstreams 100000 --images 10000 --out fuzz.json

Bitstreams: real files (a small image on every profile and a Kodak-size one on the fast profile),
then truncations at every byte, bit flips, insertions and deletions, header fields at their
extremes, payloads changed with their CRC recomputed, and empty, swapped and oversized segments.
Images: every format this Pillow writes, truncated, bit-flipped, with bytes inserted, deleted or
overwritten. A case passes when it gives a result or one of our CodecErrors; anything else, and
any case slower than ``--slow`` seconds, is a finding. The report states the peak RSS.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a plain checkout runs it too

from codec.api import decode, encode
from codec.bitstream import Container, pack, unpack
from codec.data import DEMO_IMAGE as DEMO
from codec.errors import CodecError
from codec.image_io import MAX_SIDE, load_image
from codec.profiles import PROFILE_NAMES


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _smooth(height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    base = np.stack([np.sin(6 * xx + seed), np.cos(5 * yy - seed), np.sin(4 * (xx + yy))], axis=-1)
    return np.clip(127 + 100 * base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- bitstreams


def _byte_mutations(data: bytes, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """Endless random byte-level mutations of ``data``."""
    while True:
        kind = rng.choice(("flip", "flips", "insert", "delete", "overwrite", "splice"))
        b = bytearray(data)
        if kind == "flip":
            i = rng.randrange(len(b) * 8)
            b[i // 8] ^= 1 << (i % 8)
        elif kind == "flips":
            for _ in range(rng.randint(2, 16)):
                i = rng.randrange(len(b) * 8)
                b[i // 8] ^= 1 << (i % 8)
        elif kind == "insert":
            i = rng.randrange(len(b) + 1)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == "delete":
            i = rng.randrange(len(b))
            del b[i : i + rng.randint(1, 8)]
        elif kind == "overwrite":
            i = rng.randrange(len(b))
            b[i] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)))
        else:
            i, j = sorted(rng.randrange(len(b) + 1) for _ in range(2))
            b = b[:i] + b[j:] + b[i:j]
        yield kind, bytes(b)


_EXTREME_SIZES = (0, 1, 2, 7, 8, 9, 4096, MAX_SIDE - 1, MAX_SIDE, MAX_SIDE + 1, 2**31 - 1, 2**32 - 1)


def _container_mutations(container: Container, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """Endless structure-aware mutations: every CRC recomputed, so the decoder itself is tested."""
    segments = list(container.segments)
    while True:
        kind = rng.choice(("size", "quality", "profile", "payload", "empty", "oversized", "swap", "count"))
        c = container
        if kind == "size":
            c = replace(c, height=rng.choice(_EXTREME_SIZES), width=rng.choice(_EXTREME_SIZES))
        elif kind == "quality":
            c = replace(c, quality_code=rng.choice((0, 1, 32767, 65534, 65535)))
        elif kind == "profile":
            c = replace(c, profile=rng.choice((*PROFILE_NAMES, "", "x" * 32, "fast\0", "bést")))
        elif kind == "payload":
            new = list(segments)
            i = rng.randrange(len(new))
            b = bytearray(new[i])
            for _ in range(rng.randint(1, 8)):
                if b:
                    b[rng.randrange(len(b))] = rng.randrange(256)
            new[i] = bytes(b)
            c = replace(c, segments=tuple(new))
        elif kind == "empty":
            new = list(segments)
            new[rng.randrange(len(new))] = b""
            c = replace(c, segments=tuple(new))
        elif kind == "oversized":
            new = list(segments)
            i = rng.randrange(len(new))
            new[i] = new[i] + bytes(rng.randrange(256) for _ in range(4 * rng.randint(1, 256)))
            c = replace(c, segments=tuple(new))
        elif kind == "swap":
            new = list(segments)
            i, j = rng.randrange(len(new)), rng.randrange(len(new))
            new[i], new[j] = new[j], new[i]
            c = replace(c, segments=tuple(new))
        else:
            n = rng.choice((0, 1, len(segments) - 1, len(segments) + 1, 16))
            c = replace(c, segments=tuple((segments * 16)[:n]))
        try:
            yield kind, pack(c)
        except (CodecError, ValueError, OverflowError):  # pack refuses what cannot be written at all
            continue


def _bitstream_cases(count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(seed)
    small = _smooth(48, 80, seed)
    bases = [encode(small, profile=p, quality=rng.random()).data for p in PROFILE_NAMES]
    if DEMO.exists():
        bases.append(encode(load_image(DEMO), profile="fast", quality=0.5).data)  # Kodak size
    done = 0
    for base in bases:  # every truncation of every base file
        for n in range(len(base)):
            if done >= count:
                return
            yield "truncate", base[:n]
            done += 1
    streams = [(_byte_mutations(b, rng), _container_mutations(unpack(b), rng)) for b in bases]
    # A mutated Kodak-size file that passes the container decodes for up to a second: 1 % of the
    # cases go to it (still about a thousand in 100k), the rest to the small files.
    weights = [1.0] * len(PROFILE_NAMES) + [0.01 * len(PROFILE_NAMES)] * (len(streams) - len(PROFILE_NAMES))
    while done < count:
        raw, structured = rng.choices(streams, weights)[0]
        yield next(structured if rng.random() < 0.5 else raw)
        done += 1


# ----------------------------------------------------------------------------- images


def _image_formats() -> dict[str, dict]:
    """Formats this Pillow can write, with options that make a valid file of an RGB image."""
    wanted = {
        "PNG": {}, "JPEG": {"quality": 90}, "WEBP": {"quality": 80}, "GIF": {}, "BMP": {}, "TIFF": {},
        "PPM": {}, "TGA": {}, "ICO": {}, "PCX": {}, "SGI": {}, "IM": {}, "DDS": {}, "JPEG2000": {},
        "AVIF": {"quality": 60}, "QOI": {}, "XBM": {}, "EPS": {}, "PDF": {}, "SPIDER": {},
    }
    Image.init()
    usable = {}
    for fmt, options in wanted.items():
        if fmt not in Image.SAVE:
            continue
        try:
            buf = io.BytesIO()
            mode = "1" if fmt == "XBM" else "F" if fmt == "SPIDER" else "RGB"
            Image.fromarray(_smooth(40, 56, 1)).convert(mode).save(buf, format=fmt, **options)
            load_image(buf.getvalue())
        except Exception:  # noqa: BLE001 - a format this build cannot write and read back: skipped
            continue
        usable[fmt] = options
    return usable


def _image_cases(count: int, seed: int) -> tuple[list[str], Iterator[tuple[str, bytes]]]:
    rng = random.Random(seed)
    formats = _image_formats()
    bases = []
    for fmt, options in formats.items():
        for i, (h, w) in enumerate(((40, 56), (97, 131))):
            buf = io.BytesIO()
            mode = "1" if fmt == "XBM" else "F" if fmt == "SPIDER" else "RGB"
            Image.fromarray(_smooth(h, w, i)).convert(mode).save(buf, format=fmt, **options)
            bases.append((fmt, buf.getvalue()))

    def cases() -> Iterator[tuple[str, bytes]]:
        streams = [(fmt, _byte_mutations(data, rng)) for fmt, data in bases]
        for n in range(count):
            fmt, stream = streams[n % len(streams)]
            kind, data = next(stream)
            if rng.random() < 0.2:
                kind, data = "truncate", data[: rng.randrange(len(data))]
            yield f"{fmt}:{kind}", data

    return sorted(formats), cases()


# ----------------------------------------------------------------------------- running


def _run(name: str, cases: Iterator[tuple[str, bytes]], target: Callable[[bytes], object], slow: float,
         findings: list[dict], every: int) -> dict:
    outcomes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    slowest = slowest_cpu = 0.0
    start = time.perf_counter()
    for n, (kind, data) in enumerate(cases, start=1):
        kinds[kind] += 1
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            target(data)
            outcome = "accepted"
        except CodecError as exc:
            outcome = type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - what the fuzzer is looking for
            outcome = f"FOREIGN {type(exc).__name__}"
            findings.append({"door": name, "kind": kind, "error": repr(exc)[:300], "data": data[:4096].hex(),
                             "traceback": traceback.format_exc(limit=6)[-1500:]})
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
        slowest, slowest_cpu = max(slowest, seconds), max(slowest_cpu, cpu_seconds)
        # The bound is on the work (CPU seconds): on a shared machine, or one whose processes are
        # paused for timings, the wall clock also counts the waiting.
        if cpu_seconds > slow:
            findings.append({"door": name, "kind": kind, "error": f"slow: {cpu_seconds:.1f} CPU s ({seconds:.1f} s wall)",
                             "data": data[:4096].hex()})
        outcomes[outcome] += 1
        if n % every == 0:
            print(f"{name}: {n} cases, {time.perf_counter() - start:.0f} s, slowest {slowest_cpu:.2f} CPU s "
                  f"({slowest:.2f} s wall), "
                  f"peak RSS {_peak_rss_mib():.0f} MiB, findings {len(findings)}", flush=True)
    return {"cases": sum(outcomes.values()), "outcomes": dict(outcomes.most_common()), "mutations": dict(kinds.most_common()),
            "slowest_seconds": round(slowest, 3), "slowest_cpu_seconds": round(slowest_cpu, 3),
            "wall_seconds": round(time.perf_counter() - start, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bitstreams", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slow", type=float, default=10.0, help="CPU seconds a single case may take")
    parser.add_argument("--out", default=None, help="write the report (JSON) here")
    args = parser.parse_args(argv)

    findings: list[dict] = []
    formats, image_cases = _image_cases(args.images, args.seed)
    report = {
        "images": {"formats": formats, **_run("images", image_cases, load_image, args.slow, findings, 2000)},
        "bitstreams": _run("bitstreams", _bitstream_cases(args.bitstreams, args.seed), decode, args.slow, findings, 10_000),
        "peak_rss_mib": round(_peak_rss_mib()),
        "findings": findings,
        "seed": args.seed,
    }
    text = json.dumps(report, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "findings"}, indent=1))
    print(f"{len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
