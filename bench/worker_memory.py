"""Peak memory of one file, on the worst PNGs and the largest JPEGs: ours vs orienting at full size.

Run: ``venv/bin/python -m bench.worker_memory``.

Each measurement is a fresh process (peak RSS only grows, so one process per file and method):
it imports everything, reads the file and warms up on a tiny image, notes its peak RSS, processes
the file once to 224x224, and reports how much the peak grew. Two methods, in the same run:
- full-size: what the worker did before issue 13, as Pillow's documentation suggests: load,
  ``ImageOps.exif_transpose`` (a full-size copy, even with no orientation), convert to RGB (another
  copy for palette, alpha and 16-bit images), resize;
- ours: ``worker.imaging.process_image`` (convert only what the resize needs, resize, then orient
  and flatten the small image).
Prints MiB per file, ours/full-size, and ours against the decoded image's own size (width x height
x 4 bytes, Pillow's RGB/RGBA pixel), the floor for any PNG, which has no reduced decode.
A 16 MP PNG is what the issue measured informally (165 MiB).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from bench.worker_corpus import load as load_jpegs
from bench.worker_corpus import photo
from contract.values import ResizeMode
from worker.encoding import ImageFormat
from worker.imaging import ResizeSpec, process_image

CACHE = Path(__file__).parent / "results" / "worker-memory-v1"
PNG_SIZE = (4608, 3456)
"""16 MP, a phone camera's full resolution."""
SPEC = ResizeSpec(((224, 224),), ResizeMode.STRETCH, 90)
MIB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    size: tuple[int, int]


def _png(name: str, make: str) -> Case:
    path = CACHE / f"{name}.png"
    if not path.exists():
        print(f"generating {name}", flush=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        image = photo(PNG_SIZE, seed=7)
        if make == "rgba":
            image.putalpha(Image.linear_gradient("L").resize(PNG_SIZE))
        elif make == "palette":
            image = image.quantize(64)
        elif make == "16bit":
            grey = np.asarray(image.convert("L"), dtype=np.uint16) * 257
            image = Image.fromarray(grey)  # I;16
        image.save(
            path, "PNG", compress_level=1, **({"transparency": 0} if make == "palette" else {})
        )
    return Case(name, path, PNG_SIZE)


def cases() -> list[Case]:
    pngs = [
        _png("16MP RGB PNG", "rgb"),
        _png("16MP RGBA PNG", "rgba"),
        _png("16MP palette+tRNS PNG", "palette"),
        _png("16MP 16-bit grey PNG", "16bit"),
    ]
    jpegs = []
    for file in load_jpegs():
        if file.spec.kind == "24MP":
            path = CACHE.parent / "worker-corpus-v1" / f"{file.spec.name}.jpg"
            label = f"24MP JPEG {file.spec.name[-1]}" + (
                " (progressive, EXIF 6)" if file.spec.progressive else ""
            )
            jpegs.append(Case(label, path, file.spec.size))
    return pngs + jpegs


def full_size(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    image.load()
    oriented = ImageOps.exif_transpose(image)
    rgb = oriented.convert("RGB")
    rgb.resize(SPEC.sizes[0], Image.Resampling.LANCZOS).save(io.BytesIO(), "JPEG", quality=90)


def ours(data: bytes) -> None:
    process_image(data, ImageFormat.JPEG, SPEC)


METHODS = {"full-size": full_size, "ours": ours}


def peak_rss_kib() -> int:
    """This process's peak RSS (VmHWM). Not getrusage's ru_maxrss: a child started with fork and
    exec inherits its parent's peak there, so a child of a parent that had generated 16 MP images
    or drained a benchmark would report the parent's peak, not its own."""
    with open("/proc/self/status") as status:  # noqa: PTH123 - a procfs read, not a file path
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1])  # kB


def child(method: str, path: Path) -> None:
    data = path.read_bytes()
    warm = io.BytesIO()
    Image.new("RGB", (64, 64)).save(warm, "PNG")
    METHODS[method](warm.getvalue())
    before = peak_rss_kib()
    METHODS[method](data)
    print(json.dumps({"grew_kib": peak_rss_kib() - before}))


def measure(method: str, case: Case) -> float:
    """MiB the peak RSS grew by while processing the file, in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.worker_memory", "--child", method, str(case.path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(result.stdout)["grew_kib"]) * 1024 / MIB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    header = (
        f"{'file':<38}{'decoded MiB':>12}{'full-size':>11}{'ours':>8}"
        f"{'ours/full':>11}{'ours/decoded':>14}"
    )
    print("\nPeak memory growth while processing one file to 224x224 (MiB)")
    print(header)
    print("-" * len(header))
    for case in cases():
        decoded = case.size[0] * case.size[1] * 4 / MIB
        full = measure("full-size", case)
        mine = measure("ours", case)
        print(
            f"{case.name:<38}{decoded:>12.0f}{full:>11.0f}{mine:>8.0f}"
            f"{mine / full:>10.2f}x{mine / decoded:>13.2f}x"
        )


if __name__ == "__main__":
    main()
