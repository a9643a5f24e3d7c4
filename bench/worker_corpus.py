"""The worker benchmarks' corpus: photo-like JPEGs at 12 MP, 24 MP and 1080p.

Generated, not downloaded: smooth gradients, blotches and texture at several scales, and sensor-
like grain, encoded at quality 92 so the files land at 2-4 bits per pixel like camera JPEGs (a
flat synthetic image would compress to a fraction of that and make decoding look cheap, since
entropy decoding is what a reduced DCT decode cannot skip). Some files are progressive, some carry
an EXIF rotation. Cached under bench/results/ so reruns skip the generation.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

CACHE = Path(__file__).parent / "results" / "worker-corpus-v1"
QUALITY = 92


@dataclass(frozen=True)
class Spec:
    name: str
    size: tuple[int, int]
    """As displayed (width, height); an EXIF-rotated file stores it turned."""
    progressive: bool = False
    orientation: int = 1

    @property
    def kind(self) -> str:
        return self.name.split("-")[0]


SPECS = (
    Spec("12MP-a", (4000, 3000)),
    Spec("12MP-b", (4000, 3000), progressive=True),
    Spec("12MP-c", (4000, 3000), orientation=6),
    Spec("12MP-d", (4000, 3000), progressive=True, orientation=8),
    Spec("24MP-a", (6000, 4000)),
    Spec("24MP-b", (6000, 4000), progressive=True, orientation=6),
    Spec("1080p-a", (1920, 1080)),
    Spec("1080p-b", (1920, 1080), progressive=True),
    Spec("1080p-c", (1920, 1080), orientation=6),
    Spec("1080p-d", (1920, 1080)),
    Spec("1080p-e", (1920, 1080), progressive=True, orientation=3),
    Spec("1080p-f", (1920, 1080)),
)
KINDS = ("12MP", "24MP", "1080p")

# How the stored pixels are turned so that applying the EXIF orientation shows `size`.
_STORED = {
    1: None,
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


@dataclass(frozen=True)
class CorpusFile:
    spec: Spec
    data: bytes

    @property
    def bits_per_pixel(self) -> float:
        width, height = self.spec.size
        return len(self.data) * 8 / (width * height)


def photo(size: tuple[int, int], seed: int) -> Image.Image:
    width, height = size
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    channels = []
    for channel in range(3):
        a, b = rng.uniform(-3, 3, 2)
        plane = 128 + 50 * np.sin(a * x + b * y + channel)
        for cell, amplitude in ((96, 30.0), (24, 16.0), (5, 8.0)):
            small = rng.normal(0, amplitude, (height // cell + 2, width // cell + 2))
            grown = Image.fromarray(small.astype(np.float32), mode="F").resize(
                size, Image.Resampling.BICUBIC
            )
            plane = plane + np.asarray(grown)
        plane = plane + rng.normal(0, 5, (height, width)).astype(np.float32)
        channels.append(np.clip(plane, 0, 255).astype(np.uint8))
    return Image.fromarray(np.dstack(channels), mode="RGB")


def encode(spec: Spec, seed: int) -> bytes:
    image = photo(spec.size, seed)
    stored = _STORED[spec.orientation]
    options: dict[str, object] = {"quality": QUALITY, "progressive": spec.progressive}
    if stored is not None:
        image = image.transpose(stored)
        exif = Image.Exif()
        exif[0x0112] = spec.orientation
        options["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def load() -> list[CorpusFile]:
    """The corpus, generated on first use and cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    files = []
    for seed, spec in enumerate(SPECS):
        path = CACHE / f"{spec.name}.jpg"
        if not path.exists():
            print(f"generating {spec.name} {spec.size[0]}x{spec.size[1]}", flush=True)
            path.write_bytes(encode(spec, seed))
        files.append(CorpusFile(spec, path.read_bytes()))
    return files
