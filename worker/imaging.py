"""Bytes in, bytes out: decode one image defensively, resize it to every target size, encode them.

Nothing here touches AWS or the queue, so all of it is unit-tested on images made in memory. The
function is pure and thread-safe (no global state is read or changed), which is what lets the
worker run it on threads: Pillow releases the GIL while it decodes, resizes and encodes.

One decode serves every size: a JPEG is decoded once at the reduced DCT scale the largest size
needs, box-reduced once more while it stays DRAFT_MIN_RATIO above that size, and each size is
resampled from that, or from a larger size's resampled pixels when those are fine enough
(CASCADE_MIN_RATIO): a resize costs about as much as the reduced decode, so two sizes resampled
from the decode would cost nearly as much as two passes. Full-size pixels are touched as little
as possible: the orientation is applied to each resized image (a transpose of a full-size image
is a full copy), and colour is converted there too (see worker.colour).
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
The decode is then box-reduced (`Image.reduce`, an integer factor per axis) while it stays this
much larger: a 1080p JPEG decoded at 1/2 (960x540) is halved in width for 299x299, which takes
1 ms and makes each LANCZOS resize about 0.65 of its cost (7.8 -> 5.0 ms), for no loss on the
1080p and 12 MP corpus and 53.4 -> 50.8 dB on a 1800x1200 PNG. The unit tests check the worst
case; bench/worker_resize.py checks a whole corpus."""

CASCADE_MIN_RATIO = 1.25
"""A size is resampled from a larger size's resampled pixels (not from the decode) when those
cover its region at least this many times its own scale in each axis. LANCZOS twice, against
LANCZOS once from the full decode, scores at worst 44.5 dB at 1.1, 48.5 at 1.25 and 49.4 at
1.33 (224x224 from 299x299) on photo-like JPEGs; and a 299x299 output is a tenth of the pixels of
a 1080p decode, so the second size costs a fifth of what resampling the decode again would."""

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
        plans = [_Geometry.plan(oriented_size, size, spec.mode, orientation) for size in spec.sizes]
        draft_scale = _draft(image, plans, orientation)
        image.load()
        prepared = prepare(image)
        del image  # the decoded pixels, when prepare made a converted copy
        resampled = _resample_all(_reduce(prepared.image, plans, orientation, draft_scale), plans)
        pictures = []
        for plan, pixels in zip(plans, resampled, strict=True):
            finished = finish(_upright(pixels.image, orientation), prepared.profile)
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


def _wanted(plans: list[_Geometry], orientation: int) -> tuple[float, float]:
    """The stored full-size image's size at DRAFT_MIN_RATIO times the scale of the size that
    samples it most finely: what the pixels every size is resampled from must cover."""
    sampled = (max(p.sampled_size[0] for p in plans), max(p.sampled_size[1] for p in plans))
    width, height = _oriented(sampled, orientation)
    return (width * DRAFT_MIN_RATIO, height * DRAFT_MIN_RATIO)


def _draft(image: Image.Image, plans: list[_Geometry], orientation: int) -> int:
    """Ask a JPEG decoder for the smallest DCT scale still DRAFT_MIN_RATIO above what every
    size samples.

    Returns the scale denominator (1 when the format has no reduced decode).
    """
    want_width, want_height = _wanted(plans, orientation)
    request = (max(1, math.ceil(want_width)), max(1, math.ceil(want_height)))
    before = image.size
    if image.draft(None, request) is None:
        return 1
    return max(1, round(before[0] / image.size[0]))


Box = tuple[float, float, float, float]

_EDGE_SLACK = 1e-3
"""Pixels: how far a region may seem to pass the edge of an image that covers it, from float
rounding (a crop box computed for 224x224 and for 299x299 of the same aspect)."""


@dataclass(frozen=True)
class _Pixels:
    """An image to resample from and where it lies in the stored full-size image: the stored
    point (x, y) is at ((x - origin x) * scale x, (y - origin y) * scale y) in it."""

    image: Image.Image
    origin: tuple[float, float]
    scale: tuple[float, float]

    def box(self, stored: Box) -> Box:
        """`stored`, a region of the stored full-size image, in this image's coordinates."""
        (x0, y0), (sx, sy) = self.origin, self.scale
        left, top, right, bottom = stored
        return ((left - x0) * sx, (top - y0) * sy, (right - x0) * sx, (bottom - y0) * sy)

    def serves(self, stored: Box, scale: tuple[float, float]) -> bool:
        """Whether `stored`, resampled from here to `scale`, keeps the quality bar: the region
        lies inside this image, which is CASCADE_MIN_RATIO finer than `scale` in each axis."""
        left, top, right, bottom = self.box(stored)
        width, height = self.image.size
        inside = min(left, top) >= -_EDGE_SLACK and (
            right <= width + _EDGE_SLACK and bottom <= height + _EDGE_SLACK
        )
        finer = zip(self.scale, scale, strict=True)
        return inside and all(mine >= CASCADE_MIN_RATIO * wanted for mine, wanted in finer)


