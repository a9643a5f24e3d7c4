"""Bytes in, bytes out: decode one image defensively, resize it to every target size, encode them.

Nothing here touches AWS or the queue, so all of it is unit-tested on images made in memory. The
function is pure and thread-safe (no global state is read or changed), which is what lets the
worker run it on threads: Pillow releases the GIL while it decodes, resizes and encodes.

One decode serves every size: a JPEG is decoded once at the reduced DCT scale the largest size
needs, and each size is resampled from that. Full-size pixels are touched as little as possible:
the orientation is applied to each resized image (a transpose of a full-size image is a full
copy), and colour is converted there too (see worker.colour).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from contract.values import ResizeMode
from worker import warnings_log
from worker.colour import finish, prepare
from worker.decoding import open_image, rejecting_broken_files
from worker.encoding import ImageFormat, encode
from worker.rejection import FileRejected

DRAFT_MIN_RATIO = 1.6
"""The reduced DCT decode must be at least this much larger than the area the final filter
samples, so the LANCZOS pass still has pixels to filter. Measured against a LANCZOS resize of the
full decode on photo-like JPEGs, the worst case (a size just above a DCT scale step) scores 41.8 dB
at 1.25, 44.2 at 1.4 and 46.9 at 1.6, and a 12 MP photo still decodes at 1/8 (375 rows for 224).
The unit tests check the worst case; bench/worker_resize.py checks a whole corpus."""

REDUCING_GAP = 3.0
"""While the image is still more than this many times the target, Pillow first box-reduces it
by an integer factor, then applies the final filter. From 3.0 up its documentation calls the
result indistinguishable from a plain resize; it matters for large PNGs, which have no reduced
decode (a JPEG after `draft` is already within about 3.3 times the target)."""

FINAL_FILTER = Image.Resampling.LANCZOS

PAD_COLOUR = (0, 0, 0)
"""The letterbox bars of `pad` mode."""

_ORIENTATION_TAG = 0x0112
_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""What turns the stored image upright, per EXIF orientation (as ImageOps.exif_transpose)."""
_TRANSPOSING_ORIENTATIONS = frozenset({5, 6, 7, 8})
"""EXIF orientations that rotate by 90 degrees: the stored width is the displayed height."""


@dataclass(frozen=True)
class ResizeSpec:
    """What every output looks like: exactly each of `sizes`, RGB."""

    sizes: tuple[tuple[int, int], ...]
    """At least one, no duplicates (the config checks both)."""
    mode: ResizeMode
    quality: int
    """JPEG and WebP quality (1-100)."""


@dataclass(frozen=True)
class Encoded:
    size: tuple[int, int]
    image_format: ImageFormat
    data: bytes


@dataclass(frozen=True)
class Processed:
    """The encoded outputs (one per size, in the spec's order) and the facts of how they were
    made (they go into the file's log)."""

    outputs: tuple[Encoded, ...]
    facts: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())
    """What the decoder warned about while reading the file (it recovered)."""


def process_image(data: bytes, image_format: ImageFormat, spec: ResizeSpec) -> Processed:
    """Decode `data` once, then orient, resize and encode it for every size of `spec`.

    Raises FileRejected for input that can never succeed (carrying the decoder's warnings); any
    other exception is a fault of this machine (memory, a bug) and is left to the caller to
    treat as retryable.
    """
    with warnings_log.capture() as caught:
        try:
            return _process(data, image_format, spec, caught)
        except FileRejected as rejected:
            rejected.warnings = tuple(caught)
            raise


def _process(
    data: bytes, image_format: ImageFormat, spec: ResizeSpec, caught: list[str]
) -> Processed:
    with rejecting_broken_files():
        image = open_image(data)
        source = {"source_format": image.format or "unknown", "source_mode": image.mode}
        orientation = _orientation(image)
        oriented_size = _oriented(image.size, orientation)
        plans = [_Geometry.plan(oriented_size, size, spec.mode) for size in spec.sizes]
        draft_scale = _draft(image, plans, orientation)
        image.load()
        prepared = prepare(image)
        del image  # the decoded pixels, when prepare made a converted copy
        pictures = []
        for plan in plans:
            resampled = plan.resample(prepared.image, 1 / draft_scale, orientation)
            finished = finish(resampled, prepared.profile)
            if finished.warning and finished.warning not in caught:
                caught.append(finished.warning)
            pictures.append(plan.place(finished.image))
    # Encoding is outside the guard: it gets a plain RGB image of the worker's own making, so
    # an error there is a bug to be retried and seen in the DLQ, not the file's fault.
    outputs = tuple(
        Encoded(picture.size, image_format, encode(picture, image_format, spec.quality))
        for picture in pictures
    )
    facts: dict[str, Any] = {
        **source,
        "source_size": list(oriented_size),
        "exif_orientation": orientation,
        "icc_profile": prepared.profile is not None,
        "dct_scale": f"1/{draft_scale}",
    }
    return Processed(outputs=outputs, facts=facts, warnings=tuple(caught))


