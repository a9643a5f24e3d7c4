"""The whole pipeline on one machine: emulator, stack resources, scaler schedule, Fargate stand-in.

``LocalPipeline`` is what ``python -m local`` drives and what the end-to-end tests drive: it starts
(or reuses) the emulator, provisions what the stack would, and on each ``tick()`` runs the real
scaler handler when its schedule is due, reconciles worker processes with the cluster's tasks, and
reads back queue depths and recorded outcomes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from contract.config import upload_matches
from contract.layout import Outcome
from contract.limits import SQS_BATCH_MAX_ENTRIES
from local.emulator import Emulator
from local.fargate import FargateStandIn, LineSink
from local.outcomes import OutcomeLedger, QueueDepth, queue_depth
from local.provision import Clients, Deployment, provision
from local.settings import LocalSettings
from scaler.clients import Clients as ScalerClients
from scaler.handler import ScalerResult, run_scaler
from worker.events import NotAnS3Event, parse_body

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""Where worker processes start, so ``python -m worker`` runs this checkout's worker."""

logger = logging.getLogger(__name__)

SCALER_LINE_SOURCE = "scaler"
"""What the scaler's lines are streamed under, where a worker's carry its task id."""
WORKER_COMMAND = (sys.executable, "-m", "worker")
"""The image's command, run from this checkout."""


@dataclass(frozen=True)
class Status:
    """One look at the pipeline, as the progress display and the tests see it."""

    files: int
    succeeded: int
    failed: int
    queue: QueueDepth
    tasks_running: int
    tasks_started: int
    elapsed: float
    """Seconds since the pipeline started."""
    last_outcome_after: float | None
    """Seconds until the last file got its outcome, once every file has one."""

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed

    @property
    def unaccounted(self) -> int:
        return self.files - self.finished


