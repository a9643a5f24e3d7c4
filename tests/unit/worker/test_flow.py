"""The files-in-flight rule (Little's law on measured CPU and S3 time, bounded by memory and a
ceiling) and the byte budget that bounds the source bytes held at once."""

from __future__ import annotations

import threading

import pytest

from worker.flow import (
    FILES_MOST,
    FILES_PER_SLOT_MOST,
    ByteBudget,
    FilesInFlight,
    FileWork,
    source_budget,
)

MB = 1024 * 1024


def settled(files: FilesInFlight, work: FileWork) -> FilesInFlight:
    """After a long run of files like `work`."""
    for _ in range(300):
        files.observe(work)
    return files


def test_before_any_file_is_done_eight_files_a_slot() -> None:
    # Enough for 2 MP JPEGs at 40 ms a request (20 ms of CPU, 120 ms of S3: 7 a slot) before
    # the first file has finished and been measured
    assert FilesInFlight(concurrency=1).target() == 8
    assert FilesInFlight(concurrency=4).target() == 32


def test_the_target_grows_as_files_finish_not_at_the_first_one() -> None:
    # GIVEN small files that each want 21 in flight a slot (6 ms of CPU, 120 ms of S3)
    files = FilesInFlight(concurrency=1)
    files.observe(FileWork(cpu_seconds=0.006, io_seconds=0.120, source_bytes=100_000))
    # THEN the first one moves the average a tenth of the way: 4 + 0.1 x 17 = 5.7, x 2
    assert files.target() == 12
    for _ in range(20):
        files.observe(FileWork(cpu_seconds=0.006, io_seconds=0.120, source_bytes=100_000))
    # and twenty more most of the way: 21 - 17 x 0.9^21 = 19.14, x 2
    assert files.target() == 39


@pytest.mark.parametrize(
    ("concurrency", "cpu", "io", "expected"),
    [
        # 0.2 MP JPEGs (6 ms of CPU) with three 40 ms S3 requests: 1 x 126/6 x 2 = 42
        (1, 0.006, 0.120, 42),
        (2, 0.006, 0.120, 84),
        # at 80 ms: 1 x 246/6 x 2 = 82
        (1, 0.006, 0.240, 82),
        # 12 MP JPEGs (40 ms of CPU) at 40 ms: 2 x 160/40 x 2 = 16
        (2, 0.040, 0.120, 16),
        # CPU-bound (S3 answers in 1 ms): 2 x 103/100 x 2 = 4.12, a few beyond the slots
        (2, 0.100, 0.003, 5),
    ],
)
def test_files_in_flight_follow_littles_law(
    concurrency: int, cpu: float, io: float, expected: int
) -> None:
    files = settled(FilesInFlight(concurrency), FileWork(cpu, io, source_bytes=100_000))
    assert files.target() == expected


def test_one_huge_file_among_small_ones_does_not_starve_the_slots() -> None:
    files = settled(FilesInFlight(concurrency=1), FileWork(0.006, 0.120, 100_000))
    assert files.target() == 42
    # WHEN one huge PNG (2 s of CPU) comes among the small JPEGs
    files.observe(FileWork(2.0, 0.120, 100_000))
    # THEN the small files' need weighs on: 21 - 0.1 x (21 - 1.06) = 19.0 a slot, x 2
    assert files.target() == 39
    # and a run of large files brings it down to what they need: 1.06 x 2
    for _ in range(100):
        files.observe(FileWork(2.0, 0.120, 100_000))
    assert files.target() == 3


def test_files_that_use_no_cpu_are_capped_by_the_ceiling() -> None:
    # GIVEN files rejected before any decoding (not images): no CPU time at all
    files = settled(FilesInFlight(concurrency=2), FileWork(0.0, io_seconds=0.3, source_bytes=10))
    # THEN the target is the ceiling, not infinite
    assert files.target() == 2 * FILES_PER_SLOT_MOST
    assert FilesInFlight(concurrency=64).most == FILES_MOST


def test_memory_bounds_files_in_flight_by_their_size() -> None:
    # GIVEN a 2 GB task and 24 MP JPEGs of 10 MB with a slow S3 (1 s a file)
    budget = source_budget(2048 * MB)
    assert budget == 512 * MB
    files = FilesInFlight(concurrency=2, source_budget=budget)
    settled(files, FileWork(cpu_seconds=0.1, io_seconds=1.0, source_bytes=10 * MB))
    # THEN Little's law wants 2 x 1.1/0.1 x 2 = 44, and 512 MB holds 51: 44
    assert files.target() == 44
    # and with 30 MB files it holds 17
    for _ in range(100):
        files.observe(FileWork(cpu_seconds=0.1, io_seconds=1.0, source_bytes=30 * MB))
    assert files.target() == 17


def test_memory_never_takes_a_slot_from_the_cpus() -> None:
    files = FilesInFlight(concurrency=4, source_budget=100 * MB)
    files.observe(FileWork(cpu_seconds=0.5, io_seconds=0.5, source_bytes=80 * MB))
    assert files.target() == 4


def test_byte_budget_lets_a_file_in_when_there_is_room_and_waits_otherwise() -> None:
    budget = ByteBudget(capacity=100)
    budget.acquire(60)
    got_in = threading.Event()

    def second() -> None:
        budget.acquire(60)
        got_in.set()

    thread = threading.Thread(target=second)
    thread.start()
    # THEN the second file waits while the first holds its bytes ...
    assert not got_in.wait(0.2)
    assert budget.used == 60
    # ... and goes in once they are released
    budget.release(60)
    assert got_in.wait(5)
    thread.join()
    assert budget.used == 60


def test_byte_budget_lets_a_file_larger_than_itself_in_alone() -> None:
    budget = ByteBudget(capacity=100)
    budget.acquire(500)  # does not block: nothing else is held
    assert budget.used == 500
    budget.release(500)
    assert budget.used == 0
