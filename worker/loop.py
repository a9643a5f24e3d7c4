"""The worker's run: take messages, process their files in parallel, record every outcome.

Three kinds of thread, each with one job:
- intake (one thread): decides whether to take more messages (signal, off switch, idle rule,
  prefetch room) and long-polls the queue;
- files (one per file in flight): GET, process, PUT, PUT for one file at a time; the image work
  is bounded to `concurrency` files by a semaphore, so S3 requests of some files overlap the
  image work of others. How many are in flight follows the measured cost of the files
  (worker.flow: Little's law, bounded by memory); the coordinator starts threads up to that
  number and threads beyond it end after their file;
- the coordinator (the caller of `run`): owns the book of held messages, and is the only one to
  delete messages, extend their visibility, back them off or hand them back.
They talk through one event queue, so the book needs no lock.
"""

from __future__ import annotations

import functools
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from botocore.exceptions import BotoCoreError, ClientError

from contract.limits import (
    SQS_BATCH_MAX_ENTRIES,
)
from contract.ssm import Param
from worker.enabled import EnabledSwitch
from worker.events import FileRecord, NotAnS3Event, parse_body
from worker.files import FileProcessor, FileResult
from worker.flow import FilesInFlight
from worker.logs import fields
from worker.policy import Heartbeat, IdleShutdown, Prefetch, backoff_seconds
from worker.sqs import EntryFailure, Lease, Message, Queue

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.2
"""The coordinator's longest wait: how soon it notices a signal."""
SHUTDOWN_GRACE_SECONDS = 15.0
"""After SIGTERM, files already started get this long to finish before their messages are
handed back; with the intake's 10 s long poll the worker exits well inside ECS's 30 s."""
DELETE_FLUSH_SECONDS = 5.0
"""A finished message waits at most this long (and at most a quarter of the visibility timeout)
for nine others to share its delete call; a task that dies meanwhile only causes a redelivery,
which rewrites identical objects."""
RECEIVE_ERROR_PAUSE_SECONDS = 2.0


class StopReason(StrEnum):
    IDLE = "idle"
    SIGNAL = "signal"
    DISABLED = "disabled"


@dataclass
class _Held:
    message: Message
    records: tuple[FileRecord, ...]
    hidden_until: float
    results: dict[int, FileResult | None] = field(default_factory=dict)
    """By record index; None: the file was never started (handed back)."""

    @property
    def lease(self) -> Lease:
        return Lease(self.message.message_id, self.message.receipt_handle)

    @property
    def done(self) -> bool:
        return len(self.results) == len(self.records)


@dataclass(frozen=True)
class _Received:
    messages: list[Message]
    at: float
    """When the receive returned: their timeouts started just before, however long the
    coordinator takes to look at them."""


@dataclass(frozen=True)
class _FileDone:
    message_id: str
    index: int
    result: FileResult | None
    seconds: float


@dataclass(frozen=True)
class _IntakeDone:
    reason: StopReason


@dataclass(frozen=True)
class _Job:
    message_id: str
    index: int
    record: FileRecord


_Event = _Received | _FileDone | _IntakeDone


