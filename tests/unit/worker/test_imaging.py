"""The pure image work: every kind of input to exact-size RGB outputs, bad input refused."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable, Iterator

import pytest
from PIL import Image, ImageChops, ImageFile, ImageOps, ImageStat

from contract.values import ResizeMode
from tests.support import images
from worker import warnings_log
from worker.colour import ALPHA_BACKGROUND
from worker.decoding import SUPPORTED_FORMATS
from worker.encoding import ImageFormat
from worker.imaging import PAD_COLOUR, Processed, ResizeSpec, process_image
from worker.rejection import FileRejected, Rejection

SQUARE = ResizeSpec(sizes=((224, 224),), mode=ResizeMode.STRETCH, quality=90)


def spec(*sizes: tuple[int, int], mode: ResizeMode = ResizeMode.STRETCH) -> ResizeSpec:
    return ResizeSpec(sizes, mode, 90)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def only(data: bytes, resize: ResizeSpec, output: ImageFormat = ImageFormat.PNG) -> Image.Image:
    """The decoded single output of processing `data`."""
    (encoded,) = process_image(data, output, resize).outputs
    return decode(encoded.data)


def psnr(first: Image.Image, second: Image.Image) -> float:
    squared = [rms**2 for rms in ImageStat.Stat(ImageChops.difference(first, second)).rms]
    mse = sum(squared) / len(squared)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def two_colour(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: shows where the left edge ended up."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return image


def quadrants(size: tuple[int, int]) -> Image.Image:
    """Four colours, one per quadrant, and a white mark near the top left: no turn or mirror of
    it looks like another."""
    width, height = size
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height // 2))
    image.paste((0, 255, 0), (width // 2, 0, width, height // 2))
    image.paste((255, 255, 0), (0, height // 2, width // 2, height))
    image.paste((255, 255, 255), (width // 8, height // 8, width // 4, height // 4))
    return image


@pytest.mark.parametrize("name", sorted(images.GOOD_FILES))
@pytest.mark.parametrize("output", list(ImageFormat))
def test_every_good_kind_becomes_exact_size_rgb_images(name: str, output: ImageFormat) -> None:
    # GIVEN one file of each kind (baseline, progressive, EXIF-rotated, CMYK, grey, palette,
    # alpha, 16-bit)
    data = images.GOOD_FILES[name]()
    # WHEN it is processed to two sizes
    processed = process_image(data, output, spec((50, 30), (20, 40)))
    # THEN each output is exactly its size, RGB, in the requested format
    assert [encoded.size for encoded in processed.outputs] == [(50, 30), (20, 40)]
    for encoded in processed.outputs:
        result = decode(encoded.data)
        assert (result.size, result.mode, result.format) == (encoded.size, "RGB", output.value)
        assert encoded.image_format is output


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("zero-bytes.jpg", Rejection.EMPTY),
        ("text.jpg", Rejection.NOT_AN_IMAGE),
        ("truncated.jpg", Rejection.TRUNCATED),
        ("corrupt.jpg", Rejection.CORRUPT),
        ("bomb.png", Rejection.DECOMPRESSION_BOMB),
        ("truncated.png", Rejection.TRUNCATED),
        ("broken-pixel-data.png", Rejection.CORRUPT),
        ("apng-without-an-image.png", Rejection.CORRUPT),
        ("text-bomb.png", Rejection.DECOMPRESSION_BOMB),
        ("zero-width.gif", Rejection.CORRUPT),
        ("two-bit.bmp", Rejection.UNSUPPORTED),
    ],
)
def test_bad_files_are_rejected_with_their_reason(name: str, reason: Rejection) -> None:
    # GIVEN the warning filter the worker's entry point installs
    with warnings.catch_warnings(), pytest.raises(FileRejected) as raised:
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        process_image(images.BAD_FILES[name](), ImageFormat.JPEG, SQUARE)
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
        process_image(bomb, ImageFormat.PNG, SQUARE)
    # THEN the file is still refused as a bomb
    assert raised.value.reason is Rejection.DECOMPRESSION_BOMB


def test_formats_outside_the_supported_list_are_not_decoded() -> None:
    # GIVEN a perfectly valid TIFF (a decoder the worker does not enable)
    tiff = images.encode(images.photo(), "TIFF")
    assert "TIFF" not in SUPPORTED_FORMATS
    with pytest.raises(FileRejected) as raised:
        process_image(tiff, ImageFormat.JPEG, SQUARE)
    assert raised.value.reason is Rejection.NOT_AN_IMAGE


def test_exif_orientation_is_applied() -> None:
    # GIVEN a picture displayed red-left/blue-right, stored turned 90 degrees with orientation 6
    shown = two_colour((80, 40))
    stored = shown.transpose(Image.Transpose.ROTATE_90)  # what the camera wrote
    exif = Image.Exif()
    exif[0x0112] = images.Orientation.ROTATED_270_CW
    data = images.encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    # WHEN processed
    processed = process_image(data, ImageFormat.PNG, spec((40, 20)))
    # THEN it is upright: red on the left, blue on the right, and the facts say so
    result = decode(processed.outputs[0].data)
    assert result.getpixel((5, 10)) == pytest.approx((255, 0, 0), abs=40)
    assert result.getpixel((35, 10)) == pytest.approx((0, 0, 255), abs=40)
    assert processed.facts["exif_orientation"] == 6
    assert processed.facts["source_size"] == [80, 40]


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("mode", list(ResizeMode))
@pytest.mark.parametrize("source_format", ["PNG", "JPEG"])
def test_every_orientation_and_mode_matches_orienting_the_full_image_first(
    orientation: int, mode: ResizeMode, source_format: str
) -> None:
    # GIVEN an asymmetric picture stored with each EXIF orientation (PNGs resize at full size,
    # JPEGs after a reduced decode)
    upright = quadrants((240, 160))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = images.encode(STORED_AS[orientation](upright), source_format, exif=exif.tobytes())
    shown = ImageOps.exif_transpose(decode(data)).convert("RGB")
    assert psnr(shown, upright) > 30  # the fixture is right: Pillow shows it upright
    # WHEN it is resized, to two sizes of different shapes
    sizes = ((60, 30), (24, 48))
    processed = process_image(data, ImageFormat.PNG, spec(*sizes, mode=mode))
    # THEN each output is what resizing Pillow's upright full decode gives
    for encoded, size in zip(processed.outputs, sizes, strict=True):
        assert psnr(decode(encoded.data), reference(shown, mode, size)) > 35


def _transposed(method: Image.Transpose) -> Callable[[Image.Image], Image.Image]:
    return lambda image: image.transpose(method)


STORED_AS: dict[int, Callable[[Image.Image], Image.Image]] = {
    1: lambda image: image,
    2: _transposed(Image.Transpose.FLIP_LEFT_RIGHT),
    3: _transposed(Image.Transpose.ROTATE_180),
    4: _transposed(Image.Transpose.FLIP_TOP_BOTTOM),
    5: _transposed(Image.Transpose.TRANSPOSE),
    6: _transposed(Image.Transpose.ROTATE_90),
    7: _transposed(Image.Transpose.TRANSVERSE),
    8: _transposed(Image.Transpose.ROTATE_270),
}
"""What a camera stores so that applying each EXIF orientation shows the upright picture."""


def reference(image: Image.Image, mode: ResizeMode, size: tuple[int, int]) -> Image.Image:
    lanczos = Image.Resampling.LANCZOS
    if mode is ResizeMode.STRETCH:
        return image.resize(size, lanczos)
    if mode is ResizeMode.CROP:
        return ImageOps.fit(image, size, lanczos)
    return ImageOps.pad(image, size, lanczos, color=PAD_COLOUR)


def test_transparent_pixels_become_white() -> None:
    result = only(images.rgba_png((64, 32)), SQUARE)
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
    result = only(images.palette_png(), spec(source.size))
    assert result.getpixel(at) == ALPHA_BACKGROUND


def test_an_rgb_colour_key_is_flattened_and_not_written_out() -> None:
    # GIVEN an RGB PNG whose tRNS chunk makes one colour transparent, and a box of that colour
    data = images.rgb_png_with_colour_key()
    left, top, right, bottom = images.KEYED_BOX
    # WHEN processed at its own size
    result = only(data, spec((32, 24)))
    # THEN the box is white, the rest keeps its picture, and no tRNS chunk is written
    assert result.getpixel(((left + right) // 2, (top + bottom) // 2)) == ALPHA_BACKGROUND
    assert result.getpixel((2, 2)) == pytest.approx(images.photo((32, 24)).getpixel((2, 2)), abs=3)
    assert "transparency" not in result.info


def test_a_one_bit_png_with_a_transparent_value_succeeds_as_png() -> None:
    # GIVEN a 1-bit PNG, white left, black (transparent) right, under a .png key
    result = only(images.one_bit_png_with_transparency(), spec((32, 24)))
    # THEN it is written, its transparent half white like the rest
    assert result.getextrema() == ((255, 255),) * 3


def test_sixteen_bit_grey_keeps_its_transparent_value_and_its_range() -> None:
    # GIVEN a full-range 16-bit grey PNG whose box holds the transparent (near-black) value
    data = images.png_16bit_with_transparent_value()
    left, top, right, bottom = images.KEYED_BOX
    result = only(data, spec((32, 24)))
    # THEN the box is white and the rest is its 8-bit picture, not black
    assert result.getpixel(((left + right) // 2, (top + bottom) // 2)) == ALPHA_BACKGROUND
    expected = images.photo((32, 24)).convert("L").convert("RGB")
    assert result.getpixel((2, 2)) == pytest.approx(expected.getpixel((2, 2)), abs=2)


def test_a_bmp_whose_alpha_is_all_zero_shows_its_picture() -> None:
    # GIVEN a 32-bit BMP with an alpha mask and every alpha byte zero
    result = only(images.bmp_with_zero_alpha(), spec((32, 24)))
    # THEN the alpha is read as absent (as browsers and Pillow's own tests do), not as blank
    assert psnr(result, images.photo((32, 24))) > 40


def test_sixteen_bit_samples_are_scaled_not_clipped() -> None:
    # GIVEN a 16-bit grey image spanning the full range
    result = only(images.png_16bit(), spec((96, 64)))
    expected = images.photo().convert("L").convert("RGB")
    # THEN it matches its 8-bit version (clipping would turn nearly all of it white)
    assert psnr(result, expected) > 40


def test_cmyk_and_grayscale_keep_their_picture() -> None:
    reference_photo = images.photo()
    cmyk = only(images.cmyk_jpeg(), spec(reference_photo.size))
    grey = only(images.grayscale_jpeg(), spec(reference_photo.size))
    assert psnr(cmyk, reference_photo) > 25
    assert psnr(grey, reference_photo.convert("L").convert("RGB")) > 25


def test_an_icc_profile_is_applied_then_dropped() -> None:
    # GIVEN a flat grey 128 in linear light (its ICC profile says so), and the same untagged
    tagged = images.grey_png_in_linear_light(128)
    untagged = images.encode(Image.new("RGB", (16, 16), (128, 128, 128)), "PNG")
    # WHEN both are processed
    converted = process_image(tagged, ImageFormat.PNG, spec((8, 8)))
    result = decode(converted.outputs[0].data)
    # THEN the tagged one is converted to sRGB (128 linear is 188 in sRGB) and carries no
    # profile; the untagged one is left as it is
    assert result.getpixel((4, 4)) == pytest.approx((188, 188, 188), abs=2)
    assert "icc_profile" not in result.info
    assert converted.facts["icc_profile"] is True
    assert only(untagged, spec((8, 8))).getpixel((4, 4)) == (128, 128, 128)


def test_a_broken_icc_profile_keeps_the_pixels_and_says_so() -> None:
    image = Image.new("RGB", (16, 16), (128, 128, 128))
    data = images.encode(image, "PNG", icc_profile=b"not a profile at all")
    processed = process_image(data, ImageFormat.PNG, spec((8, 8), (4, 4)))
    assert decode(processed.outputs[0].data).getpixel((4, 4)) == (128, 128, 128)
    # Once, however many sizes are made.
    (warning,) = processed.warnings
    assert warning.startswith("ICC profile not applied")


@pytest.mark.parametrize("output", list(ImageFormat))
def test_outputs_carry_no_metadata(output: ImageFormat) -> None:
    # GIVEN a JPEG with a comment, EXIF and an ICC profile
    exif = Image.Exif()
    exif[0x010E] = "a description"  # ImageDescription
    data = images.encode(
        images.photo(),
        "JPEG",
        comment=b"File written by a camera",
        exif=exif.tobytes(),
        icc_profile=images.linear_rgb_profile(),
    )
    result = only(data, spec((32, 24)), output)
    # THEN the output holds pixels only
    assert not {"comment", "exif", "icc_profile", "xmp", "transparency"} & set(result.info)
    assert not result.getexif()


def test_gif_comments_are_not_copied() -> None:
    data = images.encode(images.photo().quantize(16), "GIF", comment=b"made with a GIF tool")
    assert "comment" not in only(data, spec((32, 24)), ImageFormat.JPEG).info


@pytest.fixture
def warnings_routed() -> Iterator[None]:
    """The worker's warning set-up (worker.__main__ installs it), undone afterwards."""
    with warnings.catch_warnings():
        warnings_log.install()
        yield


