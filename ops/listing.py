"""The source objects and the outcome logs as sorted streams, a page (1,000 keys) at a time.

A bucket with several top-level "folders" under the prefix is listed one folder per thread: a
folder's objects and their logs are joined on their own, since a log's key carries its source's
folder. The folders are found by the listing of the prefix with a ``/`` delimiter, which also
yields the objects directly under the prefix.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from contract.layout import logs_prefix
from contract.limits import S3_LIST_PAGE_SIZE
from ops.join import Joined, LogObject, SourceObject, join, parse_log_name

DELIMITER = "/"


@dataclass(frozen=True)
class Shard:
    """One listing: every key under ``prefix``, or (``top``) only those with no ``/`` after it."""

    prefix: str
    top: bool = False


def _pages(s3: Any, bucket: str, shard: Shard) -> Iterator[dict[str, Any]]:
    arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": shard.prefix}
    if shard.top:
        arguments["Delimiter"] = DELIMITER
    paginator = s3.get_paginator("list_objects_v2")
    yield from paginator.paginate(**arguments, PaginationConfig={"PageSize": S3_LIST_PAGE_SIZE})


def list_sources(
    s3: Any,
    bucket: str,
    shard: Shard,
    matches: Callable[[str], bool],
    found_folder: Callable[[str], None] = lambda folder: None,
) -> Iterator[SourceObject]:
    """The objects of ``shard`` that ``matches`` accepts, in key order; a top shard's folders
    are passed to ``found_folder`` as its pages arrive."""
    for page in _pages(s3, bucket, shard):
        for common in page.get("CommonPrefixes", ()):
            found_folder(common["Prefix"])
        for entry in page.get("Contents", ()):
            if matches(entry["Key"]):
                yield SourceObject(entry["Key"], entry["LastModified"], int(entry.get("Size", 0)))


def list_logs(s3: Any, bucket: str, dest_prefix: str, shard: Shard) -> Iterator[LogObject]:
    """The outcome logs of the source keys of ``shard``, in log key order."""
    root = logs_prefix(dest_prefix)
    for page in _pages(s3, bucket, Shard(root + shard.prefix, shard.top)):
        for entry in page.get("Contents", ()):
            log = parse_log_name(entry["Key"].removeprefix(root), entry["LastModified"])
            if log is not None:
                yield log


@dataclass(frozen=True)
class Place:
    """Where a pipeline's files and their logs are."""

    source_bucket: str
    dest_bucket: str
    dest_prefix: str
    matches: Callable[[str], bool]
    """Whether a source key is one the pipeline processes."""


_DONE = object()


def walk(s3: Any, place: Place, prefix: str, *, threads: int) -> Iterator[Joined]:
    """Every key under ``prefix`` (sources and logs joined), listing folders in parallel.

    Output order across folders is arbitrary. Memory holds at most a few pages per thread: the
    threads hand entries over through a bounded queue.
    """
    handover: queue.Queue[Joined | BaseException | object] = queue.Queue(
        maxsize=threads * S3_LIST_PAGE_SIZE
    )
    stop = threading.Event()
    pending = 0
    lock = threading.Lock()

    def put(item: Joined | BaseException | object) -> None:
        while not stop.is_set():
            try:
                handover.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def run(shard: Shard) -> None:
        try:
            if stop.is_set():
                return  # the consumer stopped before this folder's turn came
            sources = list_sources(s3, place.source_bucket, shard, place.matches, found_folder)
            logs = list_logs(s3, place.dest_bucket, place.dest_prefix, shard)
            for entry in join(sources, logs):
                if stop.is_set():
                    return
                put(entry)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which re-raises it
            put(error)
        finally:
            finish()

    def start(shard: Shard) -> None:
        nonlocal pending
        with lock:
            pending += 1
        executor.submit(run, shard)

    def found_folder(folder: str) -> None:
        start(Shard(folder))

    def finish() -> None:
        nonlocal pending
        with lock:
            pending -= 1
            last = pending == 0
        if last:
            put(_DONE)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="list") as executor:
        try:
            start(Shard(prefix, top=True))
            while True:
                item = handover.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, Joined)
                yield item
        finally:
            stop.set()
