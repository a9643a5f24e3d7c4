"""Several sizes from one decode, and what each output format costs.

Run: ``venv/bin/python -m bench.output_sizes [--repeats N]``.

On the 12 MP and 1080p (2 MP) JPEGs of bench.worker_corpus, pinned to one CPU:
- one pass: ``process_image`` with sizes 224x224 and 299x299 (one decode, at the DCT scale the
  larger needs), against two passes, one per size (what a second pipeline over the same uploads
  would cost); interleaved file by file, fastest of the repeats. Goal: one pass <= 0.65 of two.
- files/s per output format, the whole file at 224x224 (decode included, as the worker does it);
- each format's encoder alone on the 224x224 outputs of the corpus: ms and KB per image and the
  worst PSNR against the pixels encoded, PNG at the worker's zlib level and at Pillow's default
  (6), WebP at the worker's method and at libwebp's default (4) and smallest (6);
- the cost of an ICC profile: the same files with an sRGB profile embedded, against without.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageCms

from bench.worker_corpus import CorpusFile, load
from contract.values import ResizeMode
from worker.encoding import PNG_COMPRESS_LEVEL, WEBP_METHOD, ImageFormat
from worker.imaging import ResizeSpec, process_image

SMALL, LARGE = (224, 224), (299, 299)
QUALITY = 90
GOAL_ONE_PASS = 0.65
KINDS = ("12MP", "1080p")


def spec(*sizes: tuple[int, int]) -> ResizeSpec:
    return ResizeSpec(sizes, ResizeMode.STRETCH, QUALITY)


def one_pass(data: bytes) -> None:
    process_image(data, ImageFormat.JPEG, spec(SMALL, LARGE))


def two_passes(data: bytes) -> None:
    process_image(data, ImageFormat.JPEG, spec(SMALL))
    process_image(data, ImageFormat.JPEG, spec(LARGE))


def per_format(output: ImageFormat) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        process_image(data, output, spec(SMALL))

    return run


def timed(
    methods: dict[str, Callable[[bytes], None]], corpus: list[CorpusFile], repeats: int
) -> dict[str, dict[str, float]]:
    """method -> file -> fastest of the repeats in seconds, the methods interleaved file by file
    so a burst of load from elsewhere on the machine lands on all of them alike; the fastest run
    is the one least disturbed by that load (the cores are shared)."""
    for file in corpus:  # warm-up: first-call costs (plugin imports, allocations) excluded
        for run in methods.values():
            run(file.data)
    samples: dict[str, dict[str, list[float]]] = {method: {} for method in methods}
    for _ in range(repeats):
        for file in corpus:
            for method, run in methods.items():
                started = time.perf_counter()
                run(file.data)
                samples[method].setdefault(file.spec.name, []).append(time.perf_counter() - started)
    return {
        method: {name: min(times) for name, times in by_file.items()}
        for method, by_file in samples.items()
    }


def sizes_report(corpus: list[CorpusFile], repeats: int) -> list[tuple[str, bool]]:
    seconds = timed({"one pass": one_pass, "two passes": two_passes}, corpus, repeats)
    print(f"\nTwo sizes ({SMALL[0]}x{SMALL[1]} and {LARGE[0]}x{LARGE[1]}): one pass vs two")
    header = f"{'class':<8}{'files':>6}{'one pass ms':>13}{'two passes ms':>15}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    goals = []
    for kind in KINDS:
        names = [file.spec.name for file in corpus if file.spec.kind == kind]
        one = statistics.mean(seconds["one pass"][name] for name in names) * 1000
        two = statistics.mean(seconds["two passes"][name] for name in names) * 1000
        ratio = one / two
        print(f"{kind:<8}{len(names):>6}{one:>13.1f}{two:>15.1f}{ratio:>8.2f}")
        goals.append(
            (f"{kind}: one pass <= {GOAL_ONE_PASS} of two ({ratio:.2f})", ratio <= GOAL_ONE_PASS)
        )
    return goals


def formats_report(corpus: list[CorpusFile], repeats: int) -> None:
    methods = {output.value: per_format(output) for output in ImageFormat}
    seconds = timed(methods, corpus, repeats)
    print(f"\nWhole file to {SMALL[0]}x{SMALL[1]}, per output format (files/s)")
    header = f"{'class':<8}" + "".join(f"{output.value:>10}" for output in ImageFormat)
    print(header)
    print("-" * len(header))
    for kind in KINDS:
        names = [file.spec.name for file in corpus if file.spec.kind == kind]
        rates = [len(names) / sum(seconds[o.value][n] for n in names) for o in ImageFormat]
        print(f"{kind:<8}" + "".join(f"{rate:>10.1f}" for rate in rates))


ENCODERS: dict[str, dict[str, object]] = {
    "JPEG q90": {"format": "JPEG", "quality": QUALITY},
    f"PNG level {PNG_COMPRESS_LEVEL} (worker)": {
        "format": "PNG",
        "compress_level": PNG_COMPRESS_LEVEL,
    },
    "PNG level 6 (Pillow default)": {"format": "PNG", "compress_level": 6},
    f"WebP q90 method {WEBP_METHOD} (worker)": {
        "format": "WEBP",
        "quality": QUALITY,
        "method": WEBP_METHOD,
    },
    "WebP q90 method 4 (libwebp default)": {"format": "WEBP", "quality": QUALITY, "method": 4},
    "WebP q90 method 6": {"format": "WEBP", "quality": QUALITY, "method": 6},
}


def encoders_report(corpus: list[CorpusFile], repeats: int) -> None:
    # The encoders' input: the corpus's 224x224 outputs, decoded back to pixels.
    pictures = []
    for file in corpus:
        (encoded,) = process_image(file.data, ImageFormat.PNG, spec(SMALL)).outputs
        pictures.append(Image.open(io.BytesIO(encoded.data)).convert("RGB"))
    print(f"\nEncoding a {SMALL[0]}x{SMALL[1]} output (mean over {len(pictures)} pictures)")
    header = f"{'encoder':<34}{'ms':>8}{'KB':>8}{'PSNR dB':>9}{'vs JPEG time':>14}"
    print(header)
    print("-" * len(header))
    results = {}
    for label, options in ENCODERS.items():
        settings = dict(options)
        image_format = str(settings.pop("format"))
        times, sizes, quality = [], [], []
        for _ in range(repeats):
            for picture in pictures:
                buffer = io.BytesIO()
                started = time.perf_counter()
                picture.save(buffer, image_format, **settings)
                times.append(time.perf_counter() - started)
                sizes.append(len(buffer.getvalue()))
                quality.append(psnr(Image.open(buffer).convert("RGB"), picture))
        results[label] = (
            statistics.median(times) * 1000,
            statistics.mean(sizes) / 1024,
            min(quality),
        )
    jpeg_ms = results["JPEG q90"][0]
    for label, (ms, kb, db) in results.items():
        print(f"{label:<34}{ms:>8.2f}{kb:>8.1f}{db:>9.1f}{ms / jpeg_ms:>13.1f}x")


def psnr(produced: Image.Image, reference: Image.Image) -> float:
    difference = np.asarray(produced, np.float64) - np.asarray(reference, np.float64)
    mse = float(np.mean(difference**2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def with_icc_profile(data: bytes) -> bytes:
    """The JPEG `data` with an sRGB ICC profile embedded (an APP2 segment after SOI), as most
    camera and phone JPEGs carry one."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    body = b"ICC_PROFILE\0" + bytes((1, 1)) + profile
    segment = b"\xff\xe2" + (len(body) + 2).to_bytes(2, "big") + body
    return data[:2] + segment + data[2:]


