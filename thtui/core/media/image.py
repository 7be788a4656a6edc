"""Images: load with EXIF orientation into plain RGB, square crops, even sizes, atomic saves.

Loading is where bad input is caught: a text file named .png, a truncated JPEG, an audio file passed
as the image each get their own message (InputError), before anything is written.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from thtui.core.media.atomic import atomic_output
from thtui.core.media.errors import InputError, MediaError, check_file, looks_like_text

MIN_SIDE = 64  # smaller than this is no portrait any talking-head model can use


@dataclass(frozen=True)
class Box:
    """A square or rectangle in pixel coordinates; may extend past the image (padded when cropped)."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.right, self.bottom)


def _not_image_reason(path: Path) -> tuple[str, str]:
    """Why PIL could not identify `path`: (code, human reason)."""
    if looks_like_text(path):
        return "text_file", "it contains text, not image data"
    try:
        from thtui.core.media.probe import probe

        info = probe(path)
    except Exception:
        return "not_image", "its contents are not an image format Pillow can read"
    if info.has_audio and not info.has_video:
        return "is_audio", f"it is an audio file ({info.describe()}); pass it as the audio instead"
    if info.has_video and not info.is_image:
        return "is_video", f"it is a video ({info.describe()}); give a still image, e.g. a frame of it"
    return "not_image", "its contents are not an image format Pillow can read"


def load_image(path: Path | str) -> Image.Image:
    """Open, fully decode, apply EXIF orientation and convert to RGB. Raises InputError."""
    p = check_file(path, "image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(p)
            img.load()  # decode now: truncation surfaces here, not halfway through a crop
    except UnidentifiedImageError:
        code, reason = _not_image_reason(p)
        raise InputError(f"not an image: {p} ({reason})", kind="image", code=code, path=p) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            f"image is too large: {p} (more than {(Image.MAX_IMAGE_PIXELS or 0) // 1_000_000} megapixels); scale it down first",
            kind="image",
            code="too_large",
            path=p,
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(
            f"image is truncated or corrupt: {p} ({exc})", kind="image", code="truncated", path=p
        ) from None
    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)  # an animated GIF/WebP: its first frame is the portrait
    with contextlib.suppress(Exception):  # a broken EXIF block must not reject an otherwise fine photo
        img = ImageOps.exif_transpose(img)
    rgb = to_rgb(img)
    if min(rgb.size) < MIN_SIDE:
        w, h = rgb.size
        raise InputError(
            f"image is too small: {p} is {w}x{h} px; at least {MIN_SIDE}x{MIN_SIDE} is needed",
            kind="image",
            code="too_small",
            path=p,
        )
    return rgb


def to_rgb(img: Image.Image) -> Image.Image:
    """Any mode -> RGB. Transparency is flattened onto white (black would read as hair or background)."""
    if img.mode == "RGB":
        return img
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit/float greyscale: scale to 8 bits by its own range instead of clipping to white.
        lo, hi = img.getextrema()
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        img = img.point(lambda v: (v - lo) * scale).convert("L")
    return img.convert("RGB")


def cap_long_side(img: Image.Image, side: int) -> Image.Image:
    """Scaled down (aspect kept, LANCZOS) so neither side exceeds `side`; unchanged when it fits."""
    if max(img.size) <= side:
        return img
    return ImageOps.contain(img, (side, side), Image.Resampling.LANCZOS)


def even_size(img: Image.Image) -> Image.Image:
    """Drop the last row/column when odd: yuv420p video needs even width and height."""
    w, h = img.size
    if w % 2 == 0 and h % 2 == 0:
        return img
    return img.crop((0, 0, w - w % 2, h - h % 2))


def center_square(size: tuple[int, int]) -> Box:
    w, h = size
    side = min(w, h)
    return Box((w - side) // 2, (h - side) // 2, side, side)


def crop_box(img: Image.Image, box: Box) -> Image.Image:
    """Crop `box`; parts outside the image are filled by repeating the edge pixels."""
    w, h = img.size
    if box.left >= 0 and box.top >= 0 and box.right <= w and box.bottom <= h:
        return img.crop(box.as_tuple())
    pad = max(-box.left, -box.top, box.right - w, box.bottom - h, 0)
    import numpy as np

    arr = np.pad(np.asarray(img), ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    return Image.fromarray(arr).crop((box.left + pad, box.top + pad, box.right + pad, box.bottom + pad))


def fit_square(img: Image.Image, side: int) -> Image.Image:
    """Whole image scaled into a side x side square, padded (no distortion, nothing cut off)."""
    fitted = ImageOps.contain(img, (side, side), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (side, side), _border_colour(fitted))
    canvas.paste(fitted, ((side - fitted.width) // 2, (side - fitted.height) // 2))
    return canvas


def _border_colour(img: Image.Image) -> tuple[int, int, int]:
    import numpy as np

    a = np.asarray(img)
    edge = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    return tuple(int(v) for v in np.median(edge, axis=0))  # type: ignore[return-value]


def resize_square(img: Image.Image, side: int) -> Image.Image:
    if img.size == (side, side):
        return img
    return img.resize((side, side), Image.Resampling.LANCZOS)


def save_image(img: Image.Image, dest: Path | str, fmt: str = "png") -> Path:
    """Save atomically as PNG or JPEG (quality 95, no chroma subsampling: faces keep their edges)."""
    dest = Path(dest)
    fmt = fmt.lower()
    with atomic_output(dest) as tmp:
        if fmt == "png":
            img.save(tmp, format="PNG", optimize=False)
        elif fmt in ("jpg", "jpeg"):
            img.save(tmp, format="JPEG", quality=95, subsampling=0)
        else:
            raise MediaError(f"unsupported image format {fmt!r}")
    return dest