def _reduce(
    image: Image.Image, plans: list[_Geometry], orientation: int, draft_scale: int
) -> _Pixels:
    """The decoded `image` (at 1/`draft_scale`), box-reduced once for every size by the largest
    integer factor per axis that keeps it DRAFT_MIN_RATIO above what every size samples."""
    want_width, want_height = _wanted(plans, orientation)
    factors = (
        max(1, math.floor(image.width / want_width)),
        max(1, math.floor(image.height / want_height)),
    )
    reduced = image if factors == (1, 1) else image.reduce(factors)
    scale = (1 / (draft_scale * factors[0]), 1 / (draft_scale * factors[1]))
    return _Pixels(reduced, (0.0, 0.0), scale)


def _resample_all(decoded: _Pixels, plans: list[_Geometry]) -> list[_Pixels]:
    """Every plan resampled (in the stored orientation), in the plans' order: the largest first,
    each from the smallest pixels already made that serve it, the decode when none does."""
    done: dict[int, _Pixels] = {}
    for index in sorted(range(len(plans)), key=lambda i: -math.prod(plans[i].stored_size)):
        plan = plans[index]
        candidates = [
            pixels for pixels in done.values() if pixels.serves(plan.stored_box, plan.stored_scale)
        ]
        source = min(candidates, key=lambda p: math.prod(p.image.size), default=decoded)
        done[index] = plan.resample(source)
    return [done[index] for index in range(len(plans))]


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    transpose = _TRANSPOSES.get(orientation)
    return image if transpose is None else image.transpose(transpose)


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
    stored_box: Box
    """`box` in the stored (not yet oriented) full-size image."""
    stored_size: tuple[int, int]
    """`resized` in the stored orientation: what is resampled, before it is turned upright."""

    @property
    def stored_scale(self) -> tuple[float, float]:
        """Output pixels per stored source pixel, per stored axis."""
        left, top, right, bottom = self.stored_box
        return (self.stored_size[0] / (right - left), self.stored_size[1] / (bottom - top))

    @classmethod
    def plan(
        cls, source: tuple[int, int], target: tuple[int, int], mode: ResizeMode, orientation: int
    ) -> _Geometry:
        width, height = source
        target_width, target_height = target
        box = (0.0, 0.0, float(width), float(height))
        resized = sampled = target
        if mode is ResizeMode.CROP:
            scale = max(target_width / width, target_height / height)
            crop_width, crop_height = target_width / scale, target_height / scale
            left, top = (width - crop_width) / 2, (height - crop_height) / 2
            box = (left, top, left + crop_width, top + crop_height)
            sampled = (math.ceil(width * scale), math.ceil(height * scale))
        elif mode is ResizeMode.PAD:
            scale = min(target_width / width, target_height / height)
            resized = sampled = (
                min(target_width, max(1, round(width * scale))),
                min(target_height, max(1, round(height * scale))),
            )
        stored_box = _stored_box(box, source, orientation)
        stored_size = _oriented(resized, orientation)
        return cls(source, target, box, resized, sampled, stored_box, stored_size)

    def resample(self, pixels: _Pixels) -> _Pixels:
        """This output's region resampled from `pixels` to `resized`, in the stored orientation
        (only the small result is turned upright, by the caller).

        A reduced decode's size is rounded up (a 2508-pixel row at 1/8 gives 314 pixels, the
        last one from half a block), so the box is mapped by the scale, not by the ratio of
        sizes: that would stretch the picture by a fraction of a pixel.
        """
        box = pixels.box(self.stored_box)
        resized = pixels.image.resize(
            self.stored_size, FINAL_FILTER, box=box, reducing_gap=REDUCING_GAP
        )
        origin = (self.stored_box[0], self.stored_box[1])
        return _Pixels(resized, origin, self.stored_scale)

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