def _orientation(image: Image.Image) -> int:
    # Pillow's getexif also reads an XMP tiff:Orientation when there is no EXIF one.
    value = image.getexif().get(_ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _oriented(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    width, height = size
    return (height, width) if orientation in _TRANSPOSING_ORIENTATIONS else (width, height)


def _draft(image: Image.Image, plans: list[_Geometry], orientation: int) -> int:
    """Ask a JPEG decoder for the smallest DCT scale still DRAFT_MIN_RATIO above what every
    size samples.

    Returns the scale denominator (1 when the format has no reduced decode).
    """
    sampled = (max(p.sampled_size[0] for p in plans), max(p.sampled_size[1] for p in plans))
    want_width, want_height = _oriented(sampled, orientation)
    request = (
        max(1, math.ceil(want_width * DRAFT_MIN_RATIO)),
        max(1, math.ceil(want_height * DRAFT_MIN_RATIO)),
    )
    before = image.size
    if image.draft(None, request) is None:
        return 1
    return max(1, round(before[0] / image.size[0]))


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class _Geometry:
    """Where one output's pixels come from, in the oriented full-size image's coordinates."""

    source: tuple[int, int]
    """The oriented full-size image's size."""
    target: tuple[int, int]
    box: Box
    """The region of the source that is resampled."""
    resized: tuple[int, int]
    """The size that region is resampled to (smaller than `target` only in pad mode)."""
    sampled_size: tuple[int, int]
    """The size the whole source would have at the output's scale: what the decoder must cover."""

    @classmethod
    def plan(cls, source: tuple[int, int], target: tuple[int, int], mode: ResizeMode) -> _Geometry:
        width, height = source
        target_width, target_height = target
        full_box = (0.0, 0.0, float(width), float(height))
        if mode is ResizeMode.STRETCH:
            return cls(source, target, full_box, target, target)
        if mode is ResizeMode.CROP:
            scale = max(target_width / width, target_height / height)
            crop_width, crop_height = target_width / scale, target_height / scale
            left, top = (width - crop_width) / 2, (height - crop_height) / 2
            box = (left, top, left + crop_width, top + crop_height)
            sampled = (math.ceil(width * scale), math.ceil(height * scale))
            return cls(source, target, box, target, sampled)
        scale = min(target_width / width, target_height / height)
        fitted = (
            min(target_width, max(1, round(width * scale))),
            min(target_height, max(1, round(height * scale))),
        )
        return cls(source, target, full_box, fitted, fitted)

    def resample(self, image: Image.Image, scale: float, orientation: int) -> Image.Image:
        """Resample `image`, the stored (not yet oriented) source decoded at `scale`, to
        `resized`, upright.

        The resize runs in the stored orientation and only its small result is turned. A
        reduced decode's size is rounded up (a 2508-pixel row at 1/8 gives 314 pixels, the last
        one from half a block), so the box is scaled by the DCT scale, not by the ratio of
        sizes: that would stretch the picture by a fraction of a pixel.
        """
        left, top, right, bottom = _stored_box(self.box, self.source, orientation)
        box = (left * scale, top * scale, right * scale, bottom * scale)
        size = _oriented(self.resized, orientation)
        resized = image.resize(size, FINAL_FILTER, box=box, reducing_gap=REDUCING_GAP)
        transpose = _TRANSPOSES.get(orientation)
        return resized if transpose is None else resized.transpose(transpose)

    def place(self, image: Image.Image) -> Image.Image:
        """The resampled RGB `image` on the target canvas (centred, letterboxed in pad mode)."""
        if image.size == self.target:
            return image
        canvas = Image.new("RGB", self.target, PAD_COLOUR)
        # Centred with Python's rounding, as ImageOps.pad does.
        offset = (
            round((self.target[0] - image.width) / 2),
            round((self.target[1] - image.height) / 2),
        )
        canvas.paste(image, offset)
        return canvas


def _stored_box(box: Box, oriented: tuple[int, int], orientation: int) -> Box:
    """`box`, given in the upright image of size `oriented`, in the stored image's coordinates."""
    width, height = oriented
    left, top, right, bottom = box
    # Where the upright image's point (x, y) is in the stored image, per orientation.
    corners = [
        {
            1: (x, y),
            2: (width - x, y),
            3: (width - x, height - y),
            4: (x, height - y),
            5: (y, x),
            6: (y, width - x),
            7: (height - y, width - x),
            8: (height - y, x),
        }[orientation]
        for x, y in ((left, top), (right, bottom))
    ]
    (x0, y0), (x1, y1) = corners
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
