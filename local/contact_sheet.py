"""A contact sheet: each file's upload beside its output, failures marked, in one PNG to look at."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

THUMB = 180
"""Side of the square box each thumbnail is fitted into."""
PAD = 12
CAPTION_HEIGHT = 40
COLUMNS = 3
MAX_ENTRIES = 60
"""A sheet stays readable; the rest are counted in a footer."""

BACKGROUND = (250, 250, 250)
INK = (30, 30, 30)
FAILED_RED = (200, 30, 30)
OK_GREEN = (30, 130, 60)
PLACEHOLDER = (225, 225, 225)


@dataclass(frozen=True)
class SheetEntry:
    key: str
    source: bytes | None
    """The uploaded file."""
    output: bytes | None
    """The processed image, if there is one."""
    succeeded: bool
    note: str = ""
    """Why it failed (the first line of its ``.failed`` log), or anything else worth showing."""


def write_contact_sheet(entries: Sequence[SheetEntry], path: Path) -> Path:
    shown = list(entries[:MAX_ENTRIES])
    cell_width = 2 * THUMB + 3 * PAD + 24  # before, arrow, after
    cell_height = THUMB + CAPTION_HEIGHT + 2 * PAD
    rows = max(1, -(-len(shown) // COLUMNS))
    footer = 30 if len(entries) > len(shown) else 0
    sheet = Image.new(
        "RGB", (COLUMNS * cell_width + PAD, rows * cell_height + PAD + footer), BACKGROUND
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    for index, entry in enumerate(shown):
        left = PAD + (index % COLUMNS) * cell_width
        top = PAD + (index // COLUMNS) * cell_height
        _draw_entry(sheet, draw, font, entry, left, top, cell_width - PAD, cell_height - PAD)
    if footer:
        draw.text(
            (PAD, sheet.height - footer + 6),
            f"... and {len(entries) - len(shown)} more files (see the downloaded outputs)",
            fill=INK,
            font=font,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, format="PNG")
    return path


def _draw_entry(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    entry: SheetEntry,
    left: int,
    top: int,
    width: int,
    height: int,
) -> None:
    colour = OK_GREEN if entry.succeeded else FAILED_RED
    draw.rectangle((left, top, left + width - 1, top + height - 1), outline=colour, width=2)
    before_left, after_left = left + PAD // 2 + 2, left + PAD // 2 + THUMB + 24 + PAD
    _paste_thumbnail(sheet, draw, font, entry.source, before_left, top + PAD // 2 + 2)
    draw.text((before_left + THUMB + 6, top + THUMB // 2), "->", fill=INK, font=font)
    if entry.output is not None:
        _paste_thumbnail(sheet, draw, font, entry.output, after_left, top + PAD // 2 + 2)
    else:
        _placeholder(draw, font, after_left, top + PAD // 2 + 2, "FAILED", FAILED_RED)
    caption_top = top + THUMB + PAD // 2 + 6
    draw.text((left + 6, caption_top), _shorten(entry.key, 56), fill=INK, font=font)
    status = "ok" if entry.succeeded else f"FAILED: {entry.note}"
    draw.text((left + 6, caption_top + 16), _shorten(status, 56), fill=colour, font=font)


def _paste_thumbnail(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    data: bytes | None,
    left: int,
    top: int,
) -> None:
    thumbnail = _thumbnail(data)
    if thumbnail is None:
        _placeholder(draw, font, left, top, "cannot decode", INK)
        return
    offset = ((THUMB - thumbnail.width) // 2, (THUMB - thumbnail.height) // 2)
    sheet.paste(thumbnail, (left + offset[0], top + offset[1]))


def _thumbnail(data: bytes | None) -> Image.Image | None:
    """A thumbnail of ``data`` if it decodes safely; bombs and broken files get a placeholder."""
    if not data:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (THUMB, THUMB))
                oriented = ImageOps.exif_transpose(image)
                oriented.thumbnail((THUMB, THUMB))
                return oriented.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        return None


def _placeholder(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    left: int,
    top: int,
    label: str,
    colour: tuple[int, int, int],
) -> None:
    draw.rectangle((left, top, left + THUMB - 1, top + THUMB - 1), fill=PLACEHOLDER)
    draw.text((left + 10, top + THUMB // 2 - 8), label, fill=colour, font=font)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
