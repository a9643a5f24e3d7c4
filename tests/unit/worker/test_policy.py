"""The timing rules: idle stop, prefetch bound, heartbeat, transient backoff."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract.limits import (
    SQS_BATCH_MAX_ENTRIES,
    SQS_MAX_IN_FLIGHT,
    SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
)
from worker.loop import TICK_SECONDS
from worker.policy import (
    BACKOFF_MAX_SECONDS,
    RECEIVE_WAIT_SECONDS,
    Heartbeat,
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


@given(
    visibility_timeout=st.integers(1, SQS_MAX_VISIBILITY_TIMEOUT_SECONDS),
    first_check=st.floats(0, 1),
    lateness=st.lists(st.floats(0, 1), min_size=1, max_size=50),
)
def test_an_extension_goes_out_with_half_the_timeout_left_however_late_the_checks(
    visibility_timeout: int, first_check: float, lateness: list[float]
) -> None:
    # GIVEN a message received at 0, and checks a full interval apart, each up to a tick late
    heartbeat = Heartbeat(visibility_timeout, lateness=TICK_SECONDS)
    hidden_until = float(visibility_timeout)
    now = first_check * (heartbeat.every + TICK_SECONDS)
    for late in lateness:
        # THEN at every check it still has at least half its timeout, and is extended when due
        assert hidden_until - now >= visibility_timeout / 2
        if heartbeat.due(hidden_until, now):
            hidden_until = now + visibility_timeout
        now += heartbeat.every + late * TICK_SECONDS


@pytest.mark.parametrize(
    "visibility_timeout", [1, 2, 30, 120, 900, SQS_MAX_VISIBILITY_TIMEOUT_SECONDS]
)
def test_a_message_just_received_or_extended_is_not_due(visibility_timeout: int) -> None:
    heartbeat = Heartbeat(visibility_timeout, lateness=TICK_SECONDS)
    assert not heartbeat.due(hidden_until=100.0 + visibility_timeout, now=100.0)


def test_with_the_stacks_timeout_a_message_is_extended_every_third_check() -> None:
    # GIVEN the stack's 120 s visibility timeout and checks on time, every 15 s
    heartbeat = Heartbeat(120, lateness=TICK_SECONDS)
    assert heartbeat.every == 15
    hidden_until, extended_at = 120.0, []
    for check in range(1, 13):
        now = 15.0 * check
        if heartbeat.due(hidden_until, now):
            hidden_until = now + 120
            extended_at.append(now)
    # THEN once every 45 s (with 75 s left), not at every check
    assert extended_at == [45.0, 90.0, 135.0, 180.0]


@pytest.mark.parametrize("receive_count", [1, 2, 3, 6, 50])
def test_backoff_grows_with_each_receive_and_is_capped(receive_count: int) -> None:
    rng = random.Random(7)
    ceiling = min(BACKOFF_MAX_SECONDS, 10 * 2 ** (receive_count - 1))
    delays = [backoff_seconds(receive_count, rng) for _ in range(200)]
    assert all(ceiling / 2 - 1 <= delay <= ceiling for delay in delays)
    assert len(set(delays)) > 1 or ceiling <= 2  # jittered
