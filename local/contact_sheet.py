"""A contact sheet: each file's upload beside its outputs, failures marked, in one PNG to look at.

A large run cannot show every file, so the sheet shows every failure first (they are what needs
looking at), then successes sampled evenly across the kinds of file uploaded (format and size), so
a folder of many PNGs and a few JPEGs still shows some of each. A footer says how many files were
left out.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

THUMB = 180
"""Side of the square box each thumbnail is fitted into."""
PAD = 12
CAPTION_HEIGHT = 40
ARROW_WIDTH = 24
CELLS_PER_ROW = 6
"""Thumbnails per row: 3 files with one output each, 2 with two, 1 with more."""
MAX_SUCCESSES = 45
"""Successes shown (a sample); failures are all shown, so a sheet stays readable and complete
where it matters."""
LARGE_PIXELS = 4_000_000
"""Uploads from this many pixels are sampled apart from smaller ones."""

BACKGROUND = (250, 250, 250)
INK = (30, 30, 30)
FAILED_RED = (200, 30, 30)
OK_GREEN = (30, 130, 60)
PLACEHOLDER = (225, 225, 225)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class SheetEntry:
    key: str
    source: bytes | None
    """The uploaded file."""
    outputs: Sequence[tuple[str, bytes]]
    """The processed images, one per size, each with its label (``224x224``)."""
    succeeded: bool
    note: str = ""
    """Why it failed (the first line of its ``.failed`` log), or anything else worth showing."""


@dataclass(frozen=True)
class Selection:
    shown: list[SheetEntry]
    left_out: int


def select(entries: Sequence[SheetEntry], max_successes: int = MAX_SUCCESSES) -> Selection:
    """Every failure, in key order, then up to `max_successes` successes spread across kinds."""
    failures = sorted((entry for entry in entries if not entry.succeeded), key=_by_key)
    groups: dict[tuple[str, str], list[SheetEntry]] = {}
    for entry in sorted((entry for entry in entries if entry.succeeded), key=_by_key):
        groups.setdefault(_kind(entry.source), []).append(entry)
    # Round-robin over the kinds, each kind's files taken evenly spaced through it.
    spread = [_evenly(group) for _, group in sorted(groups.items())]
    successes = [entry for turn in zip_longest(*spread) for entry in turn if entry is not None]
    shown = failures + successes[:max_successes]
    return Selection(shown, len(entries) - len(shown))


def _by_key(entry: SheetEntry) -> str:
    return entry.key


def _evenly(group: list[SheetEntry]) -> list[SheetEntry]:
    """`group` reordered so that any first n of it are spread across the whole of it."""
    order: list[int] = []
    taken: set[int] = set()
    step = len(group)
    while step >= 1:
        for index in range(0, len(group), step):
            if index not in taken:
                taken.add(index)
                order.append(index)
        step //= 2
    return [group[index] for index in order]


def _kind(data: bytes | None) -> tuple[str, str]:
    """(format, "large" or "small") from the upload's header, without decoding its pixels."""
    try:
        # Pillow warns about odd headers (an invalid APNG, a malformed MPO): not this sheet's news.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data or b"")) as image:
                width, height = image.size
        return image.format or "?", "large" if width * height >= LARGE_PIXELS else "small"
    except Exception:  # noqa: BLE001 - any upload, even one that crashes a header parser
        return "?", "?"


def write_contact_sheet(entries: Sequence[SheetEntry], path: Path) -> Path:
    selection = select(entries)
    shown = selection.shown
    thumbs_per_entry = 1 + max((len(entry.outputs) for entry in shown), default=1)
    columns = max(1, CELLS_PER_ROW // thumbs_per_entry)
    cell_width = thumbs_per_entry * (THUMB + PAD) + ARROW_WIDTH + 2 * PAD
    cell_height = THUMB + CAPTION_HEIGHT + 2 * PAD
    rows = max(1, -(-len(shown) // columns))
    footer = 30 if selection.left_out else 0
    sheet = Image.new(
        "RGB", (columns * cell_width + PAD, rows * cell_height + PAD + footer), BACKGROUND
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    for index, entry in enumerate(shown):
        left = PAD + (index % columns) * cell_width
        top = PAD + (index // columns) * cell_height
        _draw_entry(sheet, draw, font, entry, left, top, cell_width - PAD, cell_height - PAD)
    if footer:
        draw.text(
            (PAD, sheet.height - footer + 6),
            f"... and {selection.left_out} more successful files, not shown "
            "(every failure is shown; see the downloaded outputs)",
            fill=INK,
            font=font,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, format="PNG")
    return path


def _draw_entry(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    font: Font,
    entry: SheetEntry,
    left: int,
    top: int,
    width: int,
    height: int,
) -> None:
    colour = OK_GREEN if entry.succeeded else FAILED_RED
    draw.rectangle((left, top, left + width - 1, top + height - 1), outline=colour, width=2)
    thumb_top = top + PAD // 2 + 2
    before_left = left + PAD // 2 + 2
    _paste_thumbnail(sheet, draw, font, entry.source, before_left, thumb_top)
    draw.text((before_left + THUMB + 6, top + THUMB // 2), "->", fill=INK, font=font)
    after_left = before_left + THUMB + ARROW_WIDTH
    if not entry.outputs:
        _placeholder(draw, font, after_left, thumb_top, "FAILED", FAILED_RED)
    for index, (_, output) in enumerate(entry.outputs):
        _paste_thumbnail(sheet, draw, font, output, after_left + index * (THUMB + PAD), thumb_top)
    caption_top = top + THUMB + PAD // 2 + 6
    limit = width // 7
    draw.text((left + 6, caption_top), _shorten(entry.key, limit), fill=INK, font=font)
    if entry.succeeded:
        status = "ok: " + ", ".join(label for label, _ in entry.outputs)
    else:
        status = f"FAILED: {entry.note}"
    draw.text((left + 6, caption_top + 16), _shorten(status, limit), fill=colour, font=font)


def _paste_thumbnail(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    font: Font,
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
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (THUMB, THUMB))
                oriented = ImageOps.exif_transpose(image)
                oriented.thumbnail((THUMB, THUMB))
                return oriented.convert("RGB")
    except Exception:  # noqa: BLE001 - the uploads include files made to crash decoders
        return None


def _placeholder(
    draw: ImageDraw.ImageDraw,
    font: Font,
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
