"""Image loading and geometry: EXIF orientation, mode conversion, even sizes, crops, atomic saves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_factory import make_blank_image, make_exif_rotated_portrait, make_portrait
from PIL import Image

from thtui.core.media import Box, crop_box, even_size, fit_square, load_image, save_image, to_rgb
from thtui.core.media.atomic import atomic_output


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    path = make_exif_rotated_portrait(tmp_path / "phone.jpg")
    upright = np.asarray(Image.open(make_portrait(tmp_path / "ref.png")).convert("RGB"), dtype=np.int16)
    loaded = np.asarray(load_image(path), dtype=np.int16)
    stored = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    assert np.abs(loaded - upright).mean() < 6  # JPEG noise only
    assert np.abs(stored - upright).mean() > 30  # the raw pixels really are sideways


def test_rgba_is_flattened_onto_white(tmp_path: Path) -> None:
    img = Image.new("RGBA", (80, 80), (255, 0, 0, 0))
    img.paste((0, 0, 255, 255), (0, 0, 40, 80))
    img.save(tmp_path / "a.png")
    rgb = load_image(tmp_path / "a.png")
    assert rgb.mode == "RGB"
    assert rgb.getpixel((10, 10)) == (0, 0, 255) and rgb.getpixel((70, 10)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "I;16", "CMYK"])
def test_any_mode_becomes_rgb(tmp_path: Path, mode: str) -> None:
    base = Image.linear_gradient("L").resize((96, 96))
    img = base.convert(mode) if mode != "I;16" else Image.fromarray(np.asarray(base).astype(np.uint16) * 257)
    path = tmp_path / ("x.tif" if mode in ("I;16", "CMYK") else "x.png")
    img.save(path)
    out = load_image(path)
    assert out.mode == "RGB" and out.size == (96, 96)
    # the 16-bit gradient must stay a gradient, not clip to white
    assert out.getpixel((0, 0))[0] < 20 and out.getpixel((0, 95))[0] > 230


def test_even_size_trims_odd_edges() -> None:
    assert even_size(Image.new("RGB", (101, 77))).size == (100, 76)
    same = Image.new("RGB", (100, 76))
    assert even_size(same) is same


def test_crop_box_pads_outside_with_edge_pixels() -> None:
    img = Image.new("RGB", (10, 10), (10, 20, 30))
    out = crop_box(img, Box(-5, -5, 20, 20))
    assert out.size == (20, 20) and out.getpixel((0, 0)) == (10, 20, 30)


def test_fit_square_pads_instead_of_stretching() -> None:
    img = Image.new("RGB", (200, 100), (255, 0, 0))
    out = fit_square(img, 64)
    assert out.size == (64, 64)
    assert out.getpixel((32, 32)) == (255, 0, 0)  # content kept, centred
    assert out.getpixel((32, 2)) == (255, 0, 0)  # padding uses the border colour, not black


def test_save_image_is_atomic_and_leaves_no_temp_on_error(tmp_path: Path) -> None:
    dest = tmp_path / "out dir" / "image.png"
    save_image(Image.new("RGB", (8, 8)), dest, "png")
    assert Image.open(dest).format == "PNG"
    save_image(Image.new("RGB", (8, 8)), tmp_path / "i.jpg", "jpg")
    assert Image.open(tmp_path / "i.jpg").format == "JPEG"
    with pytest.raises(RuntimeError, match="boom"), atomic_output(tmp_path / "x.png") as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i.jpg", "out dir"]
    assert [p.name for p in (tmp_path / "out dir").iterdir()] == ["image.png"]


def test_to_rgb_palette_with_transparency() -> None:
    img = Image.new("P", (4, 4), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.info["transparency"] = 0
    assert to_rgb(img).getpixel((0, 0)) == (255, 255, 255)


def test_grey_blank_loads(tmp_path: Path) -> None:
    img = load_image(make_blank_image(tmp_path / "g.png", mode="L"))
    assert img.mode == "RGB" and img.getpixel((0, 0)) == (128, 128, 128)
