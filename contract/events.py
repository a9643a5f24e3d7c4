"""The S3 event notification body: what the worker takes, and what a backfill enqueues.

S3 sends these for each new object; ``python -m ops`` builds the same ``ObjectCreated`` body for an
object already in the bucket, so the worker (``worker.events.parse_body``) processes a backfilled
file exactly like an upload. Keys are URL-encoded with ``+`` for spaces, as S3 encodes them in
events; the worker decodes them with ``unquote_plus``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote_plus

EVENT_VERSION = "2.1"
EVENT_SOURCE = "aws:s3"
CREATED_EVENT_PREFIX = "ObjectCreated:"
"""Every event name for a new object starts with it (Put, Post, Copy, CompleteMultipartUpload)."""
EVENT_NAME = f"{CREATED_EVENT_PREFIX}Put"
TEST_EVENT = "s3:TestEvent"
"""Sent once by S3 when a notification is configured: no object behind it."""
CONFIGURATION_ID = "fargate-pipeline-ops"
"""Where a real event names its notification configuration: says the CLI sent this one."""


def object_created(bucket: str, key: str, size: int, event_time: datetime | None = None) -> str:
    """The JSON body of one S3 ObjectCreated event for ``s3://bucket/key``."""
    when = (event_time or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": EVENT_VERSION,
                    "eventSource": EVENT_SOURCE,
                    "eventTime": when,
                    "eventName": EVENT_NAME,
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": CONFIGURATION_ID,
                        "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                        "object": {"key": quote_plus(key, safe="/"), "size": size},
                    },
                }
            ]
        },
        separators=(",", ":"),
    )
