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


# Files that reproduce, in a few hundred bytes each, what Pillow's own test images showed the
# worker getting wrong (issue 13). Each names the peer-corpus file it stands in for.


def _png_chunks(*chunks: tuple[bytes, bytes]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(kind, body) for kind, body in chunks)


def _ihdr(size: tuple[int, int], bit_depth: int, colour_type: int) -> bytes:
    width, height = size
    return width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([bit_depth, colour_type])


def _rgba_pixels(size: tuple[int, int]) -> bytes:
    """The IDAT body of a photo-like RGBA PNG of `size`."""
    rows = photo(size).convert("RGBA").tobytes()
    stride = size[0] * 4
    filtered = b"".join(b"\x00" + rows[y * stride : (y + 1) * stride] for y in range(size[1]))
    return zlib.compress(filtered)


def truncated_png() -> bytes:
    """A PNG cut short inside its pixel data (`truncated_image.png`). Reading a PNG's EXIF makes
    Pillow decode it, so this fails before the decode proper."""
    whole = png((64, 48))
    return whole[: len(whole) * 2 // 3]


def png_with_broken_pixel_data() -> bytes:
    """A PNG whose IDAT is not a zlib stream (`broken_data_stream.png`)."""
    header = _ihdr((32, 32), 8, 2) + bytes(3)
    return _png_chunks((b"IHDR", header), (b"IDAT", b"not zlib data" * 8), (b"IEND", b""))


def _actl(frames: int) -> tuple[bytes, bytes]:
    return b"acTL", frames.to_bytes(4, "big") + bytes(4)


def apng_without_an_image() -> bytes:
    """An APNG header claiming zero frames and no default image (`apng__syntax_num_frames_zero`):
    Pillow warns "Invalid APNG", then cannot load it."""
    return _png_chunks((b"IHDR", _ihdr((16, 8), 8, 6) + bytes(3)), _actl(0), (b"IEND", b""))


def apng_with_a_bad_frame_count() -> bytes:
    """An APNG claiming zero frames but with a good default image
    (`apng__syntax_num_frames_zero_default`): Pillow warns, then reads the default image."""
    return _png_chunks(
        (b"IHDR", _ihdr((16, 8), 8, 6) + bytes(3)),
        _actl(0),
        (b"IDAT", _rgba_pixels((16, 8))),
        (b"IEND", b""),
    )


def png_with_a_text_bomb() -> bytes:
    """A valid small PNG with a compressed text chunk that inflates past Pillow's 1 MB limit on
    text (`png_decompression_dos.png`)."""
    text = b"comment\x00\x00" + zlib.compress(bytes(8 * 1024 * 1024), 9)
    return _png_chunks(
        (b"IHDR", _ihdr((16, 8), 8, 6) + bytes(3)),
        (b"zTXt", text),
        (b"IDAT", _rgba_pixels((16, 8))),
        (b"IEND", b""),
    )


def gif_with_zero_width() -> bytes:
    """A GIF header declaring a zero-width screen (`zero_width.gif`): it starts as a GIF does,
    but Pillow cannot identify it."""
    return b"GIF89a" + (0).to_bytes(2, "little") + (8).to_bytes(2, "little") + bytes(3) + b";"


COLOUR_KEY = (0, 255, 52)
"""The transparent colour of `rgb_png_with_colour_key` (bright green, as in `rgb_trns.png`)."""
KEYED_BOX = (8, 8, 24, 16)
"""Where the keyed (transparent) pixels are."""


def rgb_png_with_colour_key(size: tuple[int, int] = (32, 24)) -> bytes:
    """An RGB PNG whose tRNS chunk makes COLOUR_KEY transparent, with a box of exactly that colour
    (`rgb_trns.png`, `blend_transparency.png`)."""
    image = photo(size)
    image.paste(COLOUR_KEY, KEYED_BOX)
    return encode(image, "PNG", transparency=COLOUR_KEY)


def one_bit_png_with_transparency(size: tuple[int, int] = (32, 24)) -> bytes:
    """A 1-bit PNG whose black pixels are transparent, the right half black (`1_trns.png`)."""
    image = Image.new("1", size, 1)
    image.paste(0, (size[0] // 2, 0, size[0], size[1]))
    return encode(image, "PNG", transparency=0)


SIXTEEN_BIT_KEY = 1000
"""The transparent value of `png_16bit_with_transparent_value`: near black, as in `i_trns.png`."""


def png_16bit_with_transparent_value(size: tuple[int, int] = (32, 24)) -> bytes:
    """A 16-bit grey PNG, full range, whose KEYED_BOX holds the transparent value SIXTEEN_BIT_KEY
    (`i_trns.png`)."""
    ramp = photo(size).convert("L").point(lambda value: value * 257, mode="I")
    ramp.paste(SIXTEEN_BIT_KEY, KEYED_BOX)
    return encode(ramp.convert("I;16"), "PNG", transparency=SIXTEEN_BIT_KEY)


def bmp_with_zero_alpha(size: tuple[int, int] = (32, 24)) -> bytes:
    """A 32-bit BITFIELDS BMP whose alpha mask is set and every alpha byte zero
    (`rgb32bf-abgr.bmp`, and what many BMP writers produce)."""
    width, height = size
    pixels = b"".join(
        # Bottom-up rows of B, G, R, A (zero).
        bytes(value for r, g, b in [colour] for value in (b, g, r, 0))
        for y in reversed(range(height))
        for colour in (photo(size).getpixel((x, y)) for x in range(width))
    )
    masks = b"".join(mask.to_bytes(4, "little") for mask in (0xFF0000, 0xFF00, 0xFF, 0xFF000000))
    info = (
        (108).to_bytes(4, "little")
        + width.to_bytes(4, "little", signed=True)
        + height.to_bytes(4, "little", signed=True)
        + (1).to_bytes(2, "little")
        + (32).to_bytes(2, "little")
        + (3).to_bytes(4, "little")  # BI_BITFIELDS
        + len(pixels).to_bytes(4, "little")
        + bytes(16)  # resolution, palette counts
        + masks
        + b"BGRs"  # LCS_WINDOWS_COLOR_SPACE
        + bytes(48)  # endpoints and gamma, unused for it
    )
    offset = 14 + len(info)
    header = b"BM" + (offset + len(pixels)).to_bytes(4, "little") + bytes(4)
    return header + offset.to_bytes(4, "little") + info + pixels


def two_bit_bmp(size: tuple[int, int] = (16, 8)) -> bytes:
    """A valid 2-bit palette BMP (`bmp/q/pal2.bmp`), a variant Pillow does not decode."""
    width, height = size
    stride = ((width * 2 + 31) // 32) * 4
    palette = b"".join(bytes((v, v, v, 0)) for v in (0, 85, 170, 255))
    pixels = bytes(stride * height)
    info = (
        (40).to_bytes(4, "little")
        + width.to_bytes(4, "little", signed=True)
        + height.to_bytes(4, "little", signed=True)
        + (1).to_bytes(2, "little")
        + (2).to_bytes(2, "little")
        + bytes(4)  # BI_RGB
        + len(pixels).to_bytes(4, "little")
        + bytes(8)
        + (4).to_bytes(4, "little")
        + bytes(4)
    )
    offset = 14 + len(info) + len(palette)
    header = b"BM" + (offset + len(pixels)).to_bytes(4, "little") + bytes(4)
    return header + offset.to_bytes(4, "little") + info + palette + pixels


def _s15(value: float) -> bytes:
    return round(value * 65536).to_bytes(4, "big", signed=True)


def linear_rgb_profile() -> bytes:
    """An ICC v2 display profile with sRGB's primaries and a linear (gamma 1.0) response: colour
    managed, a value of 128 in such an image is as bright as 188 in sRGB. Written here because
    Pillow ships no RGB profile but sRGB; the tags are the minimal matrix/TRC set."""

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)

    linear = b"curv" + bytes(4) + (1).to_bytes(4, "big") + (0x0100).to_bytes(2, "big") + bytes(2)
    description = b"desc" + bytes(4) + (7).to_bytes(4, "big") + b"linear\x00" + bytes(4 + 2 + 67)
    tags = [
        (b"desc", description),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),  # D50, the profile connection space's white
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", linear),
        (b"gTRC", linear),
        (b"bTRC", linear),
    ]
    table_end = 128 + 4 + 12 * len(tags)
    table, body, offset = b"", b"", table_end
    for signature, data in tags:
        padded = data + bytes(-len(data) % 4)
        table += signature + offset.to_bytes(4, "big") + len(data).to_bytes(4, "big")
        body += padded
        offset += len(padded)
    size = table_end + len(body)
    header = (
        size.to_bytes(4, "big")
        + bytes(4)  # preferred CMM
        + bytes((2, 0x10, 0, 0))  # version 2.1
        + b"mntrRGB XYZ "
        + bytes(12)  # creation date
        + b"acsp"
        + bytes(24)  # platform, flags, manufacturer, model, attributes
        + bytes(4)  # rendering intent: perceptual
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + bytes(4 + 16 + 28)  # creator, profile id, reserved
    )
    return header + len(tags).to_bytes(4, "big") + table + body


def grey_png_in_linear_light(value: int = 128) -> bytes:
    """A flat RGB PNG of (value, value, value) tagged with `linear_rgb_profile`."""
    image = Image.new("RGB", (16, 16), (value, value, value))
    return encode(image, "PNG", icc_profile=linear_rgb_profile())


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
    "truncated.png": truncated_png,
    "broken-pixel-data.png": png_with_broken_pixel_data,
    "apng-without-an-image.png": apng_without_an_image,
    "text-bomb.png": png_with_a_text_bomb,
    "zero-width.gif": gif_with_zero_width,
    "two-bit.bmp": two_bit_bmp,
}
"""One of each kind of file that must end in a `.failed` log."""
