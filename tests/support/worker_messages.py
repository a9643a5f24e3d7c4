"""SQS message bodies as S3 event notifications deliver them (keys URL-encoded, `+` for space)."""

from __future__ import annotations

import json
from urllib.parse import quote_plus


def s3_event(*objects: tuple[str, str], event_name: str = "ObjectCreated:Put") -> str:
    """The body of one notification with a record per `(bucket, key)`."""
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-01-01T00:00:00.000Z",
                    "eventName": event_name,
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "pipeline",
                        "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                        "object": {"key": quote_plus(key), "size": 1, "sequencer": "0A"},
                    },
                }
                for bucket, key in objects
            ]
        }
    )


def s3_test_event(bucket: str) -> str:
    """What S3 sends once when a notification is configured."""
    return json.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": "2026-01-01T00:00:00.000Z",
            "Bucket": bucket,
            "RequestId": "R",
            "HostId": "H",
        }
    )
