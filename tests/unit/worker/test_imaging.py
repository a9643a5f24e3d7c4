"""The pure image work: every kind of input to an exact-size RGB output, bad input refused."""

from __future__ import annotations

import io
import math
import warnings

import pytest
from PIL import Image, ImageChops, ImageFile, ImageOps, ImageStat

from contract.values import ResizeMode
from tests.support import images
from worker.imaging import (
    ALPHA_BACKGROUND,
    PAD_COLOUR,
    SUPPORTED_FORMATS,
    OutputFormat,
    ResizeSpec,
    output_format_for,
    process_image,
)
from worker.rejection import FileRejected, Rejection

SQUARE = ResizeSpec(size=(224, 224), mode=ResizeMode.STRETCH, jpeg_quality=90)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def psnr(first: Image.Image, second: Image.Image) -> float:
    squared = [rms**2 for rms in ImageStat.Stat(ImageChops.difference(first, second)).rms]
    mse = sum(squared) / len(squared)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def two_colour(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: shows where the left edge ended up."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return image


@pytest.mark.parametrize("name", sorted(images.GOOD_FILES))
@pytest.mark.parametrize("output", list(OutputFormat))
def test_every_good_kind_becomes_an_exact_size_rgb_image(name: str, output: OutputFormat) -> None:
    # GIVEN one file of each kind (baseline, progressive, EXIF-rotated, CMYK, grey, palette,
    # alpha, 16-bit)
    data = images.GOOD_FILES[name]()
    # WHEN it is processed
    processed = process_image(data, output, ResizeSpec((50, 30), ResizeMode.STRETCH, 90))
    # THEN the output is exactly the target size, RGB, in the requested format
    result = decode(processed.data)
    assert (result.size, result.mode, result.format) == ((50, 30), "RGB", output.value)
    assert processed.facts["output_size"] == [50, 30]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("zero-bytes.jpg", Rejection.EMPTY),
        ("text.jpg", Rejection.NOT_AN_IMAGE),
        ("truncated.jpg", Rejection.TRUNCATED),
        ("corrupt.jpg", Rejection.CORRUPT),
        ("bomb.png", Rejection.DECOMPRESSION_BOMB),
    ],
)
def test_bad_files_are_rejected_with_their_reason(name: str, reason: Rejection) -> None:
    # GIVEN the warning filter the worker's entry point installs
    with warnings.catch_warnings(), pytest.raises(FileRejected) as raised:
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        process_image(images.BAD_FILES[name](), OutputFormat.JPEG, SQUARE)
    assert raised.value.reason is reason
    assert str(raised.value).startswith(reason.value)


def test_truncated_images_stay_rejected_process_wide() -> None:
    # The decoder's refusal of short files rests on Pillow's default; nothing may flip it.
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_bomb_in_the_warning_band_is_refused_even_when_warnings_are_ignored() -> None:
    # GIVEN a process whose warning filters ignore Pillow's bomb warning
    bomb = images.decompression_bomb()
    pixels = images.BOMB_SIZE[0] * images.BOMB_SIZE[1]
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS < pixels < 2 * Image.MAX_IMAGE_PIXELS
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(FileRejected) as raised:
        process_image(bomb, OutputFormat.PNG, SQUARE)
    # THEN the file is still refused as a bomb
    assert raised.value.reason is Rejection.DECOMPRESSION_BOMB


def test_formats_outside_the_supported_list_are_not_decoded() -> None:
    # GIVEN a perfectly valid TIFF (a decoder the worker does not enable)
    tiff = images.encode(images.photo(), "TIFF")
    assert "TIFF" not in SUPPORTED_FORMATS
    with pytest.raises(FileRejected) as raised:
        process_image(tiff, OutputFormat.JPEG, SQUARE)
    assert raised.value.reason is Rejection.NOT_AN_IMAGE


def test_exif_orientation_is_applied() -> None:
    # GIVEN a picture displayed red-left/blue-right, stored turned 90 degrees with orientation 6
    shown = two_colour((80, 40))
    stored = shown.transpose(Image.Transpose.ROTATE_90)  # what the camera wrote
    exif = Image.Exif()
    exif[0x0112] = images.Orientation.ROTATED_270_CW
    data = images.encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    # WHEN processed
    processed = process_image(data, OutputFormat.PNG, ResizeSpec((40, 20), ResizeMode.STRETCH, 90))
    # THEN it is upright: red on the left, blue on the right, and the facts say so
    result = decode(processed.data)
    assert result.getpixel((5, 10)) == pytest.approx((255, 0, 0), abs=40)
    assert result.getpixel((35, 10)) == pytest.approx((0, 0, 255), abs=40)
    assert processed.facts["exif_orientation"] == 6
    assert processed.facts["source_size"] == [80, 40]


def test_transparent_pixels_become_white() -> None:
    processed = process_image(images.rgba_png((64, 32)), OutputFormat.PNG, SQUARE)
    result = decode(processed.data)
    # The left half of the source was fully transparent.
    assert result.getpixel((10, 112)) == ALPHA_BACKGROUND


def test_palette_transparency_becomes_white() -> None:
    source = Image.open(io.BytesIO(images.palette_png()))
    transparent = source.info["transparency"]
    at = next(
        (x, y)
        for y in range(source.height)
        for x in range(source.width)
        if source.getpixel((x, y)) == transparent
    )
    spec = ResizeSpec(source.size, ResizeMode.STRETCH, 90)
    result = decode(process_image(images.palette_png(), OutputFormat.PNG, spec).data)
    assert result.getpixel(at) == ALPHA_BACKGROUND


