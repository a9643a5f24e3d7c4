"""``backfill``: enqueue an S3 event for every object under the prefix that has no outcome yet.

The listing and the logs' listing are joined as streams (``ops.listing``), or the objects come
from an S3 Inventory report (``ops.inventory``); bodies go out in batches of 10 as they are
found (``ops.sender``), so a bucket of millions needs no more memory than one of thousands, and
no request is made per object beyond the send batches.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from contract.events import object_created
from ops.clients import Clients
from ops.display import Counts
from ops.errors import InvalidInventory, OpsError
from ops.inventory import load_manifest, read_sources
from ops.join import Joined, join
from ops.listing import Place, Shard, list_logs, walk
from ops.sender import DEFAULT_THREADS, BatchSender
from ops.stack import Stack

LISTING_THREADS = 8
"""Folders listed at once: each listing waits on S3 most of the time."""


@dataclass(frozen=True)
class BackfillOptions:
    prefix: str | None = None
    """Within the pipeline's prefix; None: all of it."""
    everything: bool = False
    """``--all``: enqueue even objects whose outcome is up to date."""
    dry_run: bool = False
    inventory: str | None = None
    """``s3://…/manifest.json`` of an S3 Inventory report to read instead of listing."""


@dataclass(frozen=True)
class BackfillResult:
    listed: int
    done: int
    enqueued: int
    """Sent, or for a dry run, what would be sent."""
    seconds: float
    dry_run: bool

    def summary(self) -> str:
        verb = "would enqueue" if self.dry_run else "enqueued"
        return (
            f"listed {self.listed:,} / already done {self.done:,} / {verb} {self.enqueued:,} "
            f"in {self.seconds:.1f} s"
        )


def place(stack: Stack) -> Place:
    return Place(
        source_bucket=stack.source_bucket,
        dest_bucket=stack.dest_bucket,
        dest_prefix=stack.dest_prefix,
        matches=stack.matches,
    )


def listing_prefix(stack: Stack, prefix: str | None) -> str:
    """``--prefix`` checked to lie within the pipeline's prefix (outside it nothing is the
    pipeline's to process)."""
    if prefix is None:
        return stack.source_prefix
    if not prefix.startswith(stack.source_prefix):
        raise OpsError(
            f"--prefix {prefix!r} is outside the pipeline's prefix {stack.source_prefix!r}: "
            f"give a prefix starting with {stack.source_prefix!r}"
        )
    return prefix


def joined_entries(clients: Clients, stack: Stack, options: BackfillOptions) -> Iterator[Joined]:
    """Every source key under the prefix with its newest log, from a listing or the report."""
    where = place(stack)
    prefix = listing_prefix(stack, options.prefix)
    if options.inventory is None:
        return walk(clients.s3, where, prefix, threads=LISTING_THREADS)
    manifest = load_manifest(clients.s3, options.inventory)
    if manifest.source_bucket != stack.source_bucket:
        raise InvalidInventory(
            f"inventory manifest {options.inventory}: it lists bucket {manifest.source_bucket!r}, "
            f"but stack {stack.name!r} reads {stack.source_bucket!r}"
        )

    def within(key: str) -> bool:
        return key.startswith(prefix) and stack.matches(key)

    sources = read_sources(clients.s3, manifest, within)
    return join(sources, list_logs(clients.s3, where.dest_bucket, where.dest_prefix, Shard(prefix)))


def backfill(
    clients: Clients, stack: Stack, options: BackfillOptions, counts: Counts
) -> BackfillResult:
    started = time.monotonic()
    entries = joined_entries(clients, stack, options)
    bucket = stack.source_bucket
    bodies = _bodies(entries, bucket, options, counts)
    if options.dry_run:
        for _ in bodies:
            pass
        enqueued = counts.to_enqueue
    else:

        def sent(count: int) -> None:
            counts.enqueued += count

        sender = BatchSender(clients.sqs, stack.queue_url, threads=DEFAULT_THREADS, on_sent=sent)
        enqueued = sender.send_all(bodies)
    return BackfillResult(
        listed=counts.listed,
        done=counts.done,
        enqueued=enqueued,
        seconds=time.monotonic() - started,
        dry_run=options.dry_run,
    )


def _bodies(
    entries: Iterable[Joined], bucket: str, options: BackfillOptions, counts: Counts
) -> Iterator[str]:
    for entry in entries:
        if entry.source is None:
            continue  # a log whose source is gone: nothing to enqueue
        counts.listed += 1
        if entry.up_to_date:
            counts.done += 1  # counted with --all too: the summary says how many are redone
            if not options.everything:
                continue
        counts.to_enqueue += 1
        yield object_created(bucket, entry.key, entry.source.size)
    counts.listing_finished = True
