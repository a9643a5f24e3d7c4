"""Per-file processing on one core: ours vs naive Pillow vs the 1/8 DCT decode floor, and quality.

Run: ``venv/bin/python -m bench.worker_resize [--repeats N]``.

On the same corpus (bench.worker_corpus), pinned to one CPU, each file goes through:
- naive: ``open -> convert('RGB') -> resize((224, 224)) -> save JPEG``, as the original sample;
- ours: ``worker.imaging.process_image`` to 224x224 stretch, JPEG quality 90 (decode at reduced
  DCT scale, EXIF orientation, final LANCZOS, encode);
- floor: only decoding the JPEG at 1/8 DCT scale, which no resize can go below (the entropy
  decoding cannot be skipped).
The three run interleaved, file by file, `--repeats` times; each file's time is its median, so a
burst of load from elsewhere on the machine lands on all three alike. Prints files/s per class and
the ratios (goals: ours >= 3.5x naive, ours within 1.2x of the floor), and the PSNR of our output
against a LANCZOS resize of the full decode with EXIF applied (goal: >= 45 dB on every file).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from bench.worker_corpus import KINDS, CorpusFile, load
from contract.values import ResizeMode
from worker.encoding import ImageFormat
from worker.imaging import ResizeSpec, process_image

SPEC = ResizeSpec(((224, 224),), ResizeMode.STRETCH, 90)
GOAL_VS_NAIVE = 3.5
GOAL_VS_FLOOR = 1.2
GOAL_PSNR_DB = 45.0


def naive(data: bytes) -> None:
    image = Image.open(io.BytesIO(data)).convert("RGB").resize(SPEC.sizes[0])
    image.save(io.BytesIO(), "JPEG", quality=SPEC.quality)


def ours(data: bytes) -> None:
    process_image(data, ImageFormat.JPEG, SPEC)


def floor(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (image.width // 8, image.height // 8))
    image.load()


METHODS: dict[str, Callable[[bytes], None]] = {"naive": naive, "ours": ours, "floor": floor}


def psnr(data: bytes) -> float:
    """Our pixels (PNG output: lossless, so only the resize is compared) vs the reference."""
    (encoded,) = process_image(data, ImageFormat.PNG, SPEC).outputs
    produced = Image.open(io.BytesIO(encoded.data))
    full = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    reference = full.resize(SPEC.sizes[0], Image.Resampling.LANCZOS)
    difference = np.asarray(produced, np.float64) - np.asarray(reference, np.float64)
    mse = float(np.mean(difference**2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


@dataclass
class Measured:
    seconds: dict[str, dict[str, float]]
    """method -> file name -> median seconds."""
    psnr: dict[str, float]


def measure(corpus: list[CorpusFile], repeats: int) -> Measured:
    samples: dict[str, dict[str, list[float]]] = {method: {} for method in METHODS}
    for file in corpus:  # warm-up: first-call costs (plugin imports, allocations) excluded
        for run in METHODS.values():
            run(file.data)
    for _ in range(repeats):
        for file in corpus:
            for method, run in METHODS.items():
                started = time.perf_counter()
                run(file.data)
                samples[method].setdefault(file.spec.name, []).append(time.perf_counter() - started)
    seconds = {
        method: {name: statistics.median(times) for name, times in by_file.items()}
        for method, by_file in samples.items()
    }
    return Measured(seconds, {file.spec.name: psnr(file.data) for file in corpus})


def files_per_second(measured: Measured, method: str, names: list[str]) -> float:
    return len(names) / sum(measured.seconds[method][name] for name in names)


def groups(corpus: list[CorpusFile]) -> list[tuple[str, list[CorpusFile]]]:
    """Per size, baseline and progressive apart: progressive decoding costs two to three times
    as much at any DCT scale, so mixing them would hide both results."""
    rows = []
    for kind in KINDS:
        for progressive, label in ((False, "baseline"), (True, "progressive")):
            files = [f for f in corpus if f.spec.kind == kind and f.spec.progressive == progressive]
            if files:
                rows.append((f"{kind} {label}", files))
    return [*rows, ("all", corpus)]


def report(corpus: list[CorpusFile], measured: Measured) -> list[tuple[str, bool]]:
    print("\nPer-file processing on one core (files/s; median of repeats, interleaved)")
    header = (
        f"{'class':<18}{'files':>6}{'bits/px':>9}{'naive':>8}{'ours':>8}{'floor':>8}"
        f"{'ours/naive':>12}{'floor/ours':>12}{'min PSNR dB':>13}"
    )
    print(header)
    print("-" * len(header))
    goals: list[tuple[str, bool]] = []
    for label, files in groups(corpus):
        names = [file.spec.name for file in files]
        rates = {method: files_per_second(measured, method, names) for method in METHODS}
        vs_naive = rates["ours"] / rates["naive"]
        vs_floor = rates["floor"] / rates["ours"]
        worst = min(measured.psnr[name] for name in names)
        bits = statistics.mean(file.bits_per_pixel for file in files)
        print(
            f"{label:<18}{len(files):>6}{bits:>9.2f}{rates['naive']:>8.1f}{rates['ours']:>8.1f}"
            f"{rates['floor']:>8.1f}{vs_naive:>11.2f}x{vs_floor:>11.2f}x{worst:>13.1f}"
        )
        if label.startswith("12MP"):
            goals.append(
                (
                    f"{label}: ours >= {GOAL_VS_NAIVE}x naive ({vs_naive:.2f}x)",
                    vs_naive >= GOAL_VS_NAIVE,
                )
            )
            goals.append(
                (
                    f"{label}: ours within {GOAL_VS_FLOOR}x of the floor ({vs_floor:.2f}x)",
                    vs_floor <= GOAL_VS_FLOOR,
                )
            )
    worst_all = min(measured.psnr.values())
    goals.append(
        (
            f"PSNR >= {GOAL_PSNR_DB} dB on every file (worst {worst_all:.1f})",
            worst_all >= GOAL_PSNR_DB,
        )
    )
    print("\nPSNR per file (dB): " + ", ".join(f"{n} {v:.1f}" for n, v in measured.psnr.items()))
    return goals


def pin_to_one_cpu() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def run(repeats: int) -> list[tuple[str, bool]]:
    corpus = load()
    cpu = pin_to_one_cpu()
    print(
        f"pinned to CPU {cpu}; {len(corpus)} files; {repeats} repeats; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    try:
        return report(corpus, measure(corpus, repeats))
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    goals = run(parser.parse_args().repeats)
    for text, met in goals:
        print(f"{'PASS' if met else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
