"""The contact sheet shows each upload beside its outputs, every failure, and a spread of the
successes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from local.contact_sheet import (
    FAILED_RED,
    MAX_SUCCESSES,
    OK_GREEN,
    THUMB,
    SheetEntry,
    select,
    write_contact_sheet,
)
from tests.support import images


def _encoded(
    size: tuple[int, int], colour: tuple[int, int, int], image_format: str = "JPEG"
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=image_format)
    return buffer.getvalue()


def _count(image: Image.Image, colour: tuple[int, int, int]) -> int:
    counts = image.getcolors(maxcolors=image.width * image.height) or []
    return next((count for count, found in counts if found == colour), 0)


def _success(key: str, source: bytes) -> SheetEntry:
    return SheetEntry(key, source, [("224x224", _encoded((224, 224), (0, 0, 255)))], True)


def test_sheet_has_a_cell_per_file_with_success_green_and_failure_red(tmp_path: Path) -> None:
    # GIVEN one processed file and one that failed (its upload was not an image)
    entries = [
        _success("ecsproc/cat.jpg", _encoded((800, 600), (0, 0, 255))),
        SheetEntry("ecsproc/notes.jpg", b"just text", [], False, "cannot identify image file"),
    ]
    # WHEN the sheet is written
    path = write_contact_sheet(entries, tmp_path / "sheet.png")
    # THEN it is one PNG with a frame of each colour and room for both thumbnails per cell
    with Image.open(path) as sheet:
        assert sheet.format == "PNG"
        assert sheet.width >= 3 * 2 * THUMB
        rgb = sheet.convert("RGB")
        assert _count(rgb, OK_GREEN) > 4 * THUMB
        assert _count(rgb, FAILED_RED) > 4 * THUMB


def test_every_size_of_a_file_is_shown(tmp_path: Path) -> None:
    # GIVEN a file with a red and a green output (two sizes)
    outputs = [
        ("224x224", _encoded((224, 224), (255, 0, 0), "PNG")),
        ("299x299", _encoded((299, 299), (0, 255, 0), "PNG")),
    ]
    entry = SheetEntry("ecsproc/a.png", _encoded((400, 300), (0, 0, 255), "PNG"), outputs, True)
    with Image.open(write_contact_sheet([entry], tmp_path / "sheet.png")) as sheet:
        rgb = sheet.convert("RGB")
        # THEN both appear, each as a whole thumbnail
        assert _count(rgb, (255, 0, 0)) >= THUMB * THUMB * 0.9
        assert _count(rgb, (0, 255, 0)) >= THUMB * THUMB * 0.9


def test_undecodable_and_bomb_uploads_get_a_placeholder_not_a_crash(tmp_path: Path) -> None:
    entries = [
        SheetEntry("ecsproc/bomb.png", images.decompression_bomb(), [], False, "bomb"),
        SheetEntry("ecsproc/empty.jpg", b"", [], False, "empty"),
        SheetEntry("ecsproc/broken.png", images.png_with_broken_pixel_data(), [], False, "x"),
    ]
    path = write_contact_sheet(entries, tmp_path / "sheet.png")
    assert path.stat().st_size > 0


def test_every_failure_comes_first_then_successes_of_every_kind() -> None:
    # GIVEN a run of many small PNGs, a few large JPEGs and small GIFs, and some failures whose
    # keys sort after all of them
    png = _encoded((32, 32), (0, 0, 0), "PNG")
    gif = _encoded((32, 32), (0, 0, 0), "GIF")
    large_jpeg = images.jpeg((2500, 1700))
    entries = [_success(f"a/{n:03}.png", png) for n in range(200)]
    entries += [_success(f"b/{n}.jpg", large_jpeg) for n in range(3)]
    entries += [_success(f"c/{n}.gif", gif) for n in range(3)]
    entries += [SheetEntry(f"z/{n}.jpg", b"x", [], False, "not-an-image") for n in range(5)]
    # WHEN the sheet's files are chosen
    selection = select(entries)
    shown = [entry.key for entry in selection.shown]
    # THEN every failure leads, every kind is there, and the rest is counted
    assert shown[:5] == [f"z/{n}.jpg" for n in range(5)]
    assert {"b/0.jpg", "b/1.jpg", "b/2.jpg", "c/0.gif", "c/1.gif", "c/2.gif"} <= set(shown)
    assert len(shown) == 5 + MAX_SUCCESSES
    assert selection.left_out == len(entries) - len(shown)


def test_a_sample_of_one_kind_spans_the_whole_of_it() -> None:
    png = _encoded((8, 8), (0, 0, 0), "PNG")
    entries = [_success(f"{n:03}.png", png) for n in range(100)]
    shown = [entry.key for entry in select(entries, max_successes=4).shown]
    assert shown == ["000.png", "050.png", "025.png", "075.png"]


def test_a_long_run_gets_a_footer(tmp_path: Path) -> None:
    png = _encoded((8, 8), (0, 0, 0), "PNG")
    entries = [_success(f"ecsproc/{n}.png", png) for n in range(MAX_SUCCESSES + 5)]
    capped = write_contact_sheet(entries, tmp_path / "capped.png")
    exact = write_contact_sheet(entries[:MAX_SUCCESSES], tmp_path / "exact.png")
    with Image.open(capped) as with_footer, Image.open(exact) as without:
        assert with_footer.height > without.height
        assert with_footer.width == without.width


def test_choosing_files_prints_no_warnings(recwarn: pytest.WarningsRecorder) -> None:
    # GIVEN an upload Pillow warns about when it reads the header
    entries = [_success("ecsproc/odd.png", images.apng_with_a_bad_frame_count())]
    select(entries)
    assert not [warning for warning in recwarn if "APNG" in str(warning.message)]
