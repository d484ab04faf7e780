"""Per-image results as CSV: one row per image, codec and quality.

The JSON results keep per-image values as parallel lists under each codec; a spreadsheet wants
one flat row per measurement instead. ``msp eval --csv`` and the app's batch both write it
through :func:`write_csv` from the same :class:`~codec.eval.results.EvaluationResults`, so
the two files have the same columns and the same numbers as the JSON beside them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from codec.atomic import write_bytes_atomic
from codec.eval.results import EvaluationResults

__all__ = ["CSV_COLUMNS", "csv_rows", "csv_text", "write_csv"]

CSV_COLUMNS = ("image", "codec", "quality", "bytes", "bpp", "psnr", "ms-ssim", "encode_s", "decode_s")
"""PSNR-RGB in dB (100 when lossless, as in the JSON), MS-SSIM-RGB as a 0..1 value (empty where
the image is too small for it), times in seconds."""


def csv_rows(results: EvaluationResults) -> Iterator[tuple[object, ...]]:
    """The rows, codec by codec, image by image, quality by quality (no header)."""
    for codec in results.codecs:
        for image in codec.images:
            for point in image.points:
                yield (image.image, codec.name, point.quality, point.num_bytes, point.bpp, point.psnr_rgb,
                       "" if point.ms_ssim_rgb is None else point.ms_ssim_rgb,
                       point.encoding_time, point.decoding_time)


def csv_text(results: EvaluationResults) -> str:
    """The whole file: a header of :data:`CSV_COLUMNS`, then :func:`csv_rows` (full float precision)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(results))
    return out.getvalue()


def write_csv(results: EvaluationResults, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write :func:`csv_text` atomically (a reader never sees half a file)."""
    return write_bytes_atomic(path, csv_text(results).encode(), overwrite=overwrite)
