"""Image files for tests, made in memory: every kind the worker must handle, and the bad ones.

Good files are small photo-like images (a gradient with texture, so resizing and orientation have
something to show). Every factory is deterministic: the same call gives the same bytes, so tests
can compare outputs across runs and redeliveries. The end-to-end tests upload these as well.
"""

from __future__ import annotations

import functools
import io
import random
import zlib
from collections.abc import Callable
from enum import IntEnum

from PIL import Image

DEFAULT_SIZE = (96, 64)
"""Wider than tall, so a lost EXIF rotation or a swapped width/height shows."""


class Orientation(IntEnum):
    """EXIF orientation values (tag 0x0112) the factories write."""

    NORMAL = 1
    MIRRORED = 2
    ROTATED_180 = 3
    ROTATED_270_CW = 6
    """Displayed after turning 90 degrees clockwise (a phone held upright)."""
    ROTATED_90_CW = 8


@functools.cache
def _photo(size: tuple[int, int], seed: int) -> Image.Image:
    width, height = size
    generator = random.Random(seed)

    def noise(factor: int) -> Image.Image:
        small = (max(2, width // factor), max(2, height // factor))
        grain = Image.frombytes("L", small, generator.randbytes(small[0] * small[1]))
        return grain.resize(size, Image.Resampling.BICUBIC)

    # Per channel: a smooth gradient, blotches and texture at two scales, and a little grain.
    # Like a photograph, most energy is at low frequencies, yet every scale has some detail.
    gradients = (
        Image.linear_gradient("L").resize(size),
        Image.radial_gradient("L").resize(size),
        Image.linear_gradient("L").rotate(90).resize(size),
    )
    channels = []
    for gradient in gradients:
        channel = Image.blend(gradient, noise(32), 0.4)
        channel = Image.blend(channel, noise(6), 0.25)
        channels.append(Image.blend(channel, noise(1), 0.06))
    return Image.merge("RGB", channels)


def photo(size: tuple[int, int] = DEFAULT_SIZE, seed: int = 0) -> Image.Image:
    """A photo-like RGB image (a copy: callers may change it)."""
    return _photo(size, seed).copy()


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def jpeg(
    size: tuple[int, int] = DEFAULT_SIZE,
    *,
    seed: int = 0,
    progressive: bool = False,
    orientation: Orientation = Orientation.NORMAL,
    quality: int = 90,
) -> bytes:
    """A baseline (or progressive) RGB JPEG; with an EXIF orientation when not NORMAL."""
    image = photo(size, seed)
    options: dict[str, object] = {"quality": quality, "progressive": progressive}
    if orientation is not Orientation.NORMAL:
        exif = Image.Exif()
        exif[0x0112] = int(orientation)
        options["exif"] = exif.tobytes()
    return encode(image, "JPEG", **options)


def cmyk_jpeg(size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    return encode(photo(size).convert("CMYK"), "JPEG", quality=90)


def grayscale_jpeg(size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    return encode(photo(size).convert("L"), "JPEG", quality=90)


def png(size: tuple[int, int] = DEFAULT_SIZE, *, seed: int = 0) -> bytes:
    return encode(photo(size, seed), "PNG")


def palette_png(
    size: tuple[int, int] = DEFAULT_SIZE, *, transparent_index: int | None = 0
) -> bytes:
    """A palette (P mode) PNG; palette entry `transparent_index` marked transparent."""
    image = photo(size).quantize(colors=16)
    if transparent_index is None:
        return encode(image, "PNG")
    return encode(image, "PNG", transparency=transparent_index)


def rgba_png(size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    """An RGBA PNG whose left half is fully transparent and right half opaque."""
    image = photo(size).convert("RGBA")
    alpha = Image.new("L", size, 255)
    alpha.paste(0, (0, 0, size[0] // 2, size[1]))
    image.putalpha(alpha)
    return encode(image, "PNG")


def png_16bit(size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    """A 16-bit grayscale PNG using the full 0..65535 range (it opens in Pillow's I;16 mode)."""
    ramp = photo(size).convert("L").point(lambda value: value * 257, mode="I")
    return encode(ramp.convert("I;16"), "PNG")


def zero_bytes() -> bytes:
    return b""


def text_named_jpg() -> bytes:
    """What someone uploads as `notes.jpg`."""
    return b"These are my notes, not a photograph.\n" * 4


def truncated_jpeg() -> bytes:
    """A real JPEG cut short in its entropy-coded data."""
    whole = jpeg((256, 192))
    return whole[: len(whole) * 2 // 3]


def corrupt_jpeg() -> bytes:
    """A JPEG with its quantization tables removed: it identifies as JPEG and cannot be decoded.

    (Garbage in the scan data or missing Huffman tables would not do: libjpeg-turbo warns, or
    substitutes the standard tables, and decodes noise.)
    """
    whole = jpeg((256, 192))
    kept = bytearray(whole[:2])  # SOI
    position = 2
    while whole[position : position + 2] != b"\xff\xda":  # up to the start of scan
        length = int.from_bytes(whole[position + 2 : position + 4], "big")
        segment = whole[position : position + 2 + length]
        if segment[:2] != b"\xff\xdb":  # DQT: define quantization table
            kept += segment
        position += 2 + length
    return bytes(kept + whole[position:])


BOMB_SIZE = (9500, 9500)
"""90.25 million pixels: above Pillow's 89.5 million limit, where Pillow only warns (it raises by
itself only above twice the limit). The worker must refuse it all the same."""


@functools.cache
def decompression_bomb() -> bytes:
    """A 1-bit PNG of BOMB_SIZE: about 12 KB on disk, 270 MB as an RGB image in memory."""
    width, height = BOMB_SIZE
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte + one bit per pixel, all black
    pixels = zlib.compress(row * height, 9)
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return len(body).to_bytes(4, "big") + kind + body + crc


GOOD_FILES: dict[str, Callable[[], bytes]] = {
    "baseline.jpg": lambda: jpeg(),
    "progressive.jpg": lambda: jpeg(progressive=True),
    "exif-rotated.jpg": lambda: jpeg(orientation=Orientation.ROTATED_270_CW),
    "cmyk.jpg": cmyk_jpeg,
    "grayscale.jpg": grayscale_jpeg,
    "palette.png": palette_png,
    "alpha.png": rgba_png,
    "sixteen-bit.png": png_16bit,
}
"""One of each kind of good file, by a file name whose extension matches its content."""

BAD_FILES: dict[str, Callable[[], bytes]] = {
    "zero-bytes.jpg": zero_bytes,
    "text.jpg": text_named_jpg,
    "truncated.jpg": truncated_jpeg,
    "corrupt.jpg": corrupt_jpeg,
    "bomb.png": decompression_bomb,
}
"""One of each kind of file that must end in a `.failed` log."""