def icc_report(corpus: list[CorpusFile], repeats: int) -> None:
    tagged = {file.data: with_icc_profile(file.data) for file in corpus}

    def untagged(data: bytes) -> None:
        process_image(data, ImageFormat.JPEG, spec(SMALL))

    def icc_tagged(data: bytes) -> None:
        process_image(tagged[data], ImageFormat.JPEG, spec(SMALL))

    seconds = timed({"untagged": untagged, "ICC-tagged": icc_tagged}, corpus, repeats)
    print(f"\nAn ICC profile applied (to sRGB, on the {SMALL[0]}x{SMALL[1]} output): ms per file")
    header = f"{'class':<8}{'untagged':>10}{'ICC-tagged':>12}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for kind in KINDS:
        names = [file.spec.name for file in corpus if file.spec.kind == kind]
        plain_ms = statistics.mean(seconds["untagged"][n] for n in names) * 1000
        tagged_ms = statistics.mean(seconds["ICC-tagged"][n] for n in names) * 1000
        print(f"{kind:<8}{plain_ms:>10.1f}{tagged_ms:>12.1f}{tagged_ms / plain_ms:>8.2f}")


def pin_to_one_cpu() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    corpus = [file for file in load() if file.spec.kind in KINDS]
    cpu = pin_to_one_cpu()
    print(
        f"pinned to CPU {cpu}; {len(corpus)} files; {repeats} repeats; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    try:
        goals = sizes_report(corpus, repeats)
        formats_report(corpus, repeats)
        encoders_report(corpus, repeats)
        icc_report(corpus, repeats)
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    for text, met in goals:
        print(f"{'PASS' if met else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