@pytest.mark.usefixtures("warnings_routed")
def test_a_warning_the_decoder_recovers_from_goes_with_the_result() -> None:
    processed = process_image(images.apng_with_a_bad_frame_count(), ImageFormat.PNG, SQUARE)
    assert any("Invalid APNG" in warning for warning in processed.warnings)


@pytest.mark.usefixtures("warnings_routed")
def test_a_warning_before_a_rejection_goes_with_the_rejection() -> None:
    with pytest.raises(FileRejected) as raised:
        process_image(images.apng_without_an_image(), ImageFormat.PNG, SQUARE)
    assert any("Invalid APNG" in warning for warning in raised.value.warnings)


def test_crop_fills_the_target_from_the_centre() -> None:
    # GIVEN a wide image: red | green | blue thirds
    wide = Image.new("RGB", (300, 100), (0, 0, 255))
    wide.paste((255, 0, 0), (0, 0, 100, 100))
    wide.paste((0, 255, 0), (100, 0, 200, 100))
    # WHEN cropped to a square
    result = only(images.encode(wide, "PNG"), spec((50, 50), mode=ResizeMode.CROP))
    # THEN only the green centre remains, edge to edge
    assert result.getpixel((1, 25)) == pytest.approx((0, 255, 0), abs=8)
    assert result.getpixel((48, 25)) == pytest.approx((0, 255, 0), abs=8)


