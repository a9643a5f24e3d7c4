"""Files/s through the whole local pipeline: our worker vs a naive one, run the same way.

Run: ``venv/bin/python -m bench.local_throughput [--files N] [--max-tasks N]``.

Both runs use the same emulator, scaler, settings and corpus — the bundled sample photos scaled
up to 12 MP (4000x3000) — and differ only in the command the Fargate stand-in starts for each
task: ``python -m worker``, or ``python -m bench.naive_worker`` (one message at a time, a plain
full-size Pillow decode and resize). Throughput is files / seconds from the end of the upload to
every file having its outcome: task start-up included, the upload (the same for both) not. Runs
alternate (naive, ours, naive, ours, ...) so load from elsewhere on the machine lands on both;
the table shows each run and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from local.cli import SAMPLES
from local.emulator import Emulator
from local.pipeline import WORKER_COMMAND, LocalPipeline
from local.settings import LocalSettings

NAIVE_COMMAND = (WORKER_COMMAND[0], "-m", "bench.naive_worker")
TWELVE_MEGAPIXELS = (4000, 3000)


def corpus(directory: Path, count: int) -> list[Path]:
    """``count`` 12 MP JPEGs made from the bundled samples (cycled), quality 92 like a camera."""
    directory.mkdir(parents=True, exist_ok=True)
    samples = sorted(SAMPLES.glob("*.jpg"))
    scaled: list[bytes] = []
    for sample in samples:
        with Image.open(sample) as image:
            large = image.convert("RGB").resize(TWELVE_MEGAPIXELS, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        large.save(buffer, "JPEG", quality=92)
        scaled.append(buffer.getvalue())
    paths = []
    for index in range(count):
        path = directory / f"photo-{index:03}.jpg"
        path.write_bytes(scaled[index % len(scaled)])
        paths.append(path)
    return paths


def timed_run(
    emulator: Emulator, command: Sequence[str], files: list[Path], root: Path, max_tasks: int
) -> tuple[float, int]:
    """Seconds from the upload to every file's outcome, and how many tasks it took."""
    reset = urllib.request.Request(f"{emulator.endpoint_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    settings = LocalSettings().replace(
        schedule_seconds=1.0, max_tasks=max_tasks, messages_per_task=1, idle_seconds=2
    )
    with (
        tempfile.TemporaryDirectory() as logs,
        LocalPipeline(
            settings, log_directory=Path(logs), emulator=emulator, worker_command=command
        ) as pipeline,
    ):
        pipeline.upload(files, root)
        started = time.monotonic()
        while True:
            status = pipeline.tick()
            if LocalPipeline.settled(status):
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        if status.succeeded != len(files):
            raise SystemExit(f"{' '.join(command)}: {status.succeeded}/{len(files)} succeeded")
        return elapsed, status.tasks_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--max-tasks", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, Emulator() as emulator:
        root = Path(scratch)
        files = corpus(root, args.files)
        rates: dict[str, list[float]] = {"naive": [], "ours": []}
        print(f"{args.files} files of 12 MP, maxTasks {args.max_tasks}, messagesPerTask 1")
        print(f"{'run':<8}{'worker':<8}{'seconds':>9}{'files/s':>9}{'tasks':>7}")
        for round_number in range(1, args.rounds + 1):
            for name, command in (("naive", NAIVE_COMMAND), ("ours", WORKER_COMMAND)):
                seconds, tasks = timed_run(emulator, command, files, root, args.max_tasks)
                rates[name].append(args.files / seconds)
                print(
                    f"{round_number:<8}{name:<8}{seconds:>9.1f}{args.files / seconds:>9.2f}"
                    f"{tasks:>7}"
                )
    naive, ours = statistics.median(rates["naive"]), statistics.median(rates["ours"])
    print(f"median files/s: naive {naive:.2f}, ours {ours:.2f}; ours / naive = x{ours / naive:.2f}")


if __name__ == "__main__":
    main()