def test_sixteen_bit_samples_are_scaled_not_clipped() -> None:
    # GIVEN a 16-bit grey image spanning the full range
    spec = ResizeSpec((96, 64), ResizeMode.STRETCH, 90)
    result = decode(process_image(images.png_16bit(), OutputFormat.PNG, spec).data)
    expected = images.photo().convert("L").convert("RGB")
    # THEN it matches its 8-bit version (clipping would turn nearly all of it white)
    assert psnr(result, expected) > 40


def test_cmyk_and_grayscale_keep_their_picture() -> None:
    reference = images.photo()
    spec = ResizeSpec(reference.size, ResizeMode.STRETCH, 95)
    cmyk = decode(process_image(images.cmyk_jpeg(), OutputFormat.PNG, spec).data)
    grey = decode(process_image(images.grayscale_jpeg(), OutputFormat.PNG, spec).data)
    assert psnr(cmyk, reference) > 25
    assert psnr(grey, reference.convert("L").convert("RGB")) > 25


def test_crop_fills_the_target_from_the_centre() -> None:
    # GIVEN a wide image: red | green | blue thirds
    wide = Image.new("RGB", (300, 100), (0, 0, 255))
    wide.paste((255, 0, 0), (0, 0, 100, 100))
    wide.paste((0, 255, 0), (100, 0, 200, 100))
    data = images.encode(wide, "PNG")
    # WHEN cropped to a square
    result = decode(
        process_image(data, OutputFormat.PNG, ResizeSpec((50, 50), ResizeMode.CROP, 90)).data
    )
    # THEN only the green centre remains, edge to edge
    assert result.getpixel((1, 25)) == pytest.approx((0, 255, 0), abs=8)
    assert result.getpixel((48, 25)) == pytest.approx((0, 255, 0), abs=8)


def test_pad_fits_and_letterboxes() -> None:
    # GIVEN a white image twice as wide as tall
    data = images.encode(Image.new("RGB", (200, 100), (255, 255, 255)), "PNG")
    # WHEN padded into a square
    result = decode(
        process_image(data, OutputFormat.PNG, ResizeSpec((50, 50), ResizeMode.PAD, 90)).data
    )
    # THEN the picture spans the width, centred, with bars above and below
    assert result.size == (50, 50)
    assert result.getpixel((25, 25)) == (255, 255, 255)
    assert result.getpixel((25, 2)) == PAD_COLOUR
    assert result.getpixel((25, 47)) == PAD_COLOUR
    assert result.getpixel((1, 25)) == (255, 255, 255)


def test_stretch_ignores_aspect_ratio() -> None:
    data = images.encode(two_colour((300, 100)), "PNG")
    result = decode(
        process_image(data, OutputFormat.PNG, ResizeSpec((40, 40), ResizeMode.STRETCH, 90)).data
    )
    assert result.getpixel((2, 20)) == pytest.approx((255, 0, 0), abs=8)
    assert result.getpixel((37, 20)) == pytest.approx((0, 0, 255), abs=8)


@pytest.mark.parametrize("mode", list(ResizeMode))
@pytest.mark.parametrize(
    "size",
    # 2868 is the worst case: 1/8 scale leaves just DRAFT_MIN_RATIO over 224
    [(2868, 2868), (1800, 1200), (1920, 1080), (1080, 1920)],
)
def test_reduced_dct_decode_stays_within_45_db_of_a_full_lanczos(
    mode: ResizeMode, size: tuple[int, int]
) -> None:
    # GIVEN a large photo-like JPEG, including sizes just above a DCT scale step
    data = images.jpeg(size, seed=3, quality=92)
    spec = ResizeSpec((224, 224), mode, 90)
    # WHEN processed (PNG output, so the comparison sees the resize, not JPEG encoding)
    processed = process_image(data, OutputFormat.PNG, spec)
    # THEN the decoder was asked for a reduced scale, and the pixels match Pillow's own
    # LANCZOS resize of the full decode (ImageOps.fit and ImageOps.pad for crop and pad)
    assert processed.facts["dct_scale"] != "1/1"
    assert psnr(decode(processed.data), reference(data, mode)) >= 45


def reference(data: bytes, mode: ResizeMode) -> Image.Image:
    full = ImageOps.exif_transpose(decode(data)).convert("RGB")
    lanczos = Image.Resampling.LANCZOS
    if mode is ResizeMode.STRETCH:
        return full.resize((224, 224), lanczos)
    if mode is ResizeMode.CROP:
        return ImageOps.fit(full, (224, 224), lanczos)
    return ImageOps.pad(full, (224, 224), lanczos, color=PAD_COLOUR)


def test_outputs_are_byte_identical_for_identical_input() -> None:
    data = images.jpeg((640, 480), progressive=True)
    first = process_image(data, OutputFormat.JPEG, SQUARE)
    second = process_image(data, OutputFormat.JPEG, SQUARE)
    assert first.data == second.data
    assert first.facts == second.facts


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a/b.png", OutputFormat.PNG),
        ("a/b.PNG", OutputFormat.PNG),
        ("a/b.jpg", OutputFormat.JPEG),
        ("a/b.jpeg", OutputFormat.JPEG),
        ("a/b.webp", OutputFormat.JPEG),
        ("a/png", OutputFormat.JPEG),
    ],
)
def test_output_format_follows_the_key_extension(key: str, expected: OutputFormat) -> None:
    assert output_format_for(key) is expected