def test_pad_fits_and_letterboxes() -> None:
    # GIVEN a white image twice as wide as tall
    data = images.encode(Image.new("RGB", (200, 100), (255, 255, 255)), "PNG")
    # WHEN padded into a square
    result = only(data, spec((50, 50), mode=ResizeMode.PAD))
    # THEN the picture spans the width, centred, with bars above and below
    assert result.size == (50, 50)
    assert result.getpixel((25, 25)) == (255, 255, 255)
    assert result.getpixel((25, 2)) == PAD_COLOUR
    assert result.getpixel((25, 47)) == PAD_COLOUR
    assert result.getpixel((1, 25)) == (255, 255, 255)


def test_stretch_ignores_aspect_ratio() -> None:
    result = only(images.encode(two_colour((300, 100)), "PNG"), spec((40, 40)))
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
    # WHEN processed to both common training sizes in one pass (PNG output, so the comparison
    # sees the resize, not JPEG encoding)
    sizes = ((224, 224), (299, 299))
    processed = process_image(data, ImageFormat.PNG, spec(*sizes, mode=mode))
    # THEN the decoder was asked for a reduced scale, and every size matches Pillow's own
    # LANCZOS resize of the full decode (ImageOps.fit and ImageOps.pad for crop and pad)
    assert processed.facts["dct_scale"] != "1/1"
    full = ImageOps.exif_transpose(decode(data)).convert("RGB")
    for encoded, target in zip(processed.outputs, sizes, strict=True):
        assert psnr(decode(encoded.data), reference(full, mode, target)) >= 45


