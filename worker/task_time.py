"""Which task this is, and its running time split among the files it records.

Fargate bills a task from start to stop, not per file; with many files in flight at once no
file's own duration says what it cost. So each log is charged the task's time since the previous
log (since the start, for the first): a task's charges add up to its time from start to its last
log, and a sample of logs prices a whole run (``ops report``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

from contract.layout import LogMetadata
from worker.cpu import Fetch, ecs_task_arn, http_get


class TaskTime:
    def __init__(self, task: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.task = task
        self._clock = clock
        self._lock = threading.Lock()
        self._since = clock()
        self._refunded = 0.0

    def charge(self) -> float:
        """The seconds since the previous charge (or the start), now charged to one file."""
        with self._lock:
            now = self._clock()
            seconds = now - self._since + self._refunded
            self._since, self._refunded = now, 0.0
            return seconds

    def refund(self, seconds: float) -> None:
        """A charge whose log was not stored: the next log carries it instead."""
        with self._lock:
            self._refunded += seconds

    def metadata(self, seconds: float) -> dict[str, str]:
        """The log object's user metadata for a charge of ``seconds``."""
        return {LogMetadata.TASK: self.task, LogMetadata.TASK_SECONDS: f"{seconds:.3f}"}


def task_name(environ: Mapping[str, str], fetch: Fetch = http_get) -> str:
    """The ECS task's id (the last part of its ARN); off ECS, this host and process."""
    arn = ecs_task_arn(environ, fetch)
    if arn is not None:
        return arn.rsplit("/", 1)[-1]
    return f"{socket.gethostname()}-{os.getpid()}"
