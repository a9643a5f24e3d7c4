"""The AWS clients the commands use: standard credential chain, region and ``AWS_ENDPOINT_URL``."""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config

CLIENT_CONFIG = Config(
    # "standard" retries throttling, 5xx and network errors with backoff.
    retries={"mode": "standard", "max_attempts": 5},
    # Enough connections for every listing and sending thread, so none waits for the pool.
    max_pool_connections=32,
)


class Clients:
    """Each client is made on first use (a command needs two or three of them), in the main
    thread before any worker thread starts."""

    def __init__(self, session: Any = None) -> None:
        self._session = session or boto3.session.Session()

    def _client(self, service: str) -> Any:
        return self._session.client(service, config=CLIENT_CONFIG)

    @functools.cached_property
    def s3(self) -> Any:
        return self._client("s3")

    @functools.cached_property
    def sqs(self) -> Any:
        return self._client("sqs")

    @functools.cached_property
    def ssm(self) -> Any:
        return self._client("ssm")

    @functools.cached_property
    def ecs(self) -> Any:
        return self._client("ecs")

    @functools.cached_property
    def cloudwatch(self) -> Any:
        return self._client("cloudwatch")