@pytest.mark.parametrize(
    ("sizes", "sources"),
    [
        # 299x299 is fine enough for 224x224 (1.33 times its scale): the decode (960x540 at 1/2,
        # halved in width by a box reduce) is resampled once
        (((224, 224), (299, 299)), [(480, 540), (299, 299)]),
        # 240x240 is not (1.07 times): both sizes are resampled from the decode
        (((224, 224), (240, 240)), [(480, 540), (480, 540)]),
    ],
)
@pytest.mark.parametrize(
    "orientation", [images.Orientation.NORMAL, images.Orientation.ROTATED_270_CW]
)
def test_a_smaller_size_is_resampled_from_a_larger_ones_pixels_when_they_are_fine_enough(
    monkeypatch: pytest.MonkeyPatch,
    sizes: tuple[tuple[int, int], ...],
    sources: list[tuple[int, int]],
    orientation: images.Orientation,
) -> None:
    # GIVEN a 1080p photo-like JPEG (stored 1920x1080; shown 1080x1920 when rotated)
    data = images.jpeg((1920, 1080), seed=3, quality=92, orientation=orientation)
    resized_from: list[tuple[int, int]] = []
    resize = Image.Image.resize

    def spy(image: Image.Image, *args: object, **kwargs: object) -> Image.Image:
        resized_from.append(image.size)
        return resize(image, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Image.Image, "resize", spy)
    # WHEN it is processed to two sizes
    processed = process_image(data, ImageFormat.PNG, spec(*sizes))
    monkeypatch.undo()
    # THEN each resize started from the expected pixels, largest size first (in the stored
    # orientation: only the results are turned upright)
    assert resized_from == sources
    # and every size still matches Pillow's LANCZOS resize of the full decode, upright
    full = ImageOps.exif_transpose(decode(data)).convert("RGB")
    for encoded, target in zip(processed.outputs, sizes, strict=True):
        assert psnr(decode(encoded.data), reference(full, ResizeMode.STRETCH, target)) >= 45


