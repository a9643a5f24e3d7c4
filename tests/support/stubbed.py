"""A boto3 client for a service's real endpoint under botocore's Stubber.

Each request is checked against the service's own model (operation, member names and types,
required members) and against the parameters the test expects; on leaving, every response the
test queued must have been asked for: exactly the requests expected, no more, no fewer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.stub import Stubber


@contextmanager
def stubbed_client(service: str) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