class Worker:
    """Drains one queue until idle, disabled or signalled; `run` returns why it stopped."""

    def __init__(
        self,
        queue_: Queue,
        processor: FileProcessor,
        *,
        concurrency: int,
        visibility_timeout: int,
        idle_seconds: float,
        switch: EnabledSwitch | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff: Callable[[int], int] | None = None,
        shutdown_grace_seconds: float = SHUTDOWN_GRACE_SECONDS,
        files_in_flight: FilesInFlight | None = None,
    ) -> None:
        self._queue = queue_
        self._processor = processor
        self._concurrency = concurrency
        self._lease_seconds = max(1, visibility_timeout)
        self._switch = switch
        self._shutdown_grace_seconds = shutdown_grace_seconds
        self._delete_flush_seconds = min(DELETE_FLUSH_SECONDS, self._lease_seconds / 4)
        self._clock = clock
        self._backoff = backoff or functools.partial(backoff_seconds, rng=random.Random())
        """Visibility timeout for a transient failure, from the message's receive count."""
        self._idle = IdleShutdown(idle_seconds, clock())
        """Shared with intake under `_room`: only messages that carry work restart its clock."""
        self._prefetch = Prefetch(concurrency, self._lease_seconds)
        # A check comes late by one wait for the next event (and by the calls made before it).
        self._heartbeat_rule = Heartbeat(self._lease_seconds, lateness=TICK_SECONDS)
        self._files = files_in_flight or FilesInFlight(concurrency)
        """The coordinator's: it alone observes finished files and sets the target."""
        self._files_target = self._files.target()
        """Shared under `_room`: intake sizes its receives from it, file threads end above it."""
        self._file_threads = 0
        """Live file threads; shared under `_room`."""
        self._started_threads = 0
        self._open_files = 0
        """Files queued or processing; the coordinator's."""
        self._events: queue.Queue[_Event] = queue.Queue()
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._room = threading.Condition()
        self._held_count = 0
        """Messages received and not yet finished; shared with intake under `_room`."""
        self._held: dict[str, _Held] = {}
        self._to_delete: list[Lease] = []
        self._oldest_delete_at = 0.0
        self._signalled = False
        self._handing_back = False
        self._stop_intake = threading.Event()

    @property
    def files_in_flight(self) -> int:
        """How many files the worker aims to have in flight now."""
        with self._room:
            return self._files_target

    def request_stop(self) -> None:
        """Called from a signal handler: only sets a flag (no locks, which the interrupted
        thread might hold); the coordinator acts on it within TICK_SECONDS."""
        self._signalled = True

    def run(self) -> StopReason:
        intake = threading.Thread(target=self._intake_loop, name="intake", daemon=True)
        intake.start()
        logger.info(
            "started",
            extra=fields(
                queue_url=self._queue.url,
                concurrency=self._concurrency,
                files_in_flight_most=self._files.most,
                visibility_timeout=self._lease_seconds,
                idle_seconds=self._idle.seconds,
            ),
        )
        reason = self._coordinate()
        logger.info(
            "stopped",
            extra=fields(
                reason=reason.value,
                files_in_flight=self._files_target,
                file_threads_started=self._started_threads,
            ),
        )
        return reason

    # -- coordinator --------------------------------------------------------------------------

    def _coordinate(self) -> StopReason:
        next_heartbeat = self._clock() + self._heartbeat_rule.every
        grace_deadline: float | None = None
        reason: StopReason | None = None
        while True:
            for event in self._next_events():
                if isinstance(event, _IntakeDone):
                    reason = event.reason
                elif isinstance(event, _Received):
                    self._on_received(event)
                else:
                    self._on_file_done(event)
            now = self._clock()
            if self._signalled and grace_deadline is None:
                grace_deadline = now + self._shutdown_grace_seconds
                self._begin_hand_back()
            if now >= next_heartbeat:
                self._heartbeat(now)
                next_heartbeat = now + self._heartbeat_rule.every
            if grace_deadline is not None and now >= grace_deadline and self._held:
                logger.warning("grace period over", extra=fields(handed_back=len(self._held)))
                self._hand_back(list(self._held.values()))
            self._flush_deletes(now, force=reason is not None)
            if reason is not None and not self._held:
                self._flush_deletes(now, force=True)
                return StopReason.SIGNAL if self._signalled else reason

    def _next_events(self) -> list[_Event]:
        """Whatever has arrived, waiting at most TICK_SECONDS for the first."""
        try:
            events = [self._events.get(timeout=TICK_SECONDS)]
        except queue.Empty:
            return []
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    def _on_received(self, received: _Received) -> None:
        now = self._clock()
        for message in received.messages:
            if self._handing_back:
                # Taken after the signal: give it straight back.
                self._release(1)
                self._change_visibility([(message, 0)], "handed back")
                continue
            try:
                parsed = parse_body(message.body)
            except NotAnS3Event as error:
                # Left alone: it reappears after the visibility timeout and, past the queue's
                # maxReceiveCount, the DLQ keeps it for a person to look at. It is not work, so
                # it does not keep the worker from its idle stop.
                self._release(1)
                logger.warning(
                    "not an S3 event",
                    extra=fields(
                        message_id=message.message_id,
                        receive_count=message.receive_count,
                        error=str(error),
                    ),
                )
                continue
            with self._room:
                self._idle.saw_messages(now)
            if not parsed.records:
                self._release(1)
                logger.info(
                    "nothing to process",
                    extra=fields(
                        message_id=message.message_id,
                        test_event=parsed.test_event,
                        skipped_records=parsed.skipped,
                    ),
                )
                self._delete(Lease(message.message_id, message.receipt_handle), now)
                continue
            held = _Held(message, parsed.records, hidden_until=received.at + self._lease_seconds)
            self._held[message.message_id] = held
            for index, record in enumerate(parsed.records):
                self._jobs.put(_Job(message.message_id, index, record))
            self._open_files += len(parsed.records)
        self._start_file_threads()

    def _start_file_threads(self) -> None:
        """Enough threads for the files in hand, up to the target."""
        with self._room:
            wanted = min(self._files_target, self._open_files)
            missing = max(0, wanted - self._file_threads)
            self._file_threads += missing
        for _ in range(missing):
            self._started_threads += 1
            name = f"file-{self._started_threads}"
            threading.Thread(target=self._file_loop, name=name, daemon=True).start()

    def _on_file_done(self, done: _FileDone) -> None:
        self._open_files -= 1
        if done.result is not None and done.result.work is not None:
            self._files.observe(done.result.work)
            target = self._files.target()
            with self._room:
                self._prefetch.observe(done.seconds)
                self._files_target = target
            self._start_file_threads()
        held = self._held.get(done.message_id)
        if held is None:  # already handed back after the grace period
            return
        held.results[done.index] = done.result
        if held.done:
            self._finish(held)

    def _finish(self, held: _Held) -> None:
        del self._held[held.message.message_id]
        self._release(1)
        results = list(held.results.values())
        if any(result is None for result in results):
            self._change_visibility([(held.message, 0)], "handed back")
        elif any(not result.recorded for result in results if result is not None):
            delay = self._backoff(held.message.receive_count)
            self._change_visibility([(held.message, delay)], "backed off")
        else:
            self._delete(held.lease, self._clock())

    def _delete(self, lease: Lease, now: float) -> None:
        if not self._to_delete:
            self._oldest_delete_at = now
        self._to_delete.append(lease)

    def _flush_deletes(self, now: float, *, force: bool) -> None:
        due = now - self._oldest_delete_at >= self._delete_flush_seconds
        while self._to_delete and (force or due or len(self._to_delete) >= SQS_BATCH_MAX_ENTRIES):
            batch = self._to_delete[:SQS_BATCH_MAX_ENTRIES]
            self._to_delete = self._to_delete[SQS_BATCH_MAX_ENTRIES:]
            self._log_failures("delete failed", self._queue.delete(batch))
            self._oldest_delete_at = now

    def _heartbeat(self, now: float) -> None:
        due = [
            held for held in self._held.values() if self._heartbeat_rule.due(held.hidden_until, now)
        ]
        if not due:
            return
        failures = self._queue.change_visibility(
            [(held.lease, self._lease_seconds) for held in due]
        )
        failed = {failure.message_id for failure in failures}
        for held in due:
            if held.message.message_id not in failed:
                held.hidden_until = now + self._lease_seconds
        logger.info("visibility extended", extra=fields(messages=len(due) - len(failed)))
        # A failed extension means the receipt expired: the message may be redelivered and
        # processed twice, which rewrites identical objects.
        self._log_failures("visibility extension failed", failures)

    def _begin_hand_back(self) -> None:
        logger.info("signal received: handing back what has not started")
        self._handing_back = True
        self._stop_intake.set()
        with self._room:
            self._room.notify_all()
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            self._on_file_done(_FileDone(job.message_id, job.index, None, 0.0))

    def _hand_back(self, held: list[_Held]) -> None:
        for item in held:
            del self._held[item.message.message_id]
            self._release(1)
        self._change_visibility([(item.message, 0) for item in held], "handed back")

    def _change_visibility(self, changes: list[tuple[Message, int]], what: str) -> None:
        failures = self._queue.change_visibility(
            [
                (Lease(message.message_id, message.receipt_handle), seconds)
                for message, seconds in changes
            ]
        )
        for message, seconds in changes:
            logger.info(
                what,
                extra=fields(message_id=message.message_id, visibility_timeout=seconds),
            )
        self._log_failures(f"{what}: visibility change failed", failures)

    def _log_failures(self, what: str, failures: list[EntryFailure]) -> None:
        for failure in failures:
            logger.warning(
                what,
                extra=fields(
                    message_id=failure.message_id, code=failure.code, error=failure.detail
                ),
            )

    def _release(self, count: int) -> None:
        with self._room:
            self._held_count -= count
            self._room.notify_all()

    # -- intake -------------------------------------------------------------------------------

    def _intake_loop(self) -> None:
        reason = StopReason.SIGNAL
        while not self._stop_intake.is_set():
            now = self._clock()
            if self._switch is not None and not self._switch.enabled(now):
                logger.info("%s is 0: taking no more messages", Param.ENABLED.value)
                reason = StopReason.DISABLED
                break
            with self._room:
                count = self._prefetch.to_receive(self._held_count, self._files_target)
                held = self._held_count
                if count == 0:
                    self._room.wait(timeout=TICK_SECONDS)
                    continue
                if self._idle.expired(now, held):
                    reason = StopReason.IDLE
                    break
            with self._room:
                wait_seconds = self._idle.wait_seconds(now, held)
            messages = self._receive(count, wait_seconds)
            if messages:
                with self._room:
                    self._held_count += len(messages)
                self._events.put(_Received(messages, at=self._clock()))
        self._events.put(_IntakeDone(reason))

    def _receive(self, count: int, wait_seconds: int) -> list[Message]:
        try:
            return self._queue.receive(count, wait_seconds)
        except (ClientError, BotoCoreError) as error:
            # Counted as an empty receive: a queue that stays unreachable ends in an idle stop.
            logger.warning("receive failed", extra=fields(error=str(error)))
            self._stop_intake.wait(RECEIVE_ERROR_PAUSE_SECONDS)
            return []

    # -- files --------------------------------------------------------------------------------

    def _file_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if self._handing_back:
                self._events.put(_FileDone(job.message_id, job.index, None, 0.0))
                continue
            started = self._clock()
            try:
                result = self._processor.handle(job.record, job.message_id)
            except Exception as error:  # a thread that died would hold its message forever
                logger.exception("file thread error", extra=fields(key=job.record.key))
                result = FileResult(None, f"unexpected {type(error).__name__}")
            self._events.put(_FileDone(job.message_id, job.index, result, self._clock() - started))
            with self._room:
                if self._file_threads > self._files_target:
                    self._file_threads -= 1
                    return
