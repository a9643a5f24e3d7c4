"""Every way decoding can fail is a rejection with a documented reason, except running out of
memory."""

from __future__ import annotations

import struct

import pytest
from PIL import Image

from tests.support import images
from worker.decoding import claimed_format, open_image, rejecting_broken_files
from worker.rejection import FileRejected, Rejection


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        # Pillow's own messages, as its decoders raise them on the peer corpus
        (OSError("image file is truncated (8 bytes not processed)"), Rejection.TRUNCATED),
        (OSError("Truncated File Read"), Rejection.TRUNCATED),
        (EOFError(), Rejection.TRUNCATED),
        (OSError("Unsupported BMP bitfields layout"), Rejection.UNSUPPORTED),
        (OSError("Unsupported BMP compression (6)"), Rejection.UNSUPPORTED),
        (
            ValueError("Decompressed data too large for PngImagePlugin.MAX_TEXT_CHUNK"),
            Rejection.DECOMPRESSION_BOMB,
        ),
        (
            Image.DecompressionBombError("could be decompression bomb DOS"),
            Rejection.DECOMPRESSION_BOMB,
        ),
        (SyntaxError("APNG contains frame sequence errors"), Rejection.CORRUPT),
        (OSError("broken data stream when reading image file"), Rejection.CORRUPT),
        # what fuzzed files make plugins raise
        (struct.error("unpack requires a buffer of 4 bytes"), Rejection.CORRUPT),
        (IndexError("list index out of range"), Rejection.CORRUPT),
        (ZeroDivisionError("division by zero"), Rejection.CORRUPT),
        (TypeError("an integer is required"), Rejection.CORRUPT),
    ],
)
def test_any_error_while_decoding_is_a_rejection_with_its_reason(
    error: Exception, reason: Rejection
) -> None:
    with pytest.raises(FileRejected) as raised, rejecting_broken_files():
        raise error
    assert raised.value.reason is reason
    assert raised.value.detail


def test_an_error_type_shows_when_pillow_gives_a_bare_message() -> None:
    with pytest.raises(FileRejected) as raised, rejecting_broken_files():
        raise struct.error("unpack requires a buffer of 4 bytes")
    assert raised.value.detail == "error: unpack requires a buffer of 4 bytes"


def test_running_out_of_memory_is_not_the_files_fault() -> None:
    with pytest.raises(MemoryError), rejecting_broken_files():
        raise MemoryError


def test_a_rejection_passes_through_unchanged() -> None:
    original = FileRejected(Rejection.EMPTY, "nothing")
    with pytest.raises(FileRejected) as raised, rejecting_broken_files():
        raise original
    assert raised.value is original


@pytest.mark.parametrize(
    ("data", "claimed"),
    [
        (images.png(), "PNG"),
        (images.jpeg(), "JPEG"),
        (images.gif_with_zero_width(), "GIF"),
        (images.two_bit_bmp(), "BMP"),
        (images.encode(images.photo(), "WEBP"), "WEBP"),
        (images.encode(images.photo(), "TIFF"), None),
        (b"just text", None),
    ],
)
def test_the_format_a_file_claims_is_read_from_its_first_bytes(
    data: bytes, claimed: str | None
) -> None:
    assert claimed_format(data) == claimed


def test_a_file_that_claims_a_format_but_does_not_open_is_corrupt() -> None:
    with pytest.raises(FileRejected) as raised:
        open_image(images.gif_with_zero_width())
    assert raised.value.reason is Rejection.CORRUPT
    assert "GIF" in raised.value.detail


def test_a_file_in_no_supported_format_is_not_an_image() -> None:
    with pytest.raises(FileRejected) as raised:
        open_image(images.text_named_jpg())
    assert raised.value.reason is Rejection.NOT_AN_IMAGE
