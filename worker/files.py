"""One file from source object to recorded outcome: GET, process, PUT the output, PUT its log.

Exactly one request of each per file. Every error ends in one of three outcomes: recorded as a
success, recorded as a permanent failure (the `.failed` log), or left for a retry (nothing
recorded, so the message must not be deleted). Each result also says what the file cost (CPU
slot time, S3 time, source bytes), which sizes the number of files the worker keeps in flight.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contract.layout import Outcome, log_key, output_keys
from contract.values import format_sizes
from worker.config import WorkerConfig
from worker.encoding import ImageFormat, image_format_for
from worker.events import FileRecord
from worker.flow import ByteBudget, FileWork
from worker.imaging import Processed, ResizeSpec, process_image
from worker.rejection import FileRejected, Rejection
from worker.task_time import TaskTime, task_name

logger = logging.getLogger(__name__)

OBJECT_GONE_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "404"})
"""The source object (or its bucket) was deleted after the event: retrying cannot bring it back.
S3 answers 403, not 404, for a missing key when the caller may not list the bucket, so the task
role needs s3:ListBucket on the source for a deleted object to be recorded rather than retried."""

MAX_SOURCE_BYTES = 512 * 1024 * 1024
"""Larger objects are refused before their body is read: the largest image under Pillow's pixel
limit is far smaller, and reading a multi-gigabyte upload would exhaust the task's memory."""

LOG_CONTENT_TYPE = "application/json"

ProcessImage = Callable[[bytes, ImageFormat, ResizeSpec], Processed]
FileObserver = Callable[["FileResult", float], None]
"""Told of every file's result and its processing time in milliseconds (the metrics)."""


RETRY = "retry"
"""The per-file log line's outcome for a file that recorded none and is to be retried."""


@dataclass(frozen=True)
class FileResult:
    outcome: Outcome | None
    """The outcome recorded in the file's log: SUCCESS (outputs and `.success` written) or FAILED
    (the file can never be processed; `.failed` written). None when nothing was recorded
    (throttling, 5xx, network, destination not writable): the file is to be tried again later."""
    detail: str = ""
    """The error, for FAILED and a retry."""
    reason: Rejection | None = None
    """Why the file can never be processed, for FAILED."""
    bytes_in: int = 0
    """The source object's size, when it was read."""
    bytes_out: int = 0
    """The outputs' size, for SUCCESS."""
    warnings: tuple[str, ...] = ()
    """What the decoder warned about (it recovered, or gave up: see `detail`)."""
    work: FileWork | None = None
    """What the file cost; None when it stopped on a transient error."""

    @property
    def recorded(self) -> bool:
        return self.outcome is not None


class _Retry(Exception):
    """Internal: the file must be retried later; the message is the reason."""


