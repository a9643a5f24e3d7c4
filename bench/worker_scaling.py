"""The whole worker on 2 cores vs 1, threads vs processes, and the requests it makes per file.

Run: ``venv/bin/python -m bench.worker_scaling [--files N] [--repeats N]``.

- Whole worker: the real `worker.loop.Worker` (intake, file threads, coordinator, image work)
  drains N messages from in-memory S3/SQS (bench.worker_fakes), pinned to one CPU with
  concurrency 1, then to two CPUs with concurrency 2 (what it picks from a 2-vCPU quota). Runs
  alternate, `--repeats` times each; time is from `run()` to the last PUT, median (goal: >= 1.8x).
  Files take from 15 ms to 400 ms, so the default of 120 keeps the last file's tail (one CPU
  idle while the other finishes it) to a few percent of a run.
- Threads vs processes: the image stage alone on two CPUs, in a thread pool (what the worker
  uses: Pillow releases the GIL while decoding, resizing and encoding) and in a process pool
  (which must also pickle every file in and every output out), against one thread; and how much
  of the image work holds the GIL, measured by a probe thread (robust to a busy machine).
- Requests per file: the same worker with real boto3 clients against moto's server, counting
  every HTTP request botocore sends (retries included) (goal: 1 GET, 2 PUTs, receives and
  deletes in tens).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from bench.worker_corpus import CorpusFile, load
from bench.worker_fakes import FakeAws
from contract.events import object_created
from contract.values import OutputFormat, ResizeMode
from local.emulator import Emulator
from worker.config import WorkerConfig
from worker.encoding import ImageFormat
from worker.files import FileProcessor
from worker.imaging import ResizeSpec, process_image
from worker.loop import Worker
from worker.sqs import Queue

SPEC = ResizeSpec(((224, 224),), ResizeMode.STRETCH, 90)
GOAL_TWO_CORES = 1.8
SOURCE, DEST, QUEUE_URL = "source", "dest", "https://sqs.invalid/123456789012/bench"


def config(concurrency: int) -> WorkerConfig:
    return WorkerConfig(
        queue_url=QUEUE_URL,
        dest_bucket=DEST,
        dest_prefix="processed",
        resize=SPEC,
        output_format=OutputFormat.SOURCE,
        idle_seconds=0.2,
        concurrency=concurrency,
        ssm_path=None,
    )


def worker(sqs: Any, s3: Any, queue_url: str, concurrency: int) -> Worker:
    settings = config(concurrency)
    processor = FileProcessor(s3, settings, threading.Semaphore(concurrency))
    return Worker(
        Queue(sqs, queue_url),
        processor,
        concurrency=concurrency,
        visibility_timeout=120,
        idle_seconds=settings.idle_seconds,
    )


def pin(cpus: set[int]) -> None:
    # Threads inherit the creating thread's affinity, so every worker thread stays on `cpus`.
    os.sched_setaffinity(0, cpus)


def whole_worker(
    corpus: list[CorpusFile], files: int, cpus: set[int]
) -> tuple[float, float, Counter[str]]:
    """(wall seconds, CPU seconds of all threads, calls) of one drain of `files` messages."""
    aws = FakeAws()
    for number in range(files):
        aws.upload(SOURCE, f"{number:04}.jpg", corpus[number % len(corpus)].data)
    pin(cpus)
    cpu_started = time.process_time()
    started = time.perf_counter()
    worker(aws.sqs, aws.s3, QUEUE_URL, concurrency=len(cpus)).run()
    cpu_seconds = time.process_time() - cpu_started
    assert aws.calls["PutObject"] == 2 * files, aws.calls
    return aws.last_put_at - started, cpu_seconds, aws.calls


def image_stage(corpus: list[CorpusFile], files: int, executor: Executor | None) -> float:
    datas = [corpus[number % len(corpus)].data for number in range(files)]
    started = time.perf_counter()
    if executor is None:
        for data in datas:
            process_image(data, ImageFormat.JPEG, SPEC)
    else:
        list(executor.map(process_image, datas, [ImageFormat.JPEG] * files, [SPEC] * files))
    return files / (time.perf_counter() - started)


PROBE_SLEEP_SECONDS = 0.0005
PROBE_LATE_SECONDS = 0.003


def gil_held_share(corpus: list[CorpusFile]) -> float:
    """Share of the image work's wall time during which another thread could not run Python.

    A probe thread sleeps half a millisecond at a time while one thread processes the corpus;
    waking needs the GIL, so time spent waking late is time the image work held it. Load from
    elsewhere only makes the probe later, so this is an upper bound, and unlike a speed-up it
    stays meaningful on a busy machine.
    """
    done = threading.Event()

    def work() -> None:
        for file in corpus:
            process_image(file.data, ImageFormat.JPEG, SPEC)
        done.set()

    late = 0.0
    started = time.perf_counter()
    threading.Thread(target=work).start()
    while not done.is_set():
        before = time.perf_counter()
        time.sleep(PROBE_SLEEP_SECONDS)
        waited = time.perf_counter() - before
        if waited > PROBE_LATE_SECONDS:
            late += waited
    return late / (time.perf_counter() - started)


def request_counts(corpus: list[CorpusFile], files: int) -> Counter[str]:
    """Every HTTP request of a drain of `files` messages through moto's server."""
    with Emulator() as emulator:
        sent: Counter[str] = Counter()

        def count(event_name: str, **_: Any) -> None:
            sent[event_name.rsplit(".", 1)[-1]] += 1

        s3, sqs = emulator.client("s3"), emulator.client("sqs")
        s3.create_bucket(Bucket=SOURCE)
        s3.create_bucket(Bucket=DEST)
        queue_url = sqs.create_queue(QueueName="bench")["QueueUrl"]
        small = [file for file in corpus if file.spec.kind == "1080p"]
        for number in range(files):
            key = f"{number:04}.jpg"
            data = small[number % len(small)].data
            s3.put_object(Bucket=SOURCE, Key=key, Body=data)
            sqs.send_message(QueueUrl=queue_url, MessageBody=object_created(SOURCE, key, len(data)))
        # Count only the worker's requests, from here on.
        for made in (s3, sqs):
            made.meta.events.register("before-send", count)
        worker(sqs, s3, queue_url, concurrency=2).run()
        return sent


