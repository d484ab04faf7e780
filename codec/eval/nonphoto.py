"""A small set of non-photographic test images: text, line art, a chart and an app screenshot.

The training set is photographs, so these are the images where the shipped transforms fit worst
and encode-time latent overfitting (LOF) has the most to gain; ``msp bench --profiles
--lof-ablation --dataset DIR`` measures that. The images are drawn deterministically with
Pillow's bundled font (no system fonts, no downloads), so anyone regenerates the same set with
``python -m codec.eval.nonphoto DIR``; the screenshot is the app's own, from resources/.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = ["write_nonphoto_set", "render_text", "render_line_art", "render_chart"]

SIZE = (768, 512)
SCREENSHOT = Path(__file__).resolve().parents[2] / "resources" / "screenshots" / "rd-plot.png"

_TEXT = (
    "Leveraging progressive model and overfitting for efficient learned image compression. "
    "The multi-scale progressive probability model decodes the latent in a constant number of "
    "steps, whatever the size of the image; latent overfitting spends extra time at the encoder "
    "so that the decoder, unchanged, reconstructs this one image better. "
)


def render_text(size: tuple[int, int] = SIZE) -> Image.Image:
    """Black text on white at three sizes with a coloured heading: sharp edges, flat background."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((24, 16), "MSP Studio - release notes", font=ImageFont.load_default(30), fill=(20, 60, 160))
    y = 64
    for font_size in (18, 14, 11):
        font = ImageFont.load_default(font_size)
        words, line = (_TEXT * 2).split(), ""
        for word in words:
            if draw.textlength(f"{line} {word}", font=font) > size[0] - 48:
                draw.text((24, y), line, font=font, fill="black")
                y += int(font_size * 1.35)
                line = word
            else:
                line = f"{line} {word}".strip()
            if y > size[1] - 2 * font_size:
                return image
        y += font_size
    return image


def render_line_art(size: tuple[int, int] = SIZE) -> Image.Image:
    """A technical drawing: thin lines, circles and hatching on paper-white."""
    image = Image.new("RGB", size, (250, 248, 240))
    draw = ImageDraw.Draw(image)
    w, h = size
    for x in range(0, w, 32):
        draw.line([(x, 0), (x, h)], fill=(200, 215, 235), width=1)
    for y in range(0, h, 32):
        draw.line([(0, y), (w, y)], fill=(200, 215, 235), width=1)
    cx, cy = w // 3, h // 2
    for r in range(20, 200, 30):
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(30, 30, 30), width=2)
    for k in range(24):
        a = 2 * math.pi * k / 24
        draw.line([(cx, cy), (cx + 190 * math.cos(a), cy + 190 * math.sin(a))], fill=(60, 60, 60), width=1)
    box = [w // 2 + 40, 60, w - 40, h - 60]
    draw.rectangle(box, outline=(180, 20, 20), width=3)
    for x in range(box[0], box[2], 10):
        draw.line([(x, box[1]), (min(x + (box[3] - box[1]), box[2]), box[3])], fill=(180, 20, 20), width=1)
    return image


def render_chart(size: tuple[int, int] = SIZE) -> Image.Image:
    """A slide-style chart: flat coloured bars, axes, a polyline and labels."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    w, h = size
    font = ImageFont.load_default(14)
    left, bottom = 70, h - 60
    draw.line([(left, 30), (left, bottom), (w - 30, bottom)], fill="black", width=2)
    colours = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]
    values = [0.62, 0.35, 0.81, 0.47, 0.93, 0.28, 0.74, 0.55]
    bar_w = (w - left - 60) // len(values)
    points = []
    for i, v in enumerate(values):
        x0 = left + 15 + i * bar_w
        top = bottom - int(v * (bottom - 50))
        draw.rectangle([x0, top, x0 + bar_w - 20, bottom - 1], fill=colours[i % len(colours)])
        draw.text((x0, bottom + 8), f"Q{i + 1}", font=font, fill="black")
        points.append((x0 + (bar_w - 20) // 2, top - 20))
    draw.line(points, fill=(40, 40, 40), width=3)
    for i in range(6):
        y = bottom - i * (bottom - 50) // 5
        draw.text((18, y - 8), f"{i * 20}%", font=font, fill="black")
    draw.text((left + 10, 8), "Bitrate saved per quarter", font=ImageFont.load_default(20), fill="black")
    return image


def write_nonphoto_set(folder: str | Path) -> list[Path]:
    """Write the set as PNGs into ``folder`` (created) and return their paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, render in (("text", render_text), ("lineart", render_line_art), ("chart", render_chart)):
        path = out / f"{name}.png"
        render().save(path)
        paths.append(path)
    if SCREENSHOT.exists():
        with Image.open(SCREENSHOT) as shot:  # the app's RD-plot view, cropped to the common size
            path = out / "screenshot.png"
            shot.convert("RGB").crop((0, 0, *SIZE)).save(path)
            paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    for path in write_nonphoto_set(args.folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
