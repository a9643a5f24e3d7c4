"""The contact sheet shows each upload beside its output and marks the failures."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from local.contact_sheet import (
    COLUMNS,
    FAILED_RED,
    MAX_ENTRIES,
    OK_GREEN,
    THUMB,
    SheetEntry,
    write_contact_sheet,
)
from tests.support import images


def _jpeg(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _count(image: Image.Image, colour: tuple[int, int, int]) -> int:
    counts = image.getcolors(maxcolors=image.width * image.height) or []
    return next((count for count, found in counts if found == colour), 0)


def test_sheet_has_a_cell_per_file_with_success_green_and_failure_red(tmp_path: Path) -> None:
    # GIVEN one processed file and one that failed (its upload was not an image)
    entries = [
        SheetEntry(
            "ecsproc/cat.jpg", _jpeg((800, 600), (0, 0, 255)), _jpeg((224, 224), (0, 0, 255)), True
        ),
        SheetEntry("ecsproc/notes.jpg", b"just text", None, False, "cannot identify image file"),
    ]
    # WHEN the sheet is written
    path = write_contact_sheet(entries, tmp_path / "sheet.png")
    # THEN it is one PNG with a frame of each colour and room for both thumbnails per cell
    with Image.open(path) as sheet:
        assert sheet.format == "PNG"
        assert sheet.width >= COLUMNS * 2 * THUMB
        rgb = sheet.convert("RGB")
        assert _count(rgb, OK_GREEN) > 4 * THUMB
        assert _count(rgb, FAILED_RED) > 4 * THUMB


def test_undecodable_and_bomb_uploads_get_a_placeholder_not_a_crash(tmp_path: Path) -> None:
    entries = [
        SheetEntry("ecsproc/bomb.png", images.decompression_bomb(), None, False, "bomb"),
        SheetEntry("ecsproc/empty.jpg", b"", None, False, "empty"),
    ]
    path = write_contact_sheet(entries, tmp_path / "sheet.png")
    assert path.stat().st_size > 0


def test_a_long_run_is_capped_with_a_footer(tmp_path: Path) -> None:
    entries = [SheetEntry(f"ecsproc/{n}.jpg", b"", None, False) for n in range(MAX_ENTRIES + 5)]
    capped = write_contact_sheet(entries, tmp_path / "capped.png")
    exact = write_contact_sheet(entries[:MAX_ENTRIES], tmp_path / "exact.png")
    with Image.open(capped) as with_footer, Image.open(exact) as without:
        assert with_footer.height > without.height
        assert with_footer.width == without.width
