"""A run's Fargate task time and its price, from a sample of its logs' metadata.

Each log object carries the task time charged to its file (``contract.layout.LogMetadata``): the
task's time since its previous log, so a task's charges add up to its run from start to last
log. Reading every log would be a request per file; a uniform sample of a few hundred prices a
run of millions as well (the sample's mean charge times the files), and a run that small is read
whole, exactly. Each task also idles ``PIPELINE_IDLE_SECONDS`` on the empty queue before it exits.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from contract.config import CpuArchitecture
from contract.layout import LogMetadata
from ops.workers import TaskSize

SAMPLE_SIZE: Final = 300
"""Logs read for their charges: a few seconds of HEAD requests whatever the run's size."""
READ_THREADS: Final = 8
SECONDS_PER_HOUR: Final = 3600
MINIMUM_BILLED_SECONDS: Final = 60
"""Fargate bills each task at least a minute."""

# Fargate on-demand, Linux, US East (N. Virginia), USD per vCPU-hour and per GB-hour:
# https://aws.amazon.com/fargate/pricing/. Fargate Spot bills the same hours at a discount that
# varies (up to 70%), so on Spot this is the upper bound.
FARGATE_HOURLY: Final = {
    CpuArchitecture.X86_64: (0.04048, 0.004445),
    CpuArchitecture.ARM64: (0.03238, 0.00356),
}


class LogSample:
    """A uniform sample of up to ``size`` of the log keys offered (reservoir sampling: memory
    does not grow with the bucket)."""

    def __init__(self, size: int = SAMPLE_SIZE, rng: random.Random | None = None) -> None:
        self._size = size
        self._rng = rng or random.Random()
        self.offered = 0
        self.keys: list[str] = []

    def offer(self, key: str) -> None:
        self.offered += 1
        if len(self.keys) < self._size:
            self.keys.append(key)
            return
        slot = self._rng.randrange(self.offered)
        if slot < self._size:
            self.keys[slot] = key

    @property
    def complete(self) -> bool:
        """Every key offered is in the sample."""
        return len(self.keys) == self.offered


@dataclass(frozen=True)
class Charge:
    task: str
    seconds: float


def read_charges(s3: Any, bucket: str, keys: Iterable[str]) -> list[Charge | None]:
    """Each log's charge from its metadata (HEAD, a few at once); None for a log without one
    (written by an older worker, or not by the worker)."""

    def read(key: str) -> Charge | None:
        metadata = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {})
        try:
            seconds = float(metadata[LogMetadata.TASK_SECONDS])
            task = metadata[LogMetadata.TASK]
        except (KeyError, ValueError):
            return None
        return Charge(task, seconds) if seconds >= 0 else None

    with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="log-metadata") as pool:
        return list(pool.map(read, keys))


@dataclass(frozen=True)
class TaskTimeEstimate:
    files: int
    """Files with a recorded outcome: the logs the sample was drawn from."""
    sampled: int
    priced: int
    """Sampled logs that carry a charge."""
    processing_seconds: float
    """Task time from the tasks' starts to their last logs, over every file."""
    tasks_seen: int
    """Distinct tasks among the priced logs: every task when the sample is the whole run, a
    lower bound otherwise."""
    idle_seconds: float
    """The tasks' idle time before exit: ``tasks_seen`` times the idle timeout."""
    minimum_seconds: float
    """What the one-minute minimum adds for the tasks that ran less (known only when every log
    was read; 0 otherwise, when tasks run long enough for it not to matter)."""
    exact: bool

    @property
    def seconds(self) -> float:
        return self.processing_seconds + self.idle_seconds + self.minimum_seconds

    def cost(self, size: TaskSize) -> float:
        vcpu_hourly, gib_hourly = FARGATE_HOURLY[size.architecture]
        hourly = size.vcpus * vcpu_hourly + size.memory_gib * gib_hourly
        return self.seconds / SECONDS_PER_HOUR * hourly


def estimate(
    sample: LogSample, charges: list[Charge | None], size: TaskSize
) -> TaskTimeEstimate | None:
    """None when no sampled log carries a charge (nothing to price it from)."""
    priced = [charge for charge in charges if charge is not None]
    if not priced:
        return None
    exact = sample.complete and len(priced) == sample.offered
    per_task: dict[str, float] = {}
    for charge in priced:
        per_task[charge.task] = per_task.get(charge.task, 0.0) + charge.seconds
    total = sum(per_task.values())
    minimum = 0.0
    if exact:
        minimum = sum(
            max(0.0, MINIMUM_BILLED_SECONDS - seconds - size.idle_seconds)
            for seconds in per_task.values()
        )
    return TaskTimeEstimate(
        files=sample.offered,
        sampled=len(charges),
        priced=len(priced),
        processing_seconds=total if exact else total / len(priced) * sample.offered,
        tasks_seen=len(per_task),
        idle_seconds=len(per_task) * size.idle_seconds,
        minimum_seconds=minimum,
        exact=exact,
    )
