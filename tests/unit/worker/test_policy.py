"""The timing rules: idle stop, prefetch bound, transient backoff."""

from __future__ import annotations

import random

import pytest

from contract.limits import (
    SQS_BATCH_MAX_ENTRIES,
)
from worker.policy import (
    BACKOFF_MAX_SECONDS,
    RECEIVE_WAIT_SECONDS,
    IdleShutdown,
    Prefetch,
    backoff_seconds,
)


def test_idle_stop_needs_both_an_empty_queue_for_long_enough_and_empty_hands() -> None:
    idle = IdleShutdown(20, now=100.0)
    assert not idle.expired(119.9, held=0)
    assert idle.expired(120.0, held=0)
    assert not idle.expired(500.0, held=1)
    idle.saw_messages(130.0)
    assert not idle.expired(140.0, held=0)
    assert idle.expired(150.0, held=0)


def test_receive_never_long_polls_past_the_idle_deadline() -> None:
    idle = IdleShutdown(3, now=0.0)
    assert idle.wait_seconds(0.0, held=0) == 3
    assert idle.wait_seconds(2.5, held=0) == 1
    assert idle.wait_seconds(9.0, held=0) == 0
    assert IdleShutdown(60, now=0.0).wait_seconds(0.0, held=0) == RECEIVE_WAIT_SECONDS
    # With files in hand it keeps polling, a second at a time once the deadline has passed.
    assert idle.wait_seconds(9.0, held=2) == 1


def test_prefetch_asks_for_full_batches_until_it_has_a_batch_beyond_two_per_worker() -> None:
    prefetch = Prefetch(concurrency=2, visibility_timeout=120)
    assert prefetch.limit() == 2 * 2 + SQS_BATCH_MAX_ENTRIES
    assert prefetch.to_receive(held=0) == SQS_BATCH_MAX_ENTRIES
    assert prefetch.to_receive(held=4) == SQS_BATCH_MAX_ENTRIES
    # Not enough room for a full batch while workers still have plenty: wait.
    assert prefetch.to_receive(held=5) == 0


def test_prefetch_shrinks_to_what_finishes_within_the_visibility_timeout() -> None:
    # GIVEN files that take 4 s on a queue whose messages stay hidden for 10 s
    prefetch = Prefetch(concurrency=2, visibility_timeout=10)
    prefetch.observe(4.0)
    # THEN it holds only what two workers finish in half of that (5 s): 2 messages
    assert prefetch.limit() == 2
    assert prefetch.to_receive(held=0) == 2
    assert prefetch.to_receive(held=2) == 0


def test_prefetch_never_starves_the_workers() -> None:
    prefetch = Prefetch(concurrency=3, visibility_timeout=1)
    prefetch.observe(60.0)
    assert prefetch.limit() == 3


def test_processing_time_is_smoothed() -> None:
    prefetch = Prefetch(concurrency=1, visibility_timeout=100)
    prefetch.observe(10.0)
    for _ in range(50):
        prefetch.observe(1.0)
    assert prefetch.limit() == 1 * 2 + SQS_BATCH_MAX_ENTRIES


@pytest.mark.parametrize("receive_count", [1, 2, 3, 6, 50])
def test_backoff_grows_with_each_receive_and_is_capped(receive_count: int) -> None:
    rng = random.Random(7)
    ceiling = min(BACKOFF_MAX_SECONDS, 10 * 2 ** (receive_count - 1))
    delays = [backoff_seconds(receive_count, rng) for _ in range(200)]
    assert all(ceiling / 2 - 1 <= delay <= ceiling for delay in delays)
    assert len(set(delays)) > 1 or ceiling <= 2  # jittered