def test_one_decode_serves_every_size_at_the_scale_the_largest_needs() -> None:
    data = images.jpeg((2400, 1600), seed=2)
    small = process_image(data, ImageFormat.JPEG, spec((224, 224)))
    both = process_image(data, ImageFormat.JPEG, spec((224, 224), (600, 400)))
    assert (small.facts["dct_scale"], both.facts["dct_scale"]) == ("1/4", "1/2")


@pytest.mark.parametrize("output", list(ImageFormat))
def test_outputs_are_byte_identical_for_identical_input(output: ImageFormat) -> None:
    data = images.jpeg((640, 480), progressive=True)
    first = process_image(data, output, spec((224, 224), (299, 299)))
    second = process_image(data, output, spec((224, 224), (299, 299)))
    assert first == second


def test_processed_results_compare_by_value() -> None:
    # (the redelivery test above relies on it)
    assert Processed((), {}) == Processed((), {})


def test_partly_transparent_palette_entries_blend_with_white() -> None:
    # GIVEN a palette PNG: entry 0 red at alpha 128, entry 1 blue opaque, left half entry 0
    image = Image.new("P", (16, 8), 1)
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.paste(0, (0, 0, 8, 8))
    data = images.encode(image, "PNG", transparency=bytes([128, 255]))
    result = only(data, spec((16, 8)))
    # THEN the half-transparent red is pink (half red, half white) and the blue is untouched
    assert result.getpixel((2, 4)) == pytest.approx((255, 127, 127), abs=2)
    assert result.getpixel((13, 4)) == (0, 0, 255)
