"""The brand images follow Home Assistant's brands convention, as scripts/brand.py draws them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys
from types import ModuleType

from PIL import Image
import pytest

ROOT = Path(__file__).resolve().parent.parent
BRAND_DIR = ROOT / "custom_components" / "dashscope" / "brand"
NAMES = [
    f"{prefix}{kind}{suffix}.png"
    for prefix in ("", "dark_")
    for kind in ("icon", "logo")
    for suffix in ("", "@2x")
]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("brand", ROOT / "scripts" / "brand.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def open_png(name: str) -> Image.Image:
    image = Image.open(BRAND_DIR / name)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    return image


@pytest.mark.parametrize("name", NAMES)
def test_image_is_a_transparent_trimmed_png(name: str) -> None:
    image = open_png(name)
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255)  # a transparent background around opaque art
    left, top, right, bottom = alpha.getbbox()
    if "icon" in name:
        assert (left, right) == (0, image.width)  # square, so trimmed along its wider side
    else:
        assert (left, top, bottom) == (0, 0, image.height)
        assert image.width - right <= 1


@pytest.mark.parametrize("prefix", ["", "dark_"])
def test_sizes(prefix: str) -> None:
    icon, icon_2x = open_png(f"{prefix}icon.png"), open_png(f"{prefix}icon@2x.png")
    assert icon.size == (256, 256)
    assert icon_2x.size == (512, 512)
    logo, logo_2x = open_png(f"{prefix}logo.png"), open_png(f"{prefix}logo@2x.png")
    assert logo.height == 128
    assert logo.width > logo.height
    assert logo_2x.size == (logo.width * 2, logo.height * 2)


def test_no_other_files_in_brand_dir() -> None:
    assert sorted(path.name for path in BRAND_DIR.iterdir()) == sorted(NAMES)


def test_script_redraws_the_same_bytes(tmp_path: Path) -> None:
    written = load_script().write(tmp_path)
    assert sorted(path.name for path in written) == sorted(NAMES)
    for name in NAMES:
        assert (tmp_path / name).read_bytes() == (BRAND_DIR / name).read_bytes(), (
            f"{name} differs from what scripts/brand.py draws; rerun it"
        )
