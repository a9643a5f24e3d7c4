"""The timing rules: idle stop, prefetch bound, transient backoff."""

from __future__ import annotations

import random

import pytest

from contract.limits import SQS_BATCH_MAX_ENTRIES, SQS_MAX_IN_FLIGHT
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


def test_prefetch_asks_for_full_batches_until_it_has_a_batch_beyond_the_files_in_flight() -> None:
    prefetch = Prefetch(concurrency=2, visibility_timeout=120)
    assert prefetch.limit(files_in_flight=6) == 6 + SQS_BATCH_MAX_ENTRIES
    assert prefetch.to_receive(held=0, files_in_flight=6) == SQS_BATCH_MAX_ENTRIES
    assert prefetch.to_receive(held=6, files_in_flight=6) == SQS_BATCH_MAX_ENTRIES
    # Not enough room for a full batch while every file in flight has a successor: wait.
    assert prefetch.to_receive(held=7, files_in_flight=6) == 0
    # More files in flight (slower S3) make room for more.
    assert prefetch.to_receive(held=7, files_in_flight=40) == SQS_BATCH_MAX_ENTRIES


def test_prefetch_shrinks_to_what_finishes_within_the_visibility_timeout() -> None:
    # GIVEN files that take 4 s, two at a time, on a queue whose messages stay hidden for 10 s
    prefetch = Prefetch(concurrency=2, visibility_timeout=10)
    prefetch.observe(4.0)
    # THEN it holds only what is finished in half of that (5 s): 2 messages
    assert prefetch.limit(files_in_flight=2) == 2
    assert prefetch.to_receive(held=0, files_in_flight=2) == 2
    assert prefetch.to_receive(held=2, files_in_flight=2) == 0


def test_prefetch_counts_the_rate_of_all_files_in_flight() -> None:
    # GIVEN 20 files in flight that take 2 s each (10 files/s) and a 30 s visibility timeout
    prefetch = Prefetch(concurrency=1, visibility_timeout=30)
    prefetch.observe(2.0)
    # THEN 15 s of work is 150 messages, more than a batch beyond the files: the batch rule wins
    assert prefetch.limit(files_in_flight=20) == 20 + SQS_BATCH_MAX_ENTRIES
    # and with a 3 s timeout, 1.5 s of work: 15 messages
    assert Prefetch(concurrency=1, visibility_timeout=3).limit(files_in_flight=20) == 30
    short = Prefetch(concurrency=1, visibility_timeout=3)
    short.observe(2.0)
    assert short.limit(files_in_flight=20) == 15


def test_prefetch_never_starves_the_workers() -> None:
    prefetch = Prefetch(concurrency=3, visibility_timeout=1)
    prefetch.observe(60.0)
    assert prefetch.limit(files_in_flight=10) == 3


def test_prefetch_never_holds_more_than_sqs_allows_in_flight() -> None:
    prefetch = Prefetch(concurrency=1, visibility_timeout=43_200)
    prefetch.observe(0.001)
    assert prefetch.limit(files_in_flight=200_000) == SQS_MAX_IN_FLIGHT


def test_processing_time_is_smoothed() -> None:
    prefetch = Prefetch(concurrency=1, visibility_timeout=100)
    prefetch.observe(100.0)
    assert prefetch.limit(files_in_flight=3) == 1
    for _ in range(50):
        prefetch.observe(1.0)
    assert prefetch.limit(files_in_flight=3) == 3 + SQS_BATCH_MAX_ENTRIES


@pytest.mark.parametrize("receive_count", [1, 2, 3, 6, 50])
def test_backoff_grows_with_each_receive_and_is_capped(receive_count: int) -> None:
    rng = random.Random(7)
    ceiling = min(BACKOFF_MAX_SECONDS, 10 * 2 ** (receive_count - 1))
    delays = [backoff_seconds(receive_count, rng) for _ in range(200)]
    assert all(ceiling / 2 - 1 <= delay <= ceiling for delay in delays)
    assert len(set(delays)) > 1 or ceiling <= 2  # jittered
