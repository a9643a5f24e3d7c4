"""``python -m ops backfill`` vs a naive backfill script: requests per object and objects/s.

Run: ``venv/bin/python -m bench.ops_backfill [--objects N] [--done-fraction F]``.

Both run against the same moto server and the same bucket: ``N`` objects (default 20,000) in 20
top-level folders under the pipeline's prefix, the first ``F`` of them (default 0.25) already
processed (a ``.success`` log newer than the object), as when a backfill is resumed. The naive
script is what a user writes first: list the bucket, HEAD each object's log, and
``send_message`` each object still to do. ``python -m ops`` lists the sources and the logs a page
(1,000 keys) at a time, joins the two listings, and sends batches of 10 from a few threads.
Every HTTP request either makes is counted (botocore's ``before-send``, retries included); each
sends its messages to its own queue, and both must enqueue the same keys.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
from moto.s3.models import s3_backends
from moto.sqs.models import Queue, sqs_backends

from contract.events import object_created
from contract.layout import Outcome, log_key
from contract.ssm import Param
from local.emulator import REGION, Emulator
from ops.backfill import BackfillOptions, backfill
from ops.clients import Clients
from ops.display import Counts
from ops.stack import Stack
from worker.events import parse_body

GOAL_REQUESTS_PER_OBJECT = 0.12
"""Only list pages (1 per 1,000 keys, for sources and logs) and send batches (1 per 10)."""
SOURCE_BUCKET = "bench-source"
DEST_BUCKET = "bench-dest"
SOURCE_PREFIX = "ecsproc/"
DEST_PREFIX = "processed"
FOLDERS = 20
NAIVE_SAMPLE = 2_000
"""The naive script's cost is the same for every object: timing it on the first 2,000 listed
(25% done, like the whole) gives its rate without 40,000 more requests to wait for."""


@dataclass(frozen=True)
class Run:
    name: str
    objects: int
    """How many objects the run went through."""
    requests: int
    seconds: float
    enqueued: int

    @property
    def per_object(self) -> float:
        return self.requests / self.objects

    @property
    def rate(self) -> float:
        return self.objects / self.seconds


class RequestCounter:
    """Counts every HTTP request a client sends."""

    def __init__(self) -> None:
        self.count = 0

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-send", self._seen)
        return client

    def _seen(self, **kwargs: Any) -> None:
        self.count += 1  # one event per request; the GIL makes the increment safe enough here


def source_keys(objects: int) -> list[str]:
    return [
        f"{SOURCE_PREFIX}set-{index % FOLDERS:02d}/img {index:06d}.jpg" for index in range(objects)
    ]


def populate(session: Any, keys: list[str], done: int) -> None:
    """Create the buckets over HTTP, then fill them straight in the emulator's store.

    The server runs in this process, so its S3 backend is at hand: 25,000 PUTs over HTTP would
    take longer than both measurements. What the runs then list and read is the same.
    """
    s3 = session.client("s3")
    for bucket in (SOURCE_BUCKET, DEST_BUCKET):
        s3.create_bucket(Bucket=bucket)
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    for key in keys:
        backend.put_object(SOURCE_BUCKET, key, b"x")
    # After every object, so each log is at least as new as its object.
    for key in keys[:done]:
        backend.put_object(DEST_BUCKET, log_key(DEST_PREFIX, key, Outcome.SUCCESS), b"{}")


def ops_run(session: Any, queue_url: str, objects: int) -> Run:
    counter = RequestCounter()
    clients = Clients(session)
    counter.attach(clients.s3)
    counter.attach(clients.sqs)
    stack = Stack(
        name="bench",
        parameters={
            Param.UNPROCESSED_SQS_URL.value: queue_url,
            Param.S3_SOURCE_BUCKET.value: SOURCE_BUCKET,
            Param.S3_SOURCE_PREFIX.value: SOURCE_PREFIX,
            Param.S3_SOURCE_SUFFIXES.value: ".jpg",
            Param.S3_DEST_BUCKET.value: DEST_BUCKET,
            Param.S3_DEST_PREFIX.value: DEST_PREFIX,
        },
    )
    started = time.monotonic()
    result = backfill(clients, stack, BackfillOptions(), Counts())
    seconds = time.monotonic() - started
    return Run("python -m ops backfill", objects, counter.count, seconds, result.enqueued)


def naive_run(session: Any, queue_url: str, sample: int) -> Run:
    """List, HEAD each object's log, send_message each one to do; the first ``sample`` objects."""
    counter = RequestCounter()
    s3 = counter.attach(session.client("s3"))
    sqs = counter.attach(session.client("sqs"))
    started = time.monotonic()
    enqueued = seen = 0
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=SOURCE_BUCKET, Prefix=SOURCE_PREFIX
    ):
        for entry in page.get("Contents", [])[: sample - seen]:
            seen += 1
            key = entry["Key"]
            if not key.endswith(".jpg") or _has_log(s3, key):
                continue
            sqs.send_message(QueueUrl=queue_url, MessageBody=object_created(SOURCE_BUCKET, key, 1))
            enqueued += 1
        if seen >= sample:
            break
    return Run("naive script", seen, counter.count, time.monotonic() - started, enqueued)


