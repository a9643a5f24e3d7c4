"""Opening an upload defensively, and turning every way its decoding can fail into a rejection.

Pillow has no exception hierarchy of its own: a broken file surfaces as OSError, SyntaxError,
ValueError, EOFError, struct.error, IndexError, ZeroDivisionError... depending on the plugin and on
where the damage is (the fuzzer cases in Pillow's test images raise most of them). Any error raised
while a file's pixels are decoded or converted is a property of that file, so it is a permanent
rejection, never a retry: retrying the same bytes gives the same error, and only I/O to AWS is
transient. MemoryError is the exception: it says the task is short of memory (other files are
in flight beside this one), which a later attempt may not be.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, UnidentifiedImageError

from contract.formats import DECODED_FORMATS
from worker.rejection import FileRejected, Rejection

SUPPORTED_FORMATS = tuple(DECODED_FORMATS)
"""What `Image.open` may identify: every other decoder (TIFF, PSD, EPS via Ghostscript...) is
attack surface the pipeline does not need. Camera JPEGs with an MPF block open as MPO through the
JPEG plugin, so they are covered."""

SIGNATURES = {
    "PNG": (b"\x89PNG\r\n\x1a\n",),
    "JPEG": (b"\xff\xd8\xff",),
    "GIF": (b"GIF87a", b"GIF89a"),
    "BMP": (b"BM",),
}
"""Leading bytes that say which supported format a file claims to be, so a file that claims one
but cannot be identified is reported `corrupt`, not `not-an-image`. (WebP's RIFF header is checked
separately: its signature is split around the file size.)"""

BOMB_MESSAGES = ("decompression bomb", "decompressed data too large")
"""Pillow's wording when a limit on decompressed size stops it: the pixel limit, and the limit on
compressed PNG text and ICC chunks (`png_decompression_dos.png` in Pillow's tests)."""

TRUNCATED_MESSAGES = ("truncated",)
"""`image file is truncated`, `Truncated File Read`, `truncated PNG file`."""

UNSUPPORTED_MESSAGES = ("unsupported",)
"""`Unsupported BMP bitfields layout`, `Unsupported BMP compression (6)`...: a file of a supported
format in a variant Pillow does not decode. A nonsensical header value (a bit depth of 30000) reads
the same way: the decoder cannot tell a variant it lacks from a damaged field."""


def open_image(data: bytes) -> Image.Image:
    """The image `data` holds, header read and not yet decoded, or FileRejected saying why not."""
    if not data:
        raise FileRejected(Rejection.EMPTY, "the object is empty (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS)
    except UnidentifiedImageError:
        claimed = claimed_format(data)
        if claimed is not None:
            raise FileRejected(
                Rejection.CORRUPT, f"starts like a {claimed} file but its header cannot be read"
            ) from None
        allowed = ", ".join(SUPPORTED_FORMATS)
        raise FileRejected(
            Rejection.NOT_AN_IMAGE, f"not an image in a supported format ({allowed})"
        ) from None
    limit = Image.MAX_IMAGE_PIXELS
    width, height = image.size
    if limit is not None and width * height > limit:
        # Pillow only warns between its limit and twice it; a pixel bomb is refused at the limit.
        raise FileRejected(
            Rejection.DECOMPRESSION_BOMB,
            f"{width}x{height} is {width * height} pixels, over the limit of {limit}",
        )
    return image


def claimed_format(data: bytes) -> str | None:
    """The supported format whose signature `data` starts with, if any."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next(
        (name for name, starts in SIGNATURES.items() if data.startswith(starts)),
        None,
    )


@contextmanager
def rejecting_broken_files() -> Iterator[None]:
    """Inside, any error but MemoryError is the file's fault: it leaves as FileRejected."""
    try:
        yield
    except (FileRejected, MemoryError):
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        # The warning arrives as an exception where the process made it an error (the worker's
        # entry point does); open_image enforces the same limit where it did not.
        raise FileRejected(Rejection.DECOMPRESSION_BOMB, str(error)) from None
    except Exception as error:  # noqa: BLE001 - Pillow raises anything for a broken file (above)
        raise FileRejected(reason_for(error), describe(error)) from None


def reason_for(error: Exception) -> Rejection:
    """Which rejection an error from Pillow's decoders stands for (see the message lists)."""
    text = str(error).lower()
    if any(words in text for words in BOMB_MESSAGES):
        return Rejection.DECOMPRESSION_BOMB
    if isinstance(error, EOFError) or any(words in text for words in TRUNCATED_MESSAGES):
        return Rejection.TRUNCATED
    if any(words in text for words in UNSUPPORTED_MESSAGES):
        return Rejection.UNSUPPORTED
    return Rejection.CORRUPT


def describe(error: Exception) -> str:
    """Pillow's message, with the exception's type when that is all the message would not say."""
    text = str(error)
    generic = (OSError, SyntaxError, ValueError)
    return text if text and type(error) in generic else f"{type(error).__name__}: {text}"