class LocalPipeline:
    """Use as a context manager; everything it started is stopped on exit."""

    def __init__(
        self,
        settings: LocalSettings,
        *,
        log_directory: Path,
        emulator: Emulator | None = None,
        worker_command: Sequence[str] = WORKER_COMMAND,
        sink: LineSink | None = None,
        preload: tuple[Sequence[Path], Path] | None = None,
    ) -> None:
        """``preload``: files (and the folder their keys are relative to) put in the source
        bucket before its notification exists, so S3 sends no event for them."""
        self.settings = settings
        self._preload = preload
        self._log_directory = log_directory
        self._emulator = emulator
        self._worker_command = worker_command
        self._sink = sink
        self._exit_stack = contextlib.ExitStack()
        self.preload_skipped: list[Path] = []
        self.files: set[str] = set()
        """Source keys this run is responsible for: uploaded by it, or discovered in serve mode."""
        self.scaler_runs: list[ScalerResult] = []
        self.scaler_errors: list[str] = []
        self.scaler_metrics: list[str] = []
        """The scaler's EMF lines, which Lambda would print on stdout."""

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LocalPipeline:
        try:
            self._start()
        except BaseException:
            self._exit_stack.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._exit_stack.close()

    def _start(self) -> None:
        self._log_directory.mkdir(parents=True, exist_ok=True)
        emulator = self._emulator or self._exit_stack.enter_context(Emulator())
        self.endpoint_url = emulator.endpoint_url
        # Worker processes reach the emulator through their environment, as on Fargate; this
        # process's own clients are pointed at it explicitly.
        environment = emulator.environment(os.environ)
        self.environment = environment
        """What a process (a worker, or an operator's command) needs to reach the emulator."""
        self.clients = Clients(
            s3=emulator.client("s3"),
            sqs=emulator.client("sqs"),
            ecs=emulator.client("ecs"),
            ec2=emulator.client("ec2"),
            ssm=emulator.client("ssm"),
        )
        self._scaler_clients = ScalerClients(
            ssm=self.clients.ssm, sqs=self.clients.sqs, ecs=self.clients.ecs
        )
        self.deployment: Deployment = provision(
            self.clients, self.settings, before_notification=self._put_preload
        )
        self.fargate = FargateStandIn(
            ecs=self.clients.ecs,
            cluster=self.deployment.cluster,
            family=self.deployment.task_family,
            command=self._worker_command,
            environment=environment,
            working_directory=PROJECT_ROOT,
            log_directory=self._log_directory,
            sink=self._sink,
        )
        self._exit_stack.callback(self.fargate.shutdown)
        self.ledger = OutcomeLedger(
            self.clients.s3, self.deployment.dest_bucket, self.settings.config.dest_prefix
        )
        self._started_at = time.monotonic()
        self._last_outcome_after: float | None = None
        self._next_scaler_run = self._started_at

    # -- what a user does ----------------------------------------------------------------------

    def upload(self, files: Iterable[Path], root: Path) -> list[Path]:
        """Upload each file under the source prefix with its path relative to ``root``.

        Files the notification would not pick up (wrong suffix) are returned, not uploaded: they
        would never be processed and the run could not finish.
        """
        return self._put(self.deployment.source_bucket, files, root)

    def _put_preload(self, source_bucket: str) -> None:
        if self._preload is not None:
            files, root = self._preload
            self.preload_skipped = self._put(source_bucket, files, root)

    def _put(self, bucket: str, files: Iterable[Path], root: Path) -> list[Path]:
        skipped: list[Path] = []
        for path in files:
            key = self.settings.config.source_prefix + path.relative_to(root).as_posix()
            if not self._picked_up(key):
                skipped.append(path)
                continue
            self.clients.s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            self.files.add(key)
        return skipped

    def discover_uploads(self) -> None:
        """Take on files someone else uploaded (serve mode): keys the notification picks up."""
        for key in self.bucket_keys(
            self.deployment.source_bucket, self.settings.config.source_prefix
        ):
            if self._picked_up(key):
                self.files.add(key)

    def _picked_up(self, key: str) -> bool:
        config = self.settings.config
        return upload_matches(key, config.source_prefix, config.source_suffixes)

    def put_parameter(self, name: str, value: str) -> None:
        """Change an SSM parameter, as an operator would with ``aws ssm put-parameter``."""
        self.clients.ssm.put_parameter(
            Name=self.deployment.ssm_path + name, Value=value, Type="String", Overwrite=True
        )

    # -- the schedule ----------------------------------------------------------------------------

    def tick(self) -> Status:
        """Run the scaler if due, reconcile workers with tasks, and report where things stand."""
        now = time.monotonic()
        if now >= self._next_scaler_run:
            self._next_scaler_run = now + self.settings.schedule_seconds
            self.run_scaler()
        self.fargate.reconcile()
        return self.status()

    def run_scaler(self) -> ScalerResult | None:
        """One scheduled run of the real scaler, as its Lambda handler runs it."""
        try:
            result = run_scaler(
                self._scaler_clients, self.deployment.ssm_path, write_metrics=self._scaler_line
            )
        except Exception as error:  # noqa: BLE001 - a failed Lambda run is reported, not fatal
            self.scaler_errors.append(f"{type(error).__name__}: {error}")
            logger.warning("scaler run failed: %s", error)
            return None
        self.scaler_runs.append(result)
        return result

    def _scaler_line(self, line: str) -> None:
        # Kept off this process's stdout, where the progress display is; streamed like a task's.
        self.scaler_metrics.append(line)
        if self._sink is not None:
            self._sink(SCALER_LINE_SOURCE, line)

    def status(self) -> Status:
        self.ledger.refresh()
        elapsed = time.monotonic() - self._started_at
        succeeded = self.ledger.count(Outcome.SUCCESS, self.files)
        failed = self.ledger.count(Outcome.FAILED, self.files)
        if self.files and succeeded + failed == len(self.files):
            self._last_outcome_after = self._last_outcome_after or elapsed
        else:
            self._last_outcome_after = None  # serve mode: new files arrived
        return Status(
            files=len(self.files),
            succeeded=succeeded,
            failed=failed,
            queue=queue_depth(self.clients.sqs, self.deployment.queue_url, self.deployment.dlq_url),
            tasks_running=len(self.fargate.running),
            tasks_started=self.fargate.tasks_started,
            elapsed=elapsed,
            last_outcome_after=self._last_outcome_after,
        )

    @staticmethod
    def settled(status: Status) -> bool:
        """Nothing more will happen: the queue is empty, and every file has an outcome or its
        message sits in the DLQ."""
        return status.queue.pending == 0 and status.unaccounted <= status.queue.dead_letters

    # -- results ---------------------------------------------------------------------------------

    def dead_lettered_keys(self) -> set[str]:
        """Source keys named by the messages in the DLQ (peeked: they stay there)."""
        keys: set[str] = set()
        seen: set[str] = set()
        while True:
            messages = self.clients.sqs.receive_message(
                QueueUrl=self.deployment.dlq_url,
                MaxNumberOfMessages=SQS_BATCH_MAX_ENTRIES,
                VisibilityTimeout=30,
                WaitTimeSeconds=0,
            ).get("Messages", [])
            fresh = [message for message in messages if message["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen.add(message["MessageId"])
                keys.update(_event_keys(message["Body"]))
        return keys

    def download(self, directory: Path) -> list[Path]:
        """Copy every object of the destination bucket (outputs and logs) under ``directory``."""
        written: list[Path] = []
        for key in self.bucket_keys(self.deployment.dest_bucket):
            target = directory / key
            target.parent.mkdir(parents=True, exist_ok=True)
            self.clients.s3.download_file(self.deployment.dest_bucket, key, str(target))
            written.append(target)
        return written

    def source_bytes(self, key: str) -> bytes:
        body: bytes = self.clients.s3.get_object(Bucket=self.deployment.source_bucket, Key=key)[
            "Body"
        ].read()
        return body

    def bucket_keys(self, bucket: str, prefix: str = "") -> Iterator[str]:
        pages = self.clients.s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix
        )
        for page in pages:
            for entry in page.get("Contents", []):
                yield entry["Key"]


def _event_keys(body: str) -> set[str]:
    """The source keys an S3 event names, parsed as the worker parses them."""
    try:
        return {record.key for record in parse_body(body).records}
    except NotAnS3Event:
        return set()
