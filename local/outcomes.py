"""What happened to each file, read from where the pipeline records it: the log objects and queues.

A file's outcome is durable only once its log object exists (``<prefix>/logs/<key>.success`` or
``.failed``), so that is what the runner counts. The ledger keeps every outcome it has seen, so a
destination bucket that disappears mid-run cannot erase what was already recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract.layout import Outcome, logs_prefix


@dataclass(frozen=True)
class QueueDepth:
    visible: int
    in_flight: int
    delayed: int
    dead_letters: int

    @property
    def pending(self) -> int:
        """Messages not yet finished: waiting, being worked on, or waiting out a backoff."""
        return self.visible + self.in_flight + self.delayed


class OutcomeLedger:
    """The outcome of every file whose log object has been seen in the destination bucket."""

    def __init__(self, s3: Any, dest_bucket: str, dest_prefix: str) -> None:
        self._s3 = s3
        self._bucket = dest_bucket
        self._prefix = logs_prefix(dest_prefix)
        self.outcomes: dict[str, Outcome] = {}
        self.log_keys: dict[str, list[str]] = {}
        """Every log object seen per source key (a file must end with exactly one)."""

    def refresh(self) -> None:
        seen: dict[str, list[str]] = {}
        newest: dict[str, tuple[Any, Outcome]] = {}
        try:
            pages = list(
                self._s3.get_paginator("list_objects_v2").paginate(
                    Bucket=self._bucket, Prefix=self._prefix
                )
            )
        except self._s3.exceptions.NoSuchBucket:
            return  # gone (a fault being injected, or torn down): keep what was recorded
        for page in pages:
            for entry in page.get("Contents", []):
                parsed = self._parse(entry["Key"])
                if parsed is None:
                    continue
                key, outcome = parsed
                seen.setdefault(key, []).append(entry["Key"])
                if key not in newest or entry["LastModified"] >= newest[key][0]:
                    newest[key] = (entry["LastModified"], outcome)
        self.log_keys.update(seen)
        self.outcomes.update({key: outcome for key, (_, outcome) in newest.items()})

    def count(self, outcome: Outcome, keys: set[str] | None = None) -> int:
        return sum(
            1
            for key, recorded in self.outcomes.items()
            if recorded is outcome and (keys is None or key in keys)
        )

    def _parse(self, log_key: str) -> tuple[str, Outcome] | None:
        name = log_key.removeprefix(self._prefix)
        for outcome in Outcome:
            if name.endswith("." + outcome.value):
                return name.removesuffix("." + outcome.value), outcome
        return None


def queue_depth(sqs: Any, queue_url: str, dlq_url: str) -> QueueDepth:
    def attributes(url: str) -> dict[str, str]:
        response = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )
        found: dict[str, str] = response["Attributes"]
        return found

    queue = attributes(queue_url)
    dead = attributes(dlq_url)
    return QueueDepth(
        visible=int(queue["ApproximateNumberOfMessages"]),
        in_flight=int(queue["ApproximateNumberOfMessagesNotVisible"]),
        delayed=int(queue["ApproximateNumberOfMessagesDelayed"]),
        dead_letters=int(dead["ApproximateNumberOfMessages"])
        + int(dead["ApproximateNumberOfMessagesNotVisible"]),
    )