class _Meter:
    """Internal: where one file's time went. What is neither waiting for room nor image work
    is S3 (and the little Python around it): the wait that more files in flight hide."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.cpu_seconds = 0.0
        self.queued_seconds = 0.0
        """Waiting for a CPU slot or for memory: caused by files in flight, not hidden by them."""
        self.source_bytes = 0
        self.held_bytes = 0
        """Taken from the source budget: given back when the file is done."""

    @contextlib.contextmanager
    def slot(self, slots: threading.Semaphore) -> Iterator[None]:
        asked = time.monotonic()
        with slots:
            got = time.monotonic()
            self.queued_seconds += got - asked
            try:
                yield
            finally:
                self.cpu_seconds += time.monotonic() - got

    def room(self, budget: ByteBudget, size: int) -> None:
        asked = time.monotonic()
        budget.acquire(size)
        self.queued_seconds += time.monotonic() - asked
        self.held_bytes = size

    def work(self) -> FileWork:
        elapsed = time.monotonic() - self.started
        io_seconds = max(0.0, elapsed - self.queued_seconds - self.cpu_seconds)
        return FileWork(self.cpu_seconds, io_seconds, self.source_bytes)


class FileProcessor:
    """Processes files with an injected S3 client; `cpu_slots` bounds concurrent image work and
    `source_budget` the source bytes held in memory at once (unbounded when None)."""

    def __init__(
        self,
        s3: Any,
        config: WorkerConfig,
        cpu_slots: threading.Semaphore,
        process: ProcessImage = process_image,
        max_source_bytes: int = MAX_SOURCE_BYTES,
        observer: FileObserver | None = None,
        source_budget: ByteBudget | None = None,
        task_time: TaskTime | None = None,
    ) -> None:
        self._s3 = s3
        self._config = config
        self._cpu_slots = cpu_slots
        self._process = process
        self._max_source_bytes = max_source_bytes
        self._observer = observer
        self._source_budget = source_budget
        self._task_time = task_time or TaskTime(task_name({}))

    def handle(self, record: FileRecord, message_id: str) -> FileResult:
        started = time.monotonic()
        result = self._handle(record, message_id)
        milliseconds = (time.monotonic() - started) * 1000
        logger.log(
            logging.INFO if result.recorded else logging.WARNING,
            "file",
            extra={
                "fields": {
                    "message_id": message_id,
                    "bucket": record.bucket,
                    "key": record.key,
                    "outcome": result.outcome.value if result.outcome else RETRY,
                    "duration_ms": round(milliseconds, 1),
                    **({"error": result.detail} if result.detail else {}),
                    **({"warnings": list(result.warnings)} if result.warnings else {}),
                }
            },
        )
        if self._observer is not None:
            self._observer(result, milliseconds)
        return result

    def _handle(self, record: FileRecord, message_id: str) -> FileResult:
        log: dict[str, Any] = {
            "message_id": message_id,
            "source": {"bucket": record.bucket, "key": record.key},
            "settings": {
                "target_size": format_sizes(self._config.resize.sizes),
                "resize_mode": self._config.resize.mode.value,
                "output_format": self._config.output_format.value,
                "jpeg_quality": self._config.resize.quality,
            },
        }
        meter = _Meter()
        try:
            try:
                data = self._get(record, log, meter)
            except FileRejected as rejected:
                result = _failed(rejected, log, bytes_in=0)
            else:
                result = self._process_and_store(record, data, log, meter)
            self._put_log(record, result, log)
        except _Retry as retry:
            return FileResult(None, str(retry))
        finally:
            # The source's bytes are dropped with this frame, once its objects are stored.
            if self._source_budget is not None and meter.held_bytes:
                self._source_budget.release(meter.held_bytes)
        return dataclasses.replace(result, work=meter.work())

    def _get(self, record: FileRecord, log: dict[str, Any], meter: _Meter) -> bytes:
        """The object's bytes; raises FileRejected when it can never be read (a permanent
        failure to record), _Retry when it cannot be read now."""
        try:
            response = self._s3.get_object(Bucket=record.bucket, Key=record.key)
            size = int(response.get("ContentLength", 0))
            log["source"].update(etag=response.get("ETag", ""), bytes=size)
            if size > self._max_source_bytes:
                response["Body"].close()
                raise FileRejected(
                    Rejection.TOO_LARGE, f"{size} bytes, over the limit of {self._max_source_bytes}"
                )
            meter.source_bytes = size
            if self._source_budget is not None:
                # Before the body is read, so a burst of large files waits here, not in memory.
                meter.room(self._source_budget, size)
            data: bytes = response["Body"].read()
        except ClientError as error:
            code = _code(error)
            if code in OBJECT_GONE_CODES:
                raise FileRejected(
                    Rejection.OBJECT_GONE, f"{code}: the source object is gone"
                ) from None
            raise _Retry(f"source not readable: {code}: {_message(error)}") from None
        except BotoCoreError as error:
            raise _Retry(f"source not readable: {error}") from None
        return data

    def _process_and_store(
        self, record: FileRecord, data: bytes, log: dict[str, Any], meter: _Meter
    ) -> FileResult:
        image_format = image_format_for(record.key, self._config.output_format)
        try:
            with meter.slot(self._cpu_slots):
                processed = self._process(data, image_format, self._config.resize)
        except FileRejected as rejected:
            return _failed(rejected, log, bytes_in=len(data))
        except Exception as error:  # a fault of this task (memory, a bug), not of the file
            logger.exception("unexpected error processing %s", record.key)
            raise _Retry(f"unexpected {type(error).__name__}: {error}") from None
        log["image"] = processed.facts
        log["outputs"] = []
        keys = output_keys(
            self._config.dest_prefix,
            record.key,
            self._config.resize.sizes,
            self._config.output_format,
        )
        for key, encoded in zip(keys, processed.outputs, strict=True):
            self._put(key, encoded.data, encoded.image_format.content_type)
            log["outputs"].append(
                {
                    "bucket": self._config.dest_bucket,
                    "key": key,
                    "size": list(encoded.size),
                    "format": encoded.image_format.value,
                    "bytes": len(encoded.data),
                }
            )
        if processed.warnings:
            log["warnings"] = list(processed.warnings)
        return FileResult(
            Outcome.SUCCESS,
            bytes_in=len(data),
            bytes_out=sum(len(encoded.data) for encoded in processed.outputs),
            warnings=processed.warnings,
        )

    def _put_log(self, record: FileRecord, result: FileResult, log: dict[str, Any]) -> None:
        outcome = result.outcome
        assert outcome is not None, "only a recorded outcome has a log"
        # Sorted keys and no timings in the body (they go in its metadata): a redelivered
        # message rewrites a byte-identical log.
        body = json.dumps({"outcome": outcome.value, **log}, indent=2, sort_keys=True) + "\n"
        key = log_key(self._config.dest_prefix, record.key, outcome)
        seconds = self._task_time.charge()
        try:
            self._put(key, body.encode(), LOG_CONTENT_TYPE, self._task_time.metadata(seconds))
        except _Retry:
            self._task_time.refund(seconds)
            raise

    def _put(
        self, key: str, body: bytes, content_type: str, metadata: dict[str, str] | None = None
    ) -> None:
        request: dict[str, Any] = {
            "Bucket": self._config.dest_bucket,
            "Key": key,
            "Body": body,
            "ContentType": content_type,
        }
        if metadata is not None:  # a log's; outputs carry none
            request["Metadata"] = metadata
        try:
            self._s3.put_object(**request)
        except ClientError as error:
            # AccessDenied or NoSuchBucket here is the destination's problem, not the file's:
            # the file must wait until the destination is writable again.
            raise _Retry(f"destination not writable: {_code(error)}: {_message(error)}") from None
        except BotoCoreError as error:
            raise _Retry(f"destination not writable: {error}") from None


def _failed(rejected: FileRejected, log: dict[str, Any], *, bytes_in: int) -> FileResult:
    log["error"] = {"reason": rejected.reason.value, "detail": rejected.detail}
    if rejected.warnings:
        log["warnings"] = list(rejected.warnings)
    return FileResult(
        Outcome.FAILED,
        str(rejected),
        reason=rejected.reason,
        bytes_in=bytes_in,
        warnings=rejected.warnings,
    )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))
