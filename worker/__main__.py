"""`python -m worker`: read the environment, check the queue, drain it, exit.

Exit status: 0 after an idle drain, SIGTERM or PIPELINE_ENABLED=0; 2 for missing or malformed
configuration; 1 when AWS cannot be used (queue missing, no credentials or region, unreachable).
Each failure at start is one line on stderr, with no traceback.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from types import FrameType
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from worker import logs, warnings_log
from worker.config import ConfigError, WorkerConfig, load_config
from worker.cpu import task_memory_bytes, task_vcpus
from worker.enabled import EnabledSwitch, SwitchError
from worker.files import FileProcessor
from worker.flow import ByteBudget, FilesInFlight, files_most, source_budget
from worker.loop import Worker
from worker.metrics import FileMetrics
from worker.sqs import Queue, QueueUnavailable
from worker.task_time import TaskTime, task_name

logger = logging.getLogger("worker")

EXIT_OK = 0
EXIT_UNAVAILABLE = 1
EXIT_CONFIG = 2

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
"""Longer than the receive's long poll (10 s), short enough that a stalled transfer is retried."""


class StartupError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def client_config(*, adaptive: bool, connections: int) -> Config:
    """Botocore retries throttling, 5xx and network errors itself before the worker sees them;
    S3 uses the adaptive mode, whose client-side rate limiter backs off under SlowDown."""
    return Config(
        retries={"mode": "adaptive" if adaptive else "standard", "max_attempts": 5},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        max_pool_connections=connections,
    )


def build_worker(config: WorkerConfig, environ: Mapping[str, str]) -> Worker:
    """Clients, queue check, off switch and vCPUs: everything `run` needs, or a StartupError."""
    task_time = TaskTime(task_name(environ))  # the task's time runs from here
    concurrency = config.concurrency or task_vcpus(environ)
    # One S3 connection per file in flight: botocore's default pool of 10 would make the files
    # beyond it wait for a connection (it logs "Connection pool is full" and queues them).
    connections = files_most(concurrency) + 2
    try:
        session = boto3.session.Session()
        sqs = session.client("sqs", config=client_config(adaptive=False, connections=4))
        s3 = session.client("s3", config=client_config(adaptive=True, connections=connections))
        ssm = session.client("ssm", config=client_config(adaptive=False, connections=2))
    except BotoCoreError as error:  # NoRegionError, mostly
        raise StartupError(f"cannot create AWS clients: {error}", EXIT_UNAVAILABLE) from None
    queue = Queue(sqs, config.queue_url)
    try:
        visibility_timeout = queue.visibility_timeout()
    except QueueUnavailable as error:
        raise StartupError(str(error), EXIT_UNAVAILABLE) from None
    switch = None
    if config.ssm_path is not None:
        switch = EnabledSwitch(ssm, config.ssm_path)
        try:
            switch.read()
        except SwitchError as error:
            raise StartupError(str(error), EXIT_UNAVAILABLE) from None
    return assemble(
        queue,
        s3,
        config,
        concurrency=concurrency,
        memory_bytes=task_memory_bytes(environ),
        visibility_timeout=visibility_timeout,
        switch=switch,
        task_time=task_time,
    )


def assemble(
    queue: Queue,
    s3: Any,
    config: WorkerConfig,
    *,
    concurrency: int,
    memory_bytes: int,
    visibility_timeout: int,
    switch: EnabledSwitch | None = None,
    task_time: TaskTime | None = None,
) -> Worker:
    """The worker's parts: `concurrency` image slots, and files in flight within the memory."""
    budget = source_budget(memory_bytes)
    processor = FileProcessor(
        s3,
        config,
        threading.Semaphore(concurrency),
        observer=FileMetrics(config.ssm_path).record,
        source_budget=ByteBudget(budget),
        task_time=task_time,
    )
    return Worker(
        queue,
        processor,
        concurrency=concurrency,
        visibility_timeout=visibility_timeout,
        idle_seconds=config.idle_seconds,
        switch=switch,
        files_in_flight=FilesInFlight(concurrency, budget),
    )


def _fail(message: str, status: int) -> int:
    # Plain text on stderr, not a JSON log line: it is read by whoever started the worker.
    sys.stderr.write(f"worker: {message}\n")
    return status


def main(environ: Mapping[str, str] = os.environ) -> int:
    logs.configure()
    # Warnings join the JSON log (a file's go into its log line and log object), and Pillow's
    # decompression bomb warning is an error (the decoder also refuses such images itself).
    warnings_log.install()
    try:
        worker = build_worker(load_config(environ), environ)
    except ConfigError as error:
        return _fail(str(error), EXIT_CONFIG)
    except StartupError as error:
        return _fail(str(error), error.status)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        worker.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker.run()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
