"""SendMessageBatch from a few threads: 10 messages a call, failed entries retried, none dropped.

SQS answers a batch with per-entry ``Successful`` and ``Failed`` lists; a call can succeed while
some of its entries did not. Failed entries that SQS marks as its own fault (throttling, an
internal error) are sent again, alone, with backoff; an entry that is the sender's fault, or one
still failing after every attempt, stops the run with SendFailed, so nothing is silently lost.
The whole-call errors (throttling, 5xx, network) are botocore's to retry (standard retry mode).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from contract.limits import SQS_BATCH_MAX_ENTRIES
from ops.errors import SendFailed

DEFAULT_THREADS = 4
"""A SendMessageBatch call takes tens of milliseconds; four in flight go ~10x a single sender's
rate without pressing the queue's throughput (a standard queue's is nearly unlimited)."""
ENTRY_ATTEMPTS = 5
BACKOFF_SECONDS = 0.2
"""The first retry's wait; each next one waits twice as long."""


class BatchSender:
    """Sends bodies to one queue. ``sent`` counts those SQS accepted; ``on_sent`` hears of each
    call's accepted count, one call at a time."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        *,
        threads: int = DEFAULT_THREADS,
        on_sent: Callable[[int], None] = lambda count: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._threads = threads
        self._on_sent = on_sent
        self._sleep = sleep
        self._lock = threading.Lock()
        self.sent = 0
        self.calls = 0

    def send_all(self, bodies: Iterable[str]) -> int:
        """Send every body; return how many were sent. Raises SendFailed (after waiting for the
        batches in flight) when one could not be sent."""
        # Bounded in flight: the producer (a listing) never runs far ahead of the sends.
        slots = threading.BoundedSemaphore(self._threads * 2)
        failures: list[BaseException] = []

        def release(future: Future[None]) -> None:
            error = future.exception()
            if error is not None:
                failures.append(error)  # before the slot is free, so no next batch misses it
            slots.release()

        with ThreadPoolExecutor(self._threads, thread_name_prefix="send") as executor:
            for batch in _batches(bodies, SQS_BATCH_MAX_ENTRIES):
                slots.acquire()
                if failures:
                    slots.release()
                    break
                executor.submit(self.send_batch, batch).add_done_callback(release)
        if failures:
            raise failures[0]
        return self.sent

    def send_batch(self, bodies: Sequence[str]) -> None:
        """Send up to 10 bodies, retrying failed entries only; SendFailed if any stays unsent."""
        waiting = {str(index): body for index, body in enumerate(bodies)}
        last_failed: Sequence[dict[str, Any]] = ()
        for attempt in range(ENTRY_ATTEMPTS):
            if attempt:
                self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            entries = [{"Id": entry_id, "MessageBody": body} for entry_id, body in waiting.items()]
            response = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            accepted = [entry["Id"] for entry in response.get("Successful", ())]
            failed = response.get("Failed", ())
            self._count(len(accepted))
            for entry_id in accepted:
                waiting.pop(entry_id, None)
            permanent = [entry for entry in failed if entry.get("SenderFault")]
            if permanent:
                raise SendFailed(_describe(permanent, "SQS refused"))
            if not waiting:
                return
            last_failed = failed
        raise SendFailed(_describe(last_failed, f"still failing after {ENTRY_ATTEMPTS} attempts"))

    def _count(self, accepted: int) -> None:
        with self._lock:
            self.sent += accepted
            self.calls += 1
            self._on_sent(accepted)


def _batches(items: Iterable[str], size: int) -> Iterable[list[str]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _describe(failed: Sequence[dict[str, Any]], what: str) -> str:
    first = failed[0] if failed else {}
    return (
        f"SendMessageBatch: {what} {len(failed)} message(s): "
        f"{first.get('Code', 'unknown')}: {first.get('Message', '')}".rstrip(": ")
    )
