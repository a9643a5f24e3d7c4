"""Join the source listing with the logs' listing, both streamed in S3's key order.

S3 lists keys in UTF-8 byte order, which is Python's code point order for ``str``. The sources come
sorted by source key; the logs sorted by *log* key, ``<source key>.failed`` or ``.success``, and
that is not the same order: ``a b.success`` sorts before ``a.success`` (a space is below ``.``),
while ``a`` sorts before ``a b``. So the join reads logs ahead only as far as the current source
key's own logs can reach (``<key>.success``), and holds the few logs read ahead of their source.
What it holds is bounded by the keys that extend the current one, never by the bucket's size.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from contract.layout import Outcome

_LAST_LOG_SUFFIX = max(f".{outcome.value}" for outcome in Outcome)
"""A key's logs are ``<key>.<outcome>``; this is the suffix of the one that sorts last."""


@dataclass(frozen=True)
class SourceObject:
    key: str
    last_modified: datetime
    size: int = 0


@dataclass(frozen=True)
class LogObject:
    key: str
    """The source key the log is for."""
    outcome: Outcome
    last_modified: datetime

    @property
    def name(self) -> str:
        """The log's key relative to the logs prefix: what the listing is sorted by."""
        return f"{self.key}.{self.outcome.value}"


@dataclass(frozen=True)
class Joined:
    """One source key: its object (None for a log whose source is gone) and its newest log."""

    key: str
    source: SourceObject | None
    log: LogObject | None

    @property
    def up_to_date(self) -> bool:
        """The object has an outcome log at least as new as itself.

        At least as new, not strictly newer: S3 listings give seconds, and a small file is often
        processed within the second it was uploaded; an object rewritten within the second its
        previous version was processed would be missed, but its rewrite sent its own event.
        """
        return (
            self.source is not None
            and self.log is not None
            and self.log.last_modified >= self.source.last_modified
        )


def parse_log_name(name: str, last_modified: datetime) -> LogObject | None:
    """The log named ``<key>.<outcome>`` (relative to the logs prefix); None if it is not one."""
    for outcome in Outcome:
        suffix = f".{outcome.value}"
        if name.endswith(suffix) and len(name) > len(suffix):
            return LogObject(name.removesuffix(suffix), outcome, last_modified)
    return None


def join(sources: Iterable[SourceObject], logs: Iterable[LogObject]) -> Iterator[Joined]:
    """Every source key and every key with a log, each once, with its newest log.

    ``sources`` sorted by key and ``logs`` by log name, as S3 lists them (ValueError otherwise).
    Sources come out in their order; a log without its source comes out once it is complete.
    """
    reader = _LogReader(iter(logs))
    previous: str | None = None
    for source in sources:
        if previous is not None and source.key <= previous:
            raise ValueError(f"sources out of order: {source.key!r} after {previous!r}")
        previous = source.key
        reader.read_through(source.key + _LAST_LOG_SUFFIX)
        yield from reader.orphans(before=source.key)
        yield Joined(source.key, source, reader.take(source.key))
    yield from reader.drain()


class _LogReader:
    """Reads the sorted logs ahead, holding the newest log of each key read but not yet joined."""

    def __init__(self, logs: Iterator[LogObject]) -> None:
        self._logs = logs
        self._next: LogObject | None = next(logs, None)
        self._last_name = ""
        self._newest: dict[str, LogObject] = {}
        self._keys: list[str] = []
        """A heap of the keys in ``_newest`` (with keys already taken, skipped when popped)."""

    def read_through(self, name: str) -> None:
        """Read every log whose name sorts at or before ``name``."""
        while self._next is not None and self._next.name <= name:
            self._hold(self._next)
            self._advance()

    def take(self, key: str) -> LogObject | None:
        return self._newest.pop(key, None)

    def orphans(self, *, before: str | None) -> Iterator[Joined]:
        """Held logs of keys sorting before ``before`` (so without a source; None: any key) whose
        logs are all read."""
        while (
            self._keys
            and (before is None or self._keys[0] < before)
            and self._complete(self._keys[0])
        ):
            key = heapq.heappop(self._keys)
            log = self._newest.pop(key, None)
            if log is not None:
                yield Joined(key, None, log)

    def drain(self) -> Iterator[Joined]:
        """The rest: every log left has no source."""
        while self._next is not None:
            self._hold(self._next)
            self._advance()
            yield from self.orphans(before=None)
        yield from self.orphans(before=None)

    def _complete(self, key: str) -> bool:
        return self._next is None or self._next.name > key + _LAST_LOG_SUFFIX

    def _hold(self, log: LogObject) -> None:
        held = self._newest.get(log.key)
        if held is None:
            heapq.heappush(self._keys, log.key)
        if held is None or (log.last_modified, log.outcome is Outcome.SUCCESS) > (
            held.last_modified,
            held.outcome is Outcome.SUCCESS,
        ):
            self._newest[log.key] = log

    def _advance(self) -> None:
        assert self._next is not None
        name = self._next.name
        if name < self._last_name:
            raise ValueError(f"logs out of order: {name!r} after {self._last_name!r}")
        self._last_name = name
        self._next = next(self._logs, None)