def measure_processes_vs_threads(corpus: list[CorpusFile], files: int) -> dict[str, float]:
    pin(set(sorted(os.sched_getaffinity(0))[:2]))
    rates: dict[str, float] = {}
    runs: list[tuple[str, Callable[[], Executor | None]]] = [
        ("one thread", lambda: None),
        ("2 threads", lambda: ThreadPoolExecutor(2)),
        ("2 processes", lambda: ProcessPoolExecutor(2)),
    ]
    for label, make in runs:
        executor = make()
        try:
            if executor is not None:  # start the pool and load Pillow in it before timing
                list(
                    executor.map(
                        process_image, [corpus[-1].data] * 4, [ImageFormat.JPEG] * 4, [SPEC] * 4
                    )
                )
            rates[label] = image_stage(corpus, files, executor)
        finally:
            if executor is not None:
                executor.shutdown()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    corpus = load()
    load_before = os.getloadavg()[0]
    every_cpu = os.sched_getaffinity(0)
    if len(every_cpu) < 2:
        raise SystemExit("needs two CPUs")
    one, two = {min(every_cpu)}, set(sorted(every_cpu)[:2])
    try:
        seconds: dict[int, list[float]] = {1: [], 2: []}
        cpu_seconds: dict[int, list[float]] = {1: [], 2: []}
        calls: Counter[str] = Counter()
        for _ in range(options.repeats):
            for cpus in (one, two):
                elapsed, used, counted = whole_worker(corpus, options.files, cpus)
                seconds[len(cpus)].append(elapsed)
                cpu_seconds[len(cpus)].append(used)
                calls = counted
        rates = measure_processes_vs_threads(corpus, options.files)
        gil = gil_held_share(corpus)
    finally:
        pin(every_cpu)
    requests = request_counts(corpus, 40)
    # Other processes on the machine take CPU from the 2-CPU runs: say how busy it was.
    options.load = f"{load_before:.2f}, {os.getloadavg()[0]:.2f} (on {os.cpu_count()} CPUs)"
    report(options, seconds, cpu_seconds, calls, rates, gil, requests)


def report(
    options: argparse.Namespace,
    seconds: dict[int, list[float]],
    cpu_seconds: dict[int, list[float]],
    fake_calls: Counter[str],
    rates: dict[str, float],
    gil: float,
    requests: Counter[str],
) -> None:
    files = options.files
    print(f"\nWhole worker, {files} files of the corpus (in-memory S3/SQS)")
    print(f"median of {options.repeats}; load average before and after: {options.load}")
    # CPU ms per file shows whether two threads cost more work than one; CPUs busy shows
    # whether the worker kept both CPUs fed (below 2 on a busy machine: others had them).
    print(
        f"{'CPUs':>5}{'concurrency':>13}{'seconds':>10}{'files/s':>10}{'vs 1 CPU':>10}"
        f"{'CPU ms/file':>13}{'CPUs busy':>11}"
    )
    base = statistics.median(seconds[1])
    for cores in (1, 2):
        median = statistics.median(seconds[cores])
        used = statistics.median(cpu_seconds[cores])
        print(
            f"{cores:>5}{cores:>13}{median:>10.2f}{files / median:>10.1f}{base / median:>9.2f}x"
            f"{used / files * 1000:>13.1f}{used / median:>11.2f}"
        )
    for cores in (1, 2):
        print(f"  runs with {cores} CPU(s), seconds: {[round(s, 2) for s in seconds[cores]]}")
    print(f"\nImage stage on 2 CPUs, {files} files (files/s)")
    for label, rate in rates.items():
        print(f"  {label:<12}{rate:>8.1f}{rate / rates['one thread']:>8.2f}x")
    print(f"  GIL held during the image work: {gil:.0%} of its wall time (at most)")
    print("\nRequests per file")
    print(f"{'request':<30}{'moto, 40 files':>16}{f'fake, {files} files':>18}")
    for operation in (
        "GetObject",
        "PutObject",
        "ReceiveMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibilityBatch",
    ):
        per_file = (requests[operation] / 40, fake_calls[operation] / files)
        print(f"{operation:<30}{per_file[0]:>16.3f}{per_file[1]:>18.3f}")
    others = {name: count for name, count in requests.items() if name not in fake_calls}
    print(f"other requests: {others or 'none'}")
    speedup = base / statistics.median(seconds[2])
    goals = [
        (
            f"whole worker 2 CPUs vs 1 >= {GOAL_TWO_CORES}x ({speedup:.2f}x)",
            speedup >= GOAL_TWO_CORES,
        ),
        (
            "1 GET and 2 PUTs per file",
            requests["GetObject"] == 40 and requests["PutObject"] == 80,
        ),
        (
            "deletes in tens (40 files, 4 DeleteMessageBatch calls)",
            requests["DeleteMessageBatch"] == 4,
        ),
    ]
    for text, met in goals:
        print(f"{'PASS' if met else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