def _has_log(s3: Any, key: str) -> bool:
    try:
        s3.head_object(Bucket=DEST_BUCKET, Key=log_key(DEST_PREFIX, key, Outcome.SUCCESS))
    except s3.exceptions.ClientError:
        return False
    return True


def constant_time_sends() -> None:
    """Make the emulator's SendMessage cost independent of the queue's depth, as SQS's is.

    moto recomputes every attribute of a queue on each SendMessage, counting the messages it
    holds three times over, so an emulated queue slows down with its depth (quadratic in all:
    hours for 15,000 messages). Nothing here reads those counts (the keys queued are what is
    checked), so in this process they are constant.
    """
    for name in (
        "approximate_number_of_messages",
        "approximate_number_of_messages_not_visible",
        "approximate_number_of_messages_delayed",
    ):
        setattr(Queue, name, property(lambda queue: 0))


def queued_keys(queue_name: str) -> list[str]:
    """The source keys of every message the emulator's queue holds, read from its store (this
    process runs the server): receiving them over HTTP would cost the emulator more than the
    runs measured, as it scans the whole queue for each receive and each delete."""
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[queue_name]
    return [
        record.key for message in queue._messages for record in parse_body(message.body).records
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ops_backfill", description=__doc__)
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--done-fraction", type=float, default=0.25)
    parser.add_argument("--naive-sample", type=int, default=NAIVE_SAMPLE)
    args = parser.parse_args(argv)
    objects: int = args.objects
    keys = source_keys(objects)
    done = int(objects * args.done_fraction)
    sample = min(args.naive_sample, objects)
    constant_time_sends()
    with Emulator() as emulator:
        # Every client below reaches the emulator only, as python -m local's do.
        os.environ.update(emulator.environment(os.environ))
        session = boto3.session.Session()
        print(f"{objects:,} objects in {FOLDERS} folders, {done:,} with a .success log")
        populate(session, keys, done)
        sqs = session.client("sqs")
        naive_url, ops_url = (
            sqs.create_queue(QueueName=f"bench-{name}")["QueueUrl"] for name in ("naive", "ops")
        )
        naive = naive_run(session, naive_url, sample)
        ours = ops_run(session, ops_url, objects)
        enqueued = {name: sorted(queued_keys(f"bench-{name}")) for name in ("naive", "ops")}
    with_log = set(keys[:done])
    expected = {
        "naive": [key for key in sorted(keys)[:sample] if key not in with_log],
        "ops": sorted(set(keys) - with_log),
    }
    for name, wanted in expected.items():
        if enqueued[name] != wanted:
            raise SystemExit(f"{name}: enqueued {len(enqueued[name])} keys, expected {len(wanted)}")
    columns = ("objects", "requests", "req/object", "seconds", "objects/s")
    print(f"{'':<24}" + "".join(f"{column:>11}" for column in columns))
    for run in (naive, ours):
        print(
            f"{run.name:<24}{run.objects:>11,}{run.requests:>11,}{run.per_object:>11.3f}"
            f"{run.seconds:>11.1f}{run.rate:>11,.0f}"
        )
    verdict = "meets" if ours.per_object <= GOAL_REQUESTS_PER_OBJECT else "MISSES"
    print(
        f"requests per object: naive / ops = {naive.per_object / ours.per_object:.1f}x; "
        f"objects/s: ops / naive = {ours.rate / naive.rate:.1f}x"
    )
    print(
        f"ops: {ours.per_object:.3f} requests per object ({verdict} the goal of "
        f"<= {GOAL_REQUESTS_PER_OBJECT})"
    )
    return 0 if ours.per_object <= GOAL_REQUESTS_PER_OBJECT else 1


if __name__ == "__main__":
    raise SystemExit(main())
