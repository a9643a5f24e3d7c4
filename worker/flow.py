"""How many files the worker keeps in flight, and the memory their source bytes may take.

`PIPELINE_WORKER_CONCURRENCY` bounds the image work (one decode per slot). Around it each file
waits for S3 — a GET, then two PUTs — and S3 answers in tens of milliseconds whatever the file's
size, so a 0.2 MP JPEG spends 6 ms on a CPU and 100 ms or more waiting. To keep every slot busy
the worker needs, by Little's law, `slots x (cpu + wait) / cpu` files in flight: measured, not a
fixed multiple of the vCPUs. Source bytes held in flight are bounded separately, in bytes, since
one 24 MP file weighs as much as two hundred small ones.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

FILES_PER_SLOT_MOST = 128
"""Most files in flight per CPU slot: enough for 0.2 MP files with 80 ms S3 requests (about 40
a slot with the headroom). Each file in flight is one thread and at most one S3 connection, so
this bounds both whatever the queue holds."""
FILES_MOST = 1024
"""Most files in flight for the whole task, whatever its vCPUs."""
HEADROOM = 2.0
"""Files beyond Little's law's count: S3's latency varies from request to request, and a slot
left idle while every file in flight waits on S3 is lost for good."""
SMOOTHING = 0.1
"""Weight of the newest file in the moving averages."""
START_FILES_PER_SLOT = 4.0
"""Where the average starts, before any file is done: 8 files a slot with the headroom. No file
is measured until its GET, image work and two PUTs are over (about 140 ms at 40 ms a request),
and until then the start is all the worker has: what a 2 MP JPEG needs (20 ms of CPU, three
40 ms requests: 7 a slot), and twice what a 12 MP one does. Starting at 1.5 left a 1-vCPU task
idle for 80-100 ms of its first 140 (bench/worker_latency.py, 2 MP at 40 ms). Small files ramp
up from here as they finish; the first files of a run are the slowest (new connections, a cold
cache), so the target moves a tenth of the way a file rather than jumping to what the first one
suggests, and a worker does not take a large share of a small backlog from other tasks at once."""
MIN_CPU_SECONDS = 0.0005
"""Files that fail before decoding (not an image) use almost no CPU; they must not make the
ratio of waiting to CPU time infinite."""
SOURCE_MEMORY_SHARE = 0.25
"""Share of the task's memory that source bytes in flight may take; the rest is the process,
the decodes in the slots (bounded by the concurrency) and the outputs on their way out."""


@dataclass(frozen=True)
class FileWork:
    """What one file cost: time in a CPU slot, time waiting on S3, and its source's size."""

    cpu_seconds: float
    io_seconds: float
    source_bytes: int


def source_budget(memory_bytes: int) -> int:
    """Source bytes in flight allowed on a task with this much memory."""
    return max(1, int(memory_bytes * SOURCE_MEMORY_SHARE))


def files_most(concurrency: int) -> int:
    """The hard ceiling on files in flight (threads, S3 connections)."""
    return min(FILES_MOST, FILES_PER_SLOT_MOST * concurrency)


class FilesInFlight:
    """The number of files to keep in flight, from the measured cost of the files done so far.

    Each file's `(cpu + io) / cpu` is how many files a slot needs to stay busy on files like it;
    their moving average, not the ratio of average times, so that one huge PNG among small
    JPEGs does not starve the slots for the next hundred small files (holding too many files in
    flight costs threads and memory, both bounded; too few costs throughput). Slot waits are
    not counted as waiting: they are what too many files in flight cause, and counting them
    would make the target grow without end.
    """

    def __init__(self, concurrency: int, source_budget: int | None = None) -> None:
        """`source_budget`: the source bytes files in flight may hold (None: unbounded)."""
        self.concurrency = concurrency
        self.most = files_most(concurrency)
        self.source_budget = source_budget
        self._files_per_slot = START_FILES_PER_SLOT
        self._bytes: float | None = None

    def observe(self, work: FileWork) -> None:
        cpu = max(MIN_CPU_SECONDS, work.cpu_seconds)
        self._files_per_slot += SMOOTHING * ((cpu + work.io_seconds) / cpu - self._files_per_slot)
        if self._bytes is None:
            self._bytes = float(work.source_bytes)
        else:
            self._bytes += SMOOTHING * (work.source_bytes - self._bytes)

    def target(self) -> int:
        """Files to keep in flight: never fewer than the slots, never past `most` or memory."""
        wanted = math.ceil(self.concurrency * self._files_per_slot * HEADROOM)
        if self.source_budget is not None and self._bytes is not None:
            wanted = min(wanted, math.floor(self.source_budget / max(1.0, self._bytes)))
        return max(self.concurrency, min(self.most, wanted))


class ByteBudget:
    """Source bytes held in memory at once; a file waits for room before reading its body.

    A file larger than the whole budget still goes, alone, so that no file waits forever.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._used = 0
        self._room = threading.Condition()

    @property
    def used(self) -> int:
        return self._used

    def acquire(self, size: int) -> None:
        with self._room:
            while self._used and self._used + size > self.capacity:
                self._room.wait()
            self._used += size

    def release(self, size: int) -> None:
        with self._room:
            self._used -= size
            self._room.notify_all()
