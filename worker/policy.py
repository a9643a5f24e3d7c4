"""The worker's timing rules, one small object each: when to stop, what to hold, how to back off.

All take the time as an argument, so they are tested without waiting.
"""

from __future__ import annotations

import math
import random

from contract.limits import (
    SQS_BATCH_MAX_ENTRIES,
    SQS_MAX_IN_FLIGHT,
    SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
    SQS_MAX_WAIT_TIME_SECONDS,
)

RECEIVE_WAIT_SECONDS = min(10, SQS_MAX_WAIT_TIME_SECONDS)
"""Long-poll length. Shorter than SQS's 20 s maximum because a SIGTERM can only be acted on
once the call in flight returns, and the worker must exit well within ECS's 30 s stop timeout."""


class IdleShutdown:
    """Stop once the queue has given nothing for `seconds` and nothing is in hand."""

    def __init__(self, seconds: float, now: float) -> None:
        self.seconds = seconds
        self._last_message_at = now

    def saw_messages(self, now: float) -> None:
        self._last_message_at = now

    def remaining(self, now: float) -> float:
        return max(0.0, self._last_message_at + self.seconds - now)

    def expired(self, now: float, held: int) -> bool:
        return held == 0 and self.remaining(now) <= 0

    def wait_seconds(self, now: float, held: int) -> int:
        """How long the next receive may long-poll: never much past the idle deadline, so the
        worker stops on time; at least a second while files are in hand, so it never spins."""
        wait = min(RECEIVE_WAIT_SECONDS, math.ceil(self.remaining(now)))
        return max(1, wait) if held else max(0, wait)


VISIBILITY_SAFETY = 0.5
"""Hold only what the task can finish in half the visibility timeout (the heartbeat covers the
rest, but a crash then costs at most one timeout of delay for what was held)."""


class Prefetch:
    """How many messages the task may hold: a receive batch beyond the files in flight, so no
    file waits for a receive; never more than it can finish within the visibility timeout, nor
    than SQS lets a queue have in flight."""

    def __init__(self, concurrency: int, visibility_timeout: float) -> None:
        self.concurrency = concurrency
        self.visibility_timeout = visibility_timeout
        self._seconds_per_message: float | None = None

    SMOOTHING = 0.2
    """Weight of the newest sample in the moving average of a message's processing time."""

    def observe(self, seconds: float) -> None:
        """Record how long one file took in its thread, from start to outcome (waiting for a CPU
        included)."""
        if self._seconds_per_message is None:
            self._seconds_per_message = seconds
        else:
            self._seconds_per_message += self.SMOOTHING * (seconds - self._seconds_per_message)

    def limit(self, files_in_flight: int) -> int:
        most = min(files_in_flight + SQS_BATCH_MAX_ENTRIES, SQS_MAX_IN_FLIGHT)
        if not self._seconds_per_message:
            return most
        # Little's law again: `files_in_flight` files each taking this long finish at this rate.
        finishable = math.floor(
            VISIBILITY_SAFETY
            * self.visibility_timeout
            * files_in_flight
            / self._seconds_per_message
        )
        return max(self.concurrency, min(most, finishable))

    def to_receive(self, held: int, files_in_flight: int) -> int:
        """How many messages to ask for now (0: wait for some in hand to finish)."""
        room = self.limit(files_in_flight) - held
        if room >= SQS_BATCH_MAX_ENTRIES or (room > 0 and held <= files_in_flight):
            return min(SQS_BATCH_MAX_ENTRIES, room)
        return 0


HEARTBEAT_MARGIN = 0.5
"""A held message's extension is sent while at least this fraction of its timeout is left."""
HEARTBEAT_MAX_SECONDS = 15.0
"""The longest wait between checks, however long the timeout."""


class Heartbeat:
    """When to extend the visibility of the messages in hand.

    The worker checks every `every` seconds (a quarter of the timeout, at most 15 s), and a check
    can come up to `lateness` late. A message is extended at its last check before less than
    HEARTBEAT_MARGIN of its timeout would be left, so however the checks fall its extension goes
    out with at least that much to go (less the receive's response time: SQS starts the timeout
    before the worker knows). Extending only once less than the margin is left would let a check
    interval and a late check come out of the margin: a 2 s timeout extended with 0.3 s to go.
    """

    def __init__(self, visibility_timeout: float, lateness: float) -> None:
        self.every = min(HEARTBEAT_MAX_SECONDS, max(0.25, visibility_timeout / 4))
        self._extend_below = HEARTBEAT_MARGIN * visibility_timeout + self.every + lateness

    def due(self, hidden_until: float, now: float) -> bool:
        """Whether a message hidden until `hidden_until` must be extended at this check."""
        return hidden_until - now < self._extend_below


BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 15 * 60


def backoff_seconds(receive_count: int, rng: random.Random) -> int:
    """Visibility timeout for a message that failed transiently on its `receive_count`th receipt.

    Exponential with full jitter (spreads the retries of many messages that failed together,
    e.g. during S3 throttling), capped well under the 12 h visibility limit.
    """
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, receive_count - 1))
    return min(SQS_MAX_VISIBILITY_TIMEOUT_SECONDS, max(1, round(rng.uniform(ceiling / 2, ceiling))))
