"""Draw the integration's brand images: an icon and a logo of its own design.

The icon is a speech bubble holding a few sound-wave bars, in a blue-to-teal gradient; the
logo sets the icon beside the word "DashScope". No third-party trademark is used. Everything
is drawn with Pillow alone (the text uses Pillow's bundled font), at several times the final
size and downscaled with LANCZOS, and the PNGs carry no metadata, so a rerun writes
byte-identical files.

Run from the repository root (the output directory defaults to the integration's brand/):

    .venv/bin/python scripts/brand.py [OUTPUT_DIR]

It writes icon.png (256x256), icon@2x.png (512x512), logo.png (128 px high), logo@2x.png
(256 px high) and a dark_ variant of each for dark backgrounds, as the Home Assistant brands
repository names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import sys

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

BRAND_DIR = Path(__file__).resolve().parent.parent / "custom_components" / "dashscope" / "brand"
OVERSAMPLE = 4  # draw at this multiple of the largest (@2x) size, then downscale
ICON_SIZE = 256
LOGO_HEIGHT = 128
BARS = (0.36, 0.70, 1.0, 0.70, 0.36)  # sound-wave bar heights, relative to the tallest

type RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """Colours for one background: the bubble's gradient ends, the bars and the word."""

    start: RGB
    end: RGB
    bars: RGB
    text: RGB


LIGHT = Palette(start=(37, 99, 235), end=(13, 163, 158), bars=(255, 255, 255), text=(30, 41, 59))
DARK = Palette(start=(77, 138, 255), end=(45, 212, 191), bars=(255, 255, 255), text=(241, 245, 249))


def _gradient(size: int, palette: Palette) -> Image.Image:
    """Return a square diagonal gradient from the top-left start colour to the bottom-right end."""
    down = Image.linear_gradient("L")
    ramp = ImageChops.add(down, down.transpose(Image.Transpose.ROTATE_90), scale=2)
    ramp = ramp.resize((size, size), Image.Resampling.BICUBIC)
    start, end = (Image.new("RGB", (size, size), colour) for colour in (palette.start, palette.end))
    return Image.composite(end, start, ramp)


def _bubble_mask(size: int) -> Image.Image:
    """Return the speech bubble's alpha mask: a rounded body with a tail at the lower left."""
    pad = size // 8  # room for the smoothing blur
    mask = Image.new("L", (size + 2 * pad, size + 2 * pad))
    draw = ImageDraw.Draw(mask)
    body_bottom = pad + round(size * 0.80)
    draw.rounded_rectangle((pad, pad, pad + size, body_bottom), radius=round(size * 0.24), fill=255)
    draw.polygon(
        [
            (pad + size * 0.20, body_bottom - size * 0.10),
            (pad + size * 0.48, body_bottom - size * 0.10),
            (pad + size * 0.14, pad + size),
        ],
        fill=255,
    )
    # Blur and re-sharpen: rounds the tail's tip and fillets the joints with the body.
    mask = mask.filter(ImageFilter.GaussianBlur(size * 0.02))
    mask = mask.point(lambda v: max(0, min(255, (v - 128) * 32 + 128)))
    return mask.crop(mask.getbbox())


def _icon(size: int, palette: Palette) -> Image.Image:
    """Return the icon drawn at size x size."""
    mask = _bubble_mask(size)
    art = _gradient(max(mask.size), palette).crop((0, 0, *mask.size)).convert("RGBA")
    art.putalpha(mask)
    draw = ImageDraw.Draw(art)
    body = size * 0.80  # the bubble's body, above the tail
    bar, gap = size * 0.085, size * 0.06
    left = (size - len(BARS) * bar - (len(BARS) - 1) * gap) / 2
    for i, height in enumerate(BARS):
        half = body * 0.25 * height
        x = left + i * (bar + gap)
        draw.rounded_rectangle(
            (x, body / 2 - half, x + bar, body / 2 + half), radius=bar / 2, fill=palette.bars
        )
    square = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    square.paste(art, ((size - art.width) // 2, (size - art.height) // 2))
    return square


def _logo(height: int, palette: Palette) -> Image.Image:
    """Return the icon beside the word "DashScope", height pixels high."""
    icon = _icon(height, palette)
    icon = icon.crop(icon.getbbox())
    icon = icon.resize((round(icon.width * height / icon.height), height), Image.Resampling.LANCZOS)
    font = ImageFont.load_default(size=round(height * 0.50))
    stroke = round(height * 0.012)  # thickens the bundled regular weight a little
    text = "DashScope"
    cap_top, cap_bottom = font.getbbox("H", anchor="ls")[1::2]
    baseline = height * 0.42 - (cap_top + cap_bottom) / 2  # capitals centred on the body
    left = icon.width + round(height * 0.20) + stroke
    canvas = Image.new("RGBA", (left + round(font.getlength(text)) + stroke, height))
    canvas.paste(icon, (0, 0))
    ImageDraw.Draw(canvas).text(
        (left, baseline),
        text,
        font=font,
        fill=palette.text,
        anchor="ls",
        stroke_width=stroke,
        stroke_fill=palette.text,
    )
    canvas = canvas.crop(canvas.getbbox())
    # Pad the width to a multiple of the downscaling so every size scales exactly.
    step = 2 * OVERSAMPLE
    padded = Image.new("RGBA", (-(-canvas.width // step) * step, height))
    padded.paste(canvas, (0, 0))
    return padded


def write(out_dir: Path = BRAND_DIR) -> list[Path]:
    """Draw every brand image into out_dir and return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for prefix, palette in (("", LIGHT), ("dark_", DARK)):
        for name, draw, size in (("icon", _icon, ICON_SIZE), ("logo", _logo, LOGO_HEIGHT)):
            master = draw(size * 2 * OVERSAMPLE, palette)
            for suffix, scale in (("", 1), ("@2x", 2)):
                shrink = 2 * OVERSAMPLE // scale
                image = master.resize(
                    (master.width // shrink, master.height // shrink), Image.Resampling.LANCZOS
                )
                path = out_dir / f"{prefix}{name}{suffix}.png"
                image.save(path, optimize=True)
                written.append(path)
    return written


def main(argv: list[str]) -> None:
    """Write the images into the directory given, or the integration's brand directory."""
    for path in write(Path(argv[0]) if argv else BRAND_DIR):
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
