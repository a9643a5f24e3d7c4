"""Colour: from whatever mode a file decodes to, to the 8-bit sRGB RGB every output is.

In two steps around the resize, so the work on full-size pixels is only what resizing needs:
`prepare` turns the decoded image into a mode Pillow resamples correctly (it resizes palette and
1-bit images with nearest-neighbour only, and 16-bit grey would clip), with transparency as an
alpha band; `finish`, on the small resized image, flattens alpha onto white and converts to sRGB
with the file's ICC profile, if it has one. Outputs carry pixels only: no profile, no metadata.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from PIL import Image, ImageCms

ALPHA_BACKGROUND = (255, 255, 255)
"""Transparent pixels become white: the output is RGB (JPEG has no alpha)."""

RESIZABLE_MODES = frozenset({"L", "LA", "RGB", "RGBA"})
"""Modes Pillow resamples with the requested filter (alpha premultiplied) and `finish` takes."""
SIXTEEN_BIT_GREY = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})

_TO_EIGHT_BITS = tuple(value >> 8 for value in range(65536))
"""16-bit samples scaled (not clipped, as Pillow's own I -> L conversion does) to 8 bits."""


@dataclass(frozen=True)
class Prepared:
    image: Image.Image
    """In L, LA, RGB or RGBA; CMYK when a profile will convert it."""
    profile: bytes | None
    """The file's ICC profile, applied by `finish`."""


def prepare(image: Image.Image) -> Prepared:
    """The decoded `image` in a mode that resizes correctly; alpha kept for `finish` to flatten."""
    profile = image.info.get("icc_profile") or None
    transparency = image.info.get("transparency")
    mode = image.mode
    if mode in SIXTEEN_BIT_GREY:
        return Prepared(_eight_bit(image, transparency), profile)
    if mode == "1":
        return Prepared(image.convert("L" if transparency is None else "LA"), profile)
    if mode == "P" and image.palette is not None:
        if transparency is not None or image.palette.mode == "RGBA":
            _flatten_palette(image, transparency)
        return Prepared(image.convert("RGB"), profile)
    if mode in ("P", "PA"):
        return Prepared(image.convert("RGBA"), profile)
    if mode in ("L", "RGB") and transparency is not None:
        # A colour key (tRNS in a grey or RGB PNG, `1_trns.png` for 1-bit above): the pixels
        # of exactly that value are transparent. Pillow's conversion turns the key into alpha.
        return Prepared(image.convert("LA" if mode == "L" else "RGBA"), profile)
    if mode == "RGBA" and image.format == "BMP" and _alpha_extrema(image) == (0, 0):
        # Many BMP writers leave the fourth byte of 32-bit pixels zero: as browsers (and
        # Pillow's own tests of rgb32bf-abgr.bmp) do, an alpha band that is zero everywhere is
        # read as no alpha at all rather than as an entirely transparent, blank image.
        return Prepared(image.convert("RGB"), profile)
    if mode in RESIZABLE_MODES or (mode == "CMYK" and profile):
        return Prepared(image, profile)
    return Prepared(image.convert("RGB"), profile)


def _flatten_palette(image: Image.Image, transparency: object) -> None:
    """Composite `image`'s palette entries on ALPHA_BACKGROUND, in place, so it converts to RGB
    with no alpha band. Flattening before the resize gives what resizing with alpha and then
    flattening gives (both are linear in the pixels), without a full-size RGBA image and its
    premultiplied copy: 16 MP of palette pixels stay 16 MB plus the RGB image, not 128 MB."""
    entries = Image.new("P", (256, 1))
    entries.putdata(range(256))
    assert image.palette is not None
    entries.putpalette(image.palette.tobytes(), image.palette.mode)
    if transparency is not None:
        entries.info["transparency"] = transparency
    rgba = entries.convert("RGBA")
    flat = Image.new("RGB", rgba.size, ALPHA_BACKGROUND)
    flat.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
    image.putpalette(flat.tobytes(), "RGB")
    image.info.pop("transparency", None)


def _alpha_extrema(image: Image.Image) -> object:
    extrema = image.getextrema()  # per band, without copying the band out
    return extrema[-1]


def _eight_bit(image: Image.Image, transparency: object) -> Image.Image:
    wide = image if image.mode == "I" else image.convert("I")
    grey = wide.point(_TO_EIGHT_BITS, "L")
    if not isinstance(transparency, int):
        return grey
    # The key is a 16-bit value: it must be matched before scaling merges 256 values into one.
    alpha = wide.point([0 if value == transparency else 255 for value in range(65536)], "L")
    return Image.merge("LA", (grey, alpha))


@dataclass(frozen=True)
class Finished:
    image: Image.Image
    """RGB in sRGB, with no metadata."""
    warning: str | None
    """Why the file's ICC profile could not be applied, if it could not."""


def finish(image: Image.Image, profile: bytes | None) -> Finished:
    """Flatten alpha onto ALPHA_BACKGROUND, convert to sRGB RGB, drop every piece of metadata."""
    if image.mode in ("LA", "RGBA"):
        # Pasting through the alpha band is compositing over an opaque background.
        opaque = image.mode[:-1]
        flat = Image.new(opaque, image.size, ALPHA_BACKGROUND if opaque == "RGB" else 255)
        flat.paste(image.convert(opaque), mask=image.getchannel("A"))
        image = flat
    warning = None
    if profile:
        try:
            image = _to_srgb(profile, image.mode).apply(image)
        except (ImageCms.PyCMSError, OSError, ValueError) as error:
            warning = f"ICC profile not applied ({error}); pixels kept as decoded"
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    # Resized images inherit the source's info (comments, ICC profile, tRNS, EXIF), which
    # Pillow's encoders write back out; `finish` only ever gets images of its caller's own.
    rgb.info.clear()
    return Finished(rgb, warning)


@functools.lru_cache(maxsize=32)
def _to_srgb(profile: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    """A transform from `profile` to sRGB, built once per profile: cameras and phones embed the
    same few profiles, and building a transform costs more than applying it to a small image.
    LittleCMS transforms are read-only once built, so threads share them."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    return ImageCms.buildTransform(source, _srgb(), mode, "RGB")


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
